// report.js - the printed report of the open sample: who and what (sample ID, dates, reviewer, review
// status), the differential under the clinical rules (counting.js), the cells not counted, a strip of
// thumbnails per class, the software, model and thresholds used, and the disclaimer. The "Report"
// button builds it and opens the browser's print dialog (Save as PDF works); report.css prints it
// alone, on one A4 or Letter page for a normal count. Everything the user supplied (sample ID,
// reviewer, file names) goes in as text, never as markup.
import { state, el, groupOf, classColour, GREY } from '../state.js';
import { t, className, subclassName, pct, num, getLang, errorText, dateTimeText } from '../i18n.js';
import { summary } from '../counting.js';
import { LEUKOCYTES, NRBC, PLATELET, subclassRows, progress } from '../differential.js';
import { APP_VERSION } from '../version.js';
import { onSampleChange } from '../samples.js';

const $ = (id) => document.getElementById(id);
const THUMBS_PER_CLASS = 10;
const FILES_LISTED = 4;
const NAME_CHARS = 60;       // longer file names are shortened in the middle, keeping the end (extension)
let api = null;
let stale = true;              // the cells or settings changed since the sheet was built
// cell id -> a canvas with the cell's thumbnail: drawn from the image once, so that the sheet keeps
// no object URL alive (the gallery gives each back as soon as it is out of view) and prints at once.
const drawn = new Map();
const THUMB_PX = 128;        // 10 mm printed at about 325 dpi

export function initReport(a) {
  api = a;
  $('report').addEventListener('click', () => { printReport(); });
  // Printing by the browser's menu or Ctrl+P prints the report too: of the review as it is now.
  addEventListener('beforeprint', () => {
    if (stale) buildSheet();
    else $('report-sheet').querySelector('.r-printed')?.replaceChildren(t('report.printed', { at: timeText(Date.now()) }));
  });
  onSampleChange(reportStale);
}

// The browser's own Print cannot wait for thumbnails to load (beforeprint is synchronous), so a
// moment after the review stops changing they are loaded and the sheet built ahead (it is hidden
// on screen); a batch in progress puts this off until it ends.
const WARM_MS = 700;
let warmTimer = 0;
function warmSoon() {
  clearTimeout(warmTimer);
  warmTimer = setTimeout(warm, WARM_MS);
}
async function warm() {
  if (!state.info) return;            // no model: nothing to report (the next count drawn asks again)
  if (document.body.dataset.busy === '1' || document.body.dataset.report === 'building') { warmSoon(); return; }
  await drawThumbs(wantedThumbs());
  buildSheet();
}

// Called when anything the report shows may have changed (the differential is drawn again).
export function reportStale() { stale = true; warmSoon(); }

// The page's cells were unloaded (cleared, or another sample opened): their drawn thumbnails go.
export function forgetThumbs() { drawn.clear(); reportStale(); }

// Builds the sheet with its thumbnails loaded, then opens the print dialog.
export async function printReport() {
  document.body.dataset.report = 'building';
  await drawThumbs(wantedThumbs());
  buildSheet();
  document.body.dataset.report = 'ready';
  window.print();
}

// The cells shown per class: the first THUMBS_PER_CLASS of each class group, by id.
function byClass() {
  const out = new Map(state.info.classes.map((_, k) => [k, []]));
  for (const c of state.cells.values()) {
    const g = groupOf(c);
    if (typeof g === 'number') out.get(g).push(c);
  }
  return out;
}

function wantedThumbs() {
  const ids = new Set();
  for (const cells of byClass().values()) for (const c of cells.slice(0, THUMBS_PER_CLASS)) ids.add(c.id);
  return ids;
}

// The square centre of each image (as the gallery's object-fit: cover shows it), THUMB_PX wide.
async function drawThumbs(ids) {
  for (const id of [...drawn.keys()]) if (!ids.has(id) || !state.cells.has(id)) drawn.delete(id);
  await Promise.all([...ids].filter((id) => !drawn.has(id)).map(async (id) => {
    const blob = await api.getBlob(id);
    if (!blob || !state.cells.has(id)) return;
    let bmp;
    try { bmp = await createImageBitmap(blob); } catch { return; }
    const side = Math.min(bmp.width, bmp.height);
    const c = el('canvas', { class: 'r-img', width: String(THUMB_PX), height: String(THUMB_PX), 'aria-hidden': 'true' });
    c.getContext('2d').drawImage(bmp, (bmp.width - side) / 2, (bmp.height - side) / 2, side, side, 0, 0, THUMB_PX, THUMB_PX);
    bmp.close();
    drawn.set(id, c);
  }));
}

// ---- the sheet ------------------------------------------------------------------------------------
function buildSheet() {
  stale = false;
  const s = summary();
  const sheet = $('report-sheet');
  sheet.lang = getLang();
  sheet.replaceChildren(...[header(), counts(s), thumbs(), files(), footer()].filter(Boolean));
  return sheet;
}

// Dates in the browser's own form of the page's language (es-CO), as the sample bar shows them.
function locale() {
  const lang = getLang();
  return (navigator.languages || []).find((l) => l.toLowerCase().split('-')[0] === lang) || lang;
}

function dateText(ymd) {
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(ymd || '');
  if (!m) return '—';
  return new Intl.DateTimeFormat(locale(), { dateStyle: 'long' }).format(new Date(Number(m[1]), Number(m[2]) - 1, Number(m[3])));
}

function timeText(d) {
  const x = new Date(d);
  return Number.isNaN(x.getTime()) ? '—' : dateTimeText(x, locale());
}

function facts(pairs, cls) {
  return el('dl', { class: cls }, pairs.flatMap(([k, v, key]) => [el('dt', { text: k }), el('dd', { text: v, dataset: { field: key } })]));
}

function header() {
  const s = state.sample;
  const status = s?.reviewed ? t('report.reviewed', { by: s.reviewed.by || '—', at: timeText(s.reviewed.at) }) : t('report.notReviewed');
  return el('header', { class: 'r-head' },
    el('div', { class: 'r-title' }, el('h1', { text: t('report.title') }), el('p', { class: 'r-printed', text: t('report.printed', { at: timeText(Date.now()) }) })),
    facts([
      [t('report.sample'), s?.id || t('report.noSample'), 'sample'],
      [t('report.date'), dateText(s?.date), 'date'],
      [t('report.reviewer'), s?.reviewer || '—', 'reviewer'],
      [t('report.status'), status, 'status'],
    ], 'r-sample'));
}

function swatch(k) {
  const sw = el('span', { class: 'swatch', 'aria-hidden': 'true' });
  const i = state.info.classes.indexOf(k);
  sw.style.background = i < 0 ? GREY : classColour(i);
  return sw;
}

const pctText = (p) => (p === null ? '—' : pct(p / 100, 1));
const absText = (x) => (x === null || x === undefined ? '—' : num(x, 2));

function counts(s) {
  const p = progress(s);
  const abs = s.absolute !== null;
  const rows = LEUKOCYTES.flatMap((k) => [el('tr', { dataset: { class: k } }, el('th', { scope: 'row' }, swatch(k), className(k)),
    el('td', { text: String(s.differential[k].count) }), el('td', { text: pctText(s.differential[k].percent) }),
    abs ? el('td', { text: absText(s.absolute[k]) }) : null),
  // the kinds under their class (bands beside segmented neutrophils), in % of the WBC
  ...subclassRows(s, k).map((r) => el('tr', { class: 'r-sub', dataset: { subclass: `${k}/${r.id}` } }, el('th', { scope: 'row', text: subclassName(r.id) }),
    el('td', { text: String(r.count) }), el('td', { text: pctText(r.percent) }), abs ? el('td', { text: absText(r.absolute) }) : null))]);
  const diff = el('table', { class: 'r-diff' },
    el('thead', {}, el('tr', {}, el('th', { scope: 'col', text: t('diff.class') }), el('th', { scope: 'col', text: t('diff.count') }),
      el('th', { scope: 'col', text: t('diff.pct') }), abs ? el('th', { scope: 'col', text: t('diff.abs') }) : null)),
    el('tbody', {}, rows),
    el('tfoot', {}, el('tr', {}, el('th', { scope: 'row', text: t('diff.wbc') }), el('td', { text: String(s.wbc) }), el('td', { text: s.wbc ? pct(1, 0) : '—' }),
      abs ? el('td', { text: absText(s.wbc_corrected) }) : null)));
  // Two columns, as on the screen: a third one for the NRBC rate left the labels a narrow column
  // that wrapped to three or four lines in Spanish.
  const line = (label, n, key = '') => el('tr', { dataset: { group: key } }, el('th', { scope: 'row', text: label }), el('td', { text: String(n) }));
  const apart = el('table', { class: 'r-apart' }, el('tbody', {},
    line(t('diff.nrbc'), s.nrbc, NRBC),
    line(t('diff.nrbcRate'), s.nrbc_per_100_wbc === null ? '—' : num(s.nrbc_per_100_wbc, 1), 'nrbc-per-100'),
    line(t('diff.platelets'), s.platelets, PLATELET),
    s.other ? line(t('report.otherClasses'), s.other, 'other') : null,
    line(t('group.unidentified'), s.unidentified, 'unidentified'),
    line(t('diff.excluded'), s.excluded, 'excluded'),
    line(t('group.error'), s.failed, 'failed'),
    line(t('report.total'), s.total, 'total')));
  const top = el('p', { class: 'r-progress' }, el('strong', { text: t('count.progress', { n: p.counted, target: p.target }) }));
  if (p.low && s.wbc > 0) top.append(' ', el('span', { class: 'r-low', text: `⚠ ${t('count.low', { n: s.wbc, target: s.target })}` }));
  else if (p.done) top.append(' ', el('span', { class: 'r-done', text: `✓ ${t('count.done')}` }));
  const wbc = s.wbc_total === null ? null : el('p', { class: 'r-wbc', text: s.wbc_corrected === null ? t('diff.wbcGivenOnly', { wbc: absText(s.wbc_total) })
    : t('diff.wbcLine', { wbc: absText(s.wbc_total), corrected: absText(s.wbc_corrected) }) });
  return el('section', { class: 'r-counts' }, top, el('div', { class: 'r-tables' }, diff, apart), wbc);
}

function thumbs() {
  const groups = byClass();
  const order = [...LEUKOCYTES, NRBC, PLATELET, ...state.info.classes.filter((k) => ![...LEUKOCYTES, NRBC, PLATELET].includes(k))];
  const rows = [];
  for (const k of order) {
    const i = state.info.classes.indexOf(k);
    const cells = i < 0 ? [] : groups.get(i);
    if (!cells.length) continue;
    const strip = el('div', { class: 'r-strip' });
    for (const c of cells.slice(0, THUMBS_PER_CLASS)) {
      strip.append(drawn.get(c.id) || el('span', { class: 'r-noimg', title: t('report.noImage') }));
    }
    if (cells.length > THUMBS_PER_CLASS) strip.append(el('span', { class: 'r-more', text: t('report.more', { n: cells.length - THUMBS_PER_CLASS }) }));
    rows.push(el('div', { class: 'r-class', dataset: { class: k } }, el('span', { class: 'r-cname' }, swatch(k), `${className(k)} (${cells.length})`), strip));
  }
  return el('section', { class: 'r-thumbs' }, el('h2', { text: t('report.cells') }), rows);
}

// A file name of at most NAME_CHARS characters: a long one keeps its start and its end, so that
// the reason after it still fits the line and the sheet one page (the exports have every name).
function shortName(name) {
  const s = [...String(name)];
  return s.length <= NAME_CHARS ? s.join('') : `${s.slice(0, NAME_CHARS - 21).join('')}…${s.slice(-20).join('')}`;
}

// The files not counted, by name: failed ones with the reason, excluded ones.
function files() {
  const failed = [], excluded = [];
  for (const c of state.cells.values()) {
    const g = groupOf(c);
    if (g === 'error') failed.push(`${shortName(c.name)} — ${errorText(c.error)}`);
    else if (g === 'excluded') excluded.push(shortName(c.name));
  }
  const list = (title, names, key) => {
    if (!names.length) return null;
    const items = names.slice(0, FILES_LISTED).map((n) => el('li', { text: n }));
    if (names.length > FILES_LISTED) items.push(el('li', { class: 'r-more', text: t('report.more', { n: names.length - FILES_LISTED }) }));
    return el('div', { class: 'r-files', dataset: { list: key } }, el('h2', { text: `${title} (${names.length})` }), el('ul', {}, items));
  };
  const parts = [list(t('report.failedFiles'), failed, 'failed'), list(t('report.excludedFiles'), excluded, 'excluded')].filter(Boolean);
  return parts.length ? el('section', { class: 'r-lists' }, parts) : null;
}

function footer() {
  const thr = state.threshold;
  const ood = state.mapOk && Number.isFinite(state.map?.ood?.threshold) ? num(state.map.ood.threshold, 4) : t('report.noOod');
  return el('footer', { class: 'r-foot' },
    el('p', { class: 'r-software', text: t('report.software', { version: APP_VERSION, model: state.info.modelName, conf: num(thr, Math.round(thr * 1000) % 10 ? 3 : 2), ood }) }),
    el('p', { class: 'r-disclaimer', text: t('report.disclaimer') }));
}
