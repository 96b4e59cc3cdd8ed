// state.js - what the page knows: engine info, map, model card, the cells of the review, settings.
// A cell: {id, name, size, ok, error, label, index, confidence, probs[K], ood:{x,y,score,flagged}|null,
//          confirmed: null (model's call) | class index | UNIDENTIFIED, ms, sample: its sample's key,
//          careful?: true when classified in careful mode (8 views averaged),
//          subprobs: [M] each sub-class's probability within its class (info.subclasses order; [] without),
//          subConfirmed: null (the model's call) | a sub-class id of the class it is counted in (the user's),
//          subImported?: {id, p} the call an imported CSV row carried (no subprobs there),
//          from a whole field: field (its id in state.fields), source (the photo's file name),
//          box [x0, y0, x1, y1] (photo px, as oriented), edge?/clump? (the locator's flags),
//          userAdded?: true when added by a tap}
// state.sample: the sample open now; state.cells are its cells. Its fields (samples.js has them all):
//   {key, id, date, reviewer, created, target: 100|200, wbcTotal: x10^9/L | null,
//    threshold: {value, default} | null, reviewed: null | {by, at (ISO time)}}
//   id is the sample ID the user typed: show it as text only (textContent), never as HTML.
//   After changing target or wbcTotal call saveSample() (samples.js); onSampleChange(fn) there is
//   told when another sample opens or its fields or review mark change.
import { t, className } from './i18n.js';

export const UNIDENTIFIED = -1;

export const state = {
  info: null,          // engine: {classes, inputSize, modelName, isa, ...}
  map: null,           // parsed reference-map.json, or null
  mapError: '',
  mapOk: false,        // the worker placed cells with it
  card: null,          // parsed model-card.json, or null
  cardError: '',
  threshold: 0.5,
  defaultThreshold: 0.5,
  sample: null,        // the sample open now (see above)
  cells: new Map(),    // id -> cell of the open sample, in insertion (id) order
  fields: new Map(),   // id -> whole-field photo of the open sample (app.js: commitField)
  nextId: 1,
  current: null,       // id shown in the cell view
  selected: null,      // id selected in the gallery
};

// Class colours (Tableau 10), fixed per class name so the map, gallery and charts agree.
const COLOURS = { basophil: '#b07aa1', eosinophil: '#f28e2b', erythroblast: '#e15759', ig: '#76b7b2',
  lymphocyte: '#4e79a7', monocyte: '#9c755f', neutrophil: '#59a14f', platelet: '#edc948' };
const SPARE = ['#4e79a7', '#f28e2b', '#e15759', '#76b7b2', '#59a14f', '#edc948', '#b07aa1', '#ff9da7', '#9c755f', '#bab0ac'];
export const GREY = '#8e8e93';

export function classColour(k) {
  const id = state.info?.classes[k] ?? state.map?.classes?.[k];
  return COLOURS[id] || SPARE[k % SPARE.length];
}

// The group a cell is counted in: a class index, 'unidentified', 'excluded' or 'error'.
export function groupOf(c) {
  if (!c.ok) return 'error';
  if (c.confirmed !== null && c.confirmed !== undefined) return c.confirmed === UNIDENTIFIED ? 'unidentified' : c.confirmed;
  if (c.ood && c.ood.flagged) return 'excluded';
  if (c.confidence < state.threshold) return 'unidentified';
  return c.index;
}

// The cell's sub-class within the class it is counted in (neutrophil: band / segmented; ig:
// promyelocyte / myelocyte / metamyelocyte): {id, p: the model's probability (null if not known),
// byUser}, or null (not counted in a class with sub-classes, a model without them, or no call known).
// A choice the user made for another class does not follow the cell into this one.
export function subclassOf(c) {
  const g = groupOf(c);
  const subs = state.info?.subclasses || [];
  if (typeof g !== 'number' || !subs.length) return null;
  const mine = subclassesOf(g);
  if (!mine.length) return null;
  const known = Array.isArray(c.subprobs) && c.subprobs.length === subs.length;
  const p = (s) => (known ? c.subprobs[s.j] : null);
  const user = mine.find((s) => s.id === c.subConfirmed);
  if (user) return { id: user.id, p: p(user), byUser: true };
  if (known) {
    const top = mine.reduce((a, b) => (p(b) > p(a) ? b : a));
    return { id: top.id, p: p(top), byUser: false };
  }
  if (c.subImported && mine.some((s) => s.id === c.subImported.id)) return { id: c.subImported.id, p: c.subImported.p ?? null, byUser: false };
  return null;
}

// The sub-classes of class index k: [{id, j}] (j: index in info.subclasses).
export function subclassesOf(k) {
  const subs = state.info?.subclasses || [];
  const cls = state.info?.classes[k];
  return subs.map((s, j) => ({ id: s.id, j, parent: s.parent })).filter((s) => s.parent === cls);
}

export function groupName(g) {
  if (typeof g === 'number') return className(state.info?.classes[g] ?? String(g));
  return t(`group.${g}`);
}

// The machine-readable name of a group (exports, data attributes).
export function groupId(g) {
  return typeof g === 'number' ? state.info.classes[g] : g;
}

export function counts() {
  const K = state.info ? state.info.classes.length : 0;
  const c = { perClass: new Array(K).fill(0), unidentified: 0, excluded: 0, error: 0, total: 0, identified: 0 };
  for (const cell of state.cells.values()) {
    const g = groupOf(cell);
    c.total++;
    if (typeof g === 'number') { c.perClass[g]++; c.identified++; } else c[g]++;
  }
  return c;
}

export function el(tag, props = {}, ...kids) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(props)) {
    if (v === undefined || v === null || v === false) continue;
    if (k === 'class') e.className = v;
    else if (k === 'text') e.textContent = v;
    else if (k === 'dataset') Object.assign(e.dataset, v);
    else if (k.startsWith('on')) e.addEventListener(k.slice(2), v);
    else if (k in e && typeof v !== 'string') e[k] = v;
    else e.setAttribute(k, v === true ? '' : v);
  }
  for (const kid of kids.flat()) if (kid !== null && kid !== undefined && kid !== false) e.append(kid);
  return e;
}

export function svg(tag, attrs = {}, ...kids) {
  const e = document.createElementNS('http://www.w3.org/2000/svg', tag);
  for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, v);
  for (const kid of kids.flat()) if (kid) e.append(kid);
  return e;
}
