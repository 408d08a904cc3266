// The dashboard's headline cards: today, this minute, the pace forecast, and where the requests went. Every
// sentence comes from quotaText.ts (the tooltip and the quota check say the same things the same way).
import type { CardView, GaugeLevel, LineView } from '../../shared/dashboardView';
import type { Text } from '../../shared/text';
import { formatClock, formatDuration, HOUR } from '../../shared/time';
import type { Level } from '../account/limits';
import type { DayQuota, MinuteQuota, QuotaSnapshot } from '../quota';
import {
  approx,
  asSentence,
  daySourceText,
  daySplitText,
  minuteHowText,
  minuteIsSplit,
  minuteLimitNote,
  minuteSplitText,
  OUTSIDE_REMEDY,
  plural,
} from '../quotaText';
import type { Forecast } from './input';

export const GAUGE: Record<Level, GaugeLevel> = {
  none: 'normal',
  warning: 'warning',
  critical: 'critical',
  limit: 'limit',
};

export function todayCard(s: QuotaSnapshot, d: DayQuota): CardView {
  const level = GAUGE[d.level];
  const limitText = String(d.limit ?? d.candidates.join(' or '));
  const known = d.used !== null && d.limit !== null;
  const lines: LineView[] = [];
  if (!known) lines.push({ text: `limit ${limitText}`, tone: 'muted' });
  lines.push(
    { text: ['Resets in ', { countdown: d.resetsAt }] },
    { text: ['at 00:00 UTC · ', { clock: d.resetsAt }, ' local'], tone: 'muted' },
  );
  return {
    id: 'today',
    title: 'Today',
    gauge:
      d.used !== null && d.limit !== null
        ? {
            shape: 'ring',
            used: d.used,
            limit: d.limit,
            level,
            label: "Today's free requests",
            valueText: `${approx(d.known, d.used) ? 'about ' : ''}${d.used} of ${d.limit} free requests used today, ${d.remaining} left`,
          }
        : { shape: 'unknown', value: d.used === null ? '—' : String(d.used), of: `of ${limitText}` },
    figure: { text: known ? `${d.remaining} left` : d.used !== null ? `${d.used} used` : 'Count unknown', level },
    lines,
    note:
      d.used === null
        ? "OpenRouter did not report today's count."
        : `Today's count: ${daySourceText(d, s.proxy !== undefined)}.`,
  };
}

export function minuteCard(s: QuotaSnapshot, m: MinuteQuota): CardView {
  const level = GAUGE[m.level];
  const about = approx(m.known, m.used) ? 'about ' : '';
  const valueText =
    m.used !== null
      ? `${about}${m.used} of ${m.limit} free requests this minute`
      : `This minute's count is unknown (limit ${m.limit})`;
  const lines: LineView[] = [];
  if (m.used === null) lines.push({ text: valueText, tone: 'hidden' });
  lines.push({ text: ['Window resets in ', { secondsTo: m.resetsAt }] });
  const waiting = s.proxy?.waiting ?? 0;
  if (s.proxy)
    lines.push(
      waiting
        ? { text: `${plural(waiting, 'request')} waiting in the proxy queue`, tone: 'waiting' }
        : { text: 'No requests waiting in the proxy queue', tone: 'muted' },
    );
  const limitNote = minuteLimitNote(m);
  return {
    id: 'minute',
    title: 'This minute',
    figure: { text: `${approx(m.known, m.used)}${m.used ?? '—'}`, of: ` / ${m.limit}`, level },
    gauge:
      m.used !== null
        ? { shape: 'bar', used: m.used, limit: m.limit, level, label: "This minute's free requests", valueText }
        : undefined,
    lines,
    note: asSentence(`${minuteHowText(m)}${limitNote ? `; ${limitNote}` : ''}`),
  };
}

export function paceCard(d: DayQuota, f: Forecast | undefined, now: number): CardView {
  const card = (figure: CardView['figure'], line: LineView): CardView => ({
    id: 'pace',
    title: 'Pace forecast',
    figure,
    lines: [line],
    note:
      f && d.level !== 'limit'
        ? "The pace is today's average, or the last hours' pace from the proxy when that is faster."
        : undefined,
  });
  const limit = d.limit;
  if (d.level === 'limit') {
    return card(
      { text: 'Limit reached', level: 'limit' },
      { text: ['Free requests work again after 00:00 UTC (', { clock: d.resetsAt }, ' local).'] },
    );
  }
  if (!f || limit === null || d.used === null)
    return card({ text: '—' }, { text: "Needs today's count and limit from OpenRouter.", tone: 'muted' });
  const pace = `At this pace (${f.ratePerHour} an hour)`;
  if (f.reachesLimitAt !== null) {
    const at = f.reachesLimitAt;
    const utc = `${formatClock(at, 'UTC')} UTC`;
    const text: Text = [
      `${pace} you reach ${limit} at ${utc} (`,
      { clock: at },
      ` local), ${formatDuration(at - now)} from now.`,
    ];
    return card({ text: `${limit} by ${utc}`, level: 'warning' }, { text });
  }
  if (f.ratePerHour > 0) {
    const projected = Math.round(d.used + (f.ratePerHour * (d.resetsAt - now)) / HOUR);
    return card(
      { text: `Under ${limit} today`, level: 'normal' },
      { text: `${pace} you reach about ${Math.min(projected, limit - 1)} by the reset.` },
    );
  }
  return card({ text: 'Idle' }, { text: 'No free requests yet today.' });
}

/** Today's free requests through the proxy and elsewhere (present while a proxy meters this account). */
export function splitCard(s: QuotaSnapshot): CardView | undefined {
  const d = s.day;
  const m = s.minute;
  if (!d || d.proxied === null) return undefined;
  const dayText =
    daySplitText(d) ??
    `${d.proxied} through the proxy; requests elsewhere cannot be seen (OpenRouter did not report today's count)`;
  const minuteText =
    !m || m.used === null
      ? 'This minute is not known yet.'
      : m.known === 'exact'
        ? `This minute: ${m.used}, all through the proxy (exact).`
        : minuteIsSplit(m)
          ? `This minute: ${minuteSplitText(m)}.`
          : `This minute: ${m.proxied ?? 0} through the proxy (exact); requests elsewhere cannot be seen.`;
  const total = d.proxied + (d.outside ?? 0);
  const lines: LineView[] = [
    { text: `Today: ${dayText}.` },
    { text: minuteText, tone: m?.known === 'exact' ? 'note' : 'small' },
  ];
  if (d.outside) lines.push({ text: OUTSIDE_REMEDY, tone: 'note' });
  return {
    id: 'split',
    title: 'Where the requests went',
    facts: {
      style: 'split',
      items: [
        { term: 'Through the proxy', detail: String(d.proxied) },
        { term: 'Elsewhere', detail: d.outside === null ? '—' : String(d.outside) },
      ],
    },
    gauge:
      total > 0
        ? {
            shape: 'bar',
            used: d.proxied,
            limit: total,
            level: 'normal',
            label: "Share of today's free requests through the proxy",
            valueText: `${dayText} today`,
          }
        : undefined,
    lines,
    actions: d.outside ? [{ action: 'copyProxySettings' }] : undefined,
  };
}
