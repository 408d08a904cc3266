// The ledger's exact records: every attempt since `foldedThrough`, sorted by time, each naming its entry
// (model and client) by an id from the current log file's dictionary. Ids are the file's, not the entries':
// a rewrite of the log starts a fresh dictionary, so that entries no longer used drop out of it.
import { lowerBound, upperBound } from './countIndex';
import { dictionaryLine, HEADER } from './ledgerFormat';

/** What Ledger.record() returns: enough to take that attempt back. */
export interface Recorded {
  at: number;
  model: string;
  /** The entry (model and client) it was recorded as. */
  key: string;
}

export class ExactRecords {
  // Two parallel arrays rather than an object per record: two days of a busy proxy are ~10^5 records.
  private readonly times: number[] = [];
  private readonly ids: number[] = [];
  private readonly keys: string[] = [];
  private readonly idOf = new Map<string, number>();

  get length(): number {
    return this.times.length;
  }

  /** The time of the latest record (undefined when there is none). */
  get last(): number | undefined {
    return this.times.at(-1);
  }

  /** The id of `key` in the current log file, made when it has none. */
  id(key: string): number {
    let id = this.idOf.get(key);
    if (id === undefined) {
      id = this.keys.length;
      this.keys.push(key);
      this.idOf.set(key, id);
    }
    return id;
  }

  /** The id of `key`, with its dictionary line when this is its first use in the current log file. */
  lineId(key: string): [string, number] {
    const isNew = !this.idOf.has(key);
    const id = this.id(key);
    return [isNew ? dictionaryLine(id, key) : '', id];
  }

  /** The id of `key` when the current log file has one. */
  knownId(key: string): number | undefined {
    return this.idOf.get(key);
  }

  keyOf(id: number): string {
    return this.keys[id];
  }

  /** Adds a record; true when it went before the latest one (a count at a past time changed). */
  insert(t: number, id: number): boolean {
    const n = this.times.length;
    if (n === 0 || this.times[n - 1] <= t) {
      this.times.push(t);
      this.ids.push(id);
      return false;
    }
    const at = upperBound(this.times, t);
    this.times.splice(at, 0, t);
    this.ids.splice(at, 0, id);
    return true;
  }

  /** Removes one record of time t and entry id; false when there is none. */
  remove(t: number, id: number): boolean {
    let i = upperBound(this.times, t) - 1;
    while (i >= 0 && this.times[i] === t && this.ids[i] !== id) i--;
    if (i < 0 || this.times[i] !== t) return false;
    this.times.splice(i, 1);
    this.ids.splice(i, 1);
    return true;
  }

  /** Records with time >= t. */
  countFrom(t: number): number {
    return this.times.length - lowerBound(this.times, t);
  }

  /** Records with from <= time <= to. */
  countBetween(from: number, to: number): number {
    return upperBound(this.times, to) - lowerBound(this.times, from);
  }

  /**
   * Hands each record before `from` to `fold`, and returns the rest as new records with a fresh dictionary,
   * with the text of a log file that holds exactly them (header first) and its line count. Leaves this as it was.
   */
  split(
    from: number,
    fold: (t: number, key: string) => void,
  ): { cut: number; kept: ExactRecords; logText: string; logLines: number } {
    const cut = lowerBound(this.times, from);
    for (let i = 0; i < cut; i++) fold(this.times[i], this.keys[this.ids[i]]);
    const kept = new ExactRecords();
    const parts: string[] = [HEADER];
    for (let i = cut; i < this.times.length; i++) {
      const [dict, id] = kept.lineId(this.keys[this.ids[i]]);
      if (dict) parts.push(dict);
      kept.times.push(this.times[i]);
      kept.ids.push(id);
      parts.push(`${this.times[i]} ${id}\n`);
    }
    return { cut, kept, logText: parts.join(''), logLines: kept.times.length + kept.keys.length + 1 };
  }
}
