// The proxy's HTTP plumbing: the node:http server with its limits and the answers the
// proxy gives itself (in OpenRouter's error envelope, so clients that understand OpenRouter understand us).
import * as http from 'node:http';
import { errorText, type Logger } from '../logger';

/** An answer the proxy gives itself instead of forwarding: a refusal, its own 429, an upstream failure. */
export class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly headers: Record<string, string> = {},
    readonly metadata?: Record<string, unknown>,
  ) {
    super(message);
  }
}

/**
 * A loopback HTTP server that answers `handle`'s failures with a 500 (or drops the connection once the
 * answer has begun), and the protocol errors Node meets before any handler runs like Node itself would.
 */
export function createProxyServer(
  requestTimeoutMs: number,
  log: Logger,
  handle: (req: http.IncomingMessage, res: http.ServerResponse) => Promise<void>,
): http.Server {
  /** The request being answered on each socket: a parse error there must not write into its response. */
  const answering = new WeakMap<object, { req: http.IncomingMessage; res: http.ServerResponse }>();
  // Slow or idle clients: Node answers 408 and closes when the request is not complete in time.
  const server = http.createServer(
    {
      requestTimeout: requestTimeoutMs,
      headersTimeout: Math.min(30_000, requestTimeoutMs),
      keepAliveTimeout: 5_000,
      connectionsCheckingInterval: Math.min(30_000, Math.max(50, requestTimeoutMs / 4)),
    },
    (req, res) => {
      const socket = req.socket;
      answering.set(socket, { req, res });
      res.on('close', () => {
        if (answering.get(socket)?.res === res) answering.delete(socket);
      });
      handle(req, res).catch((e: unknown) => {
        log.error(`proxy: ${errorText(e)}`);
        if (!res.headersSent) sendError(res, new HttpError(500, 'internal error in the local proxy'));
        else res.destroy();
      });
    },
  );
  // Malformed HTTP, headers over Node's 16 KB, a client too slow: answer like Node's own default (which a
  // clientError listener replaces) when no response is under way on the socket, then drop the connection.
  server.on('clientError', (e: NodeJS.ErrnoException, socket) => {
    const current = answering.get(socket);
    if (
      e.code === 'ERR_HTTP_REQUEST_TIMEOUT' &&
      current &&
      answerBodyTimeout(current.req, current.res, requestTimeoutMs)
    )
      return;
    const status =
      e.code === 'HPE_HEADER_OVERFLOW'
        ? '431 Request Header Fields Too Large'
        : e.code === 'ERR_HTTP_REQUEST_TIMEOUT'
          ? '408 Request Timeout'
          : '400 Bad Request';
    if (socket.writable && !answering.has(socket) && e.code !== 'ECONNRESET')
      socket.write(`HTTP/1.1 ${status}\r\nConnection: close\r\n\r\n`);
    socket.destroy();
  });
  return server;
}

/**
 * The body stopped arriving after the handler got the request (a header-phase timeout never reaches one):
 * answer 408 through its response, as Node itself does when no answer has begun, unless one has. The answer
 * says `connection: close`, so Node closes the socket once it is sent, and the handler sees the request end
 * as aborted. False when the answer has begun (then the caller only drops the connection).
 */
function answerBodyTimeout(req: http.IncomingMessage, res: http.ServerResponse, timeoutMs: number): boolean {
  if (req.complete || res.headersSent || !req.socket.writable) return false;
  sendError(
    res,
    new HttpError(
      408,
      `The request was not received in full within ${timeoutMs / 1000} s: the client stopped sending its body.`,
    ),
    true,
  );
  return true;
}

export function sendJson(
  res: http.ServerResponse,
  status: number,
  body: unknown,
  headers: Record<string, string> = {},
  close = false,
): void {
  const text = JSON.stringify(body);
  res.writeHead(status, {
    'content-type': 'application/json',
    'content-length': Buffer.byteLength(text),
    'cache-control': 'no-store',
    ...(close ? { connection: 'close' } : {}),
    ...headers,
  });
  res.end(text);
}

/** `close`: after a body too large to read, the connection cannot be reused. */
export function sendError(res: http.ServerResponse, e: HttpError, close = false): void {
  sendJson(
    res,
    e.status,
    { error: { code: e.status, message: e.message, ...(e.metadata ? { metadata: e.metadata } : {}) } },
    e.headers,
    close,
  );
}
