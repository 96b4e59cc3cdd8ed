/* model.h - parse and validate a bloodcell model file (format: models/FORMAT.md).
 *
 *   bc_model m;  char msg[256];
 *   if (bc_model_parse(bytes, n, &m, msg, sizeof msg) != BC_OK) puts(msg);  else ... bc_model_free(&m);
 *
 * Parsing checks every field and every bound before allocating anything that depends on it,
 * and never reads outside [bytes, bytes + n).  The parsed model owns aligned copies of all
 * arrays, so the input buffer may be freed afterwards. */
#ifndef BC_MODEL_H
#define BC_MODEL_H

#include <stddef.h>
#include <stdint.h>
#include "bc_status.h"
#include "ops.h"

#define BC_MODEL_VERSION 3          /* the newest version read (3: weights rANS-coded); 1 and 2 are read too */
#define BC_MODEL_MAX_BYTES (64u << 20)
#define BC_MODEL_MAX_CLASSES 32
#define BC_MODEL_MAX_SUBCLASSES 32   /* version 2: sub-classes under the classes (band / segmented ...) */
#define BC_MODEL_MAX_VALUES 512
#define BC_MODEL_MAX_OPS 512
#define BC_MODEL_MAX_VALUE_ELEMS (1u << 24)
#define BC_MODEL_MAX_CODED_WEIGHTS (64u << 20)   /* version 3: weights in all arrays together (v1/v2: the file size) */
/* Limits on what the engine allocates and computes for a model, checked by bc_model_parse from the
 * shapes alone (64-bit arithmetic) before bc_engine_load allocates anything (docs/robustness.md, "Limits"):
 *   activations: sum over values of h*w*c (+ kernel slack) bytes, plus the int16 input copy (2 bytes per
 *                element) each non-depthwise conv keeps;
 *   indirection: pointers of all conv and pool ops (out_h*out_w*kh*kw each, rounded up to the GEMM tile);
 *   packed weights: upper bound of the packed conv/FC weights (int16 taps, k padded to 8, n to 8);
 *   MACs: multiply-accumulates of one forward pass. */
#define BC_MODEL_MAX_ACTIVATION_BYTES (128ull << 20)
#define BC_MODEL_MAX_INDIRECTION (16ull << 20)
#define BC_MODEL_MAX_PACKED_BYTES (256ull << 20)
#define BC_MODEL_MAX_MACS (4ull << 30)

typedef enum bc_op_type {
  BC_OP_CONV = 1, BC_OP_ADD = 2, BC_OP_MAXPOOL = 3, BC_OP_AVGPOOL = 4,
  BC_OP_GAP = 5, BC_OP_FC = 6, BC_OP_LOGITS = 7
} bc_op_type;

typedef struct bc_value { int h, w, c; bc_qparams q; } bc_value;

typedef struct bc_op_desc {
  bc_op_type type;
  int input, input_b, output;   /* input_b: ADD only */
  bc_window win;
  int groups;
  int8_t out_min, out_max;
  int8_t *weights;              /* CONV, FC, LOGITS */
  float *w_scale;
  int32_t *bias;                /* CONV, FC */
  float *bias_f;                /* LOGITS */
} bc_op_desc;

typedef struct bc_model {
  char name[65];
  int n_classes;
  char class_names[BC_MODEL_MAX_CLASSES][32];
  int n_subclasses;             /* 0 in version 1 files */
  int subclass_parent[BC_MODEL_MAX_SUBCLASSES];      /* the class each sub-class refines */
  char subclass_names[BC_MODEL_MAX_SUBCLASSES][32];
  int n_logits;                 /* LOGITS rows: n_classes, then n_subclasses */
  int version;
  int input_size, resize_mode;
  float mean[3], std[3], temperature;
  int n_values, n_ops;
  bc_value *values;
  bc_op_desc *ops;
  int gap_op;                   /* index of the GAP op feeding LOGITS */
} bc_model;

bc_status bc_model_parse(const uint8_t *bytes, size_t n, bc_model *m, char *msg, size_t msg_len);
void bc_model_free(bc_model *m);
uint32_t bc_crc32(const uint8_t *p, size_t n);

#endif
