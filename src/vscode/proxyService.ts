// Runs the local metering proxy for this window, or reads the one another window hosts (core's
// ProxyCoordinator decides). Owns the local client token (SecretStorage, generated once, rotatable), feeds
// the proxy the server's daily count from each poll, and turns the proxy's counts into LocalCounts for the
// snapshot.
import * as path from 'node:path';
import * as vscode from 'vscode';
import { systemClock } from '../core/clock';
import type { Logger } from '../core/logger';
import { FreeModelCatalog } from '../core/modelCatalog';
import { OpenRouterClient } from '../core/openRouterClient';
import type { LocalCounts } from '../core/quota';
import { fetchHistory, ProxyCoordinator, ProxyRole } from '../core/proxy/coordinator';
import { generateToken } from '../core/proxy/guard';
import { Ledger } from '../core/proxy/ledger';
import { toLocalCounts } from '../core/proxy/localCounts';
import { Meter, ProxyHistory, ProxyQuotaStatus, ServerDay } from '../core/proxy/meter';
import type { PacingMode } from '../core/proxy/pacer';
import { MeteringProxy } from '../core/proxy/server';
import * as config from './config';

const TOKEN_KEY = 'openrouterQuota.proxyToken';
/** After requests through the proxy, re-read GET /key this long after the last one, at most this often. */
const KEY_REFRESH_DEBOUNCE_MS = 3_000;
const KEY_REFRESH_MIN_SPACING_MS = 15_000;

export class ProxyService implements vscode.Disposable {
  private coordinator?: ProxyCoordinator;
  private meter?: Meter;
  private token?: string;
  private readerStatus?: { status: ProxyQuotaStatus; at: number };
  private readonly changed = new vscode.EventEmitter<void>();
  /** Counts, queue, learned limits or role changed. */
  readonly onDidChange = this.changed.event;
  private readonly roleChanged = new vscode.EventEmitter<ProxyRole>();
  readonly onDidChangeRole = this.roleChanged.event;
  private refreshTimer?: NodeJS.Timeout;
  private lastKeyRefresh = 0;
  private serverDay?: ServerDay;
  /** What the proxy consults on every request, read from the configuration once per change, not per request. */
  private live = readLiveSettings();

  constructor(
    private readonly context: vscode.ExtensionContext,
    private readonly log: Logger,
    private readonly apiKey: () => string | undefined,
    /** Called (debounced) after requests went through, so the daily truth catches up. */
    private readonly refreshKey: () => void,
  ) {}

  get role(): ProxyRole | undefined {
    return this.coordinator?.current;
  }

  get port(): number {
    return this.coordinator?.current.port ?? config.get('proxy.port');
  }

  get baseUrl(): string {
    return `http://127.0.0.1:${this.port}/api/v1`;
  }

  /** Start (or restart) per the settings. */
  async start(): Promise<void> {
    await this.stop();
    if (!config.get('proxy.enabled')) return;
    this.token = await this.loadToken();
    const port = config.get('proxy.port');
    const dir = path.join(this.context.globalStorageUri.fsPath, 'proxy');
    this.coordinator = new ProxyCoordinator({
      port,
      clock: systemClock,
      log: this.log,
      createProxy: () => this.createProxy(port, dir),
      onRole: (r) => {
        this.log.info(`proxy: this window is ${r.role === 'host' ? 'hosting the proxy' : r.role === 'reader' ? 'reading the proxy of another window' : r.role} on port ${r.port}`);
        this.roleChanged.fire(r);
        this.changed.fire();
      },
      onStatus: (s) => {
        this.readerStatus = s ? { status: s, at: Date.now() } : undefined;
        this.changed.fire();
      },
    });
    await this.coordinator.start();
  }

  async stop(): Promise<void> {
    const c = this.coordinator;
    this.coordinator = undefined;
    this.meter = undefined;
    this.readerStatus = undefined;
    await c?.stop();
  }

  /** The local client token (creating it on first use). */
  async getToken(): Promise<string> {
    this.token ??= await this.loadToken();
    return this.token;
  }

  /** A new token: clients using the old one get 401 from now on. */
  async rotateToken(): Promise<string> {
    this.token = generateToken();
    await this.context.secrets.store(TOKEN_KEY, this.token);
    return this.token;
  }

  /** The server's daily count from the latest poll, for the proxy's best estimate. */
  setServerDay(day: ServerDay | undefined): void {
    this.serverDay = day;
    if (this.meter) this.meter.serverDay = day;
  }

  /** Exact counts from the proxy (ours or another window's), if it runs. */
  localCounts(): LocalCounts | undefined {
    const hosted = this.coordinator?.hosted;
    if (hosted && this.meter) {
      const now = Date.now();
      return toLocalCounts(hosted.status(), now);
    }
    const r = this.readerStatus;
    // A reader's copy older than a few intervals is no longer a count.
    if (r && this.coordinator?.current.role === 'reader' && Date.now() - r.at < 15_000) return toLocalCounts(r.status, r.at);
    return undefined;
  }

  /** Charts and recent 429s: from our ledger when we host, over loopback from the host otherwise. */
  async history(): Promise<ProxyHistory | undefined> {
    const role = this.coordinator?.current;
    if (this.coordinator?.hosted && this.meter) return this.meter.history(Date.now());
    if (role?.role === 'reader') return fetchHistory(role.port);
    return undefined;
  }

  /** Our settings changed: limits and pacing apply to the next request. */
  settingsChanged(): void {
    this.live = readLiveSettings();
  }

  /** VS Code's http.proxy / http.noProxy changed: the hosted proxy reaches OpenRouter the new way. */
  upstreamProxyChanged(): void {
    this.coordinator?.hosted?.setUpstreamProxy(config.proxySettings());
  }

  private createProxy(port: number, dir: string): MeteringProxy {
    const ledger = Ledger.open(dir, { log: this.log });
    const meter = new Meter(ledger, () => this.live.limits);
    meter.serverDay = this.serverDay;
    this.meter = meter;
    const catalogClient = () => new OpenRouterClient({ ...config.clientConnection(), apiKey: this.apiKey() ?? '' });
    const catalog = new FreeModelCatalog(async (signal) => {
      const c = catalogClient();
      try {
        return await c.getFreeModelIds(signal);
      } finally {
        void c.close();
      }
    });
    const proxy = new MeteringProxy({
      port,
      upstream: () => config.get('apiBaseUrl'),
      apiKey: this.apiKey,
      token: () => this.token,
      ledger,
      meter,
      catalog,
      pacing: () => this.live.pacing,
      maxWaitSeconds: () => this.live.maxWaitSeconds,
      log: this.log,
      upstreamProxy: config.proxySettings(),
      onChange: () => this.changed.fire(),
      onRequestFinished: () => this.scheduleKeyRefresh(),
    });
    return proxy;
  }

  private scheduleKeyRefresh(): void {
    clearTimeout(this.refreshTimer);
    const wait = Math.max(KEY_REFRESH_DEBOUNCE_MS, this.lastKeyRefresh + KEY_REFRESH_MIN_SPACING_MS - Date.now());
    this.refreshTimer = setTimeout(() => {
      this.lastKeyRefresh = Date.now();
      this.refreshKey();
    }, wait);
  }

  private async loadToken(): Promise<string> {
    const stored = await this.context.secrets.get(TOKEN_KEY);
    if (stored) return stored;
    const token = generateToken();
    await this.context.secrets.store(TOKEN_KEY, token);
    return token;
  }

  dispose(): void {
    clearTimeout(this.refreshTimer);
    void this.stop();
    this.changed.dispose();
    this.roleChanged.dispose();
  }
}

function readLiveSettings(): { limits: { perMinute: number; perDay: number }; pacing: PacingMode; maxWaitSeconds: number } {
  const q = config.quotaSettings();
  return { limits: { perMinute: q.perMinute, perDay: q.perDay }, pacing: config.get('proxy.pacing') as PacingMode, maxWaitSeconds: config.get('proxy.maxWaitSeconds') };
}
