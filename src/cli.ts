// The command line over the same core as the extension, for terminals, scripts and tests. Usage, options,
// environment and exit codes are in USAGE (cliOptions.ts) and in the README ("Command line").
import { AccountModel } from './core/account/model';
import { toWire } from './core/account/view';
import { keyId } from './core/apiKey';
import { systemClock } from './core/clock';
import { AuthError, describeError } from './core/errors';
import { renderSummary } from './core/format';
import type { Logger } from './core/logger';
import { fetchObservation } from './core/observe';
import { ClientFactory, cliUserAgent } from './core/clientFactory';
import { QuotaPoller } from './core/poller';
import { probeProxy, type ProxyRole } from './core/proxy/coordinator';
import { ProxyHost } from './core/proxy/host';
import type { PacingMode } from './core/proxy/pacer';
import { parseQuotaWire } from './core/account/remote';
import { buildSnapshot, DEFAULT_SETTINGS } from './core/quota';
import { FileSharedStore, type SharedStore } from './core/sharedStore';
import {
  accountDir,
  accountFingerprint,
  defaultStateRoot,
  ensurePrivateDir,
  StateDirError,
} from './core/state/stateDir';
import { TOKEN_FILE, validToken } from './core/state/tokenFile';
import * as fs from 'node:fs';
import * as path from 'node:path';
import {
  allowedPathsOf,
  baseUrlOf,
  COMMAND_USAGE,
  fallbackOf,
  keyOf,
  parse,
  portOf,
  USAGE,
  UsageError,
} from './cliOptions';

export { fallbackOf, OPTIONS, USAGE } from './cliOptions';

/** How a terminal user moves the proxy to another port (the coordinator's messages end with it). */
const PORT_HINT = 'Choose another port with --port N (0: any free port).';

export interface Io {
  out(s: string): void;
  err(s: string): void;
  /** Resolves when the process is asked to stop (SIGTERM/SIGINT). */
  stopped?: Promise<void>;
}

/**
 * Our version, for the User-Agent: from the package.json next to the bundle (dist/cli.js) or the compiled
 * file (out/src/cli.js). The extension reads it from VS Code instead (packageJSON.version).
 */
function cliVersion(): string {
  for (const dir of [path.join(__dirname, '..'), path.join(__dirname, '..', '..')]) {
    try {
      const pkg = JSON.parse(fs.readFileSync(path.join(dir, 'package.json'), 'utf8')) as {
        name?: unknown;
        version?: unknown;
      };
      if (pkg.name === 'openrouter-quota' && typeof pkg.version === 'string') return pkg.version;
    } catch {
      // not there (or not ours): look one level up
    }
  }
  return 'unknown';
}

function stderrLogger(io: Io, quiet = false): Logger {
  return {
    trace() {},
    debug() {},
    info: (m) => (quiet ? undefined : io.err(m)),
    warn: (m) => io.err(`warning: ${m}`),
    error: (m) => io.err(`error: ${typeof m === 'string' ? m : m.message}`),
  };
}

export async function main(argv: string[], env: NodeJS.ProcessEnv, io: Io): Promise<number> {
  const [command, ...args] = argv;
  try {
    if (command === undefined || command === '--help' || command === '-h' || command === 'help') {
      (command === undefined ? io.err : io.out)(USAGE);
      return command === undefined ? 1 : 0;
    }
    if (command !== 'status' && command !== 'proxy')
      throw new UsageError(`unknown command "${command}" (the commands are proxy and status)`);
    const o = parse(command, args);
    if (o.help) {
      io.out(COMMAND_USAGE[command]);
      return 0;
    }
    return command === 'status' ? await status(o, env, io) : await proxy(o, env, io);
  } catch (e) {
    if (e instanceof UsageError) {
      const cmd = e.command ?? (command === 'status' || command === 'proxy' ? command : undefined);
      io.err(`${e.message}\nRun "openrouter-quota ${cmd ? `${cmd} ` : ''}--help" for the options.`);
      return 1;
    }
    if (e instanceof StateDirError) {
      io.err(e.message);
      return 1;
    }
    if (AuthError.is(e)) {
      io.err(`${describeError(e)} Check OPENROUTER_API_KEY (keys: openrouter.ai/settings/keys).`);
      return 2;
    }
    io.err(describeError(e));
    return 1;
  }
}

async function status(o: Partial<Record<string, string | boolean>>, env: NodeJS.ProcessEnv, io: Io): Promise<number> {
  const key = keyOf(env);
  const port = portOf(o.port);
  const baseUrl = baseUrlOf(o, env);
  const fingerprint = accountFingerprint(key);
  const dir = accountDir(
    path.resolve(typeof o['state-dir'] === 'string' ? o['state-dir'] : defaultStateRoot(env)),
    fingerprint,
  );
  // The last poll of this account (a window's or a proxy's), for the estimates; written back afterwards.
  const store: SharedStore | undefined = fs.existsSync(dir)
    ? new FileSharedStore(path.join(dir, 'poll'), stderrLogger(io, true))
    : undefined;
  const previous = store?.read();
  const clients = new ClientFactory({ baseUrl, userAgent: cliUserAgent(cliVersion()) });
  const client = clients.client(key);
  try {
    const prevObs = previous?.keyId === keyId(key) ? previous.obs : undefined;
    const [obs, probe] = await Promise.all([
      fetchObservation(client, prevObs, Date.now),
      probeProxy(port, fingerprint),
    ]);
    const now = Date.now();
    const account = new AccountModel({ clock: systemClock, settings: () => DEFAULT_SETTINGS });
    account.observe(obs);
    if (probe.kind === 'ours') account.attachRemote(parseQuotaWire(probe.json), now);
    if (probe.kind === 'other-account')
      io.err(`note: the proxy on port ${port} meters another key; its counts are not shown.`);
    store?.write({ keyId: keyId(key), obs, writtenBy: `cli-${process.pid}`, writtenAt: now });
    const view = account.view(now);
    io.out(
      o.json
        ? JSON.stringify(toWire(view), null, 2)
        : renderSummary(buildSnapshot(obs, undefined, DEFAULT_SETTINGS, now, view)),
    );
    return 0;
  } finally {
    await clients.close();
  }
}

async function proxy(o: Partial<Record<string, string | boolean>>, env: NodeJS.ProcessEnv, io: Io): Promise<number> {
  const port = portOf(o.port);
  const pacing = (typeof o.pacing === 'string' ? o.pacing : 'queue') as PacingMode;
  if (!['queue', 'reject', 'off'].includes(pacing))
    throw new UsageError(`--pacing must be queue, reject or off, not "${pacing}"`);
  const rawWait = o['max-wait'];
  if (rawWait !== undefined && (typeof rawWait !== 'string' || !/^\d+(\.\d+)?$/.test(rawWait.trim())))
    throw new UsageError(`--max-wait must be a number of seconds (0 or more), not "${String(rawWait)}"`);
  const maxWait = rawWait === undefined ? 30 : Number(rawWait);
  const extraPaths = allowedPathsOf(o);
  const fallback = fallbackOf(o);
  const upstream = baseUrlOf(o, env);
  const key = keyOf(env);
  const dir = accountDir(
    path.resolve(typeof o['state-dir'] === 'string' ? o['state-dir'] : defaultStateRoot(env)),
    accountFingerprint(key),
  );
  ensurePrivateDir(dir);
  const log = stderrLogger(io);
  const envToken = env.OPENROUTER_QUOTA_TOKEN?.trim();
  if (envToken && !validToken(envToken))
    throw new UsageError(
      'OPENROUTER_QUOTA_TOKEN must be 16 to 256 printable characters without spaces (and not an sk-or- key).',
    );

  const clients = new ClientFactory({ baseUrl: upstream, userAgent: cliUserAgent(cliVersion()) });
  const client = clients.client(key);
  const account = new AccountModel({ clock: systemClock, settings: () => DEFAULT_SETTINGS });
  // Polls are shared with every window and process of this account (one of them polls at a time).
  const poller = new QuotaPoller({
    clock: systemClock,
    fetch: (prev, signal) => fetchObservation(client, prev, Date.now, signal, log),
    store: new FileSharedStore(path.join(dir, 'poll'), log),
    keyId: keyId(key),
    owner: `cli-${process.pid}`,
    settings: () => DEFAULT_SETTINGS,
    account,
    log,
  });
  const onRole = (r: ProxyRole) => {
    if (r.role === 'host') io.out(`listening http://127.0.0.1:${r.port}/api/v1`);
    else if (r.role === 'reader')
      io.out(`another OpenRouter Quota proxy serves port ${r.port} for this key; this one takes over when it stops`);
    else if (r.role === 'blocked' || r.role === 'failed') io.err(r.message);
  };
  const host = await ProxyHost.start({
    account,
    apiKey: key,
    stateDir: dir,
    port,
    upstream: () => upstream,
    clock: systemClock,
    log,
    live: () => ({ pacing, maxWaitSeconds: maxWait, extraPaths, fallback }),
    loadModels: (signal) => client.getModels(signal),
    refreshKey: () => void poller.refresh(),
    token: envToken,
    onRole,
    portHint: PORT_HINT,
  });
  const role = host.role.role;
  if (role === 'blocked' || role === 'failed') {
    await host.stop();
    poller.dispose();
    await clients.close();
    return 1;
  }
  if (!envToken) {
    const token = host.token();
    // Not on stdout, where service logs keep it; once, when it is new.
    io.err(
      host.tokenCreated
        ? `token ${token}\n(a new local token, kept in ${path.join(dir, TOKEN_FILE)}: clients send it as their API key)`
        : `token: kept in ${path.join(dir, TOKEN_FILE)}`,
    );
  }
  poller.start();
  // Core timers are unref'd (they must not hold a VS Code window open); a reader waiting to take over has
  // nothing else keeping the process alive.
  const keepAlive = setInterval(() => undefined, 1 << 30);
  await (io.stopped ?? new Promise<void>(() => undefined));
  clearInterval(keepAlive);
  poller.dispose();
  await host.stop();
  await clients.close();
  io.out('stopped');
  return 0;
}

// Run when started as a program: the compiled file (CommonJS, started itself: require.main) or the bundle
// dist/cli.mjs (an ES module: no `module`; nothing else imports the CLI's entry).
if (typeof module === 'undefined' || require.main === module) {
  const stopped = new Promise<void>((resolve) => {
    process.once('SIGTERM', () => resolve());
    process.once('SIGINT', () => resolve());
  });
  main(process.argv.slice(2), process.env, { out: (s) => console.log(s), err: (s) => console.error(s), stopped }).then(
    (code) => process.exit(code),
    (e: unknown) => {
      console.error(`error: ${(e as Error)?.message ?? String(e)}`);
      process.exit(1);
    },
  );
}
