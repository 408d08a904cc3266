// The quota check ("how much is left, and when does it reset?"), refresh and the log.
import * as vscode from 'vscode';
import { renderSummary } from '../core/format';
import { minuteIsSplit } from '../core/quotaText';
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
  // Requests bypassing the proxy: the way out first.
  const bypassed = s.minute !== undefined && minuteIsSplit(s.minute) && (s.minute.outside ?? 0) > 0;
  const buttons = [...(bypassed ? ['Copy Proxy Settings'] : []), 'Open Dashboard', 'Refresh', 'Add Credits', 'Copy Summary'];
  void show(summary, ...buttons).then(async (action) => {
    if (action === 'Copy Proxy Settings') await vscode.commands.executeCommand(CommandId.copyProxySettings);
    else if (action === 'Open Dashboard') await vscode.commands.executeCommand(CommandId.openDashboard);
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
