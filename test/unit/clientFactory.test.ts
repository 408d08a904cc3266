// ClientFactory over real HTTP on 127.0.0.1: clients of one factory (and the sign-in exchange) share one
// keep-alive connection and send the versioned User-Agent; a client's close() leaves the agent open, the
// factory's close() ends it. The server numbers its sockets, so "one connection" is what it saw.
import * as assert from 'node:assert/strict';
import { once } from 'node:events';
import * as http from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { ClientFactory, cliUserAgent, extensionUserAgent } from '../../src/core/clientFactory';
import { NetworkError } from '../../src/core/errors';
import { exchangeCode } from '../../src/core/oauth/exchange';
import { OpenRouterClient } from '../../src/core/openRouterClient';
import { TEST_KEY } from '../fixtures/fakeOpenRouter';
import { KEY_LIVE_2026_10 } from '../fixtures/openRouterBodies';
import { failure, isolateProxyEnv } from './helpers';

const OTHER_KEY = 'sk-or-v1-' + 'b'.repeat(64);

/**
 * Until the connection is idle again. undici hands a keep-alive socket back to its pool one event-loop turn
 * after the answer (setImmediate in lib/dispatcher/client-h1.js, "to make sure that non-spec compliant
 * servers are not closing the connection"); a request sent before that opens a second socket. Polls and
 * key checks are seconds apart, so the tests wait that one turn: the setImmediate queued here runs after
 * the one undici queued while parsing the answer (no timer, no guessing).
 */
const idle = () => new Promise<void>((resolve) => setImmediate(resolve));
const UA = extensionUserAgent('1.2.3', '1.104.0');

interface Seen {
  socket: number;
  method: string;
  path: string;
  userAgent?: string;
  authorization?: string;
}

/** Answers GET /api/v1/key and POST /api/v1/auth/keys; records which socket each request came on. */
class CountingServer {
  readonly seen: Seen[] = [];
  readonly sockets: Socket[] = [];
  private readonly ids = new WeakMap<Socket, number>();
  private readonly server = http.createServer((req, res) => this.handle(req, res));

  async start(): Promise<this> {
    this.server.on('connection', (s: Socket) => {
      this.ids.set(s, this.sockets.length);
      this.sockets.push(s);
    });
    this.server.listen(0, '127.0.0.1');
    await once(this.server, 'listening');
    return this;
  }

  get baseUrl(): string {
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}/api/v1`;
  }

  async close(): Promise<void> {
    for (const s of this.sockets) s.destroy();
    this.server.close();
    await once(this.server, 'close');
  }

  private handle(req: http.IncomingMessage, res: http.ServerResponse): void {
    const path = (req.url ?? '/').replace(/^\/api\/v1/, '');
    this.seen.push({
      socket: this.ids.get(req.socket) ?? -1,
      method: req.method ?? '',
      path,
      userAgent: req.headers['user-agent'],
      authorization: req.headers.authorization,
    });
    // Read the body before answering, so the connection is reusable afterwards.
    req.resume();
    req.on('end', () => {
      const body =
        path === '/key'
          ? KEY_LIVE_2026_10
          : path === '/auth/keys'
            ? { key: TEST_KEY, user_id: 'user_1' }
            : { error: { code: 404, message: 'no such route' } };
      const text = JSON.stringify(body);
      res.writeHead(path === '/key' || path === '/auth/keys' ? 200 : 404, {
        'content-type': 'application/json',
        'content-length': Buffer.byteLength(text),
      });
      res.end(text);
    });
  }
}

describe('ClientFactory (real HTTP on 127.0.0.1)', () => {
  isolateProxyEnv();
  let server: CountingServer;
  let factory: ClientFactory;

  beforeEach(async () => {
    server = await new CountingServer().start();
    factory = new ClientFactory({ baseUrl: server.baseUrl, userAgent: UA, timeoutMs: 5_000 });
  });

  afterEach(async () => {
    await factory.close();
    await server.close();
  });

  it('names the extension and the CLI with their versions', () => {
    assert.equal(extensionUserAgent('0.1.0', '1.104.2'), 'openrouter-quota/0.1.0 (vscode 1.104.2)');
    assert.equal(cliUserAgent('0.1.0'), 'openrouter-quota-cli/0.1.0');
  });

  it('two clients from one factory send sequential requests over one connection, with the versioned User-Agent', async () => {
    const a = factory.client(TEST_KEY);
    const b = factory.client(OTHER_KEY);
    await a.getKey();
    await idle();
    await b.getKey();
    await idle();
    await a.getKey();
    assert.deepEqual(
      server.seen.map((s) => [s.socket, s.authorization, s.userAgent]),
      [
        [0, `Bearer ${TEST_KEY}`, UA],
        [0, `Bearer ${OTHER_KEY}`, UA],
        [0, `Bearer ${TEST_KEY}`, UA],
      ],
    );
    assert.equal(server.sockets.length, 1);
  });

  it('(control) two clients built on their own open two connections, so the test above can tell', async () => {
    const a = new OpenRouterClient({ baseUrl: server.baseUrl, apiKey: TEST_KEY, timeoutMs: 5_000 });
    const b = new OpenRouterClient({ baseUrl: server.baseUrl, apiKey: OTHER_KEY, timeoutMs: 5_000 });
    try {
      await a.getKey();
      await idle();
      await b.getKey();
      assert.deepEqual(
        server.seen.map((s) => s.socket),
        [0, 1],
      );
    } finally {
      await Promise.all([a.close(), b.close()]);
    }
  });

  it("a client's close() leaves the shared connection open for the others", async () => {
    const a = factory.client(TEST_KEY);
    await a.getKey();
    await a.close();
    await idle();
    await factory.client(OTHER_KEY).getKey();
    assert.deepEqual(
      server.seen.map((s) => s.socket),
      [0, 0],
    );
  });

  it('the sign-in exchange goes over the same connection and User-Agent, and leaves it open', async () => {
    await factory.client(TEST_KEY).getKey();
    await idle();
    const key = await exchangeCode({
      apiBaseUrl: factory.baseUrl,
      code: 'code-1',
      verifier: 'v'.repeat(43),
      dispatcher: factory.dispatcher,
      userAgent: factory.userAgent,
      timeoutMs: 5_000,
    });
    assert.equal(key, TEST_KEY);
    await idle();
    await factory.client(TEST_KEY).getKey();
    assert.deepEqual(
      server.seen.map((s) => [s.socket, s.method, s.path, s.userAgent]),
      [
        [0, 'GET', '/key', UA],
        [0, 'POST', '/auth/keys', UA],
        [0, 'GET', '/key', UA],
      ],
    );
  });

  it("the factory's close() ends the connection; its clients fail afterwards", async () => {
    const a = factory.client(TEST_KEY);
    await a.getKey();
    const closed = once(server.sockets[0], 'close');
    await factory.close();
    await closed;
    const e = await failure(a.getKey());
    assert.ok(NetworkError.is(e), `expected a NetworkError, got ${String(e)}`);
    assert.equal(server.seen.length, 1);
  });
});
