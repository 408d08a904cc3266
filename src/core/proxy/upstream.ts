// How a client's request is addressed to OpenRouter, and whether a failure to reach it means OpenRouter
// never saw the request (and so never counted it).
import type * as http from 'node:http';
import { forwardHeaders } from './relay';

/** Connection errors after which the request certainly never reached OpenRouter (so it cannot have counted it). */
const NEVER_SENT = new Set([
  'ECONNREFUSED',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'EADDRNOTAVAIL',
  'UND_ERR_CONNECT_TIMEOUT',
  'ERR_TLS_CERT_ALTNAME_INVALID',
  'CERT_HAS_EXPIRED',
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'SELF_SIGNED_CERT_IN_CHAIN',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'EPROTO',
]);

export function neverReachedUpstream(e: unknown): boolean {
  for (let c = e as { code?: unknown; cause?: unknown } | undefined, i = 0; c && i < 4; c = c.cause as typeof c, i++) {
    if (typeof c.code === 'string' && NEVER_SENT.has(c.code)) return true;
  }
  return false;
}

/**
 * Client headers not passed upstream: the credentials are swapped, the length is set from the body read, and
 * `Expect: 100-continue` (curl sends it for large bodies) was answered here, the body being read already
 * (undici refuses to send it).
 */
const DROP_REQUEST_HEADERS = new Set(['authorization', 'x-api-key', 'content-length', 'expect']);

export function upstreamHeaders(
  client: http.IncomingHttpHeaders,
  authorization: string,
  bodySize: number,
): Record<string, string | string[]> {
  const headers = forwardHeaders(client, DROP_REQUEST_HEADERS);
  headers.authorization = authorization;
  if (bodySize > 0) headers['content-length'] = String(bodySize);
  return headers;
}

/** The upstream base URL split for undici's dispatch (origin, path prefix), parsed once per value. */
export class UpstreamBase {
  private last?: { raw: string; origin: string; basePath: string };

  constructor(private readonly url: () => string) {}

  get(): { origin: string; basePath: string } {
    const raw = this.url();
    if (raw !== this.last?.raw) {
      const u = new URL(raw);
      this.last = { raw, origin: u.origin, basePath: u.pathname.replace(/\/+$/, '') };
    }
    return this.last;
  }
}
