// The least any proxy can add: a pass-through proxy in plain node:http, in its own process. Streams the
// request body to the upstream and the response back (pipe both ways, no buffering, flushHeaders), with a
// keep-alive agent. No auth, no counting. Prints `listening N`.
//   node bench/barePipe.mjs UPSTREAM_PORT
import http from 'node:http';

const upstreamPort = Number(process.argv[2]);
const agent = new http.Agent({ keepAlive: true, maxSockets: Infinity, maxFreeSockets: 1024 });
const HOP = new Set([
  'connection',
  'keep-alive',
  'proxy-connection',
  'te',
  'trailer',
  'transfer-encoding',
  'upgrade',
  'host',
]);

const server = http.createServer({ keepAliveTimeout: 5_000 }, (req, res) => {
  const headers = {};
  for (const [k, v] of Object.entries(req.headers)) if (!HOP.has(k)) headers[k] = v;
  const up = http.request(
    { host: '127.0.0.1', port: upstreamPort, path: req.url, method: req.method, headers, agent },
    (ur) => {
      const out = {};
      for (const [k, v] of Object.entries(ur.headers)) if (!HOP.has(k)) out[k] = v;
      res.writeHead(ur.statusCode, out);
      res.flushHeaders();
      ur.pipe(res);
    },
  );
  up.on('error', () => {
    if (!res.headersSent) {
      res.writeHead(502);
      res.end();
    } else res.destroy();
  });
  res.on('close', () => {
    if (!res.writableFinished) up.destroy();
  });
  req.pipe(up);
});
server.listen(0, '127.0.0.1', 1024, () => console.log(`listening ${server.address().port}`));
process.on('SIGTERM', () => process.exit(0));
