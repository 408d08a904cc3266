// The proxy host (core/proxy/host.ts) as the extension and the CLI run it, on real sockets: counts belong to
// one account, an attempt that never reached OpenRouter is not counted, and one state directory has one writer.
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { AccountModel } from '../../src/core/account/model';
import type { QuotaWire } from '../../src/core/account/view';
import { systemClock } from '../../src/core/clock';
import { probeProxy } from '../../src/core/proxy/coordinator';
import { ProxyHost, type ProxyHostOptions } from '../../src/core/proxy/host';
import { ACCOUNT_HEADER } from '../../src/core/proxy/server';
import { DEFAULT_SETTINGS } from '../../src/core/quota';
import { accountDir, accountFingerprint } from '../../src/core/state/stateDir';
import { TEST_KEY } from '../fixtures/fakeOpenRouter';
import { FakeClock } from '../fixtures/fakeClock';
import { closedPort, isolateProxyEnv, MemoryLogger, observation } from './helpers';
import { call, chatBody, FREE, type Harness, startHarness, TOKEN } from './proxyHarness';

const OTHER_KEY = 'sk-or-v1-' + 'b'.repeat(64);

describe('proxy host', () => {
  isolateProxyEnv();
  let h: Harness;
  const extra: ProxyHost[] = [];
  beforeEach(async () => {
    h = await startHarness();
  });
  afterEach(async () => {
    for (const x of extra.splice(0)) await x.stop();
    await h.close();
  });

  /** Another host, for `key`, on `port`, over the state root `root`. */
  const another = async (key: string, port: number, root: string, over: Partial<ProxyHostOptions> = {}) => {
    const clock = over.clock ?? systemClock;
    const account = new AccountModel({ clock, settings: () => DEFAULT_SETTINGS });
    const x = await ProxyHost.start({
      account,
      apiKey: key,
      stateDir: accountDir(root, accountFingerprint(key)),
      port,
      upstream: () => h.fake.baseUrl,
      clock,
      log: new MemoryLogger(),
      live: () => ({ pacing: 'queue', maxWaitSeconds: 30 }),

      readerIntervalMs: 50,
      ...over,
    });
    extra.push(x);
    return { host: x, account };
  };

  describe('an outage of OpenRouter', () => {
    it('does not count requests refused before they reached it: once it is back, its count rules, also after a restart', async () => {
      h.settings.upstream = `http://127.0.0.1:${await closedPort()}/api/v1`;
      for (let i = 0; i < 60; i++)
        assert.equal((await call(h.port, '/api/v1/chat/completions', { body: chatBody(FREE) })).status, 502);
      assert.equal(h.ledger.countSince(0), 0, 'all taken back');
      h.settings.upstream = undefined;
      h.observe(0); // OpenRouter is back and counted nothing
      assert.equal((await call(h.port, '/api/v1/chat/completions', { body: chatBody(FREE) })).status, 200);
      assert.equal((h.proxy.status() as QuotaWire).day.used, 1);
      // The same state after a restart (the ledger is read back, take-backs included).
      const root = h.root;
      await h.host.stop();
      const again = await another(TEST_KEY, 0, root, { token: TOKEN });
      again.account.observe(observation(Date.now(), {}, { used: 1, limit: 50 }));
      assert.equal(again.host.ledger!.countSince(0), 1);
      assert.equal(again.account.view().day.used, 1);
      assert.equal(
        (await call(again.host.role.port, '/api/v1/chat/completions', { body: chatBody(FREE) })).status,
        200,
      );
    });

    it('a request that reached OpenRouter and failed there still counts (OpenRouter counts failed attempts)', async () => {
      h.fake.fail('/chat/completions', { kind: 'reset' });
      await call(h.port, '/api/v1/chat/completions', { body: chatBody(FREE) }).catch(() => undefined);
      h.fake.fail('/chat/completions', { kind: 'status', status: 500 });
      await call(h.port, '/api/v1/chat/completions', { body: chatBody(FREE) });
      assert.equal(h.ledger.countSince(0), 2);
    });
  });

  describe('counts belong to one account', () => {
    it('GET /quota answers the local token or the same account, 403 to another account, 401 to nobody', async () => {
      assert.equal((await call(h.port, '/quota')).status, 200);
      assert.equal(
        (await call(h.port, '/quota', { token: null, headers: { [ACCOUNT_HEADER]: accountFingerprint(TEST_KEY) } }))
          .status,
        200,
      );
      const other = await call(h.port, '/quota', {
        token: null,
        headers: { [ACCOUNT_HEADER]: accountFingerprint(OTHER_KEY) },
      });
      assert.equal(other.status, 403);
      assert.equal(other.json().error?.metadata?.reason, 'other-account');
      assert.ok(!other.body.toString().includes('"day"'), 'no counts');
      const nobody = await call(h.port, '/quota/history', { token: null });
      assert.equal(nobody.status, 401);
      assert.ok(!nobody.body.toString().includes('hourly'));
      assert.equal((await probeProxy(h.port, accountFingerprint(OTHER_KEY))).kind, 'other-account');
      assert.equal((await probeProxy(h.port, accountFingerprint(TEST_KEY))).kind, 'ours');
    });

    it("a client's own key of another account passes through, not counted or paced against this one", async () => {
      h.fake.accept(OTHER_KEY);
      for (let i = 0; i < 3; i++)
        assert.equal(
          (await call(h.port, '/api/v1/chat/completions', { body: chatBody(FREE), token: OTHER_KEY })).status,
          200,
        );
      assert.equal(
        (await call(h.port, '/api/v1/chat/completions', { body: chatBody(FREE), token: TEST_KEY })).status,
        200,
      );
      assert.equal(h.ledger.countSince(0), 1, "only the metered key's request");
      assert.equal(h.fake.chats.filter((c) => c.headers.authorization === `Bearer ${OTHER_KEY}`).length, 3);
    });

    it("another account's window on the same port does not read it: blocked, its own figures only", async () => {
      for (let i = 0; i < 5; i++) await call(h.port, '/api/v1/chat/completions', { body: chatBody(FREE) });
      const b = await another(OTHER_KEY, h.port, h.root);
      assert.equal(b.host.role.role, 'blocked');
      assert.match((b.host.role as { message: string }).message, /another key/);
      b.account.observe(observation(Date.now(), {}, { used: 0, limit: 50 }));
      const v = b.account.view();
      assert.deepEqual([v.day.used, v.day.proxied, v.meter], [0, null, undefined], 'nothing of account A');
      assert.equal(await b.host.history(), undefined);
    });
  });

  describe('one writer per state directory', () => {
    it('a second host on the same state reads the first (on its port), and takes over with every record', async () => {
      for (let i = 0; i < 7; i++) await call(h.port, '/api/v1/chat/completions', { body: chatBody(FREE) });
      const clock = new FakeClock(Date.now());
      let hosting!: () => void;
      const hosts = new Promise<void>((resolve) => (hosting = resolve));
      const second = await another(TEST_KEY, 0, h.root, {
        token: TOKEN,
        clock,
        onRole: (r) => r.role === 'host' && hosting(),
      });
      assert.deepEqual(second.host.role, { role: 'reader', port: h.port });
      assert.equal(second.host.hosted, undefined, 'it opened no ledger');
      const firstPort = h.port;
      await h.host.stop();
      clock.advance(3_000); // the reader's next look
      await hosts;
      assert.notEqual(second.host.role.port, 0);
      assert.equal(second.host.ledger!.countSince(0), 7, 'no record lost');
      assert.equal(
        (await call(second.host.role.port, '/api/v1/chat/completions', { body: chatBody(FREE) })).status,
        200,
      );
      assert.equal(second.host.ledger!.countSince(0), 8);
      assert.ok(firstPort > 0);
    });

    it('an unusable state directory is a clear role and message, retried slowly, never a crash', async () => {
      const file = path.join(h.root, 'a-file');
      fs.writeFileSync(file, 'x');
      const log = new MemoryLogger();
      const x = await another(TEST_KEY, 0, file, { log });
      assert.equal(x.host.role.role, 'failed');
      assert.match(
        (x.host.role as { message: string }).message,
        new RegExp(`Cannot use ${escape(accountDir(file, accountFingerprint(TEST_KEY)))} for OpenRouter Quota's state`),
      );
      assert.equal(log.at('error').length, 1);
    });
  });
});

function escape(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
