// What a compaction of the ledger changes, worked out without touching memory or disk: exact records older
// than the previous UTC day fold into hour buckets, hours past the retention drop, and the log is re-written
// with just the records that stay exact. Ledger.compact() writes the result and only then adopts it, so a
// failed write leaves memory as it was (and consistent with the files).
import { DAY, HOUR } from '../../shared/time';
import { addTo, type Bucket, copyBucket } from './countIndex';
import { COMPACT_VERSION, type CompactFile } from './ledgerFormat';
import type { ExactRecords } from './ledgerRecords';

const DEFAULT_COMPACT_LINES = 10_000;
const DEFAULT_COMPACT_BYTES = 1 << 20;

/**
 * When the log is due for a compaction: on the first write of a new UTC day (yesterday's records start to
 * fold), or when it has grown to twice what the last compaction left (at least the configured size), so that
 * rewriting costs a constant share of the writes however much must stay exact.
 */
export class CompactionSchedule {
  private readonly afterLines: number;
  private readonly afterBytes: number;
  private lines = 0;
  private bytes = 0;
  private nextLines = 0;
  private nextBytes = 0;
  private day = -Infinity;

  constructor(afterLines = DEFAULT_COMPACT_LINES, afterBytes = DEFAULT_COMPACT_BYTES) {
    this.afterLines = Math.max(1, afterLines);
    this.afterBytes = Math.max(1, afterBytes);
  }

  /** The log as it was found on open. */
  loaded(lines: number, bytes: number): void {
    this.lines = lines;
    this.bytes = bytes;
  }

  /** `lines` lines of `bytes` bytes appended. */
  appended(lines: number, bytes: number): void {
    this.lines += lines;
    this.bytes += bytes;
  }

  due(now: number): boolean {
    return Math.floor(now / DAY) > this.day || this.lines >= this.nextLines || this.bytes >= this.nextBytes;
  }

  /** The log was rewritten at `now` with `lines` lines of `bytes` bytes. */
  compacted(now: number, lines: number, bytes: number): void {
    this.lines = lines;
    this.bytes = bytes;
    this.nextLines = Math.max(this.afterLines, 2 * lines);
    this.nextBytes = Math.max(this.afterBytes, 2 * bytes);
    this.day = Math.floor(now / DAY);
  }
}

export interface CompactionInput {
  now: number;
  retentionDays: number;
  foldedThrough: number;
  folded: ReadonlyMap<number, Bucket>;
  records: ExactRecords;
  /** ledger.json must be written even if nothing folds (it was unreadable and set aside). */
  compactDirty: boolean;
}

export interface Compaction {
  /** The new foldedThrough: the start of the previous UTC day (or the old value, if later). */
  exactFrom: number;
  /** Hours before this are past the retention. */
  keepFrom: number;
  folded: Map<number, Bucket>;
  /** ledger.json's new content; undefined when it would not change. */
  compactFile: CompactFile | undefined;
  records: ExactRecords;
  logText: string;
  logLines: number;
  /** Records folded into hours, and attempts dropped for the retention (for the log line). */
  cut: number;
  dropped: number;
}

export function planCompaction(input: CompactionInput): Compaction {
  const today = Math.floor(input.now / DAY) * DAY;
  const exactFrom = Math.max(input.foldedThrough, today - DAY);
  const keepFrom = today - input.retentionDays * DAY;

  const folded = new Map<number, Bucket>();
  for (const [hour, b] of input.folded) folded.set(hour, copyBucket(b));
  const { cut, kept, logText, logLines } = input.records.split(exactFrom, (t, key) =>
    addTo(folded, Math.floor(t / HOUR) * HOUR, key, 1),
  );
  let dropped = 0;
  for (const [hour, b] of folded) {
    if (hour < keepFrom) {
      folded.delete(hour);
      dropped += b.total;
    }
  }
  const changed = input.compactDirty || cut > 0 || dropped > 0 || exactFrom !== input.foldedThrough;
  return {
    exactFrom,
    keepFrom,
    folded,
    compactFile: changed ? compactFileOf(folded, exactFrom) : undefined,
    records: kept,
    logText,
    logLines,
    cut,
    dropped,
  };
}

function compactFileOf(folded: Map<number, Bucket>, foldedThrough: number): CompactFile {
  const hours: Record<string, Record<string, number>> = {};
  const clients: Record<string, Record<string, number>> = {};
  for (const [hour, b] of [...folded].sort((a, b) => a[0] - b[0])) {
    hours[String(hour)] = Object.fromEntries(b.models);
    if (b.clients.size > 0) clients[String(hour)] = Object.fromEntries(b.clients);
  }
  return { v: COMPACT_VERSION, foldedThrough, hours, clients };
}
