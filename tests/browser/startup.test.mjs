// An image handed to the page while it starts (before the engine is ready and the last sample has
// reopened) joins that sample: it is not dropped when the sample's stored cells come in, its id does
// not clash with theirs, and it is still there after the next reload.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { startServer, launchBrowser, openApp, fixtureImages } from './helpers.mjs';

let server, browser;
before(async () => { server = await startServer(); browser = await launchBrowser(); });
after(async () => { await browser?.close(); server?.close(); });

test('an image given while the page starts is kept in the sample that reopens', async () => {
  const { context, page, errors } = await openApp(browser, server.url);
  await page.setInputFiles('#files', fixtureImages.slice(0, 3));
  await page.waitForFunction(() => document.body.dataset.busy === '0' && document.querySelectorAll('#gallery li.cell').length === 3);
  const b64 = readFileSync(fixtureImages[3]).toString('base64');
  await context.addInitScript((data) => {
    if (sessionStorage.getItem('given')) return;      // only on the first reload
    sessionStorage.setItem('given', '1');
    document.addEventListener('DOMContentLoaded', () => {
      const dt = new DataTransfer();
      dt.items.add(new File([Uint8Array.from(atob(data), (c) => c.charCodeAt(0))], 'given-at-start.jpg', { type: 'image/jpeg' }));
      const input = document.getElementById('files');
      input.files = dt.files;
      input.dispatchEvent(new Event('change', { bubbles: true }));
    });
  }, b64);
  const names = () => page.$$eval('#gallery li.cell', (l) => l.map((li) => li.dataset.name || li.textContent).sort());
  await page.reload();
  await page.waitForSelector('body[data-ready="1"][data-restored="1"]');
  await page.waitForFunction(() => document.body.dataset.busy === '0' && document.querySelectorAll('#gallery li.cell').length === 4, null, { timeout: 30000 });
  const ids = await page.$$eval('#gallery li.cell', (l) => l.map((li) => li.dataset.id));
  assert.equal(new Set(ids).size, 4, `four distinct cell ids (${ids})`);
  const first = await names();
  assert.ok(first.some((n) => n.includes('given-at-start')), 'the image given at start is in the gallery');
  await page.reload();
  await page.waitForSelector('body[data-ready="1"][data-restored="1"]');
  await page.waitForFunction(() => document.querySelectorAll('#gallery li.cell').length >= 4);
  assert.deepEqual(await names(), first, 'all four cells, the one given at start included, come back after a reload');
  assert.deepEqual(errors, []);
  await context.close();
});
