// The CLI and the app agree on one folder of images: the folder is picked in the real page (the
// "Choose a folder" input, nested sub-folders, hostile names, a non-image file, a bad image, a
// low-confidence cell and a non-cell image); then `bloodcell classify` runs on the same folder with
// the app's own model, model card and reference map (web/models/):
//  - `--csv` writes every row the app's CSV export writes, byte for byte (no column is wall-clock);
//  - `--summary --json` equals web/differential.js applied to the groups in the app's JSON export,
//    and the app's own summary in that export.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, rmSync, copyFileSync, writeFileSync, readFileSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { root, startServer, launchBrowser, openApp, fixtureImages, exampleImages, exportText } from './helpers.mjs';
import { differential } from '../../web/differential.js';

let server, browser;
before(async () => { server = await startServer(); browser = await launchBrowser(); });
after(async () => { await browser?.close(); server?.close(); });

const base = root + 'build/tmp/cli-agree/';
const folder = 'slide 15';   // the app names each file by its path from the picked folder: "slide 15/..."

function makeFolder() {
  rmSync(base, { recursive: true, force: true });
  const d = base + folder + '/';
  for (const sub of ['fixtures', 'examples/second', 'odd']) mkdirSync(d + sub, { recursive: true });
  for (const f of fixtureImages) copyFileSync(f, d + 'fixtures/' + f.split('/').pop());
  for (const f of exampleImages.filter((f) => f.endsWith('-1.jpg'))) copyFileSync(f, d + 'examples/' + f.split('/').pop());
  for (const f of exampleImages.filter((f) => f.endsWith('-2.jpg')).slice(0, 3)) copyFileSync(f, d + 'examples/second/' + f.split('/').pop());
  copyFileSync(root + 'tests/fixtures/ambiguous/lymphocyte-monocyte-blend.jpg', d + 'odd/blend.jpg');
  copyFileSync(root + 'tests/fixtures/noncell/flat-grey.png', d + 'odd/flat-grey.png');
  // (copies of examples also in the folder, with a few bytes after the image's end: the app counts one
  // content once, and these are here for their names)
  const copy = (src, dst) => writeFileSync(dst, Buffer.concat([readFileSync(src), Buffer.from(`\ncopy for ${dst.length}\n`)]));
  copy(exampleImages[0], d + 'odd/<img src=x onerror=alert(1)>.jpg');
  copy(exampleImages[1], d + 'odd/=HYPERLINK("x"),1.JPG');
  writeFileSync(d + 'odd/not-an-image.jpg', 'this is text, not a JPEG');
  writeFileSync(d + 'odd/notes.txt', 'not an image name: skipped by both');
  return d;
}

function cli(args) {
  try {
    return execFileSync(root + 'build/native/bloodcell', ['classify', '--model', root + 'web/models/bloodcell.bin', ...args],
      { cwd: base, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  } catch (err) {
    if (err.status !== 1) throw err;   // 1: a file failed (not-an-image.jpg), as intended
    return err.stdout;
  }
}

test('the CLI on a folder writes the app\'s CSV rows and the app\'s differential', async () => {
  makeFolder();
  const { context, page, errors } = await openApp(browser, server.url);
  const dialogs = [];
  page.on('dialog', (dlg) => { dialogs.push(dlg.message()); dlg.dismiss(); });
  await page.setInputFiles('#folder', base + folder);
  const n = 8 + 8 + 3 + 5;   // fixtures, examples, second examples, odd/ minus notes.txt
  await page.waitForFunction((k) => document.body.dataset.busy === '0' && document.querySelectorAll('#gallery li.cell').length === k, n, { timeout: 60000 });

  const appCSV = await exportText(page, 'csv');
  const exported = JSON.parse(await exportText(page, 'json'));
  const cliCSV = cli(['--csv', folder]);
  const cliLines = cli(['--json', '--summary', folder]).trim().split('\n').map((l) => JSON.parse(l));
  const { summary } = cliLines.pop();

  // The CSV: the same header and, file by file, the same bytes (the app lists a picked folder in the
  // browser's order, the CLI in sorted order, so rows are compared as sorted lists of lines).
  const appRows = appCSV.split('\r\n'), cliRows = cliCSV.split('\r\n');
  assert.equal(appCSV.endsWith('\r\n') && cliCSV.endsWith('\r\n'), true, 'CRLF line ends');
  assert.equal(cliRows[0], appRows[0], 'header');
  assert.equal(cliRows.length, n + 2);
  assert.deepEqual(cliRows.slice(1).sort(), appRows.slice(1).sort());
  const byFile = Object.fromEntries(cliRows.slice(1, -1).map((r) => [r.split(',')[0], r]));
  // (the last two columns: the kind and its probability, empty where the cell is not counted in a class with kinds)
  assert.match(byFile[`${folder}/odd/flat-grey.png`], /,excluded,no,out_of_distribution,,,$/);
  assert.match(byFile[`${folder}/odd/blend.jpg`], /,unidentified,no,low_confidence,,,$/);
  assert.match(byFile[`${folder}/odd/not-an-image.jpg`], /^[^,]+,error,(,){12}no,error,"not an image.*",,$/);
  assert.ok(cliCSV.includes(`\r\n"${folder}/odd/=HYPERLINK(""x""),1.JPG",ok,basophil,`), 'the name with quotes and a comma quoted');

  // The app's thresholds are the CLI's (the same web/models/ files).
  const info = execFileSync(root + 'build/native/bloodcell', ['info', '--model', root + 'web/models/bloodcell.bin'], { encoding: 'utf8' });
  assert.match(info, new RegExp(`^unidentified below: ${exported.settings.confidence_threshold} `, 'm'));
  assert.match(info, new RegExp(`out of distribution above ${exported.settings.ood_threshold}$`, 'm'));

  // The summary: differential.js on the app's exported groups (a failed file is 'error' there, with an
  // empty confirmed) is what the CLI printed; so is the app's own summary in the export, where present.
  const groups = exported.cells.map((c) => (c.status === 'error' ? 'failed' : c.confirmed));
  const fromApp = differential(groups, { classes: exported.model.classes, subgroups: exported.cells.map((c) => c.subclass) });
  assert.deepEqual(summary, fromApp);
  assert.deepEqual(Object.keys(summary), Object.keys(fromApp));
  if ('differential' in exported) assert.deepEqual(summary, exported.differential);
  else console.log('# the JSON export has no "differential" block yet: compared with differential.js on its groups only');
  assert.deepEqual([summary.total, summary.wbc, summary.nrbc, summary.platelets, summary.unidentified, summary.excluded, summary.failed],
    [24, 16, 3, 2, 1, 1, 1]);
  // By hand: WBC 6 (fixtures) + 6 (examples) + 2 (second: basophil, eosinophil) + 2 (odd/: two basophil
  // copies under hostile names) = 16; NRBC 1 + 1 + 1 = 3; platelets 1 + 1; the blend unidentified, the
  // grey square excluded, the text file failed.
  // The CLI's per-image groups are the app's, file by file.
  const appGroup = Object.fromEntries(exported.cells.map((c) => [c.file, c.status === 'error' ? 'failed' : c.confirmed]));
  for (const l of cliLines) assert.equal(l.error !== undefined ? 'failed' : l.confirmed, appGroup[l.file], l.file);

  assert.deepEqual(dialogs, [], 'a file name ran as HTML');
  assert.deepEqual(errors, []);
  await context.close();
});
