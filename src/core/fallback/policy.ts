// Which of OpenRouter's answers another model can fix. A free model's upstream pool running dry (429
// "rate-limited upstream", `limit_source: upstream_provider_shared_pool`), every provider at capacity
// (`capacity_exhausted`) and a free variant that ended (404 `free_variant_ended`) are the model's trouble:
// waiting does not help, another free model may. The account's own limits (free-models-per-min,
// free-models-per-day) are not: every free model draws on the same counters, so a free fallback would only
// spend another attempt. A per-day 429 is what the paid fallback is for.
//
// What is sure and what is not (shared/openrouter-api.md §4.3): the upstream 429 body is observed [V-obs];
// capacity_exhausted's `error.availability.code` is documented [V-doc]; free_variant_ended is documented as
// a 404 but its body is not, so it is recognised by that code anywhere in the error object, or by its words.
import * as zlib from 'node:zlib';
import { classifyRateLimit, findErrorEnvelope, header, type HeaderBag, type RateLimitInfo } from '../rateLimit';
import type { FallbackReason } from './types';

/** The model's own trouble: another free model may serve the request. */
export type ModelTrouble = Exclude<FallbackReason, 'day-spent'>;

/** Statuses whose (small) error bodies the proxy reads before passing them on, to decide. */
export const DECIDED_STATUSES: ReadonlySet<number> = new Set([404, 429, 503]);

export interface AnswerVerdict {
  /** The model's trouble, if that is what the answer says. */
  trouble?: ModelTrouble;
  /** For a 429: what the rate limit was (the account's minute or day, upstream, unknown). */
  rateLimit?: RateLimitInfo;
}

const isObj = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** Reads an error answer: whose trouble it is. `body` is the parsed JSON (or undefined). */
export function judgeAnswer(status: number, body: unknown, headers: HeaderBag, now: number): AnswerVerdict {
  const error = isObj(body) && isObj(body.error) ? body.error : undefined;
  const availability = error && isObj(error.availability) ? error.availability : undefined;
  const env = findErrorEnvelope(body);
  const source = typeof env?.metadata?.limit_source === 'string' ? env.metadata.limit_source : '';
  if (availability?.code === 'capacity_exhausted' || source === 'openrouter_shared_capacity')
    return { trouble: 'capacity', rateLimit: status === 429 ? classifyRateLimit(body, headers, now) : undefined };
  if (status === 404) return endedVariant(error, env?.message) ? { trouble: 'ended' } : {};
  if (status !== 429) return {};
  const rateLimit = classifyRateLimit(body, headers, now);
  return rateLimit.kind === 'upstream' ? { trouble: 'upstream-rate-limited', rateLimit } : { rateLimit };
}

/** `free_variant_ended` as a code (error.code, error.availability.code, metadata.code, error_type) or in words. */
function endedVariant(error: Record<string, unknown> | undefined, message: string | undefined): boolean {
  if (!error) return false;
  const meta = isObj(error.metadata) ? error.metadata : {};
  const avail = isObj(error.availability) ? error.availability : {};
  const codes = [error.code, error.error_type, avail.code, meta.code, meta.reason];
  if (codes.some((c) => c === 'free_variant_ended')) return true;
  return /free_variant_ended|free (variant|promotion)[^.]{0,40}\bended\b/i.test(message ?? '');
}

/** A held error body is at most this large (relay.ts MAX_HELD_BODY); decoded, it may not grow past it either. */
const MAX_DECODED = 1 << 20;

/**
 * Parses a held error body, decoded first when it came compressed (a client that accepts gzip or br gets
 * OpenRouter's error JSON compressed too); undefined when it is not JSON or cannot be decoded within the cap.
 */
export function parseAnswerBody(body: Buffer | undefined, headers?: HeaderBag): unknown {
  if (!body || body.length === 0) return undefined;
  const coding = (header(headers, 'content-encoding') ?? '').trim().toLowerCase();
  const opts = { maxOutputLength: MAX_DECODED };
  try {
    const bytes =
      coding === 'gzip' || coding === 'x-gzip'
        ? zlib.gunzipSync(body, opts)
        : coding === 'br'
          ? zlib.brotliDecompressSync(body, opts)
          : coding === 'deflate'
            ? inflate(body, opts)
            : body;
    return JSON.parse(bytes.toString('utf8'));
  } catch {
    return undefined;
  }
}

/** `deflate` is zlib-wrapped by the RFC, raw in some servers' hands. */
function inflate(body: Buffer, opts: zlib.ZlibOptions): Buffer {
  try {
    return zlib.inflateSync(body, opts);
  } catch {
    return zlib.inflateRawSync(body, opts);
  }
}
