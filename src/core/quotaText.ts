// Sentences about how the day's and the minute's figures are known, one function per sentence, used by the
// tooltip and the quota check (format.ts), the dashboard (dashboardModel.ts), notifications (alerts.ts) and
// the CLI. Plain text: callers that render markdown escape or link around them.
import { usd } from '../shared/money';
import { formatClock } from '../shared/time';
import { BASE_DAILY, DEFAULT_PER_MINUTE, FUNDED_CREDITS_THRESHOLD, FUNDED_DAILY } from './account/limits';
import type { RateLimitEvent } from './account/view';
import type { FallbackEvent, FallbackReason, ModelHealthRow, PaidFallbackStatus } from './fallback/types';
import type { BalanceReading, DayQuota, KeyCap, MinuteQuota } from './quota';

const DASH = '—';

/** "~" before a figure that is an estimate. */
export function approx(known: DayQuota['known'], used: number | null): string {
  return used !== null && known === 'estimate' ? '~' : '';
}

/** The status bar's minute figure: "3/20", "~15/20", "—/20". */
export function minuteFigure(m: MinuteQuota): string {
  return `${approx(m.known, m.used)}${m.used === null ? DASH : m.used}/${m.limit}`;
}

/** The status bar's day figure: "12/50", "~7/50" (only the proxy's count), "—/50|1000". */
export function dayFigure(d: DayQuota): string {
  return `${approx(d.known, d.used)}${d.used === null ? DASH : d.used}/${d.limit === null ? d.candidates.join('|') : d.limit}`;
}

/** True when some of the minute's requests went elsewhere (an estimate with a meter's exact part). */
export function minuteIsSplit(m: MinuteQuota): boolean {
  return m.known === 'estimate' && m.proxied !== null && m.outside !== null;
}

/** "3 through the proxy (exact) + ~12 elsewhere (estimated from OpenRouter's count, up to a minute late)" */
export function minuteSplitText(m: MinuteQuota): string {
  return `${m.proxied} through the proxy (exact) + ~${m.outside} elsewhere (estimated from OpenRouter's count, up to a minute late)`;
}

/** How this minute's figure is known, for the tooltip's parenthesis. */
export function minuteHowText(m: MinuteQuota): string {
  if (m.known === 'unknown' || m.used === null) {
    return m.proxied === null
      ? 'unknown until two polls a minute apart; the local proxy counts it exactly'
      : 'the local proxy has not reported this minute yet';
  }
  if (m.known === 'exact') return 'counted by the local proxy';
  if (minuteIsSplit(m)) return minuteSplitText(m);
  if (m.proxied !== null)
    return "counted by the local proxy; requests that bypass it cannot be seen, as OpenRouter does not report today's count";
  return "estimate from the growth of today's count";
}

/** The one-line remedy when requests bypass the proxy (the tooltip links the command). */
export const OUTSIDE_REMEDY =
  'Requests elsewhere are not counted exactly or held at the limit: route that tool through the proxy (Copy Proxy Settings).';

/** The quota check's remedy when requests bypass the proxy (terminal or palette: no command named). */
export const BYPASS_SUMMARY = 'requests elsewhere are not held at the limit: route that tool through the proxy';

/** Where today's count comes from, for the tooltip's parenthesis. */
export function daySourceText(d: DayQuota, proxyRuns: boolean): string {
  if (d.source === 'local') return 'counted by the local proxy; OpenRouter did not report it';
  if (!proxyRuns || d.proxied === null) return 'official, from OpenRouter';
  if (d.outside !== null && d.outside > 0)
    return `OpenRouter's count: ${d.proxied} through the local proxy, ${d.outside} elsewhere`;
  return "OpenRouter's count, plus requests through the local proxy since";
}

/** "12 through the proxy, 30 elsewhere" (the dashboard's split, the CLI), or undefined when there is no split to tell. */
export function daySplitText(d: DayQuota): string | undefined {
  if (d.proxied === null || d.outside === null) return undefined;
  return `${d.proxied} through the proxy, ${d.outside} elsewhere`;
}

/** "Today's count: official, from OpenRouter" → "Official, from OpenRouter." as a sentence of its own. */
export function asSentence(s: string): string {
  return `${s.charAt(0).toUpperCase()}${s.slice(1)}${/[.!?]$/.test(s) ? '' : '.'}`;
}

/** What the free limits are (the screens shown before any count is known). */
export function freeLimitsText(): string {
  return `Free models (ids ending in :free) allow ${DEFAULT_PER_MINUTE} requests a minute and ${BASE_DAILY} a UTC day, or ${FUNDED_DAILY} a day once the account has bought ${FUNDED_CREDITS_THRESHOLD} credits.`;
}

/** What the one-time purchase does, after a sentence about the daily limit. */
export const UNLOCK_SENTENCE = `Buying ${FUNDED_CREDITS_THRESHOLD} credits (once) raises it to ${FUNDED_DAILY} a day.`;

/** The one-time purchase that raises the daily limit, as a remedy. */
export const ADD_CREDITS_REMEDY = `Add credits: buying ${FUNDED_CREDITS_THRESHOLD} credits (once) raises the free limit from ${BASE_DAILY} to ${FUNDED_DAILY} requests a day.`;

/** The same offer where the tier is shown: a title and why it is safe to take. */
export const UNLOCK_TITLE = `Unlock ${FUNDED_DAILY} a day: `;
export const UNLOCK_TEXT = `buy ${FUNDED_CREDITS_THRESHOLD} credits once (they stay yours; free models still cost nothing).`;
export const FUNDED_TEXT = `Bought ${FUNDED_CREDITS_THRESHOLD} credits or more: the higher free limit applies.`;

/** What a negative balance means (tooltip, banner, dashboard). */
export const NEGATIVE_BALANCE_TEXT = 'OpenRouter refuses requests (402), even to free models, until you add credits';

/** Why the balance is not shown: "OpenRouter shows the balance only to a management key". */
export function balanceUnavailableText(b: Extract<BalanceReading, { kind: 'unavailable' }>): string {
  return b.reason === 'needs-management-key'
    ? 'OpenRouter shows the balance only to a management key'
    : `the /credits call failed${b.message ? `: ${b.message}` : ''}`;
}

export const MANAGEMENT_KEY_REMEDY =
  'Check the balance at openrouter.ai/settings/credits: OpenRouter shows it here only to a management key (openrouter.ai/settings/management-keys), which cannot run models, so it would be a second key.';

/** The key's own spending cap: "$4.20 left of a $10.00 cap (resets monthly)" (lower case: it follows "Key: "). */
export function keyCapText(c: KeyCap | undefined): string {
  if (!c) return 'this key has no spending cap of its own';
  const per = c.reset ? ` (resets ${c.reset})` : '';
  return c.remaining === null
    ? `cap of ${usd(c.limit)}${per}`
    : `${usd(c.remaining)} left of a ${usd(c.limit)} cap${per}`;
}

/** What each kind of 429 is, in a few words. */
export const RATE_LIMIT_LABEL: Record<RateLimitEvent['kind'], string> = {
  'per-minute': 'per-minute limit',
  'per-day': 'daily limit',
  upstream: 'upstream provider (not your quota)',
  unknown: 'unclassified 429',
};

/** Where the minute's limit came from, when it is not the default: "limit learned from a 429". */
export function minuteLimitNote(m: MinuteQuota): string | undefined {
  return m.limitSource === 'learned'
    ? 'limit learned from a 429'
    : m.limitSource === 'setting'
      ? 'limit from settings'
      : undefined;
}

/** "12 requests" */
export function plural(n: number, one: string, many = `${one}s`): string {
  return `${n} ${n === 1 ? one : many}`;
}

/** Why a request went to another model than the one it named, in a few words. */
export const FALLBACK_REASON_LABEL: Record<FallbackReason, string> = {
  'upstream-rate-limited': 'rate-limited upstream',
  capacity: 'at capacity',
  ended: 'free variant ended',
  'day-spent': "today's free requests used up",
};

/** The tooltip's heading over today's fallbacks. */
export const FALLBACK_HEADING = 'Fallbacks today';

/** "12:03 deepseek/deepseek-r1:free → qwen/qwen3-32b:free (rate-limited upstream)"; ", paid" for the paid fallback. */
export function fallbackEventText(e: FallbackEvent, timeZone?: string): string {
  return `${formatClock(e.at, timeZone)} ${e.from} → ${e.to} (${FALLBACK_REASON_LABEL[e.reason]}${e.paid ? ', paid' : ''})`;
}

/** "paid fallback $0.12 of $1.00": short, for the status bar while the paid fallback serves requests. */
export function paidFallbackFigure(p: PaidFallbackStatus): string {
  return `paid fallback ${usd(p.spentUsd)} of ${usd(p.budgetUsd)}`;
}

/** What the paid fallback does right now, after "Paid fallback: … spent today on <model> (n requests); ". */
export function paidFallbackStateText(p: PaidFallbackStatus): string {
  if (p.exhausted) return 'budget spent: free-model requests get 429 until 00:00 UTC';
  if (p.active) return 'active: free-model requests go to it until the budget is spent';
  return "standing by: it takes over once today's free requests are used up";
}

/** The tooltip's line: "Paid fallback: $0.12 of $1.00 spent today on openai/gpt-4.1-mini (3 requests); active: …". */
export function paidFallbackText(p: PaidFallbackStatus): string {
  return `Paid fallback: ${usd(p.spentUsd)} of ${usd(p.budgetUsd)} spent today on ${p.model} (${plural(p.requests, 'request')}); ${paidFallbackStateText(p)}`;
}

/** The notification when the paid fallback starts serving free-model requests (once per UTC day). */
export function paidFallbackStartedText(p: PaidFallbackStatus): string {
  return `Paid fallback started: free-model requests go to ${p.model} until ${usd(p.budgetUsd)} is spent today.`;
}

/** The notification when its budget is spent (once per UTC day). */
export function paidFallbackSpentText(p: PaidFallbackStatus): string {
  return `Paid fallback budget spent (${usd(p.budgetUsd)}): free-model requests get 429 until 00:00 UTC.`;
}

/** Offered with the upstream-429 streak while the free fallback is off (the button: Turn On Fallback). */
export const FALLBACK_OFFER_TEXT =
  'Turn on fallback to retry such a request once on another free model (the retry counts against the day like any request).';

/** "128k", "1M": a context size, short. */
export function contextSizeText(tokens: number): string {
  if (tokens >= 1_000_000) return `${Number((tokens / 1_000_000).toFixed(1))}M`;
  return tokens >= 1000 ? `${Math.round(tokens / 1000)}k` : String(tokens);
}

/** "850 ms", "1.2 s": a median time to first token. */
export function ttftText(ms: number): string {
  return ms < 1000 ? `${Math.round(ms)} ms` : `${Number((ms / 1000).toFixed(1))} s`;
}

/** "2 upstream 429s · 1 at capacity · 1 ended" (a free model's last hour); undefined when it had none. */
export function modelTroubleText(r: ModelHealthRow): string | undefined {
  const parts = [
    r.upstream429 ? `${plural(r.upstream429, 'upstream 429')}` : '',
    r.capacity ? `${r.capacity} at capacity` : '',
    r.ended ? `${r.ended} ended` : '',
  ].filter(Boolean);
  return parts.length ? parts.join(' · ') : undefined;
}

/** "11 of 12 ok (92%)" this hour, or "Not tried this hour". */
export function modelRequestsText(r: ModelHealthRow): string {
  if (r.requests === 0) return 'Not tried this hour';
  return `${r.successes} of ${r.requests} ok (${Math.round((100 * r.successes) / r.requests)}%)`;
}

/** The Free Models pick's detail: "ok 12/14 · 2 upstream 429s · TTFT 850 ms · 128k ctx · tools · images". */
export function modelHealthDetail(r: ModelHealthRow): string {
  return [
    r.requests ? `ok ${r.successes}/${r.requests}` : 'not tried this hour',
    modelTroubleText(r),
    r.medianTtftMs !== null ? `TTFT ${ttftText(r.medianTtftMs)}` : '',
    r.contextLength ? `${contextSizeText(r.contextLength)} ctx` : '',
    ...modelBadges(r),
  ]
    .filter(Boolean)
    .join(' · ');
}

/** The Free models card's detail line: "TTFT 850 ms · 128k context" ("TTFT —" when none succeeded). */
export function modelCardDetail(r: ModelHealthRow): string {
  const ttft = r.medianTtftMs !== null ? `TTFT ${ttftText(r.medianTtftMs)}` : 'TTFT —';
  return r.contextLength ? `${ttft} · ${contextSizeText(r.contextLength)} context` : ttft;
}

/** "tools", "images": what a free model accepts besides text. */
export function modelBadges(r: ModelHealthRow): string[] {
  return [r.tools ? 'tools' : '', r.imageInput ? 'images' : ''].filter(Boolean);
}

/** A free model's health in a word or two, by its score (untried: no requests this hour). */
export const MODEL_HEALTH_LABEL: Record<'good' | 'fair' | 'poor' | 'untried', string> = {
  good: 'Healthy',
  fair: 'Some trouble',
  poor: 'Struggling',
  untried: 'Untried',
};

/** The Free models card and the Free Models pick, when and why they have nothing (or little) to go on. */
export const FREE_MODELS_TEXT = {
  title: 'Free models, last hour',
  label: 'Free models, healthiest first',
  meterNote: 'Measured by the local proxy over the last hour (requests through it only).',
  untried: 'No free-model requests through the local proxy this hour: these models are untried.',
  catalogOnly:
    "The local proxy measures each free model's health from the requests it forwards; without it these are the catalog's free models, untried.",
  none: 'No free models known yet: the list comes from OpenRouter once the proxy or the chat models ask for it.',
  copied: (ids: readonly string[]) => `Copied ${ids.join(', ')}`,
  copyAria: (id: string) => `Copy the id ${id}`,
  addAria: (id: string) => `Add ${id} to the fallback list`,
  setTop: (n: number) => (n === 1 ? 'Set the Top One as Fallback List' : `Set Top ${n} as Fallback List`),
  more: (n: number) => `${plural(n, 'more free model')} in OpenRouter: Free Models.`,
  fallbacksTitle: 'Fallbacks today',
  fallbacksLabel: "Today's fallbacks, newest first",
  fallbacksOff:
    'Fallback is off: a request to a rate-limited free model gets the 429. Turn it on to retry once on another free model.',
  fallbacksNone: 'No fallbacks today.',
  fallbacksNeedProxy:
    'Fallback needs the local proxy: it retries a request to a rate-limited free model once on another.',
  paidBadge: 'paid',
  pickPlaceholder: 'Free models, healthiest first (last hour through the local proxy)',
  pickCatalogPlaceholder: 'Free models from the catalog (untried: the local proxy measures health)',
  pickNone: 'No free models known yet: OpenRouter did not answer the model list.',
} as const;

/** What the Free Models pick offers for the chosen model. */
export const FREE_MODEL_CHOICES = {
  copy: 'Copy Id',
  add: 'Add to Fallback List',
  only: 'Use Only This as Fallback',
} as const;

/** After the fallback list was set: "Fallback models: a, b." plus a word when the fallback is off. */
export function fallbackListSetText(ids: readonly string[], enabled: boolean): string {
  const list = ids.length ? `Fallback models: ${ids.join(', ')}.` : 'Fallback models cleared: chosen by health.';
  return enabled ? list : `${list} Fallback is off (openrouterQuota.fallback.enabled).`;
}
