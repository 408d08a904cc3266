// Pacing through the real proxy, driven by a fake clock: in queue mode no minute window ever forwards more
// than the limit; reject mode answers 429 at once; waits end at maxWait; a client that gives up leaves.
import * as assert from 'node:assert/strict';
import * as http from 'node:http';
import { FakeClock } from '../fixtures/fakeClock';
import { isolateProxyEnv } from './helpers';
import { call, chatBody, FREE, type Harness, PAID, type RawResponse, startHarness, TOKEN } from './proxyHarness';

/** Let real sockets make progress until `cond` holds (a bounded wait on a condition, not a sleep). */
async function until(cond: () => boolean, what: string, detail?: () => string, turns = 20_000): Promise<void> {
  for (let i = 0; i < turns; i++) {
    if (cond()) return;
    await new Promise((r) => setImmediate(r));
  }
  assert.fail(`never happened: ${what}${detail ? ` (${detail()})` : ''}`);
}

describe('MeteringProxy: pacing (fake clock)', () => {
  isolateProxyEnv();
  let h: Harness;
  let clock: FakeClock;
  beforeEach(async () => {
    // 45 s into a minute: the next window opens in 15 s, within the default 30 s wait.
    clock = new FakeClock(Date.UTC(2026, 10, 29, 12, 0, 45));
    h = await startHarness({ clock, perMinute: 3 });
  });
  afterEach(() => h.close());

  const windowOf = (t: number) => Math.floor(t / 60_000) * 60_000;

  it('queue: holds what does not fit, releases it when the next minute opens, never more than the limit per window', async () => {
    h.settings.maxWait = 120;
    const replies: Promise<RawResponse>[] = [];
    for (let i = 0; i < 8; i++) replies.push(call(h.port, '/api/v1/chat/completions', { body: chatBody(FREE) }));
    await until(
      () => h.fake.chats.length === 3 && h.proxy.pacer.waiting === 5,
      '3 forwarded, 5 waiting',
      () => `chats ${h.fake.chats.length}, waiting ${h.proxy.pacer.waiting}`,
    );
    assert.equal(h.ledger.minuteCount(windowOf(clock.now())), 3);
    assert.equal(h.proxy.status().queue.waiting, 5);

    await clock.advanceToAsync(windowOf(clock.now()) + 60_000);
    await until(() => h.fake.chats.length === 6, 'next 3 forwarded');
    assert.equal(h.proxy.pacer.waiting, 2);
    assert.equal(h.ledger.minuteCount(windowOf(clock.now())), 3);

    await clock.advanceToAsync(windowOf(clock.now()) + 60_000);
    const all = await Promise.all(replies);
    assert.ok(all.every((r) => r.status === 200));
    assert.equal(h.fake.chats.length, 8);
    assert.equal(h.ledger.minuteCount(windowOf(clock.now())), 2);
    assert.equal(h.ledger.countSince(0), 8);
  });

  it("queue: a request that cannot get in within maxWaitSeconds gets a per-minute 429 at once, in OpenRouter's format", async () => {
    h.settings.maxWait = 5; // the next window is 15 s away
    for (let i = 0; i < 3; i++) await call(h.port, '/api/v1/chat/completions', { body: chatBody(FREE) });
    const r = await call(h.port, '/api/v1/chat/completions', { body: chatBody(FREE) });
    assert.equal(r.status, 429);
    assert.match(r.json().error!.message!, /^Rate limit exceeded: free-models-per-min\./);
    assert.equal(r.headers['x-ratelimit-limit'], '3');
    assert.equal(r.headers['x-ratelimit-remaining'], '0');
    assert.equal(Number(r.headers['x-ratelimit-reset']), windowOf(clock.now()) + 60_000);
    assert.equal(r.headers['retry-after'], '15');
    assert.equal(h.proxy.pacer.waiting, 0);
    assert.equal(h.fake.chats.length, 3);
  });

  it('reject: answers 429 at once when the window is full; paid models are never held', async () => {
    h.settings.pacing = 'reject';
    for (let i = 0; i < 3; i++)
      assert.equal((await call(h.port, '/api/v1/chat/completions', { body: chatBody(FREE) })).status, 200);
    const r = await call(h.port, '/api/v1/chat/completions', { body: chatBody(FREE) });
    assert.equal(r.status, 429);
    assert.equal(h.proxy.pacer.waiting, 0);
    for (let i = 0; i < 5; i++)
      assert.equal((await call(h.port, '/api/v1/chat/completions', { body: chatBody(PAID) })).status, 200);
    assert.equal(h.fake.chats.length, 8);
  });

  it('off: only counts', async () => {
    h.settings.pacing = 'off';
    for (let i = 0; i < 6; i++)
      assert.equal((await call(h.port, '/api/v1/chat/completions', { body: chatBody(FREE) })).status, 200);
    assert.equal(h.ledger.minuteCount(windowOf(clock.now())), 6);
  });

  it('a client that gives up while held leaves the queue and is not counted', async () => {
    for (let i = 0; i < 3; i++) await call(h.port, '/api/v1/chat/completions', { body: chatBody(FREE) });
    const req = http.request({
      host: '127.0.0.1',
      port: h.port,
      path: '/api/v1/chat/completions',
      method: 'POST',
      headers: { host: `127.0.0.1:${h.port}`, authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' },
    });
    req.on('error', () => undefined);
    req.end(chatBody(FREE));
    await until(() => h.proxy.pacer.waiting === 1, 'held');
    req.destroy();
    await until(() => h.proxy.pacer.waiting === 0, 'left the queue');
    await clock.advanceAsync(60_000);
    assert.equal(h.fake.chats.length, 3);
    assert.equal(h.ledger.countSince(0), 3);
  });

  it('a per-minute 429 from upstream (another tool used the minute) holds the rest of the window', async () => {
    h.fake.fail('/chat/completions', {
      kind: 'status',
      status: 429,
      body: {
        error: {
          code: 429,
          message: 'Rate limit exceeded: free-models-per-min. ',
          metadata: {
            headers: {
              'X-RateLimit-Limit': '3',
              'X-RateLimit-Remaining': '0',
              'X-RateLimit-Reset': String(windowOf(clock.now()) + 60_000),
            },
          },
        },
      },
    });
    assert.equal((await call(h.port, '/api/v1/chat/completions', { body: chatBody(FREE) })).status, 429);
    const held = call(h.port, '/api/v1/chat/completions', { body: chatBody(FREE) });
    await until(() => h.proxy.pacer.waiting === 1, 'held after the 429');
    assert.equal(h.fake.count('/chat/completions'), 1, 'only the first reached upstream');
    await clock.advanceToAsync(windowOf(clock.now()) + 60_000);
    assert.equal((await held).status, 200);
  });
});
