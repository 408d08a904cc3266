// Who may use the proxy. It holds the user's OpenRouter key, so: only this machine (loopback socket and a
// Host header naming the proxy itself, which defeats DNS rebinding), never a web page (any Origin header is
// refused: browsers always send one on cross-site requests), and only a client that knows the local token.
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';

const LOOPBACK_HOSTS = new Set(['127.0.0.1', 'localhost', '[::1]']);

/** The Host header must be 127.0.0.1, localhost or [::1] with exactly the proxy's port. */
export function hostAllowed(host: string | undefined, port: number): boolean {
  if (!host) return false;
  const m = /^(\[[^\]]+\]|[^:]+)(?::(\d+))?$/.exec(host.trim().toLowerCase());
  if (!m) return false;
  return LOOPBACK_HOSTS.has(m[1]) && Number(m[2] ?? 80) === port;
}

/**
 * How many Host headers came (`rawHeaders` is [name, value, name, value, …]). Node keeps the first of several,
 * so a second could be the one another hop reads; RFC 9112 (3.2) says to answer 400.
 */
export function hostHeaderCount(rawHeaders: readonly string[]): number {
  let n = 0;
  for (let i = 0; i < rawHeaders.length; i += 2)
    if (rawHeaders[i].length === 4 && rawHeaders[i].toLowerCase() === 'host') n++;
  return n;
}

/** Any Origin (or a Sec-Fetch-Site from a browser) means a web page is asking: refused. */
export function fromBrowser(headers: IncomingHttpHeaders): boolean {
  return (
    headers.origin !== undefined || (headers['sec-fetch-site'] !== undefined && headers['sec-fetch-site'] !== 'none')
  );
}

/** A new client token: 32 random bytes, URL-safe, recognisably ours (never starts with sk-or-). */
export function generateToken(): string {
  return `orq-${randomBytes(32).toString('base64url')}`;
}

const digest = (s: string) => createHash('sha256').update(s).digest();
/** The expected token's digest, computed once per token (it changes only when rotated). */
let expectedDigest: { token: string; digest: Buffer } | undefined;

/** Constant-time comparison (hashing first makes the lengths equal). */
export function tokenMatches(given: string | undefined, expected: string | undefined): boolean {
  if (!given || !expected) return false;
  if (expectedDigest?.token !== expected) expectedDigest = { token: expected, digest: digest(expected) };
  return timingSafeEqual(digest(given), expectedDigest.digest);
}

/** The token or key from `Authorization: Bearer …` (or `x-api-key`, which some clients send). */
export function bearer(headers: IncomingHttpHeaders): string | undefined {
  const auth = headers.authorization;
  if (auth) {
    const m = /^Bearer\s+(.+)$/i.exec(auth.trim());
    return m ? m[1].trim() : undefined;
  }
  const x = headers['x-api-key'];
  return typeof x === 'string' ? x.trim() : undefined;
}
