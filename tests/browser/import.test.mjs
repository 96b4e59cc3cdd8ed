// Importing a review: an export of this app comes back exactly (JSON and CSV round trip); a bad
// file (not a review, another model's classes, a broken field, a CSV with a missing column or a
// prediction that is not the most probable class) is refused with a clear message and changes
// nothing, in the page or in IndexedDB.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync, mkdirSync } from 'node:fs';
import { root, startServer, launchBrowser, openApp, waitReady, makeBatch, makeBadFiles, setThreshold, exportText, parseCSV, differential } from './helpers.mjs';

let server, browser;
before(async () => { server = await startServer(); browser = await launchBrowser(); });
after(async () => { await browser?.close(); server?.close(); });

const dir = root + 'build/tmp/import/';
function file(name, text) { mkdirSync(dir, { recursive: true }); writeFileSync(dir + name, text); return dir + name; }

// Picks a file in the Import control; resolves to the status line once the page has answered.
async function importFile(page, path) {
  await page.evaluate(() => document.body.removeAttribute('data-import'));
  const accept = (d) => d.accept();
  page.on('dialog', accept);
  await page.setInputFiles('#import-file', path);
  await page.waitForSelector('body[data-import]', { state: 'attached' });
  page.off('dialog', accept);
  return page.textContent('#status');
}

test('an exported review imports back exactly; bad imports are refused and change nothing', async () => {
  const { context, page, errors } = await openApp(browser, server.url);
  await setThreshold(page, 0.95);
  const bad = makeBadFiles('bad-import');
  const files = [...makeBatch(20, 'import-batch'), bad.text];
  await page.setInputFiles('#files', files);
  await page.waitForFunction((n) => document.body.dataset.busy === '0' && document.querySelectorAll('#gallery li.cell').length === n, files.length);
  // a reassignment, so that the user's choice travels too
  const id = await page.$eval('#gallery li.cell[data-label]', (li) => li.dataset.id);
  await page.click(`#gallery li.cell[data-id="${id}"]`);
  await page.selectOption('#reassign', 'u');
  await page.waitForSelector(`#gallery section[data-group="unidentified"] li.cell[data-id="${id}"]`);
  const csv = await exportText(page, 'csv');
  const json = JSON.parse(await exportText(page, 'json'));
  const d0 = await differential(page);
  assert.equal(json.cells.length, 21);

  // Bad imports: each refused with its reason; the review is unchanged.
  const other = { ...json, model: { ...json.model, classes: [...json.model.classes].reverse() } };
  const broken = structuredClone(json);
  broken.cells[3].probs[json.model.classes[0]] = 'NaN';
  const notArgmax = structuredClone(json);
  { const c = notArgmax.cells.find((x) => x.status === 'ok'); const k = json.model.classes.find((x) => x !== c.predicted); c.predicted = k; }
  // kinds: one of another class, an unknown one, a probability out of range
  const kindOf = (cls) => json.cells.findIndex((x) => x.status === 'ok' && x.confirmed === cls && x.subclass);
  const wrongKind = structuredClone(json);
  wrongKind.cells[kindOf('neutrophil')].subclass = 'myelocyte';
  const unknownKind = structuredClone(json);
  unknownKind.cells[kindOf('ig')].subclass_probs = { ...unknownKind.cells[kindOf('ig')].subclass_probs, '<b>x</b>': 0.5 };
  const badKindP = structuredClone(json);
  badKindP.cells[kindOf('neutrophil')].subclass_confidence = 1.5;
  const rows = csv.split('\r\n');
  const badCases = [
    ['wrong-kind.json', JSON.stringify(wrongKind), /the kind "myelocyte" is not one of neutrophil's \(band, segmented\)/],
    ['unknown-kind.json', JSON.stringify(unknownKind), /subclass_probs names an unknown kind "<b>x<\/b>"/],
    ['bad-kind-p.json', JSON.stringify(badKindP), /the kind's probability is not a number from 0 to 1/],
    ['garbage.json', 'this is not a review at all', /not a review exported by this app/],
    ['truncated.json', JSON.stringify(json).slice(0, 500), /not valid JSON/],
    ['schema.json', JSON.stringify({ ...json, schema: 'something-else' }), /schema "something-else"/],
    ['other-model.json', JSON.stringify(other), /made with a model with other classes/],
    ['broken-prob.json', JSON.stringify(broken), /cell 4 .*probability of .* is not a number/],
    ['not-argmax.json', JSON.stringify(notArgmax), /is not the most probable one/],
    ['empty.json', JSON.stringify({ ...json, cells: [], counts: { ...json.counts, total: 0 } }), /has no cells/],
    ['missing-column.csv', [rows[0].replace(/,ood_score,/, ','), ...rows.slice(1)].join('\r\n'), /columns are not those/],
    ['open-quote.csv', rows.slice(0, 3).join('\r\n') + '\r\n"unclosed,ok', /quoted field is never closed/],
    ['bad-number.csv', [rows[0], rows[1].replace(/,ok,(\w+),[\d.]+,/, ',ok,$1,0.5x,'), ...rows.slice(2)].join('\r\n'), /row 2 .*confidence "0\.5x" is not a number/],
  ];
  for (const [name, text, why] of badCases) {
    const status = await importFile(page, file(name, text));
    assert.match(status, new RegExp(`^The review in ${name.replace('.', '\\.')} was not imported, and nothing was changed: `), name);
    assert.match(status, why, `${name}: ${status}`);
    assert.equal(await page.getAttribute('body', 'data-import'), 'refused');
  }
  assert.deepEqual(await differential(page), d0);
  assert.equal(await exportText(page, 'csv'), csv);
  await page.reload();
  await waitReady(page);
  assert.deepEqual(await differential(page), d0, 'IndexedDB unchanged');

  // JSON round trip: clear, import, export again.
  page.once('dialog', (dlg) => dlg.accept());
  await page.click('#tab-review');
  await page.click('#clear');
  await page.waitForFunction(() => document.querySelectorAll('#gallery li.cell').length === 0);
  await setThreshold(page, 0.5);
  const st = await importFile(page, file('review.json', JSON.stringify(json)));
  assert.match(st, /^Imported the review in review\.json into sample Sample 1: 21 cells\.$/);
  assert.equal(await page.inputValue('#threshold'), '0.95', 'threshold from the file');
  const again = JSON.parse(await exportText(page, 'json'));
  assert.deepEqual(again.cells, json.cells);
  assert.deepEqual(again.counts, json.counts);
  assert.equal(await exportText(page, 'csv'), csv);
  // An imported cell opens without its image and says so.
  await page.dblclick('#gallery li.cell[data-label] >> nth=0');
  await page.waitForSelector('#cell .cam-none');
  // It survives a reload (IndexedDB).
  await page.reload();
  await waitReady(page);
  assert.deepEqual(await differential(page), d0);

  // CSV round trip: the open sample has cells and the CSV names no sample, so a new sample takes them
  // (samples.test.mjs checks the samples themselves).
  const st2 = await importFile(page, file('review.csv', csv));
  assert.match(st2, /^Imported the review in review\.csv into sample review: 21 cells\.$/);
  assert.equal(await exportText(page, 'csv'), csv);
  assert.equal(parseCSV(csv).length, 21);
  assert.deepEqual(errors, []);
  await context.close();
});
