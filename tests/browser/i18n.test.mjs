// Languages: a Spanish browser gets the Spanish UI (every string present in both dictionaries), the
// switch changes the language at once and the choice is kept.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, launchBrowser, openApp, waitReady, fixtureImages, makeBadFiles } from './helpers.mjs';

let server, browser;
before(async () => { server = await startServer(); browser = await launchBrowser(); });
after(async () => { await browser?.close(); server?.close(); });

test('Spanish UI renders from the browser language, and the switch changes it', async () => {
  const { context, page, errors } = await openApp(browser, server.url, { locale: 'es-ES' });
  assert.equal(await page.getAttribute('html', 'lang'), 'es');
  assert.equal(await page.inputValue('#lang'), 'es');
  assert.equal((await page.textContent('#tab-cell')).trim(), 'Célula');
  assert.match(await page.textContent('#tab-review'), /Revisión/);
  assert.match(await page.textContent('#status'), /^Listo\. Agregue imágenes/);
  assert.match(await page.textContent('label[for="files"]'), /Elegir imágenes/);
  assert.match(await page.title(), /clasificador de células sanguíneas/);

  const bad = makeBadFiles('bad-es');
  await page.setInputFiles('#files', [...fixtureImages.slice(0, 5), bad.text]);
  await page.waitForFunction(() => document.body.dataset.busy === '0' && document.querySelectorAll('#gallery li.cell').length === 6);
  assert.match(await page.textContent('#diff-title'), /Recuento diferencial/);
  const groupNames = await page.$$eval('#gallery section.group .gname', (s) => s.map((x) => x.textContent));
  for (const n of ['Basófilo', 'Eosinófilo', 'Eritroblasto', 'Granulocito inmaduro', 'Linfocito', 'Monocito', 'Neutrófilo', 'Plaqueta', 'No identificadas', 'Fallidas']) assert.ok(groupNames.includes(n), `${n} in ${groupNames}`);
  assert.match(await page.textContent('#gallery li.cell[data-error]'), /No se pudo clasificar: no es una imagen/);
  assert.match(await page.textContent('#diff .diff-note'), /Los porcentajes son sobre los \d+ leucocitos contados/);
  await page.dblclick('#gallery li.cell[data-label] >> nth=0');
  await page.waitForSelector('#cell #cam-canvas');
  assert.match(await page.textContent('#cell'), /Probabilidades/);
  assert.match(await page.textContent('#cell'), /Mapa de calor de/);
  await page.click('#tab-map');
  assert.match(await page.textContent('#view-map h2'), /Mapa de células de referencia/);
  await page.click('#tab-about');
  await page.waitForSelector('#about .confusion');
  assert.match(await page.textContent('#about'), /Acerca del modelo/);
  assert.match(await page.textContent('#about'), /No es un dispositivo médico de diagnóstico/);
  // A review mark's time stays on one line ("2:18 a. m." had left "m." alone on the phone).
  const at = await page.evaluate(async () => (await import('./i18n.js')).dateTimeText(new Date(2026, 11, 2, 2, 18), 'es-CO'));
  assert.match(at, /2:18/);
  assert.ok(!/[ \t]/.test(at.slice(at.indexOf('2:18'))), JSON.stringify(at));

  // Both dictionaries have the same keys, and nothing was missing while rendering every view.
  const check = await page.evaluate(async () => {
    const m = await import('./i18n.js');
    const en = Object.keys(m.STRINGS.en).sort(), es = Object.keys(m.STRINGS.es).sort();
    return { onlyEn: en.filter((k) => !es.includes(k)), onlyEs: es.filter((k) => !en.includes(k)), missing: [...m.missing] };
  });
  assert.deepEqual(check, { onlyEn: [], onlyEs: [], missing: [] });

  // The switch: English at once, kept across a reload.
  await page.selectOption('#lang', 'en');
  assert.equal(await page.getAttribute('html', 'lang'), 'en');
  assert.equal((await page.textContent('#tab-cell')).trim(), 'Cell');
  assert.match(await page.textContent('#about'), /About the model/);
  await page.reload();
  await waitReady(page);
  assert.equal(await page.getAttribute('html', 'lang'), 'en');
  assert.match(await page.textContent('#gallery li.cell[data-error]'), /Could not classify: not an image/);
  assert.deepEqual(errors, []);
  await context.close();
});

// No English left in the Spanish UI: every view walked in Spanish (start, an example's cell view, a
// whole field, the review with refused images, the counter bar, an excluded cell with its guess open,
// a deletion's toast, the map, About, the sample dialog, the printed report), at 390x844 and 1280x800.
// What is shown (text, and the labels a screen reader reads: aria-label, title, placeholder, alt, the
// options of every list) must hold no text of the English dictionary and no common English word.
// Data are left out: file names, the model's name, dataset, licence and product names.
import { readdirSync } from 'node:fs';
import { root, CONFIGS } from './helpers.mjs';

const ENGLISH_WORDS = /\b(the|and|with|from|this|that|these|cells?|images?|not|of|is|are|to|click|tap|show|none|failed|sample|review|counted|model|select|delete|undo|previous|next|back|examples?|field|whole|found|counter|unidentified|excluded|reference|confidence|threshold|export|import|report|settings|open|close|more|include|only|your|you)\b/i;
const DATA = [
  /[\w().\-\u00c0-\u024f]+\.(jpe?g|png|bmp|tiff?|webp|gif|json|csv|md)(#\d+)?/gi,      // file names (and located cells: name#k)
  /cellnet-[\w-]+/g, /\bbloodcell\b/gi, /CellaVision( DM96)?/g, /\b(PBC|BCDD|MIT|CC BY 4\.0|CC0|Tecom|WebAssembly|Web Workers?|wasmsimd|scalar|simd|NRBC|WBC|OOD|IG|PLT|Eos|Baso|Mono|Neut|Linf|Plaq|Eritrob)\b/g,
  /\(kernels\)/g, /\bsoftmax\b/g, /English/g, /Español/g, /\bT\b/g, /\bF1\b/g, /\bECE\b/g,
];
function englishIn(texts, en, es) {
  const phrases = Object.keys(en).filter((k) => en[k] !== es[k] && en[k].replace(/\{\w+\}/g, '').trim().length >= 12)
    .map((k) => ({ k, parts: en[k].split(/\{\w+\}/).map((p) => p.trim()).filter((p) => p.length >= 12) }));
  const found = [];
  for (const raw of texts) {
    let s = raw;
    for (const re of DATA) s = s.replace(re, ' ');
    const w = ENGLISH_WORDS.exec(s);
    if (w) found.push(`word "${w[0]}" in "${raw.slice(0, 120)}"`);
    for (const { k, parts } of phrases) for (const p of parts) if (raw.includes(p)) found.push(`${k}: "${p.slice(0, 60)}" in "${raw.slice(0, 80)}"`);
  }
  return [...new Set(found)];
}

async function shownTexts(page, extraRoot = null) {
  return page.evaluate((extra) => {
    const out = [];
    const roots = [document.body];
    if (extra) roots.push(document.querySelector(extra));
    for (const r of roots) {
      const walker = document.createTreeWalker(r, NodeFilter.SHOW_TEXT);
      for (let n = walker.nextNode(); n; n = walker.nextNode()) {
        const e = n.parentElement;
        if (!n.textContent.trim() || !e || e.closest('.citation, script, style')) continue;
        if (r === document.body && !e.checkVisibility() && !e.closest('.visually-hidden')) continue;
        out.push(n.textContent.trim());
      }
    }
    for (const e of document.querySelectorAll('[aria-label], [title], [placeholder], img[alt], option')) {
      if (e.closest('.citation') || (!e.checkVisibility() && !e.matches('option') && !e.closest('#report-sheet'))) continue;
      for (const a of ['aria-label', 'title', 'placeholder', 'alt']) if (e.getAttribute(a)) out.push(e.getAttribute(a));
      if (e.matches('option')) out.push(e.textContent.trim());
    }
    out.push(document.title);
    return out;
  }, extraRoot);
}

for (const cfg of CONFIGS) {
  test(`no English string is left in the Spanish UI: every view walked (${cfg.name})`, async () => {
    const { viewport, isMobile, hasTouch } = cfg;
    const { context, page, errors } = await openApp(browser, server.url, { viewport, isMobile, hasTouch, locale: 'es-CO' });
    page.on('dialog', (d) => d.accept());
    const dict = await page.evaluate(async () => { const m = await import('./i18n.js'); return { en: m.STRINGS.en, es: m.STRINGS.es }; });
    const seen = [];
    const look = async (where, extra) => { for (const s of await shownTexts(page, extra)) seen.push({ where, s }); };
    const click = (sel) => (hasTouch ? page.tap(sel) : page.click(sel));
    await look('start');
    // an example's cell view, with its heatmap
    await click('#examples button:not(.field-example) >> nth=1');
    await page.waitForSelector('#cell[data-label] #cam-canvas');
    await page.waitForFunction(() => !document.querySelector('#cell .cam-wait'));
    await look('example cell view (demo review)');
    // a whole field
    await click('#examples button.field-example >> nth=0');
    await page.waitForSelector('#field:not([hidden]) .fbox');
    await look('field view');
    // the user's images: cells, non-cells and an unreadable file, as single cells
    await page.check('#mode-cells', { force: true });
    const noncell = readdirSync(root + 'tests/fixtures/noncell').filter((f) => /\.(jpg|png)$/.test(f)).map((f) => root + 'tests/fixtures/noncell/' + f);
    const bad = makeBadFiles(`bad-walk-${cfg.name}`);
    const files = [...fixtureImages, ...noncell, bad.text, fixtureImages[0]];
    await page.setInputFiles('#files', files);
    await page.waitForFunction((n) => document.body.dataset.busy === '0' && document.querySelectorAll('#gallery li.cell').length === n, files.length - 1);
    await page.waitForSelector('#refusals:not([hidden])');
    await look('review with refusals and a duplicate');
    await click('.refusal[data-group="excluded"] button');
    await page.waitForSelector('#gallery li.cell[aria-selected="true"]');
    await look('review with a cell selected, the counter bar');
    await click('#open-selected');
    await page.waitForSelector('#cell .prediction[data-group="excluded"]');
    await click('#cell-guess summary');
    await look('excluded cell, guess open');
    await click('#cell-delete-one');
    await page.waitForSelector('#toast:not([hidden]) #toast-undo:not([hidden])');
    await look('after a deletion (toast)');
    await click('#toast-undo');
    await click('#tab-map');
    await page.waitForTimeout(200);
    await look('map');
    await click('#tab-about');
    await page.waitForSelector('#about .confusion');
    await look('about');
    await click('#tab-review');
    await click('#sample-new');
    await page.waitForSelector('#sample-dialog[open]');
    await look('new sample dialog');
    await page.click('#sd-cancel');
    // the printed report (built for print; read as text)
    await page.evaluate(() => { window.print = () => {}; });
    await click('#report');
    await page.waitForFunction(() => document.getElementById('report-sheet').textContent.trim().length > 100);
    for (const s of await page.evaluate(() => { const out = []; const w = document.createTreeWalker(document.getElementById('report-sheet'), NodeFilter.SHOW_TEXT); for (let n = w.nextNode(); n; n = w.nextNode()) if (n.textContent.trim()) out.push(n.textContent.trim()); return out; })) seen.push({ where: 'report', s });
    const bad2 = [];
    for (const where of [...new Set(seen.map((x) => x.where))]) {
      const found = englishIn(seen.filter((x) => x.where === where).map((x) => x.s), dict.en, dict.es);
      for (const f of found) bad2.push(`${where}: ${f}`);
    }
    assert.deepEqual(bad2, [], 'English in the Spanish UI');
    assert.ok(seen.length > 300, `${seen.length} texts looked at`);
    const missing = await page.evaluate(async () => [...(await import('./i18n.js')).missing]);
    assert.deepEqual(missing, []);
    assert.deepEqual(errors, []);
    await context.close();
  });
}
