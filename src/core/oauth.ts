// "Sign in with OpenRouter": OpenRouter's OAuth PKCE flow, without vscode (the adapter is
// src/vscode/signIn.ts). Pure parts (PKCE, state, the auth URL, the callback's query, the registry of
// sign-ins in flight) and the one HTTP call (POST /auth/keys), with the same undici patterns, timeouts and
// typed errors as openRouterClient.ts.
//
// What OpenRouter documents (https://openrouter.ai/docs/guides/overview/auth/oauth, formerly
// /docs/use-cases/oauth-pkce; API reference: /docs/api/api-reference/o-auth/exchange-auth-code-for-api-key):
// - Step 1: send the user to `https://openrouter.ai/auth?callback_url=<URL>&code_challenge=<C>
//   &code_challenge_method=S256` ("S256": code_challenge = base64url(sha256(code_verifier)); `plain` and no
//   challenge are also accepted, we always use S256). No client id, no client secret, no registration.
// - OpenRouter sends the user back to callback_url with a `code` query parameter.
// - Step 2: `POST https://openrouter.ai/api/v1/auth/keys` with JSON `{code, code_verifier,
//   code_challenge_method}` answers `{key, user_id}`: a permanent, user-controlled API key (visible and
//   revocable at openrouter.ai/settings/keys), not a short-lived token. The guide sends no Authorization
//   header (the generated OpenAPI page lists one for every endpoint; we send none).
// - Documented errors: `400 Invalid code_challenge_method`, `403 Invalid code or code_verifier` (also what an
//   already used code gets), `405 Method Not Allowed` (not POST, or not HTTPS). The OpenAPI spec leaves the
//   400/403/500 bodies unspecified; OpenRouter's usual envelope is `{"error":{"code","message"}}`, which
//   errorForStatus() reads, falling back to the raw text.
// Not documented, so handled defensively rather than assumed:
// - There is no `state` parameter in OpenRouter's flow. We put our own state into the callback URL's query
//   and rely on OpenRouter appending `code` to it (`...?state=S&code=C`); parseCallbackQuery() also
//   recovers from a naive `...?state=S?code=C` append.
// - Which callback URLs are allowed. The guide only says local apps should "test with
//   http://localhost:3000". Shipping VS Code extensions use custom schemes in production: Cline sends
//   `vscode://saoudrizwan.claude-dev/openrouter` (cline/cline src/core/controller/account/
//   openrouterAuthClicked.ts) and Roo Code `vscode://rooveterinaryinc.roo-cline/openrouter` (its
//   getOpenRouterAuthUrl()), so a `vscode://` (or `vscode-insiders://`, …: vscode.env.uriScheme) callback is
//   accepted in practice. Loopback callbacks on other ports than 3000 are reported to work too (e.g.
//   tinyhumansai/openhuman PR #3904), but we do not need one. None of those callbacks carried a query of
//   their own, so the state-in-query below is the least proven part. Behind code-server/Codespaces,
//   vscode.env.asExternalUri() turns the callback into an https URL.
// - Whether OpenRouter redirects with `error=` when the user declines: unknown; an `error` parameter is
//   handled anyway (OAuth 2.0 style `error`/`error_description`).
// Because the host may change, the auth page is a setting (openrouterQuota.signIn.authUrl) and the exchange
// goes to `{openrouterQuota.apiBaseUrl}/auth/keys`.
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { Dispatcher, request } from 'undici';
import { checkKeyInput } from './apiKey';
import { OpenRouterError, ResponseShapeError } from './errors';
import { createDispatcher, errorForStatus, normalizeBaseUrl, parseJson, ProxySettings, readCapped, transportError } from './openRouterClient';
import type { HeaderBag } from './rateLimit';

export const DEFAULT_AUTH_URL = 'https://openrouter.ai/auth';
/** How long a sign-in waits for its callback; later callbacks are refused as expired. */
export const SIGN_IN_TTL_MS = 10 * 60_000;
/** The path of the callback URI the UriHandler answers (vscode://<extension id>/auth-callback?state=…). */
export const CALLBACK_PATH = '/auth-callback';

const EXCHANGE_PATH = '/auth/keys';
const MAX_BODY_BYTES = 64 * 1024; // the answer is {key, user_id}; anything much larger is not it

export interface Pkce {
  /** The secret: 43-128 characters of [A-Za-z0-9-_] (RFC 7636 §4.1). Sent only in the exchange body. */
  verifier: string;
  /** base64url(sha256(verifier)), without padding (RFC 7636 §4.2). Goes into the auth URL. */
  challenge: string;
  method: 'S256';
}

/** RFC 4648 §5 base64url without padding. */
export function base64url(bytes: Uint8Array): string {
  return Buffer.from(bytes).toString('base64url');
}

/** The S256 code challenge of a verifier: base64url(sha256(ASCII(verifier))). */
export function challengeFor(verifier: string): string {
  return base64url(createHash('sha256').update(verifier, 'ascii').digest());
}

/**
 * A fresh PKCE pair. `random` is injectable for the RFC 7636 appendix B test vector; by default 32 bytes
 * from crypto.randomBytes (256 bits, a 43-character verifier, as the RFC recommends).
 */
export function createPkce(random: (size: number) => Uint8Array = randomBytes, size = 32): Pkce {
  const verifier = base64url(random(size));
  if (!/^[A-Za-z0-9\-._~]{43,128}$/.test(verifier)) throw new RangeError(`a PKCE verifier must be 43-128 characters (got ${verifier.length})`);
  return { verifier, challenge: challengeFor(verifier), method: 'S256' };
}

/** An unguessable state for one sign-in (256 bits, base64url: safe in any URL without escaping). */
export function createState(random: (size: number) => Uint8Array = randomBytes): string {
  return base64url(random(32));
}

/**
 * The page to open in the browser. `authBase` is https://openrouter.ai/auth unless configured; any query it
 * already has is kept. The callback URL is encoded as one parameter, so its own query (our state) survives.
 */
export function buildAuthUrl(authBase: string, callbackUrl: string, challenge: string): string {
  let url: URL;
  try {
    url = new URL(authBase.trim() || DEFAULT_AUTH_URL);
  } catch {
    throw new RangeError(`not a URL: ${authBase}`);
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') throw new RangeError(`the sign-in page must be an http(s) URL, not ${url.protocol}`);
  url.searchParams.set('callback_url', callbackUrl);
  url.searchParams.set('code_challenge', challenge);
  url.searchParams.set('code_challenge_method', 'S256');
  return url.toString();
}

export interface CallbackParams {
  state?: string;
  code?: string;
  /** An OAuth-style `error` parameter (e.g. access_denied), if the callback carried one. */
  error?: string;
  errorDescription?: string;
}

/**
 * Reads the callback's query (vscode.Uri.query, already percent-decoded once by VS Code, or a raw query).
 * Recovers the state and code from a naive `?state=S?code=C` append. A `+` stays a `+` (VS Code has
 * decoded the query already; URLSearchParams would turn it into a space, as Roo Code's handler also
 * guards against). Empty values count as absent. Extra parameters (VS Code's own windowId) are ignored.
 */
export function parseCallbackQuery(query: string): CallbackParams {
  const q = new URLSearchParams(query.replace(/^\?/, '').replace(/\?/g, '&').replace(/\+/g, '%2B'));
  const pick = (name: string) => {
    const v = q.get(name)?.trim();
    return v ? v : undefined;
  };
  return { state: pick('state'), code: pick('code'), error: pick('error'), errorDescription: pick('error_description') };
}

// ---------------------------------------------------------------------------------------------------
// The sign-ins in flight

export interface SignInAttempt {
  readonly state: string;
  readonly pkce: Pkce;
  readonly createdAt: number;
}

export type CallbackRefusal =
  | 'missing' // the callback carried no state at all
  | 'foreign' // a state this registry never issued (another window, an old VS Code session, a forged link)
  | 'replayed' // a state whose callback was already taken
  | 'expired' // issued more than SIGN_IN_TTL_MS ago
  | 'cancelled'; // the user cancelled that sign-in (or started another one)

export type CallbackMatch = { ok: true; attempt: SignInAttempt } | { ok: false; reason: CallbackRefusal };

type Status = 'pending' | 'used' | 'cancelled';

/**
 * The registry of sign-ins this window started. A callback is matched against every state it knows in
 * constant time (hash both, timingSafeEqual, no early exit), and taken at most once: a second callback with
 * the same state is "replayed", an unknown one "foreign", an old one "expired". Finished states are kept for
 * a while only to tell the user why a late callback was refused.
 */
export class PendingSignIn {
  private readonly entries: Array<{ attempt: SignInAttempt; digest: Buffer; status: Status }> = [];

  constructor(
    private readonly now: () => number = Date.now,
    private readonly ttlMs = SIGN_IN_TTL_MS,
    private readonly random: (size: number) => Uint8Array = randomBytes,
  ) {}

  /** Start a sign-in: a new state and PKCE pair. */
  begin(): SignInAttempt {
    this.purge();
    const attempt: SignInAttempt = { state: createState(this.random), pkce: createPkce(this.random), createdAt: this.now() };
    this.entries.push({ attempt, digest: digest(attempt.state), status: 'pending' });
    return attempt;
  }

  /** Match a callback's state and consume it. Only an `ok` answer may lead to an exchange. */
  take(state: string | undefined): CallbackMatch {
    this.purge();
    if (!state) return { ok: false, reason: 'missing' };
    const want = digest(state);
    let found: (typeof this.entries)[number] | undefined;
    for (const e of this.entries) {
      // Compare with every entry, without stopping at the first match, so timing says nothing about which.
      const same = timingSafeEqual(e.digest, want);
      if (same && !found) found = e;
    }
    if (!found) return { ok: false, reason: 'foreign' };
    if (found.status === 'used') return { ok: false, reason: 'replayed' };
    if (found.status === 'cancelled') return { ok: false, reason: 'cancelled' };
    if (this.now() - found.attempt.createdAt > this.ttlMs) return { ok: false, reason: 'expired' };
    found.status = 'used';
    return { ok: true, attempt: found.attempt };
  }

  /** The user gave up (or started again): a callback for this state is refused as cancelled. */
  cancel(state: string): void {
    for (const e of this.entries) if (e.attempt.state === state && e.status === 'pending') e.status = 'cancelled';
  }

  /** Sign-ins still waiting for their callback (not taken, cancelled or expired). */
  get pending(): number {
    const now = this.now();
    return this.entries.filter((e) => e.status === 'pending' && now - e.attempt.createdAt <= this.ttlMs).length;
  }

  /** Forget states older than two TTLs (after that a late callback reads as foreign); keep at most 50. */
  private purge(): void {
    const now = this.now();
    for (let i = this.entries.length - 1; i >= 0; i--) {
      if (now - this.entries[i].attempt.createdAt > 2 * this.ttlMs) this.entries.splice(i, 1);
    }
    if (this.entries.length > 50) this.entries.splice(0, this.entries.length - 50);
  }
}

function digest(s: string): Buffer {
  return createHash('sha256').update(s, 'utf8').digest();
}

// ---------------------------------------------------------------------------------------------------
// The exchange: POST {apiBaseUrl}/auth/keys

export interface ExchangeOptions {
  /** https://openrouter.ai/api/v1 unless configured (a gateway, or the fake server in tests). */
  apiBaseUrl?: string;
  code: string;
  verifier: string;
  /** Injected by tests; otherwise a one-off agent honouring the proxy settings, closed after the call. */
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
        headers: { 'content-type': 'application/json', accept: 'application/json', 'user-agent': opts.userAgent ?? 'openrouter-quota' },
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
      if (!check.ok || check.key !== key) throw new ResponseShapeError(`${what}: the answer's "key" is not shaped like an OpenRouter key`, res.statusCode);
      return key;
    }
    // A server may echo what it was sent, or a key: redact the code, the verifier and anything key-shaped.
    throw errorForStatus(res.statusCode, res.headers as HeaderBag, body, text, EXCHANGE_PATH, (opts.now ?? Date.now)(), secrets);
  } finally {
    if (!opts.dispatcher) await dispatcher.close().catch(() => undefined);
  }
}

// ---------------------------------------------------------------------------------------------------
// What the user reads

/** Why a callback was refused, as a sentence (the adapter adds "Nothing was stored"). */
export function describeRefusal(reason: CallbackRefusal): string {
  switch (reason) {
    case 'missing':
      return 'The sign-in link that came back has no state, so it cannot be matched to a sign-in started here.';
    case 'foreign':
      return 'The sign-in link that came back does not belong to a sign-in started in this window (another window, an earlier session, or a link from elsewhere).';
    case 'replayed':
      return 'That sign-in link was already used; a link works only once.';
    case 'expired':
      return `That sign-in link is more than ${Math.round(SIGN_IN_TTL_MS / 60_000)} minutes old.`;
    case 'cancelled':
      return 'That sign-in was cancelled.';
  }
}

/** A failed exchange, as a sentence without the code, the verifier or a key. */
export function describeExchangeError(e: unknown): string {
  if (!OpenRouterError.is(e)) return `The sign-in failed: ${e instanceof Error ? e.message : String(e)}`;
  const said = e.message ? `: ${e.message}` : '';
  switch (e.reason) {
    case 'forbidden':
      return `OpenRouter did not accept the sign-in code (403${said}). Codes work once and only with the sign-in that asked for them; sign in again.`;
    case 'auth':
      return `OpenRouter refused the sign-in (401${said}).`;
    case 'malformed':
      return `OpenRouter's answer to the sign-in could not be read (${e.message}).`;
    case 'network':
      return `Cannot reach OpenRouter to finish the sign-in: ${e.message}`;
    case 'timeout':
      return `OpenRouter did not answer in time to finish the sign-in (${e.message}).`;
    case 'aborted':
      return 'The sign-in was cancelled.';
    default:
      return e.status === 400
        ? `OpenRouter rejected the sign-in request (400${said}).`
        : `OpenRouter could not finish the sign-in (${e.status ?? e.reason}${said}).`;
  }
}
