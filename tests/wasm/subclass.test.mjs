// Model format version 2 (sub-classes) in the real wasm engine: the same sub-class call and probabilities as
// the native CLI on the random-weights v2 fixture; a version-1 model reports none.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, readdirSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { loadEngine } from '../../web/engine/engine.js';

const root = new URL('../../', import.meta.url).pathname;
const wasmBinary = readFileSync(root + 'web/engine/bloodcell.wasm');
const subModel = root + 'tests/fixtures/random-model-sub.bin';
const dir = root + 'tests/fixtures/images/';
const images = readdirSync(dir).filter((f) => /\.jpe?g$/i.test(f)).map((f) => dir + f);

test('sub-classes: wasm = native CLI, null for a class without sub-classes, probabilities within a class sum to 1', async () => {
  const e = await loadEngine(readFileSync(subModel), { wasmBinary });
  assert.deepEqual(e.subclasses.map((s) => `${s.parent}/${s.id}`),
    ['ig/promyelocyte', 'ig/myelocyte', 'ig/metamyelocyte', 'neutrophil/band', 'neutrophil/segmented']);
  const out = execFileSync(root + 'build/native/bloodcell', ['classify', '--json', '--backend', 'own', '--map', 'none',
    '--threshold', '0.5', '--model', subModel, ...images]).toString().trim().split('\n').map((l) => JSON.parse(l));
  let withSub = 0;
  images.forEach((f, i) => {
    const r = e.classify(readFileSync(f));
    assert.equal(r.label, out[i].label);
    const has = r.label === 'ig' || r.label === 'neutrophil';
    assert.equal(r.subclass === null, !has, f);
    assert.equal(out[i].subclass === null, !has);
    if (has) {
      withSub++;
      assert.equal(r.subclass.label, out[i].subclass.label);
      for (const [k, p] of Object.entries(out[i].subclass.probs)) assert.equal(r.subclass.probs[k], Math.fround(p));
      const s = Object.values(r.subclass.probs).reduce((a, b) => a + b, 0);
      assert.ok(Math.abs(s - 1) < 1e-5, `sum ${s}`);
    }
  });
  assert.ok(images.length >= 4);
  e.free();
  console.log(`# ${images.length} images, ${withSub} called ig or neutrophil with a sub-class`);
});

test('a version-1 model has no sub-classes', async () => {
  const e = await loadEngine(readFileSync(root + 'tests/fixtures/random-model.bin'), { wasmBinary });
  assert.deepEqual(e.subclasses, []);
  const r = e.classify(readFileSync(images[0]));
  assert.equal(r.subclass, null);
  assert.equal(r.subprobsArray.length, 0);
  e.free();
});

test('the shipped model: its kinds, the same calls as the CLI, every kind\'s probability within its class', async () => {
  const e = await loadEngine(readFileSync(root + 'models/bloodcell.bin'), { wasmBinary });
  assert.deepEqual(e.subclasses.map((s) => `${s.parent}/${s.id}`),
    ['ig/promyelocyte', 'ig/myelocyte', 'ig/metamyelocyte', 'neutrophil/band', 'neutrophil/segmented']);
  const cli = execFileSync(root + 'build/native/bloodcell', ['classify', '--json', '--backend', 'own', ...images], { encoding: 'utf8' })
    .trim().split('\n').map((l) => JSON.parse(l));
  images.forEach((f, i) => {
    const r = e.classify(readFileSync(f));
    assert.deepEqual(r.subclass ? r.subclass.label : null, cli[i].subclass ? cli[i].subclass.label : null, f);
    if (r.subclass) assert.ok(Math.abs(r.subclass.confidence - cli[i].subclass.confidence) < 1e-6, f);
    for (const parent of ['ig', 'neutrophil']) {
      const sum = e.subclasses.reduce((acc, s, j) => acc + (s.parent === parent ? r.subprobsArray[j] : 0), 0);
      assert.ok(Math.abs(sum - 1) < 1e-5, `${f} ${parent} ${sum}`);
    }
  });
  e.free();
});
