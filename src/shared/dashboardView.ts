// What the dashboard shows, prepared in core (src/core/dashboard/) and drawn by the webview as it is: every
// word, level and number is decided before it gets here. The webview adds only what it alone knows: the
// reader's time zone, the live countdowns, the width of the page. No vscode, no DOM, no Node.
import type { ModelAction, UserAction } from './actions';
import type { Text } from './text';

/** How close a figure is to its limit (the colour). */
export type GaugeLevel = 'normal' | 'warning' | 'critical' | 'limit';

/** A line of a card. `tone` is what it means; the stylesheet decides how that looks. */
export interface LineView {
  text: Text;
  tone?: 'muted' | 'note' | 'small' | 'warning' | 'limit' | 'waiting' | 'stale' | 'hidden';
}

export interface ButtonView {
  action: UserAction;
  primary?: boolean;
}

/** A filled ring (beside the card's text) or bar (under its figure), announced as an ARIA meter. */
export interface MeterView {
  shape: 'ring' | 'bar';
  used: number;
  limit: number;
  level: GaugeLevel;
  /** The meter's name and its value in words, for screen readers. */
  label: string;
  valueText: string;
}

/** In place of a ring while the count or the limit is not known. */
export interface UnknownGaugeView {
  shape: 'unknown';
  value: string;
  of: string;
}

export interface FactView {
  term: string;
  detail: Text;
}

export interface CountBarView {
  label: string;
  count: number;
}

export interface EventView {
  kind: 'per-minute' | 'per-day' | 'upstream' | 'unknown';
  label: string;
  when: Text;
  model?: string;
  message: string;
}

/** A button that acts on model ids (copy one, make them the fallback list). */
export interface ModelButtonView {
  action: ModelAction;
  ids: string[];
  label: string;
  /** What the button does, in full, for screen readers ("Copy the id of …"). */
  ariaLabel?: string;
  primary?: boolean;
}

/** One free model's last hour (the Free models card), its words prepared. */
export interface ModelRowView {
  id: string;
  name: string;
  /** good / fair / poor from the score; untried: no requests this hour. */
  health: 'good' | 'fair' | 'poor' | 'untried';
  /** "Healthy", "Some trouble", …: the health in words (shown, and read before the name). */
  healthLabel: string;
  /** "11 of 12 ok (92%)" or "Not tried this hour". */
  requests: string;
  /** "2 upstream 429s · 1 at capacity"; absent when there was no trouble. */
  trouble?: string;
  /** "TTFT 850 ms · 128k context". */
  detail: string;
  /** "tools", "images". */
  badges: string[];
  actions: ModelButtonView[];
}

/** One of today's fallbacks: a request that went to another model than it named. */
export interface FallbackEventView {
  when: Text;
  from: string;
  to: string;
  reason: string;
  /** "paid" when it went to the paid fallback. */
  badge?: string;
}

export interface HistoryPoint {
  /** Start of the hour (hourly) or UTC day (daily), ms since the epoch. */
  start: number;
  count: number;
}

export interface HistoryView {
  hourly: HistoryPoint[];
  daily: HistoryPoint[];
  /** The daily limit, drawn as a line on the daily chart when the bars come near it. */
  dayLimit?: number;
  /** The bucket of now in each chart, and the last 00:00 UTC (a marker on the hourly chart). */
  currentHour: number;
  today: number;
}

export interface CardView {
  id: string;
  title?: string;
  /** Across the whole page; `cta` for the calls to action that stand in for the data. */
  wide?: boolean;
  cta?: boolean;
  busy?: boolean;
  /** The ring or the placeholder beside the figure and lines, or the bar under the figure. */
  gauge?: MeterView | UnknownGaugeView;
  figure?: { text: Text; level?: GaugeLevel; of?: string; muted?: boolean };
  facts?: { style: 'facts' | 'split'; items: FactView[] };
  lines?: LineView[];
  counts?: { label: string; bars: CountBarView[] };
  events?: EventView[];
  history?: HistoryView;
  /** The Free models card's rows, healthiest first. */
  models?: { label: string; rows: ModelRowView[] };
  fallbacks?: { label: string; items: FallbackEventView[] };
  /** Card-wide buttons on model ids ("Set Top 3 as Fallback List"). */
  modelActions?: ModelButtonView[];
  /** A boxed offer inside the card (the tier's "unlock 1000 a day"). */
  callout?: { lines: LineView[]; actions: ButtonView[] };
  actions?: ButtonView[];
  /** Where the figures come from: the card's last, smallest line. */
  note?: Text;
}

export interface RowView {
  /** top: the three headline cards; three and two: that many in a row; wide: one card across. */
  layout: 'top' | 'three' | 'two' | 'wide';
  cards: CardView[];
}

export interface BannerView {
  level: 'warning' | 'critical' | 'limit';
  /** "Warning", "Critical", "Limit reached": said before the title to screen readers. */
  levelWord: string;
  title: string;
  remedies: Text[];
  actions: UserAction[];
}

/** Everything the dashboard shows at one moment. */
export interface DashboardView {
  now: number;
  header: { title: string; updatedAt?: number; keyLabel?: string; stale?: string; refresh: boolean };
  banner?: BannerView;
  rows: RowView[];
  footer: UserAction[];
  busy: boolean;
}
