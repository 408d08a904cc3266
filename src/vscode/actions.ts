// Runs a UserAction (shared/actions.ts): the one place where what a button does is decided, whether the
// button is on a notification, the dashboard, Show Quota or a prompt. Never throws: a failure is logged and
// told once.
import * as vscode from 'vscode';
import { errorText, type Logger } from '../core/logger';
import { SECTION } from './config';
import { ACTION_COMMAND, ACTION_LABEL, type UserAction } from '../shared/actions';
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
