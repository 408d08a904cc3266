// UI mode: install the packaged .vsix into a fresh code-server + chromium profile and use the extension
// the way a user does (command palette, password input, status bar, hover, notification), against the
// project's fake OpenRouter server. Finally scan every file the run wrote for the raw API key.
import fs from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import path from 'node:path';
import { createRequire } from 'node:module';
import { startCodeServer, openBrowser, memoryMB, once, QUIET_SETTINGS } from './codeServer.mjs';
import {
  SEL,
  statusItem,
  statusItemsNow,
  runCommand,
  waitFor,
  styleOf,
  themeColor,
  screenshotRegion,
} from './workbench.mjs';
import { scanForSecret, selfTest, findFiles, MAX_FILE_BYTES } from './leakScan.mjs';

const NO_KEY_LABEL = 'OpenRouter Quota: no API key set';
const LOG_CHANNEL = 'OpenRouter Quota';
const mb = (n) => (n / 1024 / 1024).toFixed(1);

/** Artifacts this mode writes (removed first, so a stale file can't pass for a fresh one). */
export const UI_ARTIFACTS = [
  'ui.png',
  'ui-chat-models.png',
  'statusbar-tooltip.png',
  'ui-notification.png',
  'ui-limit-notification.png',
  'ui-dashboard.png',
  'ui-failure.png',
  'ui-code-server.log',
  'ui-extension.log',
];

const FREE_MODEL = 'meta-llama/llama-3.3-70b-instruct:free';

/** A loopback port nobody listens on right now (the extension's proxy must not meet a developer's own). */
function freePort() {
  return new Promise((resolve) => {
    const s = net.createServer();
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });
}

/** One chat request to the free model at 127.0.0.1:port (the proxy, or the fake OpenRouter itself), with `key`. */
function chat(port, pathPrefix, key) {
  const body = JSON.stringify({ model: FREE_MODEL, messages: [{ role: 'user', content: 'hi' }] });
  return new Promise((resolve, reject) => {
    const req = http.request(
      {
        host: '127.0.0.1',
        port,
        path: `${pathPrefix}/chat/completions`,
        method: 'POST',
        headers: {
          authorization: `Bearer ${key}`,
          'content-type': 'application/json',
          'content-length': Buffer.byteLength(body),
        },
      },
      (res) => {
        res.resume();
        res.on('end', () =>
          res.statusCode === 200
            ? resolve()
            : reject(new Error(`${pathPrefix} on :${port} answered HTTP ${res.statusCode}`)),
        );
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

/** Through the extension's proxy, as a tool that sends its own key would (passed through, counted). */
const chatViaProxy = (port, key) => chat(port, '/api/v1', key);

/** Hover the status bar item: the tooltip splits this minute into the proxy's exact part and the estimate of the rest. */
async function it46hover(page, extId) {
  const it = page.locator(SEL.statusItem(extId)).first();
  await it.hover();
  const hover = page.locator(SEL.hover).filter({ hasText: 'elsewhere (estimated from OpenRouter' }).first();
  await waitFor(hover, 'tooltip "… through the proxy (exact) + ~N elsewhere (estimated from OpenRouter\'s count …)"');
  await page.mouse.move(400, 300);
  await waitFor(hover, 'hover', { state: 'hidden' });
}

export async function uiFlow({ root, artifacts, reporter, cleanup, log }) {
  const pkg = JSON.parse(fs.readFileSync(path.join(root, 'package.json'), 'utf8'));
  const extId = `${pkg.publisher}.${pkg.name}`;
  const vsix = path.join(root, 'dist', `${pkg.name}.vsix`);
  const fixture = path.join(root, 'out', 'test', 'fixtures', 'fakeOpenRouter.js');
  for (const [f, how] of [
    [vsix, 'npm run package'],
    [fixture, 'npm run compile-tests'],
  ]) {
    if (!fs.existsSync(f)) throw new Error(`${f} missing: run "${how}" first`);
  }
  const { FakeOpenRouter, TEST_KEY } = createRequire(import.meta.url)(fixture);
  const art = (f) => path.join(artifacts, f);

  let fake, cs, browser, page, broken, proxyPort;
  const shot = (file, opts) =>
    page?.screenshot({ path: art(file), ...opts }).catch((e) => log(`screenshot ${file}: ${e.message}`));
  // Steps depend on each other: after the first failure the rest are reported as skipped, not failed.
  const step = async (title, fn) => {
    if (broken) return reporter.skip(title, `after "${broken}" failed`);
    if (!(await reporter.step(title, fn))) {
      broken = title;
      await diagnose();
    }
  };
  // What the user would have seen at the failure: screenshot, our status bar item, the extension's log.
  const diagnose = async () => {
    await shot('ui-failure.png');
    if (page)
      log(`  status bar item(s) now: ${(await statusItemsNow(page, extId).catch(() => [])).join('; ') || 'none'}`);
    for (const f of cs ? findFiles(path.join(cs.userDataDir, 'logs'), LOG_CHANNEL) : []) {
      const tail = fs.readFileSync(f, 'utf8').split(TEST_KEY).join('<TEST_KEY>').trimEnd().split('\n').slice(-8);
      log(`  extension log tail (${path.basename(f)}):\n    ${tail.join('\n    ')}`);
    }
  };
  const item = (text, opts) => statusItem(page, extId, text, opts);

  try {
    await step('a. fake OpenRouter up, vsix installed, workbench open', async () => {
      fake = await FakeOpenRouter.start();
      cleanup.add(once(() => fake.close()));
      // Counts move as real traffic would (a step of one, or requests): a jump of tens within seconds is,
      // for the account model, that many requests elsewhere this minute.
      fake.setFreeDaily({ used: 37, limit: 50 });
      proxyPort = await freePort();
      // apiBaseUrl is machine-scoped: in code-server it only takes effect from the Machine settings file
      // chat.disableAIFeatures false: the Chat view and its model picker exist (no Copilot is installed).
      cs = await startCodeServer({
        name: 'ui',
        vsix,
        log,
        settings: { ...QUIET_SETTINGS, 'chat.disableAIFeatures': false, 'openrouterQuota.proxy.port': proxyPort },
        machineSettings: { 'openrouterQuota.apiBaseUrl': fake.baseUrl },
      });
      cleanup.add(cs.dispose);
      browser = await openBrowser({ name: 'ui', scale: 2, log }); // 2x: the tooltip shot goes into the README
      cleanup.add(browser.dispose);
      page = browser.page;
      await page.goto(cs.url, { waitUntil: 'domcontentloaded' });
      await waitFor(page.locator(SEL.statusbar), 'workbench status bar', { timeout: 60000 });
      // give the workbench keyboard focus so F1 reaches it
      await page.locator('.part.editor').click();
      return `fake at ${fake.baseUrl}, code-server :${cs.port}`;
    });

    await step('b. status bar shows the no-key state "OpenRouter"', async () => {
      const it = item('OpenRouter', { exact: true });
      // onStartupFinished activation: can take 10+ s after the workbench appears
      await waitFor(it, 'status bar item "OpenRouter" (no key)', { timeout: 60000 });
      const label = await it.getAttribute('aria-label');
      if (label !== NO_KEY_LABEL) throw new Error(`aria-label is "${label}", expected "${NO_KEY_LABEL}"`);
    });

    let calmStyle;
    await step('c. "Set API Key" via palette + password box -> status bar 37/50, key sent trimmed', async () => {
      await runCommand(page, 'OpenRouter: Set API Key');
      const pw = page.locator(`${SEL.quickInput}[type=password]`);
      await waitFor(pw, 'password input box');
      await page.keyboard.type(`  ${TEST_KEY}  `); // stray whitespace on purpose: the extension must trim it
      await page.keyboard.press('Enter');
      await waitFor(item('37/50'), 'status bar item with "37/50"');
      const auths = fake.requests.map((r) => r.authorization).filter(Boolean);
      if (!auths.includes(`Bearer ${TEST_KEY}`))
        throw new Error(`fake server never saw "Bearer <TEST_KEY>" (saw ${auths.length} authorization headers)`);
      const bad = auths.filter((a) => a.includes(TEST_KEY) && a !== `Bearer ${TEST_KEY}`);
      if (bad.length) throw new Error(`untrimmed key sent: ${JSON.stringify(bad[0].replace(TEST_KEY, '<TEST_KEY>'))}`);
      calmStyle = await styleOf(item('37/50'));
      if (calmStyle.classes.includes('warning-kind')) throw new Error('37/50 is already shown as a warning');
      return `${fake.requests.length} requests so far, background ${calmStyle.background}`;
    });

    await step(
      "c. the Chat view's model picker lists OpenRouter's free models with the quota beside them",
      async () => {
        await runCommand(page, 'Chat: Open Chat');
        const picker = page.locator('.model-picker-name').first();
        await waitFor(picker, 'the model picker in the Chat view', { timeout: 30000 });
        await picker.click();
        const widget = page.locator('.action-widget').filter({ hasText: 'Free Models Router' }).first();
        await waitFor(widget, 'the model list');
        const other = widget.getByText('Other Models');
        if (await other.count()) await other.first().click();
        const row = widget
          .locator('.monaco-list-row')
          .filter({ hasText: 'Meta: Llama 3.3 70B Instruct (free)' })
          .first();
        await waitFor(row, 'the row of meta-llama/llama-3.3-70b-instruct:free');
        const text = (await row.innerText()).replace(/\s+/g, ' ');
        if (!/free · 37\/50 today · ~?\d+\/20 this minute/.test(text)) throw new Error(`row says "${text}"`);
        await shot('ui-chat-models.png', { animations: 'disabled' });
        await page.keyboard.press('Escape');
        await runCommand(page, 'View: Hide Secondary Side Bar');
        return text;
      },
    );

    await step('d. "Refresh Quota" -> 38/50, below the warning level, no limit notification', async () => {
      fake.setFreeDaily({ used: 38, limit: 50 });
      await runCommand(page, 'OpenRouter: Refresh Quota');
      await waitFor(item('38/50'), 'status bar item with "38/50"');
      if ((await styleOf(item('38/50'))).classes.includes('warning-kind'))
        throw new Error('38/50 (0.76) shown as a warning');
      const early = await page.locator(SEL.toast).filter({ hasText: 'free requests used today' }).count();
      if (early) throw new Error(`${early} limit notification(s) below the warning level`);
    });

    await step(
      'd. requests through the local proxy -> 41/50 with the warning background and exactly one notification',
      async () => {
        // Counted by the proxy the moment they pass (and by the fake's own daily counter, like OpenRouter's).
        await chatViaProxy(proxyPort, TEST_KEY);
        await chatViaProxy(proxyPort, TEST_KEY);
        await waitFor(item('40/50'), 'status bar item with "40/50" after two requests through the proxy');
        const limitToast = page.locator(SEL.toast).filter({ hasText: '40 of 50 free requests used today' });
        await waitFor(limitToast, 'notification "40 of 50 free requests used today"');
        await shot('ui-limit-notification.png', { animations: 'disabled' });
        await chatViaProxy(proxyPort, TEST_KEY);
        await waitFor(item('41/50'), 'status bar item with "41/50"');
        const warn = page.locator(`${SEL.statusItem(extId)}.warning-kind`).filter({ hasText: '41/50' });
        await waitFor(warn, 'status bar item "41/50" with class warning-kind');
        const { background } = await styleOf(warn);
        const expected = await themeColor(page, '--vscode-statusBarItem-warningBackground');
        if (background !== expected)
          throw new Error(`background ${background}, expected the theme's warning background ${expected}`);
        if (background === calmStyle.background) throw new Error(`background unchanged from 37/50 (${background})`);
        // Still the warning level: the one notification stays the only one.
        await runCommand(page, 'OpenRouter: Refresh Quota');
        await waitFor(item('41/50'), 'status bar item with "41/50" after a refresh');
        const n = await page.locator(SEL.toast).filter({ hasText: 'free requests used today' }).count();
        if (n !== 1) throw new Error(`${n} limit notifications, expected exactly 1`);
        return `background ${calmStyle.background} -> ${background}; 1 notification`;
      },
    );

    await step('e. hover tooltip mentions "free requests"; screenshots', async () => {
      const it = item('41/50');
      await it.hover();
      const hover = page.locator(SEL.hover).filter({ hasText: 'free requests' }).first();
      await waitFor(hover, 'hover containing "free requests"');
      await screenshotRegion(page, [it, hover], art('statusbar-tooltip.png'));
      await page.screenshot({ path: art('ui.png'), animations: 'disabled' });
      await page.mouse.move(400, 300); // away from the item, so the hover doesn't cover later steps
      await waitFor(hover, 'hover', { state: 'hidden' });
      return `${art('statusbar-tooltip.png')}, ${art('ui.png')}`;
    });

    await step('f. "Show Quota" -> notification "Free today 41/50"', async () => {
      await runCommand(page, 'OpenRouter: Show Quota');
      const toast = page.locator(SEL.toast).filter({ hasText: 'Free today 41/50' });
      await waitFor(toast, 'notification "Free today 41/50"');
      await shot('ui-notification.png', { animations: 'disabled' });
    });

    await step('f. "Open Quota Dashboard" -> the webview shows the same numbers', async () => {
      await runCommand(page, 'OpenRouter: Open Quota Dashboard');
      // A webview is an iframe in an iframe: the outer one hosts the inner #active-frame with our HTML.
      const view = page.frameLocator('iframe.webview.ready').frameLocator('#active-frame');
      const gauge = view.locator('[role="meter"]').first();
      await waitFor(gauge, 'dashboard gauge', { timeout: 30000 });
      const now = await gauge.getAttribute('aria-valuenow');
      const max = await gauge.getAttribute('aria-valuemax');
      if (now !== '41' || max !== '50') throw new Error(`gauge says ${now} of ${max}, expected 41 of 50`);
      await waitFor(view.getByText('9 left').first(), 'dashboard "9 left"');
      await shot('ui-dashboard.png', { animations: 'disabled' });
      return `gauge ${now}/${max}`;
    });

    await step('f. the messages the extension posts to the dashboard, and its page, carry no key', async () => {
      // Listen inside the webview's own document, then press its Refresh: the extension answers with a
      // full-state message (the only kind it sends), built after a new GET /key with the key.
      const handle = await page.frameLocator('iframe.webview.ready').locator('#active-frame').elementHandle();
      const frame = await handle?.contentFrame();
      if (!frame) throw new Error('no dashboard frame');
      await frame.evaluate(() => {
        window.__orqSeen = [];
        window.addEventListener('message', (e) => window.__orqSeen.push(JSON.stringify(e.data)));
      });
      const keyCalls = fake.requests.filter((r) => r.path.endsWith('/key')).length;
      await frame.getByRole('button', { name: 'Refresh' }).first().click();
      await frame.waitForFunction(() => window.__orqSeen.length > 0, null, { timeout: 15000 });
      const seen = await frame.evaluate(() => window.__orqSeen);
      const html = await frame.evaluate(() => document.documentElement.outerHTML);
      const afterCalls = fake.requests.filter((r) => r.path.endsWith('/key')).length;
      const leaks = [...seen, html].filter((t) => t.includes(TEST_KEY) || t.includes(TEST_KEY.slice(9, 41)));
      if (leaks.length)
        throw new Error(`the key (or its middle) is in ${leaks.length} of ${seen.length} message(s)/page`);
      if (!seen.some((m) => /"used":41\b/.test(m)))
        throw new Error(`no state message with today's count among ${seen.length}: ${seen[0]?.slice(0, 200)}`);
      return `${seen.length} message(s), ${Math.round(seen.join('').length / 1024)} KiB, and the page (${Math.round(html.length / 1024)} KiB) scanned; GET /key calls ${keyCalls} -> ${afterCalls}`;
    });

    await step('f. reload the window -> the dashboard is restored (serializer) with the same numbers', async () => {
      // VS Code's own reload: it awaits the flush of the UI state (open editors) before reloading. A browser
      // refresh (page.reload) races that flush in the web workbench, and the tab is sometimes not restored.
      const reloaded = page.waitForEvent('domcontentloaded', { timeout: 60000 });
      await runCommand(page, 'Developer: Reload Window');
      const t0 = Date.now();
      await reloaded;
      const tLoaded = Date.now() - t0;
      await waitFor(page.locator(SEL.statusbar), 'workbench status bar after reload', { timeout: 60000 });
      const view = page.frameLocator('iframe.webview.ready').frameLocator('#active-frame');
      const gauge = view.locator('[role="meter"]').first();
      await waitFor(gauge, 'restored dashboard gauge', { timeout: 60000 });
      const tGauge = Date.now() - t0;
      const now = await gauge.getAttribute('aria-valuenow');
      if (now !== '41') throw new Error(`restored gauge says ${now}, expected 41`);
      await waitFor(item('41/50'), 'status bar item with "41/50" after reload', { timeout: 60000 });
      // Focus out of the restored webview (it keeps keyboard focus after the reload), onto the Explorer.
      await page
        .locator('.part.sidebar')
        .click({ position: { x: 5, y: 5 } })
        .catch(() => undefined);
      return `page loaded ${tLoaded} ms after the command, gauge shown at ${tGauge} ms`;
    });

    await step(
      'g. requests that bypass the proxy -> the minute is marked "~", not below the proxy\'s count; proxied only for two polls -> exact again',
      async () => {
        // A tool talking to OpenRouter directly (as Cline or Copilot's OpenRouter models do by default):
        // OpenRouter (the fake) counts those requests, the proxy never sees them.
        const fakePort = new URL(fake.baseUrl).port;
        const before = fake.chats.length;
        await chatViaProxy(proxyPort, TEST_KEY);
        for (let i = 0; i < 4; i++) await chat(Number(fakePort), '/api/v1', TEST_KEY);
        if (fake.chats.length !== before + 5)
          throw new Error(`the fake saw ${fake.chats.length - before} requests, expected 5`);
        await runCommand(page, 'OpenRouter: Refresh Quota');
        const estimate = page.locator(SEL.statusItem(extId)).filter({ hasText: /46\/50 · ~\d+\/20/ });
        await waitFor(estimate, 'status bar item "46/50 · ~N/20"');
        const text = (await estimate.innerText()).trim();
        const minute = Number(/~(\d+)\/20/.exec(text)[1]);
        if (minute < 1)
          throw new Error(`the minute figure ${minute} is below the proxy's exact count (at least 1 this minute)`);
        await it46hover(page, extId);
        // Only through the proxy now, for two polls.
        await chatViaProxy(proxyPort, TEST_KEY);
        await runCommand(page, 'OpenRouter: Refresh Quota');
        await waitFor(page.locator(SEL.statusItem(extId)).filter({ hasText: /47\/50 · / }), 'status bar item "47/50"');
        await chatViaProxy(proxyPort, TEST_KEY);
        await runCommand(page, 'OpenRouter: Refresh Quota');
        const exact = page.locator(SEL.statusItem(extId)).filter({ hasText: /48\/50 · \d+\/20/ });
        await waitFor(exact, 'status bar item "48/50 · N/20" without "~"');
        return `"${text}" -> "${(await exact.innerText()).trim()}"`;
      },
    );

    await step('g. "Clear API Key" -> status bar back to "OpenRouter"', async () => {
      await runCommand(page, 'OpenRouter: Clear API Key');
      const it = item('OpenRouter', { exact: true });
      await waitFor(it, 'status bar item "OpenRouter" (no key)');
      const label = await it.getAttribute('aria-label');
      if (label !== NO_KEY_LABEL) throw new Error(`aria-label is "${label}", expected "${NO_KEY_LABEL}"`);
    });
  } finally {
    // Stop writers first (chromium flushes its profile on close, code-server its logs) so the scan sees
    // the final state of every file; keep the files until the scan is done.
    if (cs) log(`[ui] memory: code-server tree ${memoryMB(cs.pid)} MB`);
    await browser?.close().catch((e) => log(`browser close: ${e.message}`));
    await cs?.stop();
  }

  if (!cs) return;
  // The leak check is independent of the UI steps: run it even when one of them failed.
  const extLogs = findFiles(path.join(cs.userDataDir, 'logs'), LOG_CHANNEL);
  await reporter.step('h. API key not written in the clear to any file (code-server dirs + chromium profile)', () => {
    selfTest(TEST_KEY);
    const roots = [cs.dir, browser?.dir].filter(Boolean);
    const r = scanForSecret(roots, TEST_KEY);
    for (const s of r.skipped) log(`  scan skipped ${s.file}: ${s.reason}`);
    if (r.hits.length) throw new Error(`raw key found in ${r.hits.map((h) => `${h.file} (${h.encoding})`).join(', ')}`);
    if (r.skipped.some((s) => !/bytes >/.test(s.reason))) throw new Error('some files could not be read');
    return `${r.files} files, ${mb(r.bytes)} MB scanned in ${roots.join(' + ')}; ${r.skipped.length} skipped (> ${mb(MAX_FILE_BYTES)} MB or unreadable)`;
  });
  await reporter.step(`h. extension log "${LOG_CHANNEL}" exists under user-data-dir/logs (covered by the scan)`, () => {
    if (!extLogs.length) throw new Error(`no file named *${LOG_CHANNEL}* under ${path.join(cs.userDataDir, 'logs')}`);
    const big = extLogs.filter((f) => fs.statSync(f).size > MAX_FILE_BYTES);
    if (big.length) throw new Error(`too large to scan: ${big.join(', ')}`);
    fs.copyFileSync(extLogs[0], art('ui-extension.log'));
    return extLogs.map((f) => `${path.relative(cs.dir, f)} (${fs.statSync(f).size} bytes)`).join(', ');
  });
  fs.copyFileSync(cs.logFile, art('ui-code-server.log'));
  log(
    `[ui] fake server saw ${fake.requests.length} requests: ${[...new Set(fake.requests.map((r) => `${r.method} ${r.path}`))].join(', ')}`,
  );
}
