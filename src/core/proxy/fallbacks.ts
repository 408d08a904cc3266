// The proxy's side of "never blocked" (fallback/*.ts holds the rules): the settings read per request, the
// health book fed by every free request's outcome, today's fallback events, the paid budget, and the
// FallbackStatus the account model shows every window. server.ts asks it three questions: should this
// request go to the paid model now (the day is spent), which model to retry on after an answer, and what to
// charge when a paid answer ends.
import type { AccountModel } from '../account/model';
import type { Clock } from '../clock';
import { chooseFallback, type RequestNeeds } from '../fallback/choose';
import { ModelHealthBook } from '../fallback/health';
import { estimatePaidUsd, PaidBudget, type Reservation } from '../fallback/paidBudget';
import type { ModelTrouble } from '../fallback/policy';
import {
  FALLBACK_OFF,
  type FallbackEvent,
  type FallbackReason,
  type FallbackSettings,
  type FallbackStatus,
  MAX_FALLBACK_EVENTS,
} from '../fallback/types';
import type { Logger } from '../logger';
import type { ModelCatalog } from '../modelCatalog';
import type { HeaderBag } from '../rateLimit';
import { isPlainModelId } from '../../shared/actions';
import { utcDate } from '../../shared/time';
import { FALLBACK_REASON_LABEL } from '../quotaText';
import { jsonBodyTap, type ResponseTap, sseMemberTap } from './sseTap';

/** Response headers that tell a client its request was served by another model than it named. */
export const FALLBACK_FROM_HEADER = 'x-openrouter-quota-fallback-from';
export const FALLBACK_TO_HEADER = 'x-openrouter-quota-fallback-to';
export const FALLBACK_REASON_HEADER = 'x-openrouter-quota-fallback-reason';

/** A non-streamed paid answer is read for its usage up to this size (larger ones are charged their estimate). */
const MAX_USAGE_JSON = 4 * 1024 * 1024;

export interface FallbacksOptions {
  settings: () => FallbackSettings | undefined;
  catalog: ModelCatalog;
  account: AccountModel;
  clock: Clock;
  log: Logger;
  /** <stateDir>/paid-fallback.json; undefined keeps the paid budget in memory only (tests). */
  budgetFile?: string;
  onChange: () => void;
}

/** Where a retry goes. */
export interface FallbackPlan {
  to: string;
  reason: FallbackReason;
  paid: boolean;
  /** The paid request's reserved cost. */
  reservation?: Reservation;
}

export class Fallbacks {
  readonly health = new ModelHealthBook();
  private readonly budget: PaidBudget;
  private recent: FallbackEvent[] = [];
  private announced?: string;
  private lastSettings?: FallbackSettings;

  constructor(private readonly o: FallbacksOptions) {
    this.budget = new PaidBudget(o.budgetFile, o.clock.now(), o.log);
    o.account.setFallback((now) => this.status(now));
  }

  /** The settings in force; a change (a new object) marks the account's view as changed, for cached readers. */
  settings(): FallbackSettings {
    const s = this.o.settings() ?? FALLBACK_OFF;
    if (s !== this.lastSettings) {
      this.lastSettings = s;
      this.o.account.setFallback((now) => this.status(now));
    }
    return s;
  }

  /** For the account view (every window, GET /quota); undefined while nothing is configured or happened today. */
  status(now: number): FallbackStatus | undefined {
    const s = this.o.settings() ?? FALLBACK_OFF; // read only: a view must not mark itself changed
    const day = utcDate(now);
    if (s.paid) this.crossCheck(now);
    const recent = this.recent.filter((e) => utcDate(e.at) === day);
    if (!s.enabled && !s.paid && recent.length === 0) return undefined;
    const paid = s.paid
      ? this.budget.status(s.paid.model, s.paid.dailyBudgetUsd, this.o.account.dayExhausted(now) !== undefined, now)
      : null;
    return { enabled: s.enabled, recent, paid };
  }

  /** A free model's answer (or the lack of one), for its health. */
  outcome(model: string, status: number, trouble: ModelTrouble | undefined, ttftMs: number | undefined): void {
    this.health.record(model, { at: this.o.clock.now(), status, trouble, ttftMs });
  }

  /** The free model to retry on after `trouble`, or undefined (switched off, or none fits). */
  freePlan(from: string, trouble: ModelTrouble, needs: RequestNeeds): FallbackPlan | undefined {
    const s = this.settings();
    if (!s.enabled) return undefined;
    const now = this.o.clock.now();
    const c = chooseFallback({
      exclude: new Set([from]),
      needs,
      preferred: s.models,
      catalog: this.o.catalog,
      health: this.health,
      now,
    });
    if (c.model !== undefined) return { to: c.model, reason: trouble, paid: false };
    const why = [...c.passed].map(([id, w]) => `${id} (${w})`).join(', ');
    this.o.log.info(
      `fallback: ${from} is ${FALLBACK_REASON_LABEL[trouble]}; no other free model fits this request${why ? `: passed over ${why}` : ''}`,
    );
    return undefined;
  }

  /**
   * The paid model for a free request once the day is spent, its cost reserved; undefined when the paid
   * fallback is off, its model's prices are unknown, or the budget has no room for this request.
   */
  paidPlan(from: string, bodyBytes: number, needs: RequestNeeds): FallbackPlan | undefined {
    const paid = this.settings().paid;
    if (!paid) return undefined;
    const now = this.o.clock.now();
    this.crossCheck(now);
    const info = this.o.catalog.get(paid.model);
    const estimate = estimatePaidUsd(info, bodyBytes, needs.maxTokens);
    if (estimate === undefined) {
      this.o.log.warn(
        `paid fallback: the prices of ${paid.model} are not known (is the id right? GET /models has no such model), so it is not used: its cost could not be bounded`,
      );
      return undefined;
    }
    // A bound is sure for text with a known output cap; an image, or output with no cap known, may cost more.
    const sure = !needs.images && (needs.maxTokens !== undefined || (info?.maxOutputTokens ?? null) !== null);
    const reservation = this.budget.reserve(paid.dailyBudgetUsd, estimate, now, sure);
    if (!reservation) {
      this.o.log.info(
        `paid fallback: no room in today's budget ($${paid.dailyBudgetUsd}) for a request to ${paid.model} from ${from} (spent $${this.budget.spent(now).toFixed(4)}, this one could cost up to $${estimate.toFixed(4)})`,
      );
      this.o.onChange();
      return undefined;
    }
    return { to: paid.model, reason: 'day-spent', paid: true, reservation };
  }

  /** A paid answer ended: charge its usage.cost (see PaidBudget.settle for what is charged without one). */
  settle(plan: FallbackPlan, costUsd: number | undefined, charged: boolean): void {
    if (!plan.reservation) return;
    this.budget.settle(plan.reservation, costUsd, charged, this.o.clock.now());
    this.noteBudget();
    this.o.onChange();
  }

  /** GET /key's usage_daily today (the account model's latest poll), to cross-check the paid spend. */
  private crossCheck(now: number): void {
    const u = this.o.account.usageDaily(now);
    if (u) this.budget.crossCheck(u.usd, u.at);
  }

  /** A request was served (or tried) by another model: remember it for today's list and log it. */
  record(from: string, plan: FallbackPlan, status: number): void {
    const at = this.o.clock.now();
    this.recent = [{ at, from, to: plan.to, reason: plan.reason, paid: plan.paid, status }, ...this.recent].slice(
      0,
      MAX_FALLBACK_EVENTS,
    );
    this.o.log.info(
      `fallback: ${from} → ${plan.to}${plan.paid ? ' (paid)' : ''} because ${FALLBACK_REASON_LABEL[plan.reason]}; it answered ${status}`,
    );
    this.o.onChange();
  }

  /** The headers that go on the answer of a retried request. */
  headers(from: string, plan: FallbackPlan): Record<string, string> {
    return {
      [FALLBACK_FROM_HEADER]: headerSafe(from),
      [FALLBACK_TO_HEADER]: headerSafe(plan.to),
      [FALLBACK_REASON_HEADER]: plan.reason,
    };
  }

  /** Logs once per UTC day that the budget is spent. */
  private noteBudget(): void {
    const s = this.status(this.o.clock.now())?.paid;
    const day = utcDate(this.o.clock.now());
    if (s?.exhausted && this.announced !== day) {
      this.announced = day;
      this.o.log.warn(
        `paid fallback: today's budget of $${s.budgetUsd} is spent ($${s.spentUsd}); free-model requests get 429 until 00:00 UTC`,
      );
    }
  }
}

/** A watcher of a paid answer's body for its usage.cost (the last one an SSE stream carries). */
export function usageTap(headers: HeaderBag, onCost: (usd: number) => void): ResponseTap | undefined {
  if (headers['content-encoding'] && headers['content-encoding'] !== 'identity') return undefined;
  const type = String(headers['content-type'] ?? '');
  const take = (v: unknown) => {
    const usage = typeof v === 'object' && v !== null ? (v as { usage?: { cost?: unknown } }).usage : undefined;
    if (typeof usage?.cost === 'number' && Number.isFinite(usage.cost) && usage.cost >= 0) onCost(usage.cost);
  };
  if (type.includes('text/event-stream')) return sseMemberTap('usage', take);
  if (type.includes('json')) return jsonBodyTap(take, 'usage', MAX_USAGE_JSON);
  return undefined;
}

/** The request body with `model` replaced, or undefined when it is not a JSON object. */
export function withModel(parsed: Record<string, unknown>, model: string): Buffer {
  // OpenRouter's own `models` list and `route` would let it route past the chosen model (back to the one in
  // trouble, or to a paid model the budget's bound did not price).
  const { models: _models, route: _route, ...rest } = parsed;
  return Buffer.from(JSON.stringify({ ...rest, model }), 'utf8');
}

/** A model id comes from the client: printable ASCII goes as it is, anything else percent-encoded (never a bad header). */
function headerSafe(id: string): string {
  const cut = id.slice(0, 200);
  return isPlainModelId(id) ? id : encodeURIComponent(cut);
}
