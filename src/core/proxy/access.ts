// The refusals made before any work is done, and the key a request goes out with. guard.ts holds the checks
// themselves; this file turns them into the answers a client sees.
import type { IncomingHttpHeaders } from 'node:http';
import { bearer, fromBrowser, hostAllowed, tokenMatches } from './guard';
import { HttpError } from './httpUtil';

export const API_PREFIX = '/api/v1';

/** Refusals that apply to every route, /quota included: the key must not be reachable from a web page. */
export function refuseForeign(headers: IncomingHttpHeaders, port: number): HttpError | undefined {
  if (!hostAllowed(headers.host, port)) return new HttpError(403, 'Host not allowed: the local proxy answers only 127.0.0.1, localhost or [::1] with its own port.');
  if (fromBrowser(headers)) return new HttpError(403, 'Requests from web pages are refused: the local proxy holds your OpenRouter key.');
  return undefined;
}

/** Only /api/v1/* is forwarded, and only paths the upstream URL cannot normalise out of it. */
export function refuseOutsideApi(path: string): HttpError | undefined {
  if ((path !== API_PREFIX && !path.startsWith(`${API_PREFIX}/`)) || escapesPrefix(path)) return new HttpError(404, `Not found: the proxy serves ${API_PREFIX}/*, /quota and /quota/history.`);
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

/** The local token is swapped for the real key; a client's own OpenRouter key passes through unchanged. */
export function credentialsFor(headers: IncomingHttpHeaders, apiKey: string, token: () => string | undefined): Credentials | HttpError {
  const given = bearer(headers);
  if (given?.startsWith('sk-or-')) return { authorization: `Bearer ${given}`, ours: given === apiKey };
  if (tokenMatches(given, token())) return { authorization: `Bearer ${apiKey}`, ours: true };
  return new HttpError(401, given ? 'Wrong local proxy token: copy it again with "OpenRouter: Copy Proxy Settings".' : 'Missing Authorization: send "Authorization: Bearer <local proxy token>".');
}
