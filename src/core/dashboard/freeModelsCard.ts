// The dashboard's Free models card (each free model's last hour through the proxy, healthiest first, with
// buttons to copy an id or make it a fallback) and its Fallbacks today card (what the fallback did).
import type { CardView, FallbackEventView, ModelButtonView, ModelRowView } from '../../shared/dashboardView';
import { formatDuration } from '../../shared/time';
import type { FallbackStatus, ModelHealthRow } from '../fallback/types';
import { type FreeModelsSource, healthLevel } from '../freeModels';
import type { ProxyView } from './input';
import {
  FALLBACK_REASON_LABEL,
  FREE_MODELS_TEXT as T,
  MODEL_HEALTH_LABEL,
  modelRequestsText,
  modelTroubleText,
  modelBadges,
  modelCardDetail,
  paidFallbackText,
} from '../quotaText';
import { MODEL_ACTION_LABEL } from '../../shared/actions';

/** Rows listed; the rest are one line pointing at the Free Models command. */
export const MAX_MODEL_ROWS = 10;
/** How many models "Set Top N as Fallback List" sets. */
export const TOP_FALLBACKS = 3;
/** Fallbacks listed (the meter keeps MAX_FALLBACK_EVENTS). */
const MAX_FALLBACK_ROWS = 10;

export interface FreeModelsInput {
  rows: ModelHealthRow[];
  source: FreeModelsSource;
}

function modelRow(r: ModelHealthRow): ModelRowView {
  const health = healthLevel(r);
  return {
    id: r.id,
    name: r.name,
    health,
    healthLabel: MODEL_HEALTH_LABEL[health],
    requests: modelRequestsText(r),
    trouble: modelTroubleText(r),
    detail: modelCardDetail(r),
    badges: modelBadges(r),
    actions: [
      { action: 'copyModelId', ids: [r.id], label: MODEL_ACTION_LABEL.copyModelId, ariaLabel: T.copyAria(r.id) },
      {
        action: 'addFallbackModel',
        ids: [r.id],
        label: MODEL_ACTION_LABEL.addFallbackModel,
        ariaLabel: T.addAria(r.id),
      },
    ],
  };
}

/** The models "Set Top N" sets: the first listed, skipping ones that struggled this hour. */
export function topFallbackIds(rows: readonly ModelHealthRow[], n = TOP_FALLBACKS): string[] {
  return rows
    .filter((r) => healthLevel(r) !== 'poor')
    .slice(0, n)
    .map((r) => r.id);
}

/** `proxy`: whether a local proxy runs for the account (it measures health once requests go through it). */
export function freeModelsCard(input: FreeModelsInput | undefined, proxy: ProxyView | undefined): CardView {
  const card: CardView = { id: 'free-models', title: T.title };
  const rows = input?.rows ?? [];
  if (rows.length === 0) return { ...card, lines: [{ text: T.none, tone: 'muted' }] };
  const shown = rows.slice(0, MAX_MODEL_ROWS);
  const top = topFallbackIds(rows);
  const setTop: ModelButtonView[] = top.length
    ? [{ action: 'setFallbackModels', ids: top, label: T.setTop(top.length), primary: true }]
    : [];
  const meter = input?.source === 'meter';
  const lines: CardView['lines'] = [];
  const proxyRuns = proxy?.role === 'host' || proxy?.role === 'reader';
  if (!meter && !proxyRuns) lines.push({ text: T.catalogOnly, tone: 'muted' });
  else if (!rows.some((r) => r.requests > 0)) lines.push({ text: T.untried, tone: 'muted' });
  return {
    ...card,
    lines,
    models: { label: T.label, rows: shown.map(modelRow) },
    ...(rows.length > shown.length ? { note: T.more(rows.length - shown.length) } : meter ? { note: T.meterNote } : {}),
    modelActions: setTop,
  };
}

function fallbackItem(e: FallbackStatus['recent'][number], now: number): FallbackEventView {
  return {
    when: [{ clock: e.at }, ` local · ${formatDuration(Math.max(0, now - e.at))} ago`],
    from: e.from,
    to: e.to,
    reason: FALLBACK_REASON_LABEL[e.reason],
    ...(e.paid ? { badge: T.paidBadge } : {}),
  };
}

/** Today's fallbacks, newest first; while the fallback is off and did nothing, the offer to turn it on. */
export function fallbacksCard(status: FallbackStatus | undefined, proxy: ProxyView | undefined, now: number): CardView {
  const card: CardView = { id: 'fallbacks', title: T.fallbacksTitle };
  const recent = status?.recent ?? [];
  if (!proxy && recent.length === 0)
    return {
      ...card,
      lines: [{ text: T.fallbacksNeedProxy, tone: 'muted' }],
      actions: [{ action: 'openProxySettings' }],
    };
  const paid = status?.paid ? [{ text: paidFallbackText(status.paid) }] : [];
  if (recent.length === 0) {
    if (!status?.enabled && !status?.paid)
      return { ...card, lines: [{ text: T.fallbacksOff, tone: 'muted' }], actions: [{ action: 'enableFallback' }] };
    return { ...card, lines: [...paid, { text: T.fallbacksNone, tone: 'muted' }] };
  }
  return {
    ...card,
    lines: paid,
    fallbacks: { label: T.fallbacksLabel, items: recent.slice(0, MAX_FALLBACK_ROWS).map((e) => fallbackItem(e, now)) },
  };
}
