// app.js - the page: files in, worker results out. All classification runs in worker.js.
const $ = (id) => document.getElementById(id);
const worker = new Worker(new URL('./worker.js', import.meta.url), { type: 'module' });
let info = null;
let nextId = 0;
const pending = new Map();

worker.onmessage = (ev) => {
  const m = ev.data;
  if (m.type === 'ready') {
    info = m.info;
    $('status').textContent = `Ready: model ${info.modelName}, ${info.classes.length} classes, ${info.isa} kernels.`;
    document.body.dataset.ready = '1';
  } else if (m.type === 'error') {
    $('status').textContent = m.error;
    document.body.dataset.ready = 'error';
  } else if (m.type === 'result') {
    const done = pending.get(m.id);
    pending.delete(m.id);
    if (done) done(m.result);
  }
};
worker.postMessage({ type: 'init', modelUrl: new URL('./models/bloodcell.bin', import.meta.url).href });

function classify(file) {
  return file.arrayBuffer().then((buf) => new Promise((resolve) => {
    const id = nextId++;
    pending.set(id, resolve);
    worker.postMessage({ type: 'classify', id, name: file.name, bytes: buf }, [buf]);
  }));
}

function el(tag, props = {}, ...kids) {
  const e = document.createElement(tag);
  Object.assign(e, props);
  for (const k of kids) e.append(k);
  return e;
}

function render(file, r) {
  const li = el('li', { className: 'cell' });
  li.dataset.file = file.name;
  const img = el('img', { alt: '' });
  if (r.ok) img.src = URL.createObjectURL(file);
  img.onload = () => URL.revokeObjectURL(img.src);
  const body = el('div', {}, el('div', { className: 'name', textContent: file.name }));
  if (!r.ok) {
    li.dataset.error = r.error;
    body.append(el('div', { className: 'error', textContent: `Could not classify: ${r.error}` }));
  } else {
    li.dataset.label = r.label;
    li.dataset.probs = JSON.stringify(r.probs);
    body.append(el('div', { className: 'label', textContent: `${r.label} — ${(100 * r.confidence).toFixed(1)}%` }));
    const bars = el('div', { className: 'bars' });
    info.classes.forEach((c, k) => {
      const fill = el('span');
      fill.style.width = `${(100 * r.probs[k]).toFixed(1)}%`;
      bars.append(el('span', { textContent: c }), el('span', { className: 'bar', role: 'img', ariaLabel: `${c} ${(100 * r.probs[k]).toFixed(1)}%` }, fill),
        el('span', { textContent: `${(100 * r.probs[k]).toFixed(1)}%` }));
    });
    body.append(bars);
  }
  li.append(img, body);
  $('results').prepend(li);
}

async function handle(files) {
  if (!info) return;
  for (const f of files) render(f, await classify(f));
  $('status').textContent = `Classified ${files.length} image(s).`;
}

$('files').addEventListener('change', (e) => handle([...e.target.files]));
const drop = $('drop');
drop.addEventListener('dragover', (e) => { e.preventDefault(); drop.classList.add('over'); });
drop.addEventListener('dragleave', () => drop.classList.remove('over'));
drop.addEventListener('drop', (e) => { e.preventDefault(); drop.classList.remove('over'); handle([...e.dataTransfer.files]); });
