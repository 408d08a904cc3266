// The bytes of request bodies the proxy holds in memory, across every request in flight. Each request is
// capped on its own (maxBodyBytes), but 80 of them at once took 1.2 GiB (issue 12, finding 4): a request
// takes budget before it reads more of its body and gives it back as the bytes leave for OpenRouter, so the
// total never passes the capacity. A request that finds the budget spent waits briefly in a bounded FIFO
// queue, then is answered 503 by its caller.
import { type Clock, systemClock, type TimerHandle } from '../clock';
import type { CancelSignal } from './pacer';

export const DEFAULT_BODY_BUDGET_BYTES = 64 * 1024 * 1024;

export interface BodyBudgetOptions {
  /** Most body bytes held at once across all requests (default 64 MiB). */
  bytes?: number;
  /** Longest wait for room before the caller gives up (default 2 s). */
  maxWaitMs?: number;
  /** Most requests waiting for room at once; beyond it they give up at once (default 1024). */
  maxWaiters?: number;
  clock?: Clock;
}

interface Waiter {
  bytes: number;
  resolve: (granted: boolean) => void;
  timer: TimerHandle;
  signal?: CancelSignal;
  onCancel?: () => void;
}

export class BodyBudget {
  readonly capacity: number;
  readonly maxWaitMs: number;
  private readonly maxWaiters: number;
  private readonly clock: Clock;
  /** Bytes taken now. */
  private heldBytes = 0;
  /** The most ever taken at once (for tests and the bench: it never passes `capacity`). */
  private high = 0;
  /** Bytes given back that were not held: a reader's books are wrong (tests check it stays 0). */
  private over = 0;
  /** Readers (request bodies) not yet closed: idle() waits for them too, so it means "every request is done". */
  private openReaders = 0;
  private readonly waiters: Waiter[] = [];
  private idleWaiters: Array<() => void> = [];

  constructor(o: BodyBudgetOptions = {}) {
    this.capacity = Math.max(0, o.bytes ?? DEFAULT_BODY_BUDGET_BYTES);
    this.maxWaitMs = Math.max(0, o.maxWaitMs ?? 2_000);
    this.maxWaiters = Math.max(0, o.maxWaiters ?? 1024);
    this.clock = o.clock ?? systemClock;
  }

  get held(): number {
    return this.heldBytes;
  }

  get highWater(): number {
    return this.high;
  }

  get overReleased(): number {
    return this.over;
  }

  /** Seconds a refused client should wait before it tries again (for Retry-After). */
  get retryAfterSeconds(): number {
    return Math.max(1, Math.ceil(this.maxWaitMs / 1000));
  }

  /** Take `bytes` now if they fit and nobody waits before us (FIFO: a large request is not starved by small ones). */
  tryTake(bytes: number): boolean {
    if (this.waiters.length > 0 || this.heldBytes + bytes > this.capacity) return false;
    this.add(bytes);
    return true;
  }

  /** Take `bytes`, waiting up to maxWaitMs for room: false on timeout, a full queue, a cancel, or bytes > capacity. */
  take(bytes: number, signal?: CancelSignal): Promise<boolean> {
    if (this.tryTake(bytes)) return Promise.resolve(true);
    if (bytes > this.capacity || this.waiters.length >= this.maxWaiters || signal?.aborted)
      return Promise.resolve(false);
    return new Promise((resolve) => {
      const w: Waiter = {
        bytes,
        resolve,
        signal,
        timer: this.clock.setTimer(this.maxWaitMs, () => this.leave(w, false)),
      };
      if (signal) {
        w.onCancel = () => this.leave(w, false);
        signal.addEventListener('abort', w.onCancel);
      }
      this.waiters.push(w);
    });
  }

  /** Take bytes already in hand (more than a read was expected to give): held all the same, shown in highWater. */
  takeNow(bytes: number): void {
    this.add(bytes);
  }

  release(bytes: number): void {
    if (bytes <= 0) return;
    if (bytes > this.heldBytes) this.over += bytes - this.heldBytes;
    this.heldBytes = Math.max(0, this.heldBytes - bytes);
    this.pump();
    this.checkIdle();
  }

  /** A request body starts being read (see idle()). */
  openReader(): void {
    this.openReaders++;
  }

  closeReader(): void {
    this.openReaders = Math.max(0, this.openReaders - 1);
    this.checkIdle();
  }

  /** Resolves when nothing is held and no request body is open: every path gave its bytes back. */
  idle(): Promise<void> {
    if (this.isIdle()) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  private isIdle(): boolean {
    return this.heldBytes === 0 && this.openReaders === 0;
  }

  private checkIdle(): void {
    if (!this.isIdle() || this.idleWaiters.length === 0) return;
    for (const r of this.idleWaiters.splice(0)) r();
  }

  private add(bytes: number): void {
    this.heldBytes += bytes;
    if (this.heldBytes > this.high) this.high = this.heldBytes;
  }

  /** Grant waiters in order while the first one fits. */
  private pump(): void {
    while (this.waiters.length > 0 && this.heldBytes + this.waiters[0].bytes <= this.capacity) {
      const w = this.waiters.shift()!;
      this.add(w.bytes);
      this.settle(w, true);
    }
  }

  private leave(w: Waiter, granted: boolean): void {
    const i = this.waiters.indexOf(w);
    if (i < 0) return;
    this.waiters.splice(i, 1);
    this.settle(w, granted);
    // The first waiter leaving may let the next one in.
    this.pump();
  }

  private settle(w: Waiter, granted: boolean): void {
    w.timer.cancel();
    if (w.onCancel) w.signal?.removeEventListener('abort', w.onCancel);
    w.resolve(granted);
  }
}
