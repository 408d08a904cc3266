// One request relayed to the upstream and its answer relayed back, on undici's dispatch API: each chunk of
// the upstream's body is written to the client as it arrives (backpressure pauses the upstream socket), so
// SSE events are never held back and compressed bodies pass as they came. The stream-based request() +
// pipeline() this replaces cost ~2x the CPU of a plain node:http pipe per small request (a body stream, a
// pipeline, an AbortController and a DOMException each time); this path costs less than that pipe
// (bench/RESULTS.md).
import type * as http from 'node:http';
import type { Dispatcher } from 'undici';
import type { HeaderBag } from '../rateLimit';
import type { CancelSignal } from './pacer';
import type { ResponseTap } from './sseTap';

/** A 429's (or held answer's) body is read whole to learn from it; beyond this it is passed on unread. */
const MAX_HELD_BODY = 1 << 20;

// RFC 9110 §7.6.1 hop-by-hop headers, plus the ones we set ourselves.
const HOP_BY_HOP = new Set([
  'connection',
  'keep-alive',
  'proxy-connection',
  'proxy-authenticate',
  'proxy-authorization',
  'te',
  'trailer',
  'transfer-encoding',
  'upgrade',
  'host',
]);

/** End-to-end headers only: hop-by-hop ones, those named in Connection, and `drop` are left out. */
export function forwardHeaders(
  headers: http.IncomingHttpHeaders | HeaderBag,
  drop?: ReadonlySet<string>,
): Record<string, string | string[]> {
  const connection = headers.connection;
  const named = connection
    ? new Set(
        String(connection)
          .split(',')
          .map((t) => t.trim().toLowerCase()),
      )
    : undefined;
  const out: Record<string, string | string[]> = {};
  for (const k in headers) {
    const v = headers[k];
    if (v === undefined) continue;
    const name = k.toLowerCase();
    if (HOP_BY_HOP.has(name) || named?.has(name) || drop?.has(name)) continue;
    out[name] = v;
  }
  return out;
}

/**
 * Set when the client goes away (its response closed before it finished): cancels a wait in the pacer and
 * the upstream request. A plain object rather than an AbortController, which costs a DOMException and an
 * EventTarget per request.
 */
export class ClientGone implements CancelSignal {
  aborted = false;
  private listeners: Array<() => void> = [];

  /** Like an AbortSignal's: a listener added after fire() is not called (callers check `aborted` first). */
  addEventListener(_type: 'abort', listener: () => void): void {
    if (!this.aborted) this.listeners.push(listener);
  }

  removeEventListener(_type: 'abort', listener: () => void): void {
    const i = this.listeners.indexOf(listener);
    if (i >= 0) this.listeners.splice(i, 1);
  }

  fire(): void {
    if (this.aborted) return;
    this.aborted = true;
    for (const l of this.listeners.splice(0)) l();
  }
}

export interface RelayRequest {
  dispatcher: Dispatcher;
  origin: string;
  path: string;
  method: string;
  headers: Record<string, string | string[]>;
  /**
   * The request body: the chunks it came in (sent one after another, not joined), or a stream of them that
   * undici pulls as its socket takes them (bodyStream.ts); a stream that throws aborts the request.
   */
  body: readonly Buffer[] | AsyncIterable<Buffer>;
  gone: ClientGone;
  res: http.ServerResponse;
  /** Called with a 429's body (undefined when it was too large or broke off) before it is passed on. */
  onRateLimited: (body: Buffer | undefined, headers: HeaderBag) => void;
  /** A watcher of the body of a non-429 answer, if it needs one. */
  tapFor: (status: number, headers: HeaderBag) => ResponseTap | undefined;
  /**
   * Answers with these statuses are held whole (up to MAX_HELD_BODY) before anything reaches the client, and
   * `retry` decides: true ends the relay with { kind: 'retry' } and nothing written, so the caller can send
   * the request elsewhere (the fallback); false passes the answer on. 429s are always held (to learn from).
   */
  hold?: {
    statuses: ReadonlySet<number>;
    retry: (status: number, headers: HeaderBag, body: Buffer | undefined) => boolean;
  };
  /** Headers added to the answer passed on (the fallback's). */
  responseHeaders?: Record<string, string>;
  /** The first byte of the answer's body arrived (or the answer ended without one). */
  onFirstByte?: () => void;
}

export type RelayOutcome =
  /** The answer was passed on whole. */
  | { kind: 'done'; status: number }
  /** The upstream failed after the answer had begun; the client's response was destroyed. */
  | { kind: 'broken'; status: number; error: Error }
  /** No answer from the upstream; nothing was written: the caller answers. */
  | { kind: 'failed'; error: Error }
  /** The client left first. */
  | { kind: 'cancelled' }
  /** `hold.retry` said so: the held answer, nothing written to the client. */
  | { kind: 'retry'; status: number; headers: HeaderBag; body: Buffer };

const TIMEOUT_MS = 300_000;

const isArray = (b: RelayRequest['body']): b is readonly Buffer[] => Array.isArray(b);

/** Sends the request upstream and streams the answer to `res`. Never rejects; says how it ended. */
export function relay(r: RelayRequest): Promise<RelayOutcome> {
  const { res, gone } = r;
  return new Promise<RelayOutcome>((resolve) => {
    let controller: Dispatcher.DispatchController | undefined;
    let status = 0;
    let upHeaders: HeaderBag = {};
    let started = false; // writeHead called
    let dataSeen = false;
    let tap: ResponseTap | undefined;
    /** Collecting a 429's body. */
    let held: Buffer[] | undefined;
    let heldBytes = 0;
    let settled = false;
    const settle = (o: RelayOutcome) => {
      if (settled) return;
      settled = true;
      gone.removeEventListener('abort', onGone);
      res.off('drain', onDrain);
      resolve(o);
    };
    const onGone = () => {
      controller?.abort(new Error('the client closed the connection'));
      settle({ kind: 'cancelled' });
    };
    const onDrain = () => controller?.resume();
    gone.addEventListener('abort', onGone);
    res.on('drain', onDrain);

    let firstByte = false;
    const first = () => {
      if (firstByte) return;
      firstByte = true;
      r.onFirstByte?.();
    };
    const begin = () => {
      started = true;
      const h = forwardHeaders(upHeaders);
      if (r.responseHeaders) Object.assign(h, r.responseHeaders);
      res.writeHead(status, h);
      // Headers go out with the first body bytes when those came in the same read (one write instead of
      // two); when they did not, right after it, so a client waiting on a slow first event sees them.
      queueMicrotask(() => {
        if (!dataSeen && !res.writableEnded && !res.destroyed) res.flushHeaders();
      });
    };
    /** The held answer, whole: learnt from (a 429), offered for a retry; true when it was passed on. */
    const decideHeld = (): boolean => {
      const whole = heldBytes <= MAX_HELD_BODY ? Buffer.concat(held ?? []) : undefined;
      if (status === 429) r.onRateLimited(whole, upHeaders);
      if (whole && r.hold?.retry(status, upHeaders, whole)) {
        held = undefined;
        settle({ kind: 'retry', status, headers: upHeaders, body: whole });
        return false;
      }
      passHeld();
      return true;
    };
    const passHeld = () => {
      const chunks = held ?? [];
      held = undefined;
      begin();
      dataSeen = chunks.length > 0;
      for (const c of chunks) res.write(c);
    };

    const handler: Dispatcher.DispatchHandler = {
      onRequestStart(c) {
        controller = c;
        if (gone.aborted) c.abort(new Error('the client closed the connection'));
      },
      onResponseStart(_c, statusCode, headers) {
        if (statusCode < 200) return; // 1xx: informational, not forwarded
        status = statusCode;
        upHeaders = headers as HeaderBag;
        if (status === 429 || r.hold?.statuses.has(status)) {
          held = [];
          return;
        }
        begin();
        tap = r.tapFor(status, upHeaders);
      },
      onResponseData(c, chunk) {
        first();
        if (held) {
          held.push(chunk);
          heldBytes += chunk.length;
          if (heldBytes <= MAX_HELD_BODY) return;
          decideHeld(); // absurdly large for an error answer: stop holding it back
          return;
        }
        dataSeen = true;
        tap?.push(chunk);
        if (!res.write(chunk)) c.pause();
      },
      onResponseEnd() {
        first();
        if (held && !decideHeld()) return;
        res.end();
        tap?.end();
        settle({ kind: 'done', status });
      },
      onResponseError(_c, error) {
        if (gone.aborted) return settle({ kind: 'cancelled' });
        if (held && status === 429) r.onRateLimited(undefined, upHeaders); // learn from its headers at least
        if (started) {
          res.destroy();
          return settle({ kind: 'broken', status, error });
        }
        settle({ kind: 'failed', error });
      },
    };

    // undici sends an iterable body chunk by chunk, a sync one or an async one (lib/dispatcher/client-h1.js
    // writeIterable: the next chunk is asked for once the last is written, so a slow upstream slows the reading).
    const chunks = r.body;
    const body = (
      !isArray(chunks) ? chunks : chunks.length === 0 ? null : chunks.length === 1 ? chunks[0] : chunks
    ) as Buffer | null;
    try {
      r.dispatcher.dispatch(
        {
          origin: r.origin,
          path: r.path,
          method: r.method as Dispatcher.HttpMethod,
          headers: r.headers,
          body,
          headersTimeout: TIMEOUT_MS,
          bodyTimeout: TIMEOUT_MS,
        },
        handler,
      );
    } catch (e) {
      settle({ kind: 'failed', error: e instanceof Error ? e : new Error(String(e)) });
    }
  });
}
