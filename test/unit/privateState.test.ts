// State is private (issue 12, finding 9): the ledger says which models the user called, minute by minute, and
// the token opens the proxy. After a run of the real proxy host (ledger with a compaction, lock, token made
// and rotated, the shared poll with its lease renewed, notification claims), every file under the state root
// is 0600 and every directory 0700, with the process umask at the common 022 so that nothing passes by luck.
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { AlertClaims } from '../../src/core/alertClaims';
import { FileSharedStore } from '../../src/core/sharedStore';
import { HOST_LOCK } from '../../src/core/state/hostLock';
import { TOKEN_FILE } from '../../src/core/state/tokenFile';
import { MINUTE } from '../../src/shared/time';
import { FakeClock } from '../fixtures/fakeClock';
import { isolateProxyEnv } from './helpers';
import { call, chatBody, FREE, startHarness } from './proxyHarness';

/** Every file and directory under `root` (root included), with its permission bits. */
function walk(root: string): Array<{ path: string; dir: boolean; mode: number }> {
  const out: Array<{ path: string; dir: boolean; mode: number }> = [];
  const visit = (p: string) => {
    const st = fs.lstatSync(p);
    out.push({ path: path.relative(root, p) || '.', dir: st.isDirectory(), mode: st.mode & 0o777 });
    if (st.isDirectory()) for (const name of fs.readdirSync(p)) visit(path.join(p, name));
  };
  visit(root);
  return out;
}

describe('private state: files 0600, directories 0700', function () {
  isolateProxyEnv();
  let umask = 0;
  before(function () {
    // POSIX permissions only: Windows gives the user's profile its own ACLs.
    if (process.platform === 'win32') this.skip();
    umask = process.umask(0o022);
  });
  after(() => {
    if (process.platform !== 'win32') process.umask(umask);
  });

  it('after a run of the proxy host with ledger, lock, token, shared poll and claims', async () => {
    // A minute before midnight: the request after it starts a UTC day, and the ledger compacts.
    const clock = new FakeClock(Date.UTC(2026, 10, 29, 23, 59, 30));
    const h = await startHarness({ clock, pacing: 'off' });
    try {
      const now = clock.now();
      assert.equal((await call(h.port, '/api/v1/chat/completions', { body: chatBody(FREE) })).status, 200);
      // The token: made anew with createExclusive when there is none, then rotated (written atomically).
      fs.rmSync(path.join(h.dir, TOKEN_FILE));
      h.host.token();
      const token = h.host.rotateToken();
      // The shared poll where the extension and the CLI keep it, its lease taken and renewed.
      const store = new FileSharedStore(path.join(h.dir, 'poll'));
      store.write({ keyId: 'k', writtenBy: 'test', writtenAt: now });
      assert.ok(store.tryLease('me', now, 60_000));
      assert.ok(store.tryLease('me', now + 1_000, 60_000));
      // Claims (the extension keeps them in its global storage; here under the same root).
      const claims = new AlertClaims(path.join(h.root, 'claims', 'nested'));
      assert.ok(claims.claim('day-limit', now));
      claims.mute(now);
      await clock.advanceAsync(MINUTE);
      assert.equal((await call(h.port, '/api/v1/chat/completions', { body: chatBody(FREE), token })).status, 200);

      const entries = walk(h.root);
      const names = entries.map((e) => path.basename(e.path));
      for (const f of [
        'ledger.log',
        'ledger.json',
        HOST_LOCK,
        TOKEN_FILE,
        'quota-state.json',
        'poll.lease',
        'day-limit',
      ])
        assert.ok(names.includes(f), `${f} was written (${names.join(', ')})`);
      const wrong = entries
        .filter((e) => e.mode !== (e.dir ? 0o700 : 0o600))
        .map((e) => `${e.path} ${e.mode.toString(8)}`);
      assert.deepEqual(wrong, [], 'every file 0600, every directory 0700');
    } finally {
      await h.close();
    }
  });

  it('the poll lease is renewed by replacing it whole (a reader never finds it empty), without leftovers', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'orq-lease-'));
    try {
      const store = new FileSharedStore(dir);
      const lease = path.join(dir, 'poll.lease');
      assert.ok(store.tryLease('me', 1_000, 60_000));
      const first = fs.statSync(lease).ino;
      assert.ok(store.tryLease('me', 2_000, 60_000));
      assert.notEqual(fs.statSync(lease).ino, first, 'a new file renamed into place, not the old one truncated');
      assert.deepEqual(JSON.parse(fs.readFileSync(lease, 'utf8')), { owner: 'me', expiresAt: 62_000 });
      assert.deepEqual(fs.readdirSync(dir).sort(), ['poll.lease']);
      assert.equal(fs.statSync(lease).mode & 0o777, 0o600);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
