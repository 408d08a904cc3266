// The one place that talks HTTP to OpenRouter's management endpoints (GET /key, /credits, /models).
// undici with a keep-alive agent that honours HTTPS_PROXY/NO_PROXY (or an explicit proxy from VS Code's
// http.proxy), explicit timeouts, an AbortSignal per call, a size cap on bodies, and typed errors for
// every failure. The key is sent only in the Authorization header and is never part of an error.
import type { Dispatcher } from 'undici';
import { EnvHttpProxyAgent, request } from './http/undici';
import {
  AbortedError,
  AuthError,
  ForbiddenError,
  NetworkError,
  NotFoundError,
  OpenRouterError,
  PaymentRequiredError,
  RateLimitError,
  ResponseShapeError,
  ServerError,
  TimeoutError,
} from './errors';
import { redact } from './logger';
import { classifyRateLimit, findErrorEnvelope, header, type HeaderBag, parseRetryAfter } from './rateLimit';
import {
  type Credits,
  type KeyInfo,
  type ModelInfo,
  parseCredits,
  parseFreeModelIds,
  parseKeyInfo,
  parseModels,
} from './responses';

import { DEFAULT_BASE_URL } from './endpoints';

export { DEFAULT_BASE_URL };
/** Sent when no User-Agent is given; the extension and the CLI give a versioned one (clientFactory.ts). */
export const DEFAULT_USER_AGENT = 'openrouter-quota';

export interface ProxySettings {
  /** Proxy for all requests (VS Code's http.proxy). Empty: HTTPS_PROXY / HTTP_PROXY from the environment. */
  url?: string;
  /** Hosts that bypass the proxy (NO_PROXY syntax). Empty: NO_PROXY from the environment. */
  noProxy?: string;
}

export interface ClientOptions {
  baseUrl?: string;
  apiKey: string;
  /** Whole-call deadline in ms (connect + headers + body). */
  timeoutMs?: number;
  proxy?: ProxySettings;
  /** A ClientFactory's shared agent, or tests'; left open by close(). Otherwise one keep-alive agent per client. */
  dispatcher?: Dispatcher;
  userAgent?: string;
  now?: () => number;
}

const MAX_BODY_BYTES = 16 * 1024 * 1024; // /models is the largest answer (about 1-2 MB today)

export function createDispatcher(proxy: ProxySettings = {}): Dispatcher {
  const url = proxy.url?.trim();
  return new EnvHttpProxyAgent({
    ...(url ? { httpProxy: url, httpsProxy: url } : {}),
    ...(proxy.noProxy?.trim() ? { noProxy: proxy.noProxy.trim() } : {}),
    keepAliveTimeout: 30_000,
    connect: { timeout: 10_000 },
  });
}

export class OpenRouterClient {
  readonly baseUrl: string;
  private readonly apiKey: string;
  private readonly timeoutMs: number;
  private readonly dispatcher: Dispatcher;
  private readonly ownsDispatcher: boolean;
  private readonly userAgent: string;
  private readonly now: () => number;

  constructor(opts: ClientOptions) {
    this.baseUrl = normalizeBaseUrl(opts.baseUrl);
    this.apiKey = opts.apiKey;
    this.timeoutMs = opts.timeoutMs ?? 15_000;
    this.ownsDispatcher = !opts.dispatcher;
    this.dispatcher = opts.dispatcher ?? createDispatcher(opts.proxy);
    this.userAgent = opts.userAgent ?? DEFAULT_USER_AGENT;
    this.now = opts.now ?? Date.now;
  }

  /** GET /key, falling back to the legacy /auth/key when a gateway or older deployment answers 404. */
  async getKey(signal?: AbortSignal): Promise<KeyInfo> {
    try {
      return parseKeyInfo(await this.getJson('/key', signal));
    } catch (e) {
      if (!NotFoundError.is(e)) throw e;
      return parseKeyInfo(await this.getJson('/auth/key', signal));
    }
  }

  /** GET /credits. Officially needs a management key: expect a ForbiddenError (403) with an ordinary key. */
  async getCredits(signal?: AbortSignal): Promise<Credits> {
    return parseCredits(await this.getJson('/credits', signal));
  }

  /** GET /models, reduced to the ids that draw on the free quota. */
  async getFreeModelIds(signal?: AbortSignal): Promise<string[]> {
    return parseFreeModelIds(await this.getJson('/models', signal));
  }

  /** GET /models: every model with what the chat models need (names, limits, tools, images, prices). */
  async getModels(signal?: AbortSignal): Promise<ModelInfo[]> {
    return parseModels(await this.getJson('/models', signal));
  }

  async close(): Promise<void> {
    if (this.ownsDispatcher) await this.dispatcher.close().catch(() => undefined);
  }

  private async getJson(path: string, signal?: AbortSignal): Promise<unknown> {
    const deadline = AbortSignal.timeout(this.timeoutMs);
    const combined = signal ? AbortSignal.any([signal, deadline]) : deadline;
    const url = `${this.baseUrl}${path}`;
    let res: Dispatcher.ResponseData;
    try {
      res = await request(url, {
        method: 'GET',
        dispatcher: this.dispatcher,
        signal: combined,
        headers: { authorization: `Bearer ${this.apiKey}`, accept: 'application/json', 'user-agent': this.userAgent },
        headersTimeout: this.timeoutMs,
        bodyTimeout: this.timeoutMs,
      });
    } catch (e) {
      throw transportError(e, `GET ${path}`, { signal, deadline, timeoutMs: this.timeoutMs, secrets: [this.apiKey] });
    }
    let text: string;
    try {
      text = await readCapped(res.body, MAX_BODY_BYTES);
    } catch (e) {
      throw OpenRouterError.is(e)
        ? e
        : transportError(e, `GET ${path}`, { signal, deadline, timeoutMs: this.timeoutMs, secrets: [this.apiKey] });
    }
    const body = parseJson(text);
    if (res.statusCode >= 200 && res.statusCode < 300) {
      if (body === undefined)
        throw new ResponseShapeError(
          `GET ${path}: the body is not JSON (${redact(snippet(text), [this.apiKey])})`,
          res.statusCode,
        );
      return body;
    }
    throw errorForStatus(res.statusCode, res.headers as HeaderBag, body, text, path, this.now(), [this.apiKey]);
  }
}

/** The API base as given (or the default), without trailing slashes. */
export function normalizeBaseUrl(base: string | undefined): string {
  return (base?.trim() || DEFAULT_BASE_URL).replace(/\/+$/, '');
}

/**
 * A request that got no answer, as a typed error: cancelled by the caller, timed out (the deadline or
 * undici's own timeouts), or a network failure whose text has the secrets taken out. `what` is e.g. "GET /key".
 */
export function transportError(
  e: unknown,
  what: string,
  o: { signal?: AbortSignal; deadline: AbortSignal; timeoutMs: number; secrets: readonly string[] },
): OpenRouterError {
  if (o.signal?.aborted) return new AbortedError(`${what} cancelled`);
  const code = (e as { code?: string }).code ?? '';
  if (o.deadline.aborted || /TIMEOUT/.test(code))
    return new TimeoutError(`${what}: no answer within ${o.timeoutMs} ms`, undefined, { cause: e });
  const detail =
    e instanceof Error ? (code && !e.message.includes(code) ? `${e.message} (${code})` : e.message) : String(e);
  return new NetworkError(`${what}: ${redact(detail, o.secrets)}`, undefined, { cause: e });
}

/**
 * Maps a non-2xx answer to a typed error, keeping OpenRouter's own message where it sent one, minus the
 * key: a gateway may echo it, and error messages end up in tooltips and the shared state file.
 */
export function errorForStatus(
  status: number,
  headers: HeaderBag,
  body: unknown,
  text: string,
  path: string,
  now: number,
  secrets: readonly string[] = [],
): OpenRouterError {
  const message = redact(findErrorEnvelope(body)?.message?.trim() || snippet(text) || `HTTP ${status}`, secrets);
  switch (status) {
    case 401:
      return new AuthError(message, status);
    case 402:
      return new PaymentRequiredError(message, status);
    case 403:
      return new ForbiddenError(message, status);
    case 404:
      return new NotFoundError(`GET ${path}: ${message}`, status);
    case 429: {
      const info = classifyRateLimit(body, headers, now);
      return new RateLimitError(redact(info.message, secrets), info.kind, info.resetsAt, info.limit);
    }
    default: {
      return new ServerError(message, status, parseRetryAfter(header(headers, 'retry-after'), now));
    }
  }
}

/** A response body as text, refusing (and dropping the connection) past `max` bytes. */
export async function readCapped(body: Dispatcher.ResponseData['body'], max: number): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of body) {
    size += (chunk as Buffer).length;
    if (size > max) {
      body.destroy();
      throw new ResponseShapeError(`answer larger than ${max} bytes`);
    }
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks).toString('utf8');
}

/** The JSON value of a body, or undefined when it is not JSON. */
export function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

function snippet(text: string): string {
  const t = text.replace(/\s+/g, ' ').trim();
  return t.length > 120 ? `${t.slice(0, 120)}…` : t;
}
