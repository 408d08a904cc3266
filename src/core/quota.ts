// The quota snapshot that every view renders: what the account model says about today and this minute
// (account/model.ts), with the poll's status, errors, the key's spending cap and the balance around it.
// Pure: the same observation, view and time give the same snapshot.
import { AccountModel } from './account/model';
import {
  BASE_DAILY,
  dayLimitOf,
  FUNDED_CREDITS_THRESHOLD,
  FUNDED_DAILY,
  type Level,
  LEVEL_RANK,
} from './account/limits';
import { type AccountView, daySource, type DayView, type MinuteView, type RateLimitEvent } from './account/view';
import type { ErrorReason } from './errors';
import type { FallbackStatus } from './fallback/types';
import { UNLOCK_SENTENCE } from './quotaText';
import type { Credits, KeyInfo } from './responses';

export { BASE_DAILY, DEFAULT_PER_MINUTE, FUNDED_CREDITS_THRESHOLD, FUNDED_DAILY } from './account/limits';

export type BalanceReading =
  | { kind: 'known'; credits: Credits }
  | { kind: 'unavailable'; reason: 'needs-management-key' | 'error'; message?: string };

/** What one poll learned. Holds no key, so processes may share it through a file. */
export interface Observation {
  /** When the answer arrived. */
  fetchedAt: number;
  /** When the poll was sent (absent in records written by older versions: then fetchedAt). */
  startedAt?: number;
  key: KeyInfo;
  balance: BalanceReading;
  /** When /credits was last asked (it is skipped for an hour after a 403). */
  creditsCheckedAt?: number;
  /** The daily count seen by the poll before this one (for the estimates, also across restarts). */
  previous?: { used: number; at: number; startedAt?: number };
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
  /**
   * How stale OpenRouter's count may be, in seconds: GET /key has been seen to lag about a minute
   * (openrouter-api.md §5, observed by a third party, not documented). Requests the proxy sent within this
   * long before a poll may be missing from its count; they are never taken for traffic elsewhere.
   */
  serverLagSeconds: number;
}

export const DEFAULT_SETTINGS: QuotaSettings = {
  perMinute: 0,
  perDay: 0,
  warning: 0.8,
  critical: 0.95,
  pollIntervalSeconds: 60,
  serverLagSeconds: 60,
};

export type Severity = 'normal' | 'warning' | 'critical';

export interface DayQuota extends DayView {
  remaining: number | null;
  /** server: OpenRouter's count (plus what the local proxy forwarded since); local: only the proxy's count. */
  source: 'server' | 'local' | 'none';
  /** Why the limit is what it is, in words. */
  tierReason: string;
}

export type MinuteQuota = MinuteView;

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
  /** Present while the local proxy meters this account (in this process or another). */
  proxy?: { waiting: number; lastRateLimit?: RateLimitEvent };
  /** What the meter's fallbacks did today (the host's, in every window); absent when it reports none. */
  fallback?: FallbackStatus;
  /** Severity of the worst limit, for colour. */
  severity: Severity;
}

export function noKeySnapshot(now: number): QuotaSnapshot {
  return { status: 'no-key', at: now, stale: false, severity: 'normal' };
}

export function loadingSnapshot(now: number): QuotaSnapshot {
  return { status: 'loading', at: now, stale: false, severity: 'normal' };
}

const SEVERITY_OF: Record<Level, Severity> = {
  none: 'normal',
  warning: 'warning',
  critical: 'critical',
  limit: 'critical',
};
const RANK: Record<Severity, number> = { normal: 0, warning: 1, critical: 2 };
const worst = (...all: Severity[]): Severity => all.reduce((a, b) => (RANK[b] > RANK[a] ? b : a), 'normal');

export function severityOfLevel(level: Level): Severity {
  return SEVERITY_OF[level];
}

export function balanceOf(b: BalanceReading | undefined): number | undefined {
  return b?.kind === 'known' ? b.credits.totalCredits - b.credits.totalUsage : undefined;
}

/** The view of an observation alone (no meter): for callers without an account model of their own. */
export function viewOfObservation(obs: Observation, settings: QuotaSettings, now: number): AccountView {
  const model = new AccountModel({
    clock: { now: () => now, setTimer: () => ({ cancel() {} }) },
    settings: () => settings,
  });
  model.observe(obs);
  return model.view(now);
}

/** Build the snapshot from the last good observation (if any), the last error (if any) and the account view. */
export function buildSnapshot(
  obs: Observation | undefined,
  error: SnapshotError | undefined,
  settings: QuotaSettings,
  now: number,
  view?: AccountView,
): QuotaSnapshot {
  if (!obs) {
    return error
      ? { status: 'error', at: now, stale: false, error, severity: error.reason === 'auth' ? 'critical' : 'normal' }
      : loadingSnapshot(now);
  }
  const v = view ?? viewOfObservation(obs, settings, now);
  const d = v.day;
  const day: DayQuota = {
    ...d,
    remaining: d.used !== null && d.limit !== null ? Math.max(0, d.limit - d.used) : null,
    source: daySource(d),
    tierReason: tierReason(d, obs, settings),
  };
  const k = obs.key;
  const keyCap = k.limit !== null ? { limit: k.limit, remaining: k.limitRemaining, reset: k.limitReset } : undefined;
  const balance = balanceOf(obs.balance);
  const severity = worst(
    SEVERITY_OF[d.level],
    SEVERITY_OF[v.minute.level],
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
    minute: v.minute,
    keyCap,
    balance: obs.balance,
    proxy: v.meter ? { waiting: v.meter.waiting, lastRateLimit: v.meter.lastRateLimit } : undefined,
    ...(v.meter?.fallback ? { fallback: v.meter.fallback } : {}),
    severity,
  };
}

/** The worse of the two windows' levels. */
export function worstWindowLevel(s: QuotaSnapshot): Level {
  const a = s.day?.level ?? 'none';
  const b = s.minute?.level ?? 'none';
  return LEVEL_RANK[b] > LEVEL_RANK[a] ? b : a;
}

/** Why the daily limit is what it is, in words (the tooltip's and the dashboard's "Tier" line). */
function tierReason(d: DayView, obs: Observation, settings: QuotaSettings): string {
  const base =
    d.limitSource === 'setting'
      ? dayLimitOf(obs, 0)
      : { ...dayLimitOf(obs, 0), limit: d.limit, source: d.limitSource, tier: d.tier };
  let text: string;
  if (base.source === 'server' || base.source === 'learned') {
    const limit = base.limit ?? BASE_DAILY;
    text =
      base.tier === 'funded'
        ? `OpenRouter allows this account ${limit} free requests a day (it has bought at least ${FUNDED_CREDITS_THRESHOLD} credits).`
        : `OpenRouter allows this account ${limit} free requests a day. ${UNLOCK_SENTENCE}`;
  } else if (base.source === 'tier' && (obs.key.isFreeTier === true || base.credits === undefined)) {
    text = `This account has never bought credits, so free models allow ${BASE_DAILY} requests a day. ${UNLOCK_SENTENCE}`;
  } else if (base.source === 'tier') {
    text =
      base.tier === 'funded'
        ? `This account has bought ${base.credits} credits (at least ${FUNDED_CREDITS_THRESHOLD}), so free models allow ${FUNDED_DAILY} requests a day.`
        : `This account has bought ${base.credits} credits; ${FUNDED_CREDITS_THRESHOLD} unlock ${FUNDED_DAILY} free requests a day.`;
  } else {
    text = `OpenRouter did not report the daily limit: it is ${BASE_DAILY} (under ${FUNDED_CREDITS_THRESHOLD} credits bought) or ${FUNDED_DAILY}. Set openrouterQuota.limits.perDay to pin it.`;
  }
  return d.limitSource === 'setting'
    ? `Daily limit set to ${settings.perDay} in settings (openrouterQuota.limits.perDay). ${text}`
    : text;
}
