// Holds free-model requests whose per-minute window is full, instead of letting OpenRouter answer 429.
//
// OpenRouter's per-minute window is a fixed whole minute (openrouter-api.md §4.1), so a request that finds its
// window full has room again when the next minute starts. In 'queue' mode it waits (FIFO, bounded, at most
// maxWaitMs) for the first window with room; in 'reject' mode it is refused at once; 'off' admits everything.
//
// Admission is synchronous: the caller's admit(t) (which records the attempt in the ledger) runs in the same
// turn as the decision, so the next decision already sees it and two requests can never both take the last
// slot. The pacer does not depend on that alone: per window it remembers `used` just before its first
// admission there plus how many it admitted since, and counts whichever is higher, so a caller that records
// only after awaiting acquire() (or a burst of waiters released in one turn) cannot overshoot the limit
// either. Time comes only from the Clock (tests use a fake one).
import type { Clock, TimerHandle } from '../clock';
import { type Logger, nullLogger } from '../logger';
import { MINUTE, minuteWindowStart as windowOf } from '../../shared/time';

export type PacingMode = 'queue' | 'reject' | 'off';

export interface PacerOptions {
  clock: Clock;
  mode: () => PacingMode;
  /** Per-minute limit now (20, or learned/setting). */
  limit: () => number;
  /** Attempts already counted in that window (the ledger). */
  used: (windowStart: number) => number;
  /** Called synchronously at the moment a request is admitted (the caller records it in the ledger there). */
  admit: (t: number) => void;
  /** Bounded FIFO. */
  maxQueue: number;
  /** openrouterQuota.proxy.maxWaitSeconds * 1000 */
  maxWaitMs: () => number;
  /** Where a throwing admit() (or option callback inside a timer) is reported; nothing is thrown from timers. */
  log?: Logger;
}

/**
 * What acquire() needs of an AbortSignal. The proxy passes a lighter object of its own (an AbortController
 * per request was a measurable share of its CPU, bench/RESULTS.md); any AbortSignal fits too.
 */
export interface CancelSignal {
  readonly aborted: boolean;
  addEventListener(type: 'abort', listener: () => void, options?: { once?: boolean }): void;
  removeEventListener(type: 'abort', listener: () => void): void;
}

export type Admission =
  | { ok: true; waitedMs: number }
  | { ok: false; reason: 'full' | 'queue-full' | 'timeout' | 'aborted'; resetsAt: number };

interface Waiter {
  enqueuedAt: number;
  resolve: (a: Admission) => void;
  deadline: TimerHandle;
  signal?: CancelSignal;
  onAbort?: () => void;
}

export class MinutePacer {
  private readonly queue: Waiter[] = [];
  private readonly log: Logger;
  private blockedUntil = 0;
  private wakeTimer: TimerHandle | undefined;
  private wakeAt = Infinity;
  private disposed = false;
  /**
   * In window `ownWindow`: what `used` said just before this pacer's first admission there, and how many it
   * admitted since. `ownBase + ownCount` is a lower bound of the window's true count even while the caller has
   * not recorded the admissions yet.
   */
  private ownWindow = -1;
  private ownBase = 0;
  private ownCount = 0;

  constructor(private readonly opts: PacerOptions) {
    this.log = opts.log ?? nullLogger;
  }

  /**
   * Admit now, or (mode 'queue') wait FIFO for the next window with room, at most maxWaitMs; 'reject' answers
   * {ok:false, reason:'full'} at once when the window is full; 'off' always admits. A client that gives up
   * (signal aborted) leaves the queue. In 'queue' mode a request that cannot possibly be admitted within
   * maxWaitMs (the next window with room opens later than that) gets 'timeout' at once instead of waiting.
   */
  acquire(signal?: CancelSignal): Promise<Admission> {
    // Not an async function: answers resolve in the order they were decided (no extra adoption ticks), and
    // a throwing option callback still becomes a rejected promise rather than a synchronous throw.
    try {
      return this.decide(signal);
    } catch (e) {
      return Promise.reject(e instanceof Error ? e : new Error(String(e)));
    }
  }

  private decide(signal: CancelSignal | undefined): Promise<Admission> {
    const now = this.opts.clock.now();
    if (this.disposed || signal?.aborted)
      return answer({ ok: false, reason: 'aborted', resetsAt: this.safeResetsAt() });
    // Waiters first (FIFO): a window may have gained room since the last timer (a raised limit, a block that ended).
    this.pump();
    const mode = this.opts.mode();
    if (mode === 'off' || (this.queue.length === 0 && this.room(now) > 0)) {
      this.doAdmit(now);
      return answer({ ok: true, waitedMs: 0 });
    }
    const resetsAt = this.earliestRoom(now);
    if (mode === 'reject') return answer({ ok: false, reason: 'full', resetsAt });
    if (this.queue.length >= Math.max(0, this.opts.maxQueue))
      return answer({ ok: false, reason: 'queue-full', resetsAt });
    const maxWait = Math.max(0, finite(this.opts.maxWaitMs(), 0));
    if (resetsAt > now + maxWait) return answer({ ok: false, reason: 'timeout', resetsAt });

    return new Promise<Admission>((resolve) => {
      const waiter: Waiter = {
        enqueuedAt: now,
        resolve,
        deadline: this.opts.clock.setTimer(maxWait, () => this.expire(waiter)),
        signal,
      };
      if (signal) {
        waiter.onAbort = () => this.leave(waiter, 'aborted');
        signal.addEventListener('abort', waiter.onAbort, { once: true });
      }
      this.queue.push(waiter);
      // If the wake-up cannot be computed (a throwing option callback), the deadline still answers.
      this.guarded(() => this.schedule());
    });
  }

  /**
   * An admission at time t that never reached OpenRouter (the caller took its record back): its slot is free
   * again, and a waiter may have it.
   */
  release(t: number): void {
    if (windowOf(t) === this.ownWindow && this.ownCount > 0) this.ownCount--;
    this.guarded(() => this.pump());
    this.guarded(() => this.schedule());
  }

  /** A per-minute 429 from upstream (other tools use the account too): treat the window as full until resetsAt. */
  blockUntil(resetsAt: number): void {
    if (!Number.isFinite(resetsAt) || resetsAt <= this.blockedUntil) return;
    this.blockedUntil = resetsAt;
    this.guarded(() => this.schedule());
  }

  get waiting(): number {
    return this.queue.length;
  }

  /** Rejects waiters with 'aborted', cancels timers. */
  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    this.cancelWake();
    const resetsAt = this.safeResetsAt();
    for (const w of this.queue.splice(0)) this.settle(w, { ok: false, reason: 'aborted', resetsAt });
  }

  // ---- internals ----

  /** Free slots in the window containing `now` ('queue'/'reject' rules). */
  private room(now: number): number {
    if (now < this.blockedUntil) return 0;
    return this.left(windowOf(now));
  }

  /** The limit minus the attempts in window `ws`, blocks aside. */
  private left(ws: number): number {
    const own = this.ownWindow === ws ? this.ownBase + this.ownCount : 0;
    const used = Math.max(finite(this.opts.used(ws), 0), own);
    return Math.floor(finite(this.opts.limit(), 0)) - used;
  }

  /**
   * The earliest time a window can have room, as far as the pacer can know: the end of a block, else the
   * next minute (or now, when the current window has room). A lower bound: a raised limit can open room earlier.
   */
  private earliestRoom(now: number): number {
    if (now < this.blockedUntil) {
      const blockEnd = this.blockedUntil;
      // Room left in the window the block ends in? Only knowable for the current window.
      if (windowOf(blockEnd) === windowOf(now)) return this.left(windowOf(now)) > 0 ? blockEnd : windowOf(now) + MINUTE;
      return blockEnd;
    }
    return this.room(now) > 0 ? now : windowOf(now) + MINUTE;
  }

  private doAdmit(t: number): void {
    const ws = windowOf(t);
    if (this.ownWindow !== ws) {
      this.ownWindow = ws;
      this.ownCount = 0;
      try {
        this.ownBase = finite(this.opts.used(ws), 0);
      } catch (e) {
        // Never throw from here: pump() has already taken the waiter off the queue.
        this.ownBase = 0;
        this.log.error(`pacer: ${(e as Error).message}`);
      }
    }
    this.ownCount++;
    try {
      this.opts.admit(t);
    } catch (e) {
      // The request is admitted all the same; losing its count is the caller's problem to report.
      this.log.error(`pacer: admit() threw: ${(e as Error).message}`);
    }
  }

  /** Admit waiters FIFO while the current window has room (all of them in 'off' mode). */
  private pump(): void {
    if (this.queue.length === 0) return;
    const now = this.opts.clock.now();
    const off = this.opts.mode() === 'off';
    while (this.queue.length > 0 && (off || this.room(now) > 0)) {
      const w = this.queue.shift() as Waiter;
      this.doAdmit(now);
      this.settle(w, { ok: true, waitedMs: now - w.enqueuedAt });
    }
  }

  /** The wake-up timer: at the earliest time a window can have room, while anyone waits. */
  private schedule(): void {
    if (this.queue.length === 0 || this.disposed) {
      this.cancelWake();
      return;
    }
    const now = this.opts.clock.now();
    const at = Math.max(this.earliestRoom(now), now);
    if (at === this.wakeAt && this.wakeTimer) return;
    this.cancelWake();
    this.wakeAt = at;
    this.wakeTimer = this.opts.clock.setTimer(at - now, () => {
      this.wakeTimer = undefined;
      this.wakeAt = Infinity;
      this.guarded(() => this.pump());
      this.guarded(() => this.schedule());
    });
  }

  private cancelWake(): void {
    this.wakeTimer?.cancel();
    this.wakeTimer = undefined;
    this.wakeAt = Infinity;
  }

  /** A waiter's deadline: a window opening at this same instant admits it first; otherwise it times out. */
  private expire(w: Waiter): void {
    this.guarded(() => this.pump());
    this.leave(w, 'timeout');
  }

  /** Runs from timers and abort listeners: never throws (an option callback that throws is only logged). */
  private leave(w: Waiter, reason: 'timeout' | 'aborted'): void {
    const i = this.queue.indexOf(w);
    if (i < 0) return;
    this.queue.splice(i, 1);
    this.settle(w, { ok: false, reason, resetsAt: this.safeResetsAt() });
    this.guarded(() => this.schedule());
  }

  private safeResetsAt(): number {
    const now = this.opts.clock.now();
    try {
      return this.earliestRoom(now);
    } catch (e) {
      this.log.error(`pacer: ${(e as Error).message}`);
      return windowOf(now) + MINUTE;
    }
  }

  private settle(w: Waiter, a: Admission): void {
    w.deadline.cancel();
    if (w.signal && w.onAbort) w.signal.removeEventListener('abort', w.onAbort);
    w.resolve(a);
  }

  private guarded(fn: () => void): void {
    try {
      fn();
    } catch (e) {
      this.log.error(`pacer: ${(e as Error).message}`);
    }
  }
}

function answer(a: Admission): Promise<Admission> {
  return Promise.resolve(a);
}

function finite(n: number, fallback: number): number {
  return Number.isFinite(n) ? n : fallback;
}
