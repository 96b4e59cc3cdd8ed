// Scale-aware framing (resize mode 1) in the real wasm module: native = wasm bit for bit (the frame result and
// the S x S RGB the model sees), the pixel API, and mode 0's report. Native side: build/native/test_frame --json.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, readdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { execFileSync } from 'node:child_process';
import { loadEngine } from '../../web/engine/engine.js';

const root = new URL('../../', import.meta.url).pathname;
const wasmBinary = readFileSync(root + 'web/engine/bloodcell.wasm');
const testFrame = root + 'build/native/test_frame';

function crc32(bytes) {
  let c, crc = 0xffffffff;
  for (const b of bytes) {
    c = (crc ^ b) & 0xff;
    for (let k = 0; k < 8; k++) c = c & 1 ? (c >>> 1) ^ 0xedb88320 : c >>> 1;
    crc = (crc >>> 8) ^ c;
  }
  return (crc ^ 0xffffffff) >>> 0;
}

// The random-weights test model with its resize mode field (models/FORMAT.md) set, CRC recomputed.
function withResizeMode(model, mode) {
  const b = new Uint8Array(model);
  const dv = new DataView(b.buffer, b.byteOffset, b.byteLength);
  let o = 16;
  o += 4 + dv.getUint32(o, true);                  // name
  const k = dv.getUint32(o, true); o += 4;
  for (let i = 0; i < k; i++) o += 4 + dv.getUint32(o, true);
  o += 4;                                          // input size
  dv.setUint32(o, mode, true);
  dv.setUint32(12, crc32(b.subarray(16)), true);
  return b;
}

function fnv1a(bytes) {
  let h = 0xcbf29ce484222325n;
  for (const x of bytes) { h ^= BigInt(x); h = (h * 0x100000001b3n) & 0xffffffffffffffffn; }
  return h.toString(16).padStart(16, '0');
}

// 24-bit bottom-up BMP (what test_frame --synth writes) -> RGBA
function bmpToRgba(bytes) {
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const off = dv.getUint32(10, true), w = dv.getInt32(18, true), h = dv.getInt32(22, true), row = (w * 3 + 3) & ~3;
  const out = new Uint8Array(w * h * 4);
  for (let y = 0; y < h; y++)
    for (let x = 0; x < w; x++) {
      const s = off + (h - 1 - y) * row + x * 3, d = (y * w + x) * 4;
      out[d] = bytes[s + 2]; out[d + 1] = bytes[s + 1]; out[d + 2] = bytes[s]; out[d + 3] = 255;
    }
  return { rgba: out, w, h };
}

function inputs(dir) {
  const fx = root + 'tests/fixtures/images/';
  const pre = root + 'tests/fixtures/preprocess/';
  return [
    ...readdirSync(fx).filter((f) => f.endsWith('.jpg')).map((f) => fx + f),
    ...readdirSync(root + 'tests/fixtures/frame/').filter((f) => /\.(jpg|png)$/.test(f)).map((f) => root + 'tests/fixtures/frame/' + f),
    pre + 'pbc_neutrophil_SNE_814256.jpg', pre + 'rgba_50x50.png', pre + 'grey_45x40.png', pre + 'rgb_1x1.png',
    pre + 'rgb_300x97.png', pre + 'palette_trns_39x41.png', pre + 'rgba_40x40.bmp',
    ...readdirSync(dir).map((f) => dir + '/' + f),
  ];
}

test('resize mode 1: native and wasm give the same frame and the same model input, bit for bit', async (t) => {
  const dir = mkdtempSync(tmpdir() + '/bc-frame-');
  try {
    execFileSync(testFrame, ['--synth', dir]);
    const files = inputs(dir);
    const model = withResizeMode(readFileSync(root + 'tests/fixtures/random-model.bin'), 1);
    const e = await loadEngine(model, { wasmBinary });
    assert.equal(e.mod._bc_wasm_resize_mode(e.e), 1);
    const native = execFileSync(testFrame, ['--json', String(e.inputSize), ...files], { encoding: 'utf8' })
      .trim().split('\n').map((l) => JSON.parse(l));
    const paths = {};
    for (let i = 0; i < files.length; i++) {
      const r = e.classify(readFileSync(files[i]));
      assert.ok(r.ok, `${files[i]}: ${r.error}`);
      assert.equal(native[i].status, 0, files[i]);
      const frame = Array.from(new Int32Array(e.mod.HEAP32.buffer, e.mod._bc_wasm_frame(e.e), 16));
      assert.deepEqual(frame, native[i].frame, `${files[i]}: frame result`);
      assert.equal(fnv1a(e.rgb()), native[i].rgb_fnv1a, `${files[i]}: the ${e.inputSize}px RGB the model sees`);
      const f = e.frame();
      paths[f.path] = (paths[f.path] || 0) + 1;
    }
    assert.ok(paths.rbc >= 8 && paths.cell >= 1 && paths.centre >= 1, `every path exercised: ${JSON.stringify(paths)}`);
    t.diagnostic(`${files.length} images, paths ${JSON.stringify(paths)}`);
    e.free();
  } finally { rmSync(dir, { recursive: true, force: true }); }
});

test('bc_wasm_frame_pixels on decoded pixels equals the engine\'s framing of the same file', async () => {
  const dir = mkdtempSync(tmpdir() + '/bc-frame-');
  try {
    execFileSync(testFrame, ['--synth', dir]);
    const e = await loadEngine(withResizeMode(readFileSync(root + 'tests/fixtures/random-model.bin'), 1), { wasmBinary });
    for (const f of readdirSync(dir)) {
      const bytes = readFileSync(dir + '/' + f);
      assert.ok(e.classify(bytes).ok, f);
      const viaEngine = Array.from(new Int32Array(e.mod.HEAP32.buffer, e.mod._bc_wasm_frame(e.e), 16));
      const { rgba, w, h } = bmpToRgba(bytes);
      const p = e._stage(rgba);
      const r = e.mod._bc_wasm_frame_pixels(p, w, h, 4);
      assert.ok(r, 'frame scratch allocated');
      assert.deepEqual(Array.from(new Int32Array(e.mod.HEAP32.buffer, r, 16)), viaEngine, f);
    }
    const p = e._stage(new Uint8Array(16));
    assert.equal(new Int32Array(e.mod.HEAP32.buffer, e.mod._bc_wasm_frame_pixels(p, 2, 2, 5), 16)[10], 2,
      '5 channels: an error and the centre crop');
    assert.match(e.mod.UTF8ToString(e.mod._bc_wasm_error()), /framing/);
    e.free();
  } finally { rmSync(dir, { recursive: true, force: true }); }
});

test('a model file with resize mode 2 is refused with a message naming the field', async () => {
  await assert.rejects(loadEngine(withResizeMode(readFileSync(root + 'tests/fixtures/random-model.bin'), 2), { wasmBinary }),
    /resize mode/);
});

test('resize mode 0 reports the centre crop and estimates nothing; the shipped model is mode 0', async () => {
  const e = await loadEngine(readFileSync(root + 'models/bloodcell.bin'), { wasmBinary });
  assert.equal(e.mod._bc_wasm_resize_mode(e.e), 0);
  assert.ok(e.classify(readFileSync(root + 'tests/fixtures/images/neutrophil_BNE_101082.jpg')).ok);
  const f = e.frame();
  assert.deepEqual({ path: f.path, d: f.rbcDiameterPx, cell: f.cell, crop: f.crop, mode: f.resizeMode },
    { path: 'centre', d: null, cell: null, crop: [0, 1, 360], mode: 0 });
  e.free();
});

test('mode 1: many images do not grow the wasm heap; a bad image leaves the last frame as it was', async () => {
  const e = await loadEngine(withResizeMode(readFileSync(root + 'tests/fixtures/random-model.bin'), 1), { wasmBinary });
  const fx = root + 'tests/fixtures/images/';
  const imgs = readdirSync(fx).filter((f) => f.endsWith('.jpg')).map((f) => readFileSync(fx + f));
  for (const b of imgs) e.classify(b);
  const heap0 = e.heapBytes();
  for (let i = 0; i < 100; i++) e.classify(imgs[i % imgs.length]);
  assert.equal(e.heapBytes(), heap0);
  const before = e.frame();
  assert.equal(e.classify(imgs[0].subarray(0, 100)).ok, false);
  assert.deepEqual(e.frame(), before);
  e.free();
});
