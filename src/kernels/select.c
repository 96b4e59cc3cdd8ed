/* Kernel tables and the choice of the build's default. */
#include "kernels.h"

void bc_qs8_params_init(bc_qs8_params *p, int32_t output_zero_point, int8_t output_min, int8_t output_max) {
  p->output_zero_point = output_zero_point;
  p->min_less_zp = (float)(output_min - output_zero_point);
  p->max_less_zp = (float)(output_max - output_zero_point);
}

const bc_kernels bc_kernels_scalar = {
  "scalar", bc_qc8_igemm_4x8c2__scalar, bc_qc8_dwconv_c8__scalar, bc_s8_maxpool__scalar,
  bc_qs8_avgpool__scalar, bc_qs8_gavgpool__scalar, bc_qs8_vadd__scalar,
  bc_qs8_wino2x3_itrans__scalar, bc_qc8_wino2x3_gemm_4x8c2__scalar,
};

#ifdef __wasm_simd128__
const bc_kernels bc_kernels_wasmsimd = {
  "wasmsimd", bc_qc8_igemm_4x8c2__wasmsimd, bc_qc8_dwconv_c8__wasmsimd, bc_s8_maxpool__wasmsimd,
  bc_qs8_avgpool__wasmsimd, bc_qs8_gavgpool__wasmsimd, bc_qs8_vadd__wasmsimd,
  bc_qs8_wino2x3_itrans__wasmsimd, bc_qc8_wino2x3_gemm_4x8c2__wasmsimd,
};
#endif

const bc_kernels *bc_kernels_default(void) {
#ifdef __wasm_simd128__
  return &bc_kernels_wasmsimd;
#else
  return &bc_kernels_scalar;
#endif
}
