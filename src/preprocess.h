/* preprocess.h - image bytes -> the model's S x S x 3 int8 input, matching the PIL training pipeline.
 *
 *   bc_preprocessor p;  bc_preprocess_config c = { 128, {m0,m1,m2}, {s0,s1,s2}, scale, zp };
 *   bc_preprocessor_init(&p, &c);                   once; builds the LUT and fixed scratch (~0.3 MB for any S)
 *   bc_preprocess(&p, bytes, n, rgb, tensor, msg, sizeof msg);   per image; BC_OK or an error + message
 *   bc_preprocess_pixels(&p, rgba, w, h, 4, rgb, tensor, msg, sizeof msg);  already-decoded RGBA8/RGB8
 *   bc_image_info(bytes, n, &w, &h, &ch, msg, sizeof msg);     every check of bc_preprocess, no decode
 *   bc_preprocessor_free(&p);
 *   bc_preprocessor_init_mode(&p, &c, BC_RESIZE_FRAME);   resize mode 1: scale-aware framing (frame.h, ~1.4 MB more)
 *   bc_preprocess_ex(&p, bytes, n, rgb, tensor, &frame, msg, sizeof msg);   also reports the bc_frame_result used
 *   bc_preprocess_crop(&p, rgba, w, h, 4, &frame, rgb, tensor, msg, sizeof msg);   any square crop (a located cell)
 *
 * Pipeline (== scripts/model/pbc_data.py:load_cell_image): decode; RGBA, grey+alpha and palette-with-tRNS images
 * composited over white as round((c*a + 255*(255-a))/255); a tRNS colour key on grey/RGB PNGs and the 4th
 * byte of 32-bit BI_RGB BMPs ignored (as PIL's .convert('RGB') does); centre crop m = min(W,H),
 * x0 = (W-m)/2, y0 = (H-m)/2; Pillow 9.4's .resize((S,S), Image.BILINEAR) reproduced bit-exactly; then per
 * channel q = clamp(rint((u/255 - mean[c]) / std[c] / input_scale) + input_zero_point, -128, 127), computed
 * in double, rounded half to even, held in a 3x256 LUT. That is resize mode 0 (BC_RESIZE_CENTRE). Mode 1
 * (BC_RESIZE_FRAME) replaces the centre crop by the crop bc_frame_analyse chooses (frame.h), padded with its
 * background colour where it leaves the image; the resize and quantization are the same.
 * Decoding is stb_image 2.27 (JPEG incl. progressive and Adobe CMYK, PNG 1-16 bit, BMP). Its JPEG
 * decoder is not libjpeg (PIL's): after resizing ~1% of uint8 values differ by 1 (PBC images, measured).
 * 16-bit PNGs keep the high byte (PIL's convert clips 16-bit grey to white; the reference differs there).
 *
 * Safety: the format comes from magic bytes, the size from the header (over BC_MAX_IMAGE_DIM per side or
 * BC_MAX_IMAGE_PIXELS in all -> BC_ERR_TOO_LARGE before anything is allocated), and the file structure is
 * walked first (JPEG segments and Huffman tables up to EOI, PNG chunks and their CRCs up to IEND, BMP pixel
 * array size), so truncated or damaged files are rejected instead of decoding to stb's grey/black fill.
 * Memory per call: the decoded image (4 bytes/pixel) and stb's transient buffers, peak measured at 4 (BMP),
 * 5.5 (JPEG) and 7.2 (RGB PNG) bytes/pixel, i.e. up to ~290 MB at the pixel limit; all freed before returning. The scratch in a bc_preprocessor is reused by every call, so use one
 * preprocessor per thread. msg (may be NULL / msg_len 0) receives one line of English, "" on success. */
#ifndef BC_PREPROCESS_H
#define BC_PREPROCESS_H

#include <stdint.h>
#include <stddef.h>
#include "bc_status.h"
#include "frame.h"

#define BC_MAX_IMAGE_DIM    16384        /* per side */
#define BC_MAX_IMAGE_PIXELS 40000000     /* width*height, checked from the header before decoding */
#define BC_MAX_INPUT_SIZE   1024         /* largest accepted S */
#define BC_RESIZE_CENTRE    0            /* resize modes (models/FORMAT.md): centre crop */
#define BC_RESIZE_FRAME     1            /* scale-aware framing */

typedef struct bc_preprocess_config {
  int size;                /* S: model input is S x S x 3; 1..BC_MAX_INPUT_SIZE */
  float mean[3], std[3];   /* normalisation on the 0..1 scale; std > 0 */
  float input_scale;       /* quantization of the normalised tensor; > 0 */
  int input_zero_point;    /* -128..127 */
} bc_preprocess_config;

typedef struct bc_preprocessor {   /* built once; holds the LUT and scratch sized for S */
  bc_preprocess_config cfg;
  int8_t lut[3][256];
  /* private scratch, allocated in bc_preprocessor_init and freed in bc_preprocessor_free */
  int kmax;                /* most filter taps one output pixel can need (any crop size <= BC_MAX_IMAGE_DIM) */
  int32_t *coef;           /* S * kmax fixed-point weights */
  int *bounds;             /* S * 2: first source index, tap count */
  double *wtmp;            /* kmax */
  uint8_t *ring;           /* kmax rows of S*3: horizontally resampled rows */
  int32_t *acc;            /* S*3: one output row's vertical-pass sums */
  uint8_t *rowbuf;         /* BC_MAX_IMAGE_DIM*3: one crop row converted to RGB */
  uint8_t *padrow;         /* S*3: a resampled row of padding */
  int resize_mode;         /* BC_RESIZE_CENTRE or BC_RESIZE_FRAME */
  bc_frame_scratch *frame; /* mode 1 only */
} bc_preprocessor;

/* BC_OK, or BC_ERR_ARGUMENT (bad config, message says which field) / BC_ERR_NOMEM. On failure *p is left
 * safe to pass to bc_preprocessor_free. */
bc_status bc_preprocessor_init(bc_preprocessor *p, const bc_preprocess_config *cfg);   /* mode 0 */
/* resize_mode BC_RESIZE_CENTRE or BC_RESIZE_FRAME, else BC_ERR_ARGUMENT. */
bc_status bc_preprocessor_init_mode(bc_preprocessor *p, const bc_preprocess_config *cfg, int resize_mode);
void bc_preprocessor_free(bc_preprocessor *p);   /* idempotent; NULL is ignored */

/* Image info from the header only (no pixel allocation): *w, *h and *channels (1 grey, 2 grey+alpha,
 * 3 RGB, 4 RGBA, as stb reports the file) are set whenever the header could be read, also when the result is
 * BC_ERR_TOO_LARGE. Runs every check bc_preprocess runs before decoding (magic, limits, truncation, stb header
 * parse), so a browser that decodes with its own codecs can call this first. Outputs may be NULL. */
bc_status bc_image_info(const uint8_t *bytes, size_t n, int *w, int *h, int *channels, char *msg, size_t msg_len);

/* bytes -> decode -> RGB -> centre crop -> resize: rgb_out gets S*S*3 uint8 (what the model sees, for display);
   tensor_out gets S*S*3 int8 NHWC (model input). Either output may be NULL. Outputs are written only on BC_OK.
   Errors: BC_ERR_EMPTY, BC_ERR_NOT_IMAGE, BC_ERR_TOO_LARGE, BC_ERR_TRUNCATED, BC_ERR_CORRUPT,
   BC_ERR_UNSUPPORTED, BC_ERR_NOMEM, BC_ERR_ARGUMENT. */
bc_status bc_preprocess(const bc_preprocessor *p, const uint8_t *bytes, size_t n,
                        uint8_t *rgb_out, int8_t *tensor_out, char *msg, size_t msg_len);

/* Same from an already decoded buffer: channels 4 = RGBA8 (composited over white), 3 = RGB8, also 2 = grey+alpha,
   1 = grey; rows are w*channels bytes, top row first. Any w, h >= 1 with min(w,h) <= BC_MAX_IMAGE_DIM
   (e.g. 20000x1 -> a 1x1 crop, upscaled). */
bc_status bc_preprocess_pixels(const bc_preprocessor *p, const uint8_t *pixels, int w, int h, int channels,
                               uint8_t *rgb_out, int8_t *tensor_out, char *msg, size_t msg_len);

/* As bc_preprocess / bc_preprocess_pixels, and *frame (may be NULL; written only on BC_OK) gets the framing that
   was used: in mode 0 always path BC_FRAME_CENTRE with the centre crop, nothing estimated. */
bc_status bc_preprocess_ex(const bc_preprocessor *p, const uint8_t *bytes, size_t n, uint8_t *rgb_out,
                           int8_t *tensor_out, bc_frame_result *frame, char *msg, size_t msg_len);
bc_status bc_preprocess_pixels_ex(const bc_preprocessor *p, const uint8_t *pixels, int w, int h, int channels,
                                  uint8_t *rgb_out, int8_t *tensor_out, bc_frame_result *frame, char *msg,
                                  size_t msg_len);
/* The square crop crop->crop_x0, crop_y0, crop_side (side 1..BC_MAX_IMAGE_DIM, origin within
   +-BC_MAX_IMAGE_DIM), padded with crop->bg_*, resized and quantized as above, in either mode (e.g. for each
   cell bc_frame_crop_for_box placed in a field). */
bc_status bc_preprocess_crop(const bc_preprocessor *p, const uint8_t *pixels, int w, int h, int channels,
                             const bc_frame_result *crop, uint8_t *rgb_out, int8_t *tensor_out, char *msg,
                             size_t msg_len);

/* A decoded image for the locator: RGBA8 rows top first, w*h*4 bytes (a 4th byte the reference pipeline
   ignores, as in 32-bit BI_RGB BMPs, is set to 255). */
typedef struct bc_image {
  uint8_t *px;
  int w, h;              /* as oriented when the orientation was applied */
  int orientation;       /* the JPEG's EXIF orientation 1..8 (0: none); stored pixels are as the file has them
                            unless apply_orientation was set */
} bc_image;

/* bytes -> validated (as bc_preprocess) -> RGBA8; with apply_orientation a JPEG's EXIF orientation is applied
   (phones write it; the single-cell pipeline ignores it, as PIL's training pipeline did). Free with
   bc_image_free. Same errors as bc_preprocess; *out is zeroed on error. */
bc_status bc_decode(const uint8_t *bytes, size_t n, int apply_orientation, bc_image *out, char *msg, size_t msg_len);
void bc_image_free(bc_image *im);   /* idempotent */

#endif
