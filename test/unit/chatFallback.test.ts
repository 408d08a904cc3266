// The chat models' own retry when no proxy runs for the key (issue 13): straight to the fake OpenRouter, a
// free model rate-limited upstream is retried once on the next free model that can serve the request.
import * as assert from 'node:assert/strict';
import { Agent } from 'undici';
import type { ChatTarget } from '../../src/core/chat/client';
import { streamChatWithFallback } from '../../src/core/chat/fallback';
import type { StreamEvent } from '../../src/core/chat/stream';
import { RateLimitError } from '../../src/core/errors';
import type { FallbackEvent, FallbackSettings } from '../../src/core/fallback/types';
import { ModelCatalog } from '../../src/core/modelCatalog';
import { parseModels } from '../../src/core/responses';
import { FakeOpenRouter, TEST_KEY } from '../fixtures/fakeOpenRouter';
import * as B from '../fixtures/openRouterBodies';

const FREE = 'meta-llama/llama-3.3-70b-instruct:free';
const OWL = 'openrouter/owl-alpha'; // free, no tools

describe('chat models sent directly: the fallback without a proxy', () => {
  let fake: FakeOpenRouter;
  const dispatcher = new Agent({ keepAliveTimeout: 1000 });
  const catalog = new ModelCatalog(() => Promise.resolve(parseModels(B.MODELS)), Date.now);
  let events: FallbackEvent[];

  before(() => catalog.refresh());
  beforeEach(async () => {
    fake = await FakeOpenRouter.start();
    events = [];
  });
  afterEach(() => fake.close());
  after(() => dispatcher.close());

  const run = async (body: Record<string, unknown>, settings: FallbackSettings) => {
    const target: ChatTarget = { baseUrl: fake.baseUrl, credential: TEST_KEY, via: 'direct' };
    const out: StreamEvent[] = [];
    const call = { dispatcher, signal: new AbortController().signal, now: Date.now };
    for await (const ev of streamChatWithFallback(target, body, call, {
      settings,
      catalog,
      onFallback: (e) => events.push(e),
    }))
      out.push(ev);
    return out;
  };
  const chat = (extra: Record<string, unknown> = {}) => ({
    model: FREE,
    stream: true,
    messages: [{ role: 'user', content: 'hi' }],
    ...extra,
  });
  const ON: FallbackSettings = { enabled: true, models: [] };

  it('upstream-rate-limited: the answer comes from the next free model that fits, and the fallback is reported', async () => {
    fake.modelTrouble.set(FREE, 'upstream');
    const out = await run(chat(), ON);
    assert.ok(out.some((e) => e.kind === 'text'));
    assert.deepEqual(
      fake.chats.map((c) => c.model),
      [FREE, OWL],
    );
    assert.deepEqual(
      events.map((e) => [e.from, e.to, e.reason, e.status]),
      [[FREE, OWL, 'upstream-rate-limited', 200]],
    );
  });

  it('no retry when off, for a tools request no free model with tools can take, or for the account’s own limit', async () => {
    fake.modelTrouble.set(FREE, 'upstream');
    await assert.rejects(run(chat(), { enabled: false, models: [] }), RateLimitError);
    const tools = [{ type: 'function', function: { name: 'f', parameters: {} } }];
    await assert.rejects(run(chat({ tools }), ON), RateLimitError);
    fake.modelTrouble.clear();
    fake.fail('/chat/completions', { kind: 'status', status: 429, body: B.RATE_LIMIT_MINUTE });
    await assert.rejects(run(chat(), ON), (e: unknown) => e instanceof RateLimitError && e.kind === 'per-minute');
    assert.equal(fake.count('/chat/completions'), 3, 'one attempt each');
    assert.ok(fake.chats.every((c) => c.model === FREE));
    assert.deepEqual(events, []);
  });

  it("the user's list first; a second failure is the user's answer", async () => {
    fake.modelTrouble.set(FREE, 'capacity');
    fake.modelTrouble.set('openrouter/free', 'ended');
    await assert.rejects(run(chat(), { enabled: true, models: ['openrouter/free', OWL] }));
    assert.deepEqual(
      fake.chats.map((c) => c.model),
      [FREE, 'openrouter/free'],
      'once only',
    );
    assert.deepEqual(
      events.map((e) => [e.to, e.reason, e.status]),
      [['openrouter/free', 'capacity', 404]],
    );
  });
});
