/* u16 += u8, the reference. */
#include "../kernels.h"

void bc_u16_u8_vacc__scalar(size_t n, const uint8_t *x, uint16_t *acc) {
  for (size_t i = 0; i < n; i++) acc[i] = (uint16_t)(acc[i] + x[i]);
}
