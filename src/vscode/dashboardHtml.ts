// The dashboard page for a real webview: a fresh nonce from the OS's CSPRNG and the webview's own URIs for
// the two assets. The page itself is built by src/shared/dashboardHtmlTemplate.ts (also used by the render
// test), so this file stays a thin wrapper.
import { randomBytes } from 'node:crypto';
import * as vscode from 'vscode';
import { dashboardHtml } from '../shared/dashboardHtmlTemplate';

/** The folders the webview may load from: the bundle (dist/webview.js) and the stylesheet (media/). */
function dashboardResourceRoots(extensionUri: vscode.Uri): vscode.Uri[] {
  return [vscode.Uri.joinPath(extensionUri, 'dist'), vscode.Uri.joinPath(extensionUri, 'media')];
}

export function dashboardWebviewOptions(extensionUri: vscode.Uri): vscode.WebviewOptions {
  return { enableScripts: true, enableCommandUris: false, localResourceRoots: dashboardResourceRoots(extensionUri) };
}

export function renderDashboardHtml(webview: vscode.Webview, extensionUri: vscode.Uri): string {
  const asset = (...parts: string[]) => webview.asWebviewUri(vscode.Uri.joinPath(extensionUri, ...parts)).toString();
  return dashboardHtml({
    cspSource: webview.cspSource,
    nonce: randomBytes(18).toString('base64'),
    scriptUri: asset('dist', 'webview.js'),
    styleUri: asset('media', 'dashboard.css'),
  });
}
