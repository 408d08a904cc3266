// A scripted stand-in for the poller's `fetch`, and a way to wait for a snapshot without sleeping.
import type { Clock } from '../../src/core/clock';
import { AbortedError } from '../../src/core/errors';
import { settle } from '../fixtures/fakeClock';
import type { QuotaPoller } from '../../src/core/poller';
import type { Observation, QuotaSnapshot } from '../../src/core/quota';
import { keyInfo } from './helpers';

/** 'hang': wait for finishHung() or the abort signal; 'deaf': wait for finishHung() only. */
export type Step = Error | 'hang' | 'deaf' | { used: number; limit?: number };

export interface FetchCall {
  at: number;
  previous: Observation | undefined;
  signal: AbortSignal;
}

/** Answers each call with the next scripted step; once the script is empty, succeeds with `used`. */
export class ScriptedFetch {
  readonly calls: FetchCall[] = [];
  readonly script: Step[] = [];
  used = 12;

  constructor(private readonly clock: Clock) {}

  readonly fetch = (previous: Observation | undefined, signal: AbortSignal): Promise<Observation> => {
    const at = this.clock.now();
    this.calls.push({ at, previous, signal });
    const step = this.script.shift() ?? { used: this.used };
    if (step instanceof Error) return Promise.reject(step);
    if (step === 'hang' || step === 'deaf') {
      return new Promise((resolve, reject) => {
        if (step === 'hang')
          signal.addEventListener('abort', () => reject(new AbortedError('GET /key cancelled')), { once: true });
        this.hung.push((s) => resolve(this.observe(at, previous, s)));
      });
    }
    return Promise.resolve(this.observe(at, previous, step));
  };

  /** Lets every call left hanging by a 'hang' step succeed now. */
  finishHung(step: { used: number; limit?: number } = { used: this.used }): void {
    for (const finish of this.hung.splice(0)) finish(step);
  }

  private readonly hung: ((step: { used: number; limit?: number }) => void)[] = [];

  private observe(at: number, previous: Observation | undefined, step: { used: number; limit?: number }): Observation {
    const limit = step.limit ?? 50;
    const obs: Observation = {
      fetchedAt: at,
      key: keyInfo({ freeDaily: { used: step.used, limit, remaining: Math.max(0, limit - step.used) } }),
      balance: { kind: 'unavailable', reason: 'needs-management-key' },
      creditsCheckedAt: at,
    };
    const prevUsed = previous?.key.freeDaily?.used;
    if (previous && prevUsed !== undefined) obs.previous = { used: prevUsed, at: previous.fetchedAt };
    return obs;
  }

  get times(): number[] {
    return this.calls.map((c) => c.at);
  }

  /** Gaps between consecutive calls, in ms. */
  get gaps(): number[] {
    return this.times.slice(1).map((t, i) => t - this.times[i]);
  }
}

/**
 * Resolves with the first snapshot the poller emits that satisfies `pred`, once the poll that emitted it
 * has fully finished (the poller emits before it clears its in-flight marker; a timer fired in between
 * would join the finished poll instead of starting a new one).
 */
export async function nextSnapshot(
  poller: QuotaPoller,
  pred: (s: QuotaSnapshot) => boolean = () => true,
): Promise<QuotaSnapshot> {
  const s = await new Promise<QuotaSnapshot>((resolve) => {
    const sub = poller.onSnapshot((snap) => {
      if (!pred(snap)) return;
      sub.dispose();
      resolve(snap);
    });
  });
  await settle();
  return s;
}
