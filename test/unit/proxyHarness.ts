// Shared set-up for the proxy tests (not a test file): the real proxy host (core/proxy/host.ts, the same
// composition the extension and the CLI use) on 127.0.0.1:0 in front of FakeOpenRouter, with its state in a
// temp dir, every component on the test's clock, and a raw HTTP client that sends exactly the headers given.
import * as fs from 'node:fs';
import * as http from 'node:http';
import * as os from 'node:os';
import * as path from 'node:path';
import { Agent } from 'undici';
import { AccountModel } from '../../src/core/account/model';
import { type Clock, systemClock } from '../../src/core/clock';
import { OpenRouterClient } from '../../src/core/openRouterClient';
import { ProxyHost } from '../../src/core/proxy/host';
import type { Ledger } from '../../src/core/proxy/ledger';
import type { PacingMode } from '../../src/core/proxy/pacer';
import type { MeteringProxy } from '../../src/core/proxy/server';
import { DEFAULT_SETTINGS, type QuotaSettings } from '../../src/core/quota';
import { accountDir, accountFingerprint } from '../../src/core/state/stateDir';
import type { Logger } from '../../src/core/logger';
import type { BodyBudget } from '../../src/core/proxy/bodyBudget';
import type { FallbackSettings } from '../../src/core/fallback/types';
import { FakeOpenRouter, TEST_KEY } from '../fixtures/fakeOpenRouter';
import { observation } from './helpers';

export const TOKEN = 'orq-test-token-0123456789abcdefghijklmnopqrstuvwxyz';
export const FREE = 'meta-llama/llama-3.3-70b-instruct:free';
export const PAID = 'openai/gpt-4.1';

export interface Harness {
  fake: FakeOpenRouter;
  host: ProxyHost;
  proxy: MeteringProxy;
  ledger: Ledger;
  account: AccountModel;
  /** The account's state directory. */
  dir: string;
  /** The state root (the account's directory is under it). */
  root: string;
  port: number;
  clock: Clock;
  /** Live settings; `upstream` overrides the fake's URL (a dead port, to test an outage). */
  settings: {
    pacing: PacingMode;
    maxWait: number;
    upstream?: string;
    extraPaths?: readonly string[];
    /** Replace the object to change it (the proxy notices a new one). */
    fallback?: FallbackSettings;
  } & QuotaSettings;
  finished: Array<{ model?: string; free: boolean; status: number }>;
  /** Feed the account model a reading of OpenRouter's count, as a poll would (at the clock's time). */
  observe(used: number, limit?: number): void;
  close(): Promise<void>;
}

export interface HarnessOptions {
  clock?: Clock;
  maxBodyBytes?: number;
  /** The cap on request-body bytes held across requests (a small one, to test it). */
  bodyBudget?: BodyBudget;
  pacing?: PacingMode;
  perMinute?: number;
  requestTimeoutMs?: number;
  /** The state root to use (another harness's, to test two hosts on one state); a new temp dir by default. */
  root?: string;
  log?: Logger;
  /** GET /models' body, instead of the recorded MODELS. */
  models?: unknown;
}

export async function startHarness(opts: HarnessOptions = {}): Promise<Harness> {
  const clock = opts.clock ?? systemClock;
  const fake = await FakeOpenRouter.start();
  const models = opts.models;
  if (models !== undefined)
    fake.onRoute = ({ path: p, res }) => {
      if (p !== '/models') return false;
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(models));
      return true;
    };
  const root = opts.root ?? fs.mkdtempSync(path.join(os.tmpdir(), 'orq-proxy-'));
  const dir = accountDir(root, accountFingerprint(TEST_KEY));
  const settings: Harness['settings'] = {
    ...DEFAULT_SETTINGS,
    pacing: opts.pacing ?? 'queue',
    maxWait: 30,
    perMinute: opts.perMinute ?? 0,
  };
  const account = new AccountModel({ clock, settings: () => settings });
  const client = new OpenRouterClient({ baseUrl: fake.baseUrl, apiKey: TEST_KEY });
  const dispatcher = new Agent({ keepAliveTimeout: 1000 });
  const finished: Harness['finished'] = [];
  const host = await ProxyHost.start({
    account,
    apiKey: TEST_KEY,
    stateDir: dir,
    port: 0,
    upstream: () => settings.upstream ?? fake.baseUrl,
    clock,
    log: opts.log ?? { trace() {}, debug() {}, info() {}, warn() {}, error() {} },
    live: () => ({
      pacing: settings.pacing,
      maxWaitSeconds: settings.maxWait,
      extraPaths: settings.extraPaths,
      fallback: settings.fallback,
    }),
    loadModels: (s) => client.getModels(s),
    token: TOKEN,
    dispatcher,
    maxBodyBytes: opts.maxBodyBytes,
    bodyBudget: opts.bodyBudget,
    requestTimeoutMs: opts.requestTimeoutMs,
    onRequestFinished: (r) => finished.push(r),
  });
  const proxy = host.hosted;
  if (!proxy) throw new Error(`the harness's proxy did not start: ${JSON.stringify(host.role)}`);
  await host.refreshCatalog();
  const ledger = host.ledger!;
  return {
    fake,
    host,
    proxy,
    ledger,
    account,
    dir,
    root,
    port: proxy.port,
    clock,
    settings,
    finished,
    observe(used, limit = 50) {
      account.observe(observation(clock.now(), {}, { used, limit }));
    },
    async close() {
      await host.stop();
      await dispatcher.close();
      await client.close();
      await fake.close();
      if (!opts.root) fs.rmSync(root, { recursive: true, force: true });
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
    const req = http.request(
      {
        host: '127.0.0.1',
        port,
        path: urlPath,
        method: o.method ?? (o.body !== undefined ? 'POST' : 'GET'),
        headers,
        signal: o.signal,
        setHost: false,
        agent: false,
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          const body = Buffer.concat(chunks);
          resolve({
            status: res.statusCode ?? 0,
            headers: res.headers,
            body,
            json: () => JSON.parse(body.toString('utf8')),
          });
        });
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.end(o.body);
  });
}

export const chatBody = (model: string, extra: Record<string, unknown> = {}) =>
  JSON.stringify({ model, messages: [{ role: 'user', content: 'hi' }], ...extra });
