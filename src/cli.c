/* cli.c - native command line:
 *
 *   bloodcell classify [--model FILE] [--json] [--embedding] [--backend xnnpack|own] IMAGE...
 *   bloodcell info [--model FILE]
 *
 * classify prints one line per image (JSON with --json); a file that cannot be read or decoded
 * gets an error line and the rest go on; the exit status is 1 if any file failed, 2 on a usage
 * or model error.  The default model is models/bloodcell.bin next to the build directory. */
#define _POSIX_C_SOURCE 200809L
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "engine.h"

#define MAX_FILE_BYTES (256u << 20)

static const char *usage =
    "usage: bloodcell classify [--model FILE] [--json] [--embedding] [--backend xnnpack|own] IMAGE...\n"
    "       bloodcell info [--model FILE]\n";

/* Reads a whole file; on failure returns NULL and a reason. */
static uint8_t *read_file(const char *path, size_t *n, const char **why) {
  FILE *f = fopen(path, "rb");
  if (!f) { *why = strerror(errno); return NULL; }
  uint8_t *buf = NULL;
  size_t cap = 0, len = 0;
  for (;;) {
    if (len == cap) {
      if (cap >= MAX_FILE_BYTES) { *why = "file is larger than 256 MiB"; free(buf); fclose(f); return NULL; }
      cap = cap ? cap * 2 : 1 << 16;
      uint8_t *nb = realloc(buf, cap);
      if (!nb) { *why = "out of memory"; free(buf); fclose(f); return NULL; }
      buf = nb;
    }
    const size_t got = fread(buf + len, 1, cap - len, f);
    len += got;
    if (got == 0) break;
  }
  if (ferror(f)) { *why = "read error"; free(buf); fclose(f); return NULL; }
  fclose(f);
  *n = len;
  return buf;
}

static void json_string(const char *s) {
  putchar('"');
  for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
    if (*p == '"' || *p == '\\') printf("\\%c", *p);
    else if (*p < 0x20) printf("\\u%04x", *p);
    else putchar(*p);
  }
  putchar('"');
}

static void default_model_path(char *out, size_t len) {
  char exe[PATH_MAX];
  const ssize_t k = readlink("/proc/self/exe", exe, sizeof exe - 1);
  if (k <= 0) { snprintf(out, len, "models/bloodcell.bin"); return; }
  exe[k] = 0;
  char *slash = strrchr(exe, '/');
  if (slash) *slash = 0;
  snprintf(out, len, "%s/../../models/bloodcell.bin", exe);  /* build/native/ -> repo root */
}

static bc_engine *load_model(const char *path, bc_backend backend) {
  size_t n = 0;
  const char *why = NULL;
  uint8_t *bytes = read_file(path, &n, &why);
  if (!bytes) { fprintf(stderr, "bloodcell: cannot read model %s: %s\n", path, why); return NULL; }
  char msg[256];
  bc_engine *e = NULL;
  if (bc_engine_load(bytes, n, backend, &e, msg, sizeof msg) != BC_OK)
    fprintf(stderr, "bloodcell: cannot load model %s: %s\n", path, msg);
  free(bytes);
  return e;
}

static int classify_one(bc_engine *e, const char *path, int json, int embedding) {
  size_t n = 0;
  const char *why = NULL;
  char msg[256];
  uint8_t *bytes = read_file(path, &n, &why);
  bc_status s = BC_OK;
  if (!bytes) {
    snprintf(msg, sizeof msg, "cannot read file: %s", why);
    s = BC_ERR_ARGUMENT;
  } else {
    s = bc_engine_classify(e, bytes, n, msg, sizeof msg);
    free(bytes);
  }
  if (s != BC_OK) {
    if (json) {
      printf("{\"file\": "); json_string(path); printf(", \"error\": "); json_string(msg); printf("}\n");
    } else {
      printf("%s: error: %s\n", path, msg);
    }
    return 1;
  }
  const float *p = bc_engine_probs(e);
  const int K = bc_engine_num_classes(e);
  int best = 0;
  for (int k = 1; k < K; k++) if (p[k] > p[best]) best = k;
  if (!json) {
    printf("%s: %s %.1f%%\n", path, bc_engine_class_name(e, best), 100.0 * p[best]);
    return 0;
  }
  printf("{\"file\": "); json_string(path);
  printf(", \"label\": \"%s\", \"confidence\": %.6f, \"probs\": {", bc_engine_class_name(e, best), p[best]);
  for (int k = 0; k < K; k++) printf("%s\"%s\": %.6f", k ? ", " : "", bc_engine_class_name(e, k), p[k]);
  printf("}, \"logits\": [");
  for (int k = 0; k < K; k++) printf("%s%.9g", k ? ", " : "", bc_engine_logits(e)[k]);
  printf("]");
  if (embedding) {
    printf(", \"embedding\": [");
    for (int i = 0; i < bc_engine_embedding_dim(e); i++) printf("%s%.6g", i ? ", " : "", bc_engine_embedding(e)[i]);
    printf("]");
  }
  printf("}\n");
  return 0;
}

int main(int argc, char **argv) {
  if (argc < 2 || (strcmp(argv[1], "classify") && strcmp(argv[1], "info"))) { fputs(usage, stderr); return 2; }
  const int is_info = !strcmp(argv[1], "info");
  char model_path[PATH_MAX + 64];
  default_model_path(model_path, sizeof model_path);
  int json = 0, embedding = 0, first_image = argc;
  bc_backend backend = BC_BACKEND_OWN;
  for (int i = 2; i < argc; i++) {
    if (!strcmp(argv[i], "--model") && i + 1 < argc) snprintf(model_path, sizeof model_path, "%s", argv[++i]);
    else if (!strcmp(argv[i], "--json")) json = 1;
    else if (!strcmp(argv[i], "--embedding")) embedding = 1;
    else if (!strcmp(argv[i], "--backend") && i + 1 < argc) {
      const char *b = argv[++i];
      if (!strcmp(b, "own")) backend = BC_BACKEND_OWN;
      else if (!strcmp(b, "xnnpack")) backend = BC_BACKEND_XNNPACK;
      else { fprintf(stderr, "bloodcell: unknown backend '%s' (own or xnnpack)\n", b); return 2; }
    } else if (!strcmp(argv[i], "--")) { first_image = i + 1; break; }
    else if (argv[i][0] == '-' && argv[i][1]) { fprintf(stderr, "bloodcell: unknown option %s\n%s", argv[i], usage); return 2; }
    else { first_image = i; break; }
  }
  if (!bc_backend_available(backend)) { fprintf(stderr, "bloodcell: the xnnpack backend is not in this build\n"); return 2; }
  bc_engine *e = load_model(model_path, backend);
  if (!e) return 2;
  if (is_info) {
    const bc_model *m = bc_engine_model(e);
    printf("model: %s\ninput: %dx%dx3\nclasses:", m->name, m->input_size, m->input_size);
    for (int k = 0; k < m->n_classes; k++) printf(" %s", m->class_names[k]);
    uint64_t macs = 0;
    for (int i = 0; i < bc_engine_num_ops(e); i++) macs += bc_engine_op_macs(e, i);
    printf("\nops: %d\nMACs: %llu\nembedding: %d\ncam: %dx%d\nkernels: %s\n", m->n_ops, (unsigned long long)macs,
           bc_engine_embedding_dim(e), bc_engine_cam_height(e), bc_engine_cam_width(e), bc_engine_kernels_isa(e));
    bc_engine_free(e);
    return 0;
  }
  if (first_image >= argc) { fputs(usage, stderr); bc_engine_free(e); return 2; }
  int failures = 0;
  for (int i = first_image; i < argc; i++) failures += classify_one(e, argv[i], json, embedding);
  bc_engine_free(e);
  return failures ? 1 : 0;
}
