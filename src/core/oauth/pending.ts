// The sign-ins this window started and is waiting for: each callback is matched to one of them at most
// once, in constant time, and refused with a reason otherwise.
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { createPkce, createState, type Pkce } from './pkce';

/** How long a sign-in waits for its callback; later callbacks are refused as expired. */
export const SIGN_IN_TTL_MS = 10 * 60_000;

export interface SignInAttempt {
  readonly state: string;
  readonly pkce: Pkce;
  readonly createdAt: number;
}

export type CallbackRefusal =
  | 'missing' // the callback carried no state at all
  | 'foreign' // a state this registry never issued (another window, an old VS Code session, a forged link)
  | 'replayed' // a state whose callback was already taken
  | 'expired' // issued more than SIGN_IN_TTL_MS ago
  | 'cancelled'; // the user cancelled that sign-in (or started another one)

export type CallbackMatch = { ok: true; attempt: SignInAttempt } | { ok: false; reason: CallbackRefusal };

type Status = 'pending' | 'used' | 'cancelled';

/**
 * The registry of sign-ins this window started. A callback is matched against every state it knows in
 * constant time (hash both, timingSafeEqual, no early exit), and taken at most once: a second callback with
 * the same state is "replayed", an unknown one "foreign", an old one "expired". Finished states are kept for
 * a while only to tell the user why a late callback was refused.
 */
export class PendingSignIn {
  private readonly entries: Array<{ attempt: SignInAttempt; digest: Buffer; status: Status }> = [];

  constructor(
    private readonly now: () => number = Date.now,
    private readonly ttlMs = SIGN_IN_TTL_MS,
    private readonly random: (size: number) => Uint8Array = randomBytes,
  ) {}

  /** Start a sign-in: a new state and PKCE pair. */
  begin(): SignInAttempt {
    this.purge();
    const attempt: SignInAttempt = {
      state: createState(this.random),
      pkce: createPkce(this.random),
      createdAt: this.now(),
    };
    this.entries.push({ attempt, digest: digest(attempt.state), status: 'pending' });
    return attempt;
  }

  /** Match a callback's state and consume it. Only an `ok` answer may lead to an exchange. */
  take(state: string | undefined): CallbackMatch {
    this.purge();
    if (!state) return { ok: false, reason: 'missing' };
    const want = digest(state);
    let found: (typeof this.entries)[number] | undefined;
    for (const e of this.entries) {
      // Compare with every entry, without stopping at the first match, so timing says nothing about which.
      const same = timingSafeEqual(e.digest, want);
      if (same && !found) found = e;
    }
    if (!found) return { ok: false, reason: 'foreign' };
    if (found.status === 'used') return { ok: false, reason: 'replayed' };
    if (found.status === 'cancelled') return { ok: false, reason: 'cancelled' };
    if (this.now() - found.attempt.createdAt > this.ttlMs) return { ok: false, reason: 'expired' };
    found.status = 'used';
    return { ok: true, attempt: found.attempt };
  }

  /** The user gave up (or started again): a callback for this state is refused as cancelled. */
  cancel(state: string): void {
    for (const e of this.entries) if (e.attempt.state === state && e.status === 'pending') e.status = 'cancelled';
  }

  /** Sign-ins still waiting for their callback (not taken, cancelled or expired). */
  get pending(): number {
    const now = this.now();
    return this.entries.filter((e) => e.status === 'pending' && now - e.attempt.createdAt <= this.ttlMs).length;
  }

  /** Forget states older than two TTLs (after that a late callback reads as foreign); keep at most 50. */
  private purge(): void {
    const now = this.now();
    for (let i = this.entries.length - 1; i >= 0; i--) {
      if (now - this.entries[i].attempt.createdAt > 2 * this.ttlMs) this.entries.splice(i, 1);
    }
    if (this.entries.length > 50) this.entries.splice(0, this.entries.length - 50);
  }
}

function digest(s: string): Buffer {
  return createHash('sha256').update(s, 'utf8').digest();
}
