// The app's own TIFF decoding (web/decode.js with the real UTIF.js from npm, web/vendor/utif.js) and the
// engine's pixel entry point, in node with the real wasm engine: a TIFF's pixels classify exactly as the
// same pixels in a PNG do through the engine's own decoder; 16-bit and 12-bit-in-16 TIFFs give the 8-bit
// pixels; what the decoder cannot read is refused by name. Fixtures: tests/fixtures/formats/.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { loadEngine } from '../../web/engine/engine.js';

globalThis.self ??= globalThis;    // UTIF.js and pako set their globals on self, as in the worker
const { decodeTiff, pixelFormat, toRGBA } = await import('../../web/decode.js');

const root = new URL('../../', import.meta.url).pathname;
const fx = (f) => new Uint8Array(readFileSync(root + 'tests/fixtures/formats/' + f));
const wasmBinary = readFileSync(root + 'web/engine/bloodcell.wasm');
let model;
try { model = readFileSync(root + 'models/bloodcell.bin'); } catch { model = readFileSync(root + 'tests/fixtures/random-model.bin'); }

test('formats are told apart by their first bytes', () => {
  assert.equal(pixelFormat(fx('neutrophil.webp')), 'webp');
  assert.equal(pixelFormat(fx('neutrophil.gif')), 'gif');
  assert.equal(pixelFormat(fx('neutrophil-rgb8.tif')), 'tiff');
  assert.equal(pixelFormat(fx('neutrophil-rgb16be.tif')), 'tiff');
  assert.equal(pixelFormat(fx('neutrophil.png')), null, 'PNG stays with the engine');
  assert.equal(pixelFormat(fx('photo.heic')), null, 'HEIC goes to the engine, which names it');
  const avif = new Uint8Array([0, 0, 0, 0x1c, ...new TextEncoder().encode('ftypavif\0\0\0\0avifmif1miaf')]);
  assert.equal(pixelFormat(avif), 'avif');
  const heifAvif = new Uint8Array([0, 0, 0, 0x1c, ...new TextEncoder().encode('ftypmif1\0\0\0\0mif1avifmiaf')]);
  assert.equal(pixelFormat(heifAvif), 'avif');
});

test('8-bit, 16-bit big-endian and 12-bit-in-16 TIFFs decode to the same 8-bit pixels', async () => {
  const rgb8 = await decodeTiff(fx('neutrophil-rgb8.tif'));
  const rgb16 = await decodeTiff(fx('neutrophil-rgb16be.tif'));
  assert.ok(rgb8.ok && rgb16.ok, `${rgb8.error} ${rgb16.error}`);
  assert.deepEqual([rgb8.width, rgb8.height], [360, 363]);
  assert.deepEqual([rgb16.width, rgb16.height], [360, 363]);
  assert.ok(Buffer.from(rgb8.rgba).equals(Buffer.from(rgb16.rgba)), '16-bit RGB (v*257) gives v');
  const g8 = await decodeTiff(fx('neutrophil-grey8.tif'));
  const g12 = await decodeTiff(fx('neutrophil-grey12in16.tif'));
  assert.ok(g8.ok && g12.ok, `${g8.error} ${g12.error}`);
  assert.ok(Buffer.from(g8.rgba).equals(Buffer.from(g12.rgba)), '12-bit values in 16-bit samples (v*16) give v, not v/16');
  for (let i = 0; i < 1000; i += 4) assert.ok(g8.rgba[i] === g8.rgba[i + 1] && g8.rgba[i] === g8.rgba[i + 2] && g8.rgba[i + 3] === 255);
});

test('16-bit samples keep their top 8 bits in use', () => {
  const le = (vals) => new Uint8Array(new Uint16Array(vals).buffer);
  assert.deepEqual([...toRGBA(le([65535, 256, 0]), 3, 1, 16, true)].filter((_, i) => i % 4 === 0), [255, 1, 0]);
  assert.deepEqual([...toRGBA(le([4095, 16, 0]), 3, 1, 16, true)].filter((_, i) => i % 4 === 0), [255, 1, 0]);
  assert.deepEqual([...toRGBA(le([200, 3]), 2, 1, 16, true)].filter((_, i) => i % 4 === 0), [200, 3], 'values under 256 stay');
});

test('a TIFF the decoder cannot read is refused by name', async () => {
  const r = await decodeTiff(fx('float32.tif'));
  assert.equal(r.ok, false);
  assert.equal(r.error, 'TIFF with 32-bit floating-point samples is not supported: save as an 8-bit RGB TIFF, JPEG or PNG');
  const cut = await decodeTiff(fx('neutrophil-rgb8.tif').slice(0, 6));
  assert.equal(cut.ok, false);
  assert.match(cut.error, /^corrupt TIFF|^truncated TIFF/);
});

test('a TIFF classifies exactly as the same pixels in a PNG', async () => {
  const e = await loadEngine(model, { wasmBinary });
  const png = e.classify(fx('neutrophil.png'));
  assert.ok(png.ok, png.error);
  for (const f of ['neutrophil-rgb8.tif', 'neutrophil-rgb16be.tif']) {
    const d = await decodeTiff(fx(f));
    const r = e.classifyPixels(d.rgba, d.width, d.height);
    assert.ok(r.ok, r.error);
    assert.equal(r.label, png.label, f);
    assert.deepEqual([...r.probsArray], [...png.probsArray], `${f}: the same probabilities`);
  }
  const heic = e.classify(fx('photo.heic'));
  assert.equal(heic.ok, false);
  assert.equal(heic.error, 'HEIC images are not supported: save as JPEG or PNG');
  e.free();
});
