// The page's fast float16 decoder of the reference embeddings equals the plain conversion
// (halfToFloat) for all 65,536 half-precision values. (Runs in node; no browser needed.)
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { halfToFloat, decodeEmbeddings } from '../../web/refmap.js';

test('decodeEmbeddings equals halfToFloat for every float16 value', () => {
  const buf = new ArrayBuffer(65536 * 2);
  const dv = new DataView(buf);
  for (let i = 0; i < 65536; i++) dv.setUint16(2 * i, i, true);
  const out = decodeEmbeddings(buf, 256, 256);
  for (let i = 0; i < 65536; i++) {
    const want = Math.fround(halfToFloat(i));
    if (Number.isNaN(want)) assert.ok(Number.isNaN(out[i]), `0x${i.toString(16)}`);
    else assert.ok(Object.is(out[i], want), `0x${i.toString(16)}: ${out[i]} vs ${want}`);
  }
  assert.throws(() => decodeEmbeddings(new ArrayBuffer(10), 2, 3), /10 bytes, expected 12/);
});
