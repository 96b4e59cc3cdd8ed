// race_input.mjs - the engine's own preprocessed input as the float NCHW tensor the ONNX graphs take.
// Both racers then see the same numbers: real = scale * (q - zero_point) of the engine's int8 input.
export function engineInputAsNCHW(engine, inputScale, inputZeroPoint) {
  const S = engine.inputSize, mod = engine.mod;
  const q = new Int8Array(mod.HEAP8.buffer, mod._bc_wasm_input(engine.e), S * S * 3);
  const x = new Float32Array(3 * S * S);
  for (let i = 0; i < S * S; i++)
    for (let c = 0; c < 3; c++) x[c * S * S + i] = inputScale * (q[3 * i + c] - inputZeroPoint);
  return x;
}

// The same numbers in NHWC, as the .tflite and tfjs racers take them.
export function engineInputAsNHWC(engine, inputScale, inputZeroPoint) {
  const S = engine.inputSize, mod = engine.mod;
  const q = new Int8Array(mod.HEAP8.buffer, mod._bc_wasm_input(engine.e), S * S * 3);
  return Float32Array.from(q, (v) => inputScale * (v - inputZeroPoint));
}
