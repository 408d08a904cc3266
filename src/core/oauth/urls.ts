// The two URLs of "Sign in with OpenRouter": the auth page we send the browser to, and the callback that
// comes back. OpenRouter has no `state` parameter, so ours rides in the callback URL's query; why, and how
// a naive append is recovered from: docs/oauth.md.

export const DEFAULT_AUTH_URL = 'https://openrouter.ai/auth';
/** The path of the callback URI the UriHandler answers (vscode://<extension id>/auth-callback?state=…). */
export const CALLBACK_PATH = '/auth-callback';

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
  if (url.protocol !== 'https:' && url.protocol !== 'http:')
    throw new RangeError(`the sign-in page must be an http(s) URL, not ${url.protocol}`);
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
  return {
    state: pick('state'),
    code: pick('code'),
    error: pick('error'),
    errorDescription: pick('error_description'),
  };
}
