// Typed errors for everything that can go wrong talking to OpenRouter. Each carries a `reason` so callers
// switch on data, not on message text, and a static `is()` so checks survive bundling and realms.

export type ErrorReason =
  | 'auth' // 401: key missing, wrong or revoked
  | 'forbidden' // 403: key valid but not allowed (e.g. /credits without a management key)
  | 'payment' // 402: negative balance; OpenRouter then refuses even free models
  | 'rate-limit' // 429
  | 'not-found' // 404
  | 'server' // 5xx or another unexpected status
  | 'network' // connection refused, reset, DNS, TLS
  | 'timeout' // no answer in time
  | 'malformed' // an answer we cannot read
  | 'aborted'; // cancelled by us

export abstract class OpenRouterError extends Error {
  abstract readonly reason: ErrorReason;
  /** HTTP status when the server answered. */
  readonly status?: number;

  constructor(message: string, status?: number, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
    this.status = status;
  }

  static is(e: unknown): e is OpenRouterError {
    return (
      e instanceof OpenRouterError ||
      (typeof e === 'object' &&
        e !== null &&
        typeof (e as { reason?: unknown }).reason === 'string' &&
        e instanceof Error)
    );
  }
}

/** A type guard for one reason, shared by the subclasses' static is(). */
function hasReason<T extends OpenRouterError>(reason: ErrorReason) {
  return (e: unknown): e is T => OpenRouterError.is(e) && e.reason === reason;
}

export class AuthError extends OpenRouterError {
  readonly reason = 'auth' as const;
  static is = hasReason<AuthError>('auth');
}

export class ForbiddenError extends OpenRouterError {
  readonly reason = 'forbidden' as const;
  static is = hasReason<ForbiddenError>('forbidden');
}

export class PaymentRequiredError extends OpenRouterError {
  readonly reason = 'payment' as const;
  static is = hasReason<PaymentRequiredError>('payment');
}

export class NotFoundError extends OpenRouterError {
  readonly reason = 'not-found' as const;
  static is = hasReason<NotFoundError>('not-found');
}

export type RateLimitKind = 'per-minute' | 'per-day' | 'upstream' | 'unknown';

export class RateLimitError extends OpenRouterError {
  readonly reason = 'rate-limit' as const;
  constructor(
    message: string,
    readonly kind: RateLimitKind,
    /** When the limit resets (ms since the epoch), if the answer said. */
    readonly resetsAt: number | undefined,
    /** The limit that was hit (X-RateLimit-Limit), if the answer said. */
    readonly limit: number | undefined,
  ) {
    super(message, 429);
  }
  static is = hasReason<RateLimitError>('rate-limit');
}

export class ServerError extends OpenRouterError {
  readonly reason = 'server' as const;
  constructor(
    message: string,
    status: number,
    /** Retry-After, as ms since the epoch, when the server sent one. */
    readonly retryAt?: number,
  ) {
    super(message, status);
  }
  static is = hasReason<ServerError>('server');
}

export class NetworkError extends OpenRouterError {
  readonly reason = 'network' as const;
  static is = hasReason<NetworkError>('network');
}

export class TimeoutError extends OpenRouterError {
  readonly reason = 'timeout' as const;
  static is = hasReason<TimeoutError>('timeout');
}

export class ResponseShapeError extends OpenRouterError {
  readonly reason = 'malformed' as const;
  static is = hasReason<ResponseShapeError>('malformed');
}

export class AbortedError extends OpenRouterError {
  readonly reason = 'aborted' as const;
  static is = hasReason<AbortedError>('aborted');
}

/** When a caller may try again after this error, as ms since the epoch; undefined when it did not say. */
export function retryHint(e: unknown): number | undefined {
  if (RateLimitError.is(e)) return e.resetsAt;
  if (ServerError.is(e)) return e.retryAt;
  return undefined;
}

/** A short, user-facing sentence for an error (never includes request headers, so never the key). */
export function describeError(e: unknown): string {
  if (!OpenRouterError.is(e)) return e instanceof Error ? e.message : String(e);
  switch (e.reason) {
    case 'auth':
      return 'OpenRouter did not accept the API key (401).';
    case 'forbidden':
      return 'OpenRouter refused this call for this key (403).';
    case 'payment':
      return 'OpenRouter reports a negative balance (402): requests fail, even to free models, until you add credits.';
    case 'rate-limit':
      return `OpenRouter rate limit hit (${e.message}).`;
    case 'not-found':
      return `Not found (404): ${e.message}`;
    case 'server':
      return `OpenRouter answered with an error (${e.status ?? '?'}): ${e.message}`;
    case 'network':
      return `Cannot reach OpenRouter: ${e.message}`;
    case 'timeout':
      return `OpenRouter did not answer in time: ${e.message}`;
    case 'malformed':
      return `OpenRouter sent an answer we cannot read: ${e.message}`;
    case 'aborted':
      return 'Cancelled.';
  }
}
