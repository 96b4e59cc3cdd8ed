// differential.js - the clinical counting rules, shared by the app, its exports and report, and the
// tests that hold the CLI's `--summary` against them. Pure: no DOM, no state; runs in node too.
//
//   differential(groups, {target = 100, wbcTotal = null}) -> summary
//
// groups: one entry per cell, the group it is counted in after review: a class id ('neutrophil', ...,
// 'erythroblast', 'platelet'), 'unidentified', 'excluded' (out of distribution) or 'failed'.
// summary (the same keys, in this order, as the CLI's `--summary --json` line):
//   total         every cell given, failed ones included
//   wbc           leukocytes counted: the six LEUKOCYTES classes only
//   target        the count target (100 or 200)
//   differential  {class: {count, percent}} for the LEUKOCYTES, percent of wbc (null when wbc = 0)
//   subclasses    null without options.subgroups (a model without sub-classes); else, for each class of
//                 SUBCLASSES, {sub-class: {count, percent}} with an 'unspecified' entry last (cells of the
//                 class with no sub-class call); percent of wbc, as labs report bands beside segmented
//                 neutrophils. options.subgroups: one entry per group, the cell's sub-class id or null.
//   nrbc          erythroblasts; never part of wbc
//   nrbc_per_100_wbc   100 * nrbc / wbc (null when wbc = 0)
//   platelets     counted apart
//   unidentified, excluded, failed   counted and shown, never dropped silently
//   other         cells of a model class not named above (options.classes): counted, shown
//   wbc_total     the analyser's WBC (x10^9/L) the user gave, or null; with it:
//   wbc_corrected WBC corrected for NRBC: wbc_total * 100 / (100 + nrbc_per_100_wbc)
//   absolute      {class: x10^9/L} = wbc_corrected * percent / 100 (the analyser counts NRBC as WBC)
// An unknown group is an error: a typo must not vanish from a count.

export const LEUKOCYTES = ['neutrophil', 'lymphocyte', 'monocyte', 'eosinophil', 'basophil', 'ig'];
export const NRBC = 'erythroblast';
export const PLATELET = 'platelet';
export const NON_CLASS_GROUPS = ['unidentified', 'excluded', 'failed'];
export const TARGETS = [100, 200];
// The second level the model may carry (its sub-class ids), in the order a report lists them.
export const SUBCLASSES = { neutrophil: ['band', 'segmented'], ig: ['promyelocyte', 'myelocyte', 'metamyelocyte'] };
export const UNSPECIFIED = 'unspecified';

export function differential(groups, { target = 100, wbcTotal = null, classes = [], subgroups = null } = {}) {
  const n = Object.fromEntries([...LEUKOCYTES, NRBC, PLATELET, ...NON_CLASS_GROUPS].map((g) => [g, 0]));
  const extra = new Set(classes.filter((k) => !(k in n)));
  let total = 0, other = 0;
  for (const g of groups) {
    total++;
    if (Object.prototype.hasOwnProperty.call(n, g)) n[g]++;
    else if (extra.has(g)) other++;
    else throw new Error(`differential: unknown group ${JSON.stringify(g)}`);
  }
  const wbc = LEUKOCYTES.reduce((s, k) => s + n[k], 0);
  const pct = (x) => (wbc > 0 ? (100 * x) / wbc : null);
  const diff = Object.fromEntries(LEUKOCYTES.map((k) => [k, { count: n[k], percent: pct(n[k]) }]));
  let subs = null;
  if (subgroups) {
    if (subgroups.length !== groups.length) throw new Error('differential: one sub-group per group');
    const m = Object.fromEntries(Object.entries(SUBCLASSES).map(([k, ids]) => [k, Object.fromEntries([...ids, UNSPECIFIED].map((j) => [j, 0]))]));
    groups.forEach((g, i) => {
      const sg = subgroups[i] ?? null;
      if (!m[g]) {
        if (sg !== null) throw new Error(`differential: sub-group ${JSON.stringify(sg)} on ${JSON.stringify(g)}`);
        return;
      }
      const key = sg === null ? UNSPECIFIED : sg;
      if (key === UNSPECIFIED && sg !== null) throw new Error(`differential: unknown sub-group ${JSON.stringify(sg)}`);
      if (!Object.prototype.hasOwnProperty.call(m[g], key)) throw new Error(`differential: unknown sub-group ${JSON.stringify(sg)} of ${g}`);
      m[g][key]++;
    });
    subs = Object.fromEntries(Object.entries(m).map(([k, cnt]) => [k, Object.fromEntries(Object.entries(cnt).map(([j, c]) => [j, { count: c, percent: pct(c) }]))]));
  }
  const nrbc = n[NRBC];
  const nrbcPer100 = pct(nrbc);
  const given = Number.isFinite(wbcTotal) && wbcTotal >= 0 ? wbcTotal : null;
  const corrected = given !== null && nrbcPer100 !== null ? (given * 100) / (100 + nrbcPer100) : null;
  return {
    total,
    wbc,
    target,
    differential: diff,
    subclasses: subs,
    nrbc,
    nrbc_per_100_wbc: nrbcPer100,
    platelets: n[PLATELET],
    unidentified: n.unidentified,
    excluded: n.excluded,
    failed: n.failed,
    other,
    wbc_total: given,
    wbc_corrected: corrected,
    absolute: corrected === null ? null
      : Object.fromEntries(LEUKOCYTES.map((k) => [k, (corrected * diff[k].percent) / 100])),
  };
}

// The rows a report shows under class k (band and segmented under neutrophils, ...): [{id, count,
// percent, absolute}], percent of the WBC; 'unspecified' only when some cell of the class has no kind.
export function subclassRows(summary, k) {
  const subs = summary.subclasses?.[k];
  if (!subs) return [];
  return Object.entries(subs).filter(([id, d]) => id !== UNSPECIFIED || d.count > 0).map(([id, d]) => ({ id, count: d.count, percent: d.percent,
    absolute: summary.wbc_corrected === null || d.percent === null ? null : (summary.wbc_corrected * d.percent) / 100 }));
}

// How far along the count is: {counted, target, done, low} (low: fewer white cells than the target,
// so the percentages carry a wide uncertainty and the report says so).
export function progress(summary) {
  return { counted: summary.wbc, target: summary.target, done: summary.wbc >= summary.target, low: summary.wbc < summary.target };
}
