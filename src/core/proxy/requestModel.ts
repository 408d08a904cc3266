// Which model a request is for: `model` (or the first of `models`) of its JSON body, read without touching
// the bytes that are forwarded, whatever the Content-Type says (a text/plain or untyped body is read by
// OpenRouter all the same, so it must be counted: issue 12, finding 3), after a UTF-8 BOM if there is one.
// Small bodies are read with JSON.parse. Large ones are scanned as they arrive (ModelScanner), chunk by chunk
// and never joined (joining a 1 MB prompt cost more CPU than the rest of the request, bench/RESULTS.md), so
// the proxy can decide on the model before the rest of a long prompt has arrived.

/** Bodies up to this size are read with JSON.parse when whole; larger ones are scanned. */
export const PARSE_LIMIT = 64 * 1024;
/** A top-level key longer than this is not "model" or "models" (an escaped one is at most 6x as long). */
const MAX_KEY = 66;
/** The most of a "model"/"models" value kept to decode; a longer one is no model id (the body is refused). */
const MAX_VALUE = 64 * 1024;
const BOM = [0xef, 0xbb, 0xbf];

/** A request body: one buffer, or the chunks it came in. */
export type Body = Buffer | readonly Buffer[];

export function bodyLength(body: Body): number {
  if (Buffer.isBuffer(body)) return body.length;
  let n = 0;
  for (const c of body) n += c.length;
  return n;
}

/** `model` of a request body (or the first of `models`), as JSON.parse of the whole body would give it. */
export function modelOf(body: Body): string | undefined {
  const length = bodyLength(body);
  if (length === 0) return undefined;
  // JSON.parse of a 1 MB prompt costs ~10 ms of the proxy's only thread (decode + parse), and the answer
  // is one short top-level string: large bodies are scanned instead.
  if (length > PARSE_LIMIT) return scanModel(body);
  const whole = Buffer.isBuffer(body) ? body : body.length === 1 ? body[0] : Buffer.concat(body);
  try {
    return pick(parseBody(whole) as Fields);
  } catch {
    // Not JSON to JSON.parse; the scanner is more lenient (it does not check the insides of other values),
    // so a body that OpenRouter's parser might still accept is counted rather than let through.
    return scanModel(whole);
  }
}

/** JSON.parse of a whole body, after a UTF-8 BOM if there is one (OpenRouter reads such a body all the same). Throws. */
export function parseBody(whole: Buffer): unknown {
  const text = whole.toString('utf8');
  return JSON.parse(text.charCodeAt(0) === 0xfeff ? text.slice(1) : text);
}

/** scanModel() on a whole body: what a ModelScanner fed with all of it ends with. */
export function scanModel(body: Body): string | undefined {
  const s = new ModelScanner();
  for (const c of Buffer.isBuffer(body) ? [body] : body) s.push(c);
  return s.end();
}

interface Fields {
  model?: unknown;
  models?: unknown;
}

function pick(v: Fields | null | undefined): string | undefined {
  if (typeof v !== 'object' || v === null) return undefined;
  if (typeof v.model === 'string') return v.model;
  if (Array.isArray(v.models) && typeof v.models[0] === 'string') return v.models[0];
  return undefined;
}

// Where the scanner is in the top-level object.
const START = 0; // before `{` (a BOM and whitespace allowed)
const KEY_OR_CLOSE = 1; // after `{`
const KEY = 2; // after `,`
const KEY_STR = 3;
const COLON = 4;
const VALUE = 5; // before a member's value
const VALUE_STR = 6;
const VALUE_NEST = 7; // inside an object or array value
const VALUE_PRIM = 8; // number, true, false, null (not checked)
const AFTER_VALUE = 9;
const DONE = 10; // after the closing `}`: only whitespace may follow
const BROKEN = 11;

const isWs = (c: number) => c === 0x20 || c === 0x09 || c === 0x0a || c === 0x0d;

/**
 * Finds the model in a body pushed chunk by chunk, keeping no more of it than the "model"/"models" values.
 * It walks the top-level object's members only: strings are skipped with indexOf (a 1 MB prompt costs
 * microseconds), nested values by counting brackets; the insides of other values are not validated, so a
 * body that is balanced but otherwise malformed still yields its model (OpenRouter then answers 400).
 *
 * `first` is the first top-level "model" with a string value: what the proxy decides on before the body has
 * ended. end() gives what JSON.parse of the whole body would (the last "model", else the first of the last
 * "models"); a body whose end differs from its `first` names its model twice, and is not forwarded.
 */
export class ModelScanner {
  /** The first top-level "model" with a string value, once that value has arrived whole. */
  first: string | undefined;
  /** A "model"/"models" value too long to decode: the body cannot be counted (the caller refuses it). */
  unreadable = false;
  private phase = START;
  private bom = 0; // BOM bytes seen at the start; 3 once past it (or once anything else came)
  private depth = 0;
  private inString = false;
  /** Backslashes at the end of the last chunk, inside the current string (they may escape the next byte). */
  private slashes = 0;
  private key = '';
  private keep: Buffer[] | undefined; // the bytes of the current key or captured value
  private kept = 0;
  private model: unknown;
  private models: unknown;

  /** Nothing after this can give the body a model: it is not one JSON object (or broke off being one). */
  get broken(): boolean {
    return this.phase === BROKEN;
  }

  push(c: Buffer): void {
    const n = c.length;
    let i = 0;
    while (i < n) {
      switch (this.phase) {
        case START: {
          const x = c[i];
          if (this.bom < 3 && x === BOM[this.bom]) this.bom++;
          else if (this.bom > 0 && this.bom < 3) return this.break();
          else if (isWs(x)) this.bom = 3;
          else if (x === 0x7b) this.phase = KEY_OR_CLOSE;
          else return this.break();
          i++;
          break;
        }
        case KEY_OR_CLOSE:
        case KEY: {
          const x = c[i++];
          if (isWs(x)) break;
          if (x === 0x7d && this.phase === KEY_OR_CLOSE) this.phase = DONE;
          else if (x === 0x22) this.open(KEY_STR, [Buffer.from('"')]);
          else return this.break();
          break;
        }
        case KEY_STR:
        case VALUE_STR: {
          const e = this.stringEnd(c, i);
          this.save(c, i, e < 0 ? n : e);
          if (e < 0) return;
          i = e;
          if (this.phase === VALUE_STR) this.valueDone();
          else this.keyDone();
          if (this.broken) return;
          break;
        }
        case COLON: {
          const x = c[i++];
          if (x === 0x3a) this.phase = VALUE;
          else if (!isWs(x)) return this.break();
          break;
        }
        case VALUE: {
          const x = c[i];
          if (isWs(x)) {
            i++;
            break;
          }
          if (x === 0x2c || x === 0x7d || x === 0x5d || x === 0x3a) return this.break();
          const capture = this.key === 'model' || this.key === 'models' ? [] : undefined;
          if (x === 0x22) {
            this.open(VALUE_STR, capture && [Buffer.from('"')]);
            i++;
          } else if (x === 0x7b || x === 0x5b) {
            this.open(VALUE_NEST, capture && [Buffer.from([x])]);
            this.depth = 1;
            i++;
          } else this.open(VALUE_PRIM, capture);
          break;
        }
        case VALUE_NEST: {
          let j = i;
          while (j < n && this.depth > 0) {
            if (this.inString) {
              const e = this.stringEnd(c, j);
              if (e < 0) j = n;
              else {
                this.inString = false;
                j = e;
              }
              continue;
            }
            const x = c[j++];
            if (x === 0x22) {
              this.inString = true;
              this.slashes = 0;
            } else if (x === 0x7b || x === 0x5b) this.depth++;
            else if (x === 0x7d || x === 0x5d) this.depth--;
          }
          this.save(c, i, j);
          i = j;
          if (this.depth === 0) this.valueDone();
          if (this.broken) return;
          break;
        }
        case VALUE_PRIM: {
          let j = i;
          for (let x = c[j]; j < n && x !== 0x2c && x !== 0x7d && x !== 0x5d && !isWs(x); x = c[++j]);
          this.save(c, i, j);
          i = j;
          if (j < n) this.valueDone();
          if (this.broken) return;
          break;
        }
        case AFTER_VALUE: {
          const x = c[i++];
          if (x === 0x2c) this.phase = KEY;
          else if (x === 0x7d) this.phase = DONE;
          else if (!isWs(x)) return this.break();
          break;
        }
        case DONE:
          if (!isWs(c[i++])) return this.break();
          break;
        default:
          return; // BROKEN: nothing more to learn
      }
    }
  }

  /** The body has ended: its model as JSON.parse of the whole body would give it, if it was one object. */
  end(): string | undefined {
    if (this.phase !== DONE || this.unreadable) return undefined;
    return pick({ model: this.model, models: this.models });
  }

  private break(): void {
    this.phase = BROKEN;
    this.keep = undefined;
  }

  private open(phase: number, keep: Buffer[] | undefined): void {
    this.phase = phase;
    this.keep = keep;
    this.kept = 0;
    this.slashes = 0;
    this.inString = false;
  }

  /** Keeps bytes [s, e) of the key or captured value (copied: the chunk may be a decoder's, reused). */
  private save(c: Buffer, s: number, e: number): void {
    if (!this.keep || e <= s) return;
    const limit = this.phase === KEY_STR ? MAX_KEY : MAX_VALUE;
    this.kept += e - s;
    if (this.kept > limit) {
      if (this.phase !== KEY_STR) this.unreadable = true;
      this.keep = undefined;
      return;
    }
    this.keep.push(Buffer.from(c.subarray(s, e)));
  }

  private keyDone(): void {
    const kept = this.keep;
    this.keep = undefined;
    this.phase = COLON;
    try {
      // Escapes decoded as JSON.parse would: "mod\u0065l" is "model".
      this.key = kept ? (JSON.parse(Buffer.concat(kept).toString('utf8')) as string) : '';
    } catch {
      this.break();
    }
  }

  private valueDone(): void {
    const kept = this.keep;
    this.keep = undefined;
    this.phase = AFTER_VALUE;
    if (!kept) return;
    try {
      const v: unknown = JSON.parse(Buffer.concat(kept).toString('utf8'));
      if (this.key === 'models') this.models = v;
      else {
        this.model = v;
        if (typeof v === 'string' && this.first === undefined) this.first = v;
      }
    } catch {
      // JSON.parse of the whole body would throw on this value too
      this.break();
    }
  }

  /**
   * Index just past the quote that closes the current string, searching c from i (where this chunk's part of
   * the string starts), or -1 when it goes on past the chunk. A quote closes it when an even number of
   * backslashes precede it, counting those carried over from the previous chunk.
   */
  private stringEnd(c: Buffer, i: number): number {
    for (let j = c.indexOf(0x22, i); j >= 0; j = c.indexOf(0x22, j + 1)) {
      let k = j - 1;
      while (k >= i && c[k] === 0x5c) k--;
      const run = j - 1 - k + (k < i ? this.slashes : 0);
      if (run % 2 === 0) {
        this.slashes = 0;
        return j + 1;
      }
    }
    let k = c.length - 1;
    while (k >= i && c[k] === 0x5c) k--;
    this.slashes = c.length - 1 - k + (k < i ? this.slashes : 0);
    return -1;
  }
}
