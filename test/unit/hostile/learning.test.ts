// Hostile 429s (fast-check): whatever X-RateLimit-Reset, X-RateLimit-Limit and Retry-After say, in headers or
// in error.metadata.headers, with whatever message or limit_source, one or several in a row, what the proxy
// learns stays sane (issue 12, finding 6): a per-minute block ends by the end of its window plus the margin,
// a per-day block by the next 00:00 UTC, a learned limit is within its plausible range (limits.ts), and the
// answers built from it (GET /quota) stay small. Driven through the real path: rateLimitOfAnswer, then
// learnRateLimit into a real AccountModel and MinutePacer on a fake clock.
import * as assert from 'node:assert/strict';
import fc from 'fast-check';
import { MINUTE_BLOCK_MARGIN_MS, PLAUSIBLE_PER_DAY, PLAUSIBLE_PER_MINUTE } from '../../../src/core/account/limits';
import { AccountModel } from '../../../src/core/account/model';
import { toWire } from '../../../src/core/account/view';
import { learnRateLimit, rateLimitOfAnswer } from '../../../src/core/proxy/learning';
import { MinutePacer } from '../../../src/core/proxy/pacer';
import { DEFAULT_SETTINGS } from '../../../src/core/quota';
import { DAY, MINUTE } from '../../../src/shared/time';
import { FakeClock } from '../../fixtures/fakeClock';
import { nastyString, numberText } from './arbitraries';

const RUNS = { numRuns: 400 };

/** A time to be "now": any millisecond from 2020 to 2040 (minute and day boundaries included on purpose). */
const nowArb = fc.oneof(
  fc.integer({ min: Date.UTC(2020, 0, 1), max: Date.UTC(2040, 0, 1) }),
  fc
    .integer({ min: Date.UTC(2020, 0, 1) / DAY, max: Date.UTC(2040, 0, 1) / DAY })
    .chain((d) => fc.constantFrom(d * DAY, d * DAY - 1, d * DAY + MINUTE - 1, d * DAY - MINUTE)),
);

/** A reset as OpenRouter might (or never would) send it, relative to `now`. */
const resetArb = (now: number): fc.Arbitrary<string> =>
  fc.oneof(
    numberText,
    nastyString,
    fc.constantFrom(
      String(now + 10 * 365 * DAY), // ten years ahead, in ms
      String(Math.floor((now + 10 * 365 * DAY) / 1000)), // in seconds
      String(now + 5 * 365 * DAY),
      String(Math.floor(now / MINUTE) * MINUTE + MINUTE), // the real thing: the next minute
      String(Math.floor(now / DAY) * DAY + DAY), // the real thing: the next midnight
      String(now - 1),
      '0',
      '-1',
      '31999999', // seconds from now, just under a year
      '8.64e15',
    ),
    fc.integer({ min: -10 * DAY, max: 20 * 365 * DAY }).map((d) => String(now + d)),
  );

const limitArb = fc.oneof(
  numberText,
  nastyString,
  fc.constantFrom('1', '0', '-5', '9', '10', '16', '20', '50', '1000', '1001', '10000', '10001', '1e9', '2.5'),
);

const messageArb = fc.oneof(
  fc.constantFrom(
    'Rate limit exceeded: free-models-per-min. ',
    'Rate limit exceeded: free-models-per-day. Add 10 credits to unlock 1000 free model requests per day',
    'Rate limit exceeded: free-models-per-day-high-balance. ',
    'Provider returned error',
    'Rate limit exceeded',
    '',
  ),
  nastyString,
);

/** One 429: its message, limit_source, and where the X-RateLimit-* values travel (headers, body, or both). */
const answerArb = (now: number) =>
  fc.record({
    message: messageArb,
    source: fc.option(
      fc.constantFrom(
        'openrouter_per_model_minute',
        'openrouter_free_tier_daily',
        'upstream_provider_shared_pool',
        'x',
      ),
      { nil: undefined },
    ),
    reset: fc.option(resetArb(now), { nil: undefined }),
    limit: fc.option(limitArb, { nil: undefined }),
    retryAfter: fc.option(fc.oneof(numberText, nastyString), { nil: undefined }),
    where: fc.constantFrom('headers', 'body', 'both'),
    model: fc.oneof(fc.constantFrom('m:free', 'openai/gpt-4.1', undefined), nastyString),
  });

type Answer = {
  message: string;
  source?: string;
  reset?: string;
  limit?: string;
  retryAfter?: string;
  where: string;
  model?: string;
};

function asResponse(a: Answer): { body: Buffer; headers: Record<string, string> } {
  const h: Record<string, string> = {};
  if (a.reset !== undefined) h['X-RateLimit-Reset'] = a.reset;
  if (a.limit !== undefined) h['X-RateLimit-Limit'] = a.limit;
  if (a.retryAfter !== undefined) h['Retry-After'] = a.retryAfter;
  const metadata: Record<string, unknown> = a.where === 'headers' ? {} : { headers: h };
  if (a.source !== undefined) metadata.limit_source = a.source;
  const body = Buffer.from(JSON.stringify({ error: { code: 429, message: a.message, metadata } }));
  return { body, headers: a.where === 'body' ? {} : h };
}

describe('hostile input: what the proxy learns from 429s (fast-check)', () => {
  it('whatever the reset and limit, blocks end within their window and learned limits are plausible', async () => {
    await fc.assert(
      fc.asyncProperty(
        nowArb.chain((now) =>
          fc.tuple(
            fc.constant(now),
            fc.array(fc.tuple(answerArb(now), fc.nat({ max: 90_000 })), { minLength: 1, maxLength: 4 }),
          ),
        ),
        async ([start, answers]) => {
          const clock = new FakeClock(start);
          const account = new AccountModel({ clock, settings: () => DEFAULT_SETTINGS });
          const pacer = new MinutePacer({
            clock,
            mode: () => 'reject',
            limit: () => account.minuteLimit(),
            used: () => 0,
            admit: () => undefined,
            maxQueue: 8,
            maxWaitMs: () => 0,
          });
          let latestMinuteEnd = 0;
          let latestDayEnd = 0;
          for (const [a, later] of answers) {
            const now = clock.now();
            const { body, headers } = asResponse(a);
            const info = rateLimitOfAnswer(body, headers, now);
            const line = learnRateLimit(info, a.model, now, { account, pacer });
            assert.equal(typeof line, 'string');
            const windowEnd = Math.floor(now / MINUTE) * MINUTE + MINUTE;
            const midnight = Math.floor(now / DAY) * DAY + DAY;
            if (info.kind === 'per-minute')
              latestMinuteEnd = Math.max(latestMinuteEnd, windowEnd + MINUTE_BLOCK_MARGIN_MS);
            if (info.kind === 'per-day') latestDayEnd = Math.max(latestDayEnd, midnight);

            // A day's block ends by the next 00:00 UTC (no meter: dayExhausted is the block alone).
            const dayEnd = account.dayExhausted(now);
            if (dayEnd !== undefined)
              assert.ok(dayEnd <= latestDayEnd, `day blocked until ${new Date(dayEnd).toISOString()}`);
            assert.equal(account.dayExhausted(Math.max(latestDayEnd, midnight)), undefined, 'no block past midnight');

            const limit = account.minuteLimit();
            assert.ok(
              limit === 20 ||
                (Number.isInteger(limit) && limit >= PLAUSIBLE_PER_MINUTE[0] && limit <= PLAUSIBLE_PER_MINUTE[1]),
              `minute limit ${limit}`,
            );
            const view = account.view(now);
            assert.ok(
              view.day.limit === null ||
                (view.day.limit >= PLAUSIBLE_PER_DAY[0] && view.day.limit <= PLAUSIBLE_PER_DAY[1]),
              `day limit ${view.day.limit}`,
            );
            assert.ok(JSON.stringify(toWire(view)).length < 2048, 'GET /quota stays small');
            clock.advance(later);
          }
          // Once the last minute block is over, the pacer admits free requests again ('reject': at once or never).
          clock.advanceTo(Math.max(clock.now(), latestMinuteEnd));
          const admitted = await pacer.acquire();
          assert.equal(admitted.ok, true, `refused at ${new Date(clock.now()).toISOString()}`);
        },
      ),
      RUNS,
    );
  });
});
