// PKCE for "Sign in with OpenRouter" (RFC 7636, S256 only) and the state that ties a callback to its
// sign-in. What OpenRouter documents and what we assume: docs/oauth.md.
import { createHash, randomBytes } from 'node:crypto';

export interface Pkce {
  /** The secret: 43-128 characters of [A-Za-z0-9-_] (RFC 7636 §4.1). Sent only in the exchange body. */
  verifier: string;
  /** base64url(sha256(verifier)), without padding (RFC 7636 §4.2). Goes into the auth URL. */
  challenge: string;
  method: 'S256';
}

/** RFC 4648 §5 base64url without padding. */
export function base64url(bytes: Uint8Array): string {
  return Buffer.from(bytes).toString('base64url');
}

/** The S256 code challenge of a verifier: base64url(sha256(ASCII(verifier))). */
export function challengeFor(verifier: string): string {
  return base64url(createHash('sha256').update(verifier, 'ascii').digest());
}

/**
 * A fresh PKCE pair. `random` is injectable for the RFC 7636 appendix B test vector; by default 32 bytes
 * from crypto.randomBytes (256 bits, a 43-character verifier, as the RFC recommends).
 */
export function createPkce(random: (size: number) => Uint8Array = randomBytes, size = 32): Pkce {
  const verifier = base64url(random(size));
  if (!/^[A-Za-z0-9\-._~]{43,128}$/.test(verifier))
    throw new RangeError(`a PKCE verifier must be 43-128 characters (got ${verifier.length})`);
  return { verifier, challenge: challengeFor(verifier), method: 'S256' };
}

/** An unguessable state for one sign-in (256 bits, base64url: safe in any URL without escaping). */
export function createState(random: (size: number) => Uint8Array = randomBytes): string {
  return base64url(random(32));
}
