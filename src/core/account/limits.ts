// The limits of OpenRouter's free models and the one place that decides which limit applies and how close a
// count is to it. OpenRouter changes these without notice (openrouter-api.md §7 "Limit history"; 16 a
// minute has been seen instead of 20), so every value here can be overridden in settings or learned from a 429.
import type { RateLimitKind } from '../errors';
import type { Observation } from '../quota';
import { MINUTE, minuteWindowStart, nextUtcMidnight } from '../../shared/time';

/** OpenRouter's documented free-model limits (openrouter-api.md §0.3). */
export const DEFAULT_PER_MINUTE = 20;
export const BASE_DAILY = 50;
export const FUNDED_DAILY = 1000;
export const FUNDED_CREDITS_THRESHOLD = 10;

/** How close a window is to its limit. `none` below the warning share (or when the count is unknown). */
export type Level = 'none' | 'warning' | 'critical' | 'limit';
export const LEVEL_RANK: Record<Level, number> = { none: 0, warning: 1, critical: 2, limit: 3 };

export interface Thresholds {
  /** Share of a limit at which a window is a warning (openrouterQuota.thresholds.warning). */
  warning: number;
  /** Share at which it is critical (openrouterQuota.thresholds.critical). */
  critical: number;
}

/** The one set of cut-offs: at or over the limit, else critical or warning by share; none below them. */
export function levelOf(used: number | null, limit: number | null, t: Thresholds): Level {
  if (used === null || limit === null || !(limit > 0)) return 'none';
  if (used >= limit) return 'limit';
  if (used / limit >= t.critical) return 'critical';
  if (used / limit >= t.warning) return 'warning';
  return 'none';
}

export function worstLevel(...levels: Level[]): Level {
  return levels.reduce<Level>((a, b) => (LEVEL_RANK[b] > LEVEL_RANK[a] ? b : a), 'none');
}

/**
 * The limits a 429 may teach, as [min, max]. A learned limit rules every later free request until a restart,
 * and an X-RateLimit-Limit header is only one answer's word (a hostile run sent 1 and kept the proxy at one
 * request a minute). Ignoring a true limit costs little: each 429 over it still blocks the rest of its own
 * window. Believing a false low one costs the user most of their quota. So:
 * - per minute: OpenRouter documents 20 [V-doc] and has been seen answering 16 [V-obs] (openrouter-api.md
 *   §4.3 d, §7); below 10 (half the documented limit) is not believed, nor above 1000, more requests than the
 *   funded tier allows in a whole day (§0.3).
 * - per day: 50 and 1000 documented, 200 before April 2025 (§7); below 10 or above 10 000 is not believed.
 * The settings (perMinute, perDay) still take any value the user chooses.
 */
export const PLAUSIBLE_PER_MINUTE: readonly [number, number] = [10, 1000];
export const PLAUSIBLE_PER_DAY: readonly [number, number] = [10, 10_000];

/** Whether a limit from a 429 is one to learn (a whole number within `range`). */
export function plausibleLimit(n: number | undefined, range: readonly [number, number]): n is number {
  return n !== undefined && Number.isInteger(n) && n >= range[0] && n <= range[1];
}

/**
 * How long a per-minute 429 may block past the end of its window: the windows are whole minutes (§4.1), and
 * OpenRouter's clock and ours differ by a little; a reset further ahead is not believed.
 */
export const MINUTE_BLOCK_MARGIN_MS = 2_000;

/**
 * Until when a per-minute or per-day 429 blocks free requests: its reset (else the end of its window), but
 * never past the window: a minute ends by its end plus MINUTE_BLOCK_MARGIN_MS, a day by the next 00:00 UTC
 * (OpenRouter's day, §4.1). Undefined for other kinds, which block nothing.
 */
export function blockEnd(kind: RateLimitKind, resetsAt: number | undefined, now: number): number | undefined {
  if (kind !== 'per-minute' && kind !== 'per-day') return undefined;
  const windowEnd = kind === 'per-minute' ? minuteWindowStart(now) + MINUTE : nextUtcMidnight(now);
  const latest = kind === 'per-minute' ? windowEnd + MINUTE_BLOCK_MARGIN_MS : windowEnd;
  return Math.min(resetsAt !== undefined && resetsAt > now ? resetsAt : windowEnd, latest);
}

export type MinuteLimitSource = 'setting' | 'learned' | 'default';

/** Setting, else what OpenRouter's last per-minute 429 said (when plausible), else 20. */
export function minuteLimitOf(
  setting: number,
  learned: number | undefined,
): { limit: number; source: MinuteLimitSource } {
  if (setting > 0) return { limit: setting, source: 'setting' };
  if (plausibleLimit(learned, PLAUSIBLE_PER_MINUTE)) return { limit: learned, source: 'learned' };
  return { limit: DEFAULT_PER_MINUTE, source: 'default' };
}

export type Tier = 'base' | 'funded' | 'unknown';
export type DayLimitSource = 'setting' | 'server' | 'tier' | 'learned' | 'none';

export interface DayLimit {
  /** null: unknown (then `candidates` lists what it can be). */
  limit: number | null;
  source: DayLimitSource;
  candidates: number[];
  tier: Tier;
  /** Credits bought, when /credits answered (for the tier's wording). */
  credits?: number;
  /** The daily limit OpenRouter reported, when it did (a setting may override it). */
  server?: number;
}

/**
 * Setting, else the limit OpenRouter reports (`free_model_daily_requests.limit`), else one learned from a
 * per-day 429, else the tier: `is_free_tier: true` means 50, 10 credits bought means 1000 (openrouter-api.md
 * §1.3: the tier is taken from the reported limit, never from is_free_tier alone when the limit is there).
 */
export function dayLimitOf(obs: Observation | undefined, setting: number, learned?: number): DayLimit {
  const fd = obs?.key.freeDaily;
  const credits = obs?.balance.kind === 'known' ? obs.balance.credits.totalCredits : undefined;
  let base: DayLimit;
  if (fd) {
    base = {
      limit: fd.limit,
      source: 'server',
      candidates: [fd.limit],
      tier: fd.limit >= FUNDED_DAILY ? 'funded' : 'base',
      credits,
      server: fd.limit,
    };
  } else if (plausibleLimit(learned, PLAUSIBLE_PER_DAY)) {
    base = {
      limit: learned,
      source: 'learned',
      candidates: [learned],
      tier: learned >= FUNDED_DAILY ? 'funded' : 'base',
      credits,
    };
  } else if (obs?.key.isFreeTier === true) {
    base = { limit: BASE_DAILY, source: 'tier', candidates: [BASE_DAILY], tier: 'base', credits };
  } else if (credits !== undefined) {
    const funded = credits >= FUNDED_CREDITS_THRESHOLD;
    base = {
      limit: funded ? FUNDED_DAILY : BASE_DAILY,
      source: 'tier',
      candidates: [funded ? FUNDED_DAILY : BASE_DAILY],
      tier: funded ? 'funded' : 'base',
      credits,
    };
  } else {
    base = { limit: null, source: 'none', candidates: [BASE_DAILY, FUNDED_DAILY], tier: 'unknown', credits };
  }
  return setting > 0 ? { ...base, limit: setting, source: 'setting', candidates: [setting] } : base;
}
