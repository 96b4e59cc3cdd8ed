// Write the shipped network as .tflite files, for the speed race against LiteRT.js (XNNPACK in wasm).
//   node scripts/model/export_tflite.mjs [--model models/bloodcell.bin] [--out build/race]
//
// Both files are built from the engine's own model file (read through scripts/model/graph_json.py),
// so LiteRT runs the weights our engine runs:
//   bloodcell-int8.tflite  float NHWC input [1, S, S, 3] (the engine's preprocessed int8 tensor dequantized),
//                          QUANTIZE to the model's input scale and zero point; per-channel int8 conv weights
//                          (quantized_dimension 0), int32 biases at input scale x weight scale, every
//                          activation with the model's own scale and zero point; the global average
//                          pool as an int8 MEAN over axes 1 and 2; then DEQUANTIZE and a float
//                          FULLY_CONNECTED for the logit rows (2,496 MACs; our engine also ends in float).
//   bloodcell-f32.tflite   the same graph in float: weights dequantized, float input (the engine's
//                          tensor dequantized), ReLU where the int8 model clamps at real 0 (zero point -128).
// Output `logits`: float32 [1, K] (the classes, then any sub-classes; before the temperature).
// graph.json beside them is graph_json.py's dump, from which the race page builds the tfjs-wasm racer.
//
// TensorFlow's SAME padding of a stride-2 3x3 conv pads (0, 1); the engine pads (1, 1). Such convs get
// an explicit PAD op (which pads an int8 tensor with its zero point, i.e. real 0) and VALID padding.
// The flatbuffer field slots follow TFLite's schema.fbs (schema version 3).
import { execFileSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import * as flatbuffers from 'flatbuffers';

const ROOT = resolve(new URL('../..', import.meta.url).pathname);
const CONV = 1, ADD = 2, GAP = 5, LOGITS = 7;                     // bcmodel's op types
const T = { FLOAT32: 0, INT32: 2, INT8: 9 };                       // TensorType
const OP = { ADD: 0, CONV_2D: 3, DEQUANTIZE: 6, FULLY_CONNECTED: 9, PAD: 34, MEAN: 40, QUANTIZE: 114 };  // BuiltinOperator
const OPTS = { NONE: 0, Conv2DOptions: 1, FullyConnectedOptions: 8, AddOptions: 11, PadOptions: 22, ReducerOptions: 27 };
const SAME = 0, VALID = 1, RELU = 1, NO_ACT = 0;

export const graphJson = (model) =>
  execFileSync('/usr/bin/python3', [join(ROOT, 'scripts/model/graph_json.py'), model], { maxBuffer: 1 << 28, stdio: ['ignore', 'pipe', 'pipe'] }).toString();

export function parseGraph(text) {
  const g = JSON.parse(text);
  const typed = { int8: Int8Array, int32: Int32Array, float32: Float32Array, f4: Float32Array, i4: Int32Array, i1: Int8Array };
  for (const op of g.ops)
    for (const [k, v] of Object.entries(op))
      if (v && typeof v === 'object' && 'b64' in v) {
        const b = Buffer.from(v.b64, 'base64');
        const C = typed[v.dtype];
        if (!C) throw new Error(`graph_json: unexpected dtype ${v.dtype}`);
        op[k] = { shape: v.shape, data: new C(b.buffer.slice(b.byteOffset, b.byteOffset + b.length)) };
      }
  return g;
}

// OIHW -> OHWI (TFLite's conv filter order)
function ohwi(w, map = (x) => x, C = Float32Array) {
  const [O, I, H, W] = w.shape, out = new C(O * H * W * I);
  for (let o = 0; o < O; o++) for (let i = 0; i < I; i++) for (let y = 0; y < H; y++) for (let x = 0; x < W; x++)
    out[((o * H + y) * W + x) * I + i] = map(w.data[((o * I + i) * H + y) * W + x], o);
  return out;
}

// TF's SAME padding (before, after) for one dimension
function samePads(n, k, s, d) {
  const out = Math.ceil(n / s), total = Math.max((out - 1) * s + (k - 1) * d + 1 - n, 0);
  return [Math.floor(total / 2), total - Math.floor(total / 2)];
}

export function buildTflite(g, int8) {
  const b = new flatbuffers.Builder(1 << 22);
  const tensors = [], buffers = [new Uint8Array(0)], operators = [], codes = [];
  const vec = (xs, add, size) => { b.startVector(size, xs.length, size); for (let i = xs.length - 1; i >= 0; i--) add.call(b, xs[i]); return b.endVector(); };
  const i32v = (xs) => vec(xs, b.addInt32, 4), f32v = (xs) => vec(xs, b.addFloat32, 4);
  const i64v = (xs) => vec(xs.map(BigInt), b.addInt64, 8);
  const buffer = (typed) => { buffers.push(new Uint8Array(typed.buffer, typed.byteOffset, typed.byteLength)); return buffers.length - 1; };
  // tensor: {shape, type, name, data?: TypedArray, q?: {scale: [], zp: [], dim}}
  const tensor = (t) => { tensors.push(t); return tensors.length - 1; };
  const opcode = (code) => { let i = codes.indexOf(code); if (i < 0) { codes.push(code); i = codes.length - 1; } return i; };
  // codes above 127 (QUANTIZE) go in builtin_code only; deprecated_builtin_code then holds 127 (the placeholder)
  const op = (code, inputs, outputs, optType = OPTS.NONE, opts = null) => operators.push({ code: opcode(code), inputs, outputs, optType, opts });

  const V = g.values;
  const act = (v) => (V[v][4] === -128 ? RELU : NO_ACT);
  const valueTensor = {};
  const valueOf = (v, shape = [1, V[v][0], V[v][1], V[v][2]]) => {
    if (valueTensor[v] === undefined)
      valueTensor[v] = tensor({ shape, type: int8 ? T.INT8 : T.FLOAT32, name: `v${v}`, q: int8 ? { scale: [V[v][3]], zp: [V[v][4]] } : null });
    return valueTensor[v];
  };
  // LiteRT.js takes float tensors only: the int8 graph starts with QUANTIZE, which gives back the engine's
  // int8 input exactly when fed its dequantized values.
  let input = valueOf(0);
  if (int8) {
    input = tensor({ shape: tensors[input].shape, type: T.FLOAT32, name: 'input' });
    op(OP.QUANTIZE, [input], [valueOf(0)]);
  }
  let logits = -1;
  for (const [i, o] of g.ops.entries()) {
    if (o.type === CONV) {
      if (o.groups !== 1 || o.dh !== 1 || o.dw !== 1) throw new Error(`op ${i}: grouped or dilated conv has no mapping here`);
      const [ih, iw, ic, is] = V[o.input], O = o.w.shape[0];
      const ws = o.w_scale.data;
      const [pt, pl, pb, pr] = o.pad;
      const same = [...samePads(ih, o.kh, o.sh, 1), ...samePads(iw, o.kw, o.sw, 1)];
      let x = valueOf(o.input), padding = VALID;
      if (pt === same[0] && pb === same[1] && pl === same[2] && pr === same[3]) padding = SAME;
      else if (pt || pl || pb || pr) {
        const paddings = tensor({ shape: [4, 2], type: T.INT32, name: `pad${i}`, data: new Int32Array([0, 0, pt, pb, pl, pr, 0, 0]) });
        const xp = tensor({ shape: [1, ih + pt + pb, iw + pl + pr, ic], type: int8 ? T.INT8 : T.FLOAT32, name: `v${o.input}_pad${i}`,
          q: int8 ? { scale: [is], zp: [V[o.input][4]] } : null });
        op(OP.PAD, [x, paddings], [xp], OPTS.PadOptions, 'pad');
        x = xp;
      }
      let w, bias;
      if (int8) {
        w = tensor({ shape: [O, o.kh, o.kw, ic], type: T.INT8, name: `w${i}`, data: ohwi(o.w, (x) => x, Int8Array),
          q: { scale: Array.from(ws), zp: new Array(O).fill(0), dim: 0 } });
        bias = tensor({ shape: [O], type: T.INT32, name: `b${i}`, data: Int32Array.from(o.bias.data),
          q: { scale: Array.from(ws, (s) => Math.fround(is) * s), zp: new Array(O).fill(0), dim: 0 } });
      } else {
        w = tensor({ shape: [O, o.kh, o.kw, ic], type: T.FLOAT32, name: `w${i}`, data: ohwi(o.w, (x, oc) => x * ws[oc]) });
        bias = tensor({ shape: [O], type: T.FLOAT32, name: `b${i}`, data: Float32Array.from(o.bias.data, (v, oc) => v * is * ws[oc]) });
      }
      op(OP.CONV_2D, [x, w, bias], [valueOf(o.output)], OPTS.Conv2DOptions, { padding, sw: o.sw, sh: o.sh, act: act(o.output) });
    } else if (o.type === ADD) {
      op(OP.ADD, [valueOf(o.a), valueOf(o.b)], [valueOf(o.output)], OPTS.AddOptions, { act: act(o.output) });
    } else if (o.type === GAP) {
      const axes = tensor({ shape: [2], type: T.INT32, name: `axes${i}`, data: new Int32Array([1, 2]) });
      op(OP.MEAN, [valueOf(o.input), axes], [valueOf(o.output, [1, V[o.output][2]])], OPTS.ReducerOptions, { keepDims: false });
    } else if (o.type === LOGITS) {
      const [, , ic] = V[o.input], K = o.w.shape[0], ws = o.w_scale.data;
      let x = valueOf(o.input);
      if (int8) {
        const xf = tensor({ shape: tensors[x].shape, type: T.FLOAT32, name: `v${o.input}_f32` });
        op(OP.DEQUANTIZE, [x], [xf]);
        x = xf;
      }
      // the engine: logits = (in_scale * w_scale) * sum(w * (x - zp)) + bias; here the float input is in_scale * (x - zp)
      const w = tensor({ shape: [K, ic], type: T.FLOAT32, name: `w${i}`, data: Float32Array.from(o.w.data, (v, j) => v * ws[Math.floor(j / ic)]) });
      const bias = tensor({ shape: [K], type: T.FLOAT32, name: `b${i}`, data: Float32Array.from(o.bias.data) });
      logits = tensor({ shape: [1, K], type: T.FLOAT32, name: 'logits' });
      op(OP.FULLY_CONNECTED, [x, w, bias], [logits], OPTS.FullyConnectedOptions, { act: NO_ACT });
    } else {
      throw new Error(`op ${i}: type ${o.type} has no TFLite mapping here`);
    }
  }
  if (logits < 0) throw new Error('the graph has no LOGITS op');
  for (const t of tensors) if (t.data) t.buffer = buffer(t.data);

  // ---- flatbuffer, innermost tables first -------------------------------------------------
  const bufferOffs = buffers.map((bytes) => {
    let data = 0;
    if (bytes.length) {
      b.startVector(1, bytes.length, 16);                          // Buffer.data is force_align: 16
      for (let i = bytes.length - 1; i >= 0; i--) b.addInt8(bytes[i]);
      data = b.endVector();
    }
    b.startObject(3);
    if (data) b.addFieldOffset(0, data, 0);
    return b.endObject();
  });
  const tensorOffs = tensors.map((t) => {
    const name = b.createString(t.name), shape = i32v(t.shape);
    let quant = 0;
    if (t.q) {
      const scale = f32v(t.q.scale), zp = i64v(t.q.zp);
      b.startObject(7);                                            // QuantizationParameters
      b.addFieldOffset(2, scale, 0);
      b.addFieldOffset(3, zp, 0);
      if (t.q.dim !== undefined) b.addFieldInt32(6, t.q.dim, 0);
      quant = b.endObject();
    }
    b.startObject(10);                                             // Tensor
    b.addFieldOffset(0, shape, 0);
    b.addFieldInt8(1, t.type, 0);
    b.addFieldInt32(2, t.buffer || 0, 0);
    b.addFieldOffset(3, name, 0);
    if (quant) b.addFieldOffset(4, quant, 0);
    return b.endObject();
  });
  const optionsTable = (type, o) => {
    if (type === OPTS.NONE) return 0;
    if (type === OPTS.Conv2DOptions) {
      b.startObject(7);
      b.forceDefaults(true);
      b.addFieldInt8(0, o.padding, SAME);
      b.addFieldInt32(1, o.sw, 0);
      b.addFieldInt32(2, o.sh, 0);
      b.addFieldInt8(3, o.act, NO_ACT);
      b.forceDefaults(false);
      return b.endObject();
    }
    if (type === OPTS.AddOptions || type === OPTS.FullyConnectedOptions) {
      b.startObject(type === OPTS.AddOptions ? 2 : 5);
      b.addFieldInt8(0, o.act, NO_ACT);
      return b.endObject();
    }
    if (type === OPTS.ReducerOptions) { b.startObject(1); b.addFieldInt8(0, o.keepDims ? 1 : 0, 0); return b.endObject(); }
    if (type === OPTS.PadOptions) { b.startObject(0); return b.endObject(); }
    throw new Error(`options type ${type}`);
  };
  const opOffs = operators.map((o) => {
    const ins = i32v(o.inputs), outs = i32v(o.outputs), opts = optionsTable(o.optType, o.opts);
    b.startObject(5);                                              // Operator
    b.addFieldInt32(0, o.code, 0);
    b.addFieldOffset(1, ins, 0);
    b.addFieldOffset(2, outs, 0);
    if (opts) { b.addFieldInt8(3, o.optType, 0); b.addFieldOffset(4, opts, 0); }
    return b.endObject();
  });
  const codeOffs = codes.map((c) => {
    b.startObject(4);                                              // OperatorCode
    b.addFieldInt8(0, Math.min(c, 127), 0);
    b.addFieldInt32(2, 1, 1);
    b.addFieldInt32(3, c, 0);
    return b.endObject();
  });
  const offVec = (offs) => { b.startVector(4, offs.length, 4); for (let i = offs.length - 1; i >= 0; i--) b.addOffset(offs[i]); return b.endVector(); };
  const sgName = b.createString(g.name);
  const sgTensors = offVec(tensorOffs), sgIn = i32v([input]), sgOut = i32v([logits]), sgOps = offVec(opOffs);
  b.startObject(5);                                                // SubGraph
  b.addFieldOffset(0, sgTensors, 0);
  b.addFieldOffset(1, sgIn, 0);
  b.addFieldOffset(2, sgOut, 0);
  b.addFieldOffset(3, sgOps, 0);
  b.addFieldOffset(4, sgName, 0);
  const subgraph = b.endObject();
  const tmap = (name, index) => { const n = b.createString(name); b.startObject(2); b.addFieldOffset(0, n, 0); b.addFieldInt32(1, index, 0); return b.endObject(); };
  const sigIn = offVec([tmap('input', input)]), sigOut = offVec([tmap('logits', logits)]), sigKey = b.createString('serving_default');
  b.startObject(5);                                                // SignatureDef
  b.addFieldOffset(0, sigIn, 0);
  b.addFieldOffset(1, sigOut, 0);
  b.addFieldOffset(2, sigKey, 0);
  b.addFieldInt32(4, 0, 0);
  const signature = b.endObject();
  const mCodes = offVec(codeOffs), mSubgraphs = offVec([subgraph]), mBuffers = offVec(bufferOffs), mSigs = offVec([signature]);
  const desc = b.createString(`bloodcell ${g.name} (${int8 ? 'int8' : 'f32'}), written by scripts/model/export_tflite.mjs`);
  b.startObject(8);                                                // Model
  b.addFieldInt32(0, 3, 0);
  b.addFieldOffset(1, mCodes, 0);
  b.addFieldOffset(2, mSubgraphs, 0);
  b.addFieldOffset(3, desc, 0);
  b.addFieldOffset(4, mBuffers, 0);
  b.addFieldOffset(7, mSigs, 0);
  b.finish(b.endObject(), 'TFL3');
  return b.asUint8Array();
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const args = process.argv.slice(2);
  const opt = (n, d) => { const i = args.indexOf(n); return i >= 0 ? args[i + 1] : d; };
  const model = opt('--model', join(ROOT, 'models/bloodcell.bin')), out = opt('--out', join(ROOT, 'build/race'));
  let text, g;
  try { text = graphJson(model); g = parseGraph(text); } catch (e) {
    console.error(`export_tflite: cannot read model ${model}: ${String(e.stderr || e.message).trim()}`); process.exit(1);
  }
  mkdirSync(out, { recursive: true });
  writeFileSync(join(out, 'graph.json'), text);
  for (const [int8, name] of [[true, 'bloodcell-int8.tflite'], [false, 'bloodcell-f32.tflite']]) {
    const bytes = buildTflite(g, int8);
    writeFileSync(join(out, name), bytes);
    console.log(`wrote ${join(out, name)} (${bytes.length} bytes)`);
  }
}
