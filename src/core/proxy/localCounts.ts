// The proxy's GET /quota answer, as the LocalCounts the quota model takes.
import type { LocalCounts } from '../quota';
import type { ProxyQuotaStatus } from './meter';

export function toLocalCounts(s: ProxyQuotaStatus, at: number): LocalCounts {
  const r = s.lastRateLimit;
  return {
    at,
    windowStart: Date.parse(s.minute.windowStart),
    minuteUsed: s.minute.used,
    minuteLimit: s.minute.limit,
    minuteLimitLearned: s.minute.limitSource === 'learned',
    dayUsed: s.day.used,
    dayLimit: s.day.limit,
    waiting: s.queue.waiting,
    lastRateLimit: r ? { kind: r.kind, at: Date.parse(r.at), resetsAt: r.resetsAt ? Date.parse(r.resetsAt) : undefined, message: r.message } : undefined,
  };
}
