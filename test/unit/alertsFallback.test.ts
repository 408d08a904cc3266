// The fallback's notifications (src/core/alertsFallback.ts through alerts.ts decide()): the paid fallback
// started and its budget spent, each once per UTC day and claimed per day; the upstream-429 streak offers
// Turn On Fallback once, and only while the fallback is off (in this window's settings and at the host).
import * as assert from 'node:assert/strict';
import {
  type Alert,
  type AlertMemory,
  type AlertSettings,
  decide,
  emptyMemory,
  normalizeMemory,
} from '../../src/core/alerts';
import type { RateLimitEvent } from '../../src/core/account/view';
import type { FallbackStatus, PaidFallbackStatus } from '../../src/core/fallback/types';
import { buildSnapshot, DEFAULT_SETTINGS, type QuotaSnapshot } from '../../src/core/quota';
import { ACTION_LABEL } from '../../src/shared/actions';
import { DAY, MINUTE } from '../../src/shared/time';
import { meteredView } from './accountSupport';
import { observation } from './helpers';

const T0 = Date.UTC(2026, 9, 1, 20, 48, 0);
const ALL: AlertSettings = { level: 'all', timeZone: 'UTC' };

const paid = (o: Partial<PaidFallbackStatus> = {}): PaidFallbackStatus => ({
  model: 'openai/gpt-4.1-mini',
  budgetUsd: 1,
  spentUsd: 0,
  requests: 0,
  active: false,
  exhausted: false,
  ...o,
});

function snap(now: number, fallback?: FallbackStatus, rateLimit?: RateLimitEvent): QuotaSnapshot {
  const obs = observation(now - 5_000, {}, { used: 50, limit: 50 });
  const v = meteredView(obs, now, { minuteUsed: 0, lastRateLimit: rateLimit });
  return buildSnapshot(
    obs,
    undefined,
    DEFAULT_SETTINGS,
    now,
    fallback ? { ...v, meter: { ...v.meter!, fallback } } : v,
  );
}

class Window {
  memory: AlertMemory = emptyMemory();
  readonly shown: Alert[] = [];
  constructor(public settings: AlertSettings = ALL) {}
  feed(s: QuotaSnapshot, settings = this.settings): Alert[] {
    const d = decide(s, this.memory, settings, s.at);
    this.memory = d.memory;
    // The daily-limit alerts are alerts.test.ts's business.
    const mine = d.show.filter((a) => !a.kind.startsWith('daily-'));
    this.shown.push(...mine);
    return mine;
  }
}

const upstream429 = (at: number): RateLimitEvent => ({ kind: 'upstream', at, message: 'rate-limited upstream' });

describe('alerts: the paid fallback', () => {
  it('started: once per UTC day when it becomes active, with the model and the budget', () => {
    const w = new Window();
    const standingBy = { enabled: false, recent: [], paid: paid() };
    assert.deepEqual(w.feed(snap(T0, standingBy)), []);
    const active = { enabled: false, recent: [], paid: paid({ active: true, spentUsd: 0.01, requests: 1 }) };
    const show = w.feed(snap(T0 + MINUTE, active));
    assert.equal(show.length, 1);
    assert.equal(show[0].kind, 'paid-fallback-started');
    assert.equal(show[0].severity, 'info');
    assert.equal(
      show[0].message,
      'OpenRouter: Paid fallback started: free-model requests go to openai/gpt-4.1-mini until $1.00 is spent today.',
    );
    assert.deepEqual(show[0].claim, {
      key: 'paid-fallback-started-2026-10-01',
      supersededBy: ['paid-fallback-spent-2026-10-01'],
    });
    // Still active, or active again later the same day: nothing.
    assert.deepEqual(w.feed(snap(T0 + 2 * MINUTE, active)), []);
    assert.deepEqual(w.feed(snap(T0 + 3 * MINUTE, standingBy)), []);
    assert.deepEqual(w.feed(snap(T0 + 4 * MINUTE, active)), []);
    // The next UTC day: told again.
    assert.equal(w.feed(snap(T0 + DAY, active))[0]?.kind, 'paid-fallback-started');
  });

  it('spent: once per UTC day, a warning; seen first it stands for the start too', () => {
    const w = new Window();
    const spent = { enabled: false, recent: [], paid: paid({ active: false, exhausted: true, spentUsd: 1.02 }) };
    const show = w.feed(snap(T0, spent));
    assert.deepEqual(
      show.map((a) => a.kind),
      ['paid-fallback-spent'],
    );
    assert.equal(show[0].severity, 'warning');
    assert.equal(
      show[0].message,
      'OpenRouter: Paid fallback budget spent ($1.00): free-model requests get 429 until 00:00 UTC.',
    );
    assert.deepEqual(show[0].claim, { key: 'paid-fallback-spent-2026-10-01' });
    assert.deepEqual(w.feed(snap(T0 + MINUTE, spent)), []);
    // A late "active" (a reader that missed the change) is news from the past: not told.
    assert.deepEqual(w.feed(snap(T0 + 2 * MINUTE, { ...spent, paid: paid({ active: true }) })), []);
  });

  it('started then spent: both, in that order', () => {
    const w = new Window();
    w.feed(snap(T0, { enabled: false, recent: [], paid: paid({ active: true }) }));
    w.feed(snap(T0 + HOUR_MS, { enabled: false, recent: [], paid: paid({ exhausted: true }) }));
    assert.deepEqual(
      w.shown.map((a) => a.kind),
      ['paid-fallback-started', 'paid-fallback-spent'],
    );
  });

  it('held back by `limits`, `off` and the mute (and not told later that day)', () => {
    const active = { enabled: false, recent: [], paid: paid({ active: true }) };
    for (const settings of [
      { ...ALL, level: 'limits' as const },
      { ...ALL, level: 'off' as const },
      { ...ALL, mutedUntil: T0 + DAY },
    ]) {
      const w = new Window(settings);
      assert.deepEqual(w.feed(snap(T0, active)), []);
      assert.deepEqual(w.feed(snap(T0 + MINUTE, active), ALL), [], 'handled, not postponed');
    }
  });

  it('the memory keeps the days and the offer through storage', () => {
    const m = normalizeMemory({
      ...emptyMemory(),
      paidStartedDay: '2026-10-01',
      paidSpentDay: 7,
      fallbackOffered: 'yes',
    });
    assert.equal(m.paidStartedDay, '2026-10-01');
    assert.equal(m.paidSpentDay, undefined);
    assert.equal(m.fallbackOffered, undefined);
    assert.equal(normalizeMemory({ ...emptyMemory(), fallbackOffered: true }).fallbackOffered, true);
  });
});

const HOUR_MS = 60 * MINUTE;

describe('alerts: the upstream streak offers Turn On Fallback', () => {
  /** Three upstream 429s within 10 minutes, starting at `t`; returns the streak's alert. */
  function streak(w: Window, t: number, fallback?: FallbackStatus, settings = w.settings): Alert | undefined {
    let last: Alert[] = [];
    for (let i = 0; i < 3; i++) last = w.feed(snap(t + i * MINUTE, fallback, upstream429(t + i * MINUTE)), settings);
    return last.find((a) => a.kind === 'upstream-streak');
  }

  it('while the fallback is off: the button and a sentence, once', () => {
    const w = new Window({ ...ALL, fallbackEnabled: false });
    const a = streak(w, T0);
    assert.ok(a);
    assert.deepEqual(a.actions, ['enableFallback', 'openDashboard', 'muteToday']);
    assert.equal(ACTION_LABEL.enableFallback, 'Turn On Fallback');
    assert.match(
      a.message,
      /try another free model \(or its paid variant\)\. Turn on fallback to retry such a request once on another free model/,
    );
    // The next streak: no offer again.
    const b = streak(w, T0 + 30 * MINUTE);
    assert.ok(b);
    assert.deepEqual(b.actions, ['openDashboard', 'muteToday']);
    assert.doesNotMatch(b.message, /Turn on fallback/);
  });

  it('not offered when this window has it on, or the host runs it (e.g. the CLI with --fallback)', () => {
    const on = streak(new Window({ ...ALL, fallbackEnabled: true }), T0);
    assert.deepEqual(on?.actions, ['openDashboard', 'muteToday']);
    const host = streak(new Window({ ...ALL, fallbackEnabled: false }), T0, { enabled: true, recent: [], paid: null });
    assert.deepEqual(host?.actions, ['openDashboard', 'muteToday']);
  });

  it('a streak held back by the mute keeps the offer for the next one', () => {
    const w = new Window({ ...ALL, fallbackEnabled: false, mutedUntil: T0 + 20 * MINUTE });
    assert.equal(streak(w, T0), undefined);
    assert.notEqual(w.memory.fallbackOffered, true);
    const later = streak(w, T0 + 40 * MINUTE, undefined, { ...ALL, fallbackEnabled: false });
    assert.deepEqual(later?.actions, ['enableFallback', 'openDashboard', 'muteToday']);
  });
});
