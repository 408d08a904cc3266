// What the user reads when a sign-in goes wrong: one sentence per refusal or failed exchange, never with
// the code, the verifier or a key in it (the adapter, src/vscode/signIn.ts, adds "Nothing was stored").
import { OpenRouterError } from '../errors';
import { type CallbackRefusal, SIGN_IN_TTL_MS } from './pending';

/** Why a callback was refused, as a sentence (the adapter adds "Nothing was stored"). */
export function describeRefusal(reason: CallbackRefusal): string {
  switch (reason) {
    case 'missing':
      return 'The sign-in link that came back has no state, so it cannot be matched to a sign-in started here.';
    case 'foreign':
      return 'The sign-in link that came back does not belong to a sign-in started in this window (another window, an earlier session, or a link from elsewhere).';
    case 'replayed':
      return 'That sign-in link was already used; a link works only once.';
    case 'expired':
      return `That sign-in link is more than ${Math.round(SIGN_IN_TTL_MS / 60_000)} minutes old.`;
    case 'cancelled':
      return 'That sign-in was cancelled.';
  }
}

/** A failed exchange, as a sentence without the code, the verifier or a key. */
export function describeExchangeError(e: unknown): string {
  if (!OpenRouterError.is(e)) return `The sign-in failed: ${e instanceof Error ? e.message : String(e)}`;
  const said = e.message ? `: ${e.message}` : '';
  switch (e.reason) {
    case 'forbidden':
      return `OpenRouter did not accept the sign-in code (403${said}). Codes work once and only with the sign-in that asked for them; sign in again.`;
    case 'auth':
      return `OpenRouter refused the sign-in (401${said}).`;
    case 'malformed':
      return `OpenRouter's answer to the sign-in could not be read (${e.message}).`;
    case 'network':
      return `Cannot reach OpenRouter to finish the sign-in: ${e.message}`;
    case 'timeout':
      return `OpenRouter did not answer in time to finish the sign-in (${e.message}).`;
    case 'aborted':
      return 'The sign-in was cancelled.';
    default:
      return e.status === 400
        ? `OpenRouter rejected the sign-in request (400${said}).`
        : `OpenRouter could not finish the sign-in (${e.status ?? e.reason}${said}).`;
  }
}
