// Careful mode in the real page: with the switch on, each image is classified in the engine's 8-view
// test-time augmentation, and the page's call equals the native CLI's `--tta` call on the same file
// (the same C code); with it off, the single-view call. The choice survives a reload, and the cell
// and the JSON export say which mode made each call.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { root, startServer, launchBrowser, openApp, fixtureImages, exportText } from './helpers.mjs';

let server, browser;
before(async () => { server = await startServer(); browser = await launchBrowser(); });
after(async () => { await browser?.close(); server?.close(); });

function cliConfidence(file, careful) {
  const out = execFileSync(root + 'build/native/bloodcell', ['classify', '--json', '--backend', 'own', '--map', 'none',
    ...(careful ? ['--tta'] : []), '--model', root + 'web/models/bloodcell.bin', file], { encoding: 'utf8' });
  return JSON.parse(out.trim()).confidence;
}

async function addAndWait(page, files, total) {
  await page.setInputFiles('#files', files);
  await page.waitForFunction((k) => document.body.dataset.busy === '0' && document.querySelectorAll('#gallery li.cell').length === k,
    total, { timeout: 60000 });
}

test('careful mode: the page\'s call equals the CLI\'s --tta, is kept across a reload and is exported', async () => {
  const [a, b] = fixtureImages;
  const { context, page, errors } = await openApp(browser, server.url);
  await page.click('#tab-review');
  assert.equal(await page.isChecked('#careful'), false, 'off by default');
  await addAndWait(page, [a], 1);      // one image opens the cell view
  await page.click('#tab-review');
  await page.check('#careful');
  // the first image again, as a file of its own content (a few bytes after the image's end): the app
  // counts a content it has once
  mkdirSync(root + 'build/tmp/careful', { recursive: true });
  const aCopy = root + 'build/tmp/careful/' + a.split('/').pop();
  writeFileSync(aCopy, Buffer.concat([readFileSync(a), Buffer.from('\nagain\n')]));
  await addAndWait(page, [b, aCopy], 3);
  const rows = JSON.parse(await exportText(page, 'json')).cells;
  assert.deepEqual(rows.map((r) => r.careful), [false, true, true]);
  const near = (x, y, what) => assert.ok(Math.abs(x - y) < 2e-6, `${what}: page ${x}, CLI ${y}`);
  near(rows[0].confidence, cliConfidence(a, false), 'single view');
  near(rows[1].confidence, cliConfidence(b, true), 'careful');
  near(rows[2].confidence, cliConfidence(a, true), 'careful, same image as the first');
  assert.notEqual(rows[0].confidence, rows[2].confidence, 'the two modes give different numbers on this image');

  await page.reload();
  await page.waitForSelector('body[data-ready="1"][data-restored="1"]');
  await page.click('#tab-review');
  assert.equal(await page.isChecked('#careful'), true, 'the choice survives a reload');
  const again = JSON.parse(await exportText(page, 'json')).cells;
  assert.deepEqual(again.map((r) => r.careful), [false, true, true], 'each cell keeps the mode it was called in');
  await page.click('#gallery li.cell >> nth=1');
  await page.click('#open-selected');
  await page.waitForSelector('#cell[data-label]');
  assert.match(await page.textContent('#cell'), /careful mode/i);
  assert.deepEqual(errors, []);
  await context.close();
});
