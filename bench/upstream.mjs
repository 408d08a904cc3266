// The bench's instant upstream: a minimal node:http OpenRouter stand-in in its own process (so it does not
// take the bench client's CPU). Prints `listening N` on stdout.
//   POST /api/v1/chat/completions            small JSON chat answer (request body read and dropped, any size)
//   POST /api/v1/chat/completions?sse=200    SSE stream of 200 events written back to back
//   ...?sse=200&gap=2                         the same, one event every 2 ms (setTimeout), to time delivery
// Each SSE event carries `t`, process.hrtime.bigint() at the moment it was written (CLOCK_MONOTONIC: the
// same clock in every process on this machine), and `d`, Date.now().
//   GET /api/v1/key, /credits, /models       small valid answers (the CLI proxy polls /key on start)
//   GET /__stats                              request counts per path;   POST /__reset   zero them
import http from 'node:http';

const counts = {};
const CHAT = JSON.stringify({
  id: 'gen-bench',
  object: 'chat.completion',
  created: 1,
  model: 'meta-llama/llama-3.3-70b-instruct:free',
  choices: [
    { index: 0, finish_reason: 'stop', message: { role: 'assistant', content: 'Hello! How can I help you today?' } },
  ],
  usage: { prompt_tokens: 8, completion_tokens: 9, total_tokens: 17 },
});
const KEY = JSON.stringify({
  data: { label: 'bench', usage: 0, limit: null, is_free_tier: true, limit_remaining: null, usage_daily: 0 },
});
const CREDITS = JSON.stringify({ data: { total_credits: 0, total_usage: 0 } });
const MODELS = JSON.stringify({
  data: [{ id: 'meta-llama/llama-3.3-70b-instruct:free', pricing: { prompt: '0', completion: '0' } }],
});

function json(res, status, text) {
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
  res.end(text);
}

function sse(res, n, gap) {
  res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
  let i = 0;
  const one = () => {
    const t = process.hrtime.bigint();
    res.write(
      `data: {"id":"gen-bench","i":${i},"t":"${t}","d":${Date.now()},"choices":[{"index":0,"delta":{"content":"tok "}}]}\n\n`,
    );
    i++;
  };
  if (!gap) {
    while (i < n) one();
    res.end('data: [DONE]\n\n');
    return;
  }
  const tick = () => {
    if (res.destroyed) return;
    one();
    if (i < n) setTimeout(tick, gap);
    else res.end('data: [DONE]\n\n');
  };
  tick();
}

const server = http.createServer({ keepAliveTimeout: 30_000 }, (req, res) => {
  const u = new URL(req.url, 'http://x');
  const p = u.pathname.replace(/^\/api\/v1/, '');
  counts[p] = (counts[p] ?? 0) + 1;
  if (p === '/__stats') return json(res, 200, JSON.stringify(counts));
  if (p === '/__reset') {
    for (const k of Object.keys(counts)) delete counts[k];
    return json(res, 200, '{}');
  }
  if (req.method === 'GET') {
    if (p === '/key' || p === '/auth/key') return json(res, 200, KEY);
    if (p === '/credits') return json(res, 200, CREDITS);
    if (p === '/models') return json(res, 200, MODELS);
    return json(res, 404, '{"error":{"code":404,"message":"Not Found"}}');
  }
  // read and drop the body (up to 1 MB+), then answer at once
  req.on('data', () => undefined);
  req.on('end', () => {
    const n = Number(u.searchParams.get('sse') ?? 0);
    if (n > 0) return sse(res, Math.min(n, 10_000), Number(u.searchParams.get('gap') ?? 0));
    json(res, 200, CHAT);
  });
});
server.maxHeadersCount = 200;
server.listen(0, '127.0.0.1', 1024, () => console.log(`listening ${server.address().port}`));
process.on('SIGTERM', () => process.exit(0));
