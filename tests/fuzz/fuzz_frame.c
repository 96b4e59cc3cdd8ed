/* fuzz_frame.c - libFuzzer target 4: scale-aware framing (src/frame.c) and resize mode 1 of the preprocessing.
 *
 * Per input:
 *   - image bytes (any input with a JPEG/PNG/BMP magic, and PNGs again with their chunk CRCs recomputed)
 *     through bc_preprocess_ex in a resize-mode-1 preprocessor (S = 8): decode, frame, padded crop, resize;
 *   - the bytes as an already-decoded buffer: a 4-byte header gives w (1..256), h (1..256), channels
 *     (1..4) and ignore_alpha, the rest of the input (repeated) the pixels; bc_frame_analyse, then
 *     bc_frame_crop_for_box on a box from the header and bc_preprocess_crop on both results.
 * Invariants: every result is a square crop of side 1..BC_MAX_IMAGE_DIM with a known path and a background in
 * 0..255; a ruler exactly when the path is "rbc"; a white-cell box inside the image; the preprocessing accepts
 * every crop the framing returns; an error always comes with a message.
 * Build and run: make fuzz / make test-fuzz (docs/robustness.md). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "preprocess.h"
#include "frame.h"
#include "fuzz_util.h"

#define S 8
static bc_preprocessor pre;
static bc_frame_scratch fs;
static uint8_t rgb[S * S * 3];
static int8_t tensor[S * S * 3];
static uint8_t *pixels;
#define MAX_SIDE 256   /* pixel path: up to 256x256, so executions stay fast (the reduced copy holds 65536 px anyway) */

int LLVMFuzzerInitialize(int *argc, char ***argv) {
  (void)argc; (void)argv;
  const bc_preprocess_config c = {S, {0.87f, 0.75f, 0.72f}, {0.10f, 0.15f, 0.09f}, 0.035f, -10};
  if (bc_preprocessor_init_mode(&pre, &c, BC_RESIZE_FRAME) != BC_OK) abort();
  if (bc_frame_scratch_init(&fs) != BC_OK) abort();
  pixels = malloc((size_t)MAX_SIDE * MAX_SIDE * 4);
  if (!pixels) abort();
  return 0;
}

static void check_result(const bc_frame_result *r, int w, int h) {
  FUZZ_CHECK(r->path == BC_FRAME_CENTRE || r->path == BC_FRAME_RBC || r->path == BC_FRAME_CELL);
  FUZZ_CHECK(r->crop_side >= 1 && r->crop_side <= BC_MAX_IMAGE_DIM);
  FUZZ_CHECK(r->crop_x0 >= -BC_MAX_IMAGE_DIM && r->crop_x0 <= BC_MAX_IMAGE_DIM);
  FUZZ_CHECK(r->crop_y0 >= -BC_MAX_IMAGE_DIM && r->crop_y0 <= BC_MAX_IMAGE_DIM);
  FUZZ_CHECK(r->bg_r >= 0 && r->bg_r <= 255 && r->bg_g >= 0 && r->bg_g <= 255 && r->bg_b >= 0 && r->bg_b <= 255);
  FUZZ_CHECK((r->path == BC_FRAME_RBC) == (r->rbc_diameter_x16 > 0));
  FUZZ_CHECK(r->rbc_diameter_x16 == 0 || r->rbc_count >= BC_FRAME_MIN_RBC);
  FUZZ_CHECK(r->has_cell == (r->cells_found > 0));
  if (r->has_cell) {
    FUZZ_CHECK(r->cell_x0 >= 0 && r->cell_y0 >= 0 && r->cell_x0 < r->cell_x1 && r->cell_y0 < r->cell_y1);
    FUZZ_CHECK(r->cell_x1 <= w && r->cell_y1 <= h);
  }
  if (r->path == BC_FRAME_CELL) FUZZ_CHECK(r->has_cell);
  if (r->path == BC_FRAME_CENTRE) {
    const int m = w < h ? w : h;
    FUZZ_CHECK(r->crop_side == m && r->crop_x0 == (w - m) / 2 && r->crop_y0 == (h - m) / 2);
  }
}

static void run_bytes(const uint8_t *data, size_t n) {
  char msg[256];
  bc_frame_result fr;
  int w = 0, h = 0, ch = 0;
  memset(&fr, 0x5a, sizeof fr);
  const bc_status s = bc_preprocess_ex(&pre, data, n, rgb, tensor, &fr, msg, sizeof msg);
  if (s != BC_OK) { FUZZ_CHECK(msg[0] != 0); return; }
  FUZZ_CHECK(bc_image_info(data, n, &w, &h, &ch, msg, sizeof msg) == BC_OK);
  check_result(&fr, w, h);
}

static void run_pixels(const uint8_t *data, size_t n) {
  if (n < 5) return;
  const int w = 1 + (int)(((unsigned)data[0] << 2 | (data[2] & 3u)) % MAX_SIDE);
  const int h = 1 + (int)(((unsigned)data[1] << 2 | (data[2] >> 2 & 3u)) % MAX_SIDE);
  const int ch = 1 + (data[2] >> 4 & 3), ignore_alpha = data[2] >> 6 & 1;
  const uint8_t *body = data + 4;
  const size_t nb = n - 4, total = (size_t)w * h * ch;
  for (size_t i = 0; i < total; i += nb) memcpy(pixels + i, body, total - i < nb ? total - i : nb);
  const bc_frame_image im = {pixels, w, h, ch, ignore_alpha};
  bc_frame_result r, r2;
  char msg[256];
  FUZZ_CHECK(bc_frame_analyse(&fs, &im, &r) == BC_OK);
  check_result(&r, w, h);
  FUZZ_CHECK(bc_preprocess_crop(&pre, pixels, w, h, ch, &r, rgb, tensor, msg, sizeof msg) == BC_OK);
  {   /* a box anywhere in the image, as a locator would pass one */
    const int x0 = data[3] % w, y0 = (data[3] * 7) % h;
    const bc_frame_box box = {x0, y0, x0 + 1 + (data[0] % (w - x0)), y0 + 1 + (data[1] % (h - y0))};
    bc_frame_crop_for_box(&r, w, h, &box, &r2);
    FUZZ_CHECK(r2.crop_side >= 1 && r2.crop_side <= BC_MAX_IMAGE_DIM && r2.has_cell == 1);
    FUZZ_CHECK(r2.path == (r.rbc_diameter_x16 > 0 ? BC_FRAME_RBC : BC_FRAME_CELL));
    FUZZ_CHECK(bc_preprocess_crop(&pre, pixels, w, h, ch, &r2, rgb, tensor, msg, sizeof msg) == BC_OK);
  }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t n) {
  run_bytes(data, n);
  uint8_t *fixed = fuzz_png_fix_crcs(data, n);
  if (fixed) { run_bytes(fixed, n); free(fixed); }
  run_pixels(data, n);
  return 0;
}
