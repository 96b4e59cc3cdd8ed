// boot.js - starts the engine worker at once, while the rest of the app's modules still load.
// index.html loads it as an async module script (so it runs as soon as it arrives); app.js imports
// it too, which gives the same single instance. Messages that arrive before app.js attaches are kept.
export const MODEL_URL = new URL('./models/bloodcell.bin', import.meta.url).href;
export const WASM_URL = new URL('./engine/bloodcell.wasm', import.meta.url).href;
export const MAP_URL = new URL('./models/reference-map.json', import.meta.url).href;

export const worker = new Worker(new URL('./worker.js', import.meta.url), { type: 'module' });
const early = [];
let earlyError = null;
worker.onmessage = (e) => early.push(e.data);
worker.onerror = (e) => { earlyError = e; };
// The model and the wasm are fetched here, in parallel with the worker's own scripts, and handed
// over (transferred, not copied). If a fetch fails the worker fetches again and reports the error.
const get = (url) => fetch(url).then((r) => (r.ok ? r.arrayBuffer() : null), () => null);
Promise.all([get(MODEL_URL), get(WASM_URL)]).then(([model, wasm]) => {
  if (model && wasm) worker.postMessage({ type: 'init', model, wasm, mapUrl: MAP_URL }, [model, wasm]);
  else worker.postMessage({ type: 'init', modelUrl: MODEL_URL, wasmUrl: WASM_URL, mapUrl: MAP_URL });
});

export function attach(onMessage, onError) {
  worker.onmessage = (e) => onMessage(e.data);
  worker.onerror = onError;
  for (const m of early.splice(0)) onMessage(m);
  if (earlyError) onError(earlyError);
}
