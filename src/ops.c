/* ops.c - operator setup: weight packing and indirection buffers (see ops.h, kernels.h). */
#include <assert.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "ops.h"

#define ROUND_UP(x, m) (((x) + (m) - 1) / (m) * (m))

/* Packing runs once per model load, in V8's baseline code in the browser: SIMD there too. */
#ifdef __wasm_simd128__
#define packw bc_x8_packw_igemm_8c2__wasmsimd
#else
#define packw bc_x8_packw_igemm_8c2__scalar
#endif

int bc_window_out_dim(int in, int k, int stride, int dilation, int pad_a, int pad_b) {
  const long span = (long)(k - 1) * dilation + 1;
  const long padded = (long)in + pad_a + pad_b;
  if (k < 1 || stride < 1 || dilation < 1 || padded < span) return 0;
  return (int)((padded - span) / stride + 1);
}

/* An indirection buffer's shape: tiles of `mr` output pixels, n entries in all. */
#define IND_MAX_MR 8   /* tiles are BC_IGEMM_MR (igemm) or 1 (pools, depthwise) pixels */
typedef struct ind_geometry { int in_h, in_w, in_stride, out_h, out_w; const bc_window *w; size_t mr, n; } ind_geometry;

static ind_geometry ind_geom(int in_h, int in_w, int in_stride, int out_h, int out_w, const bc_window *w, size_t mr) {
  assert(mr >= 1 && mr <= IND_MAX_MR);
  const size_t pixels = (size_t)out_h * out_w, ks = (size_t)w->kh * w->kw;
  const ind_geometry g = {in_h, in_w, in_stride, out_h, out_w, w, mr, (pixels + mr - 1) / mr * mr * ks};
  return g;
}

/* The input offset (elements) of every indirection entry, in layout order (tile, tap, row of the
 * tile), or -1 for a tap in the padding; the last tile's missing rows repeat the last pixel.
 * Loops instead of a division per entry, and not inlined: this runs at model load, before V8 has
 * optimised anything, and its loops would make the caller a function V8 re-compiles. */
__attribute__((noinline)) static long *ind_offsets(const ind_geometry *g) {
  long *off = malloc((g->n ? g->n : 1) * sizeof(*off));
  if (!off) return NULL;
  const size_t pixels = (size_t)g->out_h * g->out_w;
  const bc_window *w = g->w;
  long *o = off;
  int y0[IND_MAX_MR], x0[IND_MAX_MR];   /* the tile's pixels: top-left input corner of each window */
  for (size_t p0 = 0; p0 < pixels; p0 += g->mr) {
    for (size_t m = 0; m < g->mr; m++) {
      const size_t p = p0 + m < pixels ? p0 + m : pixels - 1;
      y0[m] = (int)(p / (size_t)g->out_w) * w->sh - w->pad_top;
      x0[m] = (int)(p % (size_t)g->out_w) * w->sw - w->pad_left;
    }
    for (int ky = 0; ky < w->kh; ky++)
      for (int kx = 0; kx < w->kw; kx++)
        for (size_t m = 0; m < g->mr; m++) {
          const int iy = y0[m] + ky * w->dh, ix = x0[m] + kx * w->dw;
          *o++ = iy < 0 || iy >= g->in_h || ix < 0 || ix >= g->in_w ? -1 : ((long)iy * g->in_w + ix) * g->in_stride;
        }
  }
  return off;
}

/* One pointer per (output pixel, tap); taps in the padding point at `pad`.  The int8 form serves
 * pools and depthwise convs, the int16 form the igemm kernels (which read int16 activations). */
static const int8_t **build_indirection(const int8_t *input, ind_geometry g, const int8_t *pad) {
  long *off = ind_offsets(&g);
  const int8_t **ind = off ? malloc(g.n * sizeof(*ind)) : NULL;
  for (size_t i = 0; ind && i < g.n; i++) ind[i] = off[i] < 0 ? pad : input + off[i];
  free(off);
  return ind;
}

static const int16_t **build_indirection16(const int16_t *input, ind_geometry g, const int16_t *pad) {
  long *off = ind_offsets(&g);
  const int16_t **ind = off ? malloc(g.n * sizeof(*ind)) : NULL;
  for (size_t i = 0; ind && i < g.n; i++) ind[i] = off[i] < 0 ? pad : input + off[i];
  free(off);
  return ind;
}

static bc_status fail(char *msg, size_t len, bc_status s, const char *text) {
  if (msg && len) snprintf(msg, len, "%s", text);
  return s;
}

/* Winograd weights U = 4 G g G^T per (output, input channel), in kernels.h's layout; the bias and its
 * zero-point fold as the igemm's; the output pixel pointers of every tile. Returns 0 when out of memory. */
static int pack_winograd(bc_conv_op *op, const bc_conv_desc *d, const float *requant) {
  static const int g2[4][3] = {{2, 0, 0}, {1, 1, 1}, {1, -1, 1}, {0, 0, 2}};   /* 2 G */
  const size_t in_c = (size_t)d->in_c, out_c = (size_t)d->out_c, kc_padded = ROUND_UP(in_c, BC_IGEMM_KR);
  const size_t blocks = (out_c + BC_IGEMM_NR - 1) / BC_IGEMM_NR;
  const size_t block_bytes = BC_IGEMM_NR * (sizeof(int32_t) + sizeof(float)) + 16 * kc_padded * BC_IGEMM_NR * sizeof(int16_t);
  op->in_h = d->in_h; op->in_w = d->in_w; op->pad_top = d->win.pad_top; op->pad_left = d->win.pad_left;
  op->tiles_w = ((size_t)op->out_w + 1) / 2;
  op->tiles = op->tiles_w * (((size_t)op->out_h + 1) / 2);
  op->v_row = ROUND_UP(in_c, 8);
  const size_t tiles_pad = ROUND_UP(op->tiles, BC_IGEMM_MR);
  op->group_packed_bytes = blocks * block_bytes;
  op->packed = calloc(1, op->group_packed_bytes);
  op->v = calloc(16 * BC_IGEMM_MR * op->v_row * sizeof(int16_t) + BC_KERNEL_OVERREAD, 1);
  op->wino_out = calloc(tiles_pad * 4, sizeof(*op->wino_out));
  if (!op->packed || !op->v || !op->wino_out) return 0;
  uint8_t *p = op->packed;
  for (size_t b = 0; b < blocks; b++, p += block_bytes) {
    int32_t bias[BC_IGEMM_NR] = {0};
    float scale[BC_IGEMM_NR] = {0};
    int16_t *u = (int16_t *)(p + sizeof(bias));
    for (size_t n = 0; n < BC_IGEMM_NR && b * BC_IGEMM_NR + n < out_c; n++) {
      const size_t oc = b * BC_IGEMM_NR + n;
      const int8_t *wo = d->weights + oc * 9 * in_c;   /* OHWI */
      int32_t sum = 0;
      for (size_t ci = 0; ci < in_c; ci++) {
        int t[4][3];
        for (int i = 0; i < 4; i++)
          for (int kx = 0; kx < 3; kx++) {
            t[i][kx] = 0;
            for (int ky = 0; ky < 3; ky++) t[i][kx] += g2[i][ky] * wo[((size_t)ky * 3 + (size_t)kx) * in_c + ci];
          }
        for (int ky = 0; ky < 3; ky++)
          for (int kx = 0; kx < 3; kx++) sum += wo[((size_t)ky * 3 + (size_t)kx) * in_c + ci];
        for (int i = 0; i < 4; i++)
          for (int j = 0; j < 4; j++) {
            const int uij = t[i][0] * g2[j][0] + t[i][1] * g2[j][1] + t[i][2] * g2[j][2];
            u[((size_t)(4 * i + j) * kc_padded + (ci & ~(size_t)1)) * BC_IGEMM_NR + 2 * n + (ci & 1)] = (int16_t)uij;
          }
      }
      bias[n] = (int32_t)((uint32_t)d->bias[oc] - (uint32_t)(d->in.zero_point * sum));
      scale[n] = requant[oc];
    }
    memcpy(p, bias, sizeof(bias));
    memcpy(p + sizeof(bias) + 16 * kc_padded * BC_IGEMM_NR * sizeof(int16_t), scale, sizeof(scale));
  }
  for (size_t t = 0; t < op->tiles; t++) {
    const size_t ty = t / op->tiles_w, tx = t % op->tiles_w;
    for (size_t q = 0; q < 4; q++) {
      const size_t y = 2 * ty + q / 2, x = 2 * tx + q % 2;
      op->wino_out[4 * t + q] = y < (size_t)op->out_h && x < (size_t)op->out_w ? op->output + (y * (size_t)op->out_w + x) * out_c : NULL;
    }
  }
  return 1;
}

bc_status bc_conv_create(bc_conv_op *op, const bc_conv_desc *d, const int8_t *input, int8_t *output,
                         char *msg, size_t msg_len) {
  memset(op, 0, sizeof(*op));
  const bc_window *w = &d->win;
  if (d->groups < 1 || d->in_c % d->groups || d->out_c % d->groups)
    return fail(msg, msg_len, BC_ERR_ARGUMENT, "convolution: channels not divisible by groups");
  op->out_h = bc_window_out_dim(d->in_h, w->kh, w->sh, w->dh, w->pad_top, w->pad_bottom);
  op->out_w = bc_window_out_dim(d->in_w, w->kw, w->sw, w->dw, w->pad_left, w->pad_right);
  if (!op->out_h || !op->out_w) return fail(msg, msg_len, BC_ERR_ARGUMENT, "convolution: window larger than input");
  op->in_c = d->in_c; op->out_c = d->out_c; op->groups = d->groups;
  op->gin = d->in_c / d->groups; op->gout = d->out_c / d->groups;
  op->ks = w->kh * w->kw;
  op->pixels = (size_t)op->out_h * op->out_w;
  op->depthwise = op->gin == 1 && op->gout == 1;
  op->output = output;
  bc_qs8_params_init(&op->params, d->out.zero_point, d->out_min, d->out_max);

  /* Winograd where it is exact and pays: dense stride-1 3x3 (int32 bound in kernels.h: in_c <= 256). */
  op->winograd = !d->direct && !op->depthwise && d->groups == 1 && w->kh == 3 && w->kw == 3 && w->sh == 1 &&
                 w->sw == 1 && w->dh == 1 && w->dw == 1 && d->in_c <= 256;
  const size_t ks = (size_t)op->ks;
  /* The padding row: input zero points, read across a whole group (or all channels) plus slack. */
  const size_t zero_len = ROUND_UP((size_t)d->in_c, 8) + BC_KERNEL_OVERREAD;

  float *requant = malloc((size_t)d->out_c * sizeof(float));
  if (!requant) { bc_conv_free(op); return fail(msg, msg_len, BC_ERR_NOMEM, "out of memory"); }
  for (int c = 0; c < d->out_c; c++) requant[c] = d->in.scale * d->w_scale[c] / d->out.scale;

  if (op->depthwise) {
    op->zero = malloc(zero_len);
    if (!op->zero) { free(requant); return fail(msg, msg_len, BC_ERR_NOMEM, "out of memory"); }
    memset(op->zero, (int8_t)d->in.zero_point, zero_len);
    const size_t blocks = ((size_t)d->out_c + BC_DWCONV_CR - 1) / BC_DWCONV_CR;
    const size_t block_bytes = BC_DWCONV_CR * (sizeof(int32_t) + ks * sizeof(int16_t) + sizeof(float));
    op->group_packed_bytes = blocks * block_bytes;
    uint8_t *p = calloc(1, op->group_packed_bytes);
    op->packed = p;
    if (!p) { free(requant); bc_conv_free(op); return fail(msg, msg_len, BC_ERR_NOMEM, "out of memory"); }
    for (size_t b = 0; b < blocks; b++, p += block_bytes) {
      int32_t bias[BC_DWCONV_CR] = {0};
      int16_t *taps = (int16_t *)(p + sizeof(bias));
      float scale[BC_DWCONV_CR] = {0};
      for (size_t i = 0; i < BC_DWCONV_CR; i++) {
        const size_t c = b * BC_DWCONV_CR + i;
        if (c >= (size_t)d->out_c) break;
        int32_t sum = 0;
        for (size_t t = 0; t < ks; t++) {
          const int8_t k = d->weights[c * ks + t];
          taps[t * BC_DWCONV_CR + i] = k;
          sum += k;
        }
        bias[i] = (int32_t)((uint32_t)d->bias[c] - (uint32_t)(d->in.zero_point * sum));
        scale[i] = requant[c];
      }
      memcpy(p, bias, sizeof(bias));
      memcpy(p + sizeof(bias) + ks * BC_DWCONV_CR * sizeof(int16_t), scale, sizeof(scale));
    }
    op->indirection = build_indirection(input, ind_geom(d->in_h, d->in_w, d->in_c, op->out_h, op->out_w, w, 1), op->zero);
  } else if (op->winograd) {
    op->input = input;
    op->zero_point_in = d->in.zero_point;
    if (!pack_winograd(op, d, requant)) { free(requant); bc_conv_free(op); return fail(msg, msg_len, BC_ERR_NOMEM, "out of memory"); }
  } else {
    /* The igemm kernels read an int16 copy of the input, refreshed by every run. A conv with few input
     * channels (the 3-channel stem) folds each window row into k: its input copy carries the padding, so
     * a row's kw pixels x in_c channels are contiguous, and the kernel runs kh taps of kw * in_c
     * (27 of 30 k slots used in the stem, against 27 of 36 and 9 taps of 2 k pairs unfolded). */
    op->fold = d->groups == 1 && w->kw > 1 && w->dh == 1 && w->dw == 1 && d->in_c * w->kw <= 16;
    op->taps = op->fold ? w->kh : op->ks;
    op->kc = op->fold ? w->kw * d->in_c : op->gin;
    op->pad_top = w->pad_top; op->pad_left = w->pad_left;
    op->in_h = d->in_h; op->in_w = d->in_w;
    op->padded_w = op->fold ? d->in_w + w->pad_left + w->pad_right : d->in_w;
    const size_t padded_h = op->fold ? (size_t)d->in_h + w->pad_top + w->pad_bottom : (size_t)d->in_h;
    op->input = input;
    op->input_len = padded_h * op->padded_w * d->in_c;
    op->input16 = malloc(op->input_len * sizeof(int16_t) + BC_KERNEL_OVERREAD);
    op->zero16 = malloc(zero_len * sizeof(int16_t));
    if (!op->input16 || !op->zero16) { free(requant); bc_conv_free(op); return fail(msg, msg_len, BC_ERR_NOMEM, "out of memory"); }
    for (size_t i = 0; i < zero_len; i++) op->zero16[i] = (int16_t)d->in.zero_point;
    /* the padding stays the input zero point; runs refresh the interior */
    for (size_t i = 0; i < op->input_len + BC_KERNEL_OVERREAD / sizeof(int16_t); i++) op->input16[i] = (int16_t)d->in.zero_point;
    const size_t gin = (size_t)op->kc, gout = (size_t)op->gout;
    const size_t ks = (size_t)op->taps, kc_padded = ROUND_UP(gin, BC_IGEMM_KR);
    const size_t blocks = (gout + BC_IGEMM_NR - 1) / BC_IGEMM_NR;
    const size_t block_bytes = BC_IGEMM_NR * (sizeof(int32_t) + sizeof(float)) + ks * kc_padded * BC_IGEMM_NR * sizeof(int16_t);
    op->group_packed_bytes = blocks * block_bytes;
    uint8_t *p = calloc((size_t)d->groups, op->group_packed_bytes);
    op->packed = p;
    if (!p) { free(requant); bc_conv_free(op); return fail(msg, msg_len, BC_ERR_NOMEM, "out of memory"); }
    for (int g = 0; g < d->groups; g++) {
      for (size_t b = 0; b < blocks; b++, p += block_bytes) {
        int32_t bias[BC_IGEMM_NR] = {0};
        float scale[BC_IGEMM_NR] = {0};
        int16_t *wk = (int16_t *)(p + sizeof(bias));
        /* The block's channels (fewer in the last block: the rest stay zero), read row by row. */
        const int8_t *src[BC_IGEMM_NR];
        int32_t sum[BC_IGEMM_NR];
        const size_t oc0 = (size_t)g * gout + b * BC_IGEMM_NR;
        size_t nr = 0;
        for (; nr < BC_IGEMM_NR && b * BC_IGEMM_NR + nr < gout; nr++) src[nr] = d->weights + (oc0 + nr) * ks * gin;
        /* The loops over every weight live in the kernel: this function runs once per op, and V8
         * would otherwise spend an optimising compile on all of it. */
        packw(nr, ks, gin, kc_padded, src, wk, sum);
        for (size_t n = 0; n < nr; n++) {
          bias[n] = (int32_t)((uint32_t)d->bias[oc0 + n] - (uint32_t)(d->in.zero_point * sum[n]));
          scale[n] = requant[oc0 + n];
        }
        memcpy(p, bias, sizeof(bias));
        memcpy(p + sizeof(bias) + ks * kc_padded * BC_IGEMM_NR * sizeof(int16_t), scale, sizeof(scale));
      }
    }
    if (op->fold) {
      /* [tile][tap = window row][row of the tile]: the window row's first pixel in the padded copy */
      const size_t tiles = (op->pixels + BC_IGEMM_MR - 1) / BC_IGEMM_MR;
      const int16_t **ind = malloc(tiles * ks * BC_IGEMM_MR * sizeof(*ind));
      for (size_t t = 0; ind && t < tiles; t++)
        for (size_t ky = 0; ky < ks; ky++)
          for (size_t m = 0; m < BC_IGEMM_MR; m++) {
            const size_t px = t * BC_IGEMM_MR + m < op->pixels ? t * BC_IGEMM_MR + m : op->pixels - 1;
            const size_t oy = px / (size_t)op->out_w, ox = px % (size_t)op->out_w;
            ind[(t * ks + ky) * BC_IGEMM_MR + m] =
                op->input16 + ((oy * (size_t)w->sh + ky) * op->padded_w + ox * (size_t)w->sw) * (size_t)d->in_c;
          }
      op->indirection16 = ind;
    } else {
      op->indirection16 = build_indirection16(op->input16, ind_geom(d->in_h, d->in_w, d->in_c, op->out_h, op->out_w, w, BC_IGEMM_MR),
                                              op->zero16);
    }
  }
  free(requant);
  if (!op->indirection && !op->indirection16 && !op->winograd) { bc_conv_free(op); return fail(msg, msg_len, BC_ERR_NOMEM, "out of memory"); }
  return BC_OK;
}

void bc_conv_run(const bc_conv_op *op, const bc_kernels *k) {
  if (op->depthwise) {
    k->dwconv(op->pixels, (size_t)op->out_c, (size_t)op->ks, op->indirection, op->packed, op->output,
              (size_t)op->out_c, 0, op->zero, &op->params);
    return;
  }
  if (op->winograd) {
    /* one block of 4 tiles at a time: its transformed input (16 x 4 rows) stays in L1 for every channel block */
    const size_t xi_stride = BC_IGEMM_MR * op->v_row;
    for (size_t t = 0; t < op->tiles; t += BC_IGEMM_MR) {
      const size_t mr = op->tiles - t < BC_IGEMM_MR ? op->tiles - t : BC_IGEMM_MR;
      k->wino_itrans(mr, t, op->tiles_w, (size_t)op->in_h, (size_t)op->in_w, (size_t)op->in_c, op->input,
                     op->zero_point_in, op->pad_top, op->pad_left, op->v, xi_stride, op->v_row);
      k->wino_gemm(mr, (size_t)op->out_c, (size_t)op->in_c, op->v, xi_stride, op->v_row, op->packed,
                   op->wino_out + 4 * t, &op->params);
    }
    return;
  }
  const size_t ks = (size_t)op->taps;
  if (op->fold) {
    const size_t row = (size_t)op->in_w * op->in_c;
    for (size_t y = 0; y < (size_t)op->in_h; y++) {
      int16_t *dst = op->input16 + ((y + (size_t)op->pad_top) * op->padded_w + (size_t)op->pad_left) * op->in_c;
      const int8_t *src = op->input + y * row;
      for (size_t i = 0; i < row; i++) dst[i] = src[i];
    }
  } else {
    for (size_t i = 0; i < op->input_len; i++) op->input16[i] = op->input[i];
  }
  for (int g = 0; g < op->groups; g++) {
    const uint8_t *w = (const uint8_t *)op->packed + (size_t)g * op->group_packed_bytes;
    for (size_t p = 0; p < op->pixels; p += BC_IGEMM_MR) {
      const size_t mr = op->pixels - p < BC_IGEMM_MR ? op->pixels - p : BC_IGEMM_MR;
      k->igemm(mr, (size_t)op->gout, (size_t)op->kc, ks, op->indirection16 + p * ks, w,
               op->output + p * op->out_c + (size_t)g * op->gout, (size_t)op->out_c, BC_IGEMM_NR,
               (size_t)g * op->gin, op->zero16, &op->params);
    }
  }
}

void bc_conv_free(bc_conv_op *op) {
  free(op->packed);
  free((void *)op->indirection);
  free((void *)op->indirection16);
  free(op->zero);
  free(op->zero16);
  free(op->input16);
  free(op->v);
  free(op->wino_out);
  op->v = NULL; op->wino_out = NULL;
  op->packed = NULL; op->indirection = NULL; op->zero = NULL;
  op->indirection16 = NULL; op->zero16 = NULL; op->input16 = NULL;
}

bc_status bc_fc_create(bc_conv_op *op, int in_c, int out_c, bc_qparams in, bc_qparams out,
                       int8_t out_min, int8_t out_max, const int8_t *weights, const float *w_scale,
                       const int32_t *bias, const int8_t *input, int8_t *output, char *msg, size_t msg_len) {
  const bc_conv_desc d = {
    .in_h = 1, .in_w = 1, .in_c = in_c, .out_c = out_c, .groups = 1,
    .win = {1, 1, 1, 1, 1, 1, 0, 0, 0, 0},
    .in = in, .out = out, .out_min = out_min, .out_max = out_max,
    .weights = weights, .w_scale = w_scale, .bias = bias,
  };
  return bc_conv_create(op, &d, input, output, msg, msg_len);
}

bc_status bc_pool_create(bc_pool_op *op, int is_avg, int in_h, int in_w, int channels,
                         const bc_window *win, bc_qparams in, bc_qparams out, int8_t out_min,
                         int8_t out_max, const int8_t *input, int8_t *output, char *msg, size_t msg_len) {
  memset(op, 0, sizeof(*op));
  const int out_h = bc_window_out_dim(in_h, win->kh, win->sh, win->dh, win->pad_top, win->pad_bottom);
  const int out_w = bc_window_out_dim(in_w, win->kw, win->sw, win->dw, win->pad_left, win->pad_right);
  if (!out_h || !out_w) return fail(msg, msg_len, BC_ERR_ARGUMENT, "pool: window larger than input");
  op->is_avg = is_avg; op->channels = channels; op->ks = win->kh * win->kw;
  op->pixels = (size_t)out_h * out_w; op->output = output;
  op->out_min = out_min; op->out_max = out_max;
  op->pad = malloc((size_t)channels + BC_KERNEL_OVERREAD);
  if (!op->pad) return fail(msg, msg_len, BC_ERR_NOMEM, "out of memory");
  /* Max pool pads with the smallest value; average pool with zero (the input zero point). */
  memset(op->pad, is_avg ? (int8_t)in.zero_point : INT8_MIN, (size_t)channels + BC_KERNEL_OVERREAD);
  if (is_avg) {
    op->bias = -op->ks * in.zero_point;
    op->scale = in.scale / (out.scale * (float)op->ks);
    bc_qs8_params_init(&op->params, out.zero_point, out_min, out_max);
  }
  op->indirection = build_indirection(input, ind_geom(in_h, in_w, channels, out_h, out_w, win, 1), op->pad);
  if (!op->indirection) { bc_pool_free(op); return fail(msg, msg_len, BC_ERR_NOMEM, "out of memory"); }
  return BC_OK;
}

void bc_pool_run(const bc_pool_op *op, const bc_kernels *k) {
  if (op->is_avg)
    k->avgpool(op->pixels, (size_t)op->channels, (size_t)op->ks, op->indirection, op->output,
               (size_t)op->channels, op->bias, op->scale, &op->params);
  else
    k->maxpool(op->pixels, (size_t)op->channels, (size_t)op->ks, op->indirection, op->output,
               (size_t)op->channels, op->out_min, op->out_max);
}

void bc_pool_free(bc_pool_op *op) {
  free((void *)op->indirection);
  free(op->pad);
  op->indirection = NULL; op->pad = NULL;
}

bc_status bc_gap_create(bc_gap_op *op, int in_h, int in_w, int channels, bc_qparams in, bc_qparams out,
                        int8_t out_min, int8_t out_max, const int8_t *input, int8_t *output) {
  memset(op, 0, sizeof(*op));
  op->rows = (size_t)in_h * in_w; op->channels = (size_t)channels;
  op->input = input; op->output = output;
  op->acc = malloc((size_t)channels * sizeof(int32_t));
  if (!op->acc) return BC_ERR_NOMEM;
  op->bias = -(int32_t)op->rows * in.zero_point;
  op->scale = in.scale / (out.scale * (float)op->rows);
  bc_qs8_params_init(&op->params, out.zero_point, out_min, out_max);
  return BC_OK;
}

void bc_gap_run(const bc_gap_op *op, const bc_kernels *k) {
  k->gavgpool(op->rows, op->channels, op->input, op->acc, op->output, op->bias, op->scale, &op->params);
}

void bc_gap_free(bc_gap_op *op) { free(op->acc); op->acc = NULL; }

void bc_add_create(bc_add_op *op, size_t n, bc_qparams a, bc_qparams b, bc_qparams out,
                   int8_t out_min, int8_t out_max, const int8_t *pa, const int8_t *pb, int8_t *output) {
  op->n = n; op->a = pa; op->b = pb; op->output = output;
  op->params.a_zero_point = a.zero_point;
  op->params.b_zero_point = b.zero_point;
  op->params.a_scale = a.scale / out.scale;
  op->params.b_scale = b.scale / out.scale;
  bc_qs8_params_init(&op->params.out, out.zero_point, out_min, out_max);
}

void bc_add_run(const bc_add_op *op, const bc_kernels *k) {
  k->vadd(op->n, op->a, op->b, op->output, &op->params);
}
