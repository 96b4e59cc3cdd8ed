/* qc8 igemm 4x8c2 for WebAssembly SIMD128.
 *
 * Activations are int16 copies, so one v128.load32_splat broadcasts a row's k pair to all four
 * lanes: a pure load on x86, with no shuffle or sign extension in the loop.  The packed weights
 * hold the same k pair for 4 channels per v128 (int16), so each i32x4.dot_i16x8_s adds two
 * products into 4 channel accumulators.  Per k pair: 2 weight loads, 4 splat loads, 8 dots,
 * 8 adds; 4 rows x 2 halves = 8 accumulators, 11 live vectors, no spills under V8
 * (the loop: dot-4x8c2-wasmsimd.h, shared with the Winograd kernel). */
#include <wasm_simd128.h>
#include "../kernels.h"
#include "../dot-4x8c2-wasmsimd.h"

#define requantize4(acc, scale) bc_requantize4_magic__wasmsimd(acc, scale, &rq)

static inline void store_row(int8_t *c, v128_t v, size_t nb) {
  if (nb == 8) {
    wasm_v128_store64_lane(c, v, 0);
  } else {
    int8_t tmp[16];
    wasm_v128_store(tmp, v);
    for (size_t i = 0; i < nb; i++) c[i] = tmp[i];
  }
}

void bc_qc8_igemm_4x8c2__wasmsimd(size_t mr, size_t nc, size_t kc, size_t ks, const int16_t **a,
                                  const void *w, int8_t *c, size_t cm_stride, size_t cn_stride,
                                  size_t a_offset, const int16_t *zero, const bc_qs8_params *params) {
  int8_t *c0 = c;
  int8_t *c1 = mr > 1 ? c0 + cm_stride : c0;
  int8_t *c2 = mr > 2 ? c1 + cm_stride : c1;
  int8_t *c3 = mr > 3 ? c2 + cm_stride : c2;
  const bc_requant4__wasmsimd rq = bc_requant4_init__wasmsimd(params);
  const size_t kc_padded = (kc + 1) & ~(size_t)1;
  const int8_t *wp = (const int8_t *)w;
  do {
    v128_t acc[8];
    acc[0] = wasm_v128_load(wp); acc[1] = wasm_v128_load(wp + 16);
    for (int q = 2; q < 8; q++) acc[q] = acc[q & 1];
    wp += 32;
    const int16_t **ap = a;
    for (size_t t = ks; t != 0; t--, ap += 4) {
      /* Rows past mr read row 0's data; their results are never stored. */
      const int16_t *a0 = ap[0] == zero ? zero : ap[0] + a_offset;
      const int16_t *a1 = mr > 1 ? (ap[1] == zero ? zero : ap[1] + a_offset) : a0;
      const int16_t *a2 = mr > 2 ? (ap[2] == zero ? zero : ap[2] + a_offset) : a0;
      const int16_t *a3 = mr > 3 ? (ap[3] == zero ? zero : ap[3] + a_offset) : a0;
      wp = bc_dot_4x8c2__wasmsimd(kc_padded, a0, a1, a2, a3, wp, acc);
    }
    const v128_t acc0l = acc[0], acc0h = acc[1], acc1l = acc[2], acc1h = acc[3];
    const v128_t acc2l = acc[4], acc2h = acc[5], acc3l = acc[6], acc3h = acc[7];
    const v128_t sl = wasm_v128_load(wp), sh = wasm_v128_load(wp + 16);
    wp += 32;
    /* int32 -> fp32 -> scale -> clamp -> round + zp (in range: the narrowing never saturates) */
    v128_t r01 = wasm_i16x8_narrow_i32x4(requantize4(acc0l, sl),
                                                            requantize4(acc0h, sh));
    v128_t r11 = wasm_i16x8_narrow_i32x4(requantize4(acc1l, sl),
                                                            requantize4(acc1h, sh));
    v128_t r21 = wasm_i16x8_narrow_i32x4(requantize4(acc2l, sl),
                                                            requantize4(acc2h, sh));
    v128_t r31 = wasm_i16x8_narrow_i32x4(requantize4(acc3l, sl),
                                                            requantize4(acc3h, sh));
    const v128_t o01 = wasm_i8x16_narrow_i16x8(r01, r11);
    const v128_t o23 = wasm_i8x16_narrow_i16x8(r21, r31);
    const size_t nb = nc < 8 ? nc : 8;
    /* Store from the last row down so aliased rows (mr < 4) end with row 0's true values. */
    store_row(c3, wasm_i64x2_shuffle(o23, o23, 1, 1), nb);
    store_row(c2, o23, nb);
    store_row(c1, wasm_i64x2_shuffle(o01, o01, 1, 1), nb);
    store_row(c0, o01, nb);
    c0 += cn_stride; c1 += cn_stride; c2 += cn_stride; c3 += cn_stride;
    nc -= nb;
  } while (nc != 0);
}
