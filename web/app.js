// app.js - the page: inputs, the worker that classifies, the review state, views, offline updates.
// All classification runs in worker.js; nothing is sent anywhere.
import { t, setLang, pickLanguage, getLang, onLangChange, className, errorText, num } from './i18n.js';
import { state, el } from './state.js';
import { Store } from './store.js';
import * as review from './views/review.js';
import { initMap, drawMain } from './views/map.js';
import { initCell, renderCell, renderVerdict, clearCell, refreshCell, rerenderCell, currentCellId } from './views/cell.js';
import { renderAbout } from './views/about.js';
import { initReport, forgetThumbs } from './views/report.js';
import { toCSV, toJSON, download } from './export.js';
import { parseReview } from './import.js';
import * as samples from './samples.js';
import { initSampleBar } from './views/samples.js';
import { Pool } from './pool.js';
import * as fieldView from './views/field.js';
import { summary } from './counting.js';
import { progress } from './differential.js';
import { initCounter, renderCounter } from './views/counter.js';

const $ = (id) => document.getElementById(id);
const MAP_URL = new URL('./models/reference-map.json', import.meta.url).href;
const CARD_URL = new URL('./models/model-card.json', import.meta.url).href;
const MAP_BASE = new URL('./models/', import.meta.url).href;
const MAX_MB = 50;
const IMAGE_EXT = /\.(jpe?g|png|bmp|gif|webp|avif|tiff?)$/i;   // what the file picker offers (index.html)

setLang(pickLanguage());
$('lang').value = getLang();

// ---- workers (started by start.js; pool.js spreads the requests) ------------------------------------
let readyResolve;
const ready = new Promise((r) => { readyResolve = r; });

const pool = new Pool({
  ready(info, timing) {
    state.info = info;
    window.bloodcellTiming = { ...timing };
    performance.mark('bloodcell-ready');
    document.body.dataset.ready = '1';
    readyResolve(true);
  },
  error(error) {
    state.modelError = error;
    document.body.dataset.ready = 'error';
    setStatus(t('status.modelError', { error }), true);
    readyResolve(false);
  },
  map(m) {
    state.mapOk = m.ok;
    if (m.timing) (window.bloodcellTiming ??= {}).map = m.timing.map;
    if (!m.ok) { state.mapError = m.error; setStatus(t('status.mapError', { error: m.error })); }
    document.body.dataset.map = m.ok ? '1' : 'error';
  },
  change() {
    document.body.dataset.workers = String(pool.ready().length);
    if (run.active) pump();
  },
});
window.bloodcellPool = pool;   // for the benchmark and soak scripts (worker count, wasm heaps)

// Careful mode (the engine's 8-view test-time augmentation) is the user's choice, kept in this browser.
const CAREFUL_KEY = 'bloodcell.careful';
state.careful = (() => { try { return localStorage.getItem(CAREFUL_KEY) === '1'; } catch { return false; } })();
function classifyBytes(buf, cam, careful = state.careful) { return pool.classify(buf, cam, careful); }

// What the images are (the switch above the drop zone, kept in this browser): 'auto' (a whole field
// unless single-cell sized: worker.js fieldSized()), 'cells' (each image one cell) or 'fields'.
const MODE_KEY = 'bloodcell.imageMode';
const MODES = ['auto', 'cells', 'fields'];
state.imageMode = (() => { try { const m = localStorage.getItem(MODE_KEY); return MODES.includes(m) ? m : 'auto'; } catch { return 'auto'; } })();
for (const r of document.querySelectorAll('input[name="image-mode"]')) {
  r.checked = r.value === state.imageMode;
  r.addEventListener('change', () => {
    if (!r.checked) return;
    state.imageMode = r.value;
    try { localStorage.setItem(MODE_KEY, r.value); } catch { /* private mode: for this visit only */ }
  });
}
const fileMode = new WeakMap();    // File -> mode, for images that say what they are (the field examples)

// ---- status ------------------------------------------------------------------------------------
let statusKey = null;   // re-translated on a language switch
function setStatus(text, isError = false, key = null) {
  const s = $('status');
  s.textContent = text;
  s.classList.toggle('error', isError);
  statusKey = key;
}
function setStatusKey(key, vars, isError = false) { setStatus(t(key, vars), isError, { key, vars, isError }); }

// ---- views -------------------------------------------------------------------------------------
// The sticky header's height, for what sticks below it (the review's selected-cell bar): it changes
// with the language, the width and the badge, so it is measured, not assumed.
new ResizeObserver(() => document.documentElement.style.setProperty('--head-h', `${Math.ceil(document.querySelector('header.top').getBoundingClientRect().height)}px`))
  .observe(document.querySelector('header.top'));
// The tab list scrolls sideways when the tabs do not fit: a fade and an arrow at the side that hides some.
const tabList = document.querySelector('.tabs');
function tabCue() {
  tabList.classList.toggle('more-right', tabList.scrollLeft + tabList.clientWidth < tabList.scrollWidth - 1);
  tabList.classList.toggle('more-left', tabList.scrollLeft > 1);
}
tabList.addEventListener('scroll', tabCue, { passive: true });
new ResizeObserver(tabCue).observe(tabList);
new MutationObserver(tabCue).observe(tabList, { subtree: true, characterData: true, childList: true });

const VIEWS = ['cell', 'review', 'map', 'about'];
let currentView = 'cell';
function showView(name, focus = false) {
  currentView = name;
  for (const v of VIEWS) {
    const tab = $(`tab-${v}`);
    const on = v === name;
    tab.setAttribute('aria-selected', String(on));
    tab.tabIndex = on ? 0 : -1;
    $(`view-${v}`).hidden = !on;
  }
  $('input').hidden = name === 'about' || name === 'map';
  document.body.dataset.view = name;
  renderCounter();
  review.queueThumbs();
  if (name === 'map') drawMain();
  if (name === 'about') renderAbout(MAP_BASE);
  if (focus) $(`tab-${name}`).focus();
}
for (const v of VIEWS) $(`tab-${v}`).addEventListener('click', () => showView(v));
document.querySelector('.tabs').addEventListener('keydown', (e) => {
  const i = VIEWS.indexOf(currentView);
  let j = null;
  if (e.key === 'ArrowRight') j = (i + 1) % VIEWS.length;
  else if (e.key === 'ArrowLeft') j = (i - 1 + VIEWS.length) % VIEWS.length;
  else if (e.key === 'Home') j = 0;
  else if (e.key === 'End') j = VIEWS.length - 1;
  if (j === null) return;
  e.preventDefault();
  showView(VIEWS[j], true);
});

// ---- cells ---------------------------------------------------------------------------------------
const store = new Store();
let saves = 0;
store.onsaved = () => { document.body.dataset.saved = String(++saves); };
document.addEventListener('visibilitychange', () => { if (document.visibilityState === 'hidden') store.flush(); });
const blobs = new Map();      // id -> Blob (this session's files; older ones come from IndexedDB)
// Thumbnails are object URLs of the images, made when a view shows one and revoked as soon as no
// view shows it (counted: the gallery's visible items and the map's tooltip).
const thumbs = new Map();     // id -> {url, refs}

async function getBlob(id) {
  if (blobs.has(id)) return blobs.get(id);
  try { return (await store.blob(id)) || null; } catch { return null; }
}

async function acquireThumb(id) {
  if (!thumbs.has(id)) {
    const b = await getBlob(id);
    if (!b || !state.cells.has(id)) return null;
    if (!thumbs.has(id)) thumbs.set(id, { url: URL.createObjectURL(b), refs: 0 });
  }
  const th = thumbs.get(id);
  th.refs++;
  return th.url;
}

function releaseThumb(id) {
  const th = thumbs.get(id);
  if (!th || --th.refs > 0) return;
  URL.revokeObjectURL(th.url);
  thumbs.delete(id);
}

function revokeAllThumbs() {
  for (const th of thumbs.values()) URL.revokeObjectURL(th.url);
  thumbs.clear();
  forgetThumbs();
}

async function openCell(id, extras = null, opts = {}) {
  const cell = state.cells.get(id);
  if (!cell) return;
  const fromReview = opts.fromReview ?? (currentView === 'review' || currentView === 'map');
  state.current = id;
  showView('cell');
  fieldView.hideField();
  await renderCell(cell, extras, { focus: opts.focus ?? true, fromReview });
  if (!extras && cell.ok) await loadCam(id, fromReview);
}

// The heatmaps need the image again: classified once more with the CAM outputs.
async function loadCam(id, fromReview) {
  const fc = state.cells.get(id);
  if (fc?.field) { await loadFieldCam(id, fromReview); return; }
  const blob = await getBlob(id);
  if (!blob) return;
  // The heatmaps come from the same mode as the cell's call.
  const r = await classifyBytes(await blob.arrayBuffer(), true, !!state.cells.get(id)?.careful);
  if (state.current === id && r.ok) await renderCell(state.cells.get(id), { cams: r.cams, rgb: r.rgb, blob }, { focus: false, fromReview, keepHead: true });
}

function reassign(id, value) {
  const c = state.cells.get(id);
  if (!c || !c.ok) return;
  if (c.confirmed !== value) samples.markChanged('reassign');
  c.confirmed = value;
  store.put(c);
  review.updateItem(c);
  if (currentCellId() === id) refreshCell();
  if (c.field) fieldView.fieldsChanged();
  if (currentView === 'map') drawMain();
}

// The kind within the class the cell is counted in (band / segmented, ...): the user's call, or null
// for the model's.
function reassignSub(id, subId) {
  const c = state.cells.get(id);
  if (!c || !c.ok) return;
  const v = subId ?? null;
  if ((c.subConfirmed ?? null) === v) return;
  samples.markChanged('reassign');
  c.subConfirmed = v;
  store.put(c);
  review.updateItem(c);
  if (currentCellId() === id) refreshCell();
  if (c.field) fieldView.fieldsChanged();
}

// ---- whole fields ---------------------------------------------------------------------------------
// A field: {id, name, sample, width, height, rbcDiameterPx, orientation, total, small, viewWidth,
// viewHeight, added}; its located cells carry field (its id), source (its file name) and box
// [x0, y0, x1, y1] (pixels of the photo as oriented). The photo itself stays in IndexedDB (and, for
// this session, in fieldBlobs) and goes to a worker only when a cell is added or a heatmap is needed;
// the page keeps the worker's reduced JPEG copy for the view.
const fieldBlobs = new Map();   // field id -> {photo: Blob, view: Blob}

async function fieldBlob(fid, which) {
  const b = fieldBlobs.get(fid)?.[which];
  if (b) return b;
  try { return (await store.blob(`${which === 'photo' ? 'field' : 'fieldview'}:${fid}`)) || null; } catch { return null; }
}

// The next free number in a field's cell names (name#k), after those located and added so far.
function nextFieldNumber(fid) {
  let k = 0;
  for (const c of state.cells.values()) if (c.field === fid) k = Math.max(k, Number(/#(\d+)$/.exec(c.name)?.[1] || 0));
  return k + 1;
}

function fieldCellOf(f, r, k, extra = {}) {
  const cell = { id: state.nextId++, name: `${f.name}#${k}`, size: null, added: Date.now(), ok: r.ok, error: r.error || '', confirmed: null,
    field: f.id, source: f.name, box: r.box || extra.box, sample: state.sample?.key, ...extra };
  delete cell.thumb;
  if (r.ok) Object.assign(cell, { label: r.label, index: r.index, confidence: r.confidence, probs: r.probs, subprobs: r.subprobs || [], ood: r.ood });
  if (r.ok && r.careful) cell.careful = true;
  if (r.edge) cell.edge = true;
  if (r.clump) cell.clump = true;
  return cell;
}

function addCellNow(cell, blob) {
  state.cells.set(cell.id, cell);
  if (blob) blobs.set(cell.id, blob);
  store.put(cell, blob || null);
  review.addItem(cell);
}

// Commits a located field: its record, its photo and view copy, and one cell per white cell found.
function commitField(seqName, file, r, hash = null) {
  const f = { id: `${Date.now().toString(36)}-${fieldSeq++}`, name: seqName, sample: state.sample?.key, width: r.width, height: r.height,
    rbcDiameterPx: r.rbcDiameterPx, orientation: r.orientation, total: r.total, small: r.small, viewWidth: r.viewWidth, viewHeight: r.viewHeight, added: Date.now() };
  if (hash) f.hash = hash;
  state.fields.set(f.id, f);
  fieldBlobs.set(f.id, { photo: file, view: r.view });
  store.putField(f, file, r.view);
  r.cells.forEach((c, i) => addCellNow(fieldCellOf(f, c, i + 1), c.thumb));
  fieldView.fieldsChanged();
  return f;
}
let fieldSeq = 0;

// A missed cell, added by a tap at (x, y) (photo px): a box of 1.75 red-cell diameters centred on the
// tap (1/8 of the shorter side without a ruler), classified by a worker like a located cell.
async function addFieldCell(fid, x, y) {
  const f = state.fields.get(fid);
  const photo = f && await fieldBlob(fid, 'photo');
  if (!photo) { setStatusKey('field.noPhoto', {}, true); return null; }
  const side = f.rbcDiameterPx ? 1.75 * f.rbcDiameterPx : Math.min(f.width, f.height) / 8;
  const x0 = Math.max(0, Math.round(x - side / 2)), y0 = Math.max(0, Math.round(y - side / 2));
  const box = [x0, y0, Math.min(f.width, Math.round(x0 + side)), Math.min(f.height, Math.round(y0 + side))];
  const r = await pool.fieldCell(fid, await photo.arrayBuffer(), box, false, state.careful);
  if (!state.fields.has(fid)) return null;          // (the sample was cleared meanwhile)
  const cell = fieldCellOf(f, { ...r, box }, nextFieldNumber(fid), { userAdded: true });
  samples.markChanged('added');
  addCellNow(cell, r.ok ? r.thumb : null);
  review.flushAdds();
  fieldView.fieldsChanged();
  setStatusKey(r.ok ? 'field.added' : 'field.addFailed', { name: cell.name, cls: r.ok ? className(r.label) : '', error: errorText(r.error || '') }, !r.ok);
  return cell;
}

// A located cell's heatmap: its box classified again, with the CAM outputs.
async function loadFieldCam(id, fromReview) {
  const c = state.cells.get(id);
  const photo = await fieldBlob(c.field, 'photo');
  if (!photo) { if (state.current === id) await renderCell(c, { cams: null, rgb: null, blob: await getBlob(id) }, { focus: false, fromReview, keepHead: true }); return; }
  const r = await pool.fieldCell(c.field, await photo.arrayBuffer(), c.box, true, !!c.careful);
  if (state.current === id && r.ok) await renderCell(state.cells.get(id), { cams: r.cams, rgb: r.rgb, blob: await getBlob(id) }, { focus: false, fromReview, keepHead: true });
}

// Deletes one cell (a wrong detection, a cell counted twice...): from the page, the differential and
// IndexedDB. It can be undone (the toast's Undo) until the next deletion: the cell and its image are kept
// in memory until then.
let undoable = null;    // {cell, blobP}
function removeCell(id) {
  const c = state.cells.get(id);
  if (!c) return;
  const blobP = blobs.has(id) ? Promise.resolve(blobs.get(id)) : store.blob(id).catch(() => null);
  samples.markChanged('deleted');
  review.removeItem(id);
  state.cells.delete(id);
  blobs.delete(id);
  hashIndex = null;
  blobP.then(() => store.remove(id));
  undoable = { cell: c, blobP };
  if (state.selected === id) state.selected = null;
  if (state.current === id) state.current = null;
  fieldView.fieldsChanged();
  setStatusKey('cell.deleted', { name: c.name });
  showToast(t('cell.deleted', { name: c.name }), { key: 'cell.deleted', vars: { name: c.name } }, true);
  if (currentView === 'map') drawMain();
}

// Puts the last deleted cell back where it was (cells are kept in id order).
async function undoDelete() {
  const u = undoable;
  undoable = null;
  hideToast();
  if (!u || state.cells.has(u.cell.id) || u.cell.sample !== state.sample?.key) return;
  const blob = await u.blobP;
  const all = [...state.cells.values(), u.cell].sort((a, b) => a.id - b.id);
  state.cells.clear();
  for (const c of all) state.cells.set(c.id, c);
  if (blob) blobs.set(u.cell.id, blob);
  hashIndex = null;
  store.put(u.cell, blob || null);
  review.rebuild();
  fieldView.fieldsChanged();
  setStatusKey('cell.restored', { name: u.cell.name });
  if (currentView === 'map') drawMain();
  document.body.dataset.undone = String(Number(document.body.dataset.undone || 0) + 1);
}

// The toast above the counter bar: a message, with Undo after a deletion; re-translated on a switch.
let toastMsg = null, toastTimer = 0;
function showToast(text, msg, undo = false) {
  toastMsg = msg;
  $('toast-text').textContent = text;
  $('toast-undo').hidden = !undo;
  $('toast').hidden = false;
  clearTimeout(toastTimer);
  toastTimer = setTimeout(hideToast, 20000);
}
function hideToast() { $('toast').hidden = true; toastMsg = null; clearTimeout(toastTimer); }
$('toast-undo').addEventListener('click', () => undoDelete());
$('toast-close').addEventListener('click', hideToast);

// The previous (-1) or next (+1) cell of the review, in the gallery's order, from the one shown.
function stepCell(dir) {
  const ids = review.orderedIds();
  const i = ids.indexOf(state.current);
  const j = i < 0 ? 0 : i + dir;
  if (j < 0 || j >= ids.length) return;
  openCell(ids[j], null, { focus: false, fromReview: true });
}

function showField(fid, focusCell = null) {
  if (!state.fields.has(fid)) return;
  showView('cell');
  clearCell();
  fieldView.showField(fid, { focusCell });
}

const api = { openCell: (id) => openCell(id), loadCam, reassign, reassignSub, acquireThumb, releaseThumb, getBlob, showView, mapBase: MAP_BASE,
  showField, addFieldCell, removeCell, fieldBlob, stepCell, currentView: () => currentView,
  orderedIds: () => review.orderedIds(), selectCell: (id) => review.selectCell(id) };
fieldView.initField(api);
initCell(api);
review.initReview(api);
initMap(api);
initReport(api);
initCounter(api);

// ---- batch ---------------------------------------------------------------------------------------
// Files are read and sent to the pool's workers a few at a time (PER_WORKER each); results may come
// back out of order, and are committed (review, gallery, store) strictly in the order of the files.
const run = { active: false, items: [], next: 0, inflight: 0, done: 0, total: 0, t0: 0, cancelled: false, single: false,
  results: new Map(), commit: 0 };
let progressQueued = false;

function enqueue(files) {
  if (!files.length) return;
  if (!run.active) performance.mark('bloodcell-batch-start');
  if (!run.active) Object.assign(run, { active: true, items: [], next: 0, inflight: 0, done: 0, total: 0, t0: performance.now(), cancelled: false, discard: false, results: new Map(), commit: 0, seq: 0, fields: 0, dups: [] });
  run.items.push(...files);
  run.total += files.length;
  run.single = run.total === 1;
  document.body.dataset.busy = '1';
  if (!run.single) {
    pool.grow();
    $('progress').hidden = false;
    if (currentView !== 'review') showView('review');
  }
  queueProgress();
  pump();
}

function pump() {
  const limit = Math.max(pool.capacity(), 1);
  while (!run.cancelled && run.inflight < limit && run.next < run.items.length) {
    const file = run.items[run.next];
    run.items[run.next++] = null;
    run.inflight++;
    // Results are committed in file order (seq); cell ids are given then, as a field has many cells.
    const id = run.seq++;
    processFile(file, id, run.single).catch((err) => ({ id, cell: null, err })).then(async (done) => {
      if (done.err) console.error(done.err);
      run.results.set(id, done);
      await commitInOrder();
      run.inflight--;
      run.done++;
      queueProgress();
      if (run.inflight === 0 && (run.cancelled || run.next >= run.items.length)) finish();
      else pump();
    });
  }
}

// Reads and classifies one file; the cell is committed later, in file order.
async function processFile(file, id, single) {
  const name = file.webkitRelativePath || file.name || `image-${state.nextId + id}`;
  const mode = fileMode.get(file) || state.imageMode;
  let r, hash = null;
  if (file.size > MAX_MB * 1024 * 1024) r = { ok: false, error: `image too large (${(file.size / 1048576).toFixed(1)} MB; the limit is ${MAX_MB} MB)` };
  else {
    let buf = null;
    try { buf = await file.arrayBuffer(); } catch { r = { ok: false, error: 'the file could not be read' }; }
    if (buf) {
      // (digest copies the bytes when called: the pool may then transfer buf to a worker)
      hash = await contentHash(buf);
      r = mode === 'cells' ? await classifyBytes(buf, single) : await pool.field(buf, mode, single, state.careful);
    }
  }
  if (r.kind === 'field') return { id, field: r, name, file, r, single, hash };
  const cell = { id, name, size: file.size, added: Date.now(), ok: r.ok, error: r.error || '', confirmed: null };
  if (hash) cell.hash = hash;
  if (r.ok) Object.assign(cell, { label: r.label, index: r.index, confidence: r.confidence, probs: r.probs, subprobs: r.subprobs || [], ood: r.ood, ms: r.ms });
  if (r.ok && r.careful) cell.careful = true;
  // A TIFF comes back with a PNG of its pixels (browsers do not show TIFF): that is the image kept and shown.
  return { id, cell, file: r.display || file, r, single, hash };
}

// Resolves when a single image's cell view is shown.
function commitInOrder() {
  const shown = [];
  while (run.results.has(run.commit)) {
    const { cell, file, r, single, field, name, hash } = run.results.get(run.commit);
    run.results.delete(run.commit++);
    if ((!cell && !field) || run.discard) continue;     // (the review was cleared while this file was in flight)
    // A file whose content is already in this sample (the same file picked twice, or under another
    // name) is not counted again; the user is told when the batch ends. (A file that could not be read
    // is counted in no group but Failed, and is listed as such however often it is given.)
    if (hash && (cell ? cell.ok : r.ok)) {
      const index = sampleHashes();
      if (index.has(hash)) { run.dups.push(cell?.name ?? name); continue; }
      index.set(hash, cell?.name ?? name);
    }
    if (field) {
      samples.markChanged('added');
      run.lastName = name;
      run.fields++;
      if (!r.ok) {
        // A photo the locator could not read is one failed cell, with the reason, like any image.
        const bad = { id: state.nextId++, name, size: file.size, added: Date.now(), ok: false, error: r.error || '', confirmed: null, sample: state.sample?.key };
        addCellNow(bad, null);
        continue;
      }
      const f = commitField(name, file, r, hash);
      run.fieldCells = (run.fieldCells || 0) + r.cells.length;
      if (!firstResult) { firstResult = true; performance.mark('bloodcell-first-result'); }
      if (single) { review.flushAdds(); showField(f.id); }
      continue;
    }
    cell.id = state.nextId++;
    run.lastName = cell.name;
    cell.sample = state.sample?.key;
    samples.markChanged('added');
    state.cells.set(cell.id, cell);
    blobs.set(cell.id, file);
    store.put(cell, r.ok ? file : null);
    review.addItem(cell);
    if (!firstResult) { firstResult = true; performance.mark('bloodcell-first-result'); }
    if (single) {
      shown.push(openCell(cell.id, r.ok ? { cams: r.cams, rgb: r.rgb, blob: file } : null, { focus: false })
        .then(() => { if (!firstShown) { firstShown = true; performance.mark('bloodcell-first-shown'); } }));
    }
  }
  return Promise.all(shown);
}
let firstResult = false, firstShown = false;

// SHA-256 of a file's bytes, as hex (null where the browser gives no crypto.subtle: not a secure context).
async function contentHash(buf) {
  if (!globalThis.crypto?.subtle) return null;
  const d = new Uint8Array(await crypto.subtle.digest('SHA-256', buf));
  return Array.from(d, (b) => b.toString(16).padStart(2, '0')).join('');
}

// hash -> name of the images of the open sample (its single-cell images and its fields), made when
// first needed and dropped when the sample's cells change otherwise than by a batch.
let hashIndex = null;
function sampleHashes() {
  if (hashIndex) return hashIndex;
  hashIndex = new Map();
  for (const c of state.cells.values()) if (c.hash) hashIndex.set(c.hash, c.name);
  for (const f of state.fields.values()) if (f.hash) hashIndex.set(f.hash, f.name);
  return hashIndex;
}

// Work that waits until no image is waiting or being classified (see start()).
const afterBatch = [];
function runAfterBatch() { if (!run.active && !adding) for (const fn of afterBatch.splice(0)) fn(); }

function finish() {
  review.flushAdds();
  queueMicrotask(runAfterBatch);
  const secs = (performance.now() - run.t0) / 1000;
  performance.mark('bloodcell-batch-end');
  run.active = false;
  document.body.dataset.busy = '0';
  if (run.discard) setStatusKey('status.cleared', { id: state.sample?.id ?? '' });
  else if (run.cancelled) setStatusKey('status.cancelled', { done: run.done, total: run.total });
  else if (run.fields && run.total === 1 && run.lastName) setStatusKey('field.doneOne', { name: run.lastName, n: run.fieldCells || 0, ms: num(secs * 1000, 0) });
  else if (run.fields) setStatusKey('field.done', { n: run.done, f: run.fields, cells: run.fieldCells || 0, s: num(secs, secs < 1 ? 2 : 1) });
  else if (run.total === 1 && run.lastName) setStatusKey('status.doneOne', { name: run.lastName, ms: num(secs * 1000, 0) });
  else setStatusKey('status.done', { n: run.done, s: num(secs, secs < 1 ? 2 : 1), rate: num(run.done / Math.max(secs, 1e-3), 1) });
  if (skipped && statusKey) setStatus(`${t(statusKey.key, statusKey.vars)} ${t('status.skipped', { n: skipped })}`);
  skipped = 0;
  document.body.dataset.duplicates = String(run.dups.length);
  if (run.dups.length && !run.discard) {
    const n = run.dups.length;
    const names = run.dups.slice(0, 3).join(', ') + (n > 3 ? ', …' : '');
    const vars = { n, names };
    const key = n === 1 ? 'dup.skippedOne' : 'dup.skipped';
    setStatus(`${statusKey ? t(statusKey.key, statusKey.vars) + ' ' : ''}${t(key, vars)}`, false, null);
    showToast(t(key, vars), { key, vars });
  }
  $('progress-bar').value = run.total ? run.done / run.total : 1;
  setTimeout(() => { if (!run.active) $('progress').hidden = true; }, 1500);
  store.flush();
  if (currentView === 'map') drawMain();
}

function queueProgress() {
  if (progressQueued) return;
  progressQueued = true;
  requestAnimationFrame(() => {
    progressQueued = false;
    const secs = (performance.now() - run.t0) / 1000;
    const rate = secs > 0.05 ? run.done / secs : 0;
    $('progress-bar').value = run.total ? run.done / run.total : 0;
    let text = t('progress.text', { done: run.done, total: run.total, rate: num(rate, 1) });
    if (run.fields) { const p = progress(summary()); text += ` · ${t('count.progress', { n: p.counted, target: p.target })}`; }
    $('progress-text').textContent = text;
    $('progress').dataset.done = String(run.done);
    $('progress').dataset.total = String(run.total);
  });
}

$('cancel').addEventListener('click', () => {
  if (!run.active) return;
  run.cancelled = true;
  if (run.inflight === 0) finish();
});

let skipped = 0;   // non-image files left out of folder picks, reported when the batch ends
let adding = 0;    // addFiles calls not yet enqueued (waiting for the engine)
async function addFiles(files, opts = {}) {
  adding++;
  try { await addFilesNow(files, opts); } finally { adding--; runAfterBatch(); }
}
async function addFilesNow(files, { folder = false, example = false } = {}) {
  files = [...files];
  if (!(await ready)) { setStatusKey('status.modelError', { error: state.modelError || '' }, true); return; }
  // An image given while the page starts joins the sample that reopens, once it is open: committed
  // before, it was dropped when the sample's cells came in, and its id could clash with theirs.
  await sampleOpen;
  // The examples go into their own demo review, and the user's images never into it.
  if (example ? !(await openDemo()) : !(await leaveDemo())) return;
  if (folder) {
    const images = files.filter((f) => (f.type && f.type.startsWith('image/')) || IMAGE_EXT.test(f.name));
    skipped += files.length - images.length;
    if (images.length < files.length) setStatusKey('status.skipped', { n: skipped });
    files = images;
  }
  if (!files.length) { setStatusKey('status.noImages'); return; }
  enqueue(files);
}

// ---- inputs --------------------------------------------------------------------------------------
$('files').addEventListener('change', (e) => { addFiles(e.target.files); e.target.value = ''; });
$('folder').addEventListener('change', (e) => { addFiles(e.target.files, { folder: true }); e.target.value = ''; });
$('camera').addEventListener('change', (e) => { addFiles(e.target.files); e.target.value = ''; });

// Drop anywhere on the page; folders are walked.
function hasFiles(e) { return e.dataTransfer && [...e.dataTransfer.types].includes('Files'); }
document.addEventListener('dragover', (e) => { if (!hasFiles(e)) return; e.preventDefault(); $('drop').classList.add('over'); });
document.addEventListener('dragleave', (e) => { if (!e.relatedTarget) $('drop').classList.remove('over'); });
document.addEventListener('drop', async (e) => {
  if (!hasFiles(e)) return;
  e.preventDefault();
  $('drop').classList.remove('over');
  const entries = [...e.dataTransfer.items].map((it) => it.webkitGetAsEntry?.()).filter(Boolean);
  if (entries.some((en) => en.isDirectory)) {
    const files = [];
    await Promise.all(entries.map((en) => walk(en, files)));
    addFiles(files, { folder: true });
  } else addFiles(e.dataTransfer.files);
});

function walk(entry, out) {
  if (entry.isFile) return new Promise((res) => entry.file((f) => { out.push(f); res(); }, () => res()));
  const reader = entry.createReader();
  return new Promise((res) => {
    const batch = () => reader.readEntries(async (ents) => {
      if (!ents.length) { res(); return; }
      await Promise.all(ents.map((en) => walk(en, out)));
      batch();
    }, () => res());
    batch();
  });
}

document.addEventListener('paste', (e) => {
  const files = [...(e.clipboardData?.files || [])].filter((f) => f.type.startsWith('image/'));
  if (!files.length) return;
  e.preventDefault();
  const stamp = new Date().toISOString().replace(/[:.]/g, '-');
  addFiles(files.map((f, i) => new File([f], f.name && f.name !== 'image.png' ? f.name : `${t('status.pasted')} ${stamp}${i ? `-${i}` : ''}.${(f.type.split('/')[1] || 'png')}`, { type: f.type })));
});

// ---- examples ------------------------------------------------------------------------------------
async function loadExamples() {
  try {
    const list = await (await fetch('examples/examples.json')).json();
    const ul = $('examples');
    ul.replaceChildren(...list.map((ex) => el('li', {}, el('button', {
      type: 'button', class: `example${ex.kind === 'field' ? ' field-example' : ''}`, dataset: { file: ex.file, class: ex.class, kind: ex.kind, set: ex.set },
      'aria-label': exampleLabel(ex.kind, ex.class, ex.set),
      onclick: async () => {
        const blob = await (await fetch(`examples/${ex.file}`)).blob();
        const file = new File([blob], ex.file, { type: blob.type || 'image/jpeg' });
        // A field example is a whole field whatever the switch says.
        if (ex.kind === 'field') fileMode.set(file, 'fields');
        addFiles([file], { example: true });
      },
    }, el('img', { src: `examples/${ex.file}`, alt: '', loading: 'lazy', width: '64', height: '64' }),
    el('span', { class: 'ex-label', text: exampleText(ex.kind, ex.class, ex.set) })))));
  } catch { /* examples are optional */ }
}

function exampleText(kind, cls, set) { return kind === 'field' ? t('examples.fieldLabel', { set: t(`examples.set.${set}`) }) : className(cls); }
function exampleLabel(kind, cls, set) { return kind === 'field' ? t('examples.field', { set: t(`examples.set.${set}`) }) : t('examples.item', { cls: className(cls) }); }
function relabelExamples() {
  for (const b of document.querySelectorAll('#examples button')) {
    b.setAttribute('aria-label', exampleLabel(b.dataset.kind, b.dataset.class, b.dataset.set));
    b.querySelector('.ex-label').textContent = exampleText(b.dataset.kind, b.dataset.class, b.dataset.set);
  }
}

// ---- review settings and export --------------------------------------------------------------------
let thresholdQueued = false;
$('careful').checked = state.careful;
$('careful').addEventListener('change', (e) => {
  state.careful = e.target.checked;
  try { localStorage.setItem(CAREFUL_KEY, state.careful ? '1' : '0'); } catch { /* private mode: for this visit only */ }
});

$('threshold').addEventListener('input', (e) => {
  const before = state.threshold;
  state.threshold = Number(e.target.value);
  if (state.sample?.reviewed && samples.thresholdMoves(before, state.threshold)) samples.markChanged('threshold');
  review.setThresholdUI();
  if (thresholdQueued) return;
  thresholdQueued = true;
  requestAnimationFrame(() => {
    thresholdQueued = false;
    review.rebuild();
    renderVerdict();
    fieldView.fieldsChanged();
    if (currentView === 'map') drawMain();
  });
});
// Arrow keys move the threshold by 0.01 (0.001 with Shift); the slider's own step is finer so that
// the model card's default (3 decimals) is kept exactly.
$('threshold').addEventListener('keydown', (e) => {
  const dir = { ArrowRight: 1, ArrowUp: 1, ArrowLeft: -1, ArrowDown: -1 }[e.key];
  if (!dir) return;
  e.preventDefault();
  const v = Math.min(1, Math.max(0, Math.round((Number(e.target.value) + dir * (e.shiftKey ? 0.001 : 0.01)) * 1000) / 1000));
  e.target.value = String(v);
  e.target.dispatchEvent(new Event('input', { bubbles: true }));
  e.target.dispatchEvent(new Event('change', { bubbles: true }));
});
$('threshold').addEventListener('change', () => {
  if (!state.sample) return;
  state.sample.threshold = { value: state.threshold, default: state.defaultThreshold };
  samples.saveSample();
});
$('export-csv').addEventListener('click', () => download(toCSV({ lang: getLang() }), 'text/csv;charset=utf-8', 'csv'));
// With "Include the cell images" ticked, each cell's image goes into the JSON as a data URL (the
// file the user gave, or for a located cell its thumbnail), so that an import shows the cells again.
// The file is written only where the user saves it, as any export.
$('export-json').addEventListener('click', async () => {
  let images = null;
  if ($('export-images').checked) {
    images = new Map();
    for (const id of [...state.cells.keys()]) {
      const b = await getBlob(id);
      if (b) images.set(id, await blobDataURL(b));
    }
  }
  download(toJSON({ images }), 'application/json', 'json');
});
function blobDataURL(blob) {
  return new Promise((resolve) => {
    const r = new FileReader();
    r.onload = () => resolve(typeof r.result === 'string' && r.result.startsWith('data:image/') ? r.result : null);
    r.onerror = () => resolve(null);
    r.readAsDataURL(blob);
  });
}
// A data URL (checked by import.js) back to a Blob, without fetch (the page's policy allows no data: fetch).
function dataURLBlob(url) {
  const [head, b64] = url.split(',', 2);
  const bin = atob(b64);
  const bytes = new Uint8Array(bin.length);
  for (let i = 0; i < bin.length; i++) bytes[i] = bin.charCodeAt(i);
  return new Blob([bytes], { type: head.slice(5, head.indexOf(';')) });
}
$('delete-selected').addEventListener('click', () => {
  if (state.selected === null) return;
  const ids = review.orderedIds();
  const i = ids.indexOf(state.selected);
  const next = ids[i + 1] ?? ids[i - 1] ?? null;
  removeCell(state.selected);
  if (next !== null && state.cells.has(next)) review.selectCell(next, false);
});
// Empties the page: the cells, their thumbnails and the cell view (IndexedDB keeps them).
function unloadCells() {
  hashIndex = null;
  state.cells.clear();
  blobs.clear();
  state.fields.clear();
  fieldBlobs.clear();
  fieldView.clearFields();
  review.clearAll();
  revokeAllThumbs();
  state.current = null;
  clearCell();
}

// Empties the open sample: the page and its cells in IndexedDB (the sample itself stays).
async function resetReview() {
  if (state.sample) await store.clearSample(state.sample.key).catch(() => {});
  unloadCells();
}

$('clear').addEventListener('click', async () => {
  if (state.cells.size && !window.confirm(t('review.confirmClear', { n: state.cells.size, id: state.sample?.id ?? '' }))) return;
  if (run.active) { run.cancelled = true; run.discard = true; }
  await resetReview();
  samples.markChanged('cleared');
  setStatusKey('status.cleared', { id: state.sample?.id ?? '' });
  if (currentView === 'map') drawMain();
});

// Import: the whole file is read and checked (import.js) before anything changes; a bad file is
// refused with the reason, and the review in progress stays as it was.
// The cells go into one sample and are never merged with others: the sample the file names (by its
// ID), else the open sample when it is empty, else a new sample named after the file. A sample that
// has cells is replaced only after the user agrees.
const IMPORT_MAX_MB = 50;
let importing = false;
$('import-file').addEventListener('change', async (e) => {
  const file = e.target.files[0];
  e.target.value = '';
  if (!file || !state.info) return;
  const refuse = (error) => {
    setStatus(t('import.bad', { name: file.name, error }), true);
    document.body.dataset.import = 'refused';
  };
  if (run.active) { setStatusKey('import.busy', {}, true); return; }
  if (file.size > IMPORT_MAX_MB * 1048576) { refuse(`the file is too large (${(file.size / 1048576).toFixed(1)} MB; the limit is ${IMPORT_MAX_MB} MB)`); return; }
  let parsed;
  try {
    parsed = parseReview(await file.text(), state.info.classes);
  } catch (err) {
    refuse(err.message || String(err));
    return;
  }
  importing = true;
  try { await importInto(file.name, parsed); } finally { importing = false; }
});

async function importInto(fileName, parsed) {
  const all = await sampleApi.list();
  const fromFile = parsed.sample;
  let target = null;
  if (!dbOk) target = state.sample;        // (nowhere else to keep it)
  else if (fromFile) target = all.find((s) => s.id === fromFile.id) || null;
  else if (!state.cells.size && !state.sample?.demo) target = state.sample;
  if (target && target.key === state.sample?.key) target = state.sample;
  await store.flush();
  const n = !target ? 0 : target === state.sample ? state.cells.size : await store.cellCount(target.key);
  if (n && !window.confirm(t('import.confirm', { n, id: target.id, name: fileName }))) {
    setStatusKey('import.cancelled', { id: target.id });
    document.body.dataset.import = 'cancelled';
    return;
  }
  if (!target) {
    target = samples.makeSample({ ...(fromFile || {}), reviewed: null, id: samples.freeId(fromFile?.id ?? fileName.replace(/\.(json|csv)$/i, ''), all) });
    await store.putSample(target);
  }
  if (target !== state.sample) await openSample(target);
  await resetReview();
  const now = Date.now();
  const subs = state.info.subclasses || [];
  for (const c of parsed.cells) {
    const { image, subprobsById, ...rest } = c;
    // every kind's probability (a JSON export), in this model's order
    if (subprobsById && subs.length && subs.every((x) => x.id in subprobsById)) rest.subprobs = subs.map((x) => subprobsById[x.id]);
    const cell = { id: state.nextId++, size: null, added: now, ...rest, sample: target.key };
    const blob = image ? dataURLBlob(image) : null;
    if (blob) { cell.hasImage = true; blobs.set(cell.id, blob); }
    state.cells.set(cell.id, cell);
    store.put(cell, blob);
  }
  if (parsed.threshold !== null) state.threshold = parsed.threshold;
  target.threshold = { value: state.threshold, default: state.defaultThreshold };
  if (fromFile) Object.assign(target, { date: fromFile.date || target.date, reviewer: fromFile.reviewer, target: fromFile.target, wbcTotal: fromFile.wbcTotal });
  // The file's sign-off comes with its cells, unless they leave cells unidentified here; a mark the
  // sample had goes, and the user is told.
  const u = samples.unidentifiedCount();
  const mark = fromFile?.reviewed && !u ? fromFile.reviewed : null;
  const vars = { name: fileName, id: target.id, n: parsed.cells.length, u, by: mark?.by };
  if (!mark) samples.markChanged('import');
  target.reviewed = mark;
  samples.saveSample(target);
  review.setThresholdUI();
  review.setCountUI?.();
  review.rebuild();
  store.flush();
  samples.sampleChanged('edit');
  setStatusKey(mark ? 'import.doneReviewed' : fromFile?.reviewed ? 'import.markDropped' : 'import.done', vars);
  document.body.dataset.import = 'done';
  if (currentView === 'map') drawMain();
}

// ---- samples -------------------------------------------------------------------------------------
// One sample is open at a time: its cells are in state.cells and on the page, the others only in
// IndexedDB. Without IndexedDB there is one sample, for the page's life.
let dbOk = false, sampleOpens = 0;
let sampleOpened;
const sampleOpen = new Promise((resolve) => { sampleOpened = resolve; });
samples.bindStore(store);

// Shows another sample: what is queued is written first, then its cells and settings come in.
async function openSample(sample, preloaded = null) {
  await store.flush();
  unloadCells();
  state.sample = sample;
  const saved = sample.threshold;
  state.threshold = saved && saved.default === state.defaultThreshold && typeof saved.value === 'number' ? saved.value : state.defaultThreshold;
  let cells = [];
  if (dbOk) {
    store.setMeta('current', sample.key).catch(() => {});
    if (preloaded) cells = preloaded;
    else try { cells = (await store.load(sample.key)).cells; } catch (err) { console.warn('bloodcell: could not load the sample', err); }
  }
  cells.sort((a, b) => a.id - b.id);
  for (const c of cells) state.cells.set(c.id, c);
  if (dbOk) {
    try { for (const f of await store.fields(sample.key)) state.fields.set(f.id, f); } catch (err) { console.warn('bloodcell: could not load the fields', err); }
    fieldView.fieldsChanged();
  }
  review.setThresholdUI();
  review.setCountUI?.();
  review.rebuild();
  samples.sampleChanged('open');
  if (currentView === 'map') drawMain();
  document.body.dataset.sampleOpened = String(++sampleOpens);   // lets tests wait for a switch
  return cells.length;
}

// A new empty sample, saved; "Sample n" when no ID is given.
async function addSample(fields = {}) {
  const all = await sampleApi.list();
  const s = samples.makeSample({ ...fields, id: fields.id || samples.freeId(t('sample.defaultId', { n: all.filter((x) => !x.demo).length + 1 }), all) });
  if (dbOk) await store.putSample(s);
  return s;
}

// The examples' demo review: a sample of its own (demo: true), so that an example never joins the
// user's sample. Opening it remembers the user's sample, to go back to; the user's own images, added
// while it is open, go back there first. Without storage there is one review: the examples join it.
let userSampleKey = null;
async function openDemo() {
  if (!dbOk || state.sample?.demo) return true;
  if (run.active || importing) { setStatusKey('sample.busy', {}, true); return false; }   // (this call is one of the adding)
  userSampleKey = state.sample?.key ?? null;
  const all = await sampleApi.list();
  let demo = all.find((x) => x.demo);
  if (!demo) {
    demo = samples.makeSample({ id: samples.freeId(t('sample.demoId'), all) });
    demo.demo = true;
    await store.putSample(demo);
  }
  await openSample(demo);
  return true;
}
async function leaveDemo() {
  if (!state.sample?.demo) return true;
  if (run.active || importing) { setStatusKey('sample.busy', {}, true); return false; }   // (this call is one of the adding)
  const all = (await sampleApi.list()).filter((x) => !x.demo);
  const back = all.find((x) => x.key === userSampleKey) || all[all.length - 1] || await addSample();
  openedStatus(await openSample(back));
  return true;
}

const sampleApi = {
  persistent: () => dbOk,
  leaveDemo: () => leaveDemo(),
  userSampleId: async () => {
    const all = (await sampleApi.list()).filter((x) => !x.demo);
    return (all.find((x) => x.key === userSampleKey) || all[all.length - 1])?.id ?? null;
  },
  busy: () => run.active || adding > 0 || importing,
  list: async () => (dbOk ? store.samples().catch(() => [state.sample]) : [state.sample]).then((l) => l.filter(Boolean)),
  cellCount: async () => state.cells.size,
  showUnidentified() { showView('review'); review.showGroup('unidentified'); },
  async open(key) {
    const s = (await sampleApi.list()).find((x) => x.key === key);
    if (s) openedStatus(await openSample(s));
  },
  async create(fields) { openedStatus(await openSample(await addSample(fields))); },
  // Deletes the open sample and opens the newest one left (or a new empty one).
  async remove() {
    const gone = state.sample;
    await store.deleteSample(gone.key).catch((err) => console.warn('bloodcell: could not delete the sample', err));
    unloadCells();
    const rest = (await sampleApi.list()).filter((x) => x.key !== gone.key && !x.demo);
    openedStatus(await openSample(rest.length ? rest[rest.length - 1] : await addSample()));
  },
};
initSampleBar(sampleApi);

// The status line after the user opens another sample: what it said was about the sample before.
function openedStatus(n) {
  setStatusKey(n === 0 ? 'status.openedEmpty' : n === 1 ? 'status.openedOne' : 'status.opened', { id: state.sample.id, n });
}

// ---- language ------------------------------------------------------------------------------------
$('lang').addEventListener('change', (e) => setLang(e.target.value, true));
onLangChange(() => {
  $('lang').value = getLang();
  relabelExamples();
  if (statusKey) setStatus(t(statusKey.key, statusKey.vars), statusKey.isError, statusKey);
  if (toastMsg) $('toast-text').textContent = t(toastMsg.key, toastMsg.vars);
  if (!state.info) return;
  review.buildGroups();
  review.rebuild();
  review.setThresholdUI();
  rerenderCell();
  if (currentView === 'map') drawMain();
  if (currentView === 'about') renderAbout(MAP_BASE);
});


// ---- start ---------------------------------------------------------------------------------------
async function fetchJSON(url) {
  const res = await fetch(url);
  if (!res.ok) throw new Error(`${res.status} ${new URL(url).pathname}`);
  return res.json();
}

async function start() {
  pool.attach();
  const cardP = fetchJSON(CARD_URL).then((c) => { state.card = c; }, (err) => { state.cardError = err.message; });
  const storeP = store.open().catch((err) => { console.warn('bloodcell: no IndexedDB', err); return null; });
  // The last sample is read from IndexedDB while the engine loads: an image given at start waits for it.
  const restoreP = storeP.then(async (db) => {
    if (!db) return { dbOk: false, sample: null, cells: null };
    try {
      // The single review of the version before samples becomes a first sample (on a new device: an
      // empty one), dated by its first cell.
      await store.migrate((cells, threshold) => samples.makeSample({ id: t('sample.defaultId', { n: 1 }), threshold,
        date: cells.length ? samples.today(new Date(cells.reduce((m, c) => Math.min(m, c.added || Date.now()), Date.now()))) : undefined }));
      state.nextId = Math.max(state.nextId, (await store.maxCellId()) + 1);
      const all = await store.samples();
      const current = await store.getMeta('current');
      const sample = all.find((x) => x.key === current) || all[all.length - 1] || null;
      return { dbOk: true, sample, cells: sample ? (await store.load(sample.key)).cells : null };
    } catch (err) { console.warn('bloodcell: could not restore the samples', err); return { dbOk: false, sample: null, cells: null }; }
  });
  const ok = await ready;
  // The example images only now, and after the images already given, if any: decoding them took the
  // two cores from the first classification (first prediction on a warm visit, medians of 9: 176-182
  // ms with the examples loading at ready, 153-162 ms with them after).
  afterBatch.push(loadExamples);
  runAfterBatch();
  if (!ok) return;
  // The map's points (for drawing) only after the engine is ready: they are not needed before.
  const mapP = fetchJSON(MAP_URL).then((m) => { state.map = m; }, (err) => { state.mapError = err.message; });
  setStatusKey('status.ready', { model: state.info.modelName, n: state.info.classes.length, isa: state.info.isa });
  await cardP;
  const thr = state.card?.unidentified_threshold?.value;
  state.defaultThreshold = typeof thr === 'number' ? thr : 0.5;
  state.threshold = state.defaultThreshold;
  review.buildGroups();
  const restored = await restoreP;
  dbOk = restored.dbOk;
  const sample = restored.sample;
  const n = await openSample(sample || samples.makeSample({ id: t('sample.defaultId', { n: 1 }) }), sample ? restored.cells : null);
  sampleOpened();
  if (n) setStatusKey('status.restored', { n });
  await mapP;
  document.body.dataset.restored = '1';
  if (state.cells.size > 1) showView('review');
  else if (state.cells.size === 1) openCell([...state.cells.keys()][0], null, { focus: false });
}
start();

// ---- offline and updates ----------------------------------------------------------------------------
// Registered once the engine is ready, so that the service worker's precache downloads do not
// compete with the model and the engine while the page starts.
let updating = false;
if ('serviceWorker' in navigator && location.protocol.startsWith('http')) ready.then(() => {
  navigator.serviceWorker.register('sw.js').then((reg) => {
    const offer = () => {
      if (reg.waiting && navigator.serviceWorker.controller) {
        $('update').hidden = false;
        document.body.dataset.update = '1';
      }
    };
    offer();
    reg.addEventListener('updatefound', () => {
      const w = reg.installing;
      w?.addEventListener('statechange', () => { if (w.state === 'installed') offer(); });
    });
    $('update-reload').addEventListener('click', () => {
      updating = true;
      if (reg.waiting) reg.waiting.postMessage({ type: 'SKIP_WAITING' });
      else location.reload();
    });
    document.addEventListener('visibilitychange', () => { if (document.visibilityState === 'visible') reg.update().catch(() => {}); });
  }).catch(() => { /* no service worker (not built, or not allowed): the app works online */ });
  navigator.serviceWorker.addEventListener('controllerchange', () => { if (updating) location.reload(); });
});
$('update-later').addEventListener('click', () => { $('update').hidden = true; });

export { errorText };
