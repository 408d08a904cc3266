// relay(): one request to a real upstream on 127.0.0.1 and its answer streamed back through a real
// node:http response, with undici's dispatch controller observed to check backpressure and cancelling.
import * as assert from 'node:assert/strict';
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import { once } from 'node:events';
import { Agent, type Dispatcher } from 'undici';
import { ClientGone, relay, type RelayOutcome } from '../../src/core/proxy/relay';

interface Observed {
  pauses: number;
  resumes: number;
  aborts: number;
}

/** An undici Agent whose dispatch controllers count pause/resume/abort calls. */
function observedAgent(seen: Observed): { dispatcher: Dispatcher; close: () => Promise<void> } {
  const agent = new Agent({ keepAliveTimeout: 1000 });
  const wrap = (c: Dispatcher.DispatchController): Dispatcher.DispatchController => ({
    get aborted() {
      return c.aborted;
    },
    get paused() {
      return c.paused;
    },
    get reason() {
      return c.reason;
    },
    abort: (e: Error) => {
      seen.aborts++;
      c.abort(e);
    },
    pause: () => {
      seen.pauses++;
      c.pause();
    },
    resume: () => {
      seen.resumes++;
      c.resume();
    },
  });
  const dispatcher = {
    dispatch(opts: Dispatcher.DispatchOptions, h: Dispatcher.DispatchHandler) {
      let w: Dispatcher.DispatchController | undefined;
      const ctl = (c: Dispatcher.DispatchController) => (w ??= wrap(c));
      return agent.dispatch(opts, {
        onRequestStart: (c, ctx) => h.onRequestStart?.(ctl(c), ctx),
        onResponseStart: (c, s, hd, m) => h.onResponseStart?.(ctl(c), s, hd, m),
        onResponseData: (c, d) => h.onResponseData?.(ctl(c), d),
        onResponseEnd: (c, t) => h.onResponseEnd?.(ctl(c), t),
        onResponseError: (c, e) => h.onResponseError?.(ctl(c), e),
      });
    },
  } as unknown as Dispatcher;
  return { dispatcher, close: () => agent.close() };
}

async function listen(handler: http.RequestListener): Promise<{ server: http.Server; port: number }> {
  const server = http.createServer(handler);
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return { server, port: (server.address() as AddressInfo).port };
}

describe('relay: streaming an upstream answer to a client', () => {
  const seen: Observed = { pauses: 0, resumes: 0, aborts: 0 };
  let upstream: http.Server;
  let front: http.Server;
  let agent: ReturnType<typeof observedAgent>;
  let onUpstream: http.RequestListener;
  let outcomes: RelayOutcome[];
  let frontPort: number;

  beforeEach(async () => {
    Object.assign(seen, { pauses: 0, resumes: 0, aborts: 0 });
    outcomes = [];
    agent = observedAgent(seen);
    const up = await listen((req, res) => onUpstream(req, res));
    upstream = up.server;
    const fr = await listen((req, res) => {
      const gone = new ClientGone();
      res.on('close', () => {
        if (!res.writableFinished) gone.fire();
      });
      void relay({
        dispatcher: agent.dispatcher,
        origin: `http://127.0.0.1:${up.port}`,
        path: req.url ?? '/',
        method: 'GET',
        headers: {},
        body: [],
        gone,
        res,
        onRateLimited: () => undefined,
        tapFor: () => undefined,
      }).then((o) => outcomes.push(o));
    });
    front = fr.server;
    frontPort = fr.port;
  });
  afterEach(async () => {
    front.closeAllConnections();
    upstream.closeAllConnections();
    await Promise.all([new Promise((r) => front.close(r)), new Promise((r) => upstream.close(r))]);
    await agent.close();
  });

  it('a client that reads slowly pauses the upstream (not buffered in memory) and gets every byte in order', async () => {
    const total = 16 << 20;
    const block = Buffer.alloc(64 << 10);
    let stalled!: () => void;
    const upstreamStalled = new Promise<void>((r) => (stalled = r));
    onUpstream = (_req, res) => {
      res.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': total });
      let written = 0;
      const more = () => {
        while (written < total) {
          block.fill((written / block.length) & 0xff);
          written += block.length;
          if (!res.write(block)) {
            stalled();
            res.once('drain', more);
            return;
          }
        }
        res.end();
      };
      more();
    };
    const req = http.get({ host: '127.0.0.1', port: frontPort, path: '/big' });
    const [res] = (await once(req, 'response')) as [http.IncomingMessage];
    res.pause();
    await upstreamStalled;
    let got = 0;
    let inOrder = true;
    res.on('data', (c: Buffer) => {
      for (let i = 0; i < c.length; i += 4096)
        if (c[i] !== (Math.floor((got + i) / block.length) & 0xff)) inOrder = false;
      got += c.length;
    });
    res.resume();
    await once(res, 'end');
    assert.equal(got, total);
    assert.ok(inOrder, 'bytes arrived in order');
    assert.ok(seen.pauses > 0, 'the upstream was paused while the client was not reading');
    assert.ok(seen.resumes > 0, 'and resumed when it read again');
    await waitUntil(() => outcomes.length === 1);
    assert.deepEqual(outcomes[0], { kind: 'done', status: 200 });
  });

  it('a client that leaves mid-stream aborts the upstream request and ends as cancelled', async () => {
    let upstreamClosed!: () => void;
    const closed = new Promise<void>((r) => (upstreamClosed = r));
    onUpstream = (_req, res) => {
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      res.write('data: {}\n\n');
      res.on('close', () => upstreamClosed());
    };
    const req = http.get({ host: '127.0.0.1', port: frontPort, path: '/sse' });
    const [res] = (await once(req, 'response')) as [http.IncomingMessage];
    await once(res, 'data');
    req.destroy();
    await closed;
    await waitUntil(() => outcomes.length === 1);
    assert.deepEqual(outcomes[0], { kind: 'cancelled' });
    assert.equal(seen.aborts, 1);
  });
});

/** Resolves once cond() holds, checking after each turn of the event loop (no fixed sleeps). */
async function waitUntil(cond: () => boolean, turns = 10_000): Promise<void> {
  for (let i = 0; i < turns && !cond(); i++) await new Promise((r) => setImmediate(r));
  assert.ok(cond(), 'condition not reached');
}
