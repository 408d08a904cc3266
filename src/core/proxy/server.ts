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
import type { QuotaWire } from '../account/view';
import type { Clock } from '../clock';
import { type Logger, nullLogger } from '../logger';
import type { RateLimitInfo } from '../rateLimit';
import { createDispatcher, type ProxySettings } from '../openRouterClient';
import { credentialsFor, refuseForeign, refuseOutsideApi } from './access';
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
import { needsOf } from '../fallback/choose';
import { parseBody } from './requestModel';
import type { ProxyOptions } from './options';
import { Fallbacks } from './fallbacks';
import { type Exchange, Forwarder } from './forward';
import { createProxyServer, HttpError, sendError } from './httpUtil';
import { learnRateLimit } from './learning';
import type { Recorded } from './ledger';
import type { MinutePacer } from './pacer';
import { ClientGone } from './relay';
import { TokenScope } from './scope';
import { UpstreamBase } from './upstream';

// The rest of the extension imports the proxy's wire names from here; where they live is this folder's business.
export type { ProxyOptions } from './options';
export { ACCOUNT_HEADER, type ProxyHistory } from './controlRoutes';

export { DEFAULT_PROXY_PORT } from '../endpoints';
const DEFAULT_MAX_BODY_BYTES = 20 * 1024 * 1024;
/**
 * With a fallback switched on, a free request's body is kept whole (up to this size) so it can be sent again
 * to another model; a longer one is streamed as usual and never falls back.
 */
const FALLBACK_BODY_LIMIT = 8 * 1024 * 1024;
const NO_EXTRA_PATHS: readonly string[] = [];
/** Marks our answers so another window (or the CLI) can tell our proxy from some other program on the port. */
export const PROXY_ID_HEADER = 'x-openrouter-quota-proxy';

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
  readonly fallbacks: Fallbacks;
  private readonly forwarder: Forwarder;

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
    this.fallbacks = new Fallbacks({
      settings: () => opts.fallback?.(),
      catalog: opts.catalog,
      account: opts.account,
      clock: opts.clock,
      log: this.log,
      budgetFile: opts.paidBudgetFile,
      onChange: () => opts.onChange?.(),
    });
    this.forwarder = new Forwarder({
      dispatcher: () => this.dispatcher,
      base: this.base,
      clock: this.clock,
      log: this.log,
      admission: this.admission,
      fallbacks: this.fallbacks,
      learn: (info, model) => this.learn(info, model),
      finished: (model, free, status) => this.finished(model, free, status),
      lost: (x, recorded, why) => this.lost(x.res, x.body, recorded, why),
    });
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
    const now = this.clock.now();
    const health = this.fallbacks.health.rows(this.opts.catalog.freeModels(), now, (id) =>
      this.opts.catalog.isFree(id),
    );
    return quotaHistory(this.opts.ledger, this.opts.account, now, health);
  }

  /**
   * Stop: refuse waiters, stop listening, drop connections, and close the ledger in the same turn, before
   * the port is free, so a window taking over never has the ledger open while this one still writes it.
   */
  async close(): Promise<void> {
    this.pacer.dispose();
    this.opts.account.setFallback(undefined); // whoever hosts next reports its own
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

    const client = this.clients.of(req.headers);
    const x: Exchange = {
      req,
      res,
      body,
      authorization: credentials.authorization,
      gone,
      client,
      model,
      free,
      recorded: undefined,
    };
    if (free && req.method === 'POST') {
      const s = this.fallbacks.settings();
      if (s.enabled || s.paid) x.request = await this.wholeRequest(body);
      if (body.failure) return this.lost(res, body, undefined, '');
      // The day is spent and a paid fallback is set: straight to the paid model (the free one would be refused).
      if (x.request && s.paid && this.opts.account.dayExhausted(this.clock.now()) !== undefined) {
        const plan = this.fallbacks.paidPlan(model, x.request.bytes, x.request.needs);
        if (plan) return this.forwarder.sendTo(x, plan);
      }
    }
    if (free) {
      const a = await this.admission.admit(model, client, gone);
      if (a === 'aborted') return this.lost(res, body, undefined, '');
      if (a instanceof HttpError) return sendError(res, a);
      x.recorded = a;
    }
    if (gone.aborted) return this.lost(res, body, x.recorded, 'the client left before it was sent');
    await this.forwarder.forward(x);
  }

  /** The body whole and parsed, for a request that may be sent again to another model; undefined if it cannot be. */
  private async wholeRequest(body: RequestBodyStream): Promise<Exchange['request']> {
    const bytes = await body.whole(FALLBACK_BODY_LIMIT);
    if (!bytes) return undefined;
    try {
      const json = parseBody(bytes);
      if (typeof json !== 'object' || json === null || Array.isArray(json)) return undefined;
      return { json: json as Record<string, unknown>, bytes: bytes.length, needs: needsOf(json, bytes.length) };
    } catch {
      return undefined;
    }
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
