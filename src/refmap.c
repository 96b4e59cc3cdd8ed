/* refmap.c - see refmap.h.  Every sum is in double and in the order refmap.js adds, so the C and the
 * JavaScript scores agree to the last bit for the same embedding. */
#define _POSIX_C_SOURCE 200809L
#include "refmap.h"

#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "json.h"
#include "readfile.h"

#define MAX_MAP_BYTES (64u << 20)
#define SCHEMA "bloodcell-reference-map-1"

struct bc_refmap {
  int n, dim, k;
  double threshold;
  float *emb;      /* n * dim, decoded from float16 */
  double *x, *y;
};

/* IEEE 754 half -> float, as refmap.js's halfToFloat (exact for every value). */
static float half_to_float(uint16_t h) {
  const int s = h & 0x8000 ? -1 : 1;
  const int e = (h >> 10) & 0x1f;
  const int f = h & 0x3ff;
  if (e == 0) return (float)(s * ldexp(f, -24));
  if (e == 31) return f ? NAN : (float)(s * INFINITY);
  return (float)(s * ldexp(1024 + f, e - 25));
}

void bc_refmap_free(bc_refmap *m) {
  if (!m) return;
  free(m->emb);
  free(m->x);
  free(m->y);
  free(m);
}

int bc_refmap_size(const bc_refmap *m) { return m->n; }
int bc_refmap_k(const bc_refmap *m) { return m->k; }
double bc_refmap_threshold(const bc_refmap *m) { return m->threshold; }

static int whole_number(const json_node *v, double lo, double hi, int *out) {
  double d;
  if (!json_number(v, &d) || d != floor(d) || d < lo || d > hi) return 0;
  *out = (int)d;
  return 1;
}

static int finite_number(const json_node *v, double *out) { return json_number(v, out) && isfinite(*out); }

/* The embeddings file next to the map: dirname(map_path)/file. */
static void sibling_path(const char *map_path, const char *file, char *out, size_t len) {
  const char *slash = strrchr(map_path, '/');
  if (file[0] == '/' || !slash) snprintf(out, len, "%s", file);
  else snprintf(out, len, "%.*s/%s", (int)(slash - map_path), map_path, file);
}

static bc_refmap *load_fields(const json_node *root, const char *path, const char *model_name, int embedding_dim,
                              char *msg, size_t msg_len) {
  const char *schema = json_string(json_get(root, "schema"));
  if (!schema || strcmp(schema, SCHEMA)) { snprintf(msg, msg_len, "unknown reference map format (schema is not \"%s\")", SCHEMA); return NULL; }
  const char *built_for = json_string(json_path(root, "model.name"));
  if (model_name && built_for && strcmp(built_for, model_name)) {
    snprintf(msg, msg_len, "the reference map was built for the model \"%.64s\", not \"%.64s\"", built_for, model_name);
    return NULL;
  }
  const json_node *shape = json_path(root, "embeddings.shape");
  int n = 0, dim = 0, k = 0;
  double threshold = 0;
  if (json_count(shape) != 2 || !whole_number(json_first(shape), 1, 1e7, &n) || !whole_number(json_next(json_first(shape)), 1, 65536, &dim)) {
    snprintf(msg, msg_len, "embeddings.shape is not [rows, dim]");
    return NULL;
  }
  if (dim != embedding_dim) {
    snprintf(msg, msg_len, "the reference map was built for a model with %d-dimensional embeddings; this model has %d", dim, embedding_dim);
    return NULL;
  }
  const json_node *points = json_get(root, "points");
  if (json_type_of(points) != JSON_ARRAY || json_count(points) != n) { snprintf(msg, msg_len, "reference map points and embeddings differ in number"); return NULL; }
  if (!whole_number(json_path(root, "knn.k"), 1, 1e7, &k)) { snprintf(msg, msg_len, "knn.k is not a positive whole number"); return NULL; }
  if (!finite_number(json_path(root, "ood.threshold"), &threshold)) { snprintf(msg, msg_len, "ood.threshold is not a number"); return NULL; }
  const char *file = json_string(json_path(root, "embeddings.file"));
  if (!file || !*file) { snprintf(msg, msg_len, "embeddings.file is missing"); return NULL; }

  bc_refmap *m = calloc(1, sizeof *m);
  if (!m) { snprintf(msg, msg_len, "out of memory"); return NULL; }
  m->n = n;
  m->dim = dim;
  m->k = k < n ? k : n;
  m->threshold = threshold;
  m->x = malloc((size_t)n * sizeof *m->x);
  m->y = malloc((size_t)n * sizeof *m->y);
  m->emb = malloc((size_t)n * dim * sizeof *m->emb);
  if (!m->x || !m->y || !m->emb) { snprintf(msg, msg_len, "out of memory"); bc_refmap_free(m); return NULL; }
  int i = 0;
  for (const json_node *p = json_first(points); p; p = json_next(p), i++) {
    if (!finite_number(json_get(p, "x"), &m->x[i]) || !finite_number(json_get(p, "y"), &m->y[i])) {
      snprintf(msg, msg_len, "point %d has no numeric x and y", i);
      bc_refmap_free(m);
      return NULL;
    }
  }

  char emb_path[4096], why[160];
  sibling_path(path, file, emb_path, sizeof emb_path);
  size_t bytes = 0;
  uint8_t *raw = bc_read_file(emb_path, MAX_MAP_BYTES, &bytes, NULL, why, sizeof why);
  if (!raw) { snprintf(msg, msg_len, "cannot read the reference embeddings %.200s: %s", emb_path, why); bc_refmap_free(m); return NULL; }
  const size_t count = (size_t)n * dim;
  if (bytes < count * 2) {
    snprintf(msg, msg_len, "reference embeddings %.200s: %zu bytes, expected %zu", emb_path, bytes, count * 2);
    free(raw);
    bc_refmap_free(m);
    return NULL;
  }
  for (size_t j = 0; j < count; j++) m->emb[j] = half_to_float((uint16_t)(raw[2 * j] | raw[2 * j + 1] << 8));
  free(raw);
  return m;
}

bc_refmap *bc_refmap_load(const char *path, const char *model_name, int embedding_dim, int *missing,
                          char *msg, size_t msg_len) {
  size_t len = 0;
  char why[160];
  uint8_t *text = bc_read_file(path, MAX_MAP_BYTES, &len, missing, why, sizeof why);
  if (!text) { snprintf(msg, msg_len, "%s", why); return NULL; }
  char err[160];
  json_doc *d = json_parse((const char *)text, len, err, sizeof err);
  free(text);
  if (!d) { snprintf(msg, msg_len, "not valid JSON: %s", err); return NULL; }
  bc_refmap *m = load_fields(json_root(d), path, model_name, embedding_dim, msg, msg_len);
  json_free(d);
  return m;
}

/* Inserts index i into top[0..len) (descending similarity; equal similarities keep index order). */
static int insert(int *top, int len, int i, const double *sims) {
  int p = len;
  while (p > 0 && sims[top[p - 1]] < sims[i]) { top[p] = top[p - 1]; p--; }
  top[p] = i;
  return len + 1;
}

size_t bc_refmap_scratch_bytes(const bc_refmap *m) { return (size_t)m->n * sizeof(double) + (size_t)m->k * sizeof(int); }

void bc_refmap_place(const bc_refmap *m, const float *embedding, void *scratch, bc_place *out) {
  const int n = m->n, dim = m->dim, k = m->k;
  double *sims = scratch;
  int *top = (int *)(sims + n), len = 0;
  double norm = 0;
  for (int j = 0; j < dim; j++) norm += (double)embedding[j] * embedding[j];
  norm = sqrt(norm);
  const double inv = norm > 0 ? 1 / norm : 0;
  for (int i = 0; i < n; i++) {
    const float *r = m->emb + (size_t)i * dim;
    double s = 0;
    for (int j = 0; j < dim; j++) s += (double)embedding[j] * inv * r[j];
    sims[i] = s;
  }
  for (int i = 0; i < n; i++) {
    if (len < k) { len = insert(top, len, i, sims); continue; }
    if (sims[i] > sims[top[k - 1]]) len = insert(top, k - 1, i, sims);
  }
  double ws = 0, wx = 0, wy = 0, ss = 0, mx = 0, my = 0;
  for (int t = 0; t < len; t++) {
    const int i = top[t];
    const double w = isnan(sims[i]) || sims[i] > 0 ? sims[i] : 0;   /* Math.max(s, 0) */
    ws += w; wx += w * m->x[i]; wy += w * m->y[i];
    ss += sims[i]; mx += m->x[i]; my += m->y[i];
  }
  out->x = ws > 0 ? wx / ws : mx / len;
  out->y = ws > 0 ? wy / ws : my / len;
  out->score = 1 - ss / len;
  out->flagged = out->score > m->threshold;
}
