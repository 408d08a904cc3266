// Keeps the quota snapshot current: polls while the window is focused (never while it is not), backs off
// with jitter after errors (capped at 15 minutes, never sooner than the server's own reset hint), stops on
// a rejected key, and shares each poll with the other windows through a SharedStore so that N windows
// cost about one poll per interval. Each observation goes to the account model, whose view the snapshot
// carries; while the model sees free requests bypassing the proxy with this minute near its limit, the
// interval drops to the minimum (OpenRouter caches the count for about that long), then returns to the
// setting. Time comes from an injected Clock, so tests drive it without sleeping.
import { AccountModel } from './account/model';
import { describeError, OpenRouterError, retryHint } from './errors';
import type { Clock, TimerHandle } from './clock';
import { errorText, type Logger, nullLogger } from './logger';
import { buildSnapshot, type Observation, type QuotaSettings, type QuotaSnapshot, type SnapshotError } from './quota';
import type { SharedRecord, SharedStore } from './sharedStore';

export const MIN_INTERVAL_SECONDS = 30;
export const MAX_BACKOFF_MS = 15 * 60_000;
const FIRST_BACKOFF_MS = 15_000;
/** How long one window may hold the poll lease; longer than any single poll can take. */
const LEASE_MS = 45_000;
/** When another window holds the lease, look again this soon. */
const LEASE_RECHECK_MS = 5_000;

export interface PollerDeps {
  clock: Clock;
  /** Performs one poll. `previous` is the last good observation (for estimates and caching). */
  fetch(previous: Observation | undefined, signal: AbortSignal): Promise<Observation>;
  store: SharedStore;
  /** keyId() of the key in use: shared records of another key are ignored. */
  keyId: string;
  /** Unique per window. */
  owner: string;
  settings(): QuotaSettings;
  /** The account model to feed and read (shared with the proxy host); a model of its own when absent. */
  account?: AccountModel;
  random?: () => number;
  log?: Logger;
}

export class QuotaPoller {
  private obs?: Observation;
  private error?: SnapshotError;
  private failures = 0;
  private timer?: TimerHandle;
  private focused = true;
  private disposed = false;
  private inFlight?: Promise<void>;
  private abort?: AbortController;
  private readonly listeners = new Set<(s: QuotaSnapshot) => void>();
  private readonly unwatch: { dispose(): void };
  private readonly log: Logger;
  readonly account: AccountModel;

  constructor(private readonly deps: PollerDeps) {
    this.log = deps.log ?? nullLogger;
    this.account = deps.account ?? new AccountModel({ clock: deps.clock, settings: () => deps.settings() });
    this.adopt(deps.store.read());
    this.unwatch = deps.store.watch(() => {
      if (this.adopt(this.deps.store.read())) this.emit();
    });
  }

  /** The current snapshot, built for this instant. */
  snapshot(): QuotaSnapshot {
    const now = this.deps.clock.now();
    return buildSnapshot(
      this.obs,
      this.error,
      this.deps.settings(),
      now,
      this.obs ? this.account.view(now) : undefined,
    );
  }

  /** The last good observation (this window's or another's). */
  get observation(): Observation | undefined {
    return this.obs;
  }

  onSnapshot(listener: (s: QuotaSnapshot) => void): { dispose(): void } {
    this.listeners.add(listener);
    return { dispose: () => this.listeners.delete(listener) };
  }

  /** Begin: use shared data if fresh, otherwise poll now. */
  start(): void {
    this.emit();
    if (this.focused) void this.tick(false);
  }

  /** No calls while the window is unfocused; when focus returns, one refresh if the data is stale. */
  setFocused(focused: boolean): void {
    if (this.disposed || focused === this.focused) return;
    this.focused = focused;
    if (!focused) {
      this.cancelTimer();
      return;
    }
    void this.tick(false);
  }

  /** Poll now, whatever the schedule, lease or backoff says (the user asked). */
  refresh(): Promise<QuotaSnapshot> {
    return this.tick(true).then(() => this.snapshot());
  }

  dispose(): void {
    this.disposed = true;
    this.cancelTimer();
    this.abort?.abort();
    this.unwatch.dispose();
    this.deps.store.releaseLease(this.deps.owner);
    this.listeners.clear();
  }

  private get intervalMs(): number {
    if (this.account.wantsFastPolls(this.deps.clock.now())) return MIN_INTERVAL_SECONDS * 1000;
    return Math.max(MIN_INTERVAL_SECONDS, this.deps.settings().pollIntervalSeconds) * 1000;
  }

  private tick(force: boolean): Promise<void> {
    if (this.inFlight) return this.inFlight;
    this.inFlight = this.run(force).then((polled) => {
      // Clear the marker before telling anyone, so a listener that asks for a refresh gets a new poll.
      this.inFlight = undefined;
      if (!polled || this.disposed) return;
      this.emit();
      if (this.error?.reason !== 'auth' && this.focused)
        this.schedule(Math.max(0, this.nextDueAt() - this.deps.clock.now()));
    });
    return this.inFlight;
  }

  /** One poll, if one is due (or forced). Resolves true when it polled. */
  private async run(force: boolean): Promise<boolean> {
    if (this.disposed) return false;
    this.cancelTimer();
    const now = this.deps.clock.now();
    if (!force) {
      if (this.adopt(this.deps.store.read())) this.emit();
      // A rejected key stays rejected until the key changes or the user asks again.
      if (this.error?.reason === 'auth') return false;
      const due = this.nextDueAt();
      if (due > now) {
        this.schedule(due - now);
        return false;
      }
      if (!this.deps.store.tryLease(this.deps.owner, now, LEASE_MS)) {
        this.schedule(LEASE_RECHECK_MS);
        return false;
      }
    } else {
      this.deps.store.tryLease(this.deps.owner, now, LEASE_MS);
    }
    this.abort = new AbortController();
    try {
      const obs = await this.deps.fetch(this.obs, this.abort.signal);
      if (this.disposed) return false;
      this.obs = obs;
      this.account.observe(obs);
      this.error = undefined;
      this.failures = 0;
      this.publish();
      this.log.debug(
        `polled: free today ${obs.key.freeDaily ? `${obs.key.freeDaily.used}/${obs.key.freeDaily.limit}` : 'not reported'}`,
      );
    } catch (e) {
      if (this.disposed) return false;
      this.failures++;
      this.error = this.toSnapshotError(e);
      this.publish();
      this.log.warn(
        `poll failed (${this.failures} in a row): ${describeError(e)}${this.error.retryAt ? `; next try in ${Math.round((this.error.retryAt - this.deps.clock.now()) / 1000)} s` : ''}`,
      );
      if (!OpenRouterError.is(e)) this.log.error(errorText(e));
    } finally {
      this.deps.store.releaseLease(this.deps.owner);
    }
    return true;
  }

  /** When the next poll is due: an interval after the last success, or the backoff/reset hint after an error. */
  private nextDueAt(): number {
    if (this.error) return this.error.retryAt ?? this.error.at;
    return this.obs ? this.obs.fetchedAt + this.intervalMs : 0;
  }

  private toSnapshotError(e: unknown): SnapshotError {
    const now = this.deps.clock.now();
    const reason = OpenRouterError.is(e) ? e.reason : 'network';
    if (reason === 'auth') return { reason, message: describeError(e), at: now };
    const exp = Math.min(MAX_BACKOFF_MS, FIRST_BACKOFF_MS * 2 ** (this.failures - 1));
    const jittered = exp * (0.5 + 0.5 * (this.deps.random ?? Math.random)());
    const hint = retryHint(e);
    // Honour the server's own reset time (a per-day 429 means midnight UTC), but never beyond a day.
    const retryAt = Math.max(now + jittered, hint !== undefined ? Math.min(hint, now + 24 * 3_600_000) : 0);
    return { reason, message: describeError(e), at: now, retryAt: Math.round(retryAt) };
  }

  private publish(): void {
    this.deps.store.write({
      keyId: this.deps.keyId,
      obs: this.obs,
      error: this.error,
      writtenBy: this.deps.owner,
      writtenAt: this.deps.clock.now(),
    });
  }

  /** Take another window's newer record for the same key. Returns whether anything changed. */
  private adopt(rec: SharedRecord | undefined): boolean {
    if (!rec || rec.keyId !== this.deps.keyId || rec.writtenBy === this.deps.owner) return false;
    const newest = Math.max(this.obs?.fetchedAt ?? -Infinity, this.error?.at ?? -Infinity);
    if (rec.writtenAt <= newest) return false;
    if (rec.obs) {
      this.obs = rec.obs;
      this.account.observe(rec.obs);
    }
    this.error = rec.error;
    return true;
  }

  private schedule(ms: number): void {
    this.cancelTimer();
    if (this.disposed || !this.focused) return;
    this.timer = this.deps.clock.setTimer(ms, () => void this.tick(false));
  }

  private cancelTimer(): void {
    this.timer?.cancel();
    this.timer = undefined;
  }

  private emit(): void {
    const s = this.snapshot();
    for (const l of this.listeners) {
      try {
        l(s);
      } catch (e) {
        this.log.error(errorText(e));
      }
    }
  }
}
