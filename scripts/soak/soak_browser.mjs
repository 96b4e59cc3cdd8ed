// Browser soak: N images (default 5,000; fixtures and examples repeated) through the real page in
// headless Chromium (Debian's, via playwright-core) against scripts/web/serve.mjs on 127.0.0.1, in one
// batch. A persistent profile (build/tmp/soak-profile, made afresh) keeps the review in IndexedDB on
// disk as a user's browser would. Reported before, every 500 images during, and after:
//   js heap     the page's main-thread V8 heap (CDP Runtime.getHeapUsage); before and after also
//               after a forced garbage collection
//   wasm heap   each engine worker's wasm memory (the page's pool asks each worker)
//   renderer    resident memory (VmRSS) of the Chromium renderer processes (page, workers)
//   DOM nodes, and live image object URLs (thumbnails; createObjectURL minus revokeObjectURL)
// and every long task of the main thread (PerformanceObserver 'longtask', > 50 ms); the page
// passes if none is over 200 ms and the heaps stay bounded. Not part of make test (it is long).
//   node scripts/soak/soak_browser.mjs [--images 5000] [--every 500] [--pick 250] [--json build/soak-browser.json]
import { writeFileSync, rmSync, mkdirSync, readdirSync, readFileSync } from 'node:fs';
import { loadavg, cpus } from 'node:os';
import { chromium } from 'playwright-core';
import { root, startServer, makeBatch } from '../../tests/browser/helpers.mjs';

const args = process.argv.slice(2);
const opt = (n, d) => { const i = args.indexOf(n); return i >= 0 ? args[i + 1] : d; };
const N = Number(opt('--images', 5000));
const EVERY = Number(opt('--every', 500));
const OUT = opt('--json', root + 'build/soak-browser.json');
const LONG_LIMIT_MS = 200;
const PICK = Number(opt('--pick', 250));
const MB = (b) => +(b / 1048576).toFixed(1);

const dir = root + 'build/tmp/soak-images/';
const profile = root + 'build/tmp/soak-profile';
rmSync(profile, { recursive: true, force: true });
const files = makeBatch(N, 'soak-images');

const server = await startServer();
const context = await chromium.launchPersistentContext(profile, {
  executablePath: '/usr/bin/chromium', headless: true, viewport: { width: 1280, height: 900 },
  args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-sync', '--disable-component-update', '--no-first-run'],
});
await context.addInitScript(() => {
  window.__longtasks = [];
  new PerformanceObserver((list) => {
    for (const e of list.getEntries()) {
      const p = document.getElementById('progress');
      window.__longtasks.push({ start: Math.round(e.startTime), ms: Math.round(e.duration), done: p ? Number(p.dataset.done || 0) : 0 });
    }
  }).observe({ type: 'longtask', buffered: true });
  // Live object URLs of images (the thumbnails); downloads (exports) are not counted.
  const live = new Set();
  const create = URL.createObjectURL, revoke = URL.revokeObjectURL;
  URL.createObjectURL = (o) => { const u = create.call(URL, o); if (o && /^image\//.test(o.type || '')) live.add(u); return u; };
  URL.revokeObjectURL = (u) => { live.delete(u); return revoke.call(URL, u); };
  window.__liveUrls = () => live.size;
});
const page = context.pages()[0] || await context.newPage();
const errors = [];
page.on('pageerror', (e) => errors.push(e.message));
const cdp = await context.newCDPSession(page);
await cdp.send('Performance.enable');

function rendererRss() {
  let kb = 0;
  for (const pid of readdirSync('/proc').filter((d) => /^\d+$/.test(d))) {
    try {
      const cmd = readFileSync(`/proc/${pid}/cmdline`, 'utf8');
      if (!cmd.includes('--type=renderer') || !cmd.includes(profile)) continue;
      const m = readFileSync(`/proc/${pid}/status`, 'utf8').match(/VmRSS:\s+(\d+)/);
      if (m) kb += Number(m[1]);
    } catch { /* gone */ }
  }
  return kb * 1024;
}

async function sample(label, { gc = false } = {}) {
  if (gc) await cdp.send('HeapProfiler.collectGarbage');
  const heap = await cdp.send('Runtime.getHeapUsage');
  const metrics = Object.fromEntries((await cdp.send('Performance.getMetrics')).metrics.map((m) => [m.name, m.value]));
  const page_ = await page.evaluate(async () => ({
    done: Number(document.getElementById('progress').dataset.done || 0),
    cells: document.querySelectorAll('#gallery li.cell').length,
    wasm: await window.bloodcellPool.heaps(), urls: window.__liveUrls(), workers: window.bloodcellPool.ready().length,
  }));
  const s = { label, done: page_.done, cells: page_.cells, js_heap_used_mb: MB(heap.usedSize), js_heap_total_mb: MB(heap.totalSize),
    wasm_heap_mb: page_.wasm.map(MB), renderer_rss_mb: MB(rendererRss()), dom_nodes: metrics.Nodes, live_image_urls: page_.urls, workers: page_.workers };
  console.log(`  ${label.padEnd(16)} ${String(s.cells).padStart(5)} cells  js heap ${String(s.js_heap_used_mb).padStart(6)} MB used / ${String(s.js_heap_total_mb).padStart(6)} MB  ` +
    `wasm ${s.wasm_heap_mb.join('+')} MB  renderers ${s.renderer_rss_mb} MB  DOM nodes ${s.dom_nodes}  live thumbnail URLs ${s.live_image_urls}`);
  return s;
}

const result = { date: new Date().toISOString(), machine: `${cpus().length} × ${cpus()[0].model}`, images: N, loadavg_start: loadavg().map((x) => +x.toFixed(2)), samples: [] };
console.log(`soak-browser: ${N} images in one batch; ${result.machine}; load average ${result.loadavg_start.join(' ')}`);
await page.goto(server.url);
await page.waitForSelector('body[data-ready="1"][data-restored="1"][data-map="1"]', { timeout: 60000 });
result.browser = context.browser()?.version() ?? (await cdp.send('Browser.getVersion')).product;
result.samples.push(await sample('before (GC)', { gc: true }));

// The images are picked PICK at a time, the next pick while the batch still runs (it joins the
// same batch): Chromium's own handling of a file pick costs about 0.5 ms per file on the main
// thread before the page sees it (660 ms for 1,000 files on this machine), which is not the page's.
const t0 = Date.now();
let picked = 0;
const pick = async () => { const part = files.slice(picked, picked + PICK); picked += part.length; await page.setInputFiles('#files', part); };
await pick();
let next = EVERY;
for (;;) {
  const { cells, busy, left } = await page.evaluate(() => {
    const p = document.getElementById('progress').dataset;
    return { cells: Number(document.getElementById('review-count').textContent), left: Number(p.total || 0) - Number(p.done || 0), busy: document.body.dataset.busy };
  });
  if (picked < N && (busy === '0' || left < PICK)) { await pick(); continue; }
  if (busy === '0' && cells >= N) break;
  if (cells >= next) { result.samples.push(await sample(`during ${next}`)); next += EVERY; }
  await page.waitForTimeout(200);
}
const secs = (Date.now() - t0) / 1000;
await page.waitForFunction((n) => document.querySelectorAll('#gallery li.cell').length === n, N);
result.samples.push(await sample('after'));
await page.waitForTimeout(1000);
result.samples.push(await sample('after (GC)', { gc: true }));
// The review view hidden: the gallery's thumbnails are given back.
await page.click('#tab-cell');
await page.waitForFunction(() => window.__liveUrls() === 0, null, { timeout: 10000 }).catch(() => {});
result.samples.push(await sample('cell tab (GC)', { gc: true }));

const status = await page.textContent('#status');
const long = await page.evaluate(() => window.__longtasks);
const failed = await page.$$eval('#gallery li.cell[data-error]', (l) => l.length);
result.seconds = +secs.toFixed(1);
result.images_per_s = +(N / secs).toFixed(1);
result.status = status;
result.failed = failed;
result.long_tasks = { over_50ms: long.length, over_200ms: long.filter((x) => x.ms > LONG_LIMIT_MS).length, max_ms: long.reduce((a, x) => Math.max(a, x.ms), 0), list: long };
result.page_errors = errors;
result.loadavg_end = loadavg().map((x) => +x.toFixed(2));
console.log(`\n${N} images in ${secs.toFixed(1)} s (${result.images_per_s} images/s, ${failed} failed); page says "${status}"`);
console.log(`long tasks on the main thread: ${long.length} over 50 ms, ${result.long_tasks.over_200ms} over ${LONG_LIMIT_MS} ms, longest ${result.long_tasks.max_ms} ms`);
for (const x of long.filter((y) => y.ms > 100)) console.log(`  ${x.ms} ms at ${(x.start / 1000).toFixed(1)} s (${x.done} images done)`);
console.log(`load average: start ${result.loadavg_start.join(' ')}, end ${result.loadavg_end.join(' ')}`);
mkdirSync(root + 'build', { recursive: true });
writeFileSync(OUT, JSON.stringify(result, null, 1));
console.log(`wrote ${OUT.replace(root, '')}`);
await context.close();
server.close();
rmSync(dir, { recursive: true, force: true });
rmSync(profile, { recursive: true, force: true });
const ok = !errors.length && !failed && result.long_tasks.over_200ms === 0;
if (!ok) { console.log('soak-browser: FAILED' + (errors.length ? ` (page errors: ${errors.join('; ')})` : '')); process.exit(1); }
console.log('soak-browser: passed');
