// Set, replace and clear the API key, and the one-time offer to import OPENROUTER_API_KEY. A key is
// checked against GET /key before it is stored; a 401 stores nothing.
import * as vscode from 'vscode';
import { checkKeyInput } from '../core/apiKey';
import { AuthError, describeError } from '../core/errors';
import { errorText } from '../core/logger';
import type { Services } from './services';

const ENV_OFFERED = 'openrouterQuota.envKeyOffered';

export type SetKeyResult = 'stored' | 'cancelled' | 'rejected' | 'invalid';

/** Prompt for a key (or take `provided`), verify it with OpenRouter, store it in SecretStorage. */
export async function setApiKey(services: Services, provided?: string): Promise<SetKeyResult> {
  const input =
    typeof provided === 'string'
      ? provided
      : await vscode.window.showInputBox({
          title: 'OpenRouter API Key',
          prompt:
            "Paste an OpenRouter API key (openrouter.ai/settings/keys). It is kept in VS Code's SecretStorage only.",
          placeHolder: 'sk-or-v1-…',
          password: true,
          ignoreFocusOut: true,
          validateInput: (v) =>
            v.trim() === '' ? undefined : ((c) => (c.ok ? undefined : c.message))(checkKeyInput(v)),
        });
  if (input === undefined) return 'cancelled';
  const check = checkKeyInput(input);
  if (!check.ok) {
    void vscode.window.showErrorMessage(check.message);
    return 'invalid';
  }
  const key = check.key;
  const client = (await services.clients()).client(key);
  let label: string | null = null;
  try {
    const info = await vscode.window.withProgress(
      { location: vscode.ProgressLocation.Notification, title: 'Checking the key with OpenRouter…' },
      () => client.getKey(),
    );
    label = info.label;
  } catch (e) {
    services.log.warn(`key check failed: ${describeError(e)}`);
    if (AuthError.is(e)) {
      void vscode.window.showErrorMessage(
        'OpenRouter did not accept this key (401: key not accepted). Nothing was stored.',
      );
      return 'rejected';
    }
    const choice = await vscode.window.showWarningMessage(
      `Could not check the key with OpenRouter: ${describeError(e)} Store it anyway?`,
      { modal: true },
      'Store Anyway',
    );
    if (choice !== 'Store Anyway') return 'cancelled';
  } finally {
    void client.close();
  }
  await services.keys.store(key);
  await services.reloadKey('key stored');
  // The user is here and just acted: read the quota now, even if the window lost focus meanwhile.
  void services.refresh().catch((e: unknown) => services.log.error(errorText(e)));
  services.log.info(`API key ${label ?? '(unchecked)'} stored in SecretStorage`);
  void vscode.window.showInformationMessage(
    label ? `OpenRouter key ${label} stored in SecretStorage.` : 'OpenRouter key stored in SecretStorage.',
  );
  return 'stored';
}

export async function clearApiKey(services: Services): Promise<void> {
  await services.keys.delete();
  await services.reloadKey('key cleared');
  void vscode.window.showInformationMessage('OpenRouter key removed from SecretStorage.');
}

/** If OPENROUTER_API_KEY is set and no key is stored, offer (once, ever) to import it. Never silently. */
export async function offerEnvironmentKey(services: Services, context: vscode.ExtensionContext): Promise<void> {
  const env = process.env.OPENROUTER_API_KEY;
  if (!env || services.apiKey || context.globalState.get<boolean>(ENV_OFFERED)) return;
  await context.globalState.update(ENV_OFFERED, true);
  const choice = await vscode.window.showInformationMessage(
    "OPENROUTER_API_KEY is set in this environment. Store it in VS Code's SecretStorage so OpenRouter Quota can show your free-model quota?",
    'Import Key',
    'Not Now',
  );
  if (choice === 'Import Key') {
    await setApiKey(services, env).catch((e: unknown) => services.log.error(errorText(e)));
  }
}
