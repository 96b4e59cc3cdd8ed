// The dev server (scripts/web/serve.mjs): gzip when the client accepts it, the same bytes after inflating,
// identity otherwise, images never re-compressed, ETags per encoding. Node only (no browser).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { request } from 'node:http';
import { gunzipSync } from 'node:zlib';

const root = new URL('../../', import.meta.url).pathname;

function get(port, path, headers = {}) {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path, headers }, (res) => {
      const chunks = [];
      res.on('data', (c) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode, headers: res.headers, body: Buffer.concat(chunks) }));
    });
    req.on('error', reject);
    req.end();
  });
}

test('gzip for the model, wasm and scripts when accepted; identity otherwise; images as they are', async () => {
  const srv = spawn('node', [root + 'scripts/web/serve.mjs', '--root', root + 'web', '--port', '0', '--quiet']);
  const port = await new Promise((resolve) => srv.stdout.on('data', (d) => { const m = /:(\d+)\//.exec(String(d)); if (m) resolve(Number(m[1])); }));
  try {
    for (const path of ['/models/bloodcell.bin', '/engine/bloodcell.wasm', '/app.js', '/models/reference-map.json']) {
      const file = readFileSync(root + 'web' + path);
      const plain = await get(port, path);
      assert.equal(plain.headers['content-encoding'], undefined);
      assert.ok(plain.body.equals(file));
      const gz = await get(port, path, { 'Accept-Encoding': 'gzip, deflate, br' });
      assert.equal(gz.headers['content-encoding'], 'gzip', path);
      assert.equal(Number(gz.headers['content-length']), gz.body.length);
      assert.ok(gunzipSync(gz.body).equals(file), path);
      assert.ok(gz.body.length < file.length, `${path}: ${gz.body.length} of ${file.length} bytes`);
      assert.notEqual(gz.headers.etag, plain.headers.etag);
      assert.equal(gz.headers.vary, 'Accept-Encoding');
      const again = await get(port, path, { 'Accept-Encoding': 'gzip', 'If-None-Match': gz.headers.etag });
      assert.equal(again.status, 304);
    }
    const img = await get(port, '/examples/basophil-1.jpg', { 'Accept-Encoding': 'gzip' });
    assert.equal(img.headers['content-encoding'], undefined);
    const model = await get(port, '/models/bloodcell.bin', { 'Accept-Encoding': 'gzip' });
    console.log(`# model on the wire: ${model.body.length} bytes gzip, ${readFileSync(root + 'web/models/bloodcell.bin').length} without`);
  } finally {
    srv.kill();
  }
});
