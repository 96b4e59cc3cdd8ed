// counting.js - the review as a haematology lab counts it: each cell's group mapped to the groups of
// differential.js (the clinical rules), and the count settings of the sample (the target and the
// analyser's WBC). The review view, the JSON export and the printed report all read summary().
import { state, groupOf, subclassOf } from './state.js';
import { differential, TARGETS } from './differential.js';
import { saveSample } from './samples.js';

// The group differential.js counts a cell in: the class id, 'unidentified', 'excluded' or 'failed'.
export function clinicalGroup(c) {
  const g = groupOf(c);
  if (typeof g === 'number') return state.info.classes[g];
  return g === 'error' ? 'failed' : g;
}

// The count settings are the open sample's (state.sample.target / wbcTotal, kept by samples.js);
// with no sample open (no storage) they are kept here for the page's life.
const loose = { target: TARGETS[0], wbcTotal: null };

export function countSettings() {
  const s = state.sample || loose;
  return { target: TARGETS.includes(s.target) ? s.target : TARGETS[0], wbcTotal: Number.isFinite(s.wbcTotal) ? s.wbcTotal : null };
}

// Changes the target and/or the analyser WBC (undefined: left as is) and saves the sample.
export function setCountSettings({ target, wbcTotal }) {
  const s = state.sample || loose;
  if (target !== undefined) s.target = target;
  if (wbcTotal !== undefined) s.wbcTotal = wbcTotal;
  if (state.sample) saveSample();
}

// subgroups (each cell's sub-class id or null) only for a model with sub-classes: without them the
// summary's subclasses is null, as the CLI prints it for such a model.
export function summary() {
  const groups = [], subgroups = [];
  for (const c of state.cells.values()) {
    groups.push(clinicalGroup(c));
    subgroups.push(subclassOf(c)?.id ?? null);
  }
  const withSub = !!state.info?.subclasses?.length;
  return differential(groups, { ...countSettings(), classes: state.info ? state.info.classes : [], subgroups: withSub ? subgroups : null });
}

// The analyser WBC as typed: '' -> null (none given); '7.5' or '7,5' -> 7.5; anything else -> NaN.
// Analysers report 0.1 to a few hundred x10^9/L; more than WBC_MAX is taken for a typing error.
export const WBC_MAX = 1000;
export function parseWbc(text) {
  const s = String(text ?? '').trim().replace(/\s/g, '');
  if (!s) return null;
  if (!/^\d+([.,]\d+)?$/.test(s)) return NaN;
  const x = Number(s.replace(',', '.'));
  return x > 0 && x <= WBC_MAX ? x : NaN;
}
