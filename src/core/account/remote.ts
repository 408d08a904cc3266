// A reader's side of GET /quota: the host's view, read over loopback, checked field by field (whatever holds
// the port may answer anything), and combined with this process's own settings and its own latest reading
// of OpenRouter's count, which may be newer than the host's (the CLI's one-shot `status`, or a window of
// another profile). The host's figures stay the base: it is the one that meters.
import type { RateLimitKind } from '../errors';
import type { QuotaSettings } from '../quota';
import { MINUTE, minuteWindowStart } from '../../shared/time';
import { type DayLimitSource, levelOf, type MinuteLimitSource } from './limits';
import type { AccountView, Known, QuotaWire, RateLimitEvent } from './view';
import type { FallbackStatus } from '../fallback/types';
import { parseFallbackWire } from '../fallback/wire';

export interface RemoteAccount {
  day: {
    used: number | null;
    limit: number | null;
    limitSource: DayLimitSource;
    known: Known;
    proxied: number | null;
    outside: number | null;
    serverUsed: number | null;
    serverAt: number | null;
    unconfirmed: number | null;
  };
  minute: {
    used: number | null;
    limit: number;
    limitSource: MinuteLimitSource;
    known: Known;
    proxied: number | null;
    outside: number | null;
    windowStart: number;
  };
  waiting: number;
  lastRateLimit?: RateLimitEvent;
  models: Record<string, number>;
  clients: Record<string, number>;
  fallback?: FallbackStatus;
}

const KNOWN: readonly Known[] = ['exact', 'estimate', 'unknown'];
const DAY_SOURCES: readonly DayLimitSource[] = ['setting', 'server', 'tier', 'learned', 'none'];
const MINUTE_SOURCES: readonly MinuteLimitSource[] = ['setting', 'learned', 'default'];
const KINDS: readonly RateLimitKind[] = ['per-minute', 'per-day', 'upstream', 'unknown'];
/** A reader keeps at most this many per-model counts of the host's answer. */
const MAX_MODELS = 200;

const isObj = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const count = (v: unknown): number | null => (typeof v === 'number' && Number.isSafeInteger(v) && v >= 0 ? v : null);
const time = (v: unknown): number | null => {
  const t = typeof v === 'string' ? Date.parse(v) : NaN;
  return Number.isFinite(t) ? t : null;
};
const oneOf = <T extends string>(v: unknown, all: readonly T[], fallback: T): T =>
  all.includes(v as T) ? (v as T) : fallback;

/** The host's GET /quota answer, or undefined when it is not one. */
export function parseQuotaWire(json: unknown): RemoteAccount | undefined {
  if (!isObj(json) || !isObj(json.day) || !isObj(json.minute)) return undefined;
  const d = json.day;
  const m = json.minute;
  const limit = count(m.limit);
  const windowStart = time(m.windowStart);
  if (!limit || windowStart === null) return undefined;
  const r = isObj(json.lastRateLimit) ? json.lastRateLimit : undefined;
  const at = r ? time(r.at) : null;
  const models = counts(json.models);
  const clients = counts(json.clients);
  return {
    day: {
      used: count(d.used),
      limit: count(d.limit),
      limitSource: oneOf(d.limitSource, DAY_SOURCES, 'none'),
      known: oneOf(d.known, KNOWN, 'unknown'),
      proxied: count(d.proxied),
      outside: count(d.outside),
      serverUsed: count(d.serverUsed),
      serverAt: time(d.serverAt),
      unconfirmed: count(d.unconfirmed),
    },
    minute: {
      used: count(m.used),
      limit,
      limitSource: oneOf(m.limitSource, MINUTE_SOURCES, 'default'),
      known: oneOf(m.known, KNOWN, 'unknown'),
      proxied: count(m.proxied),
      outside: count(m.outside),
      windowStart,
    },
    waiting: (isObj(json.queue) && count(json.queue.waiting)) || 0,
    lastRateLimit:
      r && at !== null
        ? {
            kind: oneOf(r.kind, KINDS, 'unknown'),
            at,
            resetsAt: time(r.resetsAt) ?? undefined,
            message: typeof r.message === 'string' ? r.message.slice(0, 500) : '',
          }
        : undefined,
    models,
    clients,
    fallback: parseFallbackWire(json.fallback),
  };
}

/** A name → count map from the wire, bounded in size and name length. */
function counts(v: unknown): Record<string, number> {
  const out: Record<string, number> = {};
  if (!isObj(v)) return out;
  for (const [k, x] of Object.entries(v).slice(0, MAX_MODELS)) {
    const n = count(x);
    if (n !== null) out[k.slice(0, 256)] = n;
  }
  return out;
}

/** What a reader shows: the host's counts, this process's limits and thresholds, and its own newer reading. */
export function combineRemote(r: RemoteAccount, own: AccountView, s: QuotaSettings, now: number): AccountView {
  let dayUsed = r.day.used;
  let dayOutside = r.day.outside;
  let dayKnown = r.day.known;
  const ownServer = own.day.server;
  const remoteServerAt = r.day.serverAt ?? 0;
  let extra = 0;
  if (ownServer && ownServer.at > remoteServerAt) {
    // Our reading is newer than any the host has. Its growth beyond what the host's count may have left
    // out (what the proxy sent since a lag before the host's poll) went elsewhere.
    if (r.day.serverUsed !== null) extra = Math.max(0, ownServer.used - r.day.serverUsed - (r.day.unconfirmed ?? 0));
    const proxied = r.day.proxied ?? 0;
    const outsideNow = Math.max(dayOutside ?? 0, ownServer.used - proxied, (dayOutside ?? 0) + extra);
    dayOutside = r.day.proxied !== null ? outsideNow : dayOutside;
    dayUsed = Math.max(dayUsed ?? 0, ownServer.used, proxied + outsideNow);
    dayKnown = 'exact';
  }
  const dayLimit = s.perDay > 0 ? s.perDay : (r.day.limit ?? own.day.limit);
  const windowStart = minuteWindowStart(now);
  const sameWindow = r.minute.windowStart === windowStart;
  const minuteLimit = s.perMinute > 0 ? s.perMinute : r.minute.limit;
  let minuteUsed = sameWindow ? r.minute.used : null;
  let minuteKnown: Known = sameWindow ? r.minute.known : 'unknown';
  let minuteOutside = sameWindow ? r.minute.outside : null;
  if (extra > 0 && sameWindow && minuteUsed !== null) {
    const span = Math.max(MINUTE, ownServer!.at - (r.day.serverAt ?? ownServer!.at - MINUTE));
    const rate = Math.min(Math.ceil((extra * MINUTE) / span), Math.max(0, minuteLimit - minuteUsed));
    minuteOutside = (minuteOutside ?? 0) + rate;
    minuteUsed += rate;
    minuteKnown = 'estimate';
  }
  return {
    at: now,
    day: {
      ...own.day,
      used: dayUsed,
      limit: dayLimit,
      candidates: dayLimit === null ? own.day.candidates : [dayLimit],
      limitSource: s.perDay > 0 ? 'setting' : r.day.limit !== null ? r.day.limitSource : own.day.limitSource,
      level: levelOf(dayUsed, dayLimit, s),
      known: dayKnown,
      proxied: r.day.proxied,
      outside: dayOutside,
      server:
        ownServer && ownServer.at > remoteServerAt
          ? ownServer
          : r.day.serverUsed !== null && r.day.serverAt !== null
            ? { used: r.day.serverUsed, at: r.day.serverAt }
            : own.day.server,
    },
    minute: {
      used: minuteUsed,
      limit: minuteLimit,
      limitSource: s.perMinute > 0 ? 'setting' : r.minute.limitSource,
      level: levelOf(minuteUsed, minuteLimit, s),
      known: minuteKnown,
      proxied: sameWindow ? r.minute.proxied : null,
      outside: minuteOutside,
      windowStart,
      resetsAt: windowStart + MINUTE,
    },
    meter: {
      waiting: r.waiting,
      lastRateLimit: r.lastRateLimit,
      models: r.models,
      clients: r.clients,
      fallback: r.fallback,
    },
  };
}

export type { QuotaWire };
