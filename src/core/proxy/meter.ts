// What the proxy knows about the quota: exact local counts (the ledger), the server's daily truth (from
// GET /key polls), and limits learned from OpenRouter's 429s. Produces the GET /quota answer.
import type { RateLimitInfo } from '../rateLimit';
import { DEFAULT_PER_MINUTE } from '../quota';
import { DAY, MINUTE, minuteWindowStart, nextUtcMidnight, utcDate } from '../time';
import type { Ledger } from './ledger';

/** The daily counter as OpenRouter last reported it. */
export interface ServerDay {
  used: number;
  limit: number;
  fetchedAt: number;
}

export interface RateLimitEvent {
  kind: RateLimitInfo['kind'];
  at: number;
  resetsAt?: number;
  limit?: number;
  message: string;
  model?: string;
}

/** The JSON of GET /quota (timestamps ISO 8601). */
export interface ProxyQuotaStatus {
  day: { date: string; used: number; limit: number | null; remaining: number | null; resetsAt: string; source: 'server' | 'local' };
  minute: { windowStart: string; used: number; limit: number; resetsAt: string; limitSource: 'setting' | 'learned' | 'default' };
  lastRateLimit: null | { kind: RateLimitEvent['kind']; at: string; resetsAt: string | null; message: string };
  queue: { waiting: number };
  models: Record<string, number>;
}

/** GET /quota/history: the dashboard's charts and recent 429s. */
export interface ProxyHistory {
  hourly: Array<{ start: number; count: number }>;
  daily: Array<{ start: number; count: number }>;
  models: Record<string, number>;
  /** Recent 429s, newest first (timestamps in ms). */
  events: RateLimitEvent[];
}

const MAX_EVENTS = 20;

export interface MeterLimits {
  /** 0 = automatic. */
  perMinute: number;
  /** 0 = automatic. */
  perDay: number;
}

const iso = (t: number) => new Date(t).toISOString();

export class Meter {
  serverDay?: ServerDay;
  /** Recent 429s, newest first. */
  readonly events: RateLimitEvent[] = [];
  private learnedPerMinute?: number;
  private learnedPerDay?: number;
  private dayBlockedUntil = 0;

  constructor(
    private readonly ledger: Ledger,
    private readonly limits: () => MeterLimits,
  ) {}

  minuteLimit(): number {
    return this.limits().perMinute || this.learnedPerMinute || DEFAULT_PER_MINUTE;
  }

  dayLimit(now: number): number | null {
    const server = this.serverDay && this.sameDay(this.serverDay.fetchedAt, now) ? this.serverDay.limit : undefined;
    return this.limits().perDay || server || this.learnedPerDay || null;
  }

  /** Best estimate of today's free requests: the server's count plus what went through here since, never below either. */
  dayUsed(now: number): { used: number; source: 'server' | 'local' } {
    const local = this.ledger.dayCount(Math.floor(now / DAY) * DAY);
    const s = this.serverDay;
    if (!s || !this.sameDay(s.fetchedAt, now)) return { used: local, source: 'local' };
    return { used: Math.max(local, s.used + this.ledger.countSince(s.fetchedAt)), source: 'server' };
  }

  /** When the daily quota is known to be spent: the reset time; otherwise undefined. */
  dayExhausted(now: number): number | undefined {
    const next = nextUtcMidnight(now);
    if (this.dayBlockedUntil > now) return this.dayBlockedUntil;
    const limit = this.dayLimit(now);
    return limit !== null && this.dayUsed(now).used >= limit ? next : undefined;
  }

  /** Take what a 429 says. */
  get lastRateLimit(): RateLimitEvent | undefined {
    return this.events[0];
  }

  learn(info: RateLimitInfo, now: number, model?: string): void {
    this.events.unshift({ kind: info.kind, at: now, resetsAt: info.resetsAt, limit: info.limit, message: info.message, model });
    this.events.length = Math.min(this.events.length, MAX_EVENTS);
    if (info.kind === 'per-minute' && info.limit && info.limit > 0) this.learnedPerMinute = info.limit;
    if (info.kind === 'per-day') {
      if (info.limit && info.limit > 0) this.learnedPerDay = info.limit;
      this.dayBlockedUntil = info.resetsAt && info.resetsAt > now ? info.resetsAt : nextUtcMidnight(now);
    }
  }

  status(now: number, waiting: number): ProxyQuotaStatus {
    const dayStart = Math.floor(now / DAY) * DAY;
    const { used, source } = this.dayUsed(now);
    const limit = this.dayLimit(now);
    const windowStart = minuteWindowStart(now);
    const r = this.lastRateLimit;
    return {
      day: { date: utcDate(now), used, limit, remaining: limit === null ? null : Math.max(0, limit - used), resetsAt: iso(dayStart + DAY), source },
      minute: {
        windowStart: iso(windowStart),
        used: this.ledger.minuteCount(windowStart),
        limit: this.minuteLimit(),
        resetsAt: iso(windowStart + MINUTE),
        limitSource: this.limits().perMinute ? 'setting' : this.learnedPerMinute ? 'learned' : 'default',
      },
      lastRateLimit: r ? { kind: r.kind, at: iso(r.at), resetsAt: r.resetsAt ? iso(r.resetsAt) : null, message: r.message } : null,
      queue: { waiting },
      models: this.ledger.dayModels(dayStart),
    };
  }

  history(now: number): ProxyHistory {
    return {
      hourly: this.ledger.hourly(now, 24).map((h) => ({ start: h.hourStart, count: h.count })),
      daily: this.ledger.daily(now, 30).map((d) => ({ start: d.dayStart, count: d.count })),
      models: this.ledger.dayModels(Math.floor(now / DAY) * DAY),
      events: [...this.events],
    };
  }

  private sameDay(a: number, b: number): boolean {
    return Math.floor(a / DAY) === Math.floor(b / DAY);
  }
}
