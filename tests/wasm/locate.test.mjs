// The whole-field locator in the real wasm engine (node): the same boxes as the native CLI (bit-exact integer
// pipeline), the same probabilities per cell with the CLI's own kernels, EXIF orientation applied, bad input.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { loadEngine } from '../../web/engine/engine.js';

const root = new URL('../../', import.meta.url).pathname;
const wasmBinary = readFileSync(root + 'web/engine/bloodcell.wasm');
const model = readFileSync(root + 'models/bloodcell.bin');
const F = root + 'tests/fixtures/fields/';
const files = ['bcdd-image-1.png', 'pig-389_JPG.jpg', 'pig-q95.jpg', 'pig-exif6.jpg'].map((f) => F + f);

function native(paths) {
  const out = execFileSync(root + 'build/native/bloodcell', ['locate', '--json', '--backend', 'own', '--model', root + 'models/bloodcell.bin', ...paths]);
  return out.toString().trim().split('\n').map((l) => JSON.parse(l));
}

test('wasm locate = native locate: boxes, sizes, orientation, ruler and every probability', async () => {
  const e = await loadEngine(model, { wasmBinary });
  const nat = native(files);
  for (let i = 0; i < files.length; i++) {
    const f = e.locateField(readFileSync(files[i]));
    assert.ok(f.ok, f.error);
    assert.equal(f.width, nat[i].width);
    assert.equal(f.height, nat[i].height);
    assert.equal(f.orientation, nat[i].orientation);
    assert.equal(f.rbcDiameterPx, nat[i].scale.rbc_diameter_px);
    assert.deepEqual(f.cells.map((c) => c.box), nat[i].cells.map((c) => c.box), files[i]);
    assert.deepEqual(f.cells.map((c) => c.nucleus), nat[i].cells.map((c) => c.nucleus));
    f.cells.forEach((c, j) => {
      const r = e.classifyFieldCell(c.box);
      assert.ok(r.ok);
      assert.equal(r.label, nat[i].cells[j].label);
      for (const k of e.classes) assert.equal(r.probs[k], Math.fround(nat[i].cells[j].probs[k]), `${files[i]} cell ${j} ${k}`);
    });
  }
  e.free();
});

test('EXIF orientation: the rotated photo gives the upright one\'s boxes, pixels shown upright', async () => {
  const e = await loadEngine(model, { wasmBinary });
  const a = e.locateField(readFileSync(F + 'pig-q95.jpg'));
  const pa = e.fieldPixels();
  const b = e.locateField(readFileSync(F + 'pig-exif6.jpg'));
  const pb = e.fieldPixels();
  assert.equal(b.orientation, 6);
  assert.deepEqual(b.cells.map((c) => c.box), a.cells.map((c) => c.box));
  assert.equal(pb.width, pa.width);
  let diff = 0;
  for (let i = 0; i < pa.data.length; i += 4) diff += Math.abs(pa.data[i] - pb.data[i]);
  assert.ok(diff / (pa.data.length / 4) < 3, `mean red difference ${diff / (pa.data.length / 4)}`);   // JPEG re-encoding only
  e.free();
});

test('bad input to the locator: clear errors, and the engine goes on', async () => {
  const e = await loadEngine(model, { wasmBinary });
  assert.match(e.locateField(new Uint8Array(0)).error, /empty file/);
  assert.match(e.locateField(new TextEncoder().encode('not an image')).error, /not an image/);
  const jpg = readFileSync(F + 'pig-389_JPG.jpg');
  assert.match(e.locateField(jpg.subarray(0, 4000)).error, /truncated/);
  const r = e.classifyFieldCell([0, 0, 10, 10]);
  assert.equal(r.ok, false);   // the failed load left no field
  assert.match(r.error, /no field loaded/);
  const f = e.locateField(readFileSync(F + 'bcdd-image-1.png'));
  assert.equal(f.cells.length, 1);
  assert.equal(e.classifyFieldCell([5, 5, 5, 9]).ok, false);   // an empty box
  e.releaseField();
  assert.equal(e.fieldPixels(), null);
  e.free();
});

test('a field from decoded pixels gives the same cells and probabilities as from its file', async () => {
  const e = await loadEngine(model, { wasmBinary });
  const a = e.locateField(readFileSync(F + 'pig-389_JPG.jpg'));
  const px = e.fieldPixels();
  const pa = a.cells.map((c) => e.classifyFieldCell(c.box).probsArray);
  const b = e.locateFieldPixels(px.data, px.width, px.height);
  assert.ok(b.ok);
  assert.deepEqual(b.cells, a.cells);
  b.cells.forEach((c, i) => assert.deepEqual(e.classifyFieldCell(c.box).probsArray, pa[i]));
  assert.match(e.locateFieldPixels(new Uint8Array(4), 0, 1).error, /no pixels/);
  assert.match(e.locateFieldPixels(new Uint8Array(4), 20000, 1).error, /too large/);
  e.free();
});
