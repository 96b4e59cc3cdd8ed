// Samples and sign-off: samples keep their own cells, reassignments and settings across a reload;
// the single review of the version before samples migrates into a first sample without loss;
// "Mark reviewed" is refused while cells are unidentified and any later change of a cell takes the
// mark away; a hostile sample ID is text in the page and made safe in file names; a sample's JSON
// export imports back into a sample of its own, never merged into another.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync, mkdirSync } from 'node:fs';
import { root, startServer, launchBrowser, openApp, waitReady, makeBatch, fixtureImages, setThreshold, differential, exportText, savedCount, waitSaved } from './helpers.mjs';

let server, browser;
before(async () => { server = await startServer(); browser = await launchBrowser(); });
after(async () => { await browser?.close(); server?.close(); });

const cellsOf = (page) => page.$$eval('#gallery li.cell', (lis) => lis.map((li) => ({ id: li.dataset.id, file: li.dataset.file, group: li.dataset.group })).sort((a, b) => a.id - b.id));
// The model's classes in index order (the reassign keys 1-8 and the stored confirmed index follow it).
const modelClasses = (page) => page.evaluate(async () => (await import('./state.js')).state.info.classes);
const openedCount = (page) => page.evaluate(() => Number(document.body.dataset.sampleOpened || 0));
const currentId = (page) => page.$eval('#sample-select', (s) => s.selectedOptions[0]?.textContent.replace(/ ✓$/, ''));
const sampleIds = (page) => page.$$eval('#sample-select option', (o) => o.map((x) => x.textContent.replace(/ ✓$/, '')));

// Waits until a sample other than the one counted in `before` is open and the bar shows it.
async function waitOpened(page, before, id) {
  await page.waitForFunction(([b, want]) => Number(document.body.dataset.sampleOpened || 0) > b
    && document.getElementById('sample-select').selectedOptions[0]?.textContent.replace(/ ✓$/, '') === want, [before, id]);
}

async function fillDetails(page, { id, date, reviewer }) {
  await page.fill('#sd-id', id);
  if (date !== undefined) await page.fill('#sd-date', date);
  if (reviewer !== undefined) await page.fill('#sd-reviewer', reviewer);
  await page.click('#sd-save');
}

async function newSample(page, fields) {
  const b = await openedCount(page);
  await page.click('#sample-new');
  await page.waitForSelector('#sample-dialog[open]');
  await fillDetails(page, fields);
  await waitOpened(page, b, fields.id);
  await page.waitForFunction(() => document.querySelectorAll('#gallery li.cell').length === 0);
}

async function switchTo(page, id, n) {
  const b = await openedCount(page);
  const value = await page.$eval('#sample-select', (s, want) => [...s.options].find((o) => o.textContent.replace(/ ✓$/, '') === want).value, id);
  await page.selectOption('#sample-select', value);
  await waitOpened(page, b, id);
  await page.waitForFunction((k) => document.querySelectorAll('#gallery li.cell').length === k, n);
}

async function addImages(page, files, total) {
  await page.setInputFiles('#files', files);
  await page.waitForFunction((k) => document.body.dataset.busy === '0' && document.querySelectorAll('#gallery li.cell').length === k, total);
}

async function moveTo(page, id, choice) {
  await page.click('#tab-review');
  await page.click(`#gallery li.cell[data-id="${id}"]`);
  await page.selectOption('#reassign', choice);
}

// Every cell of the gallery shows its image (from IndexedDB after a reload).
async function thumbsShown(page) {
  await page.click('#tab-review');
  await page.evaluate(() => document.getElementById('gallery').scrollIntoView());
  await page.waitForFunction(() => {
    const imgs = [...document.querySelectorAll('#gallery li.cell img')];
    return imgs.length > 0 && imgs.every((i) => i.src && i.complete && i.naturalWidth > 0);
  });
}

// Waits for IndexedDB to have everything written, then reloads.
async function reload(page) {
  await waitSaved(page, (await savedCount(page)) - 1);
  await page.evaluate(() => new Promise((r) => setTimeout(r, 400)));
  await page.reload();
  await waitReady(page);
}

test('two samples keep their own cells, reassignments and settings across a reload; delete says what is lost', async () => {
  const { context, page, errors } = await openApp(browser, server.url);
  const defaultThreshold = await page.inputValue('#threshold');
  assert.equal(await currentId(page), 'Sample 1', 'a first sample exists on a new device');
  assert.equal(await page.textContent('#sample-status'), 'Not reviewed');

  // Sample A: renamed, 4 images at threshold 0, one of them moved to Unidentified.
  await page.click('#sample-edit');
  await fillDetails(page, { id: 'A-2024-001', date: '2024-03-05', reviewer: 'MR' });
  await page.waitForFunction(() => document.getElementById('sample-select').selectedOptions[0]?.textContent === 'A-2024-001');
  assert.match(await page.textContent('#sample-date'), /Mar 5, 2024/);
  assert.equal(await page.inputValue('#sample-reviewer'), 'MR');
  await setThreshold(page, 0);
  const filesA = makeBatch(4, 'samples-a');
  await addImages(page, filesA, 4);
  const a = await cellsOf(page);
  await moveTo(page, a[1].id, 'u');
  await page.waitForSelector(`#gallery section[data-group="unidentified"] li.cell[data-id="${a[1].id}"]`);
  const dA = await differential(page);

  // Sample B: new (the dialog refuses an empty ID and a taken one), 3 other images, threshold 0.9, one
  // reassigned to a class.
  await page.click('#sample-new');
  await page.fill('#sd-id', '  ');
  await page.click('#sd-save');
  assert.match(await page.textContent('#sd-error'), /Type the sample ID/);
  await page.fill('#sd-id', 'A-2024-001');
  await page.click('#sd-save');
  await page.waitForFunction(() => /already exists/.test(document.getElementById('sd-error').textContent));
  await page.click('#sd-cancel');
  await newSample(page, { id: 'B-2024-002', reviewer: 'JD' });
  assert.equal((await differential(page)).total, 0, 'a new sample starts empty');
  assert.equal(await page.inputValue('#threshold'), defaultThreshold, 'a new sample has the default threshold');
  await setThreshold(page, 0.9);
  await addImages(page, fixtureImages.slice(0, 3), 3);
  const b = await cellsOf(page);
  const classes = await modelClasses(page);
  const bTarget = classes.find((k) => k !== b[0].group);
  await moveTo(page, b[0].id, String(classes.indexOf(bTarget)));
  await page.waitForSelector(`#gallery section[data-group="${bTarget}"] li.cell[data-id="${b[0].id}"]`);
  const dB = await differential(page);
  const bCells = await cellsOf(page);

  // Switching shows each one's own cells, reassignments and threshold.
  await switchTo(page, 'A-2024-001', 4);
  assert.deepEqual((await cellsOf(page)).map((c) => c.file), a.map((c) => c.file));
  assert.deepEqual(await differential(page), dA);
  assert.equal(await page.inputValue('#threshold'), '0');
  assert.equal(await page.inputValue('#sample-reviewer'), 'MR');
  await switchTo(page, 'B-2024-002', 3);
  assert.deepEqual(await cellsOf(page), bCells);
  assert.deepEqual(await differential(page), dB);
  assert.equal(await page.inputValue('#threshold'), '0.9');

  // A reload reopens the sample open last (A), with its images; B is still B.
  await switchTo(page, 'A-2024-001', 4);
  await reload(page);
  await page.waitForFunction(() => document.querySelectorAll('#gallery li.cell').length === 4);
  assert.equal(await currentId(page), 'A-2024-001');
  assert.deepEqual(await sampleIds(page), ['A-2024-001', 'B-2024-002']);
  assert.deepEqual(await differential(page), dA);
  assert.equal(await page.inputValue('#threshold'), '0');
  await page.click('#tab-review');
  await page.waitForSelector(`#gallery section[data-group="unidentified"] li.cell[data-id="${a[1].id}"]`);
  await thumbsShown(page);
  await switchTo(page, 'B-2024-002', 3);
  assert.deepEqual(await cellsOf(page), bCells);
  assert.deepEqual(await differential(page), dB);
  assert.equal(await page.inputValue('#threshold'), '0.9');
  assert.equal(await page.textContent('#status'), 'Sample B-2024-002 is open: 3 cells.', 'the status line is about the sample now open, not the one restored');
  await thumbsShown(page);

  // Delete B: the confirmation names the sample and what is lost; cancelling keeps it.
  let asked = null;
  page.once('dialog', (d) => { asked = d.message(); d.dismiss(); });
  await page.click('#sample-delete');
  assert.match(asked, /^Delete sample B-2024-002 from this device\? Its 3 cells, their images, every reassignment and its review mark will be lost\./);
  assert.deepEqual(await sampleIds(page), ['A-2024-001', 'B-2024-002']);
  const before = await openedCount(page);
  page.once('dialog', (d) => d.accept());
  await page.click('#sample-delete');
  await waitOpened(page, before, 'A-2024-001');
  assert.match(await page.textContent('#sample-note'), /Sample B-2024-002 was deleted/);
  assert.equal(await page.textContent('#status'), 'Sample A-2024-001 is open: 4 cells.');
  assert.deepEqual(await sampleIds(page), ['A-2024-001']);
  await reload(page);
  assert.deepEqual(await sampleIds(page), ['A-2024-001']);
  assert.deepEqual(await differential(page), dA);
  // B's cells and images are gone from IndexedDB, A's are all there.
  const left = await page.evaluate(() => new Promise((res) => {
    const r = indexedDB.open('bloodcell');
    r.onsuccess = () => {
      const tx = r.result.transaction(['cells', 'blobs'], 'readonly');
      const out = {};
      tx.objectStore('cells').getAll().onsuccess = (e) => { out.cells = e.target.result.map((c) => c.name); };
      tx.objectStore('blobs').getAllKeys().onsuccess = (e) => { out.blobs = e.target.result.length; };
      tx.oncomplete = () => { r.result.close(); res(out); };
    };
  }));
  assert.deepEqual(left.cells.sort(), a.map((c) => c.file).sort());
  assert.equal(left.blobs, 4);
  assert.deepEqual(errors, []);
  await context.close();
});

test('the single review of the old layout migrates into a first sample without loss', async () => {
  // Real cells, as the app made them: classified in another context, then written in the old layout.
  const files = makeBatch(6, 'migrate');
  const made = await openApp(browser, server.url);
  await setThreshold(made.page, 0.8);
  await addImages(made.page, files, 6);
  const { cells, defaultThreshold } = await made.page.evaluate(async () => {
    const { state } = await import('./state.js');
    return { cells: [...state.cells.values()].map(({ sample, ...c }) => c), defaultThreshold: state.defaultThreshold };
  });
  await made.context.close();
  cells[0].confirmed = -1;                // unidentified by the user
  cells[2].confirmed = 3;                 // a class
  cells[4].confirmed = (cells[4].index + 1) % 8;
  const images = Object.fromEntries(files.map((f) => [f.split('/').pop(), readFileSync(f).toString('base64')]));

  const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  const page = await context.newPage();
  const errors = [];
  page.on('pageerror', (e) => errors.push(e.message));
  // A page of the app's origin that is not the app: the old layout is written before the app boots.
  await page.goto(server.url + 'manifest.webmanifest');
  await page.evaluate(({ cells, images, defaultThreshold }) => new Promise((resolve, reject) => {
    const r = indexedDB.open('bloodcell', 1);
    r.onupgradeneeded = () => {
      const db = r.result;
      db.createObjectStore('cells', { keyPath: 'id' });
      db.createObjectStore('blobs');
      db.createObjectStore('meta');
    };
    r.onsuccess = () => {
      const db = r.result;
      const tx = db.transaction(['cells', 'blobs', 'meta'], 'readwrite');
      for (const c of cells) {
        tx.objectStore('cells').put(c);
        const bytes = Uint8Array.from(atob(images[c.name]), (ch) => ch.charCodeAt(0));
        tx.objectStore('blobs').put(new Blob([bytes], { type: 'image/jpeg' }), c.id);
      }
      tx.objectStore('meta').put({ value: 0.8, default: defaultThreshold }, 'threshold');
      tx.oncomplete = () => { db.close(); resolve(); };
      tx.onerror = () => reject(tx.error);
    };
    r.onerror = () => reject(r.error);
  }), { cells, images, defaultThreshold });

  await page.goto(server.url);
  await waitReady(page);
  await page.waitForFunction(() => document.querySelectorAll('#gallery li.cell').length === 6);
  assert.deepEqual(await sampleIds(page), ['Sample 1']);
  assert.match(await page.textContent('#status'), /Restored the review in progress: 6 cells/);
  assert.equal(await page.inputValue('#threshold'), '0.8', 'the old threshold');
  // Every cell and every reassignment, as the app holds them.
  const now = await page.evaluate(async () => {
    const { state } = await import('./state.js');
    return [...state.cells.values()].map(({ sample, ...c }) => c);
  });
  assert.deepEqual(now, cells);
  const shown = await cellsOf(page);
  const classes = await modelClasses(page);
  assert.equal(shown.find((c) => c.file === cells[0].name).group, 'unidentified');
  assert.equal(shown.find((c) => c.file === cells[2].name).group, classes[3]);
  assert.equal(shown.find((c) => c.file === cells[4].name).group, classes[cells[4].confirmed]);
  // The images too.
  await page.click('#tab-review');
  await thumbsShown(page);
  // And the stored layout is the new one: every cell in the sample, the old threshold key gone.
  const db = await page.evaluate(() => new Promise((res) => {
    const r = indexedDB.open('bloodcell');
    r.onsuccess = () => {
      const tx = r.result.transaction(['cells', 'samples', 'meta'], 'readonly');
      const out = { version: r.result.version };
      tx.objectStore('cells').getAll().onsuccess = (e) => { out.samplesOfCells = [...new Set(e.target.result.map((c) => c.sample))]; };
      tx.objectStore('samples').getAll().onsuccess = (e) => { out.samples = e.target.result.map((s) => ({ key: s.key, id: s.id, threshold: s.threshold })); };
      tx.objectStore('meta').get('threshold').onsuccess = (e) => { out.oldThreshold = e.target.result ?? null; };
      tx.oncomplete = () => { r.result.close(); res(out); };
    };
  }));
  assert.equal(db.version, 2);
  assert.equal(db.samples.length, 1);
  assert.deepEqual(db.samplesOfCells, [db.samples[0].key]);
  assert.deepEqual(db.samples[0].threshold, { value: 0.8, default: defaultThreshold });
  assert.equal(db.oldThreshold, null);
  // A reload does not migrate again.
  await reload(page);
  assert.deepEqual(await sampleIds(page), ['Sample 1']);
  assert.equal((await differential(page)).total, 6);
  assert.deepEqual(errors, []);
  await context.close();
});

test('sign-off: refused while cells are unidentified (with the number), then signed; later changes take the mark away', async () => {
  const { context, page, errors } = await openApp(browser, server.url, { locale: 'en-GB' });
  await setThreshold(page, 0.999);
  await addImages(page, fixtureImages.slice(0, 6), 6);
  const d0 = await differential(page);
  assert.ok(d0.unidentified >= 2, `${d0.unidentified} unidentified at 0.999`);

  // Refused, with the number, and no initials are asked for.
  await page.click('#sample-signoff');
  assert.equal(await page.textContent('#sample-note'), `Not marked reviewed: ${d0.unidentified} cells are still unidentified. Give each of them a class first (Review view).`);
  assert.equal(await page.isVisible('#signoff-dialog'), false);
  assert.equal(await page.getAttribute('#sample-status', 'data-reviewed'), '0');
  // The note offers the way to them: the Review view, the first unidentified cell selected and focused.
  await page.click('#tab-cell');
  await page.click('#sample-show');
  await page.waitForSelector('#view-review:not([hidden])');
  const shown = await page.evaluate(() => ({ group: document.activeElement.closest('section.group')?.dataset.group, selected: document.activeElement.getAttribute('aria-selected'),
    inView: document.activeElement.getBoundingClientRect().bottom <= innerHeight && document.activeElement.getBoundingClientRect().top >= 0 }));
  assert.deepEqual(shown, { group: 'unidentified', selected: 'true', inView: true });

  // One left: the message says so.
  const unid = (await cellsOf(page)).filter((c) => c.group === 'unidentified');
  await page.click('#tab-review');
  for (const c of unid.slice(1)) {
    await page.focus(`#gallery li.cell[data-id="${c.id}"]`);
    await page.keyboard.press('2');
    await page.waitForSelector(`#gallery li.cell[data-id="${c.id}"]:not([data-group="unidentified"])`);
  }
  await page.click('#sample-signoff');
  assert.equal(await page.textContent('#sample-note'), 'Not marked reviewed: 1 cell is still unidentified. Give it a class first (Review view).');
  await page.focus(`#gallery li.cell[data-id="${unid[0].id}"]`);
  await page.keyboard.press('3');
  await page.waitForSelector(`#gallery li.cell[data-id="${unid[0].id}"]:not([data-group="unidentified"])`);
  assert.equal((await differential(page)).unidentified, 0);

  // No reviewer initials on the sample: they are asked for, and required.
  await page.click('#sample-signoff');
  await page.waitForSelector('#signoff-dialog[open]');
  await page.click('#so-sign');
  assert.match(await page.textContent('#so-error'), /Type your initials/);
  await page.fill('#so-initials', 'JD');
  await page.keyboard.press('Enter');
  await page.waitForSelector('#sample-status[data-reviewed="1"]');
  const signed = await page.textContent('#sample-status');
  const year = String(new Date().getFullYear());
  assert.match(signed, new RegExp(`^Reviewed by JD, \\d{1,2} \\w{3,4} ${year}, \\d{2}:\\d{2}$`), signed);
  assert.equal(await page.inputValue('#sample-reviewer'), 'JD', 'the initials are kept as the reviewer');
  assert.equal(await page.textContent('#sample-signoff'), 'Reopen review');
  const json = JSON.parse(await exportText(page, 'json'));
  assert.equal(json.sample.reviewed.by, 'JD');
  assert.ok(Math.abs(Date.parse(json.sample.reviewed.at) - Date.now()) < 60000);

  // A threshold change that moves no cell keeps the mark (every cell below 0.999 was reassigned).
  await setThreshold(page, 0.995);
  assert.equal(await page.getAttribute('#sample-status', 'data-reviewed'), '1');
  // The mark survives a reload.
  await reload(page);
  assert.equal(await page.textContent('#sample-status'), signed);

  // A reassignment takes it away, and the user is told.
  await moveTo(page, unid[0].id, 'auto');
  await page.waitForSelector('#sample-status[data-reviewed="0"]');
  assert.equal(await page.textContent('#sample-status'), 'Not reviewed');
  assert.match(await page.textContent('#sample-note'), /^The review mark was removed: a cell was reassigned after the sign-off/);
  await reload(page);
  assert.equal(await page.getAttribute('#sample-status', 'data-reviewed'), '0', 'cleared in IndexedDB too');

  // Signed again (the sample has initials now: no question); a new cell takes the mark away.
  await setThreshold(page, 0);
  await page.click('#sample-signoff');
  await page.waitForSelector('#sample-status[data-reviewed="1"]');
  assert.equal(await page.isVisible('#signoff-dialog'), false);
  await addImages(page, fixtureImages.slice(6, 7), 7);
  await page.waitForSelector('#sample-status[data-reviewed="0"]');
  assert.match(await page.textContent('#sample-note'), /cells were added after the sign-off/);

  // Signed again; a threshold that moves a cell to Unidentified takes it away.
  await page.click('#sample-signoff');
  await page.waitForSelector('#sample-status[data-reviewed="1"]');
  await setThreshold(page, 1);
  await page.waitForSelector('#sample-status[data-reviewed="0"]');
  assert.match(await page.textContent('#sample-note'), /the new confidence threshold moved cells to another group/);
  assert.deepEqual(errors, []);
  await context.close();
});

test('a hostile sample ID is text in the page and made safe in file names', async () => {
  const evil = '<img src=x onerror=alert(1)>';
  const { context, page, errors } = await openApp(browser, server.url);
  const dialogs = [];
  page.on('dialog', (d) => { dialogs.push(d.message()); d.dismiss(); });
  const injected = () => page.evaluate(() => ({
    img: document.querySelectorAll('img[src="x"], img[src$="/x"]').length,
    handlers: [...document.querySelectorAll('*')].filter((e) => [...e.attributes].some((a) => /^on/i.test(a.name))).length,
  }));
  await newSample(page, { id: evil });
  assert.equal(await currentId(page), evil);
  assert.equal(await page.textContent('#sample-note'), `Sample ${evil} created. Images added now go into it.`);
  await addImages(page, fixtureImages.slice(0, 2), 2);
  await page.click('#sample-signoff');   // refused or asks for initials: either way the ID is text
  await page.keyboard.press('Escape');
  assert.deepEqual(await injected(), { img: 0, handlers: 0 });
  // Exports: the file names carry a safe form of the ID, the JSON the ID itself.
  for (const [button, ext] of [['#export-csv', 'csv'], ['#export-json', 'json']]) {
    await page.click('#tab-review');
    const [dl] = await Promise.all([page.waitForEvent('download'), page.click(button)]);
    assert.match(dl.suggestedFilename(), new RegExp(`^bloodcell-img_src_x_onerror_alert_1-\\d{8}-\\d{4}\\.${ext}$`), dl.suggestedFilename());
  }
  assert.equal(JSON.parse(await exportText(page, 'json')).sample.id, evil);
  // The rename dialog shows it as the field's value; after a reload it is still text.
  await page.click('#sample-edit');
  assert.equal(await page.inputValue('#sd-id'), evil);
  await page.click('#sd-cancel');
  await reload(page);
  assert.equal(await currentId(page), evil);
  assert.deepEqual(await injected(), { img: 0, handlers: 0 });
  assert.deepEqual(dialogs, []);
  assert.deepEqual(errors, []);
  await context.close();
});

test('per sample export and import: a JSON export comes back as its own sample, never merged into another', async () => {
  const dir = root + 'build/tmp/samples-import/';
  mkdirSync(dir, { recursive: true });
  const { context, page, errors } = await openApp(browser, server.url);
  await page.click('#sample-edit');
  await fillDetails(page, { id: 'RT-77', date: '2024-11-30', reviewer: 'AB' });
  await setThreshold(page, 0);
  await addImages(page, fixtureImages.slice(0, 5), 5);
  const one = (await cellsOf(page))[2];
  await moveTo(page, one.id, 'u');
  await page.waitForSelector(`#gallery section[data-group="unidentified"] li.cell[data-id="${one.id}"]`);
  await moveTo(page, one.id, '0');
  await page.click('#sample-signoff');
  await page.waitForSelector('#sample-status[data-reviewed="1"]');
  const signed = await page.textContent('#sample-status');
  const json = JSON.parse(await exportText(page, 'json'));
  const csv = await exportText(page, 'csv');
  assert.deepEqual({ ...json.sample, reviewed: { by: json.sample.reviewed.by } },
    { id: 'RT-77', date: '2024-11-30', reviewer: 'AB', reviewed: { by: 'AB' }, count_target: 100, wbc_total: null });
  const d0 = await differential(page);
  writeFileSync(dir + 'rt-77.json', JSON.stringify(json));
  writeFileSync(dir + 'other.csv', csv);

  async function importFile(path, answer) {
    await page.evaluate(() => document.body.removeAttribute('data-import'));
    const asked = [];
    const onDialog = (d) => { asked.push(d.message()); answer ? d.accept() : d.dismiss(); };
    page.on('dialog', onDialog);
    await page.setInputFiles('#import-file', path);
    await page.waitForSelector('body[data-import]', { state: 'attached' });
    page.off('dialog', onDialog);
    return { status: await page.textContent('#status'), asked };
  }

  // Into the sample of the same ID: only after the user agrees to replace its cells.
  let r = await importFile(dir + 'rt-77.json', false);
  assert.deepEqual(r.asked, ['Replace the 5 cells of sample RT-77 with the review in rt-77.json? Their images and reassignments will be lost.']);
  assert.equal(r.status, 'Nothing was imported: sample RT-77 was left as it was.');
  assert.equal(await page.textContent('#sample-status'), signed);

  // The CSV has no sample: the open sample has cells, so a new sample takes them.
  const before = await openedCount(page);
  r = await importFile(dir + 'other.csv', true);
  assert.deepEqual(r.asked, []);
  assert.equal(r.status, 'Imported the review in other.csv into sample other: 5 cells.');
  await waitOpened(page, before, 'other');
  assert.deepEqual(await sampleIds(page), ['RT-77', 'other']);
  assert.equal(await page.getAttribute('#sample-status', 'data-reviewed'), '0');
  await switchTo(page, 'RT-77', 5);
  assert.deepEqual(await differential(page), d0, 'RT-77 unchanged');

  // Deleted, then imported back from its JSON: a sample of its own, with its ID, date, reviewer,
  // sign-off, threshold and every cell.
  page.once('dialog', (d) => d.accept());
  let b = await openedCount(page);
  await page.click('#sample-delete');
  await waitOpened(page, b, 'other');
  b = await openedCount(page);
  r = await importFile(dir + 'rt-77.json', true);
  assert.deepEqual(r.asked, []);
  assert.equal(r.status, 'Imported the review in rt-77.json into sample RT-77: 5 cells, marked reviewed by AB as in the file.');
  await waitOpened(page, b, 'RT-77');
  assert.deepEqual(await sampleIds(page), ['other', 'RT-77']);
  assert.equal(await page.textContent('#sample-status'), signed);
  assert.equal(await page.inputValue('#sample-reviewer'), 'AB');
  assert.match(await page.textContent('#sample-date'), /Nov 30, 2024/);
  assert.deepEqual(await differential(page), d0);
  const again = JSON.parse(await exportText(page, 'json'));
  assert.deepEqual(again.sample, json.sample);
  assert.deepEqual(again.cells, json.cells);
  assert.deepEqual(again.settings, json.settings);
  assert.equal(await exportText(page, 'csv'), csv);
  // "other" still has its own 5 cells.
  await switchTo(page, 'other', 5);
  await reload(page);
  assert.equal(await currentId(page), 'other');
  assert.equal((await differential(page)).total, 5);
  assert.deepEqual(errors, []);
  await context.close();
});

// Elements (visible) that stick out past the right edge of a viewport `w` wide.
const pastEdge = (page, w) => page.evaluate((width) => [...document.querySelectorAll('#sample-bar *, #sample-dialog *')].filter((e) => {
  const r = e.getBoundingClientRect();
  return r.width > 0 && r.right > width + 1;
}).map((e) => `${e.tagName}#${e.id} right=${Math.round(e.getBoundingClientRect().right)}`), w);

for (const [name, opts] of [
  ['390x844 phone, Colombian Spanish', { viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true, locale: 'es-CO' }],
  ['1280x800, English', { viewport: { width: 1280, height: 800 }, locale: 'en-US' }],
]) {
  test(`the sample bar at ${name}: fits, works from the keyboard, labelled`, async () => {
    const { context, page, errors } = await openApp(browser, server.url, opts);
    const w = opts.viewport.width, es = opts.locale.startsWith('es');
    assert.equal(await page.textContent('label[for="sample-select"]'), es ? 'Muestra' : 'Sample');
    assert.equal(await page.textContent('#sample-status'), es ? 'Sin revisar' : 'Not reviewed');
    assert.equal(await page.getAttribute('#sample-delete', 'aria-label'), es ? 'Eliminar esta muestra' : 'Delete this sample');
    // one row on a desktop screen
    if (!es) assert.ok((await page.$eval('#sample-bar', (b) => b.getBoundingClientRect().height)) < 70);
    // Keyboard: the New button opens the dialog with the focus in the ID; Enter creates the sample.
    const longId = 'ACC-' + '7'.repeat(96);
    await page.focus('#sample-new');
    await page.keyboard.press('Enter');
    await page.waitForSelector('#sample-dialog[open]');
    assert.equal(await page.evaluate(() => document.activeElement.id), 'sd-id');
    assert.deepEqual(await pastEdge(page, w), [], 'the dialog fits');
    await page.keyboard.press('Escape');
    await page.waitForSelector('#sample-dialog:not([open])', { state: 'attached' });
    await page.keyboard.press('Enter');      // the focus is back on New
    await page.waitForSelector('#sample-dialog[open]');
    const b = await openedCount(page);
    await page.keyboard.type(longId);
    await page.keyboard.press('Enter');
    await waitOpened(page, b, longId);
    assert.deepEqual(await pastEdge(page, w), [], 'a 100-character ID does not widen the page');
    const [sw, cw] = await page.evaluate(() => [document.documentElement.scrollWidth, document.documentElement.clientWidth]);
    assert.ok(sw <= cw, `scrollWidth ${sw} > ${cw}`);
    // The switcher works from the keyboard too.
    const before = await openedCount(page);
    await page.focus('#sample-select');
    await page.keyboard.press('ArrowUp');
    await waitOpened(page, before, es ? 'Muestra 1' : 'Sample 1');
    // Initials typed in the bar are kept; an empty sample cannot be signed off.
    await page.fill('#sample-reviewer', 'lv');
    await page.keyboard.press('Tab');
    await page.waitForFunction(() => document.getElementById('sample-select').selectedOptions.length === 1);
    await page.focus('#sample-signoff');
    await page.keyboard.press('Enter');
    assert.equal(await page.textContent('#sample-note'), es ? 'No se marcó como revisada: esta muestra todavía no tiene células.' : 'Not marked reviewed: this sample has no cells yet.');
    assert.deepEqual(errors, []);
    await context.close();
  });
}
