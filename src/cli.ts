// The command line over the same core as the extension, for terminals, scripts and tests:
//   openrouter-quota proxy  --port N --upstream URL --state-dir DIR [--pacing queue|reject|off] [--max-wait S]
//   openrouter-quota status [--json] [--base-url URL] [--port N]
// The real key comes from OPENROUTER_API_KEY; the proxy's client token from OPENROUTER_QUOTA_TOKEN
// (generated and printed when unset). Exit codes: 0 ok, 1 usage or OpenRouter error, 2 key rejected.
import * as path from 'node:path';
import * as os from 'node:os';
import { checkKeyInput, keyId } from './core/apiKey';
import { systemClock } from './core/clock';
import { AuthError, describeError } from './core/errors';
import { renderSummary } from './core/format';
import { Logger } from './core/logger';
import { FreeModelCatalog } from './core/modelCatalog';
import { fetchObservation } from './core/observe';
import { DEFAULT_BASE_URL, OpenRouterClient } from './core/openRouterClient';
import { QuotaPoller } from './core/poller';
import { ProxyCoordinator, probeProxy } from './core/proxy/coordinator';
import { generateToken } from './core/proxy/guard';
import { Ledger } from './core/proxy/ledger';
import { toLocalCounts } from './core/proxy/localCounts';
import { Meter } from './core/proxy/meter';
import type { PacingMode } from './core/proxy/pacer';
import { DEFAULT_PROXY_PORT, MeteringProxy } from './core/proxy/server';
import { buildSnapshot, DEFAULT_SETTINGS, QuotaSnapshot } from './core/quota';
import { MemorySharedStore } from './core/sharedStore';

const USAGE = `usage:
  openrouter-quota proxy [--port N] [--upstream URL] [--state-dir DIR] [--pacing queue|reject|off] [--max-wait SECONDS]
      Runs the local metering proxy on 127.0.0.1 (default port ${DEFAULT_PROXY_PORT}, upstream ${DEFAULT_BASE_URL}).
      Key from OPENROUTER_API_KEY; client token from OPENROUTER_QUOTA_TOKEN (generated and printed when unset).
  openrouter-quota status [--json] [--base-url URL] [--port N]
      Today's free-model quota (key from OPENROUTER_API_KEY), with the proxy's exact counts when one runs.`;

export interface Io {
  out(s: string): void;
  err(s: string): void;
  /** Resolves when the process is asked to stop (SIGTERM/SIGINT). */
  stopped?: Promise<void>;
}

function option(args: string[], name: string): string | undefined {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : undefined;
}

function portOption(args: string[]): number | string {
  const raw = option(args, '--port');
  if (raw === undefined) return DEFAULT_PROXY_PORT;
  const n = Number(raw);
  // 0 asks the system for a free port (tests, or several proxies side by side)
  return Number.isInteger(n) && n >= 0 && n < 65536 ? n : `--port must be a port number, not "${raw}"`;
}

function stderrLogger(io: Io): Logger {
  return { trace() {}, debug() {}, info: (m) => io.err(m), warn: (m) => io.err(`warning: ${m}`), error: (m) => io.err(`error: ${typeof m === 'string' ? m : m.message}`) };
}

export async function main(argv: string[], env: NodeJS.ProcessEnv, io: Io): Promise<number> {
  const [command, ...args] = argv;
  if (command === '--help' || command === '-h' || command === 'help') {
    io.out(USAGE);
    return 0;
  }
  if (command === 'status') return status(args, env, io);
  if (command === 'proxy') return proxy(args, env, io);
  io.err(`${command === undefined ? 'no command' : `unknown command "${command}"`}\n${USAGE}`);
  return 1;
}

async function status(args: string[], env: NodeJS.ProcessEnv, io: Io): Promise<number> {
  const check = checkKeyInput(env.OPENROUTER_API_KEY);
  if (!check.ok) {
    io.err(`OPENROUTER_API_KEY: ${check.message}`);
    return 1;
  }
  const port = portOption(args);
  if (typeof port === 'string') {
    io.err(port);
    return 1;
  }
  const client = new OpenRouterClient({ baseUrl: option(args, '--base-url') ?? env.OPENROUTER_BASE_URL, apiKey: check.key, userAgent: 'openrouter-quota-cli' });
  try {
    const [obs, proxied] = await Promise.all([fetchObservation(client, undefined, Date.now), probeProxy(port)]);
    const now = Date.now();
    const local = proxied === 'foreign' ? undefined : toLocalCounts(proxied, now);
    const snapshot = buildSnapshot(obs, undefined, DEFAULT_SETTINGS, now, local);
    io.out(args.includes('--json') ? JSON.stringify(quotaJson(snapshot, proxied === 'foreign' ? undefined : proxied), null, 2) : renderSummary(snapshot));
    return 0;
  } catch (e) {
    io.err(describeError(e));
    return AuthError.is(e) ? 2 : 1;
  } finally {
    await client.close();
  }
}

/** The GET /quota shape, from a snapshot (and the proxy's status when one runs). */
function quotaJson(s: QuotaSnapshot, proxied: import('./core/proxy/meter').ProxyQuotaStatus | undefined): unknown {
  const iso = (t: number) => new Date(t).toISOString();
  const d = s.day!;
  const m = s.minute!;
  return {
    day: { date: iso(s.at).slice(0, 10), used: d.used, limit: d.limit, remaining: d.remaining, resetsAt: iso(d.resetsAt), source: d.source === 'none' ? 'local' : d.source },
    minute: { windowStart: iso(m.windowStart), used: m.used, limit: m.limit, resetsAt: iso(m.resetsAt) },
    lastRateLimit: proxied?.lastRateLimit ?? null,
    queue: proxied?.queue ?? { waiting: 0 },
    models: proxied?.models ?? {},
  };
}

async function proxy(args: string[], env: NodeJS.ProcessEnv, io: Io): Promise<number> {
  const port = portOption(args);
  if (typeof port === 'string') {
    io.err(port);
    return 1;
  }
  const pacing = (option(args, '--pacing') ?? 'queue') as PacingMode;
  if (!['queue', 'reject', 'off'].includes(pacing)) {
    io.err(`--pacing must be queue, reject or off, not "${pacing}"`);
    return 1;
  }
  const maxWait = Number(option(args, '--max-wait') ?? 30);
  if (!Number.isFinite(maxWait) || maxWait < 0) {
    io.err('--max-wait must be a number of seconds');
    return 1;
  }
  const upstream = (option(args, '--upstream') ?? env.OPENROUTER_BASE_URL ?? DEFAULT_BASE_URL).replace(/\/+$/, '');
  const stateDir = path.resolve(option(args, '--state-dir') ?? path.join(os.homedir(), '.openrouter-quota'));
  const log = stderrLogger(io);
  const keyCheck = env.OPENROUTER_API_KEY ? checkKeyInput(env.OPENROUTER_API_KEY) : undefined;
  if (keyCheck && !keyCheck.ok) {
    io.err(`OPENROUTER_API_KEY: ${keyCheck.message}`);
    return 1;
  }
  const key = keyCheck?.ok ? keyCheck.key : undefined;
  if (!key) io.err('warning: OPENROUTER_API_KEY is not set: only clients that send their own sk-or- key can use the proxy.');
  let token = env.OPENROUTER_QUOTA_TOKEN?.trim();
  if (!token) {
    token = generateToken();
    io.out(`token ${token}`);
  }

  // Today's server count, for the best daily estimate (and a per-day 429 before the quota is spent).
  const client = key ? new OpenRouterClient({ baseUrl: upstream, apiKey: key, userAgent: 'openrouter-quota-cli' }) : undefined;
  let meter: Meter | undefined;
  const poller = client
    ? new QuotaPoller({
        clock: systemClock,
        fetch: (prev, signal) => fetchObservation(client, prev, Date.now, signal, log),
        store: new MemorySharedStore(),
        keyId: keyId(key!),
        owner: 'cli',
        settings: () => DEFAULT_SETTINGS,
        log,
      })
    : undefined;
  poller?.onSnapshot(() => {
    const o = poller.observation;
    if (meter && o?.key.freeDaily) meter.serverDay = { used: o.key.freeDaily.used, limit: o.key.freeDaily.limit, fetchedAt: o.fetchedAt };
  });
  let refreshTimer: NodeJS.Timeout | undefined;
  const catalogClient = new OpenRouterClient({ baseUrl: upstream, apiKey: key ?? '', userAgent: 'openrouter-quota-cli' });
  const coordinator = new ProxyCoordinator({
    port,
    clock: systemClock,
    log,
    createProxy: () => {
      const ledger = Ledger.open(stateDir, { log });
      meter = new Meter(ledger, () => ({ perMinute: 0, perDay: 0 }));
      return new MeteringProxy({
        port,
        upstream: () => upstream,
        apiKey: () => key,
        token: () => token,
        ledger,
        meter,
        catalog: new FreeModelCatalog((signal) => catalogClient.getFreeModelIds(signal)),
        pacing: () => pacing,
        maxWaitSeconds: () => maxWait,
        log,
        onRequestFinished: () => {
          clearTimeout(refreshTimer);
          refreshTimer = setTimeout(() => void poller?.refresh(), 3_000);
        },
      });
    },
    onRole: (r) => {
      if (r.role === 'host') io.out(`listening http://127.0.0.1:${r.port}/api/v1`);
      else if (r.role === 'reader') io.out(`another OpenRouter Quota proxy serves port ${r.port}; this one takes over when it stops`);
      else if (r.role === 'blocked') io.err(r.message);
    },
  });
  await coordinator.start();
  if (coordinator.current.role === 'blocked') {
    await coordinator.stop();
    await catalogClient.close();
    await client?.close();
    return 1;
  }
  poller?.start();
  // Core timers are unref'd (they must not hold a VS Code window open); a reader waiting to take over has
  // nothing else keeping the process alive.
  const keepAlive = setInterval(() => undefined, 1 << 30);
  await (io.stopped ?? new Promise<void>(() => undefined));
  clearInterval(keepAlive);
  clearTimeout(refreshTimer);
  poller?.dispose();
  await coordinator.stop();
  await catalogClient.close();
  await client?.close();
  io.out('stopped');
  return 0;
}

if (require.main === module) {
  const stopped = new Promise<void>((resolve) => {
    process.once('SIGTERM', () => resolve());
    process.once('SIGINT', () => resolve());
  });
  main(process.argv.slice(2), process.env, { out: (s) => console.log(s), err: (s) => console.error(s), stopped }).then(
    (code) => process.exit(code),
    (e: unknown) => {
      console.error(e);
      process.exit(1);
    },
  );
}
