// The speed race's .tflite export (scripts/model/export_tflite.mjs) runs in LiteRT.js in real Chromium
// and agrees with our engine on a fixture cell: the int8 graph within 0.1 of our logits, the f32 graph
// within 0.5 (it skips activation quantization), both with our top class. make bench-web checks the
// same on every timed call; this keeps the writer honest in make test.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { root, startServer, launchBrowser } from './helpers.mjs';

test('the exported .tflite files agree with our engine in LiteRT.js', async () => {
  const out = 'build/test-race';
  execFileSync('node', [root + 'scripts/model/export_tflite.mjs', '--model', root + 'models/bloodcell.bin', '--out', root + out]);
  const inQ = JSON.parse(readFileSync(root + out + '/graph.json', 'utf8')).values[0].slice(3, 5);
  const server = await startServer(root.replace(/\/$/, ''));
  const browser = await launchBrowser();
  try {
    const page = await browser.newPage();
    // An empty page with LiteRT's import map, given without serve.mjs's CSP (which, rightly for the app,
    // forbids inline scripts, and so inline import maps); every other file comes from the server.
    const html = server.url + 'tests/browser/race-export.html';
    await page.route(html, (route) => route.fulfill({ contentType: 'text/html', body: readFileSync(root + 'tests/browser/race-export.html') }));
    await page.goto(html);
    const r = await page.evaluate(async ({ out, inQ }) => {
      const bytes = async (u) => new Uint8Array(await (await fetch(u)).arrayBuffer());
      const { loadEngine } = await import('/web/engine/engine.js');
      const engine = await loadEngine(await bytes('/models/bloodcell.bin'));
      const image = await bytes('/tests/fixtures/images/basophil_BA_114899.jpg');
      const mod = engine.mod, S = engine.inputSize, K = engine.classes.length;
      mod._bc_wasm_preprocess(engine.e, engine._stage(image), image.length);
      const q = new Int8Array(mod.HEAP8.buffer, mod._bc_wasm_input(engine.e), S * S * 3).slice();
      engine.forwardTensor(q);
      const ours = Array.from(new Float32Array(mod.HEAPF32.buffer, mod._bc_wasm_logits(engine.e), K));
      const lrt = await import('/node_modules/@litertjs/core/dist/index.js');
      await lrt.loadLiteRt('/node_modules/@litertjs/core/wasm/');
      const { engineInputAsNHWC } = await import('/scripts/bench/race_input.mjs');
      const x = engineInputAsNHWC(engine, inQ[0], inQ[1]);
      const res = {};
      for (const kind of ['int8', 'f32']) {
        const m = await lrt.loadAndCompile(await bytes(`/${out}/bloodcell-${kind}.tflite`), { accelerator: 'wasm' });
        const t = new lrt.Tensor(x, [1, S, S, 3]);
        const o = await m.run(t);
        res[kind] = Array.from(o[0].toTypedArray()).slice(0, K);
        for (const y of o) y.delete();
        t.delete();
      }
      return { ours, ...res };
    }, { out, inQ });
    const argmax = (a) => a.indexOf(Math.max(...a));
    const diff = (a) => Math.max(...a.map((v, k) => Math.abs(v - r.ours[k])));
    assert.equal(r.ours.length, 8);
    assert.ok(diff(r.int8) <= 0.1, `int8 .tflite: max |logit difference| ${diff(r.int8)}`);
    assert.ok(diff(r.f32) <= 0.5, `f32 .tflite: max |logit difference| ${diff(r.f32)}`);
    assert.equal(argmax(r.int8), argmax(r.ours));
    assert.equal(argmax(r.f32), argmax(r.ours));
  } finally {
    await browser.close();
    server.close();
  }
});
