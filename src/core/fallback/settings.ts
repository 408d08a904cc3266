// The user's fallback choices, from whatever gave them (VS Code's settings, the CLI's flags), as the one
// FallbackSettings the proxy reads. One function for both so that a setting and its flag cannot mean two
// things. Lenient: settings.json may hold anything, and a wrong value switches a feature off, never on
// (the paid fallback spends money, so it runs only with a model AND a positive budget).
import { FALLBACK_OFF, type FallbackSettings } from './types';

/** More would only be tried in order after the first few failed: a list this long is a mistake. */
export const MAX_FALLBACK_MODELS = 20;
/** Longer is no model id (and it ends up in headers, logs and the tooltip). */
const MAX_MODEL_ID = 200;

export interface RawFallbackSettings {
  enabled: unknown;
  models: unknown;
  paidModel: unknown;
  paidBudgetUsd: unknown;
}

/** A model id as given: trimmed; undefined when it is not a non-empty string of sane length. */
export function fallbackModelId(v: unknown): string | undefined {
  if (typeof v !== 'string') return undefined;
  const id = v.trim();
  return id !== '' && id.length <= MAX_MODEL_ID && !/\s/.test(id) ? id : undefined;
}

/** The settings → what the proxy reads. Returns FALLBACK_OFF itself when nothing is on and no model is listed. */
export function fallbackSettings(raw: RawFallbackSettings): FallbackSettings {
  const enabled = raw.enabled === true;
  const models: string[] = [];
  for (const m of Array.isArray(raw.models) ? (raw.models as unknown[]) : []) {
    const id = fallbackModelId(m);
    if (id && !models.includes(id)) models.push(id);
    if (models.length >= MAX_FALLBACK_MODELS) break;
  }
  const paidModel = fallbackModelId(raw.paidModel);
  const budget = raw.paidBudgetUsd;
  const paid =
    paidModel && typeof budget === 'number' && Number.isFinite(budget) && budget > 0
      ? { model: paidModel, dailyBudgetUsd: budget }
      : undefined;
  if (!enabled && models.length === 0 && !paid) return FALLBACK_OFF;
  return { enabled, models, ...(paid ? { paid } : {}) };
}
