// Messages between the extension host and the dashboard webview. Full-state snapshots only (no deltas):
// the host sends `state` whenever anything changes and when the panel becomes visible; the webview sends
// `ready` once loaded and `command` when the user clicks something. No vscode and no DOM in this file.
import type { QuotaSnapshot } from '../core/quota';

export interface HistoryPoint {
  /** Start of the hour (hourly) or UTC day (daily), ms since the epoch. */
  start: number;
  count: number;
}

export interface RateLimitEventView {
  kind: 'per-minute' | 'per-day' | 'upstream' | 'unknown';
  at: number;
  resetsAt?: number;
  message: string;
  model?: string;
}

export interface ProxyView {
  /** http://127.0.0.1:PORT/api/v1 */
  url: string;
  role: 'starting' | 'host' | 'reader' | 'blocked' | 'failed' | 'stopped';
  pacing: 'queue' | 'reject' | 'off';
  /** Why the proxy is blocked, when it is. */
  message?: string;
}

export interface Banner {
  level: 'warning' | 'critical' | 'limit';
  title: string;
  /** Concrete things to do, most useful first. */
  remedies: string[];
  /** Buttons that carry out some of the remedies (e.g. addCredits only when credits would help). */
  actions?: DashboardCommand[];
}

export interface Forecast {
  /** Free requests per hour at today's pace so far. */
  ratePerHour: number;
  /** When today's count reaches the daily limit at that pace (before the reset), or null if it will not. */
  reachesLimitAt: number | null;
}

/** How close one window is to its limit: the snapshot's severity per window, plus "at the limit". */
export type GaugeLevel = 'normal' | 'warning' | 'critical' | 'limit';

/** Everything the dashboard shows; the snapshot is the same one the status bar renders. */
export interface DashboardState {
  now: number;
  snapshot: QuotaSnapshot;
  /** From the local proxy's ledger; absent when no proxy runs. */
  history?: { hourly: HistoryPoint[]; daily: HistoryPoint[]; models: Record<string, number>; clients?: Record<string, number> };
  proxy?: ProxyView;
  /** Recent 429s, newest first. */
  events: RateLimitEventView[];
  forecast?: Forecast;
  banner?: Banner;
  /**
   * The colour of each gauge, judged in core with the user's warning/critical thresholds (the webview does
   * not know the settings, and the snapshot's severity is only the worse of the two).
   */
  levels?: { day: GaugeLevel; minute: GaugeLevel };
  /** Where the free requests went (present while a proxy meters this account): counts and sentences from core. */
  split?: {
    dayProxied: number;
    /** null: OpenRouter did not report today's count, so requests elsewhere cannot be seen. */
    dayOutside: number | null;
    dayText: string;
    minuteText: string;
    minuteExact: boolean;
  };
}

export type HostMessage = { type: 'state'; state: DashboardState };

export type DashboardCommand = 'refresh' | 'addCredits' | 'copyProxySettings' | 'setApiKey' | 'signIn' | 'openSettings' | 'showLog';

export type WebviewMessage = { type: 'ready' } | { type: 'command'; command: DashboardCommand };

const COMMANDS: readonly DashboardCommand[] = ['refresh', 'addCredits', 'copyProxySettings', 'setApiKey', 'signIn', 'openSettings', 'showLog'];

/** Messages from the webview are untrusted input: accept only the known shapes. */
export function isWebviewMessage(m: unknown): m is WebviewMessage {
  if (typeof m !== 'object' || m === null) return false;
  const { type, command } = m as { type?: unknown; command?: unknown };
  return type === 'ready' || (type === 'command' && typeof command === 'string' && (COMMANDS as readonly string[]).includes(command));
}

export function isHostMessage(m: unknown): m is HostMessage {
  return typeof m === 'object' && m !== null && (m as { type?: unknown }).type === 'state' && typeof (m as { state?: unknown }).state === 'object';
}
