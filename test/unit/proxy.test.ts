// The client honours an explicit proxy (VS Code's http.proxy), HTTP(S)_PROXY from the environment and
// NO_PROXY, checked with a tiny forward proxy on 127.0.0.1 that relays to FakeOpenRouter. undici tunnels
// through CONNECT even for http:// targets; the proxy also serves absolute-form requests in case it does not.
import * as assert from 'node:assert/strict';
import * as http from 'node:http';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { NetworkError } from '../../src/core/errors';
import { AccountModel } from '../../src/core/account/model';
import { systemClock } from '../../src/core/clock';
import { OpenRouterClient } from '../../src/core/openRouterClient';
import { ProxyHost } from '../../src/core/proxy/host';
import { DEFAULT_SETTINGS } from '../../src/core/quota';
import { FakeOpenRouter, TEST_KEY } from '../fixtures/fakeOpenRouter';
import { closedPort, failure, isolateProxyEnv } from './helpers';
import { call, chatBody, FREE, TOKEN } from './proxyHarness';

interface ProxySeen {
  method: string;
  target: string;
  headers: http.IncomingHttpHeaders;
}

/** A forward proxy that only relays to 127.0.0.1. */
class TinyProxy {
  readonly seen: ProxySeen[] = [];
  private readonly sockets = new Set<net.Socket>();

  private constructor(private readonly server: http.Server) {}

  static async start(): Promise<TinyProxy> {
    const server = http.createServer();
    const proxy = new TinyProxy(server);
    server.on('connection', (s: net.Socket) => proxy.track(s));
    server.on('request', (req, res) => proxy.forward(req, res));
    server.on('connect', (req: http.IncomingMessage, socket: net.Socket, head: Buffer) =>
      proxy.tunnel(req, socket, head),
    );
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
    return proxy;
  }

  get url(): string {
    return `http://127.0.0.1:${(this.server.address() as net.AddressInfo).port}`;
  }

  async close(): Promise<void> {
    for (const s of this.sockets) s.destroy();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private track(s: net.Socket): void {
    this.sockets.add(s);
    s.on('close', () => this.sockets.delete(s));
  }

  private tunnel(req: http.IncomingMessage, client: net.Socket, head: Buffer): void {
    this.seen.push({ method: 'CONNECT', target: req.url ?? '', headers: req.headers });
    const [host, port] = (req.url ?? '').split(':');
    if (host !== '127.0.0.1') {
      client.end('HTTP/1.1 403 Forbidden\r\n\r\n');
      return;
    }
    const upstream = net.connect(Number(port), host, () => {
      client.write('HTTP/1.1 200 Connection Established\r\n\r\n');
      if (head.length) upstream.write(head);
      upstream.pipe(client);
      client.pipe(upstream);
    });
    this.track(upstream);
    upstream.on('error', () => client.destroy());
    client.on('error', () => upstream.destroy());
  }

  private forward(req: http.IncomingMessage, res: http.ServerResponse): void {
    this.seen.push({ method: req.method ?? '', target: req.url ?? '', headers: req.headers });
    const u = new URL(req.url ?? '');
    if (u.hostname !== '127.0.0.1') {
      res.writeHead(403).end();
      return;
    }
    const up = http.request(
      { host: u.hostname, port: u.port, path: u.pathname + u.search, method: req.method, headers: req.headers },
      (ur) => {
        res.writeHead(ur.statusCode ?? 502, ur.headers);
        ur.pipe(res);
      },
    );
    up.on('error', () => res.destroy());
    req.pipe(up);
  }
}

describe('OpenRouterClient through a proxy', () => {
  isolateProxyEnv();
  let fake: FakeOpenRouter;
  let proxy: TinyProxy;
  let client: OpenRouterClient | undefined;

  beforeEach(async () => {
    fake = await FakeOpenRouter.start();
    proxy = await TinyProxy.start();
  });

  afterEach(async () => {
    await client?.close();
    client = undefined;
    for (const k of ['HTTP_PROXY', 'HTTPS_PROXY', 'NO_PROXY']) delete process.env[k];
    await proxy.close();
    await fake.close();
  });

  const viaProxy = () =>
    proxy.seen.filter(
      (s) => s.target === `127.0.0.1:${fake.port}` || s.target.startsWith(`http://127.0.0.1:${fake.port}/`),
    );

  it('goes through an explicit proxy (VS Code http.proxy), and the proxy never sees the key', async () => {
    client = new OpenRouterClient({ baseUrl: fake.baseUrl, apiKey: TEST_KEY, proxy: { url: proxy.url } });
    const k = await client.getKey();
    assert.deepEqual(k.freeDaily, { used: 12, limit: 50, remaining: 38 });
    assert.equal(viaProxy().length, 1, JSON.stringify(proxy.seen));
    assert.equal(fake.requests[0].authorization, `Bearer ${TEST_KEY}`);
    const tunnelled = viaProxy()[0].method === 'CONNECT';
    if (tunnelled)
      assert.equal(viaProxy()[0].headers.authorization, undefined, 'a CONNECT request must not carry the key');
  });

  it('uses HTTP_PROXY from the environment when no proxy is configured', async () => {
    process.env.HTTP_PROXY = proxy.url;
    client = new OpenRouterClient({ baseUrl: fake.baseUrl, apiKey: TEST_KEY });
    await client.getKey();
    assert.equal(viaProxy().length, 1, JSON.stringify(proxy.seen));
  });

  it('bypasses the proxy for hosts in the explicit noProxy list', async () => {
    client = new OpenRouterClient({
      baseUrl: fake.baseUrl,
      apiKey: TEST_KEY,
      proxy: { url: proxy.url, noProxy: '127.0.0.1' },
    });
    await client.getKey();
    assert.equal(proxy.seen.length, 0);
    assert.equal(fake.count('/key'), 1);
  });

  it('honours NO_PROXY from the environment too', async () => {
    process.env.HTTP_PROXY = proxy.url;
    process.env.NO_PROXY = 'localhost,127.0.0.1';
    client = new OpenRouterClient({ baseUrl: fake.baseUrl, apiKey: TEST_KEY });
    await client.getKey();
    assert.equal(proxy.seen.length, 0);
    assert.equal(fake.count('/key'), 1);
  });

  it('an unreachable proxy is a NetworkError, not a hang', async () => {
    client = new OpenRouterClient({
      baseUrl: fake.baseUrl,
      apiKey: TEST_KEY,
      timeoutMs: 5_000,
      proxy: { url: `http://127.0.0.1:${await closedPort()}` },
    });
    const e = await failure(client.getKey());
    assert.ok(NetworkError.is(e), String(e));
    assert.ok(!String(e).includes(TEST_KEY));
    assert.equal(fake.requests.length, 0);
  });
});

describe('MeteringProxy through an HTTP proxy (VS Code http.proxy)', () => {
  isolateProxyEnv();
  let fake: FakeOpenRouter;
  let httpProxy: TinyProxy;
  let dir: string;
  let metering: ProxyHost | undefined;

  beforeEach(async () => {
    fake = await FakeOpenRouter.start();
    httpProxy = await TinyProxy.start();
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'orq-upproxy-'));
  });
  afterEach(async () => {
    await metering?.stop();
    metering = undefined;
    await httpProxy.close();
    await fake.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  const start = async (upstreamProxy?: { url?: string }) => {
    metering = await ProxyHost.start({
      account: new AccountModel({ clock: systemClock, settings: () => DEFAULT_SETTINGS }),
      apiKey: TEST_KEY,
      stateDir: dir,
      port: 0,
      upstream: () => fake.baseUrl,
      clock: systemClock,
      log: { trace() {}, debug() {}, info() {}, warn() {}, error() {} },
      live: () => ({ pacing: 'off', maxWaitSeconds: 0 }),

      token: TOKEN,
      upstreamProxy,
    });
    return metering.role.port;
  };
  const chat = (port: number) => call(port, '/api/v1/chat/completions', { body: chatBody(FREE) });
  const relayed = () =>
    httpProxy.seen.filter(
      (s) => s.target === `127.0.0.1:${fake.port}` || s.target.startsWith(`http://127.0.0.1:${fake.port}/`),
    ).length;

  it('forwards through the configured proxy, and follows a change of it at once', async () => {
    const port = await start({ url: httpProxy.url });
    assert.equal((await chat(port)).status, 200);
    assert.equal(relayed(), 1, JSON.stringify(httpProxy.seen));
    assert.equal(fake.chats.at(-1)!.headers.authorization, `Bearer ${TEST_KEY}`);

    metering!.setUpstreamProxy({}); // http.proxy cleared
    assert.equal((await chat(port)).status, 200);
    assert.equal(relayed(), 1, 'direct now');
    assert.equal(fake.chats.length, 2);
  });
});
