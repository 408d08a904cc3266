/// <reference lib="dom" />
/// <reference lib="dom.iterable" />
// The dashboard inside the webview (browser platform, bundled to dist/webview.js as an IIFE): the entry and
// its wiring. It draws the DashboardView the extension posts (full views, never deltas; every word and
// level decided in core), ticks the countdowns every second from the view's `now`, and posts `ready` once
// and `action` on clicks. It fetches nothing (the CSP has connect-src 'none') and imports only src/shared.
import type { DashboardView } from '../shared/dashboardView';
import { isHostMessage, isWebviewMessage, type WebviewMessage } from '../shared/protocol';
import { barChart } from './barChart';
import { chartSpec } from './chartSpec';
import { append, h } from './dom';
import { page, type Range } from './page';
import { followHostClock, scheduleTicks, tick } from './ticker';

interface VsCodeApi<S> {
  postMessage(message: WebviewMessage): void;
  getState(): S | undefined;
  setState(state: S): S;
}
declare function acquireVsCodeApi<S>(): VsCodeApi<S>;

/** UI state only (kept by VS Code across reloads of the webview); the data always comes from the host. */
interface UiState {
  range: Range;
}

const vscode = acquireVsCodeApi<UiState>();
let ui: UiState = {
  range: (vscode.getState() as Partial<UiState> | undefined)?.range === 'daily' ? 'daily' : 'hourly',
};
let view: DashboardView | undefined;
let lastAnnounced = '';
const app = document.getElementById('app') as HTMLElement;

function render(): void {
  const v = view;
  if (!v) return;
  // Keep keyboard focus on the same control across a re-render (views arrive every few seconds).
  const focused = document.activeElement instanceof HTMLElement ? document.activeElement.dataset.focusKey : undefined;
  app.replaceChildren();
  append(app, page(v, ui.range));
  app.setAttribute('aria-busy', v.busy ? 'true' : 'false');
  renderChart();
  tick(app);
  announce(v.banner?.title ?? '');
  if (focused) app.querySelector<HTMLElement>(`[data-focus-key="${CSS.escape(focused)}"]`)?.focus();
}

/** A screen reader hears the banner title once when it changes, not on every view pushed. */
function announce(text: string): void {
  if (text === lastAnnounced) return;
  lastAnnounced = text;
  const live =
    document.getElementById('announcer') ??
    document.body.appendChild(h('div', { id: 'announcer', class: 'visually-hidden', 'aria-live': 'polite' }));
  live.textContent = text;
}

function renderChart(): void {
  const el = document.getElementById('history-chart');
  const history = view?.rows.flatMap((r) => r.cards).find((c) => c.history)?.history;
  if (!el || !history) return;
  const width = Math.floor(el.clientWidth) || 600;
  el.replaceChildren(barChart(chartSpec(history, ui.range, width), width));
}

app.addEventListener('click', (e) => {
  const target = e.target instanceof Element ? e.target.closest('button') : null;
  if (!target) return;
  const message = { type: 'action', action: target.dataset.action };
  if (isWebviewMessage(message)) {
    vscode.postMessage(message);
    return;
  }
  const modelMessage = { type: 'modelAction', action: target.dataset.modelAction, ids: modelIds(target) };
  if (isWebviewMessage(modelMessage)) {
    vscode.postMessage(modelMessage);
    return;
  }
  const range = target.dataset.range;
  if (range === 'hourly' || range === 'daily') {
    ui = { ...ui, range };
    vscode.setState(ui);
    render();
  }
});

/** The ids a Free models button carries (JSON in data-model-ids); the host checks them again. */
function modelIds(el: HTMLElement): unknown {
  try {
    return el.dataset.modelIds ? (JSON.parse(el.dataset.modelIds) as unknown) : undefined;
  } catch {
    return undefined;
  }
}

window.addEventListener('message', (e: MessageEvent<unknown>) => {
  if (!isHostMessage(e.data)) return;
  view = e.data.view;
  followHostClock(view.now);
  render();
  scheduleTicks(app);
});

// The chart is drawn at the container's real width (crisp 11 px labels at any size), so redraw on resize.
let chartWidth = 0;
new ResizeObserver(() => {
  const w = app.clientWidth;
  if (w === chartWidth) return;
  chartWidth = w;
  requestAnimationFrame(renderChart);
}).observe(app);

vscode.postMessage({ type: 'ready' });
