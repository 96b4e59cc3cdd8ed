// bench.mjs - the browser race page (driven by scripts/bench/bench_web.mjs; results land in window.__bench).
//   bench.html?mode=race   ours vs onnxruntime-web (f32, int8 QDQ), LiteRT.js (int8, f32) and tfjs-wasm (f32), alternating
//   bench.html?mode=cold&racer=ours|ort-float|ort-qdq   navigation to first prediction for one racer
// Every racer gets the same input: the engine's preprocessed int8 tensor (dequantized to f32 for the float racers).

const params = new URLSearchParams(location.search);
// Our engine's JS, requested at once by the pages that use it (the ONNX racers' cold visits do not
// load it); the server's Link header has already started fetching it on our cold visit.
const engineModule = params.get('mode') === 'race' || params.get('racer') === 'ours' ? import('/web/engine/engine.js') : null;
const marks = {};
const mark = (name) => { marks[name] = performance.now(); };
mark('script_start');
const ORT_DIST = '/node_modules/onnxruntime-web/dist/';
const MODEL = '/models/bloodcell.bin';
const ONNX = { 'ort-float': '/build/onnx/bloodcell-float.onnx', 'ort-qdq': '/build/onnx/bloodcell-qdq.onnx' };
const IMAGE = params.get('image') || '/tests/fixtures/images/basophil_BA_114899.jpg';
const RUNS = Number(params.get('runs') || 300);

// Every wasm memory a racer creates or exports, so peak memory can be read at the end (it only grows).
const memories = [];
let owner = 'harness';
const track = (m) => { if (m instanceof WebAssembly.Memory && !memories.some((e) => e.memory === m)) memories.push({ owner, memory: m }); };
const NativeMemory = WebAssembly.Memory;
WebAssembly.Memory = function Memory(desc) { const m = new NativeMemory(desc); track(m); return m; };
WebAssembly.Memory.prototype = NativeMemory.prototype;
const trackExports = (r) => { const inst = r.instance || r; for (const v of Object.values(inst.exports || {})) track(v); return r; };
for (const fn of ['instantiate', 'instantiateStreaming']) {
  const orig = WebAssembly[fn].bind(WebAssembly);
  WebAssembly[fn] = (...a) => orig(...a).then(trackExports);
}
const memoryOf = (who) => memories.filter((e) => e.owner === who).reduce((s, e) => s + e.memory.buffer.byteLength, 0);

const median = (a) => { const s = [...a].sort((x, y) => x - y); return s[Math.floor(s.length / 2)]; };
const pct = (a, p) => { const s = [...a].sort((x, y) => x - y); return s[Math.min(s.length - 1, Math.floor(s.length * p))]; };
const bytesOf = async (url) => new Uint8Array(await (await fetch(url)).arrayBuffer());

// The wasm compiles while it downloads (compileStreaming), in parallel with the model fetch;
// streaming compilation is also what lets the browser cache the compiled code.

async function loadOurs() {
  owner = 'ours';
  const wasm = WebAssembly.compileStreaming(fetch('/web/engine/bloodcell.wasm')).then((m) => { mark('wasm_compiled'); return m; });
  const modelBytes = bytesOf(MODEL).then((b) => { mark('model_fetched'); return b; });
  const { loadEngine } = await engineModule;
  // Instantiated as soon as the wasm is compiled, while the model may still be on its way.
  const engine = await loadEngine(modelBytes, { wasmModule: await wasm });
  mark('engine_loaded');
  return engine;
}

async function loadOrt(racer) {
  owner = racer;
  const ort = await import(ORT_DIST + 'ort.wasm.min.mjs');
  ort.env.wasm.wasmPaths = ORT_DIST;
  ort.env.wasm.numThreads = 1;
  ort.env.wasm.simd = true;
  const session = await ort.InferenceSession.create(await bytesOf(ONNX[racer]),
    { executionProviders: ['wasm'], graphOptimizationLevel: 'all' });
  return { ort, session };
}

function ourLogits(engine) {
  const K = engine.classes.length;
  return new Float32Array(engine.mod.HEAPF32.buffer, engine.mod._bc_wasm_logits(engine.e), K).slice();
}

async function ortLogits(r, x, S) {
  const out = await r.session.run({ input: new r.ort.Tensor('float32', x, [1, 3, S, S]) });
  return out.logits.data;
}

async function cold() {
  const racer = params.get('racer');
  const imageBytes = bytesOf(IMAGE);   // in parallel with the racer's own loading
  let label;
  if (racer === 'ours') {
    const engine = await loadOurs();
    const image = await imageBytes;
    label = engine.classify(image).label;
    mark('classified');
  } else {
    // onnxruntime-web gets a ready tensor (the mean image): its cold start excludes decoding and
    // preprocessing, which ours includes.
    await imageBytes;
    const r = await loadOrt(racer);
    const S = Number(params.get('size') || 128);
    const logits = await ortLogits(r, new Float32Array(3 * S * S), S);
    label = logits.indexOf(Math.max(...logits));
  }
  const t = performance.now();
  const resources = performance.getEntriesByType('resource').map((e) => ({ url: new URL(e.name).pathname, bytes: e.decodedBodySize }));
  // When each download finished (resource timing), beside the marks of when the page saw it.
  for (const e of performance.getEntriesByType('resource'))
    if (/\.(wasm|bin|onnx)$/.test(e.name)) marks[`${new URL(e.name).pathname.split('/').pop()}_received`] = e.responseEnd;
  return { racer, first_prediction_ms: t, label, resources, wasm_memory_bytes: memoryOf(racer), marks };
}

// ---- the XNNPACK racers: LiteRT.js (.tflite, int8 and f32) and tfjs-backend-wasm (f32) --------------
const LITERT = '/node_modules/@litertjs/core/';
const TFLITE = { 'litert-int8': '/build/race/bloodcell-int8.tflite', 'litert-f32': '/build/race/bloodcell-f32.tflite' };
const TFJS = '/node_modules/@tensorflow/';

async function loadLiteRtModels() {
  owner = 'litert';
  const lrt = await import(LITERT + 'dist/index.js');
  // A directory: LiteRT picks its build by the browser's features (relaxed SIMD or not), one thread;
  // ?litert=compat loads its plain-SIMD128 build instead.
  await lrt.loadLiteRt(LITERT + (params.get('litert') === 'compat' ? 'wasm/litert_wasm_compat_internal.js' : 'wasm/'));
  const models = {};
  for (const [k, url] of Object.entries(TFLITE)) models[k] = await lrt.loadAndCompile(await bytesOf(url), { accelerator: 'wasm' });
  return { lrt, models };
}

const loadScript = (src) => new Promise((ok, fail) => {
  const s = document.createElement('script');
  s.src = src; s.onload = ok; s.onerror = () => fail(new Error(`cannot load ${src}`));
  document.head.append(s);
});

const fromB64 = (a) => {
  const bytes = Uint8Array.from(atob(a.b64), (c) => c.charCodeAt(0));
  const C = { i1: Int8Array, i4: Int32Array, f4: Float32Array }[a.dtype];
  return new C(bytes.buffer);
};

// The network from tfjs ops, weights dequantized from the model file's graph (scripts/model/graph_json.py):
// convs as tf.fused.conv2d with the engine's paddings, ADD, ReLU where the int8 model clamps at
// real 0, mean over H and W, and the logit rows as one fused matMul.
async function loadTfjs() {
  owner = 'tfjs';
  await loadScript(TFJS + 'tfjs-core/dist/tf-core.min.js');
  await loadScript(TFJS + 'tfjs-backend-wasm/dist/tf-backend-wasm.min.js');
  const tf = window.tf;
  tf.env().set('WASM_HAS_MULTITHREAD_SUPPORT', false);   // one thread, like every racer (the page is isolated)
  tf.wasm.setWasmPaths(TFJS + 'tfjs-backend-wasm/dist/');
  if (!(await tf.setBackend('wasm'))) throw new Error('tfjs: the wasm backend did not start');
  await tf.ready();
  const g = await (await fetch('/build/race/graph.json')).json();
  const V = g.values, relu = (v) => V[v][4] === -128;
  const steps = [];
  for (const o of g.ops) {
    if (o.type === 1) {                                      // CONV: OIHW int8 -> HWIO f32
      const [O, I, H, W] = o.w.shape, w = fromB64(o.w), ws = fromB64(o.w_scale), b = fromB64(o.bias), is = V[o.input][3];
      const hwio = new Float32Array(O * I * H * W);
      for (let oc = 0; oc < O; oc++) for (let i = 0; i < I; i++) for (let y = 0; y < H; y++) for (let x = 0; x < W; x++)
        hwio[((y * W + x) * I + i) * O + oc] = w[((oc * I + i) * H + y) * W + x] * ws[oc];
      const filter = tf.tensor4d(hwio, [H, W, I, O]), bias = tf.tensor1d(Float32Array.from(b, (v, oc) => v * is * ws[oc]));
      // As in the .tflite graphs: 'same' where TF's SAME pads as the engine does, else an explicit tf.pad
      // and 'valid'.
      const [pt, pl, pb, pr] = o.pad, [ih, iw] = V[o.input];
      const sameOf = (n, k, st) => { const tot = Math.max((Math.ceil(n / st) - 1) * st + k - n, 0); return [Math.floor(tot / 2), tot - Math.floor(tot / 2)]; };
      const [st, sb] = sameOf(ih, H, o.sh), [sl, sr] = sameOf(iw, W, o.sw);
      const same = pt === st && pb === sb && pl === sl && pr === sr, none = !(pt || pl || pb || pr);
      const act = relu(o.output) ? 'relu' : 'linear';
      steps.push((vals) => {
        const xin = same || none ? vals[o.input] : tf.pad(vals[o.input], [[0, 0], [pt, pb], [pl, pr], [0, 0]]);
        vals[o.output] = tf.fused.conv2d({ x: xin, filter, bias, strides: [o.sh, o.sw], pad: same && !none ? 'same' : 'valid', activation: act });
      });
    } else if (o.type === 2) {
      steps.push((vals) => { const y = tf.add(vals[o.a], vals[o.b]); vals[o.output] = relu(o.output) ? tf.relu(y) : y; });
    } else if (o.type === 5) {
      steps.push((vals) => { vals[o.output] = tf.mean(vals[o.input], [1, 2]); });
    } else if (o.type === 7) {
      const [K, C] = o.w.shape, w = fromB64(o.w), ws = fromB64(o.w_scale);
      const wt = tf.tensor2d(Float32Array.from(w, (v, j) => v * ws[Math.floor(j / C)]), [K, C]), bias = tf.tensor1d(fromB64(o.bias));
      // matMul then add: tf.fused.matMul with transposeB and a bias gave logits off by up to 8 here
      steps.push((vals) => { vals.logits = tf.add(tf.matMul(vals[o.input], wt, false, true), bias); });
    } else throw new Error(`tfjs racer: op type ${o.type} has no mapping`);
  }
  const forward = (x) => tf.tidy(() => { const vals = { 0: x }; for (const s of steps) s(vals); return vals.logits; });
  return { tf, forward };
}

async function race() {
  const peakMod = await (await import('/build/wasm/peak-web.mjs')).default();
  const engine = await loadOurs();
  const image = await bytesOf(IMAGE);
  const ortF = await loadOrt('ort-float'), ortQ = await loadOrt('ort-qdq');
  const litert = await loadLiteRtModels();
  const tfjs = await loadTfjs();
  owner = 'harness';
  const S = engine.inputSize, mod = engine.mod;

  // preprocessing alone: decode + crop + resize + normalise + quantize
  const pp = [];
  const p = engine._stage(image);
  for (let i = 0; i < 20; i++) mod._bc_wasm_preprocess(engine.e, p, image.length);
  for (let i = 0; i < 100; i++) {
    const t0 = performance.now(); mod._bc_wasm_preprocess(engine.e, p, image.length); pp.push(performance.now() - t0);
  }
  const input = new Int8Array(mod.HEAP8.buffer, mod._bc_wasm_input(engine.e), S * S * 3).slice();
  const inScale = Number(params.get('in_scale')), inZp = Number(params.get('in_zp'));
  const { engineInputAsNCHW, engineInputAsNHWC } = await import('../race_input.mjs');   // race only: cold visits load nothing extra
  const x = engineInputAsNCHW(engine, inScale, inZp), xNhwc = engineInputAsNHWC(engine, inScale, inZp);

  // Every racer: one image in (a tensor made once, as each runtime takes it), forward, the logits out as a
  // typed array. ONNX and .tflite outputs also carry the sub-class rows after the classes (export_onnx.py).
  const tIn = new litert.lrt.Tensor(xNhwc.slice(), [1, S, S, 3]);   // both .tflite graphs take floats (the int8 one quantizes first)
  const tfx = tfjs.tf.tensor4d(xNhwc.slice(), [1, S, S, 3]);
  const runLiteRt = async (m, t) => { const out = await m.run(t); const l = out[0].toTypedArray().slice(); for (const o of out) o.delete(); return l; };
  const racers = {
    ours: { name: 'ours (wasm int8)', int8: true, run: () => { engine.forwardTensor(input); return ourLogits(engine); } },
    'ort-float': { name: 'onnxruntime-web f32', run: () => ortLogits(ortF, x, S) },
    'ort-qdq': { name: 'onnxruntime-web int8 QDQ', int8: true, run: () => ortLogits(ortQ, x, S) },
    'litert-int8': { name: 'LiteRT.js int8', int8: true, run: () => runLiteRt(litert.models['litert-int8'], tIn) },
    'litert-f32': { name: 'LiteRT.js f32', run: () => runLiteRt(litert.models['litert-f32'], tIn) },
    'tfjs-f32': { name: 'tfjs-backend-wasm f32', run: () => { const y = tfjs.forward(tfx); const l = y.dataSync().slice(); y.dispose(); return l; } },
  };
  const keys = Object.keys(racers);
  const ref = racers.ours.run().slice(), K = ref.length;
  const argmax = (a) => { let m = 0; for (let k = 1; k < K; k++) if (a[k] > a[m]) m = k; return m; };
  const agreement = {};
  for (const k of keys) agreement[k] = { max_logit_diff: 0, argmax_mismatches: 0, runs: 0, argmax: null };
  const check = (k, logits) => {
    const a = agreement[k];
    for (let j = 0; j < K; j++) a.max_logit_diff = Math.max(a.max_logit_diff, Math.abs(logits[j] - ref[j]));
    if (a.argmax === null) a.argmax = argmax(logits);
    if (argmax(logits) !== argmax(ref)) a.argmax_mismatches++;
    a.runs++;
  };
  for (const k of keys) check(k, await racers[k].run());

  // one timed image per racer; ours is synchronous, so it is timed without an await
  const timeOne = async (k) => {
    const r = racers[k];
    if (k === 'ours') { const t0 = performance.now(); const l = r.run(); const dt = performance.now() - t0; check(k, l); return dt; }
    const t0 = performance.now(); const l = await r.run(); const dt = performance.now() - t0; check(k, l); return dt;
  };
  for (let i = 0; i < 30; i++) for (const k of keys) await timeOne(k);
  const t = Object.fromEntries(keys.map((k) => [k, []]));
  for (let i = 0; i < RUNS; i++) {
    // rotate the order each round so drift and cache effects fall on every racer alike
    for (let j = 0; j < keys.length; j++) { const k = keys[(i + j) % keys.length]; t[k].push(await timeOne(k)); }
  }
  const stats = (a) => ({ median_ms: median(a), p90_ms: pct(a, 0.9), min_ms: Math.min(...a), n: a.length });
  const pairRatio = (peer) => median(t.ours.map((v, i) => v / t[peer][i]));
  const loaded = performance.getEntriesByType('resource').map((e) => new URL(e.name).pathname).filter((u) => u.endsWith('.wasm'));

  // per layer, against the dot-product peak measured now
  const iters = 2e5, pk = []; // short calls, like the per-layer timings: long ones get preempted on a busy machine
  // many short calls, then a pause: V8 tiers wasm up from Liftoff in the background and only for
  // later calls (no on-stack replacement)
  for (let i = 0; i < 2000; i++) peakMod._bc_peak_dot(2000, 1);
  await new Promise((r) => setTimeout(r, 500));
  for (let i = 0; i < 200; i++) peakMod._bc_peak_dot(2000, 1);
  for (let r = 0; r < 25; r++) {
    const t0 = performance.now();
    for (let j = 0; j < 5; j++) peakMod._bc_peak_dot(iters, r);
    pk.push((performance.now() - t0) / 5);
  }
  const peak = (iters * 64) / median(pk) / 1e6;
  engine.forwardTensor(input);
  const layers = [];
  for (let i = 0; i < mod._bc_wasm_num_ops(engine.e); i++) {
    // batches of 10 runs: without cross-origin isolation performance.now() has 0.1 ms resolution
    const ts = [];
    for (let r = 0; r < 15; r++) {
      const t0 = performance.now();
      for (let j = 0; j < 10; j++) mod._bc_wasm_run_op(engine.e, i);
      ts.push((performance.now() - t0) / 10);
    }
    const macs = mod._bc_wasm_op_macs(engine.e, i), ms = median(ts);
    layers.push({ op: i, desc: mod.UTF8ToString(mod._bc_wasm_op_desc(engine.e, i)), macs, ms, gmacs: macs / ms / 1e6 });
  }
  // The whole pipeline as the app's engine worker runs it, here in one thread: image bytes -> decode, frame,
  // preprocess, forward -> probabilities, embedding, and the CAM of the top class; and whole fields:
  // decode + locate + every located cell classified.
  const pipeline = [];
  for (let i = 0; i < 10; i++) engine.cam(engine.classify(image).index);
  for (let i = 0; i < 50; i++) {
    const t0 = performance.now();
    const r = engine.classify(image);
    engine.cam(r.index);
    pipeline.push(performance.now() - t0);
  }
  const fields = [];
  for (const name of ['field-640x480.jpg', 'field-4000x3000.jpg']) {
    const res = await fetch('/build/bench/' + name);
    if (!res.ok) { fields.push({ name, missing: true }); continue; }
    const bytes = new Uint8Array(await res.arrayBuffer());
    const ts = [];
    let cells = 0;
    for (let i = 0; i < 4; i++) {
      const t0 = performance.now();
      const f = engine.locateField(bytes);
      if (!f.ok) throw new Error(`${name}: ${f.error}`);
      for (const c of f.cells) engine.classifyFieldCell(c.box);
      engine.releaseField();
      if (i) ts.push(performance.now() - t0);   // the first run warms up
      cells = f.cells.length;
    }
    fields.push({ name, cells, median_ms: median(ts), runs: ts.length });
  }
  return {
    pipeline: stats(pipeline), fields,
    user_agent: navigator.userAgent, cores: navigator.hardwareConcurrency, isa: engine.isa, image: IMAGE, isolated: self.crossOriginIsolated,
    preprocess: stats(pp), peak_gmacs: peak, layers, wasm_files: loaded, tfjs_backend: tfjs.tf.getBackend(),
    names: Object.fromEntries(keys.map((k) => [k, racers[k].name])), int8: keys.filter((k) => racers[k].int8),
    agreement, times: Object.fromEntries(keys.map((k) => [k, stats(t[k])])),
    ratio_pairwise: Object.fromEntries(keys.filter((k) => k !== 'ours').map((k) => [k, pairRatio(k)])),
    wasm_memory_bytes: Object.fromEntries(['ours', 'ort-float', 'ort-qdq', 'litert', 'tfjs'].map((k) => [k, memoryOf(k)])),
  };
}

(params.get('mode') === 'cold' ? cold() : race())
  .then((r) => { window.__bench = r; document.body.textContent = JSON.stringify(r, null, 1); })
  .catch((e) => { window.__bench = { error: String(e && e.stack || e) }; document.body.textContent = String(e); });
