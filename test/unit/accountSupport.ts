// Test support (not a test file): an in-memory meter for the account model, and views of "OpenRouter said
// this, the proxy counted that" built by the real AccountModel, for the tests of what is rendered from them.
import { AccountModel, type LocalMeter } from '../../src/core/account/model';
import type { AccountView, RateLimitEvent } from '../../src/core/account/view';
import { DEFAULT_SETTINGS, type Observation, type QuotaSettings } from '../../src/core/quota';
import { DAY, MINUTE, minuteWindowStart } from '../../src/shared/time';

/** A ledger in memory: sorted record times and models. */
export class MemoryMeter implements LocalMeter {
  private readonly records: Array<{ t: number; model: string }> = [];
  revision = 0;

  record(t: number, model = 'meta-llama/llama-3.3-70b-instruct:free'): { t: number; model: string } {
    const r = { t, model };
    let i = this.records.length;
    while (i > 0 && this.records[i - 1].t > t) i--;
    if (i < this.records.length) this.revision++;
    this.records.splice(i, 0, r);
    return r;
  }

  takeBack(r: { t: number; model: string }): void {
    const i = this.records.indexOf(r);
    if (i >= 0) {
      this.records.splice(i, 1);
      this.revision++;
    }
  }

  countUntil(t: number): number {
    const day = Math.floor(t / DAY) * DAY;
    return this.records.filter((r) => r.t >= day && r.t <= t).length;
  }

  minuteCount(windowStart: number): number {
    const ws = minuteWindowStart(windowStart);
    return this.records.filter((r) => r.t >= ws && r.t < ws + MINUTE).length;
  }

  dayClients(): Record<string, number> {
    return {};
  }

  dayModels(now: number): Record<string, number> {
    const day = Math.floor(now / DAY) * DAY;
    const out: Record<string, number> = {};
    for (const r of this.records) if (r.t >= day && r.t < day + DAY) out[r.model] = (out[r.model] ?? 0) + 1;
    return out;
  }
}

/** A model on a clock that reads `clock.t` (tests move it by assignment). */
export function modelAt(clock: { t: number }, settings: QuotaSettings = DEFAULT_SETTINGS): AccountModel {
  return new AccountModel({
    clock: { now: () => clock.t, setTimer: () => ({ cancel() {} }) },
    settings: () => settings,
  });
}

export interface Metered {
  /** Requests the proxy forwarded in the current minute window (they are in OpenRouter's reading too). */
  minuteUsed: number;
  /** Requests it forwarded today in all (at least minuteUsed); by default minuteUsed. */
  dayUsed?: number;
  waiting?: number;
  lastRateLimit?: RateLimitEvent;
  settings?: QuotaSettings;
}

/**
 * The view a proxy host would give at `now` after OpenRouter's reading `obs` and these counts: the day's
 * earlier requests just after 00:00 UTC, this minute's at the start of the window, all of them already in
 * the reading (it is taken as read no earlier than they were sent), so nothing went elsewhere.
 */
export function meteredView(obs: Observation | undefined, now: number, m: Metered): AccountView {
  const clock = { t: now };
  const model = modelAt(clock, m.settings);
  const meter = new MemoryMeter();
  const ws = minuteWindowStart(now);
  const day = Math.floor(now / DAY) * DAY;
  for (let i = 0; i < Math.max(0, (m.dayUsed ?? m.minuteUsed) - m.minuteUsed); i++) meter.record(day + 1 + i);
  for (let i = 0; i < m.minuteUsed; i++) meter.record(ws + i);
  model.attachMeter(meter, () => m.waiting ?? 0);
  const bump = obs && m.minuteUsed > 0 && Math.floor(obs.fetchedAt / DAY) === Math.floor(now / DAY);
  if (obs) model.observe(bump ? { ...obs, fetchedAt: Math.min(now, Math.max(obs.fetchedAt, ws + m.minuteUsed)) } : obs);
  const v = model.view(now);
  return m.lastRateLimit ? { ...v, meter: { ...v.meter!, lastRateLimit: m.lastRateLimit } } : v;
}
