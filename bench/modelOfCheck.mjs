// Differential check of the proxy's large-body model reader (scanModel, used above 64 KiB) against the
// JSON.parse reading it replaces, on generated valid bodies (escaped keys, duplicate keys, nested "model"
// keys, `models` lists, odd whitespace, unicode, escaped quotes and backslashes in the prompt), plus a
// speed comparison on a 1 MB prompt.   node bench/modelOfCheck.mjs   (after npm run compile-tests)
import path from 'node:path';
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
const { scanModel, modelOf } = require(path.resolve(import.meta.dirname, '../out/src/core/proxy/requestModel.js'));
const reference = (b) => {
  try {
    const v = JSON.parse(b.toString('utf8'));
    if (typeof v.model === 'string') return v.model;
    if (Array.isArray(v.models) && typeof v.models[0] === 'string') return v.models[0];
  } catch {
    /* invalid */
  }
  return undefined;
};
let seed = 42;
const rnd = (n) => {
  seed = (seed * 1103515245 + 12345) & 0x7fffffff;
  return seed % n;
};
const pick = (a) => a[rnd(a.length)];
const junkStr = () =>
  Array.from({ length: rnd(40) }, () =>
    pick(['a', '"', '\\', '\n', 'é', '😀', '{', '}', '[', ']', ',', ':', ' ', 'model', '\u0000', '\u2028']),
  ).join('');
const value = (d = 0) => {
  const k = rnd(d > 3 ? 4 : 7);
  if (k === 0) return junkStr();
  if (k === 1) return rnd(1000) - 500.25;
  if (k === 2) return pick([true, false, null]);
  if (k === 3) return pick(['m:free', 'openai/gpt-4.1', '']);
  if (k === 4) return Array.from({ length: rnd(4) }, () => value(d + 1));
  return Object.fromEntries(
    Array.from({ length: rnd(4) }, () => [pick(['model', 'models', 'x', junkStr()]), value(d + 1)]),
  );
};
const escapeKey = (k) =>
  rnd(3) === 0 ? [...k].map((c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`).join('') : k;
function body() {
  const members = [];
  const n = 1 + rnd(6);
  for (let i = 0; i < n; i++) {
    const key = pick(['model', 'models', 'messages', 'stream', 'provider', 'modelx', 'Model']);
    let v =
      key === 'models' && rnd(2)
        ? [pick(['a:free', 'b', 3]), 'c']
        : key === 'messages'
          ? [{ role: 'user', content: junkStr() + 'x'.repeat(rnd(3) ? 70_000 : 10) }]
          : value();
    members.push(
      `${pick(['', ' ', '\n\t'])}"${escapeKey(key)}"${pick(['', ' '])}:${pick(['', ' ', '\r\n'])}${JSON.stringify(v, null, rnd(2) ? 1 : 0)}`,
    );
  }
  return Buffer.from(`${pick(['', ' ', '\n'])}{${members.join(',')}}${pick(['', ' ', '\n  '])}`);
}
let checked = 0,
  mismatches = 0,
  big = 0;
for (let i = 0; i < 3000; i++) {
  const b = body();
  if (b.length > 64 * 1024) big++;
  const want = reference(b),
    got = scanModel(b),
    viaModelOf = modelOf(b, 'application/json');
  checked++;
  if (want !== got || want !== viaModelOf) {
    mismatches++;
    if (mismatches < 5)
      console.log('MISMATCH', JSON.stringify(want), JSON.stringify(got), b.toString('utf8').slice(0, 300));
  }
}
console.log(`scanModel vs JSON.parse: ${checked} valid bodies (${big} over 64 KiB), ${mismatches} mismatches`);
const mb = Buffer.from(JSON.stringify({ model: 'm:free', messages: [{ role: 'user', content: 'x'.repeat(1 << 20) }] }));
for (const [name, fn] of [
  ['JSON.parse', reference],
  ['scanModel', scanModel],
]) {
  const t = process.hrtime.bigint();
  for (let i = 0; i < 50; i++) fn(mb);
  console.log(`${name}: ${(Number(process.hrtime.bigint() - t) / 50e6).toFixed(3)} ms per 1 MB body`);
}
process.exit(mismatches ? 1 : 0);
