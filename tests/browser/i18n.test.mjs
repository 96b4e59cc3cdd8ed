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
