// The quota model: turns what was fetched from OpenRouter (an Observation, shareable between windows)
// into the QuotaSnapshot that every view renders. Pure: same input, same snapshot.
import type { ErrorReason } from './errors';
import type { Credits, KeyInfo } from './responses';
import { MINUTE, minuteWindowStart, nextUtcMidnight } from './time';

/** OpenRouter's documented free-model limits (openrouter-api.md §0.3); overridable in settings. */
export const DEFAULT_PER_MINUTE = 20;
export const BASE_DAILY = 50;
export const FUNDED_DAILY = 1000;
export const FUNDED_CREDITS_THRESHOLD = 10;

export type BalanceReading =
  | { kind: 'known'; credits: Credits }
  | { kind: 'unavailable'; reason: 'needs-management-key' | 'error'; message?: string };

/** What one poll learned. Holds no key, so windows may share it through a file. */
export interface Observation {
  fetchedAt: number;
  key: KeyInfo;
  balance: BalanceReading;
  /** When /credits was last asked (it is skipped for an hour after a 403). */
  creditsCheckedAt?: number;
  /** The daily count seen by the poll before this one, for the per-minute estimate. */
  previous?: { used: number; at: number };
  /** A per-minute ceiling learned from a 429 (OpenRouter has been seen answering 16 instead of 20). */
  learnedPerMinute?: number;
}

export interface QuotaSettings {
  /** 0 = automatic (learned, else 20). */
  perMinute: number;
  /** 0 = automatic (from OpenRouter's answer). */
  perDay: number;
  warning: number;
  critical: number;
  pollIntervalSeconds: number;
}

export const DEFAULT_SETTINGS: QuotaSettings = { perMinute: 0, perDay: 0, warning: 0.8, critical: 0.95, pollIntervalSeconds: 60 };

export type Tier = 'base' | 'funded' | 'unknown';
export type Severity = 'normal' | 'warning' | 'critical';

export interface DayQuota {
  /** null: OpenRouter did not report today's count. */
  used: number | null;
  /** null: unknown (then `candidates` lists what it can be). */
  limit: number | null;
  candidates: number[];
  remaining: number | null;
  resetsAt: number;
  /** server: OpenRouter's count (plus what the local proxy forwarded since); local: only the proxy's count. */
  source: 'server' | 'local' | 'none';
  limitSource: 'server' | 'setting' | 'tier' | 'none';
  tier: Tier;
  /** Why the limit is what it is, in words. */
  tierReason: string;
}

export interface MinuteQuota {
  used: number | null;
  limit: number;
  limitSource: 'default' | 'setting' | 'learned';
  /** true: inferred from the growth of the daily count between polls; false: counted by the local proxy. */
  estimate: boolean;
  windowStart: number;
  resetsAt: number;
}

export interface KeyCap {
  limit: number;
  remaining: number | null;
  reset: string | null;
}

export interface SnapshotError {
  reason: ErrorReason;
  message: string;
  at: number;
  retryAt?: number;
}

export type Status = 'no-key' | 'loading' | 'ok' | 'error';

/** What the local metering proxy counted, exactly, as of `at`. */
export interface LocalCounts {
  at: number;
  windowStart: number;
  minuteUsed: number;
  /** The proxy's per-minute limit (setting, else learned from a 429, else 20). */
  minuteLimit: number;
  minuteLimitLearned: boolean;
  /** Best estimate of today's free requests (server count plus attempts forwarded since). */
  dayUsed: number;
  dayLimit: number | null;
  /** Requests the proxy is holding until the minute window has room. */
  waiting: number;
  lastRateLimit?: { kind: 'per-minute' | 'per-day' | 'upstream' | 'unknown'; at: number; resetsAt?: number; message: string };
}

/** The single source of truth that the status bar, the quota check and notifications render. */
export interface QuotaSnapshot {
  status: Status;
  at: number;
  fetchedAt?: number;
  /** The data is older than two poll intervals (or an error followed it). */
  stale: boolean;
  error?: SnapshotError;
  keyLabel?: string | null;
  day?: DayQuota;
  minute?: MinuteQuota;
  /** The key's own spending cap; absent when the key has none. */
  keyCap?: KeyCap;
  balance?: BalanceReading;
  /** Present while the local proxy runs (in this window or another). */
  proxy?: { waiting: number; lastRateLimit?: LocalCounts['lastRateLimit'] };
  /** Severity of the worst limit, for colour. */
  severity: Severity;
}

export function noKeySnapshot(now: number): QuotaSnapshot {
  return { status: 'no-key', at: now, stale: false, severity: 'normal' };
}

export function loadingSnapshot(now: number): QuotaSnapshot {
  return { status: 'loading', at: now, stale: false, severity: 'normal' };
}

function dailyQuota(obs: Observation, settings: QuotaSettings, now: number): DayQuota {
  const fd = obs.key.freeDaily;
  // The count is for the UTC day of the poll: after midnight it no longer applies.
  const sameDay = nextUtcMidnight(obs.fetchedAt) === nextUtcMidnight(now);
  const used = fd && sameDay ? fd.used : null;
  let limit: number | null;
  let limitSource: DayQuota['limitSource'];
  let tier: Tier;
  let tierReason: string;
  const credits = obs.balance.kind === 'known' ? obs.balance.credits.totalCredits : undefined;
  if (fd) {
    limit = fd.limit;
    limitSource = 'server';
    tier = fd.limit >= FUNDED_DAILY ? 'funded' : 'base';
    tierReason =
      tier === 'funded'
        ? `OpenRouter allows this account ${fd.limit} free requests a day (it has bought at least ${FUNDED_CREDITS_THRESHOLD} credits).`
        : `OpenRouter allows this account ${fd.limit} free requests a day. Buying ${FUNDED_CREDITS_THRESHOLD} credits (once) raises it to ${FUNDED_DAILY}.`;
  } else if (obs.key.isFreeTier === true) {
    limit = BASE_DAILY;
    limitSource = 'tier';
    tier = 'base';
    tierReason = `This account has never bought credits, so free models allow ${BASE_DAILY} requests a day. Buying ${FUNDED_CREDITS_THRESHOLD} credits (once) raises it to ${FUNDED_DAILY}.`;
  } else if (credits !== undefined) {
    tier = credits >= FUNDED_CREDITS_THRESHOLD ? 'funded' : 'base';
    limit = tier === 'funded' ? FUNDED_DAILY : BASE_DAILY;
    limitSource = 'tier';
    tierReason =
      tier === 'funded'
        ? `This account has bought ${credits} credits (at least ${FUNDED_CREDITS_THRESHOLD}), so free models allow ${FUNDED_DAILY} requests a day.`
        : `This account has bought ${credits} credits; ${FUNDED_CREDITS_THRESHOLD} unlock ${FUNDED_DAILY} free requests a day.`;
  } else {
    limit = null;
    limitSource = 'none';
    tier = 'unknown';
    tierReason = `OpenRouter did not report the daily limit: it is ${BASE_DAILY} (under ${FUNDED_CREDITS_THRESHOLD} credits bought) or ${FUNDED_DAILY}. Set openrouterQuota.limits.perDay to pin it.`;
  }
  if (settings.perDay > 0) {
    limit = settings.perDay;
    limitSource = 'setting';
    tierReason = `Daily limit set to ${settings.perDay} in settings (openrouterQuota.limits.perDay). ${tierReason}`;
  }
  return {
    used,
    limit,
    candidates: limit === null ? [BASE_DAILY, FUNDED_DAILY] : [limit],
    remaining: used !== null && limit !== null ? Math.max(0, limit - used) : null,
    resetsAt: nextUtcMidnight(now),
    source: used === null ? 'none' : 'server',
    limitSource,
    tier,
    tierReason,
  };
}

/**
 * Without the local proxy nothing counts single requests, so this minute's figure is inferred from how much
 * the daily count grew between the last two polls, scaled to one minute. Only polls 20 s to 150 s apart on
 * the same UTC day qualify; anything else is unknown rather than a guess.
 */
export function estimatePerMinute(obs: Observation): number | null {
  const fd = obs.key.freeDaily;
  const prev = obs.previous;
  if (!fd || !prev) return null;
  const dt = obs.fetchedAt - prev.at;
  if (dt < 20_000 || dt > 150_000 || nextUtcMidnight(prev.at) !== nextUtcMidnight(obs.fetchedAt)) return null;
  const delta = fd.used - prev.used;
  if (delta < 0) return null;
  return Math.round((delta * MINUTE) / dt);
}

function minuteQuota(obs: Observation | undefined, settings: QuotaSettings, now: number, local?: LocalCounts): MinuteQuota {
  const windowStart = minuteWindowStart(now);
  if (local) {
    // Counted, not estimated; a count from an earlier window says nothing about this one.
    const limitSource = settings.perMinute > 0 ? 'setting' : local.minuteLimitLearned ? 'learned' : 'default';
    const limit = settings.perMinute > 0 ? settings.perMinute : local.minuteLimit;
    const used = local.windowStart === windowStart ? local.minuteUsed : null;
    return { used, limit, limitSource, estimate: false, windowStart, resetsAt: windowStart + MINUTE };
  }
  const [limit, limitSource]: [number, MinuteQuota['limitSource']] =
    settings.perMinute > 0 ? [settings.perMinute, 'setting'] : obs?.learnedPerMinute ? [obs.learnedPerMinute, 'learned'] : [DEFAULT_PER_MINUTE, 'default'];
  // An estimate describes the minute around its poll; two minutes later it says nothing.
  const fresh = obs !== undefined && now - obs.fetchedAt <= 2 * MINUTE;
  return { used: fresh ? estimatePerMinute(obs) : null, limit, limitSource, estimate: true, windowStart, resetsAt: windowStart + MINUTE };
}

/** The one set of cut-offs: at or over the limit, else critical or warning by ratio; undefined below them (or no limit). */
export function quotaLevel(used: number, limit: number, t: Pick<QuotaSettings, 'warning' | 'critical'>): 'warning' | 'critical' | 'limit' | undefined {
  if (limit <= 0) return undefined;
  if (used >= limit) return 'limit';
  if (used / limit >= t.critical) return 'critical';
  if (used / limit >= t.warning) return 'warning';
  return undefined;
}

export function severityOf(used: number | null, limit: number | null, s: QuotaSettings): Severity {
  if (used === null || limit === null) return 'normal';
  const level = quotaLevel(used, limit, s);
  return level === 'limit' ? 'critical' : (level ?? 'normal');
}

const RANK: Record<Severity, number> = { normal: 0, warning: 1, critical: 2 };
const worst = (...all: Severity[]): Severity => all.reduce((a, b) => (RANK[b] > RANK[a] ? b : a), 'normal');

export function balanceOf(b: BalanceReading | undefined): number | undefined {
  return b?.kind === 'known' ? b.credits.totalCredits - b.credits.totalUsage : undefined;
}

/** Build the snapshot from the last good observation (if any) and the last error (if any). */
export function buildSnapshot(obs: Observation | undefined, error: SnapshotError | undefined, settings: QuotaSettings, now: number, local?: LocalCounts): QuotaSnapshot {
  if (!obs) {
    return error ? { status: 'error', at: now, stale: false, error, severity: error.reason === 'auth' ? 'critical' : 'normal' } : loadingSnapshot(now);
  }
  const day = withLocalDay(dailyQuota(obs, settings, now), local, now);
  const minute = minuteQuota(obs, settings, now, local);
  const k = obs.key;
  const keyCap = k.limit !== null ? { limit: k.limit, remaining: k.limitRemaining, reset: k.limitReset } : undefined;
  const balance = balanceOf(obs.balance);
  const severity = worst(
    severityOf(day.used, day.limit, settings),
    severityOf(minute.used, minute.limit, settings),
    balance !== undefined && balance < 0 ? 'warning' : 'normal',
    error?.reason === 'auth' ? 'critical' : 'normal',
  );
  const staleAfter = 2 * Math.max(30, settings.pollIntervalSeconds) * 1000;
  return {
    status: error ? 'error' : 'ok',
    at: now,
    fetchedAt: obs.fetchedAt,
    stale: error !== undefined || now - obs.fetchedAt > staleAfter,
    error,
    keyLabel: k.label,
    day,
    minute,
    keyCap,
    balance: obs.balance,
    proxy: local ? { waiting: local.waiting, lastRateLimit: local.lastRateLimit } : undefined,
    severity,
  };
}

/** The server's daily count is up to ~60 s behind and misses what the proxy forwarded since: take the larger. */
function withLocalDay(day: DayQuota, local: LocalCounts | undefined, now: number): DayQuota {
  if (!local || nextUtcMidnight(local.at) !== nextUtcMidnight(now)) return day;
  const used = Math.max(day.used ?? 0, local.dayUsed);
  const limit = day.limit ?? local.dayLimit;
  return {
    ...day,
    used,
    limit,
    candidates: limit === null ? day.candidates : [limit],
    remaining: limit !== null ? Math.max(0, limit - used) : null,
    source: day.used !== null ? 'server' : 'local',
  };
}
