// UTC windows and human durations, shared by the extension host and the dashboard (no DOM, no Node).
// OpenRouter's daily free quota resets at 00:00 UTC and its per-minute window is a fixed window on whole
// minutes (openrouter-api.md §4.1).

export const MINUTE = 60_000;
export const HOUR = 60 * MINUTE;
export const DAY = 24 * HOUR;

/** The next 00:00 UTC strictly after `now`. */
export function nextUtcMidnight(now: number): number {
  return Math.floor(now / DAY) * DAY + DAY;
}

export function utcDate(now: number): string {
  return new Date(now).toISOString().slice(0, 10);
}

export function minuteWindowStart(now: number): number {
  return Math.floor(now / MINUTE) * MINUTE;
}

/** "5 h 12 min", "42 s", "3 min": coarse on purpose; a status bar is not a stopwatch. */
export function formatDuration(ms: number): string {
  const s = Math.max(0, Math.round(ms / 1000));
  if (s < 60) return `${s} s`;
  const m = Math.round(s / 60);
  if (m < 60) return `${m} min`;
  const h = Math.floor(m / 60);
  const rest = m % 60;
  if (h < 48) return rest ? `${h} h ${rest} min` : `${h} h`;
  return `${Math.round(h / 24)} days`;
}

/** "12 s ago", "5 min ago". */
export function formatAge(ms: number): string {
  return ms < 1500 ? 'just now' : `${formatDuration(ms)} ago`;
}

/** One formatter per time zone: building an Intl.DateTimeFormat costs ~100x a format() call, and the tooltip is rendered often. */
const clockFormats = new Map<string | undefined, Intl.DateTimeFormat>();

/** HH:MM in a time zone (the machine's by default), 24-hour. */
export function formatClock(t: number, timeZone?: string): string {
  let f = clockFormats.get(timeZone);
  if (!f) {
    f = new Intl.DateTimeFormat('en-GB', { hour: '2-digit', minute: '2-digit', hour12: false, timeZone });
    clockFormats.set(timeZone, f);
  }
  return f.format(t);
}

/** The live countdown: "5:12:03", "0:00:42". */
export function formatCountdown(ms: number): string {
  const s = Math.max(0, Math.ceil(ms / 1000));
  const pad = (n: number) => String(n).padStart(2, '0');
  return `${Math.floor(s / 3600)}:${pad(Math.floor((s % 3600) / 60))}:${pad(s % 60)}`;
}

/** Built on first use: the first Intl formatter of a process loads ICU data (~30 ms), too slow for start-up. */
let dateFormat: Intl.DateTimeFormat | undefined;

/** "1 Oct": a UTC day. */
export function formatUtcDate(t: number): string {
  dateFormat ??= new Intl.DateTimeFormat('en-GB', { day: 'numeric', month: 'short', timeZone: 'UTC' });
  return dateFormat.format(t);
}

/** The start (00:00 UTC) of the UTC day of `t`. */
export function utcDayStart(t: number): number {
  return Math.floor(t / DAY) * DAY;
}
