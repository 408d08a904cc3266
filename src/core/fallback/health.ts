// How each free model has fared over the last hour, as the meter saw it: requests, successes, the model's
// own trouble (upstream 429s, capacity, ended) and the median time to the first byte of its answer. The
// fallback picks from it and the "Free models" views list it. Kept in memory by the proxy host, not in the
// ledger: an hour of health is worth little after a restart, and an untried model simply starts at 0.5.
// Bounded whatever clients send: at most MAX_MODELS models (the least recently used go) and MAX_SAMPLES
// outcomes each.
import { HOUR, MINUTE } from '../../shared/time';
import type { ModelInfo } from '../responses';
import type { ModelTrouble } from './policy';
import type { ModelHealthRow } from './types';

const WINDOW_MS = HOUR;
/** A model in trouble this recently is not tried as a fallback (its pool is likely still dry). */
export const RECENT_TROUBLE_MS = 5 * MINUTE;
const MAX_MODELS = 200;
const MAX_SAMPLES = 500;
/** Rows in GET /quota/history: the catalog's free models can be a few hundred. */
export const MAX_HEALTH_ROWS = 100;

export interface Outcome {
  at: number;
  status: number;
  trouble?: ModelTrouble;
  /** Sending to first answer byte, ms (successes only). */
  ttftMs?: number;
}

interface Tally {
  requests: number;
  successes: number;
  upstream429: number;
  capacity: number;
  ended: number;
  ttfts: number[];
  lastTroubleAt: number | null;
}

export class ModelHealthBook {
  /** Per model, outcomes oldest first; Map order is least recently used first. */
  private readonly book = new Map<string, Outcome[]>();

  record(model: string, o: Outcome): void {
    const list = this.book.get(model) ?? [];
    this.book.delete(model);
    list.push(o);
    let old = 0;
    while (old < list.length && o.at - list[old].at >= WINDOW_MS) old++;
    list.splice(0, Math.max(old, list.length - MAX_SAMPLES));
    this.book.set(model, list);
    if (this.book.size > MAX_MODELS) this.book.delete(this.book.keys().next().value as string);
  }

  /** No trouble within RECENT_TROUBLE_MS. */
  healthy(model: string, now: number): boolean {
    const t = this.tally(model, now).lastTroubleAt;
    return t === null || now - t >= RECENT_TROUBLE_MS;
  }

  /** 0..1, higher is healthier: (successes + 1) / (requests + 2), a quarter of that after recent trouble. */
  score(model: string, now: number): number {
    return scoreOf(this.tally(model, now), now);
  }

  /**
   * The catalog's free models (and any other free model the meter saw) healthiest first; ties go to the
   * faster first byte, then the catalog's order. At most MAX_HEALTH_ROWS.
   */
  rows(catalog: readonly ModelInfo[], now: number, isFree: (id: string) => boolean): ModelHealthRow[] {
    const info = new Map(catalog.map((m) => [m.id, m]));
    const ids = [...new Set([...catalog.map((m) => m.id), ...[...this.book.keys()].filter(isFree)])];
    const order = new Map(ids.map((id, i) => [id, i]));
    const rows = ids.map((id) => row(id, info.get(id), this.tally(id, now), now));
    rows.sort(
      (a, b) =>
        b.score - a.score ||
        (a.medianTtftMs ?? Infinity) - (b.medianTtftMs ?? Infinity) ||
        order.get(a.id)! - order.get(b.id)!,
    );
    return rows.slice(0, MAX_HEALTH_ROWS);
  }

  private tally(model: string, now: number): Tally {
    const t: Tally = {
      requests: 0,
      successes: 0,
      upstream429: 0,
      capacity: 0,
      ended: 0,
      ttfts: [],
      lastTroubleAt: null,
    };
    const list = this.book.get(model);
    if (!list) return t;
    for (const o of list) {
      if (now - o.at >= WINDOW_MS || o.at > now) continue;
      t.requests++;
      if (o.status >= 200 && o.status < 300) {
        t.successes++;
        if (o.ttftMs !== undefined) t.ttfts.push(o.ttftMs);
      }
      if (o.trouble) {
        if (o.trouble === 'upstream-rate-limited') t.upstream429++;
        else if (o.trouble === 'capacity') t.capacity++;
        else t.ended++;
        t.lastTroubleAt = Math.max(t.lastTroubleAt ?? 0, o.at);
      }
    }
    return t;
  }
}

function scoreOf(t: Tally, now: number): number {
  if (t.requests === 0) return 0.5;
  const base = (t.successes + 1) / (t.requests + 2);
  return t.lastTroubleAt !== null && now - t.lastTroubleAt < RECENT_TROUBLE_MS ? base / 4 : base;
}

function median(xs: number[]): number | null {
  if (xs.length === 0) return null;
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : Math.round((s[m - 1] + s[m]) / 2);
}

function row(id: string, m: ModelInfo | undefined, t: Tally, now: number): ModelHealthRow {
  return {
    id,
    name: m?.name ?? id,
    requests: t.requests,
    successes: t.successes,
    upstream429: t.upstream429,
    capacity: t.capacity,
    ended: t.ended,
    medianTtftMs: median(t.ttfts),
    contextLength: m?.contextLength ?? null,
    tools: m?.tools ?? false,
    imageInput: m?.imageInput ?? false,
    score: Math.round(scoreOf(t, now) * 1000) / 1000,
    lastTroubleAt: t.lastTroubleAt,
  };
}
