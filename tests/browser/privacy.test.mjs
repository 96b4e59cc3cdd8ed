// Privacy and security: through a whole session (examples, a batch over a pool of 2 workers, the
// cell view, the map, the model card, exports, importing a review, a reload through the service
// worker) no request leaves the origin, no request carries a body, no URL or header carries image
// bytes, no WebSocket is opened, and the page is served with a self-only CSP.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync, mkdirSync } from 'node:fs';
import { root, startServer, launchBrowser, openApp, waitReady, fixtureImages, exampleImages, exportText } from './helpers.mjs';

let server, browser;
before(async () => { server = await startServer(); browser = await launchBrowser(); });
after(async () => { await browser?.close(); server?.close(); });

test('no request during use goes off-origin or carries image data; CSP allows only self', async () => {
  const origin = new URL(server.url).origin;
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  const requests = [];
  context.on('request', (r) => requests.push(r));
  const page = await context.newPage();
  const sockets = [];
  page.on('websocket', (ws) => sockets.push(ws.url()));
  // The worker pool with 2 workers: their requests are seen too.
  const response = await page.goto(server.url + '?workers=2');
  const csp = response.headers()['content-security-policy'];
  assert.match(csp, /default-src 'self'/);
  assert.match(csp, /connect-src 'self'/);
  assert.doesNotMatch(csp, /unsafe-inline|https?:|\*/);
  await waitReady(page);

  await page.click('#examples button >> nth=2');
  await page.waitForSelector('#cell[data-label] #cam-canvas');
  await page.setInputFiles('#files', [...fixtureImages, ...exampleImages.slice(0, 4)]);
  // (the example went into the demo review; these go to the user's sample)
  await page.waitForFunction((n) => document.body.dataset.busy === '0' && document.querySelectorAll('#gallery li.cell').length === n, fixtureImages.length + 4);
  await page.dblclick('#gallery li.cell >> nth=3');
  await page.waitForSelector('#cam-canvas');
  await page.click('#tab-map');
  const box = await (await page.$('#map')).boundingBox();
  for (let i = 0; i < 12; i++) await page.mouse.move(box.x + box.width * (0.2 + i / 20), box.y + box.height * (0.3 + i / 30));
  await page.click('#tab-about');
  await page.waitForSelector('#about .confusion');
  await page.click('#tab-review');
  await exportText(page, 'csv');
  const exported = await exportText(page, 'json');
  // Import the review back (replacing the one in progress).
  mkdirSync(root + 'build/tmp', { recursive: true });
  writeFileSync(root + 'build/tmp/privacy-review.json', exported);
  page.once('dialog', (d) => d.accept());
  await page.setInputFiles('#import-file', root + 'build/tmp/privacy-review.json');
  await page.waitForSelector('body[data-import="done"]');
  await page.evaluate(async () => navigator.serviceWorker.ready);
  await page.reload();
  await waitReady(page);
  await page.waitForTimeout(300);

  assert.ok(requests.length > 10, `saw ${requests.length} requests`);
  // Worker and service-worker fetches are seen too (the model is fetched by the worker).
  assert.ok(requests.some((r) => r.url().endsWith('/models/bloodcell.bin')), 'the model request is observed');
  const imageBytes = [...fixtureImages, ...exampleImages].map((f) => readFileSync(f).subarray(200, 232).toString('latin1'));
  assert.deepEqual(sockets, []);
  assert.ok(requests.filter((r) => r.url().endsWith('/engine-worker.js')).length >= 2, 'both pool workers started');
  for (const r of requests) {
    const u = r.url();
    const headers = Object.entries(await r.allHeaders()).map(([k, v]) => `${k}: ${v}`).join('\n');
    assert.ok(headers.length < 4096, `${headers.length} bytes of headers on ${u}`);
    for (const bytes of imageBytes) assert.ok(!headers.includes(bytes) && !headers.includes(encodeURIComponent(bytes).slice(0, 24)), `image data in the headers of ${u}`);
    assert.ok(u.startsWith(origin + '/') || u.startsWith('blob:' + origin) || u.startsWith('data:'), `off-origin request ${u}`);
    assert.ok(['GET', 'HEAD'].includes(r.method()), `${r.method()} ${u}`);
    assert.equal(r.postDataBuffer(), null, `request body on ${u}`);
    if (u.startsWith(origin)) assert.ok(u.length < 300, `long URL ${u.slice(0, 80)}…`);
    const q = u.startsWith(origin) ? new URL(u).search : '';
    for (const bytes of imageBytes) assert.ok(!q.includes(encodeURIComponent(bytes).slice(0, 24)), `image data in ${u}`);
  }
  // The fixture files themselves were never requested: they were read from disk by the page.
  for (const f of fixtureImages) assert.ok(!requests.some((r) => r.url().endsWith(f.split('/').pop())), `${f} requested`);
  const html = readFileSync(root + 'web/index.html', 'utf8');
  assert.doesNotMatch(html, /<script(?![^>]*\bsrc=)[^>]*>/, 'no inline script');
  assert.doesNotMatch(html, /<style|style="/, 'no inline style');
  assert.doesNotMatch(html + readFileSync(root + 'web/style.css', 'utf8'), /https?:\/\/(?!www\.w3\.org)/, 'no remote fonts, icons or scripts');
  await context.close();
});
