/* qs8 average pool, WebAssembly SIMD128: 8 channels a step, int32 sums, fp32 requantization. */
#include <wasm_simd128.h>
#include "../kernels.h"

static inline v128_t requant8(v128_t accl, v128_t acch, v128_t scale, v128_t lo, v128_t hi, v128_t zp) {
  v128_t fl = wasm_f32x4_mul(wasm_f32x4_convert_i32x4(accl), scale);
  v128_t fh = wasm_f32x4_mul(wasm_f32x4_convert_i32x4(acch), scale);
  fl = wasm_f32x4_pmin(wasm_f32x4_pmax(fl, lo), hi);
  fh = wasm_f32x4_pmin(wasm_f32x4_pmax(fh, lo), hi);
  const v128_t r = wasm_i16x8_add_sat(
      wasm_i16x8_narrow_i32x4(wasm_i32x4_trunc_sat_f32x4(wasm_f32x4_nearest(fl)),
                              wasm_i32x4_trunc_sat_f32x4(wasm_f32x4_nearest(fh))), zp);
  return wasm_i8x16_narrow_i16x8(r, r);
}

void bc_qs8_avgpool__wasmsimd(size_t pixels, size_t channels, size_t ks, const int8_t **a,
                              int8_t *c, size_t c_stride, int32_t bias, float scale,
                              const bc_qs8_params *params) {
  const v128_t vs = wasm_f32x4_splat(scale), vb = wasm_i32x4_splat(bias);
  const v128_t lo = wasm_f32x4_splat(params->min_less_zp), hi = wasm_f32x4_splat(params->max_less_zp);
  const v128_t zp = wasm_i16x8_splat((int16_t)params->output_zero_point);
  for (size_t p = 0; p < pixels; p++, a += ks, c += c_stride) {
    size_t i = 0;
    for (; i + 8 <= channels; i += 8) {
      v128_t accl = vb, acch = vb;
      for (size_t t = 0; t < ks; t++) {
        const v128_t x = wasm_i16x8_load8x8(a[t] + i);
        accl = wasm_i32x4_add(accl, wasm_i32x4_extend_low_i16x8(x));
        acch = wasm_i32x4_add(acch, wasm_i32x4_extend_high_i16x8(x));
      }
      wasm_v128_store64_lane(c + i, requant8(accl, acch, vs, lo, hi, zp), 0);
    }
    for (; i < channels; i++) {
      int32_t acc = bias;
      for (size_t t = 0; t < ks; t++) acc += a[t][i];
      c[i] = bc_requantize_fp32(acc, scale, params);
    }
  }
}

void bc_qs8_gavgpool__wasmsimd(size_t rows, size_t channels, const int8_t *a, int32_t *acc,
                               int8_t *c, int32_t bias, float scale, const bc_qs8_params *params) {
  const v128_t vs = wasm_f32x4_splat(scale), vb = wasm_i32x4_splat(bias);
  const v128_t lo = wasm_f32x4_splat(params->min_less_zp), hi = wasm_f32x4_splat(params->max_less_zp);
  const v128_t zp = wasm_i16x8_splat((int16_t)params->output_zero_point);
  size_t i = 0;
  for (; i + 8 <= channels; i += 8) {
    v128_t accl = vb, acch = vb;
    const int8_t *p = a + i;
    for (size_t r = 0; r < rows; r++, p += channels) {
      const v128_t x = wasm_i16x8_load8x8(p);
      accl = wasm_i32x4_add(accl, wasm_i32x4_extend_low_i16x8(x));
      acch = wasm_i32x4_add(acch, wasm_i32x4_extend_high_i16x8(x));
    }
    wasm_v128_store64_lane(c + i, requant8(accl, acch, vs, lo, hi, zp), 0);
  }
  for (; i < channels; i++) {
    acc[i] = bias;
    for (size_t r = 0; r < rows; r++) acc[i] += a[r * channels + i];
    c[i] = bc_requantize_fp32(acc[i], scale, params);
  }
}
