// worker.js - runs the wasm engine off the main thread. One engine per worker.
// Messages in:
//   {type:'init', model|modelUrl, wasm?|wasmUrl?, mapUrl?}   load the model (bytes, or fetched here) with the
//                                                             wasm, then the reference map (optional)
//   {type:'classify', id, bytes(ArrayBuffer), cam:bool}
// Messages out:
//   {type:'ready', info}  |  {type:'error', error}  |  {type:'map', ok, error?, n, k, threshold}
//   {type:'result', id, result}
//     result: {ok, error?, ms, label, index, confidence, probs[], ood:{x, y, score, flagged}|null,
//              cams?: Float32Array[] (one per class), rgb?: Uint8Array S*S*3}
import { loadEngine } from './engine/engine.js';
import { RefMap, decodeEmbeddings, checkMap } from './refmap.js';
// Imported here as well as by engine.js so that it loads in parallel with engine.js, not after it.
import './engine/bloodcell.js';

let engine = null;
let refmap = null;
let mapReady = Promise.resolve();

async function fetchBytes(url, what) {
  const res = await fetch(url);
  if (!res.ok) throw new Error(`${what} not found (${res.status} ${new URL(url).pathname})`);
  return res.arrayBuffer();
}

async function loadMap(mapUrl) {
  try {
    const res = await fetch(mapUrl);
    if (!res.ok) throw new Error(`reference map not found (${res.status})`);
    const map = await res.json();
    const bad = checkMap(map, engine.embeddingDim, engine.modelName);
    if (bad) throw new Error(bad);
    const [n, dim] = map.embeddings.shape;
    const emb = decodeEmbeddings(await fetchBytes(new URL(map.embeddings.file, mapUrl).href, 'reference embeddings'), n, dim);
    refmap = new RefMap(map, emb);
    postMessage({ type: 'map', ok: true, n: refmap.n, k: refmap.k, threshold: refmap.threshold });
  } catch (err) {
    refmap = null;
    postMessage({ type: 'map', ok: false, error: String(err.message || err) });
  }
}

async function init(msg) {
  try {
    // The model and the wasm binary are fetched at the same time.
    const [model, wasm] = await Promise.all([msg.model || fetchBytes(msg.modelUrl, 'model file'),
      msg.wasm || (msg.wasmUrl ? fetchBytes(msg.wasmUrl, 'engine (wasm)') : null)]);
    engine = await loadEngine(new Uint8Array(model), wasm ? { wasmBinary: wasm } : {});
  } catch (err) {
    postMessage({ type: 'error', error: String(err.message || err) });
    return;
  }
  postMessage({ type: 'ready', info: { classes: engine.classes, inputSize: engine.inputSize, modelName: engine.modelName,
    isa: engine.isa, camWidth: engine.camWidth, camHeight: engine.camHeight, embeddingDim: engine.embeddingDim } });
  if (msg.mapUrl) mapReady = loadMap(msg.mapUrl);
}

async function classify(msg) {
  await mapReady;
  const t0 = performance.now();
  const r = engine.classify(new Uint8Array(msg.bytes));
  const result = { ok: r.ok, error: r.error };
  const transfer = [];
  if (r.ok) {
    Object.assign(result, { label: r.label, index: r.index, confidence: r.confidence, probs: Array.from(r.probsArray) });
    if (refmap) {
      const p = refmap.place(r.embedding);
      result.ood = { x: p.x, y: p.y, score: p.score, flagged: p.flagged };
    } else result.ood = null;
    if (msg.cam) {
      result.cams = engine.classes.map((_, k) => engine.cam(k).data);
      result.rgb = engine.rgb();
      transfer.push(...result.cams.map((c) => c.buffer), result.rgb.buffer);
    }
  }
  result.ms = performance.now() - t0;
  postMessage({ type: 'result', id: msg.id, result }, transfer);
}

// Messages are handled one at a time, in order.
let queue = Promise.resolve();
onmessage = (ev) => {
  const msg = ev.data;
  if (msg.type === 'init') queue = queue.then(() => init(msg));
  else if (msg.type === 'classify') {
    queue = queue.then(() => (engine ? classify(msg)
      : postMessage({ type: 'result', id: msg.id, result: { ok: false, error: 'model not loaded' } })));
  }
};
