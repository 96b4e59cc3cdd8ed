// Screenshots of the main views for the README: desktop (1280 x 800) and phone (390 x 844), light
// and dark, with the model, map and model card in web/models/ (make web-assets), at the model
// card's default confidence threshold. The review shots are of a sample as a lab signs it off
// (sample ID, reviewer, analyser WBC, the unidentified cells given their class, marked reviewed);
// the printed report is page 1 of the Report button's PDF (pdftoppm, poppler-utils), in English
// and Spanish; the map shows the class regions; phone-counter is the review's bottom counter bar.
//   node scripts/web/screenshots.mjs [--out docs/screenshots]
// PNGs over 300 KB are re-encoded with a 256-colour palette (/usr/bin/python3 with PIL).
import { mkdirSync, statSync, existsSync, readFileSync } from 'node:fs';
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

// A slide as a lab counts it: 100 white cells in a plausible differential, 2 NRBC and 6 platelets
// from the PBC test split (models/split.csv) when ../shared/data/pbc is here, else the fixture and
// example images; and one file that is not an image. truth: file name -> its class (the folder).
const MIX = { neutrophil: 56, lymphocyte: 30, monocyte: 7, eosinophil: 3, basophil: 1, ig: 3, erythroblast: 2, platelet: 6 };
function slide() {
  const pbc = root + '../shared/data/pbc/', split = root + 'models/split.csv';
  const truth = new Map();
  let files = [];
  if (existsSync(pbc) && existsSync(split)) {
    const rows = readFileSync(split, 'utf8').trim().split('\n').slice(1).map((l) => l.split(','));
    for (const [cls, n] of Object.entries(MIX)) {
      for (const [f] of rows.filter((r) => r[1] === cls && r[2] === 'test').slice(0, n)) { files.push(pbc + f); truth.set(f.split('/').pop(), cls); }
    }
  } else {
    files = [...fixtureImages, ...exampleImages];
    for (const f of files) truth.set(f.split('/').pop(), f.split('/').pop().split(/[_-]/)[0]);
  }
  files.push(makeBadFiles('shots').text);
  return { files, truth };
}
const { files: slideFiles, truth } = slide();

async function batch(page) {
  const files = slideFiles;
  const n = files.length + await page.$$eval('#gallery li.cell', (l) => l.length);
  await page.setInputFiles('#files', files);
  await page.waitForFunction((k) => document.body.dataset.busy === '0' && document.querySelectorAll('#gallery li.cell').length === k, n);
  await page.waitForSelector('#progress', { state: 'hidden' });
}

// A new sample (the example cell of the cell view stays in the first one): its ID and the
// reviewer's initials. Then (signOff) the analyser's WBC, each cell left unidentified given its
// true class, as the technician would, and Mark reviewed.
async function sample(page) {
  await page.click('#sample-new');
  await page.fill('#sd-id', 'HEM-2026-0147');
  await page.fill('#sd-reviewer', 'MGR');
  await page.click('#sd-save');
  await page.waitForFunction(() => document.getElementById('sample-select').selectedOptions[0]?.textContent === 'HEM-2026-0147');
}

async function signOff(page) {
  const classes = await page.$$eval('#gallery section.group', (ss) => ss.map((x) => x.dataset.group));
  for (let li; (li = await page.$('#gallery section[data-group="unidentified"] li.cell'));) {
    const id = await li.getAttribute('data-id');
    await li.click();
    await page.selectOption('#reassign', String(classes.indexOf(truth.get(await li.getAttribute('data-file')))));
    await page.waitForSelector(`#gallery li.cell[data-id="${id}"]:not([data-group="unidentified"])`);
  }
  await page.fill('#wbc-total', '7.5');
  await page.click('#sample-signoff');
  await page.waitForSelector('#sample-status[data-reviewed="1"]');
}

// Page 1 of the report as printed (A4), at 96 dpi.
async function report(page, name) {
  const before = await page.evaluate(() => { window.print = () => { window.__printed = (window.__printed || 0) + 1; }; return window.__printed || 0; });
  await page.click('#report');
  await page.waitForFunction((b) => (window.__printed || 0) > b, before);
  await page.emulateMedia({ media: 'print' });
  const pdf = `${root}build/tmp/${name}.pdf`;
  mkdirSync(`${root}build/tmp`, { recursive: true });
  await page.pdf({ path: pdf, format: 'A4', printBackground: true });
  await page.emulateMedia({ media: 'screen' });
  execFileSync('pdftoppm', ['-png', '-r', '96', '-f', '1', '-l', '1', '-singlefile', pdf, `${out}${name}`]);
  shots.push(`${out}${name}.png`);
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
  await sample(page);
  await batch(page);
  await page.click('#tab-review');
  await signOff(page);
  await page.click('#gallery li.cell[data-label] >> nth=2');
  await page.evaluate(() => window.scrollTo(0, 0));
  await shot(page, `desktop-review${suffix}`);
  if (scheme === 'light') {
    await report(page, 'report');
    await page.selectOption('#lang', 'es');
    await report(page, 'report-es');
    await page.selectOption('#lang', 'en');
    await page.click('#tab-map');
    await page.evaluate(() => window.scrollTo(0, document.querySelector('#view-map h2').getBoundingClientRect().top + window.scrollY - 110));
    const box = await (await page.$('#map')).boundingBox();
    // the user's cell nearest the top, so that its tooltip shows in full
    const p = await page.$$eval('#gallery li.cell[data-ood]', (lis) => lis.map((li) => JSON.parse(li.dataset.ood)).sort((a, b) => a.y - b.y)[0]);
    await page.mouse.move(box.x + 12 + p.x * (box.width - 24), box.y + 12 + p.y * (box.height - 24));
    await page.waitForSelector('#map-tip:not([hidden])');
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
    await sample(page);
    await batch(page);
    await page.click('#tab-review');
    await signOff(page);
    await page.evaluate(() => window.scrollTo(0, 0));
    await shot(page, 'phone-review');
    await page.evaluate(() => window.scrollTo(0, document.getElementById('diff-title').getBoundingClientRect().top + window.scrollY - 100));
    await shot(page, 'phone-differential');
    // one-handed review: a cell selected, the counter bar at the bottom
    await page.evaluate(() => window.scrollTo(0, document.getElementById('gallery').getBoundingClientRect().top + window.scrollY - 200));
    await page.tap('#gallery section[data-group="lymphocyte"] li.cell >> nth=0');
    await shot(page, 'phone-counter');
    await page.click('#tab-map');
    await page.evaluate(() => window.scrollTo(0, document.querySelector('.map-box').getBoundingClientRect().top + window.scrollY - 104));
    await shot(page, 'phone-map');
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
