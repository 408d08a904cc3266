// The local token clients send to the proxy instead of the real key, kept with the account's state (0600)
// so that every process that hosts the proxy for this account accepts the same one: a client configured
// once keeps working when another window or the CLI takes over. Rotating it (any process) writes a new
// file; the hosting proxy re-reads the file when it changed, checked at most once a second.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { generateToken } from '../proxy/guard';
import { createExclusive, writeFileAtomic } from '../fsDurable';

export const TOKEN_FILE = 'token';
const RECHECK_MS = 1_000;
/** What a token may look like when a user sets it (OPENROUTER_QUOTA_TOKEN): printable, no spaces, 16-256 characters. */
const TOKEN_SHAPE = /^[\x21-\x7e]{16,256}$/;

export function validToken(t: string): boolean {
  return TOKEN_SHAPE.test(t) && !t.startsWith('sk-or-');
}

export class TokenFile {
  private readonly file: string;
  private value?: string;
  private stamp = '';
  private checkedAt = -Infinity;

  constructor(
    dir: string,
    /** How often get() looks whether another process rotated the token. */
    private readonly recheckMs = RECHECK_MS,
  ) {
    this.file = path.join(dir, TOKEN_FILE);
  }

  /** The token now: read from the file (created with a new token when there is none). Throws on I/O errors. */
  get(): string {
    const now = performance.now();
    if (this.value !== undefined && now - this.checkedAt < this.recheckMs) return this.value;
    this.checkedAt = now;
    const stamp = this.statStamp();
    if (this.value !== undefined && stamp === this.stamp) return this.value;
    let text: string | undefined;
    try {
      text = fs.readFileSync(this.file, 'utf8').trim();
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
    }
    if (!text || !validToken(text)) return this.set(generateToken(), 'wx');
    this.value = text;
    this.stamp = stamp;
    return text;
  }

  /** True when the file did not exist before this process created it (for "a new token was made" notes). */
  created = false;

  /** Replace the token (rotation, or a token the user chose). */
  set(token: string, flag: 'w' | 'wx' = 'w'): string {
    if (!validToken(token))
      throw new Error('A proxy token is 16 to 256 printable characters without spaces, and not an sk-or- key.');
    if (flag === 'wx') {
      try {
        createExclusive(this.file, `${token}\n`);
        this.created = true;
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
        // Another process created it first: theirs wins.
        this.value = undefined;
        this.checkedAt = -Infinity;
        const theirs = fs.readFileSync(this.file, 'utf8').trim();
        if (validToken(theirs)) return this.remember(theirs);
        writeFileAtomic(this.file, `${token}\n`);
      }
    } else {
      writeFileAtomic(this.file, `${token}\n`);
    }
    return this.remember(token);
  }

  /** A new random token: clients with the old one get 401 from the next check on. */
  rotate(): string {
    return this.set(generateToken());
  }

  private remember(token: string): string {
    this.value = token;
    this.stamp = this.statStamp();
    this.checkedAt = performance.now();
    return token;
  }

  private statStamp(): string {
    try {
      const st = fs.statSync(this.file);
      return `${st.ino}:${st.size}:${st.mtimeMs}`;
    } catch {
      return '';
    }
  }
}
