// Runs a UserAction (shared/actions.ts): the one place where what a button does is decided, whether the
// button is on a notification, the dashboard, Show Quota or a prompt. Never throws: a failure is logged and
// told once.
import * as vscode from 'vscode';
import { errorText, type Logger } from '../core/logger';
import { SECTION } from './config';
import { ACTION_COMMAND, ACTION_LABEL, MODEL_ACTION_LABEL, type ModelAction, type UserAction } from '../shared/actions';
import { FREE_MODELS_TEXT, fallbackListSetText } from '../core/quotaText';
import { MAX_FALLBACK_MODELS } from '../core/fallback/settings';

export async function runAction(action: UserAction, log: Logger, context: { summary?: string } = {}): Promise<void> {
  try {
    if (action === 'copySummary') {
      await vscode.env.clipboard.writeText(context.summary ?? '');
      return;
    }
    if (action === 'enableFallback') {
      // Global: the proxy serves every window and tool of the account, so the choice is not a workspace's.
      await vscode.workspace
        .getConfiguration(SECTION)
        .update('fallback.enabled', true, vscode.ConfigurationTarget.Global);
      log.info('fallback turned on (openrouterQuota.fallback.enabled)');
      return;
    }
    const c = ACTION_COMMAND[action];
    await vscode.commands.executeCommand(c.command, ...(c.args ?? []));
  } catch (e) {
    log.error(`${ACTION_LABEL[action]} (${action}) failed: ${errorText(e)}`);
    void vscode.window.showErrorMessage(
      `OpenRouter Quota: ${ACTION_LABEL[action]} failed. See the log (OpenRouter: Show Log).`,
    );
  }
}

/** Shows buttons for `actions` on a message and runs the one picked (labels may repeat: the first wins). */
export function offerActions(
  show: (message: string, ...items: string[]) => Thenable<string | undefined>,
  message: string,
  actions: readonly UserAction[],
  log: Logger,
  context: { summary?: string } = {},
): void {
  const labels = [...new Set(actions.map((a) => ACTION_LABEL[a]))];
  show(message, ...labels).then(
    (choice) => {
      const action = actions.find((a) => ACTION_LABEL[a] === choice);
      if (action) void runAction(action, log, context);
    },
    (e: unknown) => log.error(`notification: ${errorText(e)}`),
  );
}

/**
 * Runs a ModelAction (the dashboard's Free models card, the Free Models pick): copy a model's id, add it to
 * the fallback list, or make the given ids the list. The list is written globally, like fallback.enabled:
 * the proxy serves every window and tool of the account. Never throws.
 */
export async function runModelAction(action: ModelAction, ids: readonly string[], log: Logger): Promise<void> {
  try {
    if (action === 'copyModelId') {
      await vscode.env.clipboard.writeText(ids.join('\n'));
      void vscode.window.setStatusBarMessage(FREE_MODELS_TEXT.copied(ids), 3000);
      return;
    }
    const settings = vscode.workspace.getConfiguration(SECTION);
    const current = settings.get<unknown>('fallback.models');
    const old = Array.isArray(current) ? current.filter((x): x is string => typeof x === 'string') : [];
    const next = (action === 'addFallbackModel' ? [...new Set([...old, ...ids])] : [...new Set(ids)]).slice(
      0,
      MAX_FALLBACK_MODELS,
    );
    await settings.update('fallback.models', next, vscode.ConfigurationTarget.Global);
    log.info(`fallback models set to ${next.join(', ')} (openrouterQuota.fallback.models)`);
    const enabled = settings.get<boolean>('fallback.enabled') === true;
    const message = fallbackListSetText(next, enabled);
    if (enabled) void vscode.window.showInformationMessage(message);
    else offerActions(vscode.window.showInformationMessage, message, ['enableFallback'], log);
  } catch (e) {
    log.error(`${MODEL_ACTION_LABEL[action]} (${action}) failed: ${errorText(e)}`);
    void vscode.window.showErrorMessage(
      `OpenRouter Quota: ${MODEL_ACTION_LABEL[action]} failed. See the log (OpenRouter: Show Log).`,
    );
  }
}
