// samples.js - the sample model: what a sample holds, its checks, its sign-off, and keeping it in
// IndexedDB (store.js). No DOM: the sample bar is views/samples.js.
//
// A sample record (state.sample is the one open; the samples store keeps them all):
//   {key, id, date, reviewer, created, target, wbcTotal, threshold, reviewed}
//   key       internal number, never shown
//   id        the sample ID the user typed (slide or accession number): free text, shown as text only
//   date      'YYYY-MM-DD' (the sample's date, local)   reviewer: initials, '' when none
//   target    the count target, 100 or 200            wbcTotal: the analyser's WBC (x10^9/L) or null
//   threshold {value, default} the confidence threshold chosen for this sample, or null (the default)
//   reviewed  null, or {by: initials, at: ISO time} once marked reviewed; cleared by any later change
//             of a cell (markChanged)
import { state, groupOf } from './state.js';

export const MAX_ID = 100;
export const MAX_INITIALS = 8;
export const TARGETS = [100, 200];

let store = null;
const listeners = [];

export function bindStore(s) { store = s; }

// fn(sample, why): why is 'open' (another sample opened), 'edit' (its fields) or 'mark' (review mark).
export function onSampleChange(fn) { listeners.push(fn); }
export function sampleChanged(why) { for (const fn of listeners) fn(state.sample, why); }

// Saves the open sample (after a change of target, wbcTotal, threshold, reviewer...).
export function saveSample(sample = state.sample) {
  if (!sample || !store) return Promise.resolve(null);
  return store.putSample(sample).catch((err) => { console.warn('bloodcell: could not save the sample', err); return null; });
}

export function today(d = new Date()) {
  return `${d.getFullYear()}-${String(d.getMonth() + 1).padStart(2, '0')}-${String(d.getDate()).padStart(2, '0')}`;
}

// Control characters and surrounding space go; the rest is kept as typed.
export function cleanId(text) {
  return String(text ?? '').replace(/[\u0000-\u001f\u007f]/g, ' ').trim().slice(0, MAX_ID);
}

export function cleanInitials(text) {
  return String(text ?? '').replace(/[\u0000-\u001f\u007f]/g, '').trim().slice(0, MAX_INITIALS);
}

export function isDate(s) {
  if (typeof s !== 'string' || !/^\d{4}-\d{2}-\d{2}$/.test(s)) return false;
  const d = new Date(`${s}T00:00:00`);
  return !Number.isNaN(d.getTime()) && today(d) === s;
}

export function makeSample({ id, date = today(), reviewer = '', target = 100, wbcTotal = null, threshold = null, reviewed = null } = {}) {
  return { id: cleanId(id), date: isDate(date) ? date : today(), reviewer: cleanInitials(reviewer), created: Date.now(),
    target: TARGETS.includes(target) ? target : 100, wbcTotal: Number.isFinite(wbcTotal) && wbcTotal >= 0 ? wbcTotal : null,
    threshold, reviewed };
}

// A sample ID not yet taken: base, else "base (2)", "base (3)"...
export function freeId(base, samples) {
  const taken = new Set(samples.map((s) => s.id));
  base = cleanId(base) || 'sample';
  if (!taken.has(base)) return base;
  for (let i = 2; ; i++) {
    const id = `${base.slice(0, MAX_ID - 6)} (${i})`;
    if (!taken.has(id)) return id;
  }
}

// The sample ID as part of a file name: letters and digits (accents dropped), '-', '_' and '.';
// anything else becomes '_'; never empty, never starting with a dot.
export function safeFileId(id) {
  const s = String(id ?? '').normalize('NFKD').replace(/[\u0300-\u036f]/g, '')
    .replace(/[^A-Za-z0-9._-]+/g, '_').replace(/_+/g, '_').replace(/^[._-]+|[._-]+$/g, '').slice(0, 60).replace(/[._-]+$/, '');
  return s || 'sample';
}

// ---- sign-off ----------------------------------------------------------------------------------------
export function unidentifiedCount() {
  let n = 0;
  for (const c of state.cells.values()) if (groupOf(c) === 'unidentified') n++;
  return n;
}

// CellaVision's rule: a sample is marked reviewed only when no cell is left unidentified.
// -> {ok: true} | {ok: false, why: 'empty' | 'unidentified', n}
export function checkMark() {
  if (!state.cells.size) return { ok: false, why: 'empty', n: 0 };
  const n = unidentifiedCount();
  return n ? { ok: false, why: 'unidentified', n } : { ok: true };
}

// Signs the open sample off with the reviewer's initials (required).
// -> {ok: true} | {ok: false, why: 'empty' | 'unidentified' | 'initials', n}
export function markReviewed(by, at = new Date()) {
  const s = state.sample;
  const check = checkMark();
  if (!check.ok) return check;
  by = cleanInitials(by);
  if (!by) return { ok: false, why: 'initials', n: 0 };
  if (!s.reviewer) s.reviewer = by;
  s.reviewed = { by, at: at.toISOString() };
  saveSample();
  sampleChanged('mark');
  return { ok: true };
}

export function unmark() {
  if (!state.sample?.reviewed) return;
  state.sample.reviewed = null;
  saveSample();
  sampleChanged('mark');
}

// Any change of a cell after sign-off takes the mark away. why: 'reassign', 'added', 'import',
// 'threshold', 'cleared'. Returns whether there was a mark.
export let lastCleared = null;    // {why, key} of the last mark taken away, for the sample bar
export function markChanged(why) {
  const s = state.sample;
  if (!s?.reviewed) return false;
  s.reviewed = null;
  lastCleared = { why, key: s.key };
  saveSample();
  sampleChanged('mark');
  return true;
}
export function forgetCleared() { lastCleared = null; }

// Whether moving the confidence threshold from a to b moves any cell to another group.
export function thresholdMoves(a, b) {
  if (a === b) return false;
  const lo = Math.min(a, b), hi = Math.max(a, b);
  for (const c of state.cells.values()) {
    if (!c.ok || (c.confirmed !== null && c.confirmed !== undefined) || (c.ood && c.ood.flagged)) continue;
    if (c.confidence >= lo && c.confidence < hi) return true;
  }
  return false;
}
