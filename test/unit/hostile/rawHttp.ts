// A raw socket client for the hostile proxy tests (not a test file): sends bytes exactly as given (malformed
// HTTP, HTTP/1.0, pipelined requests, truncated chunked bodies) and collects what comes back until the
// server closes the connection or the expected number of responses has arrived.
import * as net from 'node:net';

export interface RawExchange {
  /** Everything received. */
  text: string;
  /** The status codes of the responses received, in order. */
  statuses: number[];
  /** The server closed (or reset) the connection. */
  closed: boolean;
}

/**
 * Writes `parts` (in order, each as its own write), then waits for `responses` complete responses or the
 * close of the connection, whichever comes first. `end` half-closes our side after writing.
 */
export function raw(
  port: number,
  parts: Array<string | Buffer>,
  opts: { responses?: number; end?: boolean } = {},
): Promise<RawExchange> {
  return new Promise((resolve) => {
    const sock = net.connect(port, '127.0.0.1');
    const chunks: Buffer[] = [];
    let done = false;
    const finish = (closed: boolean) => {
      if (done) return;
      done = true;
      const text = Buffer.concat(chunks).toString('latin1');
      sock.destroy();
      resolve({ text, statuses: statusesOf(text), closed });
    };
    sock.on('data', (c: Buffer) => {
      chunks.push(c);
      if (opts.responses !== undefined && completeResponses(Buffer.concat(chunks).toString('latin1')) >= opts.responses)
        finish(false);
    });
    sock.on('error', () => finish(true));
    sock.on('close', () => finish(true));
    sock.on('connect', () => {
      for (const p of parts) sock.write(p);
      if (opts.end) sock.end();
    });
  });
}

/** The status codes of the responses in `text`, walking from one to the next by Content-Length. */
export function statusesOf(text: string): number[] {
  return walk(text).statuses;
}

/** Counts responses whose body (by Content-Length) has fully arrived. */
function completeResponses(text: string): number {
  return walk(text).complete;
}

function walk(text: string): { statuses: number[]; complete: number } {
  const statuses: number[] = [];
  let complete = 0;
  let at = 0;
  for (;;) {
    const m = /^HTTP\/1\.[01] (\d{3})/.exec(text.slice(at, at + 16));
    if (!m) break;
    statuses.push(Number(m[1]));
    const headEnd = text.indexOf('\r\n\r\n', at);
    if (headEnd === -1) break;
    const cl = /\r\ncontent-length: *(\d+)/i.exec(text.slice(at, headEnd));
    const end = headEnd + 4 + (cl ? Number(cl[1]) : 0);
    if (text.length < end) break;
    complete++;
    at = end;
  }
  return { statuses, complete };
}
