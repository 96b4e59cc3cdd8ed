/* s8 max pool, portable reference. Padding taps point at a buffer of -128. */
#include "../kernels.h"

void bc_s8_maxpool__scalar(size_t pixels, size_t channels, size_t ks, const int8_t **a,
                           int8_t *c, size_t c_stride, int8_t out_min, int8_t out_max) {
  for (size_t p = 0; p < pixels; p++, a += ks, c += c_stride) {
    for (size_t i = 0; i < channels; i++) {
      int8_t m = a[0][i];
      for (size_t t = 1; t < ks; t++) m = a[t][i] > m ? a[t][i] : m;
      m = m < out_min ? out_min : m;
      c[i] = m > out_max ? out_max : m;
    }
  }
}
