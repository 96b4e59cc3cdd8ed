// make bench-web: the shipped network in headless Chromium, our wasm engine against onnxruntime-web
// (f32 and int8 QDQ ONNX), LiteRT.js (int8 and f32 .tflite) and tfjs-backend-wasm (f32), all exported
// from models/bloodcell.bin, one thread each, in one page and one run.
//   node scripts/bench/bench_web.mjs [--runs 300] [--cold 9] [--no-record] [--cold-only] [--no-app] [--litert compat]
// Prints the per-layer table, the race, cold starts, bytes and wasm memory; records them in
// docs/benchmarks.md; the last line printed is the single-image ratio.
import { createServer } from 'node:http';
import { readFileSync, writeFileSync, existsSync, statSync } from 'node:fs';
import { extname, join, normalize, resolve, sep } from 'node:path';
import { execSync } from 'node:child_process';
import { gzipSync } from 'node:zlib';
import { cpus } from 'node:os';
import { launchBrowser, holdWindow } from '../../tests/browser/helpers.mjs';

const root = resolve(new URL('../..', import.meta.url).pathname);
const args = process.argv.slice(2);
const opt = (n, d) => { const i = args.indexOf(n); return i >= 0 ? args[i + 1] : d; };
const RUNS = Number(opt('--runs', 300)), COLD = Number(opt('--cold', 9));
const median = (a) => { const s = [...a].sort((x, y) => x - y); return s[Math.floor(s.length / 2)]; };

for (const f of ['web/engine/bloodcell.wasm', 'models/bloodcell.bin', 'build/onnx/bloodcell-float.onnx', 'build/onnx/bloodcell-qdq.onnx',
  'build/wasm/peak-web.mjs', 'node_modules/onnxruntime-web/dist/ort.wasm.min.mjs', 'build/race/bloodcell-int8.tflite',
  'build/race/bloodcell-f32.tflite', 'build/race/graph.json', 'node_modules/@litertjs/core/dist/index.js',
  'node_modules/@tensorflow/tfjs-backend-wasm/dist/tf-backend-wasm.min.js']) {
  if (!existsSync(join(root, f))) { console.error(`bench-web: ${f} is missing (run it through make bench-web)`); process.exit(2); }
}

// Static server for the few folders the page needs. Long max-age: cold starts are measured with a
// warm HTTP cache, as a returning user would have it.
const ALLOWED = ['/scripts/bench/', '/web/engine/', '/models/bloodcell.bin', '/build/onnx/', '/build/race/', '/build/wasm/peak-web.',
  '/node_modules/onnxruntime-web/dist/', '/node_modules/@litertjs/', '/node_modules/@tensorflow/', '/tests/fixtures/images/',
  '/build/bench/field-'];
const TYPES = { '.html': 'text/html', '.mjs': 'text/javascript', '.js': 'text/javascript', '.wasm': 'application/wasm', '.jpg': 'image/jpeg',
  '.json': 'application/json' };
// every racer's version, as installed (pinned in package-lock.json)
const version = (pkg) => JSON.parse(readFileSync(join(root, 'node_modules', pkg, 'package.json'), 'utf8')).version;
const VERSIONS = ['onnxruntime-web', '@litertjs/core', '@tensorflow/tfjs-core', '@tensorflow/tfjs-backend-wasm'].map((p) => `${p} ${version(p)}`).join(', ');
const ORT = '/node_modules/onnxruntime-web/dist/';
const fetched = (u) => `<${u}>; rel=preload; as=fetch; crossorigin`, module = (u) => `<${u}>; rel=modulepreload`;
const PRELOAD = {
  ours: [module('/web/engine/engine.js'), module('/web/engine/bloodcell.js'), fetched('/web/engine/bloodcell.wasm'), fetched('/models/bloodcell.bin')],
  'ort-float': [module(ORT + 'ort.wasm.min.mjs'), module(ORT + 'ort-wasm-simd-threaded.mjs'), fetched(ORT + 'ort-wasm-simd-threaded.wasm'), fetched('/build/onnx/bloodcell-float.onnx')],
  'ort-qdq': [module(ORT + 'ort.wasm.min.mjs'), module(ORT + 'ort-wasm-simd-threaded.mjs'), fetched(ORT + 'ort-wasm-simd-threaded.wasm'), fetched('/build/onnx/bloodcell-qdq.onnx')],
};
const server = createServer((req, res) => {
  const path = decodeURIComponent(new URL(req.url, 'http://x').pathname);
  const file = normalize(join(root, path));
  if (!file.startsWith(root + sep) || !ALLOWED.some((p) => path.startsWith(p)) || !existsSync(file) || !statSync(file).isFile()) {
    res.writeHead(404).end(); return;
  }
  const headers = { 'Content-Type': TYPES[extname(file)] || 'application/octet-stream', 'Cache-Control': 'max-age=3600' };
  // The race page is cross-origin isolated (all its resources are same-origin): performance.now()
  // then has 5 us resolution instead of 100 us; onnxruntime-web stays at numThreads = 1. The cold
  // visits are not: isolation costs Chromium a slower page start (measured ~40 ms here).
  // Each racer's cold visit names the files it will need in a Link header (as the app's index.html
  // does with <link rel="preload">), so they download while the page's own script loads.
  const racer = path.endsWith('/bench.html') && req.url.includes('mode=cold') ? new URL(req.url, 'http://x').searchParams.get('racer') : null;
  if (racer) headers.Link = PRELOAD[racer].join(', ');
  if (path.endsWith('/bench.html') && req.url.includes('mode=race'))
    Object.assign(headers, { 'Cross-Origin-Opener-Policy': 'same-origin', 'Cross-Origin-Embedder-Policy': 'require-corp' });
  res.writeHead(200, headers)
    .end(readFileSync(file));
});
await new Promise((r) => server.listen(0, '127.0.0.1', r));
const base = `http://127.0.0.1:${server.address().port}/scripts/bench/web/bench.html`;

// the model's input quantization, for the dequantized ONNX input
const inQ = JSON.parse(execSync(`/usr/bin/python3 -c "import sys,json; sys.path.insert(0,'scripts/model'); import bcmodel; \
g=bcmodel.Graph.from_bytes(open('models/bloodcell.bin','rb').read()); print(json.dumps([float(g.values[0][3]), int(g.values[0][4])]))"`, { cwd: root }).toString());

const browser = await launchBrowser();
async function runPage(url, timeout = 600000) {
  const page = await browser.newPage();
  await page.goto(url);
  await page.waitForFunction(() => window.__bench, null, { timeout, polling: 200 });
  const r = await page.evaluate(() => window.__bench);
  await page.close();
  if (r.error) throw new Error(r.error);
  return r;
}

// cold starts: one context per racer (its own HTTP cache); first visit fills the cache, then COLD timed visits
// Each visit is a new tab in an open window (holdWindow), as a user opens the URL in a running browser.
const cold = {};
for (const racer of args.includes('--cold-only') ? opt('--racers', 'ours').split(',') : ['ours', 'ort-float', 'ort-qdq']) {
  const ctx = await holdWindow(await browser.newContext());
  const visit = async () => {
    const page = await ctx.newPage();
    await page.goto(`${base}?mode=cold&racer=${racer}`);
    await page.waitForFunction(() => window.__bench, null, { timeout: 120000, polling: 50 });
    const r = await page.evaluate(() => window.__bench);
    await page.close();
    if (r.error) throw new Error(r.error);
    return r;
  };
  const first = await visit();
  const times = [];
  let last;
  const afterScript = [];
  for (let i = 0; i < COLD; i++) {
    last = await visit();
    times.push(last.first_prediction_ms);
    if (last.marks?.script_start !== undefined) afterScript.push(last.first_prediction_ms - last.marks.script_start);
  }
  const files = [...new Set(first.resources.map((e) => e.url))].filter((u) => ALLOWED.some((p) => u.startsWith(p)) && !u.startsWith('/scripts/bench/') && !u.startsWith('/tests/'));
  const raw = files.reduce((s, u) => s + statSync(join(root, u)).size, 0);
  const gz = files.reduce((s, u) => s + gzipSync(readFileSync(join(root, u)), { level: 9 }).length, 0);
  cold[racer] = { first_visit_ms: first.first_prediction_ms, warm_cache_ms: times, median_ms: median(times), files, raw, gz,
    after_script_start_median_ms: afterScript.length ? median(afterScript) : null,
    wasm_memory_bytes: first.wasm_memory_bytes, marks: last.marks };
  await ctx.close();
}

if (args.includes('--cold-only')) {   // for working on start-up: cold starts only, nothing recorded
  for (const [k, c] of Object.entries(cold))
    console.log(`${k}: median ${c.median_ms.toFixed(1)} ms (${c.warm_cache_ms.map((v) => v.toFixed(0)).join(' ')}); ` +
      `after the page script starts: ${c.after_script_start_median_ms?.toFixed(1)} ms; last visit: ` +
      Object.entries(c.marks || {}).sort((a, b) => a[1] - b[1]).map(([m, v]) => `${m} ${v.toFixed(1)}`).join(', '));
  await browser.close();
  server.close();
  process.exit(0);
}
const r = await runPage(`${base}?mode=race&runs=${RUNS}&in_scale=${inQ[0]}&in_zp=${inQ[1]}&litert=${opt('--litert', 'auto')}`);
await browser.close();
server.close();

// ---- report ---------------------------------------------------------------------------------
const lines = [];
const out = (s = '') => { lines.push(s); };
const f2 = (v) => v.toFixed(2), f1 = (v) => v.toFixed(1);
const chromium = r.user_agent.match(/Chrome\/[\d.]+/)?.[0] || r.user_agent;
out(`${chromium}, ${r.cores} cores visible to the page, engine kernels ${r.isa}, cross-origin isolated ${r.isolated}; image ${r.image}`);
out(`i32x4.dot_i16x8_s peak (same page, same run): ${f1(r.peak_gmacs)} GMAC/s`);
out();
out('per layer (ours, each op run alone, median of 15 batches of 10):');
out('  op  layer                                   MACs(M)      ms   GMAC/s  % peak');
let convMs = 0, convMacs = 0, totalMs = 0;
for (const l of r.layers) {
  totalMs += l.ms;
  if (l.macs) { convMs += l.ms; convMacs += l.macs; }
  out(`  ${String(l.op).padStart(2)}  ${l.desc.padEnd(38)} ${f2(l.macs / 1e6).padStart(8)} ${l.ms.toFixed(3).padStart(7)} ${(l.macs ? f1(l.gmacs) : '-').padStart(8)} ${(l.macs ? (100 * l.gmacs / r.peak_gmacs).toFixed(0) : '-').padStart(7)}`);
}
out('  (3x3/1 layers run as Winograd F(2x2,3x3): MACs and % peak count the direct convolution, 36/16 of the multiplies done)');
out(`  conv/fc layers: ${f1(convMacs / 1e6)} M MACs in ${f2(convMs)} ms = ${f1(convMacs / convMs / 1e6)} GMAC/s = ${(100 * convMacs / convMs / 1e6 / r.peak_gmacs).toFixed(0)}% of peak; all ops ${f2(totalMs)} ms`);
out();
out(`racers: ${VERSIONS}; tfjs backend ${r.tfjs_backend}; wasm files loaded: ${r.wasm_files.map((u) => u.split('/').pop()).join(', ')}`);
out(`preprocessing (ours, decode + crop + resize + normalise of the ${r.image.split('/').pop()} JPEG): median ${f2(r.preprocess.median_ms)} ms, p90 ${f2(r.preprocess.p90_ms)} ms`);
out();
// Agreement with our logits on every call, timed ones included: the int8 racers run the same quantized
// weights and activation scales (they may round a requantization differently); the f32 racers run the
// dequantized weights without activation quantization.
const TOL = { int8: 0.1, f32: 0.5 };
const bad = [];
out(`agreement with our logits on every run (${r.agreement.ours.runs} calls each; tolerance max |logit difference| int8 ${TOL.int8}, f32 ${TOL.f32}, same argmax):`);
for (const [k, a] of Object.entries(r.agreement)) {
  if (k === 'ours') continue;
  const tol = r.int8.includes(k) ? TOL.int8 : TOL.f32, ok = a.max_logit_diff <= tol && a.argmax_mismatches === 0;
  if (!ok) bad.push(k);
  out(`  ${r.names[k].padEnd(27)} max |diff| ${a.max_logit_diff.toFixed(4)}  argmax ${a.argmax} (ours ${r.agreement.ours.argmax}), mismatches ${a.argmax_mismatches}  ${ok ? 'ok' : 'OUT OF TOLERANCE'}`);
}
out();
out(`single image, one thread, preprocessed input -> logits; ${r.times.ours.n} timed runs each, alternating:`);
out('  racer                       median ms   p90 ms   min ms   ours/theirs (pairwise median)');
for (const [k, st] of Object.entries(r.times))
  out(`  ${r.names[k].padEnd(27)} ${f2(st.median_ms).padStart(9)} ${f2(st.p90_ms).padStart(8)} ${f2(st.min_ms).padStart(8)}   ${k === 'ours' ? '' : r.ratio_pairwise[k].toFixed(3)}`);
out();
out(`cold start (navigation to first prediction, warm HTTP cache, no service worker; median of ${COLD}), bytes before it, peak wasm memory:`);
out('  racer                       cold ms   first visit ms   bytes (raw)   bytes (gzip)   wasm memory');
for (const k of ['ours', 'ort-float', 'ort-qdq']) {
  const c = cold[k];
  out(`  ${r.names[k].padEnd(27)} ${f1(c.median_ms).padStart(7)} ${f1(c.first_visit_ms).padStart(16)} ${String(c.raw).padStart(13)} ${String(c.gz).padStart(14)} ${(c.wasm_memory_bytes / 1048576).toFixed(1).padStart(9)} MiB`);
}
out('  (ours: image bytes -> decode -> preprocess -> forward; onnxruntime-web: a ready input tensor, no decoding)');
if (cold.ours.after_script_start_median_ms !== null)
  out(`  ours, from the page script's start to the first prediction: median ${f1(cold.ours.after_script_start_median_ms)} ms (the rest is Chromium's navigation)`);
const m = cold.ours.marks || {};
out(`  ours, last visit, ms after navigation: ${Object.entries(m).sort((a, b) => a[1] - b[1]).map(([k, v]) => `${k} ${v.toFixed(1)}`).join(', ')}`);
const ortPeer = r.times['ort-float'].median_ms <= r.times['ort-qdq'].median_ms ? 'ort-float' : 'ort-qdq';
const peers = Object.keys(r.times).filter((k) => k !== 'ours');
const fastest = peers.reduce((a, k) => (r.times[k].median_ms < r.times[a].median_ms ? k : a));
out(`the faster onnxruntime-web is ${r.names[ortPeer]}; the fastest peer is ${r.names[fastest]}`);
const ortLine = `ratio ours/onnxruntime-web single-image median: ${r.ratio_pairwise[ortPeer].toFixed(3)}`;
const fastestLine = `ratio ours/fastest-peer single-image median: ${r.ratio_pairwise[fastest].toFixed(3)} (peer: ${r.names[fastest]})`;

// The whole pipeline in the real app (its page and engine workers): a batch of 100 cells with 1 and 2
// workers (bench_pool.mjs), and a 640x480 and a 4000x3000 field photo dropped into the page (field_time_web.mjs).
out();
out(`whole pipeline, engine in this page (one thread): image bytes -> decode, frame, preprocess, forward, probabilities, embedding, CAM: ` +
  `median ${f2(r.pipeline.median_ms)} ms, p90 ${f2(r.pipeline.p90_ms)} ms (${r.pipeline.n} runs)`);
for (const f of r.fields)
  out(f.missing ? `  ${f.name}: missing (make bench-locate writes it)` :
    `  field ${f.name}: decode + locate + ${f.cells} cells classified: median ${f1(f.median_ms)} ms (${f.runs} runs)`);
if (!args.includes('--no-app')) {
  const run = (script, extra) => execSync(`node ${script} ${extra}`, { cwd: root, stdio: ['ignore', 'pipe', 'inherit'] }).toString();
  run('scripts/bench/bench_pool.mjs', '--images 100 --workers 1,2 --rounds 3 --json build/bench-web-pool.json');
  const poolJson = JSON.parse(readFileSync(join(root, 'build/bench-web-pool.json'), 'utf8'));
  out('whole pipeline in the app (real page, engine workers; files picked -> last result shown), 100 cells, median of 3 rounds:');
  for (const sm of poolJson.summary) out(`  ${sm.workers} worker${sm.workers > 1 ? 's' : ''}: ${sm.median_images_per_s} images/s (runs ${sm.runs.join(', ')})`);
  if (existsSync(join(root, 'build/bench/field-4000x3000.jpg'))) {
    const ft = run('scripts/bench/field_time_web.mjs', '--runs 3');
    for (const l of ft.trim().split('\n')) out(`  ${l.trim()}`);
  } else out('  field photos: missing (make bench-locate writes build/bench/field-*.jpg)');
}

const text = lines.join('\n');
console.log(text);
const date = new Date().toISOString().slice(0, 10);
if (!args.includes('--no-record')) {
  const cpu = cpus()[0]?.model || 'unknown CPU';
  const section = `## ${date} — make bench-web\n\n- machine: ${cpu}, ${cpus().length} cores; ${chromium} headless; node ${process.version}\n` +
    `- command: \`make bench-web\` (${RUNS} timed runs per racer, ${COLD} cold visits); ${VERSIONS}\n\n\`\`\`\n${text}\n${ortLine}\n${fastestLine}\n\`\`\`\n\n`;
  const docPath = join(root, 'docs/benchmarks.md');
  const doc = existsSync(docPath) ? readFileSync(docPath, 'utf8') : '# Benchmarks\n\nNewest first.\n\n';
  const head = doc.split('\n').slice(0, 4).join('\n'), rest = doc.split('\n').slice(4).join('\n');
  writeFileSync(docPath, `${head}\n${section}${rest}`);
  writeFileSync(join(root, 'build/bench-web.json'), JSON.stringify({ date, race: r, cold }, null, 1));
  console.log('bench-web: recorded in docs/benchmarks.md and build/bench-web.json');
}
console.log(ortLine);
console.log(fastestLine);
if (bad.length) { console.error(`bench-web: ${bad.join(', ')} disagreed with our logits beyond the tolerance`); process.exit(1); }
