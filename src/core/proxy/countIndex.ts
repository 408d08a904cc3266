// The ledger's in-memory counts: buckets of attempts (per minute, hour, day) with their models and clients,
// and the sorted-array searches the exact records are queried with. The proxy asks these on every request,
// so they are answered from maps, never by scanning records.
import { DAY, HOUR, MINUTE } from '../../shared/time';
import { splitKey } from './ledgerFormat';

/** The longest series() answers (a query names its length; the history asks for 24 and 30). */
const MAX_SERIES = 10_000;

export interface Bucket {
  total: number;
  models: Map<string, number>;
  clients: Map<string, number>;
}

/** n attempts of the entry `key` (model, and client when known) in bucket `at`; n < 0 removes them. */
export function addTo(map: Map<number, Bucket>, at: number, key: string, n: number): void {
  const b = bucket(map, at);
  const { model, client } = splitKey(key);
  b.total += n;
  bump(b.models, model, n);
  if (client) bump(b.clients, client, n);
  if (b.total <= 0) map.delete(at);
}

/** Client counts alone (from a compact file, whose totals come with the models). */
export function addClients(map: Map<number, Bucket>, at: number, client: string, n: number): void {
  bump(bucket(map, at).clients, client, n);
}

export function copyBucket(b: Bucket): Bucket {
  return { total: b.total, models: new Map(b.models), clients: new Map(b.clients) };
}

/**
 * Counts per minute, hour and day of everything the ledger keeps. Keyed by minute/hour/day number since the
 * epoch (t / MINUTE etc.: small integers, which Maps handle much faster than millisecond timestamps).
 * Minutes cover only the exact records; hours and days also what was folded into hours.
 */
export class CountIndex {
  private readonly minutes = new Map<number, number>();
  private readonly hours = new Map<number, Bucket>();
  private readonly days = new Map<number, Bucket>();

  /** n attempts of the entry `key` at time t; n < 0 takes them back. */
  add(t: number, key: string, n: number): void {
    const minute = Math.floor(t / MINUTE);
    const left = (this.minutes.get(minute) ?? 0) + n;
    if (left > 0) this.minutes.set(minute, left);
    else this.minutes.delete(minute);
    addTo(this.hours, Math.floor(t / HOUR), key, n);
    addTo(this.days, Math.floor(t / DAY), key, n);
  }

  /** n attempts of the entry `key` known only by their hour (hourStart in ms): they have no minute. */
  addHour(hourStart: number, key: string, n: number): void {
    addTo(this.hours, hourStart / HOUR, key, n);
    addTo(this.days, Math.floor(hourStart / DAY), key, n);
  }

  /** Client counts alone for that hour (see addClients). */
  addHourClients(hourStart: number, client: string, n: number): void {
    addClients(this.hours, hourStart / HOUR, client, n);
    addClients(this.days, Math.floor(hourStart / DAY), client, n);
  }

  /** Attempts in the minute window holding t. */
  minute(t: number): number {
    return this.minutes.get(Math.floor(t / MINUTE)) ?? 0;
  }

  /** The bucket of the UTC day holding t. */
  day(t: number): Bucket | undefined {
    return this.days.get(Math.floor(t / DAY));
  }

  /**
   * Totals of the `n` whole units (HOUR or DAY) ending with the one holding `now`, oldest first, zeros
   * included; at most MAX_SERIES of them (everything past the retention is zero anyway).
   */
  series(now: number, n: number, unit: number): Array<{ start: number; count: number }> {
    const map = unit === HOUR ? this.hours : this.days;
    const current = Math.floor(now / unit) * unit;
    const out: Array<{ start: number; count: number }> = [];
    const length = Number.isFinite(n) ? Math.min(MAX_SERIES, Math.max(0, Math.floor(n))) : 0;
    for (let i = length - 1; i >= 0; i--) {
      const start = current - i * unit;
      out.push({ start, count: map.get(start / unit)?.total ?? 0 });
    }
    return out;
  }

  /** Forgets minutes before `exactFrom` (no longer exact) and hours and days before `keepFrom` (past the retention). */
  prune(exactFrom: number, keepFrom: number): void {
    for (const minute of this.minutes.keys()) if (minute < exactFrom / MINUTE) this.minutes.delete(minute);
    for (const hour of this.hours.keys()) if (hour < keepFrom / HOUR) this.hours.delete(hour);
    for (const day of this.days.keys()) if (day < keepFrom / DAY) this.days.delete(day);
  }
}

function bucket(map: Map<number, Bucket>, at: number): Bucket {
  let b = map.get(at);
  if (!b) map.set(at, (b = { total: 0, models: new Map(), clients: new Map() }));
  return b;
}

function bump(m: Map<string, number>, name: string, n: number): void {
  const v = (m.get(name) ?? 0) + n;
  if (v > 0) m.set(name, v);
  else m.delete(name);
}

/** First index whose value is >= x. */
export function lowerBound(a: readonly number[], x: number): number {
  let lo = 0;
  let hi = a.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (a[mid] < x) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** First index whose value is > x. */
export function upperBound(a: readonly number[], x: number): number {
  let lo = 0;
  let hi = a.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (a[mid] <= x) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}
