// Hostile-input properties of every parser of OpenRouter answers (and of the webview's messages): each
// malformed, mistyped, huge or wrongly encoded input ends in a value of the documented type or a typed
// error, never another exception, and Object.prototype is never touched.
import * as assert from 'node:assert/strict';
import fc from 'fast-check';
import { Agent } from 'undici';
import { AccountModel } from '../../src/core/account/model';
import { OpenRouterError, RateLimitError, ResponseShapeError } from '../../src/core/errors';
import { exchangeCode, parseCallbackQuery } from '../../src/core/oauth';
import { errorForStatus, OpenRouterClient } from '../../src/core/openRouterClient';
import { learnRateLimit, rateLimitOfEvent } from '../../src/core/proxy/learning';
import { MinutePacer } from '../../src/core/proxy/pacer';
import { jsonBodyTap, sseErrorTap } from '../../src/core/proxy/sseTap';
import { classifyRateLimit, findErrorEnvelope, parseResetValue, parseRetryAfter } from '../../src/core/rateLimit';
import { DEFAULT_SETTINGS } from '../../src/core/quota';
import {
  type FreeDaily,
  parseCredits,
  parseFreeDaily,
  parseFreeModelIds,
  parseKeyInfo,
} from '../../src/core/responses';
import { isModelAction, isModelIds, isUserAction } from '../../src/shared/actions';
import { isWebviewMessage } from '../../src/shared/protocol';
import { FakeOpenRouter, TEST_KEY } from '../fixtures/fakeOpenRouter';
import { isolateProxyEnv } from './helpers';
import {
  chunked,
  headerBag,
  hostileJson,
  jsonText,
  nastyString,
  numberText,
  objectText,
  prototypeIntact,
  wrapped,
} from './hostile/arbitraries';

const RUNS = { numRuns: 500 };
const now = Date.UTC(2026, 10, 29, 12, 0, 0);
const MAX_TIME = 8.64e15;

const isFiniteOrNull = (v: unknown) => v === null || (typeof v === 'number' && Number.isFinite(v));
const validTime = (v: unknown) =>
  v === undefined ||
  (typeof v === 'number' && Number.isFinite(v) && Math.abs(v) <= MAX_TIME && !Number.isNaN(new Date(v).getTime()));

/** Runs f; a thrown error must be a ResponseShapeError, and the prototype must stay clean either way. */
function typedOrValue<T>(f: () => T, check: (v: T) => void): void {
  let v: T;
  try {
    v = f();
  } catch (e) {
    assert.ok(
      e instanceof ResponseShapeError && OpenRouterError.is(e),
      `expected a ResponseShapeError, got ${String(e)}`,
    );
    assert.ok(prototypeIntact(), 'Object.prototype changed');
    return;
  }
  check(v);
  assert.ok(prototypeIntact(), 'Object.prototype changed');
}

function checkFreeDaily(fd: FreeDaily | null): void {
  if (fd === null) return;
  for (const k of ['used', 'limit', 'remaining'] as const)
    assert.ok(Number.isSafeInteger(fd[k]) && fd[k] >= 0, `${k}=${fd[k]}`);
  assert.ok(fd.limit > 0 && fd.remaining <= fd.limit, JSON.stringify(fd));
  assert.deepEqual(Object.keys(fd).sort(), ['limit', 'remaining', 'used']);
}

const freeDailyText = objectText({ used: numberText, limit: numberText, remaining: numberText });
const keyDataText = objectText({
  label: nastyString.map((s) => JSON.stringify(s)),
  limit: numberText,
  limit_remaining: numberText,
  limit_reset: fc.constantFrom('"daily"', 'null', '1', '"\\ud800"'),
  usage: numberText,
  usage_daily: numberText,
  is_free_tier: fc.constantFrom('true', 'false', '"true"', '1', 'null'),
  is_management_key: fc.constantFrom('true', 'false', '"true"', '1'),
  is_provisioning_key: fc.constantFrom('true', 'false', '"true"', '1'),
  free_model_daily_requests: freeDailyText,
});
const envelopeText = objectText({
  code: fc.oneof(numberText, fc.constantFrom('"429"', '429', '"rate_limited"', '{}', 'null')),
  message: fc.oneof(
    nastyString.map((s) => JSON.stringify(s)),
    fc.constantFrom('{"toString":1}', '{"valueOf":1,"toString":{}}', '[]', '1e400'),
  ),
  metadata: objectText({
    headers: objectText({
      'X-RateLimit-Limit': numberText,
      'X-RateLimit-Remaining': numberText,
      'X-RateLimit-Reset': fc.oneof(
        numberText,
        numberText.map((n) => JSON.stringify(n)),
      ),
      'Retry-After': fc.oneof(
        numberText,
        nastyString.map((s) => JSON.stringify(s)),
      ),
    }),
    limit_source: fc.constantFrom(
      '"openrouter_per_model_minute"',
      '"openrouter_free_tier_daily"',
      '"upstream_provider_shared_pool"',
      '1',
      '{}',
    ),
    provider_name: fc.constantFrom('"Chutes"', '""', 'null', '1'),
  }),
  availability: objectText({ retry_after: numberText }),
});
const errorBodyText = fc.oneof(
  wrapped(envelopeText, 'error'),
  objectText({ choices: fc.array(wrapped(envelopeText, 'error'), { maxLength: 2 }).map((xs) => `[${xs.join(',')}]`) }),
);

describe('hostile input: parsers of OpenRouter answers (fast-check)', () => {
  it('parseKeyInfo: a KeyInfo of the documented types, or a ResponseShapeError', () => {
    fc.assert(
      fc.property(
        fc.oneof(
          wrapped(keyDataText).map((t) => JSON.parse(t) as unknown),
          hostileJson,
        ),
        (body) =>
          typedOrValue(
            () => parseKeyInfo(body),
            (k) => {
              assert.ok(k.label === null || typeof k.label === 'string');
              assert.ok(k.limitReset === null || typeof k.limitReset === 'string');
              for (const n of [k.limit, k.limitRemaining, k.usage, k.usageDaily])
                assert.ok(isFiniteOrNull(n), String(n));
              assert.ok(k.isFreeTier === null || typeof k.isFreeTier === 'boolean');
              assert.equal(typeof k.isManagementKey, 'boolean');
              checkFreeDaily(k.freeDaily);
            },
          ),
      ),
      RUNS,
    );
  });

  it('parseFreeDaily: null or {used, limit, remaining} as safe non-negative integers', () => {
    fc.assert(
      fc.property(
        fc.oneof(
          freeDailyText.map((t) => JSON.parse(t) as unknown),
          hostileJson,
        ),
        (v) => typedOrValue(() => parseFreeDaily(v), checkFreeDaily),
      ),
      RUNS,
    );
  });

  it('parseCredits: finite numbers, or a ResponseShapeError', () => {
    const credits = wrapped(objectText({ total_credits: numberText, total_usage: numberText }));
    fc.assert(
      fc.property(
        fc.oneof(
          credits.map((t) => JSON.parse(t) as unknown),
          hostileJson,
        ),
        (body) =>
          typedOrValue(
            () => parseCredits(body),
            (c) => {
              assert.ok(Number.isFinite(c.totalCredits) && Number.isFinite(c.totalUsage));
              assert.deepEqual(Object.keys(c).sort(), ['totalCredits', 'totalUsage']);
            },
          ),
      ),
      RUNS,
    );
  });

  it('parseFreeModelIds: a list of the ids it was given, or a ResponseShapeError', () => {
    const price = fc.oneof(
      numberText,
      numberText.map((n) => JSON.stringify(n)),
      fc.constantFrom('"0"', '" 0 "', '""', '"-0"', '"0x0"', '"0e0"', 'null', '[]', '[0]', '{}'),
    );
    const model = objectText({
      id: fc.oneof(
        nastyString.map((s) => JSON.stringify(s)),
        fc.constantFrom('"a:free"', '"openrouter/free"', '1'),
      ),
      pricing: objectText({ prompt: price, completion: price }),
    });
    const models = fc.array(model, { maxLength: 8 }).map((xs) => `[${xs.join(',')}]`);
    fc.assert(
      fc.property(
        fc.oneof(
          wrapped(models).map((t) => JSON.parse(t) as unknown),
          hostileJson,
        ),
        (body) =>
          typedOrValue(
            () => parseFreeModelIds(body),
            (ids) => {
              assert.ok(Array.isArray(ids));
              const given = (body as { data: Array<{ id?: unknown } | null> }).data.map((m) =>
                m !== null && typeof m === 'object' ? m.id : undefined,
              );
              for (const id of ids) assert.ok(typeof id === 'string' && given.includes(id));
            },
          ),
      ),
      RUNS,
    );
  });

  it('findErrorEnvelope: undefined or {code?, message: string, metadata?}, never an exception', () => {
    fc.assert(
      fc.property(
        fc.oneof(
          errorBodyText.map((t) => JSON.parse(t) as unknown),
          hostileJson,
        ),
        (body) => {
          const env = findErrorEnvelope(body);
          if (env !== undefined) {
            assert.equal(typeof env.message, 'string');
            assert.ok(env.code === undefined || typeof env.code === 'number' || typeof env.code === 'string');
            assert.ok(env.metadata === undefined || (typeof env.metadata === 'object' && env.metadata !== null));
          }
          assert.ok(prototypeIntact());
        },
      ),
      RUNS,
    );
  });

  it('classifyRateLimit: a kind, finite numbers and a valid reset time, never an exception', () => {
    fc.assert(
      fc.property(
        fc.oneof(
          errorBodyText.map((t) => JSON.parse(t) as unknown),
          hostileJson,
        ),
        fc.option(headerBag, { nil: undefined }),
        (body, headers) => {
          const info = classifyRateLimit(body, headers, now);
          assert.ok(['per-minute', 'per-day', 'upstream', 'unknown'].includes(info.kind));
          assert.ok(info.limit === undefined || Number.isFinite(info.limit));
          assert.ok(info.remaining === undefined || Number.isFinite(info.remaining));
          assert.ok(validTime(info.resetsAt), `resetsAt ${info.resetsAt}`);
          assert.ok(typeof info.message === 'string' && info.message.length > 0);
          assert.ok(prototypeIntact());
        },
      ),
      RUNS,
    );
  });

  it('parseResetValue and parseRetryAfter: undefined or a time a Date can hold', () => {
    const raw = fc.option(
      fc.oneof(
        nastyString,
        numberText,
        fc.date({ noInvalidDate: true }).map((d) => d.toUTCString()),
      ),
      { nil: undefined },
    );
    const when = fc.oneof(fc.constant(now), fc.integer({ min: -MAX_TIME, max: MAX_TIME }));
    fc.assert(
      fc.property(raw, when, (r, n) => {
        const a = parseResetValue(r, n);
        const b = parseRetryAfter(r, n);
        assert.ok(validTime(a), `parseResetValue(${r}) = ${a}`);
        assert.ok(validTime(b), `parseRetryAfter(${r}) = ${b}`);
        if (a !== undefined) new Date(a).toISOString();
        if (b !== undefined) new Date(b).toISOString();
      }),
      RUNS,
    );
  });

  it('errorForStatus: always an OpenRouterError, 429s a RateLimitError, and never the key in its message', () => {
    const status = fc.oneof(
      fc.constantFrom(400, 401, 402, 403, 404, 408, 429, 500, 502, 503, 504, 0, 199, 302, 600, 999),
      fc.integer({ min: 100, max: 599 }),
    );
    // The key is planted in the message, the text and the headers, the way a gateway might echo it.
    const withKey = fc.constantFrom(
      TEST_KEY,
      ` ${TEST_KEY} `,
      `Bearer ${TEST_KEY}`,
      `${TEST_KEY}${TEST_KEY}`,
      `"${TEST_KEY}"`,
    );
    const body = fc.oneof(
      errorBodyText.map((t) => JSON.parse(t) as unknown),
      hostileJson,
      withKey.map((k) => ({ error: { code: 400, message: `bad key ${k}` } })),
      fc.constant(undefined),
    );
    const text = fc.oneof(
      nastyString,
      jsonText,
      withKey.map((k) => `<html>upstream says ${k}</html>`),
    );
    fc.assert(
      fc.property(
        status,
        body,
        text,
        fc.oneof(
          headerBag,
          withKey.map((k) => ({ 'retry-after': k })),
        ),
        (s, b, t, hdrs) => {
          const e = errorForStatus(s, hdrs, b, t, '/key', now, [TEST_KEY]);
          assert.ok(OpenRouterError.is(e) && e instanceof OpenRouterError);
          if (s === 429) assert.ok(e instanceof RateLimitError && validTime(e.resetsAt));
          assert.equal(typeof e.message, 'string');
          assert.ok(!e.message.includes(TEST_KEY), e.message);
          assert.ok(!e.message.includes(TEST_KEY.slice(9)), 'the key body leaked');
        },
      ),
      RUNS,
    );
  });

  it('isWebviewMessage: a boolean, true only for the three known shapes', () => {
    const msg = fc.oneof(
      hostileJson,
      objectText({
        type: fc.constantFrom('"ready"', '"action"', '"modelAction"', '"command"', '"state"', '1', 'null'),
        action: fc.constantFrom(
          '"refresh"',
          '"showLog"',
          '"copySummary"',
          '"copyModelId"',
          '"setFallbackModels"',
          '"toString"',
          '"__proto__"',
          '"constructor"',
          '1',
          '["refresh"]',
        ),
        ids: fc.constantFrom('["a/b:free"]', '[]', '["a b"]', '"a/b:free"', '[1]', '["\\u0000"]', 'null'),
      }).map((t) => JSON.parse(t) as unknown),
      fc.constantFrom(undefined, null, 0, '', 'ready', Symbol('x'), () => undefined, Object.create(null) as unknown, [
        { type: 'ready' },
      ]),
    );
    fc.assert(
      fc.property(msg, (m) => {
        const ok = isWebviewMessage(m);
        assert.equal(typeof ok, 'boolean');
        if (ok) {
          const o = m as { type: string; action?: unknown; ids?: unknown };
          // Only the action tables' names, never the one that needs the host's text, and model ids that are ids.
          assert.ok(
            o.type === 'ready' ||
              (o.type === 'action' && isUserAction(o.action) && o.action !== 'copySummary') ||
              (o.type === 'modelAction' && isModelAction(o.action) && isModelIds(o.ids)),
          );
          assert.ok(Object.hasOwn(o, 'type'), "type must be the message's own");
        }
      }),
      RUNS,
    );
  });

  it('parseCallbackQuery (OAuth callback): strings or undefined, never empty, never an exception', () => {
    const query = fc.oneof(
      nastyString,
      fc
        .array(
          fc.tuple(
            fc.constantFrom('state', 'code', 'error', 'error_description', '__proto__', 'constructor', 'windowId'),
            nastyString,
          ),
          { maxLength: 5 },
        )
        .map((es) => es.map(([k, v]) => `${k}=${v}`).join(fc.sample(fc.constantFrom('&', '?', '&&'), 1)[0])),
      fc.string({ unit: fc.constantFrom('%', 'E', '0', 'F', 'D', '8', '?', '&', '=', '+', 'c', 'o', 'd', 'e') }),
    );
    fc.assert(
      fc.property(query, (q) => {
        const p = parseCallbackQuery(q);
        for (const v of [p.state, p.code, p.error, p.errorDescription])
          assert.ok(v === undefined || (typeof v === 'string' && v.trim() !== '' && v === v.trim()));
        assert.ok(prototypeIntact());
      }),
      RUNS,
    );
  });
});

// ---------------------------------------------------------------------------------------------------
// The proxy's response taps: inspected bytes may be cut anywhere, including inside a UTF-8 character.

/** An SSE stream of ordinary events, error events, comments, garbage and invalid UTF-8. */
const sseStream = fc
  .array(
    fc.oneof(
      fc.constantFrom(
        ': OPENROUTER PROCESSING',
        'data: [DONE]',
        'event: message',
        'data: {"choices":[{"delta":{"content":"héllo 😀"}}]}',
        'data: {"error"',
        'data:{"error":null}',
        'retry: 1',
      ),
      errorBodyText.map((t) => `data: ${t}`),
      fc.constantFrom(
        'data: {"error":{"code":429,"message":"Rate limit exceeded: free-models-per-min","metadata":{"headers":{"X-RateLimit-Reset":"1e300"}}}}',
        'data: {"error":{"code":429,"message":{"toString":1}}}',
        'data: {"error":{"code":"429","metadata":{"headers":{"X-RateLimit-Limit":20}}}}',
      ),
      nastyString.map((s) => `data: ${s.replace(/[\r\n]/g, ' ')}`),
    ),
    { maxLength: 12 },
  )
  .chain((lines) =>
    fc.tuple(
      fc.constant(lines),
      fc.array(fc.constantFrom('\n', '\r\n', '\n\n', '\r\n\r\n'), { minLength: lines.length, maxLength: lines.length }),
      fc.uint8Array({ maxLength: 6 }),
    ),
  )
  .map(([lines, seps, junk]) =>
    Buffer.concat([Buffer.from(lines.map((l, i) => l + seps[i]).join(''), 'utf8'), Buffer.from(junk)]),
  );

const learnerClock = { now: () => now, setTimer: () => ({ cancel() {} }) };
const learner = {
  account: new AccountModel({ clock: learnerClock, settings: () => DEFAULT_SETTINGS }),
  pacer: new MinutePacer({
    clock: learnerClock,
    mode: () => 'queue',
    limit: () => 20,
    used: () => 0,
    admit: () => undefined,
    maxQueue: 1,
    maxWaitMs: () => 0,
  }),
};

/**
 * The proxy's own handling of each error event it is told about (learning.ts, as server.ts wires it into
 * rateLimitTap): classify it, teach a real account model and pacer, build the log line. None may throw.
 */
function asProxyWould(v: unknown): string {
  const info = rateLimitOfEvent(v, now);
  if (info) learnRateLimit(info, 'm:free', now, learner);
  return JSON.stringify(v);
}

describe("hostile input: the proxy's response taps (fast-check, arbitrary chunkings)", () => {
  it('sseErrorTap finds the same error events however the stream is cut, and its callers never throw', () => {
    fc.assert(
      fc.property(sseStream, fc.array(fc.nat(), { maxLength: 20 }), (buf, cuts) => {
        const whole: string[] = [];
        const tapWhole = sseErrorTap((v) => whole.push(asProxyWould(v)));
        tapWhole.push(buf);
        tapWhole.end();
        const parts: string[] = [];
        const tap = sseErrorTap((v) => parts.push(asProxyWould(v)));
        for (const c of chunked(buf, cuts)) tap.push(c);
        tap.end();
        assert.deepEqual(parts, whole);
        // The reference: every complete `data:` line whose JSON has an `error`.
        const expected = buf
          .toString('utf8')
          .split('\n')
          .map((l) => l.replace(/\r$/, ''))
          .flatMap((l) => {
            if (!l.startsWith('data:') || !l.includes('"error"')) return [];
            try {
              const v: unknown = JSON.parse(l.slice(5).trim());
              return typeof v === 'object' && v !== null && 'error' in v ? [JSON.stringify(v)] : [];
            } catch {
              return [];
            }
          });
        assert.deepEqual(whole, expected);
      }),
      RUNS,
    );
  });

  it('jsonBodyTap parses the whole body however it is cut when it names an error, and only then', () => {
    const body = fc.oneof(
      errorBodyText,
      jsonText,
      nastyString,
      fc.uint8Array({ maxLength: 64 }).map((b) => Buffer.from(b).toString('latin1')),
    );
    fc.assert(
      fc.property(body, fc.boolean(), fc.array(fc.nat(), { maxLength: 20 }), (text, bom, cuts) => {
        const buf = Buffer.from((bom ? '\uFEFF' : '') + text, 'utf8');
        const seen: string[] = [];
        const tap = jsonBodyTap((v) => seen.push(asProxyWould(v)));
        for (const c of chunked(buf, cuts)) tap.push(c);
        tap.end();
        let expected: string[];
        try {
          // A success without the key "error" is not parsed at all (the proxy's hot path).
          expected =
            buf.length <= 256 * 1024 && buf.includes('"error"')
              ? [JSON.stringify(JSON.parse(buf.toString('utf8')))]
              : [];
        } catch {
          expected = [];
        }
        assert.deepEqual(seen, expected);
      }),
      RUNS,
    );
  });
});

// ---------------------------------------------------------------------------------------------------
// The client end to end: generated bytes as the body of real HTTP answers.

const headerValue = fc.string({ unit: fc.constantFrom(...'abcXYZ019 -_:;,.=/"'.split('')), maxLength: 30 });
const answer = fc.record({
  status: fc.oneof(
    { arbitrary: fc.constant(200), weight: 3 },
    fc.constantFrom(201, 204, 400, 401, 402, 403, 404, 408, 429, 500, 502, 503),
    fc.integer({ min: 200, max: 599 }),
  ),
  body: fc.oneof(
    jsonText.map((t) => Buffer.from(t)),
    wrapped(keyDataText).map((t) => Buffer.from(t)),
    errorBodyText.map((t) => Buffer.from(t)),
    fc.uint8Array({ maxLength: 300 }).map((b) => Buffer.from(b)),
    fc.tuple(fc.constantFrom('\uFEFF', ''), jsonText).map(([bom, t]) => Buffer.from(bom + t)),
    fc
      .constantFrom(
        `{"error":{"code":401,"message":"bad key ${TEST_KEY}"}}`,
        `echo: Bearer ${TEST_KEY}`,
        `{"key":"${TEST_KEY}"}`,
        `{"data":{"label":"${TEST_KEY}"}}`,
      )
      .map((t) => Buffer.from(t)),
  ),
  headers: fc.dictionary(
    fc.constantFrom('content-type', 'retry-after', 'x-ratelimit-reset', 'x-ratelimit-limit', 'x-echo'),
    fc.oneof(headerValue, fc.constant(TEST_KEY)),
  ),
  /** Declare more bytes than are sent, then drop the connection. */
  truncate: fc.constantFrom(false, false, false, false, true),
});

type Answer = typeof answer extends fc.Arbitrary<infer T> ? T : never;

describe('hostile input: the client against generated answers over real HTTP', () => {
  isolateProxyEnv();
  let fake: FakeOpenRouter;
  let dispatcher: Agent;
  let client: OpenRouterClient;
  let current: Answer;
  before(async () => {
    fake = await FakeOpenRouter.start();
    dispatcher = new Agent({ keepAliveTimeout: 1000 });
    client = new OpenRouterClient({ baseUrl: fake.baseUrl, apiKey: TEST_KEY, dispatcher, timeoutMs: 5000 });
    fake.onRoute = ({ res }) => {
      const a = current;
      const headers: Record<string, string> = {
        ...a.headers,
        'content-length': String(a.body.length + (a.truncate ? 10 : 0)),
      };
      if (a.status === 204) delete headers['content-length'];
      res.writeHead(a.status, headers);
      if (a.truncate) {
        res.write(a.body);
        res.socket?.destroy();
      } else res.end(a.body);
      return true;
    };
  });
  after(async () => {
    await client.close();
    await dispatcher.close();
    await fake.close();
  });

  async function outcome<T>(p: Promise<T>, check: (v: T) => void, secrets: string[] = [TEST_KEY]): Promise<void> {
    let v: T;
    try {
      v = await p;
    } catch (e) {
      assert.ok(OpenRouterError.is(e) && e instanceof OpenRouterError, `not an OpenRouterError: ${String(e)}`);
      for (const s of secrets)
        assert.ok(!e.message.includes(s) && !e.message.includes(s.slice(9)), `a secret leaked into: ${e.message}`);
      return;
    }
    check(v);
  }

  const RUNS_HTTP = { numRuns: 120 };

  it('getKey: a KeyInfo or an OpenRouterError without the key', async () => {
    await fc.assert(
      fc.asyncProperty(answer, async (a) => {
        current = a;
        await outcome(client.getKey(), (k) => {
          assert.ok(k.label === null || typeof k.label === 'string');
          checkFreeDaily(k.freeDaily);
        });
      }),
      RUNS_HTTP,
    );
  });

  it('getCredits: Credits or an OpenRouterError without the key', async () => {
    await fc.assert(
      fc.asyncProperty(answer, async (a) => {
        current = a;
        await outcome(client.getCredits(), (c) =>
          assert.ok(Number.isFinite(c.totalCredits) && Number.isFinite(c.totalUsage)),
        );
      }),
      RUNS_HTTP,
    );
  });

  it('getFreeModelIds: a list of strings or an OpenRouterError without the key', async () => {
    await fc.assert(
      fc.asyncProperty(answer, async (a) => {
        current = a;
        await outcome(client.getFreeModelIds(), (ids) =>
          assert.ok(Array.isArray(ids) && ids.every((id) => typeof id === 'string')),
        );
      }),
      RUNS_HTTP,
    );
  });

  it('exchangeCode (OAuth): a well-shaped key or an OpenRouterError without the code or the verifier', async () => {
    const code = 'code-0123456789abcdef';
    const verifier = 'verifier-0123456789abcdefghijklmnopqrstuvwxyz';
    await fc.assert(
      fc.asyncProperty(answer, async (a) => {
        current = a;
        await outcome(
          exchangeCode({ apiBaseUrl: fake.baseUrl, code, verifier, dispatcher, timeoutMs: 5000 }),
          (key) => assert.ok(typeof key === 'string' && key.startsWith('sk-or-') && !/\s/.test(key)),
          [code, verifier, TEST_KEY],
        );
      }),
      { numRuns: 100 },
    );
  });
});

describe('hostile: modelOf on large bodies (the scanner) agrees with JSON.parse', () => {
  it('gives the same model as JSON.parse for 500 generated bodies over 64 KiB, whole or cut into chunks anywhere', async () => {
    const { modelOf } = await import('../../src/core/proxy/requestModel');
    const key = fc.constantFrom('model', 'models', 'messages', 'm\u006fdel', 'x', 'mod"el', '__proto__');
    const value = fc.oneof(
      fc.string(),
      fc.string({ unit: 'grapheme' }),
      fc.array(fc.string(), { maxLength: 3 }),
      fc.integer(),
      fc.constant(null),
      fc.dictionary(fc.string(), fc.string(), { maxKeys: 3 }),
    );
    fc.assert(
      fc.property(
        fc.array(fc.tuple(key, value), { minLength: 1, maxLength: 6 }),
        fc.string({ minLength: 1, maxLength: 3 }),
        fc.array(fc.double({ min: 0, max: 1, noNaN: true }), { maxLength: 12 }),
        (members, spacer, cutAt) => {
          const pad = 'p'.repeat(70 * 1024);
          const ws = spacer.replace(/[^ \n\t]/g, ' ');
          const text = `{${ws}"pad":${ws}"${pad}",${members.map(([k, v]) => `${JSON.stringify(k)}${ws}:${ws}${JSON.stringify(v)}`).join(',')}}`;
          const parsed = JSON.parse(text) as { model?: unknown; models?: unknown };
          const expected =
            typeof parsed.model === 'string'
              ? parsed.model
              : Array.isArray(parsed.models) && typeof parsed.models[0] === 'string'
                ? parsed.models[0]
                : undefined;
          assert.equal(modelOf(Buffer.from(text)), expected);
          // The same bytes as the socket may hand them over: cut anywhere, empty chunks included.
          const buf = Buffer.from(text);
          const chunks = chunked(
            buf,
            cutAt.map((f) => Math.floor(f * buf.length)),
          );
          chunks.splice(Math.min(1, chunks.length), 0, Buffer.alloc(0));
          assert.equal(modelOf(chunks), expected);
        },
      ),
      { numRuns: 500 },
    );
  });
});
