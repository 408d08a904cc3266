// The API key lives only here: VS Code's SecretStorage (OS keychain on desktop, encrypted browser storage
// in code-server). This wrapper gives it a typed name and re-emits changes made by other windows.
import * as vscode from 'vscode';

const API_KEY = 'openrouterQuota.apiKey';

export class KeyStore implements vscode.Disposable {
  private readonly emitter = new vscode.EventEmitter<void>();
  /** Fires when the key is stored or deleted, in this window or another. */
  readonly onDidChange = this.emitter.event;
  private readonly sub: vscode.Disposable;

  constructor(private readonly secrets: vscode.SecretStorage) {
    this.sub = secrets.onDidChange((e) => {
      if (e.key === API_KEY) this.emitter.fire();
    });
  }

  async get(): Promise<string | undefined> {
    return (await this.secrets.get(API_KEY)) || undefined;
  }

  store(key: string): Thenable<void> {
    return this.secrets.store(API_KEY, key);
  }

  delete(): Thenable<void> {
    return this.secrets.delete(API_KEY);
  }

  dispose(): void {
    this.sub.dispose();
    this.emitter.dispose();
  }
}
