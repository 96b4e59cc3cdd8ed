// The locator in the real wasm engine (node, SIMD128 build): ms per field for each file given, as the app
// runs it: decode (EXIF applied) + locate + classify every cell (engine.locateField + classifyFieldCell).
//   node scripts/bench/bench_locate_wasm.mjs [--runs N] FILE...   -> one JSON line per file, then a summary
import { readFileSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import { loadEngine } from '../../web/engine/engine.js';

const root = new URL('../../', import.meta.url).pathname;
const args = process.argv.slice(2);
let runs = 5;
if (args[0] === '--runs') { runs = Number(args[1]); args.splice(0, 2); }
const engine = await loadEngine(readFileSync(root + 'models/bloodcell.bin'), { wasmBinary: readFileSync(root + 'web/engine/bloodcell.wasm') });
for (const file of args) {
  const bytes = readFileSync(file);
  const times = [], locateTimes = [];
  let f;
  for (let r = 0; r < runs; r++) {
    const t0 = performance.now();
    f = engine.locateField(bytes);
    const t1 = performance.now();
    if (!f.ok) { console.log(JSON.stringify({ file, error: f.error })); break; }
    for (const c of f.cells) engine.classifyFieldCell(c.box);
    times.push(performance.now() - t0);
    locateTimes.push(t1 - t0);
  }
  if (!f.ok) continue;
  const med = (a) => a.slice().sort((x, y) => x - y)[Math.floor(a.length / 2)];
  console.log(JSON.stringify({ file, width: f.width, height: f.height, cells: f.cells.length, boxes: f.cells.map((c) => c.box),
    ms_median: +med(times).toFixed(1), decode_locate_ms_median: +med(locateTimes).toFixed(1), runs }));
}
engine.free();
