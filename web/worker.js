// worker.js - runs the wasm engine off the main thread. One engine per worker; the page runs a pool
// of them (start.js, pool.js) and spreads a batch over it.
// Messages in:
//   {type:'init', module?|wasmUrl?, mapUrl?}   instantiate the engine (a compiled WebAssembly.Module, or
//        compiled here from wasmUrl), load the model when it comes, then the reference map
//   {type:'model', model|modelUrl}             the model file's bytes (or fetched here), before or after init
//   {type:'classify', id, bytes(ArrayBuffer), cam:bool}   JPEG/PNG/BMP by the engine; WebP/GIF/AVIF/TIFF via decode.js
//   {type:'heap', id}                                          the size of this engine's wasm heap
// Messages out:
//   {type:'ready', info, timing}  |  {type:'error', error}  |  {type:'map', ok, error?, n, k, threshold, timing?}
//   {type:'result', id, result}  |  {type:'heap', id, bytes}
//     result: {ok, error?, ms, label, index, confidence, probs[], ood:{x, y, score, flagged}|null,
//              cams?: Float32Array[] (one per class), rgb?: Uint8Array S*S*3, display?: Blob (a TIFF's PNG copy)}
//   timing: epoch milliseconds (performance.timeOrigin + now) of the worker's start, its modules
//   loaded, the init message, the model at hand, the engine loaded, the map loaded.
//
// The page runs it as web/engine-worker.js, this file with its three imports inlined
// (scripts/web/build_worker.mjs). Loaded as is, the modules are requested at once, in parallel, while
// the init message (with the compiled wasm from start.js) is on its way.
const now = () => performance.timeOrigin + performance.now();
const timing = { start: performance.timeOrigin };
const modules = Promise.all([import('./engine/engine.js'), import('./refmap.js'), import('./decode.js'), import('./engine/bloodcell.js')])
  .then(([engineMod, refmapMod, decodeMod]) => { timing.imported = now(); return { ...engineMod, ...refmapMod, ...decodeMod }; });

// The reference map's files too: the map JSON and (speculatively, under its usual name) the
// embeddings, so that the map is ready soon after the engine.
const MAP_URL = new URL('./models/reference-map.json', self.location.href).href;
const prefetch = { [MAP_URL]: fetch(MAP_URL), [new URL('reference-embeddings.bin', MAP_URL).href]: fetch(new URL('reference-embeddings.bin', MAP_URL).href) };
for (const p of Object.values(prefetch)) p.catch(() => {});
function get(url) {
  const p = prefetch[url];
  delete prefetch[url];
  return p || fetch(url);
}

let engine = null;
let refmap = null;
let mapReady = Promise.resolve();

async function fetchBytes(url, what) {
  const res = await get(url);
  if (!res.ok) throw new Error(`${what} not found (${res.status} ${new URL(url).pathname})`);
  return res.arrayBuffer();
}

// The map's files are fetched at once (in parallel with the engine); decoding waits for the engine.
function fetchMap(mapUrl) {
  return (async () => {
    const res = await get(mapUrl);
    if (!res.ok) throw new Error(`reference map not found (${res.status})`);
    const map = await res.json();
    const emb = map?.embeddings?.file ? fetchBytes(new URL(map.embeddings.file, mapUrl).href, 'reference embeddings') : null;
    emb?.catch(() => {});
    return { map, emb };
  })();
}

async function loadMap(fetched) {
  try {
    const { map, emb } = await fetched;
    const { RefMap, decodeEmbeddings, checkMap } = await modules;
    const bad = checkMap(map, engine.embeddingDim, engine.modelName);
    if (bad) throw new Error(bad);
    const [n, dim] = map.embeddings.shape;
    const bytes = await emb;
    timing.mapFetched = now();
    refmap = new RefMap(map, decodeEmbeddings(bytes, n, dim));
    timing.map = now();
    postMessage({ type: 'map', ok: true, n: refmap.n, k: refmap.k, threshold: refmap.threshold, timing });
  } catch (err) {
    refmap = null;
    postMessage({ type: 'map', ok: false, error: String(err.message || err) });
  }
}

async function init(msg) {
  timing.init = now();
  const mapFetch = msg.mapUrl ? fetchMap(msg.mapUrl) : null;
  mapFetch?.catch(() => {});
  try {
    const { loadEngine } = await modules;
    // The wasm and the model: as sent (start.js fetched and compiled them), else fetched here. The
    // engine is instantiated as soon as the wasm is at hand; the model may come later.
    const wasmModule = msg.module || (msg.wasmUrl ? await compile(msg.wasmUrl) : null);
    const model = modelMessage.then((m) => m.model || fetchBytes(m.modelUrl, 'model file'))
      .then((bytes) => { timing.bytes = now(); return bytes; });
    engine = await loadEngine(model, wasmModule ? { wasmModule } : {});
    timing.loaded = now();
  } catch (err) {
    postMessage({ type: 'error', error: String(err.message || err) });
    return;
  }
  postMessage({ type: 'ready', timing, info: { classes: engine.classes, inputSize: engine.inputSize, modelName: engine.modelName,
    isa: engine.isa, camWidth: engine.camWidth, camHeight: engine.camHeight, embeddingDim: engine.embeddingDim } });
  if (mapFetch) mapReady = loadMap(mapFetch);
}

async function compile(url) {
  try {
    return await WebAssembly.compileStreaming(fetch(url));
  } catch {
    return WebAssembly.compile(await fetchBytes(url, 'engine (wasm)'));
  }
}

async function classify(msg) {
  await mapReady;
  const t0 = performance.now();
  if (!!msg.careful !== !!engine.careful) engine.setCareful(!!msg.careful);
  const bytes = new Uint8Array(msg.bytes);
  // WebP, GIF, AVIF and TIFF are decoded here (decode.js) and go in as pixels; the rest as bytes to the
  // engine's own decoder, which also names the formats it does not read.
  const { pixelFormat, decodePixels, pngCopy } = await modules;
  const format = pixelFormat(bytes);
  let r, pixels = null;
  if (format) {
    pixels = await decodePixels(bytes, format);
    r = pixels.ok ? engine.classifyPixels(pixels.rgba, pixels.width, pixels.height) : pixels;
  } else r = engine.classify(bytes);
  const result = { ok: r.ok, error: r.error };
  const transfer = [];
  // A TIFF is not shown by browsers: the page keeps a PNG of its decoded pixels for the gallery and the cell view.
  if (r.ok && format === 'tiff') result.display = await pngCopy(pixels.rgba, pixels.width, pixels.height);
  if (r.ok) {
    Object.assign(result, { label: r.label, index: r.index, confidence: r.confidence, probs: Array.from(r.probsArray),
      careful: !!msg.careful });
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
// The model comes in its own message, before or after 'init'.
let receiveModel;
const modelMessage = new Promise((resolve) => { receiveModel = resolve; });

onmessage = (ev) => {
  const msg = ev.data;
  if (msg.type === 'model') receiveModel(msg);
  else if (msg.type === 'init') queue = queue.then(() => init(msg));
  else if (msg.type === 'classify') {
    queue = queue.then(() => (engine ? classify(msg)
      : postMessage({ type: 'result', id: msg.id, result: { ok: false, error: 'model not loaded' } })));
  } else if (msg.type === 'heap') {
    queue = queue.then(() => postMessage({ type: 'heap', id: msg.id, bytes: engine ? engine.heapBytes() : 0 }));
  }
};
