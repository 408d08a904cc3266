// Everything that exists only while a key is set: the HTTP client and the poller. Thrown away and rebuilt
// whenever the key, the base URL or the proxy settings change (the restartable scope).
import * as vscode from 'vscode';
import { keyId } from '../core/apiKey';
import { systemClock } from '../core/clock';
import type { Logger } from '../core/logger';
import { fetchObservation } from '../core/observe';
import { OpenRouterClient } from '../core/openRouterClient';
import { QuotaPoller } from '../core/poller';
import type { LocalCounts, QuotaSnapshot } from '../core/quota';
import type { SharedStore } from '../core/sharedStore';
import * as config from './config';

export class QuotaSession implements vscode.Disposable {
  readonly poller: QuotaPoller;
  private readonly client: OpenRouterClient;

  constructor(
    key: string,
    store: SharedStore,
    owner: string,
    userAgent: string,
    log: Logger,
    local: () => LocalCounts | undefined,
    onSnapshot: (s: QuotaSnapshot) => void,
  ) {
    this.client = new OpenRouterClient({ ...config.clientConnection(), apiKey: key, userAgent });
    this.poller = new QuotaPoller({
      clock: systemClock,
      fetch: (previous, signal) => fetchObservation(this.client, previous, systemClock.now, signal, log),
      store,
      keyId: keyId(key),
      owner,
      settings: config.quotaSettings,
      local,
      log,
    });
    this.poller.onSnapshot(onSnapshot);
    this.poller.setFocused(vscode.window.state.focused);
    this.poller.start();
  }

  dispose(): void {
    this.poller.dispose();
    void this.client.close();
  }
}
