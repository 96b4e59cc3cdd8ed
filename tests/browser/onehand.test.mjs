// One-handed review on a phone (issue 17), in the real page, English and Spanish: the selected-cell
// bar is never under the sticky header (bounding boxes, 360 to 430 px and 1280 px); every tab is on
// screen (or the list says that more are to the side); the bottom counter bar reassigns the selected
// cell with one tap and steps to the next; touch targets are at least 44 px and text at least 13 px,
// measured in the page in every view.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, launchBrowser, openApp, fixtureImages, exampleImages, differential, CONFIGS } from './helpers.mjs';

let server, browser;
before(async () => { server = await startServer(); browser = await launchBrowser(); });
after(async () => { await browser?.close(); server?.close(); });

const files = [...fixtureImages, ...exampleImages.slice(0, 6)];

// Visible interactive elements under 44 px, and visible text under 13 px (in CSS px).
function measure() {
  const visible = (e) => {
    if (!e.checkVisibility({ checkOpacity: true, checkVisibilityCSS: true })) return false;
    const r = e.getBoundingClientRect();
    if (r.width < 2 || r.height < 2) return false;
    for (let p = e; p; p = p.parentElement) if (p.closest('details:not([open])') && !p.matches('summary') && p.closest('details:not([open])') !== p.closest('summary')?.parentElement) return false;
    return true;
  };
  const small = [];
  const targets = document.querySelectorAll('button, select, input:not([type="file"]):not(.visually-hidden), label.button, [role="tab"], summary, li.cell');
  for (const e of targets) {
    if (!visible(e) || e.closest('.field-boxes')) continue;   // (the boxes drawn on a field photo are the size of the cell they mark)
    let r = e.getBoundingClientRect();
    let what = e;
    if (e.matches('input[type="checkbox"], input[type="radio"]')) {
      // a check box is hit through its label too: the label's row is the target
      const l = document.querySelector(`label[for="${e.id}"]`);
      if (!l) { small.push(`${e.id} has no label`); continue; }
      const lr = l.getBoundingClientRect();
      r = { width: lr.right - Math.min(lr.left, r.left), height: Math.max(lr.height, r.height) };
      what = l;
    }
    const needW = !e.matches('select, input[type="text"], input[type="range"], input[type="date"]');
    if (r.height < 43.5 || (needW && r.width < 43.5)) small.push(`${what.tagName.toLowerCase()}#${what.id}.${what.className} "${(what.textContent || '').trim().slice(0, 30)}" ${Math.round(r.width)}x${Math.round(r.height)}`);
  }
  const tiny = [];
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  for (let n = walker.nextNode(); n; n = walker.nextNode()) {
    if (!n.textContent.trim()) continue;
    const e = n.parentElement;
    if (!e || e.closest('.visually-hidden, .field-boxes, #report-sheet, option') || !visible(e)) continue;
    const fs = parseFloat(getComputedStyle(e).fontSize);
    if (fs < 12.99) tiny.push(`${e.tagName.toLowerCase()}.${e.className} "${n.textContent.trim().slice(0, 30)}" ${fs}px`);
  }
  return { small: [...new Set(small)], tiny: [...new Set(tiny)] };
}

async function checkSizes(page, where, touch) {
  const m = await page.evaluate(measure);
  if (touch) assert.deepEqual(m.small, [], `${where}: touch targets under 44 px`);
  assert.deepEqual(m.tiny, [], `${where}: text under 13 px`);
}

for (const locale of ['en-US', 'es-CO']) {
  test(`the selected-cell bar is never under the header; every tab is reachable (360-430 px and 1280 px, ${locale})`, async () => {
    const { context, page, errors } = await openApp(browser, server.url, { viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true, locale });
    await page.setInputFiles('#files', files);
    await page.waitForFunction((n) => document.body.dataset.busy === '0' && document.querySelectorAll('#gallery li.cell').length === n, files.length);
    assert.equal((await page.textContent('#review-count')).trim(), String(files.length));
    for (const width of [360, 375, 390, 412, 430, 1280]) {
      await page.setViewportSize({ width, height: width > 500 ? 800 : 844 });
      await page.click('#tab-review');
      await page.click('#gallery li.cell >> nth=3');
      for (const y of [0, 400, 900, 1600, 2400]) {
        await page.evaluate((yy) => window.scrollTo(0, yy), y);
        await page.waitForTimeout(60);
        const r = await page.evaluate(() => {
          const head = document.querySelector('header.top').getBoundingClientRect();
          const sel = document.getElementById('selection').getBoundingClientRect();
          const name = document.getElementById('selection-name').getBoundingClientRect();
          const tabs = [...document.querySelectorAll('.tabs [role="tab"]')].map((t) => { const b = t.getBoundingClientRect(); return { id: t.id, left: b.left, right: b.right }; });
          return { head: head.bottom, sel: sel.top, selBottom: sel.bottom, name: name.top, tabs, cue: document.querySelector('.tabs').classList.contains('more-right'), w: innerWidth, h: innerHeight };
        });
        // The bar is under the header, never behind it (when it is on screen at all).
        if (r.selBottom > 0 && r.sel < r.h) assert.ok(r.sel >= r.head - 0.5 && r.name >= r.head, `${width} px, scrolled ${y}: the bar starts at ${r.sel}, the header ends at ${r.head}`);
        for (const tab of r.tabs) assert.ok(tab.left >= -0.5 && tab.right <= r.w + 0.5, `${width} px: ${tab.id} is on screen (${tab.left}-${tab.right} of ${r.w})`);
      }
    }
    // Narrower than any phone here: the tabs no longer fit, and the list says so.
    await page.setViewportSize({ width: 300, height: 700 });
    await page.waitForTimeout(100);
    const narrow = await page.evaluate(() => { const l = document.querySelector('.tabs'); return { fits: l.scrollWidth <= l.clientWidth, cue: l.classList.contains('more-right') }; });
    assert.ok(narrow.fits || narrow.cue, 'tabs that do not fit show the cue');
    if (!narrow.fits) {
      await page.$eval('.tabs', (l) => { l.scrollLeft = l.scrollWidth; });
      await page.waitForFunction(() => !document.querySelector('.tabs').classList.contains('more-right'));
    }
    assert.deepEqual(errors, []);
    await context.close();
  });

  for (const cfg of CONFIGS) {
    test(`the counter bar: one tap reassigns and steps; touch targets and text sizes (${cfg.name}, ${locale})`, async () => {
      const { viewport, isMobile, hasTouch } = cfg;
      const touch = cfg.name === 'phone';
      const { context, page, errors } = await openApp(browser, server.url, { viewport, isMobile, hasTouch, locale });
      await checkSizes(page, 'start', touch);
      const tap = (sel) => (touch ? page.tap(sel) : page.click(sel));
      await tap('#examples button:not(.field-example) >> nth=0');
      await page.waitForSelector('#cell[data-label]');
      await page.waitForFunction(() => !document.querySelector('#cell .cam-wait'));
      await checkSizes(page, 'cell view', touch);
      await page.setInputFiles('#files', files);
      await page.waitForFunction((n) => document.body.dataset.busy === '0' && document.querySelectorAll('#gallery li.cell').length === n, files.length);
      // The bar: at the bottom of the screen, a key per class and Unidentified with the running count.
      const bar = page.locator('#counter');
      assert.ok(await bar.isVisible());
      const bb = await bar.boundingBox();
      assert.ok(Math.abs(bb.y + bb.height - viewport.height) <= 1, `the bar is at the bottom (${bb.y + bb.height} of ${viewport.height})`);
      const keys = async () => page.$$eval('#counter .count-key', (bs) => bs.map((b) => ({ v: b.dataset.value, n: Number(b.querySelector('.key-n').textContent), h: b.getBoundingClientRect().height, w: b.getBoundingClientRect().width, disabled: b.disabled })));
      let k = await keys();
      assert.equal(k.length, 9);
      for (const x of k) assert.ok(x.h >= 44 && x.w >= 30 && x.disabled, `key ${x.v}: ${x.w}x${x.h}, disabled until a cell is selected`);
      const d0 = await differential(page);
      const classes = await page.evaluate(async () => (await import('./state.js')).state.info.classes);
      classes.forEach((c, i) => assert.equal(k[i].n, d0.groups[c], `${c} count`));
      assert.equal(k[8].n, d0.unidentified);
      // Select the first cell, tap a class it is not in: it moves, the counts follow, the next cell is selected.
      await tap('#counter-next');
      const order = await page.$$eval('#gallery li.cell', (lis) => lis.map((li) => ({ id: li.dataset.id, group: li.dataset.group })));
      assert.equal(await page.getAttribute('#gallery li.cell[aria-selected="true"]', 'data-id'), order[0].id);
      const first = order[0];
      const target = classes.findIndex((c) => c !== first.group);
      await tap(`#counter .count-key[data-value="${target}"]`);
      await page.waitForSelector(`#gallery section[data-group="${classes[target]}"] li.cell[data-id="${first.id}"]`);
      assert.equal(await page.getAttribute('#gallery li.cell[aria-selected="true"]', 'data-id'), order[1].id, 'the next cell is selected');
      k = await keys();
      const d1 = await differential(page);
      assert.equal(k[target].n, d1.groups[classes[target]]);
      assert.equal(d1.groups[classes[target]], d0.groups[classes[target]] + 1);
      assert.equal(await page.textContent('#counter-name'), await page.getAttribute(`#gallery li.cell[data-id="${order[1].id}"]`, 'data-file'));
      // Step on without a change, and back.
      const now = await page.$$eval('#gallery li.cell', (lis) => lis.map((li) => li.dataset.id));
      await tap('#counter-next');
      assert.equal(await page.getAttribute('#gallery li.cell[aria-selected="true"]', 'data-id'), now[now.indexOf(order[1].id) + 1]);
      await tap('#counter-prev');
      assert.equal(await page.getAttribute('#gallery li.cell[aria-selected="true"]', 'data-id'), order[1].id);
      // Unidentified from the bar.
      await tap('#counter .count-key[data-value="-1"]');
      await page.waitForSelector(`#gallery section[data-group="unidentified"] li.cell[data-id="${order[1].id}"]`);
      // The last tiles are not under the bar: the page scrolls far enough.
      await page.evaluate(() => window.scrollTo(0, document.documentElement.scrollHeight));
      const last = await page.evaluate(() => { const lis = document.querySelectorAll('#gallery li.cell'); return lis[lis.length - 1].getBoundingClientRect().bottom; });
      assert.ok(last <= (await bar.boundingBox()).y + 1, `the last tile (bottom ${last}) is above the bar`);
      await checkSizes(page, 'review view', touch);
      await tap('#tab-map');
      await page.waitForTimeout(150);
      assert.ok(await bar.isHidden(), 'the bar belongs to the review');
      await checkSizes(page, 'map view', touch);
      await tap('#tab-about');
      await page.waitForSelector('#about .confusion');
      await checkSizes(page, 'about view', touch);
      assert.deepEqual(errors, []);
      await context.close();
    });
  }
}
