// More formats, in the real page: WebP and GIF through Chromium's own decoder, TIFF (8-bit, 16-bit
// big-endian, 12-bit grey in 16-bit samples) through UTIF.js, all classified by the engine's pixel entry
// point; the same pixels as a PNG (the engine's own decoder) give the same probabilities. A TIFF is shown
// (its PNG copy), a float TIFF and a HEIC photo are refused by name, in English and Spanish, and the
// file picker offers exactly what is read. Fixtures: tests/fixtures/formats/ (see tests/fixtures/README.md).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { root, startServer, launchBrowser, openApp, addFiles } from './helpers.mjs';

let server, browser;
before(async () => { server = await startServer(); browser = await launchBrowser(); });
after(async () => { await browser?.close(); server?.close(); });

const fx = (f) => root + 'tests/fixtures/formats/' + f;
const FILES = ['neutrophil.png', 'neutrophil.webp', 'neutrophil.gif', 'neutrophil-rgb8.tif', 'neutrophil-rgb16be.tif',
  'neutrophil-grey8.tif', 'neutrophil-grey12in16.tif', 'float32.tif', 'photo.heic'];

async function cells(page) {
  return page.$$eval('#gallery li.cell', (lis) => Object.fromEntries(lis.map((li) => [li.dataset.file,
    { label: li.dataset.label, probs: li.dataset.probs, error: li.dataset.error, text: li.textContent, id: li.dataset.id }])));
}

test('WebP, GIF and TIFF are classified; HEIC and a float TIFF are refused by name', async () => {
  const { context, page, errors } = await openApp(browser, server.url);
  await addFiles(page, FILES.map(fx));
  const c = await cells(page);
  const png = c['neutrophil.png'];
  assert.ok(png && png.label && !png.error, 'the PNG (engine decoder) is classified');
  for (const f of ['neutrophil.webp', 'neutrophil-rgb8.tif', 'neutrophil-rgb16be.tif']) {
    assert.ok(!c[f].error, `${f}: ${c[f].error}`);
    assert.equal(c[f].probs, png.probs, `${f}: the same pixels give the same probabilities as the PNG`);
  }
  assert.ok(!c['neutrophil.gif'].error, c['neutrophil.gif'].error);
  assert.equal(c['neutrophil.gif'].label, png.label, 'the 256-colour GIF gets the same class');
  assert.equal(c['neutrophil-grey12in16.tif'].probs, c['neutrophil-grey8.tif'].probs, '12-bit grey in 16-bit samples reads as the 8-bit grey');
  assert.equal(c['photo.heic'].error, 'HEIC images are not supported: save as JPEG or PNG');
  assert.match(c['photo.heic'].text, /Could not classify: HEIC images are not supported: save as JPEG or PNG/);
  assert.equal(c['float32.tif'].error, 'TIFF with 32-bit floating-point samples is not supported: save as an 8-bit RGB TIFF, JPEG or PNG');

  // The TIFF is shown: its gallery image (the PNG copy) decodes, and its cell view draws the heatmap.
  const tif = page.locator('#gallery li.cell[data-file="neutrophil-rgb16be.tif"]');
  await tif.scrollIntoViewIfNeeded();
  await page.waitForFunction(() => {
    const img = document.querySelector('#gallery li.cell[data-file="neutrophil-rgb16be.tif"] img');
    return img && img.complete && img.naturalWidth === 360 && img.naturalHeight === 363;
  }, null, { timeout: 10000 });
  await tif.dblclick();
  await page.waitForSelector('#cell[data-label] #cam-canvas', { timeout: 10000 });
  await page.waitForFunction(() => !document.querySelector('#view-cell .cam-wait'), null, { timeout: 10000 });
  assert.deepEqual(errors, []);

  // Spanish: the refusals name the format too.
  await page.selectOption('#lang', 'es');
  await page.waitForFunction(() => /No se pudo clasificar/.test(document.querySelector('#gallery li.cell[data-file="photo.heic"]')?.textContent));
  const es = await cells(page);
  assert.match(es['photo.heic'].text, /No se pudo clasificar: las imágenes HEIC no se admiten: guárdelas como JPEG o PNG/);
  assert.match(es['float32.tif'].text, /este tipo de TIFF no se admite/);
  await context.close();
});

test('the file picker offers the formats that are read, and no other', async () => {
  const { context, page } = await openApp(browser, server.url);
  const accept = (await page.getAttribute('#files', 'accept')).split(',');
  assert.ok(!accept.includes('image/*'), 'not every image type: HEIC would be offered, then refused');
  for (const ext of ['.jpg', '.jpeg', '.png', '.bmp', '.webp', '.gif', '.avif', '.tif', '.tiff']) assert.ok(accept.includes(ext), ext);
  for (const a of accept) assert.match(a, /^\.(jpe?g|png|bmp|webp|gif|avif|tiff?)$|^image\/(jpeg|png|bmp|webp|gif|avif|tiff)$/, a);
  await context.close();
});
