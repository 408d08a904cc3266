// Runs inside a real VS Code extension host (code-server here, desktop VS Code elsewhere), against the
// fake OpenRouter on 127.0.0.1. Drives the extension through its commands and checks what it renders.
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as http from 'node:http';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { AccountModel } from '../../src/core/account/model';
import { systemClock } from '../../src/core/clock';
import { escapeMarkdown } from '../../src/core/format';
import { nullLogger } from '../../src/core/logger';
import { ProxyHost } from '../../src/core/proxy/host';
import { DEFAULT_SETTINGS } from '../../src/core/quota';
import { accountDir, accountFingerprint } from '../../src/core/state/stateDir';
import type { OpenRouterQuotaApi } from '../../src/extension';
import type { QuotaSnapshot } from '../../src/core/quota';
import { FakeOpenRouter, TEST_KEY } from '../fixtures/fakeOpenRouter';

const EXTENSION_ID = 'openrouter-quota.openrouter-quota';

/** A port nobody listens on right now. */
function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = net.createServer();
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as net.AddressInfo).port;
      s.close(() => resolve(port));
    });
  });
}

/** POST a chat request through the extension's proxy. */
function viaProxy(port: number, token: string, model: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const body = JSON.stringify({ model, messages: [{ role: 'user', content: 'hi' }] });
    const req = http.request(
      {
        host: '127.0.0.1',
        port,
        path: '/api/v1/chat/completions',
        method: 'POST',
        headers: {
          authorization: `Bearer ${token}`,
          'content-type': 'application/json',
          'content-length': Buffer.byteLength(body),
        },
      },
      (res) => {
        res.resume();
        res.on('end', () => resolve(res.statusCode ?? 0));
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

let api: OpenRouterQuotaApi;
let fake: FakeOpenRouter;

/** Resolves with the first snapshot (current or future) that satisfies `ok`; no sleeping. */
function snapshotWhere(ok: (s: QuotaSnapshot) => boolean, what: string, timeoutMs = 20_000): Promise<QuotaSnapshot> {
  const now = api.snapshot();
  if (ok(now)) return Promise.resolve(now);
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
}

const settings = () => vscode.workspace.getConfiguration('openrouterQuota');

describe('OpenRouter Quota in a real VS Code', () => {
  before(async () => {
    console.log(`vscode.version=${vscode.version} appName=${vscode.env.appName} uiKind=${vscode.env.uiKind}`);
    fake = await FakeOpenRouter.start();
    fake.setFreeDaily({ used: 12, limit: 50 });
    await settings().update('apiBaseUrl', fake.baseUrl, vscode.ConfigurationTarget.Global);
    // Never the default port: another extension host (or a developer's own proxy) may hold it.
    await settings().update('proxy.port', await freePort(), vscode.ConfigurationTarget.Global);
    const ext = vscode.extensions.getExtension<OpenRouterQuotaApi>(EXTENSION_ID);
    assert.ok(ext, `${EXTENSION_ID} not found`);
    api = await ext.activate();
    await vscode.commands.executeCommand('openrouterQuota.clearApiKey');
  });

  after(async () => {
    await vscode.commands.executeCommand('openrouterQuota.clearApiKey');
    await settings().update('apiBaseUrl', undefined, vscode.ConfigurationTarget.Global);
    await settings().update('proxy.port', undefined, vscode.ConfigurationTarget.Global);
    await fake?.close();
  });

  it('registers every command of the manifest', async () => {
    // The installed package.json's contributes.commands, not a copy kept here.
    const manifest = vscode.extensions.getExtension(EXTENSION_ID)?.packageJSON as
      { contributes?: { commands?: Array<{ command?: unknown }> } } | undefined;
    const commands = (manifest?.contributes?.commands ?? []).map((c) => c.command);
    assert.ok(commands.length > 0, 'the manifest contributes commands');
    const all = await vscode.commands.getCommands(true);
    for (const c of commands) {
      assert.equal(typeof c, 'string', `a command id in the manifest: ${JSON.stringify(c)}`);
      assert.ok(all.includes(c as string), `${String(c)} is in the manifest but not registered`);
    }
  });

  it('shows the no-key state without a key, and Show Quota says so', async () => {
    const s = await snapshotWhere((x) => x.status === 'no-key', 'no-key');
    assert.equal(s.status, 'no-key');
    assert.equal(api.statusBar()?.text, '$(key) OpenRouter');
    assert.equal(api.statusBar()?.command, 'openrouterQuota.setApiKey');
    assert.equal(await vscode.commands.executeCommand('openrouterQuota.showQuota'), 'OpenRouter: no API key set.');
  });

  it('rejects text that is not a key, without calling OpenRouter', async () => {
    const before = fake.requests.length;
    assert.equal(await vscode.commands.executeCommand('openrouterQuota.setApiKey', 'hello world'), 'invalid');
    assert.equal(fake.requests.length, before);
    assert.equal(api.snapshot().status, 'no-key');
  });

  it('does not store a key that OpenRouter answers 401 for', async () => {
    const wrong = 'sk-or-v1-' + '0'.repeat(64);
    assert.equal(await vscode.commands.executeCommand('openrouterQuota.setApiKey', wrong), 'rejected');
    assert.equal(fake.requests.at(-1)?.authorization, `Bearer ${wrong}`);
    assert.equal(api.snapshot().status, 'no-key');
  });

  it("stores a key (stray whitespace trimmed) and shows the fake server's numbers", async () => {
    assert.equal(await vscode.commands.executeCommand('openrouterQuota.setApiKey', `  ${TEST_KEY}\n`), 'stored');
    const s = await snapshotWhere((x) => x.day?.used === 12, 'used 12');
    assert.equal(s.day?.limit, 50);
    assert.equal(s.day?.remaining, 38);
    // The minute figure is exact here (the local proxy runs and counts 0), an estimate or unknown otherwise.
    assert.match(api.statusBar()!.text, /^\$\(pulse\) 12\/50 · (—|~?\d+)\/20$/);
    assert.equal(api.statusBar()!.severity, 'normal');
    assert.ok(fake.requests.some((r) => r.path === '/key' && r.authorization === `Bearer ${TEST_KEY}`));
    assert.equal(s.balance?.kind, 'unavailable', 'an ordinary key gets 403 on /credits: balance unavailable, not $0');
  });

  it('Refresh reads new numbers, and the colour follows the thresholds', async () => {
    // These jumps would be tens of requests elsewhere within seconds (a full minute): judge the day alone.
    await settings().update('limits.perMinute', 1000, vscode.ConfigurationTarget.Global);
    try {
      fake.setFreeDaily({ used: 41, limit: 50 });
      const s = (await vscode.commands.executeCommand('openrouterQuota.refresh')) as QuotaSnapshot;
      assert.equal(s.day?.used, 41);
      await snapshotWhere((x) => x.day?.used === 41, 'used 41');
      assert.match(api.statusBar()!.text, /41\/50/);
      assert.equal(api.statusBar()!.severity, 'warning');
      fake.setFreeDaily({ used: 50, limit: 50 });
      await vscode.commands.executeCommand('openrouterQuota.refresh');
      await snapshotWhere((x) => x.day?.used === 50, 'used 50');
      assert.equal(api.statusBar()!.severity, 'critical');
    } finally {
      await settings().update('limits.perMinute', undefined, vscode.ConfigurationTarget.Global);
    }
  });

  it('Show Quota answers from the snapshot at once, without a network call', async () => {
    fake.setFreeDaily({ used: 12, limit: 50 });
    await vscode.commands.executeCommand('openrouterQuota.refresh');
    const before = fake.requests.length;
    const summary = (await vscode.commands.executeCommand('openrouterQuota.showQuota')) as string;
    assert.match(summary, /^Free today 12\/50 \(38 left, resets in .+\) · this minute .+\/20/);
    assert.match(summary, /balance unavailable/);
    assert.equal(fake.requests.length, before);
  });

  it('a limit set in settings applies at once', async () => {
    await settings().update('limits.perDay', 40, vscode.ConfigurationTarget.Global);
    try {
      await snapshotWhere((x) => x.day?.limit === 40, 'limit 40');
      assert.match(api.statusBar()!.text, /12\/40/);
    } finally {
      await settings().update('limits.perDay', undefined, vscode.ConfigurationTarget.Global);
    }
    await snapshotWhere((x) => x.day?.limit === 50, 'limit 50 again');
  });

  it("the field missing from /key gives an honest unknown without the proxy, and the proxy's own count with it", async () => {
    fake.setFreeDaily(null);
    await settings().update('proxy.enabled', false, vscode.ConfigurationTarget.Global);
    try {
      const s = (await vscode.commands.executeCommand('openrouterQuota.refresh')) as QuotaSnapshot;
      assert.equal(s.day?.used, null);
      assert.match(api.statusBar()!.text, /—\/50/, 'is_free_tier true: 50 a day');
      assert.equal(s.day?.source, 'none');
    } finally {
      await settings().update('proxy.enabled', undefined, vscode.ConfigurationTarget.Global);
    }
    try {
      const s = await snapshotWhere((x) => x.day?.source === 'local', 'the proxy counting');
      assert.equal(s.day?.used, 0);
      // Counted by the proxy, but what bypasses it cannot be seen without OpenRouter's count: not exact.
      assert.equal(s.minute?.known, 'estimate');
      assert.equal(s.minute?.proxied, 0);
    } finally {
      fake.setFreeDaily({ used: 12, limit: 50 });
    }
  });

  it('a 5xx keeps the last good numbers on screen, marked out of date', async () => {
    await vscode.commands.executeCommand('openrouterQuota.refresh');
    fake.fail('/key', { kind: 'status', status: 503, body: { error: { code: 503, message: 'Service Unavailable' } } });
    const s = (await vscode.commands.executeCommand('openrouterQuota.refresh')) as QuotaSnapshot;
    assert.equal(s.status, 'error');
    assert.equal(s.error?.reason, 'server');
    assert.equal(s.day?.used, 12);
    assert.ok(s.stale);
    assert.match(api.statusBar()!.text, /^\$\(debug-disconnect\) 12\/50/);
    await vscode.commands.executeCommand('openrouterQuota.refresh');
    await snapshotWhere((x) => x.status === 'ok', 'recovered');
  });

  it('a key revoked on the server turns into one actionable state', async () => {
    fake.revoke(TEST_KEY);
    try {
      const s = (await vscode.commands.executeCommand('openrouterQuota.refresh')) as QuotaSnapshot;
      assert.equal(s.error?.reason, 'auth');
      assert.equal(api.statusBar()!.text, '$(error) OpenRouter: key rejected');
      assert.equal(api.statusBar()!.severity, 'critical');
      assert.equal(api.statusBar()!.command, 'openrouterQuota.setApiKey');
    } finally {
      fake.accept(TEST_KEY);
    }
    const s = (await vscode.commands.executeCommand('openrouterQuota.refresh')) as QuotaSnapshot;
    assert.equal(s.status, 'ok');
  });

  it('requests through the local proxy move the status bar, with an exact minute count', async () => {
    fake.setFreeDaily({ used: 12, limit: 50 });
    await vscode.commands.executeCommand('openrouterQuota.refresh');
    const copied = (await vscode.commands.executeCommand('openrouterQuota.copyProxySettings')) as string;
    const port = Number(/127\.0\.0\.1:(\d+)\/api\/v1/.exec(copied)?.[1]);
    const token = /OPENAI_API_KEY=(\S+)/.exec(copied)?.[1] ?? '';
    assert.ok(port > 0 && token?.startsWith('orq-'), copied);
    assert.equal(settings().get('proxy.port'), port);
    const minute = () => Math.floor(Date.now() / 60_000);
    const m0 = minute();
    for (let i = 0; i < 3; i++)
      assert.equal(await viaProxy(port, token, 'meta-llama/llama-3.3-70b-instruct:free'), 200);
    assert.equal(await viaProxy(port, 'orq-wrong', 'meta-llama/llama-3.3-70b-instruct:free'), 401);
    await snapshotWhere((x) => x.day?.used === 15, 'server count 12 plus 3 through the proxy');
    // The status bar renders a burst through the proxy once (coalesced): wait for that render.
    await snapshotWhere(() => /^\$\(pulse\) 15\/50/.test(api.statusBar()?.text ?? ''), 'the status bar at 15/50');
    const s = api.snapshot();
    assert.equal(s.minute?.known, 'exact');
    // Counted per whole minute: if the clock crossed into the next minute meanwhile, that one is (nearly) empty.
    if (minute() === m0) {
      assert.equal(s.minute?.used, 3);
      assert.match(api.statusBar()!.text, /^\$\(pulse\) 15\/50 · 3\/20$/);
    } else {
      assert.ok((s.minute?.used ?? 0) <= 3);
    }
    assert.ok(
      fake.chats.every((c) => c.headers.authorization === `Bearer ${TEST_KEY}`),
      'the proxy sent the real key upstream',
    );
  });

  it('a free model rate-limited upstream is retried on another free model, and the tooltip lists the fallback', async () => {
    const copied = (await vscode.commands.executeCommand('openrouterQuota.copyProxySettings')) as string;
    const port = Number(/127\.0\.0\.1:(\d+)\/api\/v1/.exec(copied)?.[1]);
    const token = /OPENAI_API_KEY=(\S+)/.exec(copied)?.[1] ?? '';
    const free = 'meta-llama/llama-3.3-70b-instruct:free';
    // The extension's own listener was registered at activation, before this one: once this fires, it has run.
    const changed = new Promise<void>((resolve) => {
      const d = vscode.workspace.onDidChangeConfiguration((e) => {
        if (!e.affectsConfiguration('openrouterQuota.fallback.enabled')) return;
        d.dispose();
        resolve();
      });
    });
    await settings().update('fallback.enabled', true, vscode.ConfigurationTarget.Global);
    await changed;
    fake.modelTrouble.set(free, 'upstream');
    const chatsBefore = fake.chats.length;
    try {
      assert.equal(await viaProxy(port, token, free), 200, 'served by the fallback');
      // The catalog's next free model that fits (openrouter/free is never chosen by itself).
      assert.deepEqual(
        fake.chats.slice(chatsBefore).map((c) => c.model),
        [free, 'openrouter/owl-alpha'],
      );
      const s = await snapshotWhere((x) => (x.fallback?.recent.length ?? 0) > 0, 'a fallback in the snapshot');
      assert.deepEqual(
        { from: s.fallback?.recent[0].from, to: s.fallback?.recent[0].to, reason: s.fallback?.recent[0].reason },
        { from: free, to: 'openrouter/owl-alpha', reason: 'upstream-rate-limited' },
      );
      await snapshotWhere(() => /Fallbacks today/.test(api.statusBar()?.tooltip ?? ''), 'the tooltip listing it');
      const tooltip = api.statusBar()!.tooltip;
      assert.ok(tooltip.includes(escapeMarkdown(`${free} → openrouter/owl-alpha`)), tooltip);
      assert.ok(tooltip.includes('rate\\-limited upstream'), tooltip);
    } finally {
      fake.modelTrouble.delete(free);
      await settings().update('fallback.enabled', undefined, vscode.ConfigurationTarget.Global);
    }
  });

  it("the proxy of another key on the port is never read: this key's own figures, and no proxy", async () => {
    const otherKey = 'sk-or-v1-' + 'd'.repeat(64);
    const fakeA = await FakeOpenRouter.start({ validKeys: [otherKey] });
    fakeA.setFreeDaily({ used: 0, limit: 50 });
    const root = fs.mkdtempSync(path.join(os.tmpdir(), 'orq-account-a-'));
    const port = await freePort();
    const tokenA = 'orq-account-a-token-0123456789abcdef';
    const hostA = await ProxyHost.start({
      account: new AccountModel({ clock: systemClock, settings: () => DEFAULT_SETTINGS }),
      apiKey: otherKey,
      stateDir: accountDir(root, accountFingerprint(otherKey)),
      port,
      upstream: () => fakeA.baseUrl,
      clock: systemClock,
      log: nullLogger,
      live: () => ({ pacing: 'off', maxWaitSeconds: 0 }),

      token: tokenA,
    });
    const before = settings().get<number>('proxy.port');
    try {
      assert.equal(hostA.role.role, 'host');
      // Account A spends its whole day through its proxy.
      for (let i = 0; i < 50; i++)
        assert.equal(await viaProxy(port, tokenA, 'meta-llama/llama-3.3-70b-instruct:free'), 200);
      fake.setFreeDaily({ used: 12, limit: 50 });
      await settings().update('proxy.port', port, vscode.ConfigurationTarget.Global);
      // Our proxy stops metering (A's holds the port, and is never read): the day is OpenRouter's count again.
      await snapshotWhere((x) => x.proxy === undefined, 'our proxy stopped');
      // That count is the last poll's, and a port change polls nothing: which poll came last depends on the
      // debounced re-read after the earlier tests' requests (3 s, cancelled when the proxy stops). Read it now.
      await vscode.commands.executeCommand('openrouterQuota.refresh');
      const s = await snapshotWhere(
        (x) => x.status === 'ok' && x.proxy === undefined && x.day?.used === 12,
        "this key's own figures, without A's proxy",
      );
      assert.equal(s.day?.proxied, null);
      assert.equal(s.day?.level, 'none');
      assert.equal(s.severity, 'normal');
      assert.match(api.statusBar()!.text, /^\$\(pulse\) 12\/50 · /);
      assert.equal(
        await vscode.commands.executeCommand('openrouterQuota.copyProxySettings'),
        '',
        'no proxy to copy settings of',
      );
    } finally {
      await settings().update('proxy.port', before, vscode.ConfigurationTarget.Global);
      await hostA.stop();
      await fakeA.close();
      fs.rmSync(root, { recursive: true, force: true });
    }
    await snapshotWhere((x) => x.proxy !== undefined, 'our own proxy again');
  });

  it('Open Quota Dashboard opens one panel, and again only reveals it', async () => {
    const tabs = () => vscode.window.tabGroups.all.flatMap((g) => g.tabs);
    const dashboards = () =>
      tabs().filter(
        (t) => t.input instanceof vscode.TabInputWebview && t.input.viewType.endsWith('openrouterQuota.dashboard'),
      );
    // The tab model is updated by the workbench after the command returns: wait for its event.
    const opened = new Promise<void>((resolve, reject) => {
      const timer = setTimeout(
        () =>
          reject(
            new Error(
              `no dashboard tab; tabs: ${JSON.stringify(tabs().map((t) => [t.label, (t.input as { viewType?: string })?.viewType]))}`,
            ),
          ),
        15_000,
      );
      const sub = vscode.window.tabGroups.onDidChangeTabs(() => {
        if (dashboards().length === 0) return;
        clearTimeout(timer);
        sub.dispose();
        resolve();
      });
    });
    await vscode.commands.executeCommand('openrouterQuota.openDashboard');
    if (dashboards().length === 0) await opened;
    assert.equal(dashboards().length, 1);
    await vscode.commands.executeCommand('openrouterQuota.openDashboard');
    assert.equal(dashboards().length, 1);
    await vscode.commands.executeCommand('workbench.action.closeAllEditors');
  });

  it('Clear API Key returns to the no-key state', async () => {
    await vscode.commands.executeCommand('openrouterQuota.clearApiKey');
    await snapshotWhere((x) => x.status === 'no-key', 'no-key after clear');
    assert.equal(api.statusBar()?.text, '$(key) OpenRouter');
    const before = fake.count('/key');
    await vscode.commands.executeCommand('openrouterQuota.showQuota');
    assert.equal(fake.count('/key'), before, 'no polling without a key');
  });
});
