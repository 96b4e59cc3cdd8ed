/* Own scalar operators against Debian's XNNPACK (the oracle), on many random shapes.
 *   convolution (dense, grouped, depthwise, strided, dilated, padded) and fully connected:
 *     bit-exact (same fp32 requantization as XNNPACK's qc8/qs8 paths).
 *   max pool: bit-exact.
 *   global average pool and average pool: |diff| <= 1, because XNNPACK folds the 1/N into its
 *     requantization scale in a different float order (and the 2022 average pool is qu8 only,
 *     fed here with the same values shifted by 128); our rounding is the same fp32
 *     round-to-nearest-even, so only an exact .5 tie after a 1-ulp scale difference can flip.
 *   add: |diff| <= 1, because XNNPACK's 2022 qs8 add requantizes with fixed-point multipliers
 *     and a shift, where ours uses fp32. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <xnnpack.h>
#include "ops.h"

static int passed, failed;
static uint64_t rng = 0x9E3779B97F4A7C15ull;
static uint32_t next_u32(void) { rng ^= rng << 13; rng ^= rng >> 7; rng ^= rng << 17; return (uint32_t)(rng >> 11); }
static int rnd(int lo, int hi) { return lo + (int)(next_u32() % (uint32_t)(hi - lo + 1)); }
static float rndf(float lo, float hi) { return lo + (hi - lo) * (float)(next_u32() & 0xFFFFFF) / 16777216.0f; }
static int8_t *rand_i8(size_t n) {
  int8_t *p = malloc(n + BC_KERNEL_OVERREAD + XNN_EXTRA_BYTES);
  for (size_t i = 0; i < n + BC_KERNEL_OVERREAD + XNN_EXTRA_BYTES; i++) p[i] = (int8_t)rnd(-128, 127);
  return p;
}

static void check(int ok, const char *what) {
  if (ok) passed++; else { failed++; printf("FAIL %s\n", what); }
}

static int max_diff(const int8_t *a, const int8_t *b, size_t n, size_t *where) {
  int m = 0;
  for (size_t i = 0; i < n; i++) {
    const int d = abs(a[i] - b[i]);
    if (d > m) { m = d; if (where) *where = i; }
  }
  return m;
}

static void test_conv(int trial) {
  const int depthwise = trial % 4 == 3;
  /* every 6th trial takes the Winograd path: dense stride-1 3x3, sometimes up to its 256-channel limit */
  const int wino = trial % 6 == 1 && !depthwise;
  const int groups = wino ? 1 : depthwise ? rnd(1, 40) : (trial % 5 == 4 ? rnd(2, 4) : 1);
  const int gin = depthwise ? 1 : wino && rnd(1, 6) == 1 ? rnd(41, 256) : rnd(1, 40), gout = depthwise ? 1 : rnd(1, 40);
  bc_conv_desc d;
  memset(&d, 0, sizeof d);
  d.groups = groups; d.in_c = groups * gin; d.out_c = groups * gout;
  d.win.kh = rnd(1, 5); d.win.kw = rnd(1, 5);
  d.win.sh = rnd(1, 3); d.win.sw = rnd(1, 3);
  d.win.dh = trial % 7 == 6 ? 2 : 1; d.win.dw = trial % 7 == 6 ? rnd(1, 2) : 1;
  d.win.pad_top = rnd(0, 2); d.win.pad_left = rnd(0, 2); d.win.pad_bottom = rnd(0, 2); d.win.pad_right = rnd(0, 2);
  if (wino) { d.win.kh = d.win.kw = 3; d.win.sh = d.win.sw = 1; d.win.dh = d.win.dw = 1; }
  /* XNNPACK refuses padding as wide as the window */
  const int span_h = (d.win.kh - 1) * d.win.dh, span_w = (d.win.kw - 1) * d.win.dw;
  if (d.win.pad_top > span_h) d.win.pad_top = span_h;
  if (d.win.pad_bottom > span_h) d.win.pad_bottom = span_h;
  if (d.win.pad_left > span_w) d.win.pad_left = span_w;
  if (d.win.pad_right > span_w) d.win.pad_right = span_w;
  d.in_h = rnd(d.win.kh * d.win.dh, 14); d.in_w = rnd(d.win.kw * d.win.dw, 14);
  d.in.zero_point = rnd(-128, 127); d.in.scale = rndf(0.01f, 0.1f);
  d.out.zero_point = rnd(-128, 127); d.out.scale = rndf(0.05f, 0.5f);
  d.out_min = (int8_t)rnd(-128, -60); d.out_max = (int8_t)rnd(60, 127);
  /* a ReLU clamp (XNNPACK refuses out_min == out_max, so a zero point of 127 clamps at 126) */
  if (trial % 3 == 0) { d.out_min = (int8_t)(d.out.zero_point < 127 ? d.out.zero_point : 126); d.out_max = 127; }
  const size_t ks = (size_t)d.win.kh * d.win.kw;
  const size_t wn = (size_t)d.out_c * ks * gin;
  int8_t *w = rand_i8(wn);
  float *ws = malloc(sizeof(float) * d.out_c);
  int32_t *bias = malloc(sizeof(int32_t) * d.out_c);
  for (int c = 0; c < d.out_c; c++) {
    ws[c] = rndf(0.001f, 0.02f);
    /* keep the requantization scale < 1: the 2022 XNNPACK refuses larger ones */
    while (d.in.scale * ws[c] / d.out.scale >= 1.0f) ws[c] *= 0.5f;
    bias[c] = rnd(-5000, 5000);
  }
  d.weights = w; d.w_scale = ws; d.bias = bias;
  const int oh = bc_window_out_dim(d.in_h, d.win.kh, d.win.sh, d.win.dh, d.win.pad_top, d.win.pad_bottom);
  const int ow = bc_window_out_dim(d.in_w, d.win.kw, d.win.sw, d.win.dw, d.win.pad_left, d.win.pad_right);
  const size_t in_n = (size_t)d.in_h * d.in_w * d.in_c, out_n = (size_t)oh * ow * d.out_c;
  int8_t *x = rand_i8(in_n), *y_own = rand_i8(out_n), *y_ref = rand_i8(out_n);
  char msg[128], what[256];
  bc_conv_op op;
  if (bc_conv_create(&op, &d, x, y_own, msg, sizeof msg) != BC_OK) { check(0, msg); return; }
  bc_conv_run(&op, &bc_kernels_scalar);
  xnn_operator_t xop = NULL;
  enum xnn_status st = xnn_create_convolution2d_nhwc_qc8(
      d.win.pad_top, d.win.pad_right, d.win.pad_bottom, d.win.pad_left, d.win.kh, d.win.kw, d.win.sh, d.win.sw,
      d.win.dh, d.win.dw, groups, gin, gout, d.in_c, d.out_c, (int8_t)d.in.zero_point, d.in.scale, ws, w, bias,
      (int8_t)d.out.zero_point, d.out.scale, d.out_min, d.out_max, 0, &xop);
  if (st == xnn_status_success) st = xnn_setup_convolution2d_nhwc_qc8(xop, 1, d.in_h, d.in_w, x, y_ref, NULL);
  if (st == xnn_status_success) st = xnn_run_operator(xop, NULL);
  size_t where = 0;
  const int diff = st == xnn_status_success ? max_diff(y_own, y_ref, out_n, &where) : -1;
  snprintf(what, sizeof what,
           "conv #%d %dx%d c%d->%d g%d k%dx%d s%dx%d d%dx%d p%d,%d,%d,%d: xnn status %d, max diff %d at %zu",
           trial, d.in_h, d.in_w, d.in_c, d.out_c, groups, d.win.kh, d.win.kw, d.win.sh, d.win.sw, d.win.dh,
           d.win.dw, d.win.pad_top, d.win.pad_left, d.win.pad_bottom, d.win.pad_right, st, diff, where);
  check(diff == 0, what);
  xnn_delete_operator(xop);
  bc_conv_free(&op);
  free(w); free(ws); free(bias); free(x); free(y_own); free(y_ref);
}

static void test_fc(int trial) {
  const int in_c = rnd(1, 300), out_c = rnd(1, 70);
  bc_qparams in = { rndf(0.01f, 0.1f), rnd(-128, 127) }, out = { rndf(0.1f, 1.0f), rnd(-128, 127) };
  int8_t *w = rand_i8((size_t)in_c * out_c), *x = rand_i8((size_t)in_c);
  int8_t *y_own = rand_i8((size_t)out_c), *y_ref = rand_i8((size_t)out_c);
  /* XNNPACK's qs8 fully connected has one kernel scale: our per-channel path gets it uniformly. */
  const float kscale = rndf(0.001f, 0.01f);
  float *ws = malloc(sizeof(float) * out_c);
  int32_t *bias = malloc(sizeof(int32_t) * out_c);
  for (int c = 0; c < out_c; c++) { ws[c] = kscale; bias[c] = rnd(-20000, 20000); }
  const int8_t lo = (int8_t)rnd(-128, -1), hi = (int8_t)rnd(0, 127);
  char msg[128], what[160];
  bc_conv_op op;
  if (bc_fc_create(&op, in_c, out_c, in, out, lo, hi, w, ws, bias, x, y_own, msg, sizeof msg) != BC_OK) { check(0, msg); return; }
  bc_conv_run(&op, &bc_kernels_scalar);
  xnn_operator_t xop = NULL;
  enum xnn_status st = xnn_create_fully_connected_nc_qs8(in_c, out_c, in_c, out_c, (int8_t)in.zero_point, in.scale,
                                                        kscale, w, bias, (int8_t)out.zero_point, out.scale, lo, hi, 0, &xop);
  if (st == xnn_status_success) st = xnn_setup_fully_connected_nc_qs8(xop, 1, x, y_ref, NULL);
  if (st == xnn_status_success) st = xnn_run_operator(xop, NULL);
  const int diff = st == xnn_status_success ? max_diff(y_own, y_ref, (size_t)out_c, NULL) : -1;
  snprintf(what, sizeof what, "fc #%d %d->%d: xnn status %d, max diff %d", trial, in_c, out_c, st, diff);
  check(diff == 0, what);
  xnn_delete_operator(xop);
  bc_conv_free(&op);
  free(w); free(x); free(y_own); free(y_ref); free(ws); free(bias);
}

static void test_maxpool(int trial) {
  bc_window win = { rnd(1, 4), rnd(1, 4), rnd(1, 3), rnd(1, 3), 1, 1, 0, 0, 0, 0 };
  if (win.kh * win.kw == 1) win.kw = 2; /* XNNPACK rejects 1x1 pooling */
  win.pad_top = rnd(0, win.kh - 1); win.pad_bottom = rnd(0, win.kh - 1);
  win.pad_left = rnd(0, win.kw - 1); win.pad_right = rnd(0, win.kw - 1);
  const int h = rnd(win.kh, 15), w = rnd(win.kw, 15), c = rnd(1, 70);
  const int oh = bc_window_out_dim(h, win.kh, win.sh, 1, win.pad_top, win.pad_bottom);
  const int ow = bc_window_out_dim(w, win.kw, win.sw, 1, win.pad_left, win.pad_right);
  const size_t out_n = (size_t)oh * ow * c;
  int8_t *x = rand_i8((size_t)h * w * c), *y_own = rand_i8(out_n), *y_ref = rand_i8(out_n);
  const int8_t lo = (int8_t)rnd(-128, -1), hi = (int8_t)rnd(0, 127);
  bc_qparams q = { 0.1f, 0 };
  char msg[128], what[160];
  bc_pool_op op;
  if (bc_pool_create(&op, 0, h, w, c, &win, q, q, lo, hi, x, y_own, msg, sizeof msg) != BC_OK) { check(0, msg); return; }
  bc_pool_run(&op, &bc_kernels_scalar);
  xnn_operator_t xop = NULL;
  enum xnn_status st = xnn_create_max_pooling2d_nhwc_s8(win.pad_top, win.pad_right, win.pad_bottom, win.pad_left,
                                                       win.kh, win.kw, win.sh, win.sw, 1, 1, c, c, c, lo, hi, 0, &xop);
  if (st == xnn_status_success) st = xnn_setup_max_pooling2d_nhwc_s8(xop, 1, h, w, x, y_ref, NULL);
  if (st == xnn_status_success) st = xnn_run_operator(xop, NULL);
  const int diff = st == xnn_status_success ? max_diff(y_own, y_ref, out_n, NULL) : -1;
  snprintf(what, sizeof what, "maxpool #%d %dx%dx%d k%dx%d s%dx%d: xnn status %d, max diff %d",
           trial, h, w, c, win.kh, win.kw, win.sh, win.sw, st, diff);
  check(diff == 0, what);
  xnn_delete_operator(xop);
  bc_pool_free(&op);
  free(x); free(y_own); free(y_ref);
}

static void test_avgpool(int trial) {
  /* No padding: XNNPACK's qu8 average pool excludes padding from the divisor, ours includes it
   * (PyTorch's default); padded cases are covered by the SIMD-vs-scalar test. */
  bc_window win = { rnd(1, 4), rnd(1, 4), rnd(1, 3), rnd(1, 3), 1, 1, 0, 0, 0, 0 };
  if (win.kh * win.kw == 1) win.kh = 2;
  const int h = rnd(win.kh, 15), w = rnd(win.kw, 15), c = rnd(1, 70);
  const int oh = bc_window_out_dim(h, win.kh, win.sh, 1, 0, 0), ow = bc_window_out_dim(w, win.kw, win.sw, 1, 0, 0);
  const size_t in_n = (size_t)h * w * c, out_n = (size_t)oh * ow * c;
  int8_t *x = rand_i8(in_n), *y_own = rand_i8(out_n), *y_ref = rand_i8(out_n);
  uint8_t *xu = malloc(in_n + XNN_EXTRA_BYTES), *yu = malloc(out_n);
  for (size_t i = 0; i < in_n; i++) xu[i] = (uint8_t)(x[i] + 128);
  bc_qparams in = { rndf(0.02f, 0.1f), rnd(-100, 100) }, out = { in.scale * rndf(0.8f, 1.5f), rnd(-100, 100) };
  char msg[128], what[160];
  bc_pool_op op;
  if (bc_pool_create(&op, 1, h, w, c, &win, in, out, -128, 127, x, y_own, msg, sizeof msg) != BC_OK) { check(0, msg); return; }
  bc_pool_run(&op, &bc_kernels_scalar);
  xnn_operator_t xop = NULL;
  enum xnn_status st = xnn_create_average_pooling2d_nhwc_qu8(0, 0, 0, 0, win.kh, win.kw, win.sh, win.sw, c, c, c,
      (uint8_t)(in.zero_point + 128), in.scale, (uint8_t)(out.zero_point + 128), out.scale, 0, 255, 0, &xop);
  if (st == xnn_status_success) st = xnn_setup_average_pooling2d_nhwc_qu8(xop, 1, h, w, xu, yu, NULL);
  if (st == xnn_status_success) st = xnn_run_operator(xop, NULL);
  for (size_t i = 0; i < out_n; i++) y_ref[i] = (int8_t)(yu[i] - 128);
  const int diff = st == xnn_status_success ? max_diff(y_own, y_ref, out_n, NULL) : -1;
  snprintf(what, sizeof what, "avgpool #%d %dx%dx%d k%dx%d s%dx%d: xnn status %d, max diff %d (tolerance 1)",
           trial, h, w, c, win.kh, win.kw, win.sh, win.sw, st, diff);
  check(diff >= 0 && diff <= 1, what);
  xnn_delete_operator(xop);
  bc_pool_free(&op);
  free(x); free(y_own); free(y_ref); free(xu); free(yu);
}

static void test_gap(int trial) {
  const int h = rnd(1, 12), w = rnd(1, 12), c = rnd(1, 300);
  int8_t *x = rand_i8((size_t)h * w * c), *y_own = rand_i8((size_t)c), *y_ref = rand_i8((size_t)c);
  bc_qparams in = { rndf(0.02f, 0.1f), rnd(-128, 127) }, out = { in.scale * rndf(0.5f, 1.5f), rnd(-128, 127) };
  const int8_t lo = -128, hi = 127;
  char what[160];
  bc_gap_op op;
  if (bc_gap_create(&op, h, w, c, in, out, lo, hi, x, y_own) != BC_OK) { check(0, "gap create"); return; }
  bc_gap_run(&op, &bc_kernels_scalar);
  xnn_operator_t xop = NULL;
  enum xnn_status st = xnn_create_global_average_pooling_nwc_qs8(c, c, c, (int8_t)in.zero_point, in.scale,
                                                                (int8_t)out.zero_point, out.scale, lo, hi, 0, &xop);
  if (st == xnn_status_success) st = xnn_setup_global_average_pooling_nwc_qs8(xop, 1, (size_t)h * w, x, y_ref, NULL);
  if (st == xnn_status_success) st = xnn_run_operator(xop, NULL);
  const int diff = st == xnn_status_success ? max_diff(y_own, y_ref, (size_t)c, NULL) : -1;
  snprintf(what, sizeof what, "gap #%d %dx%dx%d: xnn status %d, max diff %d (tolerance 1)", trial, h, w, c, st, diff);
  check(diff >= 0 && diff <= 1, what);
  xnn_delete_operator(xop);
  bc_gap_free(&op);
  free(x); free(y_own); free(y_ref);
}

static void test_add(int trial) {
  const size_t n = (size_t)rnd(1, 5000);
  int8_t *a = rand_i8(n), *b = rand_i8(n), *y_own = rand_i8(n), *y_ref = rand_i8(n);
  bc_qparams qa = { rndf(0.02f, 0.2f), rnd(-128, 127) }, qb = { rndf(0.02f, 0.2f), rnd(-128, 127) };
  bc_qparams qo = { rndf(0.05f, 0.3f), rnd(-128, 127) };
  const int8_t lo = (int8_t)(trial % 2 && qo.zero_point < 127 ? qo.zero_point : -128), hi = 127;
  char what[160];
  bc_add_op op;
  bc_add_create(&op, n, qa, qb, qo, lo, hi, a, b, y_own);
  bc_add_run(&op, &bc_kernels_scalar);
  xnn_operator_t xop = NULL;
  enum xnn_status st = xnn_create_add_nd_qs8((int8_t)qa.zero_point, qa.scale, (int8_t)qb.zero_point, qb.scale,
                                            (int8_t)qo.zero_point, qo.scale, lo, hi, 0, &xop);
  const size_t shape[1] = { n };
  if (st == xnn_status_success) st = xnn_setup_add_nd_qs8(xop, 1, shape, 1, shape, a, b, y_ref, NULL);
  if (st == xnn_status_success) st = xnn_run_operator(xop, NULL);
  const int diff = st == xnn_status_success ? max_diff(y_own, y_ref, n, NULL) : -1;
  snprintf(what, sizeof what, "add #%d n=%zu: xnn status %d, max diff %d (tolerance 1)", trial, n, st, diff);
  check(diff >= 0 && diff <= 1, what);
  xnn_delete_operator(xop);
  free(a); free(b); free(y_own); free(y_ref);
}

int main(int argc, char **argv) {
  const int trials = argc > 1 ? atoi(argv[1]) : 300;
  if (xnn_initialize(NULL) != xnn_status_success) { printf("xnn_initialize failed\n0 passed, 1 failed\n"); return 1; }
  for (int t = 0; t < trials; t++) test_conv(t);
  for (int t = 0; t < trials / 2; t++) test_fc(t);
  for (int t = 0; t < trials / 3; t++) test_maxpool(t);
  for (int t = 0; t < trials / 3; t++) test_avgpool(t);
  for (int t = 0; t < trials / 3; t++) test_gap(t);
  for (int t = 0; t < trials / 3; t++) test_add(t);
  printf("ops vs XNNPACK: %d passed, %d failed\n", passed, failed);
  printf("%d passed, %d failed\n", passed, failed);
  return failed != 0;
}
