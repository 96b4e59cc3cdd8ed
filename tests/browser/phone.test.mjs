// A phone-size viewport (390 x 844, touch): no view scrolls horizontally, in English and in Spanish;
// the camera input asks for the back camera.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, launchBrowser, openApp, fixtureImages, makeBadFiles } from './helpers.mjs';

let server, browser;
before(async () => { server = await startServer(); browser = await launchBrowser(); });
after(async () => { await browser?.close(); server?.close(); });

const PHONE = { viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true, deviceScaleFactor: 1 };

async function noHorizontalScroll(page, where) {
  const [sw, cw, iw] = await page.evaluate(() => [document.documentElement.scrollWidth, document.documentElement.clientWidth, window.innerWidth]);
  assert.ok(sw <= cw && cw <= 390 && iw <= 390, `${where}: scrollWidth ${sw} > clientWidth ${cw} (innerWidth ${iw})`);
  // Nothing visible sticks out to the right either.
  const wide = await page.evaluate(() => [...document.querySelectorAll('body *')].filter((e) => {
    if (!e.offsetParent && getComputedStyle(e).position !== 'fixed') return false;
    const r = e.getBoundingClientRect();
    if (r.width === 0 || r.right <= 391) return false;
    for (let p = e.parentElement; p; p = p.parentElement) { const o = getComputedStyle(p).overflowX; if (o === 'auto' || o === 'scroll' || o === 'hidden') return false; }
    return true;
  }).map((e) => `${e.tagName}#${e.id}.${e.className} right=${e.getBoundingClientRect().right}`).slice(0, 5));
  assert.deepEqual(wide, [], `${where}: elements past the right edge`);
}

for (const locale of ['en-US', 'es-ES']) {
  test(`390x844 phone viewport has no horizontal scroll in any view (${locale})`, async () => {
    const { context, page, errors } = await openApp(browser, server.url, { ...PHONE, locale });
    assert.equal(await page.getAttribute('#camera', 'capture'), 'environment');
    await noHorizontalScroll(page, 'start');
    // The tab list may scroll, but all four tabs fit it, each on one line (the Spanish "Acerca de"
    // once wrapped and was cut off at the right edge).
    const tabs = await page.$$eval('.tabs [role="tab"]', (ts) => ts.map((b) => {
      const r = b.getBoundingClientRect(), list = b.parentElement.getBoundingClientRect();
      return { text: b.textContent.trim(), right: r.right, listRight: list.right, height: r.height, oneLine: b.scrollHeight <= b.clientHeight + 1 && r.height < 48 };
    }));
    for (const tab of tabs) assert.ok(tab.right <= tab.listRight + 0.5 && tab.oneLine, `tab ${JSON.stringify(tab)}`);
    await page.tap('#examples button >> nth=5');
    await page.waitForSelector('#cell[data-label] #cam-canvas');
    await page.waitForFunction(() => !document.querySelector('.cam-wait'));
    await noHorizontalScroll(page, 'cell view');
    const bad = makeBadFiles(`bad-phone-${locale}`);
    await page.setInputFiles('#files', [...fixtureImages, bad.text]);
    // (the example is in the demo review; these go to the user's sample)
    await page.waitForFunction((n) => document.body.dataset.busy === '0' && document.querySelectorAll('#gallery li.cell').length === n, fixtureImages.length + 1);
    await page.tap('#gallery li.cell[data-label] >> nth=1');
    await noHorizontalScroll(page, 'review view');
    await page.tap('#tab-map');
    await page.waitForTimeout(100);
    await noHorizontalScroll(page, 'map view');
    await page.tap('#tab-about');
    await page.waitForSelector('#about .confusion');
    await noHorizontalScroll(page, 'about view');
    assert.deepEqual(errors, []);
    await context.close();
  });
}
