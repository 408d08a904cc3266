// One streamed chat completion, sent to the local metering proxy (so it is counted, paced and attributed
// like every other request) or, when no proxy runs for this key, straight to OpenRouter. Yields the events
// of the answer as they arrive; any failure is a typed OpenRouterError (errors.ts) whose kind says what a
// user can do about it: a 429 keeps its kind (per-minute, per-day, upstream) and reset time.
import type { Dispatcher } from 'undici';
import { request } from '../http/undici';
import { OpenRouterError, RateLimitError, ServerError } from '../errors';
import { redact } from '../logger';
import { errorForStatus, parseJson, readCapped, transportError } from '../openRouterClient';
import { classifyRateLimit, type HeaderBag } from '../rateLimit';
import { judgeAnswer, type ModelTrouble } from '../fallback/policy';
import { ChatStreamError, ChatStreamParser, type StreamEvent } from './stream';

/** Where a chat request goes, and with what credentials. */
export interface ChatTarget {
  /** http://127.0.0.1:PORT/api/v1 (the proxy) or OpenRouter's API base. */
  baseUrl: string;
  /** The local token (proxy) or the key (direct): sent only in the Authorization header. */
  credential: string;
  via: 'proxy' | 'direct';
}

/** How this extension's requests name themselves (openrouter-api.md §7; the proxy's "by client" counts read it). */
export const CHAT_CLIENT_NAME = 'VS Code chat / LM API';

export interface ChatCallOptions {
  dispatcher: Dispatcher;
  /** The extension's versioned User-Agent (core/clientFactory.ts). */
  userAgent?: string;
  signal: AbortSignal;
  now: () => number;
  /** No answer headers within this long: a timeout (default 5 min: the proxy may hold a request for up to 2). */
  headersTimeoutMs?: number;
}

const MAX_ERROR_BODY = 1 << 20;

/** Errors that were the model's own trouble (fallback/policy.ts), before any byte of an answer. */
const TROUBLE = new WeakMap<object, ModelTrouble>();

/** The model's trouble a failed streamChat() met (another free model may serve the request), if that was it. */
export function troubleOf(e: unknown): ModelTrouble | undefined {
  return typeof e === 'object' && e !== null ? TROUBLE.get(e) : undefined;
}

/** Streams the answer to `body` (an OpenAI-style chat request with stream: true). */
export async function* streamChat(
  target: ChatTarget,
  body: Record<string, unknown>,
  o: ChatCallOptions,
): AsyncGenerator<StreamEvent> {
  const secrets = [target.credential];
  const what = `POST /chat/completions${target.via === 'proxy' ? ' (through the local proxy)' : ''}`;
  const timeoutMs = o.headersTimeoutMs ?? 300_000;
  const deadline = new AbortController().signal; // no overall deadline: an answer may stream for minutes
  let res: Dispatcher.ResponseData;
  try {
    res = await request(`${target.baseUrl}/chat/completions`, {
      method: 'POST',
      dispatcher: o.dispatcher,
      signal: o.signal,
      headers: {
        authorization: `Bearer ${target.credential}`,
        'content-type': 'application/json',
        accept: 'text/event-stream',
        ...(o.userAgent ? { 'user-agent': o.userAgent } : {}),
        'x-title': CHAT_CLIENT_NAME,
        'x-openrouter-title': CHAT_CLIENT_NAME,
        'x-openrouter-categories': 'ide-extension',
      },
      body: JSON.stringify(body),
      headersTimeout: timeoutMs,
      bodyTimeout: timeoutMs,
    });
  } catch (e) {
    throw transportError(e, what, { signal: o.signal, deadline, timeoutMs, secrets });
  }
  if (res.statusCode < 200 || res.statusCode >= 300) {
    let text = '';
    try {
      text = await readCapped(res.body, MAX_ERROR_BODY);
    } catch {
      // an error answer we cannot read whole: its status says enough
    }
    const json = parseJson(text);
    const error = errorForStatus(
      res.statusCode,
      res.headers as HeaderBag,
      json,
      text,
      '/chat/completions',
      o.now(),
      secrets,
    );
    const trouble = judgeAnswer(res.statusCode, json, res.headers as HeaderBag, o.now()).trouble;
    if (trouble) TROUBLE.set(error, trouble);
    throw error;
  }
  const parser = new ChatStreamParser();
  try {
    for await (const chunk of res.body) {
      for (const ev of parser.push(chunk as Buffer)) {
        if (ev.kind === 'error') throw midStreamError(ev, o.now(), secrets);
        yield ev;
      }
    }
    for (const ev of parser.end()) {
      if (ev.kind === 'error') throw midStreamError(ev, o.now(), secrets);
      yield ev;
    }
  } catch (e) {
    res.body.destroy();
    if (e instanceof OpenRouterError) throw e;
    if (e instanceof ChatStreamError) throw new ServerError(e.message, res.statusCode);
    throw transportError(e, what, { signal: o.signal, deadline, timeoutMs, secrets });
  }
}

/** An error sent inside a 200 stream: a 429 keeps its kind; anything else is the server's error. */
function midStreamError(ev: Extract<StreamEvent, { kind: 'error' }>, now: number, secrets: string[]): OpenRouterError {
  if (Number(ev.code) === 429) {
    const info = classifyRateLimit(ev.body, undefined, now);
    return new RateLimitError(redact(info.message, secrets), info.kind, info.resetsAt, info.limit);
  }
  return new ServerError(
    redact(ev.message || 'The model stopped with an error.', secrets),
    typeof ev.code === 'number' ? ev.code : 200,
  );
}
