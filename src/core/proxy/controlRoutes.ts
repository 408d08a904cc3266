// The routes the proxy answers itself instead of forwarding: GET /quota (the account model's view, which
// other windows and the CLI read) and GET /quota/history (the dashboard's charts). They hold counts, not the
// key, but counts of one account are still nobody else's business. Both stay small whatever clients send
// (the ledger bounds its names, ledgerNames.ts; the account model its events), and GET /quota, which every
// reader window polls every 3 s, is worked out and serialised once per change of what it shows.
import type * as http from 'node:http';
import type { AccountModel } from '../account/model';
import { toWire, type QuotaWire, type RateLimitEvent } from '../account/view';
import { DAY } from '../../shared/time';
import { API_PREFIX } from './access';
import { bearer, tokenMatches } from './guard';
import { HttpError, sendError, sendJson } from './httpUtil';
import type { Ledger } from './ledger';
import type { ModelHealthRow } from '../fallback/types';

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
  /** Free models over the last hour as the meter saw them, healthiest first (fallback/health.ts). */
  health: ModelHealthRow[];
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

export function serveControl(
  req: http.IncomingMessage,
  res: http.ServerResponse,
  path: string,
  source: ControlSource,
): void {
  const denied = controlDenied(req.headers, source);
  if (denied) return sendError(res, denied);
  if (path === '/quota/history') return sendJson(res, 200, source.history());
  const status = source.status();
  let text = serialised.get(status);
  if (text === undefined) serialised.set(status, (text = JSON.stringify(status)));
  res.writeHead(200, {
    'content-type': 'application/json',
    'content-length': Buffer.byteLength(text),
    'cache-control': 'no-store',
  });
  res.end(text);
}

/** The JSON text of each wire object quotaStatus() handed out (the same object until the view changes). */
const serialised = new WeakMap<QuotaWire, string>();
/** Per account model: the last wire form and the viewStamp() it was made at. */
const statusCache = new WeakMap<AccountModel, { stamp: string; wire: QuotaWire }>();

/**
 * GET /quota: the account model's view, in its wire form. The same (frozen) object while the model's
 * viewStamp() stays the same, so that polls between two changes cost a string comparison.
 */
export function quotaStatus(account: AccountModel, now: number): QuotaWire {
  const stamp = account.viewStamp(now);
  const cached = statusCache.get(account);
  if (stamp !== undefined && cached?.stamp === stamp) return cached.wire;
  const wire = deepFreeze(toWire(account.view(now)));
  if (stamp !== undefined) statusCache.set(account, { stamp, wire });
  return wire;
}

/** Shared answers must not change under their readers: a caller that writes into one gets a TypeError. */
function deepFreeze<T extends object>(o: T): T {
  for (const v of Object.values(o)) if (typeof v === 'object' && v !== null) deepFreeze(v as object);
  return Object.freeze(o);
}

/** GET /quota/history: hourly (24 h) and daily (30 days) totals, today's models, recent 429s. */
export function quotaHistory(
  ledger: Ledger,
  account: AccountModel,
  now: number,
  health: ModelHealthRow[] = [],
): ProxyHistory {
  return {
    hourly: ledger.hourly(now, 24).map((h) => ({ start: h.hourStart, count: h.count })),
    daily: ledger.daily(now, 30).map((d) => ({ start: d.dayStart, count: d.count })),
    models: ledger.dayModels(Math.floor(now / DAY) * DAY),
    clients: ledger.dayClients(Math.floor(now / DAY) * DAY),
    events: [...account.events],
    health,
  };
}

/** A reader of /quota must show it meters this account: the local token, or the same account fingerprint. */
function controlDenied(headers: http.IncomingHttpHeaders, source: ControlSource): HttpError | undefined {
  const account = headers[ACCOUNT_HEADER];
  if (typeof account === 'string') {
    if (account === source.fingerprint) return undefined;
    return new HttpError(
      403,
      'This OpenRouter Quota proxy meters another account: its counts are not yours.',
      {},
      { reason: 'other-account' },
    );
  }
  if (tokenMatches(bearer(headers), source.token())) return undefined;
  return new HttpError(
    401,
    'Send the local proxy token (Authorization: Bearer <token>) to read the counts.',
    {},
    { reason: 'credentials' },
  );
}
