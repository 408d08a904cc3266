// Whether a free-model request may go now. A spent day is answered here without spending an attempt; a full
// minute window holds the request in the pacer's queue or refuses it (by the pacing setting). An admitted
// request is recorded in the ledger in the same turn, so the next one to arrive already sees it counted.
import type { AccountModel } from '../account/model';
import type { Clock } from '../clock';
import type { Logger } from '../logger';
import { formatDuration } from '../../shared/time';
import { HttpError } from './httpUtil';
import type { Ledger, Recorded } from './ledger';
import { type CancelSignal, MinutePacer, type PacingMode } from './pacer';

export interface AdmissionOptions {
  clock: Clock;
  account: AccountModel;
  ledger: Ledger;
  pacing: () => PacingMode;
  maxWaitSeconds: () => number;
  maxQueue: number;
  log: Logger;
  onChange: () => void;
}

export class AdmissionControl {
  readonly pacer: MinutePacer;

  constructor(private readonly opts: AdmissionOptions) {
    this.pacer = new MinutePacer({
      clock: opts.clock,
      mode: opts.pacing,
      limit: () => opts.account.minuteLimit(),
      used: (w) => opts.ledger.minuteCount(w),
      admit: () => undefined, // recorded by admit() with the model, synchronously after admission
      maxQueue: opts.maxQueue,
      maxWaitMs: () => Math.max(0, opts.maxWaitSeconds()) * 1000,
    });
  }

  /** Daily check, then the minute window. Records the attempt when admitted; otherwise says why not. */
  async admit(model: string, client: string, signal: CancelSignal): Promise<Recorded | HttpError | 'aborted'> {
    const { clock, account, ledger } = this.opts;
    const mode = this.opts.pacing();
    if (mode !== 'off') {
      const resetsAt = account.dayExhausted(clock.now());
      if (resetsAt !== undefined) return this.refusal('day', resetsAt);
    }
    const a = await this.pacer.acquire(signal);
    if (!a.ok) {
      if (a.reason === 'aborted') return 'aborted';
      return this.refusal('minute', a.resetsAt, a.reason);
    }
    const recorded = ledger.record(model, clock.now(), client);
    this.opts.onChange();
    if (a.waitedMs > 0)
      this.opts.log.info(`proxy: held a request to ${model} for ${formatDuration(a.waitedMs)} (minute window full)`);
    return recorded;
  }

  /** Un-count an attempt OpenRouter never saw. */
  takeBack(r: Recorded, why: string): void {
    if (!this.opts.ledger.takeBack(r)) return;
    this.pacer.release(r.at);
    this.opts.log.info(`proxy: not counting a request to ${r.model}: ${why}`);
    this.opts.onChange();
  }

  private refusal(kind: 'day' | 'minute', resetsAt: number, why?: string): HttpError {
    const now = this.opts.clock.now();
    const limit = kind === 'day' ? (this.opts.account.view(now).day.limit ?? 0) : this.opts.account.minuteLimit();
    return rateLimitAnswer(kind, resetsAt, now, limit, why);
  }
}

/**
 * A 429 in OpenRouter's own format, with its headers, so a client backs off exactly as it would for
 * OpenRouter's (and can tell from `limit_source` and the message that the proxy answered).
 */
export function rateLimitAnswer(
  kind: 'day' | 'minute',
  resetsAt: number,
  now: number,
  limit: number,
  why?: string,
): HttpError {
  const headers = {
    'X-RateLimit-Limit': String(limit),
    'X-RateLimit-Remaining': '0',
    'X-RateLimit-Reset': String(resetsAt),
    'Retry-After': String(Math.max(1, Math.ceil((resetsAt - now) / 1000))),
  };
  const message =
    kind === 'day'
      ? `Rate limit exceeded: free-models-per-day. Answered by the local OpenRouter Quota proxy: today's free-model quota is spent; it resets at ${new Date(resetsAt).toISOString()}.`
      : `Rate limit exceeded: free-models-per-min. Answered by the local OpenRouter Quota proxy (${why === 'timeout' ? 'waited the longest allowed' : why === 'queue-full' ? 'the wait queue is full' : 'the minute window is full'}); the window resets in ${formatDuration(resetsAt - now)}.`;
  return new HttpError(429, message, headers, {
    headers,
    limit_source: kind === 'day' ? 'openrouter_free_tier_daily' : 'local_proxy_pacing',
    provider_name: null,
  });
}
