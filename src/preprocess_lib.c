/* preprocess_lib.c - the preprocessing as a shared library with a flat C ABI, so that the training side
 * (scripts/model/pbc_data.py, through ctypes) builds its cache with the very code the engine runs.
 * Built by `make build/native/libbcpreprocess.so`.
 *
 *   h = bc_lib_open(S, resize_mode)                          NULL on a bad size/mode or no memory
 *   bc_lib_preprocess(h, bytes, n, rgb, frame, msg, len)     0 or a bc_status; rgb S*S*3, frame int32[16]
 *   bc_lib_preprocess_pixels(h, px, w, h, ch, rgb, frame, msg, len)   from decoded pixels
 *   bc_lib_frame_abi()                                       ints in a bc_frame_result (16), to check the binding
 *   bc_lib_close(h)
 *
 * rgb and frame may be NULL. The uint8 RGB image does not depend on the normalisation, so the handle
 * carries a neutral one. One handle per thread. */
#include <stdlib.h>
#include <string.h>
#include "preprocess.h"

#if defined(__GNUC__)
#define BC_LIB_API __attribute__((visibility("default")))
#else
#define BC_LIB_API
#endif

BC_LIB_API int bc_lib_frame_abi(void) { return (int)(sizeof(bc_frame_result) / sizeof(int)); }

BC_LIB_API void *bc_lib_open(int size, int resize_mode) {
  const bc_preprocess_config c = {size, {0.0f, 0.0f, 0.0f}, {1.0f, 1.0f, 1.0f}, 1.0f, 0};
  bc_preprocessor *p = (bc_preprocessor *)malloc(sizeof *p);
  if (!p) return NULL;
  if (bc_preprocessor_init_mode(p, &c, resize_mode) != BC_OK) {
    bc_preprocessor_free(p);
    free(p);
    return NULL;
  }
  return p;
}

BC_LIB_API void bc_lib_close(void *h) {
  if (!h) return;
  bc_preprocessor_free((bc_preprocessor *)h);
  free(h);
}

BC_LIB_API int bc_lib_preprocess(void *h, const uint8_t *bytes, size_t n, uint8_t *rgb_out, int *frame_out,
                                 char *msg, size_t msg_len) {
  bc_frame_result fr;
  bc_status s;
  if (!h) return BC_ERR_ARGUMENT;
  s = bc_preprocess_ex((const bc_preprocessor *)h, bytes, n, rgb_out, NULL, &fr, msg, msg_len);
  if (s == BC_OK && frame_out) memcpy(frame_out, &fr, sizeof fr);
  return (int)s;
}

BC_LIB_API int bc_lib_preprocess_pixels(void *h, const uint8_t *px, int w, int ht, int channels, uint8_t *rgb_out,
                                        int *frame_out, char *msg, size_t msg_len) {
  bc_frame_result fr;
  bc_status s;
  if (!h) return BC_ERR_ARGUMENT;
  s = bc_preprocess_pixels_ex((const bc_preprocessor *)h, px, w, ht, channels, rgb_out, NULL, &fr, msg, msg_len);
  if (s == BC_OK && frame_out) memcpy(frame_out, &fr, sizeof fr);
  return (int)s;
}
