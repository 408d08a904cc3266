// Faults of the upstream, seen through the metering proxy and the client: a stream cut mid-way, a
// connection reset before any answer, an answer that never comes, bursts of 500s, and hostile error
// answers. The client always gets a clean error (a 502 in OpenRouter's envelope, or a stream that ends
// after the data that did arrive), the ledger holds exactly the attempts that reached upstream, and when
// everything is closed no socket, server or timer is left behind.
import * as assert from 'node:assert/strict';
import { once } from 'node:events';
import * as http from 'node:http';
import { Agent } from 'undici';
import { AbortedError, NetworkError, ServerError, TimeoutError } from '../../src/core/errors';
import { OpenRouterClient } from '../../src/core/openRouterClient';
import { FakeOpenRouter, TEST_KEY } from '../fixtures/fakeOpenRouter';
import { isolateProxyEnv } from './helpers';
import { call, chatBody, FREE, type Harness, PAID, startHarness, TOKEN } from './proxyHarness';

const KEY_BODY = TEST_KEY.slice('sk-or-v1-'.length);
const WATCHED = ['TCPSocketWrap', 'TCPServerWrap', 'Timeout'] as const;

function resourceCounts(): Record<string, number> {
  const counts: Record<string, number> = Object.fromEntries(WATCHED.map((k) => [k, 0]));
  for (const r of process.getActiveResourcesInfo()) if (r in counts) counts[r]++;
  return counts;
}

function noKey(text: string): void {
  assert.ok(!text.includes(TEST_KEY) && !text.includes(KEY_BODY), 'the key appeared in an answer');
}

/** A streamed request through the proxy: the bytes that arrived, and whether the response ended cleanly. */
function stream(port: number, model: string): Promise<{ status: number; text: string; complete: boolean }> {
  return new Promise((resolve, reject) => {
    const req = http.request(
      {
        host: '127.0.0.1',
        port,
        path: '/api/v1/chat/completions',
        method: 'POST',
        agent: false,
        headers: { host: `127.0.0.1:${port}`, authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('error', () => undefined); // 'aborted' shows as an error on newer Nodes; complete says it all
        res.on('close', () =>
          resolve({
            status: res.statusCode ?? 0,
            text: Buffer.concat(chunks).toString('utf8'),
            complete: res.complete,
          }),
        );
      },
    );
    req.on('error', reject);
    req.end(chatBody(model, { stream: true }));
  });
}

describe('hostile faults: upstream failures, through the proxy and the client', () => {
  isolateProxyEnv();
  let baseline: Record<string, number>;
  before(() => {
    baseline = resourceCounts();
  });

  describe('through the proxy', () => {
    let h: Harness;
    let upstreamChats: () => number;
    before(async () => {
      h = await startHarness({ pacing: 'off' });
      upstreamChats = () => h.fake.requests.filter((r) => r.path === '/chat/completions').length;
    });
    after(() => h.close());
    afterEach(async () => {
      h.fake.onChat = undefined;
      // Counts stay right: every attempt that reached upstream was recorded, and nothing else.
      const freeForwarded = h.fake.requests.filter(
        (r) => r.path === '/chat/completions' && r.body !== undefined && r.body.includes(FREE),
      ).length;
      assert.equal(h.ledger.countSince(0), freeForwarded, 'ledger == free attempts forwarded');
      assert.equal(h.proxy.pacer.waiting, 0);
      const good = await call(h.port, '/api/v1/chat/completions', { body: chatBody(PAID) });
      assert.equal(good.status, 200, 'the proxy keeps serving');
    });

    it('a stream cut mid-way by upstream reaches the client as the data that came, then a broken end', async () => {
      h.fake.onChat = ({ res }) => {
        res.writeHead(200, { 'content-type': 'text/event-stream' });
        res.write('data: {"choices":[{"delta":{"content":"first"}}]}\n\n');
        res.write('data: {"choices":[{"delta":{"content":"sec', () => res.socket?.destroy());
        return true;
      };
      const before = upstreamChats();
      const results = await Promise.all(Array.from({ length: 10 }, (_, i) => stream(h.port, i % 2 ? PAID : FREE)));
      for (const r of results) {
        assert.equal(r.status, 200);
        assert.match(r.text, /first/);
        assert.equal(r.complete, false, 'a cut stream must not look complete');
        noKey(r.text);
      }
      assert.equal(upstreamChats() - before, 10);
    });

    it("a connection reset before any answer is a 502 in OpenRouter's envelope, without the key", async () => {
      h.fake.fail('/chat/completions', { kind: 'reset' }, 12);
      const results = await Promise.all(
        Array.from({ length: 12 }, (_, i) =>
          call(h.port, '/api/v1/chat/completions', { body: chatBody(i % 3 ? FREE : PAID) }),
        ),
      );
      for (const r of results) {
        assert.equal(r.status, 502);
        assert.equal(r.json().error?.code, 502);
        noKey(r.body.toString('latin1') + JSON.stringify(r.headers));
      }
    });

    it('an answer that never comes: the client gives up, and the upstream request is aborted too', async () => {
      const upstreamClosed: Array<Promise<unknown>> = [];
      let arrived!: () => void;
      let n = 0;
      const allArrived = new Promise<void>((r) => (arrived = r));
      h.fake.onChat = ({ res }) => {
        upstreamClosed.push(once(res, 'close'));
        if (++n === 6) arrived();
        return true; // and never answer
      };
      const finishedBefore = h.finished.length;
      const clients = Array.from({ length: 6 }, () => new AbortController());
      const calls = clients.map((c, i) =>
        call(h.port, '/api/v1/chat/completions', { body: chatBody(i % 2 ? FREE : PAID), signal: c.signal }).then(
          () => assert.fail('answered'),
          (e: Error) => e,
        ),
      );
      await allArrived;
      for (const c of clients) c.abort();
      for (const e of await Promise.all(calls)) assert.equal(e.name, 'AbortError');
      await Promise.all(upstreamClosed); // the proxy hung up on upstream for each
      assert.equal(
        h.finished.slice(finishedBefore).filter((f) => f.status === 502).length,
        0,
        'an abandoned request is not reported as a failure',
      );
    });

    it('a burst of 500s passes through as 500s, each counted once, then service resumes', async () => {
      h.fake.fail(
        '/chat/completions',
        { kind: 'status', status: 500, body: { error: { code: 500, message: `Internal error (key ${TEST_KEY})` } } },
        30,
      );
      const results = await Promise.all(
        Array.from({ length: 30 }, (_, i) =>
          call(h.port, '/api/v1/chat/completions', { body: chatBody(i % 2 ? FREE : PAID) }),
        ),
      );
      for (const r of results) {
        assert.equal(r.status, 500);
        assert.equal(r.json().error?.code, 500);
      }
      h.fake.fail('/chat/completions', { kind: 'status', status: 503, headers: { 'retry-after': '1e308' } }, 10);
      for (const r of await Promise.all(
        Array.from({ length: 10 }, () => call(h.port, '/api/v1/chat/completions', { body: chatBody(FREE) })),
      ))
        assert.equal(r.status, 503);
    });

    it('hostile error answers from upstream (absurd reset times, booby-trapped messages) pass through and break nothing', async () => {
      const trap = {
        error: {
          code: 429,
          message: { toString: 1 },
          metadata: { headers: { 'X-RateLimit-Limit': 20, 'X-RateLimit-Reset': 1e300 } },
        },
      };
      h.fake.fail(
        '/chat/completions',
        { kind: 'status', status: 429, body: trap, headers: { 'x-ratelimit-reset': '1e20', 'retry-after': '9e99' } },
        3,
      );
      for (let i = 0; i < 3; i++) {
        const r = await call(h.port, '/api/v1/chat/completions', { body: chatBody(FREE) });
        assert.equal(r.status, 429, r.body.toString());
        assert.deepEqual(r.json(), trap, 'passed on as it came');
      }
      h.fake.onChat = ({ res }) => {
        res.writeHead(200, { 'content-type': 'text/event-stream' });
        res.write('data: {"choices":[{"delta":{"content":"ok"}}]}\n\n');
        res.write(`data: ${JSON.stringify(trap)}\n\n`);
        res.write(
          'data: {"error":{"code":"429","message":"Rate limit exceeded: free-models-per-min","metadata":{"headers":{"X-RateLimit-Reset":"8.64e20"}}}}\n\n',
        );
        res.end('data: [DONE]\n\n');
        return true;
      };
      const s = await stream(h.port, FREE);
      assert.equal(s.complete, true);
      assert.match(s.text, /\[DONE\]/);
      h.fake.onChat = ({ res }) => {
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ choices: [{ error: trap.error }] }));
        return true;
      };
      const j = await call(h.port, '/api/v1/chat/completions', { body: chatBody(FREE) });
      assert.equal(j.status, 200);
    });
  });

  describe('the client', () => {
    let fake: FakeOpenRouter;
    let dispatcher: Agent;
    let client: OpenRouterClient;
    before(async () => {
      fake = await FakeOpenRouter.start();
      dispatcher = new Agent({ keepAliveTimeout: 1000 });
      client = new OpenRouterClient({ baseUrl: fake.baseUrl, apiKey: TEST_KEY, dispatcher, timeoutMs: 300 });
    });
    after(async () => {
      await client.close();
      await dispatcher.close();
      await fake.close();
    });

    const rejection = (p: Promise<unknown>) =>
      p.then(
        () => assert.fail('resolved'),
        (e: Error) => e,
      );

    it('a hang is a TimeoutError, a reset a NetworkError, a cancel an AbortedError, and a burst of 500s ServerErrors', async () => {
      fake.fail('/key', { kind: 'hang' });
      const t = await rejection(client.getKey());
      assert.ok(TimeoutError.is(t), String(t));
      fake.fail('/credits', { kind: 'reset' }, 3);
      for (let i = 0; i < 3; i++) assert.ok(NetworkError.is(await rejection(client.getCredits())));
      fake.fail('/key', { kind: 'hang' });
      const ac = new AbortController();
      const pending = rejection(client.getKey(ac.signal));
      await fake.nextRequest('/key');
      ac.abort();
      assert.ok(AbortedError.is(await pending));
      fake.fail('/models', { kind: 'status', status: 500, headers: { 'retry-after': '1e400' } }, 20);
      const errors = await Promise.all(Array.from({ length: 20 }, () => rejection(client.getFreeModelIds())));
      for (const e of errors) {
        assert.ok(ServerError.is(e), String(e));
        assert.ok(!e.message.includes(TEST_KEY));
      }
      assert.ok((await client.getKey()).label !== undefined, 'and then it works again');
    });
  });

  describe('at the end', () => {
    it('leaves no socket, server or timer behind', async () => {
      let now = resourceCounts();
      // Closed handles are released on the next turns of the event loop: give it a bounded number of turns.
      for (let i = 0; i < 200 && WATCHED.some((k) => now[k] > baseline[k]); i++) {
        await new Promise<void>((r) => setImmediate(r));
        now = resourceCounts();
      }
      for (const k of WATCHED)
        assert.ok(
          now[k] <= baseline[k],
          `${k}: ${now[k]} open now, ${baseline[k]} before (${process.getActiveResourcesInfo().join(', ')})`,
        );
    });
  });
});
