// What the proxy learns from OpenRouter's 429s: the limit that was hit and when its window resets. A 429
// arrives either as the answer's status (its small body read whole first) or as an error inside a 200,
// which a stream can carry after its headers went out. Either way the account model learns the limit, and
// the pacer stops sending into a minute window OpenRouter says is full.
import { parseAnswerBody } from '../fallback/policy';
import { blockEnd, PLAUSIBLE_PER_DAY, PLAUSIBLE_PER_MINUTE, plausibleLimit } from '../account/limits';
import type { AccountModel } from '../account/model';
import { classifyRateLimit, findErrorEnvelope, type HeaderBag, type RateLimitInfo } from '../rateLimit';
import type { MinutePacer } from './pacer';
import { jsonBodyTap, type ResponseTap, sseErrorTap } from './sseTap';

/** What learning changes. */
export interface Learner {
  account: Pick<AccountModel, 'learn'>;
  pacer: Pick<MinutePacer, 'blockUntil'>;
}

/** A 429 answer: its body is undefined when it was too large or broke off (the headers may still tell). */
export function rateLimitOfAnswer(body: Buffer | undefined, headers: HeaderBag, now: number): RateLimitInfo {
  return classifyRateLimit(parseAnswerBody(body, headers), headers, now);
}

/** An error event of a 200 answer (SSE event or JSON body): only one whose code says 429 is a rate limit. */
export function rateLimitOfEvent(event: unknown, now: number): RateLimitInfo | undefined {
  const env = findErrorEnvelope(event);
  return env && Number(env.code) === 429 ? classifyRateLimit(event, undefined, now) : undefined;
}

/**
 * A watcher for the rate limits a 200 answer may carry in its body. Compressed bodies are not inspected:
 * inflating them only to look would cost every response for a rare error.
 */
export function rateLimitTap(
  status: number,
  headers: HeaderBag,
  now: () => number,
  onRateLimit: (info: RateLimitInfo) => void,
): ResponseTap | undefined {
  if (status !== 200 || headers['content-encoding']) return undefined;
  const type = String(headers['content-type'] ?? '');
  const onError = (v: unknown) => {
    const info = rateLimitOfEvent(v, now());
    if (info) onRateLimit(info);
  };
  if (type.includes('text/event-stream')) return sseErrorTap(onError);
  if (type.includes('json')) return jsonBodyTap(onError);
  return undefined;
}

/**
 * Teach the account model and the pacer what a 429 said. Returns the line to log, which says when the proxy
 * did not believe the answer: a limit outside the plausible range, a reset past the end of its window (the
 * account model decides both, limits.ts).
 */
export function learnRateLimit(info: RateLimitInfo, model: string | undefined, now: number, into: Learner): string {
  const blockUntil = into.account.learn(info, now, model);
  if (blockUntil !== undefined) into.pacer.blockUntil(blockUntil);
  const range =
    info.kind === 'per-minute' ? PLAUSIBLE_PER_MINUTE : info.kind === 'per-day' ? PLAUSIBLE_PER_DAY : undefined;
  const limit =
    info.limit === undefined
      ? ''
      : range && !plausibleLimit(info.limit, range)
        ? `, limit ${info.limit} ignored (not within ${range[0]}-${range[1]})`
        : `, limit ${info.limit}`;
  const end = blockEnd(info.kind, info.resetsAt, now);
  const reset =
    info.resetsAt === undefined
      ? ''
      : `, resets ${iso(info.resetsAt)}${end !== undefined && end < info.resetsAt ? `, believed only until ${iso(end)}` : ''}`;
  return `OpenRouter answered 429 (${info.kind}${limit}${reset}) for ${model ?? 'a request'}`;
}

const iso = (t: number) => new Date(t).toISOString();
