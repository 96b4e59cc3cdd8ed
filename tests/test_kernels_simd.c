/* Own SIMD128 kernels against own scalar kernels: bit-exact, on random shapes, run as real wasm
 * in node (built with emcc -msimd128).  Each op is created once and run with both kernel tables. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "ops.h"

static int passed, failed;
static uint64_t rng = 0x2545F4914F6CDD1Dull;
static uint32_t next_u32(void) { rng ^= rng << 13; rng ^= rng >> 7; rng ^= rng << 17; return (uint32_t)(rng >> 11); }
static int rnd(int lo, int hi) { return lo + (int)(next_u32() % (uint32_t)(hi - lo + 1)); }
static float rndf(float lo, float hi) { return lo + (hi - lo) * (float)(next_u32() & 0xFFFFFF) / 16777216.0f; }
static int8_t *rand_i8(size_t n) {
  int8_t *p = malloc(n + BC_KERNEL_OVERREAD);
  for (size_t i = 0; i < n + BC_KERNEL_OVERREAD; i++) p[i] = (int8_t)rnd(-128, 127);
  return p;
}
static void check(int ok, const char *what) { if (ok) passed++; else { failed++; printf("FAIL %s\n", what); } }

/* Runs `run` with the scalar then the SIMD table and compares the n output bytes at y. */
#define COMPARE(what, y, n, run_with)                                          \
  do {                                                                         \
    int8_t *ref_ = malloc(n);                                                  \
    run_with(&bc_kernels_scalar);                                              \
    memcpy(ref_, y, n);                                                        \
    memset(y, 0x55, n);                                                        \
    run_with(&bc_kernels_wasmsimd);                                            \
    size_t bad_ = 0;                                                           \
    for (size_t i_ = 0; i_ < (size_t)(n); i_++) bad_ += ref_[i_] != y[i_];     \
    char buf_[200];                                                            \
    snprintf(buf_, sizeof buf_, "%s: %zu of %zu bytes differ", what, bad_, (size_t)(n)); \
    check(bad_ == 0, buf_);                                                    \
    free(ref_);                                                                \
  } while (0)

static void test_conv(int trial) {
  const int depthwise = trial % 3 == 2;
  /* every 4th trial a dense stride-1 3x3: the Winograd path, compared with scalar and with the igemm */
  const int wino = trial % 4 == 1 && !depthwise;
  const int groups = wino ? 1 : depthwise ? rnd(1, 70) : (trial % 5 == 4 ? rnd(2, 4) : 1);
  const int gin = depthwise ? 1 : wino && trial % 8 == 1 ? rnd(71, 256) : rnd(1, 70), gout = depthwise ? 1 : rnd(1, 70);
  bc_conv_desc d;
  memset(&d, 0, sizeof d);
  d.groups = groups; d.in_c = groups * gin; d.out_c = groups * gout;
  d.win = (bc_window){ rnd(1, 5), rnd(1, 5), rnd(1, 3), rnd(1, 3), 1, 1, rnd(0, 2), rnd(0, 2), rnd(0, 2), rnd(0, 2) };
  if (wino) { d.win.kh = d.win.kw = 3; d.win.sh = d.win.sw = 1; }
  d.in_h = rnd(d.win.kh, 16); d.in_w = rnd(d.win.kw, 16);
  d.in = (bc_qparams){ rndf(0.01f, 0.1f), rnd(-128, 127) };
  d.out = (bc_qparams){ rndf(0.01f, 0.5f), rnd(-128, 127) };
  d.out_min = (int8_t)rnd(-128, -60); d.out_max = (int8_t)rnd(60, 127);
  const size_t ks = (size_t)d.win.kh * d.win.kw;
  int8_t *w = rand_i8((size_t)d.out_c * ks * gin);
  float *ws = malloc(sizeof(float) * d.out_c);
  int32_t *bias = malloc(sizeof(int32_t) * d.out_c);
  for (int c = 0; c < d.out_c; c++) { ws[c] = rndf(0.0005f, 0.05f); bias[c] = rnd(-100000, 100000); }
  d.weights = w; d.w_scale = ws; d.bias = bias;
  const int oh = bc_window_out_dim(d.in_h, d.win.kh, d.win.sh, 1, d.win.pad_top, d.win.pad_bottom);
  const int ow = bc_window_out_dim(d.in_w, d.win.kw, d.win.sw, 1, d.win.pad_left, d.win.pad_right);
  const size_t out_n = (size_t)oh * ow * d.out_c;
  int8_t *x = rand_i8((size_t)d.in_h * d.in_w * d.in_c), *y = rand_i8(out_n);
  char msg[128], what[160];
  bc_conv_op op;
  if (bc_conv_create(&op, &d, x, y, msg, sizeof msg) != BC_OK) { check(0, msg); return; }
  snprintf(what, sizeof what, "conv #%d %dx%d c%d->%d g%d k%dx%d s%dx%d", trial, d.in_h, d.in_w, d.in_c,
           d.out_c, groups, d.win.kh, d.win.kw, d.win.sh, d.win.sw);
#define RUN_CONV(k) bc_conv_run(&op, k)
  COMPARE(what, y, out_n, RUN_CONV);
  if (wino) {
    check(op.winograd, "a dense stride-1 3x3 conv takes the Winograd path");
    /* the same conv through the igemm (SIMD both): Winograd must give the igemm's bytes */
    int8_t *y_direct = malloc(out_n);
    bc_conv_op direct;
    d.direct = 1;
    if (bc_conv_create(&direct, &d, x, y_direct, msg, sizeof msg) != BC_OK) { check(0, msg); }
    else {
      bc_conv_run(&op, &bc_kernels_wasmsimd);
      bc_conv_run(&direct, &bc_kernels_wasmsimd);
      size_t bad = 0;
      for (size_t i = 0; i < out_n; i++) bad += y[i] != y_direct[i];
      char buf[220];
      snprintf(buf, sizeof buf, "%s winograd vs igemm: %zu of %zu bytes differ", what, bad, out_n);
      check(bad == 0 && !direct.winograd, buf);
      bc_conv_free(&direct);
    }
    free(y_direct);
  }
  bc_conv_free(&op);
  free(w); free(ws); free(bias); free(x); free(y);
}

static void test_pool(int trial, int is_avg) {
  bc_window win = { rnd(1, 4), rnd(1, 4), rnd(1, 3), rnd(1, 3), 1, 1, 0, 0, 0, 0 };
  win.pad_top = rnd(0, win.kh - 1); win.pad_bottom = rnd(0, win.kh - 1);
  win.pad_left = rnd(0, win.kw - 1); win.pad_right = rnd(0, win.kw - 1);
  const int h = rnd(win.kh, 15), w = rnd(win.kw, 15), c = rnd(1, 80);
  const int oh = bc_window_out_dim(h, win.kh, win.sh, 1, win.pad_top, win.pad_bottom);
  const int ow = bc_window_out_dim(w, win.kw, win.sw, 1, win.pad_left, win.pad_right);
  const size_t out_n = (size_t)oh * ow * c;
  int8_t *x = rand_i8((size_t)h * w * c), *y = rand_i8(out_n);
  bc_qparams in = { rndf(0.02f, 0.1f), rnd(-128, 127) }, out = { rndf(0.02f, 0.1f), rnd(-128, 127) };
  char msg[128], what[160];
  bc_pool_op op;
  if (bc_pool_create(&op, is_avg, h, w, c, &win, in, is_avg ? out : in, (int8_t)rnd(-128, -1), (int8_t)rnd(0, 127),
                     x, y, msg, sizeof msg) != BC_OK) { check(0, msg); return; }
  snprintf(what, sizeof what, "%s #%d %dx%dx%d k%dx%d s%dx%d", is_avg ? "avgpool" : "maxpool", trial, h, w, c,
           win.kh, win.kw, win.sh, win.sw);
#define RUN_POOL(k) bc_pool_run(&op, k)
  COMPARE(what, y, out_n, RUN_POOL);
  bc_pool_free(&op);
  free(x); free(y);
}

static void test_gap(int trial) {
  const int h = rnd(1, 12), w = rnd(1, 12), c = rnd(1, 300);
  int8_t *x = rand_i8((size_t)h * w * c), *y = rand_i8((size_t)c);
  bc_qparams in = { rndf(0.02f, 0.1f), rnd(-128, 127) }, out = { rndf(0.01f, 0.1f), rnd(-128, 127) };
  char what[160];
  bc_gap_op op;
  bc_gap_create(&op, h, w, c, in, out, -128, 127, x, y);
  snprintf(what, sizeof what, "gap #%d %dx%dx%d", trial, h, w, c);
#define RUN_GAP(k) bc_gap_run(&op, k)
  COMPARE(what, y, (size_t)c, RUN_GAP);
  bc_gap_free(&op);
  free(x); free(y);
}

static void test_add(int trial) {
  const size_t n = (size_t)rnd(1, 3000);
  int8_t *a = rand_i8(n), *b = rand_i8(n), *y = rand_i8(n);
  bc_qparams qa = { rndf(0.02f, 0.2f), rnd(-128, 127) }, qb = { rndf(0.02f, 0.2f), rnd(-128, 127) };
  bc_qparams qo = { rndf(0.02f, 0.3f), rnd(-128, 127) };
  char what[160];
  bc_add_op op;
  bc_add_create(&op, n, qa, qb, qo, (int8_t)rnd(-128, 0), 127, a, b, y);
  snprintf(what, sizeof what, "add #%d n=%zu", trial, n);
#define RUN_ADD(k) bc_add_run(&op, k)
  COMPARE(what, y, n, RUN_ADD);
  free(a); free(b); free(y);
}

/* Preprocessing's horizontal resample: random rows, weights (both signs, so both clamps are hit),
 * tap windows up to the row's last pixel (the SIMD kernel's lane-by-lane tail). */
static void test_hresample(int trial) {
  const size_t src_w = (size_t)rnd(1, 1200), out_w = (size_t)rnd(1, 300), ksize = (size_t)rnd(1, 15);
  uint8_t *src = malloc(src_w * 3), *ref = malloc(out_w * 3), *got = malloc(out_w * 3);
  int32_t *coef = malloc(out_w * ksize * sizeof(int32_t));
  int *bounds = malloc(out_w * 2 * sizeof(int));
  for (size_t i = 0; i < src_w * 3; i++) src[i] = (uint8_t)rnd(0, 255);
  const int kmax = (1 << 23) / (int)ksize - 1;   /* keeps every sum inside int32 */
  for (size_t xx = 0; xx < out_w; xx++) {
    const int x0 = trial % 4 == 0 ? (int)src_w - 1 - rnd(0, (int)src_w - 1) % (int)ksize : rnd(0, (int)src_w - 1);
    const int room = (int)src_w - x0;
    bounds[xx * 2] = x0;
    bounds[xx * 2 + 1] = rnd(0, (int)ksize < room ? (int)ksize : room);
    for (size_t x = 0; x < ksize; x++) coef[xx * ksize + x] = rnd(-kmax / 4, kmax);
  }
  bc_u8_rgb_hresample__scalar(out_w, src, src_w, ref, coef, bounds, ksize);
  memset(got, 0x55, out_w * 3);
  bc_u8_rgb_hresample__wasmsimd(out_w, src, src_w, got, coef, bounds, ksize);
  size_t bad = 0;
  for (size_t i = 0; i < out_w * 3; i++) bad += ref[i] != got[i];
  char buf[200];
  snprintf(buf, sizeof buf, "u8 rgb hresample (src %zu, out %zu, k %zu): %zu of %zu bytes differ", src_w, out_w, ksize, bad, out_w * 3);
  check(bad == 0, buf);
  free(src); free(ref); free(got); free(coef); free(bounds);
}

/* u16 += u8 (the locator's reduced copy): any length, any start sums, wrapping included. */
static void test_vacc(int trial) {
  const size_t n = (size_t)rnd(0, 4 * 1200 + 17);
  uint8_t *x = malloc(n + 1);
  uint16_t *ref = malloc((n + 1) * 2), *got = malloc((n + 1) * 2);
  for (size_t i = 0; i < n; i++) {
    x[i] = (uint8_t)rnd(0, 255);
    ref[i] = got[i] = (uint16_t)(trial % 5 == 0 ? rnd(65000, 65535) : rnd(0, 65535));
  }
  bc_u16_u8_vacc__scalar(n, x, ref);
  bc_u16_u8_vacc__wasmsimd(n, x, got);
  size_t bad = 0;
  for (size_t i = 0; i < n; i++) bad += ref[i] != got[i];
  char buf[200];
  snprintf(buf, sizeof buf, "u16 u8 vacc (n %zu): %zu of %zu sums differ", n, bad, n);
  check(bad == 0, buf);
  free(x); free(ref); free(got);
}

/* igemm weight packing: partial and full blocks, k with and without 16-wide chunks and odd tails. */
static void test_packw(int trial) {
  const size_t nr = trial % 3 == 0 ? (size_t)rnd(1, 8) : 8, ks = (size_t)rnd(1, 9), gin = (size_t)rnd(1, 80);
  const size_t kcp = (gin + 1) & ~(size_t)1, n_out = ks * kcp * 8;
  int8_t *w = rand_i8(nr * ks * gin);
  const int8_t *src[8];
  for (size_t n = 0; n < nr; n++) src[n] = w + n * ks * gin;
  int16_t *ref = calloc(n_out, sizeof(int16_t)), *got = calloc(n_out, sizeof(int16_t));
  int32_t sum_ref[8], sum_got[8];
  bc_x8_packw_igemm_8c2__scalar(nr, ks, gin, kcp, src, ref, sum_ref);
  bc_x8_packw_igemm_8c2__wasmsimd(nr, ks, gin, kcp, src, got, sum_got);
  size_t bad = 0;
  for (size_t i = 0; i < n_out; i++) bad += ref[i] != got[i];
  for (size_t n = 0; n < nr; n++) {
    int32_t want = 0;
    for (size_t i = 0; i < ks * gin; i++) want += src[n][i];
    bad += sum_ref[n] != want;
    bad += sum_got[n] != want;
  }
  char buf[200];
  snprintf(buf, sizeof buf, "x8 packw (nr %zu, ks %zu, k %zu): %zu of %zu values differ", nr, ks, gin, bad, n_out);
  check(bad == 0, buf);
  free(w); free(ref); free(got);
}

int main(int argc, char **argv) {
  const int trials = argc > 1 ? atoi(argv[1]) : 300;
  for (int t = 0; t < trials; t++) test_conv(t);
  for (int t = 0; t < trials / 3; t++) test_pool(t, 0);
  for (int t = 0; t < trials / 3; t++) test_pool(t, 1);
  for (int t = 0; t < trials / 3; t++) test_gap(t);
  for (int t = 0; t < trials / 3; t++) test_add(t);
  for (int t = 0; t < trials / 3; t++) test_hresample(t);
  for (int t = 0; t < trials / 3; t++) test_packw(t);
  for (int t = 0; t < trials / 3; t++) test_vacc(t);
  printf("wasmsimd vs scalar: %d passed, %d failed\n", passed, failed);
  printf("%d passed, %d failed\n", passed, failed);
  return failed != 0;
}
