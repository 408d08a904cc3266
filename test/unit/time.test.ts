// UTC windows and the coarse human durations used everywhere on screen.
import * as assert from 'node:assert/strict';
import {
  formatAge,
  formatClock,
  formatDuration,
  minuteWindowStart,
  nextUtcMidnight,
  utcDate,
} from '../../src/shared/time';

describe('time', () => {
  it('nextUtcMidnight is strictly after now', () => {
    assert.equal(nextUtcMidnight(Date.UTC(2026, 9, 1, 18, 48)), Date.UTC(2026, 9, 2));
    assert.equal(nextUtcMidnight(Date.UTC(2026, 9, 2)), Date.UTC(2026, 9, 3));
    assert.equal(nextUtcMidnight(Date.UTC(2026, 9, 2) - 1), Date.UTC(2026, 9, 2));
    assert.equal(nextUtcMidnight(Date.UTC(2026, 11, 31, 23, 59)), Date.UTC(2027, 0, 1));
  });

  it('utcDate and minuteWindowStart', () => {
    assert.equal(utcDate(Date.UTC(2026, 9, 1, 23, 59, 59)), '2026-10-01');
    assert.equal(minuteWindowStart(Date.UTC(2026, 9, 1, 18, 48, 59, 999)), Date.UTC(2026, 9, 1, 18, 48));
  });

  it('formatDuration is coarse and never negative', () => {
    const cases: [number, string][] = [
      [-5_000, '0 s'],
      [0, '0 s'],
      [42_000, '42 s'],
      [59_400, '59 s'],
      [60_000, '1 min'],
      [3 * 60_000, '3 min'],
      [59 * 60_000, '59 min'],
      [3_599_000, '1 h'],
      [(5 * 60 + 12) * 60_000, '5 h 12 min'],
      [47 * 3_600_000, '47 h'],
      [72 * 3_600_000, '3 days'],
    ];
    for (const [ms, text] of cases) assert.equal(formatDuration(ms), text, String(ms));
  });

  it('formatAge', () => {
    assert.equal(formatAge(1_000), 'just now');
    assert.equal(formatAge(12_000), '12 s ago');
    assert.equal(formatAge(300_000), '5 min ago');
  });

  it('formatClock is 24-hour HH:MM in the given zone', () => {
    const t = Date.UTC(2026, 9, 2);
    assert.equal(formatClock(t, 'UTC'), '00:00');
    assert.equal(formatClock(t, 'Europe/Berlin'), '02:00');
    assert.equal(formatClock(Date.UTC(2026, 11, 2), 'Europe/Berlin'), '01:00', 'winter time');
    assert.equal(formatClock(Date.UTC(2026, 9, 1, 13, 5), 'UTC'), '13:05');
  });
});
