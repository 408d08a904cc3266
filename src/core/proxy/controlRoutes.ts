// The routes the proxy answers itself instead of forwarding: GET /quota (the account model's view, which
// other windows and the CLI read) and GET /quota/history (the dashboard's charts). They hold counts, not the
// key, but counts of one account are still nobody else's business.
import type * as http from 'node:http';
import type { AccountModel } from '../account/model';
import { toWire, type QuotaWire, type RateLimitEvent } from '../account/view';
import { DAY } from '../../shared/time';
import { API_PREFIX } from './access';
import { bearer, tokenMatches } from './guard';
import { HttpError, sendError, sendJson } from './httpUtil';
import type { Ledger } from './ledger';

/** A reader sends its account fingerprint here; /quota answers counts only to the same account (or the token). */
export const ACCOUNT_HEADER = 'x-openrouter-quota-account';

/** GET /quota/history: the dashboard's charts and recent 429s. */
export interface ProxyHistory {
  hourly: Array<{ start: number; count: number }>;
  daily: Array<{ start: number; count: number }>;
  models: Record<string, number>;
  /** Today's per-client counts (who sent the requests; see clientName.ts). */
  clients: Record<string, number>;
  /** Recent 429s, newest first (timestamps in ms). */
  events: RateLimitEvent[];
}

/** What the control routes answer from, and who may read it. */
export interface ControlSource {
  fingerprint: string;
  token: () => string | undefined;
  status: () => QuotaWire;
  history: () => ProxyHistory;
}

export function isControlRoute(method: string | undefined, path: string): boolean {
  return method === 'GET' && (path === '/quota' || path === `${API_PREFIX}/quota` || path === '/quota/history');
}

export function serveControl(req: http.IncomingMessage, res: http.ServerResponse, path: string, source: ControlSource): void {
  const denied = controlDenied(req.headers, source);
  if (denied) return sendError(res, denied);
  return sendJson(res, 200, path === '/quota/history' ? source.history() : source.status());
}

/** GET /quota: the account model's view, in its wire form. */
export function quotaStatus(account: AccountModel, now: number): QuotaWire {
  return toWire(account.view(now));
}

/** GET /quota/history: hourly (24 h) and daily (30 days) totals, today's models, recent 429s. */
export function quotaHistory(ledger: Ledger, account: AccountModel, now: number): ProxyHistory {
  return {
    hourly: ledger.hourly(now, 24).map((h) => ({ start: h.hourStart, count: h.count })),
    daily: ledger.daily(now, 30).map((d) => ({ start: d.dayStart, count: d.count })),
    models: ledger.dayModels(Math.floor(now / DAY) * DAY),
    clients: ledger.dayClients(Math.floor(now / DAY) * DAY),
    events: [...account.events],
  };
}

/** A reader of /quota must show it meters this account: the local token, or the same account fingerprint. */
function controlDenied(headers: http.IncomingHttpHeaders, source: ControlSource): HttpError | undefined {
  const account = headers[ACCOUNT_HEADER];
  if (typeof account === 'string') {
    if (account === source.fingerprint) return undefined;
    return new HttpError(403, 'This OpenRouter Quota proxy meters another account: its counts are not yours.', {}, { reason: 'other-account' });
  }
  if (tokenMatches(bearer(headers), source.token())) return undefined;
  return new HttpError(401, 'Send the local proxy token (Authorization: Bearer <token>) to read the counts.', {}, { reason: 'credentials' });
}
