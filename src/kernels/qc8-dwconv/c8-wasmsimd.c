/* qc8 depthwise conv, 8 channels a step, WebAssembly SIMD128: i32x4.extmul of the int8 input
 * (widened to int16) by the pre-widened int16 weights. */
#include <string.h>
#include <wasm_simd128.h>
#include "../kernels.h"

void bc_qc8_dwconv_c8__wasmsimd(size_t pixels, size_t channels, size_t ks, const int8_t **a,
                                const void *w, int8_t *c, size_t c_stride, size_t a_offset,
                                const int8_t *zero, const bc_qs8_params *params) {
  const size_t block_bytes = BC_DWCONV_CR * (sizeof(int32_t) + ks * sizeof(int16_t) + sizeof(float));
  const v128_t lo = wasm_f32x4_splat(params->min_less_zp);
  const v128_t hi = wasm_f32x4_splat(params->max_less_zp);
  const v128_t zp = wasm_i16x8_splat((int16_t)params->output_zero_point);
  for (size_t p = 0; p < pixels; p++, a += ks, c += c_stride) {
    const uint8_t *wp = (const uint8_t *)w;
    for (size_t c0 = 0; c0 < channels; c0 += BC_DWCONV_CR, wp += block_bytes) {
      v128_t accl = wasm_v128_load(wp), acch = wasm_v128_load(wp + 16);
      const uint8_t *wt = wp + 32;
      for (size_t t = 0; t < ks; t++, wt += 16) {
        const int8_t *x = a[t] == zero ? zero : a[t] + a_offset;
        const v128_t vx = wasm_i16x8_load8x8(x + c0);
        const v128_t vk = wasm_v128_load(wt);
        accl = wasm_i32x4_add(accl, wasm_i32x4_extmul_low_i16x8(vx, vk));
        acch = wasm_i32x4_add(acch, wasm_i32x4_extmul_high_i16x8(vx, vk));
      }
      v128_t fl = wasm_f32x4_mul(wasm_f32x4_convert_i32x4(accl), wasm_v128_load(wt));
      v128_t fh = wasm_f32x4_mul(wasm_f32x4_convert_i32x4(acch), wasm_v128_load(wt + 16));
      fl = wasm_f32x4_pmin(wasm_f32x4_pmax(fl, lo), hi);
      fh = wasm_f32x4_pmin(wasm_f32x4_pmax(fh, lo), hi);
      const v128_t r = wasm_i16x8_add_sat(
          wasm_i16x8_narrow_i32x4(wasm_i32x4_trunc_sat_f32x4(wasm_f32x4_nearest(fl)),
                                  wasm_i32x4_trunc_sat_f32x4(wasm_f32x4_nearest(fh))), zp);
      const v128_t o = wasm_i8x16_narrow_i16x8(r, r);
      const size_t cb = channels - c0 < BC_DWCONV_CR ? channels - c0 : BC_DWCONV_CR;
      if (cb == BC_DWCONV_CR) {
        wasm_v128_store64_lane(c + c0, o, 0);
      } else {
        int8_t tmp[16];
        wasm_v128_store(tmp, o);
        memcpy(c + c0, tmp, cb);
      }
    }
  }
}
