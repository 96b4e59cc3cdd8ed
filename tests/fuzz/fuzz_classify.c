/* fuzz_classify.c - libFuzzer target 3: the whole classify call, image bytes -> probabilities, class
 * activation maps and embedding, with the random-weights test model (tests/fixtures/random-model.bin,
 * 64x64 input, 8 classes) loaded once in LLVMFuzzerInitialize. Own scalar kernels (no XNNPACK).
 *
 * The model path is baked in at build time (-DBC_FUZZ_MODEL=...) and may be overridden with the
 * environment variable BC_FUZZ_MODEL. A PNG input runs a second time with its chunk CRCs recomputed.
 * Invariants: an error comes with a message and leaves the previous results untouched; a success gives
 * finite logits, probabilities in [0, 1] summing to 1, finite CAMs and a finite embedding. */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "engine.h"
#include "fuzz_util.h"

#ifndef BC_FUZZ_MODEL
#define BC_FUZZ_MODEL "tests/fixtures/random-model.bin"
#endif

static bc_engine *engine;
static float *cam;

int LLVMFuzzerInitialize(int *argc, char ***argv) {
  (void)argc; (void)argv;
  const char *path = getenv("BC_FUZZ_MODEL");
  if (!path || !*path) path = BC_FUZZ_MODEL;
  FILE *f = fopen(path, "rb");
  if (!f) { fprintf(stderr, "fuzz_classify: cannot open model %s\n", path); abort(); }
  static uint8_t buf[1 << 20];
  const size_t n = fread(buf, 1, sizeof buf, f);
  fclose(f);
  char msg[256];
  if (bc_engine_load(buf, n, BC_BACKEND_OWN, &engine, msg, sizeof msg) != BC_OK) {
    fprintf(stderr, "fuzz_classify: cannot load model %s: %s\n", path, msg);
    abort();
  }
  cam = malloc((size_t)bc_engine_cam_height(engine) * bc_engine_cam_width(engine) * sizeof(float));
  if (!cam) abort();
  return 0;
}

static void classify(const uint8_t *data, size_t n) {
  char msg[256];
  const int K = bc_engine_num_classes(engine);
  float before[BC_MODEL_MAX_CLASSES];
  memcpy(before, bc_engine_probs(engine), (size_t)K * sizeof(float));
  const bc_status s = bc_engine_classify(engine, data, n, msg, sizeof msg);
  if (s != BC_OK) {
    FUZZ_CHECK(msg[0] != 0);
    FUZZ_CHECK(memcmp(before, bc_engine_probs(engine), (size_t)K * sizeof(float)) == 0);
    return;
  }
  const float *logits = bc_engine_logits(engine), *probs = bc_engine_probs(engine);
  double sum = 0;
  for (int k = 0; k < K; k++) {
    FUZZ_CHECK(isfinite(logits[k]));
    FUZZ_CHECK(probs[k] >= 0.0f && probs[k] <= 1.0f);
    sum += probs[k];
  }
  FUZZ_CHECK(fabs(sum - 1.0) < 1e-3);
  const int cells = bc_engine_cam_height(engine) * bc_engine_cam_width(engine);
  for (int k = 0; k < K; k++) {
    FUZZ_CHECK(bc_engine_cam(engine, k, cam) == BC_OK);
    for (int i = 0; i < cells; i++) FUZZ_CHECK(isfinite(cam[i]));
  }
  for (int i = 0; i < bc_engine_embedding_dim(engine); i++) FUZZ_CHECK(isfinite(bc_engine_embedding(engine)[i]));
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t n) {
  classify(data, n);
  uint8_t *fixed = fuzz_png_fix_crcs(data, n);
  if (fixed) { classify(fixed, n); free(fixed); }
  return 0;
}
