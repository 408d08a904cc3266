// Pure 429 reading: classification of every recorded body, header precedence, reset and Retry-After parsing.
import * as assert from 'node:assert/strict';
import {
  classifyRateLimit,
  findErrorEnvelope,
  header,
  parseResetValue,
  parseRetryAfter,
} from '../../src/core/rateLimit';
import * as B from '../fixtures/openRouterBodies';

const NOW = Date.UTC(2026, 8, 30, 18, 0, 7);

describe('classifyRateLimit', () => {
  const cases: [string, unknown, Partial<ReturnType<typeof classifyRateLimit>>][] = [
    [
      'generic documented body',
      B.RATE_LIMIT_GENERIC,
      { kind: 'unknown', limit: undefined, remaining: undefined, resetsAt: undefined, message: 'Rate limit exceeded' },
    ],
    [
      'daily (a), pre-August 2026',
      B.RATE_LIMIT_DAY_A,
      { kind: 'per-day', limit: 50, remaining: 0, resetsAt: 1784505600000 },
    ],
    [
      'daily (b), limit_source',
      B.RATE_LIMIT_DAY_B,
      { kind: 'per-day', limit: 50, remaining: 0, resetsAt: 1790812800000 },
    ],
    [
      'daily, high-balance tier',
      B.RATE_LIMIT_DAY_HIGH_BALANCE,
      {
        kind: 'per-day',
        limit: 1000,
        remaining: 0,
        resetsAt: 1790726400000,
        message: 'Rate limit exceeded: free-models-per-day-high-balance.',
      },
    ],
    ['daily, stealth model', B.RATE_LIMIT_DAY_STEALTH, { kind: 'per-day', limit: 1000, resetsAt: 1790726400000 }],
    [
      'per-minute',
      B.RATE_LIMIT_MINUTE,
      {
        kind: 'per-minute',
        limit: 20,
        remaining: 0,
        resetsAt: 1765680060000,
        message: 'Rate limit exceeded: free-models-per-min.',
      },
    ],
    [
      'per-minute with a ceiling of 16',
      B.RATE_LIMIT_MINUTE_16,
      { kind: 'per-minute', limit: 16, resetsAt: 1782651060000 },
    ],
    [
      'upstream provider (Venice)',
      B.RATE_LIMIT_UPSTREAM,
      { kind: 'upstream', limit: undefined, resetsAt: undefined, message: 'Provider returned error' },
    ],
    ['upstream shared pool', B.RATE_LIMIT_UPSTREAM_POOL, { kind: 'upstream' }],
    ['error inside a 200 body', B.ERROR_IN_200, { kind: 'upstream', message: 'Provider returned error' }],
    [
      'capacity_exhausted, retry_after in the body',
      B.RATE_LIMIT_CAPACITY,
      { kind: 'upstream', resetsAt: NOW + 40_000 },
    ],
    [
      'gateway re-wrap with a string code',
      B.RATE_LIMIT_REWRAPPED,
      { kind: 'per-day', limit: undefined, resetsAt: undefined },
    ],
  ];
  for (const [name, body, want] of cases) {
    it(name, () => {
      const got = classifyRateLimit(body, undefined, NOW);
      for (const [k, v] of Object.entries(want)) assert.deepEqual(got[k as keyof typeof got], v, `${k} of ${name}`);
    });
  }

  it('per-day by limit_source alone, per-minute by openrouter_per_model_minute alone', () => {
    const body = (limit_source: string) => ({
      error: { code: 429, message: 'Rate limit exceeded', metadata: { limit_source } },
    });
    assert.equal(classifyRateLimit(body('openrouter_free_tier_daily'), undefined, NOW).kind, 'per-day');
    assert.equal(classifyRateLimit(body('openrouter_per_model_minute'), undefined, NOW).kind, 'per-minute');
    assert.equal(classifyRateLimit(body('openrouter_shared_capacity'), undefined, NOW).kind, 'upstream');
  });

  it('the message decides before provider_name (a per-day 429 with provider_name is still per-day)', () => {
    const body = structuredClone(B.RATE_LIMIT_DAY_A);
    (body.error.metadata as Record<string, unknown>).provider_name = 'Chutes';
    assert.equal(classifyRateLimit(body, undefined, NOW).kind, 'per-day');
  });

  it('HTTP response headers win over error.metadata.headers', () => {
    const got = classifyRateLimit(
      B.RATE_LIMIT_DAY_A,
      { 'x-ratelimit-limit': '1000', 'x-ratelimit-remaining': '3', 'x-ratelimit-reset': '1790812800000' },
      NOW,
    );
    assert.deepEqual([got.limit, got.remaining, got.resetsAt], [1000, 3, 1790812800000]);
  });

  it('falls back to metadata.headers per header, and reads header names in any case', () => {
    const got = classifyRateLimit(B.RATE_LIMIT_DAY_A, { 'X-RATELIMIT-LIMIT': ['40', '41'] }, NOW);
    assert.deepEqual([got.limit, got.resetsAt], [40, 1784505600000]);
  });

  it('X-RateLimit-Reset wins over Retry-After; Retry-After is used when there is no reset', () => {
    assert.equal(classifyRateLimit(B.RATE_LIMIT_MINUTE, { 'retry-after': '5' }, NOW).resetsAt, 1765680060000);
    assert.equal(classifyRateLimit(B.RATE_LIMIT_GENERIC, { 'retry-after': '5' }, NOW).resetsAt, NOW + 5_000);
    assert.equal(
      classifyRateLimit(B.RATE_LIMIT_CAPACITY, { 'retry-after': '5' }, NOW).resetsAt,
      NOW + 5_000,
      'a header beats the body hint',
    );
  });

  it('with no words to go by, infers the window from the reset time', () => {
    const midnight = Date.UTC(2026, 9, 1);
    const nextMinute = Date.UTC(2026, 8, 30, 18, 1, 0);
    assert.equal(
      classifyRateLimit(B.RATE_LIMIT_GENERIC, { 'x-ratelimit-reset': String(midnight) }, NOW).kind,
      'per-day',
    );
    assert.equal(
      classifyRateLimit(B.RATE_LIMIT_GENERIC, { 'x-ratelimit-reset': String(nextMinute) }, NOW).kind,
      'per-minute',
    );
    assert.equal(
      classifyRateLimit(B.RATE_LIMIT_GENERIC, { 'x-ratelimit-reset': String(nextMinute + 60_000) }, NOW).kind,
      'unknown',
      'two minutes away is not this minute',
    );
    assert.equal(
      classifyRateLimit(B.RATE_LIMIT_GENERIC, { 'x-ratelimit-reset': String(Date.UTC(2026, 8, 30)) }, NOW).kind,
      'unknown',
      'a past midnight is no reset',
    );
    assert.equal(classifyRateLimit(B.RATE_LIMIT_GENERIC, { 'retry-after': 'garbage 2027' }, NOW).kind, 'unknown');
  });

  it('never throws on junk: not JSON, a string error, null', () => {
    for (const body of [
      undefined,
      null,
      'Too Many Requests',
      { error: 'rate limited' },
      { error: { message: 42 } },
      [],
    ]) {
      const got = classifyRateLimit(body, undefined, NOW);
      assert.equal(got.kind, 'unknown');
      assert.ok(got.message.length > 0);
    }
  });
});

describe('parseResetValue', () => {
  it('takes values from 1e12 up as ms since the epoch', () => {
    assert.equal(parseResetValue('1784505600000', NOW), 1784505600000);
    assert.equal(parseResetValue(' 1790812800000 ', NOW), 1790812800000);
  });
  it('takes 1e9..1e12 as seconds since the epoch', () => {
    assert.equal(parseResetValue('1790812800', NOW), 1790812800000);
    assert.equal(parseResetValue('1790812800.5', NOW), 1790812800500);
  });
  it('takes small values as seconds from now', () => {
    assert.equal(parseResetValue('30', NOW), NOW + 30_000);
    assert.equal(parseResetValue('0', NOW), NOW);
    assert.equal(parseResetValue('1.5', NOW), NOW + 1_500);
  });
  it('rejects garbage, negatives, empties and the ambiguous middle range', () => {
    for (const raw of [
      undefined,
      '',
      '  ',
      'soon',
      'NaN',
      'Infinity',
      '-5',
      '1e8',
      '0x10x',
      'Wed, 30 Sep 2026 18:05:00 GMT',
    ]) {
      assert.equal(parseResetValue(raw, NOW), undefined, String(raw));
    }
  });
});

describe('parseRetryAfter', () => {
  it('reads delay-seconds', () => {
    assert.equal(parseRetryAfter('120', NOW), NOW + 120_000);
    assert.equal(parseRetryAfter('0', NOW), NOW);
  });
  it('reads an HTTP date (IMF-fixdate, and the obsolete RFC 850 and asctime forms)', () => {
    const t = Date.UTC(2026, 8, 30, 18, 5, 0);
    assert.equal(parseRetryAfter('Wed, 30 Sep 2026 18:05:00 GMT', NOW), t);
    assert.equal(parseRetryAfter('Wednesday, 30-Sep-26 18:05:00 GMT', NOW), t);
    assert.equal(parseRetryAfter('Wed Sep 30 18:05:00 2026 GMT', NOW), t);
  });
  it('rejects garbage, including text that V8 would read as a date', () => {
    for (const raw of [undefined, '', 'soon', '-1', 'in 5 minutes', 'garbage 2027', 'tomorrow 5', 'abc 1']) {
      assert.equal(parseRetryAfter(raw, NOW), undefined, String(raw));
    }
  });
});

describe('findErrorEnvelope', () => {
  it('finds the top-level error with number code, message and metadata', () => {
    assert.deepEqual(findErrorEnvelope(B.RATE_LIMIT_MINUTE), {
      code: 429,
      message: 'Rate limit exceeded: free-models-per-min. ',
      metadata: B.RATE_LIMIT_MINUTE.error.metadata,
    });
  });
  it('keeps a string code (gateway re-wrap)', () => {
    assert.equal(findErrorEnvelope(B.RATE_LIMIT_REWRAPPED)?.code, '429');
  });
  it('finds choices[0].error in a 200 body that has no top-level error', () => {
    const body = {
      id: 'gen-2',
      choices: [{ index: 0, finish_reason: 'error', error: { code: 'server_error', message: 'Upstream died' } }],
    };
    assert.deepEqual(findErrorEnvelope(body), { code: 'server_error', message: 'Upstream died', metadata: undefined });
  });
  it('prefers the top-level error over choices[0].error', () => {
    const body = { error: { code: 429, message: 'top' }, choices: [{ error: { code: 500, message: 'inner' } }] };
    assert.equal(findErrorEnvelope(body)?.message, 'top');
  });
  it('tolerates odd members: message not a string, metadata not an object, no message', () => {
    assert.deepEqual(findErrorEnvelope({ error: { message: 42, code: 500, metadata: 'x' } }), {
      code: 500,
      message: '42',
      metadata: undefined,
    });
    assert.deepEqual(findErrorEnvelope({ error: { code: true } }), {
      code: undefined,
      message: '',
      metadata: undefined,
    });
  });
  it('returns undefined when there is no envelope', () => {
    for (const body of [
      undefined,
      null,
      'x',
      42,
      [],
      { data: {} },
      { error: 'string' },
      { error: null },
      { choices: [] },
      { choices: ['x'] },
    ]) {
      assert.equal(findErrorEnvelope(body), undefined, JSON.stringify(body));
    }
  });
});

describe('header', () => {
  it('is case-insensitive, takes the first of repeated values, and skips undefined', () => {
    assert.equal(header({ 'Retry-After': '3' }, 'retry-after'), '3');
    assert.equal(header({ 'x-a': ['1', '2'] }, 'X-A'), '1');
    assert.equal(header({ 'x-a': undefined, 'X-A': '2' }, 'x-a'), '2');
    assert.equal(header(undefined, 'x-a'), undefined);
  });
});
