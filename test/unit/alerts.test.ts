// Notifications before limits, the rules (src/core/alerts.ts) as pure functions over snapshots built by
// buildSnapshot at fixed times: daily levels, once per level per UTC day, rollover, the minute cooldown, the
// once-each alerts (401, negative balance, upstream streak), the level setting and the mute.
import * as assert from 'node:assert/strict';
import {
  type Alert,
  type AlertKind,
  type AlertMemory,
  type AlertSettings,
  decide,
  emptyMemory,
  normalizeMemory,
  notificationLevel,
  RECENT_429_MS,
} from '../../src/core/alerts';
import type { RateLimitEvent } from '../../src/core/account/view';
import { buildSnapshot, DEFAULT_SETTINGS, type QuotaSnapshot, type SnapshotError } from '../../src/core/quota';
import { MemoryMeter, meteredView, modelAt } from './accountSupport';
import { DAY, HOUR, MINUTE, minuteWindowStart, nextUtcMidnight } from '../../src/shared/time';
import { observation } from './helpers';

/** 2026-10-01 20:48:00 UTC: 3 h 12 min before the reset, which is 01:00 in London (BST). */
const T0 = Date.UTC(2026, 9, 1, 20, 48, 0);
const NEXT_DAY = Date.UTC(2026, 9, 2, 0, 0, 30);
const ALL: AlertSettings = { level: 'all', timeZone: 'Europe/London' };

interface SnapOpts {
  /** Today's count (null: OpenRouter did not report it); default 12. */
  used?: number | null;
  limit?: number;
  fetchedAt?: number;
  /** Account balance in dollars (known); undefined: unavailable. */
  balance?: number;
  error?: SnapshotError;
  /** false: no local proxy. */
  proxy?: boolean;
  waiting?: number;
  minuteUsed?: number;
  rateLimit?: RateLimitEvent;
  /** The warning/critical shares the snapshot is judged with (settings); default 0.8/0.95. */
  thresholds?: { warning: number; critical: number };
}

function snap(now: number, o: SnapOpts = {}): QuotaSnapshot {
  const fd = o.used === null ? null : { used: o.used ?? 12, limit: o.limit ?? 50 };
  const over =
    o.balance !== undefined
      ? { balance: { kind: 'known' as const, credits: { totalCredits: 20, totalUsage: 20 - o.balance } } }
      : {};
  const obs = observation(o.fetchedAt ?? now - 5_000, over, fd);
  const settings = { ...DEFAULT_SETTINGS, ...o.thresholds };
  const view =
    o.proxy === false
      ? undefined
      : meteredView(obs, now, {
          minuteUsed: o.minuteUsed ?? 0,
          waiting: o.waiting,
          lastRateLimit: o.rateLimit,
          settings,
        });
  return buildSnapshot(obs, o.error, settings, now, view);
}

const authError = (at: number): SnapshotError => ({
  reason: 'auth',
  message: 'OpenRouter rejected the API key (401)',
  at,
});
const perMinute429 = (at: number): RateLimitEvent => ({
  kind: 'per-minute',
  at,
  resetsAt: minuteWindowStart(at) + MINUTE,
  message: 'Rate limit exceeded: free-models-per-min',
});
const upstream429 = (at: number): RateLimitEvent => ({
  kind: 'upstream',
  at,
  message: 'Provider returned error: temporarily rate-limited upstream',
});

/** One window's view: its memory and everything the rules told it to show. */
class Window {
  memory: AlertMemory = emptyMemory();
  readonly shown: Alert[] = [];
  constructor(public settings: AlertSettings = ALL) {}
  feed(s: QuotaSnapshot, now = s.at, settings = this.settings): Alert[] {
    const d = decide(s, this.memory, settings, now);
    this.memory = d.memory;
    this.shown.push(...d.show);
    return d.show;
  }
  kinds(): AlertKind[] {
    return this.shown.map((a) => a.kind);
  }
}

describe('alerts: daily limit', () => {
  it('warns at 80 % with the numbers and the reset time, e.g. "40 of 50 … Resets in 3 h 12 min (01:00 local)"', () => {
    const show = new Window().feed(snap(T0, { used: 40 }));
    assert.equal(show.length, 1);
    const a = show[0];
    assert.equal(a.kind, 'daily-warning');
    assert.equal(a.severity, 'info');
    assert.equal(a.message, 'OpenRouter: 40 of 50 free requests used today. Resets in 3 h 12 min (01:00 local).');
    assert.deepEqual(a.actions, ['openDashboard', 'addCredits', 'muteToday']);
    assert.deepEqual(a.claim, {
      key: 'daily-2026-10-01-warning',
      supersededBy: ['daily-2026-10-01-critical', 'daily-2026-10-01-reached'],
    });
  });

  it('says nothing below the warning level, or when the count or the limit is unknown', () => {
    const w = new Window();
    w.feed(snap(T0, { used: 39 }));
    w.feed(snap(T0, { used: null, proxy: false }));
    assert.equal(w.memory.dailyRank, 0);
    assert.deepEqual(w.shown, []);
  });

  it('shows each level once a day, in order, however many polls see it', () => {
    const w = new Window();
    for (const [i, used] of [12, 39, 40, 41, 40, 45, 47, 48, 48, 49, 50, 50, 51, 55].entries())
      w.feed(snap(T0 + i * MINUTE, { used }));
    assert.deepEqual(w.kinds(), ['daily-warning', 'daily-critical', 'daily-reached']);
    const [, critical, reached] = w.shown;
    assert.equal(critical.severity, 'warning');
    assert.match(
      critical.message,
      /^OpenRouter: 48 of 50 free requests used today, 2 left\. Resets in 3 h 5 min \(01:00 local\)\. Buying 10 credits \(once\) raises it to 1000 a day\.$/,
    );
    assert.equal(reached.severity, 'warning');
    assert.match(
      reached.message,
      /^OpenRouter: daily free limit reached: 50 of 50 free requests used today\. Free models answer 429 until the reset in 3 h 2 min \(01:00 local\)\./,
    );
    assert.equal(reached.claim.key, 'daily-2026-10-01-reached');
    assert.deepEqual(reached.claim.supersededBy, []);
  });

  it('a higher level seen first suppresses the lower ones that day', () => {
    const w = new Window();
    w.feed(snap(T0, { used: 50 }));
    w.feed(snap(T0 + MINUTE, { used: 48 })); // an older count (another window's stale poll): not news
    w.feed(snap(T0 + 2 * MINUTE, { used: 41 }));
    assert.deepEqual(w.kinds(), ['daily-reached']);
  });

  it('takes the levels from the thresholds in settings', () => {
    const w = new Window();
    const thresholds = { warning: 0.5, critical: 0.6 };
    w.feed(snap(T0, { used: 24, thresholds }));
    w.feed(snap(T0 + MINUTE, { used: 25, thresholds }));
    w.feed(snap(T0 + 2 * MINUTE, { used: 30, thresholds }));
    assert.deepEqual(w.kinds(), ['daily-warning', 'daily-critical']);
    // And for the 1000 tier: 800 warns, without the "buy credits" line.
    const funded = new Window().feed(snap(T0, { used: 960, limit: 1000 }));
    assert.equal(funded[0].kind, 'daily-critical');
    assert.doesNotMatch(funded[0].message, /Buying/);
  });

  it("starts fresh on a new UTC day, and ignores yesterday's count after midnight", () => {
    const w = new Window();
    w.feed(snap(T0, { used: 40 }));
    w.feed(snap(T0 + MINUTE, { used: 50 }));
    // 00:00:30 UTC: the last poll was before midnight, so today's count is unknown: nothing.
    w.feed(snap(NEXT_DAY, { used: 50, fetchedAt: NEXT_DAY - MINUTE }));
    assert.deepEqual(w.kinds(), ['daily-warning', 'daily-reached']);
    assert.equal(w.memory.day, '2026-10-02');
    assert.equal(w.memory.dailyRank, 0);
    // Today's first poll: 40 again is a new warning, with today's claim key.
    const show = w.feed(snap(NEXT_DAY + MINUTE, { used: 40 }));
    assert.deepEqual(
      show.map((a) => a.claim.key),
      ['daily-2026-10-02-warning'],
    );
    assert.match(show[0].message, /Resets in 23 h 59 min \(01:00 local\)/);
  });

  it('does not modify the memory it is given, and its memory survives JSON', () => {
    const m0 = emptyMemory();
    const frozen = JSON.stringify(m0);
    const d1 = decide(snap(T0, { used: 40 }), m0, ALL, T0);
    assert.equal(JSON.stringify(m0), frozen);
    const again = decide(
      snap(T0 + MINUTE, { used: 41 }),
      JSON.parse(JSON.stringify(d1.memory)) as AlertMemory,
      ALL,
      T0 + MINUTE,
    );
    assert.deepEqual(again.show, []);
  });

  it('reads back a stored memory field by field; garbage starts fresh', () => {
    assert.deepEqual(normalizeMemory(undefined), emptyMemory());
    assert.deepEqual(normalizeMemory('{'), emptyMemory());
    assert.deepEqual(normalizeMemory({ v: 2, dailyRank: 3 }), emptyMemory());
    const m = normalizeMemory({
      v: 1,
      day: '2026-10-01',
      dailyRank: 9,
      waiting: -1,
      upstream429s: [1, 'x', 2],
      upstreamStreak: 'yes',
      authAt: 5,
    });
    assert.deepEqual(m, { ...emptyMemory(), day: '2026-10-01', upstream429s: [1, 2], authAt: 5 });
  });
});

describe('alerts: minute limit', () => {
  it('tells once when the proxy starts holding requests, not while it keeps holding them', () => {
    const w = new Window();
    const show = w.feed(snap(T0 + 15_000, { waiting: 2, minuteUsed: 20 }));
    assert.equal(show.length, 1);
    assert.equal(show[0].kind, 'minute');
    assert.equal(
      show[0].message,
      'OpenRouter: the per-minute limit for free models is reached (20 of 20 this minute); the local proxy is holding 2 requests until the next minute. The window resets in 45 s.',
    );
    assert.deepEqual(show[0].actions, ['openDashboard', 'muteToday']);
    assert.deepEqual(show[0].claim, { key: 'minute', everyMs: 10 * MINUTE });
    w.feed(snap(T0 + 20_000, { waiting: 3, minuteUsed: 20 }));
    w.feed(snap(T0 + 30_000, { waiting: 1, minuteUsed: 20 }));
    assert.equal(w.shown.length, 1);
  });

  it('tells about a per-minute 429 with a new time, and only a recent one', () => {
    const w = new Window();
    // A window opened after an old 429: history, not news.
    w.feed(snap(T0, { rateLimit: perMinute429(T0 - RECENT_429_MS - 1) }));
    assert.deepEqual(w.shown, []);
    const show = w.feed(snap(T0 + 10_000, { rateLimit: perMinute429(T0 + 9_000), minuteUsed: 20 }));
    assert.equal(show.length, 1);
    assert.equal(
      show[0].message,
      'OpenRouter answered 429: the per-minute limit for free models is reached (20 of 20 this minute). The window resets in 50 s.',
    );
    // The same 429 in every later snapshot: nothing more.
    w.feed(snap(T0 + 20_000, { rateLimit: perMinute429(T0 + 9_000) }));
    assert.equal(w.shown.length, 1);
  });

  it('fires from an estimate when requests bypassing the proxy bring the minute near its limit, worded as one', () => {
    const clock = { t: T0 };
    const model = modelAt(clock);
    const meter = new MemoryMeter();
    model.attachMeter(meter);
    model.observe(observation(T0 - MINUTE, { startedAt: T0 - MINUTE }, { used: 10, limit: 50 }));
    for (let i = 0; i < 2; i++) meter.record(T0); // in this minute window, before the poll
    const obs = observation(
      T0,
      { startedAt: T0, previous: { used: 10, at: T0 - MINUTE, startedAt: T0 - MINUTE } },
      { used: 28, limit: 50 },
    );
    model.observe(obs);
    const s = buildSnapshot(obs, undefined, DEFAULT_SETTINGS, T0, model.view(T0));
    assert.deepEqual(
      [s.minute?.known, s.minute?.proxied, s.minute?.outside, s.minute?.level],
      ['estimate', 2, 16, 'warning'],
    );
    const show = new Window().feed(s);
    assert.equal(show.length, 1);
    assert.equal(show[0].kind, 'minute');
    assert.equal(
      show[0].message,
      "OpenRouter: about 18 of 20 free requests this minute (an estimate: 2 through the local proxy, ~16 elsewhere, from OpenRouter's count). Requests that bypass the proxy are not held: the next one may fail with 429. The window resets in 1 min.",
    );
    assert.deepEqual(show[0].actions, ['copyProxySettings', 'openDashboard', 'muteToday']);
    // Through the proxy only, the same count is exact and no estimate fires.
    assert.deepEqual(new Window().feed(snap(T0, { minuteUsed: 18 })), []);
  });

  it('is shown at most once every 10 minutes, never once a minute', () => {
    const w = new Window();
    // An hour of trouble: the queue fills every minute and a per-minute 429 arrives every minute.
    for (let min = 0; min < 60; min++) {
      const t = minuteWindowStart(T0) + min * MINUTE;
      w.feed(snap(t + 1_000, { waiting: 0 }));
      w.feed(snap(t + 50_000, { waiting: 4, minuteUsed: 20 }));
      w.feed(snap(t + 55_000, { waiting: 0, rateLimit: perMinute429(t + 54_000) }));
    }
    // At 0:50, 10:50, 20:50, …: each the first trigger once the cooldown is over.
    assert.equal(w.shown.length, 6);
    assert.equal(w.memory.minuteAlertAt, minuteWindowStart(T0) + 50 * MINUTE + 50_000);
  });

  it('a new episode after the cooldown is told again', () => {
    const w = new Window();
    w.feed(snap(T0, { waiting: 1 }));
    w.feed(snap(T0 + MINUTE, { waiting: 0 }));
    w.feed(snap(T0 + 9 * MINUTE + 59_000, { waiting: 2 }));
    assert.equal(w.shown.length, 1);
    w.feed(snap(T0 + 10 * MINUTE + 30_000, { waiting: 0 }));
    w.feed(snap(T0 + 11 * MINUTE, { waiting: 5 }));
    assert.equal(w.shown.length, 2);
  });
});

describe('alerts: once each (401, negative balance, upstream streak)', () => {
  it('a rejected key: once per rejection, with Set API Key', () => {
    const w = new Window();
    const s = buildSnapshot(undefined, authError(T0), DEFAULT_SETTINGS, T0);
    const show = w.feed(s);
    assert.equal(show.length, 1);
    assert.equal(show[0].kind, 'key-rejected');
    assert.equal(show[0].severity, 'warning');
    assert.deepEqual(show[0].actions, ['setApiKey']);
    assert.equal(show[0].claim.key, `key-rejected-${T0}`);
    for (let i = 1; i < 5; i++) w.feed(buildSnapshot(undefined, authError(T0), DEFAULT_SETTINGS, T0 + i * MINUTE));
    assert.equal(w.shown.length, 1);
    // Another rejection (a new key, or a refresh the user asked for): told again.
    w.feed(buildSnapshot(observation(T0 - HOUR), authError(T0 + 10 * MINUTE), DEFAULT_SETTINGS, T0 + 10 * MINUTE));
    assert.equal(w.shown.length, 2);
  });

  it('a negative balance: once per UTC day while it lasts', () => {
    const w = new Window();
    w.feed(snap(T0, { balance: 1.5 }));
    const show = w.feed(snap(T0 + MINUTE, { balance: -0.42 }));
    assert.equal(show.length, 1);
    assert.equal(show[0].kind, 'negative-balance');
    assert.equal(
      show[0].message,
      'OpenRouter: your account balance is -$0.42. While it is negative, OpenRouter refuses requests (402), even to free models, until you add credits.',
    );
    assert.deepEqual(show[0].actions, ['addCredits', 'openDashboard', 'muteToday']);
    assert.equal(show[0].claim.key, 'negative-balance-2026-10-01');
    for (let i = 2; i < 30; i++) w.feed(snap(T0 + i * MINUTE, { balance: -0.42 }));
    assert.equal(w.shown.length, 1);
    w.feed(snap(NEXT_DAY, { balance: -0.42 }));
    assert.deepEqual(
      w.shown.map((a) => a.claim.key),
      ['negative-balance-2026-10-01', 'negative-balance-2026-10-02'],
    );
  });

  it('an upstream 429 streak: 3 within 10 minutes, once per streak', () => {
    const w = new Window();
    const t = T0;
    w.feed(snap(t, { rateLimit: upstream429(t) }));
    w.feed(snap(t + 30_000, { rateLimit: upstream429(t) })); // the same 429 again
    w.feed(snap(t + 4 * MINUTE, { rateLimit: upstream429(t + 4 * MINUTE) }));
    assert.deepEqual(w.shown, []);
    const show = w.feed(snap(t + 9 * MINUTE, { rateLimit: upstream429(t + 9 * MINUTE) }));
    assert.equal(show.length, 1);
    assert.equal(show[0].kind, 'upstream-streak');
    assert.match(
      show[0].message,
      /^OpenRouter: 3 requests in the last 10 min were refused with 429 by the upstream provider, not by your quota\. .*try another free model/,
    );
    assert.deepEqual(show[0].claim, { key: 'upstream-streak', everyMs: 10 * MINUTE });
    // More of the same streak: nothing.
    for (let i = 10; i < 20; i++) w.feed(snap(t + i * MINUTE, { rateLimit: upstream429(t + i * MINUTE) }));
    assert.equal(w.shown.length, 1);
    // Ten quiet minutes end the streak; a new one is told again.
    const later = t + 40 * MINUTE;
    for (let i = 0; i < 3; i++) w.feed(snap(later + i * MINUTE, { rateLimit: upstream429(later + i * MINUTE) }));
    assert.equal(w.shown.length, 2);
  });

  it('upstream 429s spread over more than 10 minutes are no streak', () => {
    const w = new Window();
    for (let i = 0; i < 6; i++) w.feed(snap(T0 + i * 6 * MINUTE, { rateLimit: upstream429(T0 + i * 6 * MINUTE) }));
    assert.deepEqual(w.shown, []);
    assert.ok(w.memory.upstream429s.length <= 2);
  });
});

describe('alerts: level setting and mute', () => {
  /** A day that triggers every kind of alert, in one window with the given settings. */
  function eventfulDay(settings: AlertSettings, w = new Window(settings)): Window {
    w.feed(buildSnapshot(undefined, authError(T0 - HOUR), DEFAULT_SETTINGS, T0 - HOUR));
    w.feed(snap(T0, { used: 41, balance: -1 }));
    w.feed(snap(T0 + MINUTE, { used: 49, waiting: 2 }));
    for (let i = 0; i < 3; i++)
      w.feed(snap(T0 + (2 + i) * MINUTE, { used: 50, rateLimit: upstream429(T0 + (2 + i) * MINUTE) }));
    return w;
  }

  it('all: everything', () => {
    assert.deepEqual(eventfulDay(ALL).kinds(), [
      'key-rejected',
      'negative-balance',
      'daily-warning',
      'daily-critical',
      'minute',
      'daily-reached',
      'upstream-streak',
    ]);
  });

  it('limits: only the daily and minute limit ones, and a rejected key', () => {
    assert.deepEqual(eventfulDay({ ...ALL, level: 'limits' }).kinds(), [
      'key-rejected',
      'daily-warning',
      'daily-critical',
      'minute',
      'daily-reached',
    ]);
  });

  it('off: nothing', () => {
    assert.deepEqual(eventfulDay({ ...ALL, level: 'off' }).kinds(), []);
  });

  it('muted for today: nothing but a rejected key until 00:00 UTC, then as usual', () => {
    const muted = { ...ALL, mutedUntil: nextUtcMidnight(T0) };
    const w = eventfulDay(muted);
    assert.deepEqual(w.kinds(), ['key-rejected']);
    // What was held back is not shown later the same day (it was handled)…
    w.feed(snap(T0 + 20 * MINUTE, { used: 50 }), T0 + 20 * MINUTE, ALL);
    assert.deepEqual(w.kinds(), ['key-rejected']);
    // …and the next UTC day is a fresh start (the mute file names the day, so it no longer applies).
    w.feed(snap(NEXT_DAY + MINUTE, { used: 45, balance: -1 }), NEXT_DAY + MINUTE, { ...ALL, mutedUntil: undefined });
    assert.deepEqual(w.kinds(), ['key-rejected', 'negative-balance', 'daily-warning']);
    // A mute that has ended by the clock does not hold either.
    const after = decide(
      snap(NEXT_DAY + DAY, { used: 45 }),
      emptyMemory(),
      { ...ALL, mutedUntil: NEXT_DAY },
      NEXT_DAY + DAY,
    );
    assert.equal(after.show.length, 1);
  });

  it('a level that becomes less strict later does not replay what was already handled', () => {
    const w = new Window({ ...ALL, level: 'off' });
    w.feed(snap(T0, { used: 40 }));
    w.settings = ALL;
    w.feed(snap(T0 + MINUTE, { used: 41 }));
    assert.deepEqual(w.kinds(), []);
    w.feed(snap(T0 + 2 * MINUTE, { used: 48 }));
    assert.deepEqual(w.kinds(), ['daily-critical']);
  });

  it('reads the setting leniently', () => {
    assert.equal(notificationLevel('limits'), 'limits');
    assert.equal(notificationLevel('off'), 'off');
    assert.equal(notificationLevel('all'), 'all');
    assert.equal(notificationLevel('loud'), 'all');
    assert.equal(notificationLevel(undefined), 'all');
  });

  it('no-key and loading snapshots say nothing', () => {
    const w = new Window();
    w.feed({ status: 'no-key', at: T0, stale: false, severity: 'normal' });
    w.feed({ status: 'loading', at: T0, stale: false, severity: 'normal' });
    assert.deepEqual(w.shown, []);
  });
});
