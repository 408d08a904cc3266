// buildSnapshot: the daily tier and limit, overrides, severity, the UTC day boundary, the per-minute
// estimate, staleness and error snapshots.
import * as assert from 'node:assert/strict';
import { levelOf } from '../../src/core/account/limits';
import {
  buildSnapshot,
  DEFAULT_SETTINGS,
  noKeySnapshot,
  type Observation,
  type QuotaSettings,
} from '../../src/core/quota';
import { parseKeyInfo } from '../../src/core/responses';
import { DAY, MINUTE } from '../../src/shared/time';
import * as B from '../fixtures/openRouterBodies';
import { keyInfo, observation } from './helpers';

/** 2026-10-01 18:48:00 UTC: the daily reset is 5 h 12 min away. */
const NOW = Date.UTC(2026, 9, 1, 18, 48, 0);
const MIDNIGHT = Date.UTC(2026, 9, 2);
const S = DEFAULT_SETTINGS;
const settings = (over: Partial<QuotaSettings>): QuotaSettings => ({ ...S, ...over });
const credits = (totalCredits: number, totalUsage = 0): Observation['balance'] => ({
  kind: 'known',
  credits: { totalCredits, totalUsage },
});

describe('buildSnapshot: the daily quota', () => {
  it('shows the server counter: used, limit, remaining, next UTC midnight', () => {
    const s = buildSnapshot(observation(NOW), undefined, S, NOW);
    assert.equal(s.status, 'ok');
    assert.deepEqual(
      {
        used: s.day?.used,
        limit: s.day?.limit,
        remaining: s.day?.remaining,
        resetsAt: s.day?.resetsAt,
        source: s.day?.source,
        limitSource: s.day?.limitSource,
        tier: s.day?.tier,
        candidates: s.day?.candidates,
      },
      {
        used: 12,
        limit: 50,
        remaining: 38,
        resetsAt: MIDNIGHT,
        source: 'server',
        limitSource: 'server',
        tier: 'base',
        candidates: [50],
      },
    );
    assert.equal(s.severity, 'normal');
    assert.equal(s.stale, false);
  });

  it('takes the tier from free_model_daily_requests.limit, not from is_free_tier', () => {
    const funded = observation(NOW, {
      key: keyInfo({ isFreeTier: true, freeDaily: { used: 3, limit: 1000, remaining: 997 } }),
    });
    const s1 = buildSnapshot(funded, undefined, S, NOW);
    assert.deepEqual([s1.day?.tier, s1.day?.limit, s1.day?.limitSource], ['funded', 1000, 'server']);
    const base = observation(NOW, {
      key: keyInfo({ isFreeTier: false, freeDaily: { used: 3, limit: 50, remaining: 47 } }),
      balance: credits(100),
    });
    const s2 = buildSnapshot(base, undefined, S, NOW);
    assert.deepEqual(
      [s2.day?.tier, s2.day?.limit],
      ['base', 50],
      'the server limit beats both is_free_tier and /credits',
    );
  });

  it('without the counter: is_free_tier true → 50 a day, count unknown (null, not 0)', () => {
    const s = buildSnapshot(observation(NOW, {}, null), undefined, S, NOW);
    assert.deepEqual(
      [s.day?.used, s.day?.limit, s.day?.remaining, s.day?.tier, s.day?.limitSource, s.day?.source],
      [null, 50, null, 'base', 'tier', 'none'],
    );
  });

  it('without the counter: credits bought ≥ 10 → 1000, under 10 → 50', () => {
    const notFree = (c: number) =>
      observation(NOW, { key: keyInfo({ isFreeTier: false, freeDaily: null }), balance: credits(c, 3) }, null);
    assert.deepEqual(
      [
        buildSnapshot(notFree(10), undefined, S, NOW).day?.limit,
        buildSnapshot(notFree(10), undefined, S, NOW).day?.tier,
      ],
      [1000, 'funded'],
    );
    assert.deepEqual(
      [
        buildSnapshot(notFree(9.99), undefined, S, NOW).day?.limit,
        buildSnapshot(notFree(9.99), undefined, S, NOW).day?.tier,
      ],
      [50, 'base'],
    );
    const unknownFlag = observation(
      NOW,
      { key: keyInfo({ isFreeTier: null, freeDaily: null }), balance: credits(25) },
      null,
    );
    assert.equal(buildSnapshot(unknownFlag, undefined, S, NOW).day?.limit, 1000);
  });

  it('without the counter or credits: limit unknown, candidates [50, 1000]', () => {
    for (const isFreeTier of [false, null]) {
      const s = buildSnapshot(
        observation(NOW, { key: keyInfo({ isFreeTier, freeDaily: null }) }, null),
        undefined,
        S,
        NOW,
      );
      assert.deepEqual(
        [s.day?.limit, s.day?.candidates, s.day?.tier, s.day?.limitSource],
        [null, [50, 1000], 'unknown', 'none'],
      );
      assert.match(s.day?.tierReason ?? '', /50 .* or 1000/);
      assert.equal(s.severity, 'normal');
    }
  });

  it('settings.perDay overrides the limit (and remaining follows it)', () => {
    const s = buildSnapshot(observation(NOW), undefined, settings({ perDay: 200 }), NOW);
    assert.deepEqual([s.day?.limit, s.day?.remaining, s.day?.limitSource, s.day?.tier], [200, 188, 'setting', 'base']);
    assert.match(s.day?.tierReason ?? '', /settings/);
    const unknown = buildSnapshot(
      observation(NOW, { key: keyInfo({ isFreeTier: false, freeDaily: null }) }, null),
      undefined,
      settings({ perDay: 1000 }),
      NOW,
    );
    assert.deepEqual([unknown.day?.limit, unknown.day?.candidates], [1000, [1000]]);
  });

  it('the recorded 60/50 reading: remaining 0, critical', () => {
    const obs: Observation = {
      fetchedAt: NOW,
      key: parseKeyInfo(B.KEY_USED_OVER_LIMIT),
      balance: { kind: 'unavailable', reason: 'needs-management-key' },
    };
    const s = buildSnapshot(obs, undefined, S, NOW);
    assert.deepEqual([s.day?.used, s.day?.limit, s.day?.remaining, s.severity], [60, 50, 0, 'critical']);
  });
});

describe('buildSnapshot: the UTC day boundary', () => {
  it("after 00:00 UTC yesterday's count is not shown (null), and the reset moves to the next midnight", () => {
    const obs = observation(MIDNIGHT - 30_000, {}, { used: 49, limit: 50 });
    const before = buildSnapshot(obs, undefined, S, MIDNIGHT - 1);
    assert.deepEqual([before.day?.used, before.day?.resetsAt, before.severity], [49, MIDNIGHT, 'critical']);
    const after = buildSnapshot(obs, undefined, S, MIDNIGHT + 10_000);
    assert.deepEqual(
      [after.day?.used, after.day?.remaining, after.day?.source, after.day?.resetsAt],
      [null, null, 'none', MIDNIGHT + DAY],
    );
    assert.equal(after.day?.limit, 50, 'the limit still applies');
    assert.equal(after.severity, 'normal', 'an old count must not colour the new day');
  });

  it('exactly at midnight the new day has begun', () => {
    const s = buildSnapshot(observation(MIDNIGHT - 1), undefined, S, MIDNIGHT);
    assert.equal(s.day?.used, null);
    const fresh = buildSnapshot(observation(MIDNIGHT), undefined, S, MIDNIGHT + 5_000);
    assert.equal(fresh.day?.used, 12);
  });
});

describe('buildSnapshot: severity', () => {
  const at = (used: number, limit = 50, st: QuotaSettings = S) =>
    buildSnapshot(observation(NOW, {}, { used, limit }), undefined, st, NOW).severity;

  it('0.8 is warning, 0.95 is critical', () => {
    assert.equal(at(39), 'normal');
    assert.equal(at(40), 'warning');
    assert.equal(at(47), 'warning');
    assert.equal(at(48), 'critical');
    assert.equal(at(799, 1000), 'normal');
    assert.equal(at(800, 1000), 'warning');
    assert.equal(at(950, 1000), 'critical');
  });

  it('at the limit is critical whatever the thresholds say', () => {
    const lax = settings({ warning: 1.5, critical: 2 });
    assert.equal(at(49, 50, lax), 'normal');
    assert.equal(at(50, 50, lax), 'critical');
    assert.equal(at(60, 50, lax), 'critical');
  });

  it('follows custom thresholds', () => {
    const strict = settings({ warning: 0.5, critical: 0.7 });
    assert.equal(at(24, 50, strict), 'normal');
    assert.equal(at(25, 50, strict), 'warning');
    assert.equal(at(35, 50, strict), 'critical');
  });

  it('a negative balance is a warning, but does not hide a critical day', () => {
    const neg = (used: number) =>
      buildSnapshot(observation(NOW, { balance: credits(5, 6) }, { used, limit: 50 }), undefined, S, NOW).severity;
    assert.equal(neg(1), 'warning');
    assert.equal(neg(49), 'critical');
    assert.equal(
      buildSnapshot(observation(NOW, { balance: credits(5, 5) }), undefined, S, NOW).severity,
      'normal',
      'zero is not negative',
    );
  });

  it('the per-minute estimate counts too', () => {
    const obs = observation(NOW, { previous: { used: 11, at: NOW - MINUTE } }, { used: 30, limit: 1000 });
    const s = buildSnapshot(obs, undefined, S, NOW);
    assert.deepEqual(
      [s.minute?.used, s.minute?.limit, s.severity],
      [19, 20, 'critical'],
      'the day is far from its limit; this minute is not',
    );
  });

  it('levelOf is none when either number is unknown or the limit is not positive', () => {
    assert.equal(levelOf(null, 50, S), 'none');
    assert.equal(levelOf(50, null, S), 'none');
    assert.equal(levelOf(5, 0, S), 'none');
    assert.deepEqual(
      [39, 40, 47, 48, 50, 60].map((u) => levelOf(u, 50, S)),
      ['none', 'warning', 'warning', 'critical', 'limit', 'limit'],
    );
  });
});

describe('the minute without a proxy: an estimate from two polls', () => {
  const withPrev = (prevUsed: number, dtMs: number, used = 12, at = NOW) =>
    observation(at, { previous: { used: prevUsed, at: at - dtMs } }, { used, limit: 50 });
  /** This minute's figure at the time of the poll. */
  const estimatePerMinute = (obs: Observation) => buildSnapshot(obs, undefined, S, obs.fetchedAt).minute?.used ?? null;

  it('scales the growth of the daily count between polls to one minute', () => {
    assert.equal(estimatePerMinute(withPrev(9, 60_000)), 3);
    assert.equal(estimatePerMinute(withPrev(10, 30_000)), 4);
    assert.equal(estimatePerMinute(withPrev(7, 150_000)), 2);
    assert.equal(estimatePerMinute(withPrev(12, 60_000)), 0);
  });

  it('is null for polls under 20 s or over 150 s apart, across midnight, when the count fell, or without data', () => {
    assert.equal(estimatePerMinute(withPrev(9, 19_999)), null);
    assert.equal(estimatePerMinute(withPrev(9, 20_000)), 9);
    assert.equal(estimatePerMinute(withPrev(9, 150_001)), null);
    assert.equal(estimatePerMinute(withPrev(40, 60_000, 2, MIDNIGHT + 30_000)), null);
    assert.equal(estimatePerMinute(withPrev(14, 60_000)), null);
    assert.equal(estimatePerMinute(observation(NOW)), null);
    assert.equal(estimatePerMinute(observation(NOW, { previous: { used: 1, at: NOW - 60_000 } }, null)), null);
  });

  it('the minute figure is an estimate on whole-minute windows, and says nothing two minutes later', () => {
    const obs = withPrev(9, 60_000);
    const s = buildSnapshot(obs, undefined, S, NOW + 15_000);
    assert.deepEqual(s.minute, {
      used: 3,
      limit: 20,
      limitSource: 'default',
      level: 'none',
      known: 'estimate',
      proxied: null,
      outside: null,
      windowStart: NOW,
      resetsAt: NOW + MINUTE,
    });
    assert.equal(buildSnapshot(obs, undefined, S, NOW + 2 * MINUTE).minute?.used, 3);
    assert.equal(buildSnapshot(obs, undefined, S, NOW + 2 * MINUTE + 1).minute?.used, null);
  });

  it('limit: settings.perMinute, else one learned from a 429, else 20', () => {
    assert.deepEqual(pick(buildSnapshot(observation(NOW), undefined, S, NOW)), [20, 'default']);
    assert.deepEqual(pick(buildSnapshot(observation(NOW, { learnedPerMinute: 16 }), undefined, S, NOW)), [
      16,
      'learned',
    ]);
    assert.deepEqual(
      pick(buildSnapshot(observation(NOW, { learnedPerMinute: 16 }), undefined, settings({ perMinute: 10 }), NOW)),
      [10, 'setting'],
    );
    function pick(s: ReturnType<typeof buildSnapshot>) {
      return [s.minute?.limit, s.minute?.limitSource];
    }
  });
});

describe('buildSnapshot: staleness, key cap, balance, errors', () => {
  it('is stale after two poll intervals (never counting an interval below 30 s)', () => {
    const obs = observation(NOW);
    assert.equal(buildSnapshot(obs, undefined, S, NOW + 120_000).stale, false);
    assert.equal(buildSnapshot(obs, undefined, S, NOW + 120_001).stale, true);
    assert.equal(buildSnapshot(obs, undefined, settings({ pollIntervalSeconds: 5 }), NOW + 60_000).stale, false);
    assert.equal(buildSnapshot(obs, undefined, settings({ pollIntervalSeconds: 5 }), NOW + 60_001).stale, true);
    assert.equal(buildSnapshot(obs, undefined, settings({ pollIntervalSeconds: 300 }), NOW + 600_000).stale, false);
  });

  it("keeps the key's own cap apart from the account balance", () => {
    const obs = observation(NOW, {
      key: keyInfo({ limit: 100, limitRemaining: 74.5, limitReset: 'monthly' }),
      balance: credits(10, 2.5),
    });
    const s = buildSnapshot(obs, undefined, S, NOW);
    assert.deepEqual(s.keyCap, { limit: 100, remaining: 74.5, reset: 'monthly' });
    assert.deepEqual(s.balance, credits(10, 2.5));
    assert.equal(buildSnapshot(observation(NOW), undefined, S, NOW).keyCap, undefined);
  });

  it('with data and a later error: status error, numbers kept, stale', () => {
    const err = {
      reason: 'network' as const,
      message: 'Cannot reach OpenRouter',
      at: NOW + 60_000,
      retryAt: NOW + 75_000,
    };
    const s = buildSnapshot(observation(NOW), err, S, NOW + 60_000);
    assert.deepEqual([s.status, s.stale, s.day?.used, s.error], ['error', true, 12, err]);
    assert.equal(s.severity, 'normal');
  });

  it('a rejected key is critical, with or without data', () => {
    const err = { reason: 'auth' as const, message: 'OpenRouter did not accept the API key (401).', at: NOW };
    assert.equal(buildSnapshot(observation(NOW), err, S, NOW).severity, 'critical');
    const bare = buildSnapshot(undefined, err, S, NOW);
    assert.deepEqual(bare, { status: 'error', at: NOW, stale: false, error: err, severity: 'critical' });
  });

  it('an error before any data: status error, no numbers, normal colour', () => {
    const err = { reason: 'timeout' as const, message: 'slow', at: NOW };
    const s = buildSnapshot(undefined, err, S, NOW);
    assert.deepEqual([s.status, s.day, s.minute, s.severity], ['error', undefined, undefined, 'normal']);
  });

  it('nothing yet: loading; no key: no-key', () => {
    assert.deepEqual(buildSnapshot(undefined, undefined, S, NOW), {
      status: 'loading',
      at: NOW,
      stale: false,
      severity: 'normal',
    });
    assert.deepEqual(noKeySnapshot(NOW), { status: 'no-key', at: NOW, stale: false, severity: 'normal' });
  });
});
