/* qc8 igemm 4x8c2, portable reference: reads the same packed layout as the SIMD kernel. */
#include <string.h>
#include "../kernels.h"

void bc_qc8_igemm_4x8c2__scalar(size_t mr, size_t nc, size_t kc, size_t ks, const int16_t **a,
                                const void *w, int8_t *c, size_t cm_stride, size_t cn_stride,
                                size_t a_offset, const int16_t *zero, const bc_qs8_params *params) {
  const size_t kc_padded = (kc + BC_IGEMM_KR - 1) / BC_IGEMM_KR * BC_IGEMM_KR;
  const uint8_t *wp = (const uint8_t *)w;
  while (nc != 0) {
    int32_t acc[BC_IGEMM_MR][BC_IGEMM_NR];
    int32_t bias[BC_IGEMM_NR];
    memcpy(bias, wp, sizeof(bias));
    wp += sizeof(bias);
    for (size_t m = 0; m < BC_IGEMM_MR; m++)
      for (size_t n = 0; n < BC_IGEMM_NR; n++) acc[m][n] = bias[n];
    for (size_t t = 0; t < ks; t++) {
      const int16_t *row[BC_IGEMM_MR];
      for (size_t m = 0; m < BC_IGEMM_MR; m++) {
        const int16_t *p = a[t * BC_IGEMM_MR + m];
        row[m] = p == zero ? p : p + a_offset;
      }
      const int16_t *wk = (const int16_t *)wp;
      for (size_t k = 0; k < kc_padded; k += 2) {
        for (size_t m = 0; m < mr; m++) {
          /* Padded k positions have zero weights; the input value there is never used. */
          const int32_t x0 = row[m][k];
          const int32_t x1 = k + 1 < kc ? row[m][k + 1] : 0;
          for (size_t n = 0; n < BC_IGEMM_NR; n++)
            /* int32 wraps like the SIMD kernel (and XNNPACK): add as uint32 so the wrap is defined C */
            acc[m][n] = (int32_t)((uint32_t)acc[m][n] + (uint32_t)(x0 * (int32_t)wk[2 * n] + x1 * (int32_t)wk[2 * n + 1]));
        }
        wk += 2 * BC_IGEMM_NR;
      }
      wp = (const uint8_t *)wk;
    }
    float scale[BC_IGEMM_NR];
    memcpy(scale, wp, sizeof(scale));
    wp += sizeof(scale);
    const size_t nb = nc < BC_IGEMM_NR ? nc : BC_IGEMM_NR;
    for (size_t m = 0; m < mr; m++)
      for (size_t n = 0; n < nb; n++)
        c[m * cm_stride + n] = bc_requantize_fp32(acc[m][n], scale[n], params);
    c += cn_stride;
    nc -= nb;
  }
}
