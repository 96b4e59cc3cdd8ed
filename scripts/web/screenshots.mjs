// Screenshots of the main views for the README: desktop (1280 x 800) and phone (390 x 844), light
// and dark, with the model, map and model card in web/models/ (make web-assets), at the model
// card's default confidence threshold.
//   node scripts/web/screenshots.mjs [--out docs/screenshots]
// PNGs over 300 KB are re-encoded with a 256-colour palette (/usr/bin/python3 with PIL).
import { mkdirSync, statSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { root, startServer, launchBrowser, fixtureImages, exampleImages, makeBadFiles } from '../../tests/browser/helpers.mjs';

const args = process.argv.slice(2);
const out = root + (args.includes('--out') ? args[args.indexOf('--out') + 1] : 'docs/screenshots') + '/';
mkdirSync(out, { recursive: true });
const server = await startServer();
const browser = await launchBrowser();

async function session(opts) {
  const context = await browser.newContext({ deviceScaleFactor: 1, ...opts });
  const page = await context.newPage();
  await page.goto(server.url);
  await page.waitForSelector('body[data-ready="1"][data-restored="1"][data-map="1"]');
  return { context, page };
}

async function batch(page) {
  const bad = makeBadFiles('shots');
  const files = [...fixtureImages, ...exampleImages, bad.text];
  const n = files.length + await page.$$eval('#gallery li.cell', (l) => l.length);
  await page.setInputFiles('#files', files);
  await page.waitForFunction((k) => document.body.dataset.busy === '0' && document.querySelectorAll('#gallery li.cell').length === k, n);
  await page.waitForSelector('#progress', { state: 'hidden' });
}

const shots = [];
async function shot(page, name) {
  await page.waitForTimeout(250);
  await page.evaluate(() => document.activeElement?.blur());
  const path = `${out}${name}.png`;
  await page.screenshot({ path });
  shots.push(path);
}

async function cellView(page, nth) {
  await page.click('#tab-cell');
  await page.click(`#examples button >> nth=${nth}`);
  await page.waitForSelector('#cell[data-label] #cam-canvas');
  await page.waitForFunction(() => !document.querySelector('.cam-wait'));
  await page.evaluate(() => { const s = document.getElementById('cam-opacity'); s.value = '0.45'; s.dispatchEvent(new Event('input')); });
  await page.evaluate(() => window.scrollTo(0, document.querySelector('.examples').getBoundingClientRect().top + window.scrollY - 110));
}

for (const scheme of ['light', 'dark']) {
  const suffix = scheme === 'dark' ? '-dark' : '';
  const { context, page } = await session({ viewport: { width: 1280, height: 800 }, colorScheme: scheme });
  await cellView(page, 12);
  await shot(page, `desktop-cell${suffix}`);
  await batch(page);
  await page.click('#tab-review');
  await page.click('#gallery li.cell[data-label] >> nth=2');
  await page.evaluate(() => window.scrollTo(0, document.getElementById('diff-title').getBoundingClientRect().top + window.scrollY - 110));
  await shot(page, `desktop-review${suffix}`);
  if (scheme === 'light') {
    await page.click('#tab-map');
    const box = await (await page.$('#map')).boundingBox();
    // the user's cell nearest the top, so that its tooltip shows in full
    const p = await page.$$eval('#gallery li.cell[data-ood]', (lis) => lis.map((li) => JSON.parse(li.dataset.ood)).sort((a, b) => a.y - b.y)[0]);
    await page.mouse.move(box.x + 12 + p.x * (box.width - 24), box.y + 12 + p.y * (box.height - 24));
    await page.waitForSelector('#map-tip:not([hidden])');
    await page.evaluate(() => window.scrollTo(0, 0));
    await shot(page, 'desktop-map');
    await page.click('#tab-about');
    await page.waitForSelector('#about .confusion');
    await page.evaluate(() => window.scrollTo(0, document.querySelector('#about .kpis').getBoundingClientRect().top + window.scrollY - 150));
    await shot(page, 'desktop-about');
  }
  await context.close();
}

for (const scheme of ['light', 'dark']) {
  const suffix = scheme === 'dark' ? '-dark' : '';
  const { context, page } = await session({ viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true, colorScheme: scheme });
  await cellView(page, 6);
  await page.evaluate(() => window.scrollTo(0, document.getElementById('cell').getBoundingClientRect().top + window.scrollY - 100));
  await shot(page, `phone-cell${suffix}`);
  if (scheme === 'light') {
    await batch(page);
    await page.click('#tab-review');
    await page.evaluate(() => window.scrollTo(0, document.getElementById('diff-title').getBoundingClientRect().top + window.scrollY - 100));
    await shot(page, 'phone-review');
  }
  await context.close();
}
await browser.close();
server.close();

for (const p of shots) {
  if (statSync(p).size > 300 * 1024) {
    execFileSync('/usr/bin/python3', ['-c', 'import sys\nfrom PIL import Image\nim = Image.open(sys.argv[1]).convert("RGB")\nim.quantize(256, method=Image.Quantize.MEDIANCUT, dither=Image.Dither.FLOYDSTEINBERG).save(sys.argv[1], optimize=True)', p]);
  }
  console.log(`${p.replace(root, '')} ${(statSync(p).size / 1024).toFixed(0)} KB`);
}
