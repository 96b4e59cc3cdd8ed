/* u16 += u8, SIMD128: 16 bytes widened to two u16x8 and added to the sums; the tail byte by byte. */
#include <wasm_simd128.h>
#include "../kernels.h"

void bc_u16_u8_vacc__wasmsimd(size_t n, const uint8_t *x, uint16_t *acc) {
  size_t i = 0;
  for (; i + 16 <= n; i += 16) {
    const v128_t v = wasm_v128_load(x + i);
    wasm_v128_store(acc + i, wasm_i16x8_add(wasm_v128_load(acc + i), wasm_u16x8_extend_low_u8x16(v)));
    wasm_v128_store(acc + i + 8, wasm_i16x8_add(wasm_v128_load(acc + i + 8), wasm_u16x8_extend_high_u8x16(v)));
  }
  for (; i < n; i++) acc[i] = (uint16_t)(acc[i] + x[i]);
}
