// CPU profile of the CLI proxy under one workload (to find where it spends its time):
//   node bench/profile.mjs json|mb|sse [concurrency] [requests]   -> prints the top self-time functions
// Writes the .cpuprofile under $TMPDIR/orq-bench-prof-*/ (open it in Chrome DevTools for the full tree).
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';

const ROOT = path.resolve(import.meta.dirname, '..');
const [kind = 'mb', concArg = '16', nArg] = process.argv.slice(2);
const conc = Number(concArg);
const n = Number(nArg ?? (kind === 'mb' ? 400 : 4000));
const FREE = process.env.PROFILE_MODEL ?? 'meta-llama/llama-3.3-70b-instruct:free'; // e.g. openai/gpt-4.1: no counting
const KEY = 'sk-or-v1-' + 'be0c4'.repeat(12) + '0123';
const TOKEN = 'orq-bench-token-0123456789abcdefghijklmnopqrstuvwxyz';
const profDir = fs.mkdtempSync(path.join(os.tmpdir(), 'orq-bench-prof-'));
const stateDir = fs.mkdtempSync(path.join(os.tmpdir(), 'orq-bench-state-'));

const kids = [];
process.on('exit', () => {
  for (const k of kids) if (k.exitCode === null) k.kill('SIGKILL');
});
function start(args, env, re) {
  const c = spawn(process.execPath, args, { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'ignore'] });
  kids.push(c);
  return new Promise((resolve, reject) => {
    let b = '';
    const to = setTimeout(() => reject(new Error('no start')), 15000);
    c.stdout.on('data', (d) => {
      b += d;
      const m = re.exec(b);
      if (m) {
        clearTimeout(to);
        resolve({ c, port: Number(m[1]) });
      }
    });
  });
}
const up = await start([path.join(ROOT, 'bench/upstream.mjs')], {}, /listening (\d+)/);
const px = await start(
  [
    ...(process.env.NOPROF ? [] : ['--cpu-prof', `--cpu-prof-dir=${profDir}`]),
    path.join(ROOT, 'out/src/cli.js'),
    'proxy',
    '--port',
    '0',
    '--upstream',
    `http://127.0.0.1:${up.port}/api/v1`,
    '--state-dir',
    stateDir,
    '--pacing',
    'off',
  ],
  { OPENROUTER_API_KEY: KEY, OPENROUTER_QUOTA_TOKEN: TOKEN },
  /listening http:\/\/127\.0\.0\.1:(\d+)/,
);
const body = Buffer.from(
  kind === 'mb'
    ? JSON.stringify({ model: FREE, messages: [{ role: 'user', content: 'x'.repeat(1 << 20) }] })
    : JSON.stringify({ model: FREE, stream: kind === 'sse', messages: [{ role: 'user', content: 'hi' }] }),
);
const q = kind === 'sse' ? '?sse=200' : '';
const agent = new http.Agent({ keepAlive: true, maxSockets: conc });
let i = 0;
const t0 = Date.now();
await Promise.all(
  Array.from({ length: conc }, async () => {
    while (i < n && Date.now() - t0 < 60_000) {
      i++;
      await new Promise((resolve, reject) => {
        const r = http.request(
          {
            host: '127.0.0.1',
            port: px.port,
            path: `/api/v1/chat/completions${q}`,
            method: 'POST',
            agent,
            headers: {
              authorization: `Bearer ${TOKEN}`,
              'content-type': 'application/json',
              'content-length': body.length,
            },
          },
          (res) => {
            res.resume();
            res.on('end', resolve);
          },
        );
        r.on('error', reject);
        r.end(body);
      });
    }
  }),
);
console.log(`${i} requests in ${Date.now() - t0} ms (${(i / ((Date.now() - t0) / 1000)).toFixed(0)} req/s)`);
agent.destroy();
await new Promise((r) => {
  px.c.once('exit', r);
  px.c.kill('SIGTERM');
});
up.c.kill('SIGTERM');
if (process.env.NOPROF) process.exit(0);
const file = fs.readdirSync(profDir).find((f) => f.endsWith('.cpuprofile'));
const prof = JSON.parse(fs.readFileSync(path.join(profDir, file), 'utf8'));
const self = new Map();
const dt = prof.timeDeltas;
const byId = new Map(prof.nodes.map((nd) => [nd.id, nd]));
const total = dt.reduce((a, b) => a + b, 0);
prof.samples.forEach((id, k) => {
  const nd = byId.get(id);
  const cf = nd.callFrame;
  const key = `${cf.functionName || '(anon)'} ${path.basename(cf.url || '')}:${cf.lineNumber + 1}`;
  self.set(key, (self.get(key) ?? 0) + dt[k]);
});
console.log(`profile ${path.join(profDir, file)} (${(total / 1000).toFixed(0)} ms sampled)`);
for (const [k, v] of [...self].sort((a, b) => b[1] - a[1]).slice(0, 25))
  console.log(`${((100 * v) / total).toFixed(1).padStart(5)}%  ${k}`);
fs.rmSync(stateDir, { recursive: true, force: true });
