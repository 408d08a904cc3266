// Reads OpenRouter's rate-limit answers: 429 bodies (several generations of them, see
// shared/openrouter-api.md §4), X-RateLimit-* headers on the response or copied into
// error.metadata.headers, and Retry-After. Pure functions: the client and the proxy both use them.
import type { RateLimitKind } from './errors';

export type HeaderBag = Record<string, string | string[] | undefined>;

export interface RateLimitInfo {
  kind: RateLimitKind;
  /** X-RateLimit-Limit: the ceiling that was hit. */
  limit?: number;
  remaining?: number;
  /** When the window resets, ms since the epoch (from X-RateLimit-Reset, else Retry-After). */
  resetsAt?: number;
  message: string;
}

/** The OpenRouter error envelope `{error:{code, message, metadata?}}`; code may be a number or a string. */
export interface ErrorEnvelope {
  code?: number | string;
  message: string;
  metadata?: Record<string, unknown>;
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** The error object of a JSON answer: top-level `error`, or `choices[0].error` inside a 200 body. */
export function findErrorEnvelope(body: unknown): ErrorEnvelope | undefined {
  if (!isObject(body)) return undefined;
  const candidates = [body.error];
  if (Array.isArray(body.choices) && isObject(body.choices[0])) candidates.push(body.choices[0].error);
  for (const c of candidates) {
    if (!isObject(c)) continue;
    const message =
      typeof c.message === 'string' ? c.message : typeof c.message === 'undefined' ? '' : safeString(c.message);
    const code = typeof c.code === 'number' || typeof c.code === 'string' ? c.code : undefined;
    return { code, message, metadata: isObject(c.metadata) ? c.metadata : undefined };
  }
  return undefined;
}

/** String() that cannot throw: a JSON object with its own `toString` key has no usable primitive value. */
function safeString(v: unknown): string {
  try {
    return String(v);
  } catch {
    return '';
  }
}

export function header(headers: HeaderBag | undefined, name: string): string | undefined {
  if (!headers) return undefined;
  const want = name.toLowerCase();
  for (const [k, v] of Object.entries(headers)) {
    if (k.toLowerCase() !== want || v === undefined) continue;
    // error.metadata.headers comes from a JSON body: a value may be a number, an object, anything.
    const first: unknown = Array.isArray(v) ? v[0] : v;
    return typeof first === 'string' ? first : undefined;
  }
  return undefined;
}

/** Larger than this is not a time a Date can hold (new Date(t).toISOString() would throw). */
const MAX_TIME = 8.64e15;
const asTime = (t: number): number | undefined => (Number.isFinite(t) && Math.abs(t) <= MAX_TIME ? t : undefined);

function toNumber(v: string | undefined): number | undefined {
  if (v === undefined || v.trim() === '') return undefined;
  const n = Number(v.trim());
  return Number.isFinite(n) ? n : undefined;
}

/**
 * X-RateLimit-Reset is observed as milliseconds since the epoch, sent as a string. Older or re-wrapped
 * answers may use seconds, so values below 1e12 are taken as seconds since the epoch, and small values
 * (under ~a year) as seconds from now, the way some gateways send it.
 */
export function parseResetValue(raw: string | undefined, now: number): number | undefined {
  const n = toNumber(raw);
  if (n === undefined || n < 0) return undefined;
  if (n >= 1e12) return asTime(Math.round(n));
  if (n >= 1e9) return asTime(Math.round(n * 1000));
  if (n < 3.2e7) return asTime(now + Math.round(n * 1000));
  return undefined;
}

/** Retry-After: delay in seconds, or an HTTP date. Returns ms since the epoch. */
export function parseRetryAfter(raw: string | undefined, now: number): number | undefined {
  if (raw === undefined) return undefined;
  const n = toNumber(raw);
  if (n !== undefined) return n >= 0 ? asTime(now + Math.round(n * 1000)) : undefined;
  // Every HTTP-date form has a time of day; without this, V8's lenient Date.parse turns text such as
  // "garbage 2027" into 00:00 on 1 Jan 2027, which then reads as a daily reset.
  if (!/\d{1,2}:\d{2}:\d{2}/.test(raw)) return undefined;
  return asTime(Date.parse(raw));
}

/** Classify a rate-limit answer: our per-minute window, our per-day quota, or an upstream provider's limit. */
export function classifyRateLimit(body: unknown, headers: HeaderBag | undefined, now: number): RateLimitInfo {
  const env = findErrorEnvelope(body);
  const meta = env?.metadata ?? {};
  const metaHeaders = isObject(meta.headers) ? (meta.headers as HeaderBag) : undefined;
  const pick = (name: string) => header(headers, name) ?? header(metaHeaders, name);

  const limit = toNumber(pick('X-RateLimit-Limit'));
  const remaining = toNumber(pick('X-RateLimit-Remaining'));
  const availability =
    isObject(body) && isObject(body.error) && isObject(body.error.availability) ? body.error.availability : undefined;
  // The capacity_exhausted body says when to retry in availability.retry_after (seconds), not in a header.
  const bodyRetry =
    typeof availability?.retry_after === 'number' ? parseRetryAfter(String(availability.retry_after), now) : undefined;
  const resetsAt =
    parseResetValue(pick('X-RateLimit-Reset'), now) ?? parseRetryAfter(pick('Retry-After'), now) ?? bodyRetry;
  const message = (env?.message ?? '').trim() || 'Rate limit exceeded';
  const source = typeof meta.limit_source === 'string' ? meta.limit_source : '';

  let kind: RateLimitKind = 'unknown';
  if (/free-models-per-min/i.test(message) || source === 'openrouter_per_model_minute') kind = 'per-minute';
  else if (/free-models-per-day/i.test(message) || source === 'openrouter_free_tier_daily') kind = 'per-day';
  else if (
    source === 'upstream_provider_shared_pool' ||
    source === 'openrouter_shared_capacity' ||
    /provider returned error/i.test(message) ||
    (typeof meta.provider_name === 'string' && meta.provider_name !== '') ||
    availability !== undefined
  ) {
    kind = 'upstream';
  } else if (resetsAt !== undefined) {
    // No words to go by: a reset at exactly 00:00 UTC is the daily window, a whole minute within the
    // next minute is the per-minute window.
    if (resetsAt % 86_400_000 === 0 && resetsAt > now) kind = 'per-day';
    else if (resetsAt % 60_000 === 0 && resetsAt > now && resetsAt - now <= 60_000) kind = 'per-minute';
  }
  return { kind, limit, remaining, resetsAt, message };
}
