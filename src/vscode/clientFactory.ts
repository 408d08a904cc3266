// The extension's ClientFactory (src/core/clientFactory.ts), built from the settings: OpenRouter's API base
// and VS Code's http.proxy / http.noProxy. The session (poller and model catalog, which the proxy shares),
// the key check and sign-in all take their client or connection from here. When those settings change the
// next caller gets a new factory and the old agent closes once its requests are done (Services restarts the
// session on the same change, so nothing keeps using the old one).
import * as vscode from 'vscode';
import { ClientFactory, extensionUserAgent } from '../core/clientFactory';
import type { OpenRouterClient } from '../core/openRouterClient';
import * as config from './config';

export class ExtensionClients implements vscode.Disposable {
  readonly userAgent: string;
  private factory?: ClientFactory;
  /** The settings `factory` was built from, to notice a change without a configuration listener. */
  private builtFor?: string;

  constructor(extensionVersion: string) {
    this.userAgent = extensionUserAgent(extensionVersion, vscode.version);
  }

  /** The factory for the current settings (its baseUrl, dispatcher and userAgent serve the sign-in exchange). */
  get current(): ClientFactory {
    const connection = config.clientConnection();
    const wanted = JSON.stringify(connection);
    if (!this.factory || this.builtFor !== wanted) {
      void this.factory?.close();
      this.factory = new ClientFactory({ ...connection, userAgent: this.userAgent });
      this.builtFor = wanted;
    }
    return this.factory;
  }

  /** A client for this key over the shared agent. */
  client(apiKey: string): OpenRouterClient {
    return this.current.client(apiKey);
  }

  dispose(): void {
    void this.factory?.close();
    this.factory = undefined;
  }
}
