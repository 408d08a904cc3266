// File-system helpers shared by everything that keeps state on disk (the ledger, the state directory, the
// token, the shared poll, notification claims): directories made one level at a time, private (0700 / 0600)
// because other users of the machine have no business reading quota state, and files replaced atomically,
// created exclusively, or appended to, durably.
import * as fs from 'node:fs';
import * as path from 'node:path';

/**
 * mkdir -p, one level at a time. Node's own `recursive: true` spins forever where a parent refuses
 * children with ENOENT (seen with /proc on Node 20: `openrouter-quota proxy --state-dir /proc/nope` hung at
 * 100% CPU); this makes each missing level once and lets such an error through.
 */
export function makeDirs(dir: string, mode = 0o700): void {
  const missing: string[] = [];
  for (let d = path.resolve(dir); ;) {
    try {
      if (!fs.statSync(d).isDirectory()) throw Object.assign(new Error(`${d} is not a directory`), { code: 'ENOTDIR' });
      break;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
    }
    missing.push(d);
    const parent = path.dirname(d);
    if (parent === d) break;
    d = parent;
  }
  for (const d of missing.reverse()) {
    try {
      fs.mkdirSync(d, { mode });
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
    }
  }
}

/**
 * tmp + fsync + rename (+ fsync of the directory): readers see the old file or the new one, never half.
 * Private (0600). Writers in several processes at once each need a `tmp` of their own: with the shared
 * default one could rename the other's half-written file into place.
 */
export function writeFileAtomic(file: string, text: string, tmp = `${file}.tmp`): void {
  try {
    const fd = fs.openSync(tmp, 'w', 0o600);
    try {
      writeAll(fd, text);
      fs.fsyncSync(fd);
    } finally {
      fs.closeSync(fd);
    }
    fs.renameSync(tmp, file);
  } catch (e) {
    fs.rmSync(tmp, { force: true });
    throw e;
  }
  fsyncDir(path.dirname(file));
}

/**
 * Creates `file` holding `text` unless it exists (O_CREAT|O_EXCL): however many processes try at once,
 * exactly one succeeds and the others get EEXIST, which makes it a lock or a claim. Private (0600).
 */
export function createExclusive(file: string, text: string): void {
  fs.writeFileSync(file, text, { flag: 'wx', mode: 0o600 });
}

/**
 * A file one process appends to. append() hands the text to the kernel with write(2) before it returns, so
 * it survives the process being killed; fdatasync (against losing power or the OS) runs off the event loop,
 * once per `syncEveryMs` for everything written meanwhile (group commit: a flush per write cost the proxy
 * ~10 % of its throughput, bench/RESULTS.md).
 */
export class AppendFile {
  private syncPending = false;

  private constructor(
    private fd: number | undefined,
    private readonly syncEveryMs: number,
    private readonly onSyncError: (e: Error) => void,
  ) {}

  /**
   * Opens `file` for appending (created private, 0600). When it is new, `header` is written and made durable
   * with the file's directory entry before this returns, so a file that exists always starts with its header.
   */
  static open(file: string, header: string, syncEveryMs: number, onSyncError: (e: Error) => void): AppendFile {
    const fd = fs.openSync(file, 'a', 0o600);
    try {
      if (fs.fstatSync(fd).size === 0) {
        writeAll(fd, header);
        fs.fdatasyncSync(fd);
        fsyncDir(path.dirname(file));
      }
    } catch (e) {
      fs.closeSync(fd);
      throw e;
    }
    return new AppendFile(fd, syncEveryMs, onSyncError);
  }

  /** Writes all of `text` at the end; returns the byte count. Throws when closed or on a write error. */
  append(text: string): number {
    if (this.fd === undefined) throw new Error('append after close');
    const bytes = writeAll(this.fd, text);
    this.scheduleSync();
    return bytes;
  }

  /** fdatasync, then close; never throws (the caller is giving the file up either way). */
  close(): void {
    if (this.fd === undefined) return;
    try {
      fs.fdatasyncSync(this.fd);
    } catch {
      // closing anyway
    }
    try {
      fs.closeSync(this.fd);
    } catch {
      // already unusable
    }
    this.fd = undefined;
  }

  private scheduleSync(): void {
    if (this.syncPending) return;
    this.syncPending = true;
    setTimeout(() => {
      this.syncPending = false;
      const fd = this.fd;
      if (fd === undefined) return;
      fs.fdatasync(fd, (e) => {
        // A failure after close() is about a descriptor nobody writes to any more.
        if (e && this.fd === fd) this.onSyncError(e);
      });
    }, this.syncEveryMs).unref();
  }
}

/** Writes all of `text` at the descriptor's position (in append mode: the end); returns the byte count. */
function writeAll(fd: number, text: string): number {
  const buf = Buffer.from(text, 'utf8');
  let off = 0;
  while (off < buf.length) off += fs.writeSync(fd, buf, off, buf.length - off);
  return buf.length;
}

/** Makes a rename or a new file durable (POSIX); Windows cannot open a directory and needs no such step. */
export function fsyncDir(dir: string): void {
  let fd: number | undefined;
  try {
    fd = fs.openSync(dir, 'r');
    fs.fsyncSync(fd);
  } catch {
    // best effort
  } finally {
    if (fd !== undefined) fs.closeSync(fd);
  }
}
