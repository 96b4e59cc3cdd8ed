// Sub-classes (issue 17), in the real page with the shipped model, at 390x844 (touch) and 1280x800,
// English and Spanish: the cell view headlines "Neutrophil — band" with the kind's probability and
// how far to trust it; the user sets the kind with a button and goes back to the model's call; the
// gallery and the differential show the kinds (bands beside segmented neutrophils, the kinds of ig,
// in % of the WBC); a kind set for one class does not follow a cell reassigned to another; the CSV
// has the kind columns (Spanish: ";" and decimal commas), the JSON export imports back with the
// kinds and the user's choice; the printed report lists them. The expected kinds and probabilities
// are the CLI's on the same files.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { writeFileSync, mkdirSync } from 'node:fs';
import { root, startServer, launchBrowser, openApp, CONFIGS, exportText } from './helpers.mjs';

let server, browser;
before(async () => { server = await startServer(); browser = await launchBrowser(); });
after(async () => { await browser?.close(); server?.close(); });

const files = ['tests/fixtures/images/neutrophil_BNE_101082.jpg', 'web/examples/neutrophil-1.jpg', 'web/examples/neutrophil-2.jpg',
  'tests/fixtures/images/ig_IG_111589.jpg', 'web/examples/ig-1.jpg', 'web/examples/ig-2.jpg', 'tests/fixtures/images/lymphocyte_LY_100275.jpg'].map((f) => root + f);
const base = (f) => f.split('/').pop();
// the CLI's call for each file: {label, subclass: {label, confidence, probs}}
const cli = Object.fromEntries(execFileSync(root + 'build/native/bloodcell', ['classify', '--json', ...files], { encoding: 'utf8' })
  .trim().split('\n').map((l) => JSON.parse(l)).map((r) => [base(r.file), r]));

const W = {
  en: { neutrophil: 'Neutrophil', band: 'band', segmented: 'segmented', kind: 'Kind: ', model: "the model's call", user: 'your choice', back: "Back to the model's call" },
  es: { neutrophil: 'Neutrófilo', band: 'en banda', segmented: 'segmentado', kind: 'Tipo: ', model: 'según el modelo', user: 'su elección', back: 'Volver a lo que dijo el modelo' },
};
const pctText = (lang, p) => `${new Intl.NumberFormat(lang, { minimumFractionDigits: 1, maximumFractionDigits: 1 }).format(100 * p)}%`;

// The differential's kind rows: {'neutrophil/band': {count, pct}, ...}
const kindRows = (page) => page.$$eval('#diff tr.subrow', (trs) => Object.fromEntries(trs.map((tr) => [tr.dataset.subclass,
  { count: Number(tr.querySelector('.count').textContent), pct: tr.querySelector('.pct').textContent, name: tr.querySelector('th').textContent }])));
const tile = (page, name) => page.$eval(`#gallery li.cell[data-file="${name}"]`, (li) => ({ id: li.dataset.id, group: li.dataset.group, sub: li.dataset.subclass ?? null, by: li.dataset.subBy ?? null, kind: li.querySelector('.kind').textContent }));

async function openCellOf(page, name, withKinds = true) {
  await page.click('#tab-review');
  const { id } = await tile(page, name);
  await page.dblclick(`#gallery li.cell[data-id="${id}"]`);
  await page.waitForFunction(([i, k]) => document.getElementById('cell').dataset.id === i && (!k || document.getElementById('cell-kind')), [id, withKinds]);
}

for (const cfg of CONFIGS) {
  for (const locale of ['en-US', 'es-CO']) {
    test(`sub-classes: cell view, kind buttons, gallery, differential, exports, import, report (${cfg.name}, ${locale})`, async () => {
      const lang = locale.slice(0, 2);
      const w = W[lang];
      const { viewport, isMobile, hasTouch } = cfg;
      const { context, page, errors } = await openApp(browser, server.url, { viewport, isMobile, hasTouch, locale, acceptDownloads: true });
      page.on('dialog', (d) => d.accept());
      await page.setInputFiles('#files', files);
      await page.waitForFunction((n) => document.body.dataset.busy === '0' && document.querySelectorAll('#gallery li.cell').length === n, files.length);

      // Every counted neutrophil and ig tile carries the CLI's kind; the lymphocyte none.
      for (const f of files.map(base)) {
        const tl = await tile(page, f);
        const want = cli[f].subclass?.label ?? null;
        assert.equal(tl.sub, cli[f].label === 'lymphocyte' ? null : want, f);
        assert.equal(tl.by, want ? 'model' : null, f);
      }
      const count = (cls, sub) => files.map(base).filter((f) => cli[f].label === cls && cli[f].subclass?.label === sub).length;
      let rows = await kindRows(page);
      for (const [cls, subs] of [['neutrophil', ['band', 'segmented']], ['ig', ['promyelocyte', 'myelocyte', 'metamyelocyte']]]) {
        for (const s of subs) {
          assert.equal(rows[`${cls}/${s}`].count, count(cls, s), `${cls}/${s}`);
          assert.equal(rows[`${cls}/${s}`].pct, pctText(lang, count(cls, s) / files.length), `${cls}/${s} in % of the WBC`);
        }
        assert.ok(!rows[`${cls}/unspecified`], 'no "unspecified" row when every cell has a kind');
      }
      assert.equal(rows['neutrophil/band'].name, w.band);

      // The band neutrophil's cell view: headline, kind line with the model's probability, buttons.
      const bne = 'neutrophil_BNE_101082.jpg';
      assert.equal(cli[bne].subclass.label, 'band');
      await openCellOf(page, bne);
      assert.equal((await page.textContent('#verdict-body .pred-label')).trim(), `${w.neutrophil} — ${w.band}`);
      const line = await page.textContent('#cell-kind .kind-line');
      assert.ok(line.startsWith(`${w.kind}${w.band}`) && line.includes(w.model) && line.includes(pctText(lang, cli[bne].subclass.confidence)), line);
      assert.match(await page.textContent('#cell-kind .muted'), /\d+\s?%/, 'how often the kind is right, from the model card');
      assert.deepEqual(await page.$$eval('#cell-kind button.kind', (bs) => bs.map((b) => [b.dataset.kind, b.getAttribute('aria-pressed')])), [['band', 'true'], ['segmented', 'false']]);
      // Touch targets of the kind buttons.
      for (const h of await page.$$eval('#cell-kind button', (bs) => bs.map((b) => b.getBoundingClientRect().height))) assert.ok(h >= 44, `kind button ${h} px tall`);

      // The user sets "segmented": the view, the tile and the count follow.
      await (hasTouch ? page.tap('#cell-kind button[data-kind="segmented"]') : page.click('#cell-kind button[data-kind="segmented"]'));
      await page.waitForSelector('#cell-kind[data-by="user"][data-subclass="segmented"]');
      assert.ok((await page.textContent('#cell-kind .kind-line')).includes(w.user));
      assert.equal((await tile(page, bne)).by, 'user');
      await page.click('#tab-review');
      rows = await kindRows(page);
      assert.equal(rows['neutrophil/band'].count, count('neutrophil', 'band') - 1);
      assert.equal(rows['neutrophil/segmented'].count, count('neutrophil', 'segmented') + 1);
      // ... and goes back to the model's call.
      await openCellOf(page, bne);
      await page.click('#cell-kind-model');
      await page.waitForSelector('#cell-kind[data-by="model"][data-subclass="band"]');
      assert.equal((await page.textContent('#cell-kind-model').catch(() => null)), null, 'no way back once it is the model\'s call');
      await page.click('#cell-kind button[data-kind="segmented"]');
      await page.waitForSelector('#cell-kind[data-by="user"][data-subclass="segmented"]');

      // The lymphocyte reassigned to ig gets the model's kind for ig, not a kind set elsewhere.
      const ly = 'lymphocyte_LY_100275.jpg';
      await openCellOf(page, ly, false);
      assert.equal(await page.$('#cell-kind'), null, 'a lymphocyte has no kinds');
      const igValue = await page.$eval('#cell-confirm', (s) => [...s.options].find((o) => o.textContent.includes(s.ownerDocument.documentElement.lang === 'es' ? 'Granulocito' : 'Immature'))?.value);
      await page.selectOption('#cell-confirm', igValue);
      await page.waitForSelector('#cell-kind[data-by="model"]');
      assert.equal(cli[ly].subclass, null, 'the CLI gives the kind of the called class only: none for a lymphocyte');
      assert.ok(['promyelocyte', 'myelocyte', 'metamyelocyte'].includes(await page.getAttribute('#cell-kind', 'data-subclass')));

      // CSV: the kind columns after `error`, in the UI language's spreadsheet style.
      await page.click('#tab-review');
      const csv = await exportText(page, 'csv');
      const sep = lang === 'es' ? ';' : ',';
      const lines = csv.replace(/^\uFEFF/, '').trim().split('\r\n').map((l) => l.split(sep));
      const head = lines[0];
      assert.deepEqual(head.slice(head.indexOf('error'), head.indexOf('error') + 3), ['error', 'subclass', 'p_subclass']);
      const byFile = Object.fromEntries(lines.slice(1).map((r) => [r[0], Object.fromEntries(head.map((h, i) => [h, r[i]]))]));
      assert.equal(byFile[bne].subclass, 'segmented');
      const ig = 'ig_IG_111589.jpg';
      assert.equal(byFile[ig].subclass, cli[ig].subclass.label);
      const p = Number(cli[ig].subclass.confidence.toFixed(6));
      assert.equal(byFile[ig].p_subclass, lang === 'es' ? String(p).replace('.', ',') : String(p));

      // JSON export -> import into a new sample: the kinds and the user's choice come back.
      const json = await exportText(page, 'json');
      const doc = JSON.parse(json);
      assert.deepEqual(doc.differential.subclasses.neutrophil.segmented.count, count('neutrophil', 'segmented') + 1);
      const before = await kindRows(page);
      const dir = root + 'build/tmp/subclass/';
      mkdirSync(dir, { recursive: true });
      const path = `${dir}review-${cfg.name}-${lang}.json`;
      writeFileSync(path, json.replace(/"id": "[^"]*"/, '"id": "Kinds again"'));
      await page.click('#tab-review');
      await page.setInputFiles('#import-file', path);
      await page.waitForFunction(() => document.body.dataset.import === 'done');
      await page.waitForFunction((n) => document.querySelectorAll('#gallery li.cell').length === n, files.length);
      assert.deepEqual(await kindRows(page), before);
      assert.deepEqual(await tile(page, bne), { ...(await tile(page, bne)), sub: 'segmented', by: 'user' });

      // The printed report lists the kinds under their class.
      await page.evaluate(() => { window.print = () => {}; });
      await page.click('#report');
      await page.waitForFunction(() => document.body.dataset.report === 'ready');
      const rep = await page.$$eval('tr.r-sub', (trs) => trs.map((tr) => [tr.dataset.subclass, tr.querySelector('td').textContent]));
      assert.deepEqual(Object.fromEntries(rep), Object.fromEntries(Object.entries(before).map(([k, v]) => [k, String(v.count)])));
      assert.deepEqual(errors, []);
      await context.close();
    });
  }
}
