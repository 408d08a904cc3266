// The command line over the same core as the extension, for terminals, scripts and tests. Usage, options,
// environment and exit codes are in USAGE below and in the README ("Command line").
import { parseArgs } from 'node:util';
import { AccountModel } from './core/account/model';
import { toWire } from './core/account/view';
import { checkKeyInput, keyId } from './core/apiKey';
import { systemClock } from './core/clock';
import { AuthError, describeError } from './core/errors';
import { renderSummary } from './core/format';
import type { Logger } from './core/logger';
import { fetchObservation } from './core/observe';
import { ClientFactory, cliUserAgent } from './core/clientFactory';
import { fallbackModelId, fallbackSettings, MAX_FALLBACK_MODELS } from './core/fallback/settings';
import type { FallbackSettings } from './core/fallback/types';
import { DEFAULT_BASE_URL, normalizeBaseUrl } from './core/openRouterClient';
import { QuotaPoller } from './core/poller';
import { probeProxy, type ProxyRole } from './core/proxy/coordinator';
import { ProxyHost } from './core/proxy/host';
import type { PacingMode } from './core/proxy/pacer';
import { API_PREFIX, parseExtraPath } from './core/proxy/scope';
import { DEFAULT_PROXY_PORT } from './core/proxy/server';
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

const PROXY_HELP = `openrouter-quota proxy [--port N] [--upstream URL] [--state-dir DIR] [--pacing queue|reject|off] [--max-wait S] [--allow-path PREFIX]...
                       [--fallback] [--fallback-models ID,ID] [--paid-fallback-model ID --paid-budget-usd N]
  Runs the local metering proxy on 127.0.0.1 for the account of OPENROUTER_API_KEY. Prints
  "listening http://127.0.0.1:N/api/v1" when ready; stops on Ctrl-C or SIGTERM.
  --port N          loopback port (default ${DEFAULT_PROXY_PORT}; 0: any free port)
  --upstream URL    OpenRouter's API base (default $OPENROUTER_BASE_URL, else ${DEFAULT_BASE_URL}); --base-url is the same
  --state-dir DIR   where the counts and the token live (default $OPENROUTER_QUOTA_HOME, else ~/.openrouter-quota: the extension's)
  --pacing MODE     queue (hold a request until the minute has room), reject (429 at once), off (only count); default queue
  --max-wait S      longest a request is held, in seconds (default 30)
  --allow-path P    also send the key with the token on this path prefix (e.g. ${API_PREFIX}/credits), any method;
                    repeatable. By default the token opens only inference and read-only endpoints (README: "The local proxy")
  --fallback        retry once on another free model when a free model is rate-limited upstream, at capacity, or
                    ended (the retry counts against the day like any request); default off
  --fallback-models ID,ID   free model ids to try, in order (default: chosen by health)
  --paid-fallback-model ID  once today's free requests are used up, send free-model requests to this paid model
                    (it costs credits) until --paid-budget-usd is spent; back to free at 00:00 UTC
  --paid-budget-usd N       what the paid fallback may spend a UTC day, in US dollars (0: off); needs the model`;

const STATUS_HELP = `openrouter-quota status [--json] [--base-url URL] [--port N] [--state-dir DIR]
  Prints today's free-model quota in one line, with the proxy's exact counts when one runs for this key.
  --json            the GET /quota shape instead of the one-line summary
  --base-url URL    OpenRouter's API base (default $OPENROUTER_BASE_URL, else ${DEFAULT_BASE_URL}); --upstream is the same
  --port N          where to look for a running proxy (default ${DEFAULT_PROXY_PORT})
  --state-dir DIR   where the last shared poll is read and written (default $OPENROUTER_QUOTA_HOME, else ~/.openrouter-quota)`;

const HELP_TAIL = `  -h, --help        this help

environment:
  OPENROUTER_API_KEY      the key (required); sent only to OpenRouter
  OPENROUTER_QUOTA_TOKEN  (proxy) the token clients send; by default the one kept in the state directory
  OPENROUTER_BASE_URL     default for --upstream / --base-url
  OPENROUTER_QUOTA_HOME   default for --state-dir
  HTTPS_PROXY, HTTP_PROXY, NO_PROXY   how to reach OpenRouter through a proxy server of your network

exit codes: 0 ok; 1 usage, state directory or OpenRouter error (or the port is taken); 2 the key was rejected (401)`;

export const USAGE = `usage: openrouter-quota <command> [options]

commands:
  proxy   run the local metering proxy on 127.0.0.1 for the account of OPENROUTER_API_KEY
  status  print today's free-model quota (with the proxy's counts when one runs for this key)

${PROXY_HELP}

${STATUS_HELP}

${HELP_TAIL}`;

/** `<command> --help`: that command's options, the environment and the exit codes. */
const COMMAND_USAGE = {
  proxy: `usage: ${PROXY_HELP}\n${HELP_TAIL}`,
  status: `usage: ${STATUS_HELP}\n${HELP_TAIL}`,
};

/** How a terminal user moves the proxy to another port (the coordinator's messages end with it). */
const PORT_HINT = 'Choose another port with --port N (0: any free port).';

export interface Io {
  out(s: string): void;
  err(s: string): void;
  /** Resolves when the process is asked to stop (SIGTERM/SIGINT). */
  stopped?: Promise<void>;
}

class UsageError extends Error {
  constructor(
    message: string,
    /** The command whose --help to point at, when known. */
    readonly command?: keyof typeof OPTIONS,
  ) {
    super(message);
  }
}

const COMMON = {
  'base-url': { type: 'string' },
  upstream: { type: 'string' },
  port: { type: 'string' },
  'state-dir': { type: 'string' },
  help: { type: 'boolean', short: 'h' },
} as const;
export const OPTIONS = {
  proxy: {
    ...COMMON,
    pacing: { type: 'string' },
    'max-wait': { type: 'string' },
    'allow-path': { type: 'string', multiple: true },
    fallback: { type: 'boolean' },
    'fallback-models': { type: 'string' },
    'paid-fallback-model': { type: 'string' },
    'paid-budget-usd': { type: 'string' },
  },
  status: { ...COMMON, json: { type: 'boolean' } },
} as const;

function parse<C extends keyof typeof OPTIONS>(command: C, args: string[]) {
  try {
    return parseArgs({ args, options: OPTIONS[command], strict: true, allowPositionals: false }).values as Partial<
      Record<string, string | boolean>
    >;
  } catch (e) {
    throw new UsageError(`${command}: ${(e as Error).message}`, command);
  }
}

function portOf(raw: string | boolean | undefined): number {
  if (raw === undefined) return DEFAULT_PROXY_PORT;
  const n = Number(raw);
  // 0 asks the system for a free port (tests, or several proxies side by side)
  if (typeof raw !== 'string' || !/^\d+$/.test(raw) || n > 65535)
    throw new UsageError(`--port must be a port number (0-65535), not "${String(raw)}"`);
  return n;
}

/** OpenRouter's API base: --base-url or --upstream (two names for one option), else OPENROUTER_BASE_URL, else openrouter.ai. */
function baseUrlOf(o: Partial<Record<string, string | boolean>>, env: NodeJS.ProcessEnv): string {
  const given = (['base-url', 'upstream'] as const).filter((n) => typeof o[n] === 'string');
  if (given.length === 2 && o['base-url'] !== o.upstream)
    throw new UsageError('--base-url and --upstream are two names for one option: give one');
  const name = given.length ? `--${given[0]}` : 'OPENROUTER_BASE_URL';
  const v = given.length ? (o[given[0]] as string) : (env.OPENROUTER_BASE_URL ?? DEFAULT_BASE_URL);
  if (!/^https?:\/\/[^\s/]+/.test(v)) throw new UsageError(`${name} must be an http(s) URL, not "${v}"`);
  return normalizeBaseUrl(v);
}

/** --allow-path, repeatable (parseArgs gives the list; the option types above say string): checked here. */
function allowedPathsOf(o: Partial<Record<string, unknown>>): readonly string[] {
  const given = o['allow-path'];
  const list = given === undefined ? [] : Array.isArray(given) ? (given as unknown[]) : [given];
  return list.map((p) => {
    const r = typeof p === 'string' ? parseExtraPath(p) : { why: 'must be a path' };
    if ('why' in r) throw new UsageError(`--allow-path "${String(p)}" ${r.why}`, 'proxy');
    return (p as string).trim();
  });
}

/** --fallback, --fallback-models, --paid-fallback-model and --paid-budget-usd, through the settings' own mapping. */
export function fallbackOf(o: Partial<Record<string, string | boolean>>): FallbackSettings {
  const list = typeof o['fallback-models'] === 'string' ? o['fallback-models'].split(',') : [];
  const models = list.map((m) => m.trim()).filter((m) => m !== '');
  const bad = models.find((m) => fallbackModelId(m) === undefined);
  if (bad !== undefined) throw new UsageError(`--fallback-models: "${bad}" is not a model id`, 'proxy');
  if (models.length > MAX_FALLBACK_MODELS)
    throw new UsageError(`--fallback-models takes at most ${MAX_FALLBACK_MODELS} model ids`, 'proxy');
  // Flags cannot change while the proxy runs: a list without --fallback would never be used.
  if (models.length && o.fallback !== true) throw new UsageError('--fallback-models needs --fallback', 'proxy');
  const rawModel = o['paid-fallback-model'];
  const rawBudget = o['paid-budget-usd'];
  if (rawModel !== undefined && fallbackModelId(rawModel) === undefined)
    throw new UsageError(`--paid-fallback-model must be a model id, not "${String(rawModel)}"`, 'proxy');
  if (rawBudget !== undefined && (typeof rawBudget !== 'string' || !/^\d+(\.\d+)?$/.test(rawBudget.trim())))
    throw new UsageError(
      `--paid-budget-usd must be an amount in US dollars (0 or more), not "${String(rawBudget)}"`,
      'proxy',
    );
  // The paid fallback spends money: half of it given is a mistake to point out, not a quiet "off".
  if ((rawModel === undefined) !== (rawBudget === undefined))
    throw new UsageError('--paid-fallback-model and --paid-budget-usd go together: give both, or neither', 'proxy');
  return fallbackSettings({
    enabled: o.fallback === true,
    models,
    paidModel: rawModel,
    paidBudgetUsd: rawBudget === undefined ? 0 : Number(rawBudget),
  });
}

const NO_KEY =
  'OPENROUTER_API_KEY is not set: export your OpenRouter key (sk-or-…) in this shell first, e.g. export OPENROUTER_API_KEY=sk-or-v1-… (keys: openrouter.ai/settings/keys).';

function keyOf(env: NodeJS.ProcessEnv): string {
  if (!env.OPENROUTER_API_KEY?.trim()) throw new UsageError(NO_KEY);
  const check = checkKeyInput(env.OPENROUTER_API_KEY);
  if (check.ok) return check.key;
  // Empty once quotes or "Bearer" are stripped: checkKeyInput's sentence for that is the input box's.
  const empty = checkKeyInput('');
  throw new UsageError(!empty.ok && check.message === empty.message ? NO_KEY : `OPENROUTER_API_KEY: ${check.message}`);
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
