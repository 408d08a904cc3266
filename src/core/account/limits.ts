// The limits of OpenRouter's free models and the one place that decides which limit applies and how close a
// count is to it. OpenRouter changes these without notice (openrouter-api.md §7 "Limit history"; 16 a
// minute has been seen instead of 20), so every value here can be overridden in settings or learned from a 429.
import type { Observation } from '../quota';

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

export type MinuteLimitSource = 'setting' | 'learned' | 'default';

/** Setting, else what OpenRouter's last per-minute 429 said, else 20. */
export function minuteLimitOf(setting: number, learned: number | undefined): { limit: number; source: MinuteLimitSource } {
  if (setting > 0) return { limit: setting, source: 'setting' };
  if (learned !== undefined && learned > 0) return { limit: learned, source: 'learned' };
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
    base = { limit: fd.limit, source: 'server', candidates: [fd.limit], tier: fd.limit >= FUNDED_DAILY ? 'funded' : 'base', credits, server: fd.limit };
  } else if (learned !== undefined && learned > 0) {
    base = { limit: learned, source: 'learned', candidates: [learned], tier: learned >= FUNDED_DAILY ? 'funded' : 'base', credits };
  } else if (obs?.key.isFreeTier === true) {
    base = { limit: BASE_DAILY, source: 'tier', candidates: [BASE_DAILY], tier: 'base', credits };
  } else if (credits !== undefined) {
    const funded = credits >= FUNDED_CREDITS_THRESHOLD;
    base = { limit: funded ? FUNDED_DAILY : BASE_DAILY, source: 'tier', candidates: [funded ? FUNDED_DAILY : BASE_DAILY], tier: funded ? 'funded' : 'base', credits };
  } else {
    base = { limit: null, source: 'none', candidates: [BASE_DAILY, FUNDED_DAILY], tier: 'unknown', credits };
  }
  return setting > 0 ? { ...base, limit: setting, source: 'setting', candidates: [setting] } : base;
}
