// The real page in real Chromium: pick images, get the same labels and probabilities as the
// native CLI, a bad file shows its error while the others finish, no request leaves the origin.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readdirSync, writeFileSync, mkdirSync } from 'node:fs';
import { root, startServer, launchBrowser } from './helpers.mjs';

let server, browser;
before(async () => { server = await startServer(); browser = await launchBrowser(); });
after(async () => { await browser?.close(); server?.close(); });

const fixtures = readdirSync(root + 'tests/fixtures/images').filter((f) => f.endsWith('.jpg')).map((f) => root + 'tests/fixtures/images/' + f);

test('page classifies picked images exactly like the native CLI', async () => {
  const page = await browser.newPage();
  const requests = [];
  page.on('request', (r) => requests.push(r));
  await page.goto(server.url);
  await page.waitForSelector('body[data-ready="1"]', { timeout: 20000 });
  mkdirSync(root + 'build/tmp', { recursive: true });
  const bad = root + 'build/tmp/not-an-image.jpg';
  writeFileSync(bad, 'this is text, not a JPEG');
  const files = [...fixtures.slice(0, 4), bad, ...fixtures.slice(4)];
  await page.setInputFiles('#files', files);
  await page.waitForFunction((n) => document.querySelectorAll('#gallery li.cell').length === n, files.length, { timeout: 30000 });
  const cells = await page.$$eval('#gallery li.cell', (lis) => lis.map((li) => ({ file: li.dataset.file, label: li.dataset.label, probs: li.dataset.probs, error: li.dataset.error, text: li.textContent })));
  const native = execFileSync(root + 'build/native/bloodcell', ['classify', '--json', '--model', root + 'web/models/bloodcell.bin', ...fixtures], { encoding: 'utf8' })
    .trim().split('\n').map((l) => JSON.parse(l));
  for (const n of native) {
    const name = n.file.split('/').pop();
    const c = cells.find((x) => x.file === name);
    assert.ok(c, `${name} shown`);
    assert.equal(c.label, n.label, name);
    const probs = JSON.parse(c.probs);
    Object.values(n.probs).forEach((p, k) => assert.ok(Math.abs(p - probs[k]) < 1e-6, `${name} prob ${k}: ${p} vs ${probs[k]}`));
  }
  const badCell = cells.find((x) => x.file === 'not-an-image.jpg');
  assert.match(badCell.error, /not an image/);
  assert.match(badCell.text, /Could not classify: not an image/);
  const origin = new URL(server.url).origin;
  for (const r of requests) {
    assert.ok(r.url().startsWith(origin) || r.url().startsWith('blob:') || r.url().startsWith('data:'), `off-origin request ${r.url()}`);
    assert.ok(!['POST', 'PUT'].includes(r.method()), `upload request ${r.method()} ${r.url()}`);
  }
  await page.screenshot({ path: root + 'build/tmp/page-desktop.png', fullPage: false });
  await page.close();
});
