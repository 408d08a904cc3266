import * as assert from 'node:assert/strict';
import { ModelCatalog } from '../../src/core/modelCatalog';
import { OpenRouterClient } from '../../src/core/openRouterClient';
import { FakeOpenRouter, TEST_KEY } from '../fixtures/fakeOpenRouter';

describe('ModelCatalog', () => {
  let fake: FakeOpenRouter;
  let client: OpenRouterClient;
  let now = 0;

  beforeEach(async () => {
    fake = await FakeOpenRouter.start();
    client = new OpenRouterClient({ baseUrl: fake.baseUrl, apiKey: TEST_KEY });
    now = 1_000_000;
  });
  afterEach(async () => {
    await client.close();
    await fake.close();
  });

  it('knows :free and openrouter/free without asking, and $0 models after one GET /models', async () => {
    const cat = new ModelCatalog(
      (s) => client.getModels(s),
      () => now,
    );
    assert.ok(cat.isFree('meta-llama/llama-3.3-70b-instruct:free'));
    assert.ok(cat.isFree('openrouter/free'));
    assert.ok(!cat.isFree('openrouter/owl-alpha'));
    await cat.refresh();
    assert.ok(cat.isFree('openrouter/owl-alpha'));
    assert.ok(cat.isFree('inclusionai/ling-3.1-flash'));
    assert.ok(!cat.isFree('openai/gpt-4.1'));
    assert.equal(fake.count('/models'), 1);
  });

  it('fetches once per TTL, and concurrent callers share one request', async () => {
    const cat = new ModelCatalog(
      (s) => client.getModels(s),
      () => now,
      1000,
    );
    await Promise.all([cat.refresh(), cat.refresh(), cat.refresh()]);
    assert.equal(fake.count('/models'), 1);
    now += 999;
    await cat.refresh();
    assert.equal(fake.count('/models'), 1);
    now += 2;
    await cat.refresh();
    assert.equal(fake.count('/models'), 2);
  });

  it('keeps the last good list when a refresh fails, and waits before trying again', async () => {
    const cat = new ModelCatalog(
      (s) => client.getModels(s),
      () => now,
      1000,
    );
    await cat.refresh();
    now += 1001;
    fake.fail('/models', { kind: 'status', status: 500 });
    await cat.refresh();
    assert.ok(cat.isFree('openrouter/owl-alpha'), 'old list kept');
    await cat.refresh();
    assert.equal(fake.count('/models'), 2, 'no retry straight away');
    now += 101;
    await cat.refresh();
    assert.equal(fake.count('/models'), 3);
  });
});
