// The CLI's lab summary and OOD rule against the app's own modules, in node:
//  - `bloodcell classify --summary --json` on a folder with platelets, erythroblasts, a low-confidence
//    cell, a non-cell image and bad files equals web/differential.js's differential() applied to the
//    CLI's own per-image `confirmed` groups, and the numbers worked out by hand below;
//  - the C kNN OOD score and map position equal web/refmap.js's RefMap.place, on the CLI's embedding
//    and on the real wasm engine's embedding of the same image (the app's path).
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, readdirSync, mkdirSync, rmSync, copyFileSync, writeFileSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { differential } from '../../web/differential.js';
import { RefMap, decodeEmbeddings } from '../../web/refmap.js';
import { loadEngine } from '../../web/engine/engine.js';

const root = new URL('../../', import.meta.url).pathname;
const CLI = root + 'build/native/bloodcell';
const dir = root + 'build/tmp/cli-summary/';
const CLASSES = ['basophil', 'eosinophil', 'erythroblast', 'ig', 'lymphocyte', 'monocyte', 'neutrophil', 'platelet'];

// The CLI's stdout (it exits 1 when a file failed, as here).
function cli(args) {
  try {
    return execFileSync(CLI, ['classify', ...args], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], maxBuffer: 64 << 20 });
  } catch (err) {
    if (err.status !== 1) throw err;
    return err.stdout;
  }
}
const jsonLines = (text) => text.trim().split('\n').map((l) => JSON.parse(l));
// The group differential() counts a cell in: the CLI's confirmed, or 'failed' for an error line.
const groupOf = (l) => (l.error !== undefined ? 'failed' : l.confirmed);
// The kind it is counted with: the called class's sub-class when counted in that class, else none.
const subgroupOf = (l) => (l.error === undefined && l.subclass && l.confirmed === l.label ? l.subclass.label : null);

// The true class of a cell from its file name (fixture: class_ID.jpg, example: class-N.jpg).
const trueClass = (file) => CLASSES.find((k) => file.split('/').pop().startsWith(k));

before(() => {
  rmSync(dir, { recursive: true, force: true });
  for (const sub of ['fixtures', 'examples/set b', 'odd']) mkdirSync(dir + sub, { recursive: true });
  for (const f of readdirSync(root + 'tests/fixtures/images').filter((f) => f.endsWith('.jpg'))) copyFileSync(root + 'tests/fixtures/images/' + f, dir + 'fixtures/' + f);
  // the single-cell examples (field-* are whole-field photos)
  for (const f of readdirSync(root + 'web/examples').filter((f) => f.endsWith('.jpg') && !f.startsWith('field-'))) copyFileSync(root + 'web/examples/' + f, dir + 'examples/set b/' + f);
  copyFileSync(root + 'tests/fixtures/ambiguous/lymphocyte-monocyte-blend.jpg', dir + 'odd/blend.jpg');
  copyFileSync(root + 'tests/fixtures/noncell/flat-grey.png', dir + 'odd/flat-grey.png');
  writeFileSync(dir + 'odd/not-an-image.jpg', 'this is text, not a JPEG');
  const jpg = readFileSync(root + 'tests/fixtures/images/platelet_PLATELET_101132.jpg');
  writeFileSync(dir + 'odd/truncated.jpg', jpg.subarray(0, jpg.length >> 1));
  writeFileSync(dir + 'odd/notes.txt', 'skipped: not an image name');
});

test('the folder is called as the app calls it: 24 known cells, one unidentified, one excluded, two failed', () => {
  const lines = jsonLines(cli(['--json', dir]));
  assert.equal(lines.length, 28, 'notes.txt is skipped, every image has a line');
  const byName = Object.fromEntries(lines.map((l) => [l.file.slice(dir.length), l]));
  for (const l of lines.filter((x) => trueClass(x.file))) assert.equal(groupOf(l), trueClass(l.file), `${l.file}: ${l.confidence}, ${l.flags}`);
  assert.equal(byName['odd/blend.jpg'].confirmed, 'unidentified');
  assert.deepEqual(byName['odd/blend.jpg'].flags, ['low_confidence']);
  assert.equal(byName['odd/flat-grey.png'].confirmed, 'excluded');
  assert.ok(byName['odd/flat-grey.png'].flags.includes('out_of_distribution'));
  assert.match(byName['odd/not-an-image.jpg'].error, /^not an image/);
  assert.match(byName['odd/truncated.jpg'].error, /truncated/);
});

for (const [opts, args] of [[{}, []], [{ target: 200, wbcTotal: 7.5 }, ['--target', '200', '--wbc', '7.5']]]) {
  test(`--summary --json equals differential() on the CLI's own groups and the numbers by hand (${args.join(' ') || 'defaults'})`, () => {
    const out = jsonLines(cli(['--json', '--summary', ...args, dir]));
    const last = out.pop();
    assert.deepEqual(Object.keys(last), ['summary']);
    const s = last.summary;
    // The same keys in the same order, and the same values, as the app's module.
    const expected = differential(out.map(groupOf), { ...opts, classes: CLASSES, subgroups: out.map(subgroupOf) });
    assert.deepEqual(Object.keys(s), Object.keys(expected));
    assert.deepEqual(s, expected);
    // By hand: 3 cells of each class (one fixture, two examples); 6 leukocyte classes -> 18 WBC.
    assert.equal(s.total, 28);
    assert.equal(s.wbc, 18);
    assert.equal(s.target, opts.target || 100);
    for (const k of ['neutrophil', 'lymphocyte', 'monocyte', 'eosinophil', 'basophil', 'ig']) {
      assert.equal(s.differential[k].count, 3);
      assert.ok(Math.abs(s.differential[k].percent - 100 / 6) < 1e-12, `${k} ${s.differential[k].percent}`);
    }
    assert.equal(s.nrbc, 3);                                   // erythroblasts, never in the WBC
    assert.ok(Math.abs(s.nrbc_per_100_wbc - 100 * 3 / 18) < 1e-12);
    assert.equal(s.platelets, 3);                              // apart
    assert.equal(s.unidentified, 1);
    assert.equal(s.excluded, 1);
    assert.equal(s.failed, 2);
    assert.equal(s.other, 0);
    // The kinds add up to their class; each is a share of the WBC.
    for (const [k, kinds] of Object.entries(s.subclasses)) {
      assert.equal(Object.values(kinds).reduce((a, x) => a + x.count, 0), s.differential[k].count, k);
      for (const x of Object.values(kinds)) assert.ok(Math.abs(x.percent - (100 * x.count) / 18) < 1e-12);
    }
    assert.equal(s.subclasses.neutrophil.unspecified.count, 0);
    if (opts.wbcTotal) {
      // 7.5 * 100 / (100 + 16.67) = 7.5 * 6 / 7 = 45/7; each class a sixth of it: 15/14.
      assert.equal(s.wbc_total, 7.5);
      assert.ok(Math.abs(s.wbc_corrected - 45 / 7) < 1e-12, String(s.wbc_corrected));
      for (const v of Object.values(s.absolute)) assert.ok(Math.abs(v - 15 / 14) < 1e-12, String(v));
    } else {
      assert.equal(s.wbc_total, null);
      assert.equal(s.wbc_corrected, null);
      assert.equal(s.absolute, null);
    }
  });
}

test('the C kNN OOD score and map position equal web/refmap.js, on the CLI and the wasm embeddings', async () => {
  const map = JSON.parse(readFileSync(root + 'models/reference-map.json', 'utf8'));
  const [n, dim] = map.embeddings.shape;
  const bytes = readFileSync(root + 'models/' + map.embeddings.file);
  const refmap = new RefMap(map, decodeEmbeddings(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength), n, dim));
  const files = [...readdirSync(dir + 'fixtures').map((f) => dir + 'fixtures/' + f), dir + 'odd/blend.jpg', dir + 'odd/flat-grey.png',
    ...readdirSync(root + 'tests/fixtures/noncell').filter((f) => !f.endsWith('.md')).map((f) => root + 'tests/fixtures/noncell/' + f)];
  const lines = jsonLines(cli(['--json', '--embedding', ...files]));
  const engine = await loadEngine(readFileSync(root + 'models/bloodcell.bin'), { wasmBinary: readFileSync(root + 'web/engine/bloodcell.wasm') });
  let maxCli = 0, maxWasm = 0, flagged = 0;
  for (const l of lines) {
    assert.ok(l.embedding, `${l.file}: ${l.error}`);
    const fromCli = refmap.place(Float32Array.from(l.embedding));
    const r = engine.classify(readFileSync(l.file));
    assert.ok(r.ok, r.error);
    const fromApp = refmap.place(r.embedding);
    for (const [p, what] of [[fromCli, 'CLI embedding'], [fromApp, 'wasm embedding']]) {
      const d = Math.max(Math.abs(p.score - l.ood_score), Math.abs(p.x - l.map_xy[0]), Math.abs(p.y - l.map_xy[1]));
      assert.ok(d < 1e-5, `${l.file}: C ${l.ood_score} (${l.map_xy}) vs refmap.js on the ${what} ${p.score} (${p.x}, ${p.y})`);
      assert.equal(l.flags.includes('out_of_distribution'), p.flagged, `${l.file} flagged (${what})`);
      if (what === 'CLI embedding') maxCli = Math.max(maxCli, d); else maxWasm = Math.max(maxWasm, d);
    }
    flagged += fromApp.flagged;
  }
  engine.free();
  console.log(`# ${lines.length} images: largest difference C vs refmap.js ${maxCli.toExponential(2)} (CLI embedding, printed to 6 digits), ${maxWasm.toExponential(2)} (wasm embedding)`);
  assert.ok(flagged >= 6 && flagged < lines.length, `some flagged, some not (${flagged} of ${lines.length})`);
});
