// bench.mjs - the browser race page (driven by scripts/bench/bench_web.mjs; results land in window.__bench).
//   bench.html?mode=race                        ours vs onnxruntime-web float and int8 QDQ, alternating
//   bench.html?mode=cold&racer=ours|ort-float|ort-qdq   navigation to first prediction for one racer
// Both racers get the same input: the engine's preprocessed int8 tensor, dequantized to f32 NCHW for ONNX.

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

async function race() {
  const peakMod = await (await import('/build/wasm/peak-web.mjs')).default();
  const engine = await loadOurs();
  const image = await bytesOf(IMAGE);
  const ortF = await loadOrt('ort-float'), ortQ = await loadOrt('ort-qdq');
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
  const { engineInputAsNCHW } = await import('../onnx_input.mjs');   // race only: cold visits load nothing extra
  const x = engineInputAsNCHW(engine, inScale, inZp);

  // agreement on this image
  engine.forwardTensor(input);
  // the class logits: the ONNX files also carry the sub-class rows after them (export_onnx.py)
  const lo = ourLogits(engine);
  const lf = (await ortLogits(ortF, x, S)).slice(0, lo.length), lq = (await ortLogits(ortQ, x, S)).slice(0, lo.length);
  const maxdiff = (a) => Math.max(...Array.from(a, (v, k) => Math.abs(v - lo[k])));
  const argmax = (a) => Array.from(a).indexOf(Math.max(...a));
  const agreement = { ours_argmax: argmax(lo), float_argmax: argmax(lf), qdq_argmax: argmax(lq),
    float_max_logit_diff: maxdiff(lf), qdq_max_logit_diff: maxdiff(lq) };

  // one timed image per racer: input in, forward, logits out
  const runOurs = () => { const t0 = performance.now(); engine.forwardTensor(input); ourLogits(engine); return performance.now() - t0; };
  const runOrt = async (r) => { const t0 = performance.now(); await ortLogits(r, x, S); return performance.now() - t0; };
  for (let i = 0; i < 30; i++) { runOurs(); await runOrt(ortF); await runOrt(ortQ); }
  const t = { ours: [], 'ort-float': [], 'ort-qdq': [] };
  for (let i = 0; i < RUNS; i++) {
    // rotate the order each round so drift and cache effects fall on every racer alike
    const order = [['ours'], ['ort-float'], ['ort-qdq']];
    for (let k = 0; k < 3; k++) {
      const who = order[(i + k) % 3][0];
      t[who].push(who === 'ours' ? runOurs() : await runOrt(who === 'ort-float' ? ortF : ortQ));
    }
  }
  const stats = (a) => ({ median_ms: median(a), p90_ms: pct(a, 0.9), n: a.length });
  const pairRatio = (peer) => median(t.ours.map((v, i) => v / t[peer][i]));

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
  return {
    user_agent: navigator.userAgent, cores: navigator.hardwareConcurrency, isa: engine.isa, image: IMAGE, isolated: self.crossOriginIsolated,
    preprocess: stats(pp), agreement, peak_gmacs: peak, layers,
    ours: stats(t.ours), 'ort-float': stats(t['ort-float']), 'ort-qdq': stats(t['ort-qdq']),
    ratio_pairwise: { 'ort-float': pairRatio('ort-float'), 'ort-qdq': pairRatio('ort-qdq') },
    wasm_memory_bytes: { ours: memoryOf('ours'), 'ort-float': memoryOf('ort-float'), 'ort-qdq': memoryOf('ort-qdq') },
  };
}

(params.get('mode') === 'cold' ? cold() : race())
  .then((r) => { window.__bench = r; document.body.textContent = JSON.stringify(r, null, 1); })
  .catch((e) => { window.__bench = { error: String(e && e.stack || e) }; document.body.textContent = String(e); });
