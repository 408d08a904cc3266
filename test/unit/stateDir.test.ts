// The per-account state directory: private permissions, a clear error when it cannot be used, the host
// lock that a crashed holder does not leave behind, and the token kept with the state.
import * as assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { HOST_LOCK, HostLock } from '../../src/core/state/hostLock';
import {
  accountDir,
  accountFingerprint,
  defaultStateRoot,
  ensurePrivateDir,
  StateDirError,
} from '../../src/core/state/stateDir';
import { TOKEN_FILE, TokenFile } from '../../src/core/state/tokenFile';
import { TEST_KEY } from '../fixtures/fakeOpenRouter';

const mode = (p: string) => fs.statSync(p).mode & 0o777;
const posix = process.platform !== 'win32';

describe('state directory', () => {
  let root: string;
  beforeEach(() => {
    root = fs.mkdtempSync(path.join(os.tmpdir(), 'orq-state-'));
  });
  afterEach(() => fs.rmSync(root, { recursive: true, force: true }));

  it('lives under $OPENROUTER_QUOTA_HOME, else ~/.openrouter-quota, one directory per key fingerprint (never the key)', () => {
    assert.equal(defaultStateRoot({}, '/home/u'), path.resolve('/home/u/.openrouter-quota'));
    assert.equal(defaultStateRoot({ OPENROUTER_QUOTA_HOME: '/srv/q' }, '/home/u'), path.resolve('/srv/q'));
    const fp = accountFingerprint(TEST_KEY);
    assert.match(fp, /^[0-9a-f]{32}$/);
    assert.ok(!TEST_KEY.includes(fp) && !fp.includes(TEST_KEY.slice(9, 25)));
    assert.notEqual(fp, accountFingerprint(TEST_KEY + 'x'));
    assert.equal(accountDir(root, fp), path.join(root, 'accounts', fp));
  });

  it('is created private (0700), and an existing open one is narrowed', function () {
    if (!posix) this.skip();
    const dir = path.join(root, 'a', 'b');
    ensurePrivateDir(dir);
    assert.equal(mode(dir), 0o700);
    fs.chmodSync(dir, 0o755);
    ensurePrivateDir(dir);
    assert.equal(mode(dir), 0o700);
  });

  it('one that cannot be used is an error naming it and saying why', () => {
    const file = path.join(root, 'file');
    fs.writeFileSync(file, 'x');
    for (const [dir, why] of [
      [path.join(file, 'sub'), /a file is in the way of a directory/],
      [file, /a file is in the way of a directory/],
      ['/proc/nope/x', /does not exist and cannot be created|permission denied|a file is in the way/],
    ] as const) {
      assert.throws(
        () => ensurePrivateDir(dir),
        (e: Error) =>
          e instanceof StateDirError &&
          e.message.startsWith(`Cannot use ${dir} for OpenRouter Quota's state: `) &&
          why.test(e.message),
      );
    }
  });

  describe('host lock', () => {
    it('one holder at a time; released, it can be taken again; its file is private', () => {
      const a = HostLock.acquire(root, 18789);
      assert.ok(a.ok);
      if (posix) assert.equal(mode(path.join(root, HOST_LOCK)), 0o600);
      const b = HostLock.acquire(root, 18790);
      assert.ok(!b.ok);
      assert.deepEqual([b.owner.pid, b.owner.port], [process.pid, 18789]);
      assert.equal(HostLock.holder(root)?.port, 18789);
      a.lock.setPort(40000);
      assert.equal(HostLock.holder(root)?.port, 40000, 'the real port once it listens');
      a.lock.release();
      assert.equal(HostLock.holder(root), undefined);
      assert.ok(HostLock.acquire(root, 1).ok);
    });

    it('a holder that died (or a pid now used by a later process, or our own pid with another nonce) is stale and broken', () => {
      const dead = spawnSync(process.execPath, ['-e', '0']).pid!;
      const stale = [
        { pid: dead, port: 1, since: Date.now(), nonce: 'dead' },
        { pid: process.pid, port: 1, since: Date.now(), nonce: 'not-ours' },
        ...(process.platform === 'linux' ? [{ pid: 1, port: 1, since: 0, nonce: 'pid-reused' }] : []),
      ];
      for (const owner of stale) {
        fs.writeFileSync(path.join(root, HOST_LOCK), JSON.stringify(owner));
        const r = HostLock.acquire(root, 2);
        assert.ok(r.ok, `not broken: ${owner.nonce}`);
        r.lock.release();
      }
      assert.deepEqual(fs.readdirSync(root), [], 'no stale file left aside');
    });

    it('an unreadable lock file being written right now is respected, an old one is broken', () => {
      const file = path.join(root, HOST_LOCK);
      fs.writeFileSync(file, '');
      assert.equal(HostLock.acquire(root, 2).ok, false);
      const old = (fs.statSync(file).mtimeMs - 60_000) / 1000; // a minute older, on the file system's clock
      fs.utimesSync(file, old, old);
      assert.equal(HostLock.acquire(root, 2).ok, true);
    });

    it('a directory it cannot write is a StateDirError, not a crash', () => {
      assert.throws(() => HostLock.acquire(path.join(root, 'missing', 'dir'), 1), StateDirError);
    });
  });

  describe('token', () => {
    it('is made once (0600), shared by every reader, and a rotation is seen by the others', function () {
      const a = new TokenFile(root, 0);
      const t = a.get();
      assert.match(t, /^orq-[A-Za-z0-9_-]{43}$/);
      assert.equal(a.created, true);
      if (posix) assert.equal(mode(path.join(root, TOKEN_FILE)), 0o600);
      const b = new TokenFile(root, 0);
      assert.equal(b.get(), t);
      assert.equal(b.created, false);
      const t2 = b.rotate();
      assert.notEqual(t2, t);
      assert.equal(a.get(), t2);
    });

    it('a damaged token file is replaced; a token that is too short or an sk-or- key is refused', () => {
      fs.writeFileSync(path.join(root, TOKEN_FILE), 'x y\n');
      const t = new TokenFile(root, 0);
      assert.match(t.get(), /^orq-/);
      assert.throws(() => t.set('short'));
      assert.throws(() => t.set(TEST_KEY));
      assert.equal(t.set('my-own-token-0123456789'), 'my-own-token-0123456789');
    });
  });
});
