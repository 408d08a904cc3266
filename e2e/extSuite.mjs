// Ext mode: run the project's mocha suite INSIDE the real Node extension host of code-server, the way
// @vscode/test-electron would on desktop: the workbench loads the extension from the repo
// (extensionDevelopmentPath) and calls run() of extensionTestsPath, then reports through codeAutomationExit.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createRequire } from 'node:module';
import { scanForSecret, selfTest, findFiles } from './leakScan.mjs';
import util from 'node:util';
import { startCodeServer, openBrowser, memoryMB } from './codeServer.mjs';

export const EXT_ARTIFACTS = ['ext-code-server.log', 'ext-console.log'];

// Workbench console chatter that is expected offline (extension gallery, github auth, vsda, 404s).
const NOISE = /ENOTFOUND|ERR_NAME_NOT_RESOLVED|authentication provider|^Canceled|vsda|Failed to load resource|open-vsx/;

export async function extSuite({ root, artifacts, reporter, cleanup, log, timeoutMs }) {
  const pkg = JSON.parse(fs.readFileSync(path.join(root, 'package.json'), 'utf8'));
  const testsEntry = path.join(root, 'out', 'test', 'integration', 'index');
  const main = path.resolve(root, pkg.main);
  for (const [f, how] of [
    [`${testsEntry}.js`, 'npm run compile-tests'],
    [main, 'npm run build (or npm run package)'],
  ]) {
    if (!fs.existsSync(f)) throw new Error(`${f} missing: run "${how}" first`);
  }
  // The test runner writes {failures, stats, summary, tests?} here; the server's env reaches the extension host.
  const resultsDir = fs.mkdtempSync(path.join(os.tmpdir(), 'vse2e-results-'));
  cleanup.add(async () => fs.rmSync(resultsDir, { recursive: true, force: true }));
  const resultsFile = path.join(resultsDir, 'results.json');

  // enable-smoke-test-driver: the built web workbench ignores the extensionDevelopmentPath/extensionTestsPath
  // "payload" URL parameter without it (it also hides notification toasts, hence a separate server for ui).
  const cs = await startCodeServer({
    name: 'ext',
    log,
    extensions: [path.join(root, 'e2e', 'lmClient')],
    env: { VSCODE_E2E_RESULTS: resultsFile },
    extraArgs: ['--vscode-option', 'enable-smoke-test-driver'],
  });
  cleanup.add(cs.dispose);
  const browser = await openBrowser({ name: 'ext', log });
  cleanup.add(browser.dispose);
  const { page } = browser;

  const consoleLog = fs.createWriteStream(path.join(artifacts, 'ext-console.log'));
  cleanup.add(() => new Promise((r) => consoleLog.end(r)));
  page.on('console', async (m) => {
    // The workbench re-logs extension-host console output as ('%c INFO', 'color: #33f', fmt, ...args).
    let vals = await Promise.all(m.args().map((a) => a.jsonValue().catch(() => '?')));
    let level = m.type();
    if (typeof vals[0] === 'string' && vals[0].startsWith('%c')) {
      level = vals[0].slice(2).trim();
      vals = vals.slice(2);
    }
    const text = util.format(...vals);
    if (!consoleLog.writableEnded) consoleLog.write(`[${level}] ${text}\n`); // (abort: ended before the browser)
    if (level === 'ERR' && !NOISE.test(text)) log(`  [exthost ${level}] ${text.slice(0, 500)}`);
  });

  const authority = `127.0.0.1:${cs.port}`;
  const payload = [
    ['extensionDevelopmentPath', `vscode-remote://${authority}${root}`],
    ['extensionTestsPath', `vscode-remote://${authority}${testsEntry}`],
  ];
  let resolveExit;
  const exitCode = new Promise((resolve) => {
    resolveExit = resolve;
  });
  const timer = setTimeout(() => resolveExit('timeout'), timeoutMs);
  // The workbench calls window.codeAutomationExit(0|1) when run() settles.
  await page.exposeFunction('codeAutomationExit', (code) => resolveExit(code));
  const t = Date.now();
  await page.goto(`${cs.url}&payload=${encodeURIComponent(JSON.stringify(payload))}`, {
    waitUntil: 'domcontentloaded',
  });
  log('[ext] workbench loaded; waiting for the test run to finish');
  const code = await exitCode;
  clearTimeout(timer);
  log(
    `[ext] codeAutomationExit(${code}) after ${((Date.now() - t) / 1000).toFixed(1)}s; memory: code-server tree ${memoryMB(cs.pid)} MB`,
  );
  await browser.close();
  await cs.stop();
  fs.copyFileSync(cs.logFile, path.join(artifacts, 'ext-code-server.log'));
  await new Promise((r) => consoleLog.end(r));

  // The suite stored, used and revoked the test key through the extension, ran the proxy with it and wrote
  // logs: none of that may leave the key in the clear in the profile (global storage, logs, settings), the
  // browser's profile, or the console output.
  const { TEST_KEY } = createRequire(import.meta.url)(path.join(root, 'out', 'test', 'fixtures', 'fakeOpenRouter.js'));
  await reporter.step('[ext] API key not written in the clear to any file after the extension-host suite', () => {
    selfTest(TEST_KEY);
    const roots = [cs.dir, browser.dir, artifacts];
    const r = scanForSecret(roots, TEST_KEY);
    if (r.hits.length) throw new Error(`raw key found in ${r.hits.map((h) => `${h.file} (${h.encoding})`).join(', ')}`);
    if (r.skipped.some((x) => !/bytes >/.test(x.reason))) throw new Error('some files could not be read');
    const logs = findFiles(path.join(cs.userDataDir, 'logs'), 'OpenRouter Quota');
    if (!logs.length) throw new Error('no extension log to scan: the scan would prove nothing');
    return `${r.files} files, ${(r.bytes / 1048576).toFixed(1)} MB scanned (code-server profile incl. ${logs.length} extension log(s), chromium profile, artifacts)`;
  });

  let res;
  try {
    res = JSON.parse(fs.readFileSync(resultsFile, 'utf8'));
  } catch (e) {
    reporter.fail(
      'extension-host mocha suite wrote its results',
      new Error(`${resultsFile}: ${e.message} (exit code ${code}; see e2e-artifacts/ext-console.log)`),
    );
    return;
  }
  reportResults(res, code, reporter);
}

// Prefer per-test titles (res.tests); fall back to mocha's counts when the runner doesn't provide them.
function reportResults(res, code, reporter) {
  const before = reporter.results.length;
  if (Array.isArray(res.tests)) {
    for (const t of res.tests) {
      const title = `[exthost] ${t.title}`;
      if (t.state === 'passed') reporter.pass(title);
      else if (t.state === 'failed')
        reporter.fail(title, new Error(String(t.error?.message ?? t.err?.message ?? t.error ?? t.err ?? 'failed')));
      else reporter.skip(title, t.state ?? 'no state');
    }
  } else {
    const stats = res.stats ?? {};
    for (let i = 1; i <= (stats.passes ?? 0); i++) reporter.pass(`[exthost] test ${i} passed`);
    for (let i = 1; i <= (stats.failures ?? res.failures ?? 0); i++)
      reporter.fail(`[exthost] test failure ${i}`, new Error('see the mocha output in e2e-artifacts/ext-console.log'));
  }
  const added = reporter.results.slice(before);
  if (res.summary) reporter.note(`[exthost] runner summary: ${res.summary}`);
  const failures = added.filter((r) => !r.ok).length;
  if (added.length === 0) reporter.fail('[exthost] suite ran at least one test', new Error('no tests reported'));
  if (typeof res.failures === 'number' && res.failures !== failures)
    reporter.fail(
      '[exthost] results consistent',
      new Error(`runner says ${res.failures} failures, tests list says ${failures}`),
    );
  // codeAutomationExit(0) means run() resolved; anything else with no failing test is a runner problem.
  if (code !== 0 && failures === 0)
    reporter.fail('[exthost] runner exited cleanly', new Error(`codeAutomationExit(${code})`));
}
