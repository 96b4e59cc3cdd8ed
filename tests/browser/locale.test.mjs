// The user's locale, in the real page: the Spanish CSV export opens in columns in a spreadsheet set to
// Colombian settings (";" between fields, "," in numbers, a UTF-8 BOM) and imports back; the English one
// stays "," and "."; confidences near 1 or 0 read ">99.9%" / "<0.1%", never 100% / 0%, with the
// locale's decimal sign.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync, mkdirSync } from 'node:fs';
import { root, startServer, launchBrowser, openApp, addFiles, fixtureImages, makeBadFiles, exportText, parseCSV } from './helpers.mjs';

let server, browser;
before(async () => { server = await startServer(); browser = await launchBrowser(); });
after(async () => { await browser?.close(); server?.close(); });

// A spreadsheet with Colombian settings: fields split on ";" (a quoted field may hold one), numbers
// written with a decimal comma. Returns rows of raw fields.
function spreadsheetRows(text) {
  const rows = [];
  let row = [], field = '', q = false;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i];
    if (q) { if (ch === '"' && text[i + 1] === '"') { field += '"'; i++; } else if (ch === '"') q = false; else field += ch; }
    else if (ch === '"') q = true;
    else if (ch === ';') { row.push(field); field = ''; }
    else if (ch === '\r' && text[i + 1] === '\n') { row.push(field); rows.push(row); row = []; field = ''; i++; }
    else field += ch;
  }
  return rows;
}
const colombianNumber = (s) => (/^-?\d+(,\d+)?$/.test(s) ? Number(s.replace(',', '.')) : NaN);

test('the Spanish CSV opens in columns with decimal commas and a BOM; English stays "," and "."', async () => {
  const { context, page, errors } = await openApp(browser, server.url, { locale: 'es-CO' });
  assert.equal(await page.getAttribute('html', 'lang'), 'es');
  const bad = makeBadFiles('bad-locale');
  await addFiles(page, [...fixtureImages, bad.text]);
  const shown = await page.$$eval('#gallery li.cell[data-label]', (lis) => Object.fromEntries(lis.map((li) => [li.dataset.file, JSON.parse(li.dataset.probs)])));
  const es = await exportText(page, 'csv');
  assert.equal(es.charCodeAt(0), 0xfeff, 'a UTF-8 byte-order mark first');
  const rows = spreadsheetRows(es.slice(1));
  const head = rows.shift();
  assert.equal(head[0], 'file');
  assert.ok(head.includes('p_neutrophil') && head.includes('confidence'), head.join('|'));
  assert.equal(rows.length, fixtureImages.length + 1);
  for (const r of rows) assert.equal(r.length, head.length, `every row has ${head.length} columns: ${r.join('|')}`);
  const col = (name) => head.indexOf(name);
  let numbers = 0;
  for (const r of rows) {
    if (r[col('status')] !== 'ok') {
      assert.match(r[col('error')], /^no es una imagen|^not an image/);
      continue;
    }
    const probs = shown[r[col('file')]];
    // p_subclass: the kind's probability, empty for a class without kinds
    const isClassP = (h) => h.startsWith('p_') && h !== 'p_subclass';
    if (r[col('p_subclass')] !== '') {
      assert.ok(Number.isFinite(colombianNumber(r[col('p_subclass')])) && !r[col('p_subclass')].includes('.'), `p_subclass "${r[col('p_subclass')]}"`);
      numbers++;
    }
    head.forEach((h, k) => {
      if (!isClassP(h)) return;
      const v = colombianNumber(r[k]);
      assert.ok(Number.isFinite(v), `${h} "${r[k]}" reads as a number with a decimal comma`);
      assert.ok(!r[k].includes('.'), `${h} "${r[k]}" has no decimal point`);
      numbers++;
    });
    const p = head.filter(isClassP).map((h) => colombianNumber(r[col(h)]));
    p.forEach((x, k) => assert.ok(Math.abs(x - probs[k]) < 1e-6, `${r[0]} ${head[col('p_basophil') + k]}: ${x} vs ${probs[k]}`));
    assert.ok(Math.abs(colombianNumber(r[col('confidence')]) - Math.max(...probs)) < 1e-6);
    if (r[col('ood_score')] !== '') assert.ok(Number.isFinite(colombianNumber(r[col('ood_score')])));
  }
  assert.ok(numbers >= 8 * fixtureImages.length);
  assert.ok(es.includes(',') && /\d,\d/.test(es), 'decimal commas are there');

  // The Spanish file imports back: the same cells and probabilities.
  mkdirSync(root + 'build/tmp/locale', { recursive: true });
  writeFileSync(root + 'build/tmp/locale/review-es.csv', es);
  page.once('dialog', (d) => d.accept());
  await page.evaluate(() => document.body.removeAttribute('data-import'));
  await page.setInputFiles('#import-file', root + 'build/tmp/locale/review-es.csv');
  await page.waitForSelector('body[data-import]', { state: 'attached' });
  assert.match(await page.textContent('#status'), /Se importó la revisión de review-es.csv/);
  const back = await page.$$eval('#gallery li.cell[data-label]', (lis) => Object.fromEntries(lis.map((li) => [li.dataset.file, JSON.parse(li.dataset.probs)])));
  assert.deepEqual(Object.keys(back).sort(), Object.keys(shown).sort());
  for (const [f, p] of Object.entries(back)) p.forEach((x, k) => assert.ok(Math.abs(x - shown[f][k]) < 1e-6, f));

  // English: "," between fields, "." in numbers, no BOM (and the CLI's --csv bytes, tests/test_cli.sh).
  await page.selectOption('#lang', 'en');
  const en = await exportText(page, 'csv');
  assert.notEqual(en.charCodeAt(0), 0xfeff);
  const enRows = parseCSV(en);
  assert.ok(enRows.length >= fixtureImages.length);
  for (const r of enRows.filter((x) => x.status === 'ok')) assert.match(r.p_neutrophil, /^\d+(\.\d+)?$/);
  assert.deepEqual(errors, []);
  await context.close();
});

test('confidence is never shown as 100% or 0%: ">99.9%" and "<0.1%", with the locale\'s decimal sign', async () => {
  for (const [locale, gt, lt, dec] of [['en-US', '>99.9%', '<0.1%', '.'], ['es-CO', '>99,9%', '<0,1%', ',']]) {
    const { context, page, errors } = await openApp(browser, server.url, { locale });
    await addFiles(page, fixtureImages);
    const captions = await page.$$eval('#gallery li.cell[data-label]', (lis) => lis.map((li) => ({
      conf: li.querySelector('.conf').textContent, label: li.getAttribute('aria-label'), top: Math.max(...JSON.parse(li.dataset.probs)) })));
    assert.equal(captions.length, fixtureImages.length);
    assert.ok(captions.some((c) => c.top > 0.999), 'the PBC fixtures include calls above 99.9%');
    for (const c of captions) {
      assert.doesNotMatch(c.conf, /^(100|0)%$/, `caption ${c.conf}`);
      assert.doesNotMatch(c.label, /\b100([.,]0)?%|\s0([.,]0)?%/, `aria-label ${c.label}`);
      if (c.top > 0.999) { assert.equal(c.conf, gt); assert.ok(c.label.includes(gt)); }
      if (c.top < 0.999 && c.top >= 0.995) assert.ok(c.conf.includes(dec), `${c.top} keeps a decimal: ${c.conf}`);
    }
    // The cell view: the headline and every probability bar.
    await page.dblclick('#gallery li.cell[data-label] >> nth=0');
    await page.waitForSelector('#cell[data-label] .pval');
    const texts = await page.$$eval('#cell .pval, #cell .conf', (els) => els.map((e) => e.textContent));
    for (const s of texts) assert.doesNotMatch(s, /(^|\D)(100|0)([.,]0)?%/, s);
    assert.ok(texts.includes(lt), `the smallest probabilities read ${lt}: ${texts}`);
    for (const s of texts.filter((x) => /\d[.,]\d/.test(x))) assert.ok(s.includes(dec), `${s} uses "${dec}"`);
    assert.deepEqual(errors, []);
    await context.close();
  }
});

test('words: the ready message has no engine internals (they are on About); Colombian Spanish; About in Spanish throughout', async () => {
  const card = JSON.parse(readFileSync(root + 'web/models/model-card.json', 'utf8'));
  const cardTexts = [card.intended_use, ...(card.caveats || []), card.unidentified_threshold?.rule, card.calibration?.method,
    card.data?.split, card.data?.name, card.reference_map?.ood?.caveat].filter((s) => typeof s === 'string' && s.length > 20);
  assert.ok(cardTexts.length >= 5, 'the shipped model card has its texts');
  for (const [locale, ready, about] of [['en-US', /^Ready\. Add images to classify them\.$/, 'About'], ['es-CO', /^Listo\. Agregue imágenes para clasificarlas\.$/, 'Acerca de']]) {
    const { context, page, errors } = await openApp(browser, server.url, { locale });
    const status = (await page.textContent('#status')).trim();
    assert.match(status, ready);
    assert.doesNotMatch(status, /cellnet|wasmsimd|kernels|núcleos|int8/);
    const notes = await page.textContent('#threshold-note');
    assert.match(notes, locale === 'es-CO' ? /No identificadas, para que usted la clasifique/ : /goes to Unidentified, for you to classify/);
    assert.ok(notes.includes(about), `the threshold note points to ${about}: ${notes}`);
    await page.click('#tab-about');
    await page.waitForSelector('#about h2');
    const text = await page.textContent('#about');
    const info = await page.evaluate(() => ({ isa: document.querySelector('#about').textContent.includes('wasmsimd') }));
    assert.ok(info.isa, 'the kernels are named on About');
    assert.match(text, /WebAssembly/);
    if (locale === 'es-CO') {
      const body = await page.textContent('body');
      assert.match(await page.textContent('label[for="camera"]'), /Tomar una foto/);
      assert.doesNotMatch(body, /Hacer una foto|producto sanitario|Núcleos|núcleos/);
      assert.match(text, /dispositivo médico/);
      assert.match(text, /Rutinas de cálculo \(kernels\)/);
      for (const s of cardTexts) assert.ok(!text.includes(s), `the card's English text is translated: "${s.slice(0, 60)}…"`);
      assert.match(text, /Solo para investigación y docencia/);
      assert.match(text, /Advertencias/);
      assert.equal(await page.$('#about-english'), null, 'no "in English only" note: every card text has its Spanish');
    } else {
      for (const s of cardTexts) assert.ok(text.includes(s), `English: the card's text as written: "${s.slice(0, 60)}…"`);
    }
    assert.deepEqual(errors, []);
    await context.close();
  }
});
