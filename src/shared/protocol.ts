// Messages between the extension host and the dashboard webview. Full views only (no deltas): the host
// sends `state` whenever anything changes and when the panel becomes visible; the webview sends `ready`
// once loaded and `action` when the user clicks something. No vscode and no DOM in this file.
import { isModelAction, isModelIds, isUserAction, type ModelAction, type UserAction } from './actions';
import type { DashboardView } from './dashboardView';

export type HostMessage = { type: 'state'; view: DashboardView };

/** What a click in the dashboard may ask for: any action but the one that needs the host's text. */
export type DashboardAction = Exclude<UserAction, 'copySummary'>;

export type WebviewMessage =
  | { type: 'ready' }
  | { type: 'action'; action: DashboardAction }
  /** A button of the Free models card: the model ids travel with it (checked like everything from the page). */
  | { type: 'modelAction'; action: ModelAction; ids: string[] };

/** Messages from the webview are untrusted input: accept only the known shapes and actions. */
export function isWebviewMessage(m: unknown): m is WebviewMessage {
  if (typeof m !== 'object' || m === null || Array.isArray(m)) return false;
  const type = Object.hasOwn(m, 'type') ? (m as { type?: unknown }).type : undefined;
  if (type === 'ready') return true;
  const action = Object.hasOwn(m, 'action') ? (m as { action?: unknown }).action : undefined;
  if (type === 'modelAction')
    return isModelAction(action) && Object.hasOwn(m, 'ids') && isModelIds((m as { ids?: unknown }).ids);
  return type === 'action' && isUserAction(action) && action !== 'copySummary';
}

export function isHostMessage(m: unknown): m is HostMessage {
  if (typeof m !== 'object' || m === null) return false;
  const { type, view } = m as { type?: unknown; view?: unknown };
  return type === 'state' && typeof view === 'object' && view !== null;
}
