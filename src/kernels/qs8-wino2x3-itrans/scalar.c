/* Winograd F(2x2, 3x3) input transform, portable reference (see kernels.h). */
#include "../kernels.h"

void bc_qs8_wino2x3_itrans__scalar(size_t tiles, size_t t0, size_t tiles_w, size_t in_h, size_t in_w,
                                   size_t channels, const int8_t *input, int32_t zero_point,
                                   ptrdiff_t pad_top, ptrdiff_t pad_left, int16_t *v, size_t v_xi_stride,
                                   size_t v_row_stride) {
  for (size_t t = t0; t < t0 + tiles; t++) {
    const ptrdiff_t y0 = (ptrdiff_t)(t / tiles_w) * 2 - pad_top, x0 = (ptrdiff_t)(t % tiles_w) * 2 - pad_left;
    for (size_t c = 0; c < channels; c++) {
      int32_t d[4][4], r[4][4];
      for (int i = 0; i < 4; i++)
        for (int j = 0; j < 4; j++) {
          const ptrdiff_t y = y0 + i, x = x0 + j;
          d[i][j] = y < 0 || y >= (ptrdiff_t)in_h || x < 0 || x >= (ptrdiff_t)in_w
                        ? zero_point : input[((size_t)y * in_w + (size_t)x) * channels + c];
        }
      /* B^T d: rows d0 - d2, d1 + d2, d2 - d1, d1 - d3 */
      for (int j = 0; j < 4; j++) {
        r[0][j] = d[0][j] - d[2][j]; r[1][j] = d[1][j] + d[2][j];
        r[2][j] = d[2][j] - d[1][j]; r[3][j] = d[1][j] - d[3][j];
      }
      /* (B^T d) B: the same on columns */
      for (int i = 0; i < 4; i++) {
        const int32_t o[4] = {r[i][0] - r[i][2], r[i][1] + r[i][2], r[i][2] - r[i][1], r[i][1] - r[i][3]};
        for (int j = 0; j < 4; j++) v[(size_t)(4 * i + j) * v_xi_stride + (t - t0) * v_row_stride + c] = (int16_t)o[j];
      }
    }
  }
}
