// The ledger's in-memory counts: buckets of attempts (per minute, hour, day) with their models and clients,
// and the sorted-array searches the exact records are queried with.
import { splitKey } from './ledgerFormat';

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
