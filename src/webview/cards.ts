/// <reference lib="dom" />
// One card, drawn from its CardView: the webview decides only how things look. The history card's chart is
// drawn later (charts.ts), once the card is in the page and its width is known.
import type {
  ButtonView,
  CardView,
  EventView,
  GaugeLevel,
  LineView,
  MeterView,
  UnknownGaugeView,
} from '../shared/dashboardView';
import type { DashboardAction } from '../shared/protocol';
import { actionButton, type Attrs, type Child, h, svg } from './dom';
import { fallbackList, modelButtonRow, modelList } from './modelCards';
import { textNodes } from './text';

const TONE_CLASS: Record<NonNullable<LineView['tone']>, string> = {
  muted: 'muted',
  note: 'muted small',
  small: 'small',
  warning: 'level-warning',
  limit: 'level-limit',
  waiting: 'waiting',
  stale: 'stale',
  hidden: 'visually-hidden',
};

export function line(l: LineView): HTMLElement {
  return h('p', l.tone ? { class: TONE_CLASS[l.tone] } : {}, ...textNodes(l.text));
}

export function buttonRow(cardId: string, buttons: readonly ButtonView[] | undefined): HTMLElement | null {
  if (!buttons?.length) return null;
  // copySummary never reaches a card (the protocol's DashboardAction excludes it).
  return h(
    'div',
    { class: 'button-row' },
    ...buttons.map((b) => actionButton(b.action as DashboardAction, !!b.primary, `${cardId}-${b.action}`)),
  );
}

function meterAttrs(m: MeterView): Attrs {
  return {
    role: 'meter',
    'aria-label': m.label,
    'aria-valuemin': 0,
    'aria-valuemax': m.limit,
    'aria-valuenow': Math.min(m.used, m.limit),
    'aria-valuetext': m.valueText,
  };
}

/** A filled ring. Only SVG attributes: the CSP allows no style attributes. */
function ring(used: number, limit: number, level: GaugeLevel): SVGSVGElement {
  const r = 52;
  const c = 2 * Math.PI * r;
  const share = Math.min(1, used / limit);
  const fill = {
    class: 'ring-fill',
    cx: 64,
    cy: 64,
    r,
    'stroke-width': 12,
    fill: 'none',
    'stroke-dasharray': `${(share * c).toFixed(2)} ${c.toFixed(2)}`,
    transform: 'rotate(-90 64 64)',
    'stroke-linecap': share < 1 ? 'round' : 'butt',
  };
  return svg(
    'svg',
    {
      class: `ring level-${level}`,
      viewBox: '0 0 128 128',
      width: 128,
      height: 128,
      'aria-hidden': 'true',
      focusable: 'false',
    },
    svg('circle', { class: 'ring-track', cx: 64, cy: 64, r, 'stroke-width': 12, fill: 'none' }),
    share > 0 ? svg('circle', fill) : null,
    svg('text', { class: 'ring-value', x: 64, y: 64, 'text-anchor': 'middle' }, String(used)),
    svg('text', { class: 'ring-limit', x: 64, y: 86, 'text-anchor': 'middle' }, `of ${limit}`),
  );
}

function bar(used: number, limit: number, level: GaugeLevel): SVGSVGElement {
  const share = limit > 0 ? Math.min(1, used / limit) : 0;
  return svg(
    'svg',
    {
      class: `bar level-${level}`,
      viewBox: '0 0 100 8',
      preserveAspectRatio: 'none',
      'aria-hidden': 'true',
      focusable: 'false',
    },
    svg('rect', { class: 'bar-track', x: 0, y: 0, width: 100, height: 8, rx: 4 }),
    share > 0
      ? svg('rect', { class: 'bar-fill', x: 0, y: 0, width: (share * 100).toFixed(2), height: 8, rx: 4 })
      : null,
  );
}

function gauge(g: MeterView | UnknownGaugeView): HTMLElement {
  if (g.shape === 'unknown')
    return h(
      'div',
      { class: 'gauge gauge-unknown' },
      h('span', { class: 'big' }, g.value),
      h('span', { class: 'muted' }, g.of),
    );
  if (g.shape === 'ring') return h('div', { class: 'gauge', ...meterAttrs(g) }, ring(g.used, g.limit, g.level));
  return h('div', { class: 'meter', ...meterAttrs(g) }, bar(g.used, g.limit, g.level));
}

function figure(c: CardView): HTMLElement | null {
  const f = c.figure;
  if (!f) return null;
  const cls = ['figure', f.level ? `level-${f.level}` : '', f.muted ? 'muted' : ''].filter(Boolean).join(' ');
  return h('p', { class: cls }, ...textNodes(f.text), f.of ? h('span', { class: 'of' }, f.of) : null);
}

function event(e: EventView): HTMLElement {
  return h(
    'li',
    {},
    h('span', { class: `kind kind-${e.kind}` }, e.label),
    h('span', { class: 'muted' }, ...textNodes(e.when)),
    e.model ? h('span', { class: 'mono small' }, e.model) : null,
    h('span', { class: 'event-message' }, e.message),
  );
}

function counts(c: NonNullable<CardView['counts']>): HTMLElement {
  const max = Math.max(1, ...c.bars.map((b) => b.count));
  return h(
    'ul',
    { class: 'hbars', 'aria-label': c.label },
    ...c.bars.map((b) =>
      h(
        'li',
        {},
        h('span', { class: 'hbar-label', title: b.label }, b.label),
        svg(
          'svg',
          {
            class: 'hbar',
            viewBox: '0 0 100 10',
            preserveAspectRatio: 'none',
            'aria-hidden': 'true',
            focusable: 'false',
          },
          svg('rect', { x: 0, y: 0, width: ((100 * b.count) / max).toFixed(2), height: 10, rx: 2 }),
        ),
        h('span', { class: 'hbar-count' }, b.count),
      ),
    ),
  );
}

/** The history card's range switch and the empty box its chart is drawn into. */
function historyBody(range: 'hourly' | 'daily'): Child[] {
  const seg = (r: 'hourly' | 'daily', label: string) =>
    h(
      'button',
      {
        type: 'button',
        class: 'seg',
        'data-range': r,
        'aria-pressed': range === r ? 'true' : 'false',
        'data-focus-key': `range-${r}`,
      },
      label,
    );
  return [
    h(
      'div',
      { class: 'card-tools' },
      h(
        'div',
        { class: 'segmented', role: 'group', 'aria-label': 'Time range' },
        seg('hourly', 'Last 24 hours'),
        seg('daily', 'Last 30 days'),
      ),
    ),
    h('div', { class: 'chart', id: 'history-chart' }),
  ];
}

export function card(c: CardView, range: 'hourly' | 'daily'): HTMLElement {
  const cls = ['card', `card-${c.id}`, c.wide ? 'card-wide' : '', c.cta ? 'cta' : ''].filter(Boolean).join(' ');
  const attrs: Attrs = {
    class: cls,
    'aria-labelledby': c.title ? `${c.id}-h` : undefined,
    'aria-busy': c.busy ? 'true' : undefined,
  };
  const lines = (c.lines ?? []).map(line);
  const body: Child[] =
    c.gauge && c.gauge.shape !== 'bar'
      ? [h('div', { class: 'gauge-row' }, gauge(c.gauge), h('div', { class: 'gauge-text' }, figure(c), ...lines))]
      : [figure(c), c.facts ? facts(c.facts) : null, c.gauge ? gauge(c.gauge) : null, ...lines];
  return h(
    'section',
    attrs,
    c.title ? h('h2', { id: `${c.id}-h` }, c.title) : null,
    ...body,
    c.counts ? counts(c.counts) : null,
    c.events ? h('ul', { class: 'events' }, ...c.events.map(event)) : null,
    c.models ? modelList(c.models) : null,
    c.fallbacks ? fallbackList(c.fallbacks) : null,
    ...(c.history ? historyBody(range) : []),
    c.callout
      ? h('div', { class: 'unlock' }, ...c.callout.lines.map(line), buttonRow(`${c.id}-callout`, c.callout.actions))
      : null,
    buttonRow(c.id, c.actions),
    modelButtonRow(c.id, c.modelActions),
    c.note ? h('p', { class: 'muted small' }, ...textNodes(c.note)) : null,
  );
}

function facts(f: NonNullable<CardView['facts']>): HTMLElement {
  const dd = (detail: CardView['note']) =>
    h('dd', f.style === 'split' ? { class: 'figure' } : {}, ...textNodes(detail ?? ''));
  return h('dl', { class: f.style }, ...f.items.flatMap((i) => [h('dt', {}, i.term), dd(i.detail)]));
}
