// The dashboard's banner: the most urgent thing to know now, with concrete remedies and the actions that carry
// them out. Pure: the same input gives the same banner, so the unit tests pin every level and remedy.
import type { UserAction } from '../../shared/actions';
import type { BannerView } from '../../shared/dashboardView';
import { usd } from '../../shared/money';
import { type Text, textKey, utcAndLocal } from '../../shared/text';
import { DAY, formatClock, formatDuration, MINUTE } from '../../shared/time';
import { balanceOf, FUNDED_CREDITS_THRESHOLD, type QuotaSnapshot } from '../quota';
import {
  ADD_CREDITS_REMEDY,
  MANAGEMENT_KEY_REMEDY,
  minuteIsSplit,
  minuteSplitText,
  NEGATIVE_BALANCE_TEXT,
} from '../quotaText';
import type { DashboardHistory, DashboardInput } from './input';

/** Upstream-provider 429s this recent are worth a banner. */
const UPSTREAM_WINDOW = 15 * MINUTE;
/** At most this many remedies: a banner is not a manual. */
const MAX_REMEDIES = 5;

export const UPSTREAM_REMEDY =
  'Try another free model, or "openrouter/free" (it picks an available one): these 429s come from the model\'s provider, not from your quota, but failed attempts still count toward today\'s free requests.';

const LEVEL_WORD: Record<BannerView['level'], string> = {
  warning: 'Warning',
  critical: 'Critical',
  limit: 'Limit reached',
};

type BannerLevel = BannerView['level'];
const RANK: Record<BannerLevel, number> = { warning: 1, critical: 2, limit: 3 };

interface Cause {
  level: BannerLevel;
  title: string;
  remedies: Text[];
  actions?: UserAction[];
}

/** The free model used most today (from the proxy), to make "drop :free" concrete. */
function topFreeModel(history: DashboardHistory | undefined): string | undefined {
  const models = Object.entries(history?.models ?? {}).filter(([m]) => m.endsWith(':free'));
  models.sort((a, b) => b[1] - a[1]);
  return models[0]?.[0];
}

function paidVariantRemedy(history: DashboardHistory | undefined): string {
  const m = topFreeModel(history);
  const example = m ? ` (${m} → ${m.slice(0, -':free'.length)})` : '';
  return `Switch to a paid variant: drop ":free" from the model id${example}. Paid requests cost credits but do not count toward the free limits.`;
}

function creditsRemedy(s: QuotaSnapshot): string | undefined {
  const tier = s.day?.tier;
  if (tier === 'base') return ADD_CREDITS_REMEDY;
  if (tier === 'unknown')
    return `If this account has bought fewer than ${FUNDED_CREDITS_THRESHOLD} credits: ${ADD_CREDITS_REMEDY.charAt(0).toLowerCase()}${ADD_CREDITS_REMEDY.slice(1)}`;
  return undefined;
}

function dailyCauses(input: DashboardInput): Cause[] {
  const { snapshot: s, now, history } = input;
  const d = s.day;
  if (!d) return [];
  const dayStart = d.resetsAt - DAY;
  // A per-day 429 today is OpenRouter's own word that the quota is spent, whatever the counter says yet.
  const refused = input.events.find((e) => e.kind === 'per-day' && e.at >= dayStart && e.at <= now);
  const level = d.level === 'none' ? undefined : d.level;
  if (!level && !refused) return [];
  const resetAt = refused?.resetsAt && refused.resetsAt > now ? refused.resetsAt : d.resetsAt;
  const wait: Text = ['Wait for the daily reset at ', ...utcAndLocal(resetAt, now), '.'];
  const paid = paidVariantRemedy(history);
  const credits = creditsRemedy(s);
  const actions: UserAction[] = credits ? ['addCredits'] : [];
  const fig = d.used !== null && d.limit !== null ? `${d.used} of ${d.limit}` : undefined;
  if (level === 'limit' || refused) {
    const title = fig
      ? `Daily free limit reached: ${fig} free requests used today${d.used! > d.limit! ? ' (failed attempts count too)' : ''}`
      : 'Daily free limit reached: OpenRouter refused a free request with a per-day 429';
    return [{ level: 'limit', title, remedies: [wait, paid, ...(credits ? [credits] : [])], actions }];
  }
  const left = `${d.remaining} left`;
  const resetsText: Text = ['The count resets at ', ...utcAndLocal(d.resetsAt, now), '.'];
  if (level === 'critical') {
    return [
      {
        level,
        title: `Almost out of free requests today: ${fig} used, ${left}`,
        remedies: [...(credits ? [credits] : []), paid, resetsText],
        actions,
      },
    ];
  }
  return [
    {
      level: 'warning',
      title: `${fig} free requests used today (${left})`,
      remedies: [...(credits ? [credits] : []), resetsText, paid],
      actions,
    },
  ];
}

function minuteCauses(input: DashboardInput): Cause[] {
  const { snapshot: s, now, proxy, history } = input;
  const m = s.minute;
  if (!m) return [];
  // A per-minute 429 whose window is still open is the same as a full window.
  const refused = input.events.find(
    (e) => e.kind === 'per-minute' && e.at <= now && (e.resetsAt ?? e.at + MINUTE) > now,
  );
  const level = m.level === 'none' ? undefined : m.level;
  if (!level && !refused) return [];
  const resetAt = Math.max(m.resetsAt, refused?.resetsAt ?? 0);
  const waitFor = `Wait ${formatDuration(resetAt - now)} for the next minute window (at ${formatClock(resetAt, 'UTC')}:${String(new Date(resetAt).getUTCSeconds()).padStart(2, '0')} UTC).`;
  const waiting = s.proxy?.waiting ?? 0;
  const pacing = !proxy
    ? 'Send your tools through the local proxy (OpenRouter: Copy Proxy Settings): it holds a request until the window has room instead of letting it fail.'
    : proxy.pacing === 'queue'
      ? waiting > 0
        ? `The proxy is holding ${waiting} request${waiting === 1 ? '' : 's'} and sends ${waiting === 1 ? 'it' : 'them'} when the window opens.`
        : undefined
      : `The proxy's pacing is "${proxy.pacing}": set openrouterQuota.proxy.pacing to "queue" to hold requests until the window has room instead of failing them.`;
  const bypassed = minuteIsSplit(m) && (m.outside ?? 0) > 0;
  const actions: UserAction[] =
    !proxy || bypassed ? ['copyProxySettings'] : proxy.pacing !== 'queue' ? ['openSettings'] : [];
  const about = m.known === 'estimate' ? 'about ' : '';
  const route = bypassed
    ? [
        `${minuteSplitText(m)}: the proxy cannot hold requests that bypass it. Route that tool through the proxy (OpenRouter: Copy Proxy Settings).`,
      ]
    : [];
  if (level === 'limit' || refused || !level) {
    const title =
      m.level === 'limit'
        ? `This minute's window is full: ${about}${m.used} of ${m.limit} free requests`
        : `OpenRouter refused a free request: per-minute limit (${m.limit} a minute)`;
    return [
      {
        level: 'limit',
        title,
        remedies: [waitFor, ...route, ...(pacing ? [pacing] : []), paidVariantRemedy(history)],
        actions,
      },
    ];
  }
  return [
    {
      level,
      title: `This minute: ${about}${m.used} of ${m.limit} free requests`,
      remedies: [...route, ...(pacing ? [pacing] : []), waitFor],
      actions,
    },
  ];
}

function accountCauses(input: DashboardInput): Cause[] {
  const s = input.snapshot;
  const out: Cause[] = [];
  if (s.error?.reason === 'auth') {
    out.push({
      level: 'critical',
      title: 'OpenRouter rejected the API key (401): the quota cannot be read',
      remedies: ['Set a new key: OpenRouter: Set API Key, or Sign In with OpenRouter.'],
      actions: ['setApiKey', 'signIn'],
    });
  }
  const balance = balanceOf(s.balance);
  if (balance !== undefined && balance < 0) {
    out.push({
      level: 'critical',
      title: `The account balance is negative (${usd(balance)}): ${NEGATIVE_BALANCE_TEXT}`,
      remedies: [`Add credits: at least ${usd(-balance)} to bring the balance back above $0.`],
      actions: ['addCredits'],
    });
  } else if (s.error?.reason === 'payment') {
    out.push({
      level: 'critical',
      title: 'OpenRouter answered 402 (payment required): the account balance may be negative',
      remedies: [
        'Add credits to bring the balance above $0; until then OpenRouter refuses even free models.',
        ...(s.balance?.kind === 'known' ? [] : [MANAGEMENT_KEY_REMEDY]),
      ],
      actions: ['addCredits'],
    });
  }
  return out;
}

function upstreamCauses(input: DashboardInput): Cause[] {
  const recent = input.events.filter(
    (e) => e.kind === 'upstream' && e.at <= input.now && input.now - e.at <= UPSTREAM_WINDOW,
  );
  if (recent.length === 0) return [];
  const models = [...new Set(recent.map((e) => e.model).filter((m): m is string => !!m))];
  const who = models.length > 0 ? models.join(', ') : 'a free model';
  const times = recent.length === 1 ? 'a 429' : `${recent.length} 429s`;
  return [
    {
      level: 'warning',
      title: `The provider behind ${who} answered ${times} in the last ${formatDuration(UPSTREAM_WINDOW)} (its own limit, not your quota)`,
      remedies: [UPSTREAM_REMEDY],
    },
  ];
}

/**
 * The banner: the most urgent cause gives the level and title (limit > critical > warning; ties: the
 * account, then today, then this minute, then upstream providers); the remedies of every cause follow in
 * that order, without repeats. Undefined when nothing needs attention (or there is no data to judge).
 */
export function bannerOf(input: DashboardInput): BannerView | undefined {
  const s = input.snapshot;
  if (s.status === 'no-key' || s.status === 'loading') return undefined;
  const causes = [...accountCauses(input), ...dailyCauses(input), ...minuteCauses(input), ...upstreamCauses(input)];
  if (causes.length === 0) return undefined;
  // Array.prototype.sort is stable, so equal levels keep the order above.
  const sorted = [...causes].sort((a, b) => RANK[b.level] - RANK[a.level]);
  const seen = new Set<string>();
  const remedies = sorted
    .flatMap((c) => c.remedies)
    .filter((r) => !seen.has(textKey(r)) && seen.add(textKey(r)))
    .slice(0, MAX_REMEDIES);
  const actions = [...new Set(sorted.flatMap((c) => c.actions ?? []))];
  return { level: sorted[0].level, levelWord: LEVEL_WORD[sorted[0].level], title: sorted[0].title, remedies, actions };
}
