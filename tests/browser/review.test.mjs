// Review: reassign cells by click-and-choose, by keyboard and by drag; the counts and the exports
// follow; a reload keeps the review in progress (cells, reassignments, threshold); Clear empties it.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, launchBrowser, openApp, waitReady, makeBatch, setThreshold, differential, exportText, parseCSV, savedCount, waitSaved } from './helpers.mjs';

let server, browser;
before(async () => { server = await startServer(); browser = await launchBrowser(); });
after(async () => { await browser?.close(); server?.close(); });

const cellsOf = (page) => page.$$eval('#gallery li.cell', (lis) => lis.map((li) => ({ id: li.dataset.id, file: li.dataset.file, group: li.dataset.group, label: li.dataset.label })));

test('reassign by click, keyboard and drag; counts and export follow; reload keeps the review; clear empties it', async () => {
  const { context, page, errors } = await openApp(browser, server.url);
  await setThreshold(page, 0);      // every cell in a class group (unless out of distribution)
  const files = makeBatch(24, 'review');
  await page.setInputFiles('#files', files);
  await page.waitForFunction(() => document.body.dataset.busy === '0' && document.querySelectorAll('#gallery li.cell').length === 24);
  // the model's classes in its order (keys 1-8), as the gallery's groups are
  const classes = (await page.$$eval('#gallery section.group', (ss) => ss.map((x) => x.dataset.group))).filter((g) => !['unidentified', 'excluded', 'error'].includes(g));
  const d0 = await differential(page);
  let cells = await cellsOf(page);

  // 1. Click a cell, choose "Unidentified" in the Move to list.
  const a = cells.find((c) => classes.includes(c.group));
  await page.click(`#gallery li.cell[data-id="${a.id}"]`);
  await page.waitForSelector('#selection[data-empty="0"]');
  await page.selectOption('#reassign', 'u');
  await page.waitForSelector(`#gallery section[data-group="unidentified"] li.cell[data-id="${a.id}"]`);
  let d = await differential(page);
  assert.equal(d.perClass[a.group], d0.perClass[a.group] - 1);
  assert.equal(d.unidentified, d0.unidentified + 1);
  assert.equal(d.groups.unidentified, d.unidentified);

  // 2. Keyboard: focus the next cell with the arrow key, press the digit of another class.
  cells = await cellsOf(page);
  const b = cells.find((c) => classes.includes(c.group) && c.id !== a.id);
  const target = classes.find((k) => k !== b.group);
  const digit = String(classes.indexOf(target) + 1);
  await page.focus(`#gallery li.cell[data-id="${b.id}"]`);
  await page.keyboard.press(digit);
  await page.waitForSelector(`#gallery section[data-group="${target}"] li.cell[data-id="${b.id}"]`);
  assert.equal(await page.evaluate(() => document.activeElement.dataset.id), b.id, 'focus stays on the moved cell');
  // Arrow keys move the focus, Enter opens the cell view.
  await page.keyboard.press('ArrowRight');
  const focused = await page.evaluate(() => document.activeElement.dataset.id);
  assert.notEqual(focused, b.id);
  await page.keyboard.press('ArrowLeft');
  assert.equal(await page.evaluate(() => document.activeElement.dataset.id), b.id);

  // 3. Drag a third cell to another class group.
  cells = await cellsOf(page);
  const c = cells.find((x) => classes.includes(x.group) && x.id !== a.id && x.id !== b.id);
  const dragTo = classes.find((k) => k !== c.group && k !== target);
  await page.dragAndDrop(`#gallery li.cell[data-id="${c.id}"]`, `#gallery section[data-group="${dragTo}"] h3`);
  await page.waitForSelector(`#gallery section[data-group="${dragTo}"] li.cell[data-id="${c.id}"]`);

  d = await differential(page);
  const expect = { ...d0.perClass };
  expect[a.group]--; expect[b.group]--; expect[target]++; expect[c.group]--; expect[dragTo]++;
  assert.deepEqual(d.perClass, expect);
  assert.equal(d.total, 24);

  // The export follows: confirmed classes and the reassigned flag.
  const csv = parseCSV(await exportText(page, 'csv'));
  const row = (id) => csv.find((r) => r.file === cells.find((x) => x.id === id).file);
  assert.equal(row(a.id).confirmed, 'unidentified');
  assert.equal(row(b.id).confirmed, target);
  assert.equal(row(c.id).confirmed, dragTo);
  for (const id of [a.id, b.id, c.id]) { assert.equal(row(id).reassigned, 'yes'); assert.match(row(id).flags, /reassigned/); }
  assert.equal(csv.filter((r) => r.reassigned === 'yes').length, 3);
  for (const k of classes) assert.equal(csv.filter((r) => r.confirmed === k).length, d.perClass[k]);
  const json = JSON.parse(await exportText(page, 'json'));
  assert.deepEqual(json.counts.per_class, d.perClass);
  assert.equal(json.cells.find((x) => x.file === row(b.id).file).user_choice, target);

  // Reassign in the single-cell view too (Enter opens it).
  await page.focus(`#gallery li.cell[data-id="${b.id}"]`);
  await page.keyboard.press('Enter');
  await page.waitForSelector('#view-cell:not([hidden]) #cell-confirm');
  await page.selectOption('#cell-confirm', 'auto');
  await page.click('#tab-review');
  await page.waitForSelector(`#gallery section[data-group="${b.group}"] li.cell[data-id="${b.id}"]`);
  const dBack = await differential(page);
  expect[target]--; expect[b.group]++;
  assert.deepEqual(dBack.perClass, expect);

  // Reload: the review, the reassignments and the threshold come back from IndexedDB.
  await waitSaved(page, await savedCount(page) - 1);
  await page.waitForTimeout(400);
  await page.reload();
  await waitReady(page);
  await page.waitForFunction(() => document.querySelectorAll('#gallery li.cell').length === 24);
  const dr = await differential(page);
  assert.deepEqual(dr.perClass, expect);
  assert.equal(dr.unidentified, dBack.unidentified);
  assert.equal(await page.inputValue('#threshold'), '0');
  assert.match(await page.textContent('#status'), /Restored the review in progress: 24 cells/);
  await page.waitForSelector(`#gallery section[data-group="unidentified"] li.cell[data-id="${a.id}"]`);
  // Thumbnails come back from IndexedDB too (those near the view: the gallery is scrolled to).
  await page.evaluate(() => document.getElementById('gallery').scrollIntoView());
  await page.waitForFunction(() => [...document.querySelectorAll('#gallery li.cell img')].slice(0, 4).every((i) => i.complete && i.naturalWidth > 0));
  // Opening a restored cell recomputes its heatmap from the stored image.
  await page.dblclick(`#gallery li.cell[data-id="${c.id}"]`);
  await page.waitForSelector('#cam-canvas');
  await page.waitForFunction(() => !document.querySelector('.cam-wait'));

  // Clear: one button (with a confirmation), and a reload stays empty.
  page.once('dialog', (dlg) => dlg.accept());
  await page.click('#tab-review');
  await page.click('#clear');
  await page.waitForFunction(() => document.querySelectorAll('#gallery li.cell').length === 0);
  assert.equal((await differential(page)).total, 0);
  await page.reload();
  await waitReady(page);
  assert.equal(await page.$$eval('#gallery li.cell', (l) => l.length), 0);
  assert.equal(await page.textContent('#review-count'), '0');
  assert.deepEqual(errors, []);
  await context.close();
});
