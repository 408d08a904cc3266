// The proxy's count of attempts to free models, kept on disk so that it survives restarts and crashes.
//
// Two files in the state directory (ledgerFormat.ts has their formats):
// - `ledger.log`: append-only, one short line per attempt, and a line taking back an attempt that provably
//   never reached OpenRouter (its connection was refused). record() writes with one write(2) before it
//   returns, so a process killed with SIGKILL right after still has the attempt on disk. fdatasync follows
//   within SYNC_INTERVAL_MS for everything written meanwhile (group commit: AppendFile in fsDurable.ts), so
//   only a power cut inside that window can lose a record. A crash in the middle of a write leaves at most
//   a half line at the end, which the next open ignores and cuts off.
// - `ledger.json`: per-hour, per-model counts of everything before the start of the previous UTC day
//   (`foldedThrough`), replaced atomically. The minute and day questions the proxy asks are about today and
//   the current minute, so exact times are kept only for today and yesterday; the dashboard's history needs
//   no more than hours.
//
// Compaction (on open, on the first record of a new UTC day, and when the log passes a size:
// ledgerCompaction.ts) folds exact records older than the previous UTC day into hours, drops what is past
// the retention, writes ledger.json and then rewrites the log with just the exact records. Log lines before
// `foldedThrough` are ignored on load (ledgerReplay.ts), so a crash between the two writes counts nothing twice.
//
// Queries are answered from in-memory indexes (countIndex.ts), never by scanning records. Memory is bounded
// by the retention: (retentionDays + 1) × 24 hour buckets × names, plus the exact times of two days; names
// (models and clients come from requests) are bounded per day by ledgerNames.ts, on disk and in memory.
import * as path from 'node:path';
import { AppendFile, makeDirs, writeFileAtomic } from '../fsDurable';
import { type Logger, nullLogger } from '../logger';
import { DAY, HOUR } from '../../shared/time';
import { type Bucket, CountIndex } from './countIndex';
import { HEADER, LEDGER_COMPACT, LEDGER_LOG, splitKey } from './ledgerFormat';
import { CompactionSchedule, planCompaction } from './ledgerCompaction';
import {
  boundEntry,
  boundKey,
  type KnownModel,
  knowsNothing,
  LOAD_SCALE,
  OTHER_MODELS,
  shownClients,
  shownModels,
} from './ledgerNames';
import { ExactRecords, type Recorded } from './ledgerRecords';
import { removeLeftovers, replayCompact, replayLog } from './ledgerReplay';

export { LEDGER_COMPACT, LEDGER_LOG, OTHER_MODELS, type Recorded };

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
  /** Ids the free-model catalog knows keep their names on any day (ledgerNames.ts); by default none is known. */
  knownModel?: KnownModel;
}

/** Longest a written record waits for its fdatasync. */
const SYNC_INTERVAL_MS = 50;
/** After a failed write, how long record() keeps counting in memory only before it tries the disk again. */
const RETRY_WRITE_MS = 5_000;

export class Ledger {
  private readonly logPath: string;
  private readonly compactPath: string;
  private readonly now: () => number;
  private readonly log: Logger;
  private readonly retentionDays: number;
  private readonly schedule: CompactionSchedule;
  private readonly known: KnownModel;

  /** The log, open for appending; undefined after a failed write (the next one rewrites it whole). */
  private file: AppendFile | undefined;
  private closed = false;
  /** When set, the disk failed: count in memory, try again (a full rewrite) from this time on. */
  private retryWriteAt: number | undefined;
  private warnedClosed = false;

  /** Every attempt with a time before this is in `folded`, and only there. */
  private foldedThrough = 0;
  /** Hour buckets (keyed by hour start, ms) of everything before foldedThrough. */
  private folded = new Map<number, Bucket>();
  private compactDirty = false;
  /** Every attempt from foldedThrough on. */
  private records = new ExactRecords();
  private readonly index = new CountIndex();

  /** Bumped whenever a count at a past time changes (see LocalMeter.revision in account/model.ts). */
  private rev = 0;
  /** Bumped whenever any count changes (see LocalMeter.changes). */
  private changeCount = 0;

  private constructor(
    readonly dir: string,
    opts: LedgerOptions,
  ) {
    this.logPath = path.join(dir, LEDGER_LOG);
    this.compactPath = path.join(dir, LEDGER_COMPACT);
    this.now = opts.now;
    this.log = opts.log ?? nullLogger;
    this.retentionDays = Math.max(1, Math.floor(opts.retentionDays ?? 30));
    this.schedule = new CompactionSchedule(opts.compactAfterLines, opts.compactAfterBytes);
    this.known = opts.knownModel ?? knowsNothing;
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
    // History before foldedThrough lives only in hour buckets; an attempt stamped earlier (a clock that
    // jumped back by more than a day) is counted at that boundary rather than lost on the next load.
    const at = Math.max(this.foldedThrough, Number.isFinite(t) ? Math.floor(t) : this.now());
    const name = boundEntry(model, client, this.index.day(at), this.known);
    const [dict, id] = this.records.lineId(name);
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
    const id = this.records.knownId(r.key);
    if (id === undefined || r.at < this.foldedThrough || !this.records.remove(r.at, id)) return false;
    this.index.add(r.at, r.key, -1);
    this.rev++;
    this.changeCount++;
    const [dict] = this.records.lineId(r.key);
    this.persist(`${dict}-${r.at} ${id}\n`);
    return true;
  }

  /** Attempts in the UTC day of `t`, up to and including `t` (exact for today and yesterday). */
  countUntil(t: number): number {
    const dayStart = Math.floor(t / DAY) * DAY;
    const last = this.records.last;
    if (last === undefined || t >= last || dayStart < this.foldedThrough) return this.dayCount(dayStart);
    return this.records.countBetween(dayStart, t);
  }

  /** Changes whenever a count at a past time changes: a take-back, or a record stamped before the latest one. */
  get revision(): number {
    return this.rev;
  }

  /** Changes whenever any count changes (a record or a take-back): for caching what is worked out from them. */
  get changes(): number {
    return this.changeCount;
  }

  /** Attempts in the fixed minute window starting at windowStart (a multiple of 60 000; any other time means its window). */
  minuteCount(windowStart: number): number {
    return this.index.minute(windowStart);
  }

  /** Attempts in the UTC day starting at dayStart (a multiple of 86 400 000; any other time means its day). */
  dayCount(dayStart: number): number {
    return this.index.day(dayStart)?.total ?? 0;
  }

  /** Per-model attempts in that UTC day: the catalog's models, the top others, the rest as OTHER_MODELS (ledgerNames.ts). */
  dayModels(dayStart: number): Record<string, number> {
    return shownModels(this.index.day(dayStart), this.known);
  }

  /** Per-client attempts in that UTC day, the top ones and the rest as `other` (attempts recorded without a client are not in it). */
  dayClients(dayStart: number): Record<string, number> {
    return shownClients(this.index.day(dayStart));
  }

  /**
   * Attempts with time >= t. Exact for t at or after the start of the previous UTC day; earlier than that
   * only hours are known, and the hour containing t counts whole (an upper bound).
   */
  countSince(t: number): number {
    const exact = this.records.countFrom(t);
    if (t >= this.foldedThrough) return exact;
    let older = 0;
    for (const [hour, b] of this.folded) if (hour + HOUR > t) older += b.total;
    return exact + older;
  }

  /** Per-hour totals, oldest first, for the `hours` whole UTC hours ending with the current one (zeros included). */
  hourly(now: number, hours: number): Array<{ hourStart: number; count: number }> {
    return this.index.series(now, hours, HOUR).map(({ start, count }) => ({ hourStart: start, count }));
  }

  /** Per-day totals for the last `days` UTC days including today (zeros included). */
  daily(now: number, days: number): Array<{ dayStart: number; count: number }> {
    return this.index.series(now, days, DAY).map(({ start, count }) => ({ dayStart: start, count }));
  }

  /** Closes the log. Queries keep answering; a later record() counts in memory only (with a warning). */
  close(): void {
    this.closed = true;
    this.closeLog();
  }

  private insert(t: number, id: number): void {
    if (this.records.insert(t, id)) this.rev++;
    this.changeCount++;
    this.index.add(t, this.records.keyOf(id), 1);
  }

  private load(): void {
    removeLeftovers([this.logPath, this.compactPath]);
    const compact = replayCompact(this.compactPath, this.now(), this.log, this.folded, this.index, this.known);
    if (compact === 'set aside') this.compactDirty = true;
    else if (compact !== undefined) this.foldedThrough = compact;
    const read = replayLog(this.logPath, this.foldedThrough, this.log, (t, key) =>
      this.insert(t, this.records.id(boundKey(key, this.index.day(t), this.known, LOAD_SCALE))),
    );
    if (read) this.schedule.loaded(read.lines, read.bytes);
  }

  /** Writes a line of the log, or (after a failure, or when due) the whole log. */
  private persist(line: string): void {
    if (this.closed) {
      if (!this.warnedClosed) this.log.warn('request ledger: record() after close(); counted in memory only');
      this.warnedClosed = true;
      return;
    }
    if (this.retryWriteAt !== undefined) {
      // The disk failed before: everything is in memory, so one successful rewrite persists it all.
      if (this.now() < this.retryWriteAt) return;
      if (this.rewrite()) {
        this.retryWriteAt = undefined;
        this.log.info('request ledger: writing again');
      }
      return;
    }
    if (this.file === undefined) {
      // Only after a failed rewrite or write: the file may not match memory, so write all of memory.
      this.rewrite();
      return;
    }
    try {
      this.schedule.appended(line.charCodeAt(0) === 64 /* @ */ ? 2 : 1, this.file.append(line));
    } catch (e) {
      this.writeFailed(e);
      return;
    }
    if (this.schedule.due(this.now())) this.rewrite();
  }

  /** compact(), turning a failure into counting in memory until the disk works again. */
  private rewrite(): boolean {
    try {
      this.compact();
      return true;
    } catch (e) {
      this.writeFailed(e);
      return false;
    }
  }

  private writeFailed(e: unknown): void {
    if (this.retryWriteAt === undefined)
      this.log.error(
        `request ledger: cannot write ${this.logPath} (${(e as Error).message}); counting in memory until it works again`,
      );
    this.retryWriteAt = this.now() + RETRY_WRITE_MS;
    this.closeLog();
  }

  private closeLog(): void {
    this.file?.close();
    this.file = undefined;
  }

  /** Fold, drop, write ledger.json (when it changed), rewrite the log. Throws on I/O errors (state stays consistent). */
  private compact(): void {
    const now = this.now();
    const c = planCompaction({
      now,
      retentionDays: this.retentionDays,
      foldedThrough: this.foldedThrough,
      folded: this.folded,
      records: this.records,
      compactDirty: this.compactDirty,
    });
    if (c.compactFile) writeFileAtomic(this.compactPath, JSON.stringify(c.compactFile));
    // From here on ledger.json says "everything before exactFrom is folded": log lines before it are ignored.
    this.foldedThrough = c.exactFrom;
    this.folded = c.folded;
    this.compactDirty = false;
    this.records = c.records;
    this.index.prune(c.exactFrom, c.keepFrom);

    // The log is replaced under its name: close our descriptor first (Windows cannot rename over an open
    // file, and on POSIX later appends would go to the replaced file). If this fails, the old log plus
    // ledger.json still describe every record on disk, but the old log's dictionary no longer matches
    // `records`: the descriptor stays closed, and the next write is a full rewrite.
    this.closeLog();
    writeFileAtomic(this.logPath, c.logText);
    this.file = AppendFile.open(this.logPath, HEADER, SYNC_INTERVAL_MS, (e) =>
      this.log.warn(`request ledger: fdatasync failed: ${e.message}`),
    );
    this.schedule.compacted(now, c.logLines, Buffer.byteLength(c.logText));
    this.log.debug(
      `request ledger: compacted (${c.records.length} exact record(s) kept, ${c.cut} folded into hours, ${c.dropped} older than ${this.retentionDays} days dropped)`,
    );
  }
}
