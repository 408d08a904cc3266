// Issue 13 through the real proxy host against the fake OpenRouter: a free model in trouble upstream (its
// pool dry, at capacity, its free variant ended) gets the same request once more on the next healthy free
// model that can serve it, counted and paced like any free request; the account's own limits never do; and
// the paid fallback, once the day is spent, stops at its budget and at 00:00 UTC.
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as zlib from 'node:zlib';
import type { FallbackSettings } from '../../src/core/fallback/types';
import { FakeClock } from '../fixtures/fakeClock';
import { RATE_LIMIT_DAY_A, RATE_LIMIT_MINUTE, RATE_LIMIT_UPSTREAM_POOL } from '../fixtures/openRouterBodies';
import { call, chatBody, FREE, type Harness, startHarness } from './proxyHarness';
import { observation } from './helpers';

const QWEN = 'qwen/qwen3-coder:free';
const GEMMA = 'google/gemma-3-27b-it:free';
const SMALL = 'mistralai/mistral-small:free';
const GPT = 'openai/gpt-4.1';

const model = (
  id: string,
  o: { tools?: boolean; image?: boolean; ctx?: number; prompt?: string; completion?: string; max?: number },
) => ({
  id,
  name: id,
  context_length: o.ctx ?? 131072,
  architecture: { input_modalities: o.image ? ['text', 'image'] : ['text'], output_modalities: ['text'] },
  pricing: { prompt: o.prompt ?? '0', completion: o.completion ?? '0' },
  top_provider: { max_completion_tokens: o.max ?? null },
  supported_parameters: o.tools ? ['tools', 'max_tokens'] : ['max_tokens'],
});

/** The catalog these tests run on: four free models (two with tools) and a paid one with known prices. */
const CATALOG = {
  data: [
    model(FREE, { tools: true }),
    model(SMALL, { ctx: 4096 }),
    model(GEMMA, { image: true }),
    model(QWEN, { tools: true, ctx: 262144 }),
    model(GPT, { tools: true, prompt: '0.000002', completion: '0.000008', max: 32768 }),
  ],
};

const on = (o: Partial<FallbackSettings> = {}): FallbackSettings => ({ enabled: true, models: [], ...o });
const chatsTo = (h: Harness) => h.fake.chats.map((c) => c.model);

describe('proxy: fallback when a free model is in trouble upstream', () => {
  let h: Harness;
  let clock: FakeClock;

  beforeEach(async () => {
    clock = new FakeClock(Date.UTC(2026, 11, 5, 15, 0, 10));
    h = await startHarness({ clock, models: CATALOG });
    h.observe(3);
  });
  afterEach(() => h.close());

  it('a model rate-limited upstream: one retry on the next healthy free model, 200 to the client with the headers, two attempts in the ledger', async () => {
    h.settings.fallback = on();
    h.fake.modelTrouble.set(FREE, 'upstream');
    const r = await call(h.port, '/api/v1/chat/completions', { body: chatBody(FREE) });
    assert.equal(r.status, 200);
    // SMALL is too small for nothing here and untried like the others: catalog order after FREE.
    assert.equal(r.json().model, SMALL);
    assert.equal(r.headers['x-openrouter-quota-fallback-from'], FREE);
    assert.equal(r.headers['x-openrouter-quota-fallback-to'], SMALL);
    assert.equal(r.headers['x-openrouter-quota-fallback-reason'], 'upstream-rate-limited');
    assert.deepEqual(chatsTo(h), [FREE, SMALL]);
    const models = h.ledger.dayModels(clock.now());
    assert.deepEqual([models[FREE], models[SMALL]], [1, 1]);
    assert.equal(h.ledger.minuteCount(Math.floor(clock.now() / 60_000) * 60_000), 2);
    const fb = h.account.view(clock.now()).meter?.fallback;
    assert.equal(fb?.recent.length, 1);
    assert.deepEqual(
      { from: fb?.recent[0].from, to: fb?.recent[0].to, reason: fb?.recent[0].reason, status: fb?.recent[0].status },
      { from: FREE, to: SMALL, reason: 'upstream-rate-limited', status: 200 },
    );
    // GET /quota carries it to reader windows; /quota/history has the health it was chosen from.
    const quota = (await call(h.port, '/quota')).json() as { fallback?: { recent: unknown[] } };
    assert.equal(quota.fallback?.recent.length, 1);
    const hist = (await call(h.port, '/quota/history')).json() as {
      health: Array<{ id: string; upstream429: number; successes: number }>;
    };
    assert.equal(hist.health.find((x) => x.id === FREE)?.upstream429, 1);
    assert.equal(hist.health.find((x) => x.id === SMALL)?.successes, 1);
    assert.equal(hist.health[0].id, SMALL, 'the model that answered ranks first');
  });

  it('a burst against a model rate-limited upstream: every request served, each counted twice, every fallback listed', async () => {
    h.settings.fallback = on({ models: [QWEN] });
    h.fake.modelTrouble.set(FREE, 'upstream');
    const rs = await Promise.all(
      Array.from({ length: 10 }, () => call(h.port, '/api/v1/chat/completions', { body: chatBody(FREE) })),
    );
    assert.deepEqual(
      rs.map((r) => r.status),
      Array(10).fill(200),
    );
    assert.ok(rs.every((r) => r.headers['x-openrouter-quota-fallback-to'] === QWEN));
    const models = h.ledger.dayModels(clock.now());
    assert.deepEqual([models[FREE], models[QWEN]], [10, 10]);
    assert.equal(
      h.ledger.minuteCount(Math.floor(clock.now() / 60_000) * 60_000),
      20,
      'the minute holds all 20 attempts',
    );
    assert.equal(h.fake.chats.length, 20);
    assert.equal(h.account.view(clock.now()).meter?.fallback?.recent.length, 10);
    assert.equal(h.account.view(clock.now()).minute.used, 20);
  });

  it('an error answer that came compressed (the client accepts gzip) is read all the same', async () => {
    h.settings.fallback = on({ models: [QWEN] });
    h.fake.onChat = ({ req, res, json }) => {
      if (json?.model !== FREE) return false;
      const body = zlib.gzipSync(JSON.stringify(RATE_LIMIT_UPSTREAM_POOL));
      assert.match(String(req.headers['accept-encoding']), /gzip/);
      res.writeHead(429, { 'content-type': 'application/json', 'content-encoding': 'gzip' }).end(body);
      return true;
    };
    const r = await call(h.port, '/api/v1/chat/completions', {
      body: chatBody(FREE),
      headers: { 'accept-encoding': 'gzip, deflate, br' },
    });
    assert.equal(r.status, 200);
    assert.equal(r.headers['x-openrouter-quota-fallback-to'], QWEN);
  });

  it("the retry's body names only the chosen model (OpenRouter's own `models` list and `route` are dropped)", async () => {
    h.settings.fallback = on({ models: [QWEN] });
    h.fake.modelTrouble.set(FREE, 'upstream');
    const r = await call(h.port, '/api/v1/chat/completions', {
      body: chatBody(FREE, { models: [FREE, GEMMA], route: 'fallback' }),
    });
    assert.equal(r.status, 200);
    const retry = JSON.parse(h.fake.chats[1].body.toString('utf8')) as Record<string, unknown>;
    assert.deepEqual([retry.model, retry.models, retry.route], [QWEN, undefined, undefined]);
  });

  it('with the fallback off the client gets the upstream 429 as before, one attempt', async () => {
    h.fake.modelTrouble.set(FREE, 'upstream');
    const r = await call(h.port, '/api/v1/chat/completions', { body: chatBody(FREE) });
    assert.equal(r.status, 429);
    assert.equal(r.headers['x-openrouter-quota-fallback-to'], undefined);
    assert.deepEqual(chatsTo(h), [FREE]);
    assert.equal(h.account.view(clock.now()).meter?.fallback, undefined);
  });

  it('a streaming request falls back before its first byte, and streams from the other model', async () => {
    h.settings.fallback = on({ models: [QWEN] });
    h.fake.modelTrouble.set(FREE, 'capacity');
    const r = await call(h.port, '/api/v1/chat/completions', { body: chatBody(FREE, { stream: true }) });
    assert.equal(r.status, 200);
    assert.match(String(r.headers['content-type']), /text\/event-stream/);
    assert.equal(r.headers['x-openrouter-quota-fallback-reason'], 'capacity');
    const text = r.body.toString('utf8');
    assert.match(text, /"model":"qwen\/qwen3-coder:free"/);
    assert.match(text, /data: \[DONE\]/);
    assert.doesNotMatch(text, /capacity/, 'nothing of the first answer reached the client');
    assert.deepEqual(chatsTo(h), [FREE, QWEN]);
  });

  it('a tools request never goes to a model without tools: the list is walked past it, or nothing is retried', async () => {
    h.settings.fallback = on({ models: [SMALL, GEMMA, QWEN] });
    h.fake.modelTrouble.set(FREE, 'upstream');
    const tools = [{ type: 'function', function: { name: 'search', parameters: { type: 'object' } } }];
    const r = await call(h.port, '/api/v1/chat/completions', { body: chatBody(FREE, { tools }) });
    assert.equal(r.status, 200);
    assert.equal(r.headers['x-openrouter-quota-fallback-to'], QWEN);

    h.settings.fallback = on({ models: [SMALL, GEMMA] });
    h.fake.chats.length = 0;
    const r2 = await call(h.port, '/api/v1/chat/completions', { body: chatBody(FREE, { tools }) });
    assert.equal(r2.status, 429);
    assert.deepEqual(chatsTo(h), [FREE], 'no model without tools was tried');
  });

  it('an image request goes only to a model that takes images; a long one only to a model whose context holds it', async () => {
    h.settings.fallback = on();
    h.fake.modelTrouble.set(FREE, 'ended');
    const image = [
      { role: 'user', content: [{ type: 'image_url', image_url: { url: 'data:image/png;base64,AAAA' } }] },
    ];
    const r = await call(h.port, '/api/v1/chat/completions', { body: chatBody(FREE, { messages: image }) });
    assert.equal(r.status, 200);
    assert.equal(r.headers['x-openrouter-quota-fallback-to'], GEMMA);
    assert.equal(r.headers['x-openrouter-quota-fallback-reason'], 'ended');
    // 20 KB of prompt is ~6,800 tokens by the estimate: more than SMALL's 4,096.
    const long = [{ role: 'user', content: 'x'.repeat(20_000) }];
    const r2 = await call(h.port, '/api/v1/chat/completions', { body: chatBody(FREE, { messages: long }) });
    assert.notEqual(r2.headers['x-openrouter-quota-fallback-to'], SMALL);
    assert.equal(r2.status, 200);
  });

  it("the account's own limits (per minute, per day) never fall back to another free model", async () => {
    h.settings.fallback = on();
    for (const body of [RATE_LIMIT_MINUTE, RATE_LIMIT_DAY_A]) {
      h.fake.fail('/chat/completions', { kind: 'status', status: 429, body });
      const r = await call(h.port, '/api/v1/chat/completions', { body: chatBody(FREE) });
      assert.equal(r.status, 429);
      assert.equal(r.headers['x-openrouter-quota-fallback-to'], undefined);
      clock.advance(60_000); // out of the minute the first one blocked
    }
    assert.equal(h.fake.count('/chat/completions'), 2, 'one attempt each');
  });

  it('a model in trouble within five minutes is skipped; with every candidate in trouble, nothing is retried', async () => {
    h.settings.fallback = on({ models: [QWEN, GEMMA] });
    h.fake.modelTrouble.set(FREE, 'upstream');
    h.fake.modelTrouble.set(QWEN, 'upstream');
    // QWEN fails as the fallback: recorded in its health.
    const r1 = await call(h.port, '/api/v1/chat/completions', { body: chatBody(FREE) });
    assert.equal(r1.status, 429);
    assert.equal(r1.headers['x-openrouter-quota-fallback-to'], QWEN, 'the answer says what was tried');
    // Next time QWEN is passed over for GEMMA.
    const r2 = await call(h.port, '/api/v1/chat/completions', { body: chatBody(FREE) });
    assert.equal(r2.status, 200);
    assert.equal(r2.headers['x-openrouter-quota-fallback-to'], GEMMA);
    h.fake.modelTrouble.set(GEMMA, 'upstream');
    await call(h.port, '/api/v1/chat/completions', { body: chatBody(GEMMA) });
    h.fake.chats.length = 0;
    const r3 = await call(h.port, '/api/v1/chat/completions', { body: chatBody(FREE) });
    assert.equal(r3.status, 429);
    assert.deepEqual(chatsTo(h), [FREE]);
    // Five minutes on, QWEN may be tried again.
    clock.advance(5 * 60_000);
    h.fake.modelTrouble.delete(QWEN);
    const r4 = await call(h.port, '/api/v1/chat/completions', { body: chatBody(FREE) });
    assert.equal(r4.headers['x-openrouter-quota-fallback-to'], QWEN);
  });

  it('a retry the pacer refuses passes on the first answer (reject mode, minute full)', async () => {
    h.settings.fallback = on();
    h.settings.pacing = 'reject';
    h.settings.perMinute = 1;
    h.fake.modelTrouble.set(FREE, 'upstream');
    const r = await call(h.port, '/api/v1/chat/completions', { body: chatBody(FREE) });
    assert.equal(r.status, 429);
    assert.equal(r.json().error?.metadata?.limit_source, 'upstream_provider_shared_pool', 'the upstream answer, whole');
    assert.deepEqual(chatsTo(h), [FREE]);
  });
});

describe('proxy: paid fallback once the day is spent', () => {
  let h: Harness;
  let clock: FakeClock;
  const BUDGET = 0.01;
  // With max_tokens 100 a request to GPT is bounded by ~100 B x $2/M + 100 x $8/M ≈ $0.001; the fake charges $0.0021.
  const paidBody = () => chatBody(FREE, { max_tokens: 100 });

  beforeEach(async () => {
    clock = new FakeClock(Date.UTC(2026, 11, 5, 23, 50, 0));
    h = await startHarness({ clock, models: CATALOG });
    h.settings.fallback = { enabled: false, models: [], paid: { model: GPT, dailyBudgetUsd: BUDGET } };
  });
  afterEach(() => h.close());

  it('goes to the paid model until the budget is spent (never past it by more than one request), then 429', async () => {
    h.observe(50);
    const statuses: number[] = [];
    for (let i = 0; i < 8; i++) {
      const r = await call(h.port, '/api/v1/chat/completions', { body: paidBody() });
      statuses.push(r.status);
      if (r.status === 200) {
        assert.equal(r.json().model, GPT);
        assert.equal(r.headers['x-openrouter-quota-fallback-reason'], 'day-spent');
      } else assert.equal(r.json().error?.metadata?.limit_source, 'openrouter_free_tier_daily');
    }
    const served = statuses.filter((s) => s === 200).length;
    // spent + bound <= budget: 0.0021k + ~0.001 <= 0.01 → k <= 4, so 5 go.
    assert.equal(served, 5, statuses.join(','));
    assert.deepEqual(statuses.slice(served), [429, 429, 429]);
    const paid = h.account.view(clock.now()).meter?.fallback?.paid;
    assert.ok(paid);
    assert.equal(paid.requests, 5);
    assert.ok(Math.abs(paid.spentUsd - 5 * 0.0021) < 1e-9, String(paid.spentUsd));
    assert.ok(paid.spentUsd <= BUDGET + 0.0021, 'past the budget by less than one request');
    assert.equal(paid.exhausted, true);
    assert.equal(paid.active, false);
    // Not free requests: nothing of them in the ledger.
    assert.equal(h.ledger.dayModels(clock.now())[GPT], undefined);
    assert.ok(h.fake.chats.every((c) => c.headers['accept-encoding'] === 'identity'));
    // The spend is kept with the state, private.
    const file = path.join(h.dir, 'paid-fallback.json');
    assert.equal(fs.statSync(file).mode & 0o777, 0o600);
    assert.equal((JSON.parse(fs.readFileSync(file, 'utf8')) as { requests: number }).requests, 5);
  });

  it('a model id that is not a legal header value is percent-encoded in the fallback header, and the answer arrives', async () => {
    h.observe(50);
    const odd = 'evil\u0100x:free';
    const r = await call(h.port, '/api/v1/chat/completions', { body: chatBody(odd, { max_tokens: 100 }) });
    assert.equal(r.status, 200);
    assert.equal(r.json().model, GPT);
    assert.equal(r.headers['x-openrouter-quota-fallback-from'], encodeURIComponent(odd));
  });

  it('stops at 00:00 UTC: the new day is free again, and its budget starts at zero', async () => {
    h.observe(50);
    assert.equal((await call(h.port, '/api/v1/chat/completions', { body: paidBody() })).json().model, GPT);
    clock.advance(10 * 60_000 + 1); // 00:00:00.001 UTC
    const r = await call(h.port, '/api/v1/chat/completions', { body: paidBody() });
    assert.equal(r.status, 200);
    assert.equal(r.json().model, FREE, 'a new day: free again');
    assert.equal(r.headers['x-openrouter-quota-fallback-to'], undefined);
    const paid = h.account.view(clock.now()).meter?.fallback?.paid;
    assert.deepEqual([paid?.spentUsd, paid?.requests, paid?.active], [0, 0, false]);
  });

  it('an answer without usage is charged its upper bound', async () => {
    h.fake.paidCost = null;
    h.observe(50);
    const body = paidBody();
    const r = await call(h.port, '/api/v1/chat/completions', { body });
    assert.equal(r.status, 200);
    const spent = h.account.view(clock.now()).meter?.fallback?.paid?.spentUsd ?? 0;
    const bound = Buffer.byteLength(body) * 0.000002 + 100 * 0.000008;
    assert.ok(Math.abs(spent - bound) < 1e-6, `${spent} vs ${bound}`);
  });

  it('a per-day 429 from OpenRouter itself sends the request to the paid model (streaming too)', async () => {
    h.observe(10);
    h.fake.fail('/chat/completions', { kind: 'status', status: 429, body: RATE_LIMIT_DAY_A });
    const r = await call(h.port, '/api/v1/chat/completions', {
      body: chatBody(FREE, { max_tokens: 100, stream: true }),
    });
    assert.equal(r.status, 200);
    assert.match(r.body.toString('utf8'), /"model":"openai\/gpt-4.1"/);
    assert.equal(r.headers['x-openrouter-quota-fallback-reason'], 'day-spent');
    const paid = h.account.view(clock.now()).meter?.fallback?.paid;
    assert.ok(Math.abs((paid?.spentUsd ?? 0) - 0.0021) < 1e-9, 'its cost read from the stream');
  });

  it("GET /key's usage_daily counts when it grew more than the answers' costs", async () => {
    const spentDay = (usageDaily: number) => {
      const o = observation(clock.now(), {}, { used: 50, limit: 50 });
      h.account.observe({ ...o, key: { ...o.key, usageDaily } });
    };
    spentDay(0.5);
    assert.equal((await call(h.port, '/api/v1/chat/completions', { body: paidBody() })).json().model, GPT);
    clock.advance(30_000);
    spentDay(0.509);
    const paid = h.account.view(clock.now()).meter?.fallback?.paid;
    assert.ok(Math.abs((paid?.spentUsd ?? 0) - 0.009) < 1e-9, String(paid?.spentUsd));
    // 0.009 + ~0.001 > 0.01: no room left.
    const r = await call(h.port, '/api/v1/chat/completions', { body: paidBody() });
    assert.equal(r.status, 429);
  });

  it('an unreadable spend file stops the paid fallback for the day (never spends without knowing the spend)', async () => {
    await h.close();
    const root = fs.mkdtempSync(path.join(h.root, '..', 'orq-paid-'));
    const first = await startHarness({ clock, models: CATALOG, root });
    fs.writeFileSync(path.join(first.dir, 'paid-fallback.json'), '{"v":1,"day":');
    await first.host.stop();
    h = await startHarness({ clock, models: CATALOG, root });
    h.settings.fallback = { enabled: false, models: [], paid: { model: GPT, dailyBudgetUsd: BUDGET } };
    h.observe(50);
    const r = await call(h.port, '/api/v1/chat/completions', { body: paidBody() });
    assert.equal(r.status, 429);
    assert.equal(h.account.view(clock.now()).meter?.fallback?.paid?.exhausted, true);
    await first.close();
  });
});
