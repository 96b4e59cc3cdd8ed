/* fuzz_model.c - libFuzzer target 2: model-file bytes -> loader/validator -> one forward pass on a
 * fixed input when the model loads. Own scalar kernels only (no XNNPACK), so the target is self-contained.
 *
 * Per input: bc_engine_load on the bytes as they are, then (for a "BCNN" file) again with the size and
 * CRC-32 header fields recomputed, so mutations reach the body parser (see fuzz_util.h). A model that
 * loads runs one forward pass on a fixed pseudo-random input when its work is at most FORWARD_MAX_MACS
 * (a harness budget to keep executions fast; the loader's own limits are in model.h), then every class
 * activation map and the embedding are read.
 * Invariants: a failed load returns no engine and a message; after a forward pass the probabilities are
 * finite, in [0, 1] and sum to 1 whenever the logits are finite. */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "engine.h"
#include "fuzz_util.h"

#define FORWARD_MAX_MACS 2000000ull   /* the tiny seed models need < 0.2 M; the 8.3 M random test model runs in fuzz_classify */

static void fill_input(int8_t *x, size_t len) {
  uint32_t s = 0x12345678u;
  for (size_t i = 0; i < len; i++) { s = s * 1664525u + 1013904223u; x[i] = (int8_t)(s >> 24); }
}

static void run_model(const uint8_t *data, size_t n) {
  char msg[256];
  bc_engine *e = (bc_engine *)(uintptr_t)1;
  const bc_status s = bc_engine_load(data, n, BC_BACKEND_OWN, &e, msg, sizeof msg);
  if (s != BC_OK) {
    FUZZ_CHECK(e == NULL && msg[0] != 0);
    return;
  }
  FUZZ_CHECK(e != NULL);
  uint64_t macs = 0;
  for (int i = 0; i < bc_engine_num_ops(e); i++) macs += bc_engine_op_macs(e, i);
  if (macs <= FORWARD_MAX_MACS) {
    const int S = bc_engine_input_size(e), K = bc_engine_num_classes(e);
    fill_input(bc_engine_input(e), (size_t)S * S * 3);
    bc_engine_forward(e);
    const float *logits = bc_engine_logits(e), *probs = bc_engine_probs(e);
    int finite = 1;
    for (int k = 0; k < K; k++) finite &= isfinite(logits[k]) != 0;
    if (finite) {
      double sum = 0;
      for (int k = 0; k < K; k++) { FUZZ_CHECK(probs[k] >= 0.0f && probs[k] <= 1.0f); sum += probs[k]; }
      FUZZ_CHECK(fabs(sum - 1.0) < 1e-3);
    }
    const size_t cam_len = (size_t)bc_engine_cam_height(e) * bc_engine_cam_width(e);
    float *cam = malloc(cam_len * sizeof(float));
    FUZZ_CHECK(cam != NULL);
    for (int k = 0; k < K; k++) FUZZ_CHECK(bc_engine_cam(e, k, cam) == BC_OK);
    FUZZ_CHECK(bc_engine_cam(e, K, cam) == BC_ERR_ARGUMENT);
    free(cam);
    volatile float acc = 0;
    for (int i = 0; i < bc_engine_embedding_dim(e); i++) acc += bc_engine_embedding(e)[i];
    (void)acc;
  }
  bc_engine_free(e);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t n) {
  run_model(data, n);
  uint8_t *fixed = fuzz_model_fix_header(data, n);
  if (fixed) { run_model(fixed, n); free(fixed); }
  return 0;
}
