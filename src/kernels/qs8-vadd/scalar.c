/* qs8 element-wise add, portable reference. */
#include <math.h>
#include "../kernels.h"

void bc_qs8_vadd__scalar(size_t n, const int8_t *a, const int8_t *b, int8_t *c,
                         const bc_qs8_add_params *params) {
  const bc_qs8_params *o = &params->out;
  for (size_t i = 0; i < n; i++) {
    float f = (float)(a[i] - params->a_zero_point) * params->a_scale +
              (float)(b[i] - params->b_zero_point) * params->b_scale;
    f = f < o->min_less_zp ? o->min_less_zp : f;
    f = f > o->max_less_zp ? o->max_less_zp : f;
    c[i] = (int8_t)((int32_t)lrintf(f) + o->output_zero_point);
  }
}
