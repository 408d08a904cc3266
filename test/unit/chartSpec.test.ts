// The dashboard chart's arithmetic, in Node (src/webview/chartSpec.ts has no DOM): the axis scale, labels,
// the 00:00 UTC marker, when the limit line shows, and the summary a screen reader hears.
import * as assert from 'node:assert/strict';
import fc from 'fast-check';
import type { HistoryView } from '../../src/shared/dashboardView';
import { DAY, HOUR } from '../../src/shared/time';
import { chartSpec, niceScale } from '../../src/webview/chartSpec';

const NOW = Date.UTC(2026, 9, 1, 14, 7, 30);
const TODAY = Math.floor(NOW / DAY) * DAY;
const THIS_HOUR = Math.floor(NOW / HOUR) * HOUR;

function view(hourlyCounts: number[], dailyCounts: number[] = [], dayLimit?: number): HistoryView {
  return {
    hourly: hourlyCounts.map((count, i) => ({ start: THIS_HOUR - (hourlyCounts.length - 1 - i) * HOUR, count })),
    daily: dailyCounts.map((count, i) => ({ start: TODAY - (dailyCounts.length - 1 - i) * DAY, count })),
    dayLimit,
    currentHour: THIS_HOUR,
    today: TODAY,
  };
}

describe('chartSpec: the history chart without a DOM', () => {
  it('niceScale: small maxima count in ones; larger ones take ~4 steps of 1, 2 or 5 × 10^k', () => {
    assert.deepEqual(niceScale(0), { top: 1, step: 1 });
    assert.deepEqual(niceScale(3), { top: 3, step: 1 });
    assert.deepEqual(niceScale(7), { top: 8, step: 2 });
    assert.deepEqual(niceScale(50), { top: 60, step: 20 });
    assert.deepEqual(niceScale(1000), { top: 1000, step: 500 });
  });

  it('niceScale: the top always covers the maximum in at most 5 round steps', () => {
    fc.assert(
      fc.property(fc.double({ min: 0, max: 1e7, noNaN: true }), (max) => {
        const { top, step } = niceScale(max);
        assert.ok(top >= max, `${top} < ${max}`);
        assert.ok(top / step <= 5, `${top}/${step}`);
        const mantissa = step / 10 ** Math.floor(Math.log10(step));
        assert.ok(
          [1, 2, 5].some((m) => Math.abs(m - mantissa) < 1e-9),
          `step ${step}`,
        );
      }),
    );
  });

  it('hourly: labels in UTC every 3 hours (6 when narrow), the current hour, a reset marker at 00:00 UTC', () => {
    const counts = Array.from({ length: 24 }, (_, i) => i % 5);
    const s = chartSpec(view(counts), 'hourly', 900);
    assert.equal(s.id, 'chart-hourly');
    assert.equal(s.bars.length, 24);
    assert.equal(s.bars.at(-1)!.label, '14:00 UTC');
    assert.ok(s.bars.at(-1)!.current);
    assert.deepEqual(
      s.bars.filter((b) => b.tick).map((b) => b.label.slice(0, 2)),
      ['15', '18', '21', '00', '03', '06', '09', '12'],
    );
    assert.deepEqual(
      s.bars.filter((b) => chartSpec(view(counts), 'hourly', 400).bars[s.bars.indexOf(b)].tick).length,
      4,
    );
    assert.deepEqual(s.markers, [s.bars.findIndex((b) => b.start === TODAY)]);
    assert.equal(s.limit, undefined, 'no limit line per hour');
  });

  it('daily: the limit line only when the bars come near it, and bars at it marked', () => {
    const quiet = chartSpec(view([], [3, 5, 2], 50), 'daily', 900);
    assert.equal(quiet.limit, undefined);
    assert.equal(quiet.top, 6, 'a maximum of 5 gets the round axis 0, 2, 4, 6');
    const busy = chartSpec(view([], [30, 50, 12], 50), 'daily', 900);
    assert.equal(busy.limit, 50);
    assert.deepEqual(
      busy.bars.map((b) => b.over),
      [false, true, false],
    );
    assert.ok(busy.top >= 50);
    assert.equal(busy.bars.at(-1)!.label, '1 Oct');
    assert.ok(busy.bars.at(-1)!.current);
  });

  it('the summary names the total and the busiest bucket', () => {
    assert.equal(
      chartSpec(view([0, 4, 1]), 'hourly', 900).summary,
      '5 free requests in all; the most, 4, in 13:00 UTC.',
    );
    assert.equal(chartSpec(view([0, 0]), 'hourly', 900).summary, '0 free requests in all.');
  });
});
