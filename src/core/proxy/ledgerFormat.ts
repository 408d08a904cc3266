// The ledger's files, as text (see ledger.ts for what they promise): the log's lines and the compact file.
//
// ledger.log, one line each:
//   `<ms> <id>`         one attempt at time ms (since the epoch) of the entry `id`
//   `-<ms> <id>`        takes one such attempt back (it never reached OpenRouter)
//   `@<id> <JSON>`      defines `id` in this file: a model id as a JSON string (v1), or [model, client] (who
//                       sent it: the client's X-Title, HTTP-Referer or User-Agent, see proxy/clientName.ts)
//   `# …`               a comment (the header)
// ledger.json: { v: 2, foldedThrough, hours: {<hour ms>: {<model>: n}}, clients: {<hour ms>: {<client>: n}} }
// (v1 files, without `clients`, are read as they are).
import { DAY, HOUR } from '../../shared/time';

export const LEDGER_LOG = 'ledger.log';
export const LEDGER_COMPACT = 'ledger.json';

export const HEADER =
  '# openrouter-quota ledger v2: "<ms> <id>" per free-model attempt, "-<ms> <id>" takes one back, "@<id> <JSON model or [model, client]>" defines an id\n';
export const COMPACT_VERSION = 2;
const MODEL_LINE = /^@(\d{1,9}) ((?:"|\[).*)$/;
const TAKE_BACK_LINE = /^-(\d{1,16}) (\d{1,9})$/;

/** Longer model names are cut (a model id comes from a client's request body). */
const MAX_MODEL_LENGTH = 256;
/** Client names are short labels. */
const MAX_CLIENT_LENGTH = 64;
/** Separates model and client in an entry's key (neither can contain it: see cleanName). */
const SEP = '\u0000';

export interface CompactFile {
  v: number;
  foldedThrough: number;
  hours: Record<string, Record<string, number>>;
  clients?: Record<string, Record<string, number>>;
}

/** A model id as the ledger keeps it: as it came (models are counted exactly), cut to length, never the separator. */
export function cleanName(v: unknown, max = MAX_MODEL_LENGTH): string {
  const s = (typeof v === 'string' ? v : String(v)).replace(/\u0000/g, '');
  return s.length > max ? s.slice(0, max) : s;
}

/** A client name as the ledger keeps it: a printable label, cut to length. */
export function cleanClient(v: string): string {
  return cleanName(v.replace(/[\u0000-\u001f\u007f]/g, ''), MAX_CLIENT_LENGTH);
}

/** The key of an entry (a model, with the client that sent it when known; clients are printable labels). */
export function entryKey(model: string, client = ''): string {
  const m = cleanName(model);
  const c = cleanClient(client);
  return c ? `${m}${SEP}${c}` : m;
}

export function splitKey(key: string): { model: string; client: string } {
  const i = key.indexOf(SEP);
  return i < 0 ? { model: key, client: '' } : { model: key.slice(0, i), client: key.slice(i + 1) };
}

/** The dictionary line that defines `id` as `key`. */
export function dictionaryLine(id: number, key: string): string {
  const { model, client } = splitKey(key);
  return `@${id} ${JSON.stringify(client ? [model, client] : model)}\n`;
}

/** A dictionary line's id and entry key, or undefined when the line is not one. */
export function parseDictionaryLine(line: string): { id: number; key: string } | undefined {
  const m = MODEL_LINE.exec(line);
  if (!m) return undefined;
  let v: unknown;
  try {
    v = JSON.parse(m[2]);
  } catch {
    return undefined;
  }
  if (typeof v === 'string') return { id: Number(m[1]), key: entryKey(v) };
  if (Array.isArray(v) && typeof v[0] === 'string' && typeof v[1] === 'string')
    return { id: Number(m[1]), key: entryKey(v[0], v[1]) };
  return undefined;
}

/** A take-back line's time and id. */
export function parseTakeBackLine(line: string): { t: string; id: number } | undefined {
  const m = TAKE_BACK_LINE.exec(line);
  return m ? { t: m[1], id: Number(m[2]) } : undefined;
}

// parseRecordLine's results (no object per line: a log can hold a hundred thousand of them).
export const parsed = { t: 0, id: 0 };

/** Whether the bytes between start and end (the newline) are `<ms> <id>`; sets `parsed`. */
export function parseRecordLine(buf: Buffer, start: number, end: number): boolean {
  let i = start;
  let t = 0;
  while (i < end && i - start < 16 && buf[i] >= 0x30 && buf[i] <= 0x39) t = t * 10 + (buf[i++] - 0x30);
  if (i === start || i >= end || buf[i] !== 0x20) return false;
  const idStart = ++i;
  let id = 0;
  while (i < end && i - idStart < 9 && buf[i] >= 0x30 && buf[i] <= 0x39) id = id * 10 + (buf[i++] - 0x30);
  if (i === idStart || i !== end) return false;
  parsed.t = t;
  parsed.id = id;
  return true;
}

export function validateCompact(data: unknown, now: number): CompactFile {
  if (typeof data !== 'object' || data === null) throw new Error('not a JSON object');
  const d = data as Partial<CompactFile>;
  if (d.v !== 1 && d.v !== COMPACT_VERSION) throw new Error(`unknown version ${String(d.v)}`);
  const f = d.foldedThrough;
  if (typeof f !== 'number' || !Number.isSafeInteger(f) || f < 0 || f % DAY !== 0) throw new Error('bad foldedThrough');
  if (f > now + 2 * DAY) throw new Error(`foldedThrough ${new Date(f).toISOString()} is in the future`);
  checkHours(d.hours, f, 'hours');
  if (d.clients !== undefined) checkHours(d.clients, f, 'clients');
  return d as CompactFile;
}

function checkHours(hours: unknown, foldedThrough: number, what: string): void {
  if (typeof hours !== 'object' || hours === null || Array.isArray(hours)) throw new Error(`bad ${what}`);
  for (const [key, counts] of Object.entries(hours)) {
    const hour = Number(key);
    if (!Number.isSafeInteger(hour) || hour % HOUR !== 0 || hour >= foldedThrough)
      throw new Error(`bad hour ${key} in ${what}`);
    if (typeof counts !== 'object' || counts === null || Array.isArray(counts))
      throw new Error(`bad bucket for hour ${key} in ${what}`);
    for (const n of Object.values(counts))
      if (!Number.isSafeInteger(n) || (n as number) <= 0) throw new Error(`bad count in hour ${key} in ${what}`);
  }
}
