// import.js - reads a review exported by this app (export.js: JSON 'bloodcell-review-1' or CSV) back
// into cells, checking everything first: the format, the model's classes, every field's type and
// range, and that the fields agree with each other (the predicted class is the most probable one,
// the confidence its probability, a reassigned cell's confirmed class is the user's choice, ...).
// Anything wrong throws an ImportError that names the cell and the field; nothing is returned in
// part. Pure functions: no DOM, so they also run in node.
//
//   parseReview(text, classes) -> {format: 'json'|'csv', cells: [cell], threshold: number|null,
//                                  sample: {id, date, reviewer, reviewed, target, wbcTotal} | null}
//   (sample: the JSON export's sample block; reviewed: null | {by, at})
//   cell: {name, ok, error, label, index, confidence, probs[K], ood: {x, y, score, flagged}|null,
//          confirmed: null | class index | UNIDENTIFIED, imported: true, image?: data URL (JSON with images),
//          subConfirmed?: the user's kind, subImported?: {id, p} the kind the file gives,
//          subprobsById?: {kind: p} (JSON: every kind's probability within its class)}
import { SUBCLASSES } from './differential.js';

export const UNIDENTIFIED = -1;
export const MAX_CELLS = 100000;
const FLAGS = new Set(['error', 'out_of_distribution', 'low_confidence', 'reassigned']);

export class ImportError extends Error {}
const fail = (msg) => { throw new ImportError(msg); };

export function parseReview(text, classes) {
  if (typeof text !== 'string' || !text.trim()) fail('the file is empty');
  const head = text.replace(/^\uFEFF/, '').trimStart();
  if (head.startsWith('{')) return fromJSON(head, classes);
  if (head.startsWith('file,')) return fromCSV(head, classes, ',');
  if (head.startsWith('file;')) return fromCSV(head, classes, ';');   // the Spanish export (export.js csvStyle)
  fail('it is not a review exported by this app (JSON or CSV)');
}

// ---- shared checks ---------------------------------------------------------------------------------
const isNum = (x) => typeof x === 'number' && Number.isFinite(x);
const named = (where, name) => `${where} (${name.length > 60 ? name.slice(0, 57) + '…' : name})`;

function checkName(name, where) {
  if (typeof name !== 'string' || !name.length) fail(`${where}: the file name is missing`);
  if (name.length > 1024) fail(`${where}: the file name is longer than 1024 characters`);
  return name;
}

// One cell from already typed fields (JSON or CSV); `where` names it in messages.
function makeCell(f, classes, where) {
  const K = classes.length;
  const name = checkName(f.file, where);
  where = named(where, name);
  if (f.status !== 'ok' && f.status !== 'error') fail(`${where}: status must be "ok" or "error", not ${JSON.stringify(f.status)}`);
  const flags = f.flags;
  for (const x of flags) if (!FLAGS.has(x)) fail(`${where}: unknown flag ${JSON.stringify(x)}`);
  if (f.status === 'error') {
    if (typeof f.error !== 'string' || !f.error.length) fail(`${where}: a failed file needs its error`);
    if (f.error.length > 500) fail(`${where}: the error text is longer than 500 characters`);
    if (f.predicted || f.probs !== null || f.confidence !== null || f.ood_score !== null || f.confirmed || f.user_choice !== null)
      fail(`${where}: a failed file has no prediction, probabilities, OOD score or confirmed class`);
    if (flags.length !== 1 || flags[0] !== 'error') fail(`${where}: a failed file has exactly the flag "error"`);
    return { name, ok: false, error: f.error, confirmed: null, imported: true, ...fieldOf(f, where) };
  }
  if (f.error) fail(`${where}: a classified file has no error text`);
  const index = classes.indexOf(f.predicted);
  if (index < 0) fail(`${where}: the predicted class ${JSON.stringify(f.predicted)} is not one of the model's classes`);
  const probs = f.probs;
  if (!Array.isArray(probs) || probs.length !== K) fail(`${where}: the probabilities of the ${K} classes are needed`);
  let sum = 0, best = 0;
  probs.forEach((p, k) => {
    if (!isNum(p) || p < 0 || p > 1) fail(`${where}: the probability of ${classes[k]} is not a number from 0 to 1`);
    sum += p;
    if (p > probs[best]) best = k;
  });
  if (Math.abs(sum - 1) > 1e-3) fail(`${where}: the probabilities add up to ${sum.toFixed(6)}, not 1`);
  if (Math.abs(probs[index] - probs[best]) > 1e-6) fail(`${where}: the predicted class ${f.predicted} is not the most probable one`);
  if (!isNum(f.confidence) || Math.abs(f.confidence - probs[index]) > 1e-5) fail(`${where}: the confidence is not the predicted class's probability`);
  let ood = null;
  if (f.ood_score !== null) {
    if (!isNum(f.ood_score) || f.ood_score < -1 || f.ood_score > 2) fail(`${where}: the OOD score is not a number from -1 to 2`);
    let x = null, y = null;
    if (f.map_xy !== null && f.map_xy !== undefined) {
      if (!Array.isArray(f.map_xy) || f.map_xy.length !== 2 || !f.map_xy.every((v) => isNum(v) && v >= -0.5 && v <= 1.5)) fail(`${where}: map_xy must be two numbers from -0.5 to 1.5`);
      [x, y] = f.map_xy;
    }
    ood = { x, y, score: f.ood_score, flagged: flags.includes('out_of_distribution') };
  } else {
    if (f.map_xy !== null && f.map_xy !== undefined) fail(`${where}: map_xy without an OOD score`);
    if (flags.includes('out_of_distribution')) fail(`${where}: flagged out of distribution without an OOD score`);
  }
  if (flags.includes('error')) fail(`${where}: a classified file cannot have the flag "error"`);
  const okConfirmed = [...classes, 'unidentified', 'excluded'];
  if (!okConfirmed.includes(f.confirmed)) fail(`${where}: the confirmed class ${JSON.stringify(f.confirmed)} is not a class, "unidentified" or "excluded"`);
  let confirmed = null;
  if (f.user_choice !== null) {
    if (f.user_choice !== 'unidentified' && !classes.includes(f.user_choice)) fail(`${where}: the user's choice ${JSON.stringify(f.user_choice)} is not a class or "unidentified"`);
    if (f.confirmed !== f.user_choice) fail(`${where}: reassigned to ${f.user_choice} but confirmed as ${f.confirmed}`);
    confirmed = f.user_choice === 'unidentified' ? UNIDENTIFIED : classes.indexOf(f.user_choice);
  }
  if (flags.includes('reassigned') !== (f.user_choice !== null)) fail(`${where}: the flag "reassigned" and the user's choice disagree`);
  if (f.careful !== undefined && typeof f.careful !== 'boolean') fail(`${where}: careful must be true or false`);
  return { name, ok: true, error: '', label: f.predicted, index, confidence: f.confidence, probs, ood, confirmed, imported: true,
    ...(f.careful ? { careful: true } : {}), ...fieldOf(f, where), ...subclassFields(f, where) };
}

// The kind (sub-class) a row gives: one of its counted class's kinds (differential.js SUBCLASSES), the
// model's probability of it, whether the user chose it; JSON also every kind's probability.
function subclassFields(f, where) {
  const sub = f.subclass ?? null, p = f.subclass_confidence ?? null, byUser = f.subclass_by_user ?? false, all = f.subclass_probs ?? null;
  const out = {};
  if (all !== null) {
    if (typeof all !== 'object' || Array.isArray(all)) fail(`${where}: subclass_probs must be an object`);
    const known = new Set(Object.values(SUBCLASSES).flat());
    for (const [k, v] of Object.entries(all)) {
      if (!known.has(k)) fail(`${where}: subclass_probs names an unknown kind ${JSON.stringify(k.slice(0, 40))}`);
      if (!isNum(v) || v < 0 || v > 1) fail(`${where}: the probability of the kind ${k} is not a number from 0 to 1`);
    }
    out.subprobsById = { ...all };
  }
  if (typeof byUser !== 'boolean') fail(`${where}: subclass_by_user must be true or false`);
  if (sub === null) {
    if (p !== null || byUser) fail(`${where}: a kind's probability or the user's kind without a kind`);
    return out;
  }
  const kinds = SUBCLASSES[f.confirmed];
  if (!kinds || !kinds.includes(sub)) fail(`${where}: the kind ${JSON.stringify(String(sub).slice(0, 40))} is not one of ${f.confirmed}'s${kinds ? ` (${kinds.join(', ')})` : ' (it has none)'}`);
  if (p !== null && (!isNum(p) || p < 0 || p > 1)) fail(`${where}: the kind's probability is not a number from 0 to 1`);
  if (byUser) out.subConfirmed = sub;
  out.subImported = { id: sub, p };
  return out;
}

// A cell of a whole-field photo: the photo's file name and its box [x0, y0, x1, y1] (integer pixels,
// x0 < x1, y0 < y1), both or neither.
const MAX_SIDE = 65536;
function fieldOf(f, where) {
  const src = f.source_image ?? null, box = f.box ?? null;
  if (src === null && box === null) return {};
  if (src === null || box === null) fail(`${where}: a cell from a whole field needs both its source image and its box`);
  if (typeof src !== 'string' || !src.length || src.length > 1024) fail(`${where}: the source image must be a file name of 1 to 1024 characters`);
  if (!Array.isArray(box) || box.length !== 4 || !box.every((v) => Number.isInteger(v) && v >= 0 && v <= MAX_SIDE) || box[0] >= box[2] || box[1] >= box[3])
    fail(`${where}: the box must be four whole pixel numbers x0 < x1, y0 < y1 from 0 to ${MAX_SIDE}`);
  return { source: src, box: [...box] };
}

function checkCount(n) {
  if (n === 0) fail('it has no cells');
  if (n > MAX_CELLS) fail(`it has ${n} cells; at most ${MAX_CELLS} can be imported`);
}

// ---- JSON ------------------------------------------------------------------------------------------
function fromJSON(text, classes) {
  let doc;
  try { doc = JSON.parse(text); } catch (err) { fail(`it is not valid JSON (${err.message})`); }
  if (!doc || typeof doc !== 'object' || Array.isArray(doc)) fail('it is not a review exported by this app');
  if (doc.schema !== 'bloodcell-review-1') fail(`it is not a review exported by this app (schema ${JSON.stringify(doc.schema ?? null)}, expected "bloodcell-review-1")`);
  const fileClasses = doc.model?.classes;
  if (!Array.isArray(fileClasses) || fileClasses.length !== classes.length || fileClasses.some((c, k) => c !== classes[k]))
    fail(`it was made with a model with other classes (${Array.isArray(fileClasses) ? fileClasses.join(', ') : 'none given'}; this model: ${classes.join(', ')})`);
  const thr = doc.settings?.confidence_threshold;
  if (thr !== undefined && thr !== null && !(isNum(thr) && thr >= 0 && thr <= 1)) fail('the confidence threshold is not a number from 0 to 1');
  if (!Array.isArray(doc.cells)) fail('it has no list of cells');
  checkCount(doc.cells.length);
  if (doc.counts && doc.counts.total !== doc.cells.length) fail(`its counts say ${doc.counts.total} cells but it lists ${doc.cells.length}`);
  const cells = doc.cells.map((c, i) => {
    const where = `cell ${i + 1}`;
    if (!c || typeof c !== 'object' || Array.isArray(c)) fail(`${where}: not an object`);
    if (!Array.isArray(c.flags)) fail(`${where}: flags must be a list`);
    if (typeof c.reassigned_by_user !== 'boolean') fail(`${where}: reassigned_by_user must be true or false`);
    const probs = c.probs === null ? null : (c.probs && typeof c.probs === 'object' && !Array.isArray(c.probs) ? c.probs : fail(`${where}: probs must be an object`));
    if (probs && (Object.keys(probs).length !== classes.length || !classes.every((k) => k in probs))) fail(`${where}: probs must give exactly the model's classes`);
    const userChoice = c.user_choice ?? null;
    if (c.reassigned_by_user !== (userChoice !== null)) fail(`${where}: reassigned_by_user and user_choice disagree`);
    const cell = makeCell({ file: c.file, status: c.status, predicted: c.predicted, confidence: c.confidence ?? null,
      probs: probs ? classes.map((k) => probs[k]) : null, ood_score: c.ood_score ?? null, map_xy: c.map_xy ?? null,
      confirmed: c.confirmed, user_choice: userChoice, flags: c.flags, error: c.error, careful: c.careful,
      source_image: c.source_image ?? null, box: c.box ?? null, subclass: c.subclass ?? null, subclass_confidence: c.subclass_confidence ?? null,
      subclass_by_user: c.subclass_by_user ?? false, subclass_probs: c.subclass_probs ?? null }, classes, where);
    const image = imageOf(c.image, where);
    return image ? { ...cell, image } : cell;
  });
  return { format: 'json', cells, threshold: isNum(thr) ? thr : null, sample: sampleOf(doc.sample) };
}

// A cell's image in a JSON export made with the images (export.js rows): a base64 data URL of an
// image type the app reads, at most MAX_IMAGE characters; absent or null when the file has none.
export const MAX_IMAGE = 8 << 20;
const DATA_URL = /^data:image\/(jpeg|png|bmp|gif|webp|avif);base64,[A-Za-z0-9+/]+={0,2}$/;
function imageOf(v, where) {
  if (v === undefined || v === null) return null;
  if (typeof v !== 'string' || v.length > MAX_IMAGE || !DATA_URL.test(v)) fail(`${where}: the image must be a base64 data URL of a JPEG, PNG, BMP, GIF, WebP or AVIF image of at most ${MAX_IMAGE >> 20} MB`);
  return v;
}

// The sample block of a JSON export (absent in files from before samples).
function sampleOf(s) {
  if (s === undefined || s === null) return null;
  if (typeof s !== 'object' || Array.isArray(s)) fail('its sample is not an object');
  const text = (v, what, max, need) => {
    if (v === undefined || v === null || v === '') { if (need) fail(`its sample has no ${what}`); return ''; }
    if (typeof v !== 'string') fail(`its sample's ${what} is not text`);
    if (v.length > max) fail(`its sample's ${what} is longer than ${max} characters`);
    return v;
  };
  const id = text(s.id, 'ID', 100, true);
  if (!id.trim()) fail('its sample has no ID');
  const date = text(s.date, 'date', 10, false);
  if (date && !/^\d{4}-\d{2}-\d{2}$/.test(date)) fail(`its sample's date ${JSON.stringify(date)} is not YYYY-MM-DD`);
  const reviewer = text(s.reviewer, 'reviewer', 8, false);
  let reviewed = null;
  if (s.reviewed !== undefined && s.reviewed !== null) {
    const r = s.reviewed;
    if (typeof r !== 'object' || Array.isArray(r)) fail('its review status is not an object');
    const by = text(r.by, 'reviewer who signed', 8, true);
    if (typeof r.at !== 'string' || Number.isNaN(Date.parse(r.at))) fail('its review status has no valid time');
    reviewed = { by, at: new Date(r.at).toISOString() };
  }
  const target = s.count_target ?? 100;
  if (target !== 100 && target !== 200) fail('its count target is not 100 or 200');
  const wbc = s.wbc_total ?? null;
  if (wbc !== null && !(isNum(wbc) && wbc >= 0 && wbc < 1000)) fail('its WBC total is not a number from 0 to 1000');
  return { id, date: date || null, reviewer, reviewed, target, wbcTotal: wbc };
}

// ---- CSV -------------------------------------------------------------------------------------------
// RFC 4180: fields separated by commas (or sep: ";" in the Spanish export), rows by CRLF or LF, quoted
// fields may hold separators, quotes ("") and line breaks. A quote inside an unquoted field, or a quote
// left open, is an error.
export function parseCSVRows(text, sep = ',') {
  const rows = [];
  let row = [], field = '', quoted = false, wasQuoted = false, line = 1;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i];
    if (quoted) {
      if (ch === '"') {
        if (text[i + 1] === '"') { field += '"'; i++; } else { quoted = false; wasQuoted = true; }
      } else { if (ch === '\n') line++; field += ch; }
      continue;
    }
    if (ch === '"') {
      if (field.length || wasQuoted) fail(`line ${line}: a quote inside a field that does not start with one`);
      quoted = true;
    } else if (ch === sep) { row.push(field); field = ''; wasQuoted = false; }
    else if (ch === '\n' || ch === '\r') {
      if (ch === '\r' && text[i + 1] === '\n') i++;
      row.push(field); rows.push(row); row = []; field = ''; wasQuoted = false; line++;
    } else {
      if (wasQuoted) fail(`line ${line}: text after a closing quote`);
      field += ch;
    }
  }
  if (quoted) fail('a quoted field is never closed');
  if (field.length || wasQuoted || row.length) { row.push(field); rows.push(row); }
  return rows;
}

const FIELD_COLUMNS = ['source_image', 'box_x0', 'box_y0', 'box_x1', 'box_y1'];
const SUB_COLUMNS = ['subclass', 'p_subclass'];

// The field columns of a CSV row: all empty (a single-cell image) or a source image and four integers.
function csvField(v, at) {
  if (!('source_image' in v)) return {};
  const parts = [v.box_x0, v.box_y0, v.box_x1, v.box_y1];
  if (v.source_image === '' && parts.every((p) => p === '')) return {};
  if (!parts.every((p) => /^\d{1,6}$/.test(p))) fail(`${at}: the box columns must be whole pixel numbers`);
  return { source_image: unguard(v.source_image) || null, box: parts.map(Number) };
}

// export.js puts a ' before text that a spreadsheet would run as a formula; it is taken off again.
const unguard = (s) => (/^'[=+\-@\t\r]/.test(s) ? s.slice(1) : s);
const NUMBER = /^-?\d+(\.\d+)?([eE][-+]?\d+)?$/;

function fromCSV(text, classes, sep) {
  const rows = parseCSVRows(text, sep);
  const decimal = sep === ';' ? ',' : '.';
  const base = ['file', 'status', 'predicted', 'confidence', ...classes.map((k) => `p_${k}`), 'ood_score', 'confirmed', 'reassigned', 'flags', 'error'];
  const headRow = rows.shift();
  // A model with sub-classes adds SUB_COLUMNS after `error`; a review with cells from whole fields has
  // FIELD_COLUMNS at the end (export.js).
  const withSub = headRow?.[base.length] === SUB_COLUMNS[0];
  const withFields = headRow.length === base.length + (withSub ? SUB_COLUMNS.length : 0) + FIELD_COLUMNS.length;
  const want = [...base, ...(withSub ? SUB_COLUMNS : []), ...(withFields ? FIELD_COLUMNS : [])];
  if (headRow.length !== want.length || headRow.some((h, i) => h !== want[i])) fail(`its columns are not those of this app's CSV export for this model (${want.join(sep)})`);
  checkCount(rows.length);
  const cells = rows.map((r, i) => {
    const where = `row ${i + 2}`;
    if (r.length !== want.length) fail(`${where}: ${r.length} fields, expected ${want.length}`);
    const v = Object.fromEntries(want.map((h, j) => [h, r[j]]));
    const at = v.file ? named(where, unguard(v.file)) : where;
    const num = (raw, what) => {
      if (raw === '') return null;
      // Spanish style: "0,9987"; a "." there would be a thousands separator, which the export never writes.
      const s = decimal === ',' ? (raw.includes('.') ? '' : raw.replace(',', '.')) : raw;
      if (!NUMBER.test(s)) fail(`${at}: ${what} ${JSON.stringify(raw.slice(0, 40))} is not a number`);
      return Number(s);
    };
    if (v.reassigned !== 'yes' && v.reassigned !== 'no') fail(`${at}: reassigned must be "yes" or "no"`);
    const ok = v.status === 'ok';
    const probs = classes.map((k) => num(v[`p_${k}`], `p_${k}`));
    if (ok && probs.some((p) => p === null)) fail(`${at}: the probabilities of the ${classes.length} classes are needed`);
    if (!ok && probs.some((p) => p !== null)) fail(`${at}: a failed file has no probabilities`);
    const confirmed = unguard(v.confirmed);
    return makeCell({ file: unguard(v.file), status: v.status, predicted: v.predicted, confidence: num(v.confidence, 'confidence'),
      probs: ok ? probs : null, ood_score: num(v.ood_score, 'ood_score'), map_xy: null,
      confirmed: ok ? confirmed : (confirmed || ''), user_choice: v.reassigned === 'yes' ? confirmed : null,
      flags: v.flags ? v.flags.split(';') : [], error: unguard(v.error), ...csvField(v, at),
      ...(withSub && ok ? { subclass: v.subclass || null, subclass_confidence: num(v.p_subclass, 'p_subclass') } : {}) }, classes, where);
  });
  return { format: 'csv', cells, threshold: null, sample: null };
}
