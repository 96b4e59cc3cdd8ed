/* u8 RGB horizontal resample, SIMD128: one output pixel's R, G, B sums in three lanes of an i32x4.
 * Each tap is one 4-byte load (R G B and the next pixel's R, whose lane is ignored) widened to
 * i32x4 and multiplied by the splatted weight. The clamp is the saturating narrow to u8. */
#include <string.h>
#include <wasm_simd128.h>
#include "../kernels.h"

void bc_u8_rgb_hresample__wasmsimd(size_t out_w, const uint8_t *src, size_t src_w, uint8_t *dst,
                                   const int32_t *coef, const int *bounds, size_t ksize) {
  const v128_t round = wasm_i32x4_splat(1 << (BC_RESAMPLE_PRECISION_BITS - 1));
  for (size_t xx = 0; xx < out_w; xx++, dst += 3) {
    const int32_t *k = coef + xx * ksize;
    const size_t x0 = (size_t)bounds[xx * 2], n = (size_t)bounds[xx * 2 + 1];
    const uint8_t *s = src + x0 * 3;
    /* The 4-byte load of the row's last pixel would read past the row: that tap goes lane by lane. */
    const size_t nv = n > 0 && x0 + n >= src_w ? n - 1 : n;
    v128_t acc = round;
    size_t x = 0;
    for (; x < nv; x++) {
      const v128_t px = wasm_u32x4_extend_low_u16x8(wasm_u16x8_extend_low_u8x16(wasm_v128_load32_zero(s + x * 3)));
      acc = wasm_i32x4_add(acc, wasm_i32x4_mul(px, wasm_i32x4_splat(k[x])));
    }
    for (; x < n; x++) {
      const uint8_t *p = s + x * 3;
      acc = wasm_i32x4_add(acc, wasm_i32x4_mul(wasm_i32x4_make(p[0], p[1], p[2], 0), wasm_i32x4_splat(k[x])));
    }
    const v128_t v = wasm_i32x4_shr(acc, BC_RESAMPLE_PRECISION_BITS);
    const v128_t u8 = wasm_u8x16_narrow_i16x8(wasm_i16x8_narrow_i32x4(v, v), v);
    const uint32_t rgbx = (uint32_t)wasm_i32x4_extract_lane(u8, 0);
    memcpy(dst, &rgbx, 3);   /* little-endian: R G B in the low three bytes */
  }
}
