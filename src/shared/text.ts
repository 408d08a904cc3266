// Text that core prepares for a screen it does not run on. Most of it is plain words; the times are left as
// pieces because only the screen knows its own time zone (the extension host may run on a remote machine in
// another zone than the person reading the dashboard) and its own clock (countdowns tick there).
import { formatAge, formatClock, formatCountdown, formatDuration } from './time';

/** A piece of a sentence: words, or a time the screen writes itself. */
export type Piece =
  | string
  /** HH:MM in the reader's own time zone. */
  | { clock: number }
  /** A live H:MM:SS countdown to this time. */
  | { countdown: number }
  /** A live "42 s" countdown to this time. */
  | { secondsTo: number }
  /** A live "5 min ago" since this time. */
  | { ageFrom: number }
  /** Words to stress. */
  | { strong: string }
  /** A URL, an id or a setting: monospace. */
  | { code: string };

export type Text = string | readonly Piece[];

/** What a live countdown says once its time has come. */
export const COUNTDOWN_DONE = 'now (waiting for the new count)';

export interface TextContext {
  /** For the reader's clock pieces; the machine's zone when undefined. */
  timeZone?: string;
  /** For the live pieces. */
  now: number;
}

/** One piece as plain words (the webview renders the same words into live elements). */
export function pieceText(p: Piece, ctx: TextContext): string {
  if (typeof p === 'string') return p;
  if ('clock' in p) return formatClock(p.clock, ctx.timeZone);
  if ('countdown' in p) return p.countdown > ctx.now ? formatCountdown(p.countdown - ctx.now) : COUNTDOWN_DONE;
  if ('secondsTo' in p)
    return p.secondsTo > ctx.now ? `${Math.ceil((p.secondsTo - ctx.now) / 1000)} s` : COUNTDOWN_DONE;
  if ('ageFrom' in p) return formatAge(ctx.now - p.ageFrom);
  if ('strong' in p) return p.strong;
  return p.code;
}

/** The whole text as plain words. */
export function plainText(t: Text, ctx: TextContext): string {
  return typeof t === 'string' ? t : t.map((p) => pieceText(p, ctx)).join('');
}

/** "00:00 UTC (02:00 local), in 5 h 12 min" */
export function utcAndLocal(t: number, now: number): Piece[] {
  return [`${formatClock(t, 'UTC')} UTC (`, { clock: t }, ` local), in ${formatDuration(t - now)}`];
}

/** A key that is equal for equal texts (to drop repeats). */
export function textKey(t: Text): string {
  return typeof t === 'string' ? t : JSON.stringify(t);
}
