/* qs8 average pool, portable reference. Padding taps point at a buffer of input zero points,
 * so padding counts in the average as zero (PyTorch's count_include_pad=True). */
#include "../kernels.h"

void bc_qs8_avgpool__scalar(size_t pixels, size_t channels, size_t ks, const int8_t **a,
                            int8_t *c, size_t c_stride, int32_t bias, float scale,
                            const bc_qs8_params *params) {
  for (size_t p = 0; p < pixels; p++, a += ks, c += c_stride) {
    for (size_t i = 0; i < channels; i++) {
      int32_t acc = bias;
      for (size_t t = 0; t < ks; t++) acc += a[t][i];
      c[i] = bc_requantize_fp32(acc, scale, params);
    }
  }
}
