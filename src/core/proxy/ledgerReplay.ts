// Reading the ledger's two files back into memory when it opens. Neither a corrupt file nor a half-written
// line is fatal: the proxy must start, and a count that is a little low beats no proxy at all. What cannot
// be read is reported once and set aside or skipped.
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Logger } from '../logger';
import { addClients, addTo, type Bucket, type CountIndex } from './countIndex';
import { boundEntry, type KnownModel, LOAD_SCALE } from './ledgerNames';
import {
  type CompactFile,
  LEDGER_COMPACT,
  parseDictionaryLine,
  parsed,
  parseRecordLine,
  parseTakeBackLine,
  splitKey,
  validateCompact,
} from './ledgerFormat';

/** Removes what a compaction killed before its rename left behind: never the live data. */
export function removeLeftovers(files: string[]): void {
  for (const f of files) fs.rmSync(`${f}.tmp`, { force: true });
}

/**
 * Reads ledger.json into `folded` and `index`; returns its foldedThrough. 'set aside' when it exists but
 * cannot be used: it is moved aside (kept for a human to look at) and must be written anew.
 */
export function replayCompact(
  file: string,
  now: number,
  log: Logger,
  folded: Map<number, Bucket>,
  index: CountIndex,
  known: KnownModel,
): number | 'set aside' | undefined {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    setAside(file, now, `cannot read it (${(e as Error).message})`, log);
    return 'set aside';
  }
  let data: CompactFile;
  try {
    data = validateCompact(JSON.parse(text), now);
  } catch (e) {
    setAside(file, now, (e as Error).message, log);
    return 'set aside';
  }
  // Names are bounded again (loosely: the catalog is not loaded yet) in hour order, for files from before the
  // bound (ledgerNames.ts).
  const bound = (model: string, client: string, hour: number) =>
    boundEntry(model, client, index.day(hour), known, LOAD_SCALE);
  for (const [key, models] of Object.entries(data.hours)) {
    const hour = Number(key);
    for (const [model, n] of Object.entries(models)) {
      const name = bound(model, '', hour);
      addTo(folded, hour, name, n);
      index.addHour(hour, name, n);
    }
  }
  for (const [key, clients] of Object.entries(data.clients ?? {})) {
    const hour = Number(key);
    for (const [client, n] of Object.entries(clients)) {
      const name = splitKey(bound('', client, hour)).client;
      addClients(folded, hour, name, n);
      index.addHourClients(hour, name, n);
    }
  }
  return data.foldedThrough;
}

function setAside(file: string, now: number, why: string, log: Logger): void {
  const stamp = new Date(now).toISOString().replace(/[:.]/g, '-');
  let target = `${file}.corrupt-${stamp}`;
  for (let i = 1; fs.existsSync(target); i++) target = `${file}.corrupt-${stamp}-${i}`;
  try {
    fs.renameSync(file, target);
    log.warn(
      `request ledger: ${file} is unreadable (${why}); moved it to ${path.basename(target)} and kept only the recent exact records`,
    );
  } catch (e) {
    log.warn(
      `request ledger: ${file} is unreadable (${why}) and could not be moved aside (${(e as Error).message}); it will be overwritten`,
    );
  }
}

/**
 * Replays ledger.log: hands `insert` every record at or after `foldedThrough` that was not taken back,
 * oldest first, and returns the file's line and byte counts (undefined when there is no file). Throws
 * only when the file exists and cannot be read.
 */
export function replayLog(
  file: string,
  foldedThrough: number,
  log: Logger,
  insert: (t: number, key: string) => void,
): { lines: number; bytes: number } | undefined {
  let buf: Buffer;
  try {
    buf = fs.readFileSync(file);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new Error(`Cannot read the request ledger ${file}: ${(e as Error).message}`);
  }
  // A line without its newline was being written when the process died: record() had not returned.
  const complete = buf.lastIndexOf(0x0a) + 1;
  if (complete < buf.length) {
    log.debug(`request ledger: ignoring a half-written last line (${buf.length - complete} bytes)`);
    cutTail(file, complete, log);
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
  for (let pos = 0; pos < complete;) {
    lineNo++;
    const end = buf.indexOf(0x0a, pos);
    if (parseRecordLine(buf, pos, end)) {
      const t = parsed.t;
      const model = ids.get(parsed.id);
      if (model === undefined) {
        if (bad++ === 0) firstBad = lineNo;
      } else if (t < foldedThrough) {
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
      else if (back && backKey !== undefined)
        takenBack.set(`${back.t} ${backKey}`, (takenBack.get(`${back.t} ${backKey}`) ?? 0) + 1);
      else if (!line.startsWith('#') && bad++ === 0) firstBad = lineNo;
    }
    pos = end + 1;
  }
  if (bad) log.warn(`request ledger: skipped ${bad} unreadable line(s) in ${file} (first: line ${firstBad})`);
  if (alreadyFolded)
    log.debug(`request ledger: ${alreadyFolded} record(s) already in ${LEDGER_COMPACT} (an interrupted compaction)`);
  const order = times.map((_, i) => i);
  if (!sorted) order.sort((x, y) => times[x] - times[y] || x - y);
  for (const i of order) {
    const key = `${times[i]} ${models[i]}`;
    const back = takenBack.get(key);
    if (back) {
      takenBack.set(key, back - 1);
      continue;
    }
    insert(times[i], models[i]);
  }
  return { lines: lineNo, bytes: complete };
}

function cutTail(file: string, length: number, log: Logger): void {
  try {
    fs.truncateSync(file, length);
  } catch (e) {
    // The rewrite in compact() drops it too; appending after it would only lose the next record.
    log.warn(`request ledger: cannot cut a half-written line off ${file}: ${(e as Error).message}`);
  }
}
