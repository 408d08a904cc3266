// The one HTTP call of "Sign in with OpenRouter": POST {apiBaseUrl}/auth/keys turns the callback's code
// into a permanent API key. Same undici patterns, timeouts and typed errors as openRouterClient.ts; the
// documented answers and errors are in docs/oauth.md.
import type { Dispatcher } from 'undici';
import { request } from '../http/undici';
import { checkKeyInput } from '../apiKey';
import { OpenRouterError, ResponseShapeError } from '../errors';
import {
  createDispatcher,
  DEFAULT_USER_AGENT,
  errorForStatus,
  normalizeBaseUrl,
  parseJson,
  type ProxySettings,
  readCapped,
  transportError,
} from '../openRouterClient';
import type { HeaderBag } from '../rateLimit';

const EXCHANGE_PATH = '/auth/keys';
const MAX_BODY_BYTES = 64 * 1024; // the answer is {key, user_id}; anything much larger is not it

export interface ExchangeOptions {
  /** https://openrouter.ai/api/v1 unless configured (a gateway, or the fake server in tests). */
  apiBaseUrl?: string;
  code: string;
  verifier: string;
  /** A ClientFactory's shared agent (left open), or tests'; otherwise a one-off agent honouring `proxy`, closed after the call. */
  dispatcher?: Dispatcher;
  proxy?: ProxySettings;
  timeoutMs?: number;
  signal?: AbortSignal;
  userAgent?: string;
  now?: () => number;
}

/**
 * Exchanges the callback's code for an API key. Typed errors as openRouterClient (403: bad or used code or
 * verifier; 400: bad method; …); no error text contains the key, the code or the verifier.
 */
export async function exchangeCode(opts: ExchangeOptions): Promise<string> {
  const base = normalizeBaseUrl(opts.apiBaseUrl);
  const timeoutMs = opts.timeoutMs ?? 15_000;
  const secrets = [opts.code, opts.verifier];
  const what = `POST ${EXCHANGE_PATH}`;
  const dispatcher = opts.dispatcher ?? createDispatcher(opts.proxy);
  const deadline = AbortSignal.timeout(timeoutMs);
  const combined = opts.signal ? AbortSignal.any([opts.signal, deadline]) : deadline;
  const failed = (e: unknown) => transportError(e, what, { signal: opts.signal, deadline, timeoutMs, secrets });
  try {
    let res: Dispatcher.ResponseData;
    try {
      res = await request(`${base}${EXCHANGE_PATH}`, {
        method: 'POST',
        dispatcher,
        signal: combined,
        headers: {
          'content-type': 'application/json',
          accept: 'application/json',
          'user-agent': opts.userAgent ?? DEFAULT_USER_AGENT,
        },
        body: JSON.stringify({ code: opts.code, code_verifier: opts.verifier, code_challenge_method: 'S256' }),
        headersTimeout: timeoutMs,
        bodyTimeout: timeoutMs,
      });
    } catch (e) {
      throw failed(e);
    }
    let text: string;
    try {
      text = await readCapped(res.body, MAX_BODY_BYTES);
    } catch (e) {
      throw OpenRouterError.is(e) ? e : failed(e);
    }
    const body = parseJson(text);
    if (res.statusCode >= 200 && res.statusCode < 300) {
      // Never quote a 2xx body: it is where the key would be.
      if (body === undefined) throw new ResponseShapeError(`${what}: the answer is not JSON`, res.statusCode);
      const key = typeof body === 'object' && body !== null ? (body as { key?: unknown }).key : undefined;
      if (typeof key !== 'string') throw new ResponseShapeError(`${what}: the answer has no "key"`, res.statusCode);
      const check = checkKeyInput(key);
      if (!check.ok || check.key !== key)
        throw new ResponseShapeError(
          `${what}: the answer's "key" is not shaped like an OpenRouter key`,
          res.statusCode,
        );
      return key;
    }
    // A server may echo what it was sent, or a key: redact the code, the verifier and anything key-shaped.
    throw errorForStatus(
      res.statusCode,
      res.headers as HeaderBag,
      body,
      text,
      EXCHANGE_PATH,
      (opts.now ?? Date.now)(),
      secrets,
    );
  } finally {
    if (!opts.dispatcher) await dispatcher.close().catch(() => undefined);
  }
}
