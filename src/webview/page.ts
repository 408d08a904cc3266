/// <reference lib="dom" />
// The page around the cards: header, banner, rows, footer.
import type { BannerView, DashboardView, RowView } from '../shared/dashboardView';
import { card } from './cards';
import { actionButton, type Child, h } from './dom';
import { textNodes } from './text';

export type Range = 'hourly' | 'daily';

const ROW_CLASS: Record<RowView['layout'], string | undefined> = {
  top: 'grid grid-top',
  three: 'grid',
  two: 'grid grid-two',
  wide: undefined,
};

function header(v: DashboardView): HTMLElement {
  const hd = v.header;
  const meta: Child[] = [];
  if (hd.updatedAt !== undefined) meta.push('Updated ', ...textNodes([{ ageFrom: hd.updatedAt }]));
  if (hd.keyLabel) meta.push(meta.length ? ' · ' : '', h('span', { class: 'mono' }, hd.keyLabel));
  return h(
    'header',
    { class: 'page-header' },
    h(
      'div',
      { class: 'titles' },
      h('h1', {}, hd.title),
      meta.length ? h('p', { class: 'muted' }, ...meta) : null,
      hd.stale ? h('p', { class: 'stale' }, hd.stale) : null,
    ),
    h('div', { class: 'actions' }, hd.refresh ? actionButton('refresh', false, 'refresh') : null),
  );
}

function banner(b: BannerView): HTMLElement {
  return h(
    'section',
    { class: `banner banner-${b.level}`, 'aria-labelledby': 'banner-h', 'data-level': b.level },
    h('div', { class: 'banner-icon', 'aria-hidden': 'true' }, b.level === 'warning' ? '!' : '!!'),
    h(
      'div',
      { class: 'banner-body' },
      h('h2', { id: 'banner-h' }, h('span', { class: 'visually-hidden' }, `${b.levelWord}: `), b.title),
      b.remedies.length ? h('ul', { class: 'remedies' }, ...b.remedies.map((r) => h('li', {}, ...textNodes(r)))) : null,
      b.actions.length
        ? h(
            'div',
            { class: 'button-row' },
            ...b.actions.map((a, i) => (a === 'copySummary' ? null : actionButton(a, i === 0, `banner-${a}`))),
          )
        : null,
    ),
  );
}

function row(r: RowView, range: Range): HTMLElement {
  const cards = r.cards.map((c) => card(c, range));
  const cls = ROW_CLASS[r.layout];
  return cls ? h('div', { class: cls }, ...cards) : cards[0];
}

export function page(v: DashboardView, range: Range): Child[] {
  return [
    header(v),
    v.banner ? banner(v.banner) : null,
    ...v.rows.map((r) => row(r, range)),
    h(
      'footer',
      { class: 'page-footer' },
      ...v.footer.map((a) => (a === 'copySummary' ? null : actionButton(a, false, `footer-${a}`))),
    ),
  ];
}
