// The metering proxy for the key in use, the thin adapter over core's ProxyHost: this window hosts it or
// reads the one another process hosts for the same account (the coordinator decides). Reads its settings,
// follows their changes, tells the user once when the port or the state directory is in the way, and keeps
// the token that clients send with the account's state (a token from an older version, kept in
// SecretStorage, is moved there once).
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { AccountModel } from '../core/account/model';
import { systemClock } from '../core/clock';
import { errorText, type Logger } from '../core/logger';
import { fallbackSettings } from '../core/fallback/settings';
import type { FallbackSettings } from '../core/fallback/types';
import type { ModelCatalog } from '../core/modelCatalog';
import type { ProxyRole } from '../core/proxy/coordinator';
import { ProxyHost } from '../core/proxy/host';
import type { PacingMode } from '../core/proxy/pacer';
import type { ProxyHistory } from '../core/proxy/server';
import { TOKEN_FILE } from '../core/state/tokenFile';
import * as config from './config';

/** Where versions before 0.2 kept the proxy token. */
const LEGACY_TOKEN_KEY = 'openrouterQuota.proxyToken';

export interface ProxyServiceDeps {
  context: vscode.ExtensionContext;
  log: Logger;
  key: string;
  account: AccountModel;
  /** The account's state directory. */
  stateDir: string;
  /** OpenRouter's model list (the session's, shared with the chat models). */
  catalog: ModelCatalog;
  /** Poll GET /key now (after requests went through the proxy). */
  refreshKey: () => void;
  /** Counts, queue, learned limits or the role changed. */
  onChange: () => void;
}

export class ProxyService implements vscode.Disposable {
  private host?: ProxyHost;
  private readonly roleChanged = new vscode.EventEmitter<ProxyRole>();
  readonly onDidChangeRole = this.roleChanged.event;
  /** What the proxy consults on every request, read from the configuration once per change, not per request. */
  private live = readLiveSettings();
  private starting: Promise<void> = Promise.resolve();
  private disposed = false;

  constructor(private readonly deps: ProxyServiceDeps) {}

  get role(): ProxyRole | undefined {
    return this.host?.role;
  }

  get port(): number {
    return this.host?.role.port ?? config.get('proxy.port');
  }

  get baseUrl(): string {
    return `http://127.0.0.1:${this.port}/api/v1`;
  }

  /** Start (or restart) per the settings. */
  start(): Promise<void> {
    this.starting = this.starting.then(async () => {
      await this.stopHost();
      if (this.disposed || !config.get('proxy.enabled')) return;
      const d = this.deps;
      this.host = await ProxyHost.start({
        account: d.account,
        apiKey: d.key,
        stateDir: d.stateDir,
        port: config.get('proxy.port'),
        upstream: () => config.get('apiBaseUrl'),
        clock: systemClock,
        log: d.log,
        live: () => this.live,
        catalog: d.catalog,
        upstreamProxy: config.proxySettings(),
        refreshKey: d.refreshKey,
        onRole: (r) => {
          d.log.info(`proxy: this window is ${describeRole(r)}`);
          this.roleChanged.fire(r);
        },
        onChange: d.onChange,
      });
      await this.adoptLegacyToken();
    });
    return this.starting.catch((e: unknown) => this.deps.log.error(`proxy: ${errorText(e)}`));
  }

  async stop(): Promise<void> {
    await this.starting.catch(() => undefined);
    await this.stopHost();
  }

  /** The local client token (created with the account's state on first use). */
  getToken(): string {
    if (!this.host) throw new Error('The local proxy is not running.');
    return this.host.token();
  }

  /** A new token: clients using the old one get 401 from now on. */
  rotateToken(): string {
    if (!this.host) throw new Error('The local proxy is not running.');
    return this.host.rotateToken();
  }

  /** Charts and recent 429s: from our ledger when we host, over loopback from the host otherwise. */
  history(): Promise<ProxyHistory | undefined> {
    return this.host?.history() ?? Promise.resolve(undefined);
  }

  /** Our settings changed: limits and pacing apply to the next request. */
  settingsChanged(): void {
    this.live = readLiveSettings();
  }

  /** VS Code's http.proxy / http.noProxy changed: the hosted proxy reaches OpenRouter the new way. */
  upstreamProxyChanged(): void {
    this.host?.setUpstreamProxy(config.proxySettings());
  }

  dispose(): void {
    this.disposed = true;
    void this.stop();
    this.roleChanged.dispose();
  }

  private async stopHost(): Promise<void> {
    const h = this.host;
    this.host = undefined;
    await h?.stop();
  }

  /** A token an older version kept in SecretStorage becomes the account's token, so configured clients keep working. */
  private async adoptLegacyToken(): Promise<void> {
    const secrets = this.deps.context.secrets;
    const legacy = await secrets.get(LEGACY_TOKEN_KEY);
    if (!legacy || !this.host) return;
    try {
      if (!fs.existsSync(path.join(this.deps.stateDir, TOKEN_FILE))) this.host.setToken(legacy);
      await secrets.delete(LEGACY_TOKEN_KEY);
      this.deps.log.info('proxy: the token kept by an earlier version now lives with the proxy state');
    } catch (e) {
      this.deps.log.warn(`proxy: cannot move the earlier token: ${errorText(e)}`);
    }
  }
}

function describeRole(r: ProxyRole): string {
  switch (r.role) {
    case 'host':
      return `hosting the proxy on port ${r.port}`;
    case 'reader':
      return `reading the proxy another process hosts for this key on port ${r.port}`;
    case 'blocked':
    case 'failed':
      return `without a proxy: ${r.message}`;
    default:
      return `${r.role} (port ${r.port})`;
  }
}

function readLiveSettings(): {
  pacing: PacingMode;
  maxWaitSeconds: number;
  extraPaths: readonly string[];
  fallback: FallbackSettings;
} {
  const extra = config.get('proxy.extraPaths');
  // The proxy ignores (and logs) entries that are not path prefixes; anything but a list opens nothing.
  return {
    pacing: config.get('proxy.pacing') as PacingMode,
    maxWaitSeconds: config.get('proxy.maxWaitSeconds'),
    extraPaths: Array.isArray(extra) ? extra : [],
    // The same mapping as the CLI's flags (core/fallback/settings.ts): a wrong value turns a feature off.
    fallback: fallbackSettings({
      enabled: config.get('fallback.enabled'),
      models: config.get('fallback.models'),
      paidModel: config.get('paidFallback.model'),
      paidBudgetUsd: config.get('paidFallback.dailyBudgetUsd'),
    }),
  };
}
