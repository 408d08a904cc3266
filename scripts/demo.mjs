// Interactive demo: the packaged extension in a real VS Code (code-server) against the fake OpenRouter
// server in demo mode (its numbers move by themselves). Nothing leaves 127.0.0.1.
//
//   npm run demo                      (packages the .vsix first)
//   node scripts/demo.mjs [--port N]  (or DEMO_PORT=N; default 8080, a free port if that one is taken)
//
// code-server gets OPENROUTER_API_KEY=<the fake server's test key>, so the extension offers (once) to import
// it; the demo also prints that key and how to set it by hand, for a second browser or after "Not Now".
// First run installs the toolchain (e2e/setup.mjs: a few minutes, about 800 MB, once; see the README).
// Runs until Ctrl-C, then removes its temp dirs.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { createRequire } from 'node:module';
import { ensureToolchain, ROOT } from '../e2e/setup.mjs';
import { startCodeServer, createCleanup, once, QUIET_SETTINGS } from '../e2e/codeServer.mjs';

const log = (m) => console.log(`[demo] ${m}`);
const argv = process.argv.slice(2);
const portArg = argv.includes('--port') ? argv[argv.indexOf('--port') + 1] : (process.env.DEMO_PORT ?? '8080');
const wanted = Number(portArg);
if (!Number.isInteger(wanted) || wanted < 0 || wanted > 65535) {
  console.error(`usage: node scripts/demo.mjs [--port N]   (bad port "${portArg}")`);
  process.exit(2);
}

const pkg = JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8'));
const vsix = path.join(ROOT, 'dist', `${pkg.name}.vsix`);
const fixture = path.join(ROOT, 'out', 'test', 'fixtures', 'fakeOpenRouter.js');
if (!fs.existsSync(vsix)) {
  console.error(`${vsix} missing: run "npm run demo" (it packages first) or "npm run package"`);
  process.exit(1);
}
if (!fs.existsSync(fixture)) {
  // `npm run demo` only packages; the fake server is compiled with the tests.
  log(`${path.relative(ROOT, fixture)} missing: running "npm run compile-tests"`);
  if (spawnSync('npm', ['run', 'compile-tests'], { cwd: ROOT, stdio: 'inherit' }).status !== 0) process.exit(1);
}

/** True if nothing listens on 127.0.0.1:port (checked by binding it briefly). */
function portFree(port) {
  return new Promise((resolve) => {
    const srv = net.createServer().once('error', () => resolve(false));
    srv.listen(port, '127.0.0.1', () => srv.close(() => resolve(true)));
  });
}

const cleanup = createCleanup(log);
let stopping = false;
const shutdown = once(async (code) => {
  stopping = true;
  log('stopping…');
  await cleanup.run();
  process.exit(code);
});
for (const sig of ['SIGINT', 'SIGTERM']) process.on(sig, () => shutdown(0));

try {
  ensureToolchain({ browser: false }); // the demo is opened in your own browser: chromium not needed
  let port = wanted;
  if (port !== 0 && !(await portFree(port))) {
    log(
      `port ${port} is already in use on 127.0.0.1; using a free port instead (choose one with --port N or DEMO_PORT=N)`,
    );
    port = 0;
  }
  const { FakeOpenRouter, TEST_KEY } = createRequire(import.meta.url)(fixture);
  const fake = await FakeOpenRouter.start({ demo: true });
  cleanup.add(once(() => fake.close()));
  log(`fake OpenRouter (demo mode) at ${fake.baseUrl}`);
  const cs = await startCodeServer({
    name: 'demo',
    vsix,
    port,
    log: console.log, // its lines carry their own [demo] prefix
    settings: QUIET_SETTINGS,
    // machine-scoped setting: in code-server's remote extension host only the Machine settings file counts
    machineSettings: { 'openrouterQuota.apiBaseUrl': fake.baseUrl },
    env: { OPENROUTER_API_KEY: TEST_KEY },
  });
  cleanup.add(cs.dispose);
  cs.exited.then((code) => {
    if (stopping) return;
    log(`code-server exited unexpectedly (${code}); log: ${cs.logFile}`);
    shutdown(1);
  });
  // The offer to import OPENROUTER_API_KEY comes once (keyCommands.ts offerEnvironmentKey); after "Not Now",
  // or in a second browser, which starts without the key, the user sets it by hand: print it, and how.
  console.log(`
  Open ${cs.url} in a browser.

  The key: the extension offers once to import OPENROUTER_API_KEY (set to the fake server's key):
  click "Import Key" on that notification. Missed it (clicked "Not Now", or opened a second browser)?
  Press F1, run "OpenRouter: Set API Key" and paste the fake key:

      ${TEST_KEY}

  It is accepted only by the fake OpenRouter at ${fake.baseUrl}, not a real key.
  Then watch the status bar: the fake account's numbers climb by themselves.

  code-server log: ${cs.logFile}
  Press Ctrl-C to stop.
`);
} catch (e) {
  console.error(`[demo] ERROR ${e.message}`);
  await shutdown(1);
}
