// Request bodies through the metering proxy over real sockets (issue 12, findings 3 and 4): a free request is
// counted whatever its Content-Type, BOM or Content-Encoding; an encoding the proxy cannot read is refused,
// never forwarded uncounted; bodies stream to OpenRouter once the model is known, under one cap on the bytes
// held across requests, and every path gives those bytes back.
import * as assert from 'node:assert/strict';
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import * as zlib from 'node:zlib';
import { BodyBudget } from '../../src/core/proxy/bodyBudget';
import { isolateProxyEnv } from './helpers';
import { CHAT, post } from './bodyClient';
import { chatBody, FREE, type Harness, PAID, startHarness, TOKEN } from './proxyHarness';

const sized = (b: Buffer, headers: http.OutgoingHttpHeaders = {}) => ({ 'content-length': b.length, ...headers });
/** A chat body of about `size` bytes, its model before or after the long prompt. */
function bigBody(model: string, size: number, where: 'first' | 'last'): Buffer {
  const content = 'x'.repeat(size);
  const messages = [{ role: 'user', content }];
  return Buffer.from(JSON.stringify(where === 'first' ? { model, messages } : { messages, model }));
}

describe('MeteringProxy: request bodies are counted whatever their type or encoding, and streamed', () => {
  isolateProxyEnv();
  let h: Harness;
  afterEach(() => h.close());
  const counted = () => h.ledger.countSince(0);

  describe('counting cannot be dodged', () => {
    beforeEach(async () => {
      h = await startHarness({ pacing: 'off' });
    });

    it('counts a free request sent as text/plain', async () => {
      const body = Buffer.from(chatBody(FREE));
      const res = await post(h.port, [body], sized(body, { 'content-type': 'text/plain' }));
      assert.equal(res.status, 200, res.text);
      assert.equal(counted(), 1);
      assert.deepEqual(h.fake.chats.at(-1)!.body, body);
    });

    it('counts a free request with no Content-Type, and one sent as a form (curl -d)', async () => {
      const body = Buffer.from(chatBody(FREE));
      assert.equal((await post(h.port, [body], sized(body))).status, 200);
      assert.equal(
        (await post(h.port, [body], sized(body, { 'content-type': 'application/x-www-form-urlencoded' }))).status,
        200,
      );
      assert.equal(counted(), 2);
    });

    it('counts a free request whose JSON starts with a UTF-8 BOM, and forwards the BOM', async () => {
      const body = Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(chatBody(FREE))]);
      await post(h.port, [body], sized(body, { 'content-type': 'application/json' }));
      assert.equal(counted(), 1);
      assert.deepEqual(h.fake.chats.at(-1)!.body, body);
    });

    it('counts a gzip-encoded free request and forwards its bytes as they came (still encoded)', async () => {
      const gz = zlib.gzipSync(chatBody(FREE));
      const res = await post(
        h.port,
        [gz.subarray(0, 7), gz.subarray(7)],
        sized(gz, { 'content-type': 'application/json', 'content-encoding': 'gzip' }),
      );
      assert.notEqual(res.status, 415, res.text);
      assert.equal(counted(), 1);
      const seen = h.fake.chats.at(-1)!;
      assert.deepEqual(seen.body, gz);
      assert.equal(seen.headers['content-encoding'], 'gzip');
    });

    it('cuts off a long body that names a paid model first and a free one after the prompt (JSON.parse keeps the last)', async () => {
      const body = Buffer.from(
        `{"model":"${PAID}","messages":[{"role":"user","content":"${'x'.repeat(200_000)}"}],"model":"${FREE}"}`,
      );
      const res = await post(h.port, [body], sized(body, { 'content-type': 'application/json' }));
      assert.equal(res.status, 400, res.text);
      assert.match(JSON.parse(res.text).error.message, /more than once/);
      await h.proxy.bodyBudget.idle();
      assert.equal(h.fake.chats.length, 0, 'OpenRouter never had the whole body');
      assert.equal(counted(), 0);
      // Named once, after the prompt: read to the end, counted and forwarded.
      const last = Buffer.from(
        JSON.stringify({ messages: [{ role: 'user', content: 'x'.repeat(200_000) }], model: FREE }),
      );
      assert.equal((await post(h.port, [last], sized(last))).status, 200);
      assert.equal(counted(), 1);
    });

    it('answers 415 to an encoding it cannot read, and forwards nothing', async () => {
      const body = Buffer.from(chatBody(FREE));
      const res = await post(
        h.port,
        [body],
        sized(body, { 'content-type': 'application/json', 'content-encoding': 'compress' }),
      );
      assert.equal(res.status, 415, res.text);
      assert.match(JSON.parse(res.text).error.message, /compress/);
      assert.equal(h.fake.chats.length, 0);
      assert.equal(counted(), 0);
    });

    it('answers 413 to a body past the cap: declared, grown while streaming, or a gzip bomb', async () => {
      const fifty = 50 * 1024 * 1024;
      // Declared 50 MB: refused before a byte is read (the connection closes after the answer).
      const declared = await post(h.port, [], { 'content-length': fifty, 'content-type': 'application/json' }).catch(
        () => undefined,
      );
      if (declared) assert.equal(declared.status, 413);
      // 50 MB of zeros in a JSON string, gzipped to ~50 KB: the decoded size is what counts.
      const bomb = zlib.gzipSync(
        Buffer.concat([Buffer.from(`{"model":"${FREE}","pad":"`), Buffer.alloc(fifty, 0x30), Buffer.from('"}')]),
      );
      assert.ok(bomb.length < 200_000);
      const res = await post(h.port, [bomb], sized(bomb, { 'content-encoding': 'gzip' }));
      assert.equal(res.status, 413, res.text);
      assert.equal(h.fake.chats.length, 0, 'not forwarded');
      assert.equal(counted(), 0);
      // No length, the model first: counted and streamed at once, then cut off at the cap (taken back).
      const head = Buffer.from(`{"model":"${FREE}","messages":[{"role":"user","content":"`);
      const mib = Buffer.alloc(1024 * 1024, 0x78);
      const grown = await post(h.port, [head, ...Array.from({ length: 21 }, () => mib), Buffer.from('"}]}')], {
        'content-type': 'application/json',
      });
      assert.equal(grown.status, 413, grown.text);
      await h.proxy.bodyBudget.idle();
      assert.equal(h.fake.chats.length, 0, 'OpenRouter never had it whole');
      assert.equal(counted(), 0, 'taken back');
      assert.equal(h.proxy.bodyBudget.held, 0);
    });
  });

  describe('bodies stream through admission under one memory budget', () => {
    it('many concurrent large bodies never hold more than the budget, and it returns to 0', async function () {
      this.timeout(20_000);
      const budget = new BodyBudget({ bytes: 1024 * 1024, maxWaitMs: 5_000 });
      h = await startHarness({ pacing: 'off', bodyBudget: budget });
      // The model after a 300 KB prompt (the proxy must hold the prompt to find it) or before it (streamed).
      const bodies = Array.from({ length: 24 }, (_, i) =>
        bigBody(i % 3 === 0 ? PAID : FREE, 300 * 1024, i % 2 === 0 ? 'last' : 'first'),
      );
      const answers = await Promise.all(
        bodies.map((b) => post(h.port, [b], sized(b, { 'content-type': 'application/json' }))),
      );
      for (const a of answers) {
        assert.ok(a.status === 200 || a.status === 503, `${a.status} ${a.text}`);
        if (a.status === 503) assert.ok(Number(a.headers['retry-after']) >= 1);
      }
      await budget.idle();
      assert.ok(budget.highWater > 0 && budget.highWater <= budget.capacity, `high water ${budget.highWater}`);
      assert.equal(budget.held, 0);
      assert.equal(budget.overReleased, 0);
      const ok = answers.filter((a) => a.status === 200).length;
      assert.ok(ok >= 12, `only ${ok} of 24 got through`);
      assert.equal(h.fake.chats.length, ok);
      const freeOk = answers.filter((a, i) => a.status === 200 && i % 3 !== 0).length;
      assert.equal(counted(), freeOk, 'each forwarded free request counted once, the refused ones not at all');
      for (const c of h.fake.chats)
        assert.ok(
          bodies.some((b) => b.equals(c.body)),
          'forwarded byte for byte',
        );
    });

    it('a client that leaves mid-body: the upstream request is aborted, the count taken back, the budget back to 0', async function () {
      this.timeout(5_000);
      h = await startHarness({ pacing: 'off' });
      let arrived!: () => void;
      const upstreamArrived = new Promise<void>((r) => (arrived = r));
      let aborted!: (complete: boolean) => void;
      const upstreamClosed = new Promise<boolean>((r) => (aborted = r));
      let got = 0;
      const up = http.createServer((req) => {
        req.on('data', (c: Buffer) => {
          got += c.length;
          if (got > 100_000) arrived();
        });
        req.on('close', () => aborted(req.complete));
      });
      await new Promise<void>((r) => up.listen(0, '127.0.0.1', r));
      h.settings.upstream = `http://127.0.0.1:${(up.address() as AddressInfo).port}/api/v1`;
      try {
        const head = Buffer.from(`{"model":"${FREE}","messages":[{"role":"user","content":"${'x'.repeat(200_000)}`);
        const req = http.request({
          host: '127.0.0.1',
          port: h.port,
          path: CHAT,
          method: 'POST',
          agent: false,
          headers: { authorization: `Bearer ${TOKEN}`, 'content-length': 1_000_000 },
        });
        req.on('error', () => undefined);
        req.write(head);
        await upstreamArrived;
        assert.equal(counted(), 1, 'counted once the model was known, before the body ended');
        req.destroy();
        assert.equal(await upstreamClosed, false, 'the upstream request was cut off before its body ended');
        await h.proxy.bodyBudget.idle();
        assert.equal(h.proxy.bodyBudget.held, 0);
        assert.equal(h.proxy.bodyBudget.overReleased, 0);
        assert.equal(counted(), 0, 'an attempt that never reached OpenRouter in full is taken back');
      } finally {
        up.closeAllConnections();
        await new Promise<void>((r) => up.close(() => r()));
      }
    });
  });
});
