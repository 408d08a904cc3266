// Hostile requests with the right local token (fast-check, real sockets): arbitrary methods and request
// targets under /api/v1, built from the segments that matter (keys, credits, auth, models, …), encodings,
// dot segments, doubled slashes, queries and fragments. Whatever the proxy answers, the fake OpenRouter never
// sees a request outside the allow-list, and a request the list does not name is never forwarded.
import * as assert from 'node:assert/strict';
import fc from 'fast-check';
import { TEST_KEY } from '../../fixtures/fakeOpenRouter';
import { isolateProxyEnv } from '../helpers';
import { type Harness, startHarness, TOKEN } from '../proxyHarness';
import { raw } from './rawHttp';

/**
 * The allow-list written out again, independently of scope.ts: method and path (under /api/v1, query cut,
 * empty segments dropped) the key may go out with. A second copy on purpose: a change to the module that
 * widens the list must change this too.
 */
function allowed(method: string, pathUnderApi: string): boolean {
  const segs = pathUnderApi.split('/').filter((s) => s !== '');
  const p = `/${segs.join('/')}`;
  if (method === 'POST') return ['/chat/completions', '/completions', '/responses', '/embeddings'].includes(p);
  if (method !== 'GET') return false;
  if (['/models', '/models/user', '/key', '/auth/key', '/generation'].includes(p)) return true;
  return (
    segs.length === 4 &&
    segs[0] === 'models' &&
    segs[3] === 'endpoints' &&
    segs.slice(1, 3).every((s) => /^[A-Za-z0-9._~:@+-]+$/.test(s) && s !== '.' && s !== '..')
  );
}

const SEGMENTS = [
  'keys',
  'key',
  'auth',
  'credits',
  'activity',
  'chat',
  'completions',
  'responses',
  'embeddings',
  'models',
  'user',
  'endpoints',
  'generation',
  'coinbase',
  'analytics',
  'providers',
  'meta-llama',
  'llama-3.3-70b-instruct:free',
  'Keys',
  'KEY',
  'ke%79',
  '%6Beys',
  'k%65y',
  'key;x',
  '',
  '.',
  '..',
  '%2e',
  '%2E%2e',
  '%2f',
  '%2F..',
  '%5c',
  '%00',
  '%',
  'a%2Fb',
  '~',
  '@',
  'x:y',
  'chat%2fcompletions',
  'api',
  'v1',
];
const METHODS = [
  'GET',
  'POST',
  'PUT',
  'PATCH',
  'DELETE',
  'HEAD',
  'OPTIONS',
  'TRACE',
  'PURGE',
  'SEARCH',
  'get',
  'Post',
  'PROPFIND',
];
const KNOWN = [
  'chat/completions',
  'completions',
  'responses',
  'embeddings',
  'models',
  'models/user',
  'models/meta-llama/llama-3.3-70b-instruct:free/endpoints',
  'key',
  'auth/key',
  'generation',
  'keys',
  'keys/abc',
  'auth/keys',
  'credits',
  'activity',
  'models/x/endpoints',
  'models/a/b/c/endpoints',
  'key/x',
];

const segment = fc.oneof(
  { weight: 5, arbitrary: fc.constantFrom(...SEGMENTS) },
  {
    weight: 1,
    arbitrary: fc.string({ unit: fc.constantFrom(...'abkeyscrdit.%-_:~;,=+!$&()*@2Ffe0'.split('')), maxLength: 8 }),
  },
);
const hostileTarget = fc
  .tuple(
    fc.constantFrom('/api/v1', '/api/v1/', '/api/v1//', '/api//v1', '/api/v1/./', '/api/v1/../api/v1'),
    fc.oneof(
      { weight: 3, arbitrary: fc.array(segment, { minLength: 0, maxLength: 5 }) },
      // Listed endpoints and their neighbours, so that a good share of the runs is forwarded.
      { weight: 2, arbitrary: fc.constantFrom(...KNOWN.map((k) => k.split('/'))) },
    ),
    fc.constantFrom('', '/', '//'),
    fc.constantFrom('', '?id=gen-1', '?x=/../keys', '?', '#', '#/../keys', '?a=1#b'),
  )
  .map(([base, segs, tail, suffix]) => `${base}${base.endsWith('/') ? '' : '/'}${segs.join('/')}${tail}${suffix}`);
/** Listed endpoints and their neighbours written plainly, so that a good share of the runs is forwarded. */
const plainTarget = fc
  .tuple(fc.constantFrom(...KNOWN), fc.constantFrom('', '/'), fc.constantFrom('', '?id=gen-1', '?x=/../keys'))
  .map(([p, tail, query]) => `/api/v1/${p}${tail}${query}`);
const target = fc.oneof({ weight: 1, arbitrary: hostileTarget }, { weight: 2, arbitrary: plainTarget });

describe('hostile input: what the local token opens (fast-check, real sockets)', function () {
  this.timeout(60_000);
  isolateProxyEnv();
  let h: Harness;
  before(async () => {
    h = await startHarness({ pacing: 'off', maxBodyBytes: 4096 });
    h.fake.credits = { total_credits: 10, total_usage: 1 };
  });
  after(() => h.close());

  it('never forwards a request outside the allow-list, whatever the method and target', async () => {
    let forwarded = 0;
    let refused = 0;
    await fc.assert(
      fc.asyncProperty(
        fc.oneof(
          { weight: 3, arbitrary: fc.constantFrom('GET', 'POST') },
          { weight: 2, arbitrary: fc.constantFrom(...METHODS) },
        ),
        target,
        fc.boolean(),
        async (method, t, withBody) => {
          const before = h.fake.requests.length;
          const body = withBody ? '{"model":"meta-llama/llama-3.3-70b-instruct:free","messages":[]}' : '';
          const head = `${method} ${t} HTTP/1.1\r\nHost: 127.0.0.1:${h.port}\r\nAuthorization: Bearer ${TOKEN}\r\nConnection: close\r\n`;
          const r = await raw(
            h.port,
            [`${head}Content-Type: application/json\r\nContent-Length: ${body.length}\r\n\r\n${body}`],
            { responses: 1 },
          );
          // The proxy answers only after the upstream answered: whatever reached the fake has arrived by now.
          // (The proxy's own model list was loaded before the run and is cached for hours: nothing else comes.)
          const seen = h.fake.requests.slice(before).filter((s) => s.authorization === `Bearer ${TEST_KEY}`);
          for (const s of seen) {
            assert.ok(
              allowed(s.method, s.path),
              `${method} ${t} reached OpenRouter as ${s.method} ${s.path} with the key`,
            );
            assert.ok(
              !s.path.split('/').some((x) => x === '.' || x === '..'),
              `a dot segment reached OpenRouter: ${s.path}`,
            );
          }
          const status = r.statuses[0];
          const pathname = t.split('?', 1)[0];
          const judged =
            !t.includes('#') &&
            (pathname === '/api/v1' || pathname.startsWith('/api/v1/')) &&
            allowed(method, pathname.slice('/api/v1'.length));
          if (!judged) {
            assert.equal(seen.length, 0, `${method} ${t} is not on the list but was forwarded`);
            // Node refuses a malformed request line itself (400, or just closes); the proxy's refusals are 403/404.
            assert.ok(status === undefined || [400, 403, 404].includes(status), `${method} ${t}: ${status}`);
            refused++;
          } else if (seen.length > 0) {
            forwarded++;
          }
          assert.ok(!r.text.includes(TEST_KEY), 'the key in an answer');
        },
      ),
      { numRuns: 400 },
    );
    console.log(`      (${refused} refused, ${forwarded} forwarded)`);
    assert.ok(refused > 100, `only ${refused} refused`);
    assert.ok(forwarded > 20, `only ${forwarded} forwarded: the generator hardly reaches the list`);
  });
});
