/* peak_wasm.c - the measured ceiling for int8 kernels in this wasm engine: i32x4.dot_i16x8_s
 * (8 MACs each) feeding 8 independent i32x4.add accumulators, the inner step of every igemm kernel.
 * The four activation vectors are loaded from a small L1-resident table indexed by the loop
 * counter, so the compiler cannot hoist any dot out of the loop (an earlier version used
 * loop-invariant operands and LLVM moved 3/4 of the dots out: its "peak" was 4x too high).
 * Per iteration: 4 loads, 8 dots, 8 adds, as in a 4-row kernel's best case.
 * Built by scripts/bench/bench.sh and the Makefile; called from the node and browser benchmarks. */
#include <emscripten.h>
#include <wasm_simd128.h>

static int16_t table[16][4][8];

EMSCRIPTEN_KEEPALIVE int bc_peak_dot(int iters, int seed) {
  for (int i = 0; i < 16; i++)
    for (int r = 0; r < 4; r++)
      for (int k = 0; k < 8; k++) table[i][r][k] = (int16_t)((seed + i * 31 + r * 7 + k) % 127 - 63);
  /* run-time values, not constants: V8 would rematerialize a v128.const inside the loop */
  const v128_t b0 = wasm_i16x8_splat((int16_t)(seed % 5 + 3)), b1 = wasm_i16x8_splat((int16_t)(-5 - seed % 3));
  v128_t c0 = wasm_i32x4_splat(0), c1 = c0, c2 = c0, c3 = c0, c4 = c0, c5 = c0, c6 = c0, c7 = c0;
  for (int i = 0; i < iters; i++) {
    const int16_t *t = table[i & 15][0];
    const v128_t a0 = wasm_v128_load(t), a1 = wasm_v128_load(t + 8);
    const v128_t a2 = wasm_v128_load(t + 16), a3 = wasm_v128_load(t + 24);
    c0 = wasm_i32x4_add(c0, wasm_i32x4_dot_i16x8(a0, b0));
    c1 = wasm_i32x4_add(c1, wasm_i32x4_dot_i16x8(a0, b1));
    c2 = wasm_i32x4_add(c2, wasm_i32x4_dot_i16x8(a1, b0));
    c3 = wasm_i32x4_add(c3, wasm_i32x4_dot_i16x8(a1, b1));
    c4 = wasm_i32x4_add(c4, wasm_i32x4_dot_i16x8(a2, b0));
    c5 = wasm_i32x4_add(c5, wasm_i32x4_dot_i16x8(a2, b1));
    c6 = wasm_i32x4_add(c6, wasm_i32x4_dot_i16x8(a3, b0));
    c7 = wasm_i32x4_add(c7, wasm_i32x4_dot_i16x8(a3, b1));
  }
  v128_t s = wasm_i32x4_add(wasm_i32x4_add(wasm_i32x4_add(c0, c1), wasm_i32x4_add(c2, c3)),
                            wasm_i32x4_add(wasm_i32x4_add(c4, c5), wasm_i32x4_add(c6, c7)));
  return wasm_i32x4_extract_lane(s, 0) + wasm_i32x4_extract_lane(s, 3);
}
