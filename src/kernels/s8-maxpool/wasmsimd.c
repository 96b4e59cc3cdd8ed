/* s8 max pool, WebAssembly SIMD128: 16 channels a step with i8x16.max_s. */
#include <wasm_simd128.h>
#include "../kernels.h"

void bc_s8_maxpool__wasmsimd(size_t pixels, size_t channels, size_t ks, const int8_t **a,
                             int8_t *c, size_t c_stride, int8_t out_min, int8_t out_max) {
  const v128_t vmin = wasm_i8x16_splat(out_min), vmax = wasm_i8x16_splat(out_max);
  for (size_t p = 0; p < pixels; p++, a += ks, c += c_stride) {
    size_t i = 0;
    for (; i + 16 <= channels; i += 16) {
      v128_t m = wasm_v128_load(a[0] + i);
      for (size_t t = 1; t < ks; t++) m = wasm_i8x16_max(m, wasm_v128_load(a[t] + i));
      m = wasm_i8x16_min(wasm_i8x16_max(m, vmin), vmax);
      wasm_v128_store(c + i, m);
    }
    for (; i < channels; i++) {
      int8_t m = a[0][i];
      for (size_t t = 1; t < ks; t++) m = a[t][i] > m ? a[t][i] : m;
      m = m < out_min ? out_min : m;
      c[i] = m > out_max ? out_max : m;
    }
  }
}
