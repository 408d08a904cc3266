// Hostile request bodies (fast-check, real sockets): any Content-Type or none, a BOM, Content-Encodings the
// proxy reads (gzip, deflate, br, chains of them) and ones it cannot, the model before or after a long
// prompt, named twice, or only in `models`, sent with a length or chunked, cut anywhere. Whatever the mix, a
// body that reaches the fake OpenRouter in full naming a free model was counted exactly once, nothing else
// was counted, what arrived is byte for byte what was sent, and the proxy's body budget is back to 0.
import * as assert from 'node:assert/strict';
import fc from 'fast-check';
import * as zlib from 'node:zlib';
import { BodyBudget } from '../../../src/core/proxy/bodyBudget';
import { isolateProxyEnv } from '../helpers';
import { FREE, type Harness, PAID, startHarness } from '../proxyHarness';
import { post } from '../bodyClient';

const READABLE: Record<string, (b: Buffer) => Buffer> = {
  gzip: (b) => zlib.gzipSync(b),
  'x-gzip': (b) => zlib.gzipSync(b),
  deflate: (b) => zlib.deflateSync(b),
  br: (b) => zlib.brotliCompressSync(b),
  identity: (b) => b,
};
const UNREADABLE = ['compress', 'zstd', 'x-custom'];

type Layout = 'first' | 'last' | 'models' | 'twice' | 'form' | 'none';

function text(layout: Layout, model: string, pad: string): string {
  const messages = [{ role: 'user', content: pad }];
  switch (layout) {
    case 'first':
      return JSON.stringify({ model, messages });
    case 'last':
      return JSON.stringify({ messages, model });
    case 'models':
      return JSON.stringify({ models: [model, PAID], messages });
    case 'twice': // a paid model first, the one that counts (JSON.parse keeps the last) after the prompt
      return `{"model":"${PAID}","messages":${JSON.stringify(messages)},"model":"${model}"}`;
    case 'form':
      return `model=${encodeURIComponent(model)}&prompt=${pad}`;
    case 'none':
      return JSON.stringify({ messages });
  }
}

/** The model OpenRouter would read: JSON.parse of the decoded body, a leading BOM allowed. */
function modelIn(decoded: Buffer): string | undefined {
  try {
    const v = JSON.parse(decoded.toString('utf8').replace(/^\uFEFF/, '')) as { model?: unknown; models?: unknown };
    if (typeof v.model === 'string') return v.model;
    if (Array.isArray(v.models) && typeof v.models[0] === 'string') return v.models[0];
  } catch {
    // not JSON: no model
  }
  return undefined;
}

/** A prompt of n letters that does not compress to nothing (so encoded bodies are long too). */
function prompt(n: number): string {
  let x = n + 1;
  let out = '';
  for (let i = 0; i < n; i++) {
    x = (x * 1103515245 + 12345) % 2147483648;
    out += String.fromCharCode(97 + (x % 26));
  }
  return out;
}

const isFree = (m: string | undefined) => m !== undefined && (m.endsWith(':free') || m === 'openrouter/free');

const request = fc.record({
  layout: fc.constantFrom<Layout>('first', 'last', 'models', 'twice', 'form', 'none'),
  model: fc.constantFrom(FREE, PAID, 'openrouter/free', 'vendor/other:free'),
  padKb: fc.oneof(
    { weight: 3, arbitrary: fc.constant(0) },
    { weight: 2, arbitrary: fc.integer({ min: 60, max: 300 }) },
  ),
  bom: fc.boolean(),
  contentType: fc.constantFrom(
    undefined,
    'application/json',
    'APPLICATION/JSON; charset=UTF-8',
    'text/plain',
    'application/x-www-form-urlencoded',
    'multipart/form-data; boundary=x',
    'application/octet-stream',
  ),
  encodings: fc.oneof(
    { weight: 3, arbitrary: fc.constant<string[]>([]) },
    { weight: 4, arbitrary: fc.array(fc.constantFrom(...Object.keys(READABLE)), { minLength: 1, maxLength: 2 }) },
    {
      weight: 1,
      arbitrary: fc
        .tuple(fc.array(fc.constantFrom('gzip', 'br'), { maxLength: 1 }), fc.constantFrom(...UNREADABLE))
        .map(([a, u]) => [...a, u]),
    },
  ),
  chunked: fc.boolean(),
  cuts: fc.array(fc.double({ min: 0, max: 1, noNaN: true }), { maxLength: 4 }),
});

describe('hostile input: request bodies of any type and encoding (fast-check, real sockets)', function () {
  this.timeout(120_000);
  isolateProxyEnv();
  let h: Harness;
  before(async () => {
    // A budget smaller than the largest bodies (300 KB of prompt): those stream to the fake as they arrive.
    h = await startHarness({ pacing: 'off', bodyBudget: new BodyBudget({ bytes: 512 * 1024 }) });
  });
  after(() => h.close());

  it('a body that reaches OpenRouter naming a free model was counted once; nothing else is; the budget returns to 0', async () => {
    let runs = 0;
    const statuses: Record<number, number> = {};
    await fc.assert(
      fc.asyncProperty(request, async (r) => {
        runs++;
        const plain = Buffer.concat([
          r.bom ? Buffer.from([0xef, 0xbb, 0xbf]) : Buffer.alloc(0),
          Buffer.from(text(r.layout, r.model, prompt(r.padKb * 1024))),
        ]);
        // Applied in the order listed, as Content-Encoding says.
        const unreadable = r.encodings.some((e) => UNREADABLE.includes(e));
        const sent = unreadable ? plain : r.encodings.reduce<Buffer>((b, e) => READABLE[e](b), plain);
        const cuts = [...new Set(r.cuts.map((c) => Math.floor(c * sent.length)))].sort((a, b) => a - b);
        const parts = [0, ...cuts]
          .map((c, i, all) => sent.subarray(c, all[i + 1] ?? sent.length))
          .filter((p) => p.length > 0);
        const headers: Record<string, string | number> = {};
        if (r.contentType) headers['content-type'] = r.contentType;
        if (r.encodings.length > 0) headers['content-encoding'] = r.encodings.join(', ');
        if (!r.chunked) headers['content-length'] = sent.length;

        const chats = h.fake.chats.length;
        const before = h.ledger.countSince(0);
        const res = await post(h.port, parts, headers);
        statuses[res.status] = (statuses[res.status] ?? 0) + 1;
        await h.proxy.bodyBudget.idle();
        const forwarded = h.fake.chats.slice(chats);
        const counted = h.ledger.countSince(0) - before;

        if (unreadable) {
          assert.equal(res.status, 415, res.text);
          assert.equal(forwarded.length, 0, 'an unreadable body is never forwarded');
        } else {
          assert.ok([200, 400].includes(res.status), `${res.status} ${res.text}`);
        }
        assert.ok(forwarded.length <= 1);
        if (forwarded.length === 1) assert.ok(forwarded[0].body.equals(sent), 'forwarded byte for byte, still encoded');
        const free = isFree(modelIn(plain));
        assert.equal(
          counted,
          forwarded.length === 1 && free ? 1 : 0,
          `counted ${counted}, forwarded ${forwarded.length}, model ${modelIn(plain)}`,
        );
        // A body the proxy could read and that is not a trick (one model) is always forwarded.
        if (!unreadable && r.layout !== 'twice') assert.equal(forwarded.length, 1, `${res.status} ${res.text}`);
        assert.equal(h.proxy.bodyBudget.held, 0);
      }),
      { numRuns: 120 },
    );
    assert.equal(runs, 120);
    // The run met the refusals too: unreadable encodings, and long bodies that named a second model.
    assert.ok(statuses[415] > 0 && statuses[400] > 0, JSON.stringify(statuses));
    assert.ok(h.proxy.bodyBudget.highWater <= h.proxy.bodyBudget.capacity);
    assert.equal(h.proxy.bodyBudget.overReleased, 0, 'every byte given back was held');
  });
});
