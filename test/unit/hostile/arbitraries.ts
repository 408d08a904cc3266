// fast-check generators of hostile OpenRouter answers for the hostile-input tests (not a test file).
// Values are built as JSON *text* and parsed, the way the client and the proxy meet them: so `__proto__`
// and `constructor` arrive as own keys, 1e400 as Infinity, and lone surrogates or U+FFFD as real strings.
import fc from 'fast-check';

/** Field names the parsers look at, plus prototype-pollution and coercion keys. */
export const KEYS = [
  'data',
  'label',
  'limit',
  'limit_remaining',
  'limit_reset',
  'usage',
  'usage_daily',
  'is_free_tier',
  'is_management_key',
  'is_provisioning_key',
  'free_model_daily_requests',
  'used',
  'remaining',
  'total_credits',
  'total_usage',
  'id',
  'pricing',
  'prompt',
  'completion',
  'error',
  'message',
  'code',
  'metadata',
  'headers',
  'choices',
  'availability',
  'retry_after',
  'limit_source',
  'provider_name',
  'X-RateLimit-Limit',
  'x-ratelimit-remaining',
  'X-RateLimit-Reset',
  'Retry-After',
  'retry-after',
  'type',
  'command',
  '__proto__',
  'constructor',
  'prototype',
  'toString',
  'valueOf',
  'toJSON',
  'hasOwnProperty',
  '',
];

/** Invalid UTF-8 bytes decoded as text (U+FFFD), BOMs, lone surrogates, control characters, RTL marks. */
export const nastyString: fc.Arbitrary<string> = fc.oneof(
  { depthSize: 'small' },
  fc.string({ unit: 'binary', maxLength: 40 }),
  fc.uint8Array({ maxLength: 40 }).map((b) => Buffer.from(b).toString('utf8')),
  fc.uint8Array({ maxLength: 40 }).map((b) => Buffer.from(b).toString('latin1')),
  fc.constantFrom(
    '\uFEFF',
    '\uFEFF{"data":{}}',
    '\uD800',
    '\uDC00x',
    'x\uDBFF',
    '\u0000',
    '\u202E',
    '1e308',
    '-0',
    'NaN',
    'Infinity',
    '-Infinity',
    '9007199254740993',
    '0x10',
    ' 12 ',
    '1_000',
    '１２',
    'free-models-per-min',
    'free-models-per-day',
    'Provider returned error',
    'Mon, 01 Jan 2026 00:00:00 GMT',
    'Fri, 31 Dec 275760 23:59:59 GMT',
    '99:99:99 garbage 2027',
    'openrouter/free',
    'x:free',
    ':free',
    'sk-or-v1-' + 'ab'.repeat(32),
  ),
  {
    arbitrary: fc
      .tuple(fc.constantFrom('a', '\uD83D\uDE00', '\uFFFD', ' ', 'sk-or-v1-'), fc.integer({ min: 1000, max: 20_000 }))
      .map(([c, n]) => c.repeat(n)),
    weight: 1,
  },
);

/** A JSON number literal (as text), including values JSON.parse turns into Infinity, -0 or an unsafe integer. */
export const numberText: fc.Arbitrary<string> = fc.oneof(
  fc.constantFrom(
    '0',
    '-0',
    '1',
    '-1',
    '0.5',
    '1e308',
    '-1e308',
    '1e400',
    '-1e400',
    '5e-324',
    '9007199254740991',
    '9007199254740992',
    '9007199254740993',
    '1e21',
    '86400000',
    '60000',
    '1700000000',
    '1700000000000',
    '32000000',
    '8.64e15',
    '8.64e16',
    '1e12',
    '1e9',
    '429',
    '20',
    '50',
  ),
  fc.double({ noNaN: true, noDefaultInfinity: true }).map((d) => JSON.stringify(d)),
  fc.integer().map(String),
  fc.bigInt({ min: -(10n ** 30n), max: 10n ** 30n }).map(String),
);

const stringText = nastyString.map((s) => JSON.stringify(s));

/** JSON text of a hostile value, depth-limited. */
export const jsonText: fc.Arbitrary<string> = fc.letrec<{ v: string }>((tie) => ({
  v: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    fc.constantFrom('null', 'true', 'false', '{}', '[]', '""'),
    numberText,
    stringText,
    fc.array(tie('v'), { maxLength: 4 }).map((xs) => `[${xs.join(',')}]`),
    fc
      .array(fc.tuple(fc.oneof(fc.constantFrom(...KEYS), fc.string({ maxLength: 6 })), tie('v')), { maxLength: 6 })
      .map((es) => `{${es.map(([k, v]) => `${JSON.stringify(k)}:${v}`).join(',')}}`),
  ),
})).v;

export const hostileJson: fc.Arbitrary<unknown> = jsonText.map((t) => JSON.parse(t) as unknown);

/** A JSON object text with the given keys, each present or not, each with a hostile value (or a sensible one). */
export function objectText(fields: Record<string, fc.Arbitrary<string>>): fc.Arbitrary<string> {
  const entries = Object.entries(fields).map(([k, arb]) =>
    fc.option(fc.tuple(fc.constantFrom(k, k.toUpperCase(), `${k} `), fc.oneof(arb, jsonText)), {
      nil: undefined,
      freq: 4,
    }),
  );
  const extra = fc.array(
    fc.tuple(fc.constantFrom('__proto__', 'constructor', 'toString', 'valueOf', 'prototype'), jsonText),
    { maxLength: 2 },
  );
  return fc.tuple(fc.tuple(...entries), extra).map(([es, ex]) => {
    const parts = [...es.filter((e): e is [string, string] => e !== undefined), ...ex].map(
      ([k, v]) => `${JSON.stringify(k)}:${v}`,
    );
    return `{${parts.join(',')}}`;
  });
}

/** Sometimes the expected wrapper `{"data": X}`, sometimes not. */
export function wrapped(inner: fc.Arbitrary<string>, key = 'data'): fc.Arbitrary<string> {
  return fc.oneof(
    { arbitrary: inner.map((t) => `{${JSON.stringify(key)}:${t}}`), weight: 4 },
    {
      arbitrary: fc
        .tuple(inner, jsonText)
        .map(([t, x]) => `{"__proto__":${x},${JSON.stringify(key)}:${t},"constructor":${x}}`),
      weight: 1,
    },
    { arbitrary: inner, weight: 1 },
    { arbitrary: jsonText, weight: 1 },
  );
}

/** Arbitrary response header bags, as undici hands them over (string or string[] values). */
export const headerBag = fc
  .array(
    fc.tuple(
      fc.constantFrom(
        'X-RateLimit-Limit',
        'x-ratelimit-limit',
        'X-RateLimit-Remaining',
        'X-RateLimit-Reset',
        'x-ratelimit-reset',
        'Retry-After',
        'retry-after',
        '__proto__',
        'constructor',
      ),
      fc.oneof(nastyString, numberText, fc.array(fc.oneof(nastyString, numberText), { maxLength: 3 })),
    ),
    { maxLength: 5 },
  )
  .map((es) => {
    const bag: Record<string, string | string[]> = {};
    for (const [k, v] of es)
      Object.defineProperty(bag, k, { value: v, enumerable: true, writable: true, configurable: true });
    return bag;
  });

/** Object.prototype must come out of every run untouched. */
export function prototypeIntact(): boolean {
  const probe: Record<string, unknown> = {};
  return (
    Object.getOwnPropertyNames(Object.prototype).length === PROTO_KEYS &&
    probe.data === undefined &&
    probe.error === undefined &&
    probe.used === undefined
  );
}
const PROTO_KEYS = Object.getOwnPropertyNames(Object.prototype).length;

/** Split a buffer at arbitrary points (including inside multi-byte characters). */
export function chunked(buf: Buffer, cuts: number[]): Buffer[] {
  const points = [...new Set(cuts.map((c) => Math.min(buf.length, Math.max(0, c))))].sort((a, b) => a - b);
  const out: Buffer[] = [];
  let at = 0;
  for (const p of points) {
    if (p > at) out.push(buf.subarray(at, p));
    at = Math.max(at, p);
  }
  if (at < buf.length) out.push(buf.subarray(at));
  return out;
}
