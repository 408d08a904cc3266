// What the local token opens. The proxy swaps the token for the user's real OpenRouter key, and a key can do
// more than run models: with a management key, GET/POST /keys, PATCH and DELETE /keys/… create, change and
// delete keys; /credits and /activity read the account. Any local program that can read the token (its file,
// a tool's config it was pasted into, a terminal's environment) would get all of that through the proxy. So
// the token opens only what the proxy exists for: inference, and the read-only endpoints tools call around
// it. Everything else is answered 403 (access.ts) and never forwarded, unless the user opens a path prefix
// on purpose (openrouterQuota.proxy.extraPaths, the CLI's --allow-path). A client that sends its own sk-or-
// key is not limited: it already holds what the token stands for.
//
// The README's "The local proxy" section lists these entries; test/unit/proxyScope.test.ts keeps the two equal.

import type { IncomingHttpHeaders } from 'node:http';

/** Where OpenRouter's API lives, on the proxy as upstream. */
export const API_PREFIX = '/api/v1';

export interface ScopeEntry {
  method: 'GET' | 'POST';
  /** The path under /api/v1; a `{name}` segment stands for any one segment (see WILDCARD_SEGMENT). */
  path: string;
}

export const TOKEN_SCOPE: readonly ScopeEntry[] = [
  // Inference: what the tools the proxy is for send (counted and paced when the model is free).
  { method: 'POST', path: '/chat/completions' }, // OpenAI-compatible chat: Cline, Continue, aider, the SDKs, our chat models
  { method: 'POST', path: '/completions' }, // legacy text completions (editor autocomplete, older clients)
  { method: 'POST', path: '/responses' }, // the OpenAI Responses API, which newer OpenAI SDK clients use
  { method: 'POST', path: '/embeddings' }, // embeddings (codebase indexing, retrieval tools)
  // Read-only: what tools read around inference. None of them changes anything or spends credits.
  { method: 'GET', path: '/models' }, // the model list (tools fill their model pickers from it; public anyway)
  { method: 'GET', path: '/models/user' }, // the same list filtered by the account's provider and privacy preferences
  { method: 'GET', path: '/models/{author}/{slug}/endpoints' }, // one model's providers, prices and limits
  { method: 'GET', path: '/key' }, // this key's limits and today's free-model count (quota tools, status lines)
  { method: 'GET', path: '/auth/key' }, // the older name of /key, still answered
  { method: 'GET', path: '/generation' }, // one request's tokens and cost by id (clients read it after a completion)
];

/**
 * What a `{name}` segment accepts: model authors and slugs (`meta-llama`, `llama-3.3-70b-instruct:free`).
 * No `%`: an encoded `/` or `.` could mean another path to the upstream than the one judged here.
 */
const WILDCARD_SEGMENT = /^[A-Za-z0-9._~:@+-]+$/;

/**
 * The segments of a request target's path under /api/v1, empty ones dropped (a base URL ending in "/" makes
 * `//chat/completions`, the same endpoint), or undefined when it is not under /api/v1 or has a fragment (which
 * no client sends, and an upstream might read as part of the path).
 */
function segmentsOf(target: string): string[] | undefined {
  if (target.includes('#')) return undefined;
  const pathname = target.split('?', 1)[0];
  if (pathname !== API_PREFIX && !pathname.startsWith(`${API_PREFIX}/`)) return undefined;
  return pathname
    .slice(API_PREFIX.length)
    .split('/')
    .filter((s) => s !== '');
}

const COMPILED = TOKEN_SCOPE.map((e) => ({ method: e.method, segments: e.path.split('/').filter((s) => s !== '') }));

function onList(method: string, segments: readonly string[]): boolean {
  return COMPILED.some(
    (e) =>
      e.method === method &&
      e.segments.length === segments.length &&
      e.segments.every((want, i) =>
        want.startsWith('{')
          ? WILDCARD_SEGMENT.test(segments[i]) && segments[i] !== '.' && segments[i] !== '..'
          : want === segments[i],
      ),
  );
}

/**
 * Headers some servers read as the real method (a POST that is "really" a DELETE): a request carrying one is
 * judged as unknown rather than trusted to mean its own method.
 */
const METHOD_OVERRIDES = ['x-http-method-override', 'x-http-method', 'x-method-override'];

/** A prefix for extraPaths as its segments, or why it is not one. */
export function parseExtraPath(entry: string): { segments: string[] } | { why: string } {
  const p = entry.trim();
  if (p !== API_PREFIX && !p.startsWith(`${API_PREFIX}/`))
    return { why: `must start with ${API_PREFIX}/ (e.g. ${API_PREFIX}/credits)` };
  if (/[?#%\\\s]/.test(p))
    return { why: 'must be a plain path: no query, fragment, percent-encoding, backslash or space' };
  const segments = p
    .slice(API_PREFIX.length)
    .split('/')
    .filter((s) => s !== '');
  if (segments.some((s) => s === '.' || s === '..')) return { why: 'must not contain . or .. segments' };
  return { segments };
}

/**
 * The token's scope with the user's extra prefixes: built once per extraPaths list (the settings are read
 * once per change), asked once per request.
 */
export class TokenScope {
  /** The extraPaths entries that were ignored, and why. */
  readonly invalid: Array<{ entry: string; why: string }> = [];
  private readonly prefixes: string[][] = [];

  constructor(readonly extraPaths: readonly string[] = []) {
    for (const entry of extraPaths) {
      const r = typeof entry === 'string' ? parseExtraPath(entry) : { why: 'must be a string' };
      if ('why' in r) this.invalid.push({ entry, why: r.why });
      else this.prefixes.push(r.segments);
    }
  }

  /** Whether a request with the token may go out with the key. */
  opens(method: string | undefined, target: string, headers: IncomingHttpHeaders = {}): boolean {
    const segments = segmentsOf(target);
    if (!segments || !method || METHOD_OVERRIDES.some((h) => headers[h] !== undefined)) return false;
    if (onList(method, segments)) return true;
    // An opened prefix matches whole segments: /api/v1/credits opens /api/v1/credits/x, not /api/v1/credits-x.
    return this.prefixes.some((p) => p.length <= segments.length && p.every((s, i) => s === segments[i]));
  }
}

/** The list in words, for the 403's message. */
export function describeScope(): string {
  return TOKEN_SCOPE.map((e) => `${e.method} ${e.path}`).join(', ');
}

/** The prefix a user would add to open this request: /api/v1 and its first segment. */
export function suggestedPrefix(target: string): string {
  const first = target
    .split(/[?#]/, 1)[0]
    .slice(API_PREFIX.length)
    .split('/')
    .find((s) => s !== '');
  return first ? `${API_PREFIX}/${first.slice(0, 60)}` : API_PREFIX;
}
