// samples.js (view) - the sample bar: which sample is open (switch, new, rename, delete), its date and
// reviewer initials, and its review mark (Mark reviewed / Reopen). The dialogs for a sample's details
// and for the initials at sign-off. Sample IDs are user text: always set as textContent or value.
import { state, el } from '../state.js';
import { t, getLang, onLangChange, dateTimeText } from '../i18n.js';
import * as samples from '../samples.js';

const $ = (id) => document.getElementById(id);
let api = null;
let note = null;          // {key, vars, isError} shown under the bar, re-translated on a language switch
let dialogMode = null;    // 'new' | 'edit'

// api: {persistent(), busy(), list(), open(key), create(fields), remove(), cellCount(), showUnidentified()}
export function initSampleBar(a) {
  api = a;
  build();
  samples.onSampleChange((s, why) => {
    if (why === 'open') { note = null; samples.forgetCleared(); }
    const cleared = samples.lastCleared;
    if (why === 'mark' && cleared && cleared.key === s?.key && !s.reviewed) {
      setNote(`signoff.cleared.${cleared.why}`);
      samples.forgetCleared();
    }
    render();
  });
  onLangChange(() => { build(); render(); });
}

function build() {
  const bar = $('sample-bar');
  const select = el('select', { id: 'sample-select', onchange: (e) => switchTo(Number(e.target.value)) });
  const reviewer = el('input', { id: 'sample-reviewer', type: 'text', maxlength: String(samples.MAX_INITIALS), size: '5', autocomplete: 'off',
    spellcheck: 'false', onchange: (e) => setReviewer(e.target.value) });
  bar.replaceChildren(
    el('h2', { id: 'sample-bar-title', class: 'visually-hidden', text: t('sample.title') }),
    el('div', { class: 'sample-pick' }, el('label', { for: 'sample-select', text: t('sample.label') }), select),
    el('div', { class: 'sample-actions' },
      el('button', { type: 'button', id: 'sample-new', text: t('sample.new'), 'aria-label': t('sample.newFull'), title: t('sample.newFull'), onclick: () => openDialog('new') }),
      el('button', { type: 'button', id: 'sample-edit', text: t('sample.edit'), 'aria-label': t('sample.editFull'), title: t('sample.editFull'), onclick: () => openDialog('edit') }),
      el('button', { type: 'button', id: 'sample-delete', class: 'danger', text: t('sample.delete'), 'aria-label': t('sample.deleteFull'), title: t('sample.deleteFull'), onclick: removeSample })),
    el('div', { class: 'sample-meta' },
      el('span', { id: 'sample-date', class: 'muted', title: t('sample.date') }),
      el('label', { for: 'sample-reviewer', text: t('sample.reviewer') }), reviewer),
    el('div', { class: 'sample-review' },
      el('span', { id: 'sample-status', class: 'sample-status' }),
      el('button', { type: 'button', id: 'sample-signoff', onclick: signOff })),
    // the examples' demo review (app.js openDemo): said, with the way back to the user's sample
    el('div', { class: 'sample-demo-row', id: 'sample-demo-row', hidden: true },
      el('p', { id: 'sample-demo-note', class: 'sample-note', text: t('sample.demoNote') }),
      el('button', { type: 'button', id: 'sample-demo-back', class: 'primary', onclick: () => { if (!refuseIfBusy()) api.leaveDemo(); } })),
    el('div', { class: 'sample-note-row', id: 'sample-note-row' },
      el('p', { id: 'sample-note', class: 'sample-note', role: 'status', 'aria-live': 'polite' }),
      // after a refused sign-off: straight to the cells that are left unidentified
      el('button', { type: 'button', id: 'sample-show', hidden: true, onclick: () => api.showUnidentified() })));
  buildDialogs();
}

function buildDialogs() {
  for (const id of ['sample-dialog', 'signoff-dialog']) $(id)?.remove();
  const field = (id, label, input, help) => el('div', { class: 'field' }, el('label', { for: id, text: label }), input,
    help ? el('p', { class: 'muted small', id: `${id}-help`, text: help }) : null);
  const details = el('dialog', { id: 'sample-dialog', class: 'sample-dialog', 'aria-labelledby': 'sd-title' },
    el('form', { novalidate: true, onsubmit: (e) => { e.preventDefault(); saveDialog(); } },
      el('h2', { id: 'sd-title', text: t('sample.newTitle') }),
      field('sd-id', t('sample.id'), el('input', { id: 'sd-id', type: 'text', maxlength: String(samples.MAX_ID), required: true, autocomplete: 'off', 'aria-describedby': 'sd-id-help' }), t('sample.idHelp')),
      field('sd-date', t('sample.date'), el('input', { id: 'sd-date', type: 'date' })),
      field('sd-reviewer', t('sample.reviewerOptional'), el('input', { id: 'sd-reviewer', type: 'text', maxlength: String(samples.MAX_INITIALS), size: '6', autocomplete: 'off' })),
      el('p', { id: 'sd-error', class: 'error', role: 'alert' }),
      el('div', { class: 'row wrap' },
        el('button', { type: 'submit', id: 'sd-save', class: 'primary', text: t('sample.create') }),
        el('button', { type: 'button', id: 'sd-cancel', text: t('sample.cancel'), onclick: () => $('sample-dialog').close() }))));
  const signoff = el('dialog', { id: 'signoff-dialog', class: 'sample-dialog', 'aria-labelledby': 'so-title' },
    el('form', { novalidate: true, onsubmit: (e) => { e.preventDefault(); signWith($('so-initials').value); } },
      el('h2', { id: 'so-title', text: t('signoff.title') }),
      field('so-initials', t('signoff.initials'), el('input', { id: 'so-initials', type: 'text', maxlength: String(samples.MAX_INITIALS), size: '6', required: true, autocomplete: 'off', 'aria-describedby': 'so-initials-help' }), t('signoff.initialsHelp')),
      el('p', { id: 'so-error', class: 'error', role: 'alert' }),
      el('div', { class: 'row wrap' },
        el('button', { type: 'submit', id: 'so-sign', class: 'primary', text: t('signoff.mark') }),
        el('button', { type: 'button', id: 'so-cancel', text: t('sample.cancel'), onclick: () => $('signoff-dialog').close() }))));
  document.body.append(details, signoff);
}

// The locale for dates: the browser's own when it is a form of the page's language (es-CO), else the language.
function locale() {
  const lang = getLang();
  return (navigator.languages || []).find((l) => l.toLowerCase().split('-')[0] === lang) || lang;
}
function dateText(iso) { return new Intl.DateTimeFormat(locale(), { dateStyle: 'medium' }).format(new Date(`${iso}T00:00:00`)); }
export function reviewedText(r) {
  return t('signoff.by', { by: r.by, at: dateTimeText(new Date(r.at), locale()) });
}

async function render() {
  const s = state.sample;
  const bar = $('sample-bar');
  if (!s) { bar.hidden = true; return; }
  bar.hidden = false;
  bar.dataset.key = String(s.key);
  const persistent = api.persistent();
  const list = await api.list();
  if (state.sample !== s) return;      // another sample opened meanwhile; its render follows
  const select = $('sample-select');
  select.replaceChildren(...list.map((x) => el('option', { value: String(x.key), text: x.reviewed ? `${x.id} ✓` : x.id })));
  select.value = String(s.key);
  select.disabled = !persistent;
  $('sample-new').disabled = !persistent;
  $('sample-delete').disabled = !persistent;
  $('sample-date').textContent = t('sample.dated', { date: dateText(s.date) });
  $('sample-reviewer').value = s.reviewer;
  const status = $('sample-status');
  status.dataset.reviewed = s.reviewed ? '1' : '0';
  status.textContent = s.reviewed ? reviewedText(s.reviewed) : t('signoff.not');
  const btn = $('sample-signoff');
  btn.textContent = t(s.reviewed ? 'signoff.reopen' : 'signoff.mark');
  btn.classList.toggle('primary', !s.reviewed);
  paintNote(note ? t(note.key, note.vars) : (persistent ? '' : t('sample.notKept')));
  $('sample-demo-row').hidden = !s.demo;
  bar.dataset.demo = s.demo ? '1' : '0';
  if (s.demo) {
    const back = await api.userSampleId();
    $('sample-demo-back').textContent = back ? t('sample.demoBack', { id: back }) : t('sample.demoBackNew');
  }
}

function setNote(key, vars = {}, isError = false, action = null) {
  note = { key, vars, isError, action };
  if ($('sample-note')) paintNote(t(key, vars));
}

function paintNote(text) {
  const n = $('sample-note'), show = $('sample-show');
  n.textContent = text;
  n.classList.toggle('error', !!note?.isError);
  show.hidden = note?.action !== 'unidentified';
  show.textContent = t('signoff.show');
  $('sample-note-row').hidden = !text;
}

function refuseIfBusy() {
  if (!api.busy()) return false;
  setNote('sample.busy', {}, true);
  render();
  return true;
}

async function switchTo(key) {
  if (key === state.sample?.key) return;
  if (refuseIfBusy()) return;
  await api.open(key);
}

function setReviewer(value) {
  const s = state.sample;
  s.reviewer = samples.cleanInitials(value);
  samples.saveSample();
  samples.sampleChanged('edit');
}

function openDialog(mode) {
  if (mode === 'new' && refuseIfBusy()) return;
  dialogMode = mode;
  const s = state.sample;
  $('sd-title').textContent = t(mode === 'new' ? 'sample.newTitle' : 'sample.editTitle');
  $('sd-save').textContent = t(mode === 'new' ? 'sample.create' : 'sample.save');
  $('sd-id').value = mode === 'new' ? '' : s.id;
  $('sd-date').value = mode === 'new' ? samples.today() : s.date;
  $('sd-reviewer').value = s.reviewer;   // for a new sample too: the same person usually reviews the next slide
  $('sd-error').textContent = '';
  $('sample-dialog').showModal();
  $('sd-id').focus();
}

async function saveDialog() {
  const id = samples.cleanId($('sd-id').value);
  const err = (key, vars) => { $('sd-error').textContent = t(key, vars); $('sd-id').focus(); };
  if (!id) { err('sample.needId'); return; }
  const list = await api.list();
  const s = state.sample;
  if (list.some((x) => x.id === id && (dialogMode === 'new' || x.key !== s.key))) { err('sample.taken', { id }); return; }
  const date = samples.isDate($('sd-date').value) ? $('sd-date').value : samples.today();
  const reviewer = samples.cleanInitials($('sd-reviewer').value);
  if (dialogMode === 'new') {
    if (refuseIfBusy()) { $('sample-dialog').close(); return; }
    $('sample-dialog').close();
    await api.create({ id, date, reviewer });
    setNote('sample.created', { id });
  } else {
    Object.assign(s, { id, date, reviewer });
    samples.saveSample();
    $('sample-dialog').close();
    samples.sampleChanged('edit');
  }
}

async function removeSample() {
  if (refuseIfBusy()) return;
  const s = state.sample;
  const n = await api.cellCount();
  if (!window.confirm(t(n ? 'sample.confirmDelete' : 'sample.confirmDeleteEmpty', { id: s.id, n }))) return;
  const id = s.id;
  await api.remove();
  setNote('sample.deleted', { id });
}

function signOff() {
  const s = state.sample;
  if (s.reviewed) { samples.unmark(); setNote('signoff.reopened'); return; }
  if (refuseIfBusy()) return;
  if (s.reviewer) { signWith(s.reviewer); return; }
  // Refused before asking for initials when cells are left unidentified.
  const check = samples.checkMark();
  if (!check.ok) { refused(check); return; }
  $('so-initials').value = '';
  $('so-error').textContent = '';
  $('signoff-dialog').showModal();
  $('so-initials').focus();
}

function signWith(initials) {
  const r = samples.markReviewed(initials);
  if (r.ok) { $('signoff-dialog').close(); setNote('signoff.done', { id: state.sample.id }); render(); return; }
  if (r.why === 'initials') { $('so-error').textContent = t('signoff.needInitials'); $('so-initials').focus(); return; }
  $('signoff-dialog').close();
  refused(r);
}

function refused(r) {
  if (r.why === 'empty') setNote('signoff.empty', {}, true);
  else setNote(r.n === 1 ? 'signoff.refusedOne' : 'signoff.refused', { n: r.n }, true, 'unidentified');
  $('sample-signoff').focus();
}
