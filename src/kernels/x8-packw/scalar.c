/* int8 weights -> the igemm 4x8c2 layout (int16), and each channel's weight sum, portable reference. */
#include "../kernels.h"

void bc_x8_packw_igemm_8c2__scalar(size_t nr, size_t ks, size_t gin, size_t kc_padded,
                                   const int8_t *const *src, int16_t *out, int32_t *sums) {
  const size_t k_even = gin & ~(size_t)1;
  for (size_t n = 0; n < nr; n++) {
    int32_t sum = 0;
    for (size_t i = 0; i < ks * gin; i++) sum += src[n][i];
    sums[n] = sum;
  }
  for (size_t t = 0; t < ks; t++) {
    int16_t *o = out + t * kc_padded * BC_IGEMM_NR;
    for (size_t k = 0; k < k_even; k += 2, o += 2 * BC_IGEMM_NR)
      for (size_t n = 0; n < nr; n++) {
        o[2 * n] = src[n][t * gin + k];
        o[2 * n + 1] = src[n][t * gin + k + 1];
      }
    if (k_even < gin)   /* odd k: the last pair's second weight stays zero */
      for (size_t n = 0; n < nr; n++) o[2 * n] = src[n][t * gin + k_even];
  }
}
