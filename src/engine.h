/* engine.h - the bloodcell inference engine: one model, fixed buffers, one forward pass per image.
 *
 *   bc_engine *e;  char msg[256];
 *   if (bc_engine_load(bytes, n, BC_BACKEND_OWN, &e, msg, sizeof msg)) { puts(msg); ... }
 *   bc_engine_classify(e, image_bytes, image_len, msg, sizeof msg);   decode+preprocess+forward
 *   bc_engine_probs(e)[k], bc_engine_logits(e)[k], bc_engine_embedding(e)[i];  bc_engine_cam(e, k, out);
 *   bc_engine_free(e);
 *
 * All memory is allocated by bc_engine_load; a forward pass allocates nothing (decoding an image
 * allocates its pixels and frees them before returning).  Results stay valid until the next call.
 * Backends: BC_BACKEND_OWN runs this project's kernels (SIMD128 in the wasm build, scalar natively);
 * BC_BACKEND_XNNPACK (native builds with BC_WITH_XNNPACK) runs the convolutions through XNNPACK. */
#ifndef BC_ENGINE_H
#define BC_ENGINE_H

#include <stddef.h>
#include <stdint.h>
#include "bc_status.h"
#include "model.h"
#include "frame.h"

typedef enum bc_backend { BC_BACKEND_OWN = 0, BC_BACKEND_XNNPACK = 1 } bc_backend;

typedef struct bc_engine bc_engine;

bc_status bc_engine_load(const uint8_t *bytes, size_t n, bc_backend backend, bc_engine **out,
                         char *msg, size_t msg_len);
void bc_engine_free(bc_engine *e);
int bc_backend_available(bc_backend backend);

const bc_model *bc_engine_model(const bc_engine *e);
int bc_engine_input_size(const bc_engine *e);
int bc_engine_num_classes(const bc_engine *e);
/* Sub-classes (model format version 2; 0 without): sub-class j refines class bc_engine_subclass_parent(e, j);
 * a class's sub-classes are consecutive. bc_engine_subprobs(e)[j]: softmax within its class's sub-classes. */
int bc_engine_num_subclasses(const bc_engine *e);
const char *bc_engine_subclass_name(const bc_engine *e, int j);
int bc_engine_subclass_parent(const bc_engine *e, int j);
const float *bc_engine_subprobs(const bc_engine *e);
const char *bc_engine_class_name(const bc_engine *e, int k);
int bc_engine_embedding_dim(const bc_engine *e);
int bc_engine_cam_height(const bc_engine *e);
int bc_engine_cam_width(const bc_engine *e);
const char *bc_engine_kernels_isa(const bc_engine *e);

/* The model's input buffer (S*S*3 int8) and the last preprocessed image (S*S*3 RGB uint8). */
int8_t *bc_engine_input(bc_engine *e);
const uint8_t *bc_engine_rgb(const bc_engine *e);
/* How the last preprocessed image was framed (frame.h): path, red-cell diameter, white-cell box, crop. In
 * resize mode 0 always the centre crop with nothing estimated; all zero before the first image. */
const bc_frame_result *bc_engine_frame(const bc_engine *e);
int bc_engine_resize_mode(const bc_engine *e);   /* the model file's resize mode (models/FORMAT.md) */

/* Image bytes -> preprocess -> forward. On error nothing else changes and msg says why. */
bc_status bc_engine_classify(bc_engine *e, const uint8_t *bytes, size_t n, char *msg, size_t msg_len);
/* Already decoded pixels (RGBA8/RGB8/...; see bc_preprocess_pixels) -> preprocess -> forward. */
bc_status bc_engine_classify_pixels(bc_engine *e, const uint8_t *pixels, int w, int h, int channels,
                                    char *msg, size_t msg_len);
/* Whole fields (frame.h): *scale gets the field's ruler and background (bc_frame_analyse), *cells every white
 * cell found (bc_frame_locate). Pixels as bc_engine_classify_pixels; for a file use bc_decode (preprocess.h)
 * with its EXIF orientation applied. The first call allocates the locator's scratch (16 MB). */
bc_status bc_engine_locate(bc_engine *e, const uint8_t *pixels, int w, int h, int channels, bc_frame_result *scale,
                           bc_frame_cells *cells, char *msg, size_t msg_len);
/* One located cell: crop (bc_frame_crop_for_box(scale, w, h, box)) -> resize -> forward, as classify_pixels. */
bc_status bc_engine_classify_crop(bc_engine *e, const uint8_t *pixels, int w, int h, int channels,
                                  const bc_frame_result *crop, char *msg, size_t msg_len);
/* Image bytes -> preprocess only: fills bc_engine_input(e) (benchmarks time it apart). */
bc_status bc_engine_preprocess(bc_engine *e, const uint8_t *bytes, size_t n, char *msg, size_t msg_len);
/* Forward pass on whatever is in bc_engine_input(e). */
void bc_engine_forward(bc_engine *e);
/* Test-time augmentation ("careful" mode), off by default: each forward pass runs the 8 dihedral views
 * (rotations and mirror images) of the input and reports the mean logits and embedding, and the softmax
 * of the mean logits; the class activation map is that of the image as given. 8x the compute. */
void bc_engine_set_tta(bc_engine *e, int on);
int bc_engine_tta(const bc_engine *e);

const float *bc_engine_logits(const bc_engine *e);   /* num_classes, then num_subclasses */
const float *bc_engine_probs(const bc_engine *e);     /* softmax(logits / temperature) */
const float *bc_engine_embedding(const bc_engine *e); /* dequantized GAP output */
/* Class activation map of class k on the last feature map: cam_height*cam_width floats. */
bc_status bc_engine_cam(const bc_engine *e, int k, float *out);

/* Per-op timing hooks for benchmarks: run op i alone (after a forward pass filled its inputs). */
int bc_engine_num_ops(const bc_engine *e);
void bc_engine_run_op(bc_engine *e, int i);
/* Multiply-accumulates of op i (0 for ops without weights). */
uint64_t bc_engine_op_macs(const bc_engine *e, int i);
/* "conv 3x3/2 128x128x3->64x64x32": op i's kind, window/stride and shapes, for benchmark tables. */
void bc_engine_op_describe(const bc_engine *e, int i, char *buf, size_t len);

#endif
