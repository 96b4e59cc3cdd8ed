/* dot-4x8c2-wasmsimd.h - the inner loop shared by the igemm and Winograd 4x8c2 SIMD128 kernels.
 *
 * acc[2 m], acc[2 m + 1] (channels 0-3, 4-7 of row m) += sum over k pairs of row m's int16 pair
 * (one v128.load32_splat) dotted with the packed int16 weights (two v128 per pair, i32x4.dot_i16x8_s).
 * Returns the weights just past the kc_padded / 2 pairs read. Inlined: the 8 accumulators stay in
 * registers (11 live vectors, no spills under V8). */
#ifndef BC_DOT_4X8C2_WASMSIMD_H
#define BC_DOT_4X8C2_WASMSIMD_H

#include <wasm_simd128.h>
#include <stddef.h>
#include <stdint.h>
#include "kernels.h"

static inline const int8_t *bc_dot_4x8c2__wasmsimd(size_t kc_padded, const int16_t *a0, const int16_t *a1,
                                                   const int16_t *a2, const int16_t *a3, const int8_t *wp,
                                                   v128_t acc[8]) {
  v128_t acc0l = acc[0], acc0h = acc[1], acc1l = acc[2], acc1h = acc[3];
  v128_t acc2l = acc[4], acc2h = acc[5], acc3l = acc[6], acc3h = acc[7];
  for (size_t k = 0; k < kc_padded; k += 2) {
    const v128_t wl = wasm_v128_load(wp);
    const v128_t wh = wasm_v128_load(wp + 16);
    wp += 32;
    v128_t x = wasm_v128_load32_splat(a0 + k);
    acc0l = wasm_i32x4_add(acc0l, wasm_i32x4_dot_i16x8(x, wl));
    acc0h = wasm_i32x4_add(acc0h, wasm_i32x4_dot_i16x8(x, wh));
    x = wasm_v128_load32_splat(a1 + k);
    acc1l = wasm_i32x4_add(acc1l, wasm_i32x4_dot_i16x8(x, wl));
    acc1h = wasm_i32x4_add(acc1h, wasm_i32x4_dot_i16x8(x, wh));
    x = wasm_v128_load32_splat(a2 + k);
    acc2l = wasm_i32x4_add(acc2l, wasm_i32x4_dot_i16x8(x, wl));
    acc2h = wasm_i32x4_add(acc2h, wasm_i32x4_dot_i16x8(x, wh));
    x = wasm_v128_load32_splat(a3 + k);
    acc3l = wasm_i32x4_add(acc3l, wasm_i32x4_dot_i16x8(x, wl));
    acc3h = wasm_i32x4_add(acc3h, wasm_i32x4_dot_i16x8(x, wh));
  }
  acc[0] = acc0l; acc[1] = acc0h; acc[2] = acc1l; acc[3] = acc1h;
  acc[4] = acc2l; acc[5] = acc2h; acc[6] = acc3l; acc[7] = acc3h;
  return wp;
}

/* kernels.h's requantization for 4 lanes, zero point included: after the clamp |f| <= 255, so
 * f + 1.5 * 2^23 rounds to nearest even and holds round(f) in its low mantissa bits; subtracting the
 * bits of 1.5 * 2^23 less the zero point leaves round(f) + zp (XNNPACK's "fp32 magic" way). The same
 * integers as nearest + trunc_sat, which V8 lowers to 7 instructions per vector on x64.
 * (1.5 * 2^23 = 12582912.0f, bits 0x4B400000.) */
typedef struct bc_requant4__wasmsimd { v128_t lo, hi, magic, magic_less_zp; } bc_requant4__wasmsimd;

/* the splatted constants, once per kernel call */
static inline bc_requant4__wasmsimd bc_requant4_init__wasmsimd(const bc_qs8_params *p) {
  const bc_requant4__wasmsimd q = {
    wasm_f32x4_splat(p->min_less_zp), wasm_f32x4_splat(p->max_less_zp),
    wasm_f32x4_splat(12582912.0f), wasm_i32x4_splat(0x4B400000 - p->output_zero_point),
  };
  return q;
}

static inline v128_t bc_requantize4_magic__wasmsimd(v128_t acc, v128_t scale, const bc_requant4__wasmsimd *q) {
  v128_t f = wasm_f32x4_mul(wasm_f32x4_convert_i32x4(acc), scale);
  f = wasm_f32x4_pmax(f, q->lo);
  f = wasm_f32x4_pmin(f, q->hi);
  return wasm_i32x4_sub(wasm_f32x4_add(f, q->magic), q->magic_less_zp);
}

#endif
