/* fuzz_image.c - libFuzzer target 1: image bytes -> decode -> preprocess -> input tensor.
 *
 * Per input:
 *   - bc_image_info and bc_preprocess on the bytes as they are, at one of three model input sizes
 *     (S = 1, 5 or 16, picked by the input length so a given input always takes the same path; small,
 *     since the resize code is the same for any S and a small S keeps executions fast);
 *   - for a PNG, the same again with every chunk CRC recomputed (see fuzz_util.h);
 *   - bc_preprocess_pixels on the bytes read as an already-decoded buffer (1..4 channels, any w x h,
 *     e.g. 20000x1), the path the browser uses after its own decoder.
 * Invariants checked: an error always comes with a message; bc_preprocess succeeds only when
 * bc_image_info does, with dimensions within the limits; outputs are untouched on error.
 * Build and run: make fuzz / make test-fuzz (docs/robustness.md). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "preprocess.h"
#include "fuzz_util.h"

#define N_PRE 3
static const int sizes[N_PRE] = {1, 5, 16};
static bc_preprocessor pre[N_PRE];
static uint8_t rgb[16 * 16 * 3];
static int8_t tensor[16 * 16 * 3];

int LLVMFuzzerInitialize(int *argc, char ***argv) {
  (void)argc; (void)argv;
  for (int i = 0; i < N_PRE; i++) {
    const bc_preprocess_config c = {sizes[i], {0.87f, 0.75f, 0.72f}, {0.10f, 0.15f, 0.09f}, 0.035f, -10};
    if (bc_preprocessor_init(&pre[i], &c) != BC_OK) abort();
  }
  return 0;
}

static void run_bytes(const uint8_t *data, size_t n) {
  char msg[256];
  int w = -1, h = -1, ch = -1;
  const bc_status si = bc_image_info(data, n, &w, &h, &ch, msg, sizeof msg);
  FUZZ_CHECK(si == BC_OK ? msg[0] == 0 : msg[0] != 0);
  if (si == BC_OK) {
    FUZZ_CHECK(w >= 1 && h >= 1 && w <= BC_MAX_IMAGE_DIM && h <= BC_MAX_IMAGE_DIM);
    FUZZ_CHECK((unsigned long long)w * (unsigned long long)h <= BC_MAX_IMAGE_PIXELS);
    FUZZ_CHECK(ch >= 1 && ch <= 4);
  }
  const bc_preprocessor *p = &pre[n % N_PRE];
  const size_t len = (size_t)p->cfg.size * p->cfg.size * 3;
  memset(rgb, 0xA5, len);
  const bc_status s = bc_preprocess(p, data, n, rgb, tensor, msg, sizeof msg);
  FUZZ_CHECK(s == BC_OK ? msg[0] == 0 : msg[0] != 0);
  if (s == BC_OK) FUZZ_CHECK(si == BC_OK);
  if (s != BC_OK) /* outputs are written only on success */
    for (size_t i = 0; i < len; i++) FUZZ_CHECK(rgb[i] == 0xA5);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t n) {
  run_bytes(data, n);
  uint8_t *fixed = fuzz_png_fix_crcs(data, n);
  if (fixed) { run_bytes(fixed, n); free(fixed); }

  /* Decoded-pixel path: byte 0 = channels, bytes 1..2 = width; the rest are the pixels (exactly sized
   * in a heap copy, so ASan sees any read past the last row). */
  if (n >= 4) {
    const int channels = 1 + data[0] % 4;
    const size_t count = (n - 3) / (size_t)channels;
    if (count >= 1) {
      const size_t w = 1 + ((size_t)data[1] | (size_t)data[2] << 8) % (count < 40000 ? count : 40000);
      const size_t h = count / w;
      uint8_t *px = malloc(w * h * (size_t)channels);
      if (px) {
        memcpy(px, data + 3, w * h * (size_t)channels);
        char msg[256];
        const bc_preprocessor *p = &pre[(n / 7) % N_PRE];
        const bc_status s = bc_preprocess_pixels(p, px, (int)w, (int)h, channels, rgb, tensor, msg, sizeof msg);
        FUZZ_CHECK(s == BC_OK || msg[0] != 0);
        free(px);
      }
    }
  }
  return 0;
}
