// A POST client for the request-body tests (not a test file): sends exactly the headers given (no
// Content-Type added, unlike proxyHarness's call()), the body in the parts given, chunked when no length is set.
import * as http from 'node:http';
import { TOKEN } from './proxyHarness';

export const CHAT = '/api/v1/chat/completions';

export interface Answer {
  status: number;
  headers: http.IncomingHttpHeaders;
  text: string;
}

export function post(port: number, parts: Buffer[], headers: http.OutgoingHttpHeaders, path = CHAT): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = http.request(
      {
        host: '127.0.0.1',
        port,
        path,
        method: 'POST',
        setHost: false,
        agent: false,
        headers: { host: `127.0.0.1:${port}`, authorization: `Bearer ${TOKEN}`, ...headers },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () =>
          resolve({ status: res.statusCode ?? 0, headers: res.headers, text: Buffer.concat(chunks).toString() }),
        );
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    for (const p of parts) req.write(p);
    req.end();
  });
}
