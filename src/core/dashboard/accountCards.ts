// The dashboard's account cards (tier, the key's cap, the balance), the header, and the calls to action that
// stand in for the data when there is no key, no answer yet, or an error.
import type { CardView, DashboardView } from '../../shared/dashboardView';
import { usd } from '../../shared/money';
import { formatDuration } from '../../shared/time';
import { balanceOf, type DayQuota, type QuotaSnapshot } from '../quota';
import {
  asSentence,
  balanceUnavailableText,
  freeLimitsText,
  FUNDED_TEXT,
  keyCapText,
  MANAGEMENT_KEY_REMEDY,
  NEGATIVE_BALANCE_TEXT,
  UNLOCK_TEXT,
  UNLOCK_TITLE,
} from '../quotaText';

const CREDITS_SOURCE = 'Source: GET /credits (the whole account, every key).';

export function headerOf(s: QuotaSnapshot): DashboardView['header'] {
  return {
    title: 'OpenRouter free-model quota',
    updatedAt: s.fetchedAt,
    keyLabel: s.keyLabel ?? undefined,
    stale: s.stale && s.status !== 'no-key' ? `Out of date${s.error ? `: ${s.error.message}` : ''}` : undefined,
    refresh: s.status !== 'no-key',
  };
}

export function noKeyCard(): CardView {
  return {
    id: 'cta',
    title: 'Connect your OpenRouter account',
    wide: true,
    cta: true,
    lines: [
      {
        text: "Set an API key (kept in VS Code's SecretStorage) or sign in with OpenRouter to see today's free requests, this minute's window and your tier.",
      },
      { text: freeLimitsText(), tone: 'muted' },
    ],
    actions: [{ action: 'setApiKey', primary: true }, { action: 'signIn' }],
  };
}

export function loadingCard(): CardView {
  return { id: 'loading', wide: true, busy: true, lines: [{ text: 'Reading your quota from OpenRouter…' }] };
}

export function errorCard(s: QuotaSnapshot): CardView {
  const auth = s.error?.reason === 'auth';
  const retry = s.error?.retryAt && s.error.retryAt > s.at ? formatDuration(s.error.retryAt - s.at) : undefined;
  return {
    id: 'err',
    title: auth ? 'OpenRouter rejected the API key' : 'The quota could not be read',
    wide: true,
    cta: true,
    lines: [
      { text: s.error?.message ?? 'No data yet.' },
      ...(retry ? [{ text: `Next try in ${retry}.`, tone: 'muted' as const }] : []),
    ],
    actions: auth
      ? [{ action: 'setApiKey', primary: true }, { action: 'signIn' }]
      : [{ action: 'refresh', primary: true }, { action: 'showLog' }],
  };
}

export function tierCard(d: DayQuota): CardView {
  const funded = d.tier === 'funded';
  return {
    id: 'tier',
    title: 'Tier',
    figure: { text: `${d.limit ?? d.candidates.join(' or ')} a day` },
    lines: [{ text: d.tierReason }],
    note: funded ? FUNDED_TEXT : undefined,
    callout: funded
      ? undefined
      : {
          lines: [{ text: [{ strong: UNLOCK_TITLE }, UNLOCK_TEXT] }],
          actions: [{ action: 'addCredits', primary: true }],
        },
  };
}

export function keyCapCard(s: QuotaSnapshot): CardView {
  const c = s.keyCap;
  return {
    id: 'keycap',
    title: 'Key spending cap',
    figure: { text: !c ? 'No cap' : c.remaining === null ? usd(c.limit) : `${usd(c.remaining)} left` },
    lines: [{ text: asSentence(keyCapText(c)) }],
    note: 'Source: GET /key. This limits what this one key may spend; it is not the account balance.',
  };
}

export function balanceCard(s: QuotaSnapshot): CardView {
  const b = s.balance;
  const v = balanceOf(b);
  if (b?.kind === 'known' && v !== undefined) {
    return {
      id: 'balance',
      title: 'Account balance',
      figure: { text: usd(v), level: v < 0 ? 'limit' : undefined },
      lines: [
        v < 0
          ? { text: `Negative: ${NEGATIVE_BALANCE_TEXT}.`, tone: 'limit' }
          : { text: `${usd(b.credits.totalCredits)} bought, ${usd(b.credits.totalUsage)} used.` },
      ],
      actions: v < 0 ? [{ action: 'addCredits', primary: true }] : undefined,
      note: CREDITS_SOURCE,
    };
  }
  const why =
    !b || b.kind === 'known'
      ? 'Not read yet.'
      : `${asSentence(balanceUnavailableText(b))}${b.reason === 'needs-management-key' ? ` ${MANAGEMENT_KEY_REMEDY}` : ''}`;
  return {
    id: 'balance',
    title: 'Account balance',
    figure: { text: 'Unavailable', muted: true },
    lines: [{ text: why }],
    note: CREDITS_SOURCE,
  };
}
