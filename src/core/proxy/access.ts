// The refusals made before any work is done, and the key a request goes out with. guard.ts holds the checks
// themselves, scope.ts what the local token opens; this file turns them into the answers a client sees.
import type { IncomingHttpHeaders } from 'node:http';
import { bearer, fromBrowser, hostAllowed, hostHeaderCount, tokenMatches } from './guard';
import { HttpError } from './httpUtil';
import { API_PREFIX, describeScope, suggestedPrefix, type TokenScope } from './scope';

export { API_PREFIX } from './scope';

/** Refusals that apply to every route, /quota included: the key must not be reachable from a web page. */
export function refuseForeign(
  headers: IncomingHttpHeaders,
  rawHeaders: readonly string[],
  port: number,
): HttpError | undefined {
  if (hostHeaderCount(rawHeaders) > 1)
    return new HttpError(400, 'Bad Request: more than one Host header.', { connection: 'close' });
  if (!hostAllowed(headers.host, port))
    return new HttpError(
      403,
      'Host not allowed: the local proxy answers only 127.0.0.1, localhost or [::1] with its own port.',
    );
  if (fromBrowser(headers))
    return new HttpError(403, 'Requests from web pages are refused: the local proxy holds your OpenRouter key.');
  return undefined;
}

/** Only /api/v1/* is forwarded, and only paths the upstream URL cannot normalise out of it. */
export function refuseOutsideApi(path: string): HttpError | undefined {
  if ((path !== API_PREFIX && !path.startsWith(`${API_PREFIX}/`)) || escapesPrefix(path))
    return new HttpError(404, `Not found: the proxy serves ${API_PREFIX}/*, /quota and /quota/history.`);
  return undefined;
}

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

export interface Credentials {
  /** The Authorization header to send upstream. */
  authorization: string;
  /** Whether the request is on the metered account (a client's own key of another account is not). */
  ours: boolean;
}

/** Where the current token is, for VS Code and for the CLI (which names its token file on stderr when it starts). */
const WHERE_THE_TOKEN_IS =
  'The current token: in VS Code, "OpenRouter: Copy Proxy Settings" copies it; with the CLI (openrouter-quota proxy), it is $OPENROUTER_QUOTA_TOKEN if you set one, else the contents of the file the proxy names on stderr when it starts ("… kept in <file>").';

/**
 * The local token is swapped for the real key, only for what the token opens (scope.ts); a client's own
 * OpenRouter key passes through unchanged, anywhere.
 */
export function credentialsFor(
  headers: IncomingHttpHeaders,
  apiKey: string,
  token: () => string | undefined,
  request: { method: string | undefined; target: string; scope: TokenScope },
): Credentials | HttpError {
  const given = bearer(headers);
  if (given?.startsWith('sk-or-')) return { authorization: `Bearer ${given}`, ours: given === apiKey };
  if (!tokenMatches(given, token())) {
    return new HttpError(
      401,
      given
        ? `Wrong local proxy token (or one since rotated). ${WHERE_THE_TOKEN_IS}`
        : `Missing Authorization: send "Authorization: Bearer <local proxy token>". ${WHERE_THE_TOKEN_IS}`,
    );
  }
  if (!request.scope.opens(request.method, request.target, headers))
    return outsideScope(request.method, request.target);
  return { authorization: `Bearer ${apiKey}`, ours: true };
}

function outsideScope(method: string | undefined, target: string): HttpError {
  const prefix = suggestedPrefix(target);
  const what = `${method ?? '?'} ${target.split(/[?#]/, 1)[0].slice(0, 200)}`;
  return new HttpError(
    403,
    `The local proxy token does not open ${what}: the proxy sends your OpenRouter key only with inference and read-only requests (${describeScope()} under ${API_PREFIX}), so a program holding the token cannot manage keys or read the account. To open it on purpose, add "${prefix}" to the setting openrouterQuota.proxy.extraPaths (VS Code) or start the CLI with --allow-path ${prefix}; or send your own OpenRouter key instead of the token.`,
    {},
    { reason: 'not-allowed-through-proxy' },
  );
}
