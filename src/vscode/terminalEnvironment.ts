// Opt-in (openrouterQuota.terminal.proxyEnvironment): new integrated terminals get the local proxy as their
// OpenAI-compatible endpoint, so scripts, aider or curl started there are metered without setup. Only the
// local token goes into the environment, never the key; everything is removed when the setting is off or
// no proxy runs for the key. Not persisted: a terminal restored before activation gets nothing stale.
import * as vscode from 'vscode';
import { errorText } from '../core/logger';
import * as config from './config';
import type { Services } from './services';

export class TerminalEnvironment implements vscode.Disposable {
  private readonly disposables: vscode.Disposable[] = [];
  /** What the collection holds now ('' = nothing), to touch it only on a change. */
  private applied = '';

  constructor(
    private readonly collection: vscode.GlobalEnvironmentVariableCollection,
    private readonly services: Services,
  ) {
    collection.persistent = false;
    collection.description =
      'OpenRouter Quota: OPENAI_BASE_URL, OPENAI_API_KEY and OPENROUTER_BASE_URL point at the local metering proxy (the local token, not your key).';
    this.disposables.push(
      services.onDidChangeSnapshot(() => this.update()),
      services.onDidChangeSession(() => this.update()),
      vscode.workspace.onDidChangeConfiguration((e) => {
        if (config.changed(e, 'terminal.proxyEnvironment', 'proxy.enabled', 'proxy.port')) this.update();
      }),
    );
    this.update();
  }

  update(): void {
    const proxy = this.services.proxy;
    const role = proxy?.role?.role;
    let want: { url: string; token: string } | undefined;
    if (config.get('terminal.proxyEnvironment') && proxy && (role === 'host' || role === 'reader')) {
      try {
        want = { url: proxy.baseUrl, token: proxy.getToken() };
      } catch (e) {
        this.services.log.warn(`terminal environment: ${errorText(e)}`);
      }
    }
    const key = want ? `${want.url} ${want.token}` : '';
    if (key === this.applied) return;
    this.applied = key;
    this.collection.clear();
    if (!want) return;
    this.collection.replace('OPENAI_BASE_URL', want.url);
    this.collection.replace('OPENAI_API_BASE', want.url);
    this.collection.replace('OPENAI_API_KEY', want.token);
    this.collection.replace('OPENROUTER_BASE_URL', want.url);
  }

  dispose(): void {
    for (const d of this.disposables) d.dispose();
  }
}
