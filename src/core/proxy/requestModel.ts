// Which model a request is for: `model` (or the first of `models`) of its JSON body, read without touching
// the bytes that are forwarded. The body arrives as the chunks the socket gave; a large one is scanned in
// place rather than joined (joining a 1 MB prompt cost more CPU than the rest of the request, bench/RESULTS.md).

/** Bodies up to this size are read with JSON.parse; larger ones (long prompts) with scanModel(). */
const PARSE_LIMIT = 64 * 1024;

/** A request body: one buffer, or the chunks it came in. */
export type Body = Buffer | readonly Buffer[];

export function bodyLength(body: Body): number {
  if (Buffer.isBuffer(body)) return body.length;
  let n = 0;
  for (const c of body) n += c.length;
  return n;
}

/** `model` of a JSON request body (or the first of `models`), read without touching the bytes. */
export function modelOf(body: Body, contentType: string | undefined): string | undefined {
  const length = bodyLength(body);
  if (length === 0 || (contentType && !/json/i.test(contentType))) return undefined;
  // JSON.parse of a 1 MB prompt costs ~10 ms of the proxy's only thread (decode + parse), and the answer
  // is one short top-level string: large bodies are scanned instead.
  if (length > PARSE_LIMIT) return scanModel(body);
  try {
    const whole = Buffer.isBuffer(body) ? body : Buffer.concat(body);
    const v = JSON.parse(whole.toString('utf8')) as { model?: unknown; models?: unknown };
    if (typeof v.model === 'string') return v.model;
    if (Array.isArray(v.models) && typeof v.models[0] === 'string') return v.models[0];
  } catch {
    // not JSON: forwarded as is; OpenRouter will say what is wrong with it
  }
  return undefined;
}

/** Read access to the body's bytes wherever they lie; out of range reads give undefined, like a Buffer's. */
interface Bytes {
  readonly length: number;
  at(i: number): number | undefined;
  indexOf(byte: number, from: number): number;
  text(start: number, end: number): string;
}

function bufferBytes(b: Buffer): Bytes {
  return { length: b.length, at: (i) => b[i], indexOf: (x, from) => b.indexOf(x, from), text: (s, e) => b.toString('utf8', s, e) };
}

/** The chunks as one sequence of bytes, without copying them. Reads are mostly forward: the last chunk is remembered. */
class ChunkBytes implements Bytes {
  readonly length: number;
  private readonly starts: number[] = [];
  private last = 0;

  constructor(private readonly chunks: readonly Buffer[]) {
    let n = 0;
    for (const c of chunks) {
      this.starts.push(n);
      n += c.length;
    }
    this.length = n;
  }

  /** Index of the chunk holding byte i (0 <= i < length). */
  private chunkOf(i: number): number {
    const k = this.last;
    if (i >= this.starts[k] && i < this.starts[k] + this.chunks[k].length) return k;
    let lo = 0;
    let hi = this.chunks.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (this.starts[mid] <= i) lo = mid;
      else hi = mid - 1;
    }
    // Empty chunks share a start with the next one: move to the one that holds bytes.
    while (lo < this.chunks.length - 1 && i >= this.starts[lo] + this.chunks[lo].length) lo++;
    return (this.last = lo);
  }

  at(i: number): number | undefined {
    if (!(i >= 0 && i < this.length)) return undefined;
    const k = this.chunkOf(i);
    return this.chunks[k][i - this.starts[k]];
  }

  indexOf(byte: number, from: number): number {
    if (from >= this.length) return -1;
    for (let k = this.chunkOf(Math.max(0, from)); k < this.chunks.length; k++) {
      const j = this.chunks[k].indexOf(byte, Math.max(0, from - this.starts[k]));
      if (j >= 0) return this.starts[k] + j;
    }
    return -1;
  }

  text(start: number, end: number): string {
    const parts: Buffer[] = [];
    for (let k = this.chunkOf(start); k < this.chunks.length && this.starts[k] < end; k++) {
      const c = this.chunks[k];
      parts.push(c.subarray(Math.max(0, start - this.starts[k]), Math.min(c.length, end - this.starts[k])));
    }
    return Buffer.concat(parts).toString('utf8');
  }
}

const isWs = (c: number | undefined) => c === 0x20 || c === 0x09 || c === 0x0a || c === 0x0d;
const skipWs = (b: Bytes, i: number): number => {
  while (i < b.length && isWs(b.at(i))) i++;
  return i;
};
/** Index of the quote that closes the string opening at i (found with indexOf), or -1. */
function stringEnd(b: Bytes, i: number): number {
  for (let j = b.indexOf(0x22, i + 1); j >= 0; j = b.indexOf(0x22, j + 1)) {
    let k = j - 1;
    while (b.at(k) === 0x5c) k--;
    if ((j - 1 - k) % 2 === 0) return j;
  }
  return -1;
}
/** End (exclusive) of the JSON value starting at i, skipping strings with indexOf; -1 if unbalanced. */
function valueEnd(b: Bytes, i: number): number {
  const c = b.at(i);
  if (c === 0x22) return stringEnd(b, i) + 1 || -1;
  if (c !== 0x7b && c !== 0x5b) {
    for (let x = b.at(i); i < b.length && x !== 0x2c && x !== 0x7d && x !== 0x5d && !isWs(x); x = b.at(++i));
    return i;
  }
  let depth = 0;
  for (let j = i; j < b.length; j++) {
    const x = b.at(j);
    if (x === 0x22) {
      j = stringEnd(b, j);
      if (j < 0) return -1;
    } else if (x === 0x7b || x === 0x5b) depth++;
    else if ((x === 0x7d || x === 0x5d) && --depth === 0) return j + 1;
  }
  return -1;
}

/**
 * modelOf() for large bodies: walks the top-level object's members only (strings skipped with indexOf, so a
 * 1 MB prompt costs microseconds), decodes just the "model"/"models" values with JSON.parse, and takes the
 * last occurrence of a key as JSON.parse does. It does not validate the insides of other values: a large
 * body that is balanced but otherwise malformed JSON still yields its model (OpenRouter then answers 400).
 */
export function scanModel(body: Body): string | undefined {
  const b = Buffer.isBuffer(body) ? bufferBytes(body) : body.length === 1 ? bufferBytes(body[0]) : new ChunkBytes(body);
  try {
    let i = skipWs(b, 0);
    if (b.at(i) !== 0x7b) return undefined;
    let model: unknown;
    let models: unknown;
    i = skipWs(b, i + 1);
    if (b.at(i) !== 0x7d) {
      for (;;) {
        if (b.at(i) !== 0x22) return undefined;
        const kEnd = stringEnd(b, i);
        if (kEnd < 0) return undefined;
        const key = kEnd - i <= 64 ? (JSON.parse(b.text(i, kEnd + 1)) as string) : '';
        i = skipWs(b, kEnd + 1);
        if (b.at(i) !== 0x3a) return undefined;
        const start = skipWs(b, i + 1);
        const end = valueEnd(b, start);
        if (end < 0 || end === start) return undefined;
        if (key === 'model') model = JSON.parse(b.text(start, end));
        else if (key === 'models') models = JSON.parse(b.text(start, end));
        i = skipWs(b, end);
        if (b.at(i) === 0x7d) break;
        if (b.at(i) !== 0x2c) return undefined;
        i = skipWs(b, i + 1);
      }
    }
    if (skipWs(b, i + 1) !== b.length) return undefined;
    if (typeof model === 'string') return model;
    if (Array.isArray(models) && typeof models[0] === 'string') return models[0];
  } catch {
    // a key or the model value is not valid JSON: as JSON.parse of the whole body would, give up
  }
  return undefined;
}
