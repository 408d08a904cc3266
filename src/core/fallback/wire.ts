// The fallback part of GET /quota: what the host's fallbacks did today, for reader windows and the CLI.
// Times travel as ISO 8601 like the rest of the wire; a reader checks each field (whatever holds the port
// may answer anything) and keeps at most MAX_FALLBACK_EVENTS events with bounded names.
import {
  type FallbackEvent,
  type FallbackReason,
  type FallbackStatus,
  MAX_FALLBACK_EVENTS,
  type PaidFallbackStatus,
} from './types';

export interface FallbackWire {
  enabled: boolean;
  recent: Array<{ at: string; from: string; to: string; reason: FallbackReason; paid: boolean; status: number }>;
  paid: PaidFallbackStatus | null;
}

const REASONS: readonly FallbackReason[] = ['upstream-rate-limited', 'capacity', 'ended', 'day-spent'];
const MAX_ID = 200;

export function toFallbackWire(s: FallbackStatus): FallbackWire {
  return {
    enabled: s.enabled,
    recent: s.recent.map((e) => ({ ...e, at: new Date(e.at).toISOString() })),
    paid: s.paid ? { ...s.paid } : null,
  };
}

const isObj = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const id = (v: unknown): string | undefined => (typeof v === 'string' && v !== '' ? v.slice(0, MAX_ID) : undefined);
const usd = (v: unknown): number | undefined => (typeof v === 'number' && Number.isFinite(v) && v >= 0 ? v : undefined);

/** The host's `fallback` member, or undefined when it has none or it is not one. */
export function parseFallbackWire(v: unknown): FallbackStatus | undefined {
  if (!isObj(v) || typeof v.enabled !== 'boolean') return undefined;
  const recent: FallbackEvent[] = [];
  for (const e of Array.isArray(v.recent) ? v.recent.slice(0, MAX_FALLBACK_EVENTS) : []) {
    if (!isObj(e)) continue;
    const at = typeof e.at === 'string' ? Date.parse(e.at) : NaN;
    const from = id(e.from);
    const to = id(e.to);
    if (!Number.isFinite(at) || !from || !to || !REASONS.includes(e.reason as FallbackReason)) continue;
    const status = typeof e.status === 'number' && Number.isInteger(e.status) ? e.status : 0;
    recent.push({ at, from, to, reason: e.reason as FallbackReason, paid: e.paid === true, status });
  }
  return { enabled: v.enabled, recent, paid: parsePaid(v.paid) };
}

function parsePaid(p: unknown): PaidFallbackStatus | null {
  if (!isObj(p)) return null;
  const model = id(p.model);
  const budgetUsd = usd(p.budgetUsd);
  const spentUsd = usd(p.spentUsd);
  if (!model || budgetUsd === undefined || spentUsd === undefined) return null;
  const requests =
    typeof p.requests === 'number' && Number.isSafeInteger(p.requests) && p.requests >= 0 ? p.requests : 0;
  return { model, budgetUsd, spentUsd, requests, active: p.active === true, exhausted: p.exhausted === true };
}
