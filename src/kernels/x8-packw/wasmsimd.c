/* int8 weights -> the igemm 4x8c2 layout (int16), and each channel's weight sum, SIMD128. For a full block of 8 channels, 16 k at a
 * time: each channel's 16 weights are 8 k pairs (u16 lanes); an 8x8 transpose of those lanes gives,
 * per k pair, the 8 channels' pairs side by side, and sign-extending its two halves gives the 32
 * bytes of layout. Runs once at model load, before V8 has optimised anything, where the scalar
 * loop's 1.4 M element moves showed. The rest (partial blocks, k tails) is the scalar loop. */
#include <wasm_simd128.h>
#include "../kernels.h"

void bc_x8_packw_igemm_8c2__wasmsimd(size_t nr, size_t ks, size_t gin, size_t kc_padded,
                                     const int8_t *const *src, int16_t *out, int32_t *sums) {
  if (nr != BC_IGEMM_NR) { bc_x8_packw_igemm_8c2__scalar(nr, ks, gin, kc_padded, src, out, sums); return; }
  const size_t k16 = gin & ~(size_t)15, k_even = gin & ~(size_t)1;
  v128_t acc[8];
  int32_t tail[8] = {0};
  for (int n = 0; n < 8; n++) acc[n] = wasm_i32x4_splat(0);
  for (size_t t = 0; t < ks; t++) {
    int16_t *o = out + t * kc_padded * BC_IGEMM_NR;
    size_t k = 0;
    for (; k < k16; k += 16, o += 16 * BC_IGEMM_NR) {
      v128_t r[8];
      for (int n = 0; n < 8; n++) {
        r[n] = wasm_v128_load(src[n] + t * gin + k);
        acc[n] = wasm_i32x4_add(acc[n], wasm_i32x4_extadd_pairwise_i16x8(wasm_i16x8_extadd_pairwise_i8x16(r[n])));
      }
      /* 8x8 transpose of u16 lanes: r[n] lane j -> c[j] lane n */
      const v128_t a0 = wasm_i16x8_shuffle(r[0], r[1], 0, 8, 1, 9, 2, 10, 3, 11);
      const v128_t a1 = wasm_i16x8_shuffle(r[0], r[1], 4, 12, 5, 13, 6, 14, 7, 15);
      const v128_t a2 = wasm_i16x8_shuffle(r[2], r[3], 0, 8, 1, 9, 2, 10, 3, 11);
      const v128_t a3 = wasm_i16x8_shuffle(r[2], r[3], 4, 12, 5, 13, 6, 14, 7, 15);
      const v128_t a4 = wasm_i16x8_shuffle(r[4], r[5], 0, 8, 1, 9, 2, 10, 3, 11);
      const v128_t a5 = wasm_i16x8_shuffle(r[4], r[5], 4, 12, 5, 13, 6, 14, 7, 15);
      const v128_t a6 = wasm_i16x8_shuffle(r[6], r[7], 0, 8, 1, 9, 2, 10, 3, 11);
      const v128_t a7 = wasm_i16x8_shuffle(r[6], r[7], 4, 12, 5, 13, 6, 14, 7, 15);
      const v128_t b0 = wasm_i32x4_shuffle(a0, a2, 0, 4, 1, 5);
      const v128_t b1 = wasm_i32x4_shuffle(a0, a2, 2, 6, 3, 7);
      const v128_t b2 = wasm_i32x4_shuffle(a1, a3, 0, 4, 1, 5);
      const v128_t b3 = wasm_i32x4_shuffle(a1, a3, 2, 6, 3, 7);
      const v128_t b4 = wasm_i32x4_shuffle(a4, a6, 0, 4, 1, 5);
      const v128_t b5 = wasm_i32x4_shuffle(a4, a6, 2, 6, 3, 7);
      const v128_t b6 = wasm_i32x4_shuffle(a5, a7, 0, 4, 1, 5);
      const v128_t b7 = wasm_i32x4_shuffle(a5, a7, 2, 6, 3, 7);
      const v128_t c[8] = {
        wasm_i64x2_shuffle(b0, b4, 0, 2), wasm_i64x2_shuffle(b0, b4, 1, 3),
        wasm_i64x2_shuffle(b1, b5, 0, 2), wasm_i64x2_shuffle(b1, b5, 1, 3),
        wasm_i64x2_shuffle(b2, b6, 0, 2), wasm_i64x2_shuffle(b2, b6, 1, 3),
        wasm_i64x2_shuffle(b3, b7, 0, 2), wasm_i64x2_shuffle(b3, b7, 1, 3),
      };
      for (int j = 0; j < 8; j++) {
        wasm_v128_store(o + j * 16, wasm_i16x8_extend_low_i8x16(c[j]));
        wasm_v128_store(o + j * 16 + 8, wasm_i16x8_extend_high_i8x16(c[j]));
      }
    }
    for (; k < k_even; k += 2, o += 2 * BC_IGEMM_NR)
      for (size_t n = 0; n < BC_IGEMM_NR; n++) {
        o[2 * n] = src[n][t * gin + k];
        o[2 * n + 1] = src[n][t * gin + k + 1];
        tail[n] += src[n][t * gin + k] + src[n][t * gin + k + 1];
      }
    if (k_even < gin)
      for (size_t n = 0; n < BC_IGEMM_NR; n++) {
        o[2 * n] = src[n][t * gin + k_even];
        tail[n] += src[n][t * gin + k_even];
      }
  }
  for (int n = 0; n < 8; n++)
    sums[n] = tail[n] + wasm_i32x4_extract_lane(acc[n], 0) + wasm_i32x4_extract_lane(acc[n], 1) +
              wasm_i32x4_extract_lane(acc[n], 2) + wasm_i32x4_extract_lane(acc[n], 3);
}
