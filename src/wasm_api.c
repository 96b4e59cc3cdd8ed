/* wasm_api.c - the thin C API the web app calls (see web/engine/bloodcell.d.ts).
 *
 *   e = bc_wasm_load(model_ptr, model_len)       0 on error: bc_wasm_error() says why
 *   status = bc_wasm_classify(e, bytes_ptr, len) 0 ok, else bc_wasm_error(); results below
 *   status = bc_wasm_classify_pixels(e, rgba_ptr, w, h, 4)
 *   bc_wasm_probs(e) / bc_wasm_logits(e) / bc_wasm_embedding(e): float* into the heap
 *   bc_wasm_num_subclasses(e), bc_wasm_subclass_name(e, j), bc_wasm_subclass_parent(e, j), bc_wasm_subprobs(e)
 *   bc_wasm_cam(e, k, out_ptr) fills cam_h*cam_w floats; bc_wasm_rgb(e): S*S*3 bytes seen by the model
 *   bc_wasm_frame(e): int32[16], the last image's bc_frame_result (src/frame.h: path, rbc_diameter_x16, ...)
 *   bc_wasm_frame_pixels(rgba_ptr, w, h, channels): int32[16], the framing analysis alone (test and locator use)
 * Whole fields (one field at a time per worker):
 *   f = bc_wasm_field_load(e, bytes_ptr, len)   decode (EXIF orientation applied) + locate; NULL on error.
 *     f: int32 {n, total, small, work_factor, rbc_diameter_x16, then n x {x0 y0 x1 y1 nx0 ny0 nx1 ny1
 *     nucleus_permille flags}} (bc_frame_cells); bc_wasm_field_info(): int32[4] {w, h, orientation, rgba_ptr}
 *   f = bc_wasm_field_load_pixels(e, rgba_ptr, w, h)   the same from decoded RGBA8 pixels (copied)
 *   status = bc_wasm_field_classify(e, x0, y0, x1, y1)   one cell box of the field -> the results above
 *   bc_wasm_field_free()
 *
 * One engine per worker; nothing here allocates per image. */
#include <emscripten.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "engine.h"
#include "preprocess.h"

static char last_error[256];

static void set_error(bc_status s, const char *msg) {
  snprintf(last_error, sizeof last_error, "%s", msg && msg[0] ? msg : bc_status_str(s));
}

EMSCRIPTEN_KEEPALIVE const char *bc_wasm_error(void) { return last_error; }

EMSCRIPTEN_KEEPALIVE bc_engine *bc_wasm_load(const uint8_t *bytes, size_t n) {
  char msg[256] = "";
  bc_engine *e = NULL;
  const bc_status s = bc_engine_load(bytes, n, BC_BACKEND_OWN, &e, msg, sizeof msg);
  if (s != BC_OK) { set_error(s, msg); return NULL; }
  last_error[0] = 0;
  return e;
}

EMSCRIPTEN_KEEPALIVE void bc_wasm_free(bc_engine *e) { bc_engine_free(e); }

EMSCRIPTEN_KEEPALIVE int bc_wasm_classify(bc_engine *e, const uint8_t *bytes, size_t n) {
  char msg[256] = "";
  const bc_status s = bc_engine_classify(e, bytes, n, msg, sizeof msg);
  if (s != BC_OK) set_error(s, msg); else last_error[0] = 0;
  return (int)s;
}

EMSCRIPTEN_KEEPALIVE int bc_wasm_classify_pixels(bc_engine *e, const uint8_t *pixels, int w, int h, int channels) {
  char msg[256] = "";
  const bc_status s = bc_engine_classify_pixels(e, pixels, w, h, channels, msg, sizeof msg);
  if (s != BC_OK) set_error(s, msg); else last_error[0] = 0;
  return (int)s;
}

EMSCRIPTEN_KEEPALIVE int bc_wasm_preprocess(bc_engine *e, const uint8_t *bytes, size_t n) {
  char msg[256] = "";
  const bc_status s = bc_engine_preprocess(e, bytes, n, msg, sizeof msg);
  if (s != BC_OK) set_error(s, msg); else last_error[0] = 0;
  return (int)s;
}

/* Forward pass on the already-filled input tensor (benchmarks time the engine alone). */
EMSCRIPTEN_KEEPALIVE void bc_wasm_forward(bc_engine *e) { bc_engine_forward(e); }
EMSCRIPTEN_KEEPALIVE void bc_wasm_set_tta(bc_engine *e, int on) { bc_engine_set_tta(e, on); }
EMSCRIPTEN_KEEPALIVE int8_t *bc_wasm_input(bc_engine *e) { return bc_engine_input(e); }
EMSCRIPTEN_KEEPALIVE const float *bc_wasm_probs(bc_engine *e) { return bc_engine_probs(e); }
EMSCRIPTEN_KEEPALIVE const float *bc_wasm_logits(bc_engine *e) { return bc_engine_logits(e); }
EMSCRIPTEN_KEEPALIVE const float *bc_wasm_embedding(bc_engine *e) { return bc_engine_embedding(e); }
EMSCRIPTEN_KEEPALIVE const uint8_t *bc_wasm_rgb(bc_engine *e) { return bc_engine_rgb(e); }
EMSCRIPTEN_KEEPALIVE const bc_frame_result *bc_wasm_frame(bc_engine *e) { return bc_engine_frame(e); }
EMSCRIPTEN_KEEPALIVE int bc_wasm_resize_mode(bc_engine *e) { return bc_engine_resize_mode(e); }

/* Its scratch is allocated on first use and kept (one worker, one thread); NULL if that fails. */
EMSCRIPTEN_KEEPALIVE const bc_frame_result *bc_wasm_frame_pixels(const uint8_t *pixels, int w, int h, int channels) {
  static bc_frame_scratch fs;
  static bc_frame_result r;
  const bc_frame_image im = {pixels, w, h, channels, 0};
  if (!fs.rgb && bc_frame_scratch_init(&fs) != BC_OK) { set_error(BC_ERR_NOMEM, "out of memory"); return NULL; }
  const bc_status s = bc_frame_analyse(&fs, &im, &r);
  if (s != BC_OK) set_error(s, "bad pixel buffer for framing"); else last_error[0] = 0;
  return &r;
}
EMSCRIPTEN_KEEPALIVE int bc_wasm_cam(bc_engine *e, int k, float *out) { return (int)bc_engine_cam(e, k, out); }
EMSCRIPTEN_KEEPALIVE int bc_wasm_num_classes(bc_engine *e) { return bc_engine_num_classes(e); }
EMSCRIPTEN_KEEPALIVE int bc_wasm_num_subclasses(bc_engine *e) { return bc_engine_num_subclasses(e); }
EMSCRIPTEN_KEEPALIVE const char *bc_wasm_subclass_name(bc_engine *e, int j) { return bc_engine_subclass_name(e, j); }
EMSCRIPTEN_KEEPALIVE int bc_wasm_subclass_parent(bc_engine *e, int j) { return bc_engine_subclass_parent(e, j); }
EMSCRIPTEN_KEEPALIVE const float *bc_wasm_subprobs(bc_engine *e) { return bc_engine_subprobs(e); }
EMSCRIPTEN_KEEPALIVE const char *bc_wasm_class_name(bc_engine *e, int k) { return bc_engine_class_name(e, k); }
EMSCRIPTEN_KEEPALIVE int bc_wasm_input_size(bc_engine *e) { return bc_engine_input_size(e); }
EMSCRIPTEN_KEEPALIVE int bc_wasm_embedding_dim(bc_engine *e) { return bc_engine_embedding_dim(e); }
EMSCRIPTEN_KEEPALIVE int bc_wasm_cam_height(bc_engine *e) { return bc_engine_cam_height(e); }
EMSCRIPTEN_KEEPALIVE int bc_wasm_cam_width(bc_engine *e) { return bc_engine_cam_width(e); }
EMSCRIPTEN_KEEPALIVE const char *bc_wasm_model_name(bc_engine *e) { return bc_engine_model(e)->name; }
EMSCRIPTEN_KEEPALIVE const char *bc_wasm_isa(bc_engine *e) { return bc_engine_kernels_isa(e); }
EMSCRIPTEN_KEEPALIVE int bc_wasm_num_ops(bc_engine *e) { return bc_engine_num_ops(e); }
EMSCRIPTEN_KEEPALIVE void bc_wasm_run_op(bc_engine *e, int i) { bc_engine_run_op(e, i); }
EMSCRIPTEN_KEEPALIVE const char *bc_wasm_op_desc(bc_engine *e, int i) {
  static char desc[96];
  bc_engine_op_describe(e, i, desc, sizeof desc);
  return desc;
}
EMSCRIPTEN_KEEPALIVE double bc_wasm_op_macs(bc_engine *e, int i) { return (double)bc_engine_op_macs(e, i); }

/* ---- whole fields ---------------------------------------------------------------------------------- */
static bc_image field;
static bc_frame_result field_scale;
static bc_frame_cells field_cells;
static int field_info[4];

EMSCRIPTEN_KEEPALIVE void bc_wasm_field_free(void) { bc_image_free(&field); }

EMSCRIPTEN_KEEPALIVE const bc_frame_cells *bc_wasm_field_load(bc_engine *e, const uint8_t *bytes, size_t n) {
  char msg[256] = "";
  bc_status s;
  bc_image_free(&field);
  s = bc_decode(bytes, n, 1, &field, msg, sizeof msg);
  if (s == BC_OK) s = bc_engine_locate(e, field.px, field.w, field.h, 4, &field_scale, &field_cells, msg, sizeof msg);
  if (s != BC_OK) { bc_image_free(&field); set_error(s, msg); return NULL; }
  last_error[0] = 0;
  return &field_cells;
}

/* Already decoded pixels (RGBA8, e.g. a WebP or TIFF the browser or a JS decoder read): copied, then located. */
EMSCRIPTEN_KEEPALIVE const bc_frame_cells *bc_wasm_field_load_pixels(bc_engine *e, const uint8_t *rgba, int w, int h) {
  char msg[256] = "";
  bc_status s;
  bc_image_free(&field);
  if (w < 1 || h < 1) { set_error(BC_ERR_ARGUMENT, "bad pixel buffer for the locator (no pixels)"); return NULL; }
  if (w > BC_MAX_IMAGE_DIM || h > BC_MAX_IMAGE_DIM || (long long)w * h > BC_MAX_IMAGE_PIXELS) {
    set_error(BC_ERR_TOO_LARGE, "image too large for the locator (over 16384 px a side or 40 megapixels)");
    return NULL;
  }
  field.px = (uint8_t *)malloc((size_t)w * (size_t)h * 4);   /* freed by bc_image_free (stb's free) */
  if (!field.px) { set_error(BC_ERR_NOMEM, "out of memory"); return NULL; }
  memcpy(field.px, rgba, (size_t)w * (size_t)h * 4);
  field.w = w;
  field.h = h;
  s = bc_engine_locate(e, field.px, w, h, 4, &field_scale, &field_cells, msg, sizeof msg);
  if (s != BC_OK) { bc_image_free(&field); set_error(s, msg); return NULL; }
  last_error[0] = 0;
  return &field_cells;
}

EMSCRIPTEN_KEEPALIVE const int *bc_wasm_field_info(void) {
  field_info[0] = field.w; field_info[1] = field.h; field_info[2] = field.orientation; field_info[3] = (int)(size_t)field.px;
  return field_info;
}

EMSCRIPTEN_KEEPALIVE int bc_wasm_field_classify(bc_engine *e, int x0, int y0, int x1, int y1) {
  char msg[256] = "";
  const bc_frame_box box = {x0, y0, x1, y1};
  bc_frame_result crop;
  bc_status s;
  if (!field.px) { set_error(BC_ERR_ARGUMENT, "no field loaded"); return (int)BC_ERR_ARGUMENT; }
  if (x1 <= x0 || y1 <= y0) { set_error(BC_ERR_ARGUMENT, "empty cell box"); return (int)BC_ERR_ARGUMENT; }
  bc_frame_crop_for_box(&field_scale, field.w, field.h, &box, &crop);
  s = bc_engine_classify_crop(e, field.px, field.w, field.h, 4, &crop, msg, sizeof msg);
  if (s != BC_OK) set_error(s, msg); else last_error[0] = 0;
  return (int)s;
}
