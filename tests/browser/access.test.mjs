// Access: every control has a name, the app can be used with the keyboard alone (tabs, examples,
// gallery, reassigning, the map), focus is visible, and dark mode follows prefers-color-scheme.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, launchBrowser, openApp, fixtureImages, setThreshold } from './helpers.mjs';

let server, browser;
before(async () => { server = await startServer(); browser = await launchBrowser(); });
after(async () => { await browser?.close(); server?.close(); });

// Controls (visible or not) without an accessible name.
const unnamed = (page) => page.evaluate(() => [...document.querySelectorAll('button, input, select, [role="tab"], [role="option"], canvas[tabindex], a[href]')].filter((e) => {
  if (e.getAttribute('aria-label') || e.getAttribute('aria-labelledby')) return false;
  if (e.labels && e.labels.length && [...e.labels].some((l) => l.textContent.trim())) return false;
  if (e.tagName !== 'INPUT' && e.tagName !== 'SELECT' && e.textContent.trim()) return false;
  return true;
}).map((e) => `${e.tagName}#${e.id}.${e.className}`));

async function press(page, key, n = 1) { for (let i = 0; i < n; i++) await page.keyboard.press(key); }

test('keyboard only: tabs, examples, gallery reassignment and the map; every control labelled; focus visible', async () => {
  const { context, page, errors } = await openApp(browser, server.url);
  // Tab from the top reaches the first example; Enter classifies it.
  let reached = false;
  for (let i = 0; i < 30 && !reached; i++) {
    await page.keyboard.press('Tab');
    reached = await page.evaluate(() => document.activeElement.matches('#examples button'));
  }
  assert.ok(reached, 'Tab reaches the examples');
  const outline = await page.evaluate(() => getComputedStyle(document.activeElement).outlineStyle);
  assert.notEqual(outline, 'none', 'focus is visible');
  await page.keyboard.press('Enter');
  await page.waitForSelector('#cell[data-label] #cam-canvas');
  // The heatmap controls work from the keyboard.
  await page.focus('#cam-opacity');
  const before = await page.inputValue('#cam-opacity');
  await press(page, 'ArrowRight', 2);
  assert.notEqual(await page.inputValue('#cam-opacity'), before);
  await page.focus('#cam-class');
  await press(page, 'ArrowDown');

  // The threshold slider: arrows move it by 0.01, Shift+arrows by 0.001.
  await page.click('#tab-review');
  await page.focus('#threshold');
  const t0 = Number(await page.inputValue('#threshold'));
  await page.keyboard.press('ArrowLeft');
  const t1 = Number(await page.inputValue('#threshold'));
  assert.ok(Math.abs(t1 - Math.max(0, t0 - 0.01)) < 1e-9, `${t0} -> ${t1}`);
  await page.keyboard.press('Shift+ArrowRight');
  assert.ok(Math.abs(Number(await page.inputValue('#threshold')) - Math.min(1, t1 + 0.001)) < 1e-9);
  await page.click('#tab-cell');
  await setThreshold(page, 0);
  // (the example went into the demo review: the user's own images go back to their sample, without it)
  await page.setInputFiles('#files', fixtureImages);
  await page.waitForFunction((n) => document.body.dataset.busy === '0' && document.querySelectorAll('#gallery li.cell').length === n, fixtureImages.length);
  assert.deepEqual(await unnamed(page), []);

  // Tabs: arrow keys move between views.
  await page.focus('#tab-review');
  await page.keyboard.press('ArrowRight');
  assert.equal(await page.getAttribute('#tab-map', 'aria-selected'), 'true');
  assert.equal(await page.evaluate(() => document.activeElement.id), 'tab-map');
  await page.keyboard.press('ArrowLeft');
  assert.equal(await page.isVisible('#view-review'), true);

  // Gallery: one tab stop; arrows move; U sends the cell to Unidentified; 0 back to the model's call.
  let found = false;
  for (let i = 0; i < 30 && !found; i++) {
    await page.keyboard.press('Tab');
    found = await page.evaluate(() => document.activeElement.matches('#gallery li.cell'));
  }
  assert.ok(found, 'Tab reaches the gallery');
  await page.keyboard.press('ArrowRight');
  const id = await page.evaluate(() => document.activeElement.dataset.id);
  const group = await page.evaluate(() => document.activeElement.dataset.group);
  await page.keyboard.press('u');
  await page.waitForSelector(`#gallery section[data-group="unidentified"] li.cell[data-id="${id}"]`);
  assert.equal(await page.evaluate(() => document.activeElement.dataset.id), id);
  await page.keyboard.press('0');
  await page.waitForSelector(`#gallery section[data-group="${group}"] li.cell[data-id="${id}"]`);
  // The Move to list is reachable and labelled.
  await page.keyboard.press('Shift+Tab');
  assert.ok(await page.evaluate(() => document.activeElement.closest('#selection, .review-top, #gallery-help') !== null || document.activeElement.id === 'open-selected'));

  // Map: the canvas takes focus; arrows show a cell's thumbnail and class; Enter opens the user's cell.
  await page.click('#tab-map');
  await page.focus('#map');
  await page.keyboard.press('ArrowRight');
  await page.waitForSelector('#map-tip:not([hidden])');
  assert.equal(await page.getAttribute('#map-tip', 'data-kind'), 'user');
  assert.match(await page.textContent('#map-tip'), /Your cell: .+ — /);
  await page.keyboard.press('Enter');
  await page.waitForSelector('#view-cell:not([hidden]) #cell[data-label]');
  assert.equal(await page.evaluate(() => document.activeElement.id), 'cell-title');
  // A reference point shows the sprite thumbnail and its class.
  await page.click('#tab-map');
  await page.focus('#map');
  await press(page, 'ArrowLeft');
  await page.waitForSelector('#map-tip[data-kind="ref"]');
  assert.match(await page.textContent('#map-tip'), /Reference cell: /);
  assert.match(await page.$eval('#map-tip .tip-thumb', (e) => e.style.backgroundImage), /reference-thumbs\.webp/);
  assert.deepEqual(errors, []);
  await context.close();
});

test('mouse: hovering the map shows a thumbnail, clicking one of the user\'s points opens that cell', async () => {
  const { context, page } = await openApp(browser, server.url);
  await page.setInputFiles('#files', fixtureImages.slice(0, 3));
  await page.waitForFunction(() => document.body.dataset.busy === '0' && document.querySelectorAll('#gallery li.cell').length === 3);
  const target = await page.$eval('#gallery li.cell', (li) => ({ file: li.dataset.file, ood: JSON.parse(li.dataset.ood) }));
  await page.click('#tab-map');
  const box = await (await page.$('#map')).boundingBox();
  const size = box.width;
  const pad = 12;
  const x = box.x + pad + target.ood.x * (size - 2 * pad), y = box.y + pad + target.ood.y * (size - 2 * pad);
  await page.mouse.move(x, y);
  await page.waitForSelector('#map-tip:not([hidden])[data-kind="user"]');
  await page.mouse.click(x, y);
  await page.waitForSelector('#view-cell:not([hidden]) #cell[data-label]');
  assert.equal(await page.textContent('#cell-title'), target.file);
  await context.close();
});

test('dark mode follows prefers-color-scheme', async () => {
  const { context, page } = await openApp(browser, server.url, { colorScheme: 'dark' });
  const lum = (rgb) => { const [r, g, b] = rgb.match(/\d+/g).map(Number); return (0.2126 * r + 0.7152 * g + 0.0722 * b) / 255; };
  const [bg, fg] = await page.evaluate(() => [getComputedStyle(document.body).backgroundColor, getComputedStyle(document.body).color]);
  assert.ok(lum(bg) < 0.15, `dark background ${bg}`);
  assert.ok(lum(fg) > 0.8, `light text ${fg}`);
  await context.close();
});
