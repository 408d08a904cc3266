// Command ids in one place: the manifest (package.json), the vscode layer and the tooltip links use them.
// addCredits and openSettings are internal (hidden from the palette in the manifest): actions and links use them.
export const CommandId = {
  setApiKey: 'openrouterQuota.setApiKey',
  clearApiKey: 'openrouterQuota.clearApiKey',
  refresh: 'openrouterQuota.refresh',
  showQuota: 'openrouterQuota.showQuota',
  showLog: 'openrouterQuota.showLog',
  copyProxySettings: 'openrouterQuota.copyProxySettings',
  rotateProxyToken: 'openrouterQuota.rotateProxyToken',
  openDashboard: 'openrouterQuota.openDashboard',
  signIn: 'openrouterQuota.signIn',
  muteToday: 'openrouterQuota.muteNotificationsToday',
  addCredits: 'openrouterQuota.addCredits',
  openSettings: 'openrouterQuota.openSettings',
  freeModels: 'openrouterQuota.freeModels',
} as const;

export type CommandId = (typeof CommandId)[keyof typeof CommandId];

export const ADD_CREDITS_URL = 'https://openrouter.ai/settings/credits';
