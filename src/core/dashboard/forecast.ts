// The pace of today's free requests and when the daily limit is reached at that pace.
import { DAY, HOUR, MINUTE } from '../../shared/time';
import type { QuotaSnapshot } from '../quota';
import type { DashboardHistory, Forecast } from './input';

/** Today's average is noisy in the first minutes after 00:00 UTC: never divide by less than this. */
const MIN_PACE_SPAN = 30 * MINUTE;
/** The proxy's recent pace covers the current hour and this many before it (a work session, not the night). */
const RECENT_HOURS = 2;

/**
 * The pace is today's average since 00:00 UTC or, when the proxy's hourly history is there, the pace of the
 * last couple of hours if that is faster: a session that started an hour ago would otherwise be diluted by
 * the quiet night and the forecast would come too late. Undefined when today's count or limit is unknown.
 */
export function forecastOf(s: QuotaSnapshot, history: DashboardHistory | undefined, now: number): Forecast | undefined {
  const d = s.day;
  if (s.status === 'no-key' || s.status === 'loading' || !d || d.used === null || d.limit === null) return undefined;
  const dayStart = d.resetsAt - DAY;
  let rate = d.used / (Math.max(now - dayStart, MIN_PACE_SPAN) / HOUR);
  if (history && history.hourly.length > 0) {
    const from = Math.max(dayStart, Math.floor(now / HOUR) * HOUR - RECENT_HOURS * HOUR);
    const recent = history.hourly.filter((h) => h.start >= from && h.start <= now).reduce((a, h) => a + h.count, 0);
    rate = Math.max(rate, recent / (Math.max(now - from, MIN_PACE_SPAN) / HOUR));
  }
  const ratePerHour = Math.round(rate * 10) / 10;
  if (d.used >= d.limit || rate <= 0) return { ratePerHour, reachesLimitAt: null };
  const at = now + ((d.limit - d.used) / rate) * HOUR;
  return { ratePerHour, reachesLimitAt: at < d.resetsAt ? Math.round(at / MINUTE) * MINUTE : null };
}
