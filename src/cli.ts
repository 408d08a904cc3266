// The command line over the same core as the extension, for terminals and scripts:
//   openrouter-quota status [--json] [--base-url URL]     (key from OPENROUTER_API_KEY)
// Exit codes: 0 ok, 1 usage or OpenRouter error, 2 key rejected.
import { checkKeyInput } from './core/apiKey';
import { AuthError, describeError } from './core/errors';
import { renderSummary } from './core/format';
import { fetchObservation } from './core/observe';
import { DEFAULT_BASE_URL, OpenRouterClient } from './core/openRouterClient';
import { buildSnapshot, DEFAULT_SETTINGS } from './core/quota';

const USAGE = `usage: openrouter-quota status [--json] [--base-url URL]
  Reads your OpenRouter free-model quota with the key in OPENROUTER_API_KEY.
  --json       print the quota snapshot as JSON
  --base-url   API base URL (default ${DEFAULT_BASE_URL}, or OPENROUTER_BASE_URL)`;

interface Io {
  out(s: string): void;
  err(s: string): void;
}

function option(args: string[], name: string): string | undefined {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : undefined;
}

export async function main(argv: string[], env: NodeJS.ProcessEnv, io: Io): Promise<number> {
  const [command, ...args] = argv;
  if (command === undefined || command === '--help' || command === '-h' || command === 'help') {
    io.out(USAGE);
    return command === undefined ? 1 : 0;
  }
  if (command !== 'status') {
    io.err(`unknown command "${command}"\n${USAGE}`);
    return 1;
  }
  const check = checkKeyInput(env.OPENROUTER_API_KEY);
  if (!check.ok) {
    io.err(`OPENROUTER_API_KEY: ${check.message}`);
    return 1;
  }
  const client = new OpenRouterClient({ baseUrl: option(args, '--base-url') ?? env.OPENROUTER_BASE_URL, apiKey: check.key, userAgent: 'openrouter-quota-cli' });
  try {
    const obs = await fetchObservation(client, undefined, Date.now);
    const snapshot = buildSnapshot(obs, undefined, DEFAULT_SETTINGS, Date.now());
    io.out(args.includes('--json') ? JSON.stringify(snapshot, null, 2) : renderSummary(snapshot));
    return 0;
  } catch (e) {
    io.err(describeError(e));
    return AuthError.is(e) ? 2 : 1;
  } finally {
    await client.close();
  }
}

if (require.main === module) {
  main(process.argv.slice(2), process.env, { out: (s) => console.log(s), err: (s) => console.error(s) }).then(
    (code) => {
      process.exitCode = code;
    },
    (e: unknown) => {
      console.error(e);
      process.exitCode = 1;
    },
  );
}
