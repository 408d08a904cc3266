// What the dashboard is built from: the snapshot every view renders, plus what only the dashboard shows
// (the proxy's history, its role, the recent 429s).
import type { HistoryPoint } from '../../shared/dashboardView';
import type { RateLimitEvent } from '../account/view';
import type { QuotaSnapshot } from '../quota';
import type { FreeModelsInput } from './freeModelsCard';

export interface ProxyView {
  /** http://127.0.0.1:PORT/api/v1 */
  url: string;
  role: 'starting' | 'host' | 'reader' | 'blocked' | 'failed' | 'stopped';
  pacing: 'queue' | 'reject' | 'off';
  /** Why the proxy is blocked, when it is. */
  message?: string;
}

export interface DashboardHistory {
  hourly: HistoryPoint[];
  daily: HistoryPoint[];
  /** Today's free requests by model and by client (the name the tool gave itself). */
  models: Record<string, number>;
  clients?: Record<string, number>;
}

export interface DashboardInput {
  snapshot: QuotaSnapshot;
  /** The local proxy's ledger (absent when no proxy runs). */
  history?: DashboardHistory;
  proxy?: ProxyView;
  /** Recent 429s, newest first. */
  events: RateLimitEvent[];
  /** Free models, healthiest first: the meter's last hour, else the catalog's (freeModels.ts freeModelRows). */
  freeModels?: FreeModelsInput;
  now: number;
}

export interface Forecast {
  /** Free requests per hour at today's pace so far. */
  ratePerHour: number;
  /** When today's count reaches the daily limit at that pace (before the reset), or null if it will not. */
  reachesLimitAt: number | null;
}
