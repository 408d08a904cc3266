// Sentences about how the day's and the minute's figures are known, one function per sentence, used by the
// tooltip and the quota check (format.ts), the dashboard (dashboardModel.ts), notifications (alerts.ts) and
// the CLI. Plain text: callers that render markdown escape or link around them.
import type { DayQuota, MinuteQuota } from './quota';

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
    return m.proxied === null ? 'unknown until two polls a minute apart; the local proxy counts it exactly' : 'the local proxy has not reported this minute yet';
  }
  if (m.known === 'exact') return 'counted by the local proxy';
  if (minuteIsSplit(m)) return minuteSplitText(m);
  if (m.proxied !== null) return 'counted by the local proxy; requests that bypass it cannot be seen, as OpenRouter does not report today\'s count';
  return 'estimate from the growth of today\'s count';
}

/** The one-line remedy when requests bypass the proxy (the tooltip links the command). */
export const OUTSIDE_REMEDY = 'Requests elsewhere are not counted exactly or held at the limit: route that tool through the proxy (Copy Proxy Settings).';

/** The quota check's remedy when requests bypass the proxy (terminal or palette: no command named). */
export const BYPASS_SUMMARY = 'requests elsewhere are not held at the limit: route that tool through the proxy';

/** Where today's count comes from, for the tooltip's parenthesis. */
export function daySourceText(d: DayQuota, proxyRuns: boolean): string {
  if (d.source === 'local') return 'counted by the local proxy; OpenRouter did not report it';
  if (!proxyRuns || d.proxied === null) return 'official, from OpenRouter';
  if (d.outside !== null && d.outside > 0) return `OpenRouter's count: ${d.proxied} through the local proxy, ${d.outside} elsewhere`;
  return 'OpenRouter\'s count, plus requests through the local proxy since';
}

/** "12 through the proxy, 30 elsewhere" (the dashboard's split, the CLI), or undefined when there is no split to tell. */
export function daySplitText(d: DayQuota): string | undefined {
  if (d.proxied === null || d.outside === null) return undefined;
  return `${d.proxied} through the proxy, ${d.outside} elsewhere`;
}
