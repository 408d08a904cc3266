// The quota check ("how much is left, and when does it reset?"), refresh and the log.
import * as vscode from 'vscode';
import { renderSummary } from '../core/format';
import { minuteIsSplit } from '../core/quotaText';
import type { QuotaSnapshot } from '../core/quota';
import type { UserAction } from '../shared/actions';
import { CommandId } from '../shared/commandIds';
import { offerActions } from './actions';
import type { Services } from './services';

/** Answers at once from the current snapshot; the actions run afterwards. Returns the summary. */
export function showQuota(services: Services): string {
  const s = services.snapshot;
  const summary = renderSummary(s);
  if (s.status === 'no-key') {
    offerActions(
      vscode.window.showInformationMessage,
      'OpenRouter Quota: no API key set.',
      ['setApiKey'],
      services.log,
    );
    return summary;
  }
  const show = s.status === 'error' && !s.day ? vscode.window.showWarningMessage : vscode.window.showInformationMessage;
  // Requests bypassing the proxy: the way out first.
  const bypassed = s.minute !== undefined && minuteIsSplit(s.minute) && (s.minute.outside ?? 0) > 0;
  const actions: UserAction[] = [
    ...(bypassed ? (['copyProxySettings'] as const) : []),
    'openDashboard',
    'refresh',
    'addCredits',
    'copySummary',
  ];
  offerActions(show, summary, actions, services.log, { summary });
  return summary;
}

export async function refresh(services: Services): Promise<QuotaSnapshot> {
  if (!services.apiKey) {
    await vscode.commands.executeCommand(CommandId.setApiKey);
    return services.snapshot;
  }
  return vscode.window.withProgress(
    { location: vscode.ProgressLocation.Window, title: 'OpenRouter: refreshing quota' },
    () => services.refresh(),
  );
}
