// Shared setup for the real-browser tests: the real server on a free loopback port and Debian's
// Chromium driven by playwright-core.
import { spawn } from 'node:child_process';
import { chromium } from 'playwright-core';

export const root = new URL('../../', import.meta.url).pathname;

export async function startServer(webRoot = root + 'web') {
  const proc = spawn('node', [root + 'scripts/web/serve.mjs', '--root', webRoot, '--port', '0', '--quiet'], { stdio: ['ignore', 'pipe', 'inherit'] });
  const url = await new Promise((resolve, reject) => {
    let buf = '';
    proc.stdout.on('data', (d) => { buf += d; const m = buf.match(/at (http:\/\/127\.0\.0\.1:\d+\/)/); if (m) resolve(m[1]); });
    proc.on('exit', (code) => reject(new Error(`server exited with ${code}`)));
  });
  return { url, close: () => proc.kill() };
}

export async function launchBrowser() {
  return chromium.launch({
    executablePath: '/usr/bin/chromium',
    headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-sync', '--disable-component-update', '--no-first-run'],
  });
}

// Opens a blank tab in the context and leaves it open, so that the context's next pages are tabs of a
// running browser window, as when a user opens the URL. Without it, a context whose last tab closed
// has no window and its next page builds a new window's browser UI (Chromium's omnibox popup is a
// WebUI page: ~110 scripts, ~150 ms of parsing on the two cores in a trace) while the measured page
// starts.
// The wait lets the window's own start-up finish before anything is measured.
export async function holdWindow(context, settleMs = 1000) {
  const tab = await context.newPage();
  await tab.waitForTimeout(settleMs);
  return context;
}

// ---- helpers for the web-app tests --------------------------------------------------------------
// The two sizes the review is tested at: a phone (touch) and a laptop.
export const CONFIGS = [
  { name: 'phone', viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true },
  { name: 'desktop', viewport: { width: 1280, height: 800 } },
];
import { mkdirSync, readdirSync, copyFileSync, rmSync, writeFileSync, readFileSync } from 'node:fs';

export const fixtureImages = readdirSync(root + 'tests/fixtures/images').filter((f) => f.endsWith('.jpg')).map((f) => root + 'tests/fixtures/images/' + f);
// (the single-cell examples: the whole-field ones, field-*, are not cells)
export const exampleImages = readdirSync(root + 'web/examples').filter((f) => f.endsWith('.jpg') && !f.startsWith('field-')).map((f) => root + 'web/examples/' + f);

// A new context and page on the app, waiting until the model is loaded and the stored review restored.
export async function openApp(browser, url, contextOptions = {}) {
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 }, ...contextOptions });
  const page = await context.newPage();
  const errors = [];
  page.on('pageerror', (e) => errors.push(e.message));
  await page.goto(url);
  await waitReady(page);
  return { context, page, errors };
}

export async function waitReady(page) {
  await page.waitForSelector('body[data-ready="1"][data-restored="1"]', { timeout: 30000 });
}

// n distinct files (names and contents) made from the fixture and example images, written to build/tmp/<dir>/.
export function makeBatch(n, dir = 'batch') {
  const out = root + `build/tmp/${dir}/`;
  rmSync(out, { recursive: true, force: true });
  mkdirSync(out, { recursive: true });
  const src = [...fixtureImages, ...exampleImages];
  const files = [];
  for (let i = 0; i < n; i++) {
    const s = src[i % src.length];
    const name = `${out}cell-${String(i).padStart(4, '0')}-${s.split('/').pop()}`;
    // A repeat of a source gets a few bytes after the image's end (decoders stop before them), so that
    // every file of the batch has its own content: the app counts a file whose content it has once.
    if (i < src.length) copyFileSync(s, name);
    else writeFileSync(name, Buffer.concat([readFileSync(s), Buffer.from(`\nbloodcell test copy ${i}\n`)]));
    files.push(name);
  }
  return files;
}

// Bad inputs: text named .jpg, a JPEG cut in half, an empty file.
export function makeBadFiles(dir = 'bad') {
  const out = root + `build/tmp/${dir}/`;
  mkdirSync(out, { recursive: true });
  writeFileSync(out + 'not-an-image.jpg', 'this is text, not a JPEG');
  const jpg = readFileSync(fixtureImages[0]);
  writeFileSync(out + 'truncated.jpg', jpg.subarray(0, Math.floor(jpg.length / 2)));
  writeFileSync(out + 'empty.png', Buffer.alloc(0));
  return { text: out + 'not-an-image.jpg', truncated: out + 'truncated.jpg', empty: out + 'empty.png' };
}

export async function addFiles(page, files) {
  await page.setInputFiles('#files', files);
  await page.waitForFunction((n) => document.querySelectorAll('#gallery li.cell').length >= n && document.body.dataset.busy === '0', files.length, { timeout: 120000 });
}

export async function setThreshold(page, v) {
  const before = Number(await page.evaluate(() => document.body.dataset.saved || 0));
  await page.evaluate((value) => {
    const s = document.getElementById('threshold');
    s.value = String(value);
    s.dispatchEvent(new Event('input', { bubbles: true }));
    s.dispatchEvent(new Event('change', { bubbles: true }));
  }, v);
  await page.waitForFunction((b) => Number(document.body.dataset.saved || 0) > b, before);
}

// Waits until everything changed so far is written to IndexedDB.
export async function waitSaved(page, before) {
  await page.waitForFunction((b) => Number(document.body.dataset.saved || 0) > b, before, { timeout: 10000 });
}

export async function savedCount(page) {
  return Number(await page.evaluate(() => document.body.dataset.saved || 0));
}

// The differential as the page shows it: per-class counts from the table and the totals.
export async function differential(page) {
  await page.waitForFunction(() => document.getElementById('diff').dataset.pending !== '1');  // counts are drawn a frame later
  return page.evaluate(() => {
    const d = document.getElementById('diff');
    const perClass = {};
    for (const tr of d.querySelectorAll('tbody tr[data-class]')) perClass[tr.dataset.class] = Number(tr.querySelector('.count').textContent);
    const groups = {};
    for (const s of document.querySelectorAll('#gallery section.group')) groups[s.dataset.group] = s.querySelectorAll('li.cell').length;
    return { perClass, groups, total: Number(d.dataset.total), identified: Number(d.dataset.identified), unidentified: Number(d.dataset.unidentified),
      excluded: Number(d.dataset.excluded), failed: Number(d.dataset.failed) };
  });
}

// Clicks an export button and returns the downloaded file's text.
export async function exportText(page, which) {
  const [dl] = await Promise.all([page.waitForEvent('download'), page.click(which === 'csv' ? '#export-csv' : '#export-json')]);
  const path = await dl.path();
  return readFileSync(path, 'utf8');
}

// RFC 4180 CSV -> array of objects keyed by the header.
export function parseCSV(text) {
  const rows = [];
  let row = [], field = '', q = false;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i];
    if (q) {
      if (ch === '"' && text[i + 1] === '"') { field += '"'; i++; } else if (ch === '"') q = false; else field += ch;
    } else if (ch === '"') q = true;
    else if (ch === ',') { row.push(field); field = ''; }
    else if (ch === '\n') { row.push(field.replace(/\r$/, '')); rows.push(row); row = []; field = ''; }
    else field += ch;
  }
  if (field || row.length) { row.push(field); rows.push(row); }
  const [head, ...body] = rows;
  return body.map((r) => Object.fromEntries(head.map((h, i) => [h, r[i]])));
}
