// What the fallback features share across layers: the settings they read, what they did (events), the paid
// fallback's budget state, and each free model's recent health. The proxy produces them, the account model
// carries them in its view (and GET /quota on the wire), the status bar, tooltip, notifications, dashboard
// and quick pick render them. Plain data: no behaviour here.

/** The user's choices (settings `openrouterQuota.fallback.*` and `openrouterQuota.paidFallback.*`, or CLI flags). */
export interface FallbackSettings {
  /** Retry once on another free model when a free model is rate-limited upstream, at capacity, or ended. Off by default. */
  enabled: boolean;
  /** Free model ids to try, in order; empty: chosen from health (healthiest first). */
  models: readonly string[];
  /** Paid fallback once today's free requests are used up; undefined: off (no model, or no budget). */
  paid?: { model: string; dailyBudgetUsd: number };
}

export const FALLBACK_OFF: FallbackSettings = Object.freeze({
  enabled: false,
  models: Object.freeze([]) as readonly string[],
});

/**
 * Why a request went to another model than the one it named:
 * - upstream-rate-limited: the free model's provider pool ran dry (OpenRouter's 429 "rate-limited upstream");
 * - capacity: every provider of the model is at capacity (`capacity_exhausted`);
 * - ended: the free variant ended (404 `free_variant_ended`);
 * - day-spent: today's free requests are used up (the paid fallback).
 */
export type FallbackReason = 'upstream-rate-limited' | 'capacity' | 'ended' | 'day-spent';

export interface FallbackEvent {
  at: number;
  /** The model the client asked for. */
  from: string;
  /** The model that served the request (or was tried). */
  to: string;
  reason: FallbackReason;
  /** True for the paid fallback. */
  paid: boolean;
  /** The status the client got from the model that served it. */
  status: number;
}

/** The paid fallback today (UTC), when it is configured. */
export interface PaidFallbackStatus {
  model: string;
  budgetUsd: number;
  /** Spent today by the paid fallback (USD): the responses' usage.cost, or an estimate where one had none. */
  spentUsd: number;
  /** Requests sent to the paid model today. */
  requests: number;
  /** Today's free requests are used up and budget is left: free-model requests go to the paid model now. */
  active: boolean;
  /** The budget is spent: free-model requests get 429 until 00:00 UTC. */
  exhausted: boolean;
}

/** What the meter's fallbacks did today, for every window (part of the account model's view). */
export interface FallbackStatus {
  /** The free fallback is switched on. */
  enabled: boolean;
  /** Today's fallbacks, newest first (at most MAX_FALLBACK_EVENTS). */
  recent: FallbackEvent[];
  paid: PaidFallbackStatus | null;
}

export const MAX_FALLBACK_EVENTS = 20;

/** One free model's last hour as the meter saw it (GET /quota/history `health`). */
export interface ModelHealthRow {
  id: string;
  /** Display name from the catalog, else the id. */
  name: string;
  requests: number;
  /** Answers 2xx. */
  successes: number;
  /** 429s from the model's upstream provider (not the account's own limits). */
  upstream429: number;
  capacity: number;
  ended: number;
  /** Median time from sending the request to the answer's first body byte, ms; null when none succeeded. */
  medianTtftMs: number | null;
  contextLength: number | null;
  tools: boolean;
  imageInput: boolean;
  /** 0..1, higher is healthier; untried models sit at 0.5. */
  score: number;
  /** The last upstream trouble (429 upstream, capacity, ended), ms; null when none this hour. */
  lastTroubleAt: number | null;
}
