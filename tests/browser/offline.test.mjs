// Offline and updates: the service worker precaches the app, so after the first visit the page loads
// and classifies with the network off; a changed service worker shows the "update available" prompt.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { cpSync, rmSync, appendFileSync, existsSync } from 'node:fs';
import { root, startServer, launchBrowser, openApp, waitReady, fixtureImages } from './helpers.mjs';

let browser;
before(async () => { browser = await launchBrowser(); });
after(async () => { await browser?.close(); });

async function waitControlled(page) {
  await page.evaluate(async () => {
    await navigator.serviceWorker.ready;
    if (!navigator.serviceWorker.controller) await new Promise((r) => navigator.serviceWorker.addEventListener('controllerchange', r, { once: true }));
  });
}

test('after the first visit the app loads and classifies offline', async () => {
  assert.ok(existsSync(root + 'web/sw.js'), 'web/sw.js is built (make web-assets)');
  const server = await startServer();
  const { context, page, errors } = await openApp(browser, server.url);
  await waitControlled(page);
  await context.setOffline(true);
  await page.reload();
  await waitReady(page);
  await page.setInputFiles('#files', fixtureImages.slice(0, 3));
  await page.waitForFunction(() => document.querySelectorAll('#gallery li.cell[data-label]').length === 3 && document.body.dataset.busy === '0');
  // The map data and model card came from the cache too.
  assert.equal(await page.getAttribute('body', 'data-map'), '1');
  await page.click('#tab-about');
  await page.waitForSelector('#about .confusion');
  // An example image is precached as well.
  await page.click('#tab-cell');
  await page.click('#examples button >> nth=0');
  await page.waitForSelector('#cell[data-label] #cam-canvas');
  assert.deepEqual(errors, []);
  await context.close();
  server.close();
});

test('a new version shows the update prompt, and updating reloads into it', async () => {
  // A copy of the app, so that its service worker can be changed under the running page.
  const copy = root + 'build/tmp/web-update/';
  rmSync(copy, { recursive: true, force: true });
  cpSync(root + 'web', copy, { recursive: true, dereference: true });
  const server = await startServer(copy);
  const { context, page } = await openApp(browser, server.url);
  await waitControlled(page);
  assert.equal(await page.isVisible('#update'), false);
  appendFileSync(copy + 'sw.js', `\n// new version ${Date.now()}\n`);
  await page.evaluate(async () => (await navigator.serviceWorker.getRegistration()).update());
  await page.waitForSelector('#update:not([hidden])', { timeout: 20000 });
  assert.match(await page.textContent('#update'), /A new version of the app is available/);
  const reloaded = page.waitForEvent('load');
  await page.click('#update-reload');
  await reloaded;
  await waitReady(page);
  assert.equal(await page.isVisible('#update'), false);
  await context.close();
  server.close();
});
