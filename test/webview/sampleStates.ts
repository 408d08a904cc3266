// Sample dashboard states for the render test (test/webview/render.mjs bundles this file with esbuild).
// Built the way the extension builds them: observations → buildSnapshot → buildDashboardView, so the
// screenshots show what the real model says, not hand-written banners.
import { buildDashboardView } from '../../src/core/dashboard/view';
import type { DashboardInput, ProxyView } from '../../src/core/dashboard/input';
import type { RateLimitEvent } from '../../src/core/account/view';
import type { AccountView } from '../../src/core/account/view';
import {
  buildSnapshot,
  DEFAULT_SETTINGS,
  loadingSnapshot,
  noKeySnapshot,
  type Observation,
} from '../../src/core/quota';
import { MemoryMeter, meteredView, modelAt } from '../unit/accountSupport';
import type { KeyInfo } from '../../src/core/responses';
import { DAY, HOUR, MINUTE } from '../../src/shared/time';
import type { DashboardView, HistoryPoint } from '../../src/shared/dashboardView';
import type { FallbackStatus, ModelHealthRow } from '../../src/core/fallback/types';

/** 2026-10-01 14:07:30 UTC (16:07:30 in Berlin, where the test browser lives); the reset is 9 h 52 min away. */
export const NOW = Date.UTC(2026, 9, 1, 14, 7, 30);
const TODAY = Math.floor(NOW / DAY) * DAY;
const THIS_HOUR = Math.floor(NOW / HOUR) * HOUR;
const WINDOW = Math.floor(NOW / MINUTE) * MINUTE;

function key(over: Partial<KeyInfo> = {}): KeyInfo {
  return {
    label: 'sk-or-v1-0e6...1c96',
    limit: null,
    limitRemaining: null,
    limitReset: null,
    usage: 0,
    usageDaily: 0,
    isFreeTier: true,
    isManagementKey: false,
    freeDaily: { used: 12, limit: 50, remaining: 38 },
    ...over,
  };
}

function obs(used: number, limit: number, over: Partial<Observation> = {}): Observation {
  return {
    fetchedAt: NOW - 20_000,
    key: key({ freeDaily: { used, limit, remaining: Math.max(0, limit - used) } }),
    balance: { kind: 'known', credits: { totalCredits: 5, totalUsage: 1.37 } },
    creditsCheckedAt: NOW - 20_000,
    ...over,
  };
}

/** What the proxy counted today and in this minute (all of it already in OpenRouter's count), and its queue. */
function local(dayUsed: number, _dayLimit: number, minuteUsed: number, waiting = 0) {
  return { dayUsed, minuteUsed, waiting };
}

/**
 * A tool that bypasses the proxy: 10 requests through the proxy earlier today and 3 this minute, while
 * OpenRouter's count went from 20 to 35 between the last two polls: 12 of those went elsewhere.
 */
function bypassedView(): { obs: Observation; view: AccountView } {
  const clock = { t: NOW };
  const model = modelAt(clock);
  const meter = new MemoryMeter();
  for (let i = 0; i < 10; i++) meter.record(TODAY + 9 * HOUR + i * MINUTE);
  for (let i = 0; i < 3; i++) meter.record(WINDOW + i);
  model.attachMeter(meter);
  const current = obs(35, 50, { previous: { used: 20, at: NOW - 80_000 } });
  model.observe(current);
  return { obs: current, view: model.view(NOW) };
}
const bypassed = bypassedView();

/** 24 hourly buckets ending with the current hour; `recent` are the counts of the last hours, newest last. */
function hourly(recent: number[], earlier = [0, 0, 0, 1, 0, 2, 3, 1, 0, 0, 0, 0, 0, 0, 0, 0, 1, 2, 0]): HistoryPoint[] {
  const counts = [...earlier, ...recent].slice(-24);
  while (counts.length < 24) counts.unshift(0);
  return counts.map((count, i) => ({ start: THIS_HOUR - (23 - i) * HOUR, count }));
}

function daily(today: number, limit: number): HistoryPoint[] {
  // A plausible month: quiet weekends, a few busy days, one day at the limit.
  const pattern = [
    8, 14, 22, 0, 0, 31, 18, 9, 27, 44, 0, 3, 12, 50, 36, 21, 0, 0, 17, 29, 33, 26, 12, 0, 5, 19, 41, 38, 24,
  ];
  return [...pattern.map((c) => Math.min(c, limit)), today].map((count, i) => ({
    start: TODAY - (29 - i) * DAY,
    count,
  }));
}

const MODELS = {
  'deepseek/deepseek-chat-v3.1:free': 6,
  'meta-llama/llama-3.3-70b-instruct:free': 4,
  'qwen/qwen3-coder:free': 2,
};

const PROXY: ProxyView = { url: 'http://127.0.0.1:18789/api/v1', role: 'host', pacing: 'queue' };

const OLD_EVENTS: RateLimitEvent[] = [
  {
    kind: 'upstream',
    at: NOW - 2 * HOUR - 14 * MINUTE,
    message: 'qwen/qwen3-coder:free is temporarily rate-limited upstream. Please retry shortly.',
    model: 'qwen/qwen3-coder:free',
  },
  {
    kind: 'per-minute',
    at: NOW - 26 * HOUR,
    resetsAt: NOW - 26 * HOUR + 40_000,
    message: 'Rate limit exceeded: free-models-per-min.',
    model: 'deepseek/deepseek-chat-v3.1:free',
  },
];

/** The meter's last hour of free models (GET /quota/history `health`), as the proxy ranks them. */
const HEALTH: ModelHealthRow[] = [
  health('deepseek/deepseek-chat-v3.1:free', 'DeepSeek: DeepSeek V3.1 (free)', 14, 13, 0.91, {
    medianTtftMs: 850,
    contextLength: 163_840,
    tools: true,
  }),
  health('meta-llama/llama-3.3-70b-instruct:free', 'Meta: Llama 3.3 70B Instruct (free)', 9, 7, 0.66, {
    upstream429: 2,
    medianTtftMs: 1_240,
    contextLength: 131_072,
    tools: true,
  }),
  health('qwen/qwen3-coder:free', 'Qwen: Qwen3 Coder 480B A35B (free)', 6, 1, 0.18, {
    upstream429: 4,
    capacity: 1,
    medianTtftMs: 2_900,
    contextLength: 262_144,
  }),
  health('google/gemma-3-27b-it:free', 'Google: Gemma 3 27B (free)', 0, 0, 0.5, {
    contextLength: 96_000,
    imageInput: true,
  }),
];

function health(
  id: string,
  name: string,
  requests: number,
  successes: number,
  score: number,
  over: Partial<ModelHealthRow> = {},
): ModelHealthRow {
  return {
    id,
    name,
    requests,
    successes,
    upstream429: 0,
    capacity: 0,
    ended: 0,
    medianTtftMs: null,
    contextLength: null,
    tools: false,
    imageInput: false,
    score,
    lastTroubleAt: null,
    ...over,
  };
}

/** Today's fallbacks while qwen3-coder's provider was rate-limited, newest first. */
const FALLBACK: FallbackStatus = {
  enabled: true,
  recent: [
    {
      at: NOW - 2 * MINUTE,
      from: 'qwen/qwen3-coder:free',
      to: 'deepseek/deepseek-chat-v3.1:free',
      reason: 'upstream-rate-limited',
      paid: false,
      status: 200,
    },
    {
      at: NOW - 6 * MINUTE,
      from: 'qwen/qwen3-coder:free',
      to: 'meta-llama/llama-3.3-70b-instruct:free',
      reason: 'capacity',
      paid: false,
      status: 200,
    },
  ],
  paid: null,
};

function state(over: Partial<DashboardInput> & Pick<DashboardInput, 'snapshot'>): DashboardView {
  return buildDashboardView({ events: [], now: NOW, ...over });
}

const snap = (o: Observation | undefined, l?: ReturnType<typeof local>) =>
  buildSnapshot(o, undefined, DEFAULT_SETTINGS, NOW, o && l ? meteredView(o, NOW, l) : undefined);

export const samples: Record<string, DashboardView> = {
  loading: state({ snapshot: loadingSnapshot(NOW), proxy: PROXY }),

  normal: state({
    snapshot: snap(
      obs(12, 50, {
        key: key({
          freeDaily: { used: 12, limit: 50, remaining: 38 },
          limit: 10,
          limitRemaining: 4.2,
          limitReset: 'monthly',
        }),
      }),
      local(12, 50, 3),
    ),
    history: {
      hourly: hourly([3, 4, 2]),
      daily: daily(12, 50),
      models: MODELS,
      clients: { Cline: 7, 'VS Code chat / LM API': 4, aider: 1 },
    },
    proxy: PROXY,
    events: OLD_EVENTS,
    freeModels: { rows: HEALTH, source: 'meter' },
  }),

  warning: state({
    snapshot: snap(obs(41, 50), local(41, 50, 5)),
    history: {
      hourly: hourly([9, 12, 6]),
      daily: daily(41, 50),
      models: { ...MODELS, 'deepseek/deepseek-chat-v3.1:free': 25 },
    },
    proxy: PROXY,
    events: OLD_EVENTS,
  }),

  'minute-full': state({
    snapshot: snap(obs(30, 50), local(30, 50, 20, 3)),
    history: { hourly: hourly([4, 6, 20]), daily: daily(30, 50), models: MODELS },
    proxy: PROXY,
    events: [
      {
        kind: 'per-minute',
        at: NOW - 5_000,
        resetsAt: WINDOW + MINUTE,
        message: 'Rate limit exceeded: free-models-per-min.',
        model: 'deepseek/deepseek-chat-v3.1:free',
      },
      ...OLD_EVENTS,
    ],
  }),

  limit: state({
    snapshot: snap(obs(50, 50), local(50, 50, 2)),
    history: {
      hourly: hourly([14, 16, 9]),
      daily: daily(50, 50),
      models: { 'deepseek/deepseek-chat-v3.1:free': 38, 'meta-llama/llama-3.3-70b-instruct:free': 12 },
    },
    proxy: PROXY,
    events: [
      {
        kind: 'per-day',
        at: NOW - 4 * MINUTE,
        resetsAt: TODAY + DAY,
        message: 'Rate limit exceeded: free-models-per-day. Add 10 credits to unlock 1000 free model requests per day',
        model: 'deepseek/deepseek-chat-v3.1:free',
      },
      ...OLD_EVENTS,
    ],
  }),

  'no-key': state({ snapshot: noKeySnapshot(NOW), proxy: PROXY }),

  bypassed: state({
    // A tool talks to OpenRouter directly: the minute is the proxy's exact count plus an estimate of the rest.
    snapshot: buildSnapshot(bypassed.obs, undefined, DEFAULT_SETTINGS, NOW, bypassed.view),
    history: { hourly: hourly([4, 6, 3]), daily: daily(13, 50), models: MODELS },
    proxy: PROXY,
  }),

  'balance-unavailable': state({
    snapshot: snap(obs(12, 50, { balance: { kind: 'unavailable', reason: 'needs-management-key' } }), local(12, 50, 1)),
    history: { hourly: hourly([1, 2, 1]), daily: daily(12, 50), models: MODELS },
    proxy: PROXY,
  }),

  'proxy-off': state({
    // Funded account, no proxy: the minute is an estimate from two polls, and there is no history.
    snapshot: snap(
      obs(212, 1000, {
        previous: { used: 209, at: NOW - 80_000 },
        balance: { kind: 'known', credits: { totalCredits: 25, totalUsage: 3.18 } },
      }),
    ),
  }),

  upstream: state({
    snapshot: { ...snap(obs(18, 50), local(18, 50, 4)), fallback: FALLBACK },
    freeModels: { rows: HEALTH, source: 'meter' },
    history: { hourly: hourly([5, 7, 4]), daily: daily(18, 50), models: MODELS },
    proxy: { ...PROXY, pacing: 'reject' },
    events: [
      {
        kind: 'upstream',
        at: NOW - 2 * MINUTE,
        message: 'qwen/qwen3-coder:free is temporarily rate-limited upstream. Please retry shortly.',
        model: 'qwen/qwen3-coder:free',
      },
      {
        kind: 'upstream',
        at: NOW - 6 * MINUTE,
        message: 'Provider returned error (429).',
        model: 'qwen/qwen3-coder:free',
      },
      ...OLD_EVENTS,
    ],
  }),

  'negative-balance': state({
    snapshot: snap(
      obs(7, 1000, { balance: { kind: 'known', credits: { totalCredits: 10, totalUsage: 10.42 } } }),
      local(7, 1000, 0),
    ),
    history: { hourly: hourly([2, 1, 0]), daily: daily(7, 1000), models: MODELS },
    proxy: { ...PROXY, role: 'reader' },
  }),
};
