// Notifications before limits, as pure rules: given each new QuotaSnapshot, what (if anything) to tell the
// user. No vscode, no I/O, no clock: `decide(snapshot, memory, settings, now)` returns the alerts to show and
// the next memory (a small JSON-serialisable object the adapter keeps per window). Across windows, each alert
// carries a claim (alertClaims.ts) so that exactly one window shows it.
//
// The rules:
// - Daily limit: one alert per level (warning, critical, reached) per UTC day. A higher level seen first
//   suppresses the lower ones that day. The level is the snapshot's (the account model judged it with the
//   warning/critical thresholds; reached is used ≥ limit).
// - Minute limit: when the proxy starts holding requests (waiting 0 → >0), a new per-minute 429 is seen, or
//   the minute reaches the warning level with requests bypassing the proxy (an estimate, worded as one), at
//   most once every 10 minutes.
// - Key rejected (401): once per rejection (the error's time, shared by every window, fingerprints it).
// - Negative balance (402 risk): once per UTC day while it lasts.
// - Upstream-provider 429 streak: 3 or more within 10 minutes, once per streak (a streak ends after 10 quiet
//   minutes). While the free fallback is off it offers Turn On Fallback (once).
// - Paid fallback started / budget spent: once per UTC day each (alertsFallback.ts).
// - `level`: all | limits (daily and minute only) | off. Mute for today: nothing but the key-rejected alert
//   until the next 00:00 UTC. An alert held back by the level or the mute is not shown later either: the
//   memory records it as handled (only the minute cooldown starts solely when an alert is really shown).
import { usd } from '../shared/money';
import type { UserAction } from '../shared/actions';
import { LEVEL_RANK } from './account/limits';
import { offersFallback, paidFallbackAlerts } from './alertsFallback';
import { balanceOf, type QuotaSnapshot } from './quota';
import { FALLBACK_OFFER_TEXT, minuteIsSplit, NEGATIVE_BALANCE_TEXT, UNLOCK_SENTENCE } from './quotaText';
import { formatClock, formatDuration, MINUTE, nextUtcMidnight, utcDate } from '../shared/time';

export type NotificationLevel = 'all' | 'limits' | 'off';
const NOTIFICATION_LEVELS: readonly NotificationLevel[] = ['all', 'limits', 'off'];

/** The setting's value, or `all` for anything unexpected. */
export function notificationLevel(v: unknown): NotificationLevel {
  return NOTIFICATION_LEVELS.includes(v as NotificationLevel) ? (v as NotificationLevel) : 'all';
}

/** The levels themselves come judged with the user's thresholds in the snapshot (account/limits.ts levelOf). */
export interface AlertSettings {
  level: NotificationLevel;
  /** While "Mute for today" holds: when it ends (the next 00:00 UTC). */
  mutedUntil?: number;
  /** Time zone of the "local" reset time; the machine's when undefined. */
  timeZone?: string;
  /** openrouterQuota.fallback.enabled in this window: then the upstream streak offers no Turn On Fallback. */
  fallbackEnabled?: boolean;
}

/** At most one minute-limit alert this often. */
const MINUTE_ALERT_COOLDOWN_MS = 10 * MINUTE;
/** A per-minute 429 older than this when first seen is history, not news (a window opened later). */
export const RECENT_429_MS = 2 * MINUTE;
/** An upstream streak: STREAK_COUNT upstream 429s within STREAK_WINDOW_MS. */
const STREAK_WINDOW_MS = 10 * MINUTE;
const STREAK_COUNT = 3;
const MAX_HISTORY = 20;

export type AlertKind =
  | 'daily-warning'
  | 'daily-critical'
  | 'daily-reached'
  | 'minute'
  | 'key-rejected'
  | 'negative-balance'
  | 'upstream-streak'
  | 'paid-fallback-started'
  | 'paid-fallback-spent';

/** How windows agree on who shows an alert (see AlertClaims.tryClaim). */
export interface AlertClaim {
  /** File name of the claim; with `everyMs`, the group whose period buckets are claimed (`<key>@<bucket>`). */
  key: string;
  /** At most one claim of this group per `everyMs`, across windows. */
  everyMs?: number;
  /** Not shown if any of these was already claimed (a higher daily level). */
  supersededBy?: string[];
}

export interface Alert {
  kind: AlertKind;
  /** warning: showWarningMessage; info: showInformationMessage. */
  severity: 'warning' | 'info';
  message: string;
  actions: UserAction[];
  claim: AlertClaim;
}

/** What one window remembers between snapshots. Plain JSON. */
export interface AlertMemory {
  v: 1;
  /** UTC date (YYYY-MM-DD) that `dailyRank` belongs to. */
  day: string;
  /** Highest daily level already handled on `day`: 0 none, 1 warning, 2 critical, 3 reached. */
  dailyRank: number;
  /** proxy.waiting in the last snapshot. */
  waiting: number;
  /** `at` of the last per-minute 429 considered. */
  perMinute429At?: number;
  /** When the last minute-limit alert was emitted. */
  minuteAlertAt?: number;
  /** `at` of the upstream 429s of the last STREAK_WINDOW_MS, oldest first. */
  upstream429s: number[];
  /** The current streak was already handled. */
  upstreamStreak: boolean;
  /** error.at of the 401 already handled. */
  authAt?: number;
  /** UTC date the negative balance was last handled. */
  balanceDay?: string;
  /** UTC date the paid fallback's start was handled. */
  paidStartedDay?: string;
  /** UTC date its spent budget was handled. */
  paidSpentDay?: string;
  /** Turn On Fallback was offered (it is offered once). */
  fallbackOffered?: boolean;
}

export interface Decision {
  show: Alert[];
  memory: AlertMemory;
}

export function emptyMemory(): AlertMemory {
  return { v: 1, day: '', dailyRank: 0, waiting: 0, upstream429s: [], upstreamStreak: false };
}

const isNum = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v);

/** A memory read back from storage, checked field by field; anything unreadable starts fresh. */
export function normalizeMemory(raw: unknown): AlertMemory {
  const m = emptyMemory();
  if (typeof raw !== 'object' || raw === null || (raw as { v?: unknown }).v !== 1) return m;
  const r = raw as Record<string, unknown>;
  if (typeof r.day === 'string') m.day = r.day;
  if (isNum(r.dailyRank) && r.dailyRank >= 0 && r.dailyRank <= 3) m.dailyRank = Math.floor(r.dailyRank);
  if (isNum(r.waiting) && r.waiting >= 0) m.waiting = r.waiting;
  if (isNum(r.perMinute429At)) m.perMinute429At = r.perMinute429At;
  if (isNum(r.minuteAlertAt)) m.minuteAlertAt = r.minuteAlertAt;
  if (Array.isArray(r.upstream429s)) m.upstream429s = r.upstream429s.filter(isNum).slice(-MAX_HISTORY);
  if (typeof r.upstreamStreak === 'boolean') m.upstreamStreak = r.upstreamStreak;
  if (isNum(r.authAt)) m.authAt = r.authAt;
  if (typeof r.balanceDay === 'string') m.balanceDay = r.balanceDay;
  if (typeof r.paidStartedDay === 'string') m.paidStartedDay = r.paidStartedDay;
  if (typeof r.paidSpentDay === 'string') m.paidSpentDay = r.paidSpentDay;
  if (r.fallbackOffered === true) m.fallbackOffered = true;
  return m;
}

export type DailyLevel = 'warning' | 'critical' | 'reached';
const DAILY: { rank: number; kind: AlertKind; name: DailyLevel }[] = [
  { rank: 1, kind: 'daily-warning', name: 'warning' },
  { rank: 2, kind: 'daily-critical', name: 'critical' },
  { rank: 3, kind: 'daily-reached', name: 'reached' },
];

const dailyClaimKey = (date: string, level: DailyLevel): string => `daily-${date}-${level}`;

/** The daily level of a snapshot for the UTC day of `now` (judged by the account model): 0 below warning or unknown, 1..3 as DAILY. */
export function dailyRank(s: QuotaSnapshot, now: number): number {
  const d = s.day;
  if (!d || d.used === null || d.limit === null || d.limit <= 0) return 0;
  // A snapshot built for another UTC day says nothing about today.
  if (d.resetsAt !== nextUtcMidnight(now)) return 0;
  return LEVEL_RANK[d.level];
}

function allowed(kind: AlertKind, settings: AlertSettings, now: number): boolean {
  if (settings.level === 'off') return false;
  // A rejected key is the one thing that stops everything: 'limits' keeps it, only 'off' silences it.
  if (settings.level === 'limits' && !(kind.startsWith('daily-') || kind === 'minute' || kind === 'key-rejected'))
    return false;
  const muted = settings.mutedUntil !== undefined && now < settings.mutedUntil;
  return !muted || kind === 'key-rejected';
}

function resetText(resetsAt: number, now: number, timeZone: string | undefined): string {
  return `${formatDuration(resetsAt - now)} (${formatClock(resetsAt, timeZone)} local)`;
}

function dailyAlert(s: QuotaSnapshot, rank: number, date: string, settings: AlertSettings, now: number): Alert {
  const d = s.day!;
  const used = d.used!;
  const limit = d.limit!;
  const level = DAILY[rank - 1];
  const reset = resetText(d.resetsAt, now, settings.timeZone);
  const unlock = d.tier === 'base' ? ` ${UNLOCK_SENTENCE}` : '';
  let message: string;
  if (rank === 3) {
    message = `OpenRouter: daily free limit reached: ${used} of ${limit} free requests used today. Free models answer 429 until the reset in ${reset}.${unlock}`;
  } else if (rank === 2) {
    message = `OpenRouter: ${used} of ${limit} free requests used today, ${Math.max(0, limit - used)} left. Resets in ${reset}.${unlock}`;
  } else {
    message = `OpenRouter: ${used} of ${limit} free requests used today. Resets in ${reset}.`;
  }
  return {
    kind: level.kind,
    severity: rank === 1 ? 'info' : 'warning',
    message,
    actions: ['openDashboard', 'addCredits', 'muteToday'],
    claim: {
      key: dailyClaimKey(date, level.name),
      supersededBy: DAILY.filter((l) => l.rank > rank).map((l) => dailyClaimKey(date, l.name)),
    },
  };
}

function minuteAlert(s: QuotaSnapshot, trigger: 'queue' | '429' | 'estimate', now: number): Alert {
  const m = s.minute;
  const r = s.proxy?.lastRateLimit;
  const resetsAt = trigger === '429' && r?.resetsAt && r.resetsAt > now ? r.resetsAt : m?.resetsAt;
  const inText =
    resetsAt !== undefined && resetsAt > now ? ` The window resets in ${formatDuration(resetsAt - now)}.` : '';
  const figure = m && m.used !== null ? ` (${m.used} of ${m.limit} this minute)` : m ? ` (${m.limit} a minute)` : '';
  const waiting = s.proxy?.waiting ?? 0;
  const message =
    trigger === 'estimate' && m
      ? `OpenRouter: about ${m.used} of ${m.limit} free requests this minute (an estimate: ${m.proxied} through the local proxy, ~${m.outside} elsewhere, from OpenRouter's count). Requests that bypass the proxy are not held: the next one may fail with 429.${inText}`
      : trigger === 'queue'
        ? `OpenRouter: the per-minute limit for free models is reached${figure}; the local proxy is holding ${waiting} request${waiting === 1 ? '' : 's'} until the next minute.${inText}`
        : `OpenRouter answered 429: the per-minute limit for free models is reached${figure}.${inText}`;
  return {
    kind: 'minute',
    severity: 'info',
    message,
    actions:
      trigger === 'estimate' ? ['copyProxySettings', 'openDashboard', 'muteToday'] : ['openDashboard', 'muteToday'],
    claim: { key: 'minute', everyMs: MINUTE_ALERT_COOLDOWN_MS },
  };
}

/** Decide what this snapshot should tell the user. Pure: the input memory is not modified. */
export function decide(s: QuotaSnapshot, memory: AlertMemory, settings: AlertSettings, now: number): Decision {
  const today = utcDate(now);
  const m: AlertMemory = { ...normalizeMemory(memory) };
  if (m.day !== today) {
    m.day = today;
    m.dailyRank = 0;
  }
  const show: Alert[] = [];
  const add = (a: Alert) => {
    if (allowed(a.kind, settings, now)) show.push(a);
  };

  // Key rejected: the poller stops after a 401, and every window adopts the same shared error, so its time
  // identifies the rejection; a new key (or a refresh the user asked for) is a new one.
  if (s.error?.reason === 'auth' && m.authAt !== s.error.at) {
    m.authAt = s.error.at;
    add({
      kind: 'key-rejected',
      severity: 'warning',
      message: 'OpenRouter did not accept the stored API key (401), so the quota cannot be read. Set a new key.',
      actions: ['setApiKey'],
      claim: { key: `key-rejected-${s.error.at}` },
    });
  }

  const balance = balanceOf(s.balance);
  if (balance !== undefined && balance < 0 && m.balanceDay !== today) {
    m.balanceDay = today;
    add({
      kind: 'negative-balance',
      severity: 'warning',
      message: `OpenRouter: your account balance is ${usd(balance)}. While it is negative, ${NEGATIVE_BALANCE_TEXT}.`,
      actions: ['addCredits', 'openDashboard', 'muteToday'],
      claim: { key: `negative-balance-${today}` },
    });
  }

  const rank = dailyRank(s, now);
  if (rank > m.dailyRank) {
    add(dailyAlert(s, rank, today, settings, now));
    m.dailyRank = rank;
  }

  const waiting = s.proxy?.waiting ?? 0;
  const r = s.proxy?.lastRateLimit;
  let trigger: 'queue' | '429' | 'estimate' | undefined;
  if (waiting > 0 && m.waiting === 0) trigger = 'queue';
  if (r?.kind === 'per-minute' && r.at !== m.perMinute429At) {
    m.perMinute429At = r.at;
    if (now - r.at <= RECENT_429_MS) trigger ??= '429';
  }
  // Requests bypassing the proxy bring this minute near its limit: the proxy cannot hold those.
  if (s.minute && minuteIsSplit(s.minute) && (s.minute.outside ?? 0) > 0 && s.minute.level !== 'none')
    trigger ??= 'estimate';
  m.waiting = waiting;
  const cooled =
    m.minuteAlertAt === undefined || now - m.minuteAlertAt >= MINUTE_ALERT_COOLDOWN_MS || now < m.minuteAlertAt;
  if (trigger && cooled && allowed('minute', settings, now)) {
    show.push(minuteAlert(s, trigger, now));
    m.minuteAlertAt = now;
  }

  // The snapshot carries only the last 429, so the streak is built from the distinct `at`s seen.
  // A streak ends after STREAK_WINDOW_MS without an upstream 429.
  const history = m.upstream429s.filter((t) => now - t < STREAK_WINDOW_MS);
  if (history.length === 0) m.upstreamStreak = false;
  if (r?.kind === 'upstream' && now - r.at < STREAK_WINDOW_MS && !history.includes(r.at)) history.push(r.at);
  m.upstream429s = history.sort((a, b) => a - b).slice(-MAX_HISTORY);
  if (!m.upstreamStreak && m.upstream429s.length >= STREAK_COUNT) {
    m.upstreamStreak = true;
    const offer = offersFallback(s, m, settings.fallbackEnabled);
    // Offered once when really shown: a streak held back by the level or the mute keeps the offer for later.
    if (offer && allowed('upstream-streak', settings, now)) m.fallbackOffered = true;
    add({
      kind: 'upstream-streak',
      severity: 'info',
      message:
        `OpenRouter: ${m.upstream429s.length} requests in the last ${STREAK_WINDOW_MS / MINUTE} min were refused with 429 by the upstream provider, not by your quota. That free model is busy right now: try another free model (or its paid variant).` +
        (offer ? ` ${FALLBACK_OFFER_TEXT}` : ''),
      actions: offer ? ['enableFallback', 'openDashboard', 'muteToday'] : ['openDashboard', 'muteToday'],
      claim: { key: 'upstream-streak', everyMs: STREAK_WINDOW_MS },
    });
  }

  for (const a of paidFallbackAlerts(s, m, today)) add(a);

  return { show, memory: m };
}
