// A whole-field photo dropped into the real page (Chromium, the app's engine workers): ms from the drop to the
// field view showing every located and classified cell, for each file given (default: the bench-locate photos
// build/bench/field-640x480.jpg and field-4000x3000.jpg, made by `make bench-locate`). Medians of --runs page loads.
//   node scripts/bench/field_time_web.mjs [--runs 3] [FILE...]
import { readFileSync } from 'node:fs';
import { root, startServer, launchBrowser, openApp } from '../../tests/browser/helpers.mjs';

const args = process.argv.slice(2);
let runs = 3;
if (args[0] === '--runs') { runs = Number(args[1]); args.splice(0, 2); }
const files = args.length ? args : ['build/bench/field-640x480.jpg', 'build/bench/field-4000x3000.jpg'].map((f) => root + f);
const server = await startServer();
const browser = await launchBrowser();
try {
  for (const file of files) {
    const name = file.split('/').pop();
    const times = [];
    let cells = 0;
    for (let r = 0; r < runs; r++) {
      const { context, page } = await openApp(browser, server.url, { viewport: { width: 1280, height: 800 } });
      await page.check('#mode-fields');
      const b64 = readFileSync(file).toString('base64');
      const ms = await page.evaluate(async ({ name, b64 }) => {
        const dt = new DataTransfer();
        dt.items.add(new File([Uint8Array.from(atob(b64), (c) => c.charCodeAt(0))], name, { type: 'image/jpeg' }));
        const target = document.getElementById('drop');
        const t0 = performance.now();
        target.dispatchEvent(new DragEvent('drop', { dataTransfer: dt, bubbles: true, cancelable: true }));
        await new Promise((resolve) => {
          const check = () => (document.getElementById('field-title')?.textContent === name && !document.getElementById('field').hidden
            && document.body.dataset.busy === '0') ? resolve() : requestAnimationFrame(check);
          check();
        });
        return performance.now() - t0;
      }, { name, b64 });
      cells = await page.$$eval('#field:not([hidden]) .fbox', (b) => b.length);
      times.push(ms);
      await context.close();
    }
    times.sort((a, b) => a - b);
    console.log(`${name}: ${cells} cells, drop to field view ${times.map((t) => t.toFixed(0)).join(' / ')} ms (median ${times[Math.floor(times.length / 2)].toFixed(0)} ms, ${runs} page loads)`);
  }
} finally {
  await browser.close();
  server.close();
}
