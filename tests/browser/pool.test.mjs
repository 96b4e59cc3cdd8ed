// The worker pool: a batch spread over several engine workers gives exactly the results of one
// worker, in the order of the files (gallery and export), and every worker takes part.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, launchBrowser, openApp, makeBatch, makeBadFiles, setThreshold, exportText } from './helpers.mjs';

let server, browser;
before(async () => { server = await startServer(); browser = await launchBrowser(); });
after(async () => { await browser?.close(); server?.close(); });

async function runBatch(workers, files) {
  const { context, page, errors } = await openApp(browser, `${server.url}?workers=${workers}`);
  await setThreshold(page, 0.5);
  await page.setInputFiles('#files', files);
  await page.waitForFunction((n) => document.body.dataset.busy === '0' && document.querySelectorAll('#gallery li.cell').length === n, files.length, { timeout: 120000 });
  const csv = await exportText(page, 'csv');
  const json = JSON.parse(await exportText(page, 'json'));
  const stats = await page.evaluate(() => window.bloodcellPool.stats());
  const ids = await page.$$eval('#gallery section.group', (ss) => ss.map((s) => [...s.querySelectorAll('li.cell')].map((li) => Number(li.dataset.id))));
  assert.deepEqual(errors, []);
  await context.close();
  return { csv, json, stats, ids };
}

test('a batch over 3 workers equals the same batch on 1 worker, in file order; every worker takes part', async () => {
  const bad = makeBadFiles('bad-pool');
  const good = makeBatch(60, 'pool');
  const files = [...good.slice(0, 17), bad.truncated, ...good.slice(17, 40), bad.text, ...good.slice(40)];
  const one = await runBatch(1, files);
  const three = await runBatch(3, files);
  assert.equal(one.stats.filter((w) => w.ready).length, 1);
  assert.equal(three.stats.filter((w) => w.ready).length, 3, JSON.stringify(three.stats));
  for (const w of three.stats) assert.ok(w.done >= 5, `worker ${w.index} answered ${w.done} of ${files.length}`);
  assert.equal(three.stats.reduce((a, w) => a + w.done, 0), files.length);
  // Identical exports, rows in the order the files were given.
  assert.equal(three.csv, one.csv);
  assert.deepEqual(three.json.cells, one.json.cells);
  assert.deepEqual(three.json.cells.map((c) => c.file), files.map((f) => f.split('/').pop()));
  // Each gallery group lists its cells in file order.
  for (const g of three.ids) assert.deepEqual(g, [...g].sort((a, b) => a - b));
  assert.deepEqual(three.ids, one.ids);
});
