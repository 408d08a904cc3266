// Pure rendering of a QuotaSnapshot into words: the status bar item (text, colour, tooltip markdown,
// accessibility label) and the one-line summary of the quota check. No vscode: the adapter only copies
// these strings onto VS Code objects, and the unit tests read them directly.
import { actionLink } from '../shared/actions';
import { CommandId } from '../shared/commandIds';
import { usd } from '../shared/money';
import { balanceOf, type QuotaSnapshot, type Severity } from './quota';
import {
  approx,
  balanceUnavailableText,
  BYPASS_SUMMARY,
  dayFigure,
  daySourceText,
  FALLBACK_HEADING,
  fallbackEventText,
  keyCapText,
  minuteFigure,
  minuteHowText,
  minuteIsSplit,
  minuteLimitNote,
  NEGATIVE_BALANCE_TEXT,
  OUTSIDE_REMEDY,
  paidFallbackFigure,
  paidFallbackText,
  RATE_LIMIT_LABEL,
} from './quotaText';
import { formatAge, formatClock, formatDuration, utcDayStart } from '../shared/time';

export interface StatusBarView {
  text: string;
  severity: Severity;
  tooltip: string;
  accessibilityLabel: string;
  command: string;
}

export interface FormatOptions {
  /** Time zone for "local" times; the machine's when undefined. */
  timeZone?: string;
}

const DASH = '—';
const n = (v: number | null | undefined) => (v === null || v === undefined ? DASH : String(v));

/** Escape text from the network before it goes into trusted markdown (it may contain links or commands). */
export function escapeMarkdown(s: string): string {
  return s.replace(/[\\`*_{}[\]()#+\-.!|<>~]/g, (c) => `\\${c}`);
}

export function renderStatusBar(s: QuotaSnapshot, opts: FormatOptions = {}): StatusBarView {
  switch (s.status) {
    case 'no-key':
      return {
        text: '$(key) OpenRouter',
        severity: 'normal',
        tooltip: `**OpenRouter Quota**\n\nNo API key set. ${actionLink('setApiKey')} to see your free-model quota.`,
        accessibilityLabel: 'OpenRouter Quota: no API key set',
        command: CommandId.setApiKey,
      };
    case 'loading':
      return {
        text: '$(loading~spin) OpenRouter',
        severity: 'normal',
        tooltip: '**OpenRouter Quota**\n\nReading your quota from OpenRouter…',
        accessibilityLabel: 'OpenRouter Quota: loading',
        command: CommandId.showQuota,
      };
  }
  // A rejected key is the one thing to fix first, whatever numbers were read before it.
  const auth = s.error?.reason === 'auth';
  if (!s.day || !s.minute || auth) {
    return {
      text: auth ? '$(error) OpenRouter: key rejected' : '$(warning) OpenRouter',
      severity: auth ? 'critical' : 'normal',
      tooltip: renderTooltip(s, opts),
      accessibilityLabel: `OpenRouter Quota: ${auth ? 'API key rejected' : 'quota unavailable'}`,
      command: auth ? CommandId.setApiKey : CommandId.showQuota,
    };
  }
  const icon = s.error ? '$(debug-disconnect)' : '$(pulse)';
  const d = s.day;
  const m = s.minute;
  // While the paid fallback serves free-model requests they cost money: the one thing worth the extra width.
  const paid = s.fallback?.paid?.active ? paidFallbackFigure(s.fallback.paid) : undefined;
  const spoken =
    `OpenRouter free requests: ${d.used === null ? 'unknown' : `${approx(d.known, d.used) ? 'about ' : ''}${d.used}`} of ${d.limit ?? 'unknown'} today, ` +
    `${m.used === null ? 'unknown' : `${approx(m.known, m.used) ? 'about ' : ''}${m.used}`} of ${m.limit} this minute` +
    (paid ? `, ${paid}` : '') +
    (s.stale ? ', out of date' : '');
  return {
    text: `${icon} ${dayFigure(d)} · ${minuteFigure(m)}${paid ? ` · ${paid}` : ''}`,
    severity: s.severity,
    tooltip: renderTooltip(s, opts),
    accessibilityLabel: spoken,
    command: CommandId.showQuota,
  };
}

function resetLine(resetsAt: number, now: number, opts: FormatOptions): string {
  return `resets in ${formatDuration(resetsAt - now)}, at ${formatClock(resetsAt, 'UTC')} UTC (${formatClock(resetsAt, opts.timeZone)} local)`;
}

function balanceText(s: QuotaSnapshot): string {
  const b = s.balance;
  if (!b) return 'unknown';
  if (b.kind === 'known') {
    const v = balanceOf(b)!;
    return v < 0 ? `${usd(v)}: negative, ${NEGATIVE_BALANCE_TEXT}` : usd(v);
  }
  return `unavailable (${balanceUnavailableText(b)})`;
}

export function renderTooltip(s: QuotaSnapshot, opts: FormatOptions = {}): string {
  const lines: string[] = ['**OpenRouter free models**'];
  if (s.error) {
    const retry =
      s.error.retryAt && s.error.retryAt > s.at ? ` Next try in ${formatDuration(s.error.retryAt - s.at)}.` : '';
    const fix = s.error.reason === 'auth' ? ` ${actionLink('setApiKey')}` : '';
    lines.push(`$(warning) ${escapeMarkdown(s.error.message)}${retry}${fix}`);
  }
  if (s.day && s.minute) {
    const d = s.day;
    const m = s.minute;
    if (d.used !== null) {
      lines.push(
        `Today: **${approx(d.known, d.used)}${d.used} / ${d.limit ?? d.candidates.join(' or ')}** free requests used` +
          (d.remaining !== null ? `, **${d.remaining} left**` : '') +
          ` (${daySourceText(d, s.proxy !== undefined)})`,
      );
    } else {
      lines.push(`Today: count unknown: OpenRouter did not report it (limit ${d.limit ?? d.candidates.join(' or ')})`);
    }
    lines.push(`Daily quota ${resetLine(d.resetsAt, s.at, opts)}`);
    const limitNote = minuteLimitNote(m);
    lines.push(
      `This minute: ${approx(m.known, m.used)}${n(m.used)} / ${m.limit} (${minuteHowText(m)}${limitNote ? `, ${limitNote}` : ''}); window resets in ${formatDuration(m.resetsAt - s.at)}`,
    );
    if (minuteIsSplit(m))
      lines.push(OUTSIDE_REMEDY.replace('(Copy Proxy Settings)', `(${actionLink('copyProxySettings')})`));
    if (s.proxy?.waiting)
      lines.push(
        `Proxy: ${s.proxy.waiting} request${s.proxy.waiting === 1 ? '' : 's'} held until the next minute window`,
      );
    const r = s.proxy?.lastRateLimit;
    if (r && s.at - r.at < 3_600_000) {
      lines.push(
        `Last 429: ${RATE_LIMIT_LABEL[r.kind]}, ${formatAge(s.at - r.at)}${r.resetsAt && r.resetsAt > s.at ? `, resets in ${formatDuration(r.resetsAt - s.at)}` : ''}: ${escapeMarkdown(r.message)}`,
      );
    }
    lines.push(...fallbackLines(s, opts));
    lines.push(`[Free models](command:${CommandId.freeModels}): the last hour's health; copy an id or pick fallbacks`);
    lines.push(`Tier: ${escapeMarkdown(d.tierReason)}` + (d.tier !== 'funded' ? ` ${actionLink('addCredits')}` : ''));
    lines.push(`Key: ${keyCapText(s.keyCap)}${s.keyLabel ? ` · ${escapeMarkdown(s.keyLabel)}` : ''}`);
    lines.push(`Balance: ${balanceText(s)}`);
  }
  if (s.fetchedAt !== undefined)
    lines.push(`Updated ${formatAge(s.at - s.fetchedAt)}${s.stale ? ' (out of date)' : ''}`);
  lines.push(
    `${actionLink('openDashboard', 'Dashboard')} · ${actionLink('refresh')} · [Show Quota](command:${CommandId.showQuota}) · ${actionLink('showLog', 'Log')}`,
  );
  return lines.join('\n\n');
}

/** How many of today's fallbacks the tooltip lists (the dashboard has room for the rest). */
const TOOLTIP_FALLBACKS = 5;

/** The paid fallback's budget line (when configured) and today's latest fallbacks under a heading (when any). */
function fallbackLines(s: QuotaSnapshot, opts: FormatOptions): string[] {
  const f = s.fallback;
  if (!f) return [];
  const lines: string[] = [];
  // Model ids come from the network (a reader window's host): escaped like every other such text.
  if (f.paid) lines.push(escapeMarkdown(paidFallbackText(f.paid)));
  const today = utcDayStart(s.at);
  const recent = f.recent.filter((e) => e.at >= today).slice(0, TOOLTIP_FALLBACKS);
  if (recent.length)
    lines.push(
      `**${FALLBACK_HEADING}**\n\n${recent.map((e) => `- ${escapeMarkdown(fallbackEventText(e, opts.timeZone))}`).join('\n')}`,
    );
  return lines;
}

/** The quota check's answer in one line: "Free today 12/50 (38 left, resets in 5 h 12 min) · …". */
export function renderSummary(s: QuotaSnapshot): string {
  if (s.status === 'no-key') return 'OpenRouter: no API key set.';
  if (s.status === 'loading') return 'OpenRouter: reading your quota…';
  const parts: string[] = [];
  if (s.day && s.minute) {
    const d = s.day;
    const m = s.minute;
    const limit = d.limit ?? d.candidates.join(' or ');
    const reset = `resets in ${formatDuration(d.resetsAt - s.at)}`;
    parts.push(
      d.used === null
        ? `Free today ?/${limit} (count not reported, ${reset})`
        : `Free today ${approx(d.known, d.used)}${d.used}/${limit} (${d.remaining ?? '?'} left, ${reset})`,
    );
    const split = minuteIsSplit(m)
      ? ` (${m.proxied} through the proxy, ~${m.outside} elsewhere: estimate)`
      : m.known === 'estimate'
        ? ' (estimate)'
        : '';
    parts.push(
      m.used === null
        ? `this minute ?/${m.limit} (unknown)`
        : `this minute ${approx(m.known, m.used)}${m.used}/${m.limit}${split}`,
    );
    const c = s.keyCap;
    parts.push(
      c ? (c.remaining !== null ? `key cap ${usd(c.remaining)} left` : `key cap ${usd(c.limit)}`) : 'no key cap',
    );
    const b = balanceOf(s.balance);
    parts.push(b !== undefined ? `balance ${usd(b)}` : 'balance unavailable');
    if (minuteIsSplit(m) && (m.outside ?? 0) > 0) parts.push(BYPASS_SUMMARY);
    const p = s.fallback?.paid;
    if (p) parts.push(`${paidFallbackFigure(p)}${p.exhausted ? ' (spent)' : p.active ? ' (active)' : ''}`);
  }
  if (s.error) parts.push(`last refresh failed: ${s.error.message}`);
  if (s.fetchedAt !== undefined && s.stale) parts.push(`data from ${formatAge(s.at - s.fetchedAt)}`);
  return parts.join(' · ');
}
