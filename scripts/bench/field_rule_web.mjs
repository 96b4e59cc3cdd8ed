// scripts/bench/field_rule_web.mjs - both shared field sets dropped into the page in Automatic mode: how many images became whole fields,
// how many cells they gave, against `bloodcell locate --json` on the same files.
import { readdirSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { startServer, launchBrowser, openApp, root } from '../../tests/browser/helpers.mjs';
const server = await startServer(); const browser = await launchBrowser();
try {
  for (const dir of ['../shared/data/fields/bcdd/images', '../shared/data/fields/pig-smartphone/test/images']) {
    const files = readdirSync(root + dir).sort().map((f) => root + dir + '/' + f);
    const nativeCells = execFileSync(root + 'build/native/bloodcell', ['locate', '--json', ...files], { encoding: 'utf8', maxBuffer: 64 << 20 })
      .trim().split('\n').reduce((s, l) => s + JSON.parse(l).cells.length, 0);
    const { context, page } = await openApp(browser, server.url, { viewport: { width: 1280, height: 800 } });
    const t0 = Date.now();
    await page.setInputFiles('#files', files);
    await page.waitForFunction(() => document.body.dataset.busy === '0' && /^Done/.test(document.getElementById('status').textContent), null, { timeout: 300000 });
    const status = await page.textContent('#status');
    const gallery = await page.$$eval('#gallery li.cell', (l) => l.length);
    const noBox = await page.$$eval('#gallery li.cell', (l) => l.filter((li) => !/#\d+$/.test(li.dataset.file)).length);
    console.log(`${dir}: ${files.length} images; page: ${status}; gallery ${gallery} cells, ${noBox} without a box; native locate: ${nativeCells} cells; ${Date.now() - t0} ms`);
    await context.close();
  }
} finally { await browser.close(); server.close(); }
