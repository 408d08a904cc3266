// The account model: the one place that combines OpenRouter's daily count (GET /key, about a minute late)
// with what the local meter forwarded, and answers, for today and for this minute, how many free requests
// were made, against which limit, how close that is, and how it is known (view.ts). The status bar,
// tooltip, Show Quota, notifications, the dashboard, GET /quota and the CLI all read it.
//
// Outside traffic (free requests OpenRouter counted that the meter did not forward) is worked out per poll
// in outside.ts; while it grows, this minute's figure is the meter's exact count plus its rate, an estimate.
import type { Clock } from '../clock';
import type { Observation, QuotaSettings } from '../quota';
import type { RateLimitInfo } from '../rateLimit';
import { MINUTE, minuteWindowStart, nextUtcMidnight, utcDayStart } from '../../shared/time';
import {
  blockEnd,
  dayLimitOf,
  levelOf,
  minuteLimitOf,
  PLAUSIBLE_PER_DAY,
  PLAUSIBLE_PER_MINUTE,
  plausibleLimit,
} from './limits';
import { type ForwardedCounts, OutsideTraffic, type Track } from './outside';
import { combineRemote, type RemoteAccount } from './remote';
import type { AccountView, DayView, Known, MinuteView, RateLimitEvent } from './view';
import type { FallbackStatus } from '../fallback/types';

/** What the model needs of the local meter (the proxy's ledger). */
export interface LocalMeter extends ForwardedCounts {
  /** Attempts in the minute window starting at `windowStart`. */
  minuteCount(windowStart: number): number;
  /** Per-model attempts in the UTC day of `now`. */
  dayModels(now: number): Record<string, number>;
  /** Per-client attempts in the UTC day of `now`. */
  dayClients(now: number): Record<string, number>;
  /** Changes whenever any count changes; without it, views are not cached (viewStamp). */
  readonly changes?: number;
}

const MAX_EVENTS = 20;
/** An event keeps this much of a 429's message and of the model id (both come from outside: GET /quota carries them). */
const MAX_EVENT_TEXT = 200;
/** A reader's copy of the host's view stops being a count after this long (the host is read every 3 s). */
export const REMOTE_FRESH_MS = 15_000;

export interface ModelOptions {
  clock: Clock;
  settings: () => QuotaSettings;
}

export class AccountModel {
  private latest?: Observation;
  private readonly outsideTraffic = new OutsideTraffic();
  private meter?: LocalMeter;
  private fallback?: FallbackStatus | ((now: number) => FallbackStatus | undefined);
  private waiting: () => number = () => 0;
  private remote?: { view: RemoteAccount; at: number };
  /** Recent 429s seen by the meter, newest first. */
  readonly events: RateLimitEvent[] = [];
  private learnedPerMinute?: number;
  private learnedPerDay?: number;
  private minuteFullUntil = 0;
  private dayFullUntil = 0;
  /** Bumped by everything that changes the view other than the meter's counts, the queue, the time and the settings. */
  private changes = 0;

  constructor(private readonly opts: ModelOptions) {}

  /** A poll's result (this process's, or another's through the shared store). Older ones are ignored. */
  observe(obs: Observation): void {
    this.changes++;
    if (!this.latest || obs.fetchedAt >= this.latest.fetchedAt) this.latest = obs;
    if (obs.previous)
      this.outsideTraffic.add(
        obs.previous.at,
        obs.previous.startedAt ?? obs.previous.at,
        obs.previous.used,
        this.meter,
      );
    if (obs.key.freeDaily)
      this.outsideTraffic.add(obs.fetchedAt, obs.startedAt ?? obs.fetchedAt, obs.key.freeDaily.used, this.meter);
  }

  /** The last observation (for the tier, the key cap, the balance). */
  get observation(): Observation | undefined {
    return this.latest;
  }

  /** Count through this meter (the proxy this process hosts), or stop (undefined). */
  attachMeter(meter: LocalMeter | undefined, waiting: () => number = () => 0): void {
    this.changes++;
    this.meter = meter;
    this.waiting = waiting;
    this.outsideTraffic.meterChanged();
  }

  /** The view of the proxy another process hosts for this account, as read over loopback (undefined: none). */
  attachRemote(view: RemoteAccount | undefined, at: number): void {
    this.changes++;
    this.remote = view ? { view, at } : undefined;
  }

  /**
   * What the meter's fallbacks did today: a status, or where to read it at each view (the proxy's, whose
   * paid fallback turns active when the day is spent); undefined: none configured.
   */
  setFallback(status: FallbackStatus | ((now: number) => FallbackStatus | undefined) | undefined): void {
    this.changes++;
    this.fallback = status;
  }

  get metered(): boolean {
    return this.meter !== undefined;
  }

  /**
   * What an OpenRouter 429 says. Returns until when the minute window is to be treated as full (per-minute
   * only). Its reset is believed only within its window (a per-minute block ends by the window's end plus
   * MINUTE_BLOCK_MARGIN_MS, a per-day one by the next 00:00 UTC), its limit only within the plausible range
   * (limits.ts): a hostile or broken answer can cost a minute or the rest of a day, never more.
   */
  learn(info: RateLimitInfo, now: number, model?: string): number | undefined {
    this.changes++;
    const until = blockEnd(info.kind, info.resetsAt, now);
    // The event shows the reset the proxy acts on (the one it puts in its own 429s), not an absurd one.
    const message = info.message.slice(0, MAX_EVENT_TEXT);
    this.events.unshift({
      kind: info.kind,
      at: now,
      resetsAt: until ?? info.resetsAt,
      limit: info.limit,
      message,
      model: model?.slice(0, MAX_EVENT_TEXT),
    });
    this.events.length = Math.min(this.events.length, MAX_EVENTS);
    if (info.kind === 'per-minute' && until !== undefined) {
      if (plausibleLimit(info.limit, PLAUSIBLE_PER_MINUTE)) this.learnedPerMinute = info.limit;
      this.minuteFullUntil = Math.max(this.minuteFullUntil, until);
      return until;
    }
    if (info.kind === 'per-day' && until !== undefined) {
      if (plausibleLimit(info.limit, PLAUSIBLE_PER_DAY)) this.learnedPerDay = info.limit;
      this.dayFullUntil = until;
    }
    return undefined;
  }

  /**
   * A string that changes whenever view(now) may (for caching what is worked out from it, GET /quota);
   * undefined when that cannot be told cheaply (no meter, or one that does not count its changes).
   */
  viewStamp(now: number): string | undefined {
    const changes = this.meter?.changes;
    if (changes === undefined) return undefined;
    const s = this.opts.settings();
    const full = `${this.minuteFullUntil > now ? 1 : 0}${this.dayFullUntil > now ? 1 : 0}`;
    return `${this.changes}:${changes}:${this.waiting()}:${minuteWindowStart(now)}:${full}:${s.perMinute}:${s.perDay}:${s.warning}:${s.critical}:${s.serverLagSeconds}`;
  }

  /** The per-minute limit in force (the pacer reads it for every free request). */
  minuteLimit(): number {
    return minuteLimitOf(this.opts.settings().perMinute, this.learnedPerMinute ?? this.latest?.learnedPerMinute).limit;
  }

  /** GET /key's usage_daily (USD this key spent today) and when it was read, if read today. */
  usageDaily(now: number): { usd: number; at: number } | undefined {
    const o = this.latest;
    if (!o || o.key.usageDaily === null || utcDayStart(o.fetchedAt) !== utcDayStart(now)) return undefined;
    return { usd: o.key.usageDaily, at: o.fetchedAt };
  }

  /** When today's quota is known to be spent: until when; otherwise undefined. Cheap: on the proxy's path. */
  dayExhausted(now: number): number | undefined {
    if (this.dayFullUntil > now) return this.dayFullUntil;
    const { limit } = dayLimitOf(this.today(now), this.opts.settings().perDay, this.learnedPerDay);
    if (limit === null || !this.meter) return undefined;
    const used = this.meter.countUntil(now) + (this.track(now)?.outside ?? 0);
    return used >= limit ? nextUtcMidnight(now) : undefined;
  }

  /** Outside traffic seen lately with this minute near its limit: worth polling as often as allowed. */
  wantsFastPolls(now: number): boolean {
    const v = this.view(now);
    return v.minute.known === 'estimate' && (v.minute.outside ?? 0) > 0 && v.minute.level !== 'none';
  }

  view(now = this.opts.clock.now()): AccountView {
    const own = this.ownView(now);
    const r = this.remote;
    if (!this.meter && r && now - r.at < REMOTE_FRESH_MS) return combineRemote(r.view, own, this.opts.settings(), now);
    return own;
  }

  private ownView(now: number): AccountView {
    const s = this.opts.settings();
    const obs = this.today(now);
    const dl = dayLimitOf(obs, s.perDay, this.learnedPerDay);
    const tr = this.meter ? this.track(now) : undefined;
    const last = this.reported() ? this.outsideTraffic.last(now) : undefined;

    let used: number | null;
    let known: Known;
    let proxied: number | null = null;
    let outside: number | null = null;
    if (this.meter) {
      proxied = this.meter.countUntil(now);
      outside = tr ? tr.outside : null;
      used = proxied + (outside ?? 0);
      known = tr ? 'exact' : 'estimate'; // without OpenRouter's count, only the meter's: a lower bound
    } else {
      used = last?.used ?? null;
      known = used === null ? 'unknown' : 'exact';
    }
    // OpenRouter refused a free request with a per-day 429: spent, whatever the counts say yet (and the
    // proxy answers free requests itself until the reset: the view says what the proxy does).
    const dayFull = this.dayFullUntil > now;
    if (dayFull && dl.limit !== null && (used ?? 0) < dl.limit) {
      if (proxied !== null) outside = Math.max(outside ?? 0, dl.limit - proxied);
      used = dl.limit;
      known = 'estimate';
    }
    const day: DayView = {
      used,
      limit: dl.limit,
      candidates: dl.candidates,
      limitSource: dl.source,
      tier: dl.tier,
      level: dayFull ? 'limit' : levelOf(used, dl.limit, s),
      known,
      proxied,
      outside,
      server: last ? { used: last.used, at: last.at } : undefined,
      unconfirmed:
        this.meter && last
          ? this.meter.countUntil(now) - this.outsideTraffic.sentUntil(this.meter, last.start - this.lagMs() - 1)
          : null,
      resetsAt: nextUtcMidnight(now),
    };
    return { at: now, day, minute: this.minuteView(now, s, tr), meter: this.meterView(now) };
  }

  private minuteView(now: number, s: QuotaSettings, tr: Track | undefined): MinuteView {
    const windowStart = minuteWindowStart(now);
    const ml = minuteLimitOf(s.perMinute, this.learnedPerMinute ?? this.latest?.learnedPerMinute);
    let used: number | null;
    let known: Known;
    let proxied: number | null = null;
    let outside: number | null = null;
    if (this.meter) {
      proxied = this.meter.minuteCount(windowStart);
      if (!tr) {
        used = proxied;
        known = 'estimate';
      } else if (tr.recent > 0) {
        // The meter's exact count plus the outside rate, never more than fills the window. Growth seen over
        // less than a minute happened within the last minute: it is not extrapolated beyond itself.
        const rate = Math.ceil((tr.recent * MINUTE) / Math.max(tr.span, MINUTE));
        outside = Math.min(rate, Math.max(0, ml.limit - proxied));
        used = proxied + outside;
        known = 'estimate';
      } else {
        outside = 0;
        used = proxied;
        known = 'exact';
      }
    } else {
      used = this.reported() ? this.outsideTraffic.growthPerMinute(now) : null;
      known = used === null ? 'unknown' : 'estimate';
    }
    if (this.minuteFullUntil > now && (used ?? 0) < ml.limit) {
      // A per-minute 429 in this window: it is full, whoever filled it.
      if (proxied !== null) outside = ml.limit - proxied;
      used = ml.limit;
      known = 'estimate';
    }
    return {
      used,
      limit: ml.limit,
      limitSource: ml.source,
      level: levelOf(used, ml.limit, s),
      known,
      proxied,
      outside,
      windowStart,
      resetsAt: windowStart + MINUTE,
    };
  }

  private meterView(now: number): AccountView['meter'] {
    if (!this.meter) return undefined;
    return {
      waiting: this.waiting(),
      lastRateLimit: this.events[0],
      models: this.meter.dayModels(now),
      clients: this.meter.dayClients(now),
      fallback: typeof this.fallback === 'function' ? this.fallback(now) : this.fallback,
    };
  }

  /** The latest observation when it belongs to the UTC day of `now` (a count from yesterday says nothing). */
  private today(now: number): Observation | undefined {
    const o = this.latest;
    if (!o) return undefined;
    return utcDayStart(o.fetchedAt) === utcDayStart(now) || !o.key.freeDaily
      ? o
      : { ...o, key: { ...o.key, freeDaily: null } };
  }

  /** Whether OpenRouter reports today's count (the latest poll has the field): without it, earlier readings say nothing now. */
  private reported(): boolean {
    return !!this.latest?.key.freeDaily;
  }

  private lagMs(): number {
    return Math.max(0, this.opts.settings().serverLagSeconds || 0) * 1000;
  }

  /** Today's outside count and its recent growth (undefined without a meter or without OpenRouter's count). */
  private track(now: number): Track | undefined {
    return this.meter && this.reported() ? this.outsideTraffic.track(now, this.meter, this.lagMs()) : undefined;
  }
}
