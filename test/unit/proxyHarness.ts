// Shared set-up for the proxy tests (not a test file): a proxy on 127.0.0.1:0 in front of FakeOpenRouter,
// with a real ledger in a temp dir, and a raw HTTP client that sends exactly the headers it is given.
import * as fs from 'node:fs';
import * as http from 'node:http';
import * as os from 'node:os';
import * as path from 'node:path';
import { Agent } from 'undici';
import type { Clock } from '../../src/core/clock';
import { FreeModelCatalog } from '../../src/core/modelCatalog';
import { OpenRouterClient } from '../../src/core/openRouterClient';
import { Ledger } from '../../src/core/proxy/ledger';
import { Meter } from '../../src/core/proxy/meter';
import type { PacingMode } from '../../src/core/proxy/pacer';
import { MeteringProxy } from '../../src/core/proxy/server';
import { FakeOpenRouter, TEST_KEY } from '../fixtures/fakeOpenRouter';

export const TOKEN = 'orq-test-token-0123456789abcdefghijklmnopqrstuvwxyz';
export const FREE = 'meta-llama/llama-3.3-70b-instruct:free';
export const PAID = 'openai/gpt-4.1';

export interface Harness {
  fake: FakeOpenRouter;
  proxy: MeteringProxy;
  ledger: Ledger;
  meter: Meter;
  dir: string;
  port: number;
  settings: { pacing: PacingMode; maxWait: number; perMinute: number; perDay: number; key: string | undefined };
  finished: Array<{ model?: string; free: boolean; status: number }>;
  close(): Promise<void>;
}

export async function startHarness(opts: { clock?: Clock; maxBodyBytes?: number; pacing?: PacingMode; perMinute?: number; requestTimeoutMs?: number } = {}): Promise<Harness> {
  const fake = await FakeOpenRouter.start();
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'orq-proxy-'));
  const ledger = Ledger.open(dir);
  const settings = { pacing: opts.pacing ?? 'queue', maxWait: 30, perMinute: opts.perMinute ?? 0, perDay: 0, key: TEST_KEY as string | undefined };
  const meter = new Meter(ledger, () => ({ perMinute: settings.perMinute, perDay: settings.perDay }));
  const catalogClient = new OpenRouterClient({ baseUrl: fake.baseUrl, apiKey: TEST_KEY });
  const catalog = new FreeModelCatalog((s) => catalogClient.getFreeModelIds(s), opts.clock ? () => opts.clock!.now() : Date.now);
  await catalog.refresh();
  const dispatcher = new Agent({ keepAliveTimeout: 1000 });
  const finished: Harness['finished'] = [];
  const proxy = new MeteringProxy({
    port: 0,
    upstream: () => fake.baseUrl,
    apiKey: () => settings.key,
    token: () => TOKEN,
    ledger,
    meter,
    catalog,
    pacing: () => settings.pacing,
    maxWaitSeconds: () => settings.maxWait,
    maxBodyBytes: opts.maxBodyBytes,
    requestTimeoutMs: opts.requestTimeoutMs,
    clock: opts.clock,
    dispatcher,
    onRequestFinished: (r) => finished.push(r),
  });
  const port = await proxy.listen();
  return {
    fake,
    proxy,
    ledger,
    meter,
    dir,
    port,
    settings,
    finished,
    async close() {
      await proxy.close();
      await dispatcher.close();
      await catalogClient.close();
      await fake.close();
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}

export interface RawResponse {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: Buffer;
  json(): { error?: { code?: number; message?: string; metadata?: Record<string, unknown> } } & Record<string, unknown>;
}

export interface CallOptions {
  method?: string;
  headers?: http.OutgoingHttpHeaders;
  body?: string | Buffer;
  /** Defaults to a correct Host; pass null to send none. */
  host?: string | null;
  token?: string | null;
  signal?: AbortSignal;
}

/** One request to the proxy with node:http (no decompression, no header rewriting). */
export function call(port: number, urlPath: string, o: CallOptions = {}): Promise<RawResponse> {
  const headers: http.OutgoingHttpHeaders = { ...o.headers };
  if (o.host !== null) headers.host = o.host ?? `127.0.0.1:${port}`;
  if (o.token !== null) headers.authorization = `Bearer ${o.token ?? TOKEN}`;
  if (o.body !== undefined) {
    headers['content-type'] ??= 'application/json';
    headers['content-length'] = Buffer.byteLength(o.body);
  }
  return new Promise((resolve, reject) => {
    const req = http.request({ host: '127.0.0.1', port, path: urlPath, method: o.method ?? (o.body !== undefined ? 'POST' : 'GET'), headers, signal: o.signal, setHost: false, agent: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        const body = Buffer.concat(chunks);
        resolve({ status: res.statusCode ?? 0, headers: res.headers, body, json: () => JSON.parse(body.toString('utf8')) });
      });
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(o.body);
  });
}

export const chatBody = (model: string, extra: Record<string, unknown> = {}) => JSON.stringify({ model, messages: [{ role: 'user', content: 'hi' }], ...extra });
