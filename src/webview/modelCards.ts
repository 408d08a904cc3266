/// <reference lib="dom" />
// The Free models card's list (one row per free model, its buttons carrying the model's id) and the
// Fallbacks today list. Words, levels and ids all come prepared in the view; model ids are network text,
// so they only ever go into text nodes and data attributes.
import type { CardView, FallbackEventView, ModelButtonView, ModelRowView } from '../shared/dashboardView';
import { h } from './dom';
import { textNodes } from './text';

/** A button that posts a model action with its ids (main.ts reads data-model-action / data-model-ids). */
export function modelButton(b: ModelButtonView, focusKey: string): HTMLButtonElement {
  return h(
    'button',
    {
      type: 'button',
      class: `btn btn-${b.primary ? 'primary' : 'secondary'}`,
      'data-model-action': b.action,
      'data-model-ids': JSON.stringify(b.ids),
      'data-focus-key': focusKey,
      'aria-label': b.ariaLabel,
    },
    b.label,
  );
}

export function modelButtonRow(cardId: string, buttons: readonly ModelButtonView[] | undefined): HTMLElement | null {
  if (!buttons?.length) return null;
  return h(
    'div',
    { class: 'button-row' },
    ...buttons.map((b) => modelButton(b, `${cardId}-${b.action}-${b.ids.join(',')}`)),
  );
}

function modelRow(r: ModelRowView): HTMLElement {
  return h(
    'li',
    { class: `model model-${r.health}` },
    h(
      'div',
      { class: 'model-head' },
      h('span', { class: `health health-${r.health}` }, r.healthLabel),
      h('span', { class: 'model-name' }, r.name),
      r.name !== r.id ? h('span', { class: 'mono small muted model-id' }, r.id) : null,
    ),
    h(
      'div',
      { class: 'model-stats' },
      h('span', {}, r.requests),
      r.trouble ? h('span', { class: 'model-trouble' }, r.trouble) : null,
      h('span', { class: 'muted' }, r.detail),
      ...r.badges.map((b) => h('span', { class: 'badge' }, b)),
    ),
    h('div', { class: 'model-actions' }, ...r.actions.map((b) => modelButton(b, `model-${b.action}-${r.id}`))),
  );
}

export function modelList(m: NonNullable<CardView['models']>): HTMLElement {
  return h('ul', { class: 'models', 'aria-label': m.label }, ...m.rows.map(modelRow));
}

function fallbackItem(e: FallbackEventView): HTMLElement {
  return h(
    'li',
    {},
    h('span', { class: 'muted' }, ...textNodes(e.when)),
    h('span', { class: 'mono small fallback-route' }, `${e.from} → ${e.to}`),
    h('span', {}, e.reason),
    e.badge ? h('span', { class: 'badge badge-paid' }, e.badge) : null,
  );
}

export function fallbackList(f: NonNullable<CardView['fallbacks']>): HTMLElement {
  return h('ul', { class: 'events fallbacks', 'aria-label': f.label }, ...f.items.map(fallbackItem));
}
