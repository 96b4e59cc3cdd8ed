// map.js - the reference-cell map: a scatter of the reference cells coloured by class (from the
// model's map data) with the user's cells on top. Hover, tap or arrow keys show a thumbnail and the
// class; clicking (or Enter on) one of the user's points opens that cell.
import { state, groupOf, groupName, classColour, GREY, el } from '../state.js';
import { t, className } from '../i18n.js';
import { drawRegions } from './regions.js';

const $ = (id) => document.getElementById(id);
let api = null;
let hits = [];          // drawn points in CSS px: {x, y, r, kind: 'ref'|'user', i|id}
let cursor = -1;        // keyboard position in keyOrder()
let size = 0;
const REGIONS_KEY = 'bloodcell.mapRegions';
let showRegions = true;       // the class regions under the points (regions.js); the choice is kept

export function initMap(a) {
  api = a;
  const canvas = $('map');
  canvas.addEventListener('pointermove', (e) => { const h = hitAt(e); showTip(h, e); });
  canvas.addEventListener('pointerdown', (e) => { const h = hitAt(e); showTip(h, e); });
  canvas.addEventListener('pointerleave', (e) => { if (e.pointerType === 'mouse') hideTip(); });
  canvas.addEventListener('click', (e) => {
    const h = hitAt(e);
    if (h && h.kind === 'user') api.openCell(h.id);
  });
  canvas.addEventListener('keydown', onKey);
  canvas.addEventListener('blur', hideTip);
  try { showRegions = localStorage.getItem(REGIONS_KEY) !== '0'; } catch { /* storage may be off */ }
  const box = $('map-regions');
  box.checked = showRegions;
  box.addEventListener('change', () => {
    showRegions = box.checked;
    try { localStorage.setItem(REGIONS_KEY, showRegions ? '1' : '0'); } catch { /* ignore */ }
    drawMain();
  });
  new ResizeObserver(() => { if (!$('view-map').hidden) drawMain(); }).observe($('view-map'));
}

function coords(w, pad) {
  return (x, y) => [pad + x * (w - 2 * pad), pad + y * (w - 2 * pad)];
}

// Draws the scatter on any canvas at CSS size w x w. Returns the hit list.
export function drawScatter(canvas, w, { highlight = null, small = false, regions = false } = {}) {
  const dpr = window.devicePixelRatio || 1;
  canvas.width = Math.round(w * dpr);
  canvas.height = Math.round(w * dpr);
  canvas.style.width = `${w}px`;
  canvas.style.height = `${w}px`;
  const ctx = canvas.getContext('2d');
  ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
  ctx.clearRect(0, 0, w, w);
  const out = [];
  const map = state.map;
  if (!map) return out;
  const css = getComputedStyle(canvas);
  const fg = css.color || '#111';
  const pad = small ? 6 : 12;
  const P = coords(w, pad);
  canvas.dataset.regions = regions ? String(drawRegions(ctx, map, pad, pad, w - 2 * pad, classColour)) : '0';
  const rr = small ? 2.4 : Math.max(2.6, w / 200);
  ctx.globalAlpha = small ? 0.5 : 0.65;
  map.points.forEach((p, i) => {
    const [x, y] = P(p.x, p.y);
    ctx.fillStyle = classColour(p.label);
    ctx.beginPath();
    ctx.arc(x, y, rr, 0, 2 * Math.PI);
    ctx.fill();
    out.push({ x, y, r: rr, kind: 'ref', i });
  });
  ctx.globalAlpha = 1;
  if (!state.mapOk) return out;
  const ur = small ? 3.5 : Math.max(4.5, w / 110);
  for (const c of state.cells.values()) {
    if (!c.ok || !c.ood || !Number.isFinite(c.ood.x) || (small && c.id !== highlight)) continue;
    const [x, y] = P(c.ood.x, c.ood.y);
    const g = groupOf(c);
    ctx.fillStyle = typeof g === 'number' ? classColour(g) : GREY;
    ctx.strokeStyle = fg;
    ctx.lineWidth = 1.5;
    ctx.beginPath();
    ctx.rect(x - ur, y - ur, 2 * ur, 2 * ur);
    ctx.fill();
    ctx.stroke();
    out.push({ x, y, r: ur + 2, kind: 'user', id: c.id });
  }
  const hc = highlight !== null ? state.cells.get(highlight) : null;
  if (hc && hc.ok && hc.ood && Number.isFinite(hc.ood.x)) {
    const [x, y] = P(hc.ood.x, hc.ood.y);
    ctx.strokeStyle = fg;
    ctx.lineWidth = 2;
    ctx.beginPath();
    ctx.arc(x, y, small ? 9 : 12, 0, 2 * Math.PI);
    ctx.stroke();
  }
  return out;
}

export function drawMain() {
  const box = $('map').parentElement;
  const cs = getComputedStyle(box);      // clientWidth counts the box's padding: the canvas goes inside it
  const inner = box.clientWidth - parseFloat(cs.paddingLeft) - parseFloat(cs.paddingRight);
  const avail = Math.min(inner > 0 ? inner : 320, 720);
  size = Math.max(200, avail);
  hits = drawScatter($('map'), size, { highlight: state.current, regions: showRegions });
  const nUser = hits.filter((h) => h.kind === 'user').length;
  $('map').setAttribute('aria-label', state.map ? t('map.alt', { n: state.map.points.length, m: nUser }) : t('map.unavailable', { error: state.mapError }));
  renderLegend();
}

function renderLegend() {
  const ul = $('map-legend');
  ul.replaceChildren();
  if (!state.map) { ul.append(el('li', { text: t('map.unavailable', { error: state.mapError }) })); return; }
  state.map.classes.forEach((cls, k) => {
    const sw = el('span', { class: 'swatch dot', 'aria-hidden': 'true' });
    sw.style.background = classColour(k);
    ul.append(el('li', {}, sw, className(cls)));
  });
  ul.append(el('li', {}, el('span', { class: 'swatch square', 'aria-hidden': 'true' }), t('map.yours')));
}

function hitAt(e) {
  const r = $('map').getBoundingClientRect();
  const x = e.clientX - r.left, y = e.clientY - r.top;
  let best = null, bd = Infinity;
  for (const h of hits) {
    const d = Math.hypot(h.x - x, h.y - y);
    const reach = Math.max(h.r + 3, 8);
    // The user's points win over reference points under the pointer.
    const score = d - (h.kind === 'user' ? 4 : 0);
    if (d <= reach && score < bd) { best = h; bd = score; }
  }
  return best;
}

function keyOrder() {
  return [...hits.filter((h) => h.kind === 'user'), ...hits.filter((h) => h.kind === 'ref')];
}

function onKey(e) {
  const order = keyOrder();
  if (!order.length) return;
  if (e.key === 'ArrowRight' || e.key === 'ArrowDown') cursor = (cursor + 1) % order.length;
  else if (e.key === 'ArrowLeft' || e.key === 'ArrowUp') cursor = (cursor - 1 + order.length) % order.length;
  else if (e.key === 'Home') cursor = 0;
  else if (e.key === 'Escape') { hideTip(); return; }
  else if (e.key === 'Enter') {
    const h = order[cursor];
    if (h && h.kind === 'user') { e.preventDefault(); api.openCell(h.id); }
    return;
  } else return;
  e.preventDefault();
  showTip(order[cursor], null);
}

async function showTip(h, e) {
  const tip = $('map-tip');
  if (!h) { if (!e || e.pointerType === 'mouse') hideTip(); return; }
  const thumb = el('div', { class: 'tip-thumb' });
  let text;
  if (h.kind === 'ref') {
    holdTip(null, null);
    const p = state.map.points[h.i];
    const th = state.map.thumbnails;
    if (th) {
      const scale = 96 / th.thumb_size;
      thumb.style.backgroundImage = `url("${new URL(th.file, api.mapBase).href}")`;
      thumb.style.backgroundSize = `${th.width * scale}px ${th.height * scale}px`;
      thumb.style.backgroundPosition = `-${(h.i % th.columns) * th.thumb_size * scale}px -${Math.floor(h.i / th.columns) * th.thumb_size * scale}px`;
    }
    text = t('map.reference', { cls: className(state.map.classes[p.label]) });
  } else {
    const c = state.cells.get(h.id);
    const img = el('img', { alt: '', width: '96', height: '96' });
    thumb.append(img);
    holdTip(h.id, img);
    text = t('map.yourCell', { name: c.name, cls: groupName(groupOf(c)) });
  }
  tip.replaceChildren(thumb, el('span', { text }));
  tip.hidden = false;
  const x = Math.min(Math.max(h.x + 14, 0), size - 130);
  const y = h.y + 14 + 130 > size ? h.y - 144 : h.y + 14;
  tip.style.left = `${x}px`;
  tip.style.top = `${Math.max(0, y)}px`;
  tip.dataset.kind = h.kind;
}

function hideTip() { $('map-tip').hidden = true; holdTip(null, null); }

// The tooltip holds the thumbnail of the one user cell it shows (an object URL, given back when
// the tooltip shows something else or hides).
let tipWant = null, tipHeld = null;
function holdTip(id, img) {
  tipWant = id;
  if (tipHeld !== null && tipHeld !== id) { api.releaseThumb(tipHeld); tipHeld = null; }
  if (id === null) return;
  api.acquireThumb(id).then((u) => {
    if (!u) return;
    if (tipWant !== id || tipHeld === id) {      // not wanted any more, or already held once
      api.releaseThumb(id);
      if (tipWant === id) img.src = u;
      return;
    }
    tipHeld = id;
    img.src = u;
  });
}
