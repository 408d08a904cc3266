// Everything that exists only while a key is set: the HTTP client, the account model, the poller and the
// metering proxy of that account. Thrown away and rebuilt whenever the key or the base URL changes (the
// restartable scope); the proxy alone restarts when its own settings change.
import * as path from 'node:path';
import * as vscode from 'vscode';
import { AccountModel } from '../core/account/model';
import { keyId } from '../core/apiKey';
import { systemClock } from '../core/clock';
import type { Logger } from '../core/logger';
import { fetchObservation } from '../core/observe';
import { ModelCatalog } from '../core/modelCatalog';
import type { OpenRouterClient } from '../core/openRouterClient';
import { QuotaPoller } from '../core/poller';
import type { QuotaSnapshot } from '../core/quota';
import { FileSharedStore, MemorySharedStore, type SharedStore } from '../core/sharedStore';
import { accountDir, accountFingerprint, ensurePrivateDir } from '../core/state/stateDir';
import type { ExtensionClients } from './clientFactory';
import * as config from './config';
import { ProxyService } from './proxyService';

export interface SessionDeps {
  context: vscode.ExtensionContext;
  owner: string;
  /** The extension's one client factory (shared agent and User-Agent). */
  clients: ExtensionClients;
  log: Logger;
  /** The state root (stateDir.ts): the account's directory is under it. */
  stateRoot: string;
  onSnapshot: (s: QuotaSnapshot) => void;
  /** The proxy's counts, queue or role changed (coalesce before rendering). */
  onProxyChange: () => void;
}

export class QuotaSession implements vscode.Disposable {
  readonly poller: QuotaPoller;
  readonly account: AccountModel;
  readonly proxy: ProxyService;
  /** OpenRouter's models (GET /models, hours old at most): the proxy's free list and the chat models. */
  readonly catalog: ModelCatalog;
  private readonly client: OpenRouterClient;

  constructor(key: string, deps: SessionDeps) {
    const stateDir = accountDir(deps.stateRoot, accountFingerprint(key));
    this.client = deps.clients.client(key);
    this.account = new AccountModel({ clock: systemClock, settings: config.quotaSettings });
    this.catalog = new ModelCatalog((signal) => this.client.getModels(signal), systemClock.now);
    this.poller = new QuotaPoller({
      clock: systemClock,
      fetch: (previous, signal) => fetchObservation(this.client, previous, systemClock.now, signal, deps.log),
      store: sharedStore(stateDir, deps.log),
      keyId: keyId(key),
      owner: deps.owner,
      settings: config.quotaSettings,
      account: this.account,
      log: deps.log,
    });
    this.proxy = new ProxyService({
      context: deps.context,
      log: deps.log,
      key,
      account: this.account,
      stateDir,
      catalog: this.catalog,
      refreshKey: () => void this.poller.refresh(),
      onChange: deps.onProxyChange,
    });
    this.poller.onSnapshot(deps.onSnapshot);
    this.poller.setFocused(vscode.window.state.focused);
    this.poller.start();
    void this.proxy.start();
  }

  dispose(): void {
    this.proxy.dispose();
    this.poller.dispose();
    void this.client.close();
  }
}

/** The last poll is shared with every process of this account (other windows, other profiles, the CLI). */
function sharedStore(stateDir: string, log: Logger): SharedStore {
  try {
    ensurePrivateDir(stateDir);
    return new FileSharedStore(path.join(stateDir, 'poll'), log);
  } catch (e) {
    log.warn(`cannot share polls with other windows (${(e as Error).message}); this window polls on its own`);
    return new MemorySharedStore();
  }
}
