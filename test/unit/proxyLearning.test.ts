// What the proxy learns from OpenRouter's 429s, when the answer is absurd (issue 12, finding 6): a reset ten
// years ahead, a limit of 1. Through the real proxy host and the fake OpenRouter on a fake clock: a block
// ends with its window (a minute's by its end plus 2 s, a day's by 00:00 UTC), an implausible limit is not
// learned, and after a per-day 429 GET /quota says the day is spent, as the proxy acts.
import * as assert from 'node:assert/strict';
import type { QuotaWire } from '../../src/core/account/view';
import { MINUTE_BLOCK_MARGIN_MS } from '../../src/core/account/limits';
import { DAY, MINUTE } from '../../src/shared/time';
import { FakeClock } from '../fixtures/fakeClock';
import { isolateProxyEnv, MemoryLogger } from './helpers';
import { call, chatBody, FREE, type Harness, PAID, startHarness } from './proxyHarness';

const YEAR = 365 * DAY;

function rateLimit429(message: string, headers: Record<string, string>) {
  return {
    kind: 'status' as const,
    status: 429,
    body: { error: { code: 429, message, metadata: { headers } } },
    headers,
  };
}

describe('MeteringProxy: learning from absurd 429s (fake clock)', () => {
  isolateProxyEnv();
  let h: Harness;
  let clock: FakeClock;
  let log: MemoryLogger;
  beforeEach(async () => {
    // 45 s into a minute, 12 h before midnight.
    clock = new FakeClock(Date.UTC(2026, 10, 29, 12, 0, 45));
    log = new MemoryLogger();
    h = await startHarness({ clock, pacing: 'reject', log });
  });
  afterEach(() => h.close());

  const windowEnd = () => Math.floor(clock.now() / MINUTE) * MINUTE + MINUTE;
  const midnight = () => Math.floor(clock.now() / DAY) * DAY + DAY;
  const free = () => call(h.port, '/api/v1/chat/completions', { body: chatBody(FREE) });
  const quota = async () => (await call(h.port, '/quota')).json() as unknown as QuotaWire;

  it('a per-minute 429 on a paid request, reset ten years ahead, limit 1: blocks free requests to the end of the minute only, and the limit stays 20', async () => {
    const end = windowEnd();
    h.fake.fail(
      '/chat/completions',
      rateLimit429('Rate limit exceeded: free-models-per-min. ', {
        'X-RateLimit-Limit': '1',
        'X-RateLimit-Remaining': '0',
        'X-RateLimit-Reset': String(clock.now() + 10 * YEAR),
      }),
    );
    assert.equal((await call(h.port, '/api/v1/chat/completions', { body: chatBody(PAID) })).status, 429);

    const inside = await free();
    assert.equal(inside.status, 429, 'the rest of this minute is blocked');
    assert.ok(
      Number(inside.headers['x-ratelimit-reset']) <= end + MINUTE_BLOCK_MARGIN_MS,
      `reset ${inside.headers['x-ratelimit-reset']}`,
    );
    assert.equal(h.fake.count('/chat/completions'), 1, 'not forwarded');
    assert.ok(
      log.at('info').some((l) => /limit 1 ignored/.test(l)),
      log.at('info').join('\n'),
    );

    await clock.advanceToAsync(end + MINUTE_BLOCK_MARGIN_MS);
    // Three in one minute: with a learned limit of 1 the second would be refused ('reject' pacing).
    for (let i = 0; i < 3; i++) assert.equal((await free()).status, 200, `free request ${i + 1} after the window`);
    const q = await quota();
    assert.equal(q.minute.limit, 20);
    assert.equal(q.minute.limitSource, 'default');
    assert.ok(
      Date.parse(q.lastRateLimit!.resetsAt!) <= end + MINUTE_BLOCK_MARGIN_MS,
      'the event shows the reset acted on',
    );
  });

  it('a per-minute 429 known only by its limit_source, reset in seconds ten years ahead: the same', async () => {
    const end = windowEnd();
    h.fake.fail('/chat/completions', {
      kind: 'status',
      status: 429,
      body: {
        error: {
          code: 429,
          message: 'Slow down',
          metadata: {
            limit_source: 'openrouter_per_model_minute',
            headers: {
              'X-RateLimit-Limit': '1',
              'X-RateLimit-Reset': String(Math.floor((clock.now() + 10 * YEAR) / 1000)),
            },
          },
        },
      },
    });
    assert.equal((await free()).status, 429);
    await clock.advanceToAsync(end + MINUTE_BLOCK_MARGIN_MS);
    for (let i = 0; i < 3; i++) assert.equal((await free()).status, 200);
    assert.equal((await quota()).minute.limit, 20);
  });

  it('a per-minute 429 with a plausible limit (16) is still learned', async () => {
    h.fake.fail(
      '/chat/completions',
      rateLimit429('Rate limit exceeded: free-models-per-min. ', {
        'X-RateLimit-Limit': '16',
        'X-RateLimit-Reset': String(windowEnd()),
      }),
    );
    await free();
    const q = await quota();
    assert.equal(q.minute.limit, 16);
    assert.equal(q.minute.limitSource, 'learned');
  });

  it('a per-day 429 with a reset five years ahead blocks free requests until 00:00 UTC, not past it', async () => {
    const reset = midnight();
    h.fake.fail(
      '/chat/completions',
      rateLimit429(
        'Rate limit exceeded: free-models-per-day. Add 10 credits to unlock 1000 free model requests per day',
        {
          'X-RateLimit-Limit': '50',
          'X-RateLimit-Remaining': '0',
          'X-RateLimit-Reset': String(clock.now() + 5 * YEAR),
        },
      ),
    );
    assert.equal((await free()).status, 429);
    const refused = await free();
    assert.equal(refused.status, 429);
    assert.match(refused.json().error!.message!, /free-models-per-day/);
    assert.equal(Number(refused.headers['x-ratelimit-reset']), reset, 'the proxy says it resets at midnight');
    assert.equal(h.fake.count('/chat/completions'), 1);

    await clock.advanceToAsync(reset - 1);
    assert.equal((await free()).status, 429, 'still the same day');
    await clock.advanceToAsync(reset);
    assert.equal((await free()).status, 200, 'a new day');
    const q = await quota();
    assert.equal(q.day.used, 1);
    assert.equal(q.day.limit, 50);
  });

  it('after a per-day 429, GET /quota says the day is spent (not "0 used, 50 left") while the proxy refuses', async () => {
    h.observe(0, 50); // a poll of GET /key: 0 used of 50
    h.fake.fail(
      '/chat/completions',
      rateLimit429('Rate limit exceeded: free-models-per-day. ', {
        'X-RateLimit-Limit': '50',
        'X-RateLimit-Remaining': '0',
        'X-RateLimit-Reset': String(midnight()),
      }),
    );
    assert.equal((await free()).status, 429);
    assert.equal((await free()).status, 429, 'refused by the proxy');
    const q = await quota();
    assert.equal(q.day.used, 50);
    assert.equal(q.day.remaining, 0);
    assert.equal(q.day.level, 'limit');
    assert.equal(q.day.resetsAt, new Date(midnight()).toISOString());
  });

  it('a per-day 429 whose limit is not believed (1): no limit learned, yet GET /quota shows the day at its limit', async () => {
    h.fake.fail(
      '/chat/completions',
      rateLimit429('Rate limit exceeded: free-models-per-day. ', {
        'X-RateLimit-Limit': '1',
        'X-RateLimit-Reset': String(clock.now() + 5 * YEAR),
      }),
    );
    await free();
    assert.equal((await free()).status, 429);
    const q = await quota();
    assert.equal(q.day.limit, null, 'a limit of 1 a day is not learned');
    assert.equal(q.day.level, 'limit');
    await clock.advanceToAsync(midnight());
    assert.equal((await free()).status, 200);
    assert.equal((await quota()).day.level, 'none', 'and no limit of 1 tomorrow');
  });
});
