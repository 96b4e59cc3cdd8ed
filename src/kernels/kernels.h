/* kernels.h - int8 microkernels: pure compute over pre-packed weights and indirection buffers.
 *
 * Naming follows <datatype>_<op>_<tile>__<isa>: qc8 = int8 weights with per-channel fp32 scales,
 * qs8 = int8 activations with scale and zero point, s8 = plain int8.  Every kernel has a portable
 * __scalar reference and, in the wasm build, a __wasmsimd twin that must agree bit for bit.
 *
 * Requantization (all qc8/qs8 kernels), the same math as XNNPACK's fp32 path:
 *     out = clamp(rne((float)acc * scale[c]), min - zp, max - zp) + zp
 * where rne is round-to-nearest-even and acc is the int32 accumulator with the input zero point
 * and bias already folded in by packing (see ops.c).
 *
 * Layouts (produced by ops.c; kernels only read them):
 *   igemm 4x8c2 weights, per block of 8 output channels:
 *       int32 bias[8] | for each tap, for each k pair: int16 w[8 channels][2 k] | float scale[8]
 *       (int8 values stored as int16, sign-extended once at load, so the SIMD inner loop's weight
 *       reads are plain 16-byte loads instead of load+extend)
 *       k is padded to a multiple of 2 with zero weights; the activation read there is multiplied by 0.
 *       Every activation buffer has BC_KERNEL_OVERREAD slack bytes after its end.
 *   dwconv c8 weights, per block of 8 channels:
 *       int32 bias[8] | for each tap: int16 w[8] | float scale[8]
 * Indirection buffers hold one pointer per (output pixel, tap); a pointer equal to `zero` marks
 * padding and is used as is, any other pointer gets `a_offset` elements added (group offset). */
#ifndef BC_KERNELS_H
#define BC_KERNELS_H

#include <stddef.h>
#include <stdint.h>
#include <math.h>

#define BC_IGEMM_MR 4
#define BC_IGEMM_NR 8
#define BC_IGEMM_KR 2           /* k padding: igemm kernels read k pairs */
#define BC_DWCONV_CR 8
#define BC_KERNEL_OVERREAD 16   /* readable slack bytes after every activation buffer */
#define BC_RESAMPLE_PRECISION_BITS 22   /* Pillow's fixed point for 8-bit resampling (32 - 8 - 2) */

typedef struct bc_qs8_params {
  int32_t output_zero_point;
  float min_less_zp;  /* (float)(output_min - output_zero_point) */
  float max_less_zp;  /* (float)(output_max - output_zero_point) */
} bc_qs8_params;

void bc_qs8_params_init(bc_qs8_params *p, int32_t output_zero_point, int8_t output_min, int8_t output_max);

/* Requantize one accumulator: the single scalar definition of the rounding every kernel matches. */
static inline int8_t bc_requantize_fp32(int32_t acc, float scale, const bc_qs8_params *p) {
  float f = (float)acc * scale;
  f = f < p->min_less_zp ? p->min_less_zp : f;
  f = f > p->max_less_zp ? p->max_less_zp : f;
  /* lrintf rounds to nearest even in the default rounding mode (never changed here). */
  return (int8_t)((int32_t)lrintf(f) + p->output_zero_point);
}

/* ---- qc8 igemm, MR=4 rows by NR=8 channels, k pairs (c2) ----------------------------------
 * Activations are read as int16: the op sign-extends its int8 input into an int16 copy once per
 * run, so the inner loop broadcasts each row's k pair with one 32-bit load-splat (no shuffle, no
 * extend) into i32x4.dot_i16x8_s against int16 weights.
 * mr: rows in this tile (1..4); nc: output channels (any; blocks of 8 walk the packed weights);
 * kc: input channels per tap (unpadded); ks: taps; a: ks*4 row pointers, tap-major ([tap][row]);
 * a_offset: elements added to every pointer but `zero` (the group's first channel);
 * c: output for row 0, row m at c + m*cm_stride, next block of 8 channels at c + cn_stride.
 * Rows may be read up to one int16 past kc (odd kc): buffers keep BC_KERNEL_OVERREAD slack. */
typedef void (*bc_qc8_igemm_fn)(size_t mr, size_t nc, size_t kc, size_t ks, const int16_t **a,
                                const void *w, int8_t *c, size_t cm_stride, size_t cn_stride,
                                size_t a_offset, const int16_t *zero, const bc_qs8_params *params);
void bc_qc8_igemm_4x8c2__scalar(size_t mr, size_t nc, size_t kc, size_t ks, const int16_t **a,
                                const void *w, int8_t *c, size_t cm_stride, size_t cn_stride,
                                size_t a_offset, const int16_t *zero, const bc_qs8_params *params);
void bc_qc8_igemm_4x8c2__wasmsimd(size_t mr, size_t nc, size_t kc, size_t ks, const int16_t **a,
                                  const void *w, int8_t *c, size_t cm_stride, size_t cn_stride,
                                  size_t a_offset, const int16_t *zero, const bc_qs8_params *params);

/* ---- Winograd F(2x2, 3x3): stride-1 3x3 convs with 2.25x fewer multiplies, bit-exact ----------
 * Exact in integers: the input transform V = B^T d B of raw int8 values (padding = the input zero
 * point, as the igemm's zero row) stays within +-512; the packed weights are U = 4 G g G^T (integers,
 * within +-1152); Y = A^T (U . V) A is then 4x the direct convolution's sum, so Y / 4 plus the igemm's
 * bias (with its zero-point fold) is the igemm's accumulator exactly. int32 cannot overflow while
 * in_c <= 256 (ops.c checks it).
 *   B^T = [1 0 -1 0; 0 1 1 0; 0 -1 1 0; 0 1 0 -1], G = [1 0 0; .5 .5 .5; .5 -.5 .5; 0 0 1],
 *   A^T = [1 1 1 0; 0 1 -1 -1].
 * Tile t covers outputs (2 ty .. 2 ty + 1, 2 tx .. 2 tx + 1), ty = t / tiles_w, and reads the input
 * patch at (2 ty - pad_top, 2 tx - pad_left), 4x4.
 * itrans: tiles t0 .. t0 + tiles - 1 -> v[xi * v_xi_stride + (t - t0) * v_row_stride + c], xi = 4 i + j,
 *   for c < channels; the SIMD twin writes whole groups of 8 channels (v_row_stride >= channels
 *   rounded up to 8).
 * gemm: 4 tiles of v (rows 0..3 must be readable; only the first mr are stored) x nc channels of the
 *   packed weights, per block of 8 output channels:
 *       int32 bias[8] | for each xi of 16, for each k pair: int16 U[8 channels][2 k] | float scale[8]
 *   out[4 t + p] = the int8 output pixel p (row-major in the tile's 2x2) of tile t, or NULL at the
 *   edge; block b's channels go to out[...] + 8 b. */
typedef void (*bc_qs8_wino2x3_itrans_fn)(size_t tiles, size_t t0, size_t tiles_w, size_t in_h, size_t in_w,
                                         size_t channels, const int8_t *input, int32_t zero_point,
                                         ptrdiff_t pad_top, ptrdiff_t pad_left, int16_t *v, size_t v_xi_stride,
                                         size_t v_row_stride);
void bc_qs8_wino2x3_itrans__scalar(size_t tiles, size_t t0, size_t tiles_w, size_t in_h, size_t in_w,
                                   size_t channels, const int8_t *input, int32_t zero_point,
                                   ptrdiff_t pad_top, ptrdiff_t pad_left, int16_t *v, size_t v_xi_stride,
                                   size_t v_row_stride);
void bc_qs8_wino2x3_itrans__wasmsimd(size_t tiles, size_t t0, size_t tiles_w, size_t in_h, size_t in_w,
                                     size_t channels, const int8_t *input, int32_t zero_point,
                                     ptrdiff_t pad_top, ptrdiff_t pad_left, int16_t *v, size_t v_xi_stride,
                                     size_t v_row_stride);
typedef void (*bc_qc8_wino2x3_gemm_fn)(size_t mr, size_t nc, size_t kc, const int16_t *v, size_t v_xi_stride,
                                       size_t v_row_stride, const void *w, int8_t *const *out,
                                       const bc_qs8_params *params);
void bc_qc8_wino2x3_gemm_4x8c2__scalar(size_t mr, size_t nc, size_t kc, const int16_t *v, size_t v_xi_stride,
                                       size_t v_row_stride, const void *w, int8_t *const *out,
                                       const bc_qs8_params *params);
void bc_qc8_wino2x3_gemm_4x8c2__wasmsimd(size_t mr, size_t nc, size_t kc, const int16_t *v, size_t v_xi_stride,
                                         size_t v_row_stride, const void *w, int8_t *const *out,
                                         const bc_qs8_params *params);

/* ---- qc8 depthwise conv, 8 channels a step, any number of taps ------------------------------
 * For each of `pixels` outputs: ks pointers from `a` (then a += ks), all `channels` written to
 * `c` (then c += c_stride). */
typedef void (*bc_qc8_dwconv_fn)(size_t pixels, size_t channels, size_t ks, const int8_t **a,
                                 const void *w, int8_t *c, size_t c_stride, size_t a_offset,
                                 const int8_t *zero, const bc_qs8_params *params);
void bc_qc8_dwconv_c8__scalar(size_t pixels, size_t channels, size_t ks, const int8_t **a,
                              const void *w, int8_t *c, size_t c_stride, size_t a_offset,
                              const int8_t *zero, const bc_qs8_params *params);
void bc_qc8_dwconv_c8__wasmsimd(size_t pixels, size_t channels, size_t ks, const int8_t **a,
                                const void *w, int8_t *c, size_t c_stride, size_t a_offset,
                                const int8_t *zero, const bc_qs8_params *params);

/* ---- s8 max pool: for each output pixel, max over ks pointers, clamped to [min, max] -------- */
typedef void (*bc_s8_maxpool_fn)(size_t pixels, size_t channels, size_t ks, const int8_t **a,
                                 int8_t *c, size_t c_stride, int8_t out_min, int8_t out_max);
void bc_s8_maxpool__scalar(size_t pixels, size_t channels, size_t ks, const int8_t **a,
                           int8_t *c, size_t c_stride, int8_t out_min, int8_t out_max);
void bc_s8_maxpool__wasmsimd(size_t pixels, size_t channels, size_t ks, const int8_t **a,
                             int8_t *c, size_t c_stride, int8_t out_min, int8_t out_max);

/* ---- qs8 average pool (padding taps point at a buffer of input zero points) --------------
 * out = requant(sum_taps(x) + bias) with bias = -ks*input_zero_point and one scale. */
typedef void (*bc_qs8_avgpool_fn)(size_t pixels, size_t channels, size_t ks, const int8_t **a,
                                  int8_t *c, size_t c_stride, int32_t bias, float scale,
                                  const bc_qs8_params *params);
void bc_qs8_avgpool__scalar(size_t pixels, size_t channels, size_t ks, const int8_t **a,
                            int8_t *c, size_t c_stride, int32_t bias, float scale,
                            const bc_qs8_params *params);
void bc_qs8_avgpool__wasmsimd(size_t pixels, size_t channels, size_t ks, const int8_t **a,
                              int8_t *c, size_t c_stride, int32_t bias, float scale,
                              const bc_qs8_params *params);

/* ---- qs8 global average pool over `rows` pixels of a contiguous NHWC tensor ---------------- */
typedef void (*bc_qs8_gavgpool_fn)(size_t rows, size_t channels, const int8_t *a, int32_t *acc,
                                   int8_t *c, int32_t bias, float scale, const bc_qs8_params *params);
void bc_qs8_gavgpool__scalar(size_t rows, size_t channels, const int8_t *a, int32_t *acc,
                             int8_t *c, int32_t bias, float scale, const bc_qs8_params *params);
void bc_qs8_gavgpool__wasmsimd(size_t rows, size_t channels, const int8_t *a, int32_t *acc,
                               int8_t *c, int32_t bias, float scale, const bc_qs8_params *params);

/* ---- qs8 element-wise add: out = requant((a - za) * a_scale + (b - zb) * b_scale) -----------
 * a_scale = sa/so and b_scale = sb/so; computed in fp32 and rounded like the others. */
typedef struct bc_qs8_add_params {
  int32_t a_zero_point, b_zero_point;
  float a_scale, b_scale;
  bc_qs8_params out;
} bc_qs8_add_params;
typedef void (*bc_qs8_vadd_fn)(size_t n, const int8_t *a, const int8_t *b, int8_t *c,
                               const bc_qs8_add_params *params);
void bc_qs8_vadd__scalar(size_t n, const int8_t *a, const int8_t *b, int8_t *c,
                         const bc_qs8_add_params *params);
void bc_qs8_vadd__wasmsimd(size_t n, const int8_t *a, const int8_t *b, int8_t *c,
                           const bc_qs8_add_params *params);

/* Weight packing for the igemm 4x8c2 kernels (model load, not inference): nr <= 8 output channels,
 * src[n] = channel n's int8 weights (ks taps x gin), into out's int16 layout above (ks x kc_padded x 8
 * channels, k in pairs), and sums[n] = the sum of channel n's weights (for the zero-point fold);
 * out is zeroed by the caller, and entries for missing channels or the odd k's partner stay zero. */
void bc_x8_packw_igemm_8c2__scalar(size_t nr, size_t ks, size_t gin, size_t kc_padded,
                                   const int8_t *const *src, int16_t *out, int32_t *sums);
void bc_x8_packw_igemm_8c2__wasmsimd(size_t nr, size_t ks, size_t gin, size_t kc_padded,
                                     const int8_t *const *src, int16_t *out, int32_t *sums);

/* u8 RGB horizontal resample (preprocessing, not the engine): out_w output pixels from one row of
 * src_w RGB pixels; output pixel xx = clip8(sum over x < bounds[2xx+1] of src[bounds[2xx] + x] *
 * coef[xx * ksize + x], rounded, >> BC_RESAMPLE_PRECISION_BITS), per channel. Reads nothing past
 * the row's src_w pixels. */
void bc_u8_rgb_hresample__scalar(size_t out_w, const uint8_t *src, size_t src_w, uint8_t *dst,
                                 const int32_t *coef, const int *bounds, size_t ksize);
void bc_u8_rgb_hresample__wasmsimd(size_t out_w, const uint8_t *src, size_t src_w, uint8_t *dst,
                                   const int32_t *coef, const int *bounds, size_t ksize);

/* u16 += u8 (the locator's reduced copy, not the engine): acc[i] += x[i] for i < n, modulo 2^16 (callers
 * add at most 257 rows, so no sum wraps). */
void bc_u16_u8_vacc__scalar(size_t n, const uint8_t *x, uint16_t *acc);
void bc_u16_u8_vacc__wasmsimd(size_t n, const uint8_t *x, uint16_t *acc);

/* The kernels this build runs: SIMD128 in the wasm build, scalar elsewhere. */
typedef struct bc_kernels {
  const char *isa;
  bc_qc8_igemm_fn igemm;
  bc_qc8_dwconv_fn dwconv;
  bc_s8_maxpool_fn maxpool;
  bc_qs8_avgpool_fn avgpool;
  bc_qs8_gavgpool_fn gavgpool;
  bc_qs8_vadd_fn vadd;
  bc_qs8_wino2x3_itrans_fn wino_itrans;
  bc_qc8_wino2x3_gemm_fn wino_gemm;
} bc_kernels;

extern const bc_kernels bc_kernels_scalar;
#ifdef __wasm_simd128__
extern const bc_kernels bc_kernels_wasmsimd;
#endif
const bc_kernels *bc_kernels_default(void);

#endif
