// A clean sample (issue 17), in the real page at 390x844 (touch) and 1280x800, English and Spanish:
// an example opens in its own demo review, never the user's; a file whose content is already in the
// sample is not counted twice, and the user is told; one cell is deleted and the deletion undone;
// previous / next in the cell view (and a swipe on the phone); a JSON export made with the images
// imports back with them (tiles and heatmaps, not grey tiles).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync, mkdirSync, copyFileSync } from 'node:fs';
import { root, startServer, launchBrowser, openApp, fixtureImages, differential, CONFIGS } from './helpers.mjs';

let server, browser;
before(async () => { server = await startServer(); browser = await launchBrowser(); });
after(async () => { await browser?.close(); server?.close(); });

const W = {
  en: { demo: 'Examples (demo)', back: /^Back to Sample 1$/, dup: /2 files were not counted again: their content is the same as images already in this sample \(/, deleted: /^Deleted .+; it is no longer counted\.$/, undo: 'Undo', pos: (i, n) => `Cell ${i} of ${n}` },
  es: { demo: 'Ejemplos (demostración)', back: /^Volver a Muestra 1$/, dup: /2 archivos no se contaron otra vez: su contenido es igual al de imágenes que ya están en esta muestra \(/, deleted: /^Se eliminó .+; ya no se cuenta\.$/, undo: 'Deshacer', pos: (i, n) => `Célula ${i} de ${n}` },
};

const galleryFiles = (page) => page.$$eval('#gallery li.cell', (lis) => lis.map((li) => li.dataset.file));
const tap = (page, cfg, sel) => (cfg.name === 'phone' ? page.tap(sel) : page.click(sel));

for (const cfg of CONFIGS) {
  for (const locale of ['en-US', 'es-CO']) {
    test(`a clean sample: demo review, duplicates, delete and undo, previous/next, export with images (${cfg.name}, ${locale})`, async () => {
      const lang = locale.slice(0, 2);
      const w = W[lang];
      const { viewport, isMobile, hasTouch } = cfg;
      const { context, page, errors } = await openApp(browser, server.url, { viewport, isMobile, hasTouch, locale, acceptDownloads: true });
      page.on('dialog', (d) => d.accept());

      // The user's own cells first.
      const mine = fixtureImages.slice(0, 4);
      await page.setInputFiles('#files', mine);
      await page.waitForFunction(() => document.body.dataset.busy === '0' && document.querySelectorAll('#gallery li.cell').length === 4);
      const userKey = await page.getAttribute('#sample-bar', 'data-key');

      // 1. An example opens in the demo review; the user's sample is untouched.
      await tap(page, cfg, '#tab-cell');
      await tap(page, cfg, '#examples button:not(.field-example) >> nth=2');
      await page.waitForSelector('#sample-bar[data-demo="1"]');
      await page.waitForSelector('#cell[data-label]');
      assert.notEqual(await page.getAttribute('#sample-bar', 'data-key'), userKey);
      assert.equal(await page.$eval('#sample-select', (s) => s.selectedOptions[0].textContent), w.demo);
      assert.deepEqual((await galleryFiles(page)).length, 1);
      assert.match((await page.textContent('#sample-demo-back')).trim(), w.back);
      // The user's own image, given while the demo is open, goes back to the user's sample.
      await page.setInputFiles('#files', fixtureImages[4]);
      await page.waitForFunction((k) => document.getElementById('sample-bar').dataset.key === k && document.body.dataset.busy === '0' && document.querySelectorAll('#gallery li.cell').length === 5, userKey);
      assert.ok(!(await galleryFiles(page)).some((f) => f.startsWith('ex')) , 'no example in the user\'s sample');

      // 2. The same files again (one under another name): not counted twice, and said.
      mkdirSync(root + `build/tmp/clean-${cfg.name}-${lang}`, { recursive: true });
      const renamed = root + `build/tmp/clean-${cfg.name}-${lang}/copy-of-first.jpg`;
      copyFileSync(mine[0], renamed);
      const before = await differential(page);
      await page.setInputFiles('#files', [mine[1], renamed, fixtureImages[5]]);
      await page.waitForFunction(() => document.body.dataset.busy === '0' && document.body.dataset.duplicates === '2');
      assert.equal((await galleryFiles(page)).length, 6, 'only the new file is added');
      assert.match(await page.textContent('#toast-text'), w.dup);
      assert.match(await page.textContent('#status'), w.dup);
      const after1 = await differential(page);
      assert.equal(after1.total, before.total + 1);

      // 3. Previous / next in the cell view, in the gallery's order; a swipe on the phone.
      const order = await page.$$eval('#gallery li.cell', (lis) => lis.map((li) => li.dataset.id));
      await tap(page, cfg, `#gallery li.cell[data-id="${order[0]}"]`);
      await tap(page, cfg, '#open-selected');
      await page.waitForSelector(`#cell[data-id="${order[0]}"]`);
      assert.equal(await page.textContent('#cell-pos'), w.pos(1, 6));
      assert.equal(await page.isDisabled('#cell-prev'), true);
      await tap(page, cfg, '#cell-next');
      await page.waitForSelector(`#cell[data-id="${order[1]}"]`);
      assert.equal(await page.textContent('#cell-pos'), w.pos(2, 6));
      await tap(page, cfg, '#cell-prev');
      await page.waitForSelector(`#cell[data-id="${order[0]}"]`);
      // 4. Delete one single-cell image from its view, then undo.
      const name0 = await page.textContent('#cell-title');
      // (at once: the heatmap may come while the finger is down; the head stays the same element then)
      await tap(page, cfg, '#cell-delete-one');
      await page.waitForFunction((id) => !document.querySelector(`#gallery li.cell[data-id="${id}"]`), order[0]);
      await page.waitForSelector(`#cell[data-id="${order[1]}"]`);    // the next cell is shown
      assert.equal((await galleryFiles(page)).length, 5);
      assert.equal((await differential(page)).total, 5);
      assert.match((await page.textContent('#toast-text')).trim(), w.deleted);
      assert.ok((await page.textContent('#toast-text')).includes(name0));
      const undo = page.locator('#toast-undo');
      assert.equal((await undo.textContent()).trim(), w.undo);
      await undo.click();
      await page.waitForSelector('body[data-undone="1"]');
      assert.deepEqual(await page.$$eval('#gallery li.cell', (lis) => lis.map((li) => li.dataset.id)), order, 'back in its place');
      assert.equal((await differential(page)).total, 6);
      // From the review's selection bar too.
      await tap(page, cfg, '#tab-review');
      await tap(page, cfg, `#gallery li.cell[data-id="${order[2]}"]`);
      await tap(page, cfg, '#delete-selected');
      await page.waitForFunction((id) => !document.querySelector(`#gallery li.cell[data-id="${id}"]`), order[2]);
      assert.equal(await page.getAttribute('#gallery li.cell[aria-selected="true"]', 'data-id'), order[3], 'the next cell is selected');
      await page.click('#toast-undo');
      await page.waitForSelector('body[data-undone="2"]');
      assert.equal((await galleryFiles(page)).length, 6);

      // 5. Export with the images, import into a new sample: the tiles and the heatmap come back.
      await page.check('#export-images', { force: true });
      const [dl] = await Promise.all([page.waitForEvent('download'), page.click('#export-json')]);
      const json = JSON.parse(await (await import('node:fs')).promises.readFile(await dl.path(), 'utf8'));
      assert.ok(json.cells.every((c) => /^data:image\/(jpeg|png);base64,/.test(c.image)), 'every cell carries its image');
      // Without the box ticked, no image is written.
      await page.uncheck('#export-images', { force: true });
      const [dl2] = await Promise.all([page.waitForEvent('download'), page.click('#export-json')]);
      const plain = JSON.parse(await (await import('node:fs')).promises.readFile(await dl2.path(), 'utf8'));
      assert.ok(plain.cells.every((c) => !('image' in c)));
      json.sample.id = `Archived ${cfg.name} ${lang}`;
      const file = root + `build/tmp/clean-${cfg.name}-${lang}/archived.json`;
      writeFileSync(file, JSON.stringify(json));
      await page.evaluate(() => document.body.removeAttribute('data-import'));
      await page.setInputFiles('#import-file', file);
      await page.waitForSelector('body[data-import="done"]');
      assert.equal(await page.$eval('#sample-select', (s) => s.selectedOptions[0].textContent), `Archived ${cfg.name} ${lang}`);
      assert.equal((await galleryFiles(page)).length, 6);
      await page.waitForFunction(() => [...document.querySelectorAll('#gallery li.cell img')].filter((i) => i.complete && i.naturalWidth > 0).length >= 1);
      const imgs = await page.$$eval('#gallery li.cell img', (is) => is.filter((i) => i.getAttribute('src')).length);
      assert.ok(imgs >= 1, 'the imported tiles show their images');
      await tap(page, cfg, '#gallery li.cell[data-label] >> nth=0');
      await tap(page, cfg, '#open-selected');
      await page.waitForSelector('#cell[data-label] #cam-canvas');
      await page.waitForFunction(() => !document.querySelector('#cell .cam-wait') && !document.querySelector('#cell .cam-none'), null, { timeout: 20000 });
      const painted = await page.$eval('#cam-canvas', (c) => { const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data; let n = 0; for (let i = 3; i < d.length; i += 4) if (d[i]) n++; return n; });
      assert.ok(painted > 1000, 'the imported cell is drawn with its heatmap');
      // A swipe on the phone steps to the next / previous cell (last: Chromium makes no click of a tap after the test's own touches).
      if (cfg.name === 'phone') {
        const cdp = await context.newCDPSession(page);
        const swipe = async (x0, x1) => {
          await page.waitForFunction(() => document.querySelector('#cell #cam-canvas') && !document.querySelector('#cell .cam-wait'));
          await page.locator('#cell .verdict h3').scrollIntoViewIfNeeded();
          const box = await page.locator('#cell .verdict h3').boundingBox();
          const y = box.y + box.height / 2;
          await cdp.send('Input.dispatchTouchEvent', { type: 'touchStart', touchPoints: [{ x: x0, y }] });
          for (let k = 1; k <= 5; k++) await cdp.send('Input.dispatchTouchEvent', { type: 'touchMove', touchPoints: [{ x: x0 + ((x1 - x0) * k) / 5, y }] });
          await cdp.send('Input.dispatchTouchEvent', { type: 'touchEnd', touchPoints: [] });
        };
        const ids = await page.$$eval('#gallery li.cell', (lis) => lis.map((li) => li.dataset.id));
        const at = await page.getAttribute('#cell', 'data-id');
        const k = ids.indexOf(at);
        await swipe(320, 60);        // leftwards: the next cell
        await page.waitForSelector(`#cell[data-id="${ids[k + 1]}"]`);
        await swipe(60, 320);        // rightwards: back
        await page.waitForSelector(`#cell[data-id="${at}"]`);
      }

      assert.deepEqual(errors, []);
      await context.close();
    });
  }
}
