// The free models a user can pick from, healthiest first: the meter's last hour (GET /quota/history `health`)
// when a proxy runs for the account, else the catalog's free models, untried. The dashboard's Free models card
// and the Free Models pick both list them from here. Health rows may come over loopback from another process
// (a reader window), and whatever holds the port may answer anything: each row is checked field by field and
// the list is bounded.
import { ModelHealthBook } from './fallback/health';
import type { ModelHealthRow } from './fallback/types';
import type { ModelInfo } from './responses';
import { isPlainModelId } from '../shared/actions';

/** Rows kept from an answer (the catalog has a few dozen free models; the meter's own list is bounded too). */
export const MAX_HEALTH_ROWS = 200;
const MAX_NAME = 200;

const isObj = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const count = (v: unknown): number => (typeof v === 'number' && Number.isSafeInteger(v) && v >= 0 ? v : 0);
const positive = (v: unknown): number | null => (typeof v === 'number' && Number.isFinite(v) && v > 0 ? v : null);
const name = (v: unknown): string | undefined =>
  typeof v === 'string' && v.trim() !== '' ? v.slice(0, MAX_NAME) : undefined;

/** GET /quota/history's `health`, leniently: bad rows are dropped, bad optional fields read as unknown. */
export function parseHealthRows(v: unknown): ModelHealthRow[] {
  if (!Array.isArray(v)) return [];
  const rows: ModelHealthRow[] = [];
  const seen = new Set<string>();
  for (const r of v.slice(0, MAX_HEALTH_ROWS)) {
    if (!isObj(r)) continue;
    // An id is used as it is (copied, written to the fallback list): one that is not a plausible id is dropped.
    const id = isPlainModelId(r.id) ? r.id : undefined;
    if (!id || seen.has(id)) continue;
    seen.add(id);
    const requests = count(r.requests);
    const score = typeof r.score === 'number' && Number.isFinite(r.score) ? Math.min(1, Math.max(0, r.score)) : 0.5;
    rows.push({
      id,
      name: name(r.name) ?? id,
      requests,
      successes: Math.min(requests, count(r.successes)),
      upstream429: count(r.upstream429),
      capacity: count(r.capacity),
      ended: count(r.ended),
      medianTtftMs: positive(r.medianTtftMs),
      contextLength: positive(r.contextLength),
      tools: r.tools === true,
      imageInput: r.imageInput === true,
      score,
      lastTroubleAt: positive(r.lastTroubleAt),
    });
  }
  return rows;
}

/** The catalog's free models as rows nobody tried (no proxy, or it has not said yet). */
export function catalogHealthRows(models: readonly ModelInfo[]): ModelHealthRow[] {
  // The meter's own rows with nothing recorded: the same fields, untried, in the catalog's order.
  return new ModelHealthBook().rows(models.slice(0, MAX_HEALTH_ROWS), 0, () => true);
}

/**
 * Healthiest first, as a person reads a list: the models tried this hour by score, then the untried ones
 * (a 0.5 would otherwise sit between a good and a bad tried model and look like a measurement). Stable:
 * ties keep the meter's order, which already breaks them.
 */
export function healthiestFirst(rows: readonly ModelHealthRow[]): ModelHealthRow[] {
  const tried = rows.filter((r) => r.requests > 0);
  const untried = rows.filter((r) => r.requests === 0);
  const byScore = (a: ModelHealthRow, b: ModelHealthRow) => b.score - a.score;
  return [...tried.sort(byScore), ...untried.sort(byScore)];
}

export type HealthLevel = 'good' | 'fair' | 'poor' | 'untried';

/** good ≥ 0.8 > fair ≥ 0.5 > poor; untried when the meter saw no request to it this hour. */
export function healthLevel(r: ModelHealthRow): HealthLevel {
  if (r.requests === 0) return 'untried';
  return r.score >= 0.8 ? 'good' : r.score >= 0.5 ? 'fair' : 'poor';
}

/** Where the rows come from: the meter (a proxy for this account), or the catalog alone. */
export type FreeModelsSource = 'meter' | 'catalog';

/** The rows to list and where they come from: the meter's when it answered with any, else the catalog's. */
export function freeModelRows(
  health: readonly ModelHealthRow[] | undefined,
  catalog: readonly ModelInfo[],
): { rows: ModelHealthRow[]; source: FreeModelsSource } {
  if (health && health.length > 0) return { rows: healthiestFirst(health), source: 'meter' };
  return { rows: catalogHealthRows(catalog), source: 'catalog' };
}
