// Where the proxy's state lives, one directory per account, shared by every process of this user on this
// machine (each VS Code window and profile, and the CLI), so that whichever process hosts the proxy, the
// counts go into one ledger:
//
//   <root>/                          ~/.openrouter-quota, or $OPENROUTER_QUOTA_HOME, or the CLI's --state-dir
//     accounts/<fingerprint>/        0700: one per key in use (a fingerprint, never the key)
//       ledger.log, ledger.json      the counted requests (proxy/ledger.ts); one writer: the lock's holder
//       host.lock                    who writes them now (hostLock.ts)
//       token                        the local token clients send to the proxy (tokenFile.ts), 0600
//       poll/                        the last poll of GET /key, shared by every process (sharedStore.ts)
//
// OpenRouter gives a key no account id it could be matched on, so "account" here means "key": two keys of
// one OpenRouter account are metered apart, and each sees the other's requests as traffic elsewhere.
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { makeDirs } from '../fsDurable';

export const STATE_HOME_ENV = 'OPENROUTER_QUOTA_HOME';

/** The state root: $OPENROUTER_QUOTA_HOME, else ~/.openrouter-quota. */
export function defaultStateRoot(env: NodeJS.ProcessEnv = process.env, home: string = os.homedir()): string {
  const set = env[STATE_HOME_ENV]?.trim();
  return path.resolve(set || path.join(home, '.openrouter-quota'));
}

/**
 * A non-reversible fingerprint of a key: who a proxy meters, compared between processes without the key.
 * A salted SHA-256 (a hash of the key alone would match other tools' key hashes, such as OpenRouter's own).
 */
export function accountFingerprint(key: string): string {
  return createHash('sha256').update('openrouter-quota account v1\0').update(key).digest('hex').slice(0, 32);
}

export function accountDir(root: string, fingerprint: string): string {
  return path.join(root, 'accounts', fingerprint);
}

/** The state directory cannot be created, read or written: says which and why, in words. */
export class StateDirError extends Error {
  constructor(
    readonly dir: string,
    cause: unknown,
  ) {
    const e = cause as NodeJS.ErrnoException;
    const why =
      e?.code === 'EACCES' || e?.code === 'EPERM'
        ? 'permission denied'
        : e?.code === 'EROFS'
          ? 'the file system is read-only'
          : e?.code === 'ENOTDIR' || e?.code === 'EEXIST'
            ? 'a file is in the way of a directory'
            : e?.code === 'ENOENT'
              ? 'a parent directory does not exist and cannot be created'
              : e?.code === 'ENOSPC'
                ? 'the disk is full'
                : (e?.message ?? String(cause));
    super(`Cannot use ${dir} for OpenRouter Quota's state: ${why}.`);
  }
}

/**
 * Creates `dir` (and its parents) readable by this user only (0700), and checks it can be written. An existing
 * directory is narrowed to 0700 (it holds which models were called, minute by minute, and the local token).
 * Throws a StateDirError.
 */
export function ensurePrivateDir(dir: string): void {
  try {
    makeDirs(dir, 0o700);
    if (!fs.statSync(dir).isDirectory()) throw Object.assign(new Error('not a directory'), { code: 'ENOTDIR' });
    if (process.platform !== 'win32') fs.chmodSync(dir, 0o700);
    fs.accessSync(dir, fs.constants.R_OK | fs.constants.W_OK | fs.constants.X_OK);
  } catch (e) {
    throw new StateDirError(dir, e);
  }
}
