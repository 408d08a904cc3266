// The one-window rule for notifications: every VS Code window decides on its own (alerts.ts), then claims the
// alert in a directory that all windows share (the extension's global storage). A claim is a file created
// with O_CREAT|O_EXCL (createExclusive in fsDurable.ts): the file system lets exactly one process create it,
// so exactly one window shows the alert, however many decide to. The same directory holds "Mute for today"
// as one file per UTC day. Claims older than two days are removed.
import { randomUUID } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { createExclusive, makeDirs } from './fsDurable';
import type { AlertClaim } from './alerts';
import { type Logger, nullLogger } from './logger';
import { DAY, nextUtcMidnight, utcDate } from '../shared/time';

export const CLAIM_MAX_AGE_MS = 2 * DAY;
/** Claim (and mute) file names: no separators, no dot files, nothing a path could escape with. */
const NAME = /^[A-Za-z0-9][A-Za-z0-9._@-]{0,150}$/;
const MUTE_PREFIX = 'mute-';

export const muteFileName = (now: number): string => `${MUTE_PREFIX}${utcDate(now)}`;

export class AlertClaims {
  private warned = false;

  constructor(
    readonly dir: string,
    private readonly log: Logger = nullLogger,
    /** Written into each claim, for the curious reader of the directory. */
    private readonly owner: string = `${process.pid}-${randomUUID().slice(0, 8)}`,
  ) {
    makeDirs(dir);
  }

  /**
   * Create `<dir>/<name>`; true only for the one caller (in any process) that created it. When the directory
   * cannot be written at all, answers true (a notification in every window beats none) and logs it once.
   */
  claim(name: string, now: number): boolean {
    checkName(name);
    const file = path.join(this.dir, name);
    const body = JSON.stringify({ at: now, by: this.owner });
    for (let attempt = 0; attempt < 2; attempt++) {
      try {
        createExclusive(file, body);
        return true;
      } catch (e) {
        const code = (e as NodeJS.ErrnoException).code;
        if (code === 'EEXIST') return false;
        if (code === 'ENOENT' && attempt === 0) {
          // The directory went away (storage cleared): make it again and retry once.
          makeDirs(this.dir);
          continue;
        }
        if (!this.warned)
          this.log.warn(
            `cannot record notification claims in ${this.dir} (${(e as Error).message}); this window shows its notifications without checking the others`,
          );
        this.warned = true;
        return true;
      }
    }
    return true;
  }

  isClaimed(name: string): boolean {
    checkName(name);
    return fs.existsSync(path.join(this.dir, name));
  }

  /**
   * Claim what alerts.ts asked for. A claim with `everyMs` is one of a group that may be claimed at most
   * once per `everyMs`, across windows: the period's bucket file `<key>@<n>` is created with 'wx', unless the
   * previous bucket's claim is younger than `everyMs`. (Two windows on either side of a bucket boundary at
   * the same millisecond could both win; that needs a 429 in two windows at once, at a boundary.)
   */
  tryClaim(c: AlertClaim, now: number): boolean {
    if (c.supersededBy?.some((k) => this.isClaimed(k))) return false;
    if (!c.everyMs) return this.claim(c.key, now);
    const bucket = Math.floor(now / c.everyMs);
    const prev = this.claimTime(`${c.key}@${bucket - 1}`);
    if (prev !== undefined && now - prev < c.everyMs && now >= prev) return false;
    return this.claim(`${c.key}@${bucket}`, now);
  }

  /** Mute every window until the next 00:00 UTC (the key-rejected alert still shows). */
  mute(now: number): void {
    try {
      makeDirs(this.dir);
      createExclusive(path.join(this.dir, muteFileName(now)), JSON.stringify({ at: now, by: this.owner }));
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
    }
  }

  /** The end of today's mute (next 00:00 UTC), or undefined when not muted. */
  mutedUntil(now: number): number | undefined {
    return fs.existsSync(path.join(this.dir, muteFileName(now))) ? nextUtcMidnight(now) : undefined;
  }

  /** Remove claims and mutes older than CLAIM_MAX_AGE_MS; returns how many. Other files are left alone. */
  cleanup(now: number, maxAgeMs = CLAIM_MAX_AGE_MS): number {
    let names: string[];
    try {
      names = fs.readdirSync(this.dir);
    } catch {
      return 0;
    }
    let removed = 0;
    for (const name of names) {
      if (!NAME.test(name)) continue;
      const at = this.claimTime(name);
      if (at === undefined || now - at <= maxAgeMs) continue;
      try {
        fs.rmSync(path.join(this.dir, name), { force: true });
        removed++;
      } catch (e) {
        this.log.debug(`cannot remove old notification claim ${name}: ${(e as Error).message}`);
      }
    }
    return removed;
  }

  /**
   * When a claim was made: the `at` written in it, else the file's modification time. undefined when there
   * is no such file.
   */
  private claimTime(name: string): number | undefined {
    const file = path.join(this.dir, name);
    let st: fs.Stats;
    try {
      st = fs.statSync(file);
      if (!st.isFile()) return undefined;
    } catch {
      return undefined;
    }
    try {
      const at = (JSON.parse(fs.readFileSync(file, 'utf8')) as { at?: unknown }).at;
      if (typeof at === 'number' && Number.isFinite(at)) return at;
    } catch {
      // Empty (a claim being written this instant, or one cut short by a crash) or not ours: use its mtime.
    }
    return st.mtimeMs;
  }
}

function checkName(name: string): void {
  if (!NAME.test(name)) throw new Error(`invalid claim name: ${JSON.stringify(name)}`);
}
