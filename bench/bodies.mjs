// npm run bench, request-body phases (issue 12, items 4 and 7), run by bench/run.mjs against its bare pipe
// and its proxy (the CLI, default 64 MiB body budget):
//   mbAtC16    1 MB bodies at c=16, bare pipe and proxy interleaved in 3 rounds: p50 ratio per round and the
//              median (goal <= 1.2x); plus the proxy with the model after the 1 MB prompt (held until found).
//   bigBodies  80 concurrent 15 MiB bodies (the hostile run's 1.2 GiB case) through each: answers, peak RSS
//              (VmHWM after clear_refs) and RSS after 5 s idle, against the bare pipe's; the proxy twice, the
//              model first (streamed) and last (held to find it: beyond the budget, 503).
//   manyModels 20,000 distinct ':free' ids through the proxy at c=64: req/s, RSS before/after, and the size and
//              time of GET /quota and /quota/history afterwards.
import fs from 'node:fs';
import http from 'node:http';

const FREE = 'meta-llama/llama-3.3-70b-instruct:free';
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const pct = (s, p) => s[Math.min(s.length - 1, Math.max(0, Math.ceil((p / 100) * s.length) - 1))];
const mb = (kb) => kb / 1024;
function status(pid, field) {
  try {
    return Number(new RegExp(`${field}:\\s+(\\d+)`).exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? 0);
  } catch {
    return NaN;
  }
}
function resetPeak(pid) {
  try {
    fs.writeFileSync(`/proc/${pid}/clear_refs`, '5');
  } catch {
    /* not Linux: peak since start */
  }
}

/** A chat body of `size` bytes, the model before or after the prompt (JSON.stringify keeps key order). */
function body(size, where, model = FREE) {
  const probe = JSON.stringify({ model, messages: [{ role: 'user', content: '' }] });
  const content = 'x'.repeat(Math.max(0, size - probe.length));
  const messages = [{ role: 'user', content }];
  return Buffer.from(JSON.stringify(where === 'first' ? { model, messages } : { messages, model }));
}

/** One POST; resolves with { status, ms } whatever the status (errors: status 0). */
function send(t, agent, buf) {
  return new Promise((resolve) => {
    const start = process.hrtime.bigint();
    const req = http.request(
      {
        host: '127.0.0.1',
        port: t.port,
        path: '/api/v1/chat/completions',
        method: 'POST',
        agent,
        headers: {
          authorization: `Bearer ${t.token}`,
          'content-type': 'application/json',
          'content-length': buf.length,
        },
      },
      (res) => {
        res.resume();
        res.on('end', () => resolve({ status: res.statusCode, ms: Number(process.hrtime.bigint() - start) / 1e6 }));
        res.on('error', () => resolve({ status: 0, ms: NaN }));
      },
    );
    req.on('error', () => resolve({ status: 0, ms: NaN }));
    req.end(buf);
  });
}

/** n requests with `conc` in flight (at most maxMs); sorted latencies of the 200s, and the statuses. */
async function load(t, bodyOf, conc, n, maxMs) {
  const agent = new http.Agent({ keepAlive: true, maxSockets: conc });
  const times = [];
  const statuses = {};
  let started = 0;
  const deadline = Date.now() + maxMs;
  const t0 = process.hrtime.bigint();
  await Promise.all(
    Array.from({ length: conc }, async () => {
      while (started < n && Date.now() < deadline) {
        const r = await send(t, agent, bodyOf(started++));
        statuses[r.status] = (statuses[r.status] ?? 0) + 1;
        if (r.status === 200) times.push(r.ms);
      }
    }),
  );
  const wall = Number(process.hrtime.bigint() - t0) / 1e9;
  agent.destroy();
  return { times: times.sort((a, b) => a - b), statuses, rps: times.length / wall || 0, wall };
}

export async function mbAtC16(bare, proxy, log, scale = 1) {
  const first = body(1024 * 1024, 'first');
  const last = body(1024 * 1024, 'last');
  const n = Math.max(64, Math.round(240 * scale));
  for (const t of [bare, proxy]) await load(t, () => first, 16, 48, 3000); // warm-up
  const rounds = [];
  for (let i = 0; i < 3; i++) {
    // Interleaved, the order reversed every other round, so drift hits both alike.
    const order = i % 2 === 0 ? [bare, proxy, 'last'] : ['last', proxy, bare];
    const r = {};
    for (const t of order) {
      const res = t === 'last' ? await load(proxy, () => last, 16, n, 4000) : await load(t, () => first, 16, n, 4000);
      r[t === 'last' ? 'proxyLast' : t.name] = {
        p50: pct(res.times, 50),
        p99: pct(res.times, 99),
        rps: res.rps,
        n: res.times.length,
      };
    }
    r.ratio = r.proxy.p50 / r.bare.p50;
    r.ratioLast = r.proxyLast.p50 / r.bare.p50;
    rounds.push(r);
    log(
      `1 MB c=16 round ${i + 1}: p50 bare ${r.bare.p50.toFixed(2)} proxy ${r.proxy.p50.toFixed(2)} (model last ${r.proxyLast.p50.toFixed(2)}) ms, proxy/bare ${r.ratio.toFixed(2)}x (${r.ratioLast.toFixed(2)}x), req/s ${r.bare.rps.toFixed(0)} / ${r.proxy.rps.toFixed(0)}`,
    );
  }
  const med = (k) => rounds.map((r) => r[k]).sort((a, b) => a - b)[1];
  return { rounds, median: med('ratio'), medianLast: med('ratioLast') };
}

export async function bigBodies(targets, log, scale = 1) {
  const size = 15 * 1024 * 1024;
  const conc = Math.max(8, Math.round(80 * scale));
  const out = [];
  for (const { t, pid, label, where } of targets) {
    const buf = body(size, where);
    const rssBefore = status(pid, 'VmRSS');
    resetPeak(pid);
    const res = await load(t, () => buf, conc, conc, 60_000);
    const peak = status(pid, 'VmHWM');
    // RSS after: the lowest of 5 s of samples once idle (the allocator gives pages back in its own time).
    let after = Infinity;
    for (let i = 0; i < 10; i++) {
      await sleep(500);
      after = Math.min(after, status(pid, 'VmRSS'));
    }
    const r = {
      label,
      conc,
      statuses: res.statuses,
      wall: res.wall,
      rssBefore: mb(rssBefore),
      peak: mb(peak),
      after: mb(after),
    };
    out.push(r);
    log(
      `${conc} x 15 MiB via ${label}: ${JSON.stringify(res.statuses)} in ${res.wall.toFixed(1)} s, RSS ${r.rssBefore.toFixed(0)} -> peak ${r.peak.toFixed(0)} -> ${r.after.toFixed(0)} MB after 5 s idle`,
    );
  }
  return out;
}

function get(port, token, path) {
  return new Promise((resolve) => {
    const t0 = process.hrtime.bigint();
    http
      .get({ host: '127.0.0.1', port, path, headers: { authorization: `Bearer ${token}` } }, (res) => {
        let bytes = 0;
        res.on('data', (c) => (bytes += c.length));
        res.on('end', () => resolve({ status: res.statusCode, bytes, ms: Number(process.hrtime.bigint() - t0) / 1e6 }));
      })
      .on('error', () => resolve({ status: 0, bytes: 0, ms: NaN }));
  });
}

export async function manyModels(proxy, pid, log, scale = 1) {
  const n = Math.max(2000, Math.round(20_000 * scale));
  const bodies = Array.from({ length: n }, (_, i) =>
    Buffer.from(JSON.stringify({ model: `bench/made-up-${i}:free`, messages: [{ role: 'user', content: 'hi' }] })),
  );
  const rssBefore = mb(status(pid, 'VmRSS'));
  const res = await load(proxy, (i) => bodies[i], 64, n, 60_000);
  const rssAfter = mb(status(pid, 'VmRSS'));
  const quota = await get(proxy.port, proxy.token, '/quota');
  const history = await get(proxy.port, proxy.token, '/quota/history');
  const r = { n, statuses: res.statuses, rps: res.rps, p50: pct(res.times, 50), rssBefore, rssAfter, quota, history };
  log(
    `${n} distinct :free ids via the proxy: ${JSON.stringify(res.statuses)}, ${res.rps.toFixed(0)} req/s, p50 ${r.p50?.toFixed(2)} ms, RSS ${rssBefore.toFixed(0)} -> ${rssAfter.toFixed(0)} MB; /quota ${quota.bytes} B in ${quota.ms.toFixed(1)} ms, /quota/history ${history.bytes} B in ${history.ms.toFixed(1)} ms`,
  );
  return r;
}

/** The report's section for these phases (markdown lines). */
export function bodiesReport({ mb1, big, many }) {
  const L = [];
  const f = (v, d = 2) => (Number.isFinite(v) ? v.toFixed(d) : '–');
  L.push('### Request bodies: 1 MB at c=16, streamed through admission');
  L.push(
    'Bare pipe and proxy interleaved, 3 rounds (order reversed in the middle one); p50 of the end of the response. "model last": the proxy with the model after the 1 MB prompt (it holds the prompt until it has read the model).',
  );
  L.push('');
  L.push('| round | bare p50 | proxy p50 | proxy/bare | proxy, model last: p50 · /bare | req/s bare · proxy |');
  L.push('|---:|---:|---:|---:|---|---|');
  mb1.rounds.forEach((r, i) =>
    L.push(
      `| ${i + 1} | ${f(r.bare.p50)} ms | ${f(r.proxy.p50)} ms | ${f(r.ratio)}x | ${f(r.proxyLast.p50)} ms · ${f(r.ratioLast)}x | ${f(r.bare.rps, 0)} · ${f(r.proxy.rps, 0)} |`,
    ),
  );
  L.push(`| **median** | | | **${f(mb1.median)}x** (goal ≤ 1.2x) | ${f(mb1.medianLast)}x | |`);
  L.push('');
  L.push('### Memory under large bodies: 80 concurrent 15 MiB bodies');
  L.push(
    'RSS of the process that passes them on: before, peak (VmHWM, reset with clear_refs), and the lowest of 5 s of samples once idle. The proxy holds at most its body budget (64 MiB by default) across requests; with the model last it must hold a body until the model arrives, so once the budget is spent the requests still reading toward their model get 503 with Retry-After (a request that holds nothing yet waits up to 2 s for room).',
  );
  L.push('');
  L.push('| path | answers | wall | RSS before | peak RSS | RSS 5 s after |');
  L.push('|---|---|---:|---:|---:|---:|');
  for (const b of big)
    L.push(
      `| ${b.label} | ${Object.entries(b.statuses)
        .map(([s, c]) => `${c} × ${s}`)
        .join(', ')} | ${f(b.wall, 1)} s | ${f(b.rssBefore, 0)} MB | ${f(b.peak, 0)} MB | ${f(b.after, 0)} MB |`,
    );
  L.push('');
  L.push(`### Many distinct models: ${many.n} made-up \`:free\` ids through the proxy (c=64)`);
  L.push('');
  L.push('| answers | req/s | p50 | RSS before · after | GET /quota after | GET /quota/history after |');
  L.push('|---|---:|---:|---|---|---|');
  L.push(
    `| ${Object.entries(many.statuses)
      .map(([s, c]) => `${c} × ${s}`)
      .join(
        ', ',
      )} | ${f(many.rps, 0)} | ${f(many.p50)} ms | ${f(many.rssBefore, 0)} · ${f(many.rssAfter, 0)} MB | ${many.quota.bytes} B in ${f(many.quota.ms, 1)} ms | ${many.history.bytes} B in ${f(many.history.ms, 1)} ms |`,
  );
  return L;
}
