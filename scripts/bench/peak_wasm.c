/* peak_wasm.c - the measured ceiling for int8 kernels in this wasm engine: a loop of
 * independent i32x4.dot_i16x8_s with operands in registers (8 MACs per dot).
 * Built by scripts/bench.sh; called from scripts/bench/bench_wasm.mjs. */
#include <emscripten.h>
#include <wasm_simd128.h>

EMSCRIPTEN_KEEPALIVE int bc_peak_dot(int iters, int seed) {
  v128_t a0 = wasm_i16x8_splat((short)seed), a1 = wasm_i16x8_splat((short)(seed + 1));
  v128_t a2 = wasm_i16x8_splat((short)(seed + 2)), a3 = wasm_i16x8_splat((short)(seed + 3));
  const v128_t b0 = wasm_i16x8_splat(3), b1 = wasm_i16x8_splat(5);
  v128_t c0 = wasm_i32x4_splat(0), c1 = c0, c2 = c0, c3 = c0;
  for (int i = 0; i < iters; i++) {
    /* 8 independent dots (64 MACs) per iteration, summed in pairs first so the loop-carried
     * dependency is one i32x4.add per accumulator and the dots' latency is hidden. */
    c0 = wasm_i32x4_add(c0, wasm_i32x4_add(wasm_i32x4_dot_i16x8(a0, b0), wasm_i32x4_dot_i16x8(a1, b1)));
    c1 = wasm_i32x4_add(c1, wasm_i32x4_add(wasm_i32x4_dot_i16x8(a2, b0), wasm_i32x4_dot_i16x8(a3, b1)));
    c2 = wasm_i32x4_add(c2, wasm_i32x4_add(wasm_i32x4_dot_i16x8(a0, b1), wasm_i32x4_dot_i16x8(a1, b0)));
    c3 = wasm_i32x4_add(c3, wasm_i32x4_add(wasm_i32x4_dot_i16x8(a2, b1), wasm_i32x4_dot_i16x8(a3, b0)));
    /* keep the operands varying so nothing is hoisted out of the loop */
    a0 = wasm_i16x8_add(a0, b1);
  }
  const v128_t c4 = c0, c5 = c1, c6 = c2, c7 = c3;
  v128_t s = wasm_i32x4_add(wasm_i32x4_add(wasm_i32x4_add(c0, c1), wasm_i32x4_add(c2, c3)),
                            wasm_i32x4_add(wasm_i32x4_add(c4, c5), wasm_i32x4_add(c6, c7)));
  return wasm_i32x4_extract_lane(s, 0) + wasm_i32x4_extract_lane(s, 3);
}
