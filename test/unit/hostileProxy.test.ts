// Hostile requests to the metering proxy over real sockets: wrong Host, browser origins, wrong tokens,
// oversized headers and bodies, malformed and truncated HTTP, traversal, HTTP/1.0, pipelining, slow
// clients. Each is refused with the right status (or the connection closed), nothing reaches the fake
// OpenRouter, nothing is counted, the key never shows, and a good request still works after each batch.
import * as assert from 'node:assert/strict';
import fc from 'fast-check';
import { TEST_KEY } from '../fixtures/fakeOpenRouter';
import { raw, type RawExchange } from './hostile/rawHttp';
import { isolateProxyEnv } from './helpers';
import {
  call,
  type CallOptions,
  chatBody,
  FREE,
  type Harness,
  PAID,
  type RawResponse,
  startHarness,
  TOKEN,
} from './proxyHarness';

const MAX_BODY = 1024;
const KEY_BODY = TEST_KEY.slice('sk-or-v1-'.length);

describe('hostile input: requests to the proxy', () => {
  isolateProxyEnv();
  let h: Harness;
  let hostile = 0;
  let base: { upstream: number; ledger: number; finished: number };
  const upstreamCount = () => h.fake.requests.filter((r) => r.path !== '/models').length;
  const snapshot = () =>
    (base = { upstream: upstreamCount(), ledger: h.ledger.countSince(0), finished: h.finished.length });

  before(async () => {
    h = await startHarness({ maxBodyBytes: MAX_BODY, requestTimeoutMs: 400, pacing: 'off' });
  });
  after(() => h.close());
  beforeEach(snapshot);

  function noKey(where: string, text: string): void {
    assert.ok(!text.includes(TEST_KEY) && !text.includes(KEY_BODY), `the key appeared in ${where}`);
  }

  /** One hostile request through node:http; its status must be one of `want`. */
  async function refusedCall(p: string, o: CallOptions, want: number[]): Promise<RawResponse> {
    hostile++;
    const res = await call(h.port, p, o);
    noKey('a response', res.body.toString('latin1') + JSON.stringify(res.headers));
    assert.ok(
      want.includes(res.status),
      `${o.method ?? 'GET'} ${p} ${JSON.stringify(o.headers ?? {})}: got ${res.status} ${res.body.toString()}, want ${want.join('|')}`,
    );
    if (res.status !== 400 && res.status !== 408 && res.status !== 431 && o.method !== 'HEAD') {
      assert.equal(res.headers['content-type'], 'application/json');
      assert.equal(res.json().error?.code, res.status, "an error in OpenRouter's envelope");
    }
    return res;
  }

  /** One hostile exchange on a raw socket: the statuses seen must be `want` (an empty list: just closed). */
  async function refusedRaw(
    parts: Array<string | Buffer>,
    want: number[][],
    opts: { responses?: number; end?: boolean } = {},
  ): Promise<RawExchange> {
    const responses = opts.responses ?? Math.max(1, ...want.map((w) => w.length));
    hostile += responses;
    const r = await raw(h.port, parts, { ...opts, responses });
    noKey('a raw response', r.text);
    assert.ok(
      want.some((w) => w.length === r.statuses.length && w.every((s, i) => s === r.statuses[i])),
      `${JSON.stringify(String(parts[0]).slice(0, 80))}: got [${r.statuses.join(',')}] closed=${r.closed}, want ${JSON.stringify(want)}`,
    );
    if (r.statuses.length === 0) assert.ok(r.closed, 'no answer and still open');
    return r;
  }

  /** After a batch: nothing reached upstream or the ledger, and a good request still works. */
  async function batchEnd(opts: { forwarded?: number } = {}): Promise<void> {
    assert.equal(upstreamCount() - base.upstream, opts.forwarded ?? 0, 'requests that reached the fake OpenRouter');
    assert.equal(h.ledger.countSince(0), base.ledger, 'a refused request was counted as an attempt');
    assert.equal(h.finished.length - base.finished, opts.forwarded ?? 0);
    const good = await call(h.port, '/api/v1/chat/completions', { body: chatBody(FREE) });
    assert.equal(good.status, 200, good.body.toString());
    noKey('a good response', good.body.toString('latin1') + JSON.stringify(good.headers));
    assert.equal(h.ledger.countSince(0), base.ledger + 1, 'the good request is counted');
    assert.equal(h.fake.chats.at(-1)!.headers.authorization, `Bearer ${TEST_KEY}`);
    snapshot();
  }

  const chat = '/api/v1/chat/completions';
  const head = (host: string, extra = '') => `Host: ${host}\r\nAuthorization: Bearer ${TOKEN}\r\n${extra}`;

  it('refuses a wrong or missing Host (DNS rebinding) with 403', async () => {
    const p = h.port;
    const hosts = [
      'evil.com',
      `evil.com:${p}`,
      '127.0.0.1',
      `127.0.0.1:${p + 1}`,
      `127.0.0.2:${p}`,
      `localhost.evil.com:${p}`,
      `127.0.0.1.nip.io:${p}`,
      `[::2]:${p}`,
      '[::1]',
      `0.0.0.0:${p}`,
      `2130706433:${p}`,
      `0x7f000001:${p}`,
      `127.1:${p}`,
      `localhost:${p}x`,
      `127.0.0.1:${p}:${p}`,
      `user@127.0.0.1:${p}`,
      `127.0.0.1:${p} evil.com`,
      `127.0.0.1:+${p}`,
      ' ',
      `127.0.0.1:${p}/`,
      `127.0.0.1:-${p}`,
      `127.0.0.1:${p}.0`,
      `[::ffff:127.0.0.1]:${p}`,
      `localhost.:${p}`,
      `127.0.0.1:${p + 65536}`,
    ];
    for (const host of hosts) {
      await refusedCall(chat, { body: chatBody(FREE), host }, [403]);
      await refusedCall('/quota', { host }, [403]);
    }
    // No Host at all: Node refuses an HTTP/1.1 request without one (400); the guard would say 403.
    await refusedCall(chat, { body: chatBody(FREE), host: null }, [400, 403]);
    await fc.assert(
      fc.asyncProperty(
        fc.stringMatching(/^[a-z0-9.-]{1,24}$/).filter((s) => s !== '127.0.0.1' && s !== 'localhost'),
        fc.oneof(fc.constant(p), fc.nat(70_000)),
        async (name, port) => {
          await refusedCall(chat, { body: chatBody(FREE), host: `${name}:${port}` }, [403]);
        },
      ),
      { numRuns: 30 },
    );
    await batchEnd();
  });

  it('refuses browsers: any Origin, or a Sec-Fetch-Site other than none, with 403', async () => {
    const origins = [
      'https://evil.com',
      'null',
      `http://127.0.0.1:${h.port}`,
      'http://localhost',
      '',
      'chrome-extension://abcdef',
      'vscode-webview://x',
      'file://',
    ];
    const sites = ['cross-site', 'same-origin', 'same-site', 'garbage'];
    for (const origin of origins) await refusedCall(chat, { body: chatBody(FREE), headers: { origin } }, [403]);
    for (const site of sites)
      await refusedCall(chat, { body: chatBody(FREE), headers: { 'sec-fetch-site': site } }, [403]);
    for (const origin of origins)
      await refusedCall(
        chat,
        { body: chatBody(FREE), headers: { origin, 'sec-fetch-site': 'none', 'sec-fetch-mode': 'cors' } },
        [403],
      );
    await fc.assert(
      fc.asyncProperty(fc.webUrl(), async (origin) => {
        await refusedCall(chat, { body: chatBody(FREE), headers: { origin } }, [403]);
      }),
      { numRuns: 20 },
    );
    await batchEnd();
  });

  it('refuses wrong, missing or mangled tokens with 401', async () => {
    const tokens = [
      '',
      'wrong',
      `${TOKEN}x`,
      TOKEN.slice(0, -1),
      TOKEN.toUpperCase(),
      'x'.repeat(8000),
      `${TOKEN} ${TOKEN}`,
      'orq-',
      TEST_KEY.slice(6),
      `"${TOKEN}"`,
    ];
    for (const token of tokens) await refusedCall(chat, { body: chatBody(FREE), token }, [401]);
    await refusedCall(chat, { body: chatBody(FREE), token: null }, [401]);
    for (const authorization of [
      `Basic ${Buffer.from(`u:${TOKEN}`).toString('base64')}`,
      'Bearer',
      'Bearer ',
      TOKEN,
      `Token ${TOKEN}`,
      `Bearer\u00a0${TOKEN}`.replace('\u00a0', '%A0'),
    ]) {
      await refusedCall(chat, { body: chatBody(FREE), token: null, headers: { authorization } }, [401]);
    }
    for (const key of ['wrong', `${TOKEN}0`, ''])
      await refusedCall(chat, { body: chatBody(FREE), token: null, headers: { 'x-api-key': key } }, [401]);
    await fc.assert(
      fc.asyncProperty(
        fc
          .string({ unit: fc.constantFrom(...'abcdefxyzABC0123456789-_.~+/='.split('')), minLength: 1, maxLength: 200 })
          .filter((t) => t !== TOKEN && !t.startsWith('sk-or-')),
        async (token) => {
          await refusedCall(chat, { body: chatBody(FREE), token }, [401]);
        },
      ),
      { numRuns: 30 },
    );
    await batchEnd();
  });

  it('answers 431 to headers over 16 KB and 413 to bodies over the limit', async () => {
    const p = h.port;
    const big = 'a'.repeat(17 * 1024);
    const many = Array.from({ length: 200 }, (_, i) => `X-Pad-${i}: ${'b'.repeat(100)}\r\n`).join('');
    for (const extra of [`X-Big: ${big}\r\n`, many, `Cookie: ${big}\r\n`]) {
      await refusedRaw(
        [`POST ${chat} HTTP/1.1\r\n${head(`127.0.0.1:${p}`, extra)}Content-Length: 2\r\n\r\n{}`],
        [[431], []],
      );
    }
    await refusedRaw(
      [`GET /quota HTTP/1.1\r\nHost: 127.0.0.1:${p}\r\nAuthorization: Bearer ${'t'.repeat(17 * 1024)}\r\n\r\n`],
      [[431], []],
    );
    await refusedRaw([`GET /api/v1/${'p'.repeat(17 * 1024)} HTTP/1.1\r\n${head(`127.0.0.1:${p}`)}\r\n`], [[431], []]);
    // 431 must be what we actually see at least for the plain case (not only a closed socket).
    const r = await refusedRaw(
      [`GET /quota HTTP/1.1\r\n${head(`127.0.0.1:${p}`, `X-Big: ${big}\r\n`)}\r\n`],
      [[431], []],
    );
    assert.deepEqual(r.statuses, [431], 'an oversized header is answered 431');

    await refusedCall(chat, { body: chatBody(FREE, { pad: 'x'.repeat(2000) }) }, [413]);
    await refusedCall(chat, { body: 'y'.repeat(MAX_BODY + 1) }, [413]);
    const body = chatBody(FREE, { pad: 'x'.repeat(3000) });
    await refusedRaw(
      [
        `POST ${chat} HTTP/1.1\r\n${head(`127.0.0.1:${p}`)}Content-Type: application/json\r\nContent-Length: 1000000000000\r\n\r\n`,
      ],
      [[413]],
    );
    await refusedRaw(
      [
        `POST ${chat} HTTP/1.1\r\n${head(`127.0.0.1:${p}`)}Content-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n${body.length.toString(16)}\r\n${body}\r\n0\r\n\r\n`,
      ],
      [[413]],
    );
    const chunks = Array.from({ length: 40 }, () => `40\r\n${'z'.repeat(64)}\r\n`).join('');
    await refusedRaw(
      [
        `POST ${chat} HTTP/1.1\r\n${head(`127.0.0.1:${p}`)}Content-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n`,
        chunks,
        '0\r\n\r\n',
      ],
      [[413]],
    );
    await batchEnd();
  });

  it('closes malformed, truncated or smuggling HTTP (400 or just closed)', async () => {
    const p = h.port;
    const host = `127.0.0.1:${p}`;
    const cases: Array<[string[], number[][], { end?: boolean }?]> = [
      [[`POST ${chat} HTTP/1.1\r\n${head(host)}Transfer-Encoding: chunked\r\n\r\n5\r\nhel`], [[]], { end: true }],
      [
        [`POST ${chat} HTTP/1.1\r\n${head(host)}Transfer-Encoding: chunked\r\n\r\n10\r\n{"model":"x:free"`],
        [[]],
        { end: true },
      ],
      [[`POST ${chat} HTTP/1.1\r\n${head(host)}Content-Length: 100\r\n\r\n{"model":`], [[]], { end: true }],
      [
        [`POST ${chat} HTTP/1.1\r\n${head(host)}Transfer-Encoding: chunked\r\n\r\nzz\r\nhello\r\n0\r\n\r\n`],
        [[400], []],
      ],
      [
        [`POST ${chat} HTTP/1.1\r\n${head(host)}Transfer-Encoding: chunked\r\n\r\n-5\r\nhello\r\n0\r\n\r\n`],
        [[400], []],
      ],
      [[`POST ${chat} HTTP/1.1\r\n${head(host)}Content-Length: abc\r\n\r\n{}`], [[400], []]],
      [[`POST ${chat} HTTP/1.1\r\n${head(host)}Content-Length: -1\r\n\r\n{}`], [[400], []]],
      [[`POST ${chat} HTTP/1.1\r\n${head(host)}Content-Length: 2\r\nContent-Length: 3\r\n\r\n{}`], [[400], []]],
      [
        [`POST ${chat} HTTP/1.1\r\n${head(host)}Content-Length: 2\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n`],
        [[400], []],
      ],
      [
        [`POST ${chat} HTTP/1.1\r\n${head(host)}Transfer-Encoding: gzip, chunked, identity\r\n\r\n0\r\n\r\n`],
        [[400], []],
      ],
      [[`GET /quota HTTP/1.1\r\nHost: ${host}\r\nBad Header Name: x\r\n\r\n`], [[400], []]],
      [[`GET /quota HTTP/1.1\r\nHost: ${host}\r\nX-Null: a\u0000b\r\n\r\n`], [[400], []]],
      [[`GET /quota HTTP/1.1\nHost: ${host}\n\n`], [[400], [401], []]],
      [[`GET /quota\r\n\r\n`], [[400], [403], []]], // HTTP/0.9-style: no Host, so 403 at best
      [[`GET /api/v1/key HTTP/2.0\r\nHost: ${host}\r\n\r\n`], [[400], [505], [401], []]],
      [
        [
          `POST /api/v1/key HTTP/1.1\r\nHost: ${host}\r\nAuthorization: Bearer ${TOKEN}\r\nContent-Length: 2\r\n\r\n{}`.replace(
            '\r\nHost',
            '\r\n Host',
          ),
        ],
        [[400], []],
      ],
      [[`FOO ${chat} HTTP/1.1\r\n${head(host)}\r\n`], [[400], []]],
      [[`CONNECT evil.com:443 HTTP/1.1\r\nHost: evil.com:443\r\n\r\n`], [[400], []]],
      [[`CONNECT 127.0.0.1:${p} HTTP/1.1\r\nHost: ${host}\r\nAuthorization: Bearer ${TOKEN}\r\n\r\n`], [[400], []]],
      [
        [`GET /quota HTTP/1.1\r\nHost: ${host}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n`],
        [[403], [401], []],
      ],
      [[`\u0016\u0003\u0001\u0002\u0000\u0001\u0000\u0001\u00fc\u0003\u0003`], [[400], []]],
      [[Buffer.from([0xff, 0xfe, 0x00, 0x0d, 0x0a, 0x0d, 0x0a]).toString('latin1')], [[400], []]],
    ];
    for (const [parts, want, opts] of cases) await refusedRaw(parts, want, opts ?? {});
    await batchEnd();
  });

  it('refuses weird methods, path traversal and absolute URLs without a token, and traversal even with one', async () => {
    const methods = ['DELETE', 'PUT', 'PATCH', 'OPTIONS', 'TRACE', 'PROPFIND', 'MKCOL', 'SEARCH', 'PURGE', 'LOCK'];
    for (const method of methods) {
      await refusedCall('/api/v1/chat/completions', { method, token: 'wrong' }, [401]);
      await refusedCall('/api/v1/key', { method, token: null }, [401]);
      await refusedCall('/etc/passwd', { method }, [404]);
    }
    await refusedCall('/api/v1/key', { method: 'HEAD', token: 'wrong' }, [401]);
    const paths = [
      '/api/v1/../../etc/passwd',
      '/api/v1/%2e%2e/%2e%2e/etc/passwd',
      '/api/v1/%2E%2E/key',
      '/api/v1/./../v2/key',
      '/api/v1/..%2f..%2fetc',
      '/api/v1/..%5c..%5cetc',
      '/api/v1\\..\\..\\etc',
      '/api/v1/.%2e/x',
      '/api/v1/chat/../../../x',
      '/api/v1/..',
      '/api/v1/.',
      '/api/v1/%2e',
      '/../api/v1/key',
      '/api/v1x/key',
      '/API/V1/key',
      'http://evil.com/api/v1/key',
      '//evil.com/api/v1/key',
      '*',
      '/api/v10',
      '/api',
    ];
    for (const p of paths) {
      await refusedCall(p, { body: chatBody(PAID) }, [400, 404]);
      await refusedCall(p, { token: 'wrong' }, [400, 401, 404]);
    }
    await batchEnd();
  });

  it('answers HTTP/1.0 and pipelined hostile requests each with its own refusal, in order', async () => {
    const p = h.port;
    const host = `127.0.0.1:${p}`;
    await refusedRaw([`GET /quota HTTP/1.0\r\n\r\n`], [[403]]);
    await refusedRaw([`GET /api/v1/key HTTP/1.0\r\nHost: ${host}\r\n\r\n`], [[401]]);
    await refusedRaw(
      [`POST ${chat} HTTP/1.0\r\nHost: evil.com\r\nAuthorization: Bearer ${TOKEN}\r\nContent-Length: 2\r\n\r\n{}`],
      [[403]],
    );
    await refusedRaw(
      [
        `POST ${chat} HTTP/1.0\r\nHost: ${host}\r\nOrigin: https://evil.com\r\nAuthorization: Bearer ${TOKEN}\r\nContent-Length: 2\r\n\r\n{}`,
      ],
      [[403]],
    );
    const badHost = `GET /api/v1/key HTTP/1.1\r\nHost: evil.com\r\nAuthorization: Bearer ${TOKEN}\r\n\r\n`;
    const goodQuota = `GET /quota HTTP/1.1\r\nHost: ${host}\r\nAuthorization: Bearer ${TOKEN}\r\n\r\n`;
    const badToken = `POST ${chat} HTTP/1.1\r\nHost: ${host}\r\nAuthorization: Bearer nope\r\nContent-Type: application/json\r\nContent-Length: ${chatBody(FREE).length}\r\n\r\n${chatBody(FREE)}`;
    const badOrigin = `GET /api/v1/key HTTP/1.1\r\nHost: ${host}\r\nOrigin: https://evil.com\r\nAuthorization: Bearer ${TOKEN}\r\n\r\n`;
    const notFound = `GET /../../etc/passwd HTTP/1.1\r\nHost: ${host}\r\nAuthorization: Bearer ${TOKEN}\r\n\r\n`;
    for (let i = 0; i < 8; i++) {
      const r = await refusedRaw([badHost + goodQuota + badToken + badOrigin + notFound], [[403, 200, 401, 403, 404]], {
        responses: 5,
      });
      hostile -= 1; // the /quota read is not hostile
      assert.equal(r.closed, false, 'refusals keep the connection');
    }
    // A pipelined request after a malformed one is never served.
    await refusedRaw([`GET /quota HTTP/1.1\r\nHost: ${host}\r\nContent-Length: x\r\n\r\n${goodQuota}`], [[400], []]);
    await batchEnd();
  });

  it('sends invalid JSON and non-JSON bodies on as they are, uncounted, only with the right token', async () => {
    const bodies = [
      '{',
      '{"model":',
      'null',
      '[]',
      '"x:free"',
      '{"model":{"toString":1}}',
      '{"model":["x:free"]}',
      '\uFEFF{"model":"x"}',
      '{"__proto__":{"model":"a:free"}}',
      Buffer.from([0xc3, 0x28, 0xff]).toString('latin1'),
    ];
    const types = [
      'application/json',
      'text/plain',
      'application/x-www-form-urlencoded',
      'multipart/form-data; boundary=x',
      'application/json; charset=utf-16',
    ];
    for (const body of bodies) {
      for (const type of types)
        await refusedCall(chat, { body, token: 'wrong', headers: { 'content-type': type } }, [401]);
    }
    await batchEnd();
    // With the right token they are forwarded (OpenRouter judges them), and no attempt is counted for them.
    let forwarded = 0;
    for (const body of bodies.slice(0, 5)) {
      const res = await call(h.port, chat, { body, headers: { 'content-type': 'text/plain' } });
      forwarded++;
      noKey('a forwarded answer', res.body.toString('latin1') + JSON.stringify(res.headers));
      assert.ok(res.status === 200 || res.status === 400, `${body}: ${res.status}`);
      assert.equal(h.fake.chats.at(-1)!.body.toString('latin1'), Buffer.from(body).toString('latin1'));
    }
    await batchEnd({ forwarded });
  });

  it('drops slow clients (408 or closed) and keeps serving others meanwhile', async () => {
    const p = h.port;
    const host = `127.0.0.1:${p}`;
    const slow = [
      [`GET /quota HTTP/1.1\r\nHost: ${host}\r\n`], // headers never finish
      [`POST ${chat} HTTP/1.1\r\n${head(host)}Content-Type: application/json\r\nContent-Length: 1000\r\n\r\n{"model":`], // body never finishes
      [`POST ${chat} HTTP/1.1\r\n${head(host)}Transfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n`], // chunked, never ends
      [`G`],
      [],
    ];
    const pending = slow.flatMap((parts) => [0, 1].map(() => refusedRaw(parts, [[408], []])));
    // While they hang, others are served.
    const quota = await call(p, '/quota');
    assert.equal(quota.status, 200);
    const answers = await Promise.all(pending);
    // Headers or body not complete in time: 408 (the body's from the proxy, which has the request by then).
    assert.deepEqual(
      answers.map((a) => a.statuses),
      [[408], [408], [408], [408], [408], [408], [408], [408], [408], [408]],
    );
    await batchEnd();
  });

  it('has sent at least 200 hostile requests', () => {
    assert.ok(hostile >= 200, `only ${hostile} hostile requests`);
    console.log(`      (${hostile} hostile requests)`);
  });
});
