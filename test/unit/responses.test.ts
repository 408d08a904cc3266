// Validation of GET /key, /credits and /models bodies: lenient on optional fields, strict without `data`.
import * as assert from 'node:assert/strict';
import { ResponseShapeError } from '../../src/core/errors';
import { isFreeModelId, parseCredits, parseFreeDaily, parseFreeModelIds, parseKeyInfo } from '../../src/core/responses';
import * as B from '../fixtures/openRouterBodies';

describe('parseKeyInfo', () => {
  it('reads the live 2026-10 body', () => {
    assert.deepEqual(parseKeyInfo(B.KEY_LIVE_2026_10), {
      label: 'sk-or-v1-0e6...1c96',
      limit: null,
      limitRemaining: null,
      limitReset: null,
      usage: 0.04217109,
      usageDaily: 0,
      isFreeTier: true,
      isManagementKey: false,
      freeDaily: { used: 12, limit: 50, remaining: 38 },
    });
  });

  it('reads the spec example: the key cap, its reset, is_free_tier false', () => {
    const k = parseKeyInfo(B.KEY_2026_08_SPEC);
    assert.deepEqual(
      [k.limit, k.limitRemaining, k.limitReset, k.usageDaily, k.isFreeTier, k.freeDaily],
      [100, 74.5, 'monthly', 25.5, false, null],
    );
  });

  it('reads the legacy body and the used-over-limit reading', () => {
    assert.equal(parseKeyInfo(B.KEY_LEGACY).freeDaily, null);
    assert.deepEqual(parseKeyInfo(B.KEY_USED_OVER_LIMIT).freeDaily, { used: 60, limit: 50, remaining: 0 });
  });

  it('takes is_management_key, or the deprecated is_provisioning_key', () => {
    assert.equal(parseKeyInfo({ data: { is_management_key: true } }).isManagementKey, true);
    assert.equal(parseKeyInfo({ data: { is_provisioning_key: true } }).isManagementKey, true);
    assert.equal(parseKeyInfo({ data: { is_management_key: 'yes' } }).isManagementKey, false);
  });

  it('turns fields of the wrong type into null instead of failing', () => {
    const k = parseKeyInfo({
      data: {
        label: 7,
        limit: '100',
        limit_remaining: NaN,
        limit_reset: 5,
        usage: '0.1',
        usage_daily: Infinity,
        is_free_tier: 'true',
      },
    });
    assert.deepEqual(k, {
      label: null,
      limit: null,
      limitRemaining: null,
      limitReset: null,
      usage: null,
      usageDaily: null,
      isFreeTier: null,
      isManagementKey: false,
      freeDaily: null,
    });
  });

  it('throws ResponseShapeError without an object "data"', () => {
    for (const body of [
      undefined,
      null,
      'text',
      42,
      [],
      {},
      { data: null },
      { data: [] },
      { data: 'x' },
      B.ERROR_IN_200,
      B.ERR_401_USER_NOT_FOUND,
    ]) {
      assert.throws(
        () => parseKeyInfo(body),
        (e: unknown) => ResponseShapeError.is(e) && /GET \/key/.test((e as Error).message),
        JSON.stringify(body),
      );
    }
  });
});

describe('parseFreeDaily (free_model_daily_requests)', () => {
  it('keeps a well-formed counter', () => {
    assert.deepEqual(parseFreeDaily({ used: 12, limit: 50, remaining: 38 }), { used: 12, limit: 50, remaining: 38 });
    assert.deepEqual(parseFreeDaily({ used: 0, limit: 1000, remaining: 1000 }), {
      used: 0,
      limit: 1000,
      remaining: 1000,
    });
  });

  it('derives remaining when it is missing, and clamps it at 0', () => {
    assert.deepEqual(parseFreeDaily({ used: 12, limit: 50 }), { used: 12, limit: 50, remaining: 38 });
    assert.deepEqual(parseFreeDaily({ used: 60, limit: 50 }), { used: 60, limit: 50, remaining: 0 });
  });

  it('never reports more remaining than limit - used (used/limit are trusted over remaining)', () => {
    assert.deepEqual(parseFreeDaily({ used: 40, limit: 50, remaining: 38 }), { used: 40, limit: 50, remaining: 10 });
    assert.deepEqual(parseFreeDaily({ used: 12, limit: 50, remaining: 5 }), { used: 12, limit: 50, remaining: 5 });
  });

  it('is null when malformed: not an object, missing or negative or non-numeric used/limit, limit 0', () => {
    const bad = [
      null,
      undefined,
      'x',
      12,
      [],
      {},
      { used: 12 },
      { limit: 50 },
      { used: '12', limit: 50 },
      { used: 12, limit: '50' },
      { used: -1, limit: 50 },
      { used: 1, limit: 0 },
      { used: NaN, limit: 50 },
      { used: 1, limit: Infinity },
    ];
    for (const v of bad) assert.equal(parseFreeDaily(v), null, JSON.stringify(v));
    assert.equal(parseKeyInfo({ data: { free_model_daily_requests: { used: 'lots' } } }).freeDaily, null);
  });

  it('rounds fractional counts down', () => {
    assert.deepEqual(parseFreeDaily({ used: 12.7, limit: 50.2 }), { used: 12, limit: 50, remaining: 38 });
  });
});

describe('parseCredits', () => {
  it('reads total_credits and total_usage', () => {
    assert.deepEqual(parseCredits(B.CREDITS), { totalCredits: 100.5, totalUsage: 25.75 });
    assert.deepEqual(parseCredits({ data: { total_credits: 0, total_usage: 0.5 } }), {
      totalCredits: 0,
      totalUsage: 0.5,
    });
  });

  it('throws ResponseShapeError when a number is missing or of the wrong type, or there is no data', () => {
    for (const body of [
      { data: { total_credits: 1 } },
      { data: { total_usage: 1 } },
      { data: { total_credits: '10', total_usage: 0 } },
      { data: null },
      {},
      null,
      B.ERR_403_MANAGEMENT_ONLY,
    ]) {
      assert.throws(
        () => parseCredits(body),
        (e: unknown) => ResponseShapeError.is(e),
        JSON.stringify(body),
      );
    }
  });
});

describe('parseFreeModelIds', () => {
  it('keeps :free, openrouter/free and models priced 0/0; drops paid ones', () => {
    assert.deepEqual(parseFreeModelIds(B.MODELS), [
      'meta-llama/llama-3.3-70b-instruct:free',
      'openrouter/free',
      'openrouter/owl-alpha',
      'inclusionai/ling-3.1-flash',
    ]);
  });

  it('needs both prices to be zero; accepts numbers and "0.0"; rejects empty or missing prices', () => {
    const ids = parseFreeModelIds({
      data: [
        { id: 'a/half-free', pricing: { prompt: '0', completion: '0.000001' } },
        { id: 'b/number-zero', pricing: { prompt: 0, completion: 0 } },
        { id: 'c/zero-point', pricing: { prompt: '0.0', completion: '0.00' } },
        { id: 'd/empty', pricing: { prompt: '', completion: '' } },
        { id: 'e/no-pricing' },
        { id: 'f/null-pricing', pricing: null },
        { id: 'g/-1', pricing: { prompt: '-1', completion: '-1' } },
        { id: 'h/tagged:free', pricing: { prompt: '0.1', completion: '0.1' } },
        { pricing: { prompt: '0', completion: '0' } },
        'not-a-model',
        null,
      ],
    });
    assert.deepEqual(ids, ['b/number-zero', 'c/zero-point', 'h/tagged:free']);
  });

  it('throws ResponseShapeError when data is not a list', () => {
    for (const body of [{}, { data: {} }, null, 'x'])
      assert.throws(
        () => parseFreeModelIds(body),
        (e: unknown) => ResponseShapeError.is(e),
      );
  });

  it('isFreeModelId knows the suffix and the free router only', () => {
    assert.ok(isFreeModelId('x/y:free'));
    assert.ok(isFreeModelId('openrouter/free'));
    assert.ok(!isFreeModelId('openrouter/freebie'));
    assert.ok(!isFreeModelId('x/free-model'));
  });
});
