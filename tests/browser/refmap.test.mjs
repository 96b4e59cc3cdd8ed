// The page places each cell on the reference map and scores it out of distribution exactly by the
// rule in reference-map.json: the same numbers as the Python implementation (build_reference_map.py's
// knn_place) on the native CLI's embeddings. Non-cell images are flagged, shown with the warning and
// kept out of the differential.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { root, startServer, launchBrowser, openApp, fixtureImages, differential } from './helpers.mjs';

let server, browser;
before(async () => { server = await startServer(); browser = await launchBrowser(); });
after(async () => { await browser?.close(); server?.close(); });

const noncell = readdirSync(root + 'tests/fixtures/noncell').filter((f) => /\.(jpg|png)$/.test(f)).map((f) => root + 'tests/fixtures/noncell/' + f);

const PY = `
import json, sys
import numpy as np
sys.path.insert(0, 'scripts/model')
from map_layout import knn_place, l2n
m = json.load(open('web/models/reference-map.json'))
n, dim = m['embeddings']['shape']
ref = np.fromfile('web/models/reference-embeddings.bin', dtype='<f2').astype(np.float32).reshape(n, dim)
xy = np.array([[p['x'], p['y']] for p in m['points']], dtype=np.float64)
rows = [json.loads(l) for l in sys.stdin if l.strip()]
q = l2n(np.array([r['embedding'] for r in rows], dtype=np.float32))
pos, score, idx = knn_place(q, ref, xy, m['knn']['k'])
thr = m['ood']['threshold']
print(json.dumps({r['file'].split('/')[-1]: {'x': float(p[0]), 'y': float(p[1]), 'score': float(s), 'flagged': bool(s > thr)} for r, p, s in zip(rows, pos, score)}))
`;

test('map position and OOD score equal the documented rule (Python reference); non-cells are flagged and excluded', async () => {
  const map = JSON.parse(readFileSync(root + 'web/models/reference-map.json', 'utf8'));
  const files = [...fixtureImages, ...noncell];
  const cli = execFileSync(root + 'build/native/bloodcell', ['classify', '--json', '--embedding', '--model', root + 'web/models/bloodcell.bin', ...files], { encoding: 'utf8' });
  const expected = JSON.parse(execFileSync('/usr/bin/python3', ['-c', PY], { cwd: root, input: cli, encoding: 'utf8' }));

  const { context, page, errors } = await openApp(browser, server.url);
  await page.setInputFiles('#files', files);
  await page.waitForFunction((n) => document.body.dataset.busy === '0' && document.querySelectorAll('#gallery li.cell').length === n, files.length);
  const cells = await page.$$eval('#gallery li.cell', (lis) => lis.map((li) => ({ file: li.dataset.file, ood: li.dataset.ood && JSON.parse(li.dataset.ood), group: li.dataset.group })));
  let flagged = 0;
  for (const c of cells) {
    const e = expected[c.file];
    assert.ok(e && c.ood, `${c.file}: expected ${JSON.stringify(e)}, page ${JSON.stringify(c.ood)}`);
    assert.ok(Math.abs(c.ood.x - e.x) < 1e-4 && Math.abs(c.ood.y - e.y) < 1e-4, `${c.file} position ${c.ood.x},${c.ood.y} vs ${e.x},${e.y}`);
    assert.ok(Math.abs(c.ood.score - e.score) < 1e-5, `${c.file} score ${c.ood.score} vs ${e.score}`);
    if (Math.abs(e.score - map.ood.threshold) > 1e-5) assert.equal(c.ood.flagged, e.flagged, `${c.file} flag`);
    if (c.ood.flagged) { flagged++; assert.equal(c.group, 'excluded', `${c.file} excluded`); }
  }
  // The shipped threshold flags the generated non-cell images the map was calibrated on.
  const nonFlagged = cells.filter((c) => noncell.some((f) => f.endsWith('/' + c.file)) && c.ood.flagged).length;
  assert.ok(nonFlagged >= noncell.length - 1, `${nonFlagged} of ${noncell.length} non-cell images flagged`);
  const d = await differential(page);
  assert.equal(d.excluded, flagged);
  assert.match(await page.textContent('#diff .diff-note'), new RegExp(`${flagged} excluded`));
  // The cell view says so plainly.
  const nc = cells.find((c) => c.ood.flagged);
  await page.dblclick(`#gallery li.cell[data-file="${nc.file}"]`);
  await page.waitForSelector('#cell .ood-warning');
  assert.match(await page.textContent('#cell .ood-warning'), /This image does not look like the single-cell images the model was trained on \(how unlike: [\d.]+; above [\d.]+ a cell is not counted\)/);
  assert.equal((await page.textContent('#cell .prediction')).trim(), 'Not counted');
  assert.deepEqual(errors, []);
  await context.close();
});
