/* Winograd F(2x2, 3x3) products and output transform for WebAssembly SIMD128, 4 tiles x 8 channels.
 *
 * The 16 transformed positions are 16 small GEMMs with the igemm kernel's inner loop (int16 k
 * pairs splatted into i32x4.dot_i16x8_s against int16 weights, 8 accumulators: dot-4x8c2-wasmsimd.h);
 * each position's
 * accumulators go to a 2 KiB scratch, then A^T M A, the bias, requantization and the stores. */
#include <wasm_simd128.h>
#include "../kernels.h"
#include "../dot-4x8c2-wasmsimd.h"

#define requantize4(acc, scale) bc_requantize4_magic__wasmsimd(acc, scale, &rq)

void bc_qc8_wino2x3_gemm_4x8c2__wasmsimd(size_t mr, size_t nc, size_t kc, const int16_t *v, size_t v_xi_stride,
                                         size_t v_row_stride, const void *w, int8_t *const *out,
                                         const bc_qs8_params *params) {
  const bc_requant4__wasmsimd rq = bc_requant4_init__wasmsimd(params);
  const size_t kc_padded = (kc + 1) & ~(size_t)1;
  const int8_t *wp = (const int8_t *)w;
  v128_t m[16][2 * BC_IGEMM_MR];
  for (size_t n0 = 0; n0 < nc; n0 += BC_IGEMM_NR) {
    const v128_t bl = wasm_v128_load(wp), bh = wasm_v128_load(wp + 16);
    wp += 32;
    for (size_t xi = 0; xi < 16; xi++) {
      const int16_t *a0 = v + xi * v_xi_stride, *a1 = a0 + v_row_stride, *a2 = a1 + v_row_stride, *a3 = a2 + v_row_stride;
      for (int q = 0; q < 2 * BC_IGEMM_MR; q++) m[xi][q] = wasm_i32x4_const_splat(0);
      wp = bc_dot_4x8c2__wasmsimd(kc_padded, a0, a1, a2, a3, wp, m[xi]);
    }
    const v128_t sl = wasm_v128_load(wp), sh = wasm_v128_load(wp + 16);
    wp += 32;
    const size_t nb = nc - n0 < BC_IGEMM_NR ? nc - n0 : BC_IGEMM_NR;
    for (size_t t = 0; t < mr; t++) {
      v128_t y[4][2];   /* [output pixel][half] */
      for (int h = 0; h < 2; h++) {
        const size_t q = 2 * t + (size_t)h;
        v128_t r0[4], r1[4];
        for (int j = 0; j < 4; j++) {
          r0[j] = wasm_i32x4_add(wasm_i32x4_add(m[j][q], m[4 + j][q]), m[8 + j][q]);
          r1[j] = wasm_i32x4_sub(wasm_i32x4_sub(m[4 + j][q], m[8 + j][q]), m[12 + j][q]);
        }
        const v128_t b = h ? bh : bl;
        /* the weights are 4x G g G^T: the sums are exact multiples of 4 */
        y[0][h] = wasm_i32x4_add(wasm_i32x4_shr(wasm_i32x4_add(wasm_i32x4_add(r0[0], r0[1]), r0[2]), 2), b);
        y[1][h] = wasm_i32x4_add(wasm_i32x4_shr(wasm_i32x4_sub(wasm_i32x4_sub(r0[1], r0[2]), r0[3]), 2), b);
        y[2][h] = wasm_i32x4_add(wasm_i32x4_shr(wasm_i32x4_add(wasm_i32x4_add(r1[0], r1[1]), r1[2]), 2), b);
        y[3][h] = wasm_i32x4_add(wasm_i32x4_shr(wasm_i32x4_sub(wasm_i32x4_sub(r1[1], r1[2]), r1[3]), 2), b);
      }
      for (int p = 0; p < 4; p++) {
        int8_t *o = out[t * 4 + (size_t)p];
        if (!o) continue;
        const v128_t r = wasm_i16x8_narrow_i32x4(requantize4(y[p][0], sl),
                                                                    requantize4(y[p][1], sh));
        const v128_t b8 = wasm_i8x16_narrow_i16x8(r, r);
        if (nb == 8) {
          wasm_v128_store64_lane(o + n0, b8, 0);
        } else {
          int8_t tmp[16];
          wasm_v128_store(tmp, b8);
          for (size_t i = 0; i < nb; i++) o[n0 + i] = tmp[i];
        }
      }
    }
  }
}
