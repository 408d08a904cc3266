// The dashboard's cards about the local proxy: history, today's requests by model and by client, the
// recent 429s, and the proxy itself.
import type { CardView, CountBarView } from '../../shared/dashboardView';
import { DAY, formatDuration, HOUR } from '../../shared/time';
import type { RateLimitEvent } from '../account/view';
import type { QuotaSnapshot } from '../quota';
import { RATE_LIMIT_LABEL } from '../quotaText';
import type { DashboardHistory, ProxyView } from './input';

/** Bars per counts card; the rest are summed into one "N other models" bar. */
const MAX_BARS = 8;
/** Recent 429s listed. */
const MAX_EVENTS = 8;

/** Why a running proxy has no history to show. */
const HISTORY_MISSING: Record<ProxyView['role'], string> = {
  starting: 'The local proxy is starting; its history shows here once it runs.',
  host: 'The local proxy has no history to show yet.',
  reader: 'The local proxy runs in another window or process; its history is not available in this one yet.',
  blocked: 'The local proxy is not running, so there is no history.',
  failed: 'The local proxy cannot use its state directory, so there is no history.',
  stopped: 'The local proxy is stopped, so there is no history.',
};

const ROLE_TEXT: Record<ProxyView['role'], string> = {
  starting: 'Starting…',
  host: 'Running in this window',
  reader: 'Running in another window or process for this key (this one reads its counts)',
  blocked: 'Not running',
  failed: 'Not running',
  stopped: 'Stopped',
};

const PACING_TEXT: Record<ProxyView['pacing'], string> = {
  queue: 'queue: a free-model request whose minute is full waits for the next window',
  reject: 'reject: a request whose minute is full gets a 429 at once',
  off: 'off: requests are only counted, never held',
};

export function historyCard(
  s: QuotaSnapshot,
  history: DashboardHistory | undefined,
  proxy: ProxyView | undefined,
  now: number,
): CardView {
  const title = 'Free requests over time';
  if (!history) {
    return {
      id: 'history',
      title,
      lines: proxy
        ? [{ text: HISTORY_MISSING[proxy.role] }]
        : [
            {
              text: 'History needs the local proxy: it counts every request your tools send through it, hour by hour.',
            },
            {
              text: 'Turn on openrouterQuota.proxy.enabled and point your tools at it (Copy Proxy Settings).',
              tone: 'muted',
            },
          ],
    };
  }
  return {
    id: 'history',
    title,
    history: {
      hourly: history.hourly,
      daily: history.daily,
      dayLimit: s.day?.limit ?? undefined,
      currentHour: Math.floor(now / HOUR) * HOUR,
      today: Math.floor(now / DAY) * DAY,
    },
    note: 'Counted by the local proxy (requests through it only). Hours and days are UTC.',
  };
}

/** Today's requests through the proxy by model or by client, most first, the tail summed into one bar. */
export function countsCard(id: 'models' | 'clients', counts: Record<string, number> | undefined): CardView {
  const noun = id === 'models' ? 'model' : 'client';
  const title = `Today's requests by ${noun}`;
  if (!counts)
    return { id, title, lines: [{ text: `Needs the local proxy, which counts requests per ${noun}.`, tone: 'muted' }] };
  const entries = Object.entries(counts).sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]));
  if (entries.length === 0)
    return { id, title, lines: [{ text: 'No free-model requests through the proxy today.', tone: 'muted' }] };
  const bars: CountBarView[] = entries.slice(0, MAX_BARS).map(([label, count]) => ({ label, count }));
  const rest = entries.slice(MAX_BARS).reduce((a, [, n]) => a + n, 0);
  if (rest > 0) bars.push({ label: `${entries.length - MAX_BARS} other ${noun}s`, count: rest });
  const total = entries.reduce((a, [, n]) => a + n, 0);
  return { id, title, counts: { label: `Free requests today by ${noun}, ${total} in all`, bars } };
}

export function eventsCard(events: RateLimitEvent[], proxy: ProxyView | undefined, now: number): CardView {
  const title = 'Recent 429s';
  if (events.length === 0) {
    return {
      id: 'events',
      title,
      lines: [
        {
          text: proxy ? 'None recently.' : 'The local proxy records the 429s your tools get through it.',
          tone: 'muted',
        },
      ],
    };
  }
  return {
    id: 'events',
    title,
    events: events.slice(0, MAX_EVENTS).map((e) => ({
      kind: e.kind,
      label: RATE_LIMIT_LABEL[e.kind],
      when: [
        { clock: e.at },
        ` local · ${formatDuration(now - e.at)} ago${e.resetsAt && e.resetsAt > now ? ` · resets in ${formatDuration(e.resetsAt - now)}` : ''}`,
      ],
      model: e.model,
      message: e.message,
    })),
  };
}

export function proxyCard(p: ProxyView | undefined): CardView {
  const title = 'Local proxy';
  if (!p) {
    return {
      id: 'proxy',
      title,
      figure: { text: 'Off', muted: true },
      lines: [
        {
          text: 'Point your tools at the local proxy to count every free request exactly, learn limits from 429s, hold requests instead of failing them, and see history.',
        },
      ],
      actions: [{ action: 'openProxySettings' }],
    };
  }
  return {
    id: 'proxy',
    title,
    facts: {
      style: 'facts',
      items: [
        { term: 'URL', detail: [{ code: p.url }] },
        { term: 'Status', detail: p.message ? `${ROLE_TEXT[p.role]}: ${p.message}` : ROLE_TEXT[p.role] },
        { term: 'Pacing', detail: PACING_TEXT[p.pacing] },
      ],
    },
    actions: [{ action: 'copyProxySettings', primary: true }],
  };
}
