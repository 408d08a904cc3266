// The proxy as a real process (the CLI): prints where it listens, keeps every counted request across a
// SIGKILL mid-burst, a second instance on the same port reads the first and takes over when it stops,
// a port held by another program is a clear error, and SIGTERM exits cleanly.
import * as assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { FakeOpenRouter, TEST_KEY } from '../fixtures/fakeOpenRouter';
import { call, chatBody, FREE, TOKEN } from './proxyHarness';
import type { QuotaWire } from '../../src/core/account/view';

const CLI = path.resolve(__dirname, '../../src/cli.js');

interface Proc {
  child: ChildProcess;
  out: string[];
  /** Resolves with the first match of `re` in stdout+stderr (already seen or future). */
  line(re: RegExp): Promise<RegExpMatchArray>;
  exited: Promise<number | null>;
}

function startCli(args: string[], env: NodeJS.ProcessEnv = {}): Proc {
  const child = spawn(process.execPath, [CLI, ...args], {
    env: {
      ...process.env,
      HTTP_PROXY: '',
      HTTPS_PROXY: '',
      OPENROUTER_QUOTA_HOME: path.join(os.tmpdir(), 'orq-cli-home-unused'),
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const out: string[] = [];
  const waiters: Array<{ re: RegExp; resolve: (m: RegExpMatchArray) => void }> = [];
  const onText = (b: Buffer) => {
    for (const l of b.toString().split('\n').filter(Boolean)) {
      out.push(l);
      for (const w of [...waiters]) {
        const m = l.match(w.re);
        if (m) {
          waiters.splice(waiters.indexOf(w), 1);
          w.resolve(m);
        }
      }
    }
  };
  child.stdout!.on('data', onText);
  child.stderr!.on('data', onText);
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  return {
    child,
    out,
    exited,
    line(re) {
      for (const l of out) {
        const m = l.match(re);
        if (m) return Promise.resolve(m);
      }
      return new Promise((resolve, reject) => {
        waiters.push({ re, resolve });
        void exited.then((code) =>
          reject(new Error(`process exited (${code}) before printing ${re}:\n${out.join('\n')}`)),
        );
      });
    },
  };
}

const LISTENING = /^listening http:\/\/127\.0\.0\.1:(\d+)\/api\/v1$/;

/** A chat request straight to the fake OpenRouter, as a tool that bypasses the proxy sends it. */
function directChat(fake: FakeOpenRouter, model: string): Promise<void> {
  const body = chatBody(model);
  return new Promise((resolve, reject) => {
    const req = http.request(
      `${fake.baseUrl}/chat/completions`,
      {
        method: 'POST',
        headers: {
          authorization: `Bearer ${TEST_KEY}`,
          'content-type': 'application/json',
          'content-length': Buffer.byteLength(body),
        },
      },
      (res) => {
        res.resume();
        res.on('end', () => resolve());
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

describe('proxy process (CLI)', function () {
  this.timeout(30_000);
  let fake: FakeOpenRouter;
  let dir: string;
  const procs: Proc[] = [];
  const env = () => ({ OPENROUTER_API_KEY: TEST_KEY, OPENROUTER_QUOTA_TOKEN: TOKEN });
  const proxyArgs = (port: number | string) => [
    'proxy',
    '--port',
    String(port),
    '--upstream',
    fake.baseUrl,
    '--state-dir',
    dir,
    '--pacing',
    'off',
  ];
  const start = (args: string[], e: NodeJS.ProcessEnv = env()) => {
    const p = startCli(args, e);
    procs.push(p);
    return p;
  };

  beforeEach(async () => {
    fake = await FakeOpenRouter.start();
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'orq-cli-'));
  });
  afterEach(async () => {
    for (const p of procs.splice(0)) {
      if (p.child.exitCode === null && p.child.signalCode === null) {
        p.child.kill('SIGKILL');
        await p.exited;
      }
    }
    await fake.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  const quota = async (port: number) => (await call(port, '/quota')).json() as unknown as QuotaWire;

  it('keeps every counted request when killed with SIGKILL in the middle of a burst', async () => {
    for (let round = 0; round < 3; round++) {
      const p = start(proxyArgs(0));
      const port = Number((await p.line(LISTENING))[1]);
      let ok = 0;
      let stop = false;
      // 8 clients firing until the kill; every 200 they got was counted before it was forwarded.
      const clients = Array.from({ length: 8 }, async () => {
        while (!stop) {
          try {
            const r = await call(port, '/api/v1/chat/completions', { body: chatBody(FREE) });
            if (r.status === 200) ok++;
          } catch {
            return; // the process is gone
          }
        }
      });
      await new Promise<void>((resolve) => {
        const check = setInterval(() => {
          if (ok >= 60) {
            clearInterval(check);
            resolve();
          }
        }, 1);
      });
      p.child.kill('SIGKILL');
      stop = true;
      await Promise.all(clients);
      await p.exited;
      const okAtKill = ok;
      const again = start(proxyArgs(0));
      const port2 = Number((await again.line(LISTENING))[1]);
      const q = await quota(port2);
      const forwarded = fake.chats.length;
      // models[] is the ledger's own count (day.used also folds in the server's count from GET /key).
      const counted = q.models[FREE];
      assert.ok(counted >= okAtKill, `round ${round}: ledger has ${counted}, clients saw ${okAtKill} answers`);
      assert.ok(
        counted <= forwarded + 8 * (round + 1),
        `round ${round}: counted ${counted}, at most ${forwarded} forwarded + 8 in flight per kill`,
      );
      again.child.kill('SIGTERM');
      assert.equal(await again.exited, 0);
    }
  });

  it('a second instance on the same port reads the first, and takes over (with the counts) when it stops', async () => {
    const first = start(proxyArgs(0));
    const port = Number((await first.line(LISTENING))[1]);
    for (let i = 0; i < 5; i++)
      assert.equal((await call(port, '/api/v1/chat/completions', { body: chatBody(FREE) })).status, 200);
    const second = start(proxyArgs(port));
    await second.line(/another OpenRouter Quota proxy serves port/);
    first.child.kill('SIGTERM');
    assert.equal(await first.exited, 0);
    assert.ok(first.out.includes('stopped'));
    assert.equal(Number((await second.line(LISTENING))[1]), port);
    const q = await quota(port);
    assert.equal(q.models[FREE], 5);
  });

  it('a port held by another program is a clear error, not a crash', async () => {
    const other = http.createServer((_q, r) => r.end('not a proxy'));
    await new Promise<void>((r) => other.listen(0, '127.0.0.1', () => r()));
    const port = (other.address() as AddressInfo).port;
    try {
      const p = start(proxyArgs(port));
      assert.equal(await p.exited, 1);
      assert.ok(
        p.out.some((l) => /Port \d+ on 127\.0\.0\.1 is used by another program/.test(l)),
        p.out.join('\n'),
      );
    } finally {
      other.close();
    }
  });

  it('generates and prints a token when OPENROUTER_QUOTA_TOKEN is unset, and uses it', async () => {
    const p = start(proxyArgs(0), { OPENROUTER_API_KEY: TEST_KEY, OPENROUTER_QUOTA_TOKEN: '' });
    const token = (await p.line(/^token (orq-\S+)$/))[1];
    const port = Number((await p.line(LISTENING))[1]);
    assert.equal((await call(port, '/api/v1/chat/completions', { body: chatBody(FREE), token })).status, 200);
    assert.equal((await call(port, '/api/v1/chat/completions', { body: chatBody(FREE), token: TOKEN })).status, 401);
    assert.ok(!p.out.join('\n').includes(TEST_KEY), 'the real key is never printed');
  });

  it('status --json after requests that bypassed the proxy: the minute is not exact, and day.outside counts them', async () => {
    fake.setFreeDaily({ used: 4, limit: 50 });
    const px = start(proxyArgs(0));
    const port = Number((await px.line(LISTENING))[1]);
    for (let i = 0; i < 2; i++)
      assert.equal((await call(port, '/api/v1/chat/completions', { body: chatBody(FREE) })).status, 200);
    // A tool talks to OpenRouter directly: its requests reach the fake without the proxy.
    for (let i = 0; i < 9; i++) await directChat(fake, FREE);
    const js = start(['status', '--json', '--base-url', fake.baseUrl, '--port', String(port), '--state-dir', dir]);
    assert.equal(await js.exited, 0);
    const q = JSON.parse(js.out.join('\n')) as QuotaWire;
    assert.equal(q.day.used, 15);
    assert.equal(q.day.proxied, 2);
    assert.equal(q.day.outside, 13, '4 before the proxy ran and 9 since, all elsewhere');
    assert.equal(q.minute.exact, false);
    assert.equal(q.minute.known, 'estimate');
    assert.ok((q.minute.outside ?? 0) > 0);
    assert.ok((q.minute.used ?? 0) >= (q.minute.proxied ?? 0));
    const text = start(['status', '--base-url', fake.baseUrl, '--port', String(port), '--state-dir', dir]);
    assert.equal(await text.exited, 0);
    assert.match(text.out.join('\n'), /this minute ~\d+\/20 \(\d+ through the proxy, ~\d+ elsewhere: estimate\)/);
  });

  it("status for another key beside a running proxy shows that key's own figures only", async () => {
    const other = 'sk-or-v1-' + 'c'.repeat(64);
    fake.accept(other);
    fake.setFreeDaily({ used: 3, limit: 50 });
    const px = start(proxyArgs(0));
    const port = Number((await px.line(LISTENING))[1]);
    for (let i = 0; i < 4; i++) await call(port, '/api/v1/chat/completions', { body: chatBody(FREE) });
    const st = start(['status', '--json', '--base-url', fake.baseUrl, '--port', String(port), '--state-dir', dir], {
      OPENROUTER_API_KEY: other,
    });
    assert.equal(await st.exited, 0);
    const lines = st.out.filter((l) => !l.startsWith('note:'));
    const q = JSON.parse(lines.join('\n')) as QuotaWire;
    assert.equal(q.day.proxied, null, 'not the proxy of this key');
    assert.deepEqual(q.models, {});
    assert.equal(q.queue.waiting, 0);
    assert.ok(st.out.some((l) => /meters another key; its counts are not shown/.test(l)));
  });

  it('a proxy needs its key, and a state directory it can use: a clear message and exit 1, at once', async () => {
    const noKey = start(proxyArgs(0), { OPENROUTER_API_KEY: '', OPENROUTER_QUOTA_TOKEN: TOKEN });
    assert.equal(await noKey.exited, 1);
    assert.ok(
      noKey.out.some((l) => /OPENROUTER_API_KEY is not set/.test(l)),
      noKey.out.join('\n'),
    );
    const file = path.join(dir, 'file');
    fs.writeFileSync(file, 'x');
    for (const bad of ['/proc/nope', path.join(file, 'sub')]) {
      const t0 = process.hrtime.bigint();
      const p = start(['proxy', '--port', '0', '--upstream', fake.baseUrl, '--state-dir', bad]);
      assert.equal(await p.exited, 1);
      const ms = Number(process.hrtime.bigint() - t0) / 1e6;
      assert.ok(
        p.out.some((l) => l.startsWith(`Cannot use ${bad}`)),
        p.out.join('\n'),
      );
      assert.ok(!p.out.some((l) => /^token|listening/.test(l)), 'no token printed, nothing listening');
      assert.ok(ms < 10_000, `exited after ${ms} ms`);
    }
  });

  it('unknown options, missing values and --help are answered, not ignored', async () => {
    const unknown = start(['status', '--jsn']);
    assert.equal(await unknown.exited, 1);
    assert.ok(unknown.out.some((l) => /Unknown option '--jsn'/.test(l)));
    const missing = start(['proxy', '--base-url']);
    assert.equal(await missing.exited, 1);
    assert.ok(missing.out.some((l) => /argument missing/.test(l)));
    const help = start(['status', '--help'], {});
    assert.equal(await help.exited, 0);
    assert.ok(help.out.some((l) => /^usage: openrouter-quota/.test(l)));
  });

  it("status prints the quota check, with the proxy's exact minute count when one runs", async () => {
    fake.setFreeDaily({ used: 7, limit: 50 });
    const px = start(proxyArgs(0));
    const port = Number((await px.line(LISTENING))[1]);
    // The minute count is for the current whole minute: if the clock crosses into the next one during the
    // test, 0 is the right answer there.
    const minute = () => Math.floor(Date.now() / 60_000);
    const m0 = minute();
    await call(port, '/api/v1/chat/completions', { body: chatBody(FREE) });
    const st = start(['status', '--base-url', fake.baseUrl, '--port', String(port), '--state-dir', dir]);
    assert.equal(await st.exited, 0);
    const thisMinute = minute() === m0 ? '1' : '[01]';
    assert.match(
      st.out.join('\n'),
      new RegExp(
        `^Free today 8/50 \\(42 left, resets in .+\\) · this minute ${thisMinute}/20 · no key cap · balance unavailable$`,
        'm',
      ),
    );
    const js = start(['status', '--json', '--base-url', fake.baseUrl, '--port', String(port), '--state-dir', dir]);
    assert.equal(await js.exited, 0);
    const q = JSON.parse(js.out.join('\n')) as QuotaWire;
    assert.equal(q.day.used, 8);
    if (minute() === m0) assert.equal(q.minute.used, 1);
    else assert.ok((q.minute.used ?? 0) <= 1);
    assert.deepEqual(q.models, { [FREE]: 1 });
  });
});
