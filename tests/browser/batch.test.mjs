// A batch of 200+ images (fixtures and examples under distinct names, with bad files among them):
// every file gets a result, the differential adds up, failed files show their reason, the CSV and
// JSON exports say the same as the page, the UI keeps painting, and cancel stops a batch.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, launchBrowser, openApp, makeBatch, makeBadFiles, setThreshold, differential, exportText, parseCSV } from './helpers.mjs';

let server, browser;
before(async () => { server = await startServer(); browser = await launchBrowser(); });
after(async () => { await browser?.close(); server?.close(); });

test('batch of 208 images with 3 bad files: counts add up, errors shown, exports right, UI responsive', async () => {
  const { context, page, errors } = await openApp(browser, server.url);
  await setThreshold(page, 0.3);
  const good = makeBatch(205);
  const bad = makeBadFiles();
  const files = [...good.slice(0, 50), bad.text, ...good.slice(50, 120), bad.truncated, ...good.slice(120), bad.empty];
  // Longest gap between painted frames while the batch runs (main-thread responsiveness).
  await page.evaluate(() => {
    window.__gaps = { max: 0, last: performance.now(), on: true };
    const tick = (t) => { const g = window.__gaps; g.max = Math.max(g.max, t - g.last); g.last = t; if (g.on) requestAnimationFrame(tick); };
    requestAnimationFrame(tick);
  });
  const t0 = Date.now();
  await page.setInputFiles('#files', files);
  await page.waitForSelector('#progress:not([hidden])');
  const progressText = await page.waitForFunction(() => {
    const s = document.getElementById('progress-text').textContent;
    return /images\/s/.test(s) && Number(document.getElementById('progress').dataset.done) > 0 ? s : null;
  });
  assert.match(await progressText.jsonValue(), /^\d+ \/ 208 · [\d.,]+ images\/s$/);
  await page.waitForFunction(() => document.body.dataset.busy === '0' && document.querySelectorAll('#gallery li.cell').length === 208, null, { timeout: 120000 });
  const secs = (Date.now() - t0) / 1000;
  const maxGap = await page.evaluate(() => { window.__gaps.on = false; return window.__gaps.max; });
  console.log(`# 208 images in ${secs.toFixed(1)} s (${(208 / secs).toFixed(1)} images/s); longest frame gap ${maxGap.toFixed(0)} ms`);
  assert.ok(maxGap < 1500, `the page stopped painting for ${maxGap} ms`);
  assert.match(await page.textContent('#status'), /Classified 208 images/);

  // Counts: every cell is in exactly one group; the table equals the gallery groups.
  const d = await differential(page);
  assert.equal(d.total, 208);
  assert.equal(d.failed, 3);
  const classSum = Object.values(d.perClass).reduce((a, b) => a + b, 0);
  assert.equal(classSum, d.identified);
  assert.equal(d.identified + d.unidentified + d.excluded + d.failed, 208);
  for (const [cls, n] of Object.entries(d.perClass)) assert.equal(d.groups[cls], n, `group ${cls}`);
  assert.equal(d.groups.unidentified, d.unidentified);
  assert.equal(d.groups.excluded || 0, d.excluded);
  assert.equal(d.groups.error, 3);
  assert.equal(await page.textContent('#review-count'), '208');
  const note = await page.textContent('#diff .diff-note');
  assert.ok(note.includes(`${d.unidentified} unidentified`) && note.includes(`${d.excluded} excluded`) && note.includes('3 failed'), note);

  // Failed files show their reason in the gallery.
  const errs = await page.$$eval('#gallery li.cell[data-error]', (lis) => Object.fromEntries(lis.map((li) => [li.dataset.file, li.textContent])));
  assert.match(errs['not-an-image.jpg'], /Could not classify: not an image/);
  assert.match(errs['truncated.jpg'], /Could not classify: truncated/);
  assert.match(errs['empty.png'], /Could not classify: empty file/);

  // The CSV: one row per file, the page's prediction, probabilities, confirmed class and flags.
  const cells = await page.$$eval('#gallery li.cell', (lis) => lis.map((li) => ({ file: li.dataset.file, label: li.dataset.label, probs: li.dataset.probs, group: li.dataset.group, error: li.dataset.error, ood: li.dataset.ood })));
  const byFile = new Map(cells.map((c) => [c.file, c]));
  const csv = parseCSV(await exportText(page, 'csv'));
  assert.equal(csv.length, 208);
  // the model's classes in its order (the gallery's; the differential table lists the leukocytes first)
  const classes = (await page.$$eval('#gallery section.group', (ss) => ss.map((x) => x.dataset.group))).filter((g) => g in d.perClass);
  assert.deepEqual(Object.keys(csv[0]), ['file', 'status', 'predicted', 'confidence', ...classes.map((c) => `p_${c}`), 'ood_score', 'confirmed', 'reassigned', 'flags', 'error', 'subclass', 'p_subclass']);
  const confirmedCounts = {};
  for (const r of csv) {
    const c = byFile.get(r.file);
    assert.ok(c, `${r.file} in the page`);
    if (c.error) {
      assert.equal(r.status, 'error');
      assert.equal(r.error, c.error);
      assert.equal(r.flags, 'error');
      continue;
    }
    assert.equal(r.status, 'ok');
    assert.equal(r.predicted, c.label);
    const probs = JSON.parse(c.probs);
    classes.forEach((k, i) => assert.ok(Math.abs(Number(r[`p_${k}`]) - probs[i]) < 1e-6, `${r.file} p_${k}`));
    assert.ok(Math.abs(Number(r.confidence) - Math.max(...probs)) < 1e-6);
    assert.equal(r.confirmed, c.group, r.file);
    assert.equal(r.reassigned, 'no');
    const flags = r.flags ? r.flags.split(';') : [];
    assert.equal(flags.includes('low_confidence'), Math.max(...probs) < 0.3, `${r.file} flags ${r.flags}`);
    assert.equal(flags.includes('out_of_distribution'), c.ood ? JSON.parse(c.ood).flagged : false);
    if (c.ood) assert.ok(Math.abs(Number(r.ood_score) - JSON.parse(c.ood).score) < 1e-6);
    confirmedCounts[r.confirmed] = (confirmedCounts[r.confirmed] || 0) + 1;
  }
  for (const cls of classes) assert.equal(confirmedCounts[cls] || 0, d.perClass[cls], `CSV count of ${cls}`);
  assert.equal(confirmedCounts.unidentified || 0, d.unidentified);
  assert.equal(confirmedCounts.excluded || 0, d.excluded);

  // The JSON export carries the same counts and cells.
  const json = JSON.parse(await exportText(page, 'json'));
  assert.equal(json.cells.length, 208);
  assert.deepEqual(json.counts.per_class, d.perClass);
  assert.equal(json.counts.unidentified, d.unidentified);
  assert.equal(json.counts.excluded_out_of_distribution, d.excluded);
  assert.equal(json.counts.failed, 3);
  assert.equal(json.settings.confidence_threshold, 0.3);
  assert.deepEqual(errors, []);
  await context.close();
});

test('cancel stops a batch: the cells done so far are kept and counted', async () => {
  const { context, page } = await openApp(browser, server.url);
  const files = makeBatch(200, 'cancel');
  await page.setInputFiles('#files', files);
  await page.waitForFunction(() => Number(document.getElementById('progress').dataset.done) >= 5);
  await page.click('#cancel');
  await page.waitForFunction(() => document.body.dataset.busy === '0');
  const status = await page.textContent('#status');
  const m = status.match(/Cancelled: (\d+) of 200 images classified/);
  assert.ok(m, status);
  const done = Number(m[1]);
  assert.ok(done >= 5 && done < 200, `done ${done}`);
  const n = await page.$$eval('#gallery li.cell', (lis) => lis.length);
  assert.equal(n, done);
  const d = await differential(page);
  assert.equal(d.total, done);
  await context.close();
});

test('clearing the review during a batch stops it and leaves the review empty', async () => {
  const { context, page, errors } = await openApp(browser, server.url);
  const files = makeBatch(120, 'clear-during');
  await page.setInputFiles('#files', files);
  await page.waitForFunction(() => Number(document.getElementById('progress').dataset.done) >= 5);
  page.once('dialog', (d) => d.accept());
  await page.click('#clear');
  await page.waitForFunction(() => document.body.dataset.busy === '0');
  await page.waitForTimeout(300);
  assert.equal(await page.$$eval('#gallery li.cell', (l) => l.length), 0);
  assert.equal((await differential(page)).total, 0);
  assert.equal(await page.textContent('#status'), 'The cells of sample Sample 1 were cleared.');
  assert.deepEqual(errors, []);
  await context.close();
});
