/* qc8 depthwise conv, 8 channels a step, portable reference. */
#include <string.h>
#include "../kernels.h"

void bc_qc8_dwconv_c8__scalar(size_t pixels, size_t channels, size_t ks, const int8_t **a,
                              const void *w, int8_t *c, size_t c_stride, size_t a_offset,
                              const int8_t *zero, const bc_qs8_params *params) {
  const size_t block_bytes = BC_DWCONV_CR * (sizeof(int32_t) + ks * sizeof(int16_t) + sizeof(float));
  for (size_t p = 0; p < pixels; p++, a += ks, c += c_stride) {
    const uint8_t *wp = (const uint8_t *)w;
    for (size_t c0 = 0; c0 < channels; c0 += BC_DWCONV_CR, wp += block_bytes) {
      const size_t cb = channels - c0 < BC_DWCONV_CR ? channels - c0 : BC_DWCONV_CR;
      int32_t acc[BC_DWCONV_CR];
      memcpy(acc, wp, sizeof(acc));
      const uint8_t *wt = wp + sizeof(acc);
      for (size_t t = 0; t < ks; t++, wt += BC_DWCONV_CR * sizeof(int16_t)) {
        const int8_t *x = a[t] == zero ? zero : a[t] + a_offset;
        int16_t k[BC_DWCONV_CR];
        memcpy(k, wt, sizeof(k));
        for (size_t i = 0; i < cb; i++) acc[i] = (int32_t)((uint32_t)acc[i] + (uint32_t)((int32_t)x[c0 + i] * k[i]));
      }
      float scale[BC_DWCONV_CR];
      memcpy(scale, wt, sizeof(scale));
      for (size_t i = 0; i < cb; i++) c[c0 + i] = bc_requantize_fp32(acc[i], scale[i], params);
    }
  }
}
