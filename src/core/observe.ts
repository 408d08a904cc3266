// One poll: GET /key and, where the key is allowed, GET /credits, in parallel, into an Observation.
// A 403 on /credits is the normal answer for an ordinary key ("needs a management key"): remembered for an
// hour so that every poll does not repeat a call that cannot succeed.
import { ForbiddenError, describeError } from './errors';
import type { Logger } from './logger';
import type { OpenRouterClient } from './openRouterClient';
import type { BalanceReading, Observation } from './quota';
import { HOUR } from '../shared/time';

export type QuotaSource = Pick<OpenRouterClient, 'getKey' | 'getCredits'>;

export async function fetchObservation(
  client: QuotaSource,
  previous: Observation | undefined,
  now: () => number,
  signal?: AbortSignal,
  log?: Logger,
): Promise<Observation> {
  // The count OpenRouter answers is from some moment between asking and hearing back (or up to its cache age
  // before): the account model needs both ends to tell outside traffic from the proxy's own.
  const startedAt = now();
  const skipCredits =
    previous?.balance.kind === 'unavailable' &&
    previous.balance.reason === 'needs-management-key' &&
    now() - (previous.creditsCheckedAt ?? 0) < HOUR;
  const [key, credits] = await Promise.all([
    client.getKey(signal),
    skipCredits
      ? Promise.resolve(undefined)
      : client.getCredits(signal).then(
          (c): BalanceReading => ({ kind: 'known', credits: c }),
          (e: unknown): BalanceReading => {
            if (ForbiddenError.is(e)) return { kind: 'unavailable', reason: 'needs-management-key' };
            log?.warn(`GET /credits failed: ${describeError(e)}`);
            return { kind: 'unavailable', reason: 'error', message: describeError(e) };
          },
        ),
  ]);
  const fetchedAt = now();
  const prevUsed = previous?.key.freeDaily?.used;
  return {
    fetchedAt,
    startedAt,
    key,
    balance: credits ?? previous!.balance,
    creditsCheckedAt: credits ? fetchedAt : previous?.creditsCheckedAt,
    previous:
      prevUsed !== undefined && previous
        ? { used: prevUsed, at: previous.fetchedAt, startedAt: previous.startedAt }
        : undefined,
    learnedPerMinute: previous?.learnedPerMinute,
  };
}
