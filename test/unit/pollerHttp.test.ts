// The whole core chain over real HTTP: QuotaPoller → fetchObservation → OpenRouterClient → FakeOpenRouter,
// with a FakeClock for the schedule. Waits for the snapshots the poller emits, never for wall-clock time.
import * as assert from 'node:assert/strict';
import { keyId } from '../../src/core/apiKey';
import { AbortedError } from '../../src/core/errors';
import { renderStatusBar } from '../../src/core/format';
import { fetchObservation } from '../../src/core/observe';
import { OpenRouterClient } from '../../src/core/openRouterClient';
import { QuotaPoller } from '../../src/core/poller';
import { DEFAULT_SETTINGS, type Observation } from '../../src/core/quota';
import { MemorySharedStore } from '../../src/core/sharedStore';
import { DAY, MINUTE } from '../../src/shared/time';
import { FakeClock, settle } from '../fixtures/fakeClock';
import { FakeOpenRouter, TEST_KEY } from '../fixtures/fakeOpenRouter';
import * as B from '../fixtures/openRouterBodies';
import { isolateProxyEnv } from './helpers';
import { nextSnapshot } from './pollerSupport';

/** 2026-09-30 18:00 UTC: six hours before the reset in RATE_LIMIT_DAY_B (2026-10-01 00:00 UTC). */
const T0 = Date.UTC(2026, 8, 30, 18, 0, 0);

describe('QuotaPoller with the real client against FakeOpenRouter', () => {
  isolateProxyEnv();
  let fake: FakeOpenRouter;
  let clock: FakeClock;
  let client: OpenRouterClient;
  let poller: QuotaPoller;
  let cleanups: (() => unknown)[] = [];
  let fetchOutcomes: Promise<unknown>[];

  const startPoller = (apiKey = TEST_KEY) => {
    client = new OpenRouterClient({ baseUrl: fake.baseUrl, apiKey, timeoutMs: 5_000, now: () => clock.now() });
    poller = new QuotaPoller({
      clock,
      fetch: (previous: Observation | undefined, signal: AbortSignal) => {
        const p = fetchObservation(client, previous, () => clock.now(), signal);
        fetchOutcomes.push(
          p.then(
            () => 'ok',
            (e: unknown) => e,
          ),
        );
        return p;
      },
      store: new MemorySharedStore(),
      keyId: keyId(apiKey),
      owner: 'window-a',
      settings: () => DEFAULT_SETTINGS,
      random: () => 0.5,
    });
    const [p, c] = [poller, client];
    cleanups = [() => p.dispose(), () => c.close()];
  };

  beforeEach(async () => {
    fake = await FakeOpenRouter.start();
    clock = new FakeClock(T0);
    fetchOutcomes = [];
  });

  afterEach(async () => {
    for (const c of cleanups.splice(0)) await c();
    await fake.close();
  });

  it("shows the server's numbers, follows them each interval, and asks /credits once per hour after a 403", async () => {
    startPoller();
    const first = nextSnapshot(poller, (s) => s.status === 'ok');
    poller.start();
    const s1 = await first;
    assert.equal(renderStatusBar(s1).text, '$(pulse) 12/50 · —/20');
    assert.equal(fake.requests.find((r) => r.path === '/key')?.authorization, `Bearer ${TEST_KEY}`);

    fake.setFreeDaily({ used: 15, limit: 50 });
    const second = nextSnapshot(poller, (s) => s.fetchedAt === T0 + MINUTE);
    clock.advance(MINUTE);
    const s2 = await second;
    assert.equal(renderStatusBar(s2).text, '$(pulse) 15/50 · ~3/20');
    assert.deepEqual([fake.count('/key'), fake.count('/credits')], [2, 1]);
    assert.equal(clock.pending, 1);
  });

  it('a rejected key (401) stops all requests until refresh()', async () => {
    startPoller('sk-or-v1-' + 'f'.repeat(64));
    const rejected = nextSnapshot(poller, (s) => s.status === 'error');
    poller.start();
    const s = await rejected;
    assert.equal(s.error?.reason, 'auth');
    assert.equal(renderStatusBar(s).text, '$(error) OpenRouter: key rejected');
    assert.equal(clock.pending, 0);
    assert.equal(fake.count('/key'), 1);
    clock.advance(DAY);
    poller.setFocused(false);
    poller.setFocused(true);
    await settle();
    assert.equal(fake.count('/key'), 1);

    await poller.refresh();
    assert.equal(fake.count('/key'), 2);
  });

  it('a per-day 429 from the server holds every request until the reset it names', async () => {
    fake.fail('/key', { kind: 'status', status: 429, body: B.RATE_LIMIT_DAY_B });
    startPoller();
    const limited = nextSnapshot(poller, (s) => s.status === 'error');
    poller.start();
    const s = await limited;
    assert.equal(s.error?.reason, 'rate-limit');
    assert.equal(s.error?.retryAt, 1790812800000);
    const seen = fake.count('/key');
    clock.advanceTo(1790812800000 - 1);
    await settle();
    assert.equal(fake.count('/key'), seen);
    fake.setFreeDaily({ used: 0, limit: 50 });
    const recovered = nextSnapshot(poller, (x) => x.status === 'ok');
    clock.advance(1);
    assert.equal(renderStatusBar(await recovered).text, '$(pulse) 0/50 · —/20');
    assert.equal(fake.count('/key'), seen + 1);
  });

  it('dispose() aborts the request in flight', async () => {
    fake.fail('/key', { kind: 'hang' });
    startPoller();
    const asked = fake.nextRequest('/key');
    poller.start();
    await asked;
    poller.dispose();
    const outcome = await fetchOutcomes[0];
    assert.ok(AbortedError.is(outcome), String(outcome));
    assert.equal(clock.pending, 0);
  });
});
