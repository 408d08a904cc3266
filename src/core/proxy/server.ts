// The local metering proxy: an OpenAI-compatible endpoint on 127.0.0.1 that tools (Cline, Continue, aider,
// curl, scripts) point at instead of OpenRouter. It counts every attempt to a free model exactly (ledger),
// holds or refuses requests that would break the minute window (pacer), answers a spent daily quota itself,
// learns limits from OpenRouter's own 429s, and otherwise passes requests and responses through untouched:
// response bytes stream as they arrive (SSE events one by one, compressed bodies as they came).
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Dispatcher } from 'undici';
import type { AccountModel } from '../account/model';
import { toWire, type QuotaWire, type RateLimitEvent } from '../account/view';
import type { Clock } from '../clock';
import { errorText, type Logger, nullLogger, redact } from '../logger';
import type { ModelCatalog } from '../modelCatalog';
import { classifyRateLimit, findErrorEnvelope, type HeaderBag, type RateLimitInfo } from '../rateLimit';
import { createDispatcher, type ProxySettings } from '../openRouterClient';
import { DAY, formatDuration } from '../../shared/time';
import { ClientNames } from './clientName';
import { bearer, fromBrowser, hostAllowed, tokenMatches } from './guard';
import type { Ledger, Recorded } from './ledger';
import { MinutePacer, type PacingMode } from './pacer';
import { ClientGone, forwardHeaders, relay } from './relay';
import { modelOf } from './requestModel';
import { jsonBodyTap, ResponseTap, sseErrorTap } from './sseTap';

export const DEFAULT_PROXY_PORT = 18_789;
const DEFAULT_MAX_BODY_BYTES = 20 * 1024 * 1024;
const API_PREFIX = '/api/v1';
/** Marks our answers so another window (or the CLI) can tell our proxy from some other program on the port. */
export const PROXY_ID_HEADER = 'x-openrouter-quota-proxy';
/** A reader sends its account fingerprint here; /quota answers counts only to the same account (or the token). */
export const ACCOUNT_HEADER = 'x-openrouter-quota-account';

/** GET /quota/history: the dashboard's charts and recent 429s. */
export interface ProxyHistory {
  hourly: Array<{ start: number; count: number }>;
  daily: Array<{ start: number; count: number }>;
  models: Record<string, number>;
  /** Today's per-client counts (who sent the requests; see clientName.ts). */
  clients: Record<string, number>;
  /** Recent 429s, newest first (timestamps in ms). */
  events: RateLimitEvent[];
}

/** Connection errors after which the request certainly never reached OpenRouter (so it cannot have counted it). */
const NEVER_SENT = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'EHOSTUNREACH', 'ENETUNREACH', 'EADDRNOTAVAIL', 'UND_ERR_CONNECT_TIMEOUT', 'ERR_TLS_CERT_ALTNAME_INVALID', 'CERT_HAS_EXPIRED', 'UNABLE_TO_VERIFY_LEAF_SIGNATURE', 'DEPTH_ZERO_SELF_SIGNED_CERT', 'SELF_SIGNED_CERT_IN_CHAIN', 'UNABLE_TO_GET_ISSUER_CERT_LOCALLY', 'EPROTO']);

export function neverReachedUpstream(e: unknown): boolean {
  for (let c = e as { code?: unknown; cause?: unknown } | undefined, i = 0; c && i < 4; c = c.cause as typeof c, i++) {
    if (typeof c.code === 'string' && NEVER_SENT.has(c.code)) return true;
  }
  return false;
}

export interface ProxyOptions {
  port: number;
  /** OpenRouter's API base, e.g. https://openrouter.ai/api/v1. */
  upstream: () => string;
  /** The real key of the account metered, swapped in for the local token. */
  apiKey: string;
  /** accountFingerprint() of that key: who this proxy meters (readers of /quota must show the same one). */
  fingerprint: string;
  /** The local token clients must send. */
  token: () => string | undefined;
  ledger: Ledger;
  /** The account model: the ledger is its meter; 429s teach it; /quota is its view. */
  account: AccountModel;
  catalog: ModelCatalog;
  pacing: () => PacingMode;
  maxWaitSeconds: () => number;
  maxQueue?: number;
  maxBodyBytes?: number;
  /** A client must finish sending its request (headers and body) within this many ms (default 120 000). */
  requestTimeoutMs?: number;
  clock: Clock;
  log?: Logger;
  /** How to reach the upstream; by default from `upstreamProxy` (and HTTPS_PROXY/NO_PROXY). */
  dispatcher?: Dispatcher;
  /** An explicit HTTP proxy for the upstream (VS Code's http.proxy); see setUpstreamProxy(). */
  upstreamProxy?: ProxySettings;
  /** After each forwarded request (for a debounced GET /key refresh). */
  onRequestFinished?: (r: { model?: string; free: boolean; status: number }) => void;
  /** Whenever the counts, the queue or the learned limits change. */
  onChange?: () => void;
}

export class PortInUseError extends Error {
  readonly code = 'EADDRINUSE';
  constructor(readonly port: number) {
    super(`port ${port} on 127.0.0.1 is already in use`);
  }
}

/**
 * Client headers not passed upstream: the credentials are swapped, the length is set from the body read, and
 * `Expect: 100-continue` (curl sends it for large bodies) was answered here, the body being read already
 * (undici refuses to send it).
 */
const DROP_REQUEST_HEADERS = new Set(['authorization', 'x-api-key', 'content-length', 'expect']);

/**
 * A path with a `.` or `..` segment (also percent-encoded, or with backslashes, which URL parsing treats as
 * slashes) would be normalised by the upstream URL to somewhere outside /api/v1, with the key attached.
 */
function escapesPrefix(path: string): boolean {
  const pathname = path.split(/[?#]/)[0];
  return pathname.split(/[/\\]/).some((seg) => {
    let d = seg;
    try {
      d = decodeURIComponent(seg);
    } catch {
      // malformed escapes: judged as written
    }
    return d === '.' || d === '..' || /[/\\]/.test(d) || /^\.\.?$/.test(seg.replace(/%2e/gi, '.'));
  });
}

class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly headers: Record<string, string> = {},
    readonly metadata?: Record<string, unknown>,
  ) {
    super(message);
  }
}

export class MeteringProxy {
  readonly pacer: MinutePacer;
  private readonly server: http.Server;
  private readonly clock: Clock;
  private readonly log: Logger;
  private dispatcher: Dispatcher;
  private readonly maxBody: number;
  private boundPort = 0;
  private base?: { raw: string; origin: string; basePath: string };
  /** Sockets with a response under way: a parse error on them must not write into that response. */
  private readonly answering = new WeakSet<object>();
  private readonly clients = new ClientNames();

  constructor(private readonly opts: ProxyOptions) {
    this.clock = opts.clock;
    this.log = opts.log ?? nullLogger;
    this.maxBody = opts.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES;
    this.dispatcher = opts.dispatcher ?? createDispatcher(opts.upstreamProxy);
    this.pacer = new MinutePacer({
      clock: this.clock,
      mode: opts.pacing,
      limit: () => opts.account.minuteLimit(),
      used: (w) => opts.ledger.minuteCount(w),
      admit: () => undefined, // recorded by handle() with the model, synchronously after admission
      maxQueue: opts.maxQueue ?? 256,
      maxWaitMs: () => Math.max(0, opts.maxWaitSeconds()) * 1000,
    });
    // Slow or idle clients: Node answers 408 and closes when the request is not complete in time.
    const requestTimeout = opts.requestTimeoutMs ?? 120_000;
    this.server = http.createServer(
      {
        requestTimeout,
        headersTimeout: Math.min(30_000, requestTimeout),
        keepAliveTimeout: 5_000,
        connectionsCheckingInterval: Math.min(30_000, Math.max(50, requestTimeout / 4)),
      },
      (req, res) => {
      const socket = req.socket;
      this.answering.add(socket);
      res.on('close', () => this.answering.delete(socket));
      this.handle(req, res).catch((e: unknown) => {
        this.log.error(`proxy: ${errorText(e)}`);
        if (!res.headersSent) this.sendError(res, new HttpError(500, 'internal error in the local proxy'));
        else res.destroy();
      });
      },
    );
    // Malformed HTTP, headers over Node's 16 KB, a client too slow: answer like Node's own default (which a
    // clientError listener replaces) when no response is under way on the socket, then drop the connection.
    this.server.on('clientError', (e: NodeJS.ErrnoException, socket) => {
      const status = e.code === 'HPE_HEADER_OVERFLOW' ? '431 Request Header Fields Too Large' : e.code === 'ERR_HTTP_REQUEST_TIMEOUT' ? '408 Request Timeout' : '400 Bad Request';
      if (socket.writable && !this.answering.has(socket) && e.code !== 'ECONNRESET') socket.write(`HTTP/1.1 ${status}\r\nConnection: close\r\n\r\n`);
      socket.destroy();
    });
  }

  /** Bind to 127.0.0.1:port. Rejects with PortInUseError when the port is taken. */
  listen(): Promise<number> {
    return new Promise((resolve, reject) => {
      const onError = (e: NodeJS.ErrnoException) => reject(e.code === 'EADDRINUSE' ? new PortInUseError(this.opts.port) : e);
      this.server.once('error', onError);
      this.server.listen(this.opts.port, '127.0.0.1', () => {
        this.server.off('error', onError);
        this.boundPort = (this.server.address() as AddressInfo).port;
        resolve(this.boundPort);
      });
    });
  }

  get port(): number {
    return this.boundPort;
  }

  /**
   * Use another HTTP proxy to reach the upstream (http.proxy changed): new requests go through it at once,
   * requests under way finish on the old connections. Ignored when a dispatcher was given.
   */
  setUpstreamProxy(settings: ProxySettings): void {
    if (this.opts.dispatcher) return;
    const old = this.dispatcher;
    this.dispatcher = createDispatcher(settings);
    void old.close().catch(() => undefined);
  }

  /** GET /quota: the account model's view, in its wire form. */
  status(): QuotaWire {
    return toWire(this.opts.account.view(this.clock.now()));
  }

  /** GET /quota/history: hourly (24 h) and daily (30 days) totals, today's models, recent 429s. */
  history(): ProxyHistory {
    const now = this.clock.now();
    const l = this.opts.ledger;
    return {
      hourly: l.hourly(now, 24).map((h) => ({ start: h.hourStart, count: h.count })),
      daily: l.daily(now, 30).map((d) => ({ start: d.dayStart, count: d.count })),
      models: l.dayModels(Math.floor(now / DAY) * DAY),
      clients: l.dayClients(Math.floor(now / DAY) * DAY),
      events: [...this.opts.account.events],
    };
  }

  /**
   * Stop: refuse waiters, stop listening, drop connections, and close the ledger in the same turn, before
   * the port is free, so a window taking over never has the ledger open while this one still writes it.
   */
  async close(): Promise<void> {
    this.pacer.dispose();
    const closed = new Promise<void>((resolve) => this.server.close(() => resolve()));
    this.server.closeAllConnections();
    this.opts.ledger.close();
    await closed;
    if (!this.opts.dispatcher) await this.dispatcher.close().catch(() => undefined);
  }

  private async handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    res.setHeader(PROXY_ID_HEADER, '1');
    if (!hostAllowed(req.headers.host, this.boundPort)) return this.sendError(res, new HttpError(403, 'Host not allowed: the local proxy answers only 127.0.0.1, localhost or [::1] with its own port.'));
    if (fromBrowser(req.headers)) return this.sendError(res, new HttpError(403, 'Requests from web pages are refused: the local proxy holds your OpenRouter key.'));
    const path = req.url ?? '/';
    if (req.method === 'GET' && (path === '/quota' || path === `${API_PREFIX}/quota` || path === '/quota/history')) {
      const denied = this.controlDenied(req);
      if (denied) return this.sendError(res, denied);
      return this.sendJson(res, 200, path === '/quota/history' ? this.history() : this.status());
    }
    if ((path !== API_PREFIX && !path.startsWith(`${API_PREFIX}/`)) || escapesPrefix(path)) return this.sendError(res, new HttpError(404, `Not found: the proxy serves ${API_PREFIX}/*, /quota and /quota/history.`));

    const given = bearer(req.headers);
    let authorization: string;
    /** Whether this request is on the metered account (a client's own key of another account is not). */
    let ours = true;
    if (given?.startsWith('sk-or-')) {
      authorization = `Bearer ${given}`; // the client's own OpenRouter key passes through unchanged
      ours = given === this.opts.apiKey;
    } else if (tokenMatches(given, this.opts.token())) {
      authorization = `Bearer ${this.opts.apiKey}`;
    } else {
      return this.sendError(res, new HttpError(401, given ? 'Wrong local proxy token: copy it again with "OpenRouter: Copy Proxy Settings".' : 'Missing Authorization: send "Authorization: Bearer <local proxy token>".'));
    }

    const declared = Number(req.headers['content-length'] ?? 0);
    if (declared > this.maxBody) return this.sendError(res, new HttpError(413, `Request body larger than ${this.maxBody} bytes.`), true);
    const body = await this.readBody(req);
    if (body === 'too-large') return this.sendError(res, new HttpError(413, `Request body larger than ${this.maxBody} bytes.`), true);
    if (body === 'aborted') return;

    const model = req.method === 'POST' ? modelOf(body.chunks, req.headers['content-type']) : undefined;
    void this.opts.catalog.refresh();
    // Another account's free requests pass through uncounted and unpaced: its quota is not the one metered here.
    const free = ours && model !== undefined && this.opts.catalog.isFree(model);
    const gone = new ClientGone();
    res.on('close', () => {
      if (!res.writableFinished) gone.fire();
    });

    let recorded: Recorded | undefined;
    if (free) {
      const a = await this.admit(model, this.clients.of(req.headers), gone);
      if (a === 'aborted') return;
      if (a instanceof HttpError) return this.sendError(res, a);
      recorded = a;
    }
    if (gone.aborted) {
      if (recorded) this.takeBack(recorded, 'the client left before it was sent');
      return;
    }
    await this.forward(req, res, body, authorization, gone, model, free, recorded);
  }

  /** A reader of /quota must show it meters this account: the local token, or the same account fingerprint. */
  private controlDenied(req: http.IncomingMessage): HttpError | undefined {
    const account = req.headers[ACCOUNT_HEADER];
    if (typeof account === 'string') {
      if (account === this.opts.fingerprint) return undefined;
      return new HttpError(403, 'This OpenRouter Quota proxy meters another account: its counts are not yours.', {}, { reason: 'other-account' });
    }
    if (tokenMatches(bearer(req.headers), this.opts.token())) return undefined;
    return new HttpError(401, 'Send the local proxy token (Authorization: Bearer <token>) to read the counts.', {}, { reason: 'credentials' });
  }

  /** Daily check, then the minute window. Records the attempt when admitted; otherwise says why not. */
  private async admit(model: string, client: string, signal: ClientGone): Promise<Recorded | HttpError | 'aborted'> {
    const mode = this.opts.pacing();
    if (mode !== 'off') {
      const resetsAt = this.opts.account.dayExhausted(this.clock.now());
      if (resetsAt !== undefined) return this.rateLimitAnswer('day', resetsAt);
    }
    const a = await this.pacer.acquire(signal);
    if (!a.ok) {
      if (a.reason === 'aborted') return 'aborted';
      return this.rateLimitAnswer('minute', a.resetsAt, a.reason);
    }
    const recorded = this.opts.ledger.record(model, this.clock.now(), client);
    this.opts.onChange?.();
    if (a.waitedMs > 0) this.log.info(`proxy: held a request to ${model} for ${formatDuration(a.waitedMs)} (minute window full)`);
    return recorded;
  }

  /** Un-count an attempt OpenRouter never saw. */
  private takeBack(r: Recorded, why: string): void {
    if (!this.opts.ledger.takeBack(r)) return;
    this.pacer.release(r.at);
    this.log.info(`proxy: not counting a request to ${r.model}: ${why}`);
    this.opts.onChange?.();
  }

  /** A 429 in OpenRouter's own format, with its headers, answered here without spending an attempt. */
  private rateLimitAnswer(kind: 'day' | 'minute', resetsAt: number, why?: string): HttpError {
    const now = this.clock.now();
    const limit = kind === 'day' ? (this.opts.account.view(now).day.limit ?? 0) : this.opts.account.minuteLimit();
    const headers = {
      'X-RateLimit-Limit': String(limit),
      'X-RateLimit-Remaining': '0',
      'X-RateLimit-Reset': String(resetsAt),
      'Retry-After': String(Math.max(1, Math.ceil((resetsAt - now) / 1000))),
    };
    const message =
      kind === 'day'
        ? `Rate limit exceeded: free-models-per-day. Answered by the local OpenRouter Quota proxy: today's free-model quota is spent; it resets at ${new Date(resetsAt).toISOString()}.`
        : `Rate limit exceeded: free-models-per-min. Answered by the local OpenRouter Quota proxy (${why === 'timeout' ? 'waited the longest allowed' : why === 'queue-full' ? 'the wait queue is full' : 'the minute window is full'}); the window resets in ${formatDuration(resetsAt - now)}.`;
    return new HttpError(429, message, headers, { headers, limit_source: kind === 'day' ? 'openrouter_free_tier_daily' : 'local_proxy_pacing', provider_name: null });
  }

  private async forward(
    req: http.IncomingMessage,
    res: http.ServerResponse,
    body: { chunks: Buffer[]; size: number },
    authorization: string,
    gone: ClientGone,
    model: string | undefined,
    free: boolean,
    recorded: Recorded | undefined,
  ): Promise<void> {
    const { origin, basePath } = this.upstreamBase();
    const headers = forwardHeaders(req.headers, DROP_REQUEST_HEADERS);
    headers.authorization = authorization;
    if (body.size > 0) headers['content-length'] = String(body.size);
    const outcome = await relay({
      dispatcher: this.dispatcher,
      origin,
      path: basePath + (req.url ?? '').slice(API_PREFIX.length),
      method: req.method ?? 'GET',
      headers,
      body: body.chunks,
      gone,
      res,
      // Small by nature: read whole, learned from, then passed on as it came.
      onRateLimited: (raw, h) => this.learn(classifyRateLimit(raw ? parseJson(raw) : undefined, h, this.clock.now()), model),
      tapFor: (status, h) => this.tapFor(status, h, model),
    });
    switch (outcome.kind) {
      case 'cancelled':
        return;
      case 'failed':
        this.log.warn(`proxy: upstream ${req.method} ${req.url} failed: ${redact(errorText(outcome.error), [authorization])}`);
        if (recorded && neverReachedUpstream(outcome.error)) this.takeBack(recorded, 'OpenRouter could not be reached');
        this.finished(model, free, 502);
        return this.sendError(res, new HttpError(502, `The local proxy could not reach OpenRouter: ${redact(outcome.error.message ?? String(outcome.error), [authorization])}`));
      case 'broken':
        this.log.warn(`proxy: response from upstream broke off: ${redact(outcome.error.message, [authorization])}`);
        return this.finished(model, free, outcome.status);
      case 'done':
        return this.finished(model, free, outcome.status);
    }
  }

  /** The upstream base URL split for undici's dispatch (origin, path prefix), parsed once per value. */
  private upstreamBase(): { origin: string; basePath: string } {
    const raw = this.opts.upstream();
    if (raw !== this.base?.raw) {
      const u = new URL(raw);
      this.base = { raw, origin: u.origin, basePath: u.pathname.replace(/\/+$/, '') };
    }
    return this.base;
  }

  /** Watch a streamed or JSON success for an error that arrives with status 200. */
  private tapFor(status: number, headers: HeaderBag, model: string | undefined): ResponseTap | undefined {
    if (status !== 200 || headers['content-encoding']) return undefined;
    const type = String(headers['content-type'] ?? '');
    const onError = (v: unknown) => {
      const env = findErrorEnvelope(v);
      if (env && Number(env.code) === 429) this.learn(classifyRateLimit(v, undefined, this.clock.now()), model);
    };
    if (type.includes('text/event-stream')) return sseErrorTap(onError);
    if (type.includes('json')) return jsonBodyTap(onError);
    return undefined;
  }

  private learn(info: RateLimitInfo, model: string | undefined): void {
    const now = this.clock.now();
    const blockUntil = this.opts.account.learn(info, now, model);
    if (blockUntil !== undefined) this.pacer.blockUntil(blockUntil);
    this.log.info(`proxy: OpenRouter answered 429 (${info.kind}${info.limit ? `, limit ${info.limit}` : ''}${info.resetsAt ? `, resets ${new Date(info.resetsAt).toISOString()}` : ''}) for ${model ?? 'a request'}`);
    this.opts.onChange?.();
  }

  private finished(model: string | undefined, free: boolean, status: number): void {
    this.opts.onRequestFinished?.({ model, free, status });
  }

  /** The body as the chunks it came in (not joined: see requestModel.ts), with its size. */
  private readBody(req: http.IncomingMessage): Promise<{ chunks: Buffer[]; size: number } | 'too-large' | 'aborted'> {
    return new Promise((resolve) => {
      const chunks: Buffer[] = [];
      let size = 0;
      req.on('data', (c: Buffer) => {
        size += c.length;
        if (size > this.maxBody) {
          req.removeAllListeners('data');
          req.resume();
          resolve('too-large');
          return;
        }
        chunks.push(c);
      });
      req.on('end', () => resolve({ chunks, size }));
      req.on('aborted', () => resolve('aborted'));
      req.on('error', () => resolve('aborted'));
    });
  }

  private sendJson(res: http.ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}, close = false): void {
    const text = JSON.stringify(body);
    res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text), 'cache-control': 'no-store', ...(close ? { connection: 'close' } : {}), ...headers });
    res.end(text);
  }

  /** An error in OpenRouter's envelope, so clients that understand OpenRouter understand us. */
  private sendError(res: http.ServerResponse, e: HttpError, close = false): void {
    this.sendJson(res, e.status, { error: { code: e.status, message: e.message, ...(e.metadata ? { metadata: e.metadata } : {}) } }, e.headers, close);
  }
}

function parseJson(b: Buffer): unknown {
  try {
    return JSON.parse(b.toString('utf8'));
  } catch {
    return undefined;
  }
}
