// bloodcell.d.ts - types of the emscripten module bloodcell.js (built from src/wasm_api.c).
// Most callers want engine.js, which wraps these calls and copies results out of the heap.
// Pointers are byte offsets into HEAPU8; `Engine` is an opaque engine handle (0 on failure).

type Ptr = number;
type Engine = number;

export interface BloodcellModule {
  HEAP8: Int8Array;
  HEAPU8: Uint8Array;
  HEAP32: Int32Array;
  HEAPF32: Float32Array;
  _malloc(bytes: number): Ptr;
  _free(ptr: Ptr): void;
  UTF8ToString(ptr: Ptr): string;

  /** Parses and validates a model file; 0 on error, then _bc_wasm_error() says why. */
  _bc_wasm_load(model: Ptr, length: number): Engine;
  _bc_wasm_free(e: Engine): void;
  /** Last error message (a C string). */
  _bc_wasm_error(): Ptr;

  /** Image bytes (JPEG, PNG, BMP) -> decode -> preprocess -> forward. 0 ok, else a bc_status. */
  _bc_wasm_classify(e: Engine, bytes: Ptr, length: number): number;
  /** Decoded pixels (channels 1..4, 8 bits) -> preprocess -> forward. */
  _bc_wasm_classify_pixels(e: Engine, pixels: Ptr, width: number, height: number, channels: number): number;
  /** Image bytes -> preprocess only (fills the input tensor). */
  _bc_wasm_preprocess(e: Engine, bytes: Ptr, length: number): number;
  /** Forward pass on the current input tensor. */
  _bc_wasm_forward(e: Engine): void;
  /** The int8 input tensor, S*S*3 NHWC. */
  _bc_wasm_input(e: Engine): Ptr;

  /** float32[K] after a successful classify: softmax(logits / T), logits, and the GAP embedding. */
  _bc_wasm_probs(e: Engine): Ptr;
  _bc_wasm_logits(e: Engine): Ptr;
  _bc_wasm_embedding(e: Engine): Ptr;
  /** The S*S*3 RGB image the model saw. */
  _bc_wasm_rgb(e: Engine): Ptr;
  /** int32[16], how the last image was framed: a bc_frame_result (src/frame.h) in its field order. */
  _bc_wasm_frame(e: Engine): Ptr;
  /** The model file's resize mode: 0 centre crop, 1 scale-aware framing (models/FORMAT.md). */
  _bc_wasm_resize_mode(e: Engine): number;
  /** The framing analysis alone on decoded pixels: int32[16] as above (0 when out of memory). */
  _bc_wasm_frame_pixels(pixels: Ptr, width: number, height: number, channels: number): Ptr;
  /** Class activation map of class k into out (cam_height * cam_width float32). */
  _bc_wasm_cam(e: Engine, k: number, out: Ptr): number;

  _bc_wasm_num_classes(e: Engine): number;
  _bc_wasm_class_name(e: Engine, k: number): Ptr;
  _bc_wasm_input_size(e: Engine): number;
  _bc_wasm_embedding_dim(e: Engine): number;
  _bc_wasm_cam_height(e: Engine): number;
  _bc_wasm_cam_width(e: Engine): number;
  _bc_wasm_model_name(e: Engine): Ptr;
  /** Kernel set in use: "wasmsimd". */
  _bc_wasm_isa(e: Engine): Ptr;

  /** Benchmark hooks: op count, run op i alone, its multiply-accumulates and a description. */
  _bc_wasm_num_ops(e: Engine): number;
  _bc_wasm_run_op(e: Engine, i: number): void;
  _bc_wasm_op_macs(e: Engine, i: number): number;
  _bc_wasm_op_desc(e: Engine, i: number): Ptr;
}

export interface BloodcellModuleOptions {
  /** The .wasm bytes; without it the module fetches bloodcell.wasm next to bloodcell.js. */
  wasmBinary?: ArrayBuffer | Uint8Array;
  instantiateWasm?(imports: WebAssembly.Imports, receive: (instance: WebAssembly.Instance, module: WebAssembly.Module) => void): object;
}

export default function createBloodcellModule(options?: BloodcellModuleOptions): Promise<BloodcellModule>;
