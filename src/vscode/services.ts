// The composition root: builds the log, settings, key store, status bar and the per-key session (poller,
// account model, proxy), wires VS Code events to them, and owns every disposable. extension.ts only
// creates and disposes this.
import { randomUUID } from 'node:crypto';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { renderStatusBar } from '../core/format';
import { errorText } from '../core/logger';
import type { ProxyRole } from '../core/proxy/coordinator';
import { noKeySnapshot, type QuotaSnapshot } from '../core/quota';
import { defaultStateRoot } from '../core/state/stateDir';
import type { ExtensionClients } from './clientFactory';
import * as config from './config';
import { KeyStore } from './secrets';
import type { QuotaSession } from './session';
import { offerActions } from './actions';
import { ExtensionLog } from './log';
import type { ProxyService } from './proxyService';
import type { ProxyView } from '../core/dashboard/input';
import type { FreeModelsInput } from '../core/dashboard/freeModelsCard';
import { freeModelRows, parseHealthRows } from '../core/freeModels';
import type { ProxyHistory } from '../core/proxy/server';
import type { DashboardView } from '../shared/dashboardView';
import { DashboardPanel } from './dashboardPanel';
import { notificationLevel } from '../core/alerts';
import { QuotaNotifications } from './notifications';
import { StatusBarController } from './statusBar';

type Network = typeof import('./network');

/** Re-render (no network) this often, so ages, countdowns and the minute window stay true. */
const RERENDER_MS = 30_000;
/** A burst through the proxy re-renders once per this many ms, not once per request. */
const PROXY_RENDER_MS = 100;

export class Services implements vscode.Disposable {
  readonly log: ExtensionLog;
  readonly keys: KeyStore;
  readonly statusBar: StatusBarController;
  readonly dashboard: DashboardPanel;
  readonly notifications: QuotaNotifications;
  /** Where the proxy's state lives ($OPENROUTER_QUOTA_HOME, else ~/.openrouter-quota), shared with the CLI. */
  readonly stateRoot = defaultStateRoot();
  private readonly owner = randomUUID();
  private readonly version: string;
  private networkLoad?: Promise<Network>;
  private clientsMade?: ExtensionClients;
  private readonly disposables: vscode.Disposable[] = [];
  private currentSession?: QuotaSession;
  private key?: string;
  private current: QuotaSnapshot;
  private starting: Promise<void> = Promise.resolve();
  private readonly changed = new vscode.EventEmitter<QuotaSnapshot>();
  /** Fires with every snapshot the status bar renders. */
  readonly onDidChangeSnapshot = this.changed.event;
  private readonly sessionChanged = new vscode.EventEmitter<void>();
  /** Fires when the key (and with it the session: catalog, proxy) changes. */
  readonly onDidChangeSession = this.sessionChanged.event;
  private proxyRender?: NodeJS.Timeout;
  /** The last proxy problem told to the user, so each is told once. */
  private toldRole?: string;

  constructor(private readonly context: vscode.ExtensionContext) {
    this.log = new ExtensionLog(() => (this.key ? [this.key] : []));
    this.notifications = new QuotaNotifications(
      path.join(context.globalStorageUri.fsPath, 'alerts'),
      this.log,
      () => ({
        level: notificationLevel(config.get('notifications.level')),
        fallbackEnabled: config.get('fallback.enabled') === true,
      }),
      { state: context.workspaceState, isFocused: () => vscode.window.state.focused },
    );
    this.keys = new KeyStore(context.secrets);
    this.statusBar = new StatusBarController(config.get('statusBar.alignment'));
    this.version = String(context.extension.packageJSON.version);
    this.current = noKeySnapshot(Date.now());
    // Created during activation: it registers the serializer that restores the panel after a reload.
    this.dashboard = new DashboardPanel({
      extensionUri: context.extensionUri,
      log: this.log,
      getState: () => this.dashboardState(),
    });
    // Disposed in reverse: listeners first, the log last (the others may still write to it).
    this.disposables.push(
      this.log,
      { dispose: () => this.clientsMade?.dispose() },
      this.changed,
      this.sessionChanged,
      this.keys,
      this.statusBar,
      this.dashboard,
      this.notifications,
      { dispose: () => clearTimeout(this.proxyRender) },
      this.keys.onDidChange(() => void this.reloadKey('the key changed')),
      vscode.workspace.onDidChangeConfiguration((e) => this.onConfigurationChanged(e)),
      vscode.window.onDidChangeWindowState((s) => this.currentSession?.poller.setFocused(s.focused)),
    );
    const timer = setInterval(() => this.rerender(), RERENDER_MS);
    this.disposables.push({ dispose: () => clearInterval(timer) });
  }

  /** The code that talks to OpenRouter (network.ts), loaded on first need: activation stays small. */
  network(): Promise<Network> {
    this.networkLoad ??= import('./network');
    return this.networkLoad;
  }

  /** Every OpenRouter client of this window comes from here: one keep-alive agent, one User-Agent. */
  async clients(): Promise<ExtensionClients> {
    const n = await this.network();
    this.clientsMade ??= new n.ExtensionClients(this.version);
    return this.clientsMade;
  }

  /** Read the stored key and start polling (or show the no-key state). */
  start(): Promise<void> {
    this.render(noKeySnapshot(Date.now()));
    return this.reloadKey('start-up');
  }

  /** The metering proxy of the key in use (none without a key). */
  get proxy(): ProxyService | undefined {
    return this.currentSession?.proxy;
  }

  /** Everything that exists while a key is set (catalog, account model, poller, proxy). */
  get session(): QuotaSession | undefined {
    return this.currentSession;
  }

  /** The key in use, if any (only ever in memory and SecretStorage). */
  get apiKey(): string | undefined {
    return this.key;
  }

  get snapshot(): QuotaSnapshot {
    return this.currentSession
      ? this.currentSession.poller.snapshot()
      : this.current.status === 'no-key'
        ? noKeySnapshot(Date.now())
        : this.current;
  }

  /** Poll now. Without a key, resolves with the no-key snapshot. */
  async refresh(): Promise<QuotaSnapshot> {
    await this.starting;
    if (!this.currentSession) return this.snapshot;
    return this.currentSession.poller.refresh();
  }

  /** Re-read the key from SecretStorage and rebuild the session if it differs. */
  reloadKey(why: string): Promise<void> {
    this.starting = this.starting.then(async () => {
      let key: string | undefined;
      try {
        key = await this.keys.get();
      } catch (e) {
        this.log.error(`cannot read SecretStorage: ${errorText(e)}`);
      }
      if (key === this.key && (this.currentSession || !key)) return;
      this.key = key;
      await this.restart(why);
    });
    return this.starting;
  }

  private async restart(why: string): Promise<void> {
    this.currentSession?.dispose();
    this.currentSession = undefined;
    this.sessionChanged.fire();
    if (!this.key) {
      this.log.info(`no API key (${why})`);
      this.render(noKeySnapshot(Date.now()));
      return;
    }
    this.log.info(`polling ${config.get('apiBaseUrl')} every ${config.quotaSettings().pollIntervalSeconds} s (${why})`);
    const { QuotaSession } = await this.network();
    this.currentSession = new QuotaSession(this.key, {
      context: this.context,
      owner: this.owner,
      clients: await this.clients(),
      log: this.log,
      stateRoot: this.stateRoot,
      onSnapshot: (s) => this.render(s),
      onProxyChange: () => this.scheduleProxyRender(),
    });
    this.currentSession.proxy.onDidChangeRole((r) => this.tellRole(r));
    this.sessionChanged.fire();
  }

  private scheduleProxyRender(): void {
    if (this.proxyRender) return;
    this.proxyRender = setTimeout(() => {
      this.proxyRender = undefined;
      if (this.currentSession) this.render(this.currentSession.poller.snapshot());
    }, PROXY_RENDER_MS);
  }

  /** A port in the way or an unusable state directory: told once (until it changes), with the way out. */
  private tellRole(r: ProxyRole): void {
    if (r.role !== 'blocked' && r.role !== 'failed') {
      this.toldRole = undefined;
      return;
    }
    if (this.toldRole === r.message) return;
    this.toldRole = r.message;
    const show = r.role === 'failed' ? vscode.window.showErrorMessage : vscode.window.showWarningMessage;
    offerActions(show, r.message, [r.role === 'failed' ? 'openProxySettings' : 'openPortSetting'], this.log);
  }

  private render(s: QuotaSnapshot): void {
    this.current = s;
    this.statusBar.render(renderStatusBar(s));
    this.changed.fire(s);
    this.dashboard.invalidate();
    this.notifications.update(s);
  }

  private rerender(): void {
    if (this.currentSession && vscode.window.state.focused) this.render(this.currentSession.poller.snapshot());
  }

  private onConfigurationChanged(e: vscode.ConfigurationChangeEvent): void {
    if (!e.affectsConfiguration(config.SECTION) && !config.proxyChanged(e)) return;
    config.settingsChanged();
    this.proxy?.settingsChanged();
    if (config.changed(e, 'statusBar.alignment')) this.statusBar.setAlignment(config.get('statusBar.alignment'));
    if (config.changed(e, 'proxy.enabled', 'proxy.port')) void this.proxy?.start();
    if (config.proxyChanged(e)) this.proxy?.upstreamProxyChanged();
    if (config.changed(e, 'apiBaseUrl') || config.proxyChanged(e)) {
      if (this.key) this.starting = this.starting.then(() => this.restart('settings changed'));
      return;
    }
    // Limits, thresholds and the interval are read live by the poller and renderer.
    this.render(this.snapshot);
  }

  /** Free models, healthiest first, for the Free Models pick (which loads the model list if it is not yet). */
  async freeModels(): Promise<FreeModelsInput | undefined> {
    const history = await this.proxy?.history().catch(() => undefined);
    await this.session?.catalog.refresh();
    return this.freeModelsOf(history);
  }

  /**
   * The proxy's last hour (ours, or the host's over loopback: checked row by row, whatever answered), else
   * the catalog's free models, untried; nothing without a key.
   */
  private freeModelsOf(history: ProxyHistory | undefined): FreeModelsInput | undefined {
    const catalog = this.session?.catalog;
    const health = parseHealthRows(history?.health);
    if (health.length === 0 && !catalog) return undefined;
    return freeModelRows(health, catalog?.freeModels() ?? []);
  }

  /** The dashboard's full state, now (a reader window reads the proxy's history from the host window). */
  private async dashboardState(): Promise<DashboardView> {
    const history = await this.proxy?.history().catch(() => undefined);
    const freeModels = this.freeModelsOf(history);
    const { buildDashboardView } = await this.network();
    return buildDashboardView({
      snapshot: this.snapshot,
      history: history && {
        hourly: history.hourly,
        daily: history.daily,
        models: history.models,
        clients: history.clients,
      },
      proxy: this.proxyView(),
      events: history?.events ?? [],
      freeModels,
      now: Date.now(),
    });
  }

  private proxyView(): ProxyView | undefined {
    const p = this.proxy;
    const r = p?.role;
    if (!p || !r) return undefined; // no key, or proxy.enabled is off: the page says so and offers the settings
    return {
      url: p.baseUrl,
      role: r.role,
      pacing: config.get('proxy.pacing'),
      message: r.role === 'blocked' || r.role === 'failed' ? r.message : undefined,
    };
  }

  dispose(): void {
    this.currentSession?.dispose();
    this.currentSession = undefined;
    for (const d of this.disposables.reverse()) d.dispose();
  }
}
