/// <reference lib="dom" />
// Small DOM builders. Everything is built with DOM calls and text nodes, never innerHTML, so text from the
// network (429 messages, model ids) cannot become markup; and nothing sets a style attribute, which the CSP
// would block: sizes are SVG attributes, colours come from the stylesheet.
import { ACTION_LABEL } from '../shared/actions';
import type { DashboardAction } from '../shared/protocol';

export type Child = Node | string | number | null | undefined | false;
export type Attrs = Record<string, string | number | boolean | undefined>;

const SVG_NS = 'http://www.w3.org/2000/svg';

function setAttrs(el: Element, attrs: Attrs): void {
  for (const [k, v] of Object.entries(attrs)) {
    if (v === undefined || v === false) continue;
    el.setAttribute(k, v === true ? '' : String(v));
  }
}

export function append(el: Element | DocumentFragment, children: readonly Child[]): void {
  for (const c of children) {
    if (c === null || c === undefined || c === false) continue;
    el.append(typeof c === 'number' ? String(c) : c);
  }
}

export function h<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  attrs: Attrs = {},
  ...children: Child[]
): HTMLElementTagNameMap[K] {
  const el = document.createElement(tag);
  setAttrs(el, attrs);
  append(el, children);
  return el;
}

export function svg<K extends keyof SVGElementTagNameMap>(
  tag: K,
  attrs: Attrs = {},
  ...children: Child[]
): SVGElementTagNameMap[K] {
  const el = document.createElementNS(SVG_NS, tag);
  setAttrs(el, attrs);
  append(el, children);
  return el;
}

/** A button that posts its action; `focusKey` keeps keyboard focus on it across re-renders. */
export function actionButton(action: DashboardAction, primary: boolean, focusKey: string): HTMLButtonElement {
  return h(
    'button',
    {
      type: 'button',
      class: `btn btn-${primary ? 'primary' : 'secondary'}`,
      'data-action': action,
      'data-focus-key': focusKey,
    },
    ACTION_LABEL[action],
  );
}
