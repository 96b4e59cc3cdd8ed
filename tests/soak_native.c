/* soak_native.c - native memory soak: classifies the same list of images PASSES times in one process
 * and prints the process's memory after each pass (VmRSS and VmHWM from /proc/self/status, and the
 * malloc heap in use from mallinfo2), so a leak or growth shows as a rising column.
 *
 *   build/native/soak_native [--model FILE] [--backend own|xnnpack] [--passes N] LIST
 *
 * LIST is a text file with one image path per line (scripts/soak/soak_native.sh writes it). Each image is read
 * from disk, classified (decode + preprocess + forward) and its CAM for the top class and the embedding
 * are read, every pass, exactly as the CLI does per file. Exit status 1 if any image fails to classify,
 * or if RSS after the last pass is more than 1 MiB above RSS after the first pass (a leak or growth). */
#define _GNU_SOURCE
#include <malloc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "engine.h"

static uint8_t *read_file(const char *path, size_t *n) {
  FILE *f = fopen(path, "rb");
  if (!f) return NULL;
  if (fseek(f, 0, SEEK_END) != 0) { fclose(f); return NULL; }
  const long len = ftell(f);
  if (len < 0 || fseek(f, 0, SEEK_SET) != 0) { fclose(f); return NULL; }
  uint8_t *p = malloc((size_t)len + 1);
  if (!p) { fclose(f); return NULL; }
  *n = fread(p, 1, (size_t)len, f);
  fclose(f);
  return p;
}

/* kB value of a "Name:   1234 kB" line of /proc/self/status, or -1. */
static long status_kb(const char *name) {
  FILE *f = fopen("/proc/self/status", "r");
  if (!f) return -1;
  char line[256];
  long v = -1;
  const size_t k = strlen(name);
  while (fgets(line, sizeof line, f))
    if (!strncmp(line, name, k) && line[k] == ':') { v = strtol(line + k + 1, NULL, 10); break; }
  fclose(f);
  return v;
}

static double now_s(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return (double)t.tv_sec + t.tv_nsec * 1e-9;
}

int main(int argc, char **argv) {
  const char *model_path = "models/bloodcell.bin", *list = NULL;
  bc_backend backend = BC_BACKEND_OWN;
  int passes = 10;
  for (int i = 1; i < argc; i++) {
    if (!strcmp(argv[i], "--model") && i + 1 < argc) model_path = argv[++i];
    else if (!strcmp(argv[i], "--passes") && i + 1 < argc) passes = atoi(argv[++i]);
    else if (!strcmp(argv[i], "--backend") && i + 1 < argc) {
      const char *b = argv[++i];
      backend = !strcmp(b, "xnnpack") ? BC_BACKEND_XNNPACK : BC_BACKEND_OWN;
    } else list = argv[i];
  }
  if (!list || passes < 1) {
    fprintf(stderr, "usage: soak_native [--model FILE] [--backend own|xnnpack] [--passes N] LIST\n");
    return 2;
  }
  /* the list of paths, read once */
  size_t list_len = 0;
  char *text = (char *)read_file(list, &list_len);
  if (!text) { fprintf(stderr, "soak_native: cannot read %s\n", list); return 2; }
  text[list_len] = 0;
  size_t n_images = 0, cap = 1024;
  char **paths = malloc(cap * sizeof(char *));
  for (char *line = strtok(text, "\n"); line; line = strtok(NULL, "\n")) {
    if (!*line) continue;
    if (n_images == cap) paths = realloc(paths, (cap *= 2) * sizeof(char *));
    paths[n_images++] = line;
  }
  size_t model_len = 0;
  uint8_t *model = read_file(model_path, &model_len);
  if (!model) { fprintf(stderr, "soak_native: cannot read model %s\n", model_path); return 2; }
  char msg[256];
  bc_engine *e = NULL;
  if (bc_engine_load(model, model_len, backend, &e, msg, sizeof msg) != BC_OK) {
    fprintf(stderr, "soak_native: cannot load %s: %s\n", model_path, msg);
    return 2;
  }
  free(model);
  const int K = bc_engine_num_classes(e);
  float *cam = malloc((size_t)bc_engine_cam_height(e) * bc_engine_cam_width(e) * sizeof(float));
  printf("soak_native: %zu images x %d passes, model %s (%s), backend %s\n", n_images, passes, model_path,
         bc_engine_model(e)->name, bc_engine_kernels_isa(e));
  printf("before    VmRSS %6ld kB  VmHWM %6ld kB  heap in use %8zu B\n", status_kb("VmRSS"), status_kb("VmHWM"),
         (size_t)mallinfo2().uordblks);
  int failures = 0;
  long rss_first = 0, rss_last = 0;
  double checksum = 0;
  for (int pass = 1; pass <= passes; pass++) {
    const double t0 = now_s();
    int failed = 0;
    for (size_t i = 0; i < n_images; i++) {
      size_t n = 0;
      uint8_t *bytes = read_file(paths[i], &n);
      if (!bytes || bc_engine_classify(e, bytes, n, msg, sizeof msg) != BC_OK) {
        if (pass == 1) fprintf(stderr, "soak_native: %s: %s\n", paths[i], bytes ? msg : "cannot read");
        failed++;
        free(bytes);
        continue;
      }
      free(bytes);
      const float *p = bc_engine_probs(e);
      int best = 0;
      for (int k = 1; k < K; k++) if (p[k] > p[best]) best = k;
      bc_engine_cam(e, best, cam);
      checksum += p[best] + cam[0] + bc_engine_embedding(e)[0];
    }
    const long rss = status_kb("VmRSS"), hwm = status_kb("VmHWM");
    if (pass == 1) rss_first = rss;
    rss_last = rss;
    failures += failed;
    printf("pass %2d   VmRSS %6ld kB  VmHWM %6ld kB  heap in use %8zu B  %zu images (%d failed) in %.1f s\n", pass, rss,
           hwm, (size_t)mallinfo2().uordblks, n_images, failed, now_s() - t0);
    fflush(stdout);
  }
  printf("checksum %.6f\n", checksum);
  free(cam);
  bc_engine_free(e);
  free(paths);
  free(text);
  const int grew = rss_last - rss_first > 1024;
  printf("soak_native: RSS after pass 1 %ld kB, after pass %d %ld kB (%+ld kB): %s\n", rss_first, passes, rss_last,
         rss_last - rss_first, grew ? "GREW" : "flat");
  return failures || grew ? 1 : 0;
}
