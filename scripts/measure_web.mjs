// Measures the web app's speed budgets in real Chromium against scripts/serve.mjs on 127.0.0.1:
//   payload  bytes fetched before the first classification can run (html, css, js, wasm, model,
//            map data), each file gzipped here at zlib's default level; examples and map thumbnails
//            are listed but excluded from the budget, as are the service worker's precache fetches
//   ready    navigation start -> the worker reports the model loaded (performance mark
//            'bloodcell-ready'), cold (new browser context) and warm (reload served by the service worker)
//   batch    N images (default 1000) through the page: images/s and the longest gap between painted frames
//   node scripts/measure_web.mjs [--runs 7] [--batch 1000] [--json build/web-measure.json]
import { readFileSync, writeFileSync, mkdirSync, rmSync, copyFileSync, readdirSync } from 'node:fs';
import { gzipSync } from 'node:zlib';
import { loadavg, cpus } from 'node:os';
import { root, startServer, launchBrowser } from '../tests/browser/helpers.mjs';

const args = process.argv.slice(2);
const opt = (n, d) => { const i = args.indexOf(n); return i >= 0 ? args[i + 1] : d; };
const RUNS = Number(opt('--runs', 7));
const BATCH = Number(opt('--batch', 1000));
const OUT = opt('--json', root + 'build/web-measure.json');

const median = (a) => { const s = [...a].sort((x, y) => x - y); return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2; };
const kib = (b) => `${(b / 1024).toFixed(1)} KiB`;

function category(path) {
  if (path.startsWith('/examples/')) return 'examples (excluded)';
  if (path.endsWith('reference-thumbs.webp')) return 'map thumbnails (excluded)';
  if (path.startsWith('/models/reference-') || path.endsWith('model-card.json')) return 'map data and model card';
  if (path.endsWith('.bin')) return 'model';
  if (path.endsWith('.wasm')) return 'wasm';
  if (path.endsWith('.js')) return 'js';
  if (path.endsWith('.css')) return 'css';
  if (path.endsWith('.html') || path === '/') return 'html';
  return 'manifest and icons';
}
const BUDGET = ['html', 'css', 'js', 'wasm', 'model'];

const server = await startServer();
const browser = await launchBrowser();
const result = { date: new Date().toISOString(), machine: `${cpus().length} × ${cpus()[0].model}`, loadavg_start: loadavg().map((x) => +x.toFixed(2)), browser: browser.version() };

// ---- payload -------------------------------------------------------------------------------------
{
  const context = await browser.newContext();
  const page = await context.newPage();
  const seen = new Map();
  context.on('request', (r) => {
    if (r.serviceWorker()) return;                      // the precache, not the page's own needs
    const u = new URL(r.url());
    if (u.origin !== new URL(server.url).origin) throw new Error(`off-origin request ${r.url()}`);
    const path = u.pathname === '/' ? '/index.html' : u.pathname;
    if (path === '/sw.js') return;
    seen.set(path, true);
  });
  await page.goto(server.url);
  await page.waitForSelector('body[data-ready="1"][data-map="1"][data-restored="1"]');
  await page.waitForTimeout(300);
  const files = [...seen.keys()].sort().map((path) => {
    const body = readFileSync(root + 'web' + path);
    return { path, category: category(path), bytes: body.length, gzip: gzipSync(body).length };
  });
  const by = {};
  for (const f of files) { by[f.category] ??= { bytes: 0, gzip: 0, files: 0 }; by[f.category].bytes += f.bytes; by[f.category].gzip += f.gzip; by[f.category].files++; }
  const budget = BUDGET.reduce((a, c) => a + (by[c]?.gzip || 0), 0);
  const withMap = budget + (by['map data and model card']?.gzip || 0);
  result.payload = { files, by_category: by, budget_gzip: budget, budget_plus_map_gzip: withMap };
  console.log('\npayload before the first classification (gzip, zlib default level):');
  for (const [c, v] of Object.entries(by)) console.log(`  ${c.padEnd(28)} ${String(v.files).padStart(3)} files  ${kib(v.gzip).padStart(11)}  (raw ${kib(v.bytes)})`);
  console.log(`  html+css+js+wasm+model: ${kib(budget)} (budget 1 MB)   with map data and model card: ${kib(withMap)}`);
  await context.close();
}

// ---- navigation to ready -------------------------------------------------------------------------
{
  const cold = [], warm = [];
  for (let i = 0; i < RUNS; i++) {
    const context = await browser.newContext();
    const page = await context.newPage();
    await page.goto(server.url);
    await page.waitForSelector('body[data-ready="1"]');
    cold.push(await page.evaluate(() => performance.getEntriesByName('bloodcell-ready')[0].startTime));
    await page.evaluate(async () => { await navigator.serviceWorker.ready; if (!navigator.serviceWorker.controller) await new Promise((r) => navigator.serviceWorker.addEventListener('controllerchange', r, { once: true })); });
    await page.reload();
    await page.waitForSelector('body[data-ready="1"]');
    warm.push(await page.evaluate(() => performance.getEntriesByName('bloodcell-ready')[0].startTime));
    await context.close();
  }
  result.ready = { runs: RUNS, cold_ms: cold.map((x) => +x.toFixed(1)), warm_ms: warm.map((x) => +x.toFixed(1)), cold_median_ms: +median(cold).toFixed(1), warm_median_ms: +median(warm).toFixed(1) };
  console.log(`\nnavigation -> ready (${RUNS} runs): cold median ${median(cold).toFixed(0)} ms (min ${Math.min(...cold).toFixed(0)}, max ${Math.max(...cold).toFixed(0)}); ` +
    `warm (service worker) median ${median(warm).toFixed(0)} ms (min ${Math.min(...warm).toFixed(0)}, max ${Math.max(...warm).toFixed(0)})`);
}

// ---- batch -----------------------------------------------------------------------------------------
if (BATCH > 0) {
  const dir = root + 'build/tmp/measure-batch/';
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  const src = [...readdirSync(root + 'tests/fixtures/images').filter((f) => f.endsWith('.jpg')).map((f) => root + 'tests/fixtures/images/' + f),
    ...readdirSync(root + 'web/examples').filter((f) => f.endsWith('.jpg')).map((f) => root + 'web/examples/' + f)];
  const files = [];
  for (let i = 0; i < BATCH; i++) { const f = `${dir}cell-${String(i).padStart(4, '0')}.jpg`; copyFileSync(src[i % src.length], f); files.push(f); }
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  const page = await context.newPage();
  await page.goto(server.url);
  await page.waitForSelector('body[data-ready="1"][data-restored="1"]');
  await page.evaluate(() => {
    window.__gaps = { max: 0, last: performance.now(), on: true, frames: 0 };
    const tick = (t) => { const g = window.__gaps; g.max = Math.max(g.max, t - g.last); g.last = t; g.frames++; if (g.on) requestAnimationFrame(tick); };
    requestAnimationFrame(tick);
  });
  const t0 = Date.now();
  await page.setInputFiles('#files', files);
  await page.waitForFunction((n) => document.body.dataset.busy === '0' && document.querySelectorAll('#gallery li.cell').length === n, BATCH, { timeout: 600000 });
  const secs = (Date.now() - t0) / 1000;
  const gaps = await page.evaluate(() => { window.__gaps.on = false; return window.__gaps; });
  const status = await page.textContent('#status');
  result.batch = { images: BATCH, seconds: +secs.toFixed(2), images_per_s: +(BATCH / secs).toFixed(1), longest_frame_gap_ms: +gaps.max.toFixed(0), frames: gaps.frames, status };
  console.log(`\nbatch: ${BATCH} images in ${secs.toFixed(1)} s (${(BATCH / secs).toFixed(1)} images/s, including setInputFiles); longest gap between painted frames ${gaps.max.toFixed(0)} ms; page says "${status}"`);
  await context.close();
  rmSync(dir, { recursive: true, force: true });
}

result.loadavg_end = loadavg().map((x) => +x.toFixed(2));
console.log(`\nload average: start ${result.loadavg_start.join(' ')}, end ${result.loadavg_end.join(' ')} (${result.machine})`);
writeFileSync(OUT, JSON.stringify(result, null, 1));
console.log(`wrote ${OUT}`);
await browser.close();
server.close();
