// The command line's words and options: the usage texts, the strict option table, and the checks that turn
// each flag (and the key from the environment) into a value or a UsageError that names the flag. cli.ts runs
// the commands with them.
import { parseArgs } from 'node:util';
import { checkKeyInput } from './core/apiKey';
import { fallbackModelId, fallbackSettings, MAX_FALLBACK_MODELS } from './core/fallback/settings';
import type { FallbackSettings } from './core/fallback/types';
import { DEFAULT_BASE_URL, normalizeBaseUrl } from './core/openRouterClient';
import { API_PREFIX, parseExtraPath } from './core/proxy/scope';
import { DEFAULT_PROXY_PORT } from './core/proxy/server';

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
export const COMMAND_USAGE = {
  proxy: `usage: ${PROXY_HELP}\n${HELP_TAIL}`,
  status: `usage: ${STATUS_HELP}\n${HELP_TAIL}`,
};

export class UsageError extends Error {
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

export function parse<C extends keyof typeof OPTIONS>(command: C, args: string[]) {
  try {
    return parseArgs({ args, options: OPTIONS[command], strict: true, allowPositionals: false }).values as Partial<
      Record<string, string | boolean>
    >;
  } catch (e) {
    throw new UsageError(`${command}: ${(e as Error).message}`, command);
  }
}

export function portOf(raw: string | boolean | undefined): number {
  if (raw === undefined) return DEFAULT_PROXY_PORT;
  const n = Number(raw);
  // 0 asks the system for a free port (tests, or several proxies side by side)
  if (typeof raw !== 'string' || !/^\d+$/.test(raw) || n > 65535)
    throw new UsageError(`--port must be a port number (0-65535), not "${String(raw)}"`);
  return n;
}

/** OpenRouter's API base: --base-url or --upstream (two names for one option), else OPENROUTER_BASE_URL, else openrouter.ai. */
export function baseUrlOf(o: Partial<Record<string, string | boolean>>, env: NodeJS.ProcessEnv): string {
  const given = (['base-url', 'upstream'] as const).filter((n) => typeof o[n] === 'string');
  if (given.length === 2 && o['base-url'] !== o.upstream)
    throw new UsageError('--base-url and --upstream are two names for one option: give one');
  const name = given.length ? `--${given[0]}` : 'OPENROUTER_BASE_URL';
  const v = given.length ? (o[given[0]] as string) : (env.OPENROUTER_BASE_URL ?? DEFAULT_BASE_URL);
  if (!/^https?:\/\/[^\s/]+/.test(v)) throw new UsageError(`${name} must be an http(s) URL, not "${v}"`);
  return normalizeBaseUrl(v);
}

/** --allow-path, repeatable (parseArgs gives the list; the option types above say string): checked here. */
export function allowedPathsOf(o: Partial<Record<string, unknown>>): readonly string[] {
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

export function keyOf(env: NodeJS.ProcessEnv): string {
  if (!env.OPENROUTER_API_KEY?.trim()) throw new UsageError(NO_KEY);
  const check = checkKeyInput(env.OPENROUTER_API_KEY);
  if (check.ok) return check.key;
  // Empty once quotes or "Bearer" are stripped: checkKeyInput's sentence for that is the input box's.
  const empty = checkKeyInput('');
  throw new UsageError(!empty.ok && check.message === empty.message ? NO_KEY : `OPENROUTER_API_KEY: ${check.message}`);
}
