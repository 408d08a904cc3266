// One writer per state directory. Before a process opens an account's ledger to host the proxy it takes
// `host.lock`; a second would-be host (another CLI with another port, a window of another profile) finds it
// and reads the holder's proxy instead. The lock names its holder's pid: a holder that crashed leaves a
// file whose pid is gone (or, on Linux, now belongs to a process started after the lock), and the next
// host breaks it. Breaking is a rename to a name of our own followed by a check that we moved the stale
// file and not a fresh one that replaced it meanwhile.
import { randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { createExclusive, writeFileAtomic } from '../fsDurable';
import { StateDirError } from './stateDir';

export const HOST_LOCK = 'host.lock';

export interface LockOwner {
  pid: number;
  /** The port its proxy listens on (0 while it is still starting). */
  port: number;
  /** When it took the lock (ms since the epoch, system time: compared with process start times). */
  since: number;
  nonce: string;
}

/** Locks this process holds right now (a stale file naming our own pid with another nonce is not ours). */
const held = new Set<string>();

export type LockResult = { ok: true; lock: HostLock } | { ok: false; owner: LockOwner };

export class HostLock {
  private released = false;

  private constructor(
    private readonly file: string,
    readonly owner: LockOwner,
  ) {
    held.add(owner.nonce);
  }

  /** Take the lock of `dir` for a proxy on `port`, or say who holds it. Throws StateDirError when the directory is unusable. */
  static acquire(dir: string, port: number): LockResult {
    const file = path.join(dir, HOST_LOCK);
    for (let attempt = 0; attempt < 3; attempt++) {
      const owner: LockOwner = { pid: process.pid, port, since: Date.now(), nonce: randomBytes(9).toString('hex') };
      try {
        createExclusive(file, JSON.stringify(owner));
        return { ok: true, lock: new HostLock(file, owner) };
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw new StateDirError(dir, e);
      }
      const current = readOwner(file);
      if (current && isLive(current)) return { ok: false, owner: current };
      if (!current && freshFile(file)) {
        // Being written this instant by a host that just created it.
        return { ok: false, owner: { pid: 0, port: 0, since: 0, nonce: '' } };
      }
      breakStale(file, current);
    }
    throw new StateDirError(dir, new Error(`${HOST_LOCK} keeps changing under us`));
  }

  /** Who holds the lock of `dir` now, if anyone live. */
  static holder(dir: string): LockOwner | undefined {
    const o = readOwner(path.join(dir, HOST_LOCK));
    return o && isLive(o) ? o : undefined;
  }

  /** The port the proxy really listens on (known only after listening, when the option was 0). */
  setPort(port: number): void {
    if (this.released || port === this.owner.port) return;
    this.owner.port = port;
    // A tmp of our own: a would-be host breaking a stale lock at this moment must not rename our half file.
    if (readOwner(this.file)?.nonce === this.owner.nonce)
      writeFileAtomic(this.file, JSON.stringify(this.owner), `${this.file}.${this.owner.nonce}.tmp`);
  }

  release(): void {
    if (this.released) return;
    this.released = true;
    held.delete(this.owner.nonce);
    // Only our own file: never one a new host wrote after ours was (wrongly) broken.
    if (readOwner(this.file)?.nonce === this.owner.nonce) fs.rmSync(this.file, { force: true });
  }
}

function readOwner(file: string): LockOwner | undefined {
  try {
    const v = JSON.parse(fs.readFileSync(file, 'utf8')) as Partial<LockOwner>;
    if (
      typeof v.pid === 'number' &&
      typeof v.port === 'number' &&
      typeof v.since === 'number' &&
      typeof v.nonce === 'string'
    )
      return v as LockOwner;
  } catch {
    // missing, empty or not ours: no owner
  }
  return undefined;
}

/**
 * Written within the last seconds? Measured on the file system's own clock (a file touched now), never
 * against Date.now(): the two can differ (a container, a network mount, a test's clock).
 */
function freshFile(file: string): boolean {
  const probe = `${file}.now-${process.pid}`;
  try {
    const written = fs.statSync(file).mtimeMs;
    fs.writeFileSync(probe, '', { mode: 0o600 });
    return fs.statSync(probe).mtimeMs - written < 5_000;
  } catch {
    return false;
  } finally {
    fs.rmSync(probe, { force: true });
  }
}

function isLive(o: LockOwner): boolean {
  if (o.pid === process.pid) return held.has(o.nonce);
  try {
    process.kill(o.pid, 0);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'EPERM') return false; // ESRCH: no such process
  }
  const started = processStartedAt(o.pid);
  // A process that started after the lock was taken is not the one that took it (a pid reused after a crash or reboot).
  return started === undefined || started <= o.since + 1_000;
}

/** When a process started (Linux only, from /proc), in ms since the epoch. */
function processStartedAt(pid: number): number | undefined {
  if (process.platform !== 'linux') return undefined;
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    const ticks = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19]);
    const btime = Number(/^btime (\d+)$/m.exec(fs.readFileSync('/proc/stat', 'utf8'))?.[1]);
    // USER_HZ is 100 on every Linux that Node supports.
    return Number.isFinite(ticks) && Number.isFinite(btime) ? btime * 1000 + ticks * 10 : undefined;
  } catch {
    return undefined;
  }
}

function breakStale(file: string, seen: LockOwner | undefined): void {
  const aside = `${file}.stale-${randomBytes(6).toString('hex')}`;
  try {
    fs.renameSync(file, aside);
  } catch {
    return; // gone already: someone else broke it
  }
  const moved = readOwner(aside);
  if (seen && moved && moved.nonce !== seen.nonce && isLive(moved)) {
    // A live host replaced the stale file between our read and the rename: put its lock back.
    try {
      fs.linkSync(aside, file);
    } catch {
      // another host took the place meanwhile; the live one will see its lock is gone and keep its proxy
    }
  }
  fs.rmSync(aside, { force: true });
}
