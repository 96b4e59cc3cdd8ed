// engine.js - a small ES-module wrapper over the wasm engine (bloodcell.js + bloodcell.wasm).
//
//   const engine = await loadEngine(modelBytes, { wasmModule } | { wasmBinary });   // optional in browsers
//   const r = engine.classify(imageBytes);   // {ok:true, label, confidence, probs:{id:p}, logits, embedding}
//                                            // or {ok:false, error:"truncated JPEG ..."}
//   engine.cam(k) -> {width, height, data: Float32Array};  engine.rgb() -> Uint8Array S*S*3
//   engine.frame() -> how the last image was framed (src/frame.h): {path: 'rbc'|'cell'|'centre', ...}
//   const f = engine.locateField(imageBytes);   // whole fields: {ok, width, height, orientation, rbcDiameterPx,
//                                               //  cells: [{box, nucleus, nucleusRbcAreas, edge, clump}], total, small}
//   engine.locateFieldPixels(rgba, width, height)   // the same from decoded RGBA pixels
//   engine.classifyFieldCell([x0, y0, x1, y1]) -> as classify(), for one box of that field (as oriented)
//   engine.fieldPixels() -> {width, height, data: RGBA Uint8ClampedArray} ; engine.releaseField()
//
// Results are copied out of the wasm heap, so they stay valid after the next call.
import createBloodcellModule from './bloodcell.js';

//   modelBytes: the model file's bytes, or a promise of them: the module is instantiated meanwhile.
//   opts.wasmModule: an already compiled WebAssembly.Module (e.g. from WebAssembly.compileStreaming,
//   possibly compiled in another thread and posted here): instantiated without compiling again.
//   opts.wasmBinary: the .wasm bytes. Neither: bloodcell.js fetches bloodcell.wasm itself.
export async function loadEngine(modelBytes, opts = {}) {
  let moduleArg = {};
  if (opts.wasmModule) {
    const wasmModule = opts.wasmModule;
    moduleArg = {
      instantiateWasm(imports, receive) {
        WebAssembly.instantiate(wasmModule, imports).then((instance) => receive(instance, wasmModule), (err) => fail(err));
        return {};
      },
    };
  } else if (opts.wasmBinary) moduleArg = { wasmBinary: opts.wasmBinary };
  let fail;
  const failed = new Promise((_, reject) => { fail = reject; });
  const mod = await Promise.race([createBloodcellModule(moduleArg), failed]);
  return new Engine(mod, new Uint8Array(await modelBytes));
}

export class Engine {
  constructor(mod, model) {
    this.mod = mod;
    const p = mod._malloc(model.length);
    mod.HEAPU8.set(model, p);
    this.e = mod._bc_wasm_load(p, model.length);
    mod._free(p);
    if (!this.e) throw new Error(mod.UTF8ToString(mod._bc_wasm_error()));
    this.classes = [];
    for (let k = 0; k < mod._bc_wasm_num_classes(this.e); k++) this.classes.push(mod.UTF8ToString(mod._bc_wasm_class_name(this.e, k)));
    // Sub-classes (model format 2): [{id, parent (class id)}], a class's consecutive; [] for a version-1 model.
    this.subclasses = [];
    for (let j = 0; j < mod._bc_wasm_num_subclasses(this.e); j++)
      this.subclasses.push({ id: mod.UTF8ToString(mod._bc_wasm_subclass_name(this.e, j)), parent: this.classes[mod._bc_wasm_subclass_parent(this.e, j)] });
    this.inputSize = mod._bc_wasm_input_size(this.e);
    this.embeddingDim = mod._bc_wasm_embedding_dim(this.e);
    this.camHeight = mod._bc_wasm_cam_height(this.e);
    this.camWidth = mod._bc_wasm_cam_width(this.e);
    this.modelName = mod.UTF8ToString(mod._bc_wasm_model_name(this.e));
    this.isa = mod.UTF8ToString(mod._bc_wasm_isa(this.e));
    this.camPtr = mod._malloc(4 * this.camHeight * this.camWidth);
    this.bufPtr = 0;
    this.bufLen = 0;
  }

  // Reuses one heap buffer for input bytes, grown only when an image is larger than any before.
  _stage(bytes) {
    if (bytes.length > this.bufLen || !this.bufPtr) {   // also a first, empty input: it gets its own "empty file" message
      if (this.bufPtr) this.mod._free(this.bufPtr);
      this.bufLen = Math.max(bytes.length, 1 << 16);
      this.bufPtr = this.mod._malloc(this.bufLen);
      if (!this.bufPtr) { this.bufLen = 0; return 0; }
    }
    this.mod.HEAPU8.set(bytes, this.bufPtr);
    return this.bufPtr;
  }

  classify(bytes) {
    bytes = new Uint8Array(bytes);
    const p = this._stage(bytes);
    if (!p) return { ok: false, error: 'out of memory' };
    const status = this.mod._bc_wasm_classify(this.e, p, bytes.length);
    return this._result(status);
  }

  classifyPixels(rgba, width, height) {
    const p = this._stage(rgba);
    if (!p) return { ok: false, error: 'out of memory' };
    return this._result(this.mod._bc_wasm_classify_pixels(this.e, p, width, height, 4));
  }

  // "Careful" mode: every classification averages the 8 rotations and mirror images (8x the time).
  setCareful(on) { this.mod._bc_wasm_set_tta(this.e, on ? 1 : 0); this.careful = !!on; }

  // Forward pass on an int8 input tensor (benchmarks: engine time without decoding).
  forwardTensor(int8) {
    if (int8) this.mod.HEAP8.set(int8, this.mod._bc_wasm_input(this.e));
    this.mod._bc_wasm_forward(this.e);
  }

  _result(status) {
    const mod = this.mod;
    if (status !== 0) return { ok: false, error: mod.UTF8ToString(mod._bc_wasm_error()) };
    const K = this.classes.length;
    const probsArr = new Float32Array(mod.HEAPF32.buffer, mod._bc_wasm_probs(this.e), K).slice();
    const logits = new Float32Array(mod.HEAPF32.buffer, mod._bc_wasm_logits(this.e), K).slice();
    const embedding = new Float32Array(mod.HEAPF32.buffer, mod._bc_wasm_embedding(this.e), this.embeddingDim).slice();
    let best = 0;
    for (let k = 1; k < K; k++) if (probsArr[k] > probsArr[best]) best = k;
    const probs = {};
    this.classes.forEach((c, k) => { probs[c] = probsArr[k]; });
    // The called class's sub-class (e.g. neutrophil: band or segmented), or null when it has none.
    // subprobsArray: every sub-class's probability within its own class (engine.subclasses order), so a
    // cell reassigned to another class with sub-classes still has the model's view of which kind it is.
    let subclass = null, subprobsArray = new Float32Array(0);
    if (this.subclasses.length) {
      const sp = new Float32Array(mod.HEAPF32.buffer, mod._bc_wasm_subprobs(this.e), this.subclasses.length);
      subprobsArray = sp.slice();
      const mine = this.subclasses.map((s, j) => [s, sp[j]]).filter(([s]) => s.parent === this.classes[best]);
      if (mine.length) {
        const top = mine.reduce((a, b) => (b[1] > a[1] ? b : a));
        subclass = { label: top[0].id, confidence: top[1], probs: Object.fromEntries(mine.map(([s, p]) => [s.id, p])) };
      }
    }
    return { ok: true, label: this.classes[best], index: best, confidence: probsArr[best], probs, probsArray: probsArr, logits, embedding, subclass, subprobsArray };
  }

  cam(k) {
    this.mod._bc_wasm_cam(this.e, k, this.camPtr);
    const data = new Float32Array(this.mod.HEAPF32.buffer, this.camPtr, this.camHeight * this.camWidth).slice();
    return { width: this.camWidth, height: this.camHeight, data };
  }

  rgb() {
    const S = this.inputSize;
    return new Uint8Array(this.mod.HEAPU8.buffer, this.mod._bc_wasm_rgb(this.e), S * S * 3).slice();
  }

  // The last image's framing (resize mode 1; in mode 0 always the centre crop, nothing estimated):
  // {path, rbcDiameterPx (null without a ruler), rbcCount, cell: [x0, y0, x1, y1] | null (image px),
  //  crop: [x0, y0, side] (image px, may reach beyond the image), background: [r, g, b], cellsFound, resizeMode}.
  frame() {
    const f = new Int32Array(this.mod.HEAP32.buffer, this.mod._bc_wasm_frame(this.e), 16);
    return {
      path: ['centre', 'rbc', 'cell'][f[0]] || 'centre',
      rbcDiameterPx: f[1] > 0 ? f[1] / 16 : null,
      rbcCount: f[2],
      cell: f[3] ? [f[4], f[5], f[6], f[7]] : null,
      crop: [f[8], f[9], f[10]],
      background: [f[11], f[12], f[13]],
      cellsFound: f[15],
      resizeMode: this.mod._bc_wasm_resize_mode(this.e),
    };
  }

  // Whole-field photos: decode (the JPEG's EXIF orientation applied, so boxes are in the image as shown)
  // and find every white cell. The decoded field stays in the engine until releaseField() or the next call.
  locateField(bytes) {
    bytes = new Uint8Array(bytes);
    const p = this._stage(bytes);
    if (!p) return { ok: false, error: 'out of memory' };
    return this._field(this.mod._bc_wasm_field_load(this.e, p, bytes.length));
  }

  // The same from decoded RGBA pixels (a WebP, GIF, AVIF or TIFF the browser or a JS decoder read; or a field
  // kept in the page, to locate or classify again without the file).
  locateFieldPixels(rgba, width, height) {
    const p = this._stage(rgba);
    if (!p) return { ok: false, error: 'out of memory' };
    return this._field(this.mod._bc_wasm_field_load_pixels(this.e, p, width, height));
  }

  _field(c) {
    const mod = this.mod;
    if (!c) return { ok: false, error: mod.UTF8ToString(mod._bc_wasm_error()) };
    const head = new Int32Array(mod.HEAP32.buffer, c, 5);
    const n = head[0];
    const v = new Int32Array(mod.HEAP32.buffer, c + 20, n * 10);
    const cells = [];
    for (let i = 0; i < n; i++) {
      const q = v.subarray(i * 10, i * 10 + 10);
      cells.push({ box: [q[0], q[1], q[2], q[3]], nucleus: [q[4], q[5], q[6], q[7]], nucleusRbcAreas: q[8] / 1000,
                   edge: !!(q[9] & 1), clump: !!(q[9] & 2) });
    }
    const info = new Int32Array(mod.HEAP32.buffer, mod._bc_wasm_field_info(), 4);
    return { ok: true, width: info[0], height: info[1], orientation: info[2] || 1,
             rbcDiameterPx: head[4] > 0 ? head[4] / 16 : null, cells, total: head[1], small: head[2] };
  }

  classifyFieldCell(box) {
    const [x0, y0, x1, y1] = box.map((t) => Math.round(t));
    return this._result(this.mod._bc_wasm_field_classify(this.e, x0, y0, x1, y1));
  }

  fieldPixels() {
    const info = new Int32Array(this.mod.HEAP32.buffer, this.mod._bc_wasm_field_info(), 4);
    const [w, h, , ptr] = info;
    if (!ptr) return null;
    return { width: w, height: h, data: new Uint8ClampedArray(this.mod.HEAPU8.buffer, ptr, w * h * 4).slice() };
  }

  releaseField() { this.mod._bc_wasm_field_free(); }

  heapBytes() { return this.mod.HEAPU8.buffer.byteLength; }

  free() {
    this.mod._bc_wasm_field_free();
    if (this.bufPtr) this.mod._free(this.bufPtr);
    this.mod._free(this.camPtr);
    this.mod._bc_wasm_free(this.e);
    this.e = 0;
  }
}
