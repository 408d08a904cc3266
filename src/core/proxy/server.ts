// The local metering proxy: an OpenAI-compatible endpoint on 127.0.0.1 that tools (Cline, Continue, aider,
// curl, scripts) point at instead of OpenRouter. It counts every attempt to a free model exactly (ledger),
// holds or refuses requests that would break the minute window (pacer), answers a spent daily quota itself,
// learns limits from OpenRouter's own 429s, and otherwise passes requests and responses through untouched:
// response bytes stream as they arrive (SSE events one by one, compressed bodies as they came), and request
// bodies once their model is known (bodyStream.ts, under one memory cap: bodyBudget.ts).
//
// This file is the pipeline: guard (access.ts) → control routes (controlRoutes.ts) → body to its model
// (bodyStream.ts) → admission (admission.ts) → relay (relay.ts) → learning (learning.ts); the HTTP plumbing
// is in httpUtil.ts.
import type * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Dispatcher } from 'undici';
import type { AccountModel } from '../account/model';
import type { QuotaWire } from '../account/view';
import type { Clock } from '../clock';
import { errorText, type Logger, nullLogger, redact } from '../logger';
import type { ModelCatalog } from '../modelCatalog';
import type { RateLimitInfo } from '../rateLimit';
import { createDispatcher, type ProxySettings } from '../openRouterClient';
import { API_PREFIX, credentialsFor, refuseForeign, refuseOutsideApi } from './access';
import { AdmissionControl } from './admission';
import { BodyBudget } from './bodyBudget';
import { RequestBodyStream } from './bodyStream';
import { ClientNames } from './clientName';
import {
  type ControlSource,
  isControlRoute,
  type ProxyHistory,
  quotaHistory,
  quotaStatus,
  serveControl,
} from './controlRoutes';
import { createProxyServer, HttpError, sendError } from './httpUtil';
import { learnRateLimit, rateLimitOfAnswer, rateLimitTap } from './learning';
import type { Ledger, Recorded } from './ledger';
import type { MinutePacer, PacingMode } from './pacer';
import { ClientGone, relay } from './relay';
import { TokenScope } from './scope';
import { neverReachedUpstream, UpstreamBase, upstreamHeaders } from './upstream';

// The rest of the extension imports the proxy's wire names from here; where they live is this folder's business.
export { ACCOUNT_HEADER, type ProxyHistory } from './controlRoutes';

export { DEFAULT_PROXY_PORT } from '../endpoints';
const DEFAULT_MAX_BODY_BYTES = 20 * 1024 * 1024;
const NO_EXTRA_PATHS: readonly string[] = [];
/** Marks our answers so another window (or the CLI) can tell our proxy from some other program on the port. */
export const PROXY_ID_HEADER = 'x-openrouter-quota-proxy';

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
  /** Path prefixes the token opens beyond its scope (scope.ts), read per request: the same array until it changes. */
  extraPaths?: () => readonly string[] | undefined;
  maxQueue?: number;
  maxBodyBytes?: number;
  /** The cap on request-body bytes held in memory across all requests (bodyBudget.ts; 64 MiB by default). */
  bodyBudget?: BodyBudget;
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

export class MeteringProxy {
  readonly pacer: MinutePacer;
  readonly bodyBudget: BodyBudget;
  private readonly admission: AdmissionControl;
  private readonly server: http.Server;
  private readonly clock: Clock;
  private readonly log: Logger;
  private dispatcher: Dispatcher;
  private readonly maxBody: number;
  private boundPort = 0;
  private readonly base: UpstreamBase;
  private readonly clients = new ClientNames();
  private readonly control: ControlSource;
  private tokenScope = new TokenScope(NO_EXTRA_PATHS);

  constructor(private readonly opts: ProxyOptions) {
    this.clock = opts.clock;
    this.log = opts.log ?? nullLogger;
    this.maxBody = opts.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES;
    this.bodyBudget = opts.bodyBudget ?? new BodyBudget({ clock: opts.clock });
    this.dispatcher = opts.dispatcher ?? createDispatcher(opts.upstreamProxy);
    this.base = new UpstreamBase(opts.upstream);
    this.admission = new AdmissionControl({
      clock: this.clock,
      account: opts.account,
      ledger: opts.ledger,
      pacing: opts.pacing,
      maxWaitSeconds: opts.maxWaitSeconds,
      maxQueue: opts.maxQueue ?? 256,
      log: this.log,
      onChange: () => opts.onChange?.(),
    });
    this.pacer = this.admission.pacer;
    this.control = {
      fingerprint: opts.fingerprint,
      token: opts.token,
      status: () => this.status(),
      history: () => this.history(),
    };
    this.server = createProxyServer(opts.requestTimeoutMs ?? 120_000, this.log, (req, res) => this.handle(req, res));
  }

  /** Bind to 127.0.0.1:port. Rejects with PortInUseError when the port is taken. */
  listen(): Promise<number> {
    return new Promise((resolve, reject) => {
      const onError = (e: NodeJS.ErrnoException) =>
        reject(e.code === 'EADDRINUSE' ? new PortInUseError(this.opts.port) : e);
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
    return quotaStatus(this.opts.account, this.clock.now());
  }

  /** GET /quota/history: hourly (24 h) and daily (30 days) totals, today's models, recent 429s. */
  history(): ProxyHistory {
    return quotaHistory(this.opts.ledger, this.opts.account, this.clock.now());
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
    const foreign = refuseForeign(req.headers, req.rawHeaders, this.boundPort);
    if (foreign) return sendError(res, foreign);
    const path = req.url ?? '/';
    if (isControlRoute(req.method, path)) return serveControl(req, res, path, this.control);
    const outside = refuseOutsideApi(path);
    if (outside) return sendError(res, outside);
    const credentials = credentialsFor(req.headers, this.opts.apiKey, this.opts.token, {
      method: req.method,
      target: path,
      scope: this.scope(),
    });
    if (credentials instanceof HttpError) return sendError(res, credentials);

    const body = new RequestBodyStream(req, {
      maxBytes: this.maxBody,
      budget: this.bodyBudget,
      scan: req.method === 'POST',
    });
    try {
      await this.admitAndForward(req, res, body, credentials);
    } finally {
      // Every way a request ends (answered, refused, client gone, upstream failed) gives its body's bytes back.
      body.close();
    }
  }

  /** Reads the body as far as its model, counts and paces it, then forwards it as the rest arrives. */
  private async admitAndForward(
    req: http.IncomingMessage,
    res: http.ServerResponse,
    body: RequestBodyStream,
    credentials: { authorization: string; ours: boolean },
  ): Promise<void> {
    const decided = await body.decide();
    if (decided === 'aborted') return;
    if (decided instanceof HttpError) return sendError(res, decided, true);
    const model = decided.model;
    void this.opts.catalog.refresh();
    // Another account's free requests pass through uncounted and unpaced: its quota is not the one metered here.
    const free = credentials.ours && model !== undefined && this.opts.catalog.isFree(model);
    // Fired when the client goes away or its body fails on the way: ends a wait in the pacer, and the relay.
    const gone = new ClientGone();
    res.on('close', () => {
      if (!res.writableFinished) gone.fire();
    });
    body.onFailure = () => gone.fire();
    if (body.failure) return this.lost(res, body, undefined, '');

    let recorded: Recorded | undefined;
    if (free) {
      const a = await this.admission.admit(model, this.clients.of(req.headers), gone);
      if (a === 'aborted') return this.lost(res, body, undefined, '');
      if (a instanceof HttpError) return sendError(res, a);
      recorded = a;
    }
    if (gone.aborted) return this.lost(res, body, recorded, 'the client left before it was sent');
    await this.forward(req, res, body, credentials.authorization, gone, model, free, recorded);
  }

  /**
   * The client left, or its body failed (too large, unreadable, the budget spent), before OpenRouter had the
   * whole request: an attempt it never had in full is not counted, and a client still there gets the reason.
   */
  private lost(res: http.ServerResponse, body: RequestBodyStream, recorded: Recorded | undefined, why: string): void {
    if (recorded && !body.sentAll)
      this.admission.takeBack(recorded, body.failure ? 'its body did not arrive in full' : why);
    if (body.failure instanceof HttpError && !res.headersSent && !res.destroyed) sendError(res, body.failure, true);
  }

  private async forward(
    req: http.IncomingMessage,
    res: http.ServerResponse,
    body: RequestBodyStream,
    authorization: string,
    gone: ClientGone,
    model: string | undefined,
    free: boolean,
    recorded: Recorded | undefined,
  ): Promise<void> {
    const { origin, basePath } = this.base.get();
    const outcome = await relay({
      dispatcher: this.dispatcher,
      origin,
      path: basePath + (req.url ?? '').slice(API_PREFIX.length),
      method: req.method ?? 'GET',
      headers: upstreamHeaders(req.headers, authorization, body.upstreamLength),
      body: body.upstream(),
      gone,
      res,
      onRateLimited: (raw, h) => this.learn(rateLimitOfAnswer(raw, h, this.clock.now()), model),
      tapFor: (status, h) =>
        rateLimitTap(
          status,
          h,
          () => this.clock.now(),
          (info) => this.learn(info, model),
        ),
    });
    switch (outcome.kind) {
      case 'cancelled':
        return this.lost(res, body, recorded, 'the client left before its request was sent in full');
      case 'failed':
        if (body.failure) return this.lost(res, body, recorded, '');
        this.log.warn(
          `proxy: upstream ${req.method} ${req.url} failed: ${redact(errorText(outcome.error), [authorization])}`,
        );
        if (recorded && neverReachedUpstream(outcome.error))
          this.admission.takeBack(recorded, 'OpenRouter could not be reached');
        this.finished(model, free, 502);
        return sendError(
          res,
          new HttpError(
            502,
            `The local proxy could not reach OpenRouter: ${redact(outcome.error.message ?? String(outcome.error), [authorization])}`,
          ),
        );
      case 'broken':
        this.log.warn(`proxy: response from upstream broke off: ${redact(outcome.error.message, [authorization])}`);
        return this.finished(model, free, outcome.status);
      case 'done':
        return this.finished(model, free, outcome.status);
    }
  }

  /** What the token opens, rebuilt when the extraPaths list changes. */
  private scope(): TokenScope {
    const extra = this.opts.extraPaths?.() ?? NO_EXTRA_PATHS;
    if (extra !== this.tokenScope.extraPaths) {
      this.tokenScope = new TokenScope(extra);
      for (const i of this.tokenScope.invalid) this.log.warn(`proxy: extra path "${i.entry}" ignored: it ${i.why}`);
    }
    return this.tokenScope;
  }

  private learn(info: RateLimitInfo, model: string | undefined): void {
    this.log.info(
      `proxy: ${learnRateLimit(info, model, this.clock.now(), { account: this.opts.account, pacer: this.pacer })}`,
    );
    this.opts.onChange?.();
  }

  private finished(model: string | undefined, free: boolean, status: number): void {
    this.opts.onRequestFinished?.({ model, free, status });
  }
}
