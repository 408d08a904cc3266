// The durable-file helpers on real files in a temporary folder: what each promises a reader or a second
// writer (whole files, one winner, private modes), not how it gets there.
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { AppendFile, createExclusive, makeDirs, writeFileAtomic } from '../../src/core/fsDurable';

// Windows has no POSIX modes to check.
const posix = process.platform !== 'win32';
const mode = (p: string) => fs.statSync(p).mode & 0o777;

describe('fsDurable', () => {
  let dir: string;

  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'orq-fs-'));
  });

  afterEach(() => {
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('makeDirs makes every missing level private, and accepts one that exists', () => {
    const deep = path.join(dir, 'a', 'b', 'c');
    makeDirs(deep);
    makeDirs(deep);
    assert.ok(fs.statSync(deep).isDirectory());
    if (posix) assert.equal(mode(path.join(dir, 'a')), 0o700);
  });

  it('makeDirs refuses a path through a file', () => {
    fs.writeFileSync(path.join(dir, 'f'), '');
    assert.throws(() => makeDirs(path.join(dir, 'f', 'sub')), { code: 'ENOTDIR' });
  });

  it('writeFileAtomic replaces the file whole, private, and leaves no temporary file (its own tmp name too)', () => {
    const file = path.join(dir, 'state.json');
    writeFileAtomic(file, 'one');
    const before = fs.statSync(file).ino;
    writeFileAtomic(file, 'two ünïcødé', `${file}.mine.tmp`);
    assert.equal(fs.readFileSync(file, 'utf8'), 'two ünïcødé');
    assert.notEqual(fs.statSync(file).ino, before, 'renamed over, not rewritten in place');
    assert.deepEqual(fs.readdirSync(dir), ['state.json']);
    if (posix) assert.equal(mode(file), 0o600);
  });

  it('writeFileAtomic that cannot rename throws and leaves no temporary file', () => {
    const file = path.join(dir, 'state.json');
    fs.mkdirSync(file);
    assert.throws(() => writeFileAtomic(file, 'x'));
    assert.deepEqual(fs.readdirSync(dir), ['state.json']);
  });

  it('createExclusive lets one caller create the file; the next gets EEXIST and the content stays', () => {
    const file = path.join(dir, 'claim');
    createExclusive(file, 'first');
    assert.throws(() => createExclusive(file, 'second'), { code: 'EEXIST' });
    assert.equal(fs.readFileSync(file, 'utf8'), 'first');
    if (posix) assert.equal(mode(file), 0o600);
  });

  it('AppendFile writes the header once, appends at the end, and refuses to append after close', () => {
    const file = path.join(dir, 'log');
    const errors: Error[] = [];
    const a = AppendFile.open(file, '# header\n', 10, (e) => errors.push(e));
    assert.equal(a.append('1\n'), 2);
    assert.equal(a.append('ü\n'), 3, 'the byte count, not the character count');
    a.close();
    a.close();
    assert.throws(() => a.append('lost\n'));
    const b = AppendFile.open(file, '# header\n', 10, (e) => errors.push(e));
    b.append('2\n');
    b.close();
    assert.equal(fs.readFileSync(file, 'utf8'), '# header\n1\nü\n2\n');
    assert.deepEqual(errors, []);
    if (posix) assert.equal(mode(file), 0o600);
  });
});
