/* model.c - model file parser and validator (models/FORMAT.md). */
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "model.h"

/* CRC-32 (zlib's), eight table lookups per 8 bytes ("slicing by 8"): it runs over the whole model
 * file at every load, in V8's baseline code in the browser. */
static uint32_t le32_at(const uint8_t *p) {
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
  uint32_t v;
  memcpy(&v, p, 4);
  return v;
#else
  return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
#endif
}

uint32_t bc_crc32(const uint8_t *p, size_t n) {
  static uint32_t t[8][256];  /* filled once; the same values on every call, so a race is benign */
  if (!t[0][1]) {
    for (uint32_t i = 0; i < 256; i++) {
      uint32_t c = i;
      for (int k = 0; k < 8; k++) c = (c >> 1) ^ (0xEDB88320u & (0u - (c & 1u)));
      t[0][i] = c;
    }
    for (uint32_t i = 0; i < 256; i++)
      for (int s = 1; s < 8; s++) t[s][i] = (t[s - 1][i] >> 8) ^ t[0][t[s - 1][i] & 0xFF];
  }
  uint32_t crc = 0xFFFFFFFFu;
  for (; n >= 8; n -= 8, p += 8) {
    const uint32_t a = crc ^ le32_at(p), b = le32_at(p + 4);
    crc = t[7][a & 0xFF] ^ t[6][(a >> 8) & 0xFF] ^ t[5][(a >> 16) & 0xFF] ^ t[4][a >> 24] ^
          t[3][b & 0xFF] ^ t[2][(b >> 8) & 0xFF] ^ t[1][(b >> 16) & 0xFF] ^ t[0][b >> 24];
  }
  for (; n; n--, p++) crc = t[0][(crc ^ *p) & 0xFF] ^ (crc >> 8);
  return ~crc;
}

typedef struct reader {
  const uint8_t *p;
  size_t n, off;
  char *msg;
  size_t msg_len;
  int failed;
  int coded;                /* version 3: weight arrays are rANS-coded */
  uint64_t coded_weights;   /* weights decoded so far */
} reader;

static void bad(reader *r, const char *fmt, ...) {
  if (r->failed) return;
  r->failed = 1;
  if (!r->msg || !r->msg_len) return;
  int k = snprintf(r->msg, r->msg_len, "invalid model file at byte %zu: ", r->off);
  if (k < 0 || (size_t)k >= r->msg_len) return;
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(r->msg + k, r->msg_len - (size_t)k, fmt, ap);
  va_end(ap);
}

static const uint8_t *take(reader *r, size_t len, const char *what) {
  if (r->failed) return NULL;
  if (len > r->n - r->off) { bad(r, "file ends inside %s (truncated)", what); return NULL; }
  const uint8_t *q = r->p + r->off;
  r->off += len;
  return q;
}

static uint32_t rd_u32(reader *r, const char *what) {
  const uint8_t *q = take(r, 4, what);
  return q ? (uint32_t)q[0] | (uint32_t)q[1] << 8 | (uint32_t)q[2] << 16 | (uint32_t)q[3] << 24 : 0;
}

static int32_t rd_i32(reader *r, const char *what) { return (int32_t)rd_u32(r, what); }

static float rd_f32(reader *r, const char *what) {
  uint32_t u = rd_u32(r, what);
  float f;
  memcpy(&f, &u, 4);
  return f;
}

/* A u32 that must lie in [lo, hi]. */
static int rd_range(reader *r, const char *what, uint32_t lo, uint32_t hi) {
  const uint32_t v = rd_u32(r, what);
  if (!r->failed && (v < lo || v > hi)) bad(r, "%s is %u, expected %u..%u", what, v, lo, hi);
  return (int)v;
}

static float rd_positive(reader *r, const char *what, float lo, float hi) {
  const float f = rd_f32(r, what);
  if (!r->failed && !(isfinite(f) && f >= lo && f <= hi)) bad(r, "%s is %g, expected %g..%g", what, f, lo, hi);
  return f;
}

static void rd_clamp(reader *r, bc_op_desc *op) {
  const int32_t lo = rd_i32(r, "out_min"), hi = rd_i32(r, "out_max");
  if (!r->failed && !(lo >= -128 && hi <= 127 && lo < hi)) bad(r, "output clamp [%d, %d] is not within int8", lo, hi);
  op->out_min = (int8_t)lo;
  op->out_max = (int8_t)hi;
}

/* int8 weights followed by padding to 4 bytes, copied into an owned buffer. */
static int8_t *rd_coded_weights(reader *r, uint64_t count64);
static int8_t *rd_weights(reader *r, uint64_t count64) {
  if (r->coded) return rd_coded_weights(r, count64);
  /* Checked in 64 bits: on wasm32 a size_t product of hostile fields could wrap. */
  if (!r->failed && count64 > r->n - r->off) { bad(r, "file ends inside weights (truncated)"); return NULL; }
  const size_t count = (size_t)count64;
  const uint8_t *q = take(r, (count + 3) & ~(size_t)3, "weights");
  if (!q) return NULL;
  int8_t *w = malloc(count + BC_KERNEL_OVERREAD);
  if (!w) { bad(r, "out of memory"); return NULL; }
  memcpy(w, q, count);
  memset(w + count, 0, BC_KERNEL_OVERREAD);
  return w;
}

/* Version 3: an int8 weight array as a static rANS block (FORMAT.md, "Coded weights"). Every table
 * field is checked before use, the state stays in [L, L << 8) so no product overflows 32 bits, and
 * the stream must be used to its last byte with the state back at L: a decode that goes wrong stops
 * at the first byte it would read past the block. A symbol of frequency 1 << RANS_BITS decodes
 * without reading, so the decoded count is bounded separately (BC_MODEL_MAX_CODED_WEIGHTS). */
#define RANS_BITS 14
#define RANS_L (1u << 23)
static int8_t *rd_coded_weights(reader *r, uint64_t count64) {
  if (r->failed) return NULL;
  if (count64 > BC_MODEL_MAX_CODED_WEIGHTS - r->coded_weights) {
    bad(r, "coded weights: more than %u weights in the model", BC_MODEL_MAX_CODED_WEIGHTS);
    return NULL;
  }
  r->coded_weights += count64;
  const size_t count = (size_t)count64;
  const uint32_t stream_len = rd_u32(r, "coded weights stream length");
  const int n_sym = rd_range(r, "coded weights symbol count", 1, 256);
  const uint8_t *sym = take(r, ((size_t)n_sym + 3) & ~(size_t)3, "coded weights symbols");
  const uint8_t *fq = take(r, ((size_t)n_sym * 2 + 3) & ~(size_t)3, "coded weights frequencies");
  if (r->failed) return NULL;
  if (stream_len < 4 || stream_len > r->n - r->off) { bad(r, "coded weights stream of %u bytes does not fit the file (truncated?)", stream_len); return NULL; }
  uint32_t freq[256], cum[256], total = 0;
  for (int i = 0; i < n_sym; i++) {
    freq[i] = (uint32_t)fq[2 * i] | (uint32_t)fq[2 * i + 1] << 8;
    cum[i] = total;
    total += freq[i];
    if (freq[i] == 0) { bad(r, "coded weights: symbol %d has frequency 0", i); return NULL; }
    if (i > 0 && (int8_t)sym[i] <= (int8_t)sym[i - 1]) { bad(r, "coded weights: symbols are not in increasing order"); return NULL; }
  }
  if (total != 1u << RANS_BITS) { bad(r, "coded weights: frequencies sum to %u, expected %u", total, 1u << RANS_BITS); return NULL; }
  const uint8_t *q = take(r, ((size_t)stream_len + 3) & ~(size_t)3, "coded weights stream");
  if (!q) return NULL;
  uint8_t *slot = malloc(1u << RANS_BITS);
  int8_t *w = malloc(count + BC_KERNEL_OVERREAD);
  if (!slot || !w) { free(slot); free(w); bad(r, "out of memory"); return NULL; }
  for (int i = 0; i < n_sym; i++) memset(slot + cum[i], i, freq[i]);
  uint32_t x = le32_at(q), pos = 4;
  int ok = x >= RANS_L && x < RANS_L << 8;
  for (size_t i = 0; ok && i < count; i++) {
    const uint32_t m = x & ((1u << RANS_BITS) - 1), s = slot[m];
    w[i] = (int8_t)sym[s];
    x = freq[s] * (x >> RANS_BITS) + m - cum[s];
    while (x < RANS_L) {
      if (pos >= stream_len) { ok = 0; break; }
      x = x << 8 | q[pos++];
    }
  }
  free(slot);
  if (!ok || pos != stream_len || x != RANS_L) {
    free(w);
    bad(r, "coded weights do not decode (the stream is corrupted)");
    return NULL;
  }
  memset(w + count, 0, BC_KERNEL_OVERREAD);
  return w;
}

static float *rd_f32_array(reader *r, size_t count, int positive, const char *what) {
  if (r->failed) return NULL;
  if (count > (r->n - r->off) / 4) { bad(r, "file ends inside %s (truncated)", what); return NULL; }
  float *a = malloc(count * sizeof(float));
  if (!a) { bad(r, "out of memory"); return NULL; }
  for (size_t i = 0; i < count; i++) {
    a[i] = rd_f32(r, what);
    if (!r->failed && !(isfinite(a[i]) && (!positive || a[i] > 0.0f))) bad(r, "%s[%zu] is %g", what, i, a[i]);
  }
  return a;
}

static int32_t *rd_i32_array(reader *r, size_t count, const char *what) {
  if (r->failed) return NULL;
  if (count > (r->n - r->off) / 4) { bad(r, "file ends inside %s (truncated)", what); return NULL; }
  int32_t *a = malloc(count * sizeof(int32_t));
  if (!a) { bad(r, "out of memory"); return NULL; }
  for (size_t i = 0; i < count; i++) a[i] = rd_i32(r, what);
  return a;
}

static void rd_window(reader *r, bc_window *w, int dilation) {
  w->kh = rd_range(r, "kernel height", 1, 16);
  w->kw = rd_range(r, "kernel width", 1, 16);
  w->sh = rd_range(r, "stride height", 1, 16);
  w->sw = rd_range(r, "stride width", 1, 16);
  w->dh = dilation ? rd_range(r, "dilation height", 1, 8) : 1;
  w->dw = dilation ? rd_range(r, "dilation width", 1, 8) : 1;
  w->pad_top = rd_range(r, "pad top", 0, 16);
  w->pad_left = rd_range(r, "pad left", 0, 16);
  w->pad_bottom = rd_range(r, "pad bottom", 0, 16);
  w->pad_right = rd_range(r, "pad right", 0, 16);
}

/* An input value index: must exist and already be written. */
static int rd_input(reader *r, const bc_model *m, const unsigned char *written, const char *what) {
  const int v = rd_range(r, what, 0, (uint32_t)m->n_values - 1);
  if (!r->failed && !written[v]) bad(r, "%s reads value %d before any op writes it", what, v);
  return v;
}

static int rd_output(reader *r, const bc_model *m, unsigned char *written) {
  const int v = rd_range(r, "output value", 1, (uint32_t)m->n_values - 1);
  if (!r->failed && written[v]) bad(r, "value %d is written twice", v);
  if (!r->failed) written[v] = 1;
  return v;
}

static void expect_shape(reader *r, const bc_value *v, int h, int w, int c, int index) {
  if (!r->failed && (v->h != h || v->w != w || v->c != c))
    bad(r, "value %d is %dx%dx%d but the op makes %dx%dx%d", index, v->h, v->w, v->c, h, w, c);
}

static void parse_op(reader *r, bc_model *m, bc_op_desc *op, unsigned char *written, int is_last) {
  op->type = (bc_op_type)rd_range(r, "op type", 1, 7);
  if (r->failed) return;
  const bc_value *in;
  switch (op->type) {
    case BC_OP_CONV: {
      op->input = rd_input(r, m, written, "conv input");
      op->output = rd_output(r, m, written);
      rd_window(r, &op->win, 1);
      op->groups = rd_range(r, "groups", 1, 65536);
      rd_clamp(r, op);
      if (r->failed) return;
      in = &m->values[op->input];
      const bc_value *out = &m->values[op->output];
      if (in->c % op->groups || out->c % op->groups) { bad(r, "groups %d do not divide channels %d -> %d", op->groups, in->c, out->c); return; }
      const int oh = bc_window_out_dim(in->h, op->win.kh, op->win.sh, op->win.dh, op->win.pad_top, op->win.pad_bottom);
      const int ow = bc_window_out_dim(in->w, op->win.kw, op->win.sw, op->win.dw, op->win.pad_left, op->win.pad_right);
      if (!oh || !ow) { bad(r, "conv window does not fit its input"); return; }
      expect_shape(r, out, oh, ow, out->c, op->output);
      const uint64_t count = (uint64_t)out->c * op->win.kh * op->win.kw * (uint64_t)(in->c / op->groups);
      op->weights = rd_weights(r, count);
      op->w_scale = rd_f32_array(r, (size_t)out->c, 1, "w_scale");
      op->bias = rd_i32_array(r, (size_t)out->c, "bias");
      return;
    }
    case BC_OP_ADD:
      op->input = rd_input(r, m, written, "add input a");
      op->input_b = rd_input(r, m, written, "add input b");
      op->output = rd_output(r, m, written);
      rd_clamp(r, op);
      if (r->failed) return;
      in = &m->values[op->input];
      expect_shape(r, &m->values[op->input_b], in->h, in->w, in->c, op->input_b);
      expect_shape(r, &m->values[op->output], in->h, in->w, in->c, op->output);
      return;
    case BC_OP_MAXPOOL:
    case BC_OP_AVGPOOL: {
      op->input = rd_input(r, m, written, "pool input");
      op->output = rd_output(r, m, written);
      rd_window(r, &op->win, 0);
      if (op->type == BC_OP_AVGPOOL) rd_clamp(r, op); else { op->out_min = -128; op->out_max = 127; }
      if (r->failed) return;
      in = &m->values[op->input];
      const bc_value *out = &m->values[op->output];
      const int oh = bc_window_out_dim(in->h, op->win.kh, op->win.sh, 1, op->win.pad_top, op->win.pad_bottom);
      const int ow = bc_window_out_dim(in->w, op->win.kw, op->win.sw, 1, op->win.pad_left, op->win.pad_right);
      if (!oh || !ow) { bad(r, "pool window does not fit its input"); return; }
      expect_shape(r, out, oh, ow, in->c, op->output);
      if (!r->failed && op->type == BC_OP_MAXPOOL && (out->q.scale != in->q.scale || out->q.zero_point != in->q.zero_point))
        bad(r, "max pool output must keep the input's scale and zero point");
      return;
    }
    case BC_OP_GAP:
      op->input = rd_input(r, m, written, "gap input");
      op->output = rd_output(r, m, written);
      rd_clamp(r, op);
      if (r->failed) return;
      in = &m->values[op->input];
      expect_shape(r, &m->values[op->output], 1, 1, in->c, op->output);
      return;
    case BC_OP_FC: {
      op->input = rd_input(r, m, written, "fc input");
      op->output = rd_output(r, m, written);
      rd_clamp(r, op);
      if (r->failed) return;
      in = &m->values[op->input];
      const bc_value *out = &m->values[op->output];
      if (in->h != 1 || in->w != 1) { bad(r, "fc input must be 1x1xC"); return; }
      expect_shape(r, out, 1, 1, out->c, op->output);
      op->weights = rd_weights(r, (uint64_t)out->c * in->c);
      op->w_scale = rd_f32_array(r, (size_t)out->c, 1, "w_scale");
      op->bias = rd_i32_array(r, (size_t)out->c, "bias");
      return;
    }
    case BC_OP_LOGITS: {
      op->input = rd_input(r, m, written, "logits input");
      op->output = -1;
      if (r->failed) return;
      if (!is_last) { bad(r, "LOGITS must be the last op"); return; }
      in = &m->values[op->input];
      if (in->h != 1 || in->w != 1) { bad(r, "logits input must be 1x1xC"); return; }
      op->weights = rd_weights(r, (uint64_t)m->n_logits * in->c);
      op->w_scale = rd_f32_array(r, (size_t)m->n_logits, 1, "w_scale");
      op->bias_f = rd_f32_array(r, (size_t)m->n_logits, 0, "bias");
      return;
    }
  }
}

/* The engine's working memory and work for this model, against the model.h limits (all in 64 bits: the
 * fields are bounded, but their products are not small). Mirrors what bc_engine_load and ops.c allocate. */
static void check_budget(reader *r, const bc_model *m) {
  uint64_t act = 0, ind = 0, packed = 0, macs = 0;
  for (int v = 0; v < m->n_values; v++)
    act += (uint64_t)m->values[v].h * m->values[v].w * m->values[v].c + 32;
  for (int i = 0; i < m->n_ops; i++) {
    const bc_op_desc *d = &m->ops[i];
    if (d->type == BC_OP_LOGITS) { macs += (uint64_t)m->n_logits * m->values[d->input].c; continue; }
    const bc_value *in = &m->values[d->input], *out = &m->values[d->output];
    const uint64_t pixels = (uint64_t)out->h * out->w;
    if (d->type == BC_OP_CONV || d->type == BC_OP_FC) {
      const uint64_t groups = d->type == BC_OP_FC ? 1 : (uint64_t)d->groups;
      const uint64_t ks = d->type == BC_OP_FC ? 1 : (uint64_t)d->win.kh * d->win.kw;
      const uint64_t gin = (uint64_t)in->c / groups, gout = (uint64_t)out->c / groups;
      /* a non-depthwise conv keeps an int16 copy of its input (ops.c): counted with the activations */
      if (!(gin == 1 && gout == 1)) act += 2 * (uint64_t)in->h * in->w * in->c + BC_KERNEL_OVERREAD;
      ind += (pixels + BC_IGEMM_MR - 1) / BC_IGEMM_MR * BC_IGEMM_MR * ks;
      packed += groups * ((gout + BC_IGEMM_NR - 1) / BC_IGEMM_NR) *
                (BC_IGEMM_NR * 8 + ks * ((gin + BC_IGEMM_KR - 1) / BC_IGEMM_KR * BC_IGEMM_KR) * BC_IGEMM_NR * 2);
      macs += pixels * out->c * ks * gin;
    } else if (d->type == BC_OP_MAXPOOL || d->type == BC_OP_AVGPOOL) {
      ind += pixels * (uint64_t)d->win.kh * d->win.kw;
    }
  }
  if (act > BC_MODEL_MAX_ACTIVATION_BYTES)
    bad(r, "activations need %llu bytes; the limit is %llu", (unsigned long long)act, BC_MODEL_MAX_ACTIVATION_BYTES);
  else if (ind > BC_MODEL_MAX_INDIRECTION)
    bad(r, "indirection buffers need %llu pointers; the limit is %llu", (unsigned long long)ind, BC_MODEL_MAX_INDIRECTION);
  else if (packed > BC_MODEL_MAX_PACKED_BYTES)
    bad(r, "packed weights need up to %llu bytes; the limit is %llu", (unsigned long long)packed, BC_MODEL_MAX_PACKED_BYTES);
  else if (macs > BC_MODEL_MAX_MACS)
    bad(r, "a forward pass needs %llu multiply-accumulates; the limit is %llu", (unsigned long long)macs, BC_MODEL_MAX_MACS);
}

/* A class or sub-class id: u32 length 1..31, then a-z 0-9 _ -. 0 (and r failed) when it is not one. */
static int rd_id(reader *r, char out[32], const char *what, int k) {
  const int len = rd_range(r, "class name length", 1, 31);
  const uint8_t *s = take(r, (size_t)len, "class name");
  if (!s) return 0;
  for (int i = 0; i < len; i++) {
    const char ch = (char)s[i];
    if (!((ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9') || ch == '_' || ch == '-')) {
      bad(r, "%s name %d has a character outside a-z 0-9 _ -", what, k);
      return 0;
    }
    out[i] = ch;
  }
  return 1;
}

static void parse_body(reader *r, bc_model *m) {
  const int name_len = rd_range(r, "name length", 0, 64);
  const uint8_t *name = take(r, (size_t)name_len, "name");
  if (r->failed) return;
  for (int i = 0; i < name_len; i++) {
    if (name[i] < 32 || name[i] > 126) { bad(r, "model name is not printable ASCII"); return; }
    m->name[i] = (char)name[i];
  }
  m->n_classes = rd_range(r, "class count", 2, BC_MODEL_MAX_CLASSES);
  for (int k = 0; k < m->n_classes && !r->failed; k++)
    if (!rd_id(r, m->class_names[k], "class", k)) return;
  if (m->version >= 2) {
    m->n_subclasses = rd_range(r, "sub-class count", 0, BC_MODEL_MAX_SUBCLASSES);
    for (int j = 0; j < m->n_subclasses && !r->failed; j++) {
      m->subclass_parent[j] = rd_range(r, "sub-class parent", 0, m->n_classes - 1);
      if (r->failed || !rd_id(r, m->subclass_names[j], "sub-class", j)) return;
      if (j > 0 && m->subclass_parent[j] < m->subclass_parent[j - 1]) { bad(r, "sub-classes must be in the order of their classes"); return; }
    }
  }
  m->n_logits = m->n_classes + m->n_subclasses;
  m->input_size = rd_range(r, "input size", 16, 512);
  m->resize_mode = rd_range(r, "resize mode", 0, 1);   /* preprocess.h: BC_RESIZE_CENTRE, BC_RESIZE_FRAME */
  for (int c = 0; c < 3; c++) {
    m->mean[c] = rd_f32(r, "mean");
    if (!r->failed && !isfinite(m->mean[c])) bad(r, "mean is not finite");
  }
  for (int c = 0; c < 3; c++) m->std[c] = rd_positive(r, "std", 1e-6f, 1e6f);
  m->temperature = rd_positive(r, "temperature", 0.05f, 20.0f);
  m->n_values = rd_range(r, "value count", 2, BC_MODEL_MAX_VALUES);
  if (r->failed) return;
  m->values = calloc((size_t)m->n_values, sizeof(bc_value));
  if (!m->values) { bad(r, "out of memory"); return; }
  for (int v = 0; v < m->n_values && !r->failed; v++) {
    bc_value *val = &m->values[v];
    val->h = rd_range(r, "value height", 1, 4096);
    val->w = rd_range(r, "value width", 1, 4096);
    val->c = rd_range(r, "value channels", 1, 65536);
    val->q.scale = rd_positive(r, "value scale", 1e-12f, 1e12f);
    val->q.zero_point = rd_i32(r, "value zero point");
    if (r->failed) return;
    if (val->q.zero_point < -128 || val->q.zero_point > 127) { bad(r, "value %d zero point %d is outside int8", v, val->q.zero_point); return; }
    if ((uint64_t)val->h * val->w * val->c > BC_MODEL_MAX_VALUE_ELEMS) { bad(r, "value %d has more than %u elements", v, BC_MODEL_MAX_VALUE_ELEMS); return; }
  }
  const bc_value *input = &m->values[0];
  if (input->h != m->input_size || input->w != m->input_size || input->c != 3) {
    bad(r, "value 0 must be the %dx%dx3 input", m->input_size, m->input_size);
    return;
  }
  m->n_ops = rd_range(r, "op count", 1, BC_MODEL_MAX_OPS);
  if (r->failed) return;
  m->ops = calloc((size_t)m->n_ops, sizeof(bc_op_desc));
  unsigned char *written = calloc((size_t)m->n_values, 1);
  if (!m->ops || !written) { free(written); bad(r, "out of memory"); return; }
  written[0] = 1;
  for (int i = 0; i < m->n_ops && !r->failed; i++) parse_op(r, m, &m->ops[i], written, i == m->n_ops - 1);
  if (!r->failed) {
    for (int v = 1; v < m->n_values; v++)
      if (!written[v]) { bad(r, "value %d is never written", v); break; }
  }
  free(written);
  if (r->failed) return;
  const bc_op_desc *last = &m->ops[m->n_ops - 1];
  if (last->type != BC_OP_LOGITS) { bad(r, "the last op must be LOGITS"); return; }
  m->gap_op = -1;
  for (int i = 0; i < m->n_ops; i++)
    if (m->ops[i].type == BC_OP_GAP && m->ops[i].output == last->input) m->gap_op = i;
  if (m->gap_op < 0) { bad(r, "LOGITS input must come from a GAP op (needed for class activation maps)"); return; }
  if (r->off != r->n) { bad(r, "%zu unexpected bytes after the last op", r->n - r->off); return; }
  check_budget(r, m);
}

bc_status bc_model_parse(const uint8_t *bytes, size_t n, bc_model *m, char *msg, size_t msg_len) {
  memset(m, 0, sizeof(*m));
  if (msg && msg_len) msg[0] = 0;
  reader r = { bytes, n, 0, msg, msg_len, 0, 0, 0 };
  if (!bytes || n == 0) { bad(&r, "empty file"); return BC_ERR_BAD_MODEL; }
  if (n < 16) { bad(&r, "file is %zu bytes, shorter than the 16-byte header", n); return BC_ERR_BAD_MODEL; }
  if (memcmp(bytes, "BCNN", 4) != 0) { bad(&r, "not a bloodcell model (bad magic)"); return BC_ERR_BAD_MODEL; }
  r.off = 4;
  const uint32_t version = rd_u32(&r, "version");
  if (version < 1 || version > BC_MODEL_VERSION) {
    bad(&r, "model format version %u is not supported (this engine reads versions 1 to %d)", version, BC_MODEL_VERSION);
    return BC_ERR_MODEL_VERSION;
  }
  m->version = (int)version;
  r.coded = version >= 3;
  const uint32_t size = rd_u32(&r, "file size");
  const uint32_t crc = rd_u32(&r, "checksum");
  if (size != n) { bad(&r, "header says %u bytes but the file has %zu (truncated or padded)", size, n); return BC_ERR_BAD_MODEL; }
  if (n > BC_MODEL_MAX_BYTES) { bad(&r, "file is larger than %u bytes", BC_MODEL_MAX_BYTES); return BC_ERR_BAD_MODEL; }
  if (bc_crc32(bytes + 16, n - 16) != crc) { bad(&r, "checksum mismatch (the file is corrupted)"); return BC_ERR_BAD_MODEL; }
  parse_body(&r, m);
  if (r.failed) { bc_model_free(m); return BC_ERR_BAD_MODEL; }
  return BC_OK;
}

void bc_model_free(bc_model *m) {
  if (m->ops) {
    for (int i = 0; i < m->n_ops; i++) {
      free(m->ops[i].weights);
      free(m->ops[i].w_scale);
      free(m->ops[i].bias);
      free(m->ops[i].bias_f);
    }
  }
  free(m->ops);
  free(m->values);
  memset(m, 0, sizeof(*m));
}
