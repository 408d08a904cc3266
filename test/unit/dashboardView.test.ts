// The dashboard's view, built in core: the pace forecast, the banner (levels, titles, remedies, buttons) and
// the cards, from snapshots built by buildSnapshot, at a fixed time. Remedies are read as the reader in
// Berlin would see them (their local clocks are pieces the webview fills in).
import * as assert from 'node:assert/strict';
import { bannerOf, UPSTREAM_REMEDY } from '../../src/core/dashboard/banner';
import { forecastOf } from '../../src/core/dashboard/forecast';
import type { DashboardHistory, DashboardInput, ProxyView } from '../../src/core/dashboard/input';
import { buildDashboardView } from '../../src/core/dashboard/view';
import type { RateLimitEvent } from '../../src/core/account/view';
import { ADD_CREDITS_REMEDY, MANAGEMENT_KEY_REMEDY } from '../../src/core/quotaText';
import type { CardView, DashboardView, HistoryPoint } from '../../src/shared/dashboardView';
import { plainText } from '../../src/shared/text';
import type { AccountView } from '../../src/core/account/view';
import {
  buildSnapshot,
  DEFAULT_SETTINGS,
  loadingSnapshot,
  noKeySnapshot,
  type Observation,
  type QuotaSettings,
  type QuotaSnapshot,
  type SnapshotError,
} from '../../src/core/quota';
import { meteredView } from './accountSupport';
import { HOUR, MINUTE } from '../../src/shared/time';
import { keyInfo, observation } from './helpers';

/** 2026-10-01 12:00:30 UTC: the daily reset is 11 h 59 min 30 s away, at 00:00 UTC = 02:00 in Berlin. */
const NOW = Date.UTC(2026, 9, 1, 12, 0, 30);
const MIDNIGHT = Date.UTC(2026, 9, 2);
const BERLIN = 'Europe/Berlin';
const PROXY: ProxyView = { url: 'http://127.0.0.1:18789/api/v1', role: 'host', pacing: 'queue' };
const FREE_MODEL = 'deepseek/deepseek-chat-v3.1:free';

/** Today's count `used` of `limit` from OpenRouter, fetched 10 s ago. */
const day = (used: number, limit = 50, over: Partial<Observation> = {}) =>
  observation(NOW - 10_000, over, { used, limit });
/** What the local proxy counted: in the current minute window, waiting in its queue, and today. */
const local = (minuteUsed: number, waiting = 0, dayUsed = 0) => ({
  minuteUsed,
  waiting,
  dayUsed: Math.max(dayUsed, minuteUsed),
});
const snap = (
  obs: Observation | undefined,
  l?: ReturnType<typeof local>,
  error?: SnapshotError,
  settings: QuotaSettings = DEFAULT_SETTINGS,
): QuotaSnapshot => {
  const view: AccountView | undefined = l && obs ? meteredView(obs, NOW, { ...l, settings }) : undefined;
  return buildSnapshot(obs, error, settings, NOW, view);
};
type Input = DashboardInput & { timeZone?: string };
const input = (snapshot: QuotaSnapshot, over: Partial<Input> = {}): Input => ({
  snapshot,
  events: [],
  now: NOW,
  timeZone: BERLIN,
  ...over,
});
/** The banner with its remedies as plain words, local clocks in the input's time zone. */
const banner = (i: Input) => {
  const b = bannerOf(i);
  return b && { ...b, remedies: b.remedies.map((r) => plainText(r, { timeZone: i.timeZone, now: i.now })) };
};
/** Hourly buckets for the last hours, newest (the current hour) last. */
const hours = (...counts: number[]): HistoryPoint[] =>
  counts.map((count, i) => ({ start: Math.floor(NOW / HOUR) * HOUR - (counts.length - 1 - i) * HOUR, count }));
const history = (hourly: HistoryPoint[], models: Record<string, number> = {}): DashboardHistory => ({
  hourly,
  daily: [],
  models,
});
const event = (kind: RateLimitEvent['kind'], agoMs: number, over: Partial<RateLimitEvent> = {}): RateLimitEvent => ({
  kind,
  at: NOW - agoMs,
  message: '429',
  ...over,
});

describe('forecastOf: the pace today and when it reaches the daily limit', () => {
  it('needs a known count and limit (no key, loading, unreported count: no forecast)', () => {
    assert.equal(forecastOf(noKeySnapshot(NOW), undefined, NOW), undefined);
    assert.equal(forecastOf(loadingSnapshot(NOW), undefined, NOW), undefined);
    assert.equal(forecastOf(snap(observation(NOW, {}, null)), undefined, NOW), undefined);
    const unknownTier = observation(NOW, { key: keyInfo({ isFreeTier: false, freeDaily: null }) }, null);
    assert.equal(snap(unknownTier).day?.limit, null);
    assert.equal(forecastOf(snap(unknownTier), undefined, NOW), undefined);
  });

  it("uses today's average since 00:00 UTC: 30 by 12:00 is 2.5 an hour, so 50 is reached at 20:00 UTC", () => {
    const at = Date.UTC(2026, 9, 1, 12, 0, 0);
    const f = forecastOf(
      buildSnapshot(observation(at, {}, { used: 30, limit: 50 }), undefined, DEFAULT_SETTINGS, at),
      undefined,
      at,
    );
    assert.deepEqual(f, { ratePerHour: 2.5, reachesLimitAt: Date.UTC(2026, 9, 1, 20, 0, 0) });
  });

  it('says null when the pace stays under the limit until the reset', () => {
    const f = forecastOf(snap(day(12)), undefined, NOW);
    assert.equal(f?.ratePerHour, 1);
    assert.equal(f?.reachesLimitAt, null, '38 more at 1 an hour take 38 h; the reset is in 12 h');
  });

  it("takes the proxy's recent pace when it is faster (a session that started this morning)", () => {
    // 2 + 4 + 6 = 12 requests since 10:00 UTC: 12 / 2.008 h ≈ 5.98 an hour; 38 left take 6 h 21.6 min.
    const f = forecastOf(snap(day(12)), history(hours(0, 0, 2, 4, 6)), NOW)!;
    assert.equal(f.ratePerHour, 6);
    assert.equal(f.reachesLimitAt, Date.UTC(2026, 9, 1, 18, 22, 0), 'rounded to the minute');
  });

  it("never lowers the pace below today's average (the proxy sees only what goes through it)", () => {
    assert.deepEqual(
      forecastOf(snap(day(30)), history(hours(0, 0, 0)), NOW),
      forecastOf(snap(day(30)), undefined, NOW),
    );
  });

  it('does not extrapolate wildly right after 00:00 UTC: it divides by at least 30 minutes', () => {
    const at = Date.UTC(2026, 9, 1, 0, 5, 0);
    const f = forecastOf(
      buildSnapshot(observation(at, {}, { used: 3, limit: 50 }), undefined, DEFAULT_SETTINGS, at),
      undefined,
      at,
    );
    assert.equal(f?.ratePerHour, 6, '3 in 5 minutes is 36 an hour; 3 per half hour is 6');
  });

  it('no requests yet: a pace of 0 and no limit time; at the limit: no limit time either', () => {
    assert.deepEqual(forecastOf(snap(day(0)), undefined, NOW), { ratePerHour: 0, reachesLimitAt: null });
    assert.equal(forecastOf(snap(day(50)), undefined, NOW)?.reachesLimitAt, null);
    assert.equal(
      forecastOf(snap(day(57)), undefined, NOW)?.reachesLimitAt,
      null,
      'failed attempts push used past the limit',
    );
  });
});

describe('bannerOf: nothing to say', () => {
  it('no banner when both windows are well under their limits', () => {
    assert.equal(banner(input(snap(day(12), local(3), undefined), { proxy: PROXY })), undefined);
  });

  it('no banner without a key or while loading (the page shows its own call to action)', () => {
    assert.equal(banner(input(noKeySnapshot(NOW))), undefined);
    assert.equal(banner(input(loadingSnapshot(NOW))), undefined);
  });

  it('old 429s do not raise a banner: a per-day one from yesterday, an upstream one 20 minutes ago, a per-minute one whose window passed', () => {
    const events = [
      event('per-day', 13 * HOUR),
      event('upstream', 20 * MINUTE),
      event('per-minute', 2 * MINUTE, { resetsAt: NOW - MINUTE }),
    ];
    assert.equal(banner(input(snap(day(12)), { events })), undefined);
  });
});

describe('bannerOf: the daily limit', () => {
  it('warning at 80 %: the numbers, then add credits (base tier), the reset in UTC and local time, a paid variant', () => {
    const b = banner(input(snap(day(40))))!;
    assert.equal(b.level, 'warning');
    assert.equal(b.title, '40 of 50 free requests used today (10 left)');
    assert.deepEqual(b.remedies, [
      ADD_CREDITS_REMEDY,
      'The count resets at 00:00 UTC (02:00 local), in 12 h.',
      'Switch to a paid variant: drop ":free" from the model id. Paid requests cost credits but do not count toward the free limits.',
    ]);
    assert.equal(
      ADD_CREDITS_REMEDY,
      'Add credits: buying 10 credits (once) raises the free limit from 50 to 1000 requests a day.',
    );
    assert.deepEqual(b.actions, ['addCredits']);
  });

  it("uses the user's thresholds, like the snapshot's severity", () => {
    assert.equal(banner(input(snap(day(25)))), undefined);
    const mine = { ...DEFAULT_SETTINGS, warning: 0.5, critical: 0.9 };
    assert.equal(banner(input(snap(day(25), undefined, undefined, mine)))?.level, 'warning');
    assert.equal(banner(input(snap(day(45), undefined, undefined, mine)))?.level, 'critical');
  });

  it('critical at 95 %: "almost out", with what is left', () => {
    const b = banner(input(snap(day(48))))!;
    assert.equal(b.level, 'critical');
    assert.equal(b.title, 'Almost out of free requests today: 48 of 50 used, 2 left');
    assert.equal(b.remedies[0], ADD_CREDITS_REMEDY);
  });

  it('limit: wait for the reset first, then drop ":free" (naming the model used most today), then add credits', () => {
    const models = { [FREE_MODEL]: 38, 'meta-llama/llama-3.3-70b-instruct:free': 12, 'openai/gpt-4o': 3 };
    const b = banner(input(snap(day(50)), { history: history(hours(1), models) }))!;
    assert.equal(b.level, 'limit');
    assert.equal(b.title, 'Daily free limit reached: 50 of 50 free requests used today');
    assert.deepEqual(b.remedies, [
      'Wait for the daily reset at 00:00 UTC (02:00 local), in 12 h.',
      `Switch to a paid variant: drop ":free" from the model id (${FREE_MODEL} → deepseek/deepseek-chat-v3.1). Paid requests cost credits but do not count toward the free limits.`,
      ADD_CREDITS_REMEDY,
    ]);
  });

  it('past the limit: says failed attempts count too', () => {
    assert.equal(
      banner(input(snap(day(53))))?.title,
      'Daily free limit reached: 53 of 50 free requests used today (failed attempts count too)',
    );
  });

  it('the funded tier (1000 a day) gets no add-credits remedy or button', () => {
    const b = banner(input(snap(day(1000, 1000))))!;
    assert.equal(b.level, 'limit');
    assert.ok(!b.remedies.some((r) => r.startsWith('Add credits')));
    assert.deepEqual(b.actions, []);
  });

  it("a per-day 429 today means the limit, even before OpenRouter's count shows it; its reset time is used", () => {
    const resetsAt = MIDNIGHT;
    const b = banner(input(snap(day(44)), { events: [event('per-day', 3 * MINUTE, { resetsAt })] }))!;
    assert.equal(b.level, 'limit');
    assert.equal(b.title, 'Daily free limit reached: 44 of 50 free requests used today');
    assert.equal(b.remedies[0], 'Wait for the daily reset at 00:00 UTC (02:00 local), in 12 h.');
  });

  it('unknown tier and count, per-day 429: "if this account has bought fewer than 10 credits"', () => {
    const unknown = observation(NOW, { key: keyInfo({ isFreeTier: false, freeDaily: null }) }, null);
    const b = banner(input(snap(unknown), { events: [event('per-day', MINUTE)] }))!;
    assert.equal(b.level, 'limit');
    assert.equal(b.title, 'Daily free limit reached: OpenRouter refused a free request with a per-day 429');
    assert.ok(
      b.remedies.includes(
        'If this account has bought fewer than 10 credits: add credits: buying 10 credits (once) raises the free limit from 50 to 1000 requests a day.',
      ),
      b.remedies.join('\n'),
    );
    assert.deepEqual(b.actions, ['addCredits']);
  });

  it('local times follow the given time zone', () => {
    const ny = banner(input(snap(day(50)), { timeZone: 'America/New_York' }))!;
    assert.equal(ny.remedies[0], 'Wait for the daily reset at 00:00 UTC (20:00 local), in 12 h.');
  });
});

describe('bannerOf: the minute window', () => {
  it('full, with the proxy holding requests: wait N s for the next window; the queue drains by itself', () => {
    const b = banner(input(snap(day(20), local(20, 3, 20)), { proxy: PROXY }))!;
    assert.equal(b.level, 'limit');
    assert.equal(b.title, "This minute's window is full: 20 of 20 free requests");
    assert.deepEqual(b.remedies.slice(0, 2), [
      'Wait 30 s for the next minute window (at 12:01:00 UTC).',
      'The proxy is holding 3 requests and sends them when the window opens.',
    ]);
    assert.match(b.remedies[2], /^Switch to a paid variant/);
    assert.deepEqual(b.actions, [], 'adding credits does not raise the per-minute limit');
  });

  it('nearly full: warning at 16/20, critical at 19/20', () => {
    assert.equal(banner(input(snap(day(20), local(16, 0, 20)), { proxy: PROXY }))?.level, 'warning');
    const c = banner(input(snap(day(20), local(19, 0, 20)), { proxy: PROXY }))!;
    assert.equal(c.level, 'critical');
    assert.equal(c.title, 'This minute: 19 of 20 free requests');
  });

  it('without the proxy (an estimate): "about", and the remedy is to route through the proxy', () => {
    const est = day(30, 50, { previous: { used: 10, at: NOW - 10_000 - 60_000 } });
    const b = banner(input(snap(est)))!;
    assert.equal(b.title, "This minute's window is full: about 20 of 20 free requests");
    assert.ok(b.remedies.some((r) => r.startsWith('Send your tools through the local proxy')));
    assert.deepEqual(b.actions, ['copyProxySettings']);
  });

  it('pacing "reject": suggests "queue" and offers the settings', () => {
    const b = banner(input(snap(day(20), local(20, 0, 20)), { proxy: { ...PROXY, pacing: 'reject' } }))!;
    assert.ok(
      b.remedies.includes(
        'The proxy\'s pacing is "reject": set openrouterQuota.proxy.pacing to "queue" to hold requests until the window has room instead of failing them.',
      ),
    );
    assert.deepEqual(b.actions, ['openSettings']);
  });

  it('a per-minute 429 whose window is still open: limit, wait until its reset', () => {
    const b = banner(
      input(snap(day(20), local(5, 0, 20)), {
        proxy: PROXY,
        events: [event('per-minute', 10_000, { resetsAt: NOW + 42_000 })],
      }),
    )!;
    assert.equal(b.level, 'limit');
    assert.equal(b.title, 'OpenRouter refused a free request: per-minute limit (20 a minute)');
    assert.equal(b.remedies[0], 'Wait 42 s for the next minute window (at 12:01:12 UTC).');
  });
});

describe('bannerOf: the account and upstream providers', () => {
  it('upstream-provider 429s in the last 15 minutes: try another free model (not your quota)', () => {
    const events = [
      event('upstream', 2 * MINUTE, { model: 'qwen/qwen3-coder:free' }),
      event('upstream', 5 * MINUTE, { model: 'qwen/qwen3-coder:free' }),
    ];
    const b = banner(input(snap(day(12)), { events }))!;
    assert.equal(b.level, 'warning');
    assert.equal(
      b.title,
      'The provider behind qwen/qwen3-coder:free answered 2 429s in the last 15 min (its own limit, not your quota)',
    );
    assert.deepEqual(b.remedies, [UPSTREAM_REMEDY]);
    assert.match(UPSTREAM_REMEDY, /another free model/);
  });

  it('a negative balance: critical, OpenRouter refuses even free models, add at least the deficit', () => {
    const b = banner(
      input(snap(day(3, 1000, { balance: { kind: 'known', credits: { totalCredits: 10, totalUsage: 10.42 } } }))),
    )!;
    assert.equal(b.level, 'critical');
    assert.equal(
      b.title,
      'The account balance is negative (-$0.42): OpenRouter refuses requests (402), even to free models, until you add credits',
    );
    assert.deepEqual(b.remedies, ['Add credits: at least $0.42 to bring the balance back above $0.']);
    assert.deepEqual(b.actions, ['addCredits']);
  });

  it('a 402 with the balance unavailable: add credits, and how to see the balance (a management key)', () => {
    const err: SnapshotError = { reason: 'payment', message: 'Payment required (402).', at: NOW };
    const b = banner(input(snap(day(3), undefined, err)))!;
    assert.equal(b.level, 'critical');
    assert.ok(b.remedies.includes(MANAGEMENT_KEY_REMEDY));
    assert.match(MANAGEMENT_KEY_REMEDY, /management key/);
  });

  it('a rejected key: critical, with Set API Key and Sign In', () => {
    const err: SnapshotError = { reason: 'auth', message: 'OpenRouter did not accept the API key (401).', at: NOW };
    for (const obs of [undefined, day(12)]) {
      const b = banner(input(snap(obs, undefined, err)))!;
      assert.equal(b.level, 'critical');
      assert.deepEqual(b.actions, ['setApiKey', 'signIn']);
    }
  });
});

describe('bannerOf: several causes at once', () => {
  it('the most urgent gives the level and title; every remedy follows once, in order', () => {
    const events = [event('upstream', MINUTE, { model: 'qwen/qwen3-coder:free' })];
    const b = banner(
      input(snap(day(50), local(20, 0, 50)), { proxy: PROXY, events, history: history(hours(3), { [FREE_MODEL]: 3 }) }),
    )!;
    assert.equal(b.level, 'limit');
    assert.match(b.title, /^Daily free limit reached/, 'on a tie the day goes first: it lasts longer');
    assert.equal(b.remedies.filter((r) => r.startsWith('Switch to a paid variant')).length, 1);
    assert.equal(b.remedies.length, 5, 'at most five remedies');
    assert.deepEqual(b.remedies.slice(0, 3), [
      'Wait for the daily reset at 00:00 UTC (02:00 local), in 12 h.',
      `Switch to a paid variant: drop ":free" from the model id (${FREE_MODEL} → deepseek/deepseek-chat-v3.1). Paid requests cost credits but do not count toward the free limits.`,
      ADD_CREDITS_REMEDY,
    ]);
    assert.equal(b.remedies[3], 'Wait 30 s for the next minute window (at 12:01:00 UTC).');
  });

  it('a critical account problem outranks a daily warning', () => {
    const b = banner(
      input(snap(day(41, 50, { balance: { kind: 'known', credits: { totalCredits: 1, totalUsage: 2 } } }))),
    )!;
    assert.equal(b.level, 'critical');
    assert.match(b.title, /negative/);
    assert.ok(b.remedies.includes(ADD_CREDITS_REMEDY), 'the daily remedies still follow');
  });
});

describe('buildDashboardView: the cards', () => {
  const cards = (v: DashboardView): CardView[] => v.rows.flatMap((r) => r.cards);
  const cardOf = (v: DashboardView, id: string): CardView => {
    const c = cards(v).find((x) => x.id === id);
    assert.ok(
      c,
      `no card ${id} in ${cards(v)
        .map((x) => x.id)
        .join(', ')}`,
    );
    return c;
  };
  const words = (c: CardView) =>
    [
      c.figure?.text,
      ...(c.lines ?? []).map((l) => l.text),
      c.note,
      ...(c.facts?.items ?? []).flatMap((i) => [i.term, i.detail]),
    ]
      .filter((t) => t !== undefined)
      .map((t) => plainText(t, { timeZone: BERLIN, now: NOW }))
      .join(' | ');

  it('today and this minute carry the snapshot’s numbers and levels (the user’s thresholds, decided here)', () => {
    const v = buildDashboardView({
      snapshot: snap(day(41), local(20, 2, 41)),
      proxy: PROXY,
      events: [event('per-minute', 5_000)],
      now: NOW,
    });
    assert.deepEqual(cardOf(v, 'today').gauge, {
      shape: 'ring',
      used: 41,
      limit: 50,
      level: 'warning',
      label: "Today's free requests",
      valueText: '41 of 50 free requests used today, 9 left',
    });
    const minute = cardOf(v, 'minute');
    assert.equal(minute.gauge?.shape === 'bar' && minute.gauge.level, 'limit');
    assert.match(words(minute), /2 requests waiting in the proxy queue/);
    assert.equal(v.banner?.level, 'limit');
    assert.deepEqual(
      v.rows.map((r) => r.layout),
      // …, free models, recent 429s, fallbacks today, the proxy
      ['top', 'wide', 'three', 'wide', 'two', 'wide', 'wide', 'wide', 'wide'],
    );
  });

  it('an unknown count is a placeholder, never a made-up ring, and the pace says what it needs', () => {
    const v = buildDashboardView({ snapshot: snap(observation(NOW, {}, null)), events: [], now: NOW });
    assert.equal(cardOf(v, 'today').gauge?.shape, 'unknown');
    assert.equal(cardOf(v, 'today').figure?.text, 'Count unknown');
    assert.match(words(cardOf(v, 'pace')), /Needs today's count and limit/);
    assert.equal(v.banner, undefined);
  });

  it('the minute card says how the figure is known with the tooltip’s own sentence', () => {
    const est = snap(day(212, 1000, { previous: { used: 209, at: NOW - 80_000 } }));
    assert.match(
      words(cardOf(buildDashboardView({ snapshot: est, events: [], now: NOW }), 'minute')),
      /Estimate from the growth of today's count\./,
    );
  });

  it('at the limit the pace card says so (from the level, not a second used >= limit)', () => {
    const pace = cardOf(buildDashboardView({ snapshot: snap(day(50)), events: [], now: NOW }), 'pace');
    assert.deepEqual(pace.figure, { text: 'Limit reached', level: 'limit' });
    assert.equal(words(pace).includes('Free requests work again after 00:00 UTC (02:00 local).'), true, words(pace));
  });

  it('by model: most first, the tail past eight summed into one bar', () => {
    const models = Object.fromEntries(Array.from({ length: 11 }, (_, i) => [`m${i}:free`, i + 1]));
    const c = cardOf(
      buildDashboardView({
        snapshot: snap(day(66)),
        history: history(hours(1), models),
        proxy: PROXY,
        events: [],
        now: NOW,
      }),
      'models',
    );
    assert.deepEqual(c.counts?.bars.slice(0, 2), [
      { label: 'm10:free', count: 11 },
      { label: 'm9:free', count: 10 },
    ]);
    assert.deepEqual(c.counts?.bars.at(-1), { label: '3 other models', count: 1 + 2 + 3 });
    assert.equal(c.counts?.label, 'Free requests today by model, 66 in all');
  });

  it('429s: the kind in words, the reader’s clock, how long ago and until the reset', () => {
    const c = cardOf(
      buildDashboardView({
        snapshot: snap(day(5)),
        proxy: PROXY,
        events: [event('upstream', 5 * MINUTE, { model: FREE_MODEL, resetsAt: NOW + 2 * MINUTE })],
        now: NOW,
      }),
      'events',
    );
    assert.equal(c.events?.[0].label, 'upstream provider (not your quota)');
    assert.equal(
      plainText(c.events![0].when, { timeZone: BERLIN, now: NOW }),
      '13:55 local · 5 min ago · resets in 2 min',
    );
  });

  it('no key: the call to action and the free limits from the one place they are written; no refresh', () => {
    const v = buildDashboardView({ snapshot: noKeySnapshot(NOW), events: [], now: NOW });
    assert.equal(v.header.refresh, false);
    const cta = cardOf(v, 'cta');
    assert.deepEqual(cta.actions, [{ action: 'setApiKey', primary: true }, { action: 'signIn' }]);
    assert.match(
      words(cta),
      /20 requests a minute and 50 a UTC day, or 1000 a day once the account has bought 10 credits/,
    );
  });

  it('the proxy off: the history explains, and the proxy card opens the proxy settings', () => {
    const v = buildDashboardView({ snapshot: snap(day(5)), events: [], now: NOW });
    assert.match(words(cardOf(v, 'history')), /History needs the local proxy/);
    assert.deepEqual(cardOf(v, 'proxy').actions, [{ action: 'openProxySettings' }]);
  });

  it('the history card hands the chart the day limit, the current hour and 00:00 UTC', () => {
    const h = history(hours(1, 2));
    const c = cardOf(
      buildDashboardView({ snapshot: snap(day(5)), history: h, proxy: PROXY, events: [], now: NOW }),
      'history',
    );
    assert.deepEqual(c.history, {
      hourly: h.hourly,
      daily: [],
      dayLimit: 50,
      currentHour: Date.UTC(2026, 9, 1, 12),
      today: Date.UTC(2026, 9, 1),
    });
  });
});
