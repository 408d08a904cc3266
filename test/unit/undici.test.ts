// src/core/http/undici.ts loads undici's parts from their own files (the index would ship ~280 KB more). These
// are the checks that they are the very classes and the same request() undici exports, so an undici upgrade
// that moves a file fails here rather than in use.
import * as assert from 'node:assert/strict';
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import * as undici from 'undici';
import { Agent, EnvHttpProxyAgent, request } from '../../src/core/http/undici';

describe('undici, loaded part by part', () => {
  it('Agent and EnvHttpProxyAgent are the classes undici exports', () => {
    assert.equal(Agent, undici.Agent);
    assert.equal(EnvHttpProxyAgent, undici.EnvHttpProxyAgent);
  });

  it('request(url, options) sends method, path, query, headers and body like undici.request, over the given dispatcher', async () => {
    const seen: { method?: string; url?: string; header?: string; body: string }[] = [];
    const server = http.createServer((req, res) => {
      let body = '';
      req.on('data', (c: Buffer) => (body += c.toString()));
      req.on('end', () => {
        seen.push({ method: req.method, url: req.url, header: req.headers['x-test'] as string, body });
        res.writeHead(201, { 'content-type': 'text/plain' }).end('ok');
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    const agent = new Agent();
    try {
      const ours = await request(`${base}/a/b?x=1`, {
        method: 'POST',
        headers: { 'x-test': 'y' },
        body: 'hello',
        dispatcher: agent,
      });
      assert.equal(ours.statusCode, 201);
      assert.equal(await ours.body.text(), 'ok');
      const theirs = await undici.request(`${base}/a/b?x=1`, {
        method: 'POST',
        headers: { 'x-test': 'y' },
        body: 'hello',
        dispatcher: agent,
      });
      await theirs.body.text();
      assert.deepEqual(seen[0], seen[1]);
      assert.deepEqual(seen[0], { method: 'POST', url: '/a/b?x=1', header: 'y', body: 'hello' });
      const get = await request(`${base}/`, { dispatcher: agent });
      await get.body.text();
      assert.equal(seen[2].method, 'GET', 'no method and no body: GET, as undici');
    } finally {
      await agent.close();
      await new Promise((resolve) => server.close(resolve));
    }
  });
});
