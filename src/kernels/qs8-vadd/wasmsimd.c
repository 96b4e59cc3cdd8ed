/* qs8 element-wise add, WebAssembly SIMD128: 8 elements a step, fp32 like the scalar reference. */
#include <math.h>
#include <wasm_simd128.h>
#include "../kernels.h"

static inline v128_t dequant4(v128_t x16, int high, v128_t zp, v128_t s) {
  v128_t x = high ? wasm_i32x4_extend_high_i16x8(x16) : wasm_i32x4_extend_low_i16x8(x16);
  return wasm_f32x4_mul(wasm_f32x4_convert_i32x4(wasm_i32x4_sub(x, zp)), s);
}

void bc_qs8_vadd__wasmsimd(size_t n, const int8_t *a, const int8_t *b, int8_t *c,
                           const bc_qs8_add_params *params) {
  const bc_qs8_params *o = &params->out;
  const v128_t za = wasm_i32x4_splat(params->a_zero_point), zb = wasm_i32x4_splat(params->b_zero_point);
  const v128_t sa = wasm_f32x4_splat(params->a_scale), sb = wasm_f32x4_splat(params->b_scale);
  const v128_t lo = wasm_f32x4_splat(o->min_less_zp), hi = wasm_f32x4_splat(o->max_less_zp);
  const v128_t zp = wasm_i16x8_splat((int16_t)o->output_zero_point);
  size_t i = 0;
  for (; i + 8 <= n; i += 8) {
    const v128_t va = wasm_i16x8_load8x8(a + i), vb = wasm_i16x8_load8x8(b + i);
    v128_t fl = wasm_f32x4_add(dequant4(va, 0, za, sa), dequant4(vb, 0, zb, sb));
    v128_t fh = wasm_f32x4_add(dequant4(va, 1, za, sa), dequant4(vb, 1, zb, sb));
    fl = wasm_f32x4_pmin(wasm_f32x4_pmax(fl, lo), hi);
    fh = wasm_f32x4_pmin(wasm_f32x4_pmax(fh, lo), hi);
    const v128_t r = wasm_i16x8_add_sat(
        wasm_i16x8_narrow_i32x4(wasm_i32x4_trunc_sat_f32x4(wasm_f32x4_nearest(fl)),
                                wasm_i32x4_trunc_sat_f32x4(wasm_f32x4_nearest(fh))), zp);
    wasm_v128_store64_lane(c + i, wasm_i8x16_narrow_i16x8(r, r), 0);
  }
  for (; i < n; i++) {
    float f = (float)(a[i] - params->a_zero_point) * params->a_scale +
              (float)(b[i] - params->b_zero_point) * params->b_scale;
    f = f < o->min_less_zp ? o->min_less_zp : f;
    f = f > o->max_less_zp ? o->max_less_zp : f;
    c[i] = (int8_t)((int32_t)lrintf(f) + o->output_zero_point);
  }
}
