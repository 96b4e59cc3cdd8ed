// worker.js - runs the wasm engine off the main thread. One engine per worker.
// Messages in:  {type:'init', modelUrl}  |  {type:'classify', id, name, bytes(ArrayBuffer), cam:bool}
// Messages out: {type:'ready', info} | {type:'error', error} | {type:'result', id, result}
import { loadEngine } from './engine/engine.js';

let engine = null;

async function init(modelUrl) {
  try {
    const res = await fetch(modelUrl);
    if (!res.ok) throw new Error(`model file not found (${res.status} ${modelUrl})`);
    const bytes = new Uint8Array(await res.arrayBuffer());
    engine = await loadEngine(bytes);
    postMessage({ type: 'ready', info: { classes: engine.classes, inputSize: engine.inputSize, modelName: engine.modelName,
      isa: engine.isa, camWidth: engine.camWidth, camHeight: engine.camHeight, embeddingDim: engine.embeddingDim } });
  } catch (err) {
    postMessage({ type: 'error', error: `The model could not be loaded: ${err.message || err}` });
  }
}

function classify(msg) {
  const t0 = performance.now();
  const r = engine.classify(new Uint8Array(msg.bytes));
  const result = { ok: r.ok, error: r.error, ms: performance.now() - t0 };
  if (r.ok) {
    Object.assign(result, { label: r.label, index: r.index, confidence: r.confidence, probs: Array.from(r.probsArray),
      logits: Array.from(r.logits), embedding: r.embedding });
    if (msg.cam) {
      result.cams = engine.classes.map((_, k) => engine.cam(k).data);
      result.rgb = engine.rgb();
    }
  }
  postMessage({ type: 'result', id: msg.id, result });
}

onmessage = (ev) => {
  const msg = ev.data;
  if (msg.type === 'init') init(msg.modelUrl);
  else if (msg.type === 'classify') {
    if (!engine) postMessage({ type: 'result', id: msg.id, result: { ok: false, error: 'model not loaded' } });
    else classify(msg);
  }
};
