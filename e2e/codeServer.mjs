// Shared helpers for e2e/run.mjs and scripts/demo.mjs: start an isolated code-server (real VS Code 1.139
// server + web workbench), open Debian's chromium on it through playwright-core, and tear both down.
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { NODE24, CODE_SERVER, CHROMIUM } from './setup.mjs';

/** User settings that keep the workbench quiet and offline-friendly; callers merge their own on top. */
export const QUIET_SETTINGS = {
  'workbench.startupEditor': 'none',
  'workbench.enableExperiments': false,
  'workbench.tips.enabled': false,
  'telemetry.telemetryLevel': 'off',
  'update.mode': 'none',
  'extensions.autoCheckUpdates': false,
  'extensions.autoUpdate': false,
  'extensions.ignoreRecommendations': true,
  // stops the agent host / copilot-runtime processes (~150 MB each) from starting
  'chat.disableAIFeatures': true,
  // otherwise an empty chat side bar takes a third of the window in screenshots
  'workbench.secondarySideBar.defaultVisibility': 'hidden',
  'security.workspace.trust.enabled': false,
  'git.enabled': false,
  'git.autoRepositoryDetection': false,
};

const keep = () => Boolean(process.env.E2E_KEEP);

/**
 * LIFO list of async teardown steps. run() may be called from several places at once (watchdog, signal
 * handler, normal flow): concurrent callers share one pass, so nobody returns before teardown is done.
 */
export function createCleanup(log = console.log) {
  const steps = [];
  let running = null;
  return {
    add(fn) {
      steps.push(fn);
    },
    run() {
      running ??= (async () => {
        while (steps.length)
          await steps
            .pop()()
            .catch((e) => log(`cleanup: ${e.message}`));
      })().finally(() => {
        running = null;
      });
      return running;
    },
  };
}

/** Wraps an async teardown so every caller awaits the same single execution. */
export function once(fn) {
  let p;
  return () => (p ??= fn());
}

function httpOk(url) {
  return new Promise((resolve, reject) => {
    const req = http.get(url, { timeout: 2000 }, (res) => {
      res.resume();
      res.on('end', () =>
        res.statusCode === 200 ? resolve() : reject(new Error(`HTTP ${res.statusCode} from ${url}`)),
      );
    });
    req.on('error', reject);
    req.on('timeout', () => req.destroy(new Error(`timeout: ${url}`)));
  });
}

/**
 * Starts code-server on 127.0.0.1:<port> (0 = any free port) with everything it writes kept in one temp dir:
 *   <dir>/home (HOME, XDG_*), ud (user-data-dir, incl. logs), ext (extensions-dir), ws (the opened folder),
 *   tmp (TMPDIR: VS Code's ipc/git sockets), config.yaml, code-server.log.
 * Options: name, settings (object -> ud/User/settings.json), machineSettings (-> ud/Machine/settings.json),
 * vsix (installed first), extensions (unpacked extension folders, copied into the extensions dir), env (extra env for the server and so for the extension host), extraArgs, port, log.
 * The extension host here is a *remote* one: VS Code ignores `"scope": "machine"` settings from User settings
 * in a remote window, so such settings (e.g. a base URL) must go in machineSettings, the remote machine's
 * settings file (the workbench's "Remote" settings tab). Machine settings also override User ones for
 * every other scope, so that is the safe place for anything the extension must see.
 * Returns { dir, port, pid, ws, userDataDir, url, logFile, exited, stop(), dispose() }: exited resolves with
 * the exit code; stop() ends the process tree and keeps the files (e.g. to scan them), dispose() also
 * deletes them unless E2E_KEEP=1.
 */
export async function startCodeServer({
  name = 'cs',
  settings = QUIET_SETTINGS,
  machineSettings,
  vsix,
  extensions = [],
  env = {},
  extraArgs = [],
  port = 0,
  log = console.log,
} = {}) {
  // Short base path: VS Code creates unix sockets under TMPDIR and their paths are limited to 107 chars.
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), `vse2e-${name}-`));
  const p = (...s) => path.join(dir, ...s);
  for (const d of ['home', 'ud/User', 'ext', 'ws', 'tmp']) fs.mkdirSync(p(d), { recursive: true });
  fs.writeFileSync(p('ud/User/settings.json'), JSON.stringify(settings, null, 2));
  if (machineSettings) {
    fs.mkdirSync(p('ud/Machine'), { recursive: true });
    fs.writeFileSync(p('ud/Machine/settings.json'), JSON.stringify(machineSettings, null, 2));
  }
  fs.writeFileSync(p('config.yaml'), `bind-addr: 127.0.0.1:${port}\nauth: none\ncert: false\n`);
  fs.writeFileSync(p('ws/README.md'), '# e2e workspace\n');
  // Unpacked extensions (e.g. e2e/lmClient, another extension that uses ours): copied in as installed ones.
  for (const ext of extensions) {
    const m = JSON.parse(fs.readFileSync(path.join(ext, 'package.json'), 'utf8'));
    fs.cpSync(ext, p('ext', `${m.publisher}.${m.name}-${m.version}`), { recursive: true });
  }

  // Never pass the developer's own OpenRouter credentials through to the extension under test: only
  // what the caller puts in `env` reaches it.
  const inherited = Object.fromEntries(Object.entries(process.env).filter(([k]) => !/^OPENROUTER_/i.test(k)));
  // Without these redirects code-server writes ~/.config/code-server/config.yaml and ~/.local/share/code-server,
  // and VS Code puts its vscode-*.sock files in /tmp.
  const csEnv = {
    ...inherited,
    ...env,
    HOME: p('home'),
    XDG_CONFIG_HOME: p('home/.config'),
    XDG_DATA_HOME: p('home/.local/share'),
    XDG_CACHE_HOME: p('home/.cache'),
    XDG_STATE_HOME: p('home/.local/state'),
    TMPDIR: p('tmp'),
  };
  const common = ['--config', p('config.yaml'), '--user-data-dir', p('ud'), '--extensions-dir', p('ext')];
  const logFile = p('code-server.log');

  const rmDir = () => {
    if (keep()) log(`[${name}] kept ${dir}`);
    else fs.rmSync(dir, { recursive: true, force: true });
  };
  if (vsix) {
    const t = Date.now();
    const r = spawnSync(NODE24, [CODE_SERVER, ...common, '--install-extension', vsix, '--force'], {
      env: csEnv,
      encoding: 'utf8',
    });
    fs.appendFileSync(logFile, `${r.stdout ?? ''}${r.stderr ?? ''}`);
    if (r.status !== 0 || !/successfully installed/i.test(r.stdout)) {
      rmDir();
      throw new Error(`--install-extension ${vsix} failed (exit ${r.status}):\n${r.stdout}\n${r.stderr}`);
    }
    log(`[${name}] installed ${path.basename(vsix)} in ${Date.now() - t} ms`);
  }

  const errFd = fs.openSync(logFile, 'a');
  // detached = own process group, so stop() can signal the whole tree (extension host, pty host, ...).
  const child = spawn(
    NODE24,
    [
      CODE_SERVER,
      ...common,
      '--disable-telemetry',
      '--disable-update-check',
      '--disable-workspace-trust',
      '--disable-getting-started-override',
      '--ignore-last-opened',
      ...extraArgs,
      p('ws'),
    ],
    { env: csEnv, detached: true, stdio: ['ignore', 'pipe', errFd] },
  );
  fs.closeSync(errFd);
  const exited = new Promise((resolve) => child.once('exit', resolve));

  const stop = once(async () => {
    const killGroup = (sig) => {
      try {
        process.kill(-child.pid, sig);
      } catch {
        /* already gone */
      }
    };
    // leader already dead: still sweep its group (an orphaned extension host would keep running)
    if (child.exitCode !== null || child.signalCode !== null) return killGroup('SIGKILL');
    killGroup('SIGTERM');
    let timer;
    const timeout = new Promise((resolve) => {
      timer = setTimeout(() => resolve('timeout'), 10000);
    });
    if ((await Promise.race([exited, timeout])) === 'timeout') killGroup('SIGKILL');
    clearTimeout(timer);
    killGroup('SIGKILL'); // stragglers that left the leader behind
  });
  const dispose = once(async () => {
    await stop();
    rmDir();
  });

  const t = Date.now();
  try {
    const actualPort = await new Promise((resolve, reject) => {
      let buf = '';
      const to = setTimeout(() => reject(new Error(`code-server did not listen within 60s; see ${logFile}`)), 60000);
      child.stdout.on('data', (d) => {
        fs.appendFileSync(logFile, d);
        if (buf === null) return;
        buf += d;
        const m = buf.match(/HTTP server listening on http:\/\/127\.0\.0\.1:(\d+)\//);
        if (m) {
          buf = null;
          clearTimeout(to);
          resolve(Number(m[1]));
        }
      });
      child.once('exit', (c) => {
        clearTimeout(to);
        reject(
          new Error(`code-server exited (${c}) before listening; log: ${fs.readFileSync(logFile, 'utf8').slice(-800)}`),
        );
      });
    });
    const deadline = Date.now() + 15000;
    for (;;) {
      try {
        await httpOk(`http://127.0.0.1:${actualPort}/healthz`);
        break;
      } catch (e) {
        if (Date.now() > deadline) throw e;
        await new Promise((r) => setTimeout(r, 100));
      }
    }
    log(`[${name}] code-server pid ${child.pid} ready on 127.0.0.1:${actualPort} in ${Date.now() - t} ms`);
    return {
      dir,
      port: actualPort,
      pid: child.pid,
      ws: p('ws'),
      userDataDir: p('ud'),
      logFile,
      // '/' may stay unescaped in a query: keeps the printed demo URL readable
      url: `http://127.0.0.1:${actualPort}/?folder=${encodeURIComponent(p('ws')).replace(/%2F/g, '/')}`,
      exited,
      stop,
      dispose,
    };
  } catch (e) {
    await dispose();
    throw e;
  }
}

/**
 * Launches headless chromium (Debian's, through playwright-core) with a fresh persistent profile in a temp
 * dir; scale = deviceScaleFactor (2 gives crisp screenshots, same CSS layout).
 * Returns { context, page, dir, close(), dispose() }: close() keeps the profile on disk (e.g. to scan it),
 * dispose() deletes it unless E2E_KEEP=1. playwright-core is imported lazily so scripts/demo.mjs never needs it.
 */
export async function openBrowser({ name = 'browser', scale = 1, log = console.log } = {}) {
  const { chromium } = await import('playwright-core');
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), `vse2e-chrome-${name}-`));
  for (const d of ['profile', 'home', 'tmp']) fs.mkdirSync(path.join(dir, d));
  const context = await chromium.launchPersistentContext(path.join(dir, 'profile'), {
    executablePath: CHROMIUM,
    headless: true,
    viewport: { width: 1280, height: 800 },
    deviceScaleFactor: scale,
    // chromium creates $HOME/.config/chromium (crash reports) even with its own profile: keep it all in dir.
    env: {
      ...process.env,
      HOME: path.join(dir, 'home'),
      XDG_CONFIG_HOME: path.join(dir, 'home/.config'),
      XDG_CACHE_HOME: path.join(dir, 'home/.cache'),
      TMPDIR: path.join(dir, 'tmp'),
    },
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
  const page = context.pages()[0] ?? (await context.newPage());
  page.setDefaultTimeout(60000);
  const close = once(() => context.close());
  const dispose = once(async () => {
    await close();
    if (keep()) log(`[${name}] kept browser profile ${dir}`);
    else fs.rmSync(dir, { recursive: true, force: true });
  });
  return { context, page, dir, close, dispose };
}

/** Summed RSS (MB) of a process and its descendants, read from /proc. */
export function memoryMB(pid) {
  const kids = new Map();
  for (const p of fs.readdirSync('/proc').filter((x) => /^\d+$/.test(x))) {
    try {
      const ppid = Number(fs.readFileSync(`/proc/${p}/stat`, 'utf8').split(') ')[1].split(' ')[1]);
      if (!kids.has(ppid)) kids.set(ppid, []);
      kids.get(ppid).push(Number(p));
    } catch {
      /* process ended meanwhile */
    }
  }
  let kb = 0;
  const walk = (q) => {
    try {
      kb += Number(/VmRSS:\s+(\d+)/.exec(fs.readFileSync(`/proc/${q}/status`, 'utf8'))?.[1] ?? 0);
    } catch {
      /* gone */
    }
    for (const c of kids.get(q) ?? []) walk(c);
  };
  walk(pid);
  return Math.round(kb / 1024);
}
