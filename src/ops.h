/* ops.h - operator setup (weight packing, indirection buffers) apart from the kernels.
 *
 * Every op is created once for fixed input and output buffers (shapes are fixed by the model),
 * allocating all it needs at creation; running it allocates nothing.
 *
 *   bc_conv_op op;  bc_conv_create(&op, &desc, input, output, msg, sizeof msg);
 *   bc_conv_run(&op, bc_kernels_default());   ...   bc_conv_free(&op);
 *
 * Tensors are NHWC int8 with batch 1. Weights are OHWI: [out_c][kh][kw][in_c / groups]. */
#ifndef BC_OPS_H
#define BC_OPS_H

#include <stddef.h>
#include <stdint.h>
#include "bc_status.h"
#include "kernels/kernels.h"

typedef struct bc_qparams { float scale; int32_t zero_point; } bc_qparams;

typedef struct bc_window {
  int kh, kw, sh, sw, dh, dw;
  int pad_top, pad_left, pad_bottom, pad_right;
} bc_window;

/* Output size of a window op, or 0 if the window does not fit. */
int bc_window_out_dim(int in, int k, int stride, int dilation, int pad_a, int pad_b);

typedef struct bc_conv_desc {
  int in_h, in_w, in_c, out_c, groups;
  bc_window win;
  bc_qparams in, out;
  int8_t out_min, out_max;
  const int8_t *weights;    /* [out_c][kh][kw][in_c/groups] */
  const float *w_scale;     /* [out_c] */
  const int32_t *bias;      /* [out_c] */
  int direct;               /* 1: never Winograd (tests compare both paths) */
} bc_conv_desc;

typedef struct bc_conv_op {
  int out_h, out_w, in_c, out_c, groups, gin, gout, ks, depthwise;
  size_t pixels;
  void *packed;             /* per-group packed weights, group_packed_bytes each */
  size_t group_packed_bytes;
  const int8_t **indirection;     /* depthwise: int8 rows */
  int8_t *zero;                   /* depthwise padding row: input zero points */
  const int16_t **indirection16;  /* igemm: rows of input16 */
  int16_t *zero16;                /* igemm padding row */
  const int8_t *input;            /* igemm: copied to input16 at the start of every run */
  int16_t *input16;
  size_t input_len;
  int8_t *output;
  bc_qs8_params params;
  /* Winograd F(2x2, 3x3) (stride-1 3x3 convs, kernels.h): packed holds 4 G g G^T */
  int winograd, in_h, in_w, pad_top, pad_left, zero_point_in;
  int fold, taps, kc;             /* igemm: taps of kc channels (fold: kh window rows of kw * in_c) */
  size_t padded_w;                /* fold: the int16 copy's row width in pixels, padding included */
  size_t tiles, tiles_w, v_row;   /* v: 16 positions x 4 tiles x v_row int16, one tile block at a time */
  int16_t *v;
  int8_t **wino_out;              /* [tiles rounded up to 4][4 pixels]: output pixel pointers, NULL outside */
} bc_conv_op;

bc_status bc_conv_create(bc_conv_op *op, const bc_conv_desc *d, const int8_t *input, int8_t *output,
                         char *msg, size_t msg_len);
void bc_conv_run(const bc_conv_op *op, const bc_kernels *k);
void bc_conv_free(bc_conv_op *op);

/* Max pool (quantization unchanged) or average pool (count_include_pad) over a window. */
typedef struct bc_pool_op {
  int is_avg, channels, ks;
  size_t pixels;
  const int8_t **indirection;
  int8_t *pad;
  int8_t *output;
  int8_t out_min, out_max;
  int32_t bias; float scale;    /* average pool only */
  bc_qs8_params params;
} bc_pool_op;

bc_status bc_pool_create(bc_pool_op *op, int is_avg, int in_h, int in_w, int channels,
                         const bc_window *win, bc_qparams in, bc_qparams out, int8_t out_min,
                         int8_t out_max, const int8_t *input, int8_t *output, char *msg, size_t msg_len);
void bc_pool_run(const bc_pool_op *op, const bc_kernels *k);
void bc_pool_free(bc_pool_op *op);

/* Global average pool to one int8 vector. */
typedef struct bc_gap_op {
  size_t rows, channels;
  const int8_t *input; int8_t *output; int32_t *acc;
  int32_t bias; float scale;
  bc_qs8_params params;
} bc_gap_op;

bc_status bc_gap_create(bc_gap_op *op, int in_h, int in_w, int channels, bc_qparams in, bc_qparams out,
                        int8_t out_min, int8_t out_max, const int8_t *input, int8_t *output);
void bc_gap_run(const bc_gap_op *op, const bc_kernels *k);
void bc_gap_free(bc_gap_op *op);

/* Element-wise add of two same-shape tensors. */
typedef struct bc_add_op {
  size_t n;
  const int8_t *a, *b; int8_t *output;
  bc_qs8_add_params params;
} bc_add_op;

void bc_add_create(bc_add_op *op, size_t n, bc_qparams a, bc_qparams b, bc_qparams out,
                   int8_t out_min, int8_t out_max, const int8_t *pa, const int8_t *pb, int8_t *output);
void bc_add_run(const bc_add_op *op, const bc_kernels *k);

/* Fully connected with int8 output: a 1x1 convolution over a 1x1 map. */
bc_status bc_fc_create(bc_conv_op *op, int in_c, int out_c, bc_qparams in, bc_qparams out,
                       int8_t out_min, int8_t out_max, const int8_t *weights, const float *w_scale,
                       const int32_t *bias, const int8_t *input, int8_t *output, char *msg, size_t msg_len);

#endif
