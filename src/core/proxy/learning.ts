// What the proxy learns from OpenRouter's 429s: the limit that was hit and when its window resets. A 429
// arrives either as the answer's status (its small body read whole first) or as an error inside a 200,
// which a stream can carry after its headers went out. Either way the account model learns the limit, and
// the pacer stops sending into a minute window OpenRouter says is full.
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
  return classifyRateLimit(body ? parseJson(body) : undefined, headers, now);
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
export function rateLimitTap(status: number, headers: HeaderBag, now: () => number, onRateLimit: (info: RateLimitInfo) => void): ResponseTap | undefined {
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

/** Teach the account model and the pacer what a 429 said. Returns the line to log. */
export function learnRateLimit(info: RateLimitInfo, model: string | undefined, now: number, into: Learner): string {
  const blockUntil = into.account.learn(info, now, model);
  if (blockUntil !== undefined) into.pacer.blockUntil(blockUntil);
  return `OpenRouter answered 429 (${info.kind}${info.limit ? `, limit ${info.limit}` : ''}${info.resetsAt ? `, resets ${new Date(info.resetsAt).toISOString()}` : ''}) for ${model ?? 'a request'}`;
}

function parseJson(b: Buffer): unknown {
  try {
    return JSON.parse(b.toString('utf8'));
  } catch {
    return undefined;
  }
}
