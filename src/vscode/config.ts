// Typed access to the extension's settings. Every setting is declared in package.json
// (contributes.configuration) with the same key and default; keep the two in step.
import * as vscode from 'vscode';
import { DEFAULT_BASE_URL, DEFAULT_PROXY_PORT } from '../core/endpoints';
import { DEFAULT_AUTH_URL } from '../core/oauth/urls';
import type { ProxySettings } from '../core/openRouterClient';
import { MIN_INTERVAL_SECONDS } from '../core/poller';
import { DEFAULT_SETTINGS, type QuotaSettings } from '../core/quota';

export const SECTION = 'openrouterQuota';

export interface Config {
  /** Base URL of the OpenRouter API (or a gateway, or a local fake in tests). */
  apiBaseUrl: string;
  /** Seconds between polls of GET /key while the window is focused (at least 30). */
  pollIntervalSeconds: number;
  /** How stale OpenRouter's count may be (seconds); proxied requests that recent never pass for traffic elsewhere. */
  serverLagSeconds: number;
  /** Fraction of a limit at which the status bar turns yellow. */
  'thresholds.warning': number;
  /** Fraction of a limit at which it turns red (also red at the limit itself). */
  'thresholds.critical': number;
  /** Per-minute limit; 0 = automatic (learned from a 429, else 20). */
  'limits.perMinute': number;
  /** Daily limit; 0 = automatic (from OpenRouter's answer). */
  'limits.perDay': number;
  /** Which side of the status bar the item sits on. */
  'statusBar.alignment': 'left' | 'right';
  /** Run the local metering proxy (one window hosts it, the others read it). */
  'proxy.enabled': boolean;
  /** Loopback port of the proxy. */
  'proxy.port': number;
  /** queue: hold free-model requests until the minute window has room; reject: answer 429 at once; off: only count. */
  'proxy.pacing': 'queue' | 'reject' | 'off';
  /** Longest a request is held in queue mode before it gets a 429. */
  'proxy.maxWaitSeconds': number;
  /** Path prefixes under /api/v1 the local token also opens (core/proxy/scope.ts), any method. */
  'proxy.extraPaths': string[];
  /** all: every notification; limits: only the daily and minute limit ones; off: none. */
  'notifications.level': 'all' | 'limits' | 'off';
  /** The consent page Sign In opens; the code is exchanged at {apiBaseUrl}/auth/keys. */
  'signIn.authUrl': string;
  /** Paid model ids offered in VS Code's chat and language-model API beside the free ones. */
  'chat.paidModels': string[];
  /** Give the integrated terminal OPENAI_BASE_URL/OPENAI_API_KEY/OPENROUTER_BASE_URL pointing at the proxy. */
  'terminal.proxyEnvironment': boolean;
  /** Retry once on another free model when a free model is rate-limited upstream, at capacity, or ended. */
  'fallback.enabled': boolean;
  /** Free model ids to try, in order; empty: chosen by health. */
  'fallback.models': string[];
  /** Paid model for free-model requests once today's are used up; empty: off. */
  'paidFallback.model': string;
  /** What the paid fallback may spend a UTC day, in USD; 0: off. */
  'paidFallback.dailyBudgetUsd': number;
}

export type ConfigKey = keyof Config;

const DEFAULTS: Config = {
  apiBaseUrl: DEFAULT_BASE_URL,
  pollIntervalSeconds: DEFAULT_SETTINGS.pollIntervalSeconds,
  serverLagSeconds: DEFAULT_SETTINGS.serverLagSeconds,
  'thresholds.warning': DEFAULT_SETTINGS.warning,
  'thresholds.critical': DEFAULT_SETTINGS.critical,
  'limits.perMinute': 0,
  'limits.perDay': 0,
  'statusBar.alignment': 'right',
  'proxy.enabled': true,
  'proxy.port': DEFAULT_PROXY_PORT,
  'proxy.pacing': 'queue',
  'proxy.maxWaitSeconds': 30,
  'proxy.extraPaths': [],
  'notifications.level': 'all',
  'signIn.authUrl': DEFAULT_AUTH_URL,
  'chat.paidModels': [],
  'terminal.proxyEnvironment': false,
  'fallback.enabled': false,
  'fallback.models': [],
  'paidFallback.model': '',
  'paidFallback.dailyBudgetUsd': 0,
};

export function get<K extends ConfigKey>(key: K): Config[K] {
  const v = vscode.workspace.getConfiguration(SECTION).get<Config[K]>(key);
  return v ?? DEFAULTS[key];
}

/** True when the event touches `key`; no event means "everything", so start-up and changes share one path. */
export function changed(e: vscode.ConfigurationChangeEvent | undefined, ...keys: ConfigKey[]): boolean {
  return !e || keys.some((k) => e.affectsConfiguration(`${SECTION}.${k}`));
}

function fraction(v: number, fallback: number): number {
  return Number.isFinite(v) && v > 0 && v <= 1 ? v : fallback;
}

function wholeOrZero(v: number): number {
  return Number.isFinite(v) && v > 0 ? Math.floor(v) : 0;
}

/** Read once per configuration change: the account model asks for every proxied request. */
let cachedQuotaSettings: QuotaSettings | undefined;

/** The quota settings (cached; Services calls settingsChanged() on every change of this section). */
export function quotaSettings(): QuotaSettings {
  return (cachedQuotaSettings ??= readQuotaSettings());
}

export function settingsChanged(): void {
  cachedQuotaSettings = undefined;
}

function readQuotaSettings(): QuotaSettings {
  const warning = fraction(get('thresholds.warning'), DEFAULT_SETTINGS.warning);
  return {
    warning,
    critical: Math.max(warning, fraction(get('thresholds.critical'), DEFAULT_SETTINGS.critical)),
    perMinute: wholeOrZero(get('limits.perMinute')),
    perDay: wholeOrZero(get('limits.perDay')),
    pollIntervalSeconds: Math.max(
      MIN_INTERVAL_SECONDS,
      Number(get('pollIntervalSeconds')) || DEFAULT_SETTINGS.pollIntervalSeconds,
    ),
    serverLagSeconds: Math.min(
      300,
      Math.max(
        0,
        Number.isFinite(Number(get('serverLagSeconds')))
          ? Number(get('serverLagSeconds'))
          : DEFAULT_SETTINGS.serverLagSeconds,
      ),
    ),
  };
}

/** Where and how an OpenRouterClient connects, per the settings (spread into its options). */
export function clientConnection(): { baseUrl: string; proxy: ProxySettings } {
  return { baseUrl: get('apiBaseUrl'), proxy: proxySettings() };
}

/** VS Code's own proxy settings, which the client honours before HTTPS_PROXY/NO_PROXY. */
export function proxySettings(): ProxySettings {
  const http = vscode.workspace.getConfiguration('http');
  const noProxy = http.get<string[]>('noProxy') ?? [];
  return { url: http.get<string>('proxy') || undefined, noProxy: noProxy.length ? noProxy.join(',') : undefined };
}

export function proxyChanged(e: vscode.ConfigurationChangeEvent): boolean {
  return e.affectsConfiguration('http.proxy') || e.affectsConfiguration('http.noProxy');
}
