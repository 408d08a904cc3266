// The metering proxy over real sockets: pass-through (bytes, streaming, compression), auth and safety
// refusals, counting, and what it learns from OpenRouter's 429s.
import * as assert from 'node:assert/strict';
import * as http from 'node:http';
import { once } from 'node:events';
import * as zlib from 'node:zlib';
import { FakeClock } from '../fixtures/fakeClock';
import { TEST_KEY } from '../fixtures/fakeOpenRouter';
import * as bodies from '../fixtures/openRouterBodies';
import { isolateProxyEnv } from './helpers';
import { call, chatBody, FREE, type Harness, PAID, startHarness, TOKEN } from './proxyHarness';

describe('MeteringProxy: pass-through', () => {
  isolateProxyEnv();
  let h: Harness;
  beforeEach(async () => {
    h = await startHarness();
  });
  afterEach(() => h.close());

  it('swaps the local token for the real key and forwards the body bytes unchanged', async () => {
    // Odd spacing and key order: a proxy that re-serialised the JSON would change these bytes.
    const body = `{ "messages":[{"role":"user","content":"héllo"}],   "model" : "${FREE}", "temperature": 0.50 }`;
    const res = await call(h.port, '/api/v1/chat/completions', {
      body,
      headers: { 'x-custom': 'kept', connection: 'keep-alive, x-hop', 'x-hop': 'dropped' },
    });
    assert.equal(res.status, 200);
    assert.equal(res.json().model, FREE);
    const seen = h.fake.chats.at(-1)!;
    assert.equal(seen.body.toString('utf8'), body);
    assert.equal(seen.headers.authorization, `Bearer ${TEST_KEY}`);
    assert.equal(seen.headers['x-custom'], 'kept');
    assert.equal(seen.headers['x-hop'], undefined, 'headers named in Connection are hop-by-hop');
    assert.equal(h.ledger.dayModels(Math.floor(Date.now() / 86_400_000) * 86_400_000)[FREE], 1);
  });

  it("passes a client's own sk-or- key through unchanged", async () => {
    const own = 'sk-or-v1-' + 'a'.repeat(64);
    h.fake.accept(own);
    const res = await call(h.port, '/api/v1/chat/completions', { body: chatBody(PAID), token: own });
    assert.equal(res.status, 200);
    assert.equal(h.fake.chats.at(-1)!.headers.authorization, `Bearer ${own}`);
  });

  it('streams SSE events as they come: the first arrives before upstream has finished', async () => {
    let release!: () => void;
    const released = new Promise<void>((r) => (release = r));
    h.fake.onChat = ({ res }) => {
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      res.write('data: {"id":"1","choices":[{"delta":{"content":"first"}}]}\n\n');
      void released.then(() => {
        res.write('data: {"id":"1","choices":[{"delta":{"content":"second"}}]}\n\n');
        res.end('data: [DONE]\n\n');
      });
      return true;
    };
    const req = http.request({
      host: '127.0.0.1',
      port: h.port,
      path: '/api/v1/chat/completions',
      method: 'POST',
      headers: { host: `127.0.0.1:${h.port}`, authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' },
    });
    req.end(chatBody(FREE, { stream: true }));
    const [res] = (await once(req, 'response')) as [http.IncomingMessage];
    assert.equal(res.headers['content-type'], 'text/event-stream');
    const [first] = (await once(res, 'data')) as [Buffer];
    assert.match(first.toString(), /first/);
    assert.doesNotMatch(first.toString(), /second/, 'the proxy did not wait for the end');
    release();
    const rest: Buffer[] = [];
    res.on('data', (c: Buffer) => rest.push(c));
    await once(res, 'end');
    assert.match(Buffer.concat(rest).toString(), /second[\s\S]*\[DONE\]/);
  });

  it('passes compressed bodies through as they came', async () => {
    const payload = JSON.stringify({ id: 'x', choices: [{ message: { content: 'z'.repeat(5000) } }] });
    const gz = zlib.gzipSync(payload);
    h.fake.onChat = ({ res }) => {
      res.writeHead(200, {
        'content-type': 'application/json',
        'content-encoding': 'gzip',
        'content-length': gz.length,
      });
      res.end(gz);
      return true;
    };
    const res = await call(h.port, '/api/v1/chat/completions', {
      body: chatBody(FREE),
      headers: { 'accept-encoding': 'gzip' },
    });
    assert.equal(res.headers['content-encoding'], 'gzip');
    assert.deepEqual(res.body, gz);
    assert.equal(zlib.gunzipSync(res.body).toString(), payload);
    assert.equal(h.fake.chats.at(-1)!.headers['accept-encoding'], 'gzip');
  });

  it('a client that disconnects aborts the upstream request', async () => {
    let upstreamClosed!: () => void;
    const closed = new Promise<void>((r) => (upstreamClosed = r));
    h.fake.onChat = ({ res }) => {
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      res.write('data: {"choices":[]}\n\n');
      res.on('close', () => upstreamClosed());
      return true; // never ends by itself
    };
    const req = http.request({
      host: '127.0.0.1',
      port: h.port,
      path: '/api/v1/chat/completions',
      method: 'POST',
      headers: { host: `127.0.0.1:${h.port}`, authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' },
    });
    req.end(chatBody(FREE, { stream: true }));
    const [res] = (await once(req, 'response')) as [http.IncomingMessage];
    await once(res, 'data');
    req.destroy();
    await closed;
  });

  it('an upstream that drops the connection gives a 502 with a JSON error', async () => {
    h.fake.fail('/chat/completions', { kind: 'reset' });
    const res = await call(h.port, '/api/v1/chat/completions', { body: chatBody(FREE) });
    assert.equal(res.status, 502);
    assert.equal(res.json().error?.code, 502);
    assert.match(res.json().error!.message!, /could not reach OpenRouter/);
    assert.ok(!res.body.toString().includes(TEST_KEY));
  });

  it('sends the headers at once when the body is slow to follow', async () => {
    let release!: () => void;
    const released = new Promise<void>((r) => (release = r));
    h.fake.onChat = ({ res }) => {
      res.writeHead(200, { 'content-type': 'application/json', 'x-upstream': 'yes' });
      res.flushHeaders(); // headers now, body only once the client has seen them
      void released.then(() => res.end('{"id":"late"}'));
      return true;
    };
    const req = http.request({
      host: '127.0.0.1',
      port: h.port,
      path: '/api/v1/chat/completions',
      method: 'POST',
      headers: { host: `127.0.0.1:${h.port}`, authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' },
    });
    req.end(chatBody(PAID));
    const [res] = (await once(req, 'response')) as [http.IncomingMessage];
    assert.equal(res.headers['x-upstream'], 'yes');
    release();
    const chunks: Buffer[] = [];
    res.on('data', (c: Buffer) => chunks.push(c));
    await once(res, 'end');
    assert.equal(Buffer.concat(chunks).toString(), '{"id":"late"}');
  });

  it('serves a client that sends Expect: 100-continue (curl does, for large bodies)', async () => {
    const body = chatBody(FREE);
    const req = http.request({
      host: '127.0.0.1',
      port: h.port,
      path: '/api/v1/chat/completions',
      method: 'POST',
      headers: {
        host: `127.0.0.1:${h.port}`,
        authorization: `Bearer ${TOKEN}`,
        'content-type': 'application/json',
        'content-length': Buffer.byteLength(body),
        expect: '100-continue',
      },
    });
    req.on('continue', () => req.end(body));
    const [res] = (await once(req, 'response')) as [http.IncomingMessage];
    res.resume();
    await once(res, 'end');
    assert.equal(res.statusCode, 200);
    assert.equal(h.fake.chats.at(-1)!.body.toString(), body);
    assert.equal(
      h.fake.chats.at(-1)!.headers.expect,
      undefined,
      'the body is already read: nothing to expect upstream',
    );
  });

  it('serves 200 concurrent streams', async () => {
    const results = await Promise.all(
      Array.from({ length: 200 }, () =>
        call(h.port, '/api/v1/chat/completions', { body: chatBody(PAID, { stream: true }) }),
      ),
    );
    for (const r of results) {
      assert.equal(r.status, 200);
      assert.match(r.body.toString(), /data: \[DONE\]/);
    }
    assert.equal(h.fake.chats.length, 200);
  });
});

describe('MeteringProxy: who may use it', () => {
  isolateProxyEnv();
  let h: Harness;
  beforeEach(async () => {
    h = await startHarness({ maxBodyBytes: 1024 });
  });
  afterEach(() => h.close());

  const refused = async (p: Promise<import('./proxyHarness').RawResponse>, status: number, pattern: RegExp) => {
    const r = await p;
    assert.equal(r.status, status);
    assert.match(r.json().error!.message!, pattern);
    assert.ok(!r.body.toString().includes(TEST_KEY));
    return r;
  };

  it('refuses a Host that is not the proxy itself (DNS rebinding)', async () => {
    for (const host of [
      'evil.example',
      `evil.example:${h.port}`,
      '127.0.0.1:1',
      `10.0.0.1:${h.port}`,
      `localhost.evil.example:${h.port}`,
    ]) {
      await refused(call(h.port, '/api/v1/chat/completions', { body: chatBody(FREE), host }), 403, /Host not allowed/);
    }
    await refused(call(h.port, '/quota', { host: 'evil.example' }), 403, /Host not allowed/);
    for (const host of [`localhost:${h.port}`, `127.0.0.1:${h.port}`, `[::1]:${h.port}`]) {
      assert.equal((await call(h.port, '/api/v1/chat/completions', { body: chatBody(PAID), host })).status, 200, host);
    }
    assert.equal(h.fake.chats.length, 3);
  });

  it('refuses any request from a web page (Origin)', async () => {
    await refused(
      call(h.port, '/api/v1/chat/completions', { body: chatBody(FREE), headers: { origin: 'https://evil.example' } }),
      403,
      /web pages/,
    );
    await refused(
      call(h.port, '/api/v1/chat/completions', { body: chatBody(FREE), headers: { origin: 'null' } }),
      403,
      /web pages/,
    );
    await refused(call(h.port, '/quota', { headers: { origin: 'http://localhost:3000' } }), 403, /web pages/);
    assert.equal(h.fake.chats.length, 0);
  });

  it("needs the local token: missing or wrong gets a 401 in OpenRouter's envelope", async () => {
    await refused(
      call(h.port, '/api/v1/chat/completions', { body: chatBody(FREE), token: null }),
      401,
      /Missing Authorization/,
    );
    const r = await refused(
      call(h.port, '/api/v1/chat/completions', { body: chatBody(FREE), token: 'orq-wrong' }),
      401,
      /Wrong local proxy token/,
    );
    assert.equal(r.json().error?.code, 401);
    assert.equal(h.fake.chats.length, 0);
  });

  it('answers 413 for a body above the limit, by header or by bytes', async () => {
    await refused(
      call(h.port, '/api/v1/chat/completions', { body: chatBody(FREE, { pad: 'x'.repeat(2000) }) }),
      413,
      /larger than 1024 bytes/,
    );
    assert.equal(h.fake.chats.length, 0);
    assert.equal(h.ledger.countSince(0), 0, 'a refused request is not an attempt');
  });

  it('drops a client that stops sending mid-body, and keeps serving others', async () => {
    await h.close();
    h = await startHarness({ requestTimeoutMs: 300 });
    const net = await import('node:net');
    const sock = net.connect(h.port, '127.0.0.1');
    sock.write(
      `POST /api/v1/chat/completions HTTP/1.1\r\nHost: 127.0.0.1:${h.port}\r\nAuthorization: Bearer ${TOKEN}\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n{"model":`,
    );
    const answer: Buffer[] = [];
    sock.on('data', (c: Buffer) => answer.push(c));
    await once(sock, 'close');
    // Node answers 408 when it can, or just closes the connection once the handler has the request.
    assert.match(Buffer.concat(answer).toString(), /^(HTTP\/1\.1 408|)$|^HTTP\/1\.1 408/);
    assert.equal(h.fake.chats.length, 0);
    assert.equal((await call(h.port, '/api/v1/chat/completions', { body: chatBody(PAID) })).status, 200);
  });

  it('answers 404 outside /api/v1 and /quota', async () => {
    await refused(call(h.port, '/etc/passwd'), 404, /serves \/api\/v1/);
  });
});

describe('MeteringProxy: counting and 429s', () => {
  isolateProxyEnv();
  let h: Harness;
  beforeEach(async () => {
    h = await startHarness();
  });
  afterEach(() => h.close());

  const today = () => Math.floor(Date.now() / 86_400_000) * 86_400_000;

  it('counts free models (:free, openrouter/free, $0-priced) per model, failed attempts included, and not paid ones', async () => {
    const m0 = Math.floor(Date.now() / 60_000);
    h.fake.fail('/chat/completions', { kind: 'status', status: 500 });
    for (const m of [FREE, FREE, 'openrouter/free', 'openrouter/owl-alpha', PAID, 'anthropic/claude-sonnet-4.5']) {
      await call(h.port, '/api/v1/chat/completions', { body: chatBody(m) });
    }
    assert.deepEqual(h.ledger.dayModels(today()), { [FREE]: 2, 'openrouter/free': 1, 'openrouter/owl-alpha': 1 });
    const q = (await call(h.port, '/quota')).json() as unknown as import('../../src/core/account/view').QuotaWire;
    assert.equal(q.day.used, 4);
    // A whole-minute window: if a minute boundary passed during the test, it holds only what came since.
    if (Math.floor(Date.now() / 60_000) === m0) assert.equal(q.minute.used, 4);
    else assert.ok((q.minute.used ?? 0) <= 4);
    assert.equal(q.minute.limit, 20);
    assert.equal(q.day.source, 'local');
    assert.deepEqual(q.queue, { waiting: 0 });
    assert.equal(q.lastRateLimit, null);
    assert.match(q.day.resetsAt, /T00:00:00\.000Z$/);
  });

  it("GET /quota/history gives hourly and daily totals, today's models and recent 429s, newest first", async () => {
    await call(h.port, '/api/v1/chat/completions', { body: chatBody(FREE) });
    h.fake.fail('/chat/completions', { kind: 'status', status: 429, body: bodies.RATE_LIMIT_UPSTREAM });
    await call(h.port, '/api/v1/chat/completions', { body: chatBody('openrouter/free') });
    h.fake.fail('/chat/completions', { kind: 'status', status: 429, body: bodies.RATE_LIMIT_MINUTE });
    await call(h.port, '/api/v1/chat/completions', { body: chatBody(FREE) });
    const r = await call(h.port, '/quota/history');
    assert.equal(r.status, 200);
    const hist = r.json() as unknown as import('../../src/core/proxy/server').ProxyHistory;
    assert.equal(hist.hourly.length, 24);
    assert.equal(hist.daily.length, 30);
    assert.equal(hist.hourly.at(-1)!.count, 3);
    assert.equal(hist.daily.at(-1)!.count, 3);
    assert.equal(
      hist.hourly.reduce((a, b) => a + b.count, 0),
      3,
    );
    assert.deepEqual(hist.models, { [FREE]: 2, 'openrouter/free': 1 });
    assert.deepEqual(
      hist.events.map((e) => [e.kind, e.model]),
      [
        ['per-minute', FREE],
        ['upstream', 'openrouter/free'],
      ],
    );
    assert.equal((await call(h.port, '/quota/history', { token: null, host: 'evil.example' })).status, 403);
  });

  it('daily used is the server count plus what went through since, never below either', async () => {
    await h.close();
    const clock = new FakeClock(Date.now());
    h = await startHarness({ clock });
    await call(h.port, '/api/v1/chat/completions', { body: chatBody(FREE) });
    clock.advance(1000);
    h.observe(30, 50); // a poll of GET /key
    clock.advance(1000);
    await call(h.port, '/api/v1/chat/completions', { body: chatBody(FREE) });
    const q = h.proxy.status();
    assert.equal(q.day.used, 31);
    assert.equal(q.day.limit, 50);
    assert.equal(q.day.remaining, 19);
    assert.equal(q.day.source, 'server');
  });

  const cases: Array<[string, unknown, string, number | undefined]> = [
    ['per-day (a)', bodies.RATE_LIMIT_DAY_A, 'per-day', 50],
    ['per-day (b)', bodies.RATE_LIMIT_DAY_B, 'per-day', 50],
    ['per-day high balance', bodies.RATE_LIMIT_DAY_HIGH_BALANCE, 'per-day', 1000],
    ['per-day stealth', bodies.RATE_LIMIT_DAY_STEALTH, 'per-day', 1000],
    ['per-minute', bodies.RATE_LIMIT_MINUTE, 'per-minute', 20],
    ['per-minute 16', bodies.RATE_LIMIT_MINUTE_16, 'per-minute', 16],
    ['upstream', bodies.RATE_LIMIT_UPSTREAM, 'upstream', undefined],
    ['upstream pool', bodies.RATE_LIMIT_UPSTREAM_POOL, 'upstream', undefined],
    ['capacity', bodies.RATE_LIMIT_CAPACITY, 'upstream', undefined],
    ['generic', bodies.RATE_LIMIT_GENERIC, 'unknown', undefined],
  ];
  for (const [name, body, kind, limit] of cases) {
    it(`classifies a ${name} 429 and passes it on unchanged`, async () => {
      h.fake.fail('/chat/completions', { kind: 'status', status: 429, body });
      const r = await call(h.port, '/api/v1/chat/completions', { body: chatBody(FREE) });
      assert.equal(r.status, 429);
      assert.deepEqual(r.json(), body);
      assert.equal(h.account.events[0]?.kind, kind);
      assert.equal(h.account.events[0]?.limit, limit);
      assert.equal(h.ledger.countSince(0), 1, 'the failed attempt counts');
    });
  }

  it('passes a 429 over 1 MB on whole, learning from its headers', async () => {
    const reset = Math.floor(Date.now() / 60_000) * 60_000 + 60_000;
    const big = JSON.stringify({
      error: { code: 429, message: 'Rate limit exceeded: free-models-per-min. ' + 'x'.repeat(1_200_000) },
    });
    h.fake.onChat = ({ res }) => {
      res.writeHead(429, {
        'content-type': 'application/json',
        'content-length': Buffer.byteLength(big),
        'X-RateLimit-Limit': '20',
        'X-RateLimit-Remaining': '0',
        'X-RateLimit-Reset': String(reset),
      });
      res.end(big);
      return true;
    };
    const r = await call(h.port, '/api/v1/chat/completions', { body: chatBody(FREE) });
    assert.equal(r.status, 429);
    assert.equal(r.body.toString(), big);
    assert.ok(h.account.events[0], 'a 429 event was recorded');
    assert.equal(h.account.events[0]?.resetsAt, reset);
  });

  it('learns the per-minute ceiling from a 429 (16, not 20)', async () => {
    h.fake.fail('/chat/completions', { kind: 'status', status: 429, body: bodies.RATE_LIMIT_MINUTE_16 });
    await call(h.port, '/api/v1/chat/completions', { body: chatBody(FREE) });
    assert.equal(h.proxy.status().minute.limit, 16);
    assert.equal(h.proxy.status().minute.limitSource, 'learned');
  });

  it('after a per-day 429 it answers free requests itself until the reset, without spending attempts; paid ones pass', async () => {
    const reset = Math.floor(Date.now() / 86_400_000) * 86_400_000 + 86_400_000;
    h.fake.fail('/chat/completions', {
      kind: 'status',
      status: 429,
      body: bodies.RATE_LIMIT_DAY_B,
      headers: { 'X-RateLimit-Reset': String(reset), 'X-RateLimit-Limit': '50', 'X-RateLimit-Remaining': '0' },
    });
    await call(h.port, '/api/v1/chat/completions', { body: chatBody(FREE) });
    const before = h.fake.chats.length;
    const r = await call(h.port, '/api/v1/chat/completions', { body: chatBody(FREE) });
    assert.equal(r.status, 429);
    assert.match(r.json().error!.message!, /^Rate limit exceeded: free-models-per-day\./);
    assert.equal(r.headers['x-ratelimit-reset'], String(reset));
    assert.equal(r.headers['x-ratelimit-remaining'], '0');
    assert.equal(h.fake.chats.length, before, 'not forwarded');
    assert.equal(h.ledger.countSince(0), 1, 'not counted');
    assert.equal((await call(h.port, '/api/v1/chat/completions', { body: chatBody(PAID) })).status, 200);
  });

  it('learns from a 429 that arrives as the last SSE event of a 200 stream', async () => {
    h.fake.onChat = ({ res }) => {
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      res.write('data: {"choices":[{"delta":{"content":"partial"}}]}\n\n');
      const ev = {
        id: 'gen-abc123',
        object: 'chat.completion.chunk',
        error: {
          code: 429,
          message: 'Rate limit exceeded: free-models-per-min. ',
          metadata: {
            headers: {
              'X-RateLimit-Limit': '20',
              'X-RateLimit-Remaining': '0',
              'X-RateLimit-Reset': String(Math.floor(Date.now() / 60000) * 60000 + 60000),
            },
          },
        },
        choices: [{ index: 0, delta: { content: '' }, finish_reason: 'error' }],
      };
      // Split the event across writes, as TCP may.
      const line = `data: ${JSON.stringify(ev)}\n\n`;
      res.write(line.slice(0, 40));
      res.end(line.slice(40));
      return true;
    };
    const r = await call(h.port, '/api/v1/chat/completions', { body: chatBody(FREE, { stream: true }) });
    assert.equal(r.status, 200);
    assert.equal(h.account.events[0]?.kind, 'per-minute');
  });

  it('learns from an error inside a 200 JSON body', async () => {
    h.fake.onChat = ({ res }) => {
      const text = JSON.stringify(bodies.ERROR_IN_200);
      res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
      res.end(text);
      return true;
    };
    await call(h.port, '/api/v1/chat/completions', { body: chatBody(FREE) });
    assert.equal(h.account.events[0]?.kind, 'upstream');
  });
});
