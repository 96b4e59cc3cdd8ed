// The reference map's class regions (views/regions.js): drawn under the points by default, in the
// classes' colours; the labelled checkbox hides and shows them from the keyboard; the choice is kept.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, launchBrowser, openApp, waitReady } from './helpers.mjs';

let server, browser;
before(async () => { server = await startServer(); browser = await launchBrowser(); });
after(async () => { await browser?.close(); server?.close(); });

// Counts the map canvas's painted pixels, and keeps its pixels in the page as window.__pixels[name].
function pixels(page, name) {
  return page.evaluate((key) => {
    const c = document.getElementById('map');
    const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
    (window.__pixels ??= {})[key] = d;
    let painted = 0;
    for (let i = 3; i < d.length; i += 4) if (d[i] > 0) painted++;
    return { painted, total: d.length / 4 };
  }, name);
}

// Of the pixels painted with the regions on and empty with them off (every 7th, clearly visible),
// how many are in a class's colour. getImageData gives un-premultiplied colour.
function regionColours(page, colours) {
  return page.evaluate((hexes) => {
    const { on, off } = window.__pixels;
    const rgb = hexes.map((h) => [1, 3, 5].map((i) => parseInt(h.slice(i, i + 2), 16)));
    let region = 0, matched = 0;
    for (let p = 0; p < on.length; p += 4 * 7) {
      if (off[p + 3] !== 0 || on[p + 3] < 40) continue;
      region++;
      if (rgb.some((c) => c.every((v, j) => Math.abs(v - on[p + j]) <= 24))) matched++;
    }
    return { region, matched };
  }, colours);
}

const COLOURS = ['#b07aa1', '#f28e2b', '#e15759', '#76b7b2', '#4e79a7', '#9c755f', '#59a14f', '#edc948'];   // state.js, per class

test('class regions are drawn under the map, hidden and shown again with the labelled checkbox', async () => {
  const { context, page, errors } = await openApp(browser, server.url);
  await page.click('#tab-map');
  await page.waitForSelector('body[data-map="1"]');
  const box = page.getByLabel('Show class regions');
  assert.equal(await box.isChecked(), true, 'on by default');
  await page.waitForFunction(() => Number(document.getElementById('map').dataset.regions) > 0);
  const on = await pixels(page, 'on');
  const cellsOn = Number(await page.getAttribute('#map', 'data-regions'));
  assert.ok(cellsOn > 200, `${cellsOn} grid cells coloured`);
  // The canvas sits inside the map's panel, and a region at the map's edge fades out instead of
  // ending in a straight cut where the reference points' square ends (12 px inside the canvas).
  const fit = await page.evaluate(() => {
    const c = document.getElementById('map').getBoundingClientRect(), b = c && document.querySelector('.map-box').getBoundingClientRect();
    return { right: c.right, boxRight: b.right - 8, bottom: c.bottom, boxBottom: b.bottom - 8 };
  });
  assert.ok(fit.right <= fit.boxRight + 0.5 && fit.bottom <= fit.boxBottom + 0.5, `canvas inside the panel: ${JSON.stringify(fit)}`);

  // From the keyboard: the checkbox takes the focus, Space toggles it.
  await page.focus('#map-regions');
  await page.keyboard.press('Space');
  await page.waitForFunction(() => document.getElementById('map').dataset.regions === '0');
  assert.equal(await box.isChecked(), false);
  const off = await pixels(page, 'off');
  // (where no reference point is drawn: the regions' own alpha on both sides of that edge)
  const step = await page.evaluate(() => {
    const c = document.getElementById('map'), k = c.width / c.getBoundingClientRect().width, w = c.width;
    const { on, off } = window.__pixels;
    const a = (x, y) => on[4 * (y * w + x) + 3];
    const free = (x, y) => off[4 * (y * w + x) + 3] === 0;
    const e = Math.round(12 * k);
    let max = 0;
    for (let i = e; i < w - e; i++) {
      for (const [x0, y0, x1, y1] of [[e, i, e - 2, i], [w - 1 - e, i, w + 1 - e, i], [i, e, i, e - 2], [i, w - 1 - e, i, w + 1 - e]]) {
        if (free(x0, y0) && free(x1, y1)) max = Math.max(max, Math.abs(a(x0, y0) - a(x1, y1)));
      }
    }
    return max;
  });
  assert.ok(step < 20, `an alpha step of ${step} across the edge of the points' square`);
  // The regions cover far more of the map than the points alone.
  assert.ok(on.painted > off.painted + 0.15 * on.total, `painted ${on.painted} with regions, ${off.painted} without (of ${on.total})`);
  // The pixels only the regions paint are in the classes' colours.
  const { region, matched } = await regionColours(page, COLOURS);
  assert.ok(region > 1000 && matched / region > 0.85, `${matched} of ${region} region pixels in a class colour`);

  // The choice is kept across a reload; Space shows them again.
  await page.reload();
  await waitReady(page);
  await page.click('#tab-map');
  await page.waitForSelector('body[data-map="1"]');
  assert.equal(await page.isChecked('#map-regions'), false);
  await page.waitForFunction(() => document.getElementById('map').dataset.regions === '0');
  await page.focus('#map-regions');
  await page.keyboard.press('Space');
  await page.waitForFunction((n) => Number(document.getElementById('map').dataset.regions) === n, cellsOn);
  assert.deepEqual(errors, []);
  await context.close();
});
