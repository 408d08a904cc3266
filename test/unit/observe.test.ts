// fetchObservation with the real client against FakeOpenRouter: /key and /credits together, the hour-long
// memory of a 403 on /credits (counted in requests the fake saw), /credits failures that do not fail the
// poll, and what is carried over from the previous observation.
import * as assert from 'node:assert/strict';
import { AuthError, RateLimitError } from '../../src/core/errors';
import { fetchObservation } from '../../src/core/observe';
import { OpenRouterClient } from '../../src/core/openRouterClient';
import { HOUR } from '../../src/shared/time';
import { FakeOpenRouter, TEST_KEY } from '../fixtures/fakeOpenRouter';
import * as B from '../fixtures/openRouterBodies';
import { failure, isolateProxyEnv, MemoryLogger } from './helpers';

const T0 = Date.UTC(2026, 9, 1, 12, 0, 0);

describe('fetchObservation (real client, FakeOpenRouter)', () => {
  isolateProxyEnv();
  let fake: FakeOpenRouter;
  let client: OpenRouterClient;
  let now = T0;
  const clock = () => now;

  beforeEach(async () => {
    fake = await FakeOpenRouter.start();
    client = new OpenRouterClient({ baseUrl: fake.baseUrl, apiKey: TEST_KEY, timeoutMs: 2_000, now: clock });
    now = T0;
  });

  afterEach(async () => {
    await client.close();
    await fake.close();
  });

  it('asks /key and /credits, and reads a 403 on /credits as "needs a management key"', async () => {
    const obs = await fetchObservation(client, undefined, clock);
    assert.equal(obs.fetchedAt, T0);
    assert.deepEqual(obs.key.freeDaily, { used: 12, limit: 50, remaining: 38 });
    assert.deepEqual(obs.balance, { kind: 'unavailable', reason: 'needs-management-key' });
    assert.equal(obs.creditsCheckedAt, T0);
    assert.equal(obs.previous, undefined);
    assert.deepEqual([fake.count('/key'), fake.count('/credits')], [1, 1]);
  });

  it('does not ask /credits again within an hour of a 403, and asks again after', async () => {
    let obs = await fetchObservation(client, undefined, clock);
    for (const t of [T0 + 60_000, T0 + 30 * 60_000, T0 + HOUR - 1]) {
      now = t;
      obs = await fetchObservation(client, obs, clock);
      assert.deepEqual(obs.balance, { kind: 'unavailable', reason: 'needs-management-key' });
      assert.equal(obs.creditsCheckedAt, T0, 'the 403 stays remembered from when it was seen');
    }
    assert.deepEqual([fake.count('/key'), fake.count('/credits')], [4, 1]);

    now = T0 + HOUR;
    fake.credits = { total_credits: 12, total_usage: 2.5 };
    obs = await fetchObservation(client, obs, clock);
    assert.deepEqual([fake.count('/key'), fake.count('/credits')], [5, 2]);
    assert.deepEqual(obs.balance, { kind: 'known', credits: { totalCredits: 12, totalUsage: 2.5 } });
    assert.equal(obs.creditsCheckedAt, T0 + HOUR);
  });

  it('keeps asking /credits on every poll while it answers', async () => {
    fake.credits = { total_credits: 12, total_usage: 2.5 };
    let obs = await fetchObservation(client, undefined, clock);
    now += 60_000;
    obs = await fetchObservation(client, obs, clock);
    assert.equal(fake.count('/credits'), 2);
    assert.equal(obs.balance.kind, 'known');
  });

  for (const [name, fault] of [
    ['a 500', { kind: 'status', status: 500 }],
    ['a 429', { kind: 'status', status: 429, body: B.RATE_LIMIT_GENERIC }],
    ['malformed JSON', { kind: 'malformed' }],
    ['a dropped socket', { kind: 'reset' }],
  ] as const) {
    it(`/credits failing with ${name} does not fail the poll (and is retried next poll)`, async () => {
      const log = new MemoryLogger();
      fake.fail('/credits', fault);
      const obs = await fetchObservation(client, undefined, clock, undefined, log);
      assert.deepEqual(obs.key.freeDaily, { used: 12, limit: 50, remaining: 38 });
      assert.equal(obs.balance.kind, 'unavailable');
      assert.equal(obs.balance.kind === 'unavailable' && obs.balance.reason, 'error');
      assert.ok(obs.balance.kind === 'unavailable' && (obs.balance.message ?? '').length > 0);
      assert.match(log.at('warn')[0] ?? '', /GET \/credits failed/);
      now += 60_000;
      await fetchObservation(client, obs, clock);
      assert.equal(fake.count('/credits'), 2, 'an error is not the 403: ask again next time');
    });
  }

  it('a failing /key fails the poll, whatever /credits says', async () => {
    fake.fail('/key', { kind: 'status', status: 429, body: B.RATE_LIMIT_DAY_B });
    const e = await failure(fetchObservation(client, undefined, clock));
    assert.ok(RateLimitError.is(e), String(e));
    const bad = new OpenRouterClient({ baseUrl: fake.baseUrl, apiKey: 'sk-or-v1-' + '1'.repeat(64) });
    try {
      assert.ok(AuthError.is(await failure(fetchObservation(bad, undefined, clock))));
    } finally {
      await bad.close();
    }
  });

  it('carries the previous count (the per-minute estimate input) and the learned minute limit', async () => {
    const first = await fetchObservation(client, undefined, clock);
    now = T0 + 60_000;
    fake.setFreeDaily({ used: 15, limit: 50 });
    const second = await fetchObservation(client, { ...first, learnedPerMinute: 16 }, clock);
    assert.deepEqual(second.previous, { used: 12, at: T0, startedAt: T0 });
    assert.equal(second.learnedPerMinute, 16);
    assert.deepEqual(second.key.freeDaily, { used: 15, limit: 50, remaining: 35 });
  });

  it('has no previous count when the earlier poll had none', async () => {
    fake.setFreeDaily(null);
    const first = await fetchObservation(client, undefined, clock);
    fake.setFreeDaily({ used: 1, limit: 50 });
    now += 60_000;
    assert.equal((await fetchObservation(client, first, clock)).previous, undefined);
  });

  it('passes the AbortSignal to both calls', async () => {
    fake.fail('/key', { kind: 'hang' });
    fake.fail('/credits', { kind: 'hang' });
    const ac = new AbortController();
    const both = Promise.all([fake.nextRequest('/key'), fake.nextRequest('/credits')]);
    const pending = failure(fetchObservation(client, undefined, clock, ac.signal));
    await both;
    ac.abort();
    const e = await pending;
    assert.equal((e as { reason?: string }).reason, 'aborted');
  });
});
