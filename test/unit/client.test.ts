// OpenRouterClient over real HTTP against FakeOpenRouter on 127.0.0.1: shapes, fallbacks, every failure
// mode mapped to its typed error, 429 bodies classified end to end, and the key kept out of every error.
import * as assert from 'node:assert/strict';
import { checkKeyInput } from '../../src/core/apiKey';
import {
  AbortedError,
  AuthError,
  ForbiddenError,
  NetworkError,
  NotFoundError,
  OpenRouterError,
  PaymentRequiredError,
  RateLimitError,
  type RateLimitKind,
  ResponseShapeError,
  ServerError,
  TimeoutError,
  describeError,
} from '../../src/core/errors';
import { OpenRouterClient } from '../../src/core/openRouterClient';
import { type Fault, FakeOpenRouter, TEST_KEY } from '../fixtures/fakeOpenRouter';
import * as B from '../fixtures/openRouterBodies';
import { assertNoKey, closedPort, failure, isolateProxyEnv } from './helpers';

/** The client's clock for Retry-After and relative resets; deliberately not on a whole minute. */
const NOW = Date.UTC(2026, 8, 30, 18, 0, 7);

describe('OpenRouterClient (real HTTP against FakeOpenRouter)', () => {
  isolateProxyEnv();
  let fake: FakeOpenRouter;
  let client: OpenRouterClient;

  const makeClient = (over: Partial<ConstructorParameters<typeof OpenRouterClient>[0]> = {}) =>
    new OpenRouterClient({ baseUrl: fake.baseUrl, apiKey: TEST_KEY, timeoutMs: 5_000, now: () => NOW, ...over });

  beforeEach(async () => {
    fake = await FakeOpenRouter.start();
    client = makeClient();
  });

  afterEach(async () => {
    await client.close();
    await fake.close();
  });

  describe('GET /key', () => {
    it('reads the live 2026-10 shape, including free_model_daily_requests', async () => {
      const k = await client.getKey();
      assert.deepEqual(k.freeDaily, { used: 12, limit: 50, remaining: 38 });
      assert.equal(k.label, 'sk-or-v1-0e6...1c96');
      assert.equal(k.isFreeTier, true);
      assert.equal(k.isManagementKey, false);
      assert.equal(k.limit, null);
      assert.equal(k.limitRemaining, null);
      assert.equal(k.usage, 0.04217109);
      assert.equal(k.usageDaily, 0);
    });

    it('sends the key only as "Authorization: Bearer <key>" to GET /api/v1/key', async () => {
      await client.getKey();
      assert.deepEqual(
        fake.requests.map(({ method, path, authorization }) => ({ method, path, authorization })),
        [{ method: 'GET', path: '/key', authorization: `Bearer ${TEST_KEY}` }],
      );
    });

    it('reports freeDaily as null when the server leaves the field out', async () => {
      fake.setFreeDaily(null);
      const k = await client.getKey();
      assert.equal(k.freeDaily, null);
      assert.equal(k.isFreeTier, true);
    });

    it('clamps remaining at 0 when used is above limit (the recorded 60/50 reading)', async () => {
      fake.keyData = structuredClone(B.KEY_USED_OVER_LIMIT.data);
      const k = await client.getKey();
      assert.deepEqual(k.freeDaily, { used: 60, limit: 50, remaining: 0 });
      assert.equal(k.label, null);
    });

    it('reads the pre-2025 legacy schema without failing', async () => {
      fake.keyData = structuredClone(B.KEY_LEGACY.data);
      const k = await client.getKey();
      assert.deepEqual(k, {
        label: 'sk-or-v1-abc...def',
        limit: null,
        limitRemaining: null,
        limitReset: null,
        usage: 1.5,
        usageDaily: null,
        isFreeTier: false,
        isManagementKey: false,
        freeDaily: null,
      });
    });

    it('reads the 2026-08 spec example (a key with its own monthly cap)', async () => {
      fake.keyData = structuredClone(B.KEY_2026_08_SPEC.data);
      const k = await client.getKey();
      assert.equal(k.limit, 100);
      assert.equal(k.limitRemaining, 74.5);
      assert.equal(k.limitReset, 'monthly');
      assert.equal(k.isFreeTier, false);
      assert.equal(k.freeDaily, null);
    });

    it('falls back to the legacy /auth/key when /key answers 404', async () => {
      fake.keyRouteMissing = true;
      const k = await client.getKey();
      assert.deepEqual(k.freeDaily, { used: 12, limit: 50, remaining: 38 });
      assert.deepEqual(
        fake.requests.map((r) => [r.path, r.authorization]),
        [
          ['/key', `Bearer ${TEST_KEY}`],
          ['/auth/key', `Bearer ${TEST_KEY}`],
        ],
      );
    });

    it('does not fall back on other errors (a 500 on /key is not retried on /auth/key)', async () => {
      fake.fail('/key', { kind: 'status', status: 500 });
      assert.ok(ServerError.is(await failure(client.getKey())));
      assert.equal(fake.count('/auth/key'), 0);
    });

    it('throws NotFoundError when both /key and /auth/key answer 404', async () => {
      fake.keyRouteMissing = true;
      fake.fail('/auth/key', { kind: 'status', status: 404, body: { error: { code: 404, message: 'Not Found' } } });
      const e = await failure(client.getKey());
      assert.ok(NotFoundError.is(e), String(e));
      assert.equal(e.status, 404);
    });

    it('accepts a base URL with a trailing slash', async () => {
      const c = makeClient({ baseUrl: `${fake.baseUrl}//` });
      try {
        await c.getKey();
        assert.equal(fake.requests[0].path, '/key');
      } finally {
        await c.close();
      }
    });
  });

  describe('GET /credits and GET /models', () => {
    it('maps the 403 an ordinary key gets on /credits to ForbiddenError', async () => {
      const e = await failure(client.getCredits());
      assert.ok(ForbiddenError.is(e), String(e));
      assert.equal(e.status, 403);
      assert.equal(e.message, 'Only management keys can perform this operation');
      assert.ok(!AuthError.is(e), 'a 403 on /credits must never look like a bad key');
    });

    it('reads total_credits and total_usage when /credits answers', async () => {
      fake.credits = { total_credits: 100.5, total_usage: 25.75 };
      assert.deepEqual(await client.getCredits(), { totalCredits: 100.5, totalUsage: 25.75 });
      assert.equal(fake.requests[0].authorization, `Bearer ${TEST_KEY}`);
    });

    it('lists the free model ids from /models: :free, openrouter/free and 0/0-priced, not the paid ones', async () => {
      const ids = await client.getFreeModelIds();
      assert.deepEqual(ids, [
        'meta-llama/llama-3.3-70b-instruct:free',
        'openrouter/free',
        'openrouter/owl-alpha',
        'inclusionai/ling-3.1-flash',
      ]);
      assert.equal(fake.requests[0].path, '/models');
    });
  });

  describe('HTTP errors map to typed errors', () => {
    it("401 for a wrong key → AuthError with OpenRouter's message", async () => {
      const c = makeClient({ apiKey: 'sk-or-v1-' + '0'.repeat(64) });
      try {
        const e = await failure(c.getKey());
        assert.ok(AuthError.is(e), String(e));
        assert.equal(e.status, 401);
        assert.equal(e.message, 'User not found.');
        assert.equal(fake.count('/auth/key'), 0, 'a 401 is not a reason to try the legacy route');
        assertNoKey(e, 'sk-or-v1-' + '0'.repeat(64));
      } finally {
        await c.close();
      }
    });

    it('401 "Missing Authentication header" → AuthError', async () => {
      fake.fail('/key', { kind: 'status', status: 401, body: B.ERR_401_MISSING_HEADER });
      const e = await failure(client.getKey());
      assert.ok(AuthError.is(e), String(e));
      assert.equal(e.message, 'Missing Authentication header');
    });

    it('an empty key is rejected by the server as 401, not by a crash', async () => {
      const c = makeClient({ apiKey: '' });
      try {
        assert.ok(AuthError.is(await failure(c.getKey())));
      } finally {
        await c.close();
      }
    });

    it('402 → PaymentRequiredError', async () => {
      fake.fail('/key', { kind: 'status', status: 402, body: B.ERR_402_NEGATIVE });
      const e = await failure(client.getKey());
      assert.ok(PaymentRequiredError.is(e), String(e));
      assert.equal(e.status, 402);
      assert.match(describeError(e), /negative balance \(402\)/);
    });

    for (const status of [500, 502, 503]) {
      it(`${status} → ServerError without retryAt when there is no Retry-After`, async () => {
        fake.fail('/key', {
          kind: 'status',
          status,
          body: { error: { code: status, message: 'Internal Server Error' } },
        });
        const e = await failure(client.getKey());
        assert.ok(ServerError.is(e), String(e));
        assert.equal(e.status, status);
        assert.equal(e.retryAt, undefined);
        assert.equal(e.message, 'Internal Server Error');
      });
    }

    it('503 with Retry-After in seconds → ServerError.retryAt = now + seconds', async () => {
      fake.fail('/key', { kind: 'status', status: 503, headers: { 'Retry-After': '120' } });
      const e = await failure(client.getKey());
      assert.ok(ServerError.is(e), String(e));
      assert.equal(e.retryAt, NOW + 120_000);
    });

    it('500 with Retry-After as an HTTP date → ServerError.retryAt at that date', async () => {
      fake.fail('/key', { kind: 'status', status: 500, headers: { 'Retry-After': 'Wed, 30 Sep 2026 18:05:00 GMT' } });
      const e = await failure(client.getKey());
      assert.ok(ServerError.is(e), String(e));
      assert.equal(e.retryAt, Date.UTC(2026, 8, 30, 18, 5, 0));
    });

    it('an unexpected status (418) is a ServerError, not silently ignored', async () => {
      fake.fail('/key', { kind: 'status', status: 418, body: { error: { code: 418, message: 'teapot' } } });
      const e = await failure(client.getKey());
      assert.ok(ServerError.is(e), String(e));
      assert.equal(e.status, 418);
    });

    it('malformed JSON in a 200 → ResponseShapeError', async () => {
      fake.fail('/key', { kind: 'malformed' });
      const e = await failure(client.getKey());
      assert.ok(ResponseShapeError.is(e), String(e));
      assert.equal(e.status, 200);
    });

    it('a 200 without "data" (an error inside a 200 body) → ResponseShapeError', async () => {
      fake.fail('/key', { kind: 'status', status: 200, body: B.ERROR_IN_200 });
      assert.ok(ResponseShapeError.is(await failure(client.getKey())));
    });

    it('an answer that never comes → TimeoutError after timeoutMs', async () => {
      const c = makeClient({ timeoutMs: 300 });
      fake.fail('/key', { kind: 'hang' });
      const started = Date.now();
      try {
        const e = await failure(c.getKey());
        assert.ok(TimeoutError.is(e), String(e));
        assert.match(e.message, /300 ms/);
      } finally {
        await c.close();
      }
      const took = Date.now() - started;
      assert.ok(took >= 250 && took < 4_000, `took ${took} ms`);
    });

    it('a dropped socket → NetworkError', async () => {
      fake.fail('/key', { kind: 'reset' });
      const e = await failure(client.getKey());
      assert.ok(NetworkError.is(e), String(e));
      assert.equal(e.status, undefined);
    });

    it('a refused connection (closed port) → NetworkError', async () => {
      const port = await closedPort();
      const c = makeClient({ baseUrl: `http://127.0.0.1:${port}/api/v1` });
      try {
        const e = await failure(c.getKey());
        assert.ok(NetworkError.is(e), String(e));
        assert.match(e.message, /ECONNREFUSED/);
      } finally {
        await c.close();
      }
    });

    it('an AbortSignal fired mid-request → AbortedError (not a timeout)', async () => {
      fake.fail('/key', { kind: 'hang' });
      const ac = new AbortController();
      const seen = fake.nextRequest('/key');
      const pending = failure(client.getKey(ac.signal));
      await seen;
      ac.abort();
      const e = await pending;
      assert.ok(AbortedError.is(e), String(e));
    });

    it('an already-aborted signal → AbortedError, and nothing is sent', async () => {
      const e = await failure(client.getKey(AbortSignal.abort()));
      assert.ok(AbortedError.is(e), String(e));
      assert.equal(fake.requests.length, 0);
    });
  });

  describe('429 answers, classified end to end', () => {
    type Expect = { kind: RateLimitKind; limit?: number; resetsAt?: number; message: string };
    const expected: Record<string, Expect> = {
      RATE_LIMIT_GENERIC: { kind: 'unknown', message: 'Rate limit exceeded' },
      RATE_LIMIT_DAY_A: {
        kind: 'per-day',
        limit: 50,
        resetsAt: 1784505600000,
        message: B.RATE_LIMIT_DAY_A.error.message,
      },
      RATE_LIMIT_DAY_B: {
        kind: 'per-day',
        limit: 50,
        resetsAt: 1790812800000,
        message: B.RATE_LIMIT_DAY_B.error.message,
      },
      RATE_LIMIT_DAY_HIGH_BALANCE: {
        kind: 'per-day',
        limit: 1000,
        resetsAt: 1790726400000,
        message: 'Rate limit exceeded: free-models-per-day-high-balance.',
      },
      RATE_LIMIT_DAY_STEALTH: {
        kind: 'per-day',
        limit: 1000,
        resetsAt: 1790726400000,
        message: 'Rate limit exceeded: free-models-per-day-stealth.',
      },
      RATE_LIMIT_MINUTE: {
        kind: 'per-minute',
        limit: 20,
        resetsAt: 1765680060000,
        message: 'Rate limit exceeded: free-models-per-min.',
      },
      RATE_LIMIT_MINUTE_16: {
        kind: 'per-minute',
        limit: 16,
        resetsAt: 1782651060000,
        message: 'Rate limit exceeded: free-models-per-min.',
      },
      RATE_LIMIT_UPSTREAM: { kind: 'upstream', message: 'Provider returned error' },
      RATE_LIMIT_UPSTREAM_POOL: { kind: 'upstream', message: 'Provider returned error' },
      RATE_LIMIT_CAPACITY: { kind: 'upstream', resetsAt: NOW + 40_000, message: B.RATE_LIMIT_CAPACITY.error.message },
      RATE_LIMIT_REWRAPPED: { kind: 'per-day', message: 'Rate limit exceeded: free-models-per-day-high-balance.' },
      ERROR_IN_200: { kind: 'upstream', message: 'Provider returned error' },
    };
    const bodies = Object.entries(B).filter(([name]) => name.startsWith('RATE_LIMIT_') || name === 'ERROR_IN_200');

    it('has an expectation for every recorded 429 body', () => {
      assert.deepEqual(bodies.map(([name]) => name).sort(), Object.keys(expected).sort());
    });

    for (const [name, body] of bodies) {
      it(`${name} → RateLimitError ${expected[name]?.kind}`, async () => {
        fake.fail('/key', { kind: 'status', status: 429, body });
        const e = await failure(client.getKey());
        assert.ok(RateLimitError.is(e), String(e));
        const want = expected[name];
        assert.deepEqual(
          { kind: e.kind, limit: e.limit, resetsAt: e.resetsAt, message: e.message },
          { limit: undefined, resetsAt: undefined, ...want },
        );
        assert.equal(e.status, 429);
        assert.equal(fake.count('/auth/key'), 0);
      });
    }

    it('reads real X-RateLimit-* response headers when the body has none', async () => {
      const reset = Date.UTC(2026, 8, 30, 18, 1, 0); // the next whole minute after NOW
      fake.fail('/key', {
        kind: 'status',
        status: 429,
        body: B.RATE_LIMIT_GENERIC,
        headers: { 'X-RateLimit-Limit': '20', 'X-RateLimit-Remaining': '0', 'X-RateLimit-Reset': String(reset) },
      });
      const e = await failure(client.getKey());
      assert.ok(RateLimitError.is(e), String(e));
      assert.deepEqual([e.kind, e.limit, e.resetsAt], ['per-minute', 20, reset]);
    });

    it('infers per-day from a reset at 00:00 UTC sent only as a header', async () => {
      const reset = Date.UTC(2026, 9, 1);
      fake.fail('/key', {
        kind: 'status',
        status: 429,
        body: B.RATE_LIMIT_GENERIC,
        headers: { 'X-RateLimit-Limit': '50', 'X-RateLimit-Reset': String(reset) },
      });
      const e = await failure(client.getKey());
      assert.ok(RateLimitError.is(e), String(e));
      assert.deepEqual([e.kind, e.limit, e.resetsAt], ['per-day', 50, reset]);
    });

    it('prefers the HTTP response headers over the copy in error.metadata.headers', async () => {
      fake.fail('/key', {
        kind: 'status',
        status: 429,
        body: B.RATE_LIMIT_DAY_A,
        headers: { 'X-RateLimit-Limit': '1000', 'X-RateLimit-Reset': '1790812800000' },
      });
      const e = await failure(client.getKey());
      assert.ok(RateLimitError.is(e), String(e));
      assert.deepEqual([e.kind, e.limit, e.resetsAt], ['per-day', 1000, 1790812800000]);
    });

    it('uses Retry-After when there is no X-RateLimit-Reset', async () => {
      fake.fail('/key', { kind: 'status', status: 429, body: B.RATE_LIMIT_UPSTREAM, headers: { 'Retry-After': '30' } });
      const e = await failure(client.getKey());
      assert.ok(RateLimitError.is(e), String(e));
      assert.deepEqual([e.kind, e.resetsAt], ['upstream', NOW + 30_000]);
    });
  });

  describe('the key stays secret', () => {
    const faults: [string, Fault | 'refused' | 'abort'][] = [
      ['401', { kind: 'status', status: 401, body: B.ERR_401_USER_NOT_FOUND }],
      ['403', { kind: 'status', status: 403, body: B.ERR_403_MANAGEMENT_ONLY }],
      ['402', { kind: 'status', status: 402, body: B.ERR_402_NEGATIVE }],
      ['429', { kind: 'status', status: 429, body: B.RATE_LIMIT_DAY_B }],
      ['500', { kind: 'status', status: 500 }],
      ['malformed', { kind: 'malformed' }],
      ['reset', { kind: 'reset' }],
      ['hang', { kind: 'hang' }],
      ['refused', 'refused'],
      ['abort', 'abort'],
    ];
    for (const [name, fault] of faults) {
      it(`is not in the error for: ${name}`, async () => {
        let c = makeClient({ timeoutMs: 300 });
        try {
          let signal: AbortSignal | undefined;
          if (fault === 'refused') {
            await c.close();
            c = makeClient({ baseUrl: `http://127.0.0.1:${await closedPort()}/api/v1` });
          } else if (fault === 'abort') {
            const ac = new AbortController();
            signal = ac.signal;
            fake.fail('/key', { kind: 'hang' });
            void fake.nextRequest('/key').then(() => ac.abort());
          } else {
            fake.fail('/key', fault);
          }
          const e = await failure(c.getKey(signal));
          assert.ok(OpenRouterError.is(e), String(e));
          assertNoKey(e);
          assert.ok(!describeError(e).includes(TEST_KEY));
        } finally {
          await c.close();
        }
      });
    }

    it('is redacted when a server or gateway echoes it back in an error message', async () => {
      fake.fail('/key', {
        kind: 'status',
        status: 401,
        body: { error: { code: 401, message: `Invalid API key: ${TEST_KEY}` } },
      });
      fake.fail('/credits', {
        kind: 'status',
        status: 500,
        body: { error: { code: 500, message: `upstream failed for Bearer ${TEST_KEY}` } },
      });
      fake.fail('/models', {
        kind: 'status',
        status: 429,
        body: { error: { code: 429, message: `free-models-per-min for ${TEST_KEY}` } },
      });
      for (const call of [client.getKey(), client.getCredits(), client.getFreeModelIds()]) {
        const e = await failure(call);
        assert.ok(OpenRouterError.is(e), String(e));
        assertNoKey(e);
        assert.ok(!describeError(e).includes(TEST_KEY));
        assert.match(e.message, /redacted/);
      }
    });

    it('is redacted from a non-JSON error body quoted in the message', async () => {
      fake.fail('/key', {
        kind: 'status',
        status: 502,
        body: `<html>bad gateway, Authorization: Bearer ${TEST_KEY}</html>`,
      });
      const e = await failure(client.getKey());
      assert.ok(ServerError.is(e), String(e));
      assertNoKey(e);
    });

    it("is sent exactly as given: trimming stray whitespace is checkKeyInput's job", async () => {
      const pasted = `  "${TEST_KEY}"\n`;
      const raw = makeClient({ apiKey: ` ${TEST_KEY}` });
      try {
        const e = await failure(raw.getKey());
        assert.ok(AuthError.is(e), `an untrimmed key is not silently fixed by the client: ${String(e)}`);
        assertNoKey(e);
      } finally {
        await raw.close();
      }
      const checked = checkKeyInput(pasted);
      assert.ok(checked.ok);
      const c = makeClient({ apiKey: checked.key });
      try {
        assert.deepEqual((await c.getKey()).freeDaily, { used: 12, limit: 50, remaining: 38 });
        assert.equal(fake.requests.at(-1)?.authorization, `Bearer ${TEST_KEY}`);
      } finally {
        await c.close();
      }
    });

    it('a key with a line break in it fails without sending anything and without showing the key', async () => {
      const c = makeClient({ apiKey: `${TEST_KEY}\n` });
      try {
        const e = await failure(c.getKey());
        assert.ok(OpenRouterError.is(e), String(e));
        assertNoKey(e);
        assert.equal(fake.requests.length, 0);
      } finally {
        await c.close();
      }
    });
  });
});
