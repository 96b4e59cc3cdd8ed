// cell.js - the single-cell view: predicted class and confidence, the 8 probabilities as bars, the
// class activation map over the image (opacity slider, class choice), the cell on the reference map,
// and its confirmed class.
import { state, groupOf, groupName, classColour, el, UNIDENTIFIED, GREY, subclassOf, subclassesOf } from '../state.js';
import { t, className, subclassName, pct, confPct, num, errorText } from '../i18n.js';
import { drawScatter } from './map.js';
import { fillChoices, parseChoice, orderedIds } from './review.js';

const $ = (id) => document.getElementById(id);
let api = null;
let view = null;   // {cell, cams, rgb, base (canvas with the crop), camClass, opacity}
let opacity = 0.5;

export function initCell(a) {
  api = a;
  // A horizontal swipe on the cell view (a phone) steps to the next (leftwards) or previous cell; not
  // on a control (the heatmap slider moves sideways too) or the field view.
  const art = $('cell');
  let start = null;
  art.addEventListener('touchstart', (e) => {
    start = e.touches.length === 1 && !e.target.closest('input, select, textarea, button') ? { x: e.touches[0].clientX, y: e.touches[0].clientY } : null;
  }, { passive: true });
  art.addEventListener('touchend', (e) => {
    if (!start || !view) return;
    const tch = e.changedTouches[0];
    const dx = tch.clientX - start.x, dy = tch.clientY - start.y;
    start = null;
    if (Math.abs(dx) >= 60 && Math.abs(dx) > 2 * Math.abs(dy)) api.stepCell(dx < 0 ? 1 : -1);
  }, { passive: true });
}

// Previous / next (the review's order), the cell's place in it, and Delete (undone from the toast).
function navBar(cell) {
  const ids = orderedIds();
  const i = ids.indexOf(cell.id);
  const nav = el('div', { class: 'cell-nav', role: 'group', 'aria-label': t('cell.swipe') });
  if (ids.length > 1 && i >= 0) {
    nav.append(
      el('button', { type: 'button', id: 'cell-prev', disabled: i === 0, 'aria-label': t('cell.prev'), title: t('cell.prev'), text: '‹', onclick: () => api.stepCell(-1) }),
      el('span', { class: 'cell-pos small', id: 'cell-pos', text: t('cell.position', { i: i + 1, n: ids.length }) }),
      el('button', { type: 'button', id: 'cell-next', disabled: i === ids.length - 1, 'aria-label': t('cell.next'), title: t('cell.next'), text: '›', onclick: () => api.stepCell(1) }));
  }
  if (!cell.source) {
    nav.append(el('button', { type: 'button', id: 'cell-delete-one', class: 'danger', text: t('cell.delete'),
      onclick: () => {
        const j = ids.indexOf(cell.id);
        const next = ids[j + 1] ?? ids[j - 1] ?? null;
        api.removeCell(cell.id);
        clearCell();
        if (next !== null && state.cells.has(next)) api.openCell(next);
        else api.showView('review', true);
      } }));
  }
  return nav;
}

export function clearCell() {
  view = null;
  $('cell').hidden = true;
  $('cell').replaceChildren();
  $('cell-empty').hidden = false;
}

// extras: {cams: Float32Array[], rgb: Uint8Array, blob} or null while the heatmap is computed.
// keepHead: the heatmap of the cell shown has come (app.js loadCam): its head and field bar stay the
// same elements, so that a tap on one of their buttons at that moment is not lost with the old node.
export async function renderCell(cell, extras, { focus = false, fromReview = false, keepHead = false } = {}) {
  const art = $('cell');
  $('cell-empty').hidden = true;
  art.hidden = false;
  const keepClass = view && view.cell.id === cell.id ? view.camClass : null;
  const sameCell = !!view && view.cell.id === cell.id && String(cell.id) === art.dataset.id;
  view = { cell, extras, cams: extras?.cams || null, rgb: extras?.rgb || null, base: null, camClass: keepClass ?? (cell.ok ? cell.index : 0), fromReview };
  if (extras && cell.ok) view.base = await baseCrop(extras);
  // A re-render keeps the focus on the control (same id) that had it.
  const activeId = art.contains(document.activeElement) ? document.activeElement.id : null;

  const oldHead = keepHead && sameCell ? art.querySelector(':scope > .cell-head') : null;
  const title = oldHead ? oldHead.querySelector('#cell-title') : el('h2', { id: 'cell-title', tabindex: '-1', text: cell.name });
  const head = oldHead || el('div', { class: 'cell-head' }, title);
  if (!oldHead && (fromReview || state.cells.size > 1)) head.append(el('button', { type: 'button', class: 'quiet', text: t('cell.back'), onclick: () => api.showView('review', true) }));
  if (!oldHead && state.cells.has(cell.id)) head.append(navBar(cell));
  const fieldBar = cell.source ? ((oldHead && art.querySelector(':scope > #cell-field')) || fieldPanel(cell)) : null;
  if (!cell.ok) {
    art.replaceChildren(head, fieldBar || '', el('p', { class: 'error big', text: t('flag.error', { error: errorText(cell.error) }) }));
    art.dataset.error = cell.error;
    delete art.dataset.label;
    if (focus) title.focus();
    else if (activeId) document.getElementById(activeId)?.focus();
    return;
  }
  delete art.dataset.error;
  art.dataset.label = cell.label;
  art.dataset.id = String(cell.id);

  // Heatmap panel.
  const canvas = el('canvas', { id: 'cam-canvas', class: 'cam', width: '320', height: '320', role: 'img' });
  const camSel = el('select', { id: 'cam-class' }, state.info.classes.map((c, k) => el('option', { value: String(k), text: className(c) })));
  camSel.value = String(view.camClass);
  camSel.addEventListener('change', () => { view.camClass = Number(camSel.value); paintCam(); });
  const slider = el('input', { type: 'range', id: 'cam-opacity', min: '0', max: '1', step: '0.05', value: String(opacity) });
  const out = el('output', { for: 'cam-opacity', text: pct(opacity, 0) });
  slider.addEventListener('input', () => { opacity = Number(slider.value); out.textContent = pct(opacity, 0); paintCam(); });
  const camPanel = el('section', { class: 'panel cam-panel', 'aria-labelledby': 'cam-h' },
    el('h3', { id: 'cam-h', text: t('cell.cam') }),
    el('div', { class: 'cam-box' }, canvas, view.base ? null
      : (cell.imported && !cell.hasImage && !extras ? el('p', { class: 'cam-none muted', text: t('cell.noImage') }) : el('p', { class: 'cam-wait muted', text: t('cell.loadingCam') }))),
    el('p', { class: 'muted small', text: t('cam.caption') }),
    el('div', { class: 'field' }, el('label', { for: 'cam-class', text: t('cam.class') }), camSel),
    el('div', { class: 'field' }, el('label', { for: 'cam-opacity', text: t('cam.opacity') }), el('div', { class: 'row' }, slider, out)));

  // Verdict panel.
  const verdict = el('section', { class: 'panel verdict', 'aria-labelledby': 'verdict-h' }, el('h3', { id: 'verdict-h', text: t('cell.prediction') }));
  verdict.append(el('div', { id: 'verdict-body' }));
  const probs = el('div', { class: 'probs', role: 'list', 'aria-label': t('cell.probs') });
  state.info.classes.forEach((c, k) => {
    const fill = el('span', { class: 'fill' });
    fill.style.width = `${(100 * cell.probs[k]).toFixed(1)}%`;
    fill.style.background = classColour(k);
    probs.append(el('div', { class: `prob${k === cell.index ? ' top' : ''}`, role: 'listitem', dataset: { class: c } },
      el('span', { class: 'pname', text: className(c) }),
      el('span', { class: 'bar', 'aria-hidden': 'true' }, fill),
      el('span', { class: 'pval', text: confPct(cell.probs[k]) })));
  });
  verdict.append(el('div', { id: 'probs-block' }, el('h4', { text: t('cell.probs') }), probs));

  // Map panel.
  const mini = el('canvas', { id: 'mini-map', class: 'mini-map' });
  const mapPanel = el('section', { class: 'panel map-panel', 'aria-labelledby': 'mini-h' }, el('h3', { id: 'mini-h', text: t('cell.map') }));
  if (state.map && state.mapOk && cell.ood && Number.isFinite(cell.ood.x)) {
    mapPanel.append(el('button', { type: 'button', class: 'mini-link', 'aria-label': t('tab.map'), onclick: () => api.showView('map', true) }, mini),
      el('p', { class: 'muted small', text: t('cell.mapCaption') }),
      el('p', { class: 'small', text: t('cell.ood', { score: num(cell.ood.score, 4), t: num(state.map.ood.threshold, 4) }) }));
  } else mapPanel.append(el('p', { class: 'muted', text: state.mapError ? t('map.unavailable', { error: state.mapError }) : t('cell.noMap') }));

  art.replaceChildren(head, fieldBar || '', el('div', { class: 'cell-grid' }, verdict, camPanel, mapPanel));
  renderVerdict();
  paintCam();
  if (mini.isConnected) drawScatter(mini, Math.max(160, Math.min(240, (mapPanel.clientWidth || 264) - 24)), { highlight: cell.id, small: true });
  if (focus) title.focus();
  else if (activeId) document.getElementById(activeId)?.focus();
}

// A cell from a whole field: its photo and box, the way back to it, confirm (the class it is counted
// in now becomes the user's choice) and delete (a wrong detection).
function fieldPanel(cell) {
  const g = groupOf(cell);
  const bar = el('div', { class: 'cell-field row wrap', id: 'cell-field', dataset: { source: cell.source, box: cell.box.join(',') } },
    el('span', { class: 'small', text: t('cell.fromField', { name: cell.source, box: cell.box.join(', ') }) }));
  if (cell.field && state.fields.has(cell.field)) {
    bar.append(el('button', { type: 'button', id: 'cell-show-field', text: t('cell.showField'), onclick: () => api.showField(cell.field, cell.id) }));
  }
  if (cell.ok) {
    bar.append(el('button', { type: 'button', id: 'cell-confirm-box', disabled: typeof g !== 'number',
      text: t('cell.confirmBox', { cls: typeof g === 'number' ? groupName(g) : '—' }),
      onclick: () => { const now = groupOf(state.cells.get(cell.id) || cell); if (typeof now === 'number') api.reassign(cell.id, now); } }));
  }
  bar.append(el('button', { type: 'button', id: 'cell-delete', class: 'danger', text: t('cell.deleteBox'),
    onclick: () => {
      if (!window.confirm(t('cell.deleteConfirm', { name: cell.name }))) return;
      const fid = cell.field;
      api.removeCell(cell.id);
      clearCell();
      if (fid && state.fields.has(fid)) api.showField(fid);
      else api.showView('review', true);
    } }));
  return bar;
}

// The part that changes with a reassignment or the threshold.
export function renderVerdict() {
  if (!view || !view.cell.ok) return;
  const cell = view.cell;
  const body = $('verdict-body');
  if (!body) return;
  const g = groupOf(cell);
  const confirm = el('select', { id: 'cell-confirm' });
  fillChoices(confirm, cell);
  confirm.addEventListener('change', () => api.reassign(cell.id, parseChoice(confirm.value)));
  const confirmField = el('div', { class: 'field' }, el('label', { for: 'cell-confirm', text: t('cell.confirm') }), confirm);
  const probsBlock = $('probs-block');
  if (g === 'excluded') {
    // Not counted: no class headlines it. Why, and the model's guess (with the probabilities) only
    // behind a disclosure that says it is unreliable.
    const sw = el('span', { class: 'swatch', 'aria-hidden': 'true' });
    sw.style.background = GREY;
    const hasMap = state.map && state.mapOk && Number.isFinite(cell.ood.score);
    const guess = el('details', { class: 'guess', id: 'cell-guess' },
      el('summary', { text: t('cell.guess') }),
      el('p', { class: 'small', text: t('cell.guessText', { cls: className(cell.label), p: confPct(cell.confidence) }) }));
    if (probsBlock) guess.append(probsBlock);
    body.replaceChildren(
      el('p', { class: 'prediction not-counted', dataset: { group: 'excluded' } }, sw, el('span', { class: 'pred-label', text: t('cell.notCounted') })),
      el('p', { class: 'warn ood-warning', role: 'note', text: hasMap ? t('cell.notCountedWhy', { score: num(cell.ood.score, 4), t: num(state.map.ood.threshold, 4) }) : t('cell.notCountedWhyNoScore') }),
      guess, confirmField);
    return;
  }
  if (probsBlock && probsBlock.parentElement !== body.parentElement) body.parentElement.append(probsBlock);
  const flags = el('div', { class: 'flags-box' });
  if (cell.ood && cell.ood.flagged) flags.append(el('p', { class: 'warn ood-warning', role: 'note', text: t('flag.ood') }));
  if (cell.confidence < state.threshold && (cell.confirmed === null || cell.confirmed === undefined)) flags.append(el('p', { class: 'warn', text: t('flag.unidentified', { t: num(state.threshold) }) }));
  if (cell.confirmed !== null && cell.confirmed !== undefined) flags.append(el('p', { class: 'note', text: t('flag.reassigned', { cls: className(cell.label) }) }));
  if (cell.careful) flags.append(el('p', { class: 'note muted', text: t('careful.cell') }));
  const sw = el('span', { class: 'swatch', 'aria-hidden': 'true' });
  sw.style.background = classColour(cell.index);
  const sub = subclassOf(cell);
  // "Neutrophil — band" when the cell is counted in the class the model called
  const headline = sub && g === cell.index ? `${className(cell.label)} — ${subclassName(sub.id)}` : className(cell.label);
  body.replaceChildren(
    el('p', { class: 'prediction', dataset: { group: typeof g === 'number' ? state.info.classes[g] : g } }, sw,
      el('span', { class: 'pred-label', text: headline }), ' ',
      el('span', { class: 'conf', text: t('cell.confidence', { p: confPct(cell.confidence) }) })),
    flags, typeof g === 'number' ? kindBox(cell, g, sub) : '', confirmField);
}

// The kind within the class the cell is counted in (band / segmented; promyelocyte / myelocyte /
// metamyelocyte): the call, whose it is, a button per kind to set it, and how far to trust it.
function kindBox(cell, g, sub) {
  const kinds = subclassesOf(g);
  if (!kinds.length) return '';
  const who = !sub ? null : sub.byUser ? t('cell.kindUser', { p: sub.p === null ? '—' : confPct(sub.p) })
    : sub.p === null ? t('cell.kindModelNoP') : t('cell.kindModel', { p: confPct(sub.p) });
  const acc = state.card?.subclasses_int8_test?.[state.info.classes[g]]?.conditional_accuracy;
  return el('div', { class: 'kind-box', id: 'cell-kind', dataset: { subclass: sub?.id || '', by: sub ? (sub.byUser ? 'user' : 'model') : '' } },
    el('p', { class: 'kind-line' }, el('span', { class: 'kind-label', text: t('cell.kind', { kind: subclassName(sub ? sub.id : 'unspecified') }) }),
      who ? el('span', { class: 'conf', text: ` (${who})` }) : null),
    el('div', { class: 'kind-buttons row wrap', role: 'group', 'aria-label': t('cell.kindChoose', { cls: groupName(g) }) },
      kinds.map((k) => el('button', { type: 'button', class: 'kind', 'aria-pressed': sub?.id === k.id ? 'true' : 'false', dataset: { kind: k.id },
        text: subclassName(k.id), onclick: () => api.reassignSub(cell.id, k.id) })),
      sub?.byUser ? el('button', { type: 'button', class: 'quiet', id: 'cell-kind-model', text: t('cell.kindBack'), onclick: () => api.reassignSub(cell.id, null) }) : null),
    el('p', { class: 'muted small', text: Number.isFinite(acc) ? t('cell.kindNote', { acc: pct(acc, 0) }) : t('cell.kindNoteNoCard') }));
}

// Again, in place (language change): same cell, same heatmap.
export async function rerenderCell() {
  if (!view) return;
  const { cell, extras, fromReview } = view;
  await renderCell(cell, extras, { fromReview });
  if (!extras && cell.ok) api.loadCam(cell.id, fromReview);
}

export function currentCellId() { return view ? view.cell.id : null; }

// The square the model saw: the centre square of the decoded image (sharper than the S x S input),
// or the engine's own input crop when the browser cannot decode the file.
async function baseCrop({ blob, rgb }) {
  const c = document.createElement('canvas');
  if (blob && 'createImageBitmap' in self) {
    try {
      const bmp = await createImageBitmap(blob, { imageOrientation: 'none' });
      const side = Math.min(bmp.width, bmp.height);
      const sx = Math.floor((bmp.width - side) / 2), sy = Math.floor((bmp.height - side) / 2);
      const S = Math.min(side, 640);
      c.width = S; c.height = S;
      c.getContext('2d').drawImage(bmp, sx, sy, side, side, 0, 0, S, S);
      bmp.close();
      return c;
    } catch { /* fall through to the engine's crop */ }
  }
  if (!rgb) return null;
  const S = state.info.inputSize;
  c.width = S; c.height = S;
  const img = new ImageData(S, S);
  for (let i = 0; i < S * S; i++) {
    img.data[4 * i] = rgb[3 * i]; img.data[4 * i + 1] = rgb[3 * i + 1]; img.data[4 * i + 2] = rgb[3 * i + 2]; img.data[4 * i + 3] = 255;
  }
  c.getContext('2d').putImageData(img, 0, 0);
  return c;
}

// Heat colours: dark blue -> cyan -> yellow -> red.
const STOPS = [[0, [48, 18, 59]], [0.25, [40, 120, 230]], [0.5, [30, 210, 170]], [0.75, [250, 200, 40]], [1, [200, 20, 10]]];
function heat(v) {
  for (let i = 1; i < STOPS.length; i++) {
    if (v <= STOPS[i][0]) {
      const [a, ca] = STOPS[i - 1], [b, cb] = STOPS[i];
      const f = (v - a) / (b - a);
      return [0, 1, 2].map((j) => ca[j] + f * (cb[j] - ca[j]));
    }
  }
  return STOPS[STOPS.length - 1][1];
}

function paintCam() {
  const canvas = $('cam-canvas');
  if (!canvas || !view) return;
  const ctx = canvas.getContext('2d');
  const W = canvas.width;
  ctx.clearRect(0, 0, W, W);
  if (!view.base) return;
  ctx.imageSmoothingEnabled = true;
  ctx.imageSmoothingQuality = 'high';
  ctx.drawImage(view.base, 0, 0, W, W);
  const k = view.camClass;
  canvas.setAttribute('aria-label', t('cam.alt', { cls: className(state.info.classes[k]) }));
  if (!view.cams || opacity <= 0) return;
  const cam = view.cams[k];
  const cw = state.info.camWidth, ch = state.info.camHeight;
  let lo = Infinity, hi = -Infinity;
  for (const v of cam) { lo = Math.min(lo, v); hi = Math.max(hi, v); }
  const span = hi - lo > 1e-12 ? hi - lo : 1;
  const N = 96;
  const img = new ImageData(N, N);
  for (let y = 0; y < N; y++) {
    const fy = Math.min(Math.max((y + 0.5) * ch / N - 0.5, 0), ch - 1);
    const y0 = Math.floor(fy), y1 = Math.min(y0 + 1, ch - 1), wy = fy - y0;
    for (let x = 0; x < N; x++) {
      const fx = Math.min(Math.max((x + 0.5) * cw / N - 0.5, 0), cw - 1);
      const x0 = Math.floor(fx), x1 = Math.min(x0 + 1, cw - 1), wx = fx - x0;
      const v = (1 - wy) * ((1 - wx) * cam[y0 * cw + x0] + wx * cam[y0 * cw + x1]) + wy * ((1 - wx) * cam[y1 * cw + x0] + wx * cam[y1 * cw + x1]);
      const n = (v - lo) / span;
      const [r, g, b] = heat(n);
      const o = 4 * (y * N + x);
      img.data[o] = r; img.data[o + 1] = g; img.data[o + 2] = b;
      img.data[o + 3] = Math.round(255 * opacity * (0.25 + 0.75 * n));
    }
  }
  const off = document.createElement('canvas');
  off.width = N; off.height = N;
  off.getContext('2d').putImageData(img, 0, 0);
  ctx.drawImage(off, 0, 0, W, W);
}

export function hasView(id) { return view && view.cell.id === id; }
export function refreshCell() {
  if (!view) return;
  const c = state.cells.get(view.cell.id);
  if (!c) { clearCell(); return; }
  view.cell = c;
  renderVerdict();
  const btn = $('cell-confirm-box');
  if (btn) {
    const g = groupOf(c);
    btn.disabled = typeof g !== 'number';
    btn.textContent = t('cell.confirmBox', { cls: typeof g === 'number' ? groupName(g) : '—' });
  }
}
export { UNIDENTIFIED };
