// The fallback's settings (src/core/fallback/settings.ts): VS Code's settings and the CLI's flags map to the
// one FallbackSettings the proxy reads; a wrong value turns a feature off, never on, and the paid fallback
// runs only with a model AND a positive budget. The CLI's flags: strict, usage errors in its own style.
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { fallbackOf, main } from '../../src/cli';
import { fallbackModelId, fallbackSettings, MAX_FALLBACK_MODELS } from '../../src/core/fallback/settings';
import { FALLBACK_OFF } from '../../src/core/fallback/types';
import { FakeOpenRouter, TEST_KEY } from '../fixtures/fakeOpenRouter';

const raw = (o: Partial<Parameters<typeof fallbackSettings>[0]> = {}) =>
  fallbackSettings({ enabled: false, models: [], paidModel: '', paidBudgetUsd: 0, ...o });

describe('fallback settings (settings → FallbackSettings)', () => {
  it('the defaults are FALLBACK_OFF itself', () => {
    assert.equal(raw(), FALLBACK_OFF);
    assert.equal(
      fallbackSettings({ enabled: undefined, models: undefined, paidModel: undefined, paidBudgetUsd: undefined }),
      FALLBACK_OFF,
    );
  });

  it('enabled with an ordered list: ids trimmed, empties, non-strings and repeats dropped, order kept', () => {
    const s = raw({
      enabled: true,
      models: [' b/y:free ', '', 7, null, 'a/x:free', 'b/y:free', '  ', 'has space:free'],
    });
    assert.deepEqual(s, { enabled: true, models: ['b/y:free', 'a/x:free'] });
  });

  it(`keeps at most ${MAX_FALLBACK_MODELS} models`, () => {
    const many = Array.from({ length: 50 }, (_, i) => `m/${i}:free`);
    const s = raw({ enabled: true, models: many });
    assert.equal(s.models.length, MAX_FALLBACK_MODELS);
    assert.deepEqual(s.models, many.slice(0, MAX_FALLBACK_MODELS));
  });

  it('only `true` enables; a list that is not one is empty', () => {
    for (const enabled of ['true', 1, 'yes', null]) assert.equal(raw({ enabled }).enabled, false);
    assert.deepEqual(raw({ enabled: true, models: 'a/x:free' }), { enabled: true, models: [] });
  });

  it('paid: on only with a model and a budget above 0', () => {
    assert.deepEqual(raw({ paidModel: ' openai/gpt-4.1-mini ', paidBudgetUsd: 1.5 }), {
      enabled: false,
      models: [],
      paid: { model: 'openai/gpt-4.1-mini', dailyBudgetUsd: 1.5 },
    });
    assert.equal(raw({ paidModel: 'openai/gpt-4.1-mini', paidBudgetUsd: 0 }).paid, undefined);
    assert.equal(raw({ paidModel: '', paidBudgetUsd: 5 }).paid, undefined);
    assert.equal(raw({ paidModel: '   ', paidBudgetUsd: 5 }).paid, undefined);
    assert.equal(raw({ paidModel: 42, paidBudgetUsd: 5 }).paid, undefined);
  });

  it('an invalid budget (negative, NaN, infinite, a string) is off', () => {
    for (const paidBudgetUsd of [-1, NaN, Infinity, '5', null])
      assert.equal(raw({ paidModel: 'openai/gpt-4.1-mini', paidBudgetUsd }).paid, undefined, String(paidBudgetUsd));
    assert.equal(raw({ paidModel: 'openai/gpt-4.1-mini', paidBudgetUsd: -1 }), FALLBACK_OFF);
  });

  it('a model id: trimmed, non-empty, no spaces, at most 200 characters', () => {
    assert.equal(fallbackModelId(' a/b:free '), 'a/b:free');
    for (const v of ['', ' ', 'a b', 'x'.repeat(201), 3, undefined]) assert.equal(fallbackModelId(v), undefined);
  });
});

describe('cli: proxy fallback flags', function () {
  this.timeout(20_000);

  it('map to the same FallbackSettings as the settings', () => {
    assert.equal(fallbackOf({}), FALLBACK_OFF);
    assert.deepEqual(fallbackOf({ fallback: true }), { enabled: true, models: [] });
    assert.deepEqual(fallbackOf({ fallback: true, 'fallback-models': ' a/x:free, b/y:free,,a/x:free ' }), {
      enabled: true,
      models: ['a/x:free', 'b/y:free'],
    });
    assert.deepEqual(fallbackOf({ 'paid-fallback-model': 'openai/gpt-4.1-mini', 'paid-budget-usd': '0.50' }), {
      enabled: false,
      models: [],
      paid: { model: 'openai/gpt-4.1-mini', dailyBudgetUsd: 0.5 },
    });
    // A budget of 0 is the settings' "off".
    assert.equal(fallbackOf({ 'paid-fallback-model': 'openai/gpt-4.1-mini', 'paid-budget-usd': '0' }).paid, undefined);
  });

  it('the proxy starts with all four (and stops on the signal)', async () => {
    const fake = await FakeOpenRouter.start();
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'orq-cli-fallback-'));
    try {
      const out: string[] = [];
      const err: string[] = [];
      const flags = ['--fallback', '--fallback-models', 'a/x:free,b/y:free'];
      const paid = ['--paid-fallback-model', 'openai/gpt-4.1-mini', '--paid-budget-usd', '1.25'];
      const code = await main(
        ['proxy', '--port', '0', '--upstream', fake.baseUrl, '--state-dir', dir, ...flags, ...paid],
        { OPENROUTER_API_KEY: TEST_KEY },
        { out: (s) => out.push(s), err: (s) => err.push(s), stopped: Promise.resolve() },
      );
      assert.equal(code, 0, err.join('\n'));
      assert.match(out.join('\n'), /^listening http:\/\/127\.0\.0\.1:\d+\/api\/v1\nstopped$/);
    } finally {
      await fake.close();
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('bad values are usage errors (exit 1) naming the flag and where the options are; nothing starts', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'orq-cli-fallback-'));
    try {
      const cases: Array<[string[], RegExp]> = [
        [
          ['--paid-fallback-model', 'openai/gpt-4.1-mini', '--paid-budget-usd', 'lots'],
          /--paid-budget-usd must be an amount in US dollars/,
        ],
        [
          ['--paid-fallback-model', 'openai/gpt-4.1-mini', '--paid-budget-usd=-1'],
          /--paid-budget-usd must be an amount/,
        ],
        [
          ['--paid-fallback-model', 'openai/gpt-4.1-mini', '--paid-budget-usd', ''],
          /--paid-budget-usd must be an amount/,
        ],
        [['--paid-fallback-model', 'openai/gpt-4.1-mini'], /go together: give both, or neither/],
        [['--paid-budget-usd', '2'], /go together/],
        [['--paid-fallback-model', ' ', '--paid-budget-usd', '2'], /--paid-fallback-model must be a model id/],
        [['--fallback', '--fallback-models', 'a/x:free,b y:free'], /--fallback-models: "b y:free" is not a model id/],
        [['--fallback-models', 'a/x:free'], /--fallback-models needs --fallback/],
        [
          ['--fallback', '--fallback-models', Array.from({ length: 21 }, (_, i) => `m/${i}:free`).join(',')],
          /at most 20/,
        ],
        [['--fallback=yes'], /--fallback/],
      ];
      for (const [flags, re] of cases) {
        const out: string[] = [];
        const err: string[] = [];
        const code = await main(
          ['proxy', '--port', '0', '--state-dir', dir, ...flags],
          { OPENROUTER_API_KEY: TEST_KEY, OPENROUTER_BASE_URL: 'http://127.0.0.1:9/api/v1' },
          { out: (s) => out.push(s), err: (s) => err.push(s), stopped: Promise.resolve() },
        );
        const e = err.join('\n');
        assert.equal(code, 1, `${flags.join(' ')}: ${e}`);
        assert.match(e, re, flags.join(' '));
        assert.ok(e.includes('Run "openrouter-quota proxy --help" for the options.'), e);
        assert.equal(out.join(''), '', 'nothing listened');
      }
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
