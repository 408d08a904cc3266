// Shares the last poll between VS Code windows through two small files in the extension's global storage
// folder (one folder per machine, seen by every window): the last observation or error, and a short lease
// that says which window is polling right now. With N windows open the account is polled about as often as
// with one, and every window shows the same numbers. Holds no key: only a hash that tells keys apart.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { createExclusive, makeDirs, writeFileAtomic } from './fsDurable';
import type { Logger } from './logger';
import type { Observation, SnapshotError } from './quota';

export interface SharedRecord {
  /** keyId() of the key the data belongs to. */
  keyId: string;
  obs?: Observation;
  error?: SnapshotError;
  writtenBy: string;
  writtenAt: number;
}

export interface SharedStore {
  read(): SharedRecord | undefined;
  write(rec: SharedRecord): void;
  /** Take the poll lease unless another owner holds an unexpired one. */
  tryLease(owner: string, now: number, ttlMs: number): boolean;
  releaseLease(owner: string): void;
  /** Called (debounced) when another window writes the record. */
  watch(listener: () => void): { dispose(): void };
}

const STATE_FILE = 'quota-state.json';
const LEASE_FILE = 'poll.lease';

export class FileSharedStore implements SharedStore {
  private readonly stateFile: string;
  private readonly leaseFile: string;
  private warnedCorrupt = false;

  constructor(
    readonly dir: string,
    private readonly log?: Logger,
  ) {
    makeDirs(dir);
    this.stateFile = path.join(dir, STATE_FILE);
    this.leaseFile = path.join(dir, LEASE_FILE);
  }

  read(): SharedRecord | undefined {
    let text: string;
    try {
      text = fs.readFileSync(this.stateFile, 'utf8');
    } catch {
      return undefined;
    }
    try {
      const rec = JSON.parse(text) as SharedRecord;
      if (typeof rec?.keyId !== 'string' || typeof rec.writtenAt !== 'number')
        throw new Error('missing keyId/writtenAt');
      if (rec.obs && (typeof rec.obs.fetchedAt !== 'number' || typeof rec.obs.key !== 'object' || rec.obs.key === null))
        throw new Error('bad observation');
      return rec;
    } catch (e) {
      // Only a cache: a corrupt file is ignored (and replaced by the next write), never fatal.
      if (!this.warnedCorrupt)
        this.log?.warn(`ignoring unreadable shared quota state ${this.stateFile}: ${(e as Error).message}`);
      this.warnedCorrupt = true;
      return undefined;
    }
  }

  write(rec: SharedRecord): void {
    try {
      writeFileAtomic(this.stateFile, JSON.stringify(rec), ownTmp(this.stateFile));
      this.warnedCorrupt = false;
    } catch (e) {
      this.log?.warn(`cannot write shared quota state: ${(e as Error).message}`);
    }
  }

  tryLease(owner: string, now: number, ttlMs: number): boolean {
    const body = JSON.stringify({ owner, expiresAt: now + ttlMs });
    for (let attempt = 0; attempt < 2; attempt++) {
      try {
        createExclusive(this.leaseFile, body);
        return true;
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code !== 'EEXIST') {
          this.log?.warn(`poll lease unavailable (${(e as Error).message}); polling without it`);
          return true;
        }
      }
      const held = this.readLease();
      if (held && held.owner === owner) {
        // Renewed by replacing it whole: written in place, a reader could find it empty for a moment and take
        // the lease as broken.
        writeFileAtomic(this.leaseFile, body, ownTmp(this.leaseFile));
        return true;
      }
      if (held && held.expiresAt > now) return false;
      // Expired or unreadable (a window that died while polling): break it and try once more. Two windows
      // breaking it at the same instant can both poll once; that costs one extra GET /key, nothing else.
      fs.rmSync(this.leaseFile, { force: true });
    }
    return false;
  }

  releaseLease(owner: string): void {
    if (this.readLease()?.owner === owner) fs.rmSync(this.leaseFile, { force: true });
  }

  watch(listener: () => void): { dispose(): void } {
    let timer: NodeJS.Timeout | undefined;
    let watcher: fs.FSWatcher | undefined;
    try {
      watcher = fs.watch(this.dir, (_event, name) => {
        if (name !== STATE_FILE) return;
        clearTimeout(timer);
        timer = setTimeout(listener, 50);
      });
      watcher.on('error', (e) => this.log?.warn(`shared state watcher stopped: ${e.message}`));
    } catch (e) {
      // Without a watcher each window still reads the file on its own timer.
      this.log?.warn(`cannot watch ${this.dir}: ${(e as Error).message}`);
    }
    return {
      dispose: () => {
        clearTimeout(timer);
        watcher?.close();
      },
    };
  }

  private readLease(): { owner: string; expiresAt: number } | undefined {
    try {
      const l = JSON.parse(fs.readFileSync(this.leaseFile, 'utf8')) as { owner?: unknown; expiresAt?: unknown };
      return typeof l.owner === 'string' && typeof l.expiresAt === 'number'
        ? { owner: l.owner, expiresAt: l.expiresAt }
        : undefined;
    } catch {
      return undefined;
    }
  }
}

/**
 * Every window may write at once: each renames a temporary file of its own, so none moves another's
 * half-written file into place.
 */
function ownTmp(file: string): string {
  return `${file}.${process.pid}.${Math.random().toString(36).slice(2)}.tmp`;
}

/** For a single process (CLI, tests): the same contract, in memory. */
export class MemorySharedStore implements SharedStore {
  private rec?: SharedRecord;
  private lease?: { owner: string; expiresAt: number };
  private readonly listeners = new Set<() => void>();

  read(): SharedRecord | undefined {
    return this.rec && structuredClone(this.rec);
  }
  write(rec: SharedRecord): void {
    this.rec = structuredClone(rec);
    for (const l of this.listeners) l();
  }
  tryLease(owner: string, now: number, ttlMs: number): boolean {
    if (this.lease && this.lease.owner !== owner && this.lease.expiresAt > now) return false;
    this.lease = { owner, expiresAt: now + ttlMs };
    return true;
  }
  releaseLease(owner: string): void {
    if (this.lease?.owner === owner) this.lease = undefined;
  }
  watch(listener: () => void): { dispose(): void } {
    this.listeners.add(listener);
    return { dispose: () => this.listeners.delete(listener) };
  }
}
