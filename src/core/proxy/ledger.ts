// The proxy's count of attempts to free models, kept on disk so that it survives restarts and crashes.
//
// Two files in the state directory:
// - `ledger.log`: append-only, one short line per attempt (`<ms since epoch> <model id>`), preceded by a
//   dictionary line (`@<model id> <model as a JSON string>`) the first time a model appears in the file.
//   record() writes the line(s) with one write(2) before it returns, on a descriptor kept open: from then on
//   the attempt is in the kernel, so a process killed with SIGKILL right after record() returned still has
//   it on disk. An attempt that provably never reached OpenRouter (its connection was refused) is taken back
//   with a line `-<ms> <id>`, which cancels one record of that time and entry when the file is read. An
//   entry is a model, and the client that sent it when known (ledgerFormat.ts has the line formats). fdatasync (against losing power or the OS) runs off the event loop, at most once per
//   SYNC_INTERVAL_MS for everything written meanwhile (group commit): a flush per request cost ~10 % of the
//   proxy's throughput (bench/RESULTS.md), and only a power cut inside that window can lose a record.
//   A crash in the middle of a write leaves at most a half line at the end, which
//   the next open ignores and cuts off.
// - `ledger.json`: per-hour, per-model counts of everything older than the start of the previous UTC day
//   (`foldedThrough`), written atomically (tmp + fsync + rename). The minute and day questions the proxy asks
//   are about today and the current minute, so exact timestamps are kept only for the current and the
//   previous UTC day; the dashboard's history needs no more than hours.
//
// Compaction (on open, on the first record of a new UTC day, and when the log passes a size) folds exact
// records older than the previous UTC day into the hour buckets, drops what is older than the retention,
// writes ledger.json and then rewrites the log with just the exact records. Log lines older than
// `foldedThrough` are ignored on load, so a crash between the two writes does not count anything twice.
//
// Queries are answered from in-memory indexes (minute → count, hour and day → per-model counts), never by
// scanning records. Memory is bounded by the retention: (retentionDays + 1) × 24 hour buckets × models, plus
// the exact timestamps of two days.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { fsyncDir, makeDirs, writeFileAtomic } from '../fsDurable';
import { type Logger, nullLogger } from '../logger';
import { DAY, HOUR, MINUTE } from '../../shared/time';
import { addClients, addTo, type Bucket, copyBucket, lowerBound, upperBound } from './countIndex';
import {
  COMPACT_VERSION,
  type CompactFile,
  dictionaryLine,
  entryKey,
  HEADER,
  parseDictionaryLine,
  parsed,
  parseRecordLine,
  parseTakeBackLine,
  splitKey,
  validateCompact,
} from './ledgerFormat';

export interface LedgerOptions {
  /** The clock (required: a ledger on the system clock under a test's fake one puts records on the wrong day). */
  now: () => number;
  log?: Logger;
  /** Whole UTC days of history kept before today (default 30, at least 1). */
  retentionDays?: number;
  /** Compact when the log has this many lines more than the exact records need (default 10 000). */
  compactAfterLines?: number;
  /** Compact when the log passes this many bytes (default 1 MiB; grows with what must stay exact). */
  compactAfterBytes?: number;
}

export const LEDGER_LOG = 'ledger.log';
/** Longest a written record waits for its fdatasync. */
const SYNC_INTERVAL_MS = 50;
export const LEDGER_COMPACT = 'ledger.json';
/** hourly() and daily() answer at most this many entries (everything past the retention is zero anyway). */
const MAX_SERIES = 10_000;

const DEFAULT_COMPACT_LINES = 10_000;
const DEFAULT_COMPACT_BYTES = 1 << 20;
/** After a failed write, how long record() keeps counting in memory only before it tries the disk again. */
const RETRY_WRITE_MS = 5_000;

/** What record() returns: enough to take that attempt back. */
export interface Recorded {
  at: number;
  model: string;
  /** The entry (model and client) it was recorded as. */
  key: string;
}

export class Ledger {
  private readonly logPath: string;
  private readonly compactPath: string;
  private readonly now: () => number;
  private readonly log: Logger;
  private readonly retentionDays: number;
  private readonly compactAfterLines: number;
  private readonly compactAfterBytes: number;

  private fd: number | undefined;
  private syncPending = false;
  private closed = false;
  /** When set, the disk failed: count in memory, try again (a full rewrite) from this time on. */
  private retryWriteAt: number | undefined;
  private warnedClosed = false;

  /** Every attempt with a time before this is in `folded`, and only there. */
  private foldedThrough = 0;
  /** Hour buckets (keyed by hour start, ms) of everything before foldedThrough. */
  private readonly folded = new Map<number, Bucket>();
  private compactDirty = false;

  /** Exact records (time ≥ foldedThrough), sorted by time; the model as an index into `names`. */
  private times: number[] = [];
  private modelOf: number[] = [];
  /** The model dictionary of the current log file. */
  private names: string[] = [];
  private nameIndex = new Map<string, number>();

  // Indexes over everything kept, keyed by minute/hour/day number since the epoch (t / MINUTE etc.: small
  // integers, which Maps handle much faster than millisecond timestamps). `minutes` covers the exact records.
  private readonly minutes = new Map<number, number>();
  private readonly hours = new Map<number, Bucket>();
  private readonly days = new Map<number, Bucket>();

  /** Bumped whenever a count at a past time changes (see LocalMeter.revision in account/model.ts). */
  private rev = 0;
  private logLines = 0;
  private logBytes = 0;
  private nextCompactLines = 0;
  private nextCompactBytes = 0;
  private compactedDay = -Infinity;

  private constructor(
    readonly dir: string,
    opts: LedgerOptions,
  ) {
    this.logPath = path.join(dir, LEDGER_LOG);
    this.compactPath = path.join(dir, LEDGER_COMPACT);
    this.now = opts.now;
    this.log = opts.log ?? nullLogger;
    this.retentionDays = Math.max(1, Math.floor(opts.retentionDays ?? 30));
    this.compactAfterLines = Math.max(1, opts.compactAfterLines ?? DEFAULT_COMPACT_LINES);
    this.compactAfterBytes = Math.max(1, opts.compactAfterBytes ?? DEFAULT_COMPACT_BYTES);
  }

  /** Opens (creating) the ledger in `dir`: loads, compacts, never throws for a corrupt file. */
  static open(dir: string, opts: LedgerOptions): Ledger {
    try {
      makeDirs(dir);
    } catch (e) {
      throw new Error(`Cannot use ${dir} for the request ledger: ${(e as Error).message}`);
    }
    const ledger = new Ledger(dir, opts);
    ledger.load();
    try {
      ledger.compact();
    } catch (e) {
      ledger.closeLog();
      throw new Error(`Cannot write the request ledger in ${dir}: ${(e as Error).message}`);
    }
    return ledger;
  }

  /**
   * Count one attempt to a free model at time t (ms), sent by `client` (a short name, see clientName.ts).
   * Written to the file when it returns; flushed to the disk in the background.
   */
  record(model: string, t: number, client = ''): Recorded {
    const name = entryKey(model, client);
    // History before foldedThrough lives only in hour buckets; an attempt stamped earlier (a clock that
    // jumped back by more than a day) is counted at that boundary rather than lost on the next load.
    const at = Math.max(this.foldedThrough, Number.isFinite(t) ? Math.floor(t) : this.now());
    const [dict, id] = this.lineId(name);
    // Memory first: if the disk fails, the attempt still counts (and reaches the disk with the next rewrite).
    this.insert(at, id);
    this.persist(`${dict}${at} ${id}\n`);
    return { at, model: splitKey(name).model, key: name };
  }

  /**
   * Un-count an attempt that never reached OpenRouter (refused connection, DNS or TLS failure): OpenRouter
   * cannot have counted it, and keeping it would refuse requests that OpenRouter would take. False when it
   * is no longer here (already taken back, or folded into history).
   */
  takeBack(r: Recorded): boolean {
    const id = this.nameIndex.get(r.key);
    if (id === undefined || r.at < this.foldedThrough || !this.remove(r.at, id)) return false;
    const [dict] = this.lineId(r.key);
    this.persist(`${dict}-${r.at} ${id}\n`);
    return true;
  }

  /** Attempts in the UTC day of `t`, up to and including `t` (exact for today and yesterday). */
  countUntil(t: number): number {
    const dayStart = Math.floor(t / DAY) * DAY;
    const n = this.times.length;
    if (n === 0 || t >= this.times[n - 1] || dayStart < this.foldedThrough) return this.dayCount(dayStart);
    return upperBound(this.times, t) - lowerBound(this.times, dayStart);
  }

  /** Changes whenever a count at a past time changes: a take-back, or a record stamped before the latest one. */
  get revision(): number {
    return this.rev;
  }

  /** Attempts in the fixed minute window starting at windowStart (a multiple of 60 000; any other time means its window). */
  minuteCount(windowStart: number): number {
    return this.minutes.get(Math.floor(windowStart / MINUTE)) ?? 0;
  }

  /** Attempts in the UTC day starting at dayStart (a multiple of 86 400 000; any other time means its day). */
  dayCount(dayStart: number): number {
    return this.days.get(Math.floor(dayStart / DAY))?.total ?? 0;
  }

  /** Per-model attempts in that UTC day. */
  dayModels(dayStart: number): Record<string, number> {
    return Object.fromEntries(this.days.get(Math.floor(dayStart / DAY))?.models ?? []);
  }

  /** Per-client attempts in that UTC day (attempts recorded without a client are not in it). */
  dayClients(dayStart: number): Record<string, number> {
    return Object.fromEntries(this.days.get(Math.floor(dayStart / DAY))?.clients ?? []);
  }

  /**
   * Attempts with time >= t. Exact for t at or after the start of the previous UTC day; earlier than that
   * only hours are known, and the hour containing t counts whole (an upper bound).
   */
  countSince(t: number): number {
    const exact = this.times.length - lowerBound(this.times, t);
    if (t >= this.foldedThrough) return exact;
    let older = 0;
    for (const [hour, b] of this.folded) if (hour + HOUR > t) older += b.total;
    return exact + older;
  }

  /** Per-hour totals, oldest first, for the `hours` whole UTC hours ending with the current one (zeros included). */
  hourly(now: number, hours: number): Array<{ hourStart: number; count: number }> {
    const n = seriesLength(hours);
    const current = Math.floor(now / HOUR) * HOUR;
    const out: Array<{ hourStart: number; count: number }> = [];
    for (let i = n - 1; i >= 0; i--) {
      const hourStart = current - i * HOUR;
      out.push({ hourStart, count: this.hours.get(hourStart / HOUR)?.total ?? 0 });
    }
    return out;
  }

  /** Per-day totals for the last `days` UTC days including today (zeros included). */
  daily(now: number, days: number): Array<{ dayStart: number; count: number }> {
    const n = seriesLength(days);
    const today = Math.floor(now / DAY) * DAY;
    const out: Array<{ dayStart: number; count: number }> = [];
    for (let i = n - 1; i >= 0; i--) {
      const dayStart = today - i * DAY;
      out.push({ dayStart, count: this.days.get(dayStart / DAY)?.total ?? 0 });
    }
    return out;
  }

  /** Closes the log. Queries keep answering; a later record() counts in memory only (with a warning). */
  close(): void {
    this.closed = true;
    this.closeLog();
  }

  // ---- writing ----

  private persist(line: string): void {
    if (this.closed) {
      if (!this.warnedClosed) this.log.warn('request ledger: record() after close(); counted in memory only');
      this.warnedClosed = true;
      return;
    }
    if (this.retryWriteAt !== undefined) {
      // The disk failed before: everything is in memory, so one successful rewrite persists it all.
      if (this.now() < this.retryWriteAt) return;
      try {
        this.compact();
        this.retryWriteAt = undefined;
        this.log.info('request ledger: writing again');
      } catch (e) {
        this.writeFailed(e);
      }
      return;
    }
    if (this.fd === undefined) {
      // Only after a failed rewrite or write: the file may not match memory, so write all of memory.
      try {
        this.compact();
      } catch (e) {
        this.writeFailed(e);
      }
      return;
    }
    try {
      const bytes = writeAll(this.fd, line);
      this.scheduleSync();
      this.logBytes += bytes;
      this.logLines += line.charCodeAt(0) === 64 /* @ */ ? 2 : 1;
    } catch (e) {
      this.writeFailed(e);
      return;
    }
    if (Math.floor(this.now() / DAY) > this.compactedDay || this.logLines >= this.nextCompactLines || this.logBytes >= this.nextCompactBytes) {
      try {
        this.compact();
      } catch (e) {
        this.writeFailed(e);
      }
    }
  }

  private writeFailed(e: unknown): void {
    if (this.retryWriteAt === undefined) this.log.error(`request ledger: cannot write ${this.logPath} (${(e as Error).message}); counting in memory until it works again`);
    this.retryWriteAt = this.now() + RETRY_WRITE_MS;
    this.closeLog();
  }

  private openLog(): void {
    const fd = fs.openSync(this.logPath, 'a', 0o600);
    try {
      const size = fs.fstatSync(fd).size;
      if (size === 0) {
        this.logBytes = writeAll(fd, HEADER);
        this.logLines = 1;
        fs.fdatasyncSync(fd);
        fsyncDir(this.dir);
      }
    } catch (e) {
      fs.closeSync(fd);
      throw e;
    }
    this.fd = fd;
  }

  /** One fdatasync for everything written in the next SYNC_INTERVAL_MS, on libuv's thread pool. */
  private scheduleSync(): void {
    if (this.syncPending) return;
    this.syncPending = true;
    setTimeout(() => {
      this.syncPending = false;
      const fd = this.fd;
      if (fd === undefined) return;
      fs.fdatasync(fd, (e) => {
        if (e && this.fd === fd) this.log.warn(`request ledger: fdatasync failed: ${e.message}`);
      });
    }, SYNC_INTERVAL_MS).unref();
  }

  private closeLog(): void {
    if (this.fd === undefined) return;
    try {
      fs.fdatasyncSync(this.fd);
    } catch {
      // closing anyway
    }
    try {
      fs.closeSync(this.fd);
    } catch {
      // already unusable
    }
    this.fd = undefined;
  }

  // ---- loading ----

  private load(): void {
    // Left by a compaction that was killed before its rename: never the live data.
    for (const f of [this.logPath, this.compactPath]) fs.rmSync(`${f}.tmp`, { force: true });
    this.loadCompact();
    let buf: Buffer;
    try {
      buf = fs.readFileSync(this.logPath);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return;
      throw new Error(`Cannot read the request ledger ${this.logPath}: ${(e as Error).message}`);
    }
    // A line without its newline was being written when the process died: record() had not returned.
    const complete = buf.lastIndexOf(0x0a) + 1;
    if (complete < buf.length) {
      this.log.debug(`request ledger: ignoring a half-written last line (${buf.length - complete} bytes)`);
      this.cutTail(complete);
    }
    const ids = new Map<number, string>();
    const times: number[] = [];
    const models: string[] = [];
    let sorted = true;
    let bad = 0;
    let firstBad = 0;
    let alreadyFolded = 0;
    let lineNo = 0;
    /** `<ms> <model>` → how many attempts of that time and model were taken back. */
    const takenBack = new Map<string, number>();
    // A byte-level scan: a record line is digits, a space, digits, a newline. Anything else is decoded.
    for (let pos = 0; pos < complete; ) {
      lineNo++;
      const end = buf.indexOf(0x0a, pos);
      if (parseRecordLine(buf, pos, end)) {
        const t = parsed.t;
        const model = ids.get(parsed.id);
        if (model === undefined) {
          if (bad++ === 0) firstBad = lineNo;
        } else if (t < this.foldedThrough) {
          alreadyFolded++;
        } else {
          if (times.length > 0 && t < times[times.length - 1]) sorted = false;
          times.push(t);
          models.push(model);
        }
      } else if (end > pos) {
        const line = buf.toString('utf8', pos, end);
        const def = line.startsWith('#') ? undefined : parseDictionaryLine(line);
        const back = def ? undefined : parseTakeBackLine(line);
        const backKey = back ? ids.get(back.id) : undefined;
        if (def) ids.set(def.id, def.key);
        else if (back && backKey !== undefined) takenBack.set(`${back.t} ${backKey}`, (takenBack.get(`${back.t} ${backKey}`) ?? 0) + 1);
        else if (!line.startsWith('#') && bad++ === 0) firstBad = lineNo;
      }
      pos = end + 1;
    }
    if (bad) this.log.warn(`request ledger: skipped ${bad} unreadable line(s) in ${this.logPath} (first: line ${firstBad})`);
    if (alreadyFolded) this.log.debug(`request ledger: ${alreadyFolded} record(s) already in ${LEDGER_COMPACT} (an interrupted compaction)`);
    const order = times.map((_, i) => i);
    if (!sorted) order.sort((x, y) => times[x] - times[y] || x - y);
    for (const i of order) {
      const key = `${times[i]} ${models[i]}`;
      const back = takenBack.get(key);
      if (back) {
        takenBack.set(key, back - 1);
        continue;
      }
      this.insert(times[i], this.modelId(models[i]));
    }
    this.logLines = lineNo;
    this.logBytes = complete;
  }

  private loadCompact(): void {
    let text: string;
    try {
      text = fs.readFileSync(this.compactPath, 'utf8');
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return;
      this.setAside(`cannot read it (${(e as Error).message})`);
      return;
    }
    let data: CompactFile;
    try {
      data = validateCompact(JSON.parse(text), this.now());
    } catch (e) {
      this.setAside((e as Error).message);
      return;
    }
    this.foldedThrough = data.foldedThrough;
    for (const [key, models] of Object.entries(data.hours)) {
      const hour = Number(key);
      for (const [model, n] of Object.entries(models)) {
        const name = entryKey(model);
        addTo(this.folded, hour, name, n);
        addTo(this.hours, hour / HOUR, name, n);
        addTo(this.days, Math.floor(hour / DAY), name, n);
      }
    }
    for (const [key, clients] of Object.entries(data.clients ?? {})) {
      const hour = Number(key);
      for (const [client, n] of Object.entries(clients)) {
        addClients(this.folded, hour, client, n);
        addClients(this.hours, hour / HOUR, client, n);
        addClients(this.days, Math.floor(hour / DAY), client, n);
      }
    }
  }

  private setAside(why: string): void {
    const stamp = new Date(this.now()).toISOString().replace(/[:.]/g, '-');
    let target = `${this.compactPath}.corrupt-${stamp}`;
    for (let i = 1; fs.existsSync(target); i++) target = `${this.compactPath}.corrupt-${stamp}-${i}`;
    try {
      fs.renameSync(this.compactPath, target);
      this.log.warn(`request ledger: ${this.compactPath} is unreadable (${why}); moved it to ${path.basename(target)} and kept only the recent exact records`);
    } catch (e) {
      this.log.warn(`request ledger: ${this.compactPath} is unreadable (${why}) and could not be moved aside (${(e as Error).message}); it will be overwritten`);
    }
    this.compactDirty = true;
  }

  private cutTail(length: number): void {
    try {
      fs.truncateSync(this.logPath, length);
    } catch (e) {
      // The rewrite in compact() drops it too; appending after it would only lose the next record.
      this.log.warn(`request ledger: cannot cut a half-written line off ${this.logPath}: ${(e as Error).message}`);
    }
  }

  // ---- indexes ----

  /** The id of `name` in the current log file, with its dictionary line when this is its first use there. */
  private lineId(name: string): [string, number] {
    const isNew = !this.nameIndex.has(name);
    const id = this.modelId(name);
    return [isNew ? dictionaryLine(id, name) : '', id];
  }

  private modelId(name: string): number {
    let id = this.nameIndex.get(name);
    if (id === undefined) {
      id = this.names.length;
      this.names.push(name);
      this.nameIndex.set(name, id);
    }
    return id;
  }

  private insert(t: number, id: number): void {
    const n = this.times.length;
    if (n === 0 || this.times[n - 1] <= t) {
      this.times.push(t);
      this.modelOf.push(id);
    } else {
      const at = upperBound(this.times, t);
      this.times.splice(at, 0, t);
      this.modelOf.splice(at, 0, id);
      this.rev++;
    }
    const minute = Math.floor(t / MINUTE);
    this.minutes.set(minute, (this.minutes.get(minute) ?? 0) + 1);
    const name = this.names[id];
    addTo(this.hours, Math.floor(t / HOUR), name, 1);
    addTo(this.days, Math.floor(t / DAY), name, 1);
  }

  /** Removes one exact record of time t and model id from memory and the indexes. */
  private remove(t: number, id: number): boolean {
    let i = upperBound(this.times, t) - 1;
    while (i >= 0 && this.times[i] === t && this.modelOf[i] !== id) i--;
    if (i < 0 || this.times[i] !== t) return false;
    this.times.splice(i, 1);
    this.modelOf.splice(i, 1);
    const minute = Math.floor(t / MINUTE);
    const left = (this.minutes.get(minute) ?? 1) - 1;
    if (left > 0) this.minutes.set(minute, left);
    else this.minutes.delete(minute);
    const name = this.names[id];
    addTo(this.hours, Math.floor(t / HOUR), name, -1);
    addTo(this.days, Math.floor(t / DAY), name, -1);
    this.rev++;
    return true;
  }

  // ---- compaction ----

  /** Fold, drop, write ledger.json (when it changed), rewrite the log. Throws on I/O errors (state stays consistent). */
  private compact(): void {
    const now = this.now();
    const today = Math.floor(now / DAY) * DAY;
    const exactFrom = Math.max(this.foldedThrough, today - DAY);
    const keepFrom = today - this.retentionDays * DAY;

    // Work on copies so that a failed write leaves memory as it was (and consistent with the files).
    const folded = new Map<number, Bucket>();
    for (const [hour, b] of this.folded) folded.set(hour, copyBucket(b));
    const cut = lowerBound(this.times, exactFrom);
    for (let i = 0; i < cut; i++) addTo(folded, Math.floor(this.times[i] / HOUR) * HOUR, this.names[this.modelOf[i]], 1);
    let dropped = 0;
    for (const [hour, b] of folded) {
      if (hour < keepFrom) {
        folded.delete(hour);
        dropped += b.total;
      }
    }
    const compactChanged = this.compactDirty || cut > 0 || dropped > 0 || exactFrom !== this.foldedThrough;

    // The exact records that stay, with a fresh dictionary (models no longer used drop out of it).
    const times = this.times.slice(cut);
    const oldIds = this.modelOf.slice(cut);
    const names: string[] = [];
    const nameIndex = new Map<string, number>();
    const modelOf = new Array<number>(oldIds.length);
    const parts: string[] = [HEADER];
    for (let i = 0; i < times.length; i++) {
      const name = this.names[oldIds[i]];
      let id = nameIndex.get(name);
      if (id === undefined) {
        id = names.length;
        names.push(name);
        nameIndex.set(name, id);
        parts.push(dictionaryLine(id, name));
      }
      modelOf[i] = id;
      parts.push(`${times[i]} ${id}\n`);
    }
    const logText = parts.join('');

    if (compactChanged) {
      const hours: Record<string, Record<string, number>> = {};
      const clients: Record<string, Record<string, number>> = {};
      for (const [hour, b] of [...folded].sort((a, b) => a[0] - b[0])) {
        hours[String(hour)] = Object.fromEntries(b.models);
        if (b.clients.size > 0) clients[String(hour)] = Object.fromEntries(b.clients);
      }
      const body: CompactFile = { v: COMPACT_VERSION, foldedThrough: exactFrom, hours, clients };
      writeFileAtomic(this.compactPath, JSON.stringify(body));
    }
    // From here on ledger.json says "everything before exactFrom is folded": log lines before it are ignored.
    this.foldedThrough = exactFrom;
    this.folded.clear();
    for (const [hour, b] of folded) this.folded.set(hour, b);
    this.compactDirty = false;
    this.times = times;
    this.modelOf = modelOf;
    this.names = names;
    this.nameIndex = nameIndex;
    for (const minute of this.minutes.keys()) if (minute < exactFrom / MINUTE) this.minutes.delete(minute);
    for (const hour of this.hours.keys()) if (hour < keepFrom / HOUR) this.hours.delete(hour);
    for (const day of this.days.keys()) if (day < keepFrom / DAY) this.days.delete(day);

    // The log is replaced under its name: close our descriptor first (Windows cannot rename over an open
    // file, and on POSIX later appends would go to the replaced file). If this fails, the old log plus
    // ledger.json still describe every record on disk, but the old log's dictionary no longer matches
    // `names`: the descriptor stays closed, and the next write is a full rewrite.
    this.closeLog();
    writeFileAtomic(this.logPath, logText);
    this.openLog();
    this.logLines = times.length + names.length + 1;
    this.logBytes = Buffer.byteLength(logText);
    this.nextCompactLines = Math.max(this.compactAfterLines, 2 * this.logLines);
    this.nextCompactBytes = Math.max(this.compactAfterBytes, 2 * this.logBytes);
    this.compactedDay = Math.floor(now / DAY);
    this.log.debug(`request ledger: compacted (${times.length} exact record(s) kept, ${cut} folded into hours, ${dropped} older than ${this.retentionDays} days dropped)`);
  }
}

// ---- helpers ----

function seriesLength(n: number): number {
  return Number.isFinite(n) ? Math.min(MAX_SERIES, Math.max(0, Math.floor(n))) : 0;
}

/** Writes all of `text` at the descriptor's position (append mode: the end); returns the byte count. */
function writeAll(fd: number, text: string): number {
  const buf = Buffer.from(text, 'utf8');
  let off = 0;
  while (off < buf.length) off += fs.writeSync(fd, buf, off, buf.length - off);
  return buf.length;
}
