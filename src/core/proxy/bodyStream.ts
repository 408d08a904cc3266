// A request body on its way through the proxy: read only until its model is known (a short JSON body whole,
// a long prompt until its "model" member; decoded on the side when it has a Content-Encoding), then, once
// admission has decided, streamed to OpenRouter as the client sends it, with backpressure both ways. Every
// byte held counts against the shared BodyBudget and is given back as it leaves or when the request ends,
// whichever way it ends. Before, each body was read whole first: 80 of 15 MiB took 1.2 GiB (issue 12, 4).
//
// The body's last chunk is held back until the whole body has been scanned: a body that named one model
// first and another later (JSON.parse keeps the last) is cut off before OpenRouter has all of it, so it is
// never acted on under a model other than the one counted.
import type * as http from 'node:http';
import type { BodyBudget } from './bodyBudget';
import { BodyDecoder, codingsOf } from './bodyDecode';
import { HttpError } from './httpUtil';
import { ModelScanner, modelOf, PARSE_LIMIT } from './requestModel';
import { ClientGone } from './relay';

/** Once forwarding, reading stops while this much is waiting to go upstream (it is slower than the client). */
const FORWARD_WINDOW = 256 * 1024;

export interface BodyStreamOptions {
  maxBytes: number;
  budget: BodyBudget;
  /** Find the model (POST); other requests only pass their body on. */
  scan: boolean;
}

/** Why a body will not be forwarded: an answer for the client, or 'aborted' when it left. */
export type BodyFailure = HttpError | 'aborted';

/** What the relay sees when the body fails under it (the caller reads `failure` for the answer). */
export class BodyFailed extends Error {}

export class RequestBodyStream {
  /** The model to admit the request under, once known (undefined: it names none). */
  decided: { model: string | undefined } | undefined;
  failure: BodyFailure | undefined;
  /** The last byte was handed to the upstream: OpenRouter may have the whole request (it counts then). */
  sentAll = false;
  /** Called once when the body fails (to stop an admission wait or the relay). */
  onFailure?: () => void;
  private received = 0;
  private readonly held: Buffer[] = [];
  /** Budget taken for held bytes (including one just handed to the upstream) and for bytes about to be read. */
  private heldBytes = 0;
  private credit = 0;
  private ended = false;
  /** The scan is over (the body and its decoding ended): `model` is what JSON.parse of it all would give. */
  private scanned = false;
  private mode: 'decide' | 'ahead' | 'collect' | 'forward' = 'decide';
  /** In 'collect': stop reading past this many bytes (the body is too long to keep whole). */
  private collectCap = 0;
  private scanner?: ModelScanner;
  private decoder?: BodyDecoder;
  private decoderFull = false;
  private waitingBudget = false;
  private closed = false;
  /** Ends a wait for budget when the request is done; made only when a request has to wait. */
  private stopWait?: ClientGone;
  private wake?: () => void;

  constructor(
    private readonly req: http.IncomingMessage,
    private readonly o: BodyStreamOptions,
  ) {
    o.budget.openReader();
    // Refused on the declared length alone, before a byte is read; a body that lied is caught as it grows.
    // No Content-Length and no Transfer-Encoding: no body (RFC 9112 §6.3); chunked: a length not known yet.
    const declared =
      req.headers['content-length'] !== undefined
        ? Number(req.headers['content-length'])
        : req.headers['transfer-encoding'] === undefined
          ? 0
          : NaN;
    if (declared > o.maxBytes) {
      this.fail(new HttpError(413, `Request body larger than ${o.maxBytes} bytes.`));
      return;
    }
    const codings = o.scan ? codingsOf(req.headers['content-encoding']) : { decode: [] };
    if ('unsupported' in codings) {
      this.fail(
        new HttpError(
          415,
          `Content-Encoding "${codings.unsupported}" cannot be read by the local proxy, which reads a request's model to count it: send the body uncompressed, or with gzip, deflate or br.`,
        ),
      );
      return;
    }
    if (codings.decode.length > 0) {
      const scanner = (this.scanner = new ModelScanner());
      this.decoder = new BodyDecoder(codings.decode, o.maxBytes, {
        data: (c) => {
          scanner.push(c);
          this.check();
        },
        end: () => this.scanEnded(scanner.end()),
        error: (kind) =>
          this.fail(
            kind === 'too-large'
              ? new HttpError(413, `Request body larger than ${o.maxBytes} bytes once decoded.`)
              : new HttpError(
                  400,
                  `The request body is not valid ${codings.decode.join(' + ')}: the local proxy could not read its model.`,
                ),
          ),
        drain: () => {
          this.decoderFull = false;
          this.pull();
        },
      });
    }
    // A short body of known length (most requests) takes its budget at once and is read as it comes ('data'
    // events, no extra ticks: the hot path); any other is pulled only as far as the budget has room for.
    if (declared <= PARSE_LIMIT && o.budget.tryTake(declared)) {
      this.credit = declared;
      req.on('data', this.onData);
    } else req.on('readable', this.pull);
    req.on('end', this.onEnd);
    req.on('error', this.onAbort);
    req.on('close', this.onAbort);
  }

  /** Reads until the model is known; then the body reads ahead (only into free budget) while admission runs. */
  async decide(): Promise<{ model: string | undefined } | BodyFailure> {
    while (!this.decided && !this.failure) await new Promise<void>((r) => (this.wake = r));
    return this.failure ?? this.decided!;
  }

  /**
   * The whole body as one buffer, read to its end (waiting for budget like a forwarded body) when it is at
   * most `cap` bytes; undefined when it is longer, encoded (it would have to be re-encoded to change), or
   * failed. For a request that may have to be sent again, or to another model (the fallbacks).
   */
  async whole(cap: number): Promise<Buffer | undefined> {
    if (this.decoder || this.failure || this.closed || !this.decided) return undefined;
    if (!(this.ended && this.scanned)) {
      if (Number(this.req.headers['content-length']) > cap || this.received > cap) return undefined;
      this.mode = 'collect';
      this.collectCap = cap;
      this.pull();
      while (!(this.ended && this.scanned) && !this.failure && !this.closed && this.received <= cap)
        await new Promise<void>((r) => (this.wake = r));
      this.mode = 'ahead';
    }
    if (this.failure || this.closed || !this.ended || this.received > cap) return undefined;
    return this.held.length === 1 ? this.held[0] : Buffer.concat(this.held);
  }

  /** The length to tell the upstream: the client's (the bytes pass unchanged), else all of it if it has ended, else none (chunked). */
  get upstreamLength(): number {
    if (this.ended) return this.received;
    const declared = Number(this.req.headers['content-length']);
    return Number.isFinite(declared) && declared > 0 ? declared : 0;
  }

  /** The body for undici: the chunks as they are when all of it is here and scanned, else a stream of them. */
  upstream(): readonly Buffer[] | AsyncIterable<Buffer> {
    this.mode = 'forward';
    if (this.ended && this.scanned && !this.failure) {
      this.sentAll = true;
      return [...this.held];
    }
    this.pull();
    return this.stream();
  }

  /** Gives back every byte this request holds and stops reading; the rest of an unread body is drained. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.stopWait?.fire();
    this.drop();
    this.o.budget.closeReader();
    this.change();
  }

  private async *stream(): AsyncGenerator<Buffer> {
    for (;;) {
      if (this.failure || this.closed) throw new BodyFailed('the request body did not arrive in full');
      const last = this.ended && this.held.length === 1;
      if (this.held.length > 1 || (last && this.scanned)) {
        const c = this.held.shift()!;
        if (last) this.sentAll = true;
        yield c;
        // undici asks for the next chunk once this one is written to its socket: it is no longer ours (unless
        // the body failed or closed meanwhile: then every byte was given back already).
        if (this.failure || this.closed) throw new BodyFailed('the request body did not arrive in full');
        this.heldBytes -= c.length;
        this.o.budget.release(c.length);
        this.pull();
        continue;
      }
      if (this.ended && this.scanned && this.held.length === 0) return;
      await new Promise<void>((r) => (this.wake = r));
    }
  }

  private readonly pull = (): void => {
    while (!this.closed && !this.failure && !this.waitingBudget && !this.decoderFull) {
      if (this.mode === 'forward' && this.heldBytes >= FORWARD_WINDOW) return;
      if (this.mode === 'collect' && this.received > this.collectCap) return this.change();
      const n = this.req.readableLength;
      // read() at 0 lets the stream end ('end' comes only from a read) or ask the socket for more.
      if (n === 0) return void this.req.read();
      if (this.credit < n && !this.takeCredit(n - this.credit)) return;
      const c = this.req.read() as Buffer | null;
      if (c === null) return;
      this.credit -= c.length;
      if (this.credit < 0) {
        // read() gave more than readableLength said (a push during the read): hold it all the same.
        this.o.budget.takeNow(-this.credit);
        this.credit = 0;
      }
      this.heldBytes += c.length;
      this.onChunk(c);
    }
  };

  /** A short body of known length: its budget was taken whole, and Node's parser holds it to that length. */
  private readonly onData = (c: Buffer): void => {
    if (this.closed || this.failure) return;
    this.credit -= c.length;
    this.heldBytes += c.length;
    this.onChunk(c);
  };

  /**
   * Room for `need` more bytes: now, or after a brief wait; false to stop reading for now. Only a request that
   * holds nothing yet, or one being forwarded (its bytes drain to the upstream meanwhile), waits: one still
   * looking for its model with a prefix in hand is refused at once, as requests that all held part of the
   * budget while waiting for more would only wait each other out (80 bodies of 15 MiB with the model last:
   * 93 s to time out). Budget is taken only for bytes that have arrived, never for a declared length, so a
   * client that declares a large body and sends nothing holds nothing.
   */
  private takeCredit(need: number): boolean {
    if (this.o.budget.tryTake(need)) {
      this.credit += need;
      return true;
    }
    // While admission runs the body only reads into free room: it goes on once the request is forwarded.
    if (this.mode === 'ahead') return false;
    if (this.mode === 'decide' && this.heldBytes > 0) {
      this.busy();
      return false;
    }
    this.waitingBudget = true;
    this.stopWait ??= new ClientGone();
    void this.o.budget.take(need, this.stopWait).then((granted) => {
      this.waitingBudget = false;
      if (this.closed || this.failure) return granted ? this.o.budget.release(need) : undefined;
      if (!granted) return this.busy();
      this.credit += need;
      this.pull();
    });
    return false;
  }

  private busy(): void {
    const mib = Math.round(this.o.budget.capacity / (1024 * 1024));
    this.fail(
      new HttpError(
        503,
        `The local proxy holds as many request bodies in memory as it may (${mib} MiB): try again shortly.`,
        { 'Retry-After': String(this.o.budget.retryAfterSeconds) },
      ),
    );
  }

  private onChunk(c: Buffer): void {
    this.received += c.length;
    if (this.received > this.o.maxBytes)
      return this.fail(new HttpError(413, `Request body larger than ${this.o.maxBytes} bytes.`));
    this.held.push(c);
    if (this.decoder) {
      if (!this.decoder.write(c)) this.decoderFull = true;
    } else if (this.scanner) this.scanner.push(c);
    else if (this.o.scan && this.received > PARSE_LIMIT) {
      // Too long to parse whole: scan what came so far (nothing has been forwarded yet), then each chunk.
      this.scanner = new ModelScanner();
      for (const h of this.held) this.scanner.push(h);
    }
    this.check();
    this.change();
  }

  private readonly onEnd = (): void => {
    this.ended = true;
    this.o.budget.release(this.credit);
    this.credit = 0;
    if (this.decoder && this.received > 0) this.decoder.end();
    else this.scanEnded(!this.o.scan ? undefined : this.scanner ? this.scanner.end() : modelOf(this.held));
  };

  private readonly onAbort = (): void => {
    if (!this.ended) this.fail('aborted');
  };

  /** Deciding: is the model known yet? Short bodies are read whole (JSON.parse); long ones decide on their first "model". */
  private check(): void {
    if (this.scanner?.unreadable)
      return this.fail(
        new HttpError(
          400,
          'The request body\'s "model" is too long to be a model id: the local proxy does not forward it.',
        ),
      );
    if (this.decided) return;
    const s = this.scanner;
    if (!this.o.scan && this.received > PARSE_LIMIT) this.conclude(undefined);
    else if (s && this.received > PARSE_LIMIT && (s.broken || s.first !== undefined))
      this.conclude(s.broken ? undefined : s.first);
  }

  private scanEnded(model: string | undefined): void {
    this.scanned = true;
    if (this.scanner?.unreadable) return this.check();
    if (!this.decided) return this.conclude(model);
    const first = this.decided.model;
    if (model !== first) {
      const why =
        model === undefined
          ? `broke off being one JSON object after naming its model "${first}"`
          : `names its model more than once ("${first}", then "${model}")`;
      return this.fail(
        new HttpError(
          400,
          `The request body ${why}: the local proxy counts free-model requests by their model and does not forward it.`,
        ),
      );
    }
    this.change();
  }

  private conclude(model: string | undefined): void {
    this.decided = { model };
    this.mode = 'ahead';
    this.change();
  }

  private fail(f: BodyFailure): void {
    if (this.failure || this.closed) return;
    this.failure = f;
    this.drop();
    this.onFailure?.();
    this.change();
  }

  /** Stop reading (what the client still sends is drained, not kept) and give back every byte held. */
  private drop(): void {
    this.decoder?.destroy();
    this.req.off('readable', this.pull);
    this.req.off('data', this.onData);
    if (!this.ended && !this.req.destroyed) this.req.resume();
    this.o.budget.release(this.heldBytes + this.credit);
    this.heldBytes = 0;
    this.credit = 0;
    this.held.length = 0;
  }

  private change(): void {
    const w = this.wake;
    this.wake = undefined;
    w?.();
  }
}
