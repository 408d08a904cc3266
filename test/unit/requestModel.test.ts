// modelOf()/scanModel() on bodies split into chunks the way a socket hands them over: every cut through
// the key, the value and the escapes around them must give the same model as the whole body.
import * as assert from 'node:assert/strict';
import { bodyLength, ModelScanner, modelOf, scanModel } from '../../src/core/proxy/requestModel';

const pad = 'p'.repeat(70 * 1024);

function everyCut(text: string, from: string, to: string, check: (chunks: Buffer[]) => void): number {
  const buf = Buffer.from(text);
  const start = buf.indexOf(from) - 2;
  const end = buf.indexOf(to, start) + Buffer.byteLength(to) + 2;
  let n = 0;
  for (let cut = start; cut <= end; cut++) {
    check([buf.subarray(0, cut), buf.subarray(cut)]);
    // and a one-byte chunk at the cut, with an empty chunk after it
    check([buf.subarray(0, cut), buf.subarray(cut, cut + 1), Buffer.alloc(0), buf.subarray(cut + 1)]);
    n += 2;
  }
  return n;
}

describe('requestModel: the model of a body that came in chunks', () => {
  it('finds the model whatever byte the chunks are cut at (key, escapes, multi-byte characters)', () => {
    const model = 'vendor/m\\"odèl-🚀:free';
    const text = `{"messages":[{"role":"user","content":"${pad}"}], "model" : "${model}", "stream":true}`;
    const expected = (JSON.parse(text) as { model: string }).model;
    const n = everyCut(text, '"model"', `"${model}"`, (chunks) => {
      assert.equal(bodyLength(chunks), Buffer.byteLength(text));
      assert.equal(scanModel(chunks), expected);
      assert.equal(modelOf(chunks), expected);
    });
    assert.ok(n > 60, `${n} cuts`);
  });

  it('takes the last "model" and falls back to "models", as JSON.parse would, across chunks', () => {
    const text = `{"model":"first","content":"${pad}","models":["a:free","b"],"model":"last:free"}`;
    everyCut(text, '"models"', '"last:free"', (chunks) => assert.equal(scanModel(chunks), 'last:free'));
    const onlyModels = `{"content":"${pad}","models":["a:free","b"]}`;
    everyCut(onlyModels, '"models"', '"b"]', (chunks) => assert.equal(scanModel(chunks), 'a:free'));
  });

  it('gives up on a body that is not one JSON object, however it is cut', () => {
    for (const text of [
      `{"model":"x:free","content":"${pad}"`,
      `{"model":"x:free","content":"${pad}"} trailing`,
      `["model","x:free","${pad}"]`,
    ]) {
      everyCut(text, '"model"', '"x:free"', (chunks) => assert.equal(scanModel(chunks), undefined));
    }
  });

  it('reads small bodies in chunks with JSON.parse, after a BOM too; the content type plays no part', () => {
    const text = '{"model":"openrouter/free","messages":[]}';
    const b = Buffer.from(text);
    assert.equal(modelOf([b.subarray(0, 5), b.subarray(5)]), 'openrouter/free');
    assert.equal(modelOf([Buffer.from([0xef, 0xbb, 0xbf]), b]), 'openrouter/free');
    assert.equal(modelOf([]), undefined);
  });

  it('scans a body pushed chunk by chunk: `first` as soon as the model has arrived, end() as JSON.parse', () => {
    const text = `\uFEFF{"model":"a:free","messages":[{"content":"${pad}\\\\"}],"model":"b"}`;
    const buf = Buffer.from(text);
    for (const size of [1, 7, 4096, buf.length]) {
      const s = new ModelScanner();
      let firstAt = -1;
      for (let at = 0; at < buf.length; at += size) {
        s.push(buf.subarray(at, at + size));
        if (firstAt < 0 && s.first !== undefined) firstAt = at + size;
      }
      assert.equal(s.first, 'a:free');
      assert.ok(firstAt <= Math.max(40, size), 'known as soon as the model has arrived, before the prompt');
      assert.equal(s.end(), 'b', 'the last model wins, as in JSON.parse');
    }
    const broken = new ModelScanner();
    broken.push(Buffer.from('{"model":"a:free","x":[1,2}'));
    broken.push(Buffer.from(' trailing'));
    assert.equal(broken.first, 'a:free');
    assert.equal(broken.end(), undefined);
    const long = new ModelScanner();
    long.push(Buffer.from(`{"model":"${'m'.repeat(70 * 1024)}"}`));
    assert.equal(long.unreadable, true);
    assert.equal(long.end(), undefined);
  });
});
