// The printed report: the "Report" button builds it and opens the print dialog; printed (page.pdf(),
// Chromium's own print-to-PDF, as "Save as PDF" does) it is one A4 or Letter page for a normal count
// and its text holds the sample, the counts, the software and thresholds, and the disclaimer; in
// Spanish too; a hostile sample ID or file name is text, never markup; a later change reprints.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { copyFileSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { root, startServer, launchBrowser, openApp, waitReady, makeBatch, fixtureImages, setThreshold } from './helpers.mjs';

let server, browser;
before(async () => { server = await startServer(); browser = await launchBrowser(); });
after(async () => { await browser?.close(); server?.close(); });

const HOSTILE = '<img src=x onerror=alert(1)>';
const LEUKOCYTES = ['neutrophil', 'lymphocyte', 'monocyte', 'eosinophil', 'basophil', 'ig'];

function hasPoppler() {
  try { execFileSync('pdftotext', ['-v'], { stdio: 'ignore' }); return true; } catch { return false; }
}

// The PDF's text (pdftotext, poppler-utils) with runs of white space as one space, and its page count.
function pdfText(buf, name) {
  const dir = root + 'build/tmp/report/';
  mkdirSync(dir, { recursive: true });
  writeFileSync(dir + name, buf);
  const text = execFileSync('pdftotext', ['-raw', '-enc', 'UTF-8', dir + name, '-'], { encoding: 'utf8' }).replace(/\s+/g, ' ');
  const pages = Number(/Pages:\s+(\d+)/.exec(execFileSync('pdfinfo', [dir + name], { encoding: 'utf8' }))[1]);
  return { text, pages };
}

// Headless Chromium keeps a page "being printed" after window.print() (there is no dialog to close),
// and then refuses page.pdf(); the button's call is recorded instead, and page.pdf() prints.
async function pressReport(page) {
  await page.evaluate(() => { window.__printCalls = 0; window.print = () => { window.__printCalls++; }; });
  await page.click('#report');
  await page.waitForFunction(() => window.__printCalls === 1);
  assert.equal(await page.evaluate(() => document.body.dataset.report), 'ready', 'the print dialog opens once the sheet and its thumbnails are ready');
  await page.emulateMedia({ media: 'print' });
}

async function editSample(page, { id, date, reviewer }) {
  await page.click('#sample-edit');
  await page.waitForSelector('#sample-dialog[open]');
  await page.fill('#sd-id', id);
  if (date) await page.fill('#sd-date', date);
  if (reviewer) await page.fill('#sd-reviewer', reviewer);
  await page.click('#sd-save');
  await page.waitForFunction((want) => document.getElementById('sample-select').selectedOptions[0]?.textContent.replace(/ ✓$/, '') === want, id);
}

test('the report prints on one page with the sample, counts, software and disclaimer; hostile names stay text', { skip: hasPoppler() ? false : 'pdftotext and pdfinfo (poppler-utils) are needed: bash scripts/install-deps.sh' }, async () => {
  const { context, page, errors } = await openApp(browser, server.url);
  const alerts = [];
  page.on('dialog', (d) => { alerts.push(d.message()); d.dismiss(); });
  await editSample(page, { id: HOSTILE, date: '2024-03-05', reviewer: 'MR' });
  await setThreshold(page, 0);
  // A normal count: 140 images (a little over 100 white cells), a real image and a text file under hostile names.
  const dir = root + 'build/tmp/report-hostile/';
  mkdirSync(dir, { recursive: true });
  // (with a few bytes after the image's end: the batch has the fixture itself, and the app counts one content once)
  writeFileSync(`${dir}${HOSTILE}.jpg`, Buffer.concat([readFileSync(fixtureImages[0]), Buffer.from('\nhostile copy\n')]));
  writeFileSync(`${dir}${HOSTILE}.png`, 'not an image');
  const files = [...makeBatch(140, 'report'), `${dir}${HOSTILE}.jpg`, `${dir}${HOSTILE}.png`];
  await page.setInputFiles('#files', files);
  await page.waitForFunction(() => document.body.dataset.busy === '0' && document.querySelectorAll('#gallery li.cell').length === 142, null, { timeout: 120000 });
  const groups = Object.fromEntries(await page.$$eval('#gallery section.group', (ss) => ss.map((s) => [s.dataset.group, s.querySelectorAll('li.cell').length])));
  const wbc = LEUKOCYTES.reduce((s, k) => s + groups[k], 0);
  assert.equal(groups.error, 1);
  assert.ok(wbc >= 100 && wbc < 140, `${wbc} white cells: the target of 100 is reached`);

  // Signed off (by the sample's reviewer): no cell is unidentified at threshold 0.
  assert.equal(groups.unidentified, 0);
  await page.click('#sample-signoff');
  await page.waitForSelector('#sample-status[data-reviewed="1"]');

  await pressReport(page);
  // In the page: the hostile strings are text nodes; no element came from them.
  const sheet = await page.evaluate((h) => {
    const s = document.getElementById('report-sheet');
    return { sample: s.querySelector('[data-field="sample"]').textContent, imgX: s.querySelectorAll('img[src="x"], img[onerror]').length,
      failed: s.querySelector('[data-list="failed"] li')?.textContent, thumbs: s.querySelectorAll('.r-strip canvas').length,
      loaded: [...s.querySelectorAll('.r-strip canvas')].every((c) => c.getContext('2d').getImageData(64, 64, 1, 1).data[3] === 255), hasText: s.textContent.includes(h) };
  }, HOSTILE);
  assert.equal(sheet.sample, HOSTILE);
  assert.equal(sheet.imgX, 0);
  assert.match(sheet.failed, /^<img src=x onerror=alert\(1\)>\.png — not an image/);
  assert.ok(sheet.thumbs >= 8 * 3 && sheet.loaded, `${sheet.thumbs} thumbnails, all drawn`);

  const pkg = JSON.parse(readFileSync(root + 'package.json', 'utf8'));
  const modelName = await page.evaluate(async () => (await import('./state.js')).state.info.modelName);
  for (const format of ['A4', 'Letter']) {
    const { text, pages } = pdfText(await page.pdf({ format }), `report-${format}.pdf`);
    assert.equal(pages, 1, `one ${format} page for a count of ${wbc} white cells`);
    assert.ok(text.includes(`Sample ID ${HOSTILE}`), 'the sample ID, as typed');
    assert.match(text, /Sample date March 5, 2024/);
    assert.match(text, /Reviewer MR/);
    assert.match(text, /Review status reviewed by MR, /);
    assert.ok(text.includes(`WBC counted: ${wbc} / 100`), text.slice(0, 400));
    assert.ok(!text.includes('Low count') && text.includes(`WBC counted: ${wbc} / 100 ✓ target reached`), 'the target is reached, and no low-count flag');
    for (const [k, name] of [['neutrophil', 'Neutrophil'], ['lymphocyte', 'Lymphocyte'], ['monocyte', 'Monocyte'], ['eosinophil', 'Eosinophil'], ['basophil', 'Basophil'], ['ig', 'Immature granulocyte']]) {
      const line = `${name} ${groups[k]} ${((100 * groups[k]) / wbc).toFixed(1)}%`;
      assert.ok(text.includes(line), `${line} in the report`);
    }
    assert.ok(text.includes(`White cells (WBC) ${wbc} 100%`));
    assert.ok(text.includes(`NRBC (erythroblasts) ${groups.erythroblast} NRBC per 100 WBC ${((100 * groups.erythroblast) / wbc).toFixed(1)}`));
    assert.ok(text.includes(`Platelets ${groups.platelet}`));
    assert.ok(text.includes(`Unidentified 0`) && text.includes(`Excluded (unlike the reference) ${groups.excluded}`) && text.includes('Failed 1') && text.includes('All cells 142'));
    assert.ok(text.includes(`${HOSTILE}.png — not an image`), 'the failed file, by name');
    assert.ok(text.includes(`bloodcell ${pkg.version} · model ${modelName} · confidence threshold 0.00 · out-of-distribution threshold 0.0991`), 'software, model and thresholds');
    assert.match(text, /Research and education tool: not a diagnostic device\./);
  }

  // A change after the report: printing again (the browser's own Print) shows the review as it is now.
  await page.emulateMedia({ media: 'screen' });
  await page.click('#tab-review');
  const id = await page.$eval('#gallery section[data-group="neutrophil"] li.cell', (li) => li.dataset.id);
  await page.focus(`#gallery li.cell[data-id="${id}"]`);
  await page.keyboard.press('u');
  await page.waitForSelector(`#gallery section[data-group="unidentified"] li.cell[data-id="${id}"]`);
  await page.emulateMedia({ media: 'print' });
  const again = pdfText(await page.pdf({ format: 'A4' }), 'report-again.pdf').text;
  assert.ok(again.includes(`WBC counted: ${wbc - 1} / 100`) && again.includes('Unidentified 1'), again.slice(0, 600));
  assert.match(again, /Review status not reviewed/, 'the change took the review mark away');
  assert.deepEqual(alerts, [], 'no script ran from a name');
  assert.deepEqual(errors, []);
  await context.close();
});

test('the Spanish report', { skip: hasPoppler() ? false : 'pdftotext and pdfinfo (poppler-utils) are needed: bash scripts/install-deps.sh' }, async () => {
  const { context, page, errors } = await openApp(browser, server.url, { locale: 'es-CO' });
  await editSample(page, { id: 'M-0042', date: '2024-11-30' });
  await setThreshold(page, 0);
  // Every class has a strip, and twelve files failed, some under long names: still one page.
  const dir = root + 'build/tmp/report-es-failed/';
  mkdirSync(dir, { recursive: true });
  const long = `${dir}escaneo-de-la-segunda-cámara-del-microscopio-2024-11-30-campo-0042-nombre-muy-largo.jpg`;
  const failed = [long, ...Array.from({ length: 11 }, (_, i) => `${dir}archivo-dañado-del-escáner-número-${i}.jpg`)];
  for (const f of failed) writeFileSync(f, 'no es una imagen');
  await page.setInputFiles('#files', [...makeBatch(30, 'report-es'), ...failed]);
  await page.waitForFunction(() => document.body.dataset.busy === '0' && document.querySelectorAll('#gallery li.cell').length === 42);
  await page.fill('#wbc-total', '7,5');
  const groups = Object.fromEntries(await page.$$eval('#gallery section.group', (ss) => ss.map((s) => [s.dataset.group, s.querySelectorAll('li.cell').length])));
  const wbc = LEUKOCYTES.reduce((s, k) => s + groups[k], 0);
  await pressReport(page);
  for (const format of ['A4', 'Letter']) assert.equal(pdfText(await page.pdf({ format }), `report-es-${format}.pdf`).pages, 1, `one ${format} page`);
  const { text, pages } = pdfText(await page.pdf({ format: 'A4' }), 'report-es.pdf');
  assert.equal(pages, 1);
  assert.match(text, /Archivos fallidos \(12\)/);
  assert.match(await page.textContent('#report-sheet [data-list="failed"] li'), /^escaneo-de-la-segunda-cámara-del-micros…nombre-muy-largo\.jpg — no es una imagen/,
    'a long name shortened in the middle, its end and the reason kept');
  assert.match(text, /\+8 más/, 'the first 4 failed files listed, the rest counted');
  assert.match(text, /Informe del recuento diferencial/);
  assert.match(text, /ID de la muestra M-0042/);
  assert.match(text, /Fecha de la muestra 30 de noviembre de 2024/);
  assert.match(text, /Estado de la revisión sin revisar/);
  assert.ok(text.includes(`Leucocitos contados: ${wbc} / 100 ⚠ Recuento bajo: ${wbc} de 100 leucocitos.`), text.slice(0, 500));
  const n = groups.neutrophil;
  const corrected = (7.5 * 100) / (100 + (100 * groups.erythroblast) / wbc);
  const comma = (x, d) => x.toFixed(d).replace('.', ',');
  assert.ok(text.includes(`Neutrófilo ${n} ${comma((100 * n) / wbc, 1)}% ${comma((corrected * n) / wbc, 2)}`), 'count, % and absolute count with the decimal comma');
  assert.ok(text.includes(`Total de leucocitos ${wbc} 100% ${comma(corrected, 2)}`));
  assert.ok(!/\bWBC\b/.test(text), 'no English abbreviation in the Spanish report');
  assert.ok(text.includes(`Eritroblastos (NRBC) ${groups.erythroblast} Eritroblastos por 100 leucocitos ${comma((100 * groups.erythroblast) / wbc, 1)}`));
  assert.ok(text.includes(`Plaquetas ${groups.platelet}`));
  assert.match(text, /Leucocitos del analizador 7,50 ×10⁹\/L; corregidos por eritroblastos/);
  assert.match(text, /Células por clase/);
  assert.match(text, /modelo .* umbral de confianza 0,00 · umbral fuera de distribución 0,0991/);
  assert.match(text, /no es un dispositivo médico de diagnóstico/);
  assert.deepEqual(errors, []);
  await context.close();
});

// The browser's own Print (Ctrl+P) cannot wait for anything: the sheet and its thumbnails are made
// ready a moment after the review stops changing, also after a reload, so that no grey squares print.
test('the browser\'s own Print, without the Report button, prints the thumbnails', { skip: hasPoppler() ? false : 'pdfimages (poppler-utils) is needed: bash scripts/install-deps.sh' }, async () => {
  const { context, page, errors } = await openApp(browser, server.url);
  await setThreshold(page, 0);
  await page.setInputFiles('#files', makeBatch(24, 'report-ctrlp'));
  await page.waitForFunction(() => document.body.dataset.busy === '0' && document.querySelectorAll('#gallery li.cell').length === 24);
  // up to 10 per class are shown
  const n = await page.$$eval('#gallery section.group', (ss) => ss.filter((s) => !['unidentified', 'excluded', 'error'].includes(s.dataset.group))
    .reduce((sum, s) => sum + Math.min(10, s.querySelectorAll('li.cell').length), 0));
  assert.ok(n >= 10, `${n} thumbnails on the sheet`);
  const ready = () => page.waitForFunction((k) => {
    const imgs = [...document.querySelectorAll('#report-sheet .r-strip canvas')];
    return imgs.length === k && imgs.every((c) => c.getContext('2d').getImageData(64, 64, 1, 1).data[3] === 255) && !document.querySelector('#report-sheet .r-noimg');
  }, n, { timeout: 10000 });
  const images = async (name) => {
    const dir = root + 'build/tmp/report/';
    mkdirSync(dir, { recursive: true });
    writeFileSync(dir + name, await page.pdf({ format: 'A4' }));
    return execFileSync('pdfimages', ['-list', dir + name], { encoding: 'utf8' }).trim().split('\n').length - 2;
  };
  await ready();
  await page.emulateMedia({ media: 'print' });
  assert.ok(await images('report-ctrlp.pdf') >= n, `the ${n} thumbnails are in the PDF`);
  await page.emulateMedia({ media: 'screen' });
  await page.waitForTimeout(500);      // IndexedDB has the images
  await page.reload();
  await waitReady(page);
  await ready();
  await page.emulateMedia({ media: 'print' });
  assert.ok(await images('report-ctrlp-reload.pdf') >= n, 'after a reload too');
  assert.deepEqual(errors, []);
  await context.close();
});
