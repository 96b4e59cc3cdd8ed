/* Winograd F(2x2, 3x3) input transform for WebAssembly SIMD128: 8 channels a step, as int16.
 * Reads 8 int8 channels per patch position (up to 7 past the last channel: activation buffers keep
 * BC_KERNEL_OVERREAD slack, and V's rows are rounded up to 8 channels, so the spare lanes land in
 * V's own row padding). */
#include <wasm_simd128.h>
#include "../kernels.h"

void bc_qs8_wino2x3_itrans__wasmsimd(size_t tiles, size_t t0, size_t tiles_w, size_t in_h, size_t in_w,
                                     size_t channels, const int8_t *input, int32_t zero_point,
                                     ptrdiff_t pad_top, ptrdiff_t pad_left, int16_t *v, size_t v_xi_stride,
                                     size_t v_row_stride) {
  const v128_t zp = wasm_i16x8_splat((int16_t)zero_point);
  for (size_t t = t0; t < t0 + tiles; t++) {
    const ptrdiff_t y0 = (ptrdiff_t)(t / tiles_w) * 2 - pad_top, x0 = (ptrdiff_t)(t % tiles_w) * 2 - pad_left;
    const int inside = y0 >= 0 && x0 >= 0 && y0 + 4 <= (ptrdiff_t)in_h && x0 + 4 <= (ptrdiff_t)in_w;
    int16_t *vt = v + (t - t0) * v_row_stride;
    for (size_t c = 0; c < channels; c += 8) {
      v128_t d[4][4];
      for (int i = 0; i < 4; i++)
        for (int j = 0; j < 4; j++) {
          const ptrdiff_t y = y0 + i, x = x0 + j;
          d[i][j] = inside || (y >= 0 && y < (ptrdiff_t)in_h && x >= 0 && x < (ptrdiff_t)in_w)
                        ? wasm_i16x8_load8x8(input + ((size_t)y * in_w + (size_t)x) * channels + c) : zp;
        }
      v128_t r[4][4];
      for (int j = 0; j < 4; j++) {
        r[0][j] = wasm_i16x8_sub(d[0][j], d[2][j]); r[1][j] = wasm_i16x8_add(d[1][j], d[2][j]);
        r[2][j] = wasm_i16x8_sub(d[2][j], d[1][j]); r[3][j] = wasm_i16x8_sub(d[1][j], d[3][j]);
      }
      for (int i = 0; i < 4; i++) {
        int16_t *o = vt + (size_t)(4 * i) * v_xi_stride + c;
        wasm_v128_store(o, wasm_i16x8_sub(r[i][0], r[i][2]));
        wasm_v128_store(o + v_xi_stride, wasm_i16x8_add(r[i][1], r[i][2]));
        wasm_v128_store(o + 2 * v_xi_stride, wasm_i16x8_sub(r[i][2], r[i][1]));
        wasm_v128_store(o + 3 * v_xi_stride, wasm_i16x8_sub(r[i][1], r[i][3]));
      }
    }
  }
}
