// The real wasm engine (web/engine/bloodcell.wasm, SIMD128 kernels) in node:
// reference logits, native-vs-wasm agreement on real images, bad input, corrupt models.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, readdirSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { loadEngine } from '../../web/engine/engine.js';

const root = new URL('../../', import.meta.url).pathname;
const wasmBinary = readFileSync(root + 'web/engine/bloodcell.wasm');
const testModel = readFileSync(root + 'tests/fixtures/random-model.bin');
const realModelPath = root + 'models/bloodcell.bin';
const fixtureDir = root + 'tests/fixtures/images/';

function imageFixtures() {
  try { return readdirSync(fixtureDir).filter((f) => /\.(jpe?g|png|bmp)$/i.test(f)).map((f) => fixtureDir + f); }
  catch { return []; }
}

test('wasm engine uses the SIMD128 kernels', async () => {
  const e = await loadEngine(testModel, { wasmBinary });
  assert.equal(e.isa, 'wasmsimd');
  assert.deepEqual(e.classes, ['basophil', 'eosinophil', 'erythroblast', 'ig', 'lymphocyte', 'monocyte', 'neutrophil', 'platelet']);
  e.free();
});

test('wasm logits equal the NumPy reference bit for bit on the random-weights model', async () => {
  const e = await loadEngine(testModel, { wasmBinary });
  const cases = readFileSync(root + 'tests/fixtures/random-model-cases.bin');
  const dv = new DataView(cases.buffer, cases.byteOffset, cases.byteLength);
  const count = dv.getUint32(0, true), S = dv.getUint32(4, true), K = dv.getUint32(8, true);
  const inLen = S * S * 3, rec = inLen + 4 * K;
  assert.equal(S, e.inputSize);
  for (let i = 0; i < count; i++) {
    const off = 12 + i * rec;
    e.forwardTensor(new Int8Array(cases.buffer, cases.byteOffset + off, inLen));
    const logits = new Float32Array(e.mod.HEAPF32.buffer, e.mod._bc_wasm_logits(e.e), K);
    const expect = new Float32Array(cases.buffer.slice(cases.byteOffset + off + inLen, cases.byteOffset + off + rec));
    assert.deepEqual(Array.from(logits), Array.from(expect), `case ${i}`);
  }
  e.free();
});

function nativeJson(model, files, extra = []) {
  let out;
  try {
    // --backend own: this project's scalar kernels, the twins of the wasm SIMD128 ones (the CLI's default is XNNPACK).
    out = execFileSync(root + 'build/native/bloodcell', ['classify', '--json', '--embedding', '--backend', 'own', ...extra, '--model', model, ...files], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  } catch (err) { out = err.stdout; }
  return out.trim().split('\n').map((l) => JSON.parse(l));
}

for (const [name, modelPath] of [['random-weights test model', root + 'tests/fixtures/random-model.bin'], ['shipped model', realModelPath]]) {
  test(`native CLI and wasm give identical logits on fixture images (${name})`, async (t) => {
    let model;
    try { model = readFileSync(modelPath); } catch { t.skip(`${modelPath} is not trained yet (scripts/model/train.py)`); return; }
    const files = imageFixtures();
    assert.ok(files.length >= 4, 'image fixtures present');
    const native = nativeJson(modelPath, files);
    const e = await loadEngine(model, { wasmBinary });
    for (let i = 0; i < files.length; i++) {
      const r = e.classify(readFileSync(files[i]));
      assert.ok(r.ok, `${files[i]}: ${r.error}`);
      assert.equal(native[i].label, r.label, files[i]);
      assert.deepEqual(native[i].logits, Array.from(r.logits).map((x) => Number(x.toPrecision(9))), files[i]);
      const embDiff = Math.max(...native[i].embedding.map((x, j) => Math.abs(x - r.embedding[j])));
      assert.ok(embDiff < 1e-5, `embedding differs by ${embDiff}`);
    }
    e.free();
  });
}

test('careful mode (8 dihedral views): native CLI --tta and wasm give identical logits, unlike a single view', async (t) => {
  let model;
  try { model = readFileSync(realModelPath); } catch { t.skip(`${realModelPath} is not trained yet (scripts/model/train.py)`); return; }
  const files = imageFixtures().slice(0, 4);
  const native = nativeJson(realModelPath, files, ['--tta']);
  const single = nativeJson(realModelPath, files);
  const e = await loadEngine(model, { wasmBinary });
  e.setCareful(true);
  let differs = 0;
  for (let i = 0; i < files.length; i++) {
    const r = e.classify(readFileSync(files[i]));
    assert.ok(r.ok, `${files[i]}: ${r.error}`);
    assert.deepEqual(native[i].logits, Array.from(r.logits).map((x) => Number(x.toPrecision(9))), files[i]);
    differs += native[i].logits.some((x, k) => x !== single[i].logits[k]) ? 1 : 0;
  }
  assert.equal(differs, files.length, 'every careful result differs from the single view');
  e.setCareful(false);
  const r = e.classify(readFileSync(files[0]));
  assert.deepEqual(single[0].logits, Array.from(r.logits).map((x) => Number(x.toPrecision(9))), 'careful mode off again');
  e.free();
});

test('bad images get a clear error and the batch goes on', async () => {
  const e = await loadEngine(testModel, { wasmBinary });
  const good = readFileSync(imageFixtures()[0]);
  const cases = [
    ['empty', new Uint8Array(0), /empty/],
    ['text', new TextEncoder().encode('hello, this is not an image at all'), /not an image/],
    ['truncated JPEG', good.subarray(0, Math.floor(good.length / 2)), /truncated/i],
    ['random bytes with a JPEG magic', Uint8Array.from([0xff, 0xd8, 0xff, ...Array.from({ length: 500 }, (_, i) => (i * 7919) & 255)]), /./],
  ];
  const before = e.classify(good);
  for (const [what, bytes, re] of cases) {
    const r = e.classify(bytes);
    assert.equal(r.ok, false, what);
    assert.match(r.error, re, `${what}: "${r.error}"`);
    const after = e.classify(good);
    assert.ok(after.ok);
    assert.deepEqual(Array.from(after.logits), Array.from(before.logits), `results after ${what} unchanged`);
  }
  e.free();
});

test('corrupt and truncated model files are refused with a message', async () => {
  const bad = new Uint8Array(testModel);
  bad[1000] ^= 0x40;
  await assert.rejects(loadEngine(bad, { wasmBinary }), /checksum/);
  await assert.rejects(loadEngine(testModel.subarray(0, 5000), { wasmBinary }), /truncated|bytes/);
  await assert.rejects(loadEngine(new Uint8Array(0), { wasmBinary }), /empty/);
});

test('classifying many images does not grow the wasm heap', async () => {
  const e = await loadEngine(testModel, { wasmBinary });
  const imgs = imageFixtures().map((f) => readFileSync(f));
  for (const b of imgs) e.classify(b);
  const heap0 = e.heapBytes();
  for (let i = 0; i < 300; i++) e.classify(imgs[i % imgs.length]);
  assert.equal(e.heapBytes(), heap0);
  e.free();
});

test('wasm preprocessing (SIMD resample) equals the Pillow reference byte for byte', async (t) => {
  const dir = root + 'tests/fixtures/preprocess/';
  const e = await loadEngine(readFileSync(realModelPath), { wasmBinary });
  const S = e.inputSize;
  const rows = readFileSync(dir + 'manifest.tsv', 'utf8').split('\n').filter((l) => l && !l.startsWith('#'))
    .map((l) => l.split('\t')).filter(([, s, how]) => Number(s) === S && how === 'exact');
  assert.ok(rows.length >= 5, `exact ${S} px references in the manifest: ${rows.length}`);
  for (const [file] of rows) {
    const bytes = readFileSync(dir + file);
    const p = e._stage(bytes);
    assert.equal(e.mod._bc_wasm_preprocess(e.e, p, bytes.length), 0, file);
    const want = readFileSync(`${dir}${file}.s${S}.u8`), got = e.rgb();
    let diff = 0;
    for (let i = 0; i < want.length; i++) diff += want[i] !== got[i];
    assert.equal(diff, 0, `${file}: ${diff} of ${want.length} bytes differ from Pillow`);
  }
  t.diagnostic(`${rows.length} images at ${S} px`);
  e.free();
});
