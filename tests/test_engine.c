/* Engine tests (native): the model loader rejects every damaged file cleanly, the engine
 * reproduces the NumPy reference (scripts/model/bcmodel.py) bit for bit on the random-weights test
 * model with both backends, results do not depend on history, and outputs are consistent.
 *   build/native/test_engine MODEL CASES */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "engine.h"

#define FLIP_TRIALS_SMALL 1000
#define FLIP_TRIALS_LARGE 60

static int passed, failed;
static void check(int ok, const char *what) { if (ok) passed++; else { failed++; printf("FAIL %s\n", what); } }

static uint8_t *read_file(const char *path, size_t *n) {
  FILE *f = fopen(path, "rb");
  if (!f) return NULL;
  fseek(f, 0, SEEK_END);
  long len = ftell(f);
  fseek(f, 0, SEEK_SET);
  uint8_t *p = malloc((size_t)len + 1);
  *n = fread(p, 1, (size_t)len, f);
  fclose(f);
  return p;
}

static void put_u32(uint8_t *p, uint32_t v) { p[0] = (uint8_t)v; p[1] = (uint8_t)(v >> 8); p[2] = (uint8_t)(v >> 16); p[3] = (uint8_t)(v >> 24); }

static void test_loader(const uint8_t *model, size_t n) {
  const int FLIP_TRIALS = n > 65536 ? FLIP_TRIALS_LARGE : FLIP_TRIALS_SMALL;
  char msg[256], what[400];
  bc_engine *e = NULL;
  /* Every truncation point, header kept consistent or not. */
  int bad = 0;
  uint8_t *buf = malloc(n);
  /* Every point of a small model (the random test model); 400 spread points of a large one, since
   * each attempt checksums the whole file. */
  const size_t step = n > 65536 ? n / 400 : 1;
  for (size_t len = 0; len < n; len = len < 64 ? len + 1 : len + step) {
    if (bc_engine_load(model, len, BC_BACKEND_OWN, &e, msg, sizeof msg) == BC_OK || e || !msg[0]) bad++;
    bc_engine_free(e); e = NULL;
    if (len >= 16) {  /* a truncation that also fixes size and checksum reaches the body parser */
      memcpy(buf, model, len);
      put_u32(buf + 8, (uint32_t)len);
      put_u32(buf + 12, bc_crc32(buf + 16, len - 16));
      if (bc_engine_load(buf, len, BC_BACKEND_OWN, &e, msg, sizeof msg) == BC_OK || !msg[0]) bad++;
      bc_engine_free(e); e = NULL;
    }
  }
  snprintf(what, sizeof what, "truncations of the %zu-byte model (every %zu bytes) are rejected with a message (%d accepted)", n, step, bad);
  check(bad == 0, what);
  /* Random byte flips: with the stored checksum (caught by it) and with a recomputed one (caught
   * by validation, or harmless: then the engine must still load and run without faults). */
  uint64_t rng = 12345;
  int caught_crc = 0, caught_body = 0, loaded = 0;
  for (int t = 0; t < FLIP_TRIALS; t++) {
    memcpy(buf, model, n);
    const int flips = 1 + t % 4;
    for (int k = 0; k < flips; k++) {
      rng = rng * 6364136223846793005ull + 1442695040888963407ull;
      const size_t pos = 16 + (size_t)(rng >> 33) % (n - 16);
      buf[pos] ^= (uint8_t)(1u << ((rng >> 20) & 7));
    }
    if (bc_engine_load(buf, n, BC_BACKEND_OWN, &e, msg, sizeof msg) == BC_OK) { bad++; bc_engine_free(e); }
    else if (strstr(msg, "checksum")) caught_crc++;
    e = NULL;
    put_u32(buf + 12, bc_crc32(buf + 16, n - 16));
    if (bc_engine_load(buf, n, BC_BACKEND_OWN, &e, msg, sizeof msg) == BC_OK) {
      loaded++;
      bc_engine_forward(e);
      for (int k = 0; k < bc_engine_num_classes(e); k++) if (!isfinite(bc_engine_probs(e)[k]) && isfinite(bc_engine_logits(e)[k])) bad++;
      bc_engine_free(e);
    } else {
      caught_body++;
      if (!msg[0]) bad++;
    }
    e = NULL;
  }
  snprintf(what, sizeof what, "%d flipped files: %d caught by checksum; with checksum fixed %d rejected by validation, %d loaded and ran",
           FLIP_TRIALS, caught_crc, caught_body, loaded);
  check(bad == 0 && caught_crc == FLIP_TRIALS, what);
  printf("  %s\n", what);
  /* Wrong magic, wrong version. */
  memcpy(buf, model, n); buf[0] = 'X';
  check(bc_engine_load(buf, n, BC_BACKEND_OWN, &e, msg, sizeof msg) == BC_ERR_BAD_MODEL && strstr(msg, "magic"), "bad magic rejected");
  memcpy(buf, model, n); put_u32(buf + 4, 4);
  check(bc_engine_load(buf, n, BC_BACKEND_OWN, &e, msg, sizeof msg) == BC_ERR_MODEL_VERSION && strstr(msg, "version 4"), "version 4 rejected");
  printf("  version message: %s\n", msg);
  memcpy(buf, model, n); put_u32(buf + 4, 0);
  check(bc_engine_load(buf, n, BC_BACKEND_OWN, &e, msg, sizeof msg) == BC_ERR_MODEL_VERSION, "version 0 rejected");
  printf("  version message: %s\n", msg);
  check(bc_engine_load(NULL, 0, BC_BACKEND_OWN, &e, msg, sizeof msg) == BC_ERR_BAD_MODEL, "empty model rejected");
  free(buf);
}

static void test_cases(const uint8_t *model, size_t n, const uint8_t *cases, size_t cn, bc_backend backend) {
  char msg[256], what[256];
  bc_engine *e = NULL;
  if (bc_engine_load(model, n, backend, &e, msg, sizeof msg) != BC_OK) { check(0, msg); return; }
  uint32_t count, S, K;
  memcpy(&count, cases, 4); memcpy(&S, cases + 4, 4); memcpy(&K, cases + 8, 4);
  const size_t in_len = (size_t)S * S * 3, rec = in_len + 4 * K;
  if (cn != 12 + count * rec || (int)S != bc_engine_input_size(e) ||
      (int)K != bc_engine_num_classes(e) + bc_engine_num_subclasses(e)) {
    check(0, "cases file does not match the model");
    bc_engine_free(e);
    return;
  }
  /* Twice through, in opposite orders: results must not depend on what ran before. */
  for (int pass = 0; pass < 2; pass++) {
    for (uint32_t j = 0; j < count; j++) {
      const uint32_t i = pass ? count - 1 - j : j;
      const uint8_t *c = cases + 12 + i * rec;
      memcpy(bc_engine_input(e), c, in_len);
      bc_engine_forward(e);
      float expect[BC_MODEL_MAX_CLASSES + BC_MODEL_MAX_SUBCLASSES];
      memcpy(expect, c + in_len, 4 * K);
      float maxdiff = 0;
      for (uint32_t k = 0; k < K; k++) maxdiff = fmaxf(maxdiff, fabsf(bc_engine_logits(e)[k] - expect[k]));
      snprintf(what, sizeof what, "%s backend, case %u pass %d: logits equal the NumPy reference (max |diff| %g)",
               bc_engine_kernels_isa(e), i, pass, maxdiff);
      check(maxdiff == 0.0f, what);
    }
  }
  /* Probabilities sum to 1; the CAM averages to the logit; the embedding has the GAP's size. */
  float sum = 0;
  for (int k = 0; k < bc_engine_num_classes(e); k++) sum += bc_engine_probs(e)[k];
  snprintf(what, sizeof what, "probabilities sum to 1 (%.7f)", sum);
  check(fabsf(sum - 1.0f) < 1e-5f, what);
  /* Sub-classes: consecutive per class, each class's sub-class probabilities a softmax of its own logits. */
  for (int j0 = 0; j0 < bc_engine_num_subclasses(e);) {
    const int parent = bc_engine_subclass_parent(e, j0), K8 = bc_engine_num_classes(e);
    int j1 = j0;
    float s = 0, mx = -INFINITY, worst_sub = 0;
    while (j1 < bc_engine_num_subclasses(e) && bc_engine_subclass_parent(e, j1) == parent) j1++;
    for (int j = j0; j < j1; j++) { s += bc_engine_subprobs(e)[j]; mx = fmaxf(mx, bc_engine_logits(e)[K8 + j]); }
    float z = 0;
    for (int j = j0; j < j1; j++) z += expf(bc_engine_logits(e)[K8 + j] - mx);
    for (int j = j0; j < j1; j++)
      worst_sub = fmaxf(worst_sub, fabsf(bc_engine_subprobs(e)[j] - expf(bc_engine_logits(e)[K8 + j] - mx) / z));
    snprintf(what, sizeof what, "sub-classes of %s (%s .. %s): probabilities sum to 1 (%.7f), softmax of their logits (max |diff| %g)",
             bc_engine_class_name(e, parent), bc_engine_subclass_name(e, j0), bc_engine_subclass_name(e, j1 - 1), s, worst_sub);
    check(parent >= 0 && fabsf(s - 1.0f) < 1e-5f && worst_sub < 1e-6f, what);
    j0 = j1;
  }
  const int ch = bc_engine_cam_height(e), cw = bc_engine_cam_width(e);
  float *cam = malloc(sizeof(float) * ch * cw);
  float worst = 0;
  for (int k = 0; k < bc_engine_num_classes(e); k++) {
    bc_engine_cam(e, k, cam);
    double mean = 0;
    for (int p = 0; p < ch * cw; p++) mean += cam[p];
    mean /= ch * cw;
    /* Not exact: the logit uses the int8-quantized GAP, the CAM the feature map itself. */
    const float err = fabsf((float)mean - bc_engine_logits(e)[k]);
    worst = fmaxf(worst, err);
  }
  snprintf(what, sizeof what, "CAM (%dx%d) mean matches each logit within GAP quantization (worst %.4f)", ch, cw, worst);
  check(worst < 0.25f, what);
  check(bc_engine_cam(e, -1, cam) == BC_ERR_ARGUMENT && bc_engine_cam(e, 99, cam) == BC_ERR_ARGUMENT, "CAM rejects bad class index");
  free(cam);
  bc_engine_free(e);
}

/* The test's own dihedral views, built from two moves (mirror x, transpose) rather than the engine's
 * rotations: views[v] = T^(v>>2) . M^((v>>1)&1) . V^(v&1) with V the vertical mirror. */
static void view_by_moves(const int8_t *src, int8_t *dst, int S, int v) {
  for (int y = 0; y < S; y++)
    for (int x = 0; x < S; x++) {
      int sy = y, sx = x;
      if (v & 4) { const int t = sy; sy = sx; sx = t; }
      if (v & 2) sx = S - 1 - sx;
      if (v & 1) sy = S - 1 - sy;
      memcpy(dst + ((size_t)y * S + x) * 3, src + ((size_t)sy * S + sx) * 3, 3);
    }
}

static void test_tta(const uint8_t *model, size_t n, const uint8_t *cases, bc_backend backend) {
  char msg[256], what[256];
  bc_engine *e = NULL;
  if (bc_engine_load(model, n, backend, &e, msg, sizeof msg) != BC_OK) { check(0, msg); return; }
  const int S = bc_engine_input_size(e), K = bc_engine_num_classes(e), C = bc_engine_embedding_dim(e);
  const size_t len = (size_t)S * S * 3;
  int8_t *in = malloc(len), *v = malloc(len);
  memcpy(in, cases + 12, len);
  double mean[BC_MODEL_MAX_CLASSES] = {0}, *emb = calloc((size_t)C, sizeof(double));
  float plain[BC_MODEL_MAX_CLASSES];
  for (int d = 0; d < 8; d++) {
    view_by_moves(in, v, S, d);
    memcpy(bc_engine_input(e), v, len);
    bc_engine_forward(e);
    for (int k = 0; k < K; k++) mean[k] += bc_engine_logits(e)[k] / 8.0;
    for (int c = 0; c < C; c++) emb[c] += bc_engine_embedding(e)[c] / 8.0;
    if (d == 0) memcpy(plain, bc_engine_logits(e), sizeof(float) * K);
  }
  check(!bc_engine_tta(e), "test-time augmentation is off by default");
  bc_engine_set_tta(e, 1);
  memcpy(bc_engine_input(e), in, len);
  bc_engine_forward(e);
  double worst = 0, worst_emb = 0, psum = 0, worst_p = 0;
  for (int k = 0; k < K; k++) worst = fmax(worst, fabs(bc_engine_logits(e)[k] - mean[k]));
  for (int c = 0; c < C; c++) worst_emb = fmax(worst_emb, fabs(bc_engine_embedding(e)[c] - emb[c]));
  double mx = -INFINITY;
  const double T = bc_engine_model(e)->temperature;
  for (int k = 0; k < K; k++) mx = fmax(mx, bc_engine_logits(e)[k] / T);
  for (int k = 0; k < K; k++) psum += exp(bc_engine_logits(e)[k] / T - mx);
  for (int k = 0; k < K; k++) worst_p = fmax(worst_p, fabs(bc_engine_probs(e)[k] - exp(bc_engine_logits(e)[k] / T - mx) / psum));
  snprintf(what, sizeof what, "%s TTA: logits and embedding are the means over the 8 dihedral views (max |diff| %.2g, %.2g), "
           "probabilities their softmax (%.2g)", bc_engine_kernels_isa(e), worst, worst_emb, worst_p);
  check(worst < 1e-4 && worst_emb < 1e-4 && worst_p < 1e-6, what);
  check(memcmp(bc_engine_input(e), in, len) == 0, "TTA leaves the input as given (the CAM's view is the identity)");
  float again[BC_MODEL_MAX_CLASSES];
  memcpy(again, bc_engine_logits(e), sizeof(float) * K);
  bc_engine_forward(e);
  check(memcmp(again, bc_engine_logits(e), sizeof(float) * K) == 0, "TTA is deterministic");
  int differs = 0;
  for (int k = 0; k < K; k++) differs |= again[k] != plain[k];
  check(differs, "TTA logits differ from the single view's on an asymmetric input (the views really run)");
  bc_engine_set_tta(e, 0);
  memcpy(bc_engine_input(e), in, len);
  bc_engine_forward(e);
  check(memcmp(plain, bc_engine_logits(e), sizeof(float) * K) == 0, "TTA off again gives the single-view logits");
  free(in); free(v); free(emb);
  bc_engine_free(e);
}

int main(int argc, char **argv) {
  const char *model_path = argc > 1 ? argv[1] : "tests/fixtures/random-model.bin";
  const char *cases_path = argc > 2 ? argv[2] : "tests/fixtures/random-model-cases.bin";
  size_t n = 0, cn = 0;
  uint8_t *model = read_file(model_path, &n), *cases = read_file(cases_path, &cn);
  if (!model || !cases) { printf("cannot read %s or %s\n0 passed, 1 failed\n", model_path, cases_path); return 1; }
  test_loader(model, n);
  test_cases(model, n, cases, cn, BC_BACKEND_OWN);
  test_tta(model, n, cases, BC_BACKEND_OWN);
  if (bc_backend_available(BC_BACKEND_XNNPACK)) {
    test_cases(model, n, cases, cn, BC_BACKEND_XNNPACK);
    test_tta(model, n, cases, BC_BACKEND_XNNPACK);
  }
  else printf("note: XNNPACK backend not in this build; own kernels only\n");
  free(model); free(cases);
  printf("%d passed, %d failed\n", passed, failed);
  return failed != 0;
}
