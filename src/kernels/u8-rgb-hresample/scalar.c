/* u8 RGB horizontal resample (Pillow's fixed-point antialiased pass), portable reference. */
#include "../kernels.h"

static uint8_t clip8(int32_t v) {
  if (v < 0) return 0;
  v >>= BC_RESAMPLE_PRECISION_BITS;
  return (uint8_t)(v > 255 ? 255 : v);
}

void bc_u8_rgb_hresample__scalar(size_t out_w, const uint8_t *src, size_t src_w, uint8_t *dst,
                                 const int32_t *coef, const int *bounds, size_t ksize) {
  (void)src_w;
  for (size_t xx = 0; xx < out_w; xx++, dst += 3) {
    const int32_t *k = coef + xx * ksize;
    const uint8_t *s = src + (size_t)bounds[xx * 2] * 3;
    const size_t n = (size_t)bounds[xx * 2 + 1];
    int32_t r = 1 << (BC_RESAMPLE_PRECISION_BITS - 1), g = r, b = r;
    for (size_t x = 0; x < n; x++, s += 3) {
      r += s[0] * k[x];
      g += s[1] * k[x];
      b += s[2] * k[x];
    }
    dst[0] = clip8(r);
    dst[1] = clip8(g);
    dst[2] = clip8(b);
  }
}
