// Added latency of the metering proxy: the same small chat request sent N times to the fake OpenRouter
// directly and through the proxy (the CLI, in its own process as in real use; pacing off; a free model, so
// the ledger write is included), at a few concurrencies. Loopback only.
//   npm run bench            (compiles first)    BENCH_N=2000 to change the sample size
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
const out = path.resolve(import.meta.dirname, '..', 'out');
const { FakeOpenRouter, TEST_KEY } = require(`${out}/test/fixtures/fakeOpenRouter.js`);
const { chatBody, FREE, TOKEN } = require(`${out}/test/unit/proxyHarness.js`);
import { spawn } from 'node:child_process';

const N = Number(process.env.BENCH_N ?? 1000);
const agentFor = () => new http.Agent({ keepAlive: true, maxSockets: 512 });

function send(port, agent, token, body) {
  return new Promise((resolve, reject) => {
    const t = process.hrtime.bigint();
    const req = http.request({ host: '127.0.0.1', port, path: '/api/v1/chat/completions', method: 'POST', agent, headers: { host: `127.0.0.1:${port}`, authorization: `Bearer ${token}`, 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) } }, (res) => {
      res.resume();
      res.on('end', () => (res.statusCode === 200 ? resolve(Number(process.hrtime.bigint() - t) / 1e6) : reject(new Error(`HTTP ${res.statusCode}`))));
    });
    req.on('error', reject);
    req.end(body);
  });
}

async function run(port, token, concurrency, n) {
  const agent = agentFor();
  const body = chatBody(FREE);
  const times = [];
  let next = 0;
  await Promise.all(Array.from({ length: concurrency }, async () => {
    while (next < n) {
      next++;
      times.push(await send(port, agent, token, body));
    }
  }));
  agent.destroy();
  return times.sort((a, b) => a - b);
}

const pct = (s, p) => s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))];
const fmt = (v) => v.toFixed(2).padStart(7);

const fake = await FakeOpenRouter.start();
const stateDir = fs.mkdtempSync(path.join(os.tmpdir(), 'orq-bench-'));
const child = spawn(process.execPath, [`${out}/src/cli.js`, 'proxy', '--port', '0', '--upstream', fake.baseUrl, '--state-dir', stateDir, '--pacing', 'off'], {
  env: { ...process.env, OPENROUTER_API_KEY: TEST_KEY, OPENROUTER_QUOTA_TOKEN: TOKEN, HTTP_PROXY: '', HTTPS_PROXY: '' },
  stdio: ['ignore', 'pipe', 'inherit'],
});
const proxyPort = await new Promise((resolve, reject) => {
  child.stdout.on('data', (b) => {
    const m = /listening http:\/\/127\.0\.0\.1:(\d+)/.exec(b.toString());
    if (m) resolve(Number(m[1]));
  });
  child.on('exit', (code) => reject(new Error(`proxy exited (${code})`)));
});
const rows = [];
for (const c of [1, 16, 64]) {
  await run(fake.port, TEST_KEY, c, 100); // warm-up both
  await run(proxyPort, TOKEN, c, 100);
  const d = await run(fake.port, TEST_KEY, c, N);
  const p = await run(proxyPort, TOKEN, c, N);
  rows.push({ c, d, p });
}
console.log(`proxy latency, ${N} requests per cell, ${os.cpus().length} cores, node ${process.version}`);
console.log('conc |   direct p50   p99 |    proxy p50   p99 | added p50  p99 (ms)');
for (const { c, d, p } of rows) {
  console.log(`${String(c).padStart(4)} | ${fmt(pct(d, 50))} ${fmt(pct(d, 99))} | ${fmt(pct(p, 50))} ${fmt(pct(p, 99))} | ${fmt(pct(p, 50) - pct(d, 50))} ${fmt(pct(p, 99) - pct(d, 99))}`);
}
console.log(`upstream saw ${fake.chats.length} chat requests`);
child.kill('SIGTERM');
await new Promise((r) => child.on('exit', r));
await fake.close();
fs.rmSync(stateDir, { recursive: true, force: true });
