// counter.js - the bottom action bar of the review, like a manual cell counter: one big button per
// class (and Unidentified) with its running count; a tap gives that class to the selected cell and
// steps to the next one. Previous / Next step without changing anything. Reachable with one thumb on a
// phone; shown in the Review view whenever the sample has cells.
import { state, counts, classColour, GREY, UNIDENTIFIED, el } from '../state.js';
import { t, className } from '../i18n.js';

const $ = (id) => document.getElementById(id);
let api = null;
let built = null;    // the language and classes the buttons were made for

export function initCounter(a) {
  api = a;
  // The page keeps the bar's height as padding below the review, so the last tiles are not under it.
  const bar = $('counter');
  new ResizeObserver(() => document.documentElement.style.setProperty('--counter-h', `${Math.ceil(bar.getBoundingClientRect().height)}px`)).observe(bar);
}

function build() {
  const bar = $('counter');
  const classes = state.info.classes;
  const key = `${document.documentElement.lang}:${classes.join(',')}`;
  if (built === key) return;
  built = key;
  const button = (value, label, colour) => {
    const sw = el('span', { class: 'swatch', 'aria-hidden': 'true' });
    sw.style.background = colour;
    return el('button', { type: 'button', class: 'count-key', dataset: { value: String(value) }, onclick: () => assign(value) },
      el('span', { class: 'key-name' }, sw, label), el('span', { class: 'key-n', text: '0' }));
  };
  bar.replaceChildren(
    el('h2', { class: 'visually-hidden', text: t('counter.title') }),
    el('div', { class: 'counter-nav' },
      el('button', { type: 'button', id: 'counter-prev', text: `‹ ${t('counter.prev')}`, onclick: () => step(-1) }),
      el('span', { id: 'counter-name', class: 'counter-name' }),
      el('button', { type: 'button', id: 'counter-next', text: `${t('counter.next')} ›`, onclick: () => step(1) })),
    el('div', { class: 'counter-keys', role: 'group', 'aria-label': t('counter.help') },
      ...classes.map((c, k) => button(k, t(`short.${c}`) === `short.${c}` ? className(c) : t(`short.${c}`), classColour(k))),
      button(UNIDENTIFIED, t('short.unidentified'), GREY)));
}

// The counts and the selected cell, after any change (review.js renderCounts and showSelection).
export function renderCounter() {
  const bar = $('counter');
  if (!state.info || !bar) return;
  const show = api?.currentView() === 'review' && state.cells.size > 0;
  bar.hidden = !show;
  document.body.dataset.counter = show ? '1' : '0';
  if (!show) return;
  build();
  const c = counts();
  const sel = state.cells.get(state.selected);
  for (const b of bar.querySelectorAll('.count-key')) {
    const v = Number(b.dataset.value);
    const n = v === UNIDENTIFIED ? c.unidentified : c.perClass[v];
    b.querySelector('.key-n').textContent = String(n);
    const name = v === UNIDENTIFIED ? t('group.unidentified') : className(state.info.classes[v]);
    b.setAttribute('aria-label', t('counter.assign', { cls: name, n }));
    b.disabled = !sel || !sel.ok;
    b.classList.toggle('current', !!sel && sel.ok && (sel.confirmed ?? null) === v);
  }
  $('counter-name').textContent = sel ? sel.name : t('counter.none');
  const ids = api.orderedIds();
  const i = sel ? ids.indexOf(sel.id) : -1;
  $('counter-prev').disabled = i <= 0;
  $('counter-next').disabled = i >= ids.length - 1;
}

// Gives the class to the selected cell, then selects the next cell (in the order before the change:
// the cell itself moves to its new group).
function assign(value) {
  const id = state.selected;
  if (id === null || !state.cells.get(id)?.ok) return;
  const ids = api.orderedIds();
  const i = ids.indexOf(id);
  const next = ids[i + 1] ?? null;
  api.reassign(id, value);
  if (next !== null) api.selectCell(next);
  else renderCounter();
}

function step(dir) {
  const ids = api.orderedIds();
  if (!ids.length) return;
  const i = ids.indexOf(state.selected);
  const j = i < 0 ? 0 : Math.min(Math.max(i + dir, 0), ids.length - 1);
  api.selectCell(ids[j]);
}
