// The page's files: served from the package (uPlot from its npm package), gzipped when asked, with a
// Content-Security-Policy that keeps the browser on this origin; anything else under /ui is a 404.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, request } from 'node:http';
import type { AddressInfo } from 'node:net';
import { gunzipSync } from 'node:zlib';
import { serveUi } from '../../../src/ui/serve.js';

test('/ui serves the page, its script, its styles and uPlot; unknown files are 404; the rest is not the page', async (t) => {
  const server = createServer((req, res) => {
    if (!serveUi(req, res)) res.writeHead(418).end();
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  t.after(() => new Promise((r) => server.close(r)));
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

  const page = await fetch(`${base}/ui`);
  assert.equal(page.status, 200);
  assert.match(page.headers.get('content-type') ?? '', /^text\/html/);
  assert.match(page.headers.get('content-security-policy') ?? '', /default-src 'self'/);
  const html = await page.text();
  for (const asset of ['/ui/app.js', '/ui/style.css', '/ui/uplot.js', '/ui/uplot.css']) {
    assert.ok(html.includes(`"${asset}"`), `the page loads ${asset}`);
    const r = await fetch(`${base}${asset}`);
    assert.equal(r.status, 200, asset);
    assert.ok((await r.arrayBuffer()).byteLength > 1000, `${asset} has content`);
  }
  assert.match(await (await fetch(`${base}/ui/uplot.js`)).text(), /uPlot/);

  // Gzip on request (raw http: fetch would decompress it for us).
  const gz = await new Promise<{ encoding: string | undefined; body: Buffer }>((resolve, reject) => {
    request(`${base}/ui/app.js`, { headers: { 'accept-encoding': 'gzip' } }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () =>
        resolve({ encoding: res.headers['content-encoding'], body: Buffer.concat(chunks) }),
      );
    })
      .on('error', reject)
      .end();
  });
  assert.equal(gz.encoding, 'gzip');
  assert.match(gunzipSync(gz.body).toString(), /routeCounts/);

  assert.equal((await fetch(`${base}/ui/../package.json`)).status, 418); // normalised to /package.json
  assert.equal((await fetch(`${base}/ui/secret.txt`)).status, 404);
  assert.equal((await fetch(`${base}/ui/app.js`, { method: 'POST', body: 'x' })).status, 405);
  assert.equal((await fetch(`${base}/graphql`)).status, 418);
  assert.equal((await fetch(`${base}/uix`)).status, 418);
});
