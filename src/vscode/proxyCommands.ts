// Copy Proxy Settings (base URL + token to the clipboard, snippets for common tools in an editor) and
// Rotate Proxy Token.
import * as vscode from 'vscode';
import { errorText } from '../core/logger';
import { proxySnippets } from '../core/proxy/snippets';
import { offerActions } from './actions';
import type { Services } from './services';

export async function copyProxySettings(services: Services): Promise<string> {
  const proxy = services.proxy;
  if (!proxy) {
    offerActions(
      vscode.window.showWarningMessage,
      'The local proxy meters the account of your key: set a key first.',
      ['setApiKey'],
      services.log,
    );
    return '';
  }
  const role = proxy.role;
  if (!role) {
    offerActions(
      vscode.window.showWarningMessage,
      'The local proxy is off (setting openrouterQuota.proxy.enabled).',
      ['openProxySettings'],
      services.log,
    );
    return '';
  }
  if (role.role === 'blocked' || role.role === 'failed') {
    offerActions(
      vscode.window.showErrorMessage,
      role.message,
      [role.role === 'failed' ? 'openProxySettings' : 'openPortSetting'],
      services.log,
    );
    return '';
  }
  let token: string;
  try {
    token = proxy.getToken();
  } catch (e) {
    services.log.error(`proxy token: ${errorText(e)}`);
    void vscode.window.showErrorMessage(`OpenRouter Quota: cannot read the proxy token: ${(e as Error).message}`);
    return '';
  }
  const text = `OPENAI_BASE_URL=${proxy.baseUrl}\nOPENAI_API_KEY=${token}\n`;
  try {
    await vscode.env.clipboard.writeText(text);
  } catch (e) {
    // Some hosts (a browser without focus) refuse clipboard writes; the snippets below still show both.
    services.log.warn(`clipboard: ${(e as Error).message}`);
  }
  const doc = await vscode.workspace.openTextDocument({
    language: 'markdown',
    content: proxySnippets(proxy.baseUrl, token),
  });
  await vscode.window.showTextDocument(doc, { preview: true });
  void vscode.window.showInformationMessage(
    `Copied the proxy's base URL (${proxy.baseUrl}) and token. Snippets for Cline, Continue, aider, curl and the OpenAI SDK are in the editor.`,
  );
  return text;
}

export function rotateProxyToken(services: Services): void {
  const proxy = services.proxy;
  if (!proxy?.role) {
    void vscode.window.showWarningMessage('The local proxy is not running, so it has no token to rotate.');
    return;
  }
  proxy.rotateToken();
  void vscode.window.showInformationMessage(
    'New proxy token created: tools using the old one now get 401. Run "OpenRouter: Copy Proxy Settings" to copy it.',
  );
}
