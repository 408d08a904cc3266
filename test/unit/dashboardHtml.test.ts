// The dashboard page template: the strict CSP, the nonce on the one script, no inline code, escaping.
import * as assert from 'node:assert/strict';
import { dashboardCsp, dashboardHtml, type DashboardHtmlParams } from '../../src/shared/dashboardHtmlTemplate';

const P: DashboardHtmlParams = {
  cspSource: 'https://*.vscode-cdn.net',
  nonce: 'q8J0n3vL2mT5xY7zA1bC4dE6',
  scriptUri: 'https://file+.vscode-resource.vscode-cdn.net/ext/dist/webview.js',
  styleUri: 'https://file+.vscode-resource.vscode-cdn.net/ext/media/dashboard.css',
};

describe('dashboard HTML template', () => {
  it("has a CSP meta tag: default-src 'none', the script by nonce, styles/fonts/images from the extension, no network", () => {
    assert.equal(
      dashboardCsp(P),
      "default-src 'none'; script-src 'nonce-q8J0n3vL2mT5xY7zA1bC4dE6'; style-src https://*.vscode-cdn.net; font-src https://*.vscode-cdn.net; img-src https://*.vscode-cdn.net data:; connect-src 'none'; base-uri 'none'; form-action 'none'",
    );
    assert.ok(
      dashboardHtml(P).includes(
        `<meta http-equiv="Content-Security-Policy" content="${dashboardCsp(P).replace(/'/g, '&#39;')}">`,
      ),
    );
  });

  it('loads exactly one script (with the nonce) and one stylesheet, both by URL; no inline script or style', () => {
    const html = dashboardHtml(P);
    assert.deepEqual(
      [...html.matchAll(/<script\b[^>]*>/g)].map((m) => m[0]),
      [`<script nonce="${P.nonce}" src="${P.scriptUri}">`],
    );
    assert.deepEqual(
      [...html.matchAll(/<link\b[^>]*>/g)].map((m) => m[0]),
      [`<link rel="stylesheet" href="${P.styleUri}">`],
    );
    assert.ok(!/<style\b|\sstyle=|\son[a-z]+=/i.test(html), 'no <style>, style attribute or inline handler');
    assert.ok(
      html.indexOf('<meta http-equiv="Content-Security-Policy"') < html.indexOf('<link'),
      'the CSP comes before any resource',
    );
  });

  it('refuses a missing or short nonce rather than emitting a weak policy', () => {
    assert.throws(() => dashboardHtml({ ...P, nonce: '' }), /nonce/);
    assert.throws(() => dashboardHtml({ ...P, nonce: 'abc' }), /nonce/);
    assert.throws(() => dashboardHtml({ ...P, nonce: "abcdefghijklmnop' 'unsafe-inline" }), /nonce/);
  });

  it('escapes the URIs it is given', () => {
    const html = dashboardHtml({ ...P, scriptUri: 'https://x/"><script>alert(1)</script>' });
    assert.ok(!html.includes('"><script>alert(1)'));
    assert.ok(html.includes('https://x/&quot;&gt;&lt;script&gt;alert(1)&lt;/script&gt;'));
  });
});
