// What the account model answers for each window (today, this minute), and the JSON of GET /quota that
// carries it to reader windows and the CLI. One shape in memory (numbers, ms), one on the wire (ISO times,
// documented in the README); only the HTTP route and its readers convert between them.
import type { RateLimitKind } from '../errors';
import { utcDate } from '../../shared/time';
import type { DayLimitSource, Level, MinuteLimitSource, Tier } from './limits';
import type { FallbackStatus } from '../fallback/types';
import { type FallbackWire, toFallbackWire } from '../fallback/wire';

/**
 * How a figure is known:
 * - exact: every free request OpenRouter counted went through the meter (or, for the day, the figure is
 *   OpenRouter's own count plus what the meter forwarded since);
 * - estimate: part of it went elsewhere (or cannot be checked): the meter's exact part plus an estimate;
 * - unknown: not enough data. The figure is null, never a made-up 0.
 */
export type Known = 'exact' | 'estimate' | 'unknown';

export interface DayView {
  /** Today's free requests, never below what is known; null when unknown. */
  used: number | null;
  limit: number | null;
  /** What the limit could be when it is unknown (50 or 1000). */
  candidates: number[];
  limitSource: DayLimitSource;
  tier: Tier;
  level: Level;
  known: Known;
  /** Free requests the meter forwarded today (exact); null when no meter runs for this account. */
  proxied: number | null;
  /** Free requests OpenRouter counted today that the meter did not forward; null when that cannot be told. */
  outside: number | null;
  /** OpenRouter's own count today, as last read (`/key` caches it for about a minute). */
  server?: { used: number; at: number };
  /**
   * What the meter forwarded that OpenRouter's last count may not include yet (from a lag before that poll
   * on): a newer count may have grown by this much without any traffic elsewhere. Null without a meter.
   */
  unconfirmed: number | null;
  resetsAt: number;
}

export interface MinuteView {
  used: number | null;
  limit: number;
  limitSource: MinuteLimitSource;
  level: Level;
  known: Known;
  /** Free requests the meter forwarded in this window (exact); null without a meter. */
  proxied: number | null;
  /** Estimated requests elsewhere in this window (from the growth of OpenRouter's count); null when not estimated. */
  outside: number | null;
  windowStart: number;
  resetsAt: number;
}

export interface RateLimitEvent {
  kind: RateLimitKind;
  at: number;
  resetsAt?: number;
  limit?: number;
  message: string;
  model?: string;
}

export interface AccountView {
  at: number;
  day: DayView;
  minute: MinuteView;
  /** Present when a meter (this process's proxy, or another process's read over loopback) counts for this account. */
  meter?: {
    waiting: number;
    lastRateLimit?: RateLimitEvent;
    models: Record<string, number>;
    clients: Record<string, number>;
    fallback?: FallbackStatus;
  };
}

/** GET /quota (and `openrouter-quota status --json`): the view with ISO 8601 times. */
export interface QuotaWire {
  day: {
    date: string;
    used: number | null;
    limit: number | null;
    remaining: number | null;
    resetsAt: string;
    /** Where the figure comes from: OpenRouter's count (plus the proxy since), only the proxy's, or nothing. */
    source: 'server' | 'local' | 'none';
    limitSource: DayLimitSource;
    level: Level;
    exact: boolean;
    known: Known;
    proxied: number | null;
    outside: number | null;
    serverUsed: number | null;
    serverAt: string | null;
    unconfirmed: number | null;
  };
  minute: {
    windowStart: string;
    used: number | null;
    limit: number;
    resetsAt: string;
    limitSource: MinuteLimitSource;
    level: Level;
    exact: boolean;
    known: Known;
    proxied: number | null;
    outside: number | null;
  };
  lastRateLimit: null | { kind: RateLimitKind; at: string; resetsAt: string | null; message: string };
  queue: { waiting: number };
  models: Record<string, number>;
  /** Today's requests through the proxy by the client that sent them (its X-Title, Referer or User-Agent). */
  clients: Record<string, number>;
  /** The meter's fallbacks today (fallback/types.ts); null when the meter has none configured or none is known. */
  fallback: FallbackWire | null;
}

const iso = (t: number) => new Date(t).toISOString();

export function daySource(d: DayView): QuotaWire['day']['source'] {
  return d.server ? 'server' : d.used !== null ? 'local' : 'none';
}

export function toWire(v: AccountView): QuotaWire {
  const { day: d, minute: m } = v;
  const r = v.meter?.lastRateLimit;
  return {
    day: {
      date: utcDate(v.at),
      used: d.used,
      limit: d.limit,
      remaining: d.used !== null && d.limit !== null ? Math.max(0, d.limit - d.used) : null,
      resetsAt: iso(d.resetsAt),
      source: daySource(d),
      limitSource: d.limitSource,
      level: d.level,
      exact: d.known === 'exact',
      known: d.known,
      proxied: d.proxied,
      outside: d.outside,
      serverUsed: d.server?.used ?? null,
      serverAt: d.server ? iso(d.server.at) : null,
      unconfirmed: d.unconfirmed,
    },
    minute: {
      windowStart: iso(m.windowStart),
      used: m.used,
      limit: m.limit,
      resetsAt: iso(m.resetsAt),
      limitSource: m.limitSource,
      level: m.level,
      exact: m.known === 'exact',
      known: m.known,
      proxied: m.proxied,
      outside: m.outside,
    },
    lastRateLimit: r
      ? { kind: r.kind, at: iso(r.at), resetsAt: r.resetsAt ? iso(r.resetsAt) : null, message: r.message }
      : null,
    queue: { waiting: v.meter?.waiting ?? 0 },
    models: v.meter?.models ?? {},
    clients: v.meter?.clients ?? {},
    fallback: v.meter?.fallback ? toFallbackWire(v.meter.fallback) : null,
  };
}
