// Measures the web app's speed budgets in real Chromium against scripts/web/serve.mjs on 127.0.0.1:
//   payload  bytes fetched before the first classification can run (html, css, js, wasm, model,
//            map data), each file gzipped here at zlib's default level; examples and map thumbnails
//            are listed but excluded from the budget, as are the service worker's precache fetches
//   ready    navigation start -> the worker reports the model loaded (performance mark
//            'bloodcell-ready'): cold (new browser context), warm HTTP cache without service worker, and
//            served by the service worker; with the phases (worker start, modules, engine, map)
//   first    navigation start -> the first prediction of an image handed to the page at
//            DOMContentLoaded (warm HTTP cache, no service worker: issue 5's cold start)
//   batch    N images (default 1000) through the page: images/s and the longest gap between painted frames
//   node scripts/bench/measure_web.mjs [--runs 9] [--batch 1000] [--json build/web-measure.json]
import { readFileSync, writeFileSync, mkdirSync, rmSync, copyFileSync, readdirSync } from 'node:fs';
import { gzipSync } from 'node:zlib';
import { loadavg, cpus } from 'node:os';
import { root, startServer, launchBrowser, holdWindow } from '../../tests/browser/helpers.mjs';

const args = process.argv.slice(2);
const opt = (n, d) => { const i = args.indexOf(n); return i >= 0 ? args[i + 1] : d; };
const RUNS = Number(opt('--runs', 9));
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

// ---- navigation to ready, and to the first prediction ---------------------------------------------
// Phases from the page's marks and the first worker's timing (ms since navigation start).
async function phases(page) {
  return page.evaluate(() => {
    const o = performance.timeOrigin;
    const nav = performance.getEntriesByType('navigation')[0];
    const mark = (n) => performance.getEntriesByName(n)[0]?.startTime ?? null;
    const w = window.bloodcellTiming || {};
    const rel = (t) => (typeof t === 'number' ? t - o : null);
    return { html: nav.responseEnd, dom_content_loaded: nav.domContentLoadedEventStart, boot: mark('bloodcell-boot'),
      wasm_compiled: mark('bloodcell-wasm'), model_fetched: mark('bloodcell-model'), model_and_wasm: mark('bloodcell-assets'), worker_started: rel(w.start), worker_modules: rel(w.imported),
      engine_loaded: rel(w.loaded), ready: mark('bloodcell-ready'), map_loaded: rel(w.map),
      first_result: mark('bloodcell-first-result'), first_shown: mark('bloodcell-first-shown') };
  });
}
const summary = (rows) => Object.fromEntries(Object.keys(rows[0]).map((k) => {
  const v = rows.map((r) => r[k]).filter((x) => typeof x === 'number');
  return [k, v.length ? +median(v).toFixed(1) : null];
}));
const fmt = (a) => `median ${median(a).toFixed(0)} ms (min ${Math.min(...a).toFixed(0)}, max ${Math.max(...a).toFixed(0)})`;
const waitMap = (page) => page.waitForSelector('body[data-ready="1"][data-map="1"]');

{
  // cold: a new browser context each time (empty HTTP cache, no service worker yet), its page a new
  // tab in an open window
  const cold = [];
  for (let i = 0; i < RUNS; i++) {
    const context = await holdWindow(await browser.newContext());
    const page = await context.newPage();
    await page.goto(server.url);
    await waitMap(page);
    cold.push(await phases(page));
    await context.close();
  }
  // warm HTTP cache, service worker blocked: one context, navigated again and again
  const warmHttp = [];
  {
    const context = await browser.newContext({ serviceWorkers: 'block' });
    const page = await context.newPage();
    await page.goto(server.url);
    await waitMap(page);
    for (let i = 0; i < RUNS; i++) {
      await page.goto(server.url);
      await waitMap(page);
      warmHttp.push(await phases(page));
    }
    await context.close();
  }
  // served by the service worker (reload after the first visit)
  const sw = [];
  for (let i = 0; i < RUNS; i++) {
    const context = await browser.newContext();
    const page = await context.newPage();
    await page.goto(server.url);
    await waitMap(page);
    await page.evaluate(async () => {
      await navigator.serviceWorker.ready;
      if (!navigator.serviceWorker.controller) await new Promise((r) => navigator.serviceWorker.addEventListener('controllerchange', r, { once: true }));
    });
    await page.reload();
    await waitMap(page);
    sw.push(await phases(page));
    await context.close();
  }
  const r = (rows) => rows.map((x) => +x.ready.toFixed(1));
  result.ready = { runs: RUNS, cold_ms: r(cold), warm_http_ms: r(warmHttp), service_worker_ms: r(sw),
    cold_median_ms: +median(r(cold)).toFixed(1), warm_http_median_ms: +median(r(warmHttp)).toFixed(1), service_worker_median_ms: +median(r(sw)).toFixed(1),
    phases_median_ms: { cold: summary(cold), warm_http: summary(warmHttp), service_worker: summary(sw) } };
  console.log(`\nnavigation -> ready (${RUNS} runs each):`);
  console.log(`  cold (new browser context, empty cache)      ${fmt(r(cold))}`);
  console.log(`  warm HTTP cache, no service worker           ${fmt(r(warmHttp))}`);
  console.log(`  served by the service worker                 ${fmt(r(sw))}`);
}

{
  // Cold start (issue 5): navigation to the first prediction, warm HTTP cache, no service worker.
  // On every visit an image is handed to the file input as soon as the document is parsed
  // (DOMContentLoaded), as a user would; the first prediction is the page's 'bloodcell-first-result' mark (the result in the
  // review), and 'bloodcell-first-shown' is the cell view drawn with its heatmap. The first visit
  // classifies a batch and then waits 3 s, so that the HTTP cache and Chromium's script code cache
  // are as a returning user's would be. (No compiled wasm comes back from Chromium's code cache: it
  // takes modules over 128 KB only, ours is 122 KB, and a copy padded past that got no cache hit in
  // traces either.)
  const image = readFileSync(root + 'web/examples/neutrophil-1.jpg').toString('base64');
  const context = await browser.newContext({ serviceWorkers: 'block' });
  await context.addInitScript((b64) => {
    document.addEventListener('DOMContentLoaded', () => {
      const dt = new DataTransfer();
      dt.items.add(new File([Uint8Array.from(atob(b64), (c) => c.charCodeAt(0))], 'first.jpg', { type: 'image/jpeg' }));
      const input = document.getElementById('files');
      input.files = dt.files;
      input.dispatchEvent(new Event('change', { bubbles: true }));
    });
  }, image);
  const page = await context.newPage();
  await page.goto(server.url);
  await waitMap(page);
  await page.waitForFunction(() => document.body.dataset.busy === '0');
  const warmFiles = readdirSync(root + 'tests/fixtures/images').filter((f) => f.endsWith('.jpg')).map((f) => root + 'tests/fixtures/images/' + f);
  await page.setInputFiles('#files', warmFiles);
  await page.waitForFunction((n) => document.body.dataset.busy === '0' && document.querySelectorAll('#gallery li.cell').length >= n, warmFiles.length);
  await page.waitForTimeout(3000);
  // Each visit starts with no review in progress (a returning user who cleared it).
  // ("Clear cells" asks only when there is something to clear: a handler left waiting would answer the next dialog too.)
  const clear = async () => {
    if (await page.$$eval('#gallery li.cell', (l) => l.length) === 0) return;
    page.once('dialog', (d) => d.accept());
    await page.evaluate(() => document.getElementById('clear').click());
    await page.waitForFunction(() => document.querySelectorAll('#gallery li.cell').length === 0);
  };
  await clear();
  const rows = [];
  for (let i = 0; i < RUNS; i++) {
    await page.goto(server.url);
    await page.waitForFunction(() => performance.getEntriesByName('bloodcell-first-shown').length > 0, null, { timeout: 30000 });
    rows.push(await phases(page));
    await clear();
  }
  await context.close();
  const first = rows.map((x) => +x.first_result.toFixed(1)), shown = rows.map((x) => +x.first_shown.toFixed(1));
  result.first_prediction = { runs: RUNS, first_result_ms: first, first_shown_ms: shown, first_result_median_ms: +median(first).toFixed(1),
    first_shown_median_ms: +median(shown).toFixed(1), phases_median_ms: summary(rows) };
  console.log(`\ncold start, navigation -> first prediction (warm HTTP cache, no service worker, ${RUNS} runs): ${fmt(first)}; cell view with heatmap drawn: ${fmt(shown)}`);
  console.log('\nphases, medians in ms since navigation start:');
  const cols = ['cold', 'warm_http', 'service_worker'];
  const ph = result.ready.phases_median_ms;
  console.log(`  ${'phase'.padEnd(20)}${cols.map((c) => c.padStart(16)).join('')}${'first prediction'.padStart(18)}`);
  for (const k of Object.keys(ph.cold)) {
    console.log(`  ${k.padEnd(20)}${cols.map((c) => String(ph[c][k] ?? '—').padStart(16)).join('')}${String(result.first_prediction.phases_median_ms[k] ?? '—').padStart(18)}`);
  }
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
