// worker.js - runs the wasm engine off the main thread. One engine per worker; the page runs a pool
// of them (start.js, pool.js) and spreads a batch over it.
// Messages in:
//   {type:'init', module?|wasmUrl?, mapUrl?}   instantiate the engine (a compiled WebAssembly.Module, or
//        compiled here from wasmUrl), load the model when it comes, then the reference map
//   {type:'model', model|modelUrl}             the model file's bytes (or fetched here), before or after init
//   {type:'classify', id, bytes(ArrayBuffer), cam:bool}   JPEG/PNG/BMP by the engine; WebP/GIF/AVIF/TIFF via decode.js
//   {type:'heap', id}                                          the size of this engine's wasm heap
//   {type:'field', id, bytes, mode:'auto'|'fields', careful}   a whole-field photo: every white cell located
//        and classified (mode 'auto': only when the image is not single-cell sized, see fieldSized();
//        otherwise answered as 'classify' is)
//   {type:'fieldcell', id, key, bytes, box:[x0,y0,x1,y1], cam, careful}   one box of a field (a missed cell
//        added by a tap, or a located cell's heatmap); bytes are decoded only when this worker does not
//        hold the field `key` already
// Messages out:
//   {type:'ready', info, timing}  |  {type:'error', error}  |  {type:'map', ok, error?, n, k, threshold, timing?}
//   {type:'result', id, result}  |  {type:'heap', id, bytes}
//     result: {ok, error?, ms, label, index, confidence, probs[], ood:{x, y, score, flagged}|null,
//              cams?: Float32Array[] (one per class), rgb?: Uint8Array S*S*3, display?: Blob (a TIFF's PNG copy)}
//   field result: {ok, error?, kind:'field', ms, width, height, orientation, rbcDiameterPx, total, small,
//                  view: Blob (JPEG, longest side <= VIEW_SIDE), viewWidth, viewHeight,
//                  cells: [{box, edge, clump, ok, error?, label, index, confidence, probs[], ood, careful, thumb: Blob}]}
//   fieldcell result: as 'classify' with thumb: Blob (the crop the model saw, PNG)
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
    isa: engine.isa, camWidth: engine.camWidth, camHeight: engine.camHeight, embeddingDim: engine.embeddingDim,
    subclasses: engine.subclasses } });
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
      subprobs: Array.from(r.subprobsArray), careful: !!msg.careful });
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

// ---- whole fields -------------------------------------------------------------------------------
// The automatic mode's rule (docs/web-app.md): an image is one cell when it has the size of a
// single-cell crop, else it is a whole field. Single-cell crops: CellaVision's 360x363 (PBC; both
// sides 300-400 px) and small crops of a cell (longest side <= 200 px, e.g. 120x120). The content
// does not separate the two (measured: BCDD fields look like PBC crops to the locator in 39 of 100,
// PBC crops like fields in 20%), the size does on every image of both shared field sets.
const SINGLE_MIN = 300, SINGLE_MAX = 400, SMALL_MAX = 200;
function fieldSized(size) {
  if (!size) return false;
  const lo = Math.min(size.width, size.height), hi = Math.max(size.width, size.height);
  return !((lo >= SINGLE_MIN && hi <= SINGLE_MAX) || hi <= SMALL_MAX);
}

// The pixel size from a JPEG, PNG or BMP header (null: another format, or not readable).
function headerSize(b) {
  if (b.length > 24 && b[0] === 0x89 && b[1] === 0x50 && b[2] === 0x4e && b[3] === 0x47) {
    const v = new DataView(b.buffer, b.byteOffset, b.length);
    return { width: v.getUint32(16), height: v.getUint32(20) };
  }
  if (b.length > 26 && b[0] === 0x42 && b[1] === 0x4d) {
    const v = new DataView(b.buffer, b.byteOffset, b.length);
    return { width: Math.abs(v.getInt32(18, true)), height: Math.abs(v.getInt32(22, true)) };
  }
  if (b.length > 4 && b[0] === 0xff && b[1] === 0xd8) {
    let i = 2;
    while (i + 9 < b.length) {
      if (b[i] !== 0xff) { i++; continue; }
      const m = b[i + 1];
      if (m === 0xff) { i++; continue; }
      if (m === 0xd8 || m === 0x01 || (m >= 0xd0 && m <= 0xd7)) { i += 2; continue; }
      const len = (b[i + 2] << 8) | b[i + 3];
      if (m >= 0xc0 && m <= 0xcf && m !== 0xc4 && m !== 0xc8 && m !== 0xcc) return { width: (b[i + 7] << 8) | b[i + 8], height: (b[i + 5] << 8) | b[i + 6] };
      if (m === 0xda || len < 2) return null;
      i += 2 + len;
    }
  }
  return null;
}

const VIEW_SIDE = 2048;         // the page's copy of a field photo: enough to see a cell when zoomed in
const FIELD_KEEP_MS = 30000;    // a field decoded for 'fieldcell' is kept this long for the next tap
let heldField = null, heldTimer = 0;
function holdField(key) {
  heldField = key;
  clearTimeout(heldTimer);
  heldTimer = setTimeout(() => { engine.releaseField(); heldField = null; }, FIELD_KEEP_MS);
}
function dropField() { clearTimeout(heldTimer); engine.releaseField(); heldField = null; }

// The crop the model saw (engine.rgb(), S x S RGB) as a PNG, for the gallery and the cell view.
function rgbBlob(rgb) {
  const S = engine.inputSize;
  const img = new ImageData(S, S);
  for (let i = 0, j = 0; i < S * S; i++, j += 3) {
    img.data[4 * i] = rgb[j]; img.data[4 * i + 1] = rgb[j + 1]; img.data[4 * i + 2] = rgb[j + 2]; img.data[4 * i + 3] = 255;
  }
  const c = new OffscreenCanvas(S, S);
  c.getContext('2d').putImageData(img, 0, 0);
  return c.convertToBlob({ type: 'image/png' });
}

// The decoded, oriented field, reduced to VIEW_SIDE, as a JPEG: what the field view shows.
async function viewBlob() {
  const px = engine.fieldPixels();
  if (!px) return null;
  const f = Math.min(1, VIEW_SIDE / Math.max(px.width, px.height));
  const w = Math.max(1, Math.round(px.width * f)), h = Math.max(1, Math.round(px.height * f));
  const bmp = await createImageBitmap(new ImageData(px.data, px.width, px.height), { resizeWidth: w, resizeHeight: h, resizeQuality: 'high' });
  const c = new OffscreenCanvas(w, h);
  c.getContext('2d').drawImage(bmp, 0, 0);
  bmp.close();
  return { blob: await c.convertToBlob({ type: 'image/jpeg', quality: 0.9 }), width: w, height: h };
}

function cellResult(r, careful) {
  const out = { ok: r.ok, error: r.error };
  if (!r.ok) return out;
  Object.assign(out, { label: r.label, index: r.index, confidence: r.confidence, probs: Array.from(r.probsArray),
    subprobs: Array.from(r.subprobsArray), careful: !!careful });
  if (refmap) {
    const p = refmap.place(r.embedding);
    out.ood = { x: p.x, y: p.y, score: p.score, flagged: p.flagged };
  } else out.ood = null;
  return out;
}

async function field(msg) {
  const bytes = new Uint8Array(msg.bytes);
  const { pixelFormat } = await modules;
  // Automatic: single-cell sized images, and formats the locator does not read (WebP, GIF, AVIF,
  // TIFF: decoded in JS), are one cell each.
  if (msg.mode !== 'fields' && (pixelFormat(bytes) || !fieldSized(headerSize(bytes)))) return classify(msg);
  await mapReady;
  const t0 = performance.now();
  if (pixelFormat(bytes)) {
    postMessage({ type: 'result', id: msg.id, result: { ok: false, kind: 'field', error: 'whole fields are read from JPEG, PNG or BMP files; save this image as one of those', ms: 0 } });
    return;
  }
  if (!!msg.careful !== !!engine.careful) engine.setCareful(!!msg.careful);
  heldField = null;
  const f = engine.locateField(bytes);
  if (!f.ok) { dropField(); postMessage({ type: 'result', id: msg.id, result: { ok: false, kind: 'field', error: f.error, ms: performance.now() - t0 } }); return; }
  const cells = [];
  for (const c of f.cells) {
    const r = engine.classifyFieldCell(c.box);
    const cell = { box: c.box, edge: c.edge, clump: c.clump, ...cellResult(r, msg.careful) };
    if (r.ok) cell.thumb = await rgbBlob(engine.rgb());
    cells.push(cell);
  }
  const view = await viewBlob();
  dropField();     // the decoded field is not kept: a tap that adds a cell sends the photo again
  postMessage({ type: 'result', id: msg.id, result: { ok: true, kind: 'field', width: f.width, height: f.height, orientation: f.orientation,
    rbcDiameterPx: f.rbcDiameterPx, total: f.total, small: f.small, cells, view: view?.blob || null, viewWidth: view?.width || 0,
    viewHeight: view?.height || 0, ms: performance.now() - t0 } });
}

async function fieldCell(msg) {
  await mapReady;
  const t0 = performance.now();
  if (!!msg.careful !== !!engine.careful) engine.setCareful(!!msg.careful);
  if (heldField !== msg.key) {
    const f = engine.locateField(new Uint8Array(msg.bytes));
    if (!f.ok) { dropField(); postMessage({ type: 'result', id: msg.id, result: { ok: false, error: f.error, ms: performance.now() - t0 } }); return; }
  }
  holdField(msg.key);
  const r = engine.classifyFieldCell(msg.box);
  const result = cellResult(r, msg.careful);
  const transfer = [];
  if (r.ok) {
    const rgb = engine.rgb();
    result.thumb = await rgbBlob(rgb);
    if (msg.cam) {
      result.cams = engine.classes.map((_, k) => engine.cam(k).data);
      result.rgb = rgb;
      transfer.push(...result.cams.map((c) => c.buffer), rgb.buffer);
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
  } else if (msg.type === 'field' || msg.type === 'fieldcell') {
    const run = msg.type === 'field' ? field : fieldCell;
    queue = queue.then(() => (engine ? run(msg)
      : postMessage({ type: 'result', id: msg.id, result: { ok: false, error: 'model not loaded' } })));
  } else if (msg.type === 'heap') {
    queue = queue.then(() => postMessage({ type: 'heap', id: msg.id, bytes: engine ? engine.heapBytes() : 0 }));
  }
};
