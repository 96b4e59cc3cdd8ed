/* cli_locate.c - `bloodcell locate`: whole-field photos, every white cell found and classified.
 *
 *   bloodcell locate [--model FILE] [--json] [--tta] [--backend own|xnnpack] IMAGE...
 *
 * Per image: decode with the JPEG's EXIF orientation applied (boxes are in the image as shown), the field's
 * ruler (bc_frame_analyse), every white cell (bc_frame_locate), then each cell's crop (bc_frame_crop_for_box)
 * through the classifier. --json prints one line per image:
 *   {"file", "width", "height", "orientation", "scale": {"path", "rbc_diameter_px"}, "cells": [{"box": [x0, y0,
 *    x1, y1], "label", "confidence", "probs": {8 classes}, "nucleus": [...], "edge", "clump"}], "cells_total",
 *    "small_objects"}
 * or {"file", "error"} for a file that cannot be read; the rest go on and the exit status is 1. */
#define _POSIX_C_SOURCE 200809L
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "cli_locate.h"
#include "emit.h"
#include "engine.h"
#include "preprocess.h"
#include "readfile.h"

#define MAX_FILE_BYTES (256u << 20)

static const char *usage =
    "usage: bloodcell locate [options] IMAGE...\n"
    "Finds every white cell in whole-field smear photos and classifies each one.\n"
    "  --json              one JSON object per image (boxes in pixels of the image as shown)\n"
    "  --tta               careful mode for each cell (8x the time)\n"
    "  --backend xnnpack|own   XNNPACK (the default where built) or this project's own kernels\n"
    "  --model FILE        the model (default models/bloodcell.bin)\n"
    "Exit status: 0 all read, 1 an image failed, 2 a usage or model error.\n";

int bc_cli_top_subclass(const bc_engine *e, int best, const float *subprobs) {
  int top = -1;
  for (int j = 0; j < bc_engine_num_subclasses(e); j++)
    if (bc_engine_subclass_parent(e, j) == best && (top < 0 || subprobs[j] > subprobs[top])) top = j;
  return top;
}

void bc_cli_print_subclass(FILE *f, const bc_engine *e, int best, const float *subprobs) {
  const int M = bc_engine_num_subclasses(e), top = bc_cli_top_subclass(e, best, subprobs);
  int first = 1;
  if (M == 0) return;
  fputs(", \"subclass\": ", f);
  if (top < 0) { fputs("null", f); return; }
  fputs("{\"label\": ", f);
  emit_json_string(f, bc_engine_subclass_name(e, top));
  fputs(", \"confidence\": ", f);
  emit_json_number(f, subprobs[top]);
  fputs(", \"probs\": {", f);
  for (int j = 0; j < M; j++) {
    if (bc_engine_subclass_parent(e, j) != best) continue;
    if (!first) fputs(", ", f);
    first = 0;
    emit_json_string(f, bc_engine_subclass_name(e, j));
    fputs(": ", f);
    emit_json_number(f, subprobs[j]);
  }
  fputs("}}", f);
}

static void print_error(int json, const char *path, const char *why) {
  if (json) {
    fputs("{\"file\": ", stdout);
    emit_json_string(stdout, path);
    fputs(", \"error\": ", stdout);
    emit_json_string(stdout, why);
    fputs("}\n", stdout);
  } else {
    emit_plain(stdout, path);
    printf(": error: ");
    emit_plain(stdout, why);
    putchar('\n');
  }
  fflush(stdout);
}

/* 0 on success, 1 when the file failed (already reported). */
static int locate_one(bc_engine *e, int json, const char *path) {
  char why[256], msg[256];
  size_t n = 0;
  uint8_t *bytes = bc_read_file(path, MAX_FILE_BYTES, &n, NULL, why, sizeof why);
  bc_image im;
  bc_frame_result scale;
  bc_frame_cells *cells;
  const int K = bc_engine_num_classes(e);
  if (!bytes) { print_error(json, path, why); return 1; }
  if (bc_decode(bytes, n, 1, &im, msg, sizeof msg) != BC_OK) { free(bytes); print_error(json, path, msg); return 1; }
  free(bytes);
  cells = (bc_frame_cells *)malloc(sizeof *cells);
  if (!cells) { bc_image_free(&im); print_error(json, path, "out of memory"); return 1; }
  if (bc_engine_locate(e, im.px, im.w, im.h, 4, &scale, cells, msg, sizeof msg) != BC_OK) {
    bc_image_free(&im);
    free(cells);
    print_error(json, path, msg);
    return 1;
  }
  if (json) {
    fputs("{\"file\": ", stdout);
    emit_json_string(stdout, path);
    printf(", \"width\": %d, \"height\": %d, \"orientation\": %d, \"scale\": {\"path\": \"%s\", \"rbc_diameter_px\": ",
           im.w, im.h, im.orientation ? im.orientation : 1, bc_frame_path_name(scale.rbc_diameter_x16 > 0 ? BC_FRAME_RBC : BC_FRAME_CENTRE));
    if (scale.rbc_diameter_x16 > 0) emit_json_number(stdout, scale.rbc_diameter_x16 / 16.0);
    else fputs("null", stdout);
    fputs("}, \"cells\": [", stdout);
  } else {
    emit_plain(stdout, path);
    printf(": %dx%d, %d white cell%s", im.w, im.h, cells->total, cells->total == 1 ? "" : "s");
    if (scale.rbc_diameter_x16 > 0) printf(", red cells %.1f px", scale.rbc_diameter_x16 / 16.0);
    putchar('\n');
  }
  for (int i = 0; i < cells->n; i++) {
    const bc_frame_cell *c = &cells->cell[i];
    const bc_frame_box box = {c->x0, c->y0, c->x1, c->y1};
    bc_frame_result crop;
    bc_frame_crop_for_box(&scale, im.w, im.h, &box, &crop);
    const bc_status s = bc_engine_classify_crop(e, im.px, im.w, im.h, 4, &crop, msg, sizeof msg);
    const float *p = bc_engine_probs(e);
    int best = 0;
    for (int k = 1; k < K; k++) if (p[k] > p[best]) best = k;
    if (json) {
      printf("%s{\"box\": [%d, %d, %d, %d], ", i ? ", " : "", c->x0, c->y0, c->x1, c->y1);
      if (s != BC_OK) {
        fputs("\"error\": ", stdout);
        emit_json_string(stdout, msg);
      } else {
        fputs("\"label\": ", stdout);
        emit_json_string(stdout, bc_engine_class_name(e, best));
        fputs(", \"confidence\": ", stdout);
        emit_json_number(stdout, p[best]);
        fputs(", \"probs\": {", stdout);
        for (int k = 0; k < K; k++) {
          if (k) fputs(", ", stdout);
          emit_json_string(stdout, bc_engine_class_name(e, k));
          fputs(": ", stdout);
          emit_json_number(stdout, p[k]);
        }
        putchar('}');
        bc_cli_print_subclass(stdout, e, best, bc_engine_subprobs(e));
      }
      printf(", \"nucleus\": [%d, %d, %d, %d], \"nucleus_rbc_areas\": %.3f, \"edge\": %s, \"clump\": %s}", c->nx0, c->ny0,
             c->nx1, c->ny1, c->nucleus_permille / 1000.0, c->flags & BC_CELL_EDGE ? "true" : "false",
             c->flags & BC_CELL_CLUMP ? "true" : "false");
    } else if (s != BC_OK) {
      printf("  [%d %d %d %d] error: %s\n", c->x0, c->y0, c->x1, c->y1, msg);
    } else {
      printf("  [%d %d %d %d] %s %.1f%%%s%s\n", c->x0, c->y0, c->x1, c->y1, bc_engine_class_name(e, best), 100.0 * p[best],
             c->flags & BC_CELL_EDGE ? " (at the edge)" : "", c->flags & BC_CELL_CLUMP ? " (clump)" : "");
    }
  }
  if (json) printf("], \"cells_total\": %d, \"small_objects\": %d}\n", cells->total, cells->small);
  fflush(stdout);
  bc_image_free(&im);
  free(cells);
  return 0;
}

int bc_cli_locate(int argc, char **argv, const char *default_model) {
  char model_path[PATH_MAX + 64], msg[256], why[160];
  int json = 0, tta = 0, n_inputs = 0, failed = 0;
  bc_backend backend = bc_backend_available(BC_BACKEND_XNNPACK) ? BC_BACKEND_XNNPACK : BC_BACKEND_OWN;
  char **inputs = argv + 2;
  snprintf(model_path, sizeof model_path, "%s", default_model);
  for (int i = 2; i < argc; i++) {
    const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
    if (!strcmp(a, "--")) { while (++i < argc) inputs[n_inputs++] = argv[i]; break; }
    else if (!strcmp(a, "--help") || !strcmp(a, "-h")) { fputs(usage, stdout); return 0; }
    else if (!strcmp(a, "--json")) json = 1;
    else if (!strcmp(a, "--tta")) tta = 1;
    else if (a[0] != '-' || !a[1]) inputs[n_inputs++] = argv[i];
    else if (!v) { fprintf(stderr, "bloodcell: %s needs a value\n\n%s", a, usage); return 2; }
    else if (!strcmp(a, "--model")) { snprintf(model_path, sizeof model_path, "%s", v); i++; }
    else if (!strcmp(a, "--backend")) {
      if (!strcmp(v, "own")) backend = BC_BACKEND_OWN;
      else if (!strcmp(v, "xnnpack")) backend = BC_BACKEND_XNNPACK;
      else { fprintf(stderr, "bloodcell: unknown backend '%s' (own or xnnpack)\n", v); return 2; }
      i++;
    } else { fprintf(stderr, "bloodcell: unknown option %s\n\n%s", a, usage); return 2; }
  }
  if (n_inputs == 0) { fputs(usage, stderr); return 2; }
  if (!bc_backend_available(backend)) { fprintf(stderr, "bloodcell: the xnnpack backend is not in this build\n"); return 2; }
  size_t model_len = 0;
  uint8_t *model_bytes = bc_read_file(model_path, MAX_FILE_BYTES, &model_len, NULL, why, sizeof why);
  if (!model_bytes) { fprintf(stderr, "bloodcell: cannot read model %s: %s\n", model_path, why); return 2; }
  bc_engine *e = NULL;
  if (bc_engine_load(model_bytes, model_len, backend, &e, msg, sizeof msg) != BC_OK) {
    fprintf(stderr, "bloodcell: cannot load model %s: %s\n", model_path, msg);
    free(model_bytes);
    return 2;
  }
  bc_engine_set_tta(e, tta);
  for (int i = 0; i < n_inputs; i++) failed |= locate_one(e, json, inputs[i]);
  bc_engine_free(e);
  free(model_bytes);
  return failed ? 1 : 0;
}
