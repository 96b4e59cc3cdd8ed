/* qs8 global average pool, portable reference. acc is caller scratch of `channels` int32. */
#include "../kernels.h"

void bc_qs8_gavgpool__scalar(size_t rows, size_t channels, const int8_t *a, int32_t *acc,
                             int8_t *c, int32_t bias, float scale, const bc_qs8_params *params) {
  for (size_t i = 0; i < channels; i++) acc[i] = bias;
  for (size_t r = 0; r < rows; r++, a += channels)
    for (size_t i = 0; i < channels; i++) acc[i] += a[i];
  for (size_t i = 0; i < channels; i++) c[i] = bc_requantize_fp32(acc[i], scale, params);
}
