/// <reference lib="dom" />
/// <reference lib="dom.iterable" />
// The dashboard inside the webview (browser platform, bundled to dist/webview.js as an IIFE). It renders
// the DashboardState the extension posts (full state, never deltas), ticks the countdowns every second
// from the state's `now`, and posts `ready` once and `command` on clicks. It fetches nothing (the CSP has
// connect-src 'none') and imports only src/shared. Everything is built with DOM calls and textContent,
// never innerHTML, so text from the network (429 messages, model ids) cannot become markup; and nothing
// uses a style attribute, which the CSP would block: sizes in the charts are SVG attributes.
//
// Charts are plain inline SVG rather than a library (uPlot, Chart.js): three small bar charts need about
// 150 lines; a library would add tens of KB to the bundle, draw on <canvas> (invisible to screen readers,
// fixed colours read from JS instead of the theme's CSS variables) or inject inline styles that the
// strict CSP forbids. SVG elements take their colours from --vscode-* variables in media/dashboard.css,
// so light, dark and high-contrast themes just work, and a hidden table carries the same numbers for
// screen readers.
import type { DashboardCommand, DashboardState, GaugeLevel, HistoryPoint, RateLimitEventView, WebviewMessage } from '../shared/protocol';
import { isHostMessage } from '../shared/protocol';

interface VsCodeApi<S> {
  postMessage(message: WebviewMessage): void;
  getState(): S | undefined;
  setState(state: S): S;
}
declare function acquireVsCodeApi<S>(): VsCodeApi<S>;

/** UI state only (kept by VS Code across reloads of the webview); the data always comes from the host. */
interface UiState {
  range: 'hourly' | 'daily';
}

type Snapshot = DashboardState['snapshot'];
type Day = NonNullable<Snapshot['day']>;
type Minute = NonNullable<Snapshot['minute']>;

const SECOND = 1000;
const MINUTE = 60 * SECOND;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;
const SVG_NS = 'http://www.w3.org/2000/svg';

const vscode = acquireVsCodeApi<UiState>();
let ui: UiState = readUiState(vscode.getState());
let state: DashboardState | undefined;
/** state.now − Date.now() when the state arrived: countdowns follow the host's clock, not the webview's. */
let clockOffset = 0;
let lastAnnounced = '';

function readUiState(s: unknown): UiState {
  const range = (s as Partial<UiState> | undefined)?.range;
  return { range: range === 'daily' ? 'daily' : 'hourly' };
}

const now = () => Date.now() + clockOffset;

// ---- small DOM helpers -------------------------------------------------------------------------------

type Child = Node | string | number | null | undefined | false;
type Attrs = Record<string, string | number | boolean | undefined>;

function setAttrs(el: Element, attrs: Attrs): void {
  for (const [k, v] of Object.entries(attrs)) {
    if (v === undefined || v === false) continue;
    el.setAttribute(k, v === true ? '' : String(v));
  }
}

function append(el: Element, children: Child[]): void {
  for (const c of children) {
    if (c === null || c === undefined || c === false) continue;
    el.append(typeof c === 'number' ? String(c) : c);
  }
}

function h<K extends keyof HTMLElementTagNameMap>(tag: K, attrs: Attrs = {}, ...children: Child[]): HTMLElementTagNameMap[K] {
  const el = document.createElement(tag);
  setAttrs(el, attrs);
  append(el, children);
  return el;
}

function svg<K extends keyof SVGElementTagNameMap>(tag: K, attrs: Attrs = {}, ...children: Child[]): SVGElementTagNameMap[K] {
  const el = document.createElementNS(SVG_NS, tag);
  setAttrs(el, attrs);
  append(el, children);
  return el;
}

function button(label: string, command: DashboardCommand, variant: 'primary' | 'secondary' = 'secondary', attrs: Attrs = {}): HTMLButtonElement {
  return h('button', { type: 'button', class: `btn btn-${variant}`, 'data-command': command, ...attrs }, label);
}

function card(id: string, title: string, ...children: Child[]): HTMLElement {
  return h('section', { class: `card card-${id}`, 'aria-labelledby': `${id}-h` }, h('h2', { id: `${id}-h` }, title), ...children);
}

// ---- words and numbers (the webview may import only src/shared, so these small formatters live here) ---

const pad = (n: number) => String(n).padStart(2, '0');

/** HH:MM, 24-hour, in UTC or the webview's own (the user's) time zone. */
function clock(t: number, timeZone?: string): string {
  return new Intl.DateTimeFormat('en-GB', { hour: '2-digit', minute: '2-digit', hour12: false, timeZone }).format(t);
}

function dateLabel(t: number): string {
  return new Intl.DateTimeFormat('en-GB', { day: 'numeric', month: 'short', timeZone: 'UTC' }).format(t);
}

/** The live countdown: "5:12:03", "0:00:42". */
function hms(ms: number): string {
  const s = Math.max(0, Math.ceil(ms / SECOND));
  return `${Math.floor(s / 3600)}:${pad(Math.floor((s % 3600) / 60))}:${pad(s % 60)}`;
}

/** Coarse, like the status bar: "42 s", "5 min", "3 h 12 min". */
function coarse(ms: number): string {
  const s = Math.max(0, Math.round(ms / SECOND));
  if (s < 60) return `${s} s`;
  const m = Math.round(s / 60);
  if (m < 60) return `${m} min`;
  return m % 60 ? `${Math.floor(m / 60)} h ${m % 60} min` : `${Math.floor(m / 60)} h`;
}

/** Same rule as core/format usd(): cents, or four decimals below one cent. */
function usd(v: number): string {
  const a = Math.abs(v);
  return `${v < 0 ? '-' : ''}$${a < 0.01 && a > 0 ? a.toFixed(4) : a.toFixed(2)}`;
}

const plural = (n: number, one: string, many = `${one}s`) => `${n} ${n === 1 ? one : many}`;

const ACTION_LABEL: Record<DashboardCommand, string> = {
  refresh: 'Refresh',
  addCredits: 'Add Credits',
  copyProxySettings: 'Copy Proxy Settings',
  setApiKey: 'Set API Key',
  signIn: 'Sign In with OpenRouter',
  openSettings: 'Open Settings',
  showLog: 'Show Log',
};

const KIND_LABEL: Record<RateLimitEventView['kind'], string> = {
  'per-minute': 'per-minute limit',
  'per-day': 'daily limit',
  upstream: 'upstream provider (not your quota)',
  unknown: 'unclassified 429',
};

// ---- rendering ---------------------------------------------------------------------------------------

const app = document.getElementById('app') as HTMLElement;

function render(): void {
  const s = state;
  if (!s) return;
  // Keep keyboard focus on the same control across a re-render (states arrive every few seconds).
  const focused = document.activeElement instanceof HTMLElement ? document.activeElement.dataset.focusKey : undefined;
  const snap = s.snapshot;
  const parts: Child[] = [header(s)];
  if (snap.status === 'no-key') parts.push(noKeyView(), proxyCard(s));
  else if (snap.status === 'loading') parts.push(h('section', { class: 'card card-wide', 'aria-busy': 'true' }, h('p', {}, 'Reading your quota from OpenRouter…')));
  else if (!snap.day || !snap.minute) parts.push(errorView(snap), proxyCard(s));
  else parts.push(...dataView(s, snap.day, snap.minute));
  parts.push(footer());
  app.replaceChildren();
  append(app, parts);
  app.setAttribute('aria-busy', snap.status === 'loading' ? 'true' : 'false');
  renderCharts();
  tick();
  announce(s);
  if (focused) app.querySelector<HTMLElement>(`[data-focus-key="${CSS.escape(focused)}"]`)?.focus();
}

function header(s: DashboardState): HTMLElement {
  const snap = s.snapshot;
  const meta: Child[] = [];
  if (snap.fetchedAt !== undefined) meta.push('Updated ', h('span', { 'data-age-from': snap.fetchedAt }, ''));
  if (snap.keyLabel) meta.push(meta.length ? ' · ' : '', h('span', { class: 'mono' }, snap.keyLabel));
  const stale = snap.stale && snap.status !== 'no-key' ? h('p', { class: 'stale' }, `Out of date${snap.error ? `: ${snap.error.message}` : ''}`) : null;
  const refresh = snap.status === 'no-key' ? null : button('Refresh', 'refresh', 'secondary', { 'data-focus-key': 'refresh' });
  return h(
    'header',
    { class: 'page-header' },
    h('div', { class: 'titles' }, h('h1', {}, 'OpenRouter free-model quota'), meta.length ? h('p', { class: 'muted' }, ...meta) : null, stale),
    h('div', { class: 'actions' }, refresh),
  );
}

function noKeyView(): HTMLElement {
  return h(
    'section',
    { class: 'card card-wide cta', 'aria-labelledby': 'cta-h' },
    h('h2', { id: 'cta-h' }, 'Connect your OpenRouter account'),
    h('p', {}, "Set an API key (kept in VS Code's SecretStorage) or sign in with OpenRouter to see today's free requests, this minute's window and your tier."),
    h('p', { class: 'muted' }, 'Free models (ids ending in :free) allow 20 requests a minute and 50 a UTC day, or 1000 a day once the account has bought 10 credits.'),
    h('div', { class: 'button-row' }, button('Set API Key', 'setApiKey', 'primary', { 'data-focus-key': 'setApiKey' }), button('Sign In with OpenRouter', 'signIn', 'secondary', { 'data-focus-key': 'signIn' })),
  );
}

function errorView(snap: Snapshot): HTMLElement {
  const auth = snap.error?.reason === 'auth';
  return h(
    'section',
    { class: 'card card-wide cta', 'aria-labelledby': 'err-h' },
    h('h2', { id: 'err-h' }, auth ? 'OpenRouter rejected the API key' : 'The quota could not be read'),
    h('p', {}, snap.error?.message ?? 'No data yet.'),
    snap.error?.retryAt && snap.error.retryAt > snap.at ? h('p', { class: 'muted' }, `Next try in ${coarse(snap.error.retryAt - snap.at)}.`) : null,
    h(
      'div',
      { class: 'button-row' },
      auth ? button('Set API Key', 'setApiKey', 'primary') : button('Refresh', 'refresh', 'primary'),
      auth ? button('Sign In with OpenRouter', 'signIn') : button('Show Log', 'showLog'),
    ),
  );
}

function dataView(s: DashboardState, d: Day, m: Minute): Child[] {
  return [
    bannerView(s),
    h('div', { class: 'grid grid-top' }, todayCard(s, d), minuteCard(s, m), paceCard(s, d)),
    splitCard(s),
    h('div', { class: 'grid' }, tierCard(d), keyCapCard(s), balanceCard(s)),
    historyCard(s),
    h('div', { class: 'grid grid-two' }, modelsCard(s), clientsCard(s)),
    eventsCard(s),
    proxyCard(s),
  ];
}

function bannerView(s: DashboardState): HTMLElement | null {
  const b = s.banner;
  if (!b) return null;
  const actions = b.actions ?? [];
  const icon = b.level === 'warning' ? '!' : '!!';
  return h(
    'section',
    { class: `banner banner-${b.level}`, 'aria-labelledby': 'banner-h', 'data-level': b.level },
    h('div', { class: 'banner-icon', 'aria-hidden': 'true' }, icon),
    h(
      'div',
      { class: 'banner-body' },
      h('h2', { id: 'banner-h' }, h('span', { class: 'visually-hidden' }, `${b.level === 'limit' ? 'Limit reached' : b.level === 'critical' ? 'Critical' : 'Warning'}: `), b.title),
      b.remedies.length ? h('ul', { class: 'remedies' }, ...b.remedies.map((r) => h('li', {}, r))) : null,
      actions.length ? h('div', { class: 'button-row' }, ...actions.map((a, i) => button(ACTION_LABEL[a], a, i === 0 ? 'primary' : 'secondary', { 'data-focus-key': `banner-${a}` }))) : null,
    ),
  );
}

/** A screen reader hears the banner title once when it changes, not on every state push. */
function announce(s: DashboardState): void {
  const text = s.banner ? s.banner.title : '';
  if (text === lastAnnounced) return;
  lastAnnounced = text;
  const live = document.getElementById('announcer') ?? document.body.appendChild(h('div', { id: 'announcer', class: 'visually-hidden', 'aria-live': 'polite' }));
  live.textContent = text;
}

function meterAttrs(label: string, used: number, limit: number, text: string): Attrs {
  return { role: 'meter', 'aria-label': label, 'aria-valuemin': 0, 'aria-valuemax': limit, 'aria-valuenow': Math.min(used, limit), 'aria-valuetext': text };
}

/** The ring for today's count. Only SVG attributes: the CSP allows no style attributes. */
function ring(used: number, limit: number, level: GaugeLevel): SVGSVGElement {
  const r = 52;
  const c = 2 * Math.PI * r;
  const share = Math.min(1, used / limit);
  return svg(
    'svg',
    { class: `ring level-${level}`, viewBox: '0 0 128 128', width: 128, height: 128, 'aria-hidden': 'true', focusable: 'false' },
    svg('circle', { class: 'ring-track', cx: 64, cy: 64, r, 'stroke-width': 12, fill: 'none' }),
    share > 0
      ? svg('circle', { class: 'ring-fill', cx: 64, cy: 64, r, 'stroke-width': 12, fill: 'none', 'stroke-dasharray': `${(share * c).toFixed(2)} ${c.toFixed(2)}`, transform: 'rotate(-90 64 64)', 'stroke-linecap': share < 1 ? 'round' : 'butt' })
      : null,
    svg('text', { class: 'ring-value', x: 64, y: 64, 'text-anchor': 'middle' }, String(used)),
    svg('text', { class: 'ring-limit', x: 64, y: 86, 'text-anchor': 'middle' }, `of ${limit}`),
  );
}

function bar(used: number, limit: number, level: GaugeLevel): SVGSVGElement {
  const share = Math.min(1, used / limit);
  return svg(
    'svg',
    { class: `bar level-${level}`, viewBox: '0 0 100 8', preserveAspectRatio: 'none', 'aria-hidden': 'true', focusable: 'false' },
    svg('rect', { class: 'bar-track', x: 0, y: 0, width: 100, height: 8, rx: 4 }),
    share > 0 ? svg('rect', { class: 'bar-fill', x: 0, y: 0, width: (share * 100).toFixed(2), height: 8, rx: 4 }) : null,
  );
}

function daySource(s: DashboardState, d: Day): string {
  if (d.source === 'none') return "OpenRouter did not report today's count.";
  if (d.source === 'local') return 'Counted by the local proxy (OpenRouter did not report a count).';
  if (s.split?.dayOutside) return `OpenRouter's count: ${s.split.dayText}.`;
  return s.snapshot.proxy ? "OpenRouter's count, plus requests through the local proxy since." : 'Official count from OpenRouter (it lags about a minute).';
}

function todayCard(s: DashboardState, d: Day): HTMLElement {
  const level = s.levels?.day ?? 'normal';
  const limitText = d.limit ?? d.candidates.join(' or ');
  const known = d.used !== null && d.limit !== null;
  const text = known ? `${d.used} of ${d.limit} free requests used today, ${d.remaining} left` : `Today's count is unknown (limit ${limitText})`;
  const gauge = known
    ? h('div', { class: 'gauge', ...meterAttrs("Today's free requests", d.used!, d.limit!, text) }, ring(d.used!, d.limit!, level))
    : h('div', { class: 'gauge gauge-unknown' }, h('span', { class: 'big' }, d.used ?? '—'), h('span', { class: 'muted' }, `of ${limitText}`));
  return card(
    'today',
    'Today',
    h(
      'div',
      { class: 'gauge-row' },
      gauge,
      h(
        'div',
        { class: 'gauge-text' },
        h('p', { class: `figure level-${level}` }, known ? `${d.remaining} left` : d.used !== null ? `${d.used} used` : 'Count unknown'),
        known ? null : h('p', { class: 'muted' }, `limit ${limitText}`),
        h('p', {}, 'Resets in ', h('strong', { role: 'timer', 'data-countdown-to': d.resetsAt }, hms(d.resetsAt - now()))),
        h('p', { class: 'muted' }, `at 00:00 UTC · ${clock(d.resetsAt)} local`),
      ),
    ),
    h('p', { class: 'muted small' }, daySource(s, d)),
  );
}

function minuteCard(s: DashboardState, m: Minute): HTMLElement {
  const level = s.levels?.minute ?? 'normal';
  const estimate = m.known === 'estimate';
  const about = m.used !== null && estimate ? '~' : '';
  const waiting = s.snapshot.proxy?.waiting ?? 0;
  const text = m.used !== null ? `${estimate ? 'about ' : ''}${m.used} of ${m.limit} free requests this minute` : `This minute's count is unknown (limit ${m.limit})`;
  const how =
    s.split?.minuteText ??
    (m.used === null ? 'Unknown without the proxy until two polls a minute apart.' : estimate ? "Estimate from the growth of today's count (the proxy counts exactly)." : 'Counted by the local proxy.');
  const limitNote = m.limitSource === 'learned' ? ` Limit ${m.limit} learned from a 429.` : m.limitSource === 'setting' ? ` Limit ${m.limit} from settings.` : '';
  return card(
    'minute',
    'This minute',
    h('p', { class: `figure level-${level}` }, `${about}${m.used ?? '—'}`, h('span', { class: 'of' }, ` / ${m.limit}`)),
    m.used !== null ? h('div', { class: 'meter', ...meterAttrs("This minute's free requests", m.used, m.limit, text) }, bar(m.used, m.limit, level)) : h('p', { class: 'visually-hidden' }, text),
    h('p', {}, 'Window resets in ', h('strong', { role: 'timer', 'data-seconds-to': m.resetsAt }, coarse(m.resetsAt - now()))),
    s.snapshot.proxy
      ? h('p', { class: waiting ? 'waiting' : 'muted' }, waiting ? `${plural(waiting, 'request')} waiting in the proxy queue` : 'No requests waiting in the proxy queue')
      : null,
    h('p', { class: 'muted small' }, how + limitNote),
  );
}

/** Today's free requests through the proxy and elsewhere: the counts, a share bar and core's sentences. */
function splitCard(s: DashboardState): HTMLElement | null {
  const sp = s.split;
  if (!sp) return null;
  const total = sp.dayProxied + (sp.dayOutside ?? 0);
  return card(
    'split',
    'Where the requests went',
    h(
      'dl',
      { class: 'split' },
      h('dt', {}, 'Through the proxy'),
      h('dd', { class: 'figure' }, String(sp.dayProxied)),
      h('dt', {}, 'Elsewhere'),
      h('dd', { class: 'figure' }, sp.dayOutside === null ? '—' : String(sp.dayOutside)),
    ),
    total > 0
      ? h('div', { class: 'meter', ...meterAttrs("Share of today's free requests through the proxy", sp.dayProxied, total, `${sp.dayText} today`) }, bar(sp.dayProxied, total, 'normal'))
      : null,
    h('p', {}, `Today: ${sp.dayText}.`),
    h('p', { class: sp.minuteExact ? 'muted small' : 'small' }, sp.minuteText),
    sp.dayOutside ? h('p', { class: 'muted small' }, 'Requests elsewhere are counted by OpenRouter, not held by the proxy: route those tools through it.', ' ', button('Copy Proxy Settings', 'copyProxySettings')) : null,
  );
}

function paceCard(s: DashboardState, d: Day): HTMLElement {
  const f = s.forecast;
  const limit = d.limit;
  let main: Child;
  let sub: Child = null;
  if (d.used !== null && limit !== null && d.used >= limit) {
    main = h('p', { class: 'figure level-limit' }, 'Limit reached');
    sub = h('p', {}, `Free requests work again after 00:00 UTC (${clock(d.resetsAt)} local).`);
  } else if (!f) {
    main = h('p', { class: 'figure' }, '—');
    sub = h('p', { class: 'muted' }, "Needs today's count and limit from OpenRouter.");
  } else if (f.reachesLimitAt !== null) {
    main = h('p', { class: 'figure level-warning' }, `${limit} by ${clock(f.reachesLimitAt, 'UTC')} UTC`);
    sub = h('p', {}, `At this pace (${f.ratePerHour} an hour) you reach ${limit} at ${clock(f.reachesLimitAt, 'UTC')} UTC (${clock(f.reachesLimitAt)} local), ${coarse(f.reachesLimitAt - s.now)} from now.`);
  } else if (f.ratePerHour > 0) {
    const projected = Math.round(d.used! + (f.ratePerHour * (d.resetsAt - s.now)) / HOUR);
    main = h('p', { class: 'figure level-normal' }, `Under ${limit} today`);
    sub = h('p', {}, `At this pace (${f.ratePerHour} an hour) you reach about ${Math.min(projected, limit! - 1)} by the reset.`);
  } else {
    main = h('p', { class: 'figure' }, 'Idle');
    sub = h('p', {}, 'No free requests yet today.');
  }
  const how = f && !(d.used !== null && limit !== null && d.used >= limit) ? h('p', { class: 'muted small' }, "The pace is today's average, or the last hours' pace from the proxy when that is faster.") : null;
  return card('pace', 'Pace forecast', main, sub, how);
}

function tierCard(d: Day): HTMLElement {
  const title = d.tier === 'funded' ? `${d.limit ?? 1000} a day` : d.tier === 'base' ? `${d.limit ?? 50} a day` : `${d.candidates.join(' or ')} a day`;
  return card(
    'tier',
    'Tier',
    h('p', { class: 'figure' }, title),
    h('p', {}, d.tierReason),
    d.tier === 'funded'
      ? h('p', { class: 'muted small' }, 'Bought 10 credits or more: the higher free limit applies.')
      : h(
          'div',
          { class: 'unlock' },
          h('p', {}, h('strong', {}, 'Unlock 1000 a day: '), 'buy 10 credits once (they stay yours; free models still cost nothing).'),
          h('div', { class: 'button-row' }, button('Add Credits', 'addCredits', 'primary', { 'data-focus-key': 'tier-credits' })),
        ),
  );
}

function keyCapCard(s: DashboardState): HTMLElement {
  const c = s.snapshot.keyCap;
  const per = c?.reset ? ` (resets ${c.reset})` : '';
  return card(
    'keycap',
    'Key spending cap',
    h('p', { class: 'figure' }, !c ? 'No cap' : c.remaining === null ? usd(c.limit) : `${usd(c.remaining)} left`),
    h('p', {}, !c ? 'This key has no spending cap of its own.' : c.remaining === null ? `Cap of ${usd(c.limit)}${per}.` : `of a ${usd(c.limit)} cap${per}.`),
    h('p', { class: 'muted small' }, 'Source: GET /key. This limits what this one key may spend; it is not the account balance.'),
  );
}

function balanceCard(s: DashboardState): HTMLElement {
  const b = s.snapshot.balance;
  if (b?.kind === 'known') {
    const v = b.credits.totalCredits - b.credits.totalUsage;
    return card(
      'balance',
      'Account balance',
      h('p', { class: `figure ${v < 0 ? 'level-limit' : ''}` }, usd(v)),
      v < 0
        ? h('p', { class: 'level-limit' }, 'Negative: OpenRouter refuses requests (402), even to free models, until you add credits.')
        : h('p', {}, `${usd(b.credits.totalCredits)} bought, ${usd(b.credits.totalUsage)} used.`),
      v < 0 ? h('div', { class: 'button-row' }, button('Add Credits', 'addCredits', 'primary')) : null,
      h('p', { class: 'muted small' }, 'Source: GET /credits (the whole account, every key).'),
    );
  }
  const why = !b
    ? 'Not read yet.'
    : b.reason === 'needs-management-key'
      ? 'OpenRouter shows the balance only to a management key; this key got 403. See it on openrouter.ai/settings/credits, or create a management key (it cannot run models).'
      : `The /credits call failed${b.message ? `: ${b.message}` : '.'}`;
  return card('balance', 'Account balance', h('p', { class: 'figure muted' }, 'Unavailable'), h('p', {}, why), h('p', { class: 'muted small' }, 'Source: GET /credits (the whole account, every key).'));
}

/** Why a running proxy has no history to show. */
const HISTORY_MISSING = {
  starting: 'The local proxy is starting; its history shows here once it runs.',
  host: 'The local proxy has no history to show yet.',
  reader: 'The local proxy runs in another window or process; its history is not available in this one yet.',
  blocked: 'The local proxy is not running, so there is no history.',
  failed: 'The local proxy cannot use its state directory, so there is no history.',
  stopped: 'The local proxy is stopped, so there is no history.',
} as const;

function historyCard(s: DashboardState): HTMLElement {
  const tabs = h(
    'div',
    { class: 'segmented', role: 'group', 'aria-label': 'Time range' },
    h('button', { type: 'button', class: 'seg', 'data-range': 'hourly', 'aria-pressed': ui.range === 'hourly' ? 'true' : 'false', 'data-focus-key': 'range-hourly' }, 'Last 24 hours'),
    h('button', { type: 'button', class: 'seg', 'data-range': 'daily', 'aria-pressed': ui.range === 'daily' ? 'true' : 'false', 'data-focus-key': 'range-daily' }, 'Last 30 days'),
  );
  if (!s.history) {
    return card(
      'history',
      'Free requests over time',
      h('p', {}, s.proxy ? HISTORY_MISSING[s.proxy.role] : 'History needs the local proxy: it counts every request your tools send through it, hour by hour.'),
      s.proxy ? null : h('p', { class: 'muted' }, 'Turn on openrouterQuota.proxy.enabled and point your tools at it (Copy Proxy Settings).'),
    );
  }
  return card('history', 'Free requests over time', h('div', { class: 'card-tools' }, tabs), h('div', { class: 'chart', id: 'history-chart' }), h('p', { class: 'muted small' }, 'Counted by the local proxy (requests through it only). Hours and days are UTC.'));
}

function modelsCard(s: DashboardState): HTMLElement {
  return countsCard('models', 'model', s.history?.models);
}

/** Who sent today's requests through the proxy: the name each tool gives itself (or its site or User-Agent). */
function clientsCard(s: DashboardState): HTMLElement {
  return countsCard('clients', 'client', s.history?.clients);
}

function countsCard(id: string, noun: 'model' | 'client', counts: Record<string, number> | undefined): HTMLElement {
  const title = `Today's requests by ${noun}`;
  if (!counts) return card(id, title, h('p', { class: 'muted' }, `Needs the local proxy, which counts requests per ${noun}.`));
  const entries = Object.entries(counts).sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]));
  if (entries.length === 0) return card(id, title, h('p', { class: 'muted' }, 'No free-model requests through the proxy today.'));
  const shown = entries.slice(0, 8);
  const rest = entries.slice(8).reduce((a, [, n]) => a + n, 0);
  if (rest > 0) shown.push([`${entries.length - 8} other ${noun}s`, rest]);
  const max = Math.max(...shown.map(([, n]) => n));
  const total = entries.reduce((a, [, n]) => a + n, 0);
  return card(
    id,
    title,
    h(
      'ul',
      { class: 'hbars', 'aria-label': `Free requests today by ${noun}, ${total} in all` },
      ...shown.map(([model, n]) =>
        h(
          'li',
          {},
          h('span', { class: 'hbar-label', title: model }, model),
          svg('svg', { class: 'hbar', viewBox: '0 0 100 10', preserveAspectRatio: 'none', 'aria-hidden': 'true', focusable: 'false' }, svg('rect', { x: 0, y: 0, width: ((100 * n) / max).toFixed(2), height: 10, rx: 2 })),
          h('span', { class: 'hbar-count' }, n),
        ),
      ),
    ),
  );
}

function eventsCard(s: DashboardState): HTMLElement {
  const events = s.events.slice(0, 8);
  if (events.length === 0) {
    return card('events', 'Recent 429s', h('p', { class: 'muted' }, s.proxy ? 'None recently.' : 'The local proxy records the 429s your tools get through it.'));
  }
  return card(
    'events',
    'Recent 429s',
    h(
      'ul',
      { class: 'events' },
      ...events.map((e) =>
        h(
          'li',
          {},
          h('span', { class: `kind kind-${e.kind}` }, KIND_LABEL[e.kind]),
          h('span', { class: 'muted' }, `${clock(e.at)} local · ${coarse(s.now - e.at)} ago${e.resetsAt && e.resetsAt > s.now ? ` · resets in ${coarse(e.resetsAt - s.now)}` : ''}`),
          e.model ? h('span', { class: 'mono small' }, e.model) : null,
          h('span', { class: 'event-message' }, e.message),
        ),
      ),
    ),
  );
}

const ROLE_TEXT = {
  starting: 'Starting…',
  host: 'Running in this window',
  reader: 'Running in another window or process for this key (this one reads its counts)',
  blocked: 'Not running',
  failed: 'Not running',
  stopped: 'Stopped',
} as const;

const PACING_TEXT = {
  queue: 'queue: a free-model request whose minute is full waits for the next window',
  reject: 'reject: a request whose minute is full gets a 429 at once',
  off: 'off: requests are only counted, never held',
} as const;

function proxyCard(s: DashboardState): HTMLElement {
  const p = s.proxy;
  if (!p) {
    return card(
      'proxy',
      'Local proxy',
      h('p', { class: 'figure muted' }, 'Off'),
      h('p', {}, 'Point your tools at the local proxy to count every free request exactly, learn limits from 429s, hold requests instead of failing them, and see history.'),
      h('div', { class: 'button-row' }, button('Open Settings', 'openSettings', 'secondary', { 'data-focus-key': 'proxy-settings' })),
    );
  }
  return card(
    'proxy',
    'Local proxy',
    h(
      'dl',
      { class: 'facts' },
      h('dt', {}, 'URL'),
      h('dd', {}, h('code', {}, p.url)),
      h('dt', {}, 'Status'),
      h('dd', {}, ROLE_TEXT[p.role], p.message ? h('span', { class: 'level-limit' }, `: ${p.message}`) : null),
      h('dt', {}, 'Pacing'),
      h('dd', {}, PACING_TEXT[p.pacing]),
    ),
    h('div', { class: 'button-row' }, button('Copy Proxy Settings', 'copyProxySettings', 'primary', { 'data-focus-key': 'proxy-copy' })),
  );
}

function footer(): HTMLElement {
  return h('footer', { class: 'page-footer' }, button('Open Settings', 'openSettings', 'secondary', { 'data-focus-key': 'footer-settings' }), button('Show Log', 'showLog', 'secondary', { 'data-focus-key': 'footer-log' }));
}

// ---- charts ------------------------------------------------------------------------------------------

/** A round axis maximum with ~4 steps of 1, 2 or 5 × 10^k. */
function niceScale(max: number): { top: number; step: number } {
  if (max <= 4) return { top: Math.max(1, Math.ceil(max)), step: 1 };
  const raw = max / 4;
  const mag = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 5, 10].map((f) => f * mag).find((s) => s >= raw)!;
  return { top: Math.ceil(max / step) * step, step };
}

interface ChartSpec {
  id: string;
  title: string;
  points: HistoryPoint[];
  /** Text for one bucket: "14:00 UTC", "1 Oct". */
  label: (p: HistoryPoint) => string;
  /** Show an x label under this bucket? */
  tick: (p: HistoryPoint, i: number) => boolean;
  /** A horizontal reference line (the daily limit). */
  limit?: number;
  /** Bucket start times that get a vertical marker line (00:00 UTC). */
  markers?: number[];
  current: number;
  columnHeader: string;
}

function barChart(spec: ChartSpec, width: number): DocumentFragment {
  const H = 180;
  const m = { top: 12, right: 10, bottom: 24, left: 36 };
  const pw = Math.max(50, width - m.left - m.right);
  const ph = H - m.top - m.bottom;
  const pts = spec.points;
  const maxCount = Math.max(0, ...pts.map((p) => p.count));
  // The limit line only when the bars get near it; otherwise it would flatten them to nothing.
  const showLimit = spec.limit !== undefined && maxCount >= spec.limit * 0.5;
  const { top, step } = niceScale(Math.max(maxCount, showLimit ? spec.limit! : 0));
  const y = (v: number) => m.top + ph - (v / top) * ph;
  const band = pw / Math.max(1, pts.length);
  const total = pts.reduce((a, p) => a + p.count, 0);
  const peak = pts.reduce<HistoryPoint | undefined>((a, p) => (!a || p.count > a.count ? p : a), undefined);
  const summary = `${total} free requests in all${peak && peak.count > 0 ? `; the most, ${peak.count}, in ${spec.label(peak)}` : ''}.`;

  const root = svg('svg', { class: 'chart-svg', width, height: H, viewBox: `0 0 ${width} ${H}`, role: 'img', 'aria-labelledby': `${spec.id}-title ${spec.id}-desc` }, svg('title', { id: `${spec.id}-title` }, spec.title), svg('desc', { id: `${spec.id}-desc` }, summary));
  for (let v = 0; v <= top; v += step) {
    root.append(svg('line', { class: v === 0 ? 'axis' : 'grid', x1: m.left, x2: m.left + pw, y1: y(v), y2: y(v) }), svg('text', { class: 'tick', x: m.left - 6, y: y(v) + 4, 'text-anchor': 'end' }, String(v)));
  }
  pts.forEach((p, i) => {
    const x = m.left + i * band;
    if (p.count > 0) {
      const cls = `bar-rect${p.start === spec.current ? ' current' : ''}${showLimit && p.count >= spec.limit! ? ' over' : ''}`;
      const bw = Math.max(1, band * 0.72);
      root.append(svg('rect', { class: cls, x: (x + (band - bw) / 2).toFixed(2), y: y(p.count).toFixed(2), width: bw.toFixed(2), height: (m.top + ph - y(p.count)).toFixed(2), rx: Math.min(2, bw / 4) }, svg('title', {}, `${spec.label(p)}: ${plural(p.count, 'request')}`)));
    }
    if (spec.tick(p, i)) root.append(svg('text', { class: 'tick', x: (x + band / 2).toFixed(2), y: H - 6, 'text-anchor': 'middle' }, spec.label(p).replace(/ UTC$/, '')));
  });
  for (const t of spec.markers ?? []) {
    const i = pts.findIndex((p) => p.start === t);
    if (i <= 0) continue;
    const x = (m.left + i * band).toFixed(2);
    root.append(svg('line', { class: 'marker', x1: x, x2: x, y1: m.top, y2: m.top + ph }), svg('text', { class: 'marker-label', x: Number(x) + 4, y: m.top + 10 }, 'reset'));
  }
  if (showLimit) {
    root.append(svg('line', { class: 'limit', x1: m.left, x2: m.left + pw, y1: y(spec.limit!), y2: y(spec.limit!) }), svg('text', { class: 'limit-label', x: m.left + pw, y: y(spec.limit!) - 4, 'text-anchor': 'end' }, `limit ${spec.limit}`));
  }
  // The same numbers as a table for screen readers (the SVG is one image to them).
  // (Wrapped: a table's min-content width ignores the 1 px box and would widen the page.)
  const table = h(
    'table',
    {},
    h('caption', {}, `${spec.title}. ${summary}`),
    h('thead', {}, h('tr', {}, h('th', { scope: 'col' }, spec.columnHeader), h('th', { scope: 'col' }, 'Free requests'))),
    h('tbody', {}, ...pts.map((p) => h('tr', {}, h('th', { scope: 'row' }, spec.label(p)), h('td', {}, p.count)))),
  );
  const frag = document.createDocumentFragment();
  frag.append(root, h('div', { class: 'visually-hidden' }, table));
  return frag;
}

function renderCharts(): void {
  const el = document.getElementById('history-chart');
  const s = state;
  if (!el || !s?.history) return;
  const width = Math.floor(el.clientWidth) || 600;
  const todayStart = Math.floor(s.now / DAY) * DAY;
  const spec: ChartSpec =
    ui.range === 'hourly'
      ? {
          id: 'chart-hourly',
          title: 'Free requests per hour, last 24 hours (UTC)',
          points: s.history.hourly,
          label: (p) => `${clock(p.start, 'UTC')} UTC`,
          tick: (p) => new Date(p.start).getUTCHours() % (width < 420 ? 6 : 3) === 0,
          markers: [todayStart],
          current: Math.floor(s.now / HOUR) * HOUR,
          columnHeader: 'Hour starting (UTC)',
        }
      : {
          id: 'chart-daily',
          title: 'Free requests per day, last 30 days (UTC)',
          points: s.history.daily,
          label: (p) => dateLabel(p.start),
          tick: (_p, i) => (s.history!.daily.length - 1 - i) % (width < 420 ? 10 : 5) === 0,
          limit: s.snapshot.day?.limit ?? undefined,
          current: todayStart,
          columnHeader: 'Day (UTC)',
        };
  el.replaceChildren(barChart(spec, width));
}

// ---- live parts: countdowns, ages ---------------------------------------------------------------------

function tick(): void {
  const t = now();
  for (const el of app.querySelectorAll<HTMLElement>('[data-countdown-to]')) {
    const left = Number(el.dataset.countdownTo) - t;
    el.textContent = left > 0 ? hms(left) : 'now (waiting for the new count)';
  }
  for (const el of app.querySelectorAll<HTMLElement>('[data-seconds-to]')) {
    const left = Number(el.dataset.secondsTo) - t;
    el.textContent = left > 0 ? `${Math.ceil(left / SECOND)} s` : 'now (waiting for the new count)';
  }
  for (const el of app.querySelectorAll<HTMLElement>('[data-age-from]')) {
    const age = t - Number(el.dataset.ageFrom);
    el.textContent = age < 1500 ? 'just now' : `${coarse(age)} ago`;
  }
}

// ---- wiring ------------------------------------------------------------------------------------------

app.addEventListener('click', (e) => {
  const target = e.target instanceof Element ? e.target.closest('button') : null;
  if (!target) return;
  const command = target.dataset.command as DashboardCommand | undefined;
  if (command) {
    vscode.postMessage({ type: 'command', command });
    return;
  }
  const range = target.dataset.range;
  if (range === 'hourly' || range === 'daily') {
    ui = { ...ui, range };
    vscode.setState(ui);
    render();
  }
});

window.addEventListener('message', (e: MessageEvent<unknown>) => {
  if (!isHostMessage(e.data)) return;
  state = e.data.state;
  clockOffset = state.now - Date.now();
  render();
  scheduleTick();
});

// Charts are drawn at the container's real width (crisp 11 px labels at any size), so redraw on resize.
let chartWidth = 0;
new ResizeObserver(() => {
  const w = app.clientWidth;
  if (w === chartWidth) return;
  chartWidth = w;
  requestAnimationFrame(renderCharts);
}).observe(app);

// Tick on the host clock's whole seconds (every reset time is a whole second), so the countdown changes
// exactly when a second has passed rather than up to a second late, as a free-running interval would.
let tickTimer: number | undefined;
function scheduleTick(): void {
  window.clearTimeout(tickTimer);
  const intoSecond = ((now() % SECOND) + SECOND) % SECOND;
  tickTimer = window.setTimeout(() => {
    tick();
    scheduleTick();
  }, SECOND - intoSecond);
}

vscode.postMessage({ type: 'ready' });
