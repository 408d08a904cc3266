// The command line in-process (src/cli.ts main()): strict arguments, --help per command, terminal wording
// (flags and environment variables, never VS Code's settings or input box), the exit codes, and a README
// whose "Command line" section lists every option and environment variable the code has. The CLI as a
// real process (listening, takeover, SIGTERM) is in proxyProcess.test.ts.
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { main, OPTIONS, USAGE } from '../../src/cli';
import { FakeOpenRouter, TEST_KEY } from '../fixtures/fakeOpenRouter';

interface Run {
  code: number;
  out: string;
  err: string;
}

/** Words meant for VS Code users, wrong in a terminal. */
const VSCODE_WORDING = [
  /openrouterQuota\./,
  /Enter your OpenRouter API key/,
  /\bsettings?\b.*\bVS Code\b/i,
  /Set API Key/,
  /Command Palette/i,
];

function assertTerminalWording(r: Run): void {
  for (const re of VSCODE_WORDING) assert.doesNotMatch(`${r.out}\n${r.err}`, re);
}

/** The repository root (the tests may be compiled to another directory, run from the root). */
function repoRoot(): string {
  const candidates = [path.resolve(__dirname, '../../..'), process.cwd()];
  const root = candidates.find(
    (d) => fs.existsSync(path.join(d, 'README.md')) && fs.existsSync(path.join(d, 'src', 'cli.ts')),
  );
  assert.ok(root, `no repository root among ${candidates.join(', ')}`);
  return root;
}

describe('cli (in-process)', function () {
  this.timeout(20_000);
  let fake: FakeOpenRouter;
  let dir: string;

  const run = async (argv: string[], env: NodeJS.ProcessEnv = {}): Promise<Run> => {
    const out: string[] = [];
    const err: string[] = [];
    // Never the real OpenRouter: OPENROUTER_BASE_URL is the fake's unless a test sets it.
    const code = await main(
      argv,
      { OPENROUTER_BASE_URL: fake.baseUrl, OPENROUTER_QUOTA_HOME: dir, ...env },
      { out: (s) => out.push(s), err: (s) => err.push(s), stopped: Promise.resolve() },
    );
    return { code, out: out.join('\n'), err: err.join('\n') };
  };

  beforeEach(async () => {
    fake = await FakeOpenRouter.start();
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'orq-cli-unit-'));
  });
  afterEach(async () => {
    await fake.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it("--help for each command shows that command's options, needs no key, and exits 0", async () => {
    for (const command of ['status', 'proxy'] as const) {
      for (const flag of ['--help', '-h']) {
        const r = await run([command, flag], { OPENROUTER_API_KEY: '' });
        assert.equal(r.code, 0, r.err);
        assert.match(r.out, new RegExp(`^usage: openrouter-quota ${command} `));
        for (const name of Object.keys(OPTIONS[command]))
          assert.ok(r.out.includes(`--${name}`), `${command} --help lists --${name}`);
        assert.match(r.out, /OPENROUTER_API_KEY/);
        assert.match(r.out, /exit codes/);
        assert.equal(r.err, '');
      }
    }
    assert.doesNotMatch((await run(['status', '--help'])).out, /--pacing/, "status help: not the proxy's options");
    const all = await run(['--help']);
    assert.equal(all.code, 0);
    assert.equal(all.out, USAGE);
    const none = await run([]);
    assert.equal(none.code, 1, 'no command: the usage on stderr, exit 1');
    assert.equal(none.err, USAGE);
  });

  it('unknown commands and options, stray arguments, missing or bad values: a usage error, exit 1, and where to find the options', async () => {
    const cases: Array<[string[], RegExp]> = [
      [['stats'], /unknown command "stats"/],
      [['status', '--jsn'], /Unknown option '--jsn'/],
      [['status', 'extra'], /Unexpected argument 'extra'/],
      [['proxy', '--base-url'], /argument missing/],
      [['status', '--base-url'], /argument missing/],
      [['status', '--port', 'x'], /--port must be a port number/],
      [['status', '--base-url', 'openrouter.ai'], /--base-url must be an http\(s\) URL/],
      [['proxy', '--pacing', 'fast'], /--pacing must be queue, reject or off/],
      [['proxy', '--max-wait', 'soon'], /--max-wait must be a number of seconds/],
      [['proxy', '--max-wait', ''], /--max-wait must be a number of seconds/],
      [
        ['status', '--base-url', 'http://127.0.0.1:1/api/v1', '--upstream', 'http://127.0.0.1:2/api/v1'],
        /two names for one option/,
      ],
    ];
    for (const [argv, re] of cases) {
      const r = await run(argv, { OPENROUTER_API_KEY: TEST_KEY });
      assert.equal(r.code, 1, `${argv.join(' ')}: ${r.err}`);
      assert.match(r.err, re, argv.join(' '));
      const cmd = argv[0] === 'stats' ? '' : `${argv[0]} `;
      assert.ok(r.err.includes(`Run "openrouter-quota ${cmd}--help" for the options.`), r.err);
      assert.equal(r.out, '');
      assertTerminalWording(r);
    }
    assert.equal(fake.requests.length, 0, 'a usage error sends nothing');
  });

  it("without a usable key it says how to set OPENROUTER_API_KEY, not the VS Code input box's words", async () => {
    for (const key of [undefined, '', '   ', '""', "''", '" "']) {
      const r = await run(['status'], { OPENROUTER_API_KEY: key });
      assert.equal(r.code, 1);
      assert.match(r.err, /OPENROUTER_API_KEY is not set: export your OpenRouter key/, JSON.stringify(key));
      assertTerminalWording(r);
    }
    const bad = await run(['status'], { OPENROUTER_API_KEY: 'hello' });
    assert.equal(bad.code, 1);
    assert.match(bad.err, /^OPENROUTER_API_KEY: That is not an OpenRouter key/);
    assert.equal(fake.requests.length, 0);
  });

  it('a rejected key: exit 2 and a pointer to OPENROUTER_API_KEY', async () => {
    const r = await run(['status', '--port', '9'], { OPENROUTER_API_KEY: 'sk-or-v1-' + 'd'.repeat(64) });
    assert.equal(r.code, 2, r.err);
    assert.match(r.err, /\(401\)\. Check OPENROUTER_API_KEY/);
    assertTerminalWording(r);
  });

  it('--upstream and --base-url are one option: status takes either', async () => {
    fake.setFreeDaily({ used: 3, limit: 50 });
    const dead = 'http://127.0.0.1:9/api/v1';
    for (const flag of ['--base-url', '--upstream']) {
      const r = await run(['status', flag, fake.baseUrl, '--port', '9'], {
        OPENROUTER_API_KEY: TEST_KEY,
        OPENROUTER_BASE_URL: dead,
      });
      assert.equal(r.code, 0, r.err);
      assert.match(r.out, /^Free today 3\/50/);
    }
  });

  it('a port held by another program: exit 1, and the way out is --port, not a VS Code setting', async () => {
    const other = http.createServer((_q, r) => r.end('not a proxy'));
    await new Promise<void>((r) => other.listen(0, '127.0.0.1', () => r()));
    try {
      const port = (other.address() as AddressInfo).port;
      const r = await run(['proxy', '--port', String(port), '--upstream', fake.baseUrl, '--state-dir', dir], {
        OPENROUTER_API_KEY: TEST_KEY,
      });
      assert.equal(r.code, 1, r.err);
      assert.match(
        r.err,
        new RegExp(`Port ${port} on 127\\.0\\.0\\.1 is used by another program.*Choose another port with --port N`),
      );
      assertTerminalWording(r);
    } finally {
      other.close();
    }
  });

  it('the README\'s "Command line" section lists every option, environment variable and exit code, and no other option', () => {
    const readme = fs.readFileSync(path.join(repoRoot(), 'README.md'), 'utf8');
    const start = readme.indexOf('\n## Command line');
    assert.ok(start >= 0, 'README has a "Command line" section');
    const end = readme.indexOf('\n## ', start + 1);
    const section = readme.slice(start, end < 0 ? undefined : end);
    const options = new Set(Object.values(OPTIONS).flatMap((o) => Object.keys(o)));
    for (const name of options) assert.ok(section.includes(`--${name}`), `README documents --${name}`);
    for (const m of section.matchAll(/(?<![\w-])--([a-z][a-z-]*)/g))
      assert.ok(options.has(m[1]), `README's --${m[1]} is an option of the CLI`);
    const envBlock = USAGE.slice(USAGE.indexOf('environment:'), USAGE.indexOf('exit codes:'));
    const vars = [...envBlock.matchAll(/\b[A-Z][A-Z0-9]*_[A-Z0-9_]+\b/g)].map((m) => m[0]);
    assert.ok(vars.length >= 4);
    for (const v of vars) assert.ok(section.includes(v), `README documents ${v}`);
    for (const code of ['`0`', '`1`', '`2`']) assert.ok(section.includes(code), `README documents exit code ${code}`);
  });
});
