/* bench_native.c - own kernels (scalar, this build) against XNNPACK on the same model:
 * per conv layer and whole-model ms, and the ratio own/XNNPACK; plus decode+preprocess time.
 *   build/native/bench_native MODEL IMAGE */
#define _POSIX_C_SOURCE 200809L
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "engine.h"

static double now_ms(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return t.tv_sec * 1e3 + t.tv_nsec / 1e6;
}

static int cmp(const void *a, const void *b) { double x = *(const double *)a, y = *(const double *)b; return (x > y) - (x < y); }
static double median(double *v, int n) { qsort(v, (size_t)n, sizeof(double), cmp); return v[n / 2]; }

static uint8_t *read_file(const char *p, size_t *n) {
  FILE *f = fopen(p, "rb");
  if (!f) return NULL;
  fseek(f, 0, SEEK_END); long len = ftell(f); fseek(f, 0, SEEK_SET);
  uint8_t *b = malloc((size_t)len);
  *n = fread(b, 1, (size_t)len, f);
  fclose(f);
  return b;
}

static double time_op(bc_engine *e, int i, int reps) {
  double t[64];
  for (int r = 0; r < reps; r++) { double t0 = now_ms(); bc_engine_run_op(e, i); t[r] = now_ms() - t0; }
  return median(t, reps);
}

int main(int argc, char **argv) {
  if (argc < 3) { fprintf(stderr, "usage: bench_native MODEL IMAGE\n"); return 2; }
  size_t n = 0, in = 0;
  uint8_t *model = read_file(argv[1], &n), *img = read_file(argv[2], &in);
  char msg[256];
  bc_engine *own = NULL, *xnn = NULL;
  if (!model || !img || bc_engine_load(model, n, BC_BACKEND_OWN, &own, msg, sizeof msg) ||
      bc_engine_load(model, n, BC_BACKEND_XNNPACK, &xnn, msg, sizeof msg)) {
    fprintf(stderr, "bench_native: %s\n", msg); return 2;
  }
  bc_engine_classify(own, img, in, msg, sizeof msg);
  bc_engine_classify(xnn, img, in, msg, sizeof msg);
  double pre[50];
  for (int r = 0; r < 50; r++) {
    double t0 = now_ms();
    bc_engine_classify(own, img, in, msg, sizeof msg);
    pre[r] = now_ms() - t0;
  }
  double fo[30], fx[30];
  for (int r = 0; r < 30; r++) {
    double t0 = now_ms(); bc_engine_forward(own); fo[r] = now_ms() - t0;
    t0 = now_ms(); bc_engine_forward(xnn); fx[r] = now_ms() - t0;
  }
  const double mo = median(fo, 30), mx = median(fx, 30), mc = median(pre, 50);
  printf("native (gcc -O2, x86-64 baseline): own scalar kernels vs XNNPACK, one thread\n");
  printf("  op  MACs(M)   own ms  xnnpack ms  own/xnnpack\n");
  for (int i = 0; i < bc_engine_num_ops(own); i++) {
    const uint64_t macs = bc_engine_op_macs(own, i);
    if (!macs || bc_engine_model(own)->ops[i].type == BC_OP_LOGITS) continue;
    const double a = time_op(own, i, 15), b = time_op(xnn, i, 15);
    printf("  %2d %8.2f %8.3f %10.3f %11.2f\n", i, macs / 1e6, a, b, a / b);
  }
  printf("  whole model forward: own %.2f ms, xnnpack %.2f ms, ratio own/xnnpack %.2f\n", mo, mx, mo / mx);
  printf("  own: bytes -> probabilities (decode + preprocess + forward) %.2f ms, so decode + preprocess ~ %.2f ms\n", mc, mc - mo);
  bc_engine_free(own); bc_engine_free(xnn); free(model); free(img);
  return 0;
}
