// Registers every command of the manifest (ids in src/shared/commandIds.ts) against the services.
import * as vscode from 'vscode';
import { errorText } from '../core/logger';
import { ADD_CREDITS_URL, CommandId } from '../shared/commandIds';
import { clearApiKey, setApiKey } from './keyCommands';
import { copyProxySettings, rotateProxyToken } from './proxyCommands';
import { showFreeModels } from './freeModelsCommands';
import { refresh, showQuota } from './quotaCommands';
import type { Services } from './services';
import type { SignInController } from './signIn';

export function registerCommands(services: Services, signIn: SignInController): vscode.Disposable[] {
  // A command that throws must not leave an unhandled rejection behind: log it and tell the user once.
  const safe =
    <A extends unknown[], R>(name: string, fn: (...args: A) => R | Promise<R>) =>
    async (...args: A): Promise<R | undefined> => {
      try {
        return await fn(...args);
      } catch (e) {
        services.log.error(`${name} failed: ${errorText(e)}`);
        void vscode.window.showErrorMessage(`OpenRouter Quota: ${name} failed. See the log (OpenRouter: Show Log).`);
        return undefined;
      }
    };
  return [
    vscode.commands.registerCommand(
      CommandId.setApiKey,
      safe('Set API Key', (key?: unknown) => setApiKey(services, typeof key === 'string' ? key : undefined)),
    ),
    vscode.commands.registerCommand(
      CommandId.clearApiKey,
      safe('Clear API Key', () => clearApiKey(services)),
    ),
    vscode.commands.registerCommand(
      CommandId.refresh,
      safe('Refresh', () => refresh(services)),
    ),
    vscode.commands.registerCommand(
      CommandId.showQuota,
      safe('Show Quota', () => showQuota(services)),
    ),
    vscode.commands.registerCommand(CommandId.showLog, () => services.log.show()),
    vscode.commands.registerCommand(
      CommandId.copyProxySettings,
      safe('Copy Proxy Settings', () => copyProxySettings(services)),
    ),
    vscode.commands.registerCommand(
      CommandId.muteToday,
      safe('Mute Notifications for Today', () => services.notifications.muteToday()),
    ),
    vscode.commands.registerCommand(CommandId.openDashboard, () => services.dashboard.createOrShow()),
    vscode.commands.registerCommand(
      CommandId.signIn,
      safe('Sign In', () => signIn.signIn()),
    ),
    vscode.commands.registerCommand(
      CommandId.rotateProxyToken,
      safe('Rotate Proxy Token', () => rotateProxyToken(services)),
    ),
    vscode.commands.registerCommand(
      CommandId.freeModels,
      safe('Free Models', () => showFreeModels(services)),
    ),
    // Internal (hidden from the palette): what the "Add Credits" and "Open Settings" actions and links run.
    vscode.commands.registerCommand(
      CommandId.addCredits,
      safe('Add Credits', async () => {
        await vscode.env.openExternal(vscode.Uri.parse(ADD_CREDITS_URL));
      }),
    ),
    vscode.commands.registerCommand(
      CommandId.openSettings,
      safe('Open Settings', async (section?: unknown) => {
        await vscode.commands.executeCommand(
          'workbench.action.openSettings',
          typeof section === 'string' && section.startsWith('openrouterQuota') ? section : 'openrouterQuota',
        );
      }),
    ),
  ];
}
