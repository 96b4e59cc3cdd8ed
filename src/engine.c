/* engine.c - builds the ops of a parsed model over fixed buffers and runs them in order. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "engine.h"
#include "preprocess.h"
#ifdef BC_WITH_XNNPACK
#include <xnnpack.h>
#endif

typedef struct bc_engine_op {
  bc_op_type type;
  union { bc_conv_op conv; bc_pool_op pool; bc_gap_op gap; bc_add_op add; } u;
#ifdef BC_WITH_XNNPACK
  xnn_operator_t xnn;   /* conv and FC under the XNNPACK backend */
#endif
} bc_engine_op;

struct bc_engine {
  bc_model model;
  bc_backend backend;
  const bc_kernels *kernels;
  bc_preprocessor pre;
  int8_t **values;          /* one buffer per model value, with kernel over-read slack */
  bc_engine_op *ops;
  uint8_t *rgb;
  bc_frame_result frame;    /* how the last image was framed */
  float logits[BC_MODEL_MAX_CLASSES + BC_MODEL_MAX_SUBCLASSES], probs[BC_MODEL_MAX_CLASSES];
  float subprobs[BC_MODEL_MAX_SUBCLASSES];   /* softmax within each class's sub-classes */
  float *embedding;
  float *cam_weights;       /* [K][C] dequantized LOGITS weights */
  int cam_value, emb_value;
  int tta;                  /* average the 8 dihedral views of the input (bc_engine_set_tta) */
  int8_t *tta_input;        /* the preprocessed input, kept while its views run */
  float *tta_sum;           /* running sums: K logits, then C embedding values */
  bc_frame_scratch *locate; /* the locator's scratch, allocated by the first bc_engine_locate */
};

static bc_status fail(char *msg, size_t len, bc_status s, const char *text) {
  if (msg && len) snprintf(msg, len, "%s", text);
  return s;
}

int bc_backend_available(bc_backend backend) {
#ifdef BC_WITH_XNNPACK
  if (backend == BC_BACKEND_XNNPACK) return 1;
#endif
  return backend == BC_BACKEND_OWN;
}

static bc_status create_op(bc_engine *e, int i, char *msg, size_t msg_len) {
  const bc_model *m = &e->model;
  const bc_op_desc *d = &m->ops[i];
  bc_engine_op *op = &e->ops[i];
  op->type = d->type;
  if (d->type == BC_OP_LOGITS) return BC_OK;
  const bc_value *in = &m->values[d->input], *out = &m->values[d->output];
  const int8_t *x = e->values[d->input];
  int8_t *y = e->values[d->output];
  switch (d->type) {
    case BC_OP_CONV:
    case BC_OP_FC: {
      bc_conv_desc cd = {
        .in_h = in->h, .in_w = in->w, .in_c = in->c, .out_c = out->c, .groups = d->groups,
        .win = d->win, .in = in->q, .out = out->q, .out_min = d->out_min, .out_max = d->out_max,
        .weights = d->weights, .w_scale = d->w_scale, .bias = d->bias,
      };
      if (d->type == BC_OP_FC) { cd.groups = 1; cd.win = (bc_window){1, 1, 1, 1, 1, 1, 0, 0, 0, 0}; }
#ifdef BC_WITH_XNNPACK
      if (e->backend == BC_BACKEND_XNNPACK) {
        const size_t gin = (size_t)(in->c / cd.groups), gout = (size_t)(out->c / cd.groups);
        enum xnn_status st = xnn_create_convolution2d_nhwc_qc8(
            cd.win.pad_top, cd.win.pad_right, cd.win.pad_bottom, cd.win.pad_left, cd.win.kh, cd.win.kw,
            cd.win.sh, cd.win.sw, cd.win.dh, cd.win.dw, cd.groups, gin, gout, in->c, out->c,
            (int8_t)in->q.zero_point, in->q.scale, d->w_scale, d->weights, d->bias, (int8_t)out->q.zero_point,
            out->q.scale, d->out_min, d->out_max, 0, &op->xnn);
        if (st == xnn_status_success) st = xnn_setup_convolution2d_nhwc_qc8(op->xnn, 1, in->h, in->w, x, y, NULL);
        if (st != xnn_status_success) {
          if (msg && msg_len) snprintf(msg, msg_len, "XNNPACK refused op %d (status %d)", i, (int)st);
          return BC_ERR_ARGUMENT;
        }
        return BC_OK;
      }
#endif
      return bc_conv_create(&op->u.conv, &cd, x, y, msg, msg_len);
    }
    case BC_OP_MAXPOOL:
    case BC_OP_AVGPOOL:
      return bc_pool_create(&op->u.pool, d->type == BC_OP_AVGPOOL, in->h, in->w, in->c, &d->win, in->q, out->q,
                            d->out_min, d->out_max, x, y, msg, msg_len);
    case BC_OP_GAP:
      if (bc_gap_create(&op->u.gap, in->h, in->w, in->c, in->q, out->q, d->out_min, d->out_max, x, y) != BC_OK)
        return fail(msg, msg_len, BC_ERR_NOMEM, "out of memory");
      return BC_OK;
    case BC_OP_ADD:
      bc_add_create(&op->u.add, (size_t)in->h * in->w * in->c, in->q, m->values[d->input_b].q, out->q,
                    d->out_min, d->out_max, x, e->values[d->input_b], y);
      return BC_OK;
    case BC_OP_LOGITS:
      break;
  }
  return BC_OK;
}

bc_status bc_engine_load(const uint8_t *bytes, size_t n, bc_backend backend, bc_engine **out,
                         char *msg, size_t msg_len) {
  *out = NULL;
  if (!bc_backend_available(backend)) return fail(msg, msg_len, BC_ERR_ARGUMENT, "backend not available in this build");
  bc_engine *e = calloc(1, sizeof(*e));
  if (!e) return fail(msg, msg_len, BC_ERR_NOMEM, "out of memory");
  bc_status s = bc_model_parse(bytes, n, &e->model, msg, msg_len);
  if (s != BC_OK) { free(e); return s; }
  e->backend = backend;
  e->kernels = bc_kernels_default();
#ifdef BC_WITH_XNNPACK
  if (backend == BC_BACKEND_XNNPACK && xnn_initialize(NULL) != xnn_status_success) {
    bc_engine_free(e);
    return fail(msg, msg_len, BC_ERR_ARGUMENT, "XNNPACK failed to initialize");
  }
#endif
  const bc_model *m = &e->model;
  const bc_value *in = &m->values[0];
  const bc_preprocess_config pc = {
    m->input_size, {m->mean[0], m->mean[1], m->mean[2]}, {m->std[0], m->std[1], m->std[2]},
    in->q.scale, in->q.zero_point,
  };
  s = bc_preprocessor_init_mode(&e->pre, &pc, m->resize_mode);
  if (s != BC_OK) { bc_engine_free(e); return fail(msg, msg_len, s, "model preprocessing parameters rejected"); }
  e->values = calloc((size_t)m->n_values, sizeof(int8_t *));
  e->ops = calloc((size_t)m->n_ops, sizeof(bc_engine_op));
  e->rgb = malloc((size_t)m->input_size * m->input_size * 3);
  if (!e->values || !e->ops || !e->rgb) { bc_engine_free(e); return fail(msg, msg_len, BC_ERR_NOMEM, "out of memory"); }
  for (int v = 0; v < m->n_values; v++) {
    const size_t len = (size_t)m->values[v].h * m->values[v].w * m->values[v].c;
    /* Slack for the kernels' 8-byte reads (and XNNPACK's XNN_EXTRA_BYTES), zeroed so reads are defined. */
    e->values[v] = calloc(len + 32, 1);
    if (!e->values[v]) { bc_engine_free(e); return fail(msg, msg_len, BC_ERR_NOMEM, "out of memory"); }
  }
  for (int i = 0; i < m->n_ops; i++) {
    s = create_op(e, i, msg, msg_len);
    if (s != BC_OK) { bc_engine_free(e); return s; }
  }
  const bc_op_desc *gap = &m->ops[m->gap_op], *head = &m->ops[m->n_ops - 1];
  e->cam_value = gap->input;
  e->emb_value = gap->output;
  const int C = m->values[e->emb_value].c, K = m->n_classes;
  e->embedding = malloc((size_t)C * sizeof(float));
  e->cam_weights = malloc((size_t)K * C * sizeof(float));
  e->tta_input = malloc((size_t)m->input_size * m->input_size * 3);
  e->tta_sum = malloc((size_t)(m->n_logits + C) * sizeof(float));
  if (!e->embedding || !e->cam_weights || !e->tta_input || !e->tta_sum) { bc_engine_free(e); return fail(msg, msg_len, BC_ERR_NOMEM, "out of memory"); }
  for (int k = 0; k < K; k++)
    for (int c = 0; c < C; c++) e->cam_weights[k * C + c] = head->w_scale[k] * (float)head->weights[k * C + c];
  *out = e;
  if (msg && msg_len) msg[0] = 0;
  return BC_OK;
}

void bc_engine_free(bc_engine *e) {
  if (!e) return;
  const bc_model *m = &e->model;
  if (e->ops) {
    for (int i = 0; i < m->n_ops; i++) {
      bc_engine_op *op = &e->ops[i];
#ifdef BC_WITH_XNNPACK
      if (op->xnn) { xnn_delete_operator(op->xnn); continue; }
#endif
      switch (op->type) {
        case BC_OP_CONV: case BC_OP_FC: bc_conv_free(&op->u.conv); break;
        case BC_OP_MAXPOOL: case BC_OP_AVGPOOL: bc_pool_free(&op->u.pool); break;
        case BC_OP_GAP: bc_gap_free(&op->u.gap); break;
        default: break;
      }
    }
  }
  if (e->values)
    for (int v = 0; v < m->n_values; v++) free(e->values[v]);
  free(e->values);
  free(e->ops);
  free(e->rgb);
  free(e->embedding);
  free(e->cam_weights);
  free(e->tta_input);
  free(e->tta_sum);
  bc_frame_scratch_free(e->locate);
  free(e->locate);
  bc_preprocessor_free(&e->pre);
  bc_model_free(&e->model);
  free(e);
}

/* probs = softmax(logits / temperature), in fp32. */
static void softmax_probs(bc_engine *e) {
  const bc_model *m = &e->model;
  const int K = m->n_classes;
  float mx = -INFINITY, sum = 0.0f;
  for (int k = 0; k < K; k++) mx = e->logits[k] / m->temperature > mx ? e->logits[k] / m->temperature : mx;
  for (int k = 0; k < K; k++) sum += (e->probs[k] = expf(e->logits[k] / m->temperature - mx));
  for (int k = 0; k < K; k++) e->probs[k] /= sum;
  /* sub-classes: a softmax over each class's own, at temperature 1 (the calibration is the 8 classes') */
  for (int j0 = 0; j0 < m->n_subclasses;) {
    int j1 = j0;
    float smx = -INFINITY, ssum = 0.0f;
    while (j1 < m->n_subclasses && m->subclass_parent[j1] == m->subclass_parent[j0]) j1++;
    for (int j = j0; j < j1; j++) smx = e->logits[K + j] > smx ? e->logits[K + j] : smx;
    for (int j = j0; j < j1; j++) ssum += (e->subprobs[j] = expf(e->logits[K + j] - smx));
    for (int j = j0; j < j1; j++) e->subprobs[j] /= ssum;
    j0 = j1;
  }
}

static void run_logits(bc_engine *e) {
  const bc_model *m = &e->model;
  const bc_op_desc *d = &m->ops[m->n_ops - 1];
  const bc_value *in = &m->values[d->input];
  const int8_t *x = e->values[d->input];
  const int C = in->c, K = m->n_logits;
  for (int k = 0; k < K; k++) {
    int32_t acc = 0;
    const int8_t *w = d->weights + (size_t)k * C;
    for (int c = 0; c < C; c++) acc += (x[c] - in->q.zero_point) * (int32_t)w[c];
    const float s = in->q.scale * d->w_scale[k];
    e->logits[k] = s * (float)acc + d->bias_f[k];
  }
  softmax_probs(e);
  const bc_value *g = &m->values[e->emb_value];
  for (int c = 0; c < g->c; c++) e->embedding[c] = g->q.scale * (float)(x[c] - g->q.zero_point);
}

void bc_engine_run_op(bc_engine *e, int i) {
  bc_engine_op *op = &e->ops[i];
#ifdef BC_WITH_XNNPACK
  if (op->xnn) { xnn_run_operator(op->xnn, NULL); return; }
#endif
  switch (op->type) {
    case BC_OP_CONV: case BC_OP_FC: bc_conv_run(&op->u.conv, e->kernels); break;
    case BC_OP_MAXPOOL: case BC_OP_AVGPOOL: bc_pool_run(&op->u.pool, e->kernels); break;
    case BC_OP_GAP: bc_gap_run(&op->u.gap, e->kernels); break;
    case BC_OP_ADD: bc_add_run(&op->u.add, e->kernels); break;
    case BC_OP_LOGITS: run_logits(e); break;
  }
}

static void forward_once(bc_engine *e) {
  for (int i = 0; i < e->model.n_ops; i++) bc_engine_run_op(e, i);
}

/* View d of the dihedral group (d = 0..7: rotation by d%4 quarter turns, mirrored when d >= 4) of an
 * S x S x 3 image: dst(y, x) = src(y', x') with (y', x') the point that the rotation carries to (y, x). */
static void dihedral_view(const int8_t *src, int8_t *dst, int S, int d) {
  for (int y = 0; y < S; y++)
    for (int x = 0; x < S; x++) {
      int sy = y, sx = x, t;
      for (int r = 0; r < (d & 3); r++) { t = sy; sy = sx; sx = S - 1 - t; }
      if (d >= 4) sx = S - 1 - sx;
      const int8_t *p = src + ((size_t)sy * S + sx) * 3;
      int8_t *q = dst + ((size_t)y * S + x) * 3;
      q[0] = p[0]; q[1] = p[1]; q[2] = p[2];
    }
}

/* Test-time augmentation: the 7 other views first, the identity view last, so the feature map that the
 * class activation map reads (and bc_engine_input) is the image as given; logits and embedding are the
 * means over the 8 views, summed in a fixed order (native and wasm agree), and the probabilities are
 * the softmax of the mean logits. */
static void forward_tta(bc_engine *e) {
  const bc_model *m = &e->model;
  const int S = m->input_size, K = m->n_logits, C = m->values[e->emb_value].c;
  const size_t len = (size_t)S * S * 3;
  memcpy(e->tta_input, e->values[0], len);
  for (int i = 0; i < K + C; i++) e->tta_sum[i] = 0.0f;
  for (int v = 1; v <= 8; v++) {
    const int d = v & 7;
    if (d) dihedral_view(e->tta_input, e->values[0], S, d);
    else memcpy(e->values[0], e->tta_input, len);
    forward_once(e);
    for (int k = 0; k < K; k++) e->tta_sum[k] += e->logits[k];
    for (int c = 0; c < C; c++) e->tta_sum[K + c] += e->embedding[c];
  }
  for (int k = 0; k < K; k++) e->logits[k] = e->tta_sum[k] / 8.0f;
  softmax_probs(e);
  for (int c = 0; c < C; c++) e->embedding[c] = e->tta_sum[K + c] / 8.0f;
}

void bc_engine_set_tta(bc_engine *e, int on) { e->tta = on != 0; }
int bc_engine_tta(const bc_engine *e) { return e->tta; }

void bc_engine_forward(bc_engine *e) {
  if (e->tta) forward_tta(e);
  else forward_once(e);
}

bc_status bc_engine_preprocess(bc_engine *e, const uint8_t *bytes, size_t n, char *msg, size_t msg_len) {
  bc_frame_result fr;
  const bc_status s = bc_preprocess_ex(&e->pre, bytes, n, e->rgb, e->values[0], &fr, msg, msg_len);
  if (s == BC_OK) e->frame = fr;
  return s;
}

bc_status bc_engine_classify(bc_engine *e, const uint8_t *bytes, size_t n, char *msg, size_t msg_len) {
  const bc_status s = bc_engine_preprocess(e, bytes, n, msg, msg_len);
  if (s != BC_OK) return s;
  bc_engine_forward(e);
  return BC_OK;
}

bc_status bc_engine_classify_pixels(bc_engine *e, const uint8_t *pixels, int w, int h, int channels,
                                    char *msg, size_t msg_len) {
  bc_frame_result fr;
  const bc_status s = bc_preprocess_pixels_ex(&e->pre, pixels, w, h, channels, e->rgb, e->values[0], &fr, msg, msg_len);
  if (s != BC_OK) return s;
  e->frame = fr;
  bc_engine_forward(e);
  return BC_OK;
}

bc_status bc_engine_locate(bc_engine *e, const uint8_t *pixels, int w, int h, int channels, bc_frame_result *scale,
                           bc_frame_cells *cells, char *msg, size_t msg_len) {
  bc_frame_image im = {pixels, w, h, channels, 0};
  bc_status s;
  if (!e->locate) {
    e->locate = (bc_frame_scratch *)calloc(1, sizeof *e->locate);
    if (!e->locate || bc_frame_scratch_init_cap(e->locate, BC_FRAME_LOCATE_PIXELS) != BC_OK) {
      free(e->locate);
      e->locate = NULL;
      if (cells) memset(cells, 0, sizeof *cells);
      return fail(msg, msg_len, BC_ERR_NOMEM, "out of memory for the locator's scratch (16 MB)");
    }
  }
  s = bc_frame_analyse(e->locate, &im, scale);
  if (s == BC_OK) s = bc_frame_locate(e->locate, &im, scale, cells);
  if (s == BC_OK && cells->rbc_diameter_x16 > 0) {   /* the locator's ruler, measured finer */
    scale->rbc_diameter_x16 = cells->rbc_diameter_x16;
    scale->path = BC_FRAME_RBC;
  }
  if (s == BC_ERR_TOO_LARGE)
    return fail(msg, msg_len, s, "image too large for the locator (over 16384 px a side or 40 megapixels)");
  if (s != BC_OK) return fail(msg, msg_len, s, "bad pixel buffer for the locator");
  if (msg && msg_len) msg[0] = '\0';
  return BC_OK;
}

bc_status bc_engine_classify_crop(bc_engine *e, const uint8_t *pixels, int w, int h, int channels,
                                  const bc_frame_result *crop, char *msg, size_t msg_len) {
  const bc_status s = bc_preprocess_crop(&e->pre, pixels, w, h, channels, crop, e->rgb, e->values[0], msg, msg_len);
  if (s != BC_OK) return s;
  e->frame = *crop;
  bc_engine_forward(e);
  return BC_OK;
}

bc_status bc_engine_cam(const bc_engine *e, int k, float *out) {
  const bc_model *m = &e->model;
  if (k < 0 || k >= m->n_classes) return BC_ERR_ARGUMENT;
  const bc_value *f = &m->values[e->cam_value];
  const int8_t *x = e->values[e->cam_value];
  const float *w = e->cam_weights + (size_t)k * f->c;
  const float bias = m->ops[m->n_ops - 1].bias_f[k];
  for (int p = 0; p < f->h * f->w; p++, x += f->c) {
    float acc = 0.0f;
    for (int c = 0; c < f->c; c++) acc += w[c] * (float)(x[c] - f->q.zero_point);
    out[p] = f->q.scale * acc + bias;
  }
  return BC_OK;
}

const bc_model *bc_engine_model(const bc_engine *e) { return &e->model; }
int bc_engine_input_size(const bc_engine *e) { return e->model.input_size; }
int bc_engine_num_classes(const bc_engine *e) { return e->model.n_classes; }
int bc_engine_num_subclasses(const bc_engine *e) { return e->model.n_subclasses; }
const char *bc_engine_subclass_name(const bc_engine *e, int j) {
  return j >= 0 && j < e->model.n_subclasses ? e->model.subclass_names[j] : "";
}
int bc_engine_subclass_parent(const bc_engine *e, int j) {
  return j >= 0 && j < e->model.n_subclasses ? e->model.subclass_parent[j] : -1;
}
const float *bc_engine_subprobs(const bc_engine *e) { return e->subprobs; }
const char *bc_engine_class_name(const bc_engine *e, int k) {
  return k >= 0 && k < e->model.n_classes ? e->model.class_names[k] : "";
}
int bc_engine_embedding_dim(const bc_engine *e) { return e->model.values[e->emb_value].c; }
int bc_engine_cam_height(const bc_engine *e) { return e->model.values[e->cam_value].h; }
int bc_engine_cam_width(const bc_engine *e) { return e->model.values[e->cam_value].w; }
const char *bc_engine_kernels_isa(const bc_engine *e) {
  return e->backend == BC_BACKEND_XNNPACK ? "xnnpack" : e->kernels->isa;
}
int8_t *bc_engine_input(bc_engine *e) { return e->values[0]; }
const uint8_t *bc_engine_rgb(const bc_engine *e) { return e->rgb; }
const bc_frame_result *bc_engine_frame(const bc_engine *e) { return &e->frame; }
int bc_engine_resize_mode(const bc_engine *e) { return e->model.resize_mode; }
const float *bc_engine_logits(const bc_engine *e) { return e->logits; }
const float *bc_engine_probs(const bc_engine *e) { return e->probs; }
const float *bc_engine_embedding(const bc_engine *e) { return e->embedding; }
int bc_engine_num_ops(const bc_engine *e) { return e->model.n_ops; }

uint64_t bc_engine_op_macs(const bc_engine *e, int i) {
  const bc_model *m = &e->model;
  const bc_op_desc *d = &m->ops[i];
  if (d->type == BC_OP_LOGITS) return (uint64_t)m->n_logits * m->values[d->input].c;
  if (d->type != BC_OP_CONV && d->type != BC_OP_FC) return 0;
  const bc_value *in = &m->values[d->input], *out = &m->values[d->output];
  const uint64_t k = d->type == BC_OP_FC ? (uint64_t)in->c
                                         : (uint64_t)d->win.kh * d->win.kw * (in->c / d->groups);
  return (uint64_t)out->h * out->w * out->c * k;
}

void bc_engine_op_describe(const bc_engine *e, int i, char *buf, size_t len) {
  static const char *names[] = {"?", "conv", "add", "maxpool", "avgpool", "gap", "fc", "logits"};
  const bc_model *m = &e->model;
  const bc_op_desc *d = &m->ops[i];
  const bc_value *in = &m->values[d->input];
  const char *name = (unsigned)d->type < sizeof names / sizeof names[0] ? names[d->type] : "?";
  if (d->type == BC_OP_LOGITS) {
    snprintf(buf, len, "%s %dx%dx%d->%d", name, in->h, in->w, in->c, m->n_classes);
    return;
  }
  const bc_value *out = &m->values[d->output];
  if (d->type == BC_OP_CONV || d->type == BC_OP_MAXPOOL || d->type == BC_OP_AVGPOOL)
    snprintf(buf, len, "%s %dx%d/%d %dx%dx%d->%dx%dx%d", name, d->win.kh, d->win.kw, d->win.sh,
             in->h, in->w, in->c, out->h, out->w, out->c);
  else
    snprintf(buf, len, "%s %dx%dx%d->%dx%dx%d", name, in->h, in->w, in->c, out->h, out->w, out->c);
}
