// What a chat model tells the user when a request fails: what happened, when it resets, and what to do,
// one sentence per kind of failure (the provider turns them into vscode.LanguageModelErrors).
import { OpenRouterError } from '../errors';
import { UNLOCK_SENTENCE } from '../quotaText';
import type { QuotaSnapshot } from '../quota';
import { formatDuration, nextUtcMidnight } from '../../shared/time';

/** What a caller of the chat model can do about a failure (the provider maps it to a LanguageModelError code). */
export type ChatFailure = 'no-permission' | 'blocked' | 'not-found' | 'other';

export function chatFailureOf(e: unknown): ChatFailure {
  if (!OpenRouterError.is(e)) return 'other';
  if (e.reason === 'auth') return 'no-permission';
  if (e.reason === 'payment' || (e.reason === 'rate-limit' && (e as { kind?: string }).kind === 'per-day'))
    return 'blocked';
  if (e.reason === 'not-found') return 'not-found';
  return 'other';
}

/** "Free-model limit reached: 50/50 today; resets at 00:00 UTC, in 3 h 12 min. Buying 10 credits (once) raises it to 1000 a day." */
export function chatErrorText(e: unknown, model: string, s: QuotaSnapshot | undefined, now: number): string {
  if (!OpenRouterError.is(e)) return `The request to ${model} failed: ${e instanceof Error ? e.message : String(e)}`;
  switch (e.reason) {
    case 'rate-limit': {
      const r = e as OpenRouterError & { kind: string; resetsAt?: number; limit?: number };
      if (r.kind === 'per-day') {
        const d = s?.day;
        const limit = d?.limit ?? r.limit;
        const used =
          d?.used !== null && d?.used !== undefined && limit !== undefined && limit !== null
            ? Math.max(d.used, limit)
            : undefined;
        const reset = r.resetsAt && r.resetsAt > now ? r.resetsAt : nextUtcMidnight(now);
        const figure = used !== undefined ? `: ${used}/${limit} today` : '';
        const unlock = d?.tier === 'funded' ? '' : ` ${UNLOCK_SENTENCE}`;
        return `Free-model limit reached${figure}; resets at 00:00 UTC, in ${formatDuration(reset - now)}.${unlock}`;
      }
      if (r.kind === 'per-minute') {
        const limit = s?.minute?.limit ?? r.limit;
        const wait = r.resetsAt && r.resetsAt > now ? `; the window resets in ${formatDuration(r.resetsAt - now)}` : '';
        return `Free-model limit for this minute reached${limit ? ` (${limit} a minute)` : ''}${wait}. Try again then, or use a paid model.`;
      }
      if (r.kind === 'upstream') {
        return `The provider behind ${model} is rate-limited right now (its own limit, not your quota): try another free model, or openrouter/free. Failed attempts still count toward today's free requests.`;
      }
      return `OpenRouter answered 429 (rate limited) for ${model}: ${e.message}`;
    }
    case 'auth':
      return 'OpenRouter did not accept the API key (401): set a new one with "OpenRouter: Set API Key" or "OpenRouter: Sign In".';
    case 'payment':
      return 'OpenRouter refused the request (402): the account balance is negative, and then even free models are refused. Add credits at openrouter.ai/settings/credits.';
    case 'not-found':
      return `OpenRouter does not serve ${model} (404): it may have ended (free variants do). Pick another model.`;
    case 'network':
      return `Cannot reach OpenRouter: ${e.message}`;
    case 'timeout':
      return `OpenRouter did not answer in time: ${e.message}`;
    case 'aborted':
      return 'Cancelled.';
    default:
      return `OpenRouter answered with an error${e.status ? ` (${e.status})` : ''} for ${model}: ${e.message}`;
  }
}
