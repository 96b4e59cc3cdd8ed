// review.js - the batch view: gallery grouped by class (like a CellaVision review screen), the
// differential count (table + chart), the confidence threshold, reassignment by click, keyboard or
// drag, and export.
import { state, groupOf, groupName, groupId, counts, classColour, GREY, UNIDENTIFIED, el, subclassOf } from '../state.js';
import { t, className, subclassName, pct, confPct, num, errorText, getLang, onLangChange } from '../i18n.js';
import { onSampleChange } from '../samples.js';
import { reportStale } from './report.js';
import { summary, countSettings, setCountSettings, parseWbc, WBC_MAX } from '../counting.js';
import { LEUKOCYTES, NRBC, PLATELET, TARGETS, subclassRows, progress } from '../differential.js';
import { renderCounter } from './counter.js';

const $ = (id) => document.getElementById(id);
const DRAG_TYPE = 'application/x-bloodcell-cell';
let api = null;
const items = new Map();     // id -> li
const groups = new Map();    // group key ('0'..'7', 'unidentified', 'excluded', 'error') -> {section, list, count}
let countsQueued = false;

export function initReview(a) {
  api = a;
  addEventListener('scroll', queueThumbs, { passive: true });
  addEventListener('resize', queueThumbs);

  const gallery = $('gallery');
  gallery.addEventListener('click', (e) => {
    const li = e.target.closest('li.cell');
    if (li) select(Number(li.dataset.id), true);
  });
  gallery.addEventListener('dblclick', (e) => {
    const li = e.target.closest('li.cell');
    if (li) api.openCell(Number(li.dataset.id));
  });
  gallery.addEventListener('keydown', onKey);
  gallery.addEventListener('dragstart', (e) => {
    const li = e.target.closest('li.cell');
    if (!li || li.dataset.group === 'error') { e.preventDefault(); return; }
    e.dataTransfer.setData(DRAG_TYPE, li.dataset.id);
    e.dataTransfer.effectAllowed = 'move';
    li.classList.add('dragging');
  });
  gallery.addEventListener('dragend', (e) => e.target.closest?.('li.cell')?.classList.remove('dragging'));

  $('reassign').addEventListener('change', (e) => {
    if (state.selected === null) return;
    api.reassign(state.selected, parseChoice(e.target.value));
  });
  $('open-selected').addEventListener('click', () => { if (state.selected !== null) api.openCell(state.selected); });
  initCountControls();
}

// ---- count target and analyser WBC --------------------------------------------------------------
function initCountControls() {
  $('count-target').addEventListener('change', (e) => {
    setCountSettings({ target: Number(e.target.value) });
    renderCounts();
  });
  // The WBC is taken as typed (a decimal point or comma); a value that is not a count is said so
  // and not used, and the field keeps what was typed so that it can be corrected.
  const wbc = $('wbc-total');
  const apply = () => {
    const v = parseWbc(wbc.value);
    const bad = Number.isNaN(v);
    wbc.setAttribute('aria-invalid', String(bad));
    $('wbc-error').textContent = bad ? t('count.wbcBad', { example: num(7.5, 1), max: num(WBC_MAX, 0) }) : '';
    $('wbc-error').hidden = !bad;
    setCountSettings({ wbcTotal: bad ? null : v });
    renderCounts();
  };
  wbc.addEventListener('input', apply);
  wbc.addEventListener('change', apply);
  onLangChange(setCountUI);
  onSampleChange((sample, why) => { if (why === 'edit' && state.info) { setCountUI(); renderCounts(); } });
}

// The controls show the open sample's settings (after a start, a switch of sample or a language).
export function setCountUI() {
  const { target, wbcTotal } = countSettings();
  const sel = $('count-target');
  sel.replaceChildren(...TARGETS.map((n) => el('option', { value: String(n), text: t('count.targetOption', { n }) })));
  sel.value = String(target);
  const wbc = $('wbc-total');
  wbc.placeholder = t('count.optional');
  if (wbc === document.activeElement) return;      // being typed: left as it is
  wbc.value = wbcTotal === null ? '' : new Intl.NumberFormat(getLang(), { maximumFractionDigits: 3, useGrouping: false }).format(wbcTotal);
  wbc.setAttribute('aria-invalid', 'false');
  $('wbc-error').hidden = true;
}

// <select> values: 'auto' (model's call), 'u' (unidentified), '0'..'7' (class index).
export function parseChoice(v) {
  if (v === 'auto') return null;
  if (v === 'u') return UNIDENTIFIED;
  return Number(v);
}

export function choiceValue(confirmed) {
  if (confirmed === null || confirmed === undefined) return 'auto';
  return confirmed === UNIDENTIFIED ? 'u' : String(confirmed);
}

// Options for a reassign <select>: the model's call, each class, unidentified.
export function fillChoices(select, cell) {
  select.replaceChildren(
    // An excluded cell's automatic group is "not counted", not the model's (unreliable) class.
    el('option', { value: 'auto', text: cell && cell.ok && cell.ood?.flagged ? t('reassign.autoExcluded') : t('reassign.auto', { cls: cell && cell.ok ? className(cell.label) : '—' }) }),
    ...state.info.classes.map((c, k) => el('option', { value: String(k), text: `${k + 1} · ${className(c)}` })),
    el('option', { value: 'u', text: `U · ${t('group.unidentified')}` }));
  if (cell) select.value = choiceValue(cell.confirmed);
}

function groupKey(g) { return String(g); }

// Builds the group sections (once per model / language change).
export function buildGroups() {
  const gallery = $('gallery');
  gallery.replaceChildren();
  groups.clear();
  const keys = [...state.info.classes.map((_, k) => k), 'unidentified', 'excluded', 'error'];
  for (const g of keys) {
    const count = el('span', { class: 'count', text: '0' });
    const title = el('h3', {}, el('span', { class: 'swatch', 'aria-hidden': 'true' }), el('span', { class: 'gname', text: groupName(g) }), ' ', count);
    const colour = typeof g === 'number' ? classColour(g) : GREY;
    title.firstChild.style.background = colour;
    const list = el('ul', { class: 'thumbs', role: 'listbox', 'aria-label': groupName(g) });
    const section = el('section', { class: 'group', dataset: { group: typeof g === 'number' ? state.info.classes[g] : g } }, title, list,
      el('p', { class: 'group-empty muted small', text: t('group.empty') }));
    if (g === 'excluded' || g === 'error') section.classList.add('auto-hide');
    else {
      const value = g === 'unidentified' ? UNIDENTIFIED : g;
      section.addEventListener('dragover', (e) => {
        if (!e.dataTransfer.types.includes(DRAG_TYPE)) return;
        e.preventDefault();
        e.stopPropagation();
        e.dataTransfer.dropEffect = 'move';
        section.classList.add('drop-over');
      });
      section.addEventListener('dragleave', (e) => { if (!section.contains(e.relatedTarget)) section.classList.remove('drop-over'); });
      section.addEventListener('drop', (e) => {
        if (!e.dataTransfer.types.includes(DRAG_TYPE)) return;
        e.preventDefault();
        e.stopPropagation();
        section.classList.remove('drop-over');
        const id = Number(e.dataTransfer.getData(DRAG_TYPE));
        if (state.cells.has(id)) api.reassign(id, value);
      });
    }
    groups.set(groupKey(g), { section, list, count });
    gallery.append(section);
  }
}

function itemLabel(c) {
  if (!c.ok) return `${c.name}: ${t('flag.error', { error: errorText(c.error) })}`;
  if (groupOf(c) === 'excluded') return `${c.name}: ${groupName('excluded')}`;
  const sub = subclassOf(c);
  return t('gallery.item', { name: c.name, cls: sub ? `${groupName(groupOf(c))} — ${subclassName(sub.id)}` : groupName(groupOf(c)), p: confPct(c.confidence) });
}

function makeItem(c) {
  const li = el('li', { class: 'cell', role: 'option', tabindex: '-1', 'aria-selected': 'false', draggable: c.ok ? 'true' : 'false',
    dataset: { id: String(c.id), file: c.name } });
  if (c.ok) {
    li.dataset.label = c.label;
    li.dataset.probs = JSON.stringify(c.probs);
    if (c.ood) li.dataset.ood = JSON.stringify(c.ood);
    li.append(el('img', { alt: '', decoding: 'async', draggable: 'false', width: '80', height: '80' }));
    const flags = el('span', { class: 'flags' });
    li.append(el('span', { class: 'cap' }, el('span', { class: 'name', text: c.name }), el('span', { class: 'conf' }), el('span', { class: 'kind' }), flags));
  } else {
    li.dataset.error = c.error;
    li.append(el('span', { class: 'noimg', 'aria-hidden': 'true', text: '!' }),
      el('span', { class: 'cap' }, el('span', { class: 'name', text: c.name }), el('span', { class: 'error', text: t('flag.error', { error: errorText(c.error) }) })));
  }
  return li;
}

function refreshItem(li, c) {
  const g = groupOf(c);
  li.dataset.group = groupId(g);
  li.setAttribute('aria-label', itemLabel(c));
  if (!c.ok) {   // the reason, in the language now chosen
    li.querySelector('.error').textContent = t('flag.error', { error: errorText(c.error) });
    return;
  }
  // An excluded cell's caption gives no confidence: it would read as the certainty of a class.
  li.querySelector('.conf').textContent = g === 'excluded' ? t('gallery.notCounted') : confPct(c.confidence, 0);
  const sub = subclassOf(c);
  li.querySelector('.kind').textContent = sub ? subclassName(sub.id) : '';
  if (sub) { li.dataset.subclass = sub.id; li.dataset.subBy = sub.byUser ? 'user' : 'model'; } else { delete li.dataset.subclass; delete li.dataset.subBy; }
  const flags = li.querySelector('.flags');
  flags.replaceChildren();
  if (c.ood && c.ood.flagged) flags.append(el('span', { class: 'flag ood', title: t('flag.ood'), text: '⚠' }));
  if (c.confirmed !== null && c.confirmed !== undefined) flags.append(el('span', { class: 'flag user', title: t('flag.reassigned', { cls: className(c.label) }), text: '✓' }));
  li.classList.toggle('reassigned', c.confirmed !== null && c.confirmed !== undefined);
}

// Thumbnails: an item shows its image while it is within MARGIN px of the viewport; the object URL
// is given back when it scrolls away or the view is hidden. The items in view are found by binary
// search over each group's items (in document order, so their boxes go down the page), once per
// frame after a scroll, a resize or a change of the gallery: an IntersectionObserver on each of
// thousands of items costs too much time per frame.
const MARGIN = 300;
let thumbsQueued = false;
export function queueThumbs() {
  if (thumbsQueued) return;
  thumbsQueued = true;
  // after the next frame is drawn, when the layout is up to date (measuring then costs nothing more)
  requestAnimationFrame(() => setTimeout(() => { thumbsQueued = false; updateThumbs(); }));
}

// [first, end) of the list's items near the viewport, or null.
function inView(list) {
  const kids = list.children, n = kids.length;
  if (!n) return null;
  const r = list.getBoundingClientRect();
  const top = -MARGIN, bottom = innerHeight + MARGIN;
  if (r.height === 0 || r.bottom < top || r.top > bottom) return null;
  let lo = 0, hi = n;
  while (lo < hi) { const m = (lo + hi) >> 1; if (kids[m].getBoundingClientRect().bottom < top) lo = m + 1; else hi = m; }
  const first = lo;
  hi = n;
  while (lo < hi) { const m = (lo + hi) >> 1; if (kids[m].getBoundingClientRect().top <= bottom) lo = m + 1; else hi = m; }
  return first < lo ? [first, lo] : null;
}

function updateThumbs() {
  const want = new Set();
  for (const g of groups.values()) {
    const range = inView(g.list);
    if (!range) continue;
    for (let i = range[0]; i < range[1]; i++) {
      const li = g.list.children[i];
      if (li.dataset.label) want.add(li);
    }
  }
  for (const st of [...thumbState.values()]) if (!want.has(st.li)) wantThumb(st.li, false);
  for (const li of want) wantThumb(li, true);
}

// Per cell id: {li, want (in view), have (holds the URL), busy (acquiring)}.
const thumbState = new Map();

function wantThumb(li, want) {
  const id = Number(li.dataset.id);
  let st = thumbState.get(id);
  if (!st) {
    if (!want) return;
    st = { li, want, have: false, busy: false };
    thumbState.set(id, st);
  }
  st.want = want;
  st.li = li;
  syncThumb(id, st);
}

async function syncThumb(id, st) {
  if (st.busy) return;
  const img = st.li.querySelector('img');
  if (st.want && !st.have) {
    st.busy = true;
    const url = await api.acquireThumb(id);
    st.busy = false;
    if (!url) { thumbState.delete(id); return; }     // no image kept for this cell
    st.have = true;
    if (img) img.src = url;
    if (!st.want || thumbState.get(id) !== st) syncThumb(id, st);   // it left the view meanwhile
  } else if (!st.want) {
    if (st.have) {
      img?.removeAttribute('src');
      st.have = false;
      api.releaseThumb(id);
    }
    if (thumbState.get(id) === st) thumbState.delete(id);
  }
}

// A new cell: appended to its group (ids only grow, so the order stays by id). New items go into
// the page together, at most every FLUSH_MS: each change of a gallery of thousands of items costs
// a layout and paint of the page, so fewer, larger changes keep the frames short during a batch.
const FLUSH_MS = 250;
const pendingAdds = [];
let addsTimer = 0, lastFlush = -Infinity;
export function addItem(c) {
  items.set(c.id, makeItem(c));
  pendingAdds.push(c);
  if (addsTimer) return;
  addsTimer = setTimeout(() => requestAnimationFrame(flushAdds), Math.max(0, lastFlush + FLUSH_MS - performance.now()));
}

export function flushAdds() {
  clearTimeout(addsTimer);
  addsTimer = 0;
  if (!pendingAdds.length) return;
  lastFlush = performance.now();
  const first = items.values().next().value;
  for (const c of pendingAdds.splice(0)) {
    const li = items.get(c.id);
    if (!li) continue;
    refreshItem(li, c);
    groups.get(groupKey(groupOf(c))).list.append(li);
    if (li === first) li.tabIndex = 0;
  }
  for (const g of groups.values()) groupState(g);
  queueCounts();
  queueThumbs();
}

function dropPending() {
  pendingAdds.length = 0;
  clearTimeout(addsTimer);
  addsTimer = 0;
}

// A cell whose group may have changed: moved to its place (by id) in the new group.
export function updateItem(c) {
  const li = items.get(c.id);
  if (!li) return;
  const hadFocus = document.activeElement === li;
  const before = li.dataset.group;
  refreshItem(li, c);
  if (li.dataset.group !== before) {
    const from = li.closest('section.group');
    const to = groups.get(groupKey(groupOf(c)));
    let next = null;
    for (const other of to.list.children) if (Number(other.dataset.id) > c.id) { next = other; break; }
    to.list.insertBefore(li, next);
    groupState(to);
    for (const g of groups.values()) if (g.section === from) groupState(g);
    if (hadFocus) li.focus();
  }
  if (state.selected === c.id) showSelection();
  queueCounts();
  queueThumbs();
}

// A deleted cell: its item, its thumbnail and the selection go.
export function removeItem(id) {
  const li = items.get(id);
  const i = pendingAdds.findIndex((c) => c.id === id);
  if (i >= 0) pendingAdds.splice(i, 1);
  if (!li) return;
  if (thumbState.has(id)) wantThumb(li, false);
  const group = li.closest('section.group');
  li.remove();
  items.delete(id);
  for (const g of groups.values()) if (g.section === group) groupState(g);
  if (state.selected === id) { state.selected = null; showSelection(); }
  ensureTabStop();
  queueCounts();
  queueThumbs();
}

// Every cell again (threshold, language or restore): items are kept, regrouped in id order.
export function rebuild() {
  dropPending();      // every cell is placed below, the pending ones too
  const frags = new Map([...groups.keys()].map((k) => [k, document.createDocumentFragment()]));
  for (const c of state.cells.values()) {
    let li = items.get(c.id);
    if (!li) { li = makeItem(c); items.set(c.id, li); }
    refreshItem(li, c);
    frags.get(groupKey(groupOf(c))).append(li);
  }
  for (const [k, g] of groups) g.list.replaceChildren(frags.get(k));
  ensureTabStop();
  if (state.selected !== null) showSelection();
  renderCounts();
  queueThumbs();
}

export function clearAll() {
  dropPending();
  for (const st of [...thumbState.values()]) wantThumb(st.li, false);
  items.clear();
  for (const g of groups.values()) g.list.replaceChildren();
  state.selected = null;
  showSelection();
  renderCounts();
}

function ensureTabStop() {
  const all = $('gallery').querySelectorAll('li.cell');
  if (!all.length) return;
  if (![...all].some((li) => li.tabIndex === 0)) all[0].tabIndex = 0;
}

// The cells in the gallery's order (by group, then id): the cell view's previous / next and the counter.
export function orderedIds() {
  flushAdds();
  return [...$('gallery').querySelectorAll('li.cell')].map((li) => Number(li.dataset.id));
}

export function selectCell(id, focus = false) {
  select(id, focus);
  items.get(id)?.scrollIntoView({ block: 'nearest' });
}

// The batch-level refusal, above every view while the sample holds them: how many of its images were
// not counted (excluded as unlike the reference cells, or unreadable), with a way to them. Images are
// the single-cell files and the whole fields (a field's located cells are not images of their own).
function showRefusals() {
  const box = $('refusals');
  let excluded = 0, failed = 0, images = state.fields.size;
  for (const c of state.cells.values()) {
    if (c.field) continue;
    images++;
    const g = groupOf(c);
    if (g === 'excluded') excluded++;
    else if (g === 'error') failed++;
  }
  const line = (n, key, group) => el('p', { class: 'refusal', dataset: { group, n: String(n) } },
    el('span', { text: `⚠ ${t(n === 1 ? `${key}One` : key, { n, m: images })} ` }),
    el('button', { type: 'button', class: 'linkish', dataset: { show: group }, text: t(n === 1 ? 'refuse.showOne' : 'refuse.show'),
      onclick: () => { api.showView('review'); showGroup(group); } }));
  box.replaceChildren(...[excluded ? line(excluded, 'refuse.excluded', 'excluded') : null, failed ? line(failed, 'refuse.failed', 'error') : null].filter(Boolean));
  box.hidden = !excluded && !failed;
  $('intro').hidden = state.cells.size > 0;     // what the app takes: said while the sample is empty
  Object.assign(box.dataset, { excluded: String(excluded), failed: String(failed), images: String(images) });
}

function select(id, focus) {
  const prev = state.selected !== null ? items.get(state.selected) : null;
  if (prev) { prev.setAttribute('aria-selected', 'false'); prev.tabIndex = -1; }
  for (const li of $('gallery').querySelectorAll('li.cell[tabindex="0"]')) li.tabIndex = -1;
  state.selected = id;
  const li = items.get(id);
  if (!li) return;
  li.setAttribute('aria-selected', 'true');
  li.tabIndex = 0;
  if (focus) li.focus();
  showSelection();
}

function showSelection() {
  const c = state.cells.get(state.selected);
  const bar = $('selection');
  bar.dataset.empty = c ? '0' : '1';
  $('open-selected').disabled = !c;
  renderCounter();
  if (!c) {
    $('delete-selected').disabled = true;
    $('selection-name').textContent = t('selection.none');
    $('reassign').replaceChildren();
    $('reassign').disabled = true;
    return;
  }
  $('selection-name').textContent = c.ok ? `${c.name} — ${groupName(groupOf(c))}` : `${c.name} — ${t('group.error')}`;
  $('delete-selected').disabled = false;
  const sel = $('reassign');
  fillChoices(sel, c);
  sel.disabled = !c.ok;
}

function onKey(e) {
  const li = e.target.closest('li.cell');
  if (!li) return;
  const id = Number(li.dataset.id);
  const all = [...$('gallery').querySelectorAll('li.cell')];
  const i = all.indexOf(li);
  const K = state.info.classes.length;
  let target = null;
  switch (e.key) {
    case 'ArrowRight': case 'ArrowDown': target = all[Math.min(i + 1, all.length - 1)]; break;
    case 'ArrowLeft': case 'ArrowUp': target = all[Math.max(i - 1, 0)]; break;
    case 'Home': target = all[0]; break;
    case 'End': target = all[all.length - 1]; break;
    case 'Enter': e.preventDefault(); api.openCell(id); return;
    case ' ': e.preventDefault(); select(id, true); return;
    default: {
      const c = state.cells.get(id);
      if (!c || !c.ok || e.ctrlKey || e.metaKey || e.altKey) return;
      let value;
      if (/^[1-9]$/.test(e.key) && Number(e.key) <= K) value = Number(e.key) - 1;
      else if (e.key === 'u' || e.key === 'U') value = UNIDENTIFIED;
      else if (e.key === '0') value = null;
      else return;
      e.preventDefault();
      select(id, false);
      api.reassign(id, value);
      return;
    }
  }
  e.preventDefault();
  if (target) select(Number(target.dataset.id), true);
}

function queueCounts() {
  if (countsQueued) return;
  countsQueued = true;
  $('diff').dataset.pending = '1';   // lets tests (and anything reading the table) wait for the frame
  requestAnimationFrame(() => { countsQueued = false; renderCounts(); });
}

function groupState(g) {
  const n = g.list.childElementCount;
  g.count.textContent = String(n);
  g.section.classList.toggle('empty', n === 0);
}

// The differential as a lab reports it (differential.js): the six leukocyte classes in % of the
// white cells counted, with absolute counts when the analyser's WBC is given; NRBC per 100 WBC and
// platelets counted apart; unidentified, excluded and failed cells shown, not counted.
export function renderCounts() {
  $('diff').dataset.pending = '0';
  reportStale();
  const c = counts();
  const s = summary();
  for (const g of groups.values()) groupState(g);
  $('review-count').textContent = String(c.total);
  const diff = $('diff');
  Object.assign(diff.dataset, { total: c.total, identified: c.identified, unidentified: c.unidentified, excluded: c.excluded, failed: c.error,
    wbc: s.wbc, nrbc: s.nrbc, platelets: s.platelets, target: s.target });
  const note = el('p', { class: 'diff-note', text: t('diff.note', { n: s.wbc, nrbc: s.nrbc, plt: s.platelets, u: s.unidentified, x: s.excluded, f: s.failed }) });
  showProgress(s);
  showRefusals();
  renderCounter();
  diff.replaceChildren(el('div', { class: 'diff-body' }, wbcTable(s), el('div', { class: 'diff-side' }, wbcChart(s), apartTable(s))), note);
}

function classIndex(k) { return state.info.classes.indexOf(k); }
function colourOf(k) { const i = classIndex(k); return i < 0 ? GREY : classColour(i); }
function pctText(percent, digits = 1) { return percent === null ? '—' : pct(percent / 100, digits); }
function absText(x) { return x === null || x === undefined ? '—' : num(x, 2); }

// "WBC counted: 47 / 100", a bar, and the flag when the count is below the target.
function showProgress(s) {
  const p = progress(s);
  const text = t('count.progress', { n: p.counted, target: p.target });
  const box = $('count-progress');
  Object.assign(box.dataset, { counted: String(p.counted), target: String(p.target), done: p.done ? '1' : '0' });
  box.replaceChildren(el('span', { class: 'count-progress-text', text }),
    el('progress', { max: String(p.target), value: String(Math.min(p.counted, p.target)), 'aria-label': text }),
    p.done ? el('span', { class: 'count-done', text: `✓ ${t('count.done')}` })
      : s.wbc === 0 ? el('span', { class: 'low-count muted small', text: t('count.none') })
        : el('span', { class: 'low-count warn', role: 'note', text: `⚠ ${t('count.low', { n: s.wbc, target: s.target })}` }));
}

function wbcTable(s) {
  const abs = s.absolute !== null;
  const low = progress(s).low && s.wbc > 0;
  const pctHead = el('th', { scope: 'col', text: t('diff.pct') });
  if (low) pctHead.append(' ', el('span', { class: 'low-mark', title: t('count.low', { n: s.wbc, target: s.target }), 'aria-label': t('count.low', { n: s.wbc, target: s.target }), text: '⚠' }));
  const head = el('tr', {}, el('th', { scope: 'col', text: t('diff.class') }), el('th', { scope: 'col', text: t('diff.count') }), pctHead,
    abs ? el('th', { scope: 'col', text: t('diff.abs') }) : null);
  const body = el('tbody', { class: 'wbc' });
  for (const k of LEUKOCYTES) {
    const d = s.differential[k];
    const sw = el('span', { class: 'swatch', 'aria-hidden': 'true' });
    sw.style.background = colourOf(k);
    body.append(el('tr', { dataset: { class: k } }, el('th', { scope: 'row' }, sw, className(k)),
      el('td', { class: 'count', text: String(d.count) }), el('td', { class: 'pct', text: pctText(d.percent) }),
      abs ? el('td', { class: 'abs', text: absText(s.absolute[k]) }) : null));
    // bands beside segmented neutrophils (and the kinds of ig), each in % of the WBC as labs report them;
    // 'unspecified' only when some cell of the class has no kind
    for (const r of subclassRows(s, k)) {
      body.append(el('tr', { class: 'subrow', dataset: { subclass: `${k}/${r.id}` } },
        el('th', { scope: 'row', class: 'subname', text: subclassName(r.id) }),
        el('td', { class: 'count', text: String(r.count) }), el('td', { class: 'pct', text: pctText(r.percent) }),
        abs ? el('td', { class: 'abs', text: absText(r.absolute) }) : null));
    }
  }
  const foot = el('tfoot', {}, el('tr', { dataset: { group: 'wbc' } }, el('th', { scope: 'row', text: t('diff.wbc') }), el('td', { class: 'count', text: String(s.wbc) }),
    el('td', { text: s.wbc ? pct(1, 0) : '—' }), abs ? el('td', { class: 'abs', text: absText(s.wbc_corrected) }) : null));
  const table = el('table', { class: `diff-table${low ? ' low' : ''}` }, el('thead', {}, head), body, foot);
  const box = el('div', { class: 'wbc-box' }, table);
  if (s.wbc_total !== null) {
    box.append(el('p', { class: 'wbc-line small', text: s.wbc_corrected === null ? t('diff.wbcGivenOnly', { wbc: absText(s.wbc_total) })
      : t('diff.wbcLine', { wbc: absText(s.wbc_total), corrected: absText(s.wbc_corrected) }) }));
  }
  return box;
}

// The six shares as one stacked bar (the table beside it is its legend).
function wbcChart(s) {
  const chart = el('div', { class: 'diff-chart', role: 'img' });
  const parts = [];
  for (const k of LEUKOCYTES) {
    const d = s.differential[k];
    parts.push(`${className(k)} ${pctText(d.percent)}`);
    if (!d.count) continue;
    const seg = el('span', { class: 'seg', dataset: { class: k }, title: `${className(k)}: ${d.count} (${pctText(d.percent)})` });
    seg.style.width = `${d.percent.toFixed(2)}%`;
    seg.style.background = colourOf(k);
    chart.append(seg);
  }
  chart.setAttribute('aria-label', `${t('diff.chart')}: ${parts.join(', ')}`);
  return chart;
}

// NRBC (with its rate per 100 WBC) and platelets, and any class of another model that the rules do
// not name, counted apart; then the cells not counted at all.
function apartTable(s) {
  const row = (k, name, count) => {
    const sw = el('span', { class: 'swatch', 'aria-hidden': 'true' });
    sw.style.background = colourOf(k);
    return el('tr', { dataset: { class: k } }, el('th', { scope: 'row' }, sw, name), el('td', { class: 'count', text: String(count) }));
  };
  const line = (g, name, value, cls = 'count') => el('tr', { dataset: { group: g } }, el('th', { scope: 'row', text: name }), el('td', { class: cls, text: value }));
  const apart = el('tbody', { class: 'apart' },
    row(NRBC, t('diff.nrbc'), s.nrbc),
    line('nrbc-per-100', t('diff.nrbcRate'), s.nrbc_per_100_wbc === null ? '—' : num(s.nrbc_per_100_wbc, 1), 'per100'),
    row(PLATELET, t('diff.platelets'), s.platelets));
  const named = new Set([...LEUKOCYTES, NRBC, PLATELET]);
  const c = counts();
  state.info.classes.forEach((k, i) => { if (!named.has(k)) apart.append(row(k, className(k), c.perClass[i])); });
  const none = el('tbody', { class: 'not-counted' },
    el('tr', {}, el('th', { scope: 'rowgroup', colspan: '2', class: 'sub', text: t('diff.notCounted') })),
    line('unidentified', t('group.unidentified'), String(s.unidentified)), line('excluded', t('diff.excluded'), String(s.excluded)),
    line('failed', t('group.error'), String(s.failed)));
  return el('table', { class: 'diff-table apart' }, el('caption', { text: t('diff.apart') }), apart, none,
    el('tfoot', {}, line('total', t('report.total'), String(s.total))));
}

export function setThresholdUI() {
  $('threshold').value = String(state.threshold);
  const d = Math.round(state.threshold * 1000) % 10 ? 3 : 2;
  $('threshold-out').value = num(state.threshold, d);
  $('threshold-note').textContent = t('threshold.note', { d: num(state.defaultThreshold, Math.round(state.defaultThreshold * 1000) % 10 ? 3 : 2) });
}

// Selects the first cell of a group and brings it into view (after a refused sign-off: the cells
// left unidentified). Returns whether the group has any.
export function showGroup(key) {
  flushAdds();
  const li = groups.get(key)?.list.firstElementChild;
  if (!li) return false;
  select(Number(li.dataset.id), true);
  li.scrollIntoView({ block: 'center' });
  return true;
}

export function focusSelected() {
  const li = state.selected !== null ? items.get(state.selected) : null;
  if (li) li.focus();
}
