// The fallback's notifications, rules beside alerts.ts (which calls them with the same memory and claims):
// - Paid fallback started: once per UTC day, when the host reports it active (free-model requests now cost).
// - Paid fallback budget spent: once per UTC day, when the host reports it exhausted. Seen first, it stands
//   for the start too (telling "started" after "spent" would be news from the past).
// - The offer to turn the free fallback on, with the upstream-429 streak: once (per window memory), and only
//   while it is off both in this window's settings and at the host (the CLI may run it with --fallback).
import type { Alert, AlertMemory } from './alerts';
import type { QuotaSnapshot } from './quota';
import { paidFallbackSpentText, paidFallbackStartedText } from './quotaText';

const startedKey = (today: string) => `paid-fallback-started-${today}`;
const spentKey = (today: string) => `paid-fallback-spent-${today}`;

/** The paid fallback's alerts due for this snapshot; records them as handled in `m` (which it updates). */
export function paidFallbackAlerts(s: QuotaSnapshot, m: AlertMemory, today: string): Alert[] {
  const p = s.fallback?.paid;
  if (!p) return [];
  const show: Alert[] = [];
  if (p.exhausted && m.paidSpentDay !== today) {
    m.paidSpentDay = today;
    m.paidStartedDay = today;
    show.push({
      kind: 'paid-fallback-spent',
      severity: 'warning',
      message: `OpenRouter: ${paidFallbackSpentText(p)}`,
      actions: ['openDashboard', 'openSettings', 'muteToday'],
      claim: { key: spentKey(today) },
    });
  } else if (p.active && !p.exhausted && m.paidStartedDay !== today) {
    m.paidStartedDay = today;
    show.push({
      kind: 'paid-fallback-started',
      severity: 'info',
      message: `OpenRouter: ${paidFallbackStartedText(p)}`,
      actions: ['openDashboard', 'openSettings', 'muteToday'],
      // Another window that already told the budget is spent has told the start as well.
      claim: { key: startedKey(today), supersededBy: [spentKey(today)] },
    });
  }
  return show;
}

/** Whether the upstream-429 streak's notification offers Turn On Fallback. */
export function offersFallback(s: QuotaSnapshot, m: AlertMemory, fallbackEnabled: boolean | undefined): boolean {
  return !m.fallbackOffered && fallbackEnabled !== true && s.fallback?.enabled !== true;
}
