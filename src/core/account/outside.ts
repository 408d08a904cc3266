// Outside traffic: free requests OpenRouter counted that the local meter did not forward (another machine,
// a client set up without the proxy), worked out per poll.
//
// A poll's count is OpenRouter's at some moment between the time it was sent (less up to `serverLagSeconds`
// of cache) and the time it came back. So at each reading, the count minus everything the meter forwarded
// until the answer came back is a lower bound of what went elsewhere: its running maximum over the day is
// today's outside count, which a later poll catching up can only raise (a lower count from OpenRouter is a
// correction, and wins). Growth between two polls is taken for outside traffic only beyond what the proxy
// sent in the window the earlier count may have missed, so the proxy being ahead of a stale count is never
// called traffic elsewhere. That growth over the last two intervals gives an outside rate: while it is above
// zero, this minute's figure is the meter's exact count plus that rate, marked as an estimate (model.ts).
import { DAY, MINUTE } from '../../shared/time';

/** What the outside count needs of the local meter (LocalMeter in model.ts is one). */
export interface ForwardedCounts {
  /** Free-model attempts forwarded in the UTC day of `t`, up to and including `t`. */
  countUntil(t: number): number;
  /** Changes whenever a count at a past time changes (an attempt taken back, or one stamped out of order). */
  readonly revision: number;
}

/** Today's readings kept one by one; older ones only leave their outside count behind (`floor`). */
const MAX_READINGS = 64;
/** Polls this far apart (and no older than this) give the no-meter per-minute estimate; anything else is unknown. */
const ESTIMATE_MIN_SPAN = 20_000;
const ESTIMATE_MAX_SPAN = 150_000;

export interface Reading {
  /** When the answer came back. */
  at: number;
  /** When the poll was sent. */
  start: number;
  used: number;
}

export interface Track {
  /** Free requests OpenRouter counted today that the meter did not forward (a lower bound). */
  outside: number;
  /** Growth of `outside` over the last two intervals between polls, and how long they lasted. */
  recent: number;
  span: number;
}

/** OpenRouter's daily count as each poll of today read it, and what it says about traffic elsewhere. */
export class OutsideTraffic {
  private readings: Reading[] = [];
  private readingsDay = -1;
  /** Readings dropped for the bound leave the outside count they reached, and the last of them. */
  private floor?: { outside: number; last: Reading };
  private readingsVersion = 0;
  private cache?: { key: string; track: Track | undefined };

  /** The meter changed: what was worked out from the old one no longer holds. */
  meterChanged(): void {
    this.cache = undefined;
  }

  /** A poll sent at `start` that came back at `at` with OpenRouter's count `used`. Out of order is fine; another day's is not kept. */
  add(at: number, start: number, used: number, meter: ForwardedCounts | undefined): void {
    if (!Number.isFinite(at) || !Number.isFinite(used)) return;
    if (!Number.isFinite(start) || start > at) start = at;
    const day = dayOf(at);
    if (day < this.readingsDay) return;
    if (day > this.readingsDay) {
      this.readingsDay = day;
      this.readings = [];
      this.floor = undefined;
    }
    let i = this.readings.length;
    while (i > 0 && this.readings[i - 1].at > at) i--;
    if (i > 0 && this.readings[i - 1].at === at) return;
    this.readings.splice(i, 0, { at, start, used });
    if (this.readings.length > MAX_READINGS) {
      // Remember what the dropped reading reached, so today's outside count cannot fall back.
      const dropped = this.readings.shift() as Reading;
      const outsideThen = meter ? dropped.used - meter.countUntil(dropped.at) : 0;
      this.floor = { outside: Math.max(this.floor?.outside ?? 0, outsideThen), last: dropped };
    }
    this.readingsVersion++;
  }

  /** The latest reading, when it is from the UTC day of `now`. */
  last(now: number): Reading | undefined {
    return this.readingsDay === dayOf(now) ? this.readings.at(-1) : undefined;
  }

  /** What the meter forwarded in the readings' day up to t (nothing before its 00:00 UTC belongs to it). */
  sentUntil(meter: ForwardedCounts | undefined, t: number): number {
    return !meter || t < this.readingsDay * DAY ? 0 : meter.countUntil(t);
  }

  /** Today's outside count and its recent growth, from the readings and the meter (cached); lagMs as serverLagSeconds. */
  track(now: number, meter: ForwardedCounts, lagMs: number): Track | undefined {
    if (this.readingsDay !== dayOf(now) || this.readings.length === 0) return undefined;
    const key = `${this.readingsDay}:${this.readingsVersion}:${meter.revision}:${lagMs}`;
    if (this.cache?.key === key) return this.cache.track;
    const sent = (t: number) => this.sentUntil(meter, t);
    let outside = this.floor?.outside ?? 0;
    let prev = this.floor?.last;
    const growth: Array<{ g: number; span: number }> = [];
    for (const r of this.readings) {
      const lower = r.used - sent(r.at);
      if (prev && r.used < prev.used) {
        // OpenRouter now counts fewer than it did: its count wins over what was worked out from the old one.
        outside = Math.max(0, lower);
        growth.push({ g: 0, span: r.at - prev.at });
        prev = r;
        continue;
      }
      if (prev) {
        // The most the earlier count can have left out: everything the proxy sent from a lag before it was asked.
        const upperBefore = prev.used - sent(prev.start - lagMs - 1);
        growth.push({ g: Math.max(0, lower - Math.max(upperBefore, outside)), span: r.at - prev.at });
      }
      outside = Math.max(outside, lower);
      prev = r;
    }
    const last = growth.slice(-2);
    const track = { outside, recent: last.reduce((a, x) => a + x.g, 0), span: last.reduce((a, x) => a + x.span, 0) };
    this.cache = { key, track };
    return track;
  }

  /** Without a meter: how much OpenRouter's count grew between the last two polls, per minute. */
  growthPerMinute(now: number): number | null {
    if (this.readingsDay !== dayOf(now) || this.readings.length < 2) return null;
    const b = this.readings[this.readings.length - 1];
    const a = this.readings[this.readings.length - 2];
    const dt = b.at - a.at;
    // An estimate describes the minute around its poll; two minutes later it says nothing.
    if (now - b.at > 2 * MINUTE || dt < ESTIMATE_MIN_SPAN || dt > ESTIMATE_MAX_SPAN || b.used < a.used) return null;
    return Math.round(((b.used - a.used) * MINUTE) / dt);
  }
}

function dayOf(t: number): number {
  return Math.floor(t / DAY);
}
