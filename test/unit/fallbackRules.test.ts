// Issue 13's rules in plain Node: which answers another free model can fix (the account's own limits never),
// how health ranks free models, which model a request may go to, and the paid budget's arithmetic.
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { chooseFallback, needsOf, unfitFor } from '../../src/core/fallback/choose';
import { ModelHealthBook, RECENT_TROUBLE_MS } from '../../src/core/fallback/health';
import { DEFAULT_OUTPUT_TOKENS, estimatePaidUsd, PaidBudget } from '../../src/core/fallback/paidBudget';
import { judgeAnswer } from '../../src/core/fallback/policy';
import { nullLogger } from '../../src/core/logger';
import type { ModelInfo } from '../../src/core/responses';
import {
  ERR_401_USER_NOT_FOUND,
  FREE_VARIANT_ENDED,
  RATE_LIMIT_CAPACITY,
  RATE_LIMIT_DAY_A,
  RATE_LIMIT_DAY_B,
  RATE_LIMIT_DAY_HIGH_BALANCE,
  RATE_LIMIT_GENERIC,
  RATE_LIMIT_MINUTE,
  RATE_LIMIT_MINUTE_16,
  RATE_LIMIT_UPSTREAM,
  RATE_LIMIT_UPSTREAM_POOL,
} from '../fixtures/openRouterBodies';

const NOW = Date.UTC(2026, 11, 5, 12, 0, 0);

const info = (id: string, o: Partial<ModelInfo> = {}): ModelInfo => ({
  id,
  name: id,
  free: id.endsWith(':free'),
  contextLength: 131072,
  maxOutputTokens: null,
  tools: false,
  imageInput: false,
  pricePrompt: 0,
  priceCompletion: 0,
  ...o,
});

describe('fallback policy: which answers another free model can fix', () => {
  const cases: Array<[string, number, unknown, string | undefined]> = [
    ['upstream 429 (provider_name)', 429, RATE_LIMIT_UPSTREAM, 'upstream-rate-limited'],
    ['upstream 429 (shared pool)', 429, RATE_LIMIT_UPSTREAM_POOL, 'upstream-rate-limited'],
    ['capacity_exhausted', 429, RATE_LIMIT_CAPACITY, 'capacity'],
    ['free_variant_ended 404', 404, FREE_VARIANT_ENDED, 'ended'],
    ['per-minute 429', 429, RATE_LIMIT_MINUTE, undefined],
    ['per-minute 429 (limit 16)', 429, RATE_LIMIT_MINUTE_16, undefined],
    ['per-day 429', 429, RATE_LIMIT_DAY_A, undefined],
    ['per-day 429 (other shape)', 429, RATE_LIMIT_DAY_B, undefined],
    ['per-day high balance', 429, RATE_LIMIT_DAY_HIGH_BALANCE, undefined],
    ['a 429 saying nothing', 429, RATE_LIMIT_GENERIC, undefined],
    ['a 429 that is not JSON', 429, undefined, undefined],
    ['a plain 404', 404, { error: { code: 404, message: 'Not Found' } }, undefined],
    ['a 401', 401, ERR_401_USER_NOT_FOUND, undefined],
    ['a 503 without availability', 503, { error: { code: 503, message: 'down' } }, undefined],
  ];
  for (const [name, status, body, trouble] of cases)
    it(`${name} → ${trouble ?? 'no retry'}`, () => {
      assert.equal(judgeAnswer(status, body, {}, NOW).trouble, trouble);
    });

  it("the account's own limits are told apart for the paid fallback: per-day stays per-day", () => {
    assert.equal(judgeAnswer(429, RATE_LIMIT_DAY_A, {}, NOW).rateLimit?.kind, 'per-day');
    assert.equal(judgeAnswer(429, RATE_LIMIT_MINUTE, {}, NOW).rateLimit?.kind, 'per-minute');
  });

  it('free_variant_ended is recognised wherever the code sits, or by its words', () => {
    for (const error of [
      { code: 404, message: 'x', availability: { code: 'free_variant_ended' } },
      { code: 404, message: 'x', metadata: { code: 'free_variant_ended' } },
      { code: 404, message: 'The free variant of this model has ended.' },
    ])
      assert.equal(judgeAnswer(404, { error }, {}, NOW).trouble, 'ended', JSON.stringify(error));
  });
});

describe('fallback health: free models ranked by the last hour', () => {
  it('untried 0.5; successes raise, trouble lowers, recent trouble quarters; the hour forgets', () => {
    const b = new ModelHealthBook();
    for (let i = 0; i < 4; i++) b.record('a:free', { at: NOW - 1000, status: 200, ttftMs: 300 + i });
    b.record('b:free', { at: NOW - 1000, status: 429, trouble: 'upstream-rate-limited' });
    b.record('c:free', { at: NOW - 30 * 60_000, status: 429, trouble: 'capacity' });
    b.record('c:free', { at: NOW - 30 * 60_000, status: 200, ttftMs: 900 });
    assert.equal(b.score('a:free', NOW), 5 / 6);
    assert.equal(b.score('b:free', NOW), 1 / 3 / 4);
    assert.equal(b.score('c:free', NOW), 2 / 4);
    assert.equal(b.score('untried:free', NOW), 0.5);
    assert.equal(b.healthy('b:free', NOW), false);
    assert.equal(b.healthy('b:free', NOW - 1000 + RECENT_TROUBLE_MS), true);
    assert.equal(b.score('a:free', NOW + 60 * 60_000), 0.5, 'an hour later it is untried again');
    const rows = b.rows([info('untried:free'), info('c:free'), info('b:free'), info('a:free')], NOW, () => true);
    assert.deepEqual(
      rows.map((r) => r.id),
      ['a:free', 'c:free', 'untried:free', 'b:free'],
      'c ties with an untried model at 0.5 and wins on its first byte',
    );
    assert.deepEqual(
      [rows[0].requests, rows[0].successes, rows[0].medianTtftMs, rows[3].upstream429, rows[1].capacity],
      [4, 4, 302, 1, 1],
    );
  });

  it('ties go to the faster first byte, then the catalog order', () => {
    const b = new ModelHealthBook();
    b.record('slow:free', { at: NOW, status: 200, ttftMs: 2000 });
    b.record('fast:free', { at: NOW, status: 200, ttftMs: 200 });
    const rows = b.rows([info('x:free'), info('slow:free'), info('fast:free'), info('y:free')], NOW, () => true);
    assert.deepEqual(
      rows.map((r) => r.id),
      ['fast:free', 'slow:free', 'x:free', 'y:free'],
    );
  });

  it('stays bounded whatever ids clients send', () => {
    const b = new ModelHealthBook();
    for (let i = 0; i < 5000; i++) b.record(`made-up-${i}:free`, { at: NOW, status: 200 });
    const rows = b.rows([], NOW, () => true);
    assert.ok(rows.length <= 100);
    assert.equal(b.score('made-up-0:free', NOW), 0.5, 'the oldest were dropped');
    assert.equal(b.score('made-up-4999:free', NOW), 2 / 3);
  });
});

describe('fallback choice: the next healthy free model that can serve the request', () => {
  const models = [
    info('origin:free', { tools: true }),
    info('small:free', { contextLength: 4096 }),
    info('vision:free', { imageInput: true }),
    info('tools:free', { tools: true }),
    info('openrouter/free', { free: true, tools: true, imageInput: true }),
    info('paid/model', { free: false, tools: true }),
  ];
  const catalog = {
    get: (id: string) => models.find((m) => m.id === id),
    freeModels: () => models.filter((m) => m.free),
    isFree: (id: string) => id.endsWith(':free') || id === 'openrouter/free',
  };
  const choose = (needs: ReturnType<typeof needsOf>, preferred: string[] = [], health = new ModelHealthBook()) =>
    chooseFallback({ exclude: new Set(['origin:free']), needs, preferred, catalog, health, now: NOW }).model;

  it('reads needs from a chat body: tools, image parts, size', () => {
    const n = needsOf(
      {
        tools: [{ type: 'function' }],
        max_tokens: 500,
        messages: [{ role: 'user', content: [{ type: 'text' }, { type: 'image_url' }] }],
      },
      3000,
    );
    assert.deepEqual(n, { tools: true, images: true, tokens: 1000 + 500, maxTokens: 500 });
    assert.deepEqual(needsOf({ messages: [{ role: 'user', content: 'hi' }] }, 30), {
      tools: false,
      images: false,
      tokens: 10,
      maxTokens: undefined,
    });
  });

  it('by capability: tools, images, context; never the model that failed, never openrouter/free or a paid one unasked', () => {
    const plain = needsOf({}, 100);
    assert.equal(choose(plain), 'small:free');
    assert.equal(choose({ ...plain, tools: true }), 'tools:free');
    assert.equal(choose({ ...plain, images: true }), 'vision:free');
    assert.equal(choose({ ...plain, tokens: 5000 }), 'vision:free', 'small:free holds 4096');
    assert.equal(choose({ ...plain, tools: true, images: true }), undefined);
    assert.equal(unfitFor(undefined, { ...plain, tools: true }), 'tools', 'an unknown model is not trusted with tools');
  });

  it("the user's list in its order, skipping what cannot serve and what is not free", () => {
    const plain = needsOf({}, 100);
    assert.equal(
      choose({ ...plain, tools: true }, ['paid/model', 'small:free', 'openrouter/free', 'tools:free']),
      'openrouter/free',
    );
    assert.equal(choose(plain, ['origin:free']), undefined, 'only the failed model listed');
  });

  it('by health when there is no list: a model in trouble within five minutes is passed over', () => {
    const health = new ModelHealthBook();
    health.record('small:free', { at: NOW - 1000, status: 429, trouble: 'upstream-rate-limited' });
    health.record('tools:free', { at: NOW - 1000, status: 200, ttftMs: 100 });
    assert.equal(choose(needsOf({}, 100), [], health), 'tools:free');
  });
});

describe('paid budget: never past the budget by more than one request', () => {
  const gpt = info('openai/gpt-4.1', {
    free: false,
    pricePrompt: 0.000002,
    priceCompletion: 0.000008,
    maxOutputTokens: 32768,
  });

  it('the upper bound: prompt bytes as tokens, plus max_tokens, else the model cap, else the default', () => {
    assert.equal(estimatePaidUsd(gpt, 1000, 100), 1000 * 0.000002 + 100 * 0.000008);
    assert.equal(estimatePaidUsd(gpt, 1000), 1000 * 0.000002 + 32768 * 0.000008);
    assert.equal(estimatePaidUsd({ ...gpt, maxOutputTokens: null }, 0), DEFAULT_OUTPUT_TOKENS * 0.000008);
    assert.equal(estimatePaidUsd({ ...gpt, pricePrompt: null }, 1000), undefined, 'no prices, no bound');
    assert.equal(estimatePaidUsd(undefined, 1000), undefined);
  });

  it('reserves against spent + reserved; settles to the cost, the estimate without one, nothing for a refusal', () => {
    const b = new PaidBudget(undefined, NOW, nullLogger);
    const r1 = b.reserve(1, 0.4, NOW)!;
    const r2 = b.reserve(1, 0.4, NOW)!;
    assert.equal(b.reserve(1, 0.4, NOW), undefined, '0.8 reserved: no room for 0.4 more');
    b.settle(r1, 0.1, true, NOW);
    assert.equal(b.spent(NOW), 0.1);
    b.settle(r2, undefined, true, NOW);
    assert.equal(b.spent(NOW), 0.5, 'no usage: charged the estimate');
    const r3 = b.reserve(1, 0.3, NOW)!;
    b.settle(r3, undefined, false, NOW);
    assert.equal(b.spent(NOW), 0.5, 'refused by OpenRouter: nothing');
    const r4 = b.reserve(1, 0.5, NOW)!;
    b.settle(r4, 0.7, true, NOW); // cost beat its bound: the one request past the budget
    assert.ok(Math.abs(b.spent(NOW) - 1.2) < 1e-12);
    assert.equal(b.exhausted(1, NOW), true);
    assert.equal(b.reserve(1, 0.0001, NOW), undefined);
    assert.deepEqual(b.status('m', 1, true, NOW), {
      model: 'm',
      budgetUsd: 1,
      spentUsd: 1.2,
      requests: 4,
      active: false,
      exhausted: true,
    });
  });

  it("GET /key's usage_daily: its growth since the first reading counts when larger", () => {
    const b = new PaidBudget(undefined, NOW, nullLogger);
    b.crossCheck(2.0, NOW); // spent elsewhere before: the baseline
    b.settle(b.reserve(1, 0.1, NOW)!, 0.05, true, NOW);
    assert.equal(b.spent(NOW), 0.05);
    b.crossCheck(2.3, NOW + 60_000);
    assert.ok(Math.abs(b.spent(NOW) - 0.3) < 1e-12);
  });

  it("paid use of the key before the fallback's first request does not count against its budget", () => {
    const b = new PaidBudget(undefined, NOW, nullLogger);
    b.crossCheck(0, NOW);
    b.crossCheck(3, NOW + 1000); // $3 spent on paid models directly, before the free day ran out
    assert.equal(b.spent(NOW), 0);
    assert.equal(b.exhausted(1, NOW), false);
    b.settle(b.reserve(1, 0.1, NOW)!, 0.05, true, NOW);
    b.crossCheck(3.2, NOW + 2000); // and $0.20 more since the fallback began: that counts
    assert.ok(Math.abs(b.spent(NOW) - 0.2) < 1e-12);
  });

  it('a bound that may be beaten (images, no output cap) goes one at a time; sure bounds go side by side', () => {
    const b = new PaidBudget(undefined, NOW, nullLogger);
    const u = b.reserve(1, 0.01, NOW, false)!;
    assert.equal(b.reserve(1, 0.01, NOW, false), undefined, 'a second unsure one waits its turn (429)');
    assert.ok(b.reserve(1, 0.01, NOW, true), 'a sure one still goes');
    b.settle(u, 0.5, true, NOW);
    assert.ok(b.reserve(1, 0.01, NOW, false), 'the unsure slot is free again');
  });

  it('a new UTC day starts at zero; a reservation from yesterday is not charged today', () => {
    const b = new PaidBudget(undefined, NOW, nullLogger);
    const r = b.reserve(1, 0.2, NOW)!;
    b.settle(b.reserve(1, 0.2, NOW)!, 0.9, true, NOW);
    const tomorrow = Date.UTC(2026, 11, 6, 0, 0, 0);
    assert.equal(b.spent(tomorrow), 0);
    b.settle(r, 0.5, true, tomorrow);
    assert.equal(b.spent(tomorrow), 0);
    assert.ok(b.reserve(1, 0.9, tomorrow));
  });

  it('kept in a private file across restarts; an unreadable one stops the day', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'orq-paid-'));
    try {
      const file = path.join(dir, 'paid-fallback.json');
      const a = new PaidBudget(file, NOW, nullLogger);
      a.settle(a.reserve(1, 0.1, NOW)!, 0.25, true, NOW);
      assert.equal(fs.statSync(file).mode & 0o777, 0o600);
      assert.equal(new PaidBudget(file, NOW, nullLogger).spent(NOW), 0.25);
      assert.equal(new PaidBudget(file, Date.UTC(2026, 11, 6), nullLogger).spent(Date.UTC(2026, 11, 6)), 0);
      fs.writeFileSync(file, 'not json');
      const errors: string[] = [];
      const c = new PaidBudget(file, NOW, { ...nullLogger, error: (m) => void errors.push(String(m)) });
      assert.equal(c.exhausted(100, NOW), true);
      assert.equal(c.reserve(100, 0.01, NOW), undefined);
      assert.match(errors[0], /could not be read.*until 00:00 UTC/);
      assert.equal(c.exhausted(100, Date.UTC(2026, 11, 6)), false, 'the next day starts over');
      assert.equal(fs.readFileSync(file, 'utf8'), 'not json', 'the unreadable file is left for the user');
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
