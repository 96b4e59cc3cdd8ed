// export.js - the review as CSV and JSON: for each file the predicted class, the probabilities,
// the confirmed class (after review) and the flags.
import { state, groupOf, groupId, counts, UNIDENTIFIED, subclassOf } from './state.js';
import { safeFileId } from './samples.js';
import { summary } from './counting.js';

export function flagsOf(c) {
  const f = [];
  if (!c.ok) { f.push('error'); return f; }
  if (c.ood && c.ood.flagged) f.push('out_of_distribution');
  if (c.confidence < state.threshold) f.push('low_confidence');
  if (c.confirmed !== null && c.confirmed !== undefined) f.push('reassigned');
  return f;
}

function confirmedOf(c) {
  if (!c.ok) return '';
  return groupId(groupOf(c));
}

function round(x, d = 6) { return Number.isFinite(x) ? Number(x.toFixed(d)) : null; }

// images: Map cell id -> data URL, or null (the JSON export only, when the user asks for the images).
export function rows(images = null) {
  const classes = state.info.classes;
  const subs = state.info.subclasses || [];
  return [...state.cells.values()].map((c) => ({
    file: c.name,
    status: c.ok ? 'ok' : 'error',
    predicted: c.ok ? c.label : '',
    confidence: c.ok ? round(c.confidence) : null,
    probs: c.ok ? Object.fromEntries(classes.map((k, i) => [k, round(c.probs[i])])) : null,
    ood_score: c.ok && c.ood ? round(c.ood.score) : null,
    map_xy: c.ok && c.ood && Number.isFinite(c.ood.x) ? [round(c.ood.x, 5), round(c.ood.y, 5)] : null,
    confirmed: confirmedOf(c),
    reassigned_by_user: c.confirmed !== null && c.confirmed !== undefined,
    careful: c.ok ? !!c.careful : false,
    user_choice: c.confirmed === null || c.confirmed === undefined ? null : (c.confirmed === UNIDENTIFIED ? 'unidentified' : classes[c.confirmed]),
    flags: flagsOf(c),
    error: c.ok ? '' : c.error,
    // the kind within the class it is counted in (band / segmented, ...), the model's probability of
    // that kind, whether the user chose it; and every kind's probability within its class (JSON only)
    subclass: (c.ok && subclassOf(c)?.id) || null,
    subclass_confidence: c.ok ? round(subclassOf(c)?.p ?? NaN) : null,
    subclass_by_user: c.ok ? !!subclassOf(c)?.byUser : false,
    subclass_probs: c.ok && subs.length && c.subprobs?.length === subs.length ? Object.fromEntries(subs.map((x, j) => [x.id, round(c.subprobs[j])])) : null,
    // a cell located in a whole-field photo: the photo's file name and the box, photo px as oriented
    source_image: c.source ?? null,
    box: c.box ? [...c.box] : null,
    ...(images ? { image: images.get(c.id) ?? null } : {}),
  }));
}

// How a spreadsheet set to the user's locale reads a CSV. English: "," between fields, "." in numbers.
// Spanish (Colombia, as Excel is set there): the decimal separator is ",", so fields are separated by
// ";", and a UTF-8 byte-order mark makes Excel read the accents as UTF-8. The column names stay the
// same in every language (they are the file's schema; import.js reads both styles back).
export function csvStyle(lang) {
  return lang === 'es' ? { sep: ';', decimal: ',', bom: '\uFEFF' } : { sep: ',', decimal: '.', bom: '' };
}

// One CSV field: quoted when needed; a leading = + - @ gets a ' so spreadsheets do not run it as a formula.
// Numbers (only plain decimals here: rows() rounds them) take the style's decimal separator.
function field(v, style) {
  if (v === null || v === undefined) return '';
  if (typeof v === 'number') return style.decimal === '.' ? String(v) : String(v).replace('.', style.decimal);
  let s = String(v);
  if (/^[=+\-@\t\r]/.test(s) && !/^-?\d/.test(s)) s = `'${s}`;
  return /["\n\r]/.test(s) || s.includes(style.sep) ? `"${s.replace(/"/g, '""')}"` : s;
}

// The CSV's last columns when any cell comes from a whole field (empty for single-cell images).
export const FIELD_COLUMNS = ['source_image', 'box_x0', 'box_y0', 'box_x1', 'box_y1'];
// After `error`, for a model with sub-classes (the CLI's --csv writes them too): the kind and the
// model's probability of it.
export const SUBCLASS_COLUMNS = ['subclass', 'p_subclass'];

// lang: the UI language ('en' when not given: the CLI's --csv writes the same bytes as this).
export function toCSV({ lang = 'en' } = {}) {
  const style = csvStyle(lang);
  const classes = state.info.classes;
  const all = rows();
  // Cells from whole fields add the FIELD_COLUMNS (a review of single-cell images keeps the CLI's columns).
  const fields = all.some((r) => r.source_image !== null);
  const withSub = !!state.info.subclasses?.length;
  const head = ['file', 'status', 'predicted', 'confidence', ...classes.map((k) => `p_${k}`), 'ood_score', 'confirmed', 'reassigned', 'flags', 'error',
    ...(withSub ? SUBCLASS_COLUMNS : []), ...(fields ? FIELD_COLUMNS : [])];
  const lines = [head.join(style.sep)];
  for (const r of all) {
    lines.push([r.file, r.status, r.predicted, r.confidence, ...classes.map((k) => (r.probs ? r.probs[k] : null)),
      r.ood_score, r.confirmed, r.reassigned_by_user ? 'yes' : 'no', r.flags.join(';'), r.error,
      ...(withSub ? [r.subclass, r.subclass ? r.subclass_confidence : null] : []),
      ...(fields ? [r.source_image, ...(r.box || [null, null, null, null])] : [])].map((v) => field(v, style)).join(style.sep));
  }
  return style.bom + lines.join('\r\n') + '\r\n';
}

export function toJSON({ images = null } = {}) {
  const c = counts();
  const classes = state.info.classes;
  return JSON.stringify({
    schema: 'bloodcell-review-1',
    exported: new Date().toISOString(),
    sample: sampleBlock(),
    model: { name: state.info.modelName, classes },
    settings: { confidence_threshold: state.threshold, ood_threshold: state.mapOk ? state.map?.ood?.threshold ?? null : null },
    counts: {
      per_class: Object.fromEntries(classes.map((k, i) => [k, c.perClass[i]])),
      identified: c.identified, unidentified: c.unidentified, excluded_out_of_distribution: c.excluded, failed: c.error, total: c.total,
    },
    // differential.js's summary under the clinical rules, with the count target and analyser WBC used
    // (the CLI's `--summary --json` prints the same object).
    differential: summary(),
    note: 'confirmed = the class after review (the user\'s choice where reassigned, else the automatic call: a class, "unidentified" below the confidence threshold, or "excluded" when out of distribution)',
    cells: rows(images),
  }, null, 1);
}

// The sample the file belongs to (import.js reads it back).
function sampleBlock() {
  const s = state.sample;
  if (!s) return null;
  return { id: s.id, date: s.date, reviewer: s.reviewer || null, reviewed: s.reviewed ? { ...s.reviewed } : null,
    count_target: s.target, wbc_total: s.wbcTotal };
}

// The file is named after the sample (in a form safe for any file system) and the time.
export function download(text, type, ext) {
  const d = new Date();
  const stamp = `${d.getFullYear()}${String(d.getMonth() + 1).padStart(2, '0')}${String(d.getDate()).padStart(2, '0')}-${String(d.getHours()).padStart(2, '0')}${String(d.getMinutes()).padStart(2, '0')}`;
  const url = URL.createObjectURL(new Blob([text], { type }));
  const a = document.createElement('a');
  a.href = url;
  a.download = `bloodcell-${state.sample ? safeFileId(state.sample.id) : 'review'}-${stamp}.${ext}`;
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10000);
}
