// Everything a user can be offered to do from a notification, the dashboard, Show Quota or a prompt, with
// its one label. The vscode layer runs them (vscode/actions.ts runAction); everywhere else only names them.
// Messages from the webview are untrusted: isUserAction accepts only these names.
import { CommandId } from './commandIds';

export type UserAction =
  | 'refresh'
  | 'addCredits'
  | 'copyProxySettings'
  | 'setApiKey'
  | 'signIn'
  | 'openSettings'
  | 'openProxySettings'
  | 'openPortSetting'
  | 'showLog'
  | 'openDashboard'
  | 'muteToday'
  | 'copySummary'
  | 'enableFallback';

export const ACTION_LABEL: Record<UserAction, string> = {
  refresh: 'Refresh',
  addCredits: 'Add Credits',
  copyProxySettings: 'Copy Proxy Settings',
  setApiKey: 'Set API Key',
  signIn: 'Sign In with OpenRouter',
  openSettings: 'Open Settings',
  openProxySettings: 'Open Settings',
  openPortSetting: 'Open Settings',
  showLog: 'Show Log',
  openDashboard: 'Open Dashboard',
  muteToday: 'Mute for Today',
  copySummary: 'Copy Summary',
  enableFallback: 'Turn On Fallback',
};

/**
 * Actions that are no command: copySummary needs the text it copies (the caller runs it); enableFallback
 * writes the setting openrouterQuota.fallback.enabled (vscode/actions.ts runAction).
 */
export type CommandAction = Exclude<UserAction, 'copySummary' | 'enableFallback'>;

/** The command behind an action that is one. */
export const ACTION_COMMAND: Record<CommandAction, { command: string; args?: unknown[] }> = {
  refresh: { command: CommandId.refresh },
  addCredits: { command: CommandId.addCredits },
  copyProxySettings: { command: CommandId.copyProxySettings },
  setApiKey: { command: CommandId.setApiKey },
  signIn: { command: CommandId.signIn },
  openSettings: { command: CommandId.openSettings, args: ['openrouterQuota'] },
  openProxySettings: { command: CommandId.openSettings, args: ['openrouterQuota.proxy'] },
  openPortSetting: { command: CommandId.openSettings, args: ['openrouterQuota.proxy.port'] },
  showLog: { command: CommandId.showLog },
  openDashboard: { command: CommandId.openDashboard },
  muteToday: { command: CommandId.muteToday },
};

/**
 * What a user can do with one or more free models (the dashboard's Free models card, the Free Models pick):
 * unlike a UserAction these carry model ids, so they are not commands. vscode/actions.ts runModelAction runs them.
 */
export type ModelAction = 'copyModelId' | 'addFallbackModel' | 'setFallbackModels';

export const MODEL_ACTION_LABEL: Record<ModelAction, string> = {
  copyModelId: 'Copy Id',
  addFallbackModel: 'Use as Fallback',
  setFallbackModels: 'Set as Fallback List',
};

/** Ids a model action may carry: a few, each a plausible model id (no spaces or control characters). */
export const MAX_MODEL_ACTION_IDS = 10;
const MODEL_ID = /^[\x21-\x7e]{1,200}$/;

/** A plausible model id to pass on as it is (a header value, a setting, the clipboard): printable ASCII, no spaces, ≤ 200. */
export function isPlainModelId(v: unknown): v is string {
  return typeof v === 'string' && MODEL_ID.test(v);
}

export function isModelAction(v: unknown): v is ModelAction {
  return typeof v === 'string' && Object.hasOwn(MODEL_ACTION_LABEL, v);
}

export function isModelIds(v: unknown): v is string[] {
  return Array.isArray(v) && v.length > 0 && v.length <= MAX_MODEL_ACTION_IDS && v.every(isPlainModelId);
}

const ACTIONS = Object.keys(ACTION_LABEL) as UserAction[];

export function isUserAction(v: unknown): v is UserAction {
  return typeof v === 'string' && (ACTIONS as string[]).includes(v);
}

/** A markdown link that runs the action (tooltips; the status bar trusts exactly our commands). */
export function actionLink(a: CommandAction, label: string = ACTION_LABEL[a]): string {
  const c = ACTION_COMMAND[a];
  const args = c.args ? `?${encodeURIComponent(JSON.stringify(c.args))}` : '';
  return `[${label}](command:${c.command}${args})`;
}
