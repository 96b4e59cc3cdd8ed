/* Winograd F(2x2, 3x3) products and output transform, 4 tiles x 8 channels, portable reference. */
#include <string.h>
#include "../kernels.h"

void bc_qc8_wino2x3_gemm_4x8c2__scalar(size_t mr, size_t nc, size_t kc, const int16_t *v, size_t v_xi_stride,
                                       size_t v_row_stride, const void *w, int8_t *const *out,
                                       const bc_qs8_params *params) {
  const size_t kc_padded = (kc + 1) & ~(size_t)1;
  const uint8_t *wp = (const uint8_t *)w;
  for (size_t n0 = 0; n0 < nc; n0 += BC_IGEMM_NR) {
    int32_t bias[BC_IGEMM_NR], m[16][BC_IGEMM_MR][BC_IGEMM_NR];
    memcpy(bias, wp, sizeof(bias));
    wp += sizeof(bias);
    for (size_t xi = 0; xi < 16; xi++) {
      const int16_t *wk = (const int16_t *)wp;
      for (size_t t = 0; t < BC_IGEMM_MR; t++)
        for (size_t n = 0; n < BC_IGEMM_NR; n++) m[xi][t][n] = 0;
      for (size_t k = 0; k < kc_padded; k += 2, wk += 2 * BC_IGEMM_NR)
        for (size_t t = 0; t < mr; t++) {
          const int16_t *row = v + xi * v_xi_stride + t * v_row_stride;
          const int32_t x0 = row[k], x1 = k + 1 < kc ? row[k + 1] : 0;
          for (size_t n = 0; n < BC_IGEMM_NR; n++)
            m[xi][t][n] += x0 * (int32_t)wk[2 * n] + x1 * (int32_t)wk[2 * n + 1];
        }
      wp = (const uint8_t *)wk;
    }
    float scale[BC_IGEMM_NR];
    memcpy(scale, wp, sizeof(scale));
    wp += sizeof(scale);
    const size_t nb = nc - n0 < BC_IGEMM_NR ? nc - n0 : BC_IGEMM_NR;
    for (size_t t = 0; t < mr; t++)
      for (size_t n = 0; n < nb; n++) {
        /* A^T M A with A^T = [1 1 1 0; 0 1 -1 -1]; the packed weights are 4x G g G^T, so / 4 (exact) */
        int32_t r[2][4];
        for (int j = 0; j < 4; j++) {
          r[0][j] = m[j][t][n] + m[4 + j][t][n] + m[8 + j][t][n];
          r[1][j] = m[4 + j][t][n] - m[8 + j][t][n] - m[12 + j][t][n];
        }
        for (int i = 0; i < 2; i++) {
          const int32_t y[2] = {r[i][0] + r[i][1] + r[i][2], r[i][1] - r[i][2] - r[i][3]};
          for (int j = 0; j < 2; j++) {
            int8_t *o = out[t * 4 + (size_t)(2 * i + j)];
            /* the bias (with its zero-point fold) wraps like the igemm's: add as uint32, defined C */
            if (o) o[n0 + n] = bc_requantize_fp32((int32_t)((uint32_t)(y[j] / 4) + (uint32_t)bias[n]), scale[n], params);
          }
        }
      }
  }
}
