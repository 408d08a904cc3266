// Runs after extension.test.ts (files run in name order): both use the same key, so the same ledger.
// OpenRouter's free models through VS Code's Language Model API, used the way another extension uses them:
// the test extension e2e/lmClient (installed beside ours by e2e/run.mjs) calls vscode.lm.selectChatModels
// and sendRequest. Each request goes through the metering proxy to the fake OpenRouter: counted exactly once
// (the status bar's minute goes up by one and stays exact), attributed, tool calls round-tripped, a
// cancellation reaching the upstream, and the daily limit answered with a sentence and no request upstream.
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as http from 'node:http';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { OpenRouterQuotaApi } from '../../src/extension';
import type { QuotaSnapshot } from '../../src/core/quota';
import { FakeOpenRouter, TEST_KEY } from '../fixtures/fakeOpenRouter';

const EXTENSION_ID = 'openrouter-quota.openrouter-quota';
const FREE = 'meta-llama/llama-3.3-70b-instruct:free';

interface LmResult {
  models?: Array<{ id: string; name: string; family: string; vendor: string; maxInputTokens: number }>;
  tokens?: number;
  parts?: Array<{ kind: 'text'; text: string } | { kind: 'toolCall'; callId: string; name: string; input: unknown }>;
  error?: { message: string; code?: string };
}

const settings = () => vscode.workspace.getConfiguration('openrouterQuota');
const lm = (args: Record<string, unknown>) => vscode.commands.executeCommand<LmResult>('lmClient.run', args);
const minute = () => Math.floor(Date.now() / 60_000);

function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = net.createServer();
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as net.AddressInfo).port;
      s.close(() => resolve(port));
    });
  });
}

function getJson(url: string, token: string): Promise<Record<string, unknown>> {
  return new Promise((resolve, reject) => {
    http
      .get(url, { headers: { authorization: `Bearer ${token}` } }, (res) => {
        let text = '';
        res.on('data', (d: Buffer) => (text += d.toString()));
        res.on('end', () => resolve(JSON.parse(text) as Record<string, unknown>));
      })
      .on('error', reject);
  });
}

describe('chat models through vscode.lm (another extension)', function () {
  let api: OpenRouterQuotaApi;
  let fake: FakeOpenRouter;

  const snapshotWhere = (
    ok: (s: QuotaSnapshot) => boolean,
    what: string,
    timeoutMs = 20_000,
  ): Promise<QuotaSnapshot> => {
    if (ok(api.snapshot())) return Promise.resolve(api.snapshot());
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        sub.dispose();
        reject(new Error(`timed out waiting for ${what}; last: ${JSON.stringify(api.snapshot()).slice(0, 400)}`));
      }, timeoutMs);
      const sub = api.onDidChangeSnapshot((s) => {
        if (!ok(s)) return;
        clearTimeout(timer);
        sub.dispose();
        resolve(s);
      });
    });
  };

  /** This minute's count went up by exactly one request (and is exact); a minute boundary passed is allowed for. */
  const oneMore = async (before: number, m0: number) => {
    const s = await snapshotWhere(
      (x) => x.minute?.known === 'exact' && (minute() !== m0 || (x.minute?.proxied ?? 0) === before + 1),
      'one more request this minute, exact',
    );
    if (minute() === m0) assert.equal(s.minute?.used, before + 1);
    await snapshotWhere(() => /· \d+\/20$/.test(api.statusBar()?.text ?? ''), 'the status bar without "~"');
  };

  before(async function () {
    if (!vscode.extensions.getExtension('e2e.lm-client')) this.skip(); // the test extension is not installed (desktop runner)
    fake = await FakeOpenRouter.start();
    fake.setFreeDaily({ used: 7, limit: 50 });
    await settings().update('apiBaseUrl', fake.baseUrl, vscode.ConfigurationTarget.Global);
    await settings().update('proxy.port', await freePort(), vscode.ConfigurationTarget.Global);
    const ext = vscode.extensions.getExtension<OpenRouterQuotaApi>(EXTENSION_ID)!;
    api = await ext.activate();
    assert.equal(await vscode.commands.executeCommand('openrouterQuota.setApiKey', TEST_KEY), 'stored');
    await snapshotWhere(
      (x) => x.status === 'ok' && x.proxy !== undefined && x.day?.used === 7,
      'the key in use and the proxy running',
    );
  });

  after(async () => {
    if (!fake) return;
    await vscode.commands.executeCommand('openrouterQuota.clearApiKey');
    await settings().update('apiBaseUrl', undefined, vscode.ConfigurationTarget.Global);
    await settings().update('proxy.port', undefined, vscode.ConfigurationTarget.Global);
    await fake.close();
  });

  it('lists the free models of the fake OpenRouter, with names from its catalog', async () => {
    const r = await lm({ script: 'list' });
    assert.equal(r.error, undefined, r.error?.message);
    const ids = r.models!.map((m) => m.id);
    for (const id of [FREE, 'openrouter/free', 'openrouter/owl-alpha', 'inclusionai/ling-3.1-flash'])
      assert.ok(ids.includes(id), `${id} in ${ids.join(', ')}`);
    assert.ok(!ids.includes('openai/gpt-4.1'), 'paid models only when chosen in settings');
    const llama = r.models!.find((m) => m.id === FREE)!;
    assert.deepEqual(
      [llama.name, llama.family, llama.vendor, llama.maxInputTokens],
      ['Meta: Llama 3.3 70B Instruct (free)', 'llama-3.3-70b-instruct', 'openrouter-quota', 131072 - 8192],
    );
  });

  it('sends a request and streams the text back, counted once through the proxy and attributed', async () => {
    const before = api.snapshot().minute?.proxied ?? 0;
    const m0 = minute();
    const r = await lm({ script: 'chat', prompt: 'hi' });
    assert.equal(r.error, undefined, r.error?.message);
    assert.equal(r.parts!.map((p) => (p.kind === 'text' ? p.text : '')).join(''), 'Hello from the fake');
    assert.ok(r.tokens! > 0, 'a token estimate');
    const last = fake.chats.at(-1)!;
    assert.equal(last.model, FREE);
    assert.equal(last.headers.authorization, `Bearer ${TEST_KEY}`, 'the proxy sent the key, the client never had it');
    assert.equal(last.headers['x-title'], 'VS Code chat / LM API');
    await oneMore(before, m0);
    const copied = (await vscode.commands.executeCommand('openrouterQuota.copyProxySettings')) as string;
    const token = /OPENAI_API_KEY=(\S+)/.exec(copied)![1];
    const port = Number(/127\.0\.0\.1:(\d+)\//.exec(copied)![1]);
    await vscode.commands.executeCommand('workbench.action.closeAllEditors');
    const quota = await getJson(`http://127.0.0.1:${port}/quota`, token);
    assert.ok(
      ((quota.clients as Record<string, number>)['VS Code chat / LM API'] ?? 0) >= 1,
      JSON.stringify(quota.clients),
    );
  });

  it('a tool-call round trip: the call with whole arguments, then the answer that uses its result', async () => {
    const before = api.snapshot().minute?.proxied ?? 0;
    const m0 = minute();
    const r = await lm({ script: 'tools' });
    assert.equal(r.error, undefined, r.error?.message);
    assert.deepEqual(r.parts![0], {
      kind: 'toolCall',
      callId: 'call_fake_1',
      name: 'search',
      input: { query: 'find cats', limit: 3 },
    });
    assert.equal(
      r
        .parts!.slice(1)
        .map((p) => (p.kind === 'text' ? p.text : ''))
        .join(''),
      'The tool said: 3 cats',
    );
    await snapshotWhere((x) => minute() !== m0 || x.minute?.proxied === before + 2, 'two more requests this minute');
  });

  it('cancelling mid-stream aborts the upstream request (the fake sees the disconnect)', async () => {
    let closed!: () => void;
    const upstreamClosed = new Promise<void>((r) => (closed = r));
    fake.onChat = ({ req, res }) => {
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      res.write(
        `data: ${JSON.stringify({ choices: [{ index: 0, delta: { content: 'Once upon a time' }, finish_reason: null }] })}\n\n`,
      );
      req.socket.once('close', () => closed());
      return true; // the story never ends by itself
    };
    try {
      const r = await lm({ script: 'cancel' });
      assert.deepEqual(r.parts, [{ kind: 'text', text: 'Once upon a time' }]);
      await upstreamClosed;
    } finally {
      fake.onChat = undefined;
    }
  });

  it('opt-in: new terminals get the proxy as their OpenAI endpoint with the local token, never the key', async function () {
    if (process.platform === 'win32') this.skip();
    const out = path.join(os.tmpdir(), `orq-terminal-env-${process.pid}.txt`);
    const printEnv = async (): Promise<string> => {
      fs.rmSync(out, { force: true });
      const done = new Promise<void>((resolve) => {
        const sub = vscode.window.onDidCloseTerminal((t) => {
          if (t.name !== 'orq-env') return;
          sub.dispose();
          resolve();
        });
      });
      vscode.window.createTerminal({
        name: 'orq-env',
        shellPath: '/bin/sh',
        shellArgs: ['-c', `env | grep -E '^(OPENAI|OPENROUTER)_' | sort > '${out}'`],
      });
      await done;
      return fs.readFileSync(out, 'utf8');
    };
    assert.doesNotMatch(await printEnv(), /OPENAI_BASE_URL/, 'off by default');
    await settings().update('terminal.proxyEnvironment', true, vscode.ConfigurationTarget.Global);
    try {
      const env = await printEnv();
      const copied = (await vscode.commands.executeCommand('openrouterQuota.copyProxySettings')) as string;
      await vscode.commands.executeCommand('workbench.action.closeAllEditors');
      const base = /OPENAI_BASE_URL=(\S+)/.exec(copied)![1];
      const token = /OPENAI_API_KEY=(\S+)/.exec(copied)![1];
      assert.match(env, new RegExp(`^OPENAI_BASE_URL=${base.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}$`, 'm'));
      assert.match(env, new RegExp(`^OPENAI_API_KEY=${token}$`, 'm'));
      assert.match(env, /^OPENROUTER_BASE_URL=http:\/\/127\.0\.0\.1:\d+\/api\/v1$/m);
      assert.ok(!env.includes(TEST_KEY), 'never the key');
    } finally {
      await settings().update('terminal.proxyEnvironment', undefined, vscode.ConfigurationTarget.Global);
      fs.rmSync(out, { force: true });
    }
    assert.doesNotMatch(await printEnv(), /OPENAI_BASE_URL/, 'removed when the setting is off');
  });

  it('at the daily limit the request fails with when it resets and what unlocks more, and OpenRouter sees nothing', async () => {
    fake.setFreeDaily({ used: 50, limit: 50 });
    await vscode.commands.executeCommand('openrouterQuota.refresh');
    await snapshotWhere((x) => x.day?.level === 'limit', 'the day at its limit');
    const before = fake.chats.length;
    try {
      const r = await lm({ script: 'chat' });
      assert.match(
        r.error?.message ?? '',
        /^Free-model limit reached: 50\/50 today; resets at 00:00 UTC, in .+\. Buying 10 credits \(once\) raises it to 1000 a day\.$/,
      );
      assert.equal(fake.chats.length, before, 'answered by the proxy, not sent');
    } finally {
      fake.setFreeDaily({ used: 7, limit: 50 });
      await vscode.commands.executeCommand('openrouterQuota.refresh');
    }
  });
});
