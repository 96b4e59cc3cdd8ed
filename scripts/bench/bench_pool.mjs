// Batch throughput of the web app's worker pool: the real page in headless Chromium (Debian's, via
// playwright-core) against scripts/web/serve.mjs on 127.0.0.1, N images (fixtures and examples repeated,
// default 1,000) picked at once, with ?workers=1, 2 and 4. Time: the page's own marks from the batch
// start (files handed to the page) to the last result committed, so starting the extra workers is
// included. The worker counts are run in rounds (1, 2, 4, 1, 2, 4, ...) and the median is reported.
//   node scripts/bench/bench_pool.mjs [--images 1000] [--rounds 2] [--workers 1,2,4] [--json build/bench-pool.json]
import { writeFileSync, rmSync, mkdirSync } from 'node:fs';
import { loadavg, cpus } from 'node:os';
import { root, startServer, launchBrowser, makeBatch } from '../../tests/browser/helpers.mjs';

const args = process.argv.slice(2);
const opt = (n, d) => { const i = args.indexOf(n); return i >= 0 ? args[i + 1] : d; };
const N = Number(opt('--images', 1000));
const ROUNDS = Number(opt('--rounds', 2));
const COUNTS = opt('--workers', '1,2,4').split(',').map(Number);
const OUT = opt('--json', root + 'build/bench-pool.json');
const median = (a) => { const s = [...a].sort((x, y) => x - y); return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2; };

const dir = root + 'build/tmp/bench-pool/';
const files = makeBatch(N, 'bench-pool');

const server = await startServer();
const browser = await launchBrowser();
const result = { date: new Date().toISOString(), machine: `${cpus().length} × ${cpus()[0].model}`, browser: browser.version(),
  images: N, loadavg_start: loadavg().map((x) => +x.toFixed(2)), runs: [] };
console.log(`bench-pool: ${N} images, workers ${COUNTS.join('/')}, ${ROUNDS} rounds; ${result.machine}; load average ${result.loadavg_start.join(' ')}`);

for (let round = 0; round < ROUNDS; round++) {
  for (const w of COUNTS) {
    const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
    const page = await context.newPage();
    const errors = [];
    page.on('pageerror', (e) => errors.push(e.message));
    await page.goto(`${server.url}?workers=${w}`);
    await page.waitForSelector('body[data-ready="1"][data-restored="1"][data-map="1"]', { timeout: 60000 });
    await page.evaluate(() => {
      window.__gaps = { max: 0, last: performance.now(), on: true };
      const tick = (t) => { const g = window.__gaps; g.max = Math.max(g.max, t - g.last); g.last = t; if (g.on) requestAnimationFrame(tick); };
      requestAnimationFrame(tick);
    });
    await page.setInputFiles('#files', files);
    await page.waitForFunction((n) => document.body.dataset.busy === '0' && document.querySelectorAll('#gallery li.cell').length === n, N, { timeout: 600000 });
    const r = await page.evaluate(() => {
      window.__gaps.on = false;
      const s = performance.getEntriesByName('bloodcell-batch-start')[0].startTime;
      const e = performance.getEntriesByName('bloodcell-batch-end')[0].startTime;
      const failed = document.querySelectorAll('#gallery li.cell[data-error]').length;
      return { ms: e - s, gap: window.__gaps.max, stats: window.bloodcellPool.stats(), failed };
    });
    if (errors.length || r.failed) throw new Error(`workers=${w}: ${errors.join('; ')} ${r.failed} failed`);
    const run = { workers: w, round, seconds: +(r.ms / 1000).toFixed(2), images_per_s: +(N / (r.ms / 1000)).toFixed(1),
      longest_frame_gap_ms: Math.round(r.gap), per_worker: r.stats.filter((x) => x.ready).map((x) => x.done) };
    result.runs.push(run);
    console.log(`  workers ${w} (round ${round + 1}): ${run.seconds} s, ${run.images_per_s} images/s; per worker ${run.per_worker.join('/')}; longest frame gap ${run.longest_frame_gap_ms} ms`);
    await context.close();
  }
}
result.loadavg_end = loadavg().map((x) => +x.toFixed(2));
result.summary = COUNTS.map((w) => {
  const rs = result.runs.filter((r) => r.workers === w).map((r) => r.images_per_s);
  return { workers: w, median_images_per_s: +median(rs).toFixed(1), runs: rs };
});
const base = result.summary[0].median_images_per_s;
console.log(`\nmedian images/s (${N} images; ${result.machine}; load average at the end ${result.loadavg_end.join(' ')}):`);
for (const s of result.summary) console.log(`  ${String(s.workers).padStart(2)} worker${s.workers > 1 ? 's' : ' '}  ${String(s.median_images_per_s).padStart(6)}  (x${(s.median_images_per_s / base).toFixed(2)} of ${COUNTS[0]})   runs ${s.runs.join(', ')}`);
mkdirSync(root + 'build', { recursive: true });
writeFileSync(OUT, JSON.stringify(result, null, 1));
console.log(`wrote ${OUT.replace(root, '')}`);
await browser.close();
server.close();
rmSync(dir, { recursive: true, force: true });
