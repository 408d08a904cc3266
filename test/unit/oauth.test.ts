// Sign in with OpenRouter, core part: PKCE (RFC 7636 appendix B vector), state, the auth URL, the callback
// query, the registry of sign-ins in flight (replayed, foreign, expired, cancelled), and POST /auth/keys over
// real HTTP against FakeOpenRouter + fakeOAuth: success, the documented 400/403, malformed answers, network
// failures, timeouts, and never the key (nor the code or verifier) in an error.
import * as assert from 'node:assert/strict';
import { request } from 'undici';
import {
  AbortedError,
  ForbiddenError,
  NetworkError,
  OpenRouterError,
  ResponseShapeError,
  ServerError,
  TimeoutError,
} from '../../src/core/errors';
import { exchangeCode } from '../../src/core/oauth/exchange';
import { describeExchangeError, describeRefusal } from '../../src/core/oauth/messages';
import { PendingSignIn, SIGN_IN_TTL_MS } from '../../src/core/oauth/pending';
import { base64url, challengeFor, createPkce, createState } from '../../src/core/oauth/pkce';
import { buildAuthUrl, parseCallbackQuery } from '../../src/core/oauth/urls';
import { OpenRouterClient } from '../../src/core/openRouterClient';
import { fakeAuthUrl, type FakeOAuth, installFakeOAuth, newTestKey } from '../fixtures/fakeOAuth';
import { FakeOpenRouter } from '../fixtures/fakeOpenRouter';
import { assertNoKey, closedPort, failure, isolateProxyEnv } from './helpers';

// RFC 7636 appendix B: the 32 octets, the verifier they encode to, and its S256 challenge.
const RFC_OCTETS = [
  116, 24, 223, 180, 151, 153, 224, 37, 79, 250, 96, 125, 216, 173, 187, 186, 22, 212, 37, 77, 105, 214, 191, 240, 91,
  88, 5, 88, 83, 132, 141, 121,
];
const RFC_VERIFIER = 'dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk';
const RFC_CHALLENGE = 'E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM';

const CALLBACK = 'vscode://openrouter-quota.openrouter-quota/auth-callback?state=abc_DEF-123';

describe('OAuth PKCE (core)', () => {
  describe('PKCE', () => {
    it('matches the RFC 7636 appendix B test vector', () => {
      assert.equal(base64url(Uint8Array.from(RFC_OCTETS)), RFC_VERIFIER);
      assert.equal(challengeFor(RFC_VERIFIER), RFC_CHALLENGE);
      const p = createPkce(() => Uint8Array.from(RFC_OCTETS));
      assert.deepEqual(p, { verifier: RFC_VERIFIER, challenge: RFC_CHALLENGE, method: 'S256' });
    });

    it('makes a fresh 43-character base64url verifier from crypto.randomBytes each time, and its challenge', () => {
      const seen = new Set<string>();
      for (let i = 0; i < 50; i++) {
        const p = createPkce();
        assert.match(p.verifier, /^[A-Za-z0-9_-]{43}$/);
        assert.match(p.challenge, /^[A-Za-z0-9_-]{43}$/); // 32-byte digest, no padding
        assert.equal(p.challenge, challengeFor(p.verifier));
        assert.equal(p.method, 'S256');
        assert.ok(!seen.has(p.verifier));
        seen.add(p.verifier);
      }
    });

    it('keeps the verifier within RFC 7636 bounds (43-128 characters)', () => {
      assert.equal(createPkce(undefined, 96).verifier.length, 128);
      assert.throws(() => createPkce(undefined, 31), RangeError);
      assert.throws(() => createPkce(undefined, 97), RangeError);
    });

    it('makes unguessable, URL-safe states', () => {
      const a = createState();
      const b = createState();
      assert.match(a, /^[A-Za-z0-9_-]{43}$/);
      assert.notEqual(a, b);
    });
  });

  describe('buildAuthUrl', () => {
    it('sends callback_url (one encoded parameter, its own query intact), code_challenge and S256', () => {
      const url = new URL(buildAuthUrl('https://openrouter.ai/auth', CALLBACK, RFC_CHALLENGE));
      assert.equal(url.origin + url.pathname, 'https://openrouter.ai/auth');
      assert.equal(url.searchParams.get('callback_url'), CALLBACK);
      assert.equal(url.searchParams.get('code_challenge'), RFC_CHALLENGE);
      assert.equal(url.searchParams.get('code_challenge_method'), 'S256');
      assert.equal([...url.searchParams.keys()].length, 3);
      assert.ok(
        url.search.includes(
          'callback_url=vscode%3A%2F%2Fopenrouter-quota.openrouter-quota%2Fauth-callback%3Fstate%3Dabc_DEF-123',
        ),
        url.search,
      );
    });

    it('keeps a configured base with its own query, and defaults an empty one', () => {
      const url = new URL(buildAuthUrl('http://127.0.0.1:9/auth?x=1', CALLBACK, 'c'));
      assert.equal(url.searchParams.get('x'), '1');
      assert.equal(url.searchParams.get('callback_url'), CALLBACK);
      assert.ok(buildAuthUrl('  ', CALLBACK, 'c').startsWith('https://openrouter.ai/auth?'));
    });

    it('refuses a base that is not an http(s) URL', () => {
      assert.throws(() => buildAuthUrl('not a url', CALLBACK, 'c'), RangeError);
      assert.throws(() => buildAuthUrl('javascript:alert(1)', CALLBACK, 'c'), RangeError);
      assert.throws(() => buildAuthUrl('file:///etc/passwd', CALLBACK, 'c'), RangeError);
    });
  });

  describe('parseCallbackQuery', () => {
    it("reads state and code, ignoring VS Code's windowId", () => {
      assert.deepEqual(parseCallbackQuery('state=S1&windowId=_3&code=C1'), {
        state: 'S1',
        code: 'C1',
        error: undefined,
        errorDescription: undefined,
      });
    });

    it('recovers from a naive "?state=S?code=C" append and a leading "?"', () => {
      assert.deepEqual(parseCallbackQuery('state=S1?code=C1'), {
        state: 'S1',
        code: 'C1',
        error: undefined,
        errorDescription: undefined,
      });
      assert.equal(parseCallbackQuery('?state=S1&code=C1').state, 'S1');
    });

    it('keeps a "+" in the code (VS Code already decoded the query)', () => {
      assert.equal(parseCallbackQuery('state=S&code=a+b').code, 'a+b');
    });

    it('reads an OAuth-style error, and treats empty values as absent', () => {
      assert.deepEqual(parseCallbackQuery('state=S&error=access_denied&error_description=The%20user%20declined'), {
        state: 'S',
        code: undefined,
        error: 'access_denied',
        errorDescription: 'The user declined',
      });
      assert.deepEqual(parseCallbackQuery('state=&code='), {
        state: undefined,
        code: undefined,
        error: undefined,
        errorDescription: undefined,
      });
    });
  });

  describe('PendingSignIn', () => {
    let now: number;
    let reg: PendingSignIn;
    beforeEach(() => {
      now = Date.UTC(2026, 9, 1, 12, 0, 0);
      reg = new PendingSignIn(() => now);
    });

    it('matches the state it issued once, with its PKCE pair', () => {
      const a = reg.begin();
      assert.equal(reg.pending, 1);
      const m = reg.take(a.state);
      assert.ok(m.ok);
      assert.equal(m.attempt.pkce.verifier, a.pkce.verifier);
      assert.equal(m.attempt.pkce.challenge, challengeFor(a.pkce.verifier));
      assert.equal(reg.pending, 0);
    });

    it('refuses a replayed callback (the same state again)', () => {
      const a = reg.begin();
      assert.ok(reg.take(a.state).ok);
      assert.deepEqual(reg.take(a.state), { ok: false, reason: 'replayed' });
    });

    it('refuses foreign states: unknown, a prefix, a longer one, one from another registry', () => {
      const a = reg.begin();
      const other = new PendingSignIn(() => now).begin();
      for (const s of [
        createState(),
        a.state.slice(0, -1),
        `${a.state}x`,
        other.state,
        a.state.toLowerCase() === a.state ? `${a.state}A` : a.state.toLowerCase(),
      ]) {
        assert.deepEqual(reg.take(s), { ok: false, reason: 'foreign' }, s);
      }
      assert.ok(reg.take(a.state).ok, 'the real state still works after refused guesses');
    });

    it('refuses a callback without a state', () => {
      reg.begin();
      assert.deepEqual(reg.take(undefined), { ok: false, reason: 'missing' });
      assert.deepEqual(reg.take(''), { ok: false, reason: 'missing' });
    });

    it('accepts a callback up to 10 minutes after the start, refuses it as expired after', () => {
      assert.equal(SIGN_IN_TTL_MS, 10 * 60_000);
      const a = reg.begin();
      const b = reg.begin();
      now += SIGN_IN_TTL_MS;
      assert.ok(reg.take(a.state).ok);
      now += 1;
      assert.equal(reg.pending, 0);
      assert.deepEqual(reg.take(b.state), { ok: false, reason: 'expired' });
      assert.deepEqual(reg.take(b.state), { ok: false, reason: 'expired' });
    });

    it('forgets old states after two TTLs (then a late callback reads as foreign)', () => {
      const a = reg.begin();
      now += 2 * SIGN_IN_TTL_MS + 1;
      assert.deepEqual(reg.take(a.state), { ok: false, reason: 'foreign' });
    });

    it('refuses the callback of a cancelled sign-in, and keeps the others', () => {
      const a = reg.begin();
      const b = reg.begin();
      reg.cancel(a.state);
      assert.deepEqual(reg.take(a.state), { ok: false, reason: 'cancelled' });
      assert.ok(reg.take(b.state).ok);
    });

    it('has a sentence for every refusal', () => {
      for (const r of ['missing', 'foreign', 'replayed', 'expired', 'cancelled'] as const)
        assert.ok(describeRefusal(r).length > 20, r);
      assert.match(describeRefusal('expired'), /10 minutes/);
    });
  });
});

describe('OAuth exchange: POST /auth/keys (real HTTP against FakeOpenRouter + fakeOAuth)', () => {
  isolateProxyEnv();
  let fake: FakeOpenRouter;
  let oauth: FakeOAuth;

  beforeEach(async () => {
    fake = await FakeOpenRouter.start();
    oauth = installFakeOAuth(fake);
  });
  afterEach(() => fake.close());

  /** What the browser does: open the auth URL, approve, follow the redirect to our callback. */
  const approve = (pkce = createPkce(), callback = CALLBACK) => {
    const { redirect } = oauth.approve(buildAuthUrl(fakeAuthUrl(fake), callback, pkce.challenge));
    const cb = parseCallbackQuery(new URL(redirect).search);
    return { pkce, code: cb.code!, state: cb.state };
  };
  const exchange = (code: string, verifier: string, over: Partial<Parameters<typeof exchangeCode>[0]> = {}) =>
    exchangeCode({ apiBaseUrl: fake.baseUrl, code, verifier, timeoutMs: 5_000, ...over });

  it('exchanges the code for a key: POST {code, code_verifier, code_challenge_method: S256}, JSON, no Authorization', async () => {
    const key = newTestKey();
    oauth.nextKey = key;
    const { pkce, code, state } = approve();
    assert.equal(state, 'abc_DEF-123', 'the callback keeps its own state');
    assert.equal(await exchange(code, pkce.verifier), key);
    const req = fake.requests.find((r) => r.path === '/auth/keys')!;
    assert.equal(req.method, 'POST');
    assert.equal(req.authorization, undefined);
    assert.match(String(req.headers['content-type']), /^application\/json/);
    assert.deepEqual(JSON.parse(req.body!.toString('utf8')), {
      code,
      code_verifier: pkce.verifier,
      code_challenge_method: 'S256',
    });
  });

  it("runs the whole flow through the fake's /auth page (302 to the callback) and the new key reads GET /key", async () => {
    const pkce = createPkce();
    const res = await request(buildAuthUrl(fakeAuthUrl(fake), CALLBACK, pkce.challenge), { method: 'GET' });
    await res.body.dump();
    assert.equal(res.statusCode, 302);
    const location = String(res.headers.location);
    assert.ok(location.startsWith(`${CALLBACK}&code=`), location);
    const cb = parseCallbackQuery(new URL(location).search);
    const key = await exchange(cb.code!, pkce.verifier);
    const client = new OpenRouterClient({ baseUrl: fake.baseUrl, apiKey: key, timeoutMs: 5_000 });
    try {
      assert.equal((await client.getKey()).freeDaily?.limit, 50);
    } finally {
      await client.close();
    }
  });

  it('a declined consent comes back as error=access_denied with the state', async () => {
    oauth.deny = 'access_denied';
    const res = await request(buildAuthUrl(fakeAuthUrl(fake), CALLBACK, 'c'), { method: 'GET' });
    await res.body.dump();
    const cb = parseCallbackQuery(new URL(String(res.headers.location)).search);
    assert.equal(cb.state, 'abc_DEF-123');
    assert.equal(cb.error, 'access_denied');
    assert.equal(cb.code, undefined);
  });

  it("403 for a wrong verifier: ForbiddenError with OpenRouter's message, without the code or the verifier", async () => {
    const { code } = approve();
    const wrong = createPkce().verifier;
    const e = await failure(exchange(code, wrong));
    assert.ok(ForbiddenError.is(e));
    assert.equal(e.status, 403);
    assert.equal(e.message, 'Invalid code or code_verifier');
    for (const s of [code, wrong]) assert.ok(!String(e).includes(s) && !(e.stack ?? '').includes(s));
    assert.match(describeExchangeError(e), /did not accept the sign-in code \(403: Invalid code or code_verifier\)/);
    assert.equal(oauth.issuedKeys.length, 0);
  });

  it('403 for a code used twice (a replayed callback reaching the exchange) and for an unknown code', async () => {
    const { pkce, code } = approve();
    await exchange(code, pkce.verifier);
    const again = await failure(exchange(code, pkce.verifier));
    assert.ok(ForbiddenError.is(again));
    const unknown = await failure(exchange('not-a-code', pkce.verifier));
    assert.ok(ForbiddenError.is(unknown));
    assert.equal(oauth.issuedKeys.length, 1);
  });

  it("400 with OpenRouter's body: ServerError(400) and its message", async () => {
    fake.fail('/auth/keys', {
      kind: 'status',
      status: 400,
      body: { error: { code: 400, message: 'Invalid code_challenge_method' } },
    });
    const { pkce, code } = approve();
    const e = await failure(exchange(code, pkce.verifier));
    assert.ok(ServerError.is(e));
    assert.equal(e.status, 400);
    assert.equal(e.message, 'Invalid code_challenge_method');
    assert.match(describeExchangeError(e), /rejected the sign-in request \(400: Invalid code_challenge_method\)/);
  });

  it("400 from the fake itself when the method does not match the challenge's", async () => {
    const { pkce, code } = approve();
    // A client that forgot the method: the fake answers as OpenRouter documents.
    const res = await request(`${fake.baseUrl}/auth/keys`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ code, code_verifier: pkce.verifier, code_challenge_method: 'plain' }),
    });
    assert.equal(res.statusCode, 400);
    assert.deepEqual(await res.body.json(), { error: { code: 400, message: 'Invalid code_challenge_method' } });
  });

  it('an error body that echoes the code, the verifier or a key is redacted', async () => {
    const { pkce, code } = approve();
    const leaked = newTestKey();
    fake.fail('/auth/keys', {
      kind: 'status',
      status: 500,
      body: { error: { code: 500, message: `boom code=${code} verifier=${pkce.verifier} key=${leaked}` } },
    });
    const e = await failure(exchange(code, pkce.verifier));
    assert.ok(ServerError.is(e));
    assertNoKey(e, leaked);
    for (const s of [code, pkce.verifier]) assert.ok(!String(e).includes(s), s);
    assertNoKey(describeExchangeError(e), leaked);
  });

  it('a 200 whose body is not JSON: ResponseShapeError that quotes nothing of it', async () => {
    fake.fail('/auth/keys', { kind: 'malformed' });
    const { pkce, code } = approve();
    const e = await failure(exchange(code, pkce.verifier));
    assert.ok(ResponseShapeError.is(e));
    assert.equal(e.message, 'POST /auth/keys: the answer is not JSON');
  });

  it('a 200 without a usable key: ResponseShapeError, and the odd value is not quoted', async () => {
    const { pkce, code } = approve();
    for (const body of [
      {},
      { key: 42 },
      { key: 'sk-or-v1-but has spaces in it' },
      { key: ' sk-or-v1-0123456789abcdef0123 ' },
      [],
      'sk-or-v1-0123456789abcdef0123',
    ]) {
      fake.fail('/auth/keys', { kind: 'status', status: 200, body });
      const e = await failure(exchange(code, pkce.verifier));
      assert.ok(ResponseShapeError.is(e), JSON.stringify(body));
      assert.ok(!e.message.includes('sk-or-'), e.message);
    }
  });

  it('network failure: the connection is dropped, or nothing listens', async () => {
    fake.fail('/auth/keys', { kind: 'reset' });
    const { pkce, code } = approve();
    const dropped = await failure(exchange(code, pkce.verifier));
    assert.ok(NetworkError.is(dropped), String(dropped));
    const port = await closedPort();
    const refused = await failure(exchange(code, pkce.verifier, { apiBaseUrl: `http://127.0.0.1:${port}/api/v1` }));
    assert.ok(NetworkError.is(refused), String(refused));
    assert.match(describeExchangeError(refused), /Cannot reach OpenRouter to finish the sign-in/);
    for (const e of [dropped, refused]) for (const s of [code, pkce.verifier]) assert.ok(!String(e).includes(s));
  });

  it('no answer in time: TimeoutError; cancelled by the user: AbortedError', async () => {
    const { pkce, code } = approve();
    fake.fail('/auth/keys', { kind: 'hang' });
    const slow = await failure(exchange(code, pkce.verifier, { timeoutMs: 200 }));
    assert.ok(TimeoutError.is(slow), String(slow));
    fake.fail('/auth/keys', { kind: 'hang' });
    const abort = new AbortController();
    const p = exchange(code, pkce.verifier, { signal: abort.signal });
    setTimeout(() => abort.abort(), 50);
    const cancelled = await failure(p);
    assert.ok(AbortedError.is(cancelled), String(cancelled));
    assert.equal(describeExchangeError(cancelled), 'The sign-in was cancelled.');
  });

  it('never puts the issued key into any error, whatever went wrong after it was issued', async () => {
    const key = newTestKey();
    const bodies: unknown[] = [
      { key: `${key} ` },
      { key: key.slice(0, -1) + ' ' },
      { data: { key } },
      { error: { message: key }, key: 3 },
    ];
    const { pkce, code } = approve();
    for (const body of bodies) {
      fake.fail('/auth/keys', { kind: 'status', status: 200, body });
      const e = await failure(exchange(code, pkce.verifier));
      assert.ok(OpenRouterError.is(e));
      assertNoKey(e, key);
      assertNoKey(describeExchangeError(e), key);
    }
    fake.fail('/auth/keys', {
      kind: 'status',
      status: 403,
      body: { error: { code: 403, message: `key ${key} is not yours` } },
    });
    const e = await failure(exchange(code, pkce.verifier));
    assertNoKey(e, key);
  });
});
