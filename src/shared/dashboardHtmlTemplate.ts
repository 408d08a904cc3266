// The dashboard's HTML page, as a pure function of the four values VS Code supplies (no vscode, no DOM), so
// the render test loads exactly the page the extension serves. The page has no inline script or style:
// one stylesheet and one script, both by URL, and the script runs only with the per-load nonce.

export interface DashboardHtmlParams {
  /** `webview.cspSource`: the origin that serves local resources to the webview. */
  cspSource: string;
  /** A fresh random value per page load (crypto.randomBytes), base64 or hex. */
  nonce: string;
  /** `asWebviewUri(dist/webview.js)` */
  scriptUri: string;
  /** `asWebviewUri(media/dashboard.css)` */
  styleUri: string;
}

const ATTR_ESCAPES: Record<string, string> = { '&': '&amp;', '"': '&quot;', "'": '&#39;', '<': '&lt;', '>': '&gt;' };
const attr = (s: string) => s.replace(/[&"'<>]/g, (c) => ATTR_ESCAPES[c]);

/**
 * Nothing is allowed by default; the script only by nonce; styles, fonts and images only from the
 * extension's own files (plus data: images); no network at all (the data arrives by postMessage).
 */
export function dashboardCsp(p: Pick<DashboardHtmlParams, 'cspSource' | 'nonce'>): string {
  if (!/^[A-Za-z0-9+/=_-]{16,}$/.test(p.nonce))
    throw new Error('dashboard: the nonce must be at least 16 base64 or hex characters');
  return [
    "default-src 'none'",
    `script-src 'nonce-${p.nonce}'`,
    `style-src ${p.cspSource}`,
    `font-src ${p.cspSource}`,
    `img-src ${p.cspSource} data:`,
    "connect-src 'none'",
    "base-uri 'none'",
    "form-action 'none'",
  ].join('; ');
}

export function dashboardHtml(p: DashboardHtmlParams): string {
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="UTF-8">
<meta http-equiv="Content-Security-Policy" content="${attr(dashboardCsp(p))}">
<meta name="viewport" content="width=device-width, initial-scale=1">
<link rel="stylesheet" href="${attr(p.styleUri)}">
<title>OpenRouter Quota</title>
</head>
<body>
<main id="app" aria-busy="true">
<header class="page-header"><h1>OpenRouter free-model quota</h1></header>
<p class="muted" id="loading">Loading the dashboard…</p>
</main>
<script nonce="${attr(p.nonce)}" src="${attr(p.scriptUri)}"></script>
</body>
</html>
`;
}
