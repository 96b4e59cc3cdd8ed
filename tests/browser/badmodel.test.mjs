// A model that cannot be loaded (corrupt or missing) is reported plainly on the page.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { cpSync, rmSync, writeFileSync, unlinkSync } from 'node:fs';
import { root, startServer, launchBrowser } from './helpers.mjs';

let browser;
before(async () => { browser = await launchBrowser(); });
after(async () => { await browser?.close(); });

test('a corrupt or missing model says so plainly', async () => {
  const copy = root + 'build/tmp/web-badmodel/';
  rmSync(copy, { recursive: true, force: true });
  cpSync(root + 'web', copy, { recursive: true, dereference: true });
  rmSync(copy + 'sw.js', { force: true });
  writeFileSync(copy + 'models/bloodcell.bin', Buffer.from('BCMD this is not a model'));
  const server = await startServer(copy);
  const context = await browser.newContext();
  const page = await context.newPage();
  await page.goto(server.url);
  await page.waitForSelector('body[data-ready="error"]');
  assert.match(await page.textContent('#status'), /^The model could not be loaded, so nothing can be classified: .*(invalid|unsupported) model file/);
  unlinkSync(copy + 'models/bloodcell.bin');
  await page.reload();
  await page.waitForSelector('body[data-ready="error"]');
  assert.match(await page.textContent('#status'), /The model could not be loaded, so nothing can be classified: model file not found \(404/);
  // Adding images does not pretend to work.
  await page.setInputFiles('#files', root + 'web/examples/basophil-1.jpg');
  await page.waitForTimeout(200);
  assert.match(await page.textContent('#status'), /The model could not be loaded/);
  assert.equal(await page.$$eval('#gallery li.cell', (l) => l.length), 0);
  await context.close();
  server.close();
});
