/// <reference lib="dom" />
// The history chart as inline SVG, from a ChartSpec (chartSpec.ts). Plain SVG rather than a library
// (uPlot, Chart.js): one small bar chart needs about 60 lines; a library would add tens of KB, draw on
// <canvas> (invisible to screen readers, fixed colours read from JS instead of the theme's CSS variables)
// or inject inline styles that the strict CSP forbids. SVG elements take their colours from --vscode-*
// variables in media/dashboard.css, and a hidden table carries the same numbers for screen readers.
import type { ChartSpec } from './chartSpec';
import { h, svg } from './dom';

const HEIGHT = 180;
const MARGIN = { top: 12, right: 10, bottom: 24, left: 36 };

export function barChart(spec: ChartSpec, width: number): DocumentFragment {
  const m = MARGIN;
  const pw = Math.max(50, width - m.left - m.right);
  const ph = HEIGHT - m.top - m.bottom;
  const y = (v: number) => m.top + ph - (v / spec.top) * ph;
  const band = pw / Math.max(1, spec.bars.length);
  const root = svg(
    'svg',
    {
      class: 'chart-svg',
      width,
      height: HEIGHT,
      viewBox: `0 0 ${width} ${HEIGHT}`,
      role: 'img',
      'aria-labelledby': `${spec.id}-title ${spec.id}-desc`,
    },
    svg('title', { id: `${spec.id}-title` }, spec.title),
    svg('desc', { id: `${spec.id}-desc` }, spec.summary),
  );
  for (let v = 0; v <= spec.top; v += spec.step) {
    root.append(
      svg('line', { class: v === 0 ? 'axis' : 'grid', x1: m.left, x2: m.left + pw, y1: y(v), y2: y(v) }),
      svg('text', { class: 'tick', x: m.left - 6, y: y(v) + 4, 'text-anchor': 'end' }, String(v)),
    );
  }
  spec.bars.forEach((b, i) => {
    const x = m.left + i * band;
    if (b.count > 0) {
      const bw = Math.max(1, band * 0.72);
      const cls = `bar-rect${b.current ? ' current' : ''}${b.over ? ' over' : ''}`;
      const rect = {
        class: cls,
        x: (x + (band - bw) / 2).toFixed(2),
        y: y(b.count).toFixed(2),
        width: bw.toFixed(2),
        height: (m.top + ph - y(b.count)).toFixed(2),
        rx: Math.min(2, bw / 4),
      };
      root.append(
        svg('rect', rect, svg('title', {}, `${b.label}: ${b.count} ${b.count === 1 ? 'request' : 'requests'}`)),
      );
    }
    if (b.tick)
      root.append(
        svg(
          'text',
          { class: 'tick', x: (x + band / 2).toFixed(2), y: HEIGHT - 6, 'text-anchor': 'middle' },
          b.label.replace(/ UTC$/, ''),
        ),
      );
  });
  for (const i of spec.markers) {
    const x = (m.left + i * band).toFixed(2);
    root.append(
      svg('line', { class: 'marker', x1: x, x2: x, y1: m.top, y2: m.top + ph }),
      svg('text', { class: 'marker-label', x: Number(x) + 4, y: m.top + 10 }, 'reset'),
    );
  }
  if (spec.limit !== undefined) {
    root.append(
      svg('line', { class: 'limit', x1: m.left, x2: m.left + pw, y1: y(spec.limit), y2: y(spec.limit) }),
      svg(
        'text',
        { class: 'limit-label', x: m.left + pw, y: y(spec.limit) - 4, 'text-anchor': 'end' },
        `limit ${spec.limit}`,
      ),
    );
  }
  // The same numbers as a table for screen readers (the SVG is one image to them). Wrapped: a table's
  // min-content width ignores the 1 px box and would widen the page.
  const table = h(
    'table',
    {},
    h('caption', {}, `${spec.title}. ${spec.summary}`),
    h(
      'thead',
      {},
      h('tr', {}, h('th', { scope: 'col' }, spec.columnHeader), h('th', { scope: 'col' }, 'Free requests')),
    ),
    h('tbody', {}, ...spec.bars.map((b) => h('tr', {}, h('th', { scope: 'row' }, b.label), h('td', {}, b.count)))),
  );
  const frag = document.createDocumentFragment();
  frag.append(root, h('div', { class: 'visually-hidden' }, table));
  return frag;
}
