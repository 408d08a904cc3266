// End-to-end tests of the extension in a real VS Code: code-server 4.139.1 (= VS Code 1.139.1 web
// workbench + Node extension host) driven by playwright-core through Debian's chromium, all on 127.0.0.1.
//
//   node e2e/run.mjs --mode ui    install dist/<name>.vsix and use it like a user (see e2e/uiFlow.mjs)
//   node e2e/run.mjs --mode ext   run out/test/integration/index.js inside the extension host (e2e/extSuite.mjs)
//   node e2e/run.mjs --mode all   both (default), one code-server each
//
// Prints one line per check and, last, exactly "N passed, N failed". Exit 0 only if nothing failed and
// at least one check passed. The first run installs the toolchain (e2e/setup.mjs, ~2.5 min).
// Env: E2E_TIMEOUT_S   watchdog for the tests after the toolchain is ready (default 300)
//      E2E_ARTIFACTS   screenshots and logs (default <repo>/e2e-artifacts)
//      E2E_KEEP=1      keep the temp dirs (code-server user data, chromium profile) for inspection
//      VSCODE_E2E_HOME toolchain location (default <repo>/.vscode-e2e); CHROMIUM_PATH (default /usr/bin/chromium)
import fs from 'node:fs';
import path from 'node:path';
import { ensureToolchain, ROOT } from './setup.mjs';
import { createCleanup } from './codeServer.mjs';
import { uiFlow, UI_ARTIFACTS } from './uiFlow.mjs';
import { extSuite, EXT_ARTIFACTS } from './extSuite.mjs';

const T0 = Date.now();
const log = (m) => console.log(`[e2e ${((Date.now() - T0) / 1000).toFixed(1)}s] ${m}`);

const argv = process.argv.slice(2);
const MODE = argv.includes('--mode') ? argv[argv.indexOf('--mode') + 1] : 'all';
if (!['ui', 'ext', 'all'].includes(MODE)) {
  console.error(`usage: node e2e/run.mjs [--mode ui|ext|all]   (got "${MODE}")`);
  process.exit(2);
}
const TIMEOUT_S = Number(process.env.E2E_TIMEOUT_S ?? 300);
const ARTIFACTS = path.resolve(process.env.E2E_ARTIFACTS ?? path.join(ROOT, 'e2e-artifacts'));

let stopReason = null; // set by the watchdog or a signal; recorded as one failure

function createReporter() {
  const results = [];
  const firstLine = (e) => String(e?.message ?? e).split('\n')[0];
  // assertion messages put the interesting part (actual vs expected) on later lines: show a few of them
  const moreLines = (e) =>
    String(e?.message ?? e)
      .split('\n')
      .slice(1)
      .filter((l) => l.trim())
      .slice(0, 6)
      .map((l) => `\n         ${l.trim().slice(0, 300)}`)
      .join('');
  const r = {
    results,
    // After an abort, teardown makes the still-running steps fail or scan half-deleted dirs: don't count them.
    pass(title, ms) {
      if (stopReason) return log(`  (ignored after abort) ok ${title}`);
      results.push({ title, ok: true });
      log(`  ok   ${title}${ms == null ? '' : ` (${ms} ms)`}`);
    },
    fail(title, err) {
      if (stopReason) return log(`  (ignored after abort) FAIL ${title}: ${firstLine(err)}`);
      results.push({ title, ok: false });
      log(`  FAIL ${title}: ${firstLine(err)}${moreLines(err)}`);
    },
    skip(title, why) {
      log(`  skip ${title} (${why})`);
    },
    note(text) {
      log(`       ${text}`);
    },
    /** Runs fn as one check; a string it returns is appended to the title. Returns true if it passed. */
    async step(title, fn) {
      const t = Date.now();
      try {
        const detail = await fn();
        r.pass(typeof detail === 'string' ? `${title}: ${detail}` : title, Date.now() - t);
        return true;
      } catch (e) {
        r.fail(title, e);
        return false;
      }
    },
  };
  return r;
}

const reporter = createReporter();
const cleanup = createCleanup(log);

let finished = false;
function finish() {
  if (finished) return; // the watchdog and the normal flow can both get here
  finished = true;
  if (stopReason) {
    reporter.results.push({ title: stopReason, ok: false });
    log(`  FAIL ${stopReason}`);
  }
  const passed = reporter.results.filter((x) => x.ok).length;
  const failed = reporter.results.length - passed;
  log(`done in ${((Date.now() - T0) / 1000).toFixed(1)}s`);
  console.log(`${passed} passed, ${failed} failed`);
  process.exit(failed === 0 && passed > 0 ? 0 : 1);
}

let watchdog;
const abort = async (reason) => {
  stopReason ??= reason;
  log(`ABORT: ${reason}`);
  clearTimeout(watchdog);
  await cleanup.run();
  finish();
};
for (const sig of ['SIGINT', 'SIGTERM']) process.on(sig, () => abort(`interrupted by ${sig}`));

try {
  // Synchronous (blocks the event loop), so it runs before the watchdog starts; npm bounds it.
  await reporter.step('toolchain ready (Node 24 + code-server)', () => {
    ensureToolchain();
  });
  if (!reporter.results.every((x) => x.ok)) finish();

  const deadline = Date.now() + TIMEOUT_S * 1000;
  watchdog = setTimeout(() => abort(`tests finished within E2E_TIMEOUT_S=${TIMEOUT_S}s (watchdog)`), TIMEOUT_S * 1000);

  fs.mkdirSync(ARTIFACTS, { recursive: true });
  const ctx = { root: ROOT, artifacts: ARTIFACTS, reporter, cleanup, log };
  const modes = [
    ['ui', UI_ARTIFACTS, () => uiFlow(ctx)],
    ['ext', EXT_ARTIFACTS, () => extSuite({ ...ctx, timeoutMs: Math.max(30000, deadline - Date.now() - 20000) })],
  ].filter(([m]) => MODE === 'all' || MODE === m);
  for (const [name, files, fn] of modes) {
    for (const f of files) fs.rmSync(path.join(ARTIFACTS, f), { force: true });
    const t = Date.now();
    log(`--- ${name} mode ---`);
    try {
      await fn();
    } catch (e) {
      reporter.fail(`${name} mode ran to completion`, e);
    }
    await cleanup.run();
    log(`--- ${name} mode took ${((Date.now() - t) / 1000).toFixed(1)}s ---`);
  }
} catch (e) {
  reporter.fail('harness', e);
} finally {
  clearTimeout(watchdog);
  await cleanup.run();
}
finish();
