// npm run bench: every figure of issue 5, side by side in one run, all on loopback.
//   (a) direct to an instant upstream (bench/upstream.mjs, own process)
//   (b) bench/barePipe.mjs, a plain node:http pass-through proxy (own process): the least any proxy adds
//   (c) our proxy: the CLI (out/src/cli.js proxy, own process, --pacing off, a :free model so it counts)
// Then: SSE event delivery delay, 1,000 concurrent streams, request bodies (bench/bodies.mjs: 1 MB at c=16,
// 80 x 15 MiB with RSS, 20,000 distinct model ids), activation time in a real VS Code (code-server),
// bundle sizes, and the poller's API calls in 10 simulated minutes. Writes the tables into bench/RESULTS.md
// (between the bench markers; text around them is kept).
// Env: BENCH_SCALE=0.5 (fewer samples), BENCH_SKIP_VSCODE=1, BENCH_ACTIVATION_RUNS=3, BENCH_NO_WRITE=1.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { createRequire } from 'node:module';
import { bigBodies, bodiesReport, manyModels, mbAtC16 } from './bodies.mjs';

const require = createRequire(import.meta.url);
const ROOT = path.resolve(import.meta.dirname, '..');
const OUT = path.join(ROOT, 'out');
const T0 = Date.now();
const HARD_LIMIT_MS = 9 * 60_000; // whole bench; every phase below is bounded too
const SCALE = Number(process.env.BENCH_SCALE ?? 1);
const FREE = 'meta-llama/llama-3.3-70b-instruct:free';
const KEY = 'sk-or-v1-' + 'be0c4'.repeat(12) + '0123';
const TOKEN = 'orq-bench-token-0123456789abcdefghijklmnopqrstuvwxyz';
const log = (m) => console.log(`[bench ${((Date.now() - T0) / 1000).toFixed(0).padStart(3)}s] ${m}`);
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const children = [];
const errFiles = [];
const watchdog = setTimeout(() => {
  console.error('bench: hard time limit reached');
  cleanup();
  process.exit(2);
}, HARD_LIMIT_MS);
watchdog.unref();
function cleanup() {
  for (const c of children) if (c.exitCode === null) c.kill('SIGKILL');
}
process.on('SIGINT', () => {
  cleanup();
  process.exit(130);
});

// ---------- processes ----------
function startChild(args, env, pattern, name) {
  const errFile = path.join(os.tmpdir(), `orq-bench-${name}-${process.pid}.log`);
  errFiles.push(errFile);
  const errFd = fs.openSync(errFile, 'w');
  const child = spawn(process.execPath, args, {
    env: { ...process.env, HTTP_PROXY: '', HTTPS_PROXY: '', http_proxy: '', https_proxy: '', ...env },
    stdio: ['ignore', 'pipe', errFd],
  });
  fs.closeSync(errFd);
  children.push(child);
  return new Promise((resolve, reject) => {
    const to = setTimeout(() => reject(new Error(`${name} did not start in 15 s (see ${errFile})`)), 15_000);
    let buf = '';
    child.stdout.on('data', (b) => {
      buf += b;
      const m = pattern.exec(buf);
      if (m) {
        clearTimeout(to);
        resolve({ child, pid: child.pid, port: Number(m[1]), errFile });
      }
    });
    child.on('exit', (c) => {
      clearTimeout(to);
      reject(new Error(`${name} exited (${c}); see ${errFile}`));
    });
  });
}
const stopChild = (c) =>
  new Promise((r) => {
    if (c.exitCode !== null) return r();
    c.once('exit', r);
    c.kill('SIGTERM');
    setTimeout(() => c.kill('SIGKILL'), 5000).unref();
  });

function procStatus(pid, field) {
  try {
    return (
      Number(new RegExp(`${field}:\\s+(\\d+)`).exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? 0) / 1024
    );
  } catch {
    return NaN;
  }
}
/** Resets VmHWM to the current RSS (Linux clear_refs 5) so each concurrency gets its own peak. */
function resetPeak(pid) {
  try {
    fs.writeFileSync(`/proc/${pid}/clear_refs`, '5');
    return true;
  } catch {
    return false;
  }
}
function cpuMs(pid) {
  try {
    const f = fs.readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
    return (Number(f[11]) + Number(f[12])) * 10;
  } catch {
    return NaN;
  }
}

// ---------- client ----------
const PAID = 'openai/gpt-4.1';
const SMALL = (model) => JSON.stringify({ model, messages: [{ role: 'user', content: 'hi' }] });
const MB = (model) => {
  const head = JSON.stringify({ model, messages: [{ role: 'user', content: '' }] });
  return head.replace('"content":""', `"content":"${'x'.repeat(1024 * 1024 - head.length)}"`);
};
const SSE_BODY = JSON.stringify({ model: FREE, stream: true, messages: [{ role: 'user', content: 'hi' }] });
const SSE = (model) => JSON.stringify({ model, stream: true, messages: [{ role: 'user', content: 'hi' }] });
const bodyCache = new Map();
const bodyOf = (sc, model) => {
  const k = `${sc.name}|${model}`;
  if (!bodyCache.has(k)) bodyCache.set(k, Buffer.from(sc.make(model)));
  return bodyCache.get(k);
};
const SCENARIOS = {
  json: { name: 'json', make: SMALL, query: '', n: 3000, maxMs: 6000 },
  '1MB body': { name: 'mb', make: MB, query: '', n: 400, maxMs: 7000 },
  'SSE 200 ev': { name: 'sse', make: SSE, query: '?sse=200', n: 800, maxMs: 7000 },
};

function send(t, agent, body, query, onChunk) {
  return new Promise((resolve, reject) => {
    const start = process.hrtime.bigint();
    const req = http.request(
      {
        host: '127.0.0.1',
        port: t.port,
        path: `/api/v1/chat/completions${query}`,
        method: 'POST',
        agent,
        headers: {
          authorization: `Bearer ${t.token}`,
          'content-type': 'application/json',
          'content-length': body.length,
        },
      },
      (res) => {
        let bytes = 0;
        res.on('data', (c) => {
          bytes += c.length;
          onChunk?.(c);
        });
        res.on('end', () =>
          res.statusCode === 200 && bytes > 0
            ? resolve(Number(process.hrtime.bigint() - start) / 1e6)
            : reject(new Error(`${t.name}: HTTP ${res.statusCode}`)),
        );
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

/** n requests (at most maxMs of them) with `conc` in flight. Returns sorted latencies (ms) and req/s. */
async function load(t, sc, conc, n, maxMs) {
  const agent = new http.Agent({ keepAlive: true, maxSockets: conc, maxFreeSockets: conc });
  const times = [];
  let started = 0;
  const deadline = Date.now() + maxMs;
  const t0 = process.hrtime.bigint();
  await Promise.all(
    Array.from({ length: conc }, async () => {
      while (started < n && Date.now() < deadline) {
        started++;
        times.push(await send(t, agent, bodyOf(sc, t.model ?? FREE), sc.query));
      }
    }),
  );
  const wall = Number(process.hrtime.bigint() - t0) / 1e9;
  agent.destroy();
  return { times: times.sort((a, b) => a - b), rps: times.length / wall };
}
const pct = (s, p) => s[Math.min(s.length - 1, Math.max(0, Math.ceil((p / 100) * s.length) - 1))];
const f2 = (v) => (Number.isFinite(v) ? v.toFixed(2) : '–');
const f3 = (v) => (Number.isFinite(v) ? v.toFixed(3) : '–');
const fx = (v) => (Number.isFinite(v) ? `${v.toFixed(2)}x` : '–');

// ---------- phases ----------
async function latencyMatrix(targets, peakPids) {
  const rows = [];
  const mem = [];
  for (const conc of [1, 16, 256]) {
    for (const [name, pid] of Object.entries(peakPids)) resetPeak(pid);
    const cpu0 = Object.fromEntries(Object.entries(peakPids).map(([k, pid]) => [k, cpuMs(pid)]));
    for (const [scName, sc] of Object.entries(SCENARIOS)) {
      const n = Math.max(conc * 4, Math.round(sc.n * SCALE * (conc === 1 ? 0.6 : 1)));
      const cell = { conc, scenario: scName, n };
      for (const t of targets) await load(t, sc, conc, Math.max(conc * 2, Math.round(n / 10)), 2000); // warm-up
      // interleave: two halves, the order reversed in the second, so drift hits all three alike
      const halves = {};
      for (const order of [targets, [...targets].reverse()]) {
        for (const t of order) {
          const r = await load(t, sc, conc, Math.ceil(n / 2), sc.maxMs / 2);
          const h = (halves[t.name] ??= { times: [], rps: [] });
          h.times.push(...r.times);
          h.rps.push(r.rps);
        }
      }
      for (const t of targets) {
        const h = halves[t.name];
        const s = h.times.sort((a, b) => a - b);
        cell[t.name] = {
          n: s.length,
          p50: pct(s, 50),
          p99: pct(s, 99),
          p999: pct(s, 99.9),
          rps: h.rps.reduce((a, b) => a + b) / h.rps.length,
        };
      }
      rows.push(cell);
      const d = cell.direct,
        b = cell.bare,
        p = cell.proxy;
      log(
        `c=${String(conc).padStart(3)} ${scName.padEnd(10)} p50 direct ${f3(d.p50)} bare ${f3(b.p50)} proxy ${f3(p.p50)} paid ${f3(cell.paid.p50)} ms | rps ${d.rps.toFixed(0)} / ${b.rps.toFixed(0)} / ${p.rps.toFixed(0)} / ${cell.paid.rps.toFixed(0)} | n=${p.n}`,
      );
    }
    mem.push({
      conc,
      ...Object.fromEntries(
        Object.entries(peakPids).map(([k, pid]) => [k, { hwm: procStatus(pid, 'VmHWM'), cpu: cpuMs(pid) - cpu0[k] }]),
      ),
    });
  }
  return { rows, mem };
}

/** Per-event delay: upstream stamps hrtime (CLOCK_MONOTONIC, shared by all processes) when it writes. */
async function sseDelivery(targets) {
  const res = {};
  for (const t of targets) {
    const agent = new http.Agent({ keepAlive: true, maxSockets: 4 });
    const delays = [];
    let chunks = 0,
      events = 0;
    const re = /"t":"(\d+)"/g;
    for (let round = 0; round < 5; round++) {
      await Promise.all(
        Array.from({ length: 4 }, () =>
          send(t, agent, Buffer.from(SSE_BODY), '?sse=200&gap=2', (c) => {
            const now = process.hrtime.bigint();
            chunks++;
            for (const m of c.toString('latin1').matchAll(re)) {
              events++;
              delays.push(Number(now - BigInt(m[1])) / 1e6);
            }
          }),
        ),
      );
    }
    agent.destroy();
    delays.sort((a, b) => a - b);
    res[t.name] = { events, chunks, p50: pct(delays, 50), p99: pct(delays, 99), max: delays.at(-1) };
    log(
      `SSE delivery ${t.name}: ${events} events in ${chunks} chunks, delay p50 ${f3(res[t.name].p50)} p99 ${f3(res[t.name].p99)} max ${f3(res[t.name].max)} ms`,
    );
  }
  return res;
}

/** 1,000 streams opened (in ramps of 100, the listen backlogs are 511) and held open together ~5 s. */
async function manyStreams(t, pid, total = 1000) {
  resetPeak(pid);
  const agent = new http.Agent({ keepAlive: false, maxSockets: Infinity });
  let open = 0,
    maxOpen = 0,
    ok = 0,
    failed = 0,
    events = 0;
  const rss0 = procStatus(pid, 'VmRSS');
  const t0 = Date.now();
  const all = [];
  for (let i = 0; i < total; i++) {
    if (i % 100 === 0 && i) await sleep(30);
    all.push(
      new Promise((resolve) => {
        const req = http.request(
          {
            host: '127.0.0.1',
            port: t.port,
            path: '/api/v1/chat/completions?sse=200&gap=40',
            method: 'POST',
            agent,
            headers: {
              authorization: `Bearer ${t.token}`,
              'content-type': 'application/json',
              'content-length': Buffer.byteLength(SSE_BODY),
            },
          },
          (res) => {
            open++;
            maxOpen = Math.max(maxOpen, open);
            let n = 0,
              tail = '';
            res.on('data', (c) => {
              const s = tail + c.toString('latin1');
              let k = -1;
              while ((k = s.indexOf('\n\n', k + 1)) >= 0) n++;
              tail = s.endsWith('\n') ? '\n' : '';
              if (tail) n -= s.endsWith('\n\n') ? 0 : 0;
            });
            res.on('end', () => {
              open--;
              events += n;
              if (res.statusCode === 200 && n === 201) ok++;
              else failed++;
              resolve();
            });
            res.on('error', () => {
              open--;
              failed++;
              resolve();
            });
          },
        );
        req.setTimeout(60_000, () => req.destroy(new Error('timeout')));
        req.on('error', () => {
          failed++;
          resolve();
        });
        req.end(SSE_BODY);
      }),
    );
  }
  await Promise.race([Promise.all(all), sleep(60_000)]);
  const r = {
    total,
    ok,
    failed,
    maxOpen,
    events,
    seconds: (Date.now() - t0) / 1000,
    rssBefore: rss0,
    hwm: procStatus(pid, 'VmHWM'),
  };
  log(
    `1,000 streams via ${t.name}: ${ok} complete (201 events each incl. [DONE]), ${failed} failed, max ${maxOpen} open at once, ${r.seconds.toFixed(1)} s, peak RSS ${r.hwm.toFixed(0)} MB`,
  );
  return r;
}

function freePort() {
  return new Promise((resolve) => {
    const s = net.createServer();
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });
}

async function activation(upstreamUrl) {
  if (process.env.BENCH_SKIP_VSCODE) return { skipped: 'BENCH_SKIP_VSCODE set' };
  const vsix = path.join(ROOT, 'dist', 'openrouter-quota.vsix');
  let cs;
  try {
    cs = await import('../e2e/codeServer.mjs');
  } catch (e) {
    return { skipped: `e2e toolchain not loadable: ${e.message}` };
  }
  const { NODE24, CODE_SERVER, CHROMIUM } = await import('../e2e/setup.mjs');
  for (const f of [vsix, NODE24, CODE_SERVER, CHROMIUM])
    if (!fs.existsSync(f)) return { skipped: `missing ${f} (run npm run package / npm run e2e:setup)` };
  const { findFiles } = await import('../e2e/leakScan.mjs');
  const runs = [];
  const N = Number(process.env.BENCH_ACTIVATION_RUNS ?? 3);
  for (let i = 0; i < N && Date.now() - T0 < HARD_LIMIT_MS - 120_000; i++) {
    let server, browser;
    try {
      server = await cs.startCodeServer({
        name: `bench${i}`,
        vsix,
        log: () => undefined,
        settings: { ...cs.QUIET_SETTINGS, 'openrouterQuota.proxy.port': await freePort() },
        machineSettings: { 'openrouterQuota.apiBaseUrl': upstreamUrl },
      });
      browser = await cs.openBrowser({ name: `bench${i}`, log: () => undefined });
      const t = Date.now();
      await browser.page.goto(server.url, { waitUntil: 'domcontentloaded' });
      let ms;
      while (ms === undefined && Date.now() - t < 90_000) {
        await sleep(250);
        for (const f of findFiles(path.join(server.userDataDir, 'logs'), 'OpenRouter Quota')) {
          const m = /activated in ([\d.]+) ms/.exec(fs.readFileSync(f, 'utf8'));
          if (m) ms = Number(m[1]);
        }
      }
      if (ms === undefined) throw new Error('no "activated in" line within 90 s');
      runs.push({ activateMs: ms, pageToActivatedMs: Date.now() - t });
      log(`activation run ${i + 1}: activate() ${ms} ms (page load to log line ${Date.now() - t} ms)`);
    } catch (e) {
      log(`activation run ${i + 1} failed: ${e.message}`);
      runs.push({ error: e.message });
    } finally {
      await browser?.dispose().catch(() => undefined);
      await server?.dispose().catch(() => undefined);
    }
  }
  const ok = runs
    .filter((r) => r.activateMs !== undefined)
    .map((r) => r.activateMs)
    .sort((a, b) => a - b);
  return { runs, median: ok.length ? ok[Math.floor((ok.length - 1) / 2)] : undefined };
}

function bundleSizes() {
  const files = ['dist/extension.js', 'dist/webview.js', 'dist/cli.js', 'dist/openrouter-quota.vsix'];
  return files.map((f) => {
    const p = path.join(ROOT, f);
    return { file: f, bytes: fs.existsSync(p) ? fs.statSync(p).size : undefined };
  });
}

/** The real poller, on a fake clock, with the real client against the fake OpenRouter (which counts calls). */
async function pollerCalls() {
  const { QuotaPoller } = require(`${OUT}/src/core/poller.js`);
  const { FakeClock, settle } = require(`${OUT}/test/fixtures/fakeClock.js`);
  const { FakeOpenRouter, TEST_KEY } = require(`${OUT}/test/fixtures/fakeOpenRouter.js`);
  const { OpenRouterClient } = require(`${OUT}/src/core/openRouterClient.js`);
  const { fetchObservation } = require(`${OUT}/src/core/observe.js`);
  const { MemorySharedStore } = require(`${OUT}/src/core/sharedStore.js`);
  const { DEFAULT_SETTINGS } = require(`${OUT}/src/core/quota.js`);
  const { keyId } = require(`${OUT}/src/core/apiKey.js`);
  const result = {};
  const cases = {
    focused: (p) => p.start(),
    unfocused: (p) => {
      p.setFocused(false);
      p.start();
    },
    'focused 1 min, then unfocused': null,
  };
  for (const [name] of Object.entries(cases))
    for (const credits of ['forbidden', 'ok']) {
      const fake = await FakeOpenRouter.start();
      if (credits === 'ok') fake.credits = { total_credits: 10, total_usage: 1 };
      const clock = new FakeClock();
      const client = new OpenRouterClient({ baseUrl: fake.baseUrl, apiKey: TEST_KEY });
      let startedN = 0,
        doneN = 0;
      const poller = new QuotaPoller({
        clock,
        store: new MemorySharedStore(),
        keyId: keyId(TEST_KEY),
        owner: 'bench',
        settings: () => DEFAULT_SETTINGS,
        random: () => 0.5,
        fetch: async (prev, signal) => {
          startedN++;
          try {
            return await fetchObservation(client, prev, () => clock.now(), signal);
          } finally {
            doneN++;
          }
        },
      });
      const idle = async () => {
        for (let i = 0; i < 1000; i++) {
          await settle(2);
          if (startedN === doneN) {
            await settle(3);
            if (startedN === doneN) return;
          }
          await sleep(1);
        }
        throw new Error('poller did not settle');
      };
      const end = clock.now() + 600_000;
      if (name === 'unfocused') poller.setFocused(false);
      poller.start();
      await idle();
      let blurAt = name.startsWith('focused 1 min') ? clock.now() + 60_000 : Infinity;
      for (let i = 0; i < 10_000; i++) {
        const at = Math.min(clock.nextDueAt() ?? Infinity, blurAt);
        if (at > end) break;
        if (at === blurAt) {
          clock.advanceTo(at);
          poller.setFocused(false);
          blurAt = Infinity;
          continue;
        }
        clock.advanceTo(at);
        await idle();
      }
      poller.dispose();
      await client.close();
      result[`${name}|${credits}`] = {
        key: fake.count('/key'),
        credits: fake.count('/credits'),
        total: fake.requests.length,
      };
      await fake.close();
    }
  log(`poller calls in 10 min: ${JSON.stringify(result)}`);
  return result;
}

// ---------- report ----------
function report({ matrix, delivery, streams, bodies, act, sizes, polls, meta }) {
  const L = [];
  L.push(
    `Run: ${meta.date} · ${meta.cores} cores (${meta.cpu}) · Node ${process.version} · ${os.type()} ${os.release()} · \`${meta.command}\` · ${meta.seconds} s`,
  );
  L.push('');
  L.push('### Latency (ms, end of response at the client) and throughput');
  L.push(
    'Added = percentile minus the direct percentile in the same cell. Ratios: proxy/direct and proxy/bare of total p50; proxy/bare of *added* p50 (target ≤ 1.1x; n/m = not meaningful, when the bare pipe adds under 10 % of the direct p50) and of req/s (target ≥ 0.9x). Last column, a diagnostic: our proxy with a paid model (forwarded, not counted: no ledger write), i.e. the price of counting.',
  );
  L.push('');
  L.push(
    '| conc | workload | n | direct p50 / p99 / p99.9 | bare pipe p50 / p99 / p99.9 | proxy p50 / p99 / p99.9 | added p50 bare · proxy | added p99 bare · proxy | added p99.9 bare · proxy | req/s direct · bare · proxy | p50 proxy/direct | p50 proxy/bare | added p50 proxy/bare | req/s proxy/bare | paid-model proxy: p50 · req/s |',
  );
  L.push('|---:|---|---:|---|---|---|---|---|---|---|---:|---:|---:|---:|---|');
  for (const c of matrix.rows) {
    const d = c.direct,
      b = c.bare,
      p = c.proxy;
    const trip = (x) => `${f3(x.p50)} / ${f3(x.p99)} / ${f3(x.p999)}`;
    const add = (k) => `${f3(b[k] - d[k])} · ${f3(p[k] - d[k])}`;
    L.push(
      `| ${c.conc} | ${c.scenario} | ${p.n} | ${trip(d)} | ${trip(b)} | ${trip(p)} | ${add('p50')} | ${add('p99')} | ${add('p999')} | ${d.rps.toFixed(0)} · ${b.rps.toFixed(0)} · ${p.rps.toFixed(0)} | ${fx(p.p50 / d.p50)} | ${fx(p.p50 / b.p50)} | ${b.p50 - d.p50 > 0.1 * d.p50 ? fx((p.p50 - d.p50) / (b.p50 - d.p50)) : 'n/m'} | ${fx(p.rps / b.rps)} | ${f3(c.paid.p50)} · ${c.paid.rps.toFixed(0)} |`,
    );
  }
  L.push('');
  L.push('### Peak memory and CPU per concurrency (all three workloads, warm-ups included)');
  L.push(
    'VmHWM of each process, reset with /proc/PID/clear_refs before each concurrency; CPU = user+sys time used in that block.',
  );
  L.push('');
  L.push('| conc | proxy peak RSS | bare pipe peak RSS | upstream peak RSS | proxy CPU s | bare pipe CPU s |');
  L.push('|---:|---:|---:|---:|---:|---:|');
  for (const m of matrix.mem)
    L.push(
      `| ${m.conc} | ${m.proxy.hwm.toFixed(0)} MB | ${m.bare.hwm.toFixed(0)} MB | ${m.upstream.hwm.toFixed(0)} MB | ${(m.proxy.cpu / 1000).toFixed(1)} | ${(m.bare.cpu / 1000).toFixed(1)} |`,
    );
  L.push('');
  L.push('### SSE: time from the upstream writing an event to the client reading it');
  L.push(
    '20 streams (4 at a time) of 200 events, one event every 2 ms; the upstream stamps process.hrtime.bigint() (CLOCK_MONOTONIC, shared across processes) into each event. events/chunk ≈ 1 means no coalescing, i.e. no buffering.',
  );
  L.push('');
  L.push('| path | events | chunks read | events/chunk | delay p50 | p99 | max |');
  L.push('|---|---:|---:|---:|---:|---:|---:|');
  for (const [k, v] of Object.entries(delivery))
    L.push(
      `| ${k} | ${v.events} | ${v.chunks} | ${(v.events / v.chunks).toFixed(2)} | ${f3(v.p50)} ms | ${f3(v.p99)} ms | ${f3(v.max)} ms |`,
    );
  L.push('');
  L.push('### 1,000 concurrent SSE streams held open (200 events each, one every 40 ms ≈ 8 s)');
  L.push('');
  L.push('| path | complete | failed | max open at once | wall | RSS before | peak RSS |');
  L.push('|---|---:|---:|---:|---:|---:|---:|');
  for (const [k, v] of Object.entries(streams))
    L.push(
      `| ${k} | ${v.ok}/${v.total} | ${v.failed} | ${v.maxOpen} | ${v.seconds.toFixed(1)} s | ${v.rssBefore.toFixed(0)} MB | ${v.hwm.toFixed(0)} MB |`,
    );
  L.push('');
  L.push(...bodiesReport(bodies));
  L.push('');
  L.push('### Extension');
  L.push('');
  if (act.skipped) L.push(`Activation: skipped (${act.skipped}).`);
  else
    L.push(
      `Activation (\`activate()\` as logged by the extension, "activated in X ms", from the packaged .vsix in code-server 4.139.1 = VS Code 1.139.1, headless chromium): median **${act.median ?? '–'} ms** of ${act.runs.length} runs (${act.runs.map((r) => r.activateMs ?? `failed: ${r.error}`).join(', ')} ms).`,
    );
  L.push('');
  L.push('| bundle | bytes | KiB |');
  L.push('|---|---:|---:|');
  for (const s of sizes)
    L.push(`| ${s.file} | ${s.bytes ?? 'missing'} | ${s.bytes ? (s.bytes / 1024).toFixed(1) : '–'} |`);
  L.push('');
  L.push(
    'API calls of the poller (src/core/poller.ts, default 60 s interval, real OpenRouterClient against test/fixtures/fakeOpenRouter, FakeClock) in 10 simulated minutes:',
  );
  L.push('');
  L.push('| window | /credits answers | GET /key | GET /credits | total |');
  L.push('|---|---|---:|---:|---:|');
  for (const [k, v] of Object.entries(polls)) {
    const [w, c] = k.split('|');
    L.push(
      `| ${w} | ${c === 'ok' ? '200 (management key)' : '403 (ordinary key)'} | ${v.key} | ${v.credits} | ${v.total} |`,
    );
  }
  return L.join('\n');
}

function writeResults(text) {
  const file = path.join(ROOT, 'bench', 'RESULTS.md');
  const START = '<!-- bench:start (generated by npm run bench; edit outside these markers) -->';
  const END = '<!-- bench:end -->';
  const block = `${START}\n${text}\n${END}`;
  let doc = fs.existsSync(file) ? fs.readFileSync(file, 'utf8') : `# Benchmark results\n\n${START}\n${END}\n`;
  const a = doc.indexOf(START),
    b = doc.indexOf(END);
  doc = a >= 0 && b > a ? doc.slice(0, a) + block + doc.slice(b + END.length) : `${doc}\n${block}\n`;
  fs.writeFileSync(file, doc);
  log(`wrote ${path.relative(ROOT, file)}`);
}

// ---------- main ----------
const stateDir = fs.mkdtempSync(path.join(os.tmpdir(), 'orq-bench-state-'));
try {
  const up = await startChild([path.join(ROOT, 'bench', 'upstream.mjs')], {}, /listening (\d+)/, 'upstream');
  const bare = await startChild(
    [path.join(ROOT, 'bench', 'barePipe.mjs'), String(up.port)],
    {},
    /listening (\d+)/,
    'barepipe',
  );
  const upstreamUrl = `http://127.0.0.1:${up.port}/api/v1`;
  const prox = await startChild(
    [
      ...(process.env.BENCH_PROXY_PROF ? ['--cpu-prof', `--cpu-prof-dir=${process.env.BENCH_PROXY_PROF}`] : []),
      path.join(OUT, 'src', 'cli.js'),
      'proxy',
      '--port',
      '0',
      '--upstream',
      upstreamUrl,
      '--state-dir',
      stateDir,
      '--pacing',
      'off',
    ],
    { OPENROUTER_API_KEY: KEY, OPENROUTER_QUOTA_TOKEN: TOKEN },
    /listening http:\/\/127\.0\.0\.1:(\d+)/,
    'proxy',
  );
  log(
    `upstream :${up.port} (pid ${up.pid}), bare pipe :${bare.port} (pid ${bare.pid}), proxy :${prox.port} (pid ${prox.pid})`,
  );
  const targets = [
    { name: 'direct', port: up.port, token: KEY },
    { name: 'bare', port: bare.port, token: KEY },
    { name: 'proxy', port: prox.port, token: TOKEN },
    // diagnostic: the same proxy with a paid model (not counted, no ledger write), to price the counting
    { name: 'paid', port: prox.port, token: TOKEN, model: PAID },
  ];
  const matrix = await latencyMatrix(targets, { proxy: prox.pid, bare: bare.pid, upstream: up.pid });
  const delivery = await sseDelivery(targets.slice(0, 3));
  const streams = {
    'bare pipe': await manyStreams(targets[1], bare.pid),
    proxy: await manyStreams(targets[2], prox.pid),
  };
  const bodies = {
    mb1: await mbAtC16(targets[1], targets[2], log, SCALE),
    big: await bigBodies(
      [
        { t: targets[1], pid: bare.pid, label: 'bare pipe', where: 'first' },
        { t: targets[2], pid: prox.pid, label: 'proxy, model first', where: 'first' },
        { t: targets[2], pid: prox.pid, label: 'proxy, model last', where: 'last' },
      ],
      log,
      SCALE,
    ),
    many: await manyModels(targets[2], prox.pid, log, SCALE),
  };
  const ledgerCount = await new Promise((resolve) =>
    http
      .get(
        { host: '127.0.0.1', port: prox.port, path: '/quota', headers: { authorization: `Bearer ${TOKEN}` } },
        (res) => {
          let s = '';
          res.on('data', (c) => (s += c));
          res.on('end', () => resolve(s));
        },
      )
      .on('error', () => resolve('')),
  );
  log(`proxy /quota after the load: ${ledgerCount.slice(0, 200)}`);
  const act = await activation(upstreamUrl);
  const sizes = bundleSizes();
  const polls = await pollerCalls();
  for (const c of [prox.child, bare.child, up.child]) await stopChild(c);
  const meta = {
    date: new Date().toISOString(),
    cores: os.cpus().length,
    cpu: os.cpus()[0]?.model?.trim() ?? '?',
    command: 'npm run bench',
    seconds: ((Date.now() - T0) / 1000).toFixed(0),
  };
  const text = report({ matrix, delivery, streams, bodies, act, sizes, polls, meta });
  console.log(`\n${text}\n`);
  if (!process.env.BENCH_NO_WRITE) writeResults(text);
  fs.writeFileSync(
    path.join(os.tmpdir(), 'orq-bench-last.json'),
    JSON.stringify({ matrix, delivery, streams, bodies, act, sizes, polls, meta }, null, 1),
  );
} finally {
  cleanup();
  fs.rmSync(stateDir, { recursive: true, force: true });
  if (!process.env.BENCH_KEEP_LOGS) for (const f of errFiles) fs.rmSync(f, { force: true });
}
process.exit(0);
