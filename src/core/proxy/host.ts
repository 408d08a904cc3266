// The one composition of the metering proxy, used by the extension (vscode/proxyService.ts), the CLI and the
// tests: the account's state directory (lock, ledger, token), the free-model catalog, the proxy itself and
// the coordinator that decides whether this process hosts or reads, all wired to one AccountModel. After
// requests go through, GET /key is re-read (debounced) so that OpenRouter's count catches up.
import * as path from 'node:path';
import type { Dispatcher } from 'undici';
import type { AccountModel } from '../account/model';
import { parseQuotaWire } from '../account/remote';
import type { Clock, TimerHandle } from '../clock';
import type { Logger } from '../logger';
import { ModelCatalog } from '../modelCatalog';
import type { ModelInfo } from '../responses';
import type { ProxySettings } from '../openRouterClient';
import { accountFingerprint, ensurePrivateDir } from '../state/stateDir';
import type { BodyBudget } from './bodyBudget';
import { TokenFile } from '../state/tokenFile';
import { probeProxy, ProxyCoordinator, type ProxyRole } from './coordinator';
import { Ledger } from './ledger';
import type { PacingMode } from './pacer';
import type { FallbackSettings } from '../fallback/types';
import { MeteringProxy, type ProxyHistory } from './server';

/** The paid fallback's spend today, beside the ledger (fallback/paidBudget.ts). */
const PAID_BUDGET_FILE = 'paid-fallback.json';

export interface ProxyHostOptions {
  account: AccountModel;
  /** The key of the account metered (swapped in for the token; its fingerprint names the account). */
  apiKey: string;
  /** The account's state directory (stateDir.ts accountDir()). */
  stateDir: string;
  port: number;
  /** OpenRouter's API base, e.g. https://openrouter.ai/api/v1. */
  upstream: () => string;
  clock: Clock;
  log: Logger;
  /**
   * Pacing, max wait and the path prefixes opened beyond the token's scope (scope.ts), read per request:
   * keep it a cheap getter, and keep `extraPaths` the same array until it changes (it is compiled once per array).
   */
  live: () => {
    pacing: PacingMode;
    maxWaitSeconds: number;
    extraPaths?: readonly string[];
    fallback?: FallbackSettings;
  };
  /** OpenRouter's model list, shared with the chat models (else one of its own from `loadModels`). */
  catalog?: ModelCatalog;
  /** GET /models (the client's getModels), when no catalog is given. */
  loadModels?: (signal?: AbortSignal) => Promise<ModelInfo[]>;
  upstreamProxy?: ProxySettings;
  /** Poll GET /key now (called debounced after requests through the proxy). */
  refreshKey?: () => void;
  /** A token to use from now on (the CLI's OPENROUTER_QUOTA_TOKEN), set before the proxy listens. */
  token?: string;
  onRole?: (r: ProxyRole) => void;
  /** How the user chooses another port, for the role messages (coordinator.ts CoordinatorOptions.portHint). */
  portHint?: string;
  /** Counts, queue, learned limits, the host's view (for a reader) or the role changed. */
  onChange?: () => void;
  readerIntervalMs?: number;
  /** After each forwarded request. */
  onRequestFinished?: (r: { model?: string; free: boolean; status: number }) => void;
  /** For tests: the upstream connection, limits and timeouts of the proxy. */
  dispatcher?: Dispatcher;
  maxBodyBytes?: number;
  bodyBudget?: BodyBudget;
  requestTimeoutMs?: number;
  maxQueue?: number;
  keyRefresh?: { debounceMs: number; minSpacingMs: number };
}

/** After requests through the proxy, re-read GET /key this long after the last one, at most this often. */
const KEY_REFRESH = { debounceMs: 3_000, minSpacingMs: 15_000 };

export class ProxyHost {
  readonly fingerprint: string;
  private readonly coordinator: ProxyCoordinator;
  private readonly tokens: TokenFile;
  private refreshTimer?: TimerHandle;
  private lastKeyRefresh = -Infinity;
  private openLedger?: Ledger;
  private readonly catalog: ModelCatalog;

  private constructor(private readonly opts: ProxyHostOptions) {
    this.fingerprint = accountFingerprint(opts.apiKey);
    this.tokens = new TokenFile(opts.stateDir);
    this.catalog =
      opts.catalog ?? new ModelCatalog(opts.loadModels ?? (() => Promise.resolve([])), () => opts.clock.now());
    this.coordinator = new ProxyCoordinator({
      port: opts.port,
      fingerprint: this.fingerprint,
      stateDir: opts.stateDir,
      clock: opts.clock,
      log: opts.log,
      readerIntervalMs: opts.readerIntervalMs,
      portHint: opts.portHint,
      createProxy: () => this.createProxy(),
      onRole: (r) => {
        if (r.role !== 'host') this.detach();
        opts.onRole?.(r);
        opts.onChange?.();
      },
      onRemote: (json) => {
        this.opts.account.attachRemote(json === undefined ? undefined : parseQuotaWire(json), this.opts.clock.now());
        opts.onChange?.();
      },
    });
  }

  /** Host or read, as the coordinator decides; resolves after the first attempt. */
  static async start(opts: ProxyHostOptions): Promise<ProxyHost> {
    const host = new ProxyHost(opts);
    if (opts.token) host.setToken(opts.token);
    await host.coordinator.start();
    return host;
  }

  get role(): ProxyRole {
    return this.coordinator.current;
  }

  get hosted(): MeteringProxy | undefined {
    return this.coordinator.hosted;
  }

  /** The ledger this process writes, while it hosts. */
  get ledger(): Ledger | undefined {
    return this.openLedger;
  }

  get baseUrl(): string {
    return `http://127.0.0.1:${this.role.port}/api/v1`;
  }

  /** The local token clients send (created with the state the first time). Throws a StateDirError when it cannot be. */
  token(): string {
    ensurePrivateDir(this.opts.stateDir);
    return this.tokens.get();
  }

  /** Whether token() made a new one (for the CLI's one note about it). */
  get tokenCreated(): boolean {
    return this.tokens.created;
  }

  /** Use this token from now on (the CLI's OPENROUTER_QUOTA_TOKEN, or one kept from before). */
  setToken(token: string): void {
    ensurePrivateDir(this.opts.stateDir);
    this.tokens.set(token);
  }

  /** A new token: clients using the old one get 401 from now on, whichever process hosts. */
  rotateToken(): string {
    ensurePrivateDir(this.opts.stateDir);
    return this.tokens.rotate();
  }

  /** Charts and recent 429s: from our ledger when we host, over loopback from the host otherwise. */
  async history(): Promise<ProxyHistory | undefined> {
    const hosted = this.hosted;
    if (hosted) return hosted.history();
    const r = this.role;
    if (r.role !== 'reader') return undefined;
    const p = await probeProxy(r.port, this.fingerprint, '/quota/history');
    return p.kind === 'ours' && isHistory(p.json) ? p.json : undefined;
  }

  /** Load the free-model list now rather than at the first request (it is public, large, and cached for hours). */
  async refreshCatalog(): Promise<void> {
    await this.catalog.refresh();
  }

  /** VS Code's http.proxy changed: the hosted proxy reaches OpenRouter the new way. */
  setUpstreamProxy(settings: ProxySettings): void {
    this.hosted?.setUpstreamProxy(settings);
  }

  async stop(): Promise<void> {
    this.refreshTimer?.cancel();
    await this.coordinator.stop();
    this.detach();
  }

  private createProxy(): MeteringProxy {
    const o = this.opts;
    const catalog = this.catalog;
    // The catalog's free models keep their names on any day; other ids share a bounded few (ledgerNames.ts).
    const ledger = Ledger.open(o.stateDir, {
      now: () => o.clock.now(),
      log: o.log,
      knownModel: (id) => catalog.get(id)?.free === true,
    });
    const proxy = new MeteringProxy({
      port: o.port,
      upstream: o.upstream,
      apiKey: o.apiKey,
      fingerprint: this.fingerprint,
      token: () => this.tokens.get(),
      ledger,
      account: o.account,
      catalog,
      pacing: () => o.live().pacing,
      maxWaitSeconds: () => o.live().maxWaitSeconds,
      extraPaths: () => o.live().extraPaths,
      fallback: () => o.live().fallback,
      paidBudgetFile: path.join(o.stateDir, PAID_BUDGET_FILE),
      clock: o.clock,
      log: o.log,
      upstreamProxy: o.upstreamProxy,
      dispatcher: o.dispatcher,
      maxBodyBytes: o.maxBodyBytes,
      bodyBudget: o.bodyBudget,
      requestTimeoutMs: o.requestTimeoutMs,
      maxQueue: o.maxQueue,
      onChange: o.onChange,
      onRequestFinished: (r) => {
        o.onRequestFinished?.(r);
        this.scheduleKeyRefresh();
      },
    });
    this.openLedger = ledger;
    o.account.attachMeter(ledger, () => proxy.pacer.waiting);
    return proxy;
  }

  private detach(): void {
    if (!this.openLedger) return;
    this.openLedger = undefined;
    this.opts.account.attachMeter(undefined);
  }

  private scheduleKeyRefresh(): void {
    if (!this.opts.refreshKey) return;
    const k = this.opts.keyRefresh ?? KEY_REFRESH;
    this.refreshTimer?.cancel();
    const now = this.opts.clock.now();
    const wait = Math.max(k.debounceMs, this.lastKeyRefresh + k.minSpacingMs - now);
    this.refreshTimer = this.opts.clock.setTimer(wait, () => {
      this.lastKeyRefresh = this.opts.clock.now();
      this.opts.refreshKey?.();
    });
  }
}

function isHistory(v: unknown): v is ProxyHistory {
  const h = v as ProxyHistory | undefined;
  return (
    typeof h === 'object' &&
    h !== null &&
    Array.isArray(h.hourly) &&
    Array.isArray(h.daily) &&
    typeof h.models === 'object' &&
    Array.isArray(h.events)
  );
}
