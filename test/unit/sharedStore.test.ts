// FileSharedStore on real files in a temporary folder (two instances on one folder stand for two windows),
// and MemorySharedStore's same contract.
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { FileSharedStore, MemorySharedStore, type SharedRecord, type SharedStore } from '../../src/core/sharedStore';
import { TEST_KEY } from '../fixtures/fakeOpenRouter';
import { MemoryLogger, observation } from './helpers';

const T0 = Date.UTC(2026, 9, 1, 12, 0, 0);
const record = (over: Partial<SharedRecord> = {}): SharedRecord => ({
  keyId: 'k1',
  obs: observation(T0),
  writtenBy: 'window-a',
  writtenAt: T0,
  ...over,
});

describe('FileSharedStore', () => {
  let dir: string;
  const disposables: { dispose(): void }[] = [];

  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'orq-store-'));
  });

  afterEach(() => {
    for (const d of disposables.splice(0)) d.dispose();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  const stateFile = () => path.join(dir, 'quota-state.json');

  it('creates its folder, and reads undefined before anything was written', () => {
    const nested = path.join(dir, 'a', 'b');
    const s = new FileSharedStore(nested);
    assert.ok(fs.statSync(nested).isDirectory());
    assert.equal(s.read(), undefined);
  });

  it('round-trips a record, also between two instances on the same folder', () => {
    const a = new FileSharedStore(dir);
    const b = new FileSharedStore(dir);
    const rec = record({ error: { reason: 'rate-limit', message: 'slow down', at: T0, retryAt: T0 + 60_000 } });
    a.write(rec);
    assert.deepEqual(a.read(), rec);
    assert.deepEqual(b.read(), rec);
    b.write(record({ writtenBy: 'window-b', writtenAt: T0 + 1 }));
    assert.equal(a.read()?.writtenBy, 'window-b');
  });

  it('never holds the key, only its id', () => {
    const s = new FileSharedStore(dir);
    s.write(record());
    assert.ok(!fs.readFileSync(stateFile(), 'utf8').includes(TEST_KEY));
  });

  it('treats a corrupt or foreign file as absent, and warns once (until a good write)', () => {
    const log = new MemoryLogger();
    const s = new FileSharedStore(dir, log);
    fs.writeFileSync(stateFile(), '{"keyId": "k1", "obs": {');
    assert.equal(s.read(), undefined);
    assert.equal(s.read(), undefined);
    assert.equal(log.at('warn').length, 1, log.lines.map((l) => l.message).join('\n'));
    assert.match(log.at('warn')[0], /ignoring unreadable shared quota state/);

    for (const bad of [
      'null',
      '[]',
      '{"writtenAt": 1}',
      '{"keyId": "k1"}',
      '{"keyId": "k1", "writtenAt": 1, "obs": {"fetchedAt": "x", "key": {}}}',
      '{"keyId": "k1", "writtenAt": 1, "obs": {"fetchedAt": 1, "key": null}}',
    ]) {
      fs.writeFileSync(stateFile(), bad);
      assert.equal(s.read(), undefined, bad);
    }
    assert.equal(log.at('warn').length, 1);

    s.write(record());
    assert.deepEqual(s.read(), record());
    fs.writeFileSync(stateFile(), 'garbage');
    assert.equal(s.read(), undefined);
    assert.equal(log.at('warn').length, 2, 'warns again after the file had been good');
  });

  it('writes atomically: a new file is renamed over the old one, and no temporary file is left', () => {
    const s = new FileSharedStore(dir);
    s.write(record());
    const before = fs.statSync(stateFile()).ino;
    const held = fs.readFileSync(stateFile(), 'utf8');
    s.write(record({ writtenAt: T0 + 1 }));
    assert.notEqual(fs.statSync(stateFile()).ino, before, 'the file was replaced, not rewritten in place');
    assert.deepEqual(JSON.parse(held), record(), 'a reader holding the old file still has a whole record');
    assert.deepEqual(fs.readdirSync(dir), ['quota-state.json']);
  });

  it('a failed write warns, keeps no temporary file, and does not throw', () => {
    const log = new MemoryLogger();
    const s = new FileSharedStore(dir, log);
    fs.mkdirSync(stateFile()); // a folder where the file should go: the rename fails
    assert.doesNotThrow(() => s.write(record()));
    assert.match(log.at('warn')[0] ?? '', /cannot write shared quota state/);
    assert.deepEqual(fs.readdirSync(dir), ['quota-state.json']);
  });

  describe('the poll lease', () => {
    it('is exclusive between two stores on the same folder, and its holder may renew it', () => {
      const a = new FileSharedStore(dir);
      const b = new FileSharedStore(dir);
      assert.equal(a.tryLease('window-a', T0, 45_000), true);
      assert.equal(b.tryLease('window-b', T0 + 1_000, 45_000), false);
      assert.equal(a.tryLease('window-a', T0 + 30_000, 45_000), true, 'renewed until T0 + 75 s');
      assert.equal(b.tryLease('window-b', T0 + 50_000, 45_000), false, 'the renewal counts');
    });

    it('can be taken once it has expired (its holder died)', () => {
      const a = new FileSharedStore(dir);
      const b = new FileSharedStore(dir);
      assert.equal(a.tryLease('window-a', T0, 45_000), true);
      assert.equal(b.tryLease('window-b', T0 + 44_999, 45_000), false);
      assert.equal(b.tryLease('window-b', T0 + 45_000, 45_000), true);
      assert.equal(a.tryLease('window-a', T0 + 46_000, 45_000), false);
    });

    it('is released only by its holder', () => {
      const a = new FileSharedStore(dir);
      const b = new FileSharedStore(dir);
      assert.equal(a.tryLease('window-a', T0, 45_000), true);
      b.releaseLease('window-b');
      assert.equal(b.tryLease('window-b', T0, 45_000), false);
      a.releaseLease('window-a');
      assert.equal(b.tryLease('window-b', T0, 45_000), true);
    });

    it('an unreadable lease file is broken and taken', () => {
      const a = new FileSharedStore(dir);
      fs.writeFileSync(path.join(dir, 'poll.lease'), 'not json');
      assert.equal(a.tryLease('window-a', T0, 45_000), true);
      assert.equal(new FileSharedStore(dir).tryLease('window-b', T0, 45_000), false);
    });
  });

  describe('watch', () => {
    it('fires when another store instance writes the record', async () => {
      const a = new FileSharedStore(dir);
      const b = new FileSharedStore(dir);
      const fired = new Promise<void>((resolve) => disposables.push(a.watch(resolve)));
      b.write(record({ writtenBy: 'window-b' }));
      await fired;
      assert.equal(a.read()?.writtenBy, 'window-b');
    });

    it('keeps firing for later writes', async () => {
      const a = new FileSharedStore(dir);
      const b = new FileSharedStore(dir);
      let wake: () => void = () => undefined;
      disposables.push(a.watch(() => wake()));
      for (let i = 1; i <= 3; i++) {
        const fired = new Promise<void>((resolve) => (wake = resolve));
        b.write(record({ writtenAt: T0 + i }));
        await fired;
        assert.equal(a.read()?.writtenAt, T0 + i);
      }
    });
  });
});

describe('MemorySharedStore', () => {
  it('follows the same contract: copies on read and write, exclusive lease, listeners', () => {
    const s: SharedStore = new MemorySharedStore();
    assert.equal(s.read(), undefined);
    const rec = record();
    let heard = 0;
    const w = s.watch(() => heard++);
    s.write(rec);
    rec.writtenBy = 'mutated';
    assert.equal(s.read()?.writtenBy, 'window-a', 'the store keeps its own copy');
    const got = s.read();
    if (got) got.writtenBy = 'mutated';
    assert.equal(s.read()?.writtenBy, 'window-a');
    assert.equal(heard, 1);
    w.dispose();
    s.write(rec);
    assert.equal(heard, 1);

    assert.equal(s.tryLease('a', T0, 45_000), true);
    assert.equal(s.tryLease('b', T0, 45_000), false);
    s.releaseLease('b');
    assert.equal(s.tryLease('b', T0 + 45_000, 45_000), true);
    s.releaseLease('b');
    assert.equal(s.tryLease('a', T0 + 45_000, 45_000), true);
  });
});
