/* fuzz_locate.c - libFuzzer target 5: the whole-field locator (src/frame.c bc_frame_locate) and the decode
 * path it uses (src/preprocess.c bc_decode: EXIF orientation read from the file and applied).
 *
 * Per input:
 *   - image bytes (and PNGs again with their chunk CRCs recomputed) through bc_decode with the orientation
 *     applied, then bc_frame_analyse, bc_frame_locate, and for every cell bc_frame_crop_for_box and
 *     bc_preprocess_crop (S = 8), as `bloodcell locate` and the app run them;
 *   - the bytes as an already-decoded buffer (the same 4-byte header as fuzz_frame: w, h 1..96, channels
 *     1..4), located the same way.
 * Images over 96 x 96 px are left to fuzz_image (decoding) so that executions stay fast.
 * Invariants: the orientation is 0..8 and swaps width and height for 5..8; every cell box and nucleus box is
 * non-empty and inside the image; n <= total and n <= BC_FRAME_MAX_CELLS; every crop is accepted by the
 * preprocessing; an error always comes with a message.
 * Build and run: make fuzz / make test-fuzz (docs/robustness.md). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "preprocess.h"
#include "frame.h"
#include "fuzz_util.h"

#define S 8
#define MAX_SIDE 96        /* pixel path side; and the largest w*h decoded (bigger images: fuzz_image's job) */
#define MAX_DECODE (MAX_SIDE * MAX_SIDE)
static bc_preprocessor pre;
static bc_frame_scratch fs;
static bc_frame_cells cells;
static uint8_t rgb[S * S * 3];
static int8_t tensor[S * S * 3];
static uint8_t *pixels;

int LLVMFuzzerInitialize(int *argc, char ***argv) {
  (void)argc; (void)argv;
  const bc_preprocess_config c = {S, {0.87f, 0.75f, 0.72f}, {0.10f, 0.15f, 0.09f}, 0.035f, -10};
  if (bc_preprocessor_init(&pre, &c) != BC_OK) abort();
  if (bc_frame_scratch_init_cap(&fs, BC_FRAME_LOCATE_PIXELS) != BC_OK) abort();
  pixels = malloc((size_t)MAX_SIDE * MAX_SIDE * 4);
  if (!pixels) abort();
  return 0;
}

static void locate(const uint8_t *px, int w, int h, int ch) {
  const bc_frame_image im = {px, w, h, ch, 0};
  bc_frame_result scale, crop;
  char msg[256];
  int i;
  FUZZ_CHECK(bc_frame_analyse(&fs, &im, &scale) == BC_OK);
  FUZZ_CHECK(bc_frame_locate(&fs, &im, &scale, &cells) == BC_OK);
  FUZZ_CHECK(cells.n >= 0 && cells.n <= BC_FRAME_MAX_CELLS && cells.n <= cells.total && cells.small >= 0);
  FUZZ_CHECK(cells.work_factor >= 1 && cells.rbc_diameter_x16 >= 0);
  if (cells.rbc_diameter_x16 > 0) { scale.rbc_diameter_x16 = cells.rbc_diameter_x16; scale.path = BC_FRAME_RBC; }
  for (i = 0; i < cells.n; i++) {
    const bc_frame_cell *c = &cells.cell[i];
    const bc_frame_box box = {c->x0, c->y0, c->x1, c->y1};
    FUZZ_CHECK(c->x0 >= 0 && c->y0 >= 0 && c->x0 < c->x1 && c->y0 < c->y1 && c->x1 <= w && c->y1 <= h);
    FUZZ_CHECK(c->nx0 >= 0 && c->ny0 >= 0 && c->nx0 < c->nx1 && c->ny0 < c->ny1 && c->nx1 <= w && c->ny1 <= h);
    FUZZ_CHECK(c->nucleus_permille >= 0 && (c->flags & ~(BC_CELL_EDGE | BC_CELL_CLUMP)) == 0);
    bc_frame_crop_for_box(&scale, w, h, &box, &crop);
    FUZZ_CHECK(bc_preprocess_crop(&pre, px, w, h, ch, &crop, rgb, tensor, msg, sizeof msg) == BC_OK);
  }
}

static void run_bytes(const uint8_t *data, size_t n) {
  char msg[256];
  bc_image im;
  int w = 0, h = 0, ch = 0;
  if (bc_image_info(data, n, &w, &h, &ch, msg, sizeof msg) == BC_OK && (int64_t)w * h > MAX_DECODE) return;
  const bc_status s = bc_decode(data, n, 1, &im, msg, sizeof msg);
  if (s != BC_OK) { FUZZ_CHECK(msg[0] != 0 && im.px == NULL); return; }
  FUZZ_CHECK(bc_image_info(data, n, &w, &h, &ch, msg, sizeof msg) == BC_OK);
  FUZZ_CHECK(im.orientation >= 0 && im.orientation <= 8);
  if (im.orientation >= 5) FUZZ_CHECK(im.w == h && im.h == w);
  else FUZZ_CHECK(im.w == w && im.h == h);
  locate(im.px, im.w, im.h, 4);
  bc_image_free(&im);
  bc_image_free(&im);   /* idempotent */
}

static void run_pixels(const uint8_t *data, size_t n) {
  if (n < 5) return;
  const int w = 1 + (int)(((unsigned)data[0] << 2 | (data[2] & 3u)) % MAX_SIDE);
  const int h = 1 + (int)(((unsigned)data[1] << 2 | (data[2] >> 2 & 3u)) % MAX_SIDE);
  const int ch = 1 + (data[2] >> 4 & 3);
  const uint8_t *body = data + 4;
  const size_t nb = n - 4, total = (size_t)w * h * ch;
  for (size_t i = 0; i < total; i += nb) memcpy(pixels + i, body, total - i < nb ? total - i : nb);
  locate(pixels, w, h, ch);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t n) {
  run_bytes(data, n);
  uint8_t *fixed = fuzz_png_fix_crcs(data, n);
  if (fixed) { run_bytes(fixed, n); free(fixed); }
  run_pixels(data, n);
  return 0;
}
