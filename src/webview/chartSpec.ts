// What the history chart draws, worked out without the DOM (unit-tested in Node): the axis scale, which
// buckets get a label, the marker at 00:00 UTC, the limit line, and the summary a screen reader hears.
import type { HistoryPoint, HistoryView } from '../shared/dashboardView';
import { formatClock, formatUtcDate } from '../shared/time';

export type Range = 'hourly' | 'daily';

/** A round axis maximum with ~4 steps of 1, 2 or 5 × 10^k. */
export function niceScale(max: number): { top: number; step: number } {
  if (!(max > 4)) return { top: Math.max(1, Math.ceil(Number.isFinite(max) ? max : 0)), step: 1 };
  const raw = max / 4;
  const mag = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 5, 10].map((f) => f * mag).find((s) => s >= raw) ?? 10 * mag;
  return { top: Math.ceil(max / step) * step, step };
}

export interface ChartBar {
  start: number;
  count: number;
  /** "14:00 UTC", "1 Oct" */
  label: string;
  /** Show the label under the bar. */
  tick: boolean;
  current: boolean;
  /** At or over the limit line. */
  over: boolean;
}

export interface ChartSpec {
  id: string;
  title: string;
  columnHeader: string;
  bars: ChartBar[];
  /** The axis: 0, step, … top. */
  top: number;
  step: number;
  /** The daily limit line, only when the bars come near it (otherwise it would flatten them to nothing). */
  limit?: number;
  /** Indexes of bars that start a new UTC day (a "reset" marker before them). */
  markers: number[];
  summary: string;
}

/** Narrow charts label fewer buckets so the labels do not overlap. */
const NARROW = 420;

export function chartSpec(h: HistoryView, range: Range, width: number): ChartSpec {
  const narrow = width < NARROW;
  const hourly = range === 'hourly';
  const points: HistoryPoint[] = hourly ? h.hourly : h.daily;
  const label = (p: HistoryPoint) => (hourly ? `${formatClock(p.start, 'UTC')} UTC` : formatUtcDate(p.start));
  const maxCount = Math.max(0, ...points.map((p) => p.count));
  const limit = !hourly && h.dayLimit !== undefined && maxCount >= h.dayLimit * 0.5 ? h.dayLimit : undefined;
  const { top, step } = niceScale(Math.max(maxCount, limit ?? 0));
  const current = hourly ? h.currentHour : h.today;
  const bars = points.map((p, i) => ({
    start: p.start,
    count: p.count,
    label: label(p),
    tick: hourly
      ? new Date(p.start).getUTCHours() % (narrow ? 6 : 3) === 0
      : (points.length - 1 - i) % (narrow ? 10 : 5) === 0,
    current: p.start === current,
    over: limit !== undefined && p.count >= limit,
  }));
  const total = points.reduce((a, p) => a + p.count, 0);
  const peak = bars.reduce<ChartBar | undefined>((a, b) => (!a || b.count > a.count ? b : a), undefined);
  const summary = `${total} free requests in all${peak && peak.count > 0 ? `; the most, ${peak.count}, in ${peak.label}` : ''}.`;
  const marker = hourly ? bars.findIndex((b) => b.start === h.today) : -1;
  return {
    id: hourly ? 'chart-hourly' : 'chart-daily',
    title: hourly ? 'Free requests per hour, last 24 hours (UTC)' : 'Free requests per day, last 30 days (UTC)',
    columnHeader: hourly ? 'Hour starting (UTC)' : 'Day (UTC)',
    bars,
    top,
    step,
    limit,
    markers: marker > 0 ? [marker] : [],
    summary,
  };
}
