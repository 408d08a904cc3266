// The paid fallback's daily budget. Once today's free requests are used up, free-model requests may go to
// a paid model the user named, until the day's spend reaches the budget the user set; then 429 as before,
// until 00:00 UTC. The promise is that the budget is never exceeded by more than one request:
// - before a request is forwarded its cost is reserved at an upper bound (estimatePaidUsd), and it goes only
//   if what is spent plus what is reserved plus that bound fits in the budget;
// - when the answer ends, the reservation becomes the answer's own `usage.cost` (OpenRouter puts usage in
//   every completion, shared/openrouter-api.md §7 [V-doc]); a success without usage is charged its estimate;
// - GET /key's `usage_daily` (USD spent by this key today) cross-checks it: growth of usage_daily since the
//   fallback's first request counts too, so paid use of the same key elsewhere meanwhile only stops it sooner;
// - a bound that may be beaten (image input, no output cap known) goes one request at a time.
// Only a request whose real cost beat its upper bound (an image, a model without a known output cap) can go
// past the budget, and no request starts once it is reached.
//
// Kept per UTC day in <stateDir>/paid-fallback.json (0600, replaced atomically after each paid request), so
// a restart or a takeover by another window does not forget what was spent. A file that cannot be read
// stops the paid fallback for the rest of that day: spending on without knowing the spend is the one thing
// this must not do.
import * as fs from 'node:fs';
import { writeFileAtomic } from '../fsDurable';
import type { Logger } from '../logger';
import type { ModelInfo } from '../responses';
import { utcDate } from '../../shared/time';
import type { PaidFallbackStatus } from './types';

/**
 * Output tokens assumed when neither the request (max_tokens) nor the catalog (max completion tokens) caps
 * them. Answers rarely run longer; one that does is the "one request" the budget may be exceeded by.
 */
export const DEFAULT_OUTPUT_TOKENS = 8192;

/**
 * An upper bound of a request's cost in USD, or undefined when the model's prices are not known (then it is
 * not sent: no bound, no promise). Prompt tokens are taken as the body's byte count: a byte-level tokenizer
 * never makes fewer than one byte per token, so for text this bounds the prompt (about 3-4x over).
 */
export function estimatePaidUsd(
  model: ModelInfo | undefined,
  bodyBytes: number,
  maxTokens?: number,
): number | undefined {
  if (!model || model.pricePrompt === null || model.priceCompletion === null) return undefined;
  if (model.pricePrompt < 0 || model.priceCompletion < 0) return undefined;
  const output = maxTokens ?? model.maxOutputTokens ?? DEFAULT_OUTPUT_TOKENS;
  return bodyBytes * model.pricePrompt + output * model.priceCompletion;
}

export interface Reservation {
  readonly day: string;
  readonly estimateUsd: number;
  readonly sure: boolean;
}

interface DayState {
  v: 1;
  day: string;
  spentUsd: number;
  requests: number;
  /** usage_daily minus what the fallback had spent, at its first request of the day (see reserve). */
  baselineUsd?: number;
}

const fresh = (day: string): DayState => ({ v: 1, day, spentUsd: 0, requests: 0 });
const usd = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v) && v >= 0;

export class PaidBudget {
  private state: DayState;
  private reserved = 0;
  /** usage_daily − baseline: what GET /key says the key spent since the fallback began counting. */
  private keySpent = 0;
  /** Reservations in flight whose bound is not sure (at most one). */
  private unsure = 0;
  /** GET /key's latest usage_daily today. */
  private lastUsage?: number;
  /** The file could not be read: no paid fallback on this day. */
  private unreadableOn?: string;

  constructor(
    private readonly file: string | undefined,
    now: number,
    private readonly log: Logger,
  ) {
    this.state = this.load(utcDate(now));
  }

  /** Today's spend: the answers' costs, or GET /key's growth when that is more. */
  spent(now: number): number {
    this.roll(now);
    return Math.max(this.state.spentUsd, this.keySpent);
  }

  /**
   * Reserves `estimateUsd` if it fits in `budgetUsd` with what is spent and reserved; undefined if not. A bound
   * that is not `sure` (image input, no output cap known) may be beaten by the real cost: one such request at
   * a time, so at most one request can take the spend past the budget.
   */
  reserve(budgetUsd: number, estimateUsd: number, now: number, sure = true): Reservation | undefined {
    if (this.exhausted(budgetUsd, now)) return undefined;
    if (this.spent(now) + this.reserved + estimateUsd > budgetUsd) return undefined;
    if (!sure && this.unsure > 0) return undefined;
    // GET /key's growth counts from the fallback's first request of the day, not from the day's first reading.
    if (this.state.baselineUsd === undefined && this.lastUsage !== undefined) {
      this.state.baselineUsd = Math.max(0, this.lastUsage - this.state.spentUsd);
      this.save();
    }
    this.reserved += estimateUsd;
    if (!sure) this.unsure++;
    return { day: this.state.day, estimateUsd, sure };
  }

  /**
   * The answer ended: `costUsd` is its usage.cost (undefined: it had none; then the estimate is charged when
   * the request may have cost something, `charged`, and nothing when OpenRouter refused it).
   */
  settle(r: Reservation, costUsd: number | undefined, charged: boolean, now: number): void {
    this.roll(now);
    if (r.day !== this.state.day) return; // reserved before 00:00 UTC: yesterday's budget, already gone
    this.reserved = Math.max(0, this.reserved - r.estimateUsd);
    if (!r.sure) this.unsure = Math.max(0, this.unsure - 1);
    const cost = usd(costUsd) ? costUsd : charged ? r.estimateUsd : 0;
    this.state.spentUsd += cost;
    this.state.requests++;
    this.save();
  }

  /** GET /key answered with `usageDailyUsd` (this key's USD today). */
  crossCheck(usageDailyUsd: number, at: number): void {
    this.roll(at);
    if (!usd(usageDailyUsd)) return;
    this.lastUsage = usageDailyUsd;
    // Before the fallback's first request there is nothing to check (the baseline is taken then: reserve()).
    if (this.state.baselineUsd === undefined) return;
    this.keySpent = Math.max(this.keySpent, usageDailyUsd - this.state.baselineUsd);
  }

  /** The budget is used up (or today's spend cannot be known). */
  exhausted(budgetUsd: number, now: number): boolean {
    this.roll(now);
    return this.unreadableOn === this.state.day || this.spent(now) >= budgetUsd;
  }

  status(model: string, budgetUsd: number, dayIsSpent: boolean, now: number): PaidFallbackStatus {
    const exhausted = this.exhausted(budgetUsd, now);
    return {
      model,
      budgetUsd,
      spentUsd: Math.round(this.spent(now) * 1e6) / 1e6,
      requests: this.state.requests,
      active: dayIsSpent && !exhausted,
      exhausted,
    };
  }

  /** A new UTC day starts with nothing spent. */
  private roll(now: number): void {
    const day = utcDate(now);
    if (day === this.state.day) return;
    this.state = fresh(day);
    this.reserved = 0;
    this.unsure = 0;
    this.keySpent = 0;
    this.lastUsage = undefined;
  }

  private load(day: string): DayState {
    if (!this.file) return fresh(day);
    let text: string;
    try {
      text = fs.readFileSync(this.file, 'utf8');
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return fresh(day);
      return this.unreadable(day, (e as Error).message);
    }
    try {
      const s = JSON.parse(text) as Partial<DayState>;
      if (s.v !== 1 || typeof s.day !== 'string' || !usd(s.spentUsd) || !usd(s.requests))
        throw new Error('not a budget record');
      if (s.day !== day) return fresh(day);
      return {
        v: 1,
        day,
        spentUsd: s.spentUsd,
        requests: s.requests,
        baselineUsd: usd(s.baselineUsd) ? s.baselineUsd : undefined,
      };
    } catch (e) {
      return this.unreadable(day, (e as Error).message);
    }
  }

  private unreadable(day: string, why: string): DayState {
    this.unreadableOn = day;
    this.log.error(
      `paid fallback: ${this.file} could not be read (${why}): no paid fallback until 00:00 UTC, as today's spend is not known. Delete the file to start over.`,
    );
    return fresh(day);
  }

  private save(): void {
    if (!this.file || this.unreadableOn === this.state.day) return;
    try {
      writeFileAtomic(this.file, JSON.stringify(this.state) + '\n');
    } catch (e) {
      // The spend is still held in memory: the budget holds for this process.
      this.log.warn(`paid fallback: could not save today's spend to ${this.file}: ${(e as Error).message}`);
    }
  }
}
