// about.js - the model card: accuracy, per-class metrics, confusion matrix as a heatmap,
// calibration, thresholds, the dataset and its citation, intended use and the disclaimer.
import { state, el, svg, classColour } from '../state.js';
import { t, className, pct, num, cardText } from '../i18n.js';
import { POOL_SIZE } from '../boot.js';

const $ = (id) => document.getElementById(id);

const isNum = (x) => typeof x === 'number' && Number.isFinite(x);
const P = (x) => (isNum(x) ? pct(x) : t('about.notMeasured'));
const N = (x, d = 3) => (isNum(x) ? num(x, d) : t('about.notMeasured'));

function dl(pairs) {
  return el('dl', { class: 'facts' }, pairs.flatMap(([k, v]) => [el('dt', { text: k }), el('dd', { text: v })]));
}

export function renderAbout(mapBase) {
  const root = $('about');
  const card = state.card;
  const info = state.info;
  const parts = [el('h2', { text: t('about.title') })];
  // The model card's own texts, in the UI's language where a translation exists (i18n.js cardText).
  let untranslated = 0;
  const C = (s) => { const r = cardText(s); if (!r.translated) untranslated++; return r.text; };
  parts.push(el('p', { class: 'disclaimer', role: 'note', text: t('about.disclaimer') }));

  const model = [];
  if (info) model.push([t('about.name'), info.modelName], [t('about.classes'), info.classes.map(className).join(', ')],
    [t('about.input'), `${info.inputSize} × ${info.inputSize}`], [t('about.engine'), t('about.engineValue', { n: POOL_SIZE })], [t('about.kernels'), info.isa]);
  if (card?.model?.bytes) model.push([t('about.size'), `${num(card.model.bytes / 1024, 0)} KiB`]);
  parts.push(el('section', { class: 'panel' }, el('h3', { text: t('about.model') }), dl(model)));

  if (!card) {
    parts.push(el('p', { class: 'warn', text: t('about.noCard', { error: state.cardError || '—' }) }));
    root.replaceChildren(...parts);
    return;
  }
  const test = card.int8_engine?.test;
  const classes = card.model?.classes || info?.classes || [];
  if (test) {
    parts.push(el('section', { class: 'panel' }, el('h3', { text: t('about.accuracy') }),
      el('div', { class: 'kpis' },
        el('div', { class: 'kpi' }, el('span', { class: 'kpi-v', text: P(test.accuracy) }), el('span', { class: 'kpi-k', text: t('about.accuracy') })),
        el('div', { class: 'kpi' }, el('span', { class: 'kpi-v', text: N(test.macro_f1) }), el('span', { class: 'kpi-k', text: t('about.macroF1') })),
        el('div', { class: 'kpi' }, el('span', { class: 'kpi-v', text: String(test.n ?? '—') }), el('span', { class: 'kpi-k', text: t('about.n') }))),
      card.data?.subset ? el('p', { class: 'muted small', text: t('about.subset', { n: card.data.limit_per_class }) }) : null));

    const rows = classes.map((c) => {
      const m = test.per_class?.[c] || {};
      return el('tr', {}, el('th', { scope: 'row', text: className(c) }), el('td', { text: N(m.precision) }), el('td', { text: N(m.recall) }),
        el('td', { text: N(m.f1) }), el('td', { text: String(m.support ?? '—') }));
    });
    parts.push(el('section', { class: 'panel' }, el('h3', { text: t('about.metrics') }),
      el('div', { class: 'scroll-x' }, el('table', { class: 'metrics' },
        el('thead', {}, el('tr', {}, el('th', { scope: 'col', text: t('diff.class') }), el('th', { scope: 'col', text: t('about.precision') }),
          el('th', { scope: 'col', text: t('about.recall') }), el('th', { scope: 'col', text: t('about.f1') }), el('th', { scope: 'col', text: t('about.support') }))),
        el('tbody', {}, rows)))));

    if (Array.isArray(test.confusion_matrix)) parts.push(confusion(test.confusion_matrix, classes));
  }

  const cal = card.calibration;
  if (cal) {
    const sec = el('section', { class: 'panel' }, el('h3', { text: t('about.calibration') }),
      dl([[t('about.temperature'), N(cal.temperature, 2)],
        [t('about.ece'), t('about.eceValue', { before: N(cal.test?.ece_T1), after: N(cal.test?.ece_T) })]]),
      el('p', { class: 'muted small', text: C(cal.method) }));
    const rel = cal.test_reliability_T;
    if (Array.isArray(rel) && rel.length) sec.append(el('h4', { text: t('about.reliability') }), reliability(rel));
    parts.push(sec);
  }

  const ut = card.unidentified_threshold;
  const ood = state.map?.ood || card.reference_map?.ood;
  const k = state.map?.knn?.k || card.reference_map?.knn?.k;
  const thr = el('section', { class: 'panel' }, el('h3', { text: t('about.threshold') }));
  if (ut) thr.append(el('p', { text: t('about.thresholdWords') }),
    el('p', { text: t('about.thresholdValue', { t: N(ut.value, 2), c: P(ut.test?.coverage), a: P(ut.test?.accuracy_accepted) }) }),
    el('p', { class: 'muted small', text: C(ut.rule) }));
  if (ood) thr.append(el('h3', { text: t('about.ood') }), el('p', { text: t('about.oodWords') }),
    el('p', { text: t('about.oodValue', { t: N(ood.threshold, 4), k: k ?? '—', fpr: P(ood.rates?.fpr), tpr: P(ood.rates?.tpr) }) }),
    el('p', { class: 'muted small', text: C(ood.caveat) }));
  parts.push(thr);

  const data = card.data || {};
  parts.push(el('section', { class: 'panel' }, el('h3', { text: t('about.data') }),
    el('p', { text: `${C(data.name || 'PBC dataset (normal peripheral blood cells), training share')} — ${data.licence || 'CC BY 4.0'}` }),
    data.split ? el('p', { class: 'muted small', text: C(data.split) }) : null,
    el('h4', { text: t('about.citation') }),
    el('blockquote', { class: 'citation', text: data.citation || state.map?.citation || '' })));

  const use = el('section', { class: 'panel' }, el('h3', { text: t('about.use') }), el('p', { text: C(card.intended_use) }));
  if (Array.isArray(card.caveats) && card.caveats.length) use.append(el('h4', { text: t('about.caveats') }), el('ul', {}, card.caveats.map((c) => el('li', { text: C(c) }))));
  if (untranslated) use.append(el('p', { class: 'muted small', id: 'about-english', text: t('about.english') }));
  use.append(el('p', {}, el('a', { href: new URL('MODEL_CARD.md', mapBase).href, text: t('about.full') })));
  parts.push(use);
  parts.push(el('section', { class: 'panel' }, el('p', { text: t('about.privacy') }), el('p', { text: t('about.offline') })));
  root.replaceChildren(...parts);
}

function confusion(m, classes) {
  const table = el('table', { class: 'confusion' });
  const head = el('tr', {}, el('th', { scope: 'col', class: 'corner', text: '' }),
    classes.map((c) => el('th', { scope: 'col', title: className(c) }, el('span', { class: 'rot', text: className(c) }))));
  table.append(el('thead', {}, head));
  const body = el('tbody');
  m.forEach((row, i) => {
    const sum = row.reduce((a, b) => a + b, 0) || 1;
    const tr = el('tr', {}, el('th', { scope: 'row', text: className(classes[i]) }));
    row.forEach((v, j) => {
      const share = v / sum;
      const td = el('td', { text: String(v), title: `${className(classes[i])} → ${className(classes[j])}: ${v} (${pct(share)})` });
      td.style.background = i === j ? `rgba(46, 125, 50, ${0.08 + 0.8 * share})` : `rgba(198, 40, 40, ${share > 0 ? 0.08 + 0.8 * share : 0})`;
      if (share > 0.55) td.classList.add('dark');
      tr.append(td);
    });
    body.append(tr);
  });
  table.append(body);
  return el('section', { class: 'panel' }, el('h3', { text: t('about.confusion') }),
    el('p', { class: 'muted small', text: t('about.confusionNote') }), el('div', { class: 'scroll-x' }, table));
}

function reliability(bins) {
  const W = 240, H = 240, pad = 28;
  const X = (v) => pad + v * (W - pad - 8), Y = (v) => H - pad - v * (H - pad - 8);
  const g = svg('svg', { viewBox: `0 0 ${W} ${H}`, class: 'reliability', role: 'img', 'aria-label': t('about.reliability') });
  g.append(svg('rect', { x: X(0), y: Y(1), width: X(1) - X(0), height: Y(0) - Y(1), fill: 'none', stroke: 'currentColor', 'stroke-opacity': '0.3' }));
  g.append(svg('line', { x1: X(0), y1: Y(0), x2: X(1), y2: Y(1), stroke: 'currentColor', 'stroke-dasharray': '4 3', 'stroke-opacity': '0.6' }));
  const total = bins.reduce((a, b) => a + (b.n || 0), 0) || 1;
  for (const b of bins) {
    if (!isNum(b.accuracy) || !isNum(b.mean_confidence)) continue;
    const r = 2.5 + 9 * Math.sqrt((b.n || 0) / total);
    g.append(svg('circle', { cx: X(b.mean_confidence), cy: Y(b.accuracy), r, fill: '#4e79a7', 'fill-opacity': '0.75' }));
  }
  for (const v of [0, 0.5, 1]) {
    const label = num(v, v % 1 ? 1 : 0);
    g.append(svg('text', { x: X(v), y: H - 10, 'text-anchor': 'middle', 'font-size': '13', fill: 'currentColor' }, document.createTextNode(label)));
    g.append(svg('text', { x: 10, y: Y(v) + 3, 'text-anchor': 'middle', 'font-size': '13', fill: 'currentColor' }, document.createTextNode(label)));
  }
  const table = el('table', { class: 'metrics small' },
    el('thead', {}, el('tr', {}, el('th', { scope: 'col', text: t('about.bin') }), el('th', { scope: 'col', text: 'n' }),
      el('th', { scope: 'col', text: t('about.meanConf') }), el('th', { scope: 'col', text: t('about.accuracy') }))),
    el('tbody', {}, bins.map((b) => el('tr', {}, el('td', { text: Array.isArray(b.bin) ? `${num(b.bin[0], 2)}–${num(b.bin[1], 2)}` : '' }),
      el('td', { text: String(b.n) }), el('td', { text: N(b.mean_confidence) }), el('td', { text: N(b.accuracy) })))));
  return el('div', { class: 'rel-wrap' }, g, el('div', { class: 'scroll-x' }, table));
}
