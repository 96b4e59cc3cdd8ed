// field.js - the field view: a whole-field photo with every located cell boxed and labelled. Zoom and
// pan with the wheel, a pinch or a drag (and the buttons); a tap or click on a box opens that cell's
// cell view (confirm, reassign or delete it there); with "Add a missed cell" on, a tap on the photo
// classifies a box centred on it (app.js addFieldCell). The photo shown is the worker's reduced copy
// (worker.js VIEW_SIDE); boxes are placed in the photo's own pixels, so they fit it at any zoom.
import { state, groupOf, groupName, classColour, GREY, el } from '../state.js';
import { t, confPct, onLangChange } from '../i18n.js';
import { summary } from '../counting.js';
import { progress } from '../differential.js';

const $ = (id) => document.getElementById(id);
const MAX_ZOOM = 16;
const TAP_PX = 8;          // a press that moves less than this is a tap, not a drag
let api = null;
let current = null;        // the field shown: its id
let url = null;            // object URL of its view copy, revoked when another field (or none) is shown
let view = { s: 1, x: 0, y: 0 };   // zoom and pan of the layer (CSS px, from the fit)
let adding = false;
let queued = false;

export function initField(a) {
  api = a;
  onLangChange(() => { if (current) render(); });
}

export function currentField() { return current; }

export function hideField() {
  $('field').hidden = true;
  if (url) { URL.revokeObjectURL(url); url = null; }
  current = null;
  document.body.dataset.field = '';
}

export function clearFields() {
  hideField();
  $('field').replaceChildren();
}

// Something changed (cells added, deleted, reassigned, a field added): the view, if shown, follows.
export function fieldsChanged() {
  if (!current || queued) return;
  queued = true;
  requestAnimationFrame(() => { queued = false; if (current && state.fields.has(current)) drawBoxes(); });
}

function fieldList() { return [...state.fields.values()]; }
function cellsOf(fid) { return [...state.cells.values()].filter((c) => c.field === fid); }

export async function showField(fid, { focusCell = null } = {}) {
  const f = state.fields.get(fid);
  if (!f) return;
  $('cell-empty').hidden = true;
  if (current !== fid) {
    if (url) { URL.revokeObjectURL(url); url = null; }
    current = fid;
    view = { s: 1, x: 0, y: 0 };
    const blob = await api.fieldBlob(fid, 'view');
    if (current !== fid) return;
    url = blob ? URL.createObjectURL(blob) : null;
  }
  $('field').hidden = false;       // (before render(): the stage is sized from the view's width)
  render();
  document.body.dataset.field = fid;
  const box = focusCell !== null ? $('field').querySelector(`.fbox[data-id="${focusCell}"]`) : null;
  if (box) { centreOn(box); box.focus(); } else $('field-title').focus();
}

function render() {
  const f = state.fields.get(current);
  const art = $('field');
  const list = fieldList();
  const i = list.findIndex((x) => x.id === current);
  const title = el('h2', { id: 'field-title', tabindex: '-1', text: f.name });
  const nav = el('div', { class: 'row wrap field-nav' },
    el('button', { type: 'button', id: 'field-prev', disabled: i <= 0, text: t('field.prev'), onclick: () => api.showField(list[i - 1].id) }),
    el('span', { class: 'muted small', id: 'field-pos', text: t('field.position', { i: i + 1, n: list.length }) }),
    el('button', { type: 'button', id: 'field-next', disabled: i >= list.length - 1, text: t('field.next'), onclick: () => api.showField(list[i + 1].id) }),
    el('button', { type: 'button', class: 'quiet', id: 'field-review', text: t('cell.back'), onclick: () => api.showView('review', true) }));
  const tools = el('div', { class: 'row wrap field-tools', role: 'toolbar', 'aria-label': t('field.tools') },
    el('button', { type: 'button', id: 'field-zoom-in', 'aria-label': t('field.zoomIn'), title: t('field.zoomIn'), text: '+', onclick: () => zoomBy(1.5) }),
    el('button', { type: 'button', id: 'field-zoom-out', 'aria-label': t('field.zoomOut'), title: t('field.zoomOut'), text: '−', onclick: () => zoomBy(1 / 1.5) }),
    el('button', { type: 'button', id: 'field-fit', text: t('field.fit'), onclick: () => { view = { s: 1, x: 0, y: 0 }; apply(); } }),
    el('button', { type: 'button', id: 'field-add', 'aria-pressed': String(adding), class: adding ? 'on' : null, text: t('field.add'),
      onclick: (e) => { adding = !adding; e.currentTarget.setAttribute('aria-pressed', String(adding)); e.currentTarget.classList.toggle('on', adding); stage.classList.toggle('adding', adding); } }));
  const img = url ? el('img', { class: 'field-photo', src: url, alt: t('field.photoAlt', { name: f.name }), draggable: 'false' }) : null;
  const layer = el('div', { class: 'field-layer', id: 'field-layer' }, img, el('div', { class: 'field-boxes', id: 'field-boxes' }));
  const stage = el('div', { class: `field-stage${adding ? ' adding' : ''}`, id: 'field-stage' }, layer);
  if (!url) stage.append(el('p', { class: 'muted field-nophoto', text: t('field.noPhoto') }));
  art.replaceChildren(
    el('div', { class: 'cell-head' }, title, nav),
    el('div', { class: 'field-summary', id: 'field-summary' }),
    tools,
    stage,
    el('p', { class: 'muted small', id: 'field-help', text: t('field.help') }));
  art.dataset.id = f.id;
  bindStage(stage);
  drawBoxes();
  apply();
}

// The boxes, the counts of this photo and the white cells counted so far against the target.
function drawBoxes() {
  const f = state.fields.get(current);
  const boxes = $('field-boxes');
  if (!f || !boxes) return;
  const cells = cellsOf(current);
  boxes.replaceChildren(...cells.map((c) => {
    const g = c.ok ? groupOf(c) : 'error';
    const [x0, y0, x1, y1] = c.box;
    const name = c.ok ? groupName(g) : t('group.error');
    const tag = typeof g === 'number' ? name : t(`field.tag.${g}`);      // short: the boxes are small
    const b = el('button', { type: 'button', class: `fbox${c.edge ? ' edge' : ''}${c.userAdded ? ' user' : ''}${c.confirmed !== null && c.confirmed !== undefined ? ' confirmed' : ''}`,
      dataset: { id: String(c.id), group: c.ok ? (typeof g === 'number' ? state.info.classes[g] : g) : 'error', box: c.box.join(',') },
      'aria-label': t('field.box', { name: c.name, cls: name, p: c.ok ? confPct(c.confidence, 0) : '—' }),
      onclick: () => api.openCell(c.id) }, el('span', { class: 'fbox-label', text: tag }));
    b.style.left = `${(100 * x0) / f.width}%`;
    b.style.top = `${(100 * y0) / f.height}%`;
    b.style.width = `${(100 * (x1 - x0)) / f.width}%`;
    b.style.height = `${(100 * (y1 - y0)) / f.height}%`;
    b.style.setProperty('--c', typeof g === 'number' ? classColour(g) : GREY);
    return b;
  }));
  const here = cells.filter((c) => c.ok).length;
  const s = summary();
  const p = progress(s);
  const box = $('field-summary');
  box.dataset.cells = String(cells.length);
  box.dataset.counted = String(p.counted);
  box.dataset.target = String(p.target);
  box.replaceChildren(
    el('span', { class: 'field-here', text: t(cells.length === 1 ? 'field.cellsOne' : 'field.cells', { n: cells.length, ok: here }) }),
    el('span', { class: 'field-count' }, el('span', { class: 'count-progress-text', text: t('count.progress', { n: p.counted, target: p.target }) }),
      el('progress', { max: String(p.target), value: String(Math.min(p.counted, p.target)), 'aria-label': t('count.progress', { n: p.counted, target: p.target }) }),
      p.done ? el('span', { class: 'count-done', text: `✓ ${t('count.done')}` }) : null));
  $('field-layer')?.style.setProperty('--inv', String(1 / view.s));
}

// ---- zoom and pan ----------------------------------------------------------------------------------
// The layer fills the stage at zoom 1 (the stage has the photo's aspect ratio); it is scaled about
// its top-left corner and moved by (x, y), kept so that the photo always covers the stage.
function apply() {
  const stage = $('field-stage'), layer = $('field-layer');
  if (!stage || !layer) return;
  fitStage(stage);
  const W = stage.clientWidth, H = stage.clientHeight;
  view.s = Math.min(MAX_ZOOM, Math.max(1, view.s));
  view.x = Math.min(0, Math.max(W - W * view.s, view.x));
  view.y = Math.min(0, Math.max(H - H * view.s, view.y));
  layer.style.transform = `translate(${view.x}px, ${view.y}px) scale(${view.s})`;
  layer.style.setProperty('--inv', String(1 / view.s));
  stage.dataset.zoom = view.s.toFixed(3);
}

// The stage: the photo's aspect ratio, as wide as the view allows and at most 70% of the window high.
function fitStage(stage) {
  const f = state.fields.get(current);
  const avail = stage.parentElement?.clientWidth || 0;
  if (!f || !avail) return;
  const maxH = Math.max(200, Math.min(innerHeight * 0.7, 900));
  const w = Math.floor(Math.min(avail, (maxH * f.width) / f.height));
  if (stage.style.width !== `${w}px`) {
    const old = stage.clientWidth || w;
    stage.style.width = `${w}px`;
    stage.style.height = `${Math.round((w * f.height) / f.width)}px`;
    view.x *= w / old; view.y *= w / old;
  }
}
addEventListener('resize', () => { if (current) apply(); });

// Zooms by k about a point of the stage (CSS px from its top-left; the centre by default).
function zoomBy(k, px = null, py = null) {
  const stage = $('field-stage');
  if (!stage) return;
  if (px === null) { px = stage.clientWidth / 2; py = stage.clientHeight / 2; }
  const s = Math.min(MAX_ZOOM, Math.max(1, view.s * k));
  const r = s / view.s;
  view.x = px - (px - view.x) * r;
  view.y = py - (py - view.y) * r;
  view.s = s;
  apply();
}

function centreOn(box) {
  const stage = $('field-stage');
  const f = state.fields.get(current);
  if (!stage || !f) return;
  const [x0, y0, x1, y1] = box.dataset.box.split(',').map(Number);
  const W = stage.clientWidth, H = stage.clientHeight;
  if (view.s < 3) view.s = 3;
  view.x = W / 2 - ((x0 + x1) / 2 / f.width) * W * view.s;
  view.y = H / 2 - ((y0 + y1) / 2 / f.height) * H * view.s;
  apply();
}

function bindStage(stage) {
  const pointers = new Map();     // pointerId -> {x, y}
  let start = null;               // the press: {x, y, moved, pinch}
  let pinch = null;               // {d, s, cx, cy, vx, vy}
  const local = (e) => { const r = stage.getBoundingClientRect(); return { x: e.clientX - r.left, y: e.clientY - r.top }; };
  stage.addEventListener('wheel', (e) => {
    e.preventDefault();
    const p = local(e);
    zoomBy(Math.exp(-e.deltaY * (e.deltaMode === 1 ? 0.05 : 0.002)), p.x, p.y);
  }, { passive: false });
  stage.addEventListener('pointerdown', (e) => {
    if (e.button !== 0 && e.pointerType === 'mouse') return;
    pointers.set(e.pointerId, local(e));
    if (pointers.size === 1) start = { ...local(e), vx: view.x, vy: view.y, moved: false, pinch: false };
    else if (pointers.size === 2) {
      const [a, b] = [...pointers.values()];
      pinch = { d: Math.hypot(a.x - b.x, a.y - b.y) || 1, s: view.s, cx: (a.x + b.x) / 2, cy: (a.y + b.y) / 2, vx: view.x, vy: view.y };
      if (start) start.pinch = true;
    }
  });
  const move = (e) => {
    if (!pointers.has(e.pointerId)) return;
    pointers.set(e.pointerId, local(e));
    if (pinch && pointers.size >= 2) {
      const [a, b] = [...pointers.values()];
      const s = Math.min(MAX_ZOOM, Math.max(1, pinch.s * Math.hypot(a.x - b.x, a.y - b.y) / pinch.d));
      const r = s / pinch.s;
      const cx = (a.x + b.x) / 2, cy = (a.y + b.y) / 2;
      view.s = s;
      view.x = cx - (pinch.cx - pinch.vx) * r;
      view.y = cy - (pinch.cy - pinch.vy) * r;
      apply();
      return;
    }
    if (!start) return;
    const p = local(e);
    if (!start.moved && Math.hypot(p.x - start.x, p.y - start.y) < TAP_PX) return;
    start.moved = true;
    stage.classList.add('panning');
    view.x = start.vx + p.x - start.x;
    view.y = start.vy + p.y - start.y;
    apply();
  };
  const up = (e) => {
    if (!pointers.has(e.pointerId)) return;
    pointers.delete(e.pointerId);
    if (pointers.size < 2) pinch = null;
    if (pointers.size) return;
    stage.classList.remove('panning');
    const press = start;
    start = null;
    if (press && (press.moved || press.pinch)) { dragged = true; setTimeout(() => { dragged = false; }, 0); }
    if (!press || press.moved || press.pinch || e.type === 'pointercancel') return;
    if (e.target.closest?.('.fbox')) return;        // the box's own click opens it
    if (adding) addAt(e);
  };
  stage.addEventListener('pointermove', move);
  stage.addEventListener('pointerup', up);
  stage.addEventListener('pointercancel', up);
  stage.addEventListener('pointerleave', (e) => { if (e.pointerType === 'mouse') up(e); });
  // A drag or pinch must not click the box it ends on.
  let dragged = false;
  stage.addEventListener('click', (e) => { if (dragged) { e.stopPropagation(); e.preventDefault(); } }, true);
}

async function addAt(e) {
  const f = state.fields.get(current);
  const layer = $('field-layer');
  if (!f || !layer) return;
  const r = layer.getBoundingClientRect();
  const x = ((e.clientX - r.left) / r.width) * f.width, y = ((e.clientY - r.top) / r.height) * f.height;
  if (x < 0 || y < 0 || x >= f.width || y >= f.height) return;
  const fid = current;
  document.body.dataset.fieldAdding = '1';
  try {
    const cell = await api.addFieldCell(fid, x, y);
    if (cell && current === fid) drawBoxes();
  } finally { document.body.dataset.fieldAdding = '0'; }
}
