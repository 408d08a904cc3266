// Render test of the dashboard webview in headless Chromium, from the built assets.
//
//   node test/webview/render.mjs        (needs Debian's chromium at /usr/bin/chromium, or CHROMIUM_PATH)
//
// Builds src/webview/main.ts exactly as the extension ships it (esbuild, browser, IIFE) into a temp dir,
// serves it with media/dashboard.css and the page from src/shared/dashboardHtmlTemplate.ts (the function
// the extension uses, with a real random nonce) on 127.0.0.1, stubs acquireVsCodeApi like VS Code does,
// posts sample states (test/webview/sampleStates.ts, built by the real model) and checks, per case and
// theme: the numbers and banner text, the CSP meta tag, no console errors or CSP violations, `ready`
// posted, a button posting its action, gauges as ARIA meters, no horizontal overflow at 900 and 500 px.
// Screenshots go to e2e-artifacts/dashboard-<case>-<theme>.png; the normal case's light and dark ones are
// copied to docs/images/ for the README. Prints ok/FAIL per case and "N passed, N failed"; exit 0 only
// when all passed.
import { randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import * as http from 'node:http';
import * as os from 'node:os';
import * as path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import * as esbuild from 'esbuild';
import { chromium } from 'playwright-core';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const ARTIFACTS = path.join(ROOT, 'e2e-artifacts');
const DOCS_IMAGES = path.join(ROOT, 'docs/images');
const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

/** The same in every theme. */
const FONT = {
  'font-family': '"Segoe WPC", "Segoe UI", "Ubuntu", "Droid Sans", sans-serif',
  'font-size': '13px',
  'font-weight': 'normal',
  'editor-font-family': '"Droid Sans Mono", monospace',
};

/** What VS Code sets on a webview for its default light and dark themes (Light Modern / Dark Modern). */
const THEMES = {
  light: {
    bodyClass: 'vscode-light',
    vars: {
      ...FONT,
      foreground: '#3b3b3b',
      'editor-background': '#ffffff',
      'editor-foreground': '#3b3b3b',
      descriptionForeground: '#616161',
      'editorWidget-background': '#f8f8f8',
      'widget-border': '#e5e5e5',
      'panel-border': '#e5e5e5',
      focusBorder: '#005fb8',
      'button-background': '#005fb8',
      'button-foreground': '#ffffff',
      'button-hoverBackground': '#0258a8',
      'button-border': '#0000001a',
      'button-secondaryBackground': '#e5e5e5',
      'button-secondaryForeground': '#3b3b3b',
      'button-secondaryHoverBackground': '#cccccc',
      'textLink-foreground': '#005fb8',
      'textCodeBlock-background': '#f0f0f0',
      'badge-background': '#cccccc',
      'badge-foreground': '#3b3b3b',
      'charts-blue': '#1a85ff',
      'charts-yellow': '#bf8803',
      'charts-orange': '#d18616',
      'charts-red': '#e51400',
      'charts-green': '#388a34',
      'charts-lines': '#61616180',
      'editorWarning-foreground': '#bf8803',
      'editorError-foreground': '#e51400',
      'inputValidation-warningBackground': '#f6f5d2',
      'inputValidation-warningBorder': '#bf8803',
      'inputValidation-errorBackground': '#f2dede',
      'inputValidation-errorBorder': '#be1100',
    },
  },
  dark: {
    bodyClass: 'vscode-dark',
    vars: {
      ...FONT,
      foreground: '#cccccc',
      'editor-background': '#1f1f1f',
      'editor-foreground': '#cccccc',
      descriptionForeground: '#9d9d9d',
      'editorWidget-background': '#202020',
      'widget-border': '#313131',
      'panel-border': '#2b2b2b',
      focusBorder: '#0078d4',
      'button-background': '#0078d4',
      'button-foreground': '#ffffff',
      'button-hoverBackground': '#026ec1',
      'button-border': '#ffffff12',
      'button-secondaryBackground': '#313131',
      'button-secondaryForeground': '#cccccc',
      'button-secondaryHoverBackground': '#3c3c3c',
      'textLink-foreground': '#4daafc',
      'textCodeBlock-background': '#2b2b2b',
      'badge-background': '#616161',
      'badge-foreground': '#f8f8f8',
      'charts-blue': '#3794ff',
      'charts-yellow': '#cca700',
      'charts-orange': '#d18616',
      'charts-red': '#f14c4c',
      'charts-green': '#89d185',
      'charts-lines': '#cccccc80',
      'editorWarning-foreground': '#cca700',
      'editorError-foreground': '#f14c4c',
      'inputValidation-warningBackground': '#352a05',
      'inputValidation-warningBorder': '#b89500',
      'inputValidation-errorBackground': '#5a1d1d',
      'inputValidation-errorBorder': '#be1100',
    },
  },
  hc: {
    bodyClass: 'vscode-high-contrast',
    vars: {
      ...FONT,
      foreground: '#ffffff',
      'editor-background': '#000000',
      'editor-foreground': '#ffffff',
      descriptionForeground: '#ffffffb3',
      'editorWidget-background': '#0c141f',
      'widget-border': '#6fc3df',
      'panel-border': '#6fc3df',
      focusBorder: '#f38518',
      contrastBorder: '#6fc3df',
      contrastActiveBorder: '#f38518',
      'button-background': '#000000',
      'button-foreground': '#ffffff',
      'button-border': '#6fc3df',
      'button-secondaryBackground': '#000000',
      'button-secondaryForeground': '#ffffff',
      'textCodeBlock-background': '#000000',
      'badge-background': '#000000',
      'badge-foreground': '#ffffff',
      'charts-blue': '#3794ff',
      'charts-yellow': '#ffd700',
      'charts-orange': '#ff8c00',
      'charts-red': '#f48771',
      'charts-lines': '#ffffff80',
      'editorWarning-foreground': '#ffd700',
      'editorError-foreground': '#f48771',
      'inputValidation-warningBackground': '#000000',
      'inputValidation-warningBorder': '#6fc3df',
      'inputValidation-errorBackground': '#000000',
      'inputValidation-errorBorder': '#6fc3df',
    },
  },
};

/**
 * The cases: `expect` must all appear in the page text; `click` is [button selector, action it posts];
 * `modelClick` is [button selector, model action, ids it posts].
 * `ui` is the UI state VS Code would hand back from getState() (restored after a reload).
 */
const CASES = [
  { name: 'empty', state: null, expect: ['OpenRouter free-model quota', 'Loading the dashboard'] },
  {
    name: 'loading',
    expect: ['Reading your quota from OpenRouter'],
    click: ['footer [data-action="showLog"]', 'showLog'],
  },
  {
    name: 'normal',
    expect: [
      '12',
      'of 50',
      '38 left',
      '3',
      '/ 20',
      'Resets in',
      'at 00:00 UTC · 02:00 local',
      'No requests waiting in the proxy queue',
      'At this pace',
      'you reach 50 at',
      'Unlock 1000 a day',
      '$4.20 left',
      'of a $10.00 cap (resets monthly)',
      '$3.63',
      'http://127.0.0.1:18789/api/v1',
      'queue:',
      'deepseek/deepseek-chat-v3.1:free',
      'upstream provider (not your quota)',
      "Today's requests by client",
      'VS Code chat / LM API',
      'Free models, last hour',
      'DeepSeek: DeepSeek V3.1 (free)',
      '13 of 14 ok (93%)',
      'TTFT 850 ms · 164k context',
      '4 upstream 429s · 1 at capacity',
      'Untried',
      'Set Top 3 as Fallback List',
    ],
    absent: ['Warning:', 'Critical:', 'Limit reached:'],
    meters: 3,
    chart: 'chart-hourly',
    click: ['header [data-action="refresh"]', 'refresh'],
    tick: true,
    toggle: true,
  },
  {
    name: 'warning',
    expect: [
      '41 of 50 free requests used today (9 left)',
      'Add credits: buying 10 credits (once) raises the free limit from 50 to 1000',
      '9 left',
    ],
    banner: 'warning',
    meters: 3,
    ui: { range: 'daily' },
    chart: 'chart-daily',
    click: ['.banner [data-action="addCredits"]', 'addCredits'],
  },
  {
    name: 'minute-full',
    expect: [
      "This minute's window is full: 20 of 20 free requests",
      'The proxy is holding 3 requests',
      '3 requests waiting in the proxy queue',
      'per-minute limit',
    ],
    banner: 'limit',
    meters: 3,
    click: ['.card-proxy [data-action="copyProxySettings"]', 'copyProxySettings'],
  },
  {
    name: 'limit',
    expect: [
      'Daily free limit reached: 50 of 50 free requests used today',
      'Wait for the daily reset at 00:00 UTC (02:00 local)',
      'drop ":free"',
      'deepseek/deepseek-chat-v3.1:free → deepseek/deepseek-chat-v3.1',
      'Limit reached',
      '0 left',
      'daily limit',
    ],
    banner: 'limit',
    meters: 3,
    click: ['.card-tier [data-action="addCredits"]', 'addCredits'],
  },
  {
    name: 'no-key',
    expect: ['Connect your OpenRouter account', 'Set API Key', 'Sign In with OpenRouter', '50 a UTC day'],
    absent: ['Refresh'],
    meters: 0,
    click: ['.cta [data-action="setApiKey"]', 'setApiKey'],
    click2: ['.cta [data-action="signIn"]', 'signIn'],
  },
  {
    name: 'balance-unavailable',
    expect: ['Account balance', 'Unavailable', 'management key', 'No cap', 'This key has no spending cap of its own'],
    meters: 3,
    click: ['.card-proxy [data-action="copyProxySettings"]', 'copyProxySettings'],
  },
  {
    name: 'proxy-off',
    expect: [
      '212',
      'of 1000',
      '788 left',
      '~3',
      'History needs the local proxy',
      'Needs the local proxy',
      'Off',
      '1000 a day',
      '$21.82',
      "Estimate from the growth of today's count",
    ],
    absent: ['waiting in the proxy queue'],
    noButtons: ['copyProxySettings'],
    meters: 2,
    click: ['.card-proxy [data-action="openProxySettings"]', 'openProxySettings'],
  },
  {
    name: 'upstream',
    expect: [
      'The provider behind qwen/qwen3-coder:free answered 2 429s',
      'Try another free model',
      'openrouter/free',
      'reject:',
      'Fallbacks today',
      'qwen/qwen3-coder:free → deepseek/deepseek-chat-v3.1:free',
      'rate-limited upstream',
      'at capacity',
    ],
    banner: 'warning',
    meters: 3,
    click: ['footer [data-action="openSettings"]', 'openSettings'],
    modelClick: [
      '.card-free-models [data-model-action="addFallbackModel"]',
      'addFallbackModel',
      ['deepseek/deepseek-chat-v3.1:free'],
    ],
  },
  {
    name: 'bypassed',
    expect: [
      'Where the requests went',
      'Through the proxy',
      'Elsewhere',
      'Today: 13 through the proxy, 22 elsewhere.',
      '~15',
      '/ 20',
      "This minute: 3 through the proxy (exact) + ~12 elsewhere (estimated from OpenRouter's count, up to a minute late).",
      'route that tool through the proxy',
    ],
    meters: 3,
    click: ['.card-split [data-action="copyProxySettings"]', 'copyProxySettings'],
  },
  {
    name: 'negative-balance',
    expect: [
      'The account balance is negative (-$0.42)',
      'Add credits: at least $0.42',
      '-$0.42',
      'Running in another window or process',
    ],
    banner: 'critical',
    meters: 3,
    click: ['.banner [data-action="addCredits"]', 'addCredits'],
  },
];

// ---- build -------------------------------------------------------------------------------------------

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'dashboard-render-'));
for (const d of ['dist', 'media', 'lib', 'home', 'home/.config', 'home/.cache'])
  fs.mkdirSync(path.join(tmp, d), { recursive: true });

async function build() {
  // The webview bundle, with the options the extension's build uses for dist/webview.js.
  await esbuild.build({
    entryPoints: [path.join(ROOT, 'src/webview/main.ts')],
    outfile: path.join(tmp, 'dist/webview.js'),
    bundle: true,
    platform: 'browser',
    format: 'iife',
    target: 'es2022',
    logLevel: 'warning',
  });
  fs.copyFileSync(path.join(ROOT, 'media/dashboard.css'), path.join(tmp, 'media/dashboard.css'));
  // The page template and the sample states, for this script (plain Node cannot import .ts).
  await esbuild.build({
    entryPoints: {
      template: path.join(ROOT, 'src/shared/dashboardHtmlTemplate.ts'),
      samples: path.join(ROOT, 'test/webview/sampleStates.ts'),
      protocol: path.join(ROOT, 'src/shared/protocol.ts'),
    },
    outdir: path.join(tmp, 'lib'),
    outExtension: { '.js': '.mjs' },
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    logLevel: 'warning',
  });
  const template = await import(pathToFileURL(path.join(tmp, 'lib/template.mjs')).href);
  const { samples, NOW } = await import(pathToFileURL(path.join(tmp, 'lib/samples.mjs')).href);
  const protocol = await import(pathToFileURL(path.join(tmp, 'lib/protocol.mjs')).href);
  return { template, samples, protocol, now: NOW };
}

// ---- serve -------------------------------------------------------------------------------------------

function serve(template) {
  const pages = new Map();
  const server = http.createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    if (url.pathname === '/index.html') {
      const origin = `http://127.0.0.1:${server.address().port}`;
      const params = {
        cspSource: origin,
        nonce: randomBytes(18).toString('base64'),
        scriptUri: `${origin}/dist/webview.js`,
        styleUri: `${origin}/media/dashboard.css`,
      };
      const html = template.dashboardHtml(params);
      pages.set(url.searchParams.get('id'), { csp: template.dashboardCsp(params), nonce: params.nonce });
      res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' }).end(html);
      return;
    }
    const file = { '/dist/webview.js': 'dist/webview.js', '/media/dashboard.css': 'media/dashboard.css' }[url.pathname];
    if (url.pathname === '/favicon.ico') return void res.writeHead(204).end();
    if (!file) return void res.writeHead(404).end();
    res
      .writeHead(200, { 'content-type': file.endsWith('.css') ? 'text/css' : 'text/javascript' })
      .end(fs.readFileSync(path.join(tmp, file)));
  });
  return new Promise((resolve) =>
    server.listen(0, '127.0.0.1', () =>
      resolve({ server, pages, origin: `http://127.0.0.1:${server.address().port}` }),
    ),
  );
}

// ---- the page's side: a VS Code-like acquireVsCodeApi and a CSP violation recorder ----------------------

function stubVsCode(saved) {
  const w = /** @type {any} */ (window);
  w.__posted = [];
  w.__setState = [];
  w.__violations = [];
  let acquired = false;
  let ui = saved ?? undefined;
  w.acquireVsCodeApi = () => {
    // VS Code allows one call per page load; a second throws.
    if (acquired) throw new Error('An instance of the VS Code API has already been acquired');
    acquired = true;
    return Object.freeze({
      postMessage: (m) => void w.__posted.push(JSON.parse(JSON.stringify(m))),
      getState: () => ui,
      setState: (s) => {
        ui = s;
        w.__setState.push(JSON.parse(JSON.stringify(s)));
        return s;
      },
    });
  };
  document.addEventListener(
    'securitypolicyviolation',
    (e) => void w.__violations.push(`${e.violatedDirective}: ${e.blockedURI}`),
  );
}

// ---- run ---------------------------------------------------------------------------------------------

const results = [];
function record(name, failures) {
  results.push({ name, ok: failures.length === 0 });
  console.log(
    failures.length === 0 ? `ok   ${name}` : `FAIL ${name}\n${failures.map((f) => `       - ${f}`).join('\n')}`,
  );
}

async function runCase(browser, env, c, themeName, width, shot) {
  const failures = [];
  const check = (cond, msg) => void (cond || failures.push(msg));
  const theme = THEMES[themeName];
  const context = await browser.newContext({
    viewport: { width, height: 700 },
    deviceScaleFactor: 1,
    timezoneId: 'Europe/Berlin',
    locale: 'en-GB',
    colorScheme: themeName === 'light' ? 'light' : 'dark',
  });
  const page = await context.newPage();
  const consoleErrors = [];
  page.on('console', (m) => void (m.type() === 'error' && consoleErrors.push(m.text())));
  page.on('pageerror', (e) => void consoleErrors.push(`page error: ${e.message}`));
  try {
    await page.addInitScript(stubVsCode, c.ui ?? null);
    // The page's clock runs up to the samples' `now`, then stands still until told to move: screenshots are
    // the same on every run (ages, countdowns), and the one-second tick is checked exactly.
    await page.clock.install({ time: env.now - 10_000 });
    const id = `${c.name}-${themeName}-${width}`;
    await page.goto(`${env.origin}/index.html?id=${encodeURIComponent(id)}`);
    // As VS Code does: theme variables on <html>, the theme kind as a class on <body>.
    await page.evaluate(({ vars, bodyClass }) => {
      for (const [k, v] of Object.entries(vars)) document.documentElement.style.setProperty(`--vscode-${k}`, v);
      document.body.classList.add(bodyClass);
    }, theme);
    await page
      .waitForFunction(() => /** @type {any} */ (window).__posted.some((m) => m.type === 'ready'), null, {
        timeout: 5000,
      })
      .catch(() => failures.push('the webview never posted ready'));
    await page.clock.pauseAt(env.now);
    const state = c.state === null ? null : env.samples[c.name];
    if (c.state !== null && !state) failures.push(`no sample state named ${c.name}`);
    if (state) {
      await page.evaluate((message) => window.dispatchEvent(new MessageEvent('message', { data: message })), {
        type: 'state',
        view: state,
      });
      await page
        .waitForFunction(
          () =>
            document.getElementById('app')?.getAttribute('aria-busy') !== null && !document.getElementById('loading'),
          null,
          { timeout: 5000 },
        )
        .catch(() => failures.push('the state was not rendered'));
    }
    await page.evaluate(() => document.fonts.ready);

    // The CSP meta tag is the one the template made, with default-src 'none' and the script's nonce.
    const meta = await page.evaluate(
      () => document.querySelector('meta[http-equiv="Content-Security-Policy"]')?.getAttribute('content') ?? null,
    );
    const page0 = env.pages.get(id);
    check(meta !== null && meta === page0?.csp, `CSP meta tag missing or altered: ${meta}`);
    check(
      meta?.startsWith("default-src 'none'") &&
        meta.includes(`script-src 'nonce-${page0?.nonce}'`) &&
        meta.includes("connect-src 'none'"),
      `CSP lacks default-src 'none' / the nonce / connect-src 'none': ${meta}`,
    );
    const scriptNonce = await page.evaluate(() => document.querySelector('script')?.nonce ?? '');
    check(scriptNonce === page0?.nonce, 'the script tag does not carry the nonce');

    // innerText: what is rendered (visible), but with CSS text-transform applied, hence the lower case.
    const text = await page.evaluate(() => document.body.innerText);
    const lower = text.toLowerCase();
    for (const e of c.expect) check(lower.includes(e.toLowerCase()), `missing text: ${JSON.stringify(e)}`);
    for (const e of c.absent ?? []) check(!lower.includes(e.toLowerCase()), `unexpected text: ${JSON.stringify(e)}`);
    for (const cmd of c.noButtons ?? [])
      check((await page.locator(`button[data-action="${cmd}"]`).count()) === 0, `unexpected ${cmd} button`);
    const banner = await page.evaluate(() => document.querySelector('.banner')?.getAttribute('data-level') ?? null);
    check(banner === (c.banner ?? null), `banner level ${banner}, expected ${c.banner ?? 'none'}`);
    if (c.banner) {
      check(lower.includes(env.samples[c.name].banner.title.toLowerCase()), 'banner title not shown');
      const live = await page.evaluate(() => document.getElementById('announcer')?.textContent ?? '');
      check(live === env.samples[c.name].banner.title, 'banner title not announced in the live region');
    }

    // Gauges: role=meter with min/max/now and a text label.
    const meters = await page.evaluate(() =>
      [...document.querySelectorAll('[role="meter"]')].map((m) => ({
        min: m.getAttribute('aria-valuemin'),
        max: m.getAttribute('aria-valuemax'),
        now: m.getAttribute('aria-valuenow'),
        label: m.getAttribute('aria-label'),
        text: m.getAttribute('aria-valuetext'),
      })),
    );
    if (c.meters !== undefined) check(meters.length === c.meters, `${meters.length} meters, expected ${c.meters}`);
    for (const m of meters)
      check(
        m.min === '0' && Number(m.max) > 0 && m.now !== null && Number(m.now) <= Number(m.max) && m.label && m.text,
        `bad meter ${JSON.stringify(m)}`,
      );
    // Charts: an SVG image with a title and a description, and a table with the same numbers.
    if (c.chart) {
      const chart = await page.evaluate((cid) => {
        const svg = document.querySelector('.chart-svg');
        return {
          title: document.getElementById(`${cid}-title`)?.textContent ?? null,
          role: svg?.getAttribute('role'),
          labelled: svg?.getAttribute('aria-labelledby'),
          rows: document.querySelectorAll('.chart table tbody tr').length,
          bars: document.querySelectorAll('.chart-svg .bar-rect').length,
        };
      }, c.chart);
      check(
        chart.title && chart.role === 'img' && chart.labelled?.includes(`${c.chart}-desc`),
        `chart ${c.chart} lacks its title/role/description: ${JSON.stringify(chart)}`,
      );
      check(
        chart.rows === (c.chart === 'chart-hourly' ? 24 : 30) && chart.bars > 0,
        `chart ${c.chart}: ${chart.rows} table rows, ${chart.bars} bars`,
      );
    }
    // Every control is a real <button>, and headings are in order (one h1).
    const a11y = await page.evaluate(() => ({
      h1: document.querySelectorAll('h1').length,
      fakeButtons: document.querySelectorAll('[role="button"], a[data-action], div[data-action], span[data-action]')
        .length,
    }));
    check(a11y.h1 === 1 && a11y.fakeButtons === 0, `headings/buttons: ${JSON.stringify(a11y)}`);
    // Nothing wider than the window.
    const overflow = await page.evaluate(
      () => document.documentElement.scrollWidth - document.documentElement.clientWidth,
    );
    check(overflow <= 0, `horizontal overflow of ${overflow}px at ${width}px`);

    if (shot) await page.screenshot({ path: shot, fullPage: true });

    // The countdown ticks every second, from the state's `now`.
    if (c.tick) {
      const read = () => page.evaluate(() => document.querySelector('[data-countdown-to]')?.textContent ?? '');
      const t0 = await read();
      check(t0 === '9:52:30', `countdown to 00:00 UTC reads ${t0}, expected 9:52:30`);
      await page.clock.runFor(1000);
      const t1 = await read();
      check(t1 === '9:52:29', `one second later the countdown reads ${t1}, expected 9:52:29`);
      await page.clock.runFor(60_000);
      const t2 = await read();
      check(t2 === '9:51:29', `a minute later the countdown reads ${t2}, expected 9:51:29`);
    }
    // Clicks post the right action (and only actions: no navigation, no network).
    for (const [selector, command] of [c.click, c.click2].filter(Boolean)) {
      const before = await page.evaluate(() => /** @type {any} */ (window).__posted.length);
      const btn = page.locator(selector).first();
      if ((await btn.count()) === 0) {
        failures.push(`no button ${selector}`);
        continue;
      }
      await btn.focus();
      await page.keyboard.press('Enter');
      const posted = await page.evaluate((n) => /** @type {any} */ (window).__posted.slice(n), before);
      check(
        posted.length === 1 && posted[0].type === 'action' && posted[0].action === command,
        `${selector} posted ${JSON.stringify(posted)}, expected action ${command}`,
      );
      const outline = await page.evaluate(() => getComputedStyle(document.activeElement).outlineStyle);
      check(outline !== 'none', `no visible focus outline on ${selector}`);
    }
    // A Free models button posts its model action with the row's id.
    if (c.modelClick) {
      const [selector, action, ids] = c.modelClick;
      const before = await page.evaluate(() => /** @type {any} */ (window).__posted.length);
      const btn = page.locator(selector).first();
      if ((await btn.count()) === 0) failures.push(`no button ${selector}`);
      else {
        await btn.focus();
        await page.keyboard.press('Enter');
        const posted = await page.evaluate((n) => /** @type {any} */ (window).__posted.slice(n), before);
        check(
          posted.length === 1 &&
            posted[0].type === 'modelAction' &&
            posted[0].action === action &&
            JSON.stringify(posted[0].ids) === JSON.stringify(ids),
          `${selector} posted ${JSON.stringify(posted)}, expected ${action} ${JSON.stringify(ids)}`,
        );
      }
    }
    // UI state: the range toggle persists through setState; the state survives a re-render.
    if (c.toggle) {
      await page.click('button[data-range="daily"]');
      const set = await page.evaluate(() => /** @type {any} */ (window).__setState);
      check(set.length === 1 && set[0].range === 'daily', `setState got ${JSON.stringify(set)}`);
      check(
        await page.evaluate(
          () =>
            !!document.getElementById('chart-daily-title') &&
            document.querySelectorAll('.chart table tbody tr').length === 30,
        ),
        'the daily chart did not replace the hourly one',
      );
      check(
        await page.evaluate(
          () => document.querySelector('button[data-range="daily"]')?.getAttribute('aria-pressed') === 'true',
        ),
        'the pressed state did not follow',
      );
    }
    // Everything the webview posted is a message the extension accepts (isWebviewMessage, the host's guard).
    const allPosted = await page.evaluate(() => /** @type {any} */ (window).__posted);
    check(
      allPosted.filter((m) => m.type === 'ready').length === 1,
      `ready posted ${allPosted.filter((m) => m.type === 'ready').length} times`,
    );
    for (const m of allPosted)
      check(env.protocol.isWebviewMessage(m), `posted a message the host rejects: ${JSON.stringify(m)}`);
    const violations = await page.evaluate(() => /** @type {any} */ (window).__violations);
    check(violations.length === 0, `CSP violations: ${violations.join('; ')}`);
    check(consoleErrors.length === 0, `console errors: ${consoleErrors.join('; ')}`);
  } catch (e) {
    failures.push(`threw: ${e instanceof Error ? e.stack : String(e)}`);
  } finally {
    await context.close();
  }
  return failures;
}

async function main() {
  fs.mkdirSync(ARTIFACTS, { recursive: true });
  const { template, samples, protocol, now } = await build();
  const env = { ...(await serve(template)), samples, protocol, now };
  const browser = await chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
    // Chromium writes crash reports and caches under $HOME even in headless mode: keep them in the temp dir.
    env: {
      ...process.env,
      HOME: path.join(tmp, 'home'),
      XDG_CONFIG_HOME: path.join(tmp, 'home/.config'),
      XDG_CACHE_HOME: path.join(tmp, 'home/.cache'),
    },
  });
  try {
    for (const c of CASES) {
      for (const theme of ['light', 'dark']) {
        record(
          `${c.name} (${theme}, 900 px)`,
          await runCase(browser, env, c, theme, 900, path.join(ARTIFACTS, `dashboard-${c.name}-${theme}.png`)),
        );
      }
      const narrowShot = ['normal', 'limit', 'no-key'].includes(c.name)
        ? path.join(ARTIFACTS, `dashboard-${c.name}-dark-500.png`)
        : undefined;
      record(`${c.name} (dark, 500 px)`, await runCase(browser, env, c, 'dark', 500, narrowShot));
    }
    record(
      'normal (high contrast, 900 px)',
      await runCase(
        browser,
        env,
        CASES.find((c) => c.name === 'normal'),
        'hc',
        900,
        path.join(ARTIFACTS, 'dashboard-normal-hc.png'),
      ),
    );
  } finally {
    await browser.close();
    env.server.close();
    fs.rmSync(tmp, { recursive: true, force: true });
  }
  const passed = results.filter((r) => r.ok).length;
  const failed = results.length - passed;
  if (failed === 0) {
    fs.mkdirSync(DOCS_IMAGES, { recursive: true });
    for (const theme of ['light', 'dark'])
      fs.copyFileSync(
        path.join(ARTIFACTS, `dashboard-normal-${theme}.png`),
        path.join(DOCS_IMAGES, `dashboard-${theme}.png`),
      );
  }
  console.log(`${passed} passed, ${failed} failed`);
  process.exitCode = failed === 0 ? 0 : 1;
}

main().catch((e) => {
  console.error(e);
  console.log(`${results.filter((r) => r.ok).length} passed, ${results.filter((r) => !r.ok).length + 1} failed`);
  process.exitCode = 1;
});
