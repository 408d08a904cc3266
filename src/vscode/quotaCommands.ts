// The quota check ("how much is left, and when does it reset?"), refresh and the log.
import * as vscode from 'vscode';
import { renderSummary } from '../core/format';
import { errorText } from '../core/logger';
import type { QuotaSnapshot } from '../core/quota';
import { ADD_CREDITS_URL, CommandId } from '../shared/commandIds';
import type { Services } from './services';

/** Answers at once from the current snapshot; the actions run afterwards. Returns the summary. */
export function showQuota(services: Services): string {
  const s = services.snapshot;
  const summary = renderSummary(s);
  if (s.status === 'no-key') {
    void vscode.window.showInformationMessage('OpenRouter Quota: no API key set.', 'Set API Key').then(
      (a) => (a ? vscode.commands.executeCommand(CommandId.setApiKey) : undefined),
      (e: unknown) => services.log.error(errorText(e)),
    );
    return summary;
  }
  const show = s.status === 'error' && !s.day ? vscode.window.showWarningMessage : vscode.window.showInformationMessage;
  void show(summary, 'Open Dashboard', 'Refresh', 'Add Credits', 'Copy Summary').then(async (action) => {
    if (action === 'Open Dashboard') await vscode.commands.executeCommand(CommandId.openDashboard);
    else if (action === 'Refresh') await vscode.commands.executeCommand(CommandId.refresh);
    else if (action === 'Add Credits') await vscode.env.openExternal(vscode.Uri.parse(ADD_CREDITS_URL));
    else if (action === 'Copy Summary') await vscode.env.clipboard.writeText(summary);
  }, (e: unknown) => services.log.error(errorText(e)));
  return summary;
}

export async function refresh(services: Services): Promise<QuotaSnapshot> {
  if (!services.apiKey) {
    await vscode.commands.executeCommand(CommandId.setApiKey);
    return services.snapshot;
  }
  return vscode.window.withProgress({ location: vscode.ProgressLocation.Window, title: 'OpenRouter: refreshing quota' }, () => services.refresh());
}
