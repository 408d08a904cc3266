// The upstream leg of a proxied request: relay it, learn from what comes back, and when the answer says the
// free model itself is in trouble (fallback/policy.ts), or the day ran out with a paid fallback set, send the
// same request once more to the model the fallbacks choose, before the client has seen a byte. The retry of a
// free request is admitted like any free request (counted in the ledger, paced); a paid one is not counted
// as free, its cost reserved before and charged after (fallback/paidBudget.ts).
import type * as http from 'node:http';
import type { Dispatcher } from 'undici';
import type { Clock } from '../clock';
import type { RequestNeeds } from '../fallback/choose';
import { DECIDED_STATUSES, judgeAnswer, type ModelTrouble, parseAnswerBody } from '../fallback/policy';
import { errorText, type Logger, redact } from '../logger';
import type { HeaderBag, RateLimitInfo } from '../rateLimit';
import { API_PREFIX } from './access';
import type { AdmissionControl } from './admission';
import type { RequestBodyStream } from './bodyStream';
import { type FallbackPlan, type Fallbacks, usageTap, withModel } from './fallbacks';
import { HttpError, sendError } from './httpUtil';
import { rateLimitOfAnswer, rateLimitTap } from './learning';
import type { Recorded } from './ledger';
import { type ClientGone, forwardHeaders, relay, type RelayOutcome, type RelayRequest } from './relay';
import type { ResponseTap } from './sseTap';
import { neverReachedUpstream, type UpstreamBase, upstreamHeaders } from './upstream';

/** A request on its way: who sent it, its body, what admission decided. */
export interface Exchange {
  req: http.IncomingMessage;
  res: http.ServerResponse;
  body: RequestBodyStream;
  authorization: string;
  gone: ClientGone;
  client: string;
  model: string | undefined;
  free: boolean;
  recorded: Recorded | undefined;
  /** The whole body parsed, when it may be sent again to another model (fallbacks switched on). */
  request?: { json: Record<string, unknown>; bytes: number; needs: RequestNeeds };
}

export interface ForwarderDeps {
  dispatcher: () => Dispatcher;
  base: UpstreamBase;
  clock: Clock;
  log: Logger;
  admission: AdmissionControl;
  fallbacks: Fallbacks;
  learn: (info: RateLimitInfo, model: string | undefined) => void;
  finished: (model: string | undefined, free: boolean, status: number) => void;
  /** The client left or its body failed before OpenRouter had it (server.ts lost()). */
  lost: (x: Exchange, recorded: Recorded | undefined, why: string) => void;
}

export class Forwarder {
  constructor(private readonly d: ForwarderDeps) {}

  /** The request as the client sent it; a retry elsewhere if its answer calls for one. */
  async forward(x: Exchange): Promise<void> {
    let plan: FallbackPlan | undefined;
    let trouble: ModelTrouble | undefined;
    const timing = this.timing();
    const outcome = await relay({
      ...this.common(
        x,
        x.model,
        x.body.upstream(),
        upstreamHeaders(x.req.headers, x.authorization, x.body.upstreamLength),
      ),
      hold: !x.free
        ? undefined
        : {
            statuses: DECIDED_STATUSES,
            retry: (status, headers, bytes) => {
              const verdict = judgeAnswer(status, parseAnswerBody(bytes, headers), headers, this.d.clock.now());
              trouble = verdict.trouble;
              if (!x.request || x.model === undefined) return false;
              plan = trouble
                ? this.d.fallbacks.freePlan(x.model, trouble, x.request.needs)
                : verdict.rateLimit?.kind === 'per-day'
                  ? this.d.fallbacks.paidPlan(x.model, x.request.bytes, x.request.needs)
                  : undefined;
              return plan !== undefined;
            },
          },
      onFirstByte: timing.first,
    });
    if (x.free && x.model !== undefined) this.health(x.model, outcome, trouble, timing.ms());
    if (outcome.kind === 'retry') return this.sendTo(x, plan!, outcome);
    return this.ended(x, x.model, x.recorded, outcome);
  }

  /**
   * Sends the request to `plan.to` instead of the model it named: after `held` (the first model's answer,
   * passed on if the retry cannot go), or straight away (the paid fallback once the day is spent).
   */
  async sendTo(x: Exchange, plan: FallbackPlan, held?: Extract<RelayOutcome, { kind: 'retry' }>): Promise<void> {
    const from = x.model!;
    let recorded: Recorded | undefined;
    if (!plan.paid) {
      const a = await this.d.admission.admit(plan.to, x.client, x.gone);
      if (a === 'aborted') return;
      if (a instanceof HttpError) {
        this.d.log.info(`fallback: ${from} → ${plan.to} not sent: ${a.message}`);
        return held ? this.passHeld(x, held) : sendError(x.res, a);
      }
      recorded = a;
    }
    const body = withModel(x.request!.json, plan.to);
    const headers = upstreamHeaders(x.req.headers, x.authorization, body.length);
    // Uncompressed, so its usage.cost can be read as it goes by.
    if (plan.paid) headers['accept-encoding'] = 'identity';
    let cost: number | undefined;
    let trouble: ModelTrouble | undefined;
    const timing = this.timing();
    const outcome = await relay({
      ...this.common(x, plan.to, [body], headers, plan.paid ? (h) => usageTap(h, (c) => (cost = c)) : undefined),
      responseHeaders: this.d.fallbacks.headers(from, plan),
      hold: plan.paid
        ? undefined
        : {
            statuses: DECIDED_STATUSES,
            retry: (status, h, bytes) => {
              trouble = judgeAnswer(status, parseAnswerBody(bytes, h), h, this.d.clock.now()).trouble;
              return false; // once only
            },
          },
      onFirstByte: timing.first,
    });
    if (!plan.paid) this.health(plan.to, outcome, trouble, timing.ms());
    const status = 'status' in outcome ? outcome.status : outcome.kind === 'failed' ? 502 : 499;
    if (plan.paid) {
      // Charged its estimate unless OpenRouter certainly never had it or refused it (an error answer costs nothing).
      const charged =
        outcome.kind === 'failed' ? !neverReachedUpstream(outcome.error) : outcome.kind === 'cancelled' || status < 400;
      this.d.fallbacks.settle(plan, cost, charged);
    }
    this.d.fallbacks.record(from, plan, status);
    return this.ended(x, plan.to, recorded, outcome);
  }

  private common(
    x: Exchange,
    model: string | undefined,
    body: RelayRequest['body'],
    headers: Record<string, string | string[]>,
    extraTap?: (h: HeaderBag) => ResponseTap | undefined,
  ): Omit<RelayRequest, 'hold' | 'responseHeaders' | 'onFirstByte'> {
    const { origin, basePath } = this.d.base.get();
    return {
      dispatcher: this.d.dispatcher(),
      origin,
      path: basePath + (x.req.url ?? '').slice(API_PREFIX.length),
      method: x.req.method ?? 'GET',
      headers,
      body,
      gone: x.gone,
      res: x.res,
      onRateLimited: (raw, h) => this.d.learn(rateLimitOfAnswer(raw, h, this.d.clock.now()), model),
      tapFor: (status, h) =>
        both(
          rateLimitTap(
            status,
            h,
            () => this.d.clock.now(),
            (info) => this.d.learn(info, model),
          ),
          status < 300 ? extraTap?.(h) : undefined,
        ),
    };
  }

  /** How the relay ended, for the client, the ledger and the log. */
  private ended(x: Exchange, model: string | undefined, recorded: Recorded | undefined, outcome: RelayOutcome): void {
    const { log, admission } = this.d;
    switch (outcome.kind) {
      case 'cancelled':
        // Taken back only if OpenRouter never had the whole body (a retry's body is handed over whole: it counts).
        return this.d.lost(x, recorded, 'the client left before its request was sent in full');
      case 'failed': {
        if (x.body.failure) return this.d.lost(x, recorded, '');
        const secret = [x.authorization];
        log.warn(`proxy: upstream ${x.req.method} ${x.req.url} failed: ${redact(errorText(outcome.error), secret)}`);
        if (recorded && neverReachedUpstream(outcome.error))
          admission.takeBack(recorded, 'OpenRouter could not be reached');
        this.d.finished(model, x.free, 502);
        const why = redact(outcome.error.message ?? String(outcome.error), secret);
        return sendError(x.res, new HttpError(502, `The local proxy could not reach OpenRouter: ${why}`));
      }
      case 'broken':
        log.warn(`proxy: response from upstream broke off: ${redact(outcome.error.message, [x.authorization])}`);
        return this.d.finished(model, x.free, outcome.status);
      case 'done':
        return this.d.finished(model, x.free, outcome.status);
      case 'retry':
        return this.passHeld(x, outcome);
    }
  }

  /** Passes on an answer held for a retry that did not happen. */
  private passHeld(x: Exchange, held: Extract<RelayOutcome, { kind: 'retry' }>): void {
    if (x.res.headersSent || x.res.destroyed) return;
    x.res.writeHead(held.status, forwardHeaders(held.headers));
    x.res.end(held.body);
    this.d.finished(x.model, x.free, held.status);
  }

  private health(model: string, o: RelayOutcome, trouble: ModelTrouble | undefined, ttftMs: number | undefined): void {
    if (o.kind === 'cancelled' || o.kind === 'failed') return;
    const ok = o.status >= 200 && o.status < 300;
    this.d.fallbacks.outcome(model, o.status, trouble, ok ? ttftMs : undefined);
  }

  private timing(): { first: () => void; ms: () => number | undefined } {
    const start = this.d.clock.now();
    let at: number | undefined;
    return {
      first: () => (at ??= this.d.clock.now()),
      ms: () => (at === undefined ? undefined : at - start),
    };
  }
}

function both(a: ResponseTap | undefined, b: ResponseTap | undefined): ResponseTap | undefined {
  if (!a || !b) return a ?? b;
  return {
    push: (c) => {
      a.push(c);
      b.push(c);
    },
    end: () => {
      a.end();
      b.end();
    },
  };
}
