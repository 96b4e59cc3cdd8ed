// Whole-field photos in the page: a dropped field photo is located in the engine workers and shows
// its boxes, which equal `bloodcell locate --json` on the same file; a box opens its cell view, where
// the cell is reassigned (the differential, the count against the target and the CSV/JSON exports
// follow, with the source image and the box) and deleted; a missed cell is added by a tap, with a box
// of 1.75 red-cell diameters centred on it; the exports read back through the review import; the
// image switch (automatic, single cells, whole fields) decides what an image is. At 1280x800, and
// at 390x844 on a touch phone (zoom, tap a box, no horizontal scroll).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync, mkdirSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { root, startServer, launchBrowser, openApp, fixtureImages, setThreshold, differential, exportText, parseCSV } from './helpers.mjs';

let server, browser;
before(async () => { server = await startServer(); browser = await launchBrowser(); });
after(async () => { await browser?.close(); server?.close(); });

const PIG = root + 'web/examples/field-pig-473.jpg';
const BCDD = root + 'web/examples/field-bcdd-image-1.png';
const native = (file) => JSON.parse(execFileSync(root + 'build/native/bloodcell', ['locate', '--json', file], { encoding: 'utf8' }).trim());

async function drop(page, file) {
  await page.evaluate(({ name, b64, type }) => {
    const dt = new DataTransfer();
    dt.items.add(new File([Uint8Array.from(atob(b64), (c) => c.charCodeAt(0))], name, { type }));
    const target = document.getElementById('drop');
    target.dispatchEvent(new DragEvent('dragover', { dataTransfer: dt, bubbles: true, cancelable: true }));
    target.dispatchEvent(new DragEvent('drop', { dataTransfer: dt, bubbles: true, cancelable: true }));
  }, { name: file.split('/').pop(), b64: readFileSync(file).toString('base64'), type: file.endsWith('.png') ? 'image/png' : 'image/jpeg' });
}

const boxesShown = (page) => page.$$eval('#field:not([hidden]) .fbox', (bs) => bs.map((b) => ({ id: Number(b.dataset.id), box: b.dataset.box.split(',').map(Number), group: b.dataset.group })));
const shownField = (page, name) => page.waitForFunction((n) => document.getElementById('field-title')?.textContent === n && !document.getElementById('field').hidden
  && document.body.dataset.busy === '0', name, { timeout: 60000 });
const galleryCount = (page) => page.$$eval('#gallery li.cell', (l) => l.length);

test('a field photo: boxes as the CLI finds them, open, reassign, add by tap, delete, export and import, the switch (1280x800)', async () => {
  const { context, page, errors } = await openApp(browser, server.url, { viewport: { width: 1280, height: 800 } });
  page.on('dialog', (d) => d.accept());
  assert.equal(await page.isChecked('#mode-auto'), true, 'automatic is the default');
  await setThreshold(page, 0);

  // 1. Drop the phone photo (416x416: a field by the automatic rule): its boxes are the CLI's.
  await drop(page, PIG);
  await shownField(page, 'field-pig-473.jpg');
  const pigNative = native(PIG);
  let pig = await boxesShown(page);
  assert.ok(pigNative.cells.length >= 2, 'the photo has several cells');
  assert.deepEqual(pig.map((b) => b.box), pigNative.cells.map((c) => c.box));
  assert.equal(await galleryCount(page), pigNative.cells.length);
  assert.match(await page.textContent('#status'), new RegExp(`field-pig-473.jpg: ${pigNative.cells.length} cells found`));

  // 2. The BCDD field (256x256) too, by the file picker: the second field.
  await page.setInputFiles('#files', BCDD);
  await shownField(page, 'field-bcdd-image-1.png');
  const bcddNative = native(BCDD);
  const bcdd = await boxesShown(page);
  assert.deepEqual(bcdd.map((b) => b.box), bcddNative.cells.map((c) => c.box));
  assert.equal(await page.textContent('#field-pos'), 'Field 2 of 2');
  const n0 = await galleryCount(page);
  assert.equal(n0, pigNative.cells.length + bcddNative.cells.length);

  // 3. Open the BCDD cell from its box; its label is the CLI's; reassign it.
  await page.click(`.fbox[data-id="${bcdd[0].id}"]`);
  await page.waitForSelector('#cell:not([hidden]) #cell-field');
  await page.waitForFunction(() => !document.querySelector('.cam-wait'));   // its heatmap, from the field
  assert.equal(await page.getAttribute('#cell-field', 'data-box'), bcddNative.cells[0].box.join(','));
  assert.equal(await page.getAttribute('#cell', 'data-label'), bcddNative.cells[0].label);
  const classes = await page.$$eval('#cell-confirm option', (os) => os.map((o) => o.value));
  const d0 = await differential(page);
  const to = bcddNative.cells[0].label === 'lymphocyte' ? 'monocyte' : 'lymphocyte';
  const toIndex = String(['basophil', 'eosinophil', 'erythroblast', 'ig', 'lymphocyte', 'monocyte', 'neutrophil', 'platelet'].indexOf(to));
  assert.ok(classes.includes(toIndex));
  await page.selectOption('#cell-confirm', toIndex);
  await page.waitForSelector(`#gallery section[data-group="${to}"] li.cell[data-id="${bcdd[0].id}"]`, { state: 'attached' });
  const d1 = await differential(page);
  assert.equal(d1.perClass[to], d0.perClass[to] + 1);
  const wbc1 = Number(await page.getAttribute('#diff', 'data-wbc'));
  // Back in the field: the box says the new class and the count against the target follows.
  await page.click('#cell-show-field');
  await page.waitForSelector(`#field:not([hidden]) .fbox[data-id="${bcdd[0].id}"][data-group="${to}"]`);
  assert.equal(await page.getAttribute('#field-summary', 'data-counted'), String(wbc1));
  assert.equal(await page.getAttribute('#field-summary', 'data-target'), '100');
  assert.match(await page.textContent('#field-summary'), new RegExp(`WBC counted: ${wbc1} / 100`));

  // 4. The exports name the source image and the box, and the reassignment.
  await page.click('#tab-review');
  let csv = parseCSV(await exportText(page, 'csv'));
  assert.equal(csv.length, n0);
  const row = csv.find((r) => r.file === 'field-bcdd-image-1.png#1');
  assert.equal(row.source_image, 'field-bcdd-image-1.png');
  assert.deepEqual([row.box_x0, row.box_y0, row.box_x1, row.box_y1].map(Number), bcddNative.cells[0].box);
  assert.equal(row.confirmed, to);
  assert.equal(row.reassigned, 'yes');
  for (const [i, c] of pigNative.cells.entries()) {
    const r = csv.find((x) => x.file === `field-pig-473.jpg#${i + 1}`);
    assert.deepEqual([r.box_x0, r.box_y0, r.box_x1, r.box_y1].map(Number), c.box);
    assert.equal(r.predicted, c.label, 'the page and the CLI agree on each located cell');
  }
  let json = JSON.parse(await exportText(page, 'json'));
  const jc = json.cells.find((c) => c.file === 'field-bcdd-image-1.png#1');
  assert.equal(jc.source_image, 'field-bcdd-image-1.png');
  assert.deepEqual(jc.box, bcddNative.cells[0].box);
  assert.equal(jc.user_choice, to);
  assert.equal(json.differential.wbc, wbc1);

  // 5. Add a missed cell by a tap on the pig photo: a box of 1.75 red-cell diameters centred on it.
  await page.click(`#gallery li.cell[data-file="field-bcdd-image-1.png#1"]`);
  await page.click('#open-selected');
  await page.click('#cell-show-field');
  await shownField(page, 'field-bcdd-image-1.png');
  await page.click('#field-prev');
  await shownField(page, 'field-pig-473.jpg');
  // (zoom with the wheel about the pointer, pan by a drag, back with Fit)
  const stage = await page.$('#field-stage');
  const sb = await stage.boundingBox();
  await page.mouse.move(sb.x + sb.width / 2, sb.y + sb.height / 2);
  await page.mouse.wheel(0, -400);
  await page.waitForFunction(() => Number(document.getElementById('field-stage').dataset.zoom) > 1.5);
  const t0 = await page.$eval('#field-layer', (l) => l.style.transform);
  await page.mouse.down();
  await page.mouse.move(sb.x + sb.width / 2 + 60, sb.y + sb.height / 2 + 40, { steps: 4 });
  await page.mouse.up();
  assert.notEqual(await page.$eval('#field-layer', (l) => l.style.transform), t0, 'a drag pans');
  assert.equal(await galleryCount(page), n0, 'a drag adds nothing');
  await page.click('#field-fit');
  await page.click('#field-add');
  assert.equal(await page.getAttribute('#field-add', 'aria-pressed'), 'true');
  const tap = { x: 0.5, y: 0.62 };      // the photo's middle, below the boxes' rows (no box there)
  const inBox = pig.some(({ box: [x0, y0, x1, y1] }) => tap.x * 416 >= x0 && tap.x * 416 < x1 && tap.y * 416 >= y0 && tap.y * 416 < y1);
  assert.equal(inBox, false);
  await page.mouse.click(sb.x + tap.x * sb.width, sb.y + tap.y * sb.height);
  await page.waitForFunction((n) => document.querySelectorAll('#field .fbox').length === n, pig.length + 1, { timeout: 30000 });
  const added = (await boxesShown(page)).find((b) => !pig.some((p) => p.id === b.id));
  const side = 1.75 * pigNative.scale.rbc_diameter_px;
  const [ax0, ay0, ax1, ay1] = added.box;
  assert.ok(Math.abs(ax1 - ax0 - side) <= 1 && Math.abs(ay1 - ay0 - side) <= 1, `box side ${ax1 - ax0} vs ${side}`);
  assert.ok(Math.abs((ax0 + ax1) / 2 - tap.x * 416) <= 2 && Math.abs((ay0 + ay1) / 2 - tap.y * 416) <= 2, `box ${added.box} centred on the tap`);
  assert.equal(await galleryCount(page), n0 + 1);
  assert.match(await page.textContent('#status'), /Added field-pig-473\.jpg#\d+/);

  // 6. Delete a detection from its cell view: gone from the field, the review and the export.
  await page.click('#field-add');     // (off again: a tap on a box opens it either way)
  await page.click(`.fbox[data-id="${pig[0].id}"]`);
  await page.waitForSelector('#cell:not([hidden]) #cell-delete');
  await page.click('#cell-delete');
  await page.waitForFunction((id) => !document.getElementById('field').hidden && !document.querySelector(`#field .fbox[data-id="${id}"]`), pig[0].id);
  assert.equal(await galleryCount(page), n0);
  await page.click('#tab-review');
  const d2 = await differential(page);
  assert.equal(d2.total, n0);
  csv = parseCSV(await exportText(page, 'csv'));
  assert.equal(csv.length, n0);
  assert.equal(csv.find((r) => r.file === 'field-pig-473.jpg#1'), undefined);
  json = JSON.parse(await exportText(page, 'json'));
  const csvText = await exportText(page, 'csv');

  // 7. The review import reads the source image and box back (JSON and CSV).
  const dir = root + 'build/tmp/fields-import/';
  mkdirSync(dir, { recursive: true });
  writeFileSync(dir + 'fields.json', JSON.stringify(json));
  writeFileSync(dir + 'fields.csv', csvText);
  for (const f of ['fields.json', 'fields.csv']) {
    await page.click('#tab-review');
    await page.setInputFiles('#import-file', dir + f);
    await page.waitForFunction(() => document.body.dataset.import === 'done');
    await page.evaluate(() => { delete document.body.dataset.import; });
    await page.waitForFunction((n) => document.querySelectorAll('#gallery li.cell').length === n, n0);
    const back = JSON.parse(await exportText(page, 'json'));
    assert.deepEqual(back.cells.map((c) => [c.file, c.source_image, c.box, c.confirmed]), json.cells.map((c) => [c.file, c.source_image, c.box, c.confirmed]), f);
    await page.dblclick('#gallery li.cell[data-file="field-bcdd-image-1.png#1"]');
    await page.waitForSelector('#cell-field');
    assert.equal(await page.getAttribute('#cell-field', 'data-box'), bcddNative.cells[0].box.join(','));
  }

  // 8. The switch: "Single cells" takes a field photo as one cell (no box); "Whole fields" locates
  // cells in a single-cell crop; automatic keeps a 360x363 crop one cell.
  const before = await galleryCount(page);
  await page.check('#mode-cells');
  await page.setInputFiles('#files', BCDD);
  await page.waitForFunction((n) => document.querySelectorAll('#gallery li.cell').length === n + 1 && document.body.dataset.busy === '0', before);
  assert.equal(await page.isHidden('#field'), true);
  assert.equal(await page.$('#cell-field'), null, 'one cell, no box');
  await page.check('#mode-fields');
  const crop = fixtureImages[0];
  await page.setInputFiles('#files', crop);
  await shownField(page, crop.split('/').pop());
  assert.deepEqual((await boxesShown(page)).map((b) => b.box), native(crop).cells.map((c) => c.box));
  await page.check('#mode-auto');
  const n8 = await galleryCount(page);
  await page.setInputFiles('#files', fixtureImages[1]);
  await page.waitForFunction((n) => document.querySelectorAll('#gallery li.cell').length === n + 1 && document.body.dataset.busy === '0', n8);
  await page.waitForSelector('#cell:not([hidden])[data-label]');
  assert.equal(await page.$('#cell-field'), null);
  // The choice is kept.
  await page.check('#mode-fields');
  await page.reload();
  await page.waitForSelector('body[data-ready="1"][data-restored="1"]');
  assert.equal(await page.isChecked('#mode-fields'), true);
  assert.deepEqual(errors, []);
  await context.close();
});

test('a field example on a 390x844 phone: boxes, zoom, tap a box, no horizontal scroll', async () => {
  const { context, page, errors } = await openApp(browser, server.url, { viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true, deviceScaleFactor: 1 });
  await page.waitForSelector('#examples button[data-kind="field"]');
  await page.tap('#examples button[data-file="field-pig-473.jpg"]');
  await shownField(page, 'field-pig-473.jpg');
  const boxes = await boxesShown(page);
  assert.deepEqual(boxes.map((b) => b.box), native(PIG).cells.map((c) => c.box));
  const sw = await page.evaluate(() => [document.documentElement.scrollWidth, document.documentElement.clientWidth]);
  assert.ok(sw[0] <= sw[1], `no horizontal scroll: ${sw}`);
  const stage = await (await page.$('#field-stage')).boundingBox();
  assert.ok(stage.width <= 390 && stage.width > 300, `the photo fits the phone: ${stage.width}`);
  await page.tap('#field-zoom-in');
  await page.tap('#field-zoom-in');
  assert.ok(Number(await page.getAttribute('#field-stage', 'data-zoom')) > 2);
  const sw2 = await page.evaluate(() => [document.documentElement.scrollWidth, document.documentElement.clientWidth]);
  assert.ok(sw2[0] <= sw2[1], `zoomed, still no horizontal scroll: ${sw2}`);
  await page.tap('#field-fit');
  assert.equal(await page.getAttribute('#field-stage', 'data-zoom'), '1.000');
  await page.tap(`.fbox[data-id="${boxes[boxes.length - 1].id}"]`);
  await page.waitForSelector('#cell:not([hidden]) #cell-field');
  const sw3 = await page.evaluate(() => [document.documentElement.scrollWidth, document.documentElement.clientWidth]);
  assert.ok(sw3[0] <= sw3[1], `cell view: ${sw3}`);
  assert.deepEqual(errors, []);
  await context.close();
});
