// Inputs other than the file picker: dropping files on the page, pasting an image, the examples row,
// and a folder pick that skips files that are not images.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, mkdirSync, writeFileSync, copyFileSync, rmSync } from 'node:fs';
import { root, startServer, launchBrowser, openApp, fixtureImages } from './helpers.mjs';

let server, browser;
before(async () => { server = await startServer(); browser = await launchBrowser(); });
after(async () => { await browser?.close(); server?.close(); });

// Builds File objects in the page from bytes read here.
async function dispatchWithFiles(page, type, files) {
  await page.evaluate(({ type, files }) => {
    const dt = new DataTransfer();
    for (const f of files) dt.items.add(new File([Uint8Array.from(atob(f.b64), (c) => c.charCodeAt(0))], f.name, { type: 'image/jpeg' }));
    const target = type === 'paste' ? document : document.getElementById('drop');
    if (type === 'paste') target.dispatchEvent(new ClipboardEvent('paste', { clipboardData: dt, bubbles: true, cancelable: true }));
    else {
      target.dispatchEvent(new DragEvent('dragover', { dataTransfer: dt, bubbles: true, cancelable: true }));
      target.dispatchEvent(new DragEvent('drop', { dataTransfer: dt, bubbles: true, cancelable: true }));
    }
  }, { type, files: files.map((p) => ({ name: p.split('/').pop(), b64: readFileSync(p).toString('base64') })) });
}

test('drop, paste, examples and folder pick all classify', async () => {
  const { context, page, errors } = await openApp(browser, server.url);
  await dispatchWithFiles(page, 'drop', fixtureImages.slice(0, 3));
  await page.waitForFunction(() => document.querySelectorAll('#gallery li.cell[data-label]').length === 3 && document.body.dataset.busy === '0');
  await dispatchWithFiles(page, 'paste', fixtureImages.slice(3, 4));
  await page.waitForFunction(() => document.querySelectorAll('#gallery li.cell[data-label]').length === 4 && document.body.dataset.busy === '0');
  // A single image opens in the cell view.
  assert.equal(await page.isVisible('#view-cell'), true);
  assert.equal(await page.textContent('#cell-title'), fixtureImages[3].split('/').pop());
  // One click on an example classifies it.
  await page.click('#examples button[data-file="platelet-2.jpg"]');
  // The previous cell is still shown until the example's result arrives: wait for the new one.
  await page.waitForFunction(() => document.getElementById('cell-title')?.textContent === 'platelet-2.jpg');
  await page.waitForSelector('#cell[data-label] #cam-canvas');
  // It went into the demo review, not into the user's sample.
  assert.equal(await page.$$eval('#gallery li.cell', (l) => l.length), 1);
  assert.equal(await page.getAttribute('#sample-bar', 'data-demo'), '1');
  // A folder: images are classified, other files skipped with a note.
  const dir = root + 'build/tmp/folder-pick/slide-7/';
  rmSync(root + 'build/tmp/folder-pick', { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  for (const f of fixtureImages.slice(4, 6)) copyFileSync(f, dir + f.split('/').pop());
  writeFileSync(dir + 'notes.txt', 'slide 7');
  await page.setInputFiles('#folder', root + 'build/tmp/folder-pick/slide-7');
  // (back in the user's sample: its 4 cells and the folder's 2 images)
  await page.waitForFunction(() => document.querySelectorAll('#gallery li.cell').length === 6 && document.body.dataset.busy === '0');
  const names = await page.$$eval('#gallery li.cell', (l) => l.map((li) => li.dataset.file));
  assert.ok(names.some((n) => /slide-7\/.+\.jpg$/.test(n)), names.join(', '));
  assert.ok(!names.some((n) => n.endsWith('notes.txt')));
  assert.match(await page.textContent('#status'), /Classified 2 images .* 1 files that are not images were skipped/);
  assert.deepEqual(errors, []);
  await context.close();
});

test('an image given before the engine is ready is classified, and the examples come after it', async () => {
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  await context.addInitScript((b64) => {
    document.addEventListener('DOMContentLoaded', () => {
      window.__examplesAtFirstResult = null;
      new PerformanceObserver((list) => {
        if (list.getEntries().some((e) => e.name === 'bloodcell-first-result'))
          window.__examplesAtFirstResult = document.querySelectorAll('#examples button').length;
      }).observe({ type: 'mark', buffered: true });
      window.__readyAtDrop = document.body.dataset.ready === '1';
      const dt = new DataTransfer();
      dt.items.add(new File([Uint8Array.from(atob(b64), (c) => c.charCodeAt(0))], 'early.jpg', { type: 'image/jpeg' }));
      const input = document.getElementById('files');
      input.files = dt.files;
      input.dispatchEvent(new Event('change', { bubbles: true }));
    });
  }, readFileSync(fixtureImages[0]).toString('base64'));
  // The model arrives late, so that the engine cannot be ready when the page hands the image over.
  await context.route('**/models/bloodcell.bin', async (route) => { await new Promise((r) => setTimeout(r, 400)); await route.continue(); });
  const page = await context.newPage();
  const errors = [];
  page.on('pageerror', (e) => errors.push(e.message));
  await page.goto(server.url);
  await page.waitForSelector('#cell[data-label] #cam-canvas');
  assert.equal(await page.textContent('#cell-title'), 'early.jpg');
  assert.equal(await page.evaluate(() => window.__readyAtDrop), false, 'the image was given before the engine was ready');
  assert.equal(await page.evaluate(() => window.__examplesAtFirstResult), 0, 'no example images while the first image waits');
  await page.waitForFunction(() => document.querySelectorAll('#examples button').length > 0);
  assert.deepEqual(errors, []);
  await context.close();
});
