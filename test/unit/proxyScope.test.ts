// Issue 12, items 1 and 2, over real sockets against the fake OpenRouter: what the local token opens (the
// allow-list in src/core/proxy/scope.ts, the extraPaths setting that widens it on purpose, the README's list
// of it), strict HTTP (two Host headers, a body that stalls), and a 401 that helps VS Code and CLI users alike.
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { main } from '../../src/cli';
import { API_PREFIX } from '../../src/core/proxy/access';
import { describeScope, TOKEN_SCOPE, TokenScope } from '../../src/core/proxy/scope';
import { FakeOpenRouter, TEST_KEY } from '../fixtures/fakeOpenRouter';
import { raw } from './hostile/rawHttp';
import { isolateProxyEnv } from './helpers';
import { call, chatBody, FREE, type Harness, startHarness, TOKEN } from './proxyHarness';

const REASON = 'not-allowed-through-proxy';

/** The repository root (the tests may be compiled to another directory, run from the root). */
function repoRoot(): string {
  const candidates = [path.resolve(__dirname, '../../..'), process.cwd()];
  const root = candidates.find(
    (d) => fs.existsSync(path.join(d, 'README.md')) && fs.existsSync(path.join(d, 'src', 'core', 'proxy', 'scope.ts')),
  );
  assert.ok(root, `no repository root among ${candidates.join(', ')}`);
  return root;
}

describe('proxy: what the local token opens', () => {
  isolateProxyEnv();
  let h: Harness;
  beforeEach(async () => {
    h = await startHarness({ pacing: 'off' });
    h.fake.credits = { total_credits: 10, total_usage: 1 };
  });
  afterEach(() => h.close());

  /** Requests the fake OpenRouter saw, other than the model list the proxy loads for itself. */
  const upstream = () => h.fake.requests.filter((r) => !(r.method === 'GET' && r.path === '/models'));

  async function refused(
    method: string,
    p: string,
    o: { body?: string; headers?: Record<string, string> } = {},
  ): Promise<void> {
    const before = upstream().length;
    const res = await call(h.port, p, { method, body: o.body, headers: o.headers });
    assert.equal(res.status, 403, `${method} ${p}: ${res.status} ${res.body.toString()}`);
    assert.equal(res.headers['content-type'], 'application/json');
    const e = res.json().error;
    assert.equal(e?.code, 403);
    assert.equal(e?.metadata?.reason, REASON, `${method} ${p}: ${JSON.stringify(e)}`);
    assert.match(e?.message ?? '', /extraPaths/, 'says how to open it in VS Code');
    assert.match(e?.message ?? '', /--allow-path/, 'and with the CLI');
    assert.equal(upstream().length, before, `${method} ${p} reached OpenRouter`);
  }

  it("refuses key management, credits and every other endpoint with 403 in OpenRouter's envelope, and forwards none of them", async () => {
    await refused('GET', '/api/v1/keys');
    await refused('POST', '/api/v1/keys', { body: '{"name":"evil"}' });
    await refused('DELETE', '/api/v1/keys/abc123');
    await refused('PATCH', '/api/v1/keys/abc123', { body: '{"disabled":true}' });
    await refused('POST', '/api/v1/auth/keys', { body: '{"code":"x"}' });
    await refused('GET', '/api/v1/credits');
    await refused('POST', '/api/v1/credits/coinbase', { body: '{}' });
    await refused('GET', '/api/v1/activity');
    await refused('GET', '/api/v1');
    await refused('GET', '/api/v1/');
    await refused('GET', '/api/v1/unknown/thing?x=1');
    // A listed path with another method is not listed.
    await refused('GET', '/api/v1/chat/completions');
    await refused('DELETE', '/api/v1/chat/completions');
    await refused('POST', '/api/v1/key', { body: '{}' });
    await refused('PUT', '/api/v1/models', { body: '{}' });
    // Near misses: case, a longer segment, an encoded letter, a fragment.
    await refused('POST', '/api/v1/Chat/Completions', { body: chatBody(FREE) });
    await refused('POST', '/api/v1/chat/completionsX', { body: chatBody(FREE) });
    await refused('GET', '/api/v1/ke%79');
    await refused('GET', '/api/v1/key#/../keys');
    await refused('GET', '/api/v1/models/a%3Ab/c/endpoints');
    // A method override header does not turn an allowed request into another one.
    await refused('POST', '/api/v1/chat/completions', {
      body: chatBody(FREE),
      headers: { 'x-http-method-override': 'DELETE' },
    });
    assert.equal(h.ledger.countSince(0), 0, 'nothing refused was counted');
  });

  it('forwards every endpoint on the list with the real key', async () => {
    const cases: Array<[string, string, string?]> = [
      ['POST', '/api/v1/chat/completions', chatBody(FREE)],
      ['POST', '/api/v1/completions', JSON.stringify({ model: FREE, prompt: 'hi' })],
      ['POST', '/api/v1/responses', JSON.stringify({ model: FREE, input: 'hi' })],
      ['POST', '/api/v1/embeddings', JSON.stringify({ model: 'openai/text-embedding-3-small', input: 'hi' })],
      ['GET', '/api/v1/models'],
      ['GET', '/api/v1/models?supported_parameters=tools'],
      ['GET', '/api/v1/models/user'],
      ['GET', '/api/v1/models/meta-llama/llama-3.3-70b-instruct:free/endpoints'],
      ['GET', '/api/v1/key'],
      ['GET', '/api/v1/auth/key'],
      ['GET', '/api/v1/generation?id=gen-123'],
      // Doubled or trailing slashes (a base URL that ends in "/") still name the same endpoint.
      ['POST', '/api/v1//chat/completions', chatBody(FREE)],
      ['GET', '/api/v1/key/'],
    ];
    for (const [method, p, body] of cases) {
      const seen = h.fake.nextRequest();
      const res = await call(h.port, p, { method, body });
      assert.notEqual(res.status, 403, `${method} ${p}: ${res.body.toString()}`);
      const r = await seen;
      assert.equal(r.method, method);
      assert.equal(r.path, p.slice(API_PREFIX.length).split('?')[0]);
      assert.equal(r.authorization, `Bearer ${TEST_KEY}`, `${method} ${p} went out with the key`);
    }
  });

  it('covers the whole list (every entry is forwarded by the test above)', () => {
    const listed = TOKEN_SCOPE.map((e) => `${e.method} ${e.path}`).sort();
    assert.deepEqual(listed, [
      'GET /auth/key',
      'GET /generation',
      'GET /key',
      'GET /models',
      'GET /models/user',
      'GET /models/{author}/{slug}/endpoints',
      'POST /chat/completions',
      'POST /completions',
      'POST /embeddings',
      'POST /responses',
    ]);
  });

  it('opens a path prefix given in extraPaths, for any method, and nothing beside it', async () => {
    h.settings.extraPaths = ['/api/v1/credits', '/api/v1/keys/'];
    const credits = await call(h.port, '/api/v1/credits');
    assert.equal(credits.status, 200, credits.body.toString());
    assert.equal(h.fake.requests.at(-1)!.authorization, `Bearer ${TEST_KEY}`);
    const sub = h.fake.nextRequest('/keys/abc');
    assert.equal(
      (await call(h.port, '/api/v1/keys/abc', { method: 'DELETE' })).status,
      404,
      'the fake has no such route, but it was asked',
    );
    assert.equal((await sub).method, 'DELETE');
    // "/api/v1/keys/" is the prefix /api/v1/keys: it opens /keys itself too.
    const keys = h.fake.nextRequest('/keys');
    await call(h.port, '/api/v1/keys');
    assert.equal((await keys).authorization, `Bearer ${TEST_KEY}`);
    // Segment by segment: /credits opens /credits/… but not /credits-x.
    await refused('GET', '/api/v1/credits-x');
    await refused('GET', '/api/v1/activity');
    // Changed back: closed again at once.
    h.settings.extraPaths = [];
    await refused('GET', '/api/v1/credits');
  });

  it('ignores extraPaths entries that are not path prefixes under /api/v1', async () => {
    h.settings.extraPaths = [
      'credits',
      '/credits',
      '/api/v1/../v1/credits',
      'https://openrouter.ai/api/v1/credits',
      '/api/v1/cred%69ts',
      '',
    ];
    await refused('GET', '/api/v1/credits');
    const scope = new TokenScope(h.settings.extraPaths);
    assert.deepEqual(
      scope.invalid.map((i) => i.entry),
      h.settings.extraPaths,
    );
    for (const i of scope.invalid) assert.ok(i.why.length > 10, i.why);
  });

  it('does not limit a client that sends its own sk-or- key (it already holds what the token stands for)', async () => {
    const own = 'sk-or-v1-' + 'b'.repeat(64);
    h.fake.accept(own);
    const seen = h.fake.nextRequest('/credits');
    const res = await call(h.port, '/api/v1/credits', { token: own });
    assert.equal(res.status, 200);
    assert.equal((await seen).authorization, `Bearer ${own}`);
  });

  it('checks the token before the scope: a wrong token on a closed path is a 401, not a hint about the list', async () => {
    const res = await call(h.port, '/api/v1/keys', { token: 'orq-wrong-token-0123456789' });
    assert.equal(res.status, 401);
  });

  it('the README\'s "The local proxy" section lists exactly the endpoints the token opens', () => {
    const readme = fs.readFileSync(path.join(repoRoot(), 'README.md'), 'utf8');
    const start = readme.indexOf('\n## The local proxy');
    assert.ok(start >= 0, 'README has a "The local proxy" section');
    const end = readme.indexOf('\n## ', start + 1);
    const section = readme.slice(start, end < 0 ? undefined : end);
    const documented = [...section.matchAll(/`(GET|POST|PUT|PATCH|DELETE) (\/api\/v1\/[^`\s]*)`/g)]
      .map((m) => `${m[1]} ${m[2]}`)
      .sort();
    const code = TOKEN_SCOPE.map((e) => `${e.method} ${API_PREFIX}${e.path}`).sort();
    assert.deepEqual(documented, code, 'README and src/core/proxy/scope.ts list the same endpoints');
    assert.ok(section.includes('openrouterQuota.proxy.extraPaths'), 'README names the setting that opens more');
    assert.ok(section.includes('--allow-path'), 'README names the CLI flag that opens more');
    assert.ok(describeScope().length > 0);
  });
});

describe('proxy: strict HTTP', () => {
  isolateProxyEnv();
  let h: Harness;
  const upstream = () => h.fake.requests.filter((r) => !(r.method === 'GET' && r.path === '/models')).length;
  before(async () => {
    h = await startHarness({ pacing: 'off', requestTimeoutMs: 300 });
  });
  after(() => h.close());

  it('answers a request with two Host headers with 400, whichever comes first, and forwards nothing', async () => {
    const good = `127.0.0.1:${h.port}`;
    const pairs = [
      [good, good],
      [good, 'evil.example'],
      ['evil.example', good],
      [good, `localhost:${h.port}`],
    ];
    for (const [a, b] of pairs) {
      for (const second of ['Host', 'host', 'HOST']) {
        const before = upstream();
        const r = await raw(
          h.port,
          [`GET /api/v1/key HTTP/1.1\r\nHost: ${a}\r\nAuthorization: Bearer ${TOKEN}\r\n${second}: ${b}\r\n\r\n`],
          { responses: 1 },
        );
        assert.deepEqual(r.statuses, [400], `Host: ${a} + ${second}: ${b}: ${r.text}`);
        assert.match(r.text, /"code":400/);
        assert.match(r.text, /Host/);
        assert.equal(upstream(), before, 'forwarded');
      }
    }
    // /quota too: the guard comes before every route.
    const q = await raw(
      h.port,
      [`GET /quota HTTP/1.1\r\nHost: ${good}\r\nHost: ${good}\r\nAuthorization: Bearer ${TOKEN}\r\n\r\n`],
      { responses: 1 },
    );
    assert.deepEqual(q.statuses, [400]);
    // One Host is still fine.
    const one = await raw(
      h.port,
      [`GET /api/v1/key HTTP/1.1\r\nHost: ${good}\r\nAuthorization: Bearer ${TOKEN}\r\nConnection: close\r\n\r\n`],
      { responses: 1 },
    );
    assert.deepEqual(one.statuses, [200]);
  });

  it("answers a body that stops arriving with 408 (in OpenRouter's envelope) before closing, and forwards nothing", async () => {
    const before = upstream();
    const head = `POST /api/v1/chat/completions HTTP/1.1\r\nHost: 127.0.0.1:${h.port}\r\nAuthorization: Bearer ${TOKEN}\r\nContent-Type: application/json\r\n`;
    const stalls = [
      [`${head}Content-Length: 1000\r\n\r\n{"model":"${FREE}",`],
      [`${head}Transfer-Encoding: chunked\r\n\r\n5\r\n{"mod\r\n`],
    ];
    const answers = await Promise.all(stalls.map((parts) => raw(h.port, parts, { responses: 1 })));
    for (const a of answers) {
      assert.deepEqual(a.statuses, [408], a.text);
      assert.match(a.text, /\r\nconnection: close\r\n/i);
      const body = JSON.parse(a.text.slice(a.text.indexOf('\r\n\r\n') + 4)) as {
        error: { code: number; message: string };
      };
      assert.equal(body.error.code, 408);
      assert.match(body.error.message, /body/);
    }
    // raw() stops at the answer; a second read shows the connection is then closed.
    const closed = await raw(h.port, [`${head}Content-Length: 10\r\n\r\n{`]);
    assert.deepEqual(closed.statuses, [408]);
    assert.equal(closed.closed, true);
    assert.equal(upstream(), before);
    assert.equal(h.ledger.countSince(0), 0);
  });
});

describe('proxy: the 401 answer', () => {
  isolateProxyEnv();
  let h: Harness;
  before(async () => {
    h = await startHarness();
  });
  after(() => h.close());

  it('tells both VS Code and CLI users where the current token is', async () => {
    for (const token of ['orq-not-the-token-0123456789', null]) {
      const res = await call(h.port, '/api/v1/chat/completions', { body: chatBody(FREE), token });
      assert.equal(res.status, 401);
      const message = res.json().error?.message ?? '';
      assert.match(message, /OpenRouter: Copy Proxy Settings/, 'the VS Code command');
      assert.match(message, /OPENROUTER_QUOTA_TOKEN/, "the CLI's variable");
      assert.match(message, /kept in/, 'the line the CLI prints on stderr');
      assert.match(message, /stderr/);
    }
  });
});

describe('cli: proxy --allow-path', function () {
  this.timeout(20_000);
  isolateProxyEnv();
  let fake: FakeOpenRouter;
  let dir: string;
  beforeEach(async () => {
    fake = await FakeOpenRouter.start();
    fake.credits = { total_credits: 10, total_usage: 1 };
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'orq-scope-cli-'));
  });
  afterEach(async () => {
    await fake.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('opens the prefixes given (repeatable) and nothing else', async () => {
    let stop!: () => void;
    const stopped = new Promise<void>((r) => (stop = r));
    let listening!: (port: number) => void;
    const ready = new Promise<number>((r) => (listening = r));
    const err: string[] = [];
    const env = { OPENROUTER_API_KEY: TEST_KEY, OPENROUTER_QUOTA_TOKEN: TOKEN };
    const argv = [
      'proxy',
      '--port',
      '0',
      '--upstream',
      fake.baseUrl,
      '--state-dir',
      dir,
      '--pacing',
      'off',
      '--allow-path',
      '/api/v1/credits',
      '--allow-path',
      '/api/v1/activity/',
    ];
    const done = main(argv, env, {
      out: (s) => {
        const m = /^listening http:\/\/127\.0\.0\.1:(\d+)\/api\/v1$/.exec(s);
        if (m) listening(Number(m[1]));
      },
      err: (s) => err.push(s),
      stopped,
    });
    const port = await Promise.race([
      ready,
      done.then((code) => Promise.reject(new Error(`proxy exited ${code}: ${err.join('\n')}`))),
    ]);
    try {
      const credits = await call(port, '/api/v1/credits');
      assert.equal(credits.status, 200, credits.body.toString());
      const activity = fake.nextRequest('/activity');
      await call(port, '/api/v1/activity');
      assert.equal((await activity).authorization, `Bearer ${TEST_KEY}`);
      const keys = await call(port, '/api/v1/keys');
      assert.equal(keys.status, 403);
      assert.equal(keys.json().error?.metadata?.reason, REASON);
      assert.ok(!fake.requests.some((r) => r.path === '/keys'));
    } finally {
      stop();
    }
    assert.equal(await done, 0);
  });

  it('refuses a prefix that is not a path under /api/v1: a usage error naming --help', async () => {
    for (const bad of [
      'credits',
      '/credits',
      'https://openrouter.ai/api/v1/credits',
      '/api/v1/../keys',
      '/api/v1/cred%69ts',
      '',
    ]) {
      const err: string[] = [];
      const out: string[] = [];
      const code = await main(
        ['proxy', '--port', '0', '--upstream', fake.baseUrl, '--state-dir', dir, '--allow-path', bad],
        { OPENROUTER_API_KEY: TEST_KEY },
        { out: (s) => out.push(s), err: (s) => err.push(s), stopped: Promise.resolve() },
      );
      assert.equal(code, 1, `${JSON.stringify(bad)}: ${err.join('\n')}`);
      assert.match(err.join('\n'), /--allow-path/);
      assert.match(err.join('\n'), /openrouter-quota proxy --help/);
      assert.deepEqual(out, []);
    }
  });
});
