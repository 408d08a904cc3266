// Entry point: builds the composition root and hands it to VS Code to dispose. Nothing else lives here.
import * as vscode from 'vscode';
import type { StatusBarView } from './core/format';
import type { QuotaSnapshot } from './core/quota';
import { ChatModelsProvider } from './vscode/chatProvider';
import { registerCommands } from './vscode/commands';
import { offerEnvironmentKey } from './vscode/keyCommands';
import { Services } from './vscode/services';
import { SignInController } from './vscode/signIn';
import { TerminalEnvironment } from './vscode/terminalEnvironment';

/** What other extensions (and our integration tests) get from `getExtension(...).exports`. */
export interface OpenRouterQuotaApi {
  /** The current quota snapshot (no key inside, ever). */
  snapshot(): QuotaSnapshot;
  /** Fires whenever the snapshot (and so the status bar) changes. */
  onDidChangeSnapshot: vscode.Event<QuotaSnapshot>;
  /** The status bar item as rendered right now. */
  statusBar(): StatusBarView | undefined;
}

export async function activate(context: vscode.ExtensionContext): Promise<OpenRouterQuotaApi> {
  const t0 = performance.now();
  const services = new Services(context);
  // The URI handler must exist before the first await, for a sign-in callback that activated us (onUri).
  const signIn = new SignInController(services);
  context.subscriptions.push(
    services,
    signIn,
    vscode.window.registerUriHandler(signIn),
    ...registerCommands(services, signIn),
    new ChatModelsProvider(services),
    new TerminalEnvironment(context.environmentVariableCollection, services),
  );
  await services.start();
  services.log.info(
    `activated in ${(performance.now() - t0).toFixed(1)} ms (version ${String(context.extension.packageJSON.version)})`,
  );
  void offerEnvironmentKey(services, context);
  return {
    snapshot: () => services.snapshot,
    onDidChangeSnapshot: services.onDidChangeSnapshot,
    statusBar: () => services.statusBar.view,
  };
}

export function deactivate(): void {}
