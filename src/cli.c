/* cli.c - native command line, for batch work in a lab:
 *
 *   bloodcell classify [options] IMAGE|FOLDER...      (options: bloodcell classify --help)
 *   bloodcell info [--model FILE]
 *   bloodcell locate [options] IMAGE...                (whole fields: cli_locate.c)
 *
 * classify prints one line per image: plain text, JSON (--json) or the app's CSV export (--csv), in the
 * order of the arguments, a folder walked recursively in sorted order (walk.c).  Each cell is called
 * as the app calls it: its class, "unidentified" below the model card's confidence threshold, or
 * "excluded" when the reference map's kNN rule (refmap.c) finds it unlike the training cells.
 * --summary ends the output with the differential under the app's clinical counting rules (summary.c).
 * -j N classifies on N threads, one engine each; results are printed in input order, so the output is
 * the same for any N.  A file that cannot be read or decoded gets an error line and the rest go on;
 * the exit status is 1 if any file or folder failed, 2 on a usage, model, map or model card error.
 * The default model is models/bloodcell.bin next to the build directory; the model card and the map
 * are looked for next to the model. */
#define _POSIX_C_SOURCE 200809L
#include <errno.h>
#include <limits.h>
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "cli_locate.h"
#include "emit.h"
#include "engine.h"
#include "json.h"
#include "readfile.h"
#include "refmap.h"
#include "summary.h"
#include "walk.h"

#define MAX_FILE_BYTES (256u << 20)
#define MAX_JOBS 256
#define APP_DEFAULT_THRESHOLD 0.5   /* what the app uses without a model card (web/app.js) */

static const char *usage =
    "usage: bloodcell classify [options] IMAGE|FOLDER...\n"
    "       bloodcell info [--model FILE]\n"
    "       bloodcell locate [--json] [--model FILE] IMAGE...   (whole-field photos; locate --help)\n"
    "A folder is walked recursively for images (.jpg .jpeg .png .bmp .gif .webp .tif .tiff, any case),\n"
    "in sorted order; other files in it are skipped. A file named explicitly is always tried.\n"
    "  --json              one JSON object per image\n"
    "  --csv               the web app's CSV export (same columns, quoting and CRLF line ends)\n"
    "  --summary           end with the differential: WBC % over leukocytes, NRBC per 100 WBC,\n"
    "                      platelets apart, unidentified/excluded/failed counted; with --json one\n"
    "                      last {\"summary\": ...} line; with --csv the table goes to stderr\n"
    "  --target 100|200    the white-cell count target (default 100)\n"
    "  --wbc X             the analyser's total WBC (x10^9/L): NRBC-corrected WBC, absolute counts\n"
    "  --threshold T       unidentified below confidence T (default: the model card's value)\n"
    "  --map FILE|none     reference map for the out-of-distribution rule (default:\n"
    "                      reference-map.json next to the model)\n"
    "  --embedding         add the embedding to each JSON line\n"
    "  -j N                classify with N threads; the output is the same for any N\n"
    "  --tta               careful mode: average the 8 rotations and mirror images of each cell (8x the time)\n"
    "  --backend xnnpack|own   XNNPACK (the default where built) or this project's own kernels\n"
    "  --model FILE        the model (default models/bloodcell.bin)\n"
    "Exit status: 0 all classified, 1 a file or folder failed, 2 a usage, model, map or card error.\n";

typedef enum format { FORMAT_TEXT, FORMAT_JSON, FORMAT_CSV } format;

typedef struct options {
  format fmt;
  int embedding, summary, jobs, target, tta;
  double threshold, wbc_total;   /* threshold < 0: from the model card; wbc_total < 0: not given */
  bc_backend backend;
  char model_path[PATH_MAX + 64];
  const char *map_path;          /* NULL: next to the model; "none": no map */
} options;

/* One image's outcome, filled by a worker, printed (in order) by the main thread. */
typedef struct result {
  int done, ok, best;
  char msg[256];
  float *probs, *logits, *embedding;   /* one allocation: K + K (+ dim) floats */
  int placed;
  bc_place place;
  bc_frame_result frame;         /* how the preprocessing framed the cell (frame.h) */
  float subprobs[BC_MODEL_MAX_SUBCLASSES];   /* model format 2: within each class's sub-classes */
} result;

typedef struct batch {
  const options *opt;
  const bc_paths *paths;
  const bc_refmap *map;
  const uint8_t *model_bytes;
  size_t model_len;
  bc_engine *first;              /* the main thread's engine, lent to worker 0 */
  int K, dim, n;
  result *results;
  int next, printed;             /* next image to take; images printed so far */
  pthread_mutex_t mu;
  pthread_cond_t cv;
} batch;

/* ---- the model card and the map ------------------------------------------------------------------ */

static void sibling(const char *model_path, const char *name, char *out, size_t len) {
  const char *slash = strrchr(model_path, '/');
  if (slash) snprintf(out, len, "%.*s/%s", (int)(slash - model_path), model_path, name);
  else snprintf(out, len, "%s", name);
}

/* The unidentified threshold: models/model-card.json unidentified_threshold.value. Returns 0 after
 * saying why on stderr if the card exists but cannot be used. */
static int card_threshold(const char *model_path, double *out, char *source, size_t source_len) {
  char path[PATH_MAX + 64], why[160];
  sibling(model_path, "model-card.json", path, sizeof path);
  size_t n = 0;
  int missing = 0;
  uint8_t *text = bc_read_file(path, 64u << 20, &n, &missing, why, sizeof why);
  if (!text && missing) {
    fprintf(stderr, "bloodcell: no model card at %s: unidentified below confidence %.1f, as the app does "
            "without one (--threshold T to choose)\n", path, APP_DEFAULT_THRESHOLD);
    *out = APP_DEFAULT_THRESHOLD;
    snprintf(source, source_len, "the app's default; no model card");
    return 1;
  }
  if (!text) { fprintf(stderr, "bloodcell: cannot read the model card %s: %s\n", path, why); return 0; }
  char err[160];
  json_doc *d = json_parse((const char *)text, n, err, sizeof err);
  free(text);
  if (!d) { fprintf(stderr, "bloodcell: the model card %s is not valid JSON: %s (--threshold T to go on without it)\n", path, err); return 0; }
  double t;
  const int ok = json_number(json_path(json_root(d), "unidentified_threshold.value"), &t) && t >= 0 && t <= 1;
  json_free(d);
  if (!ok) { fprintf(stderr, "bloodcell: the model card %s has no unidentified_threshold.value between 0 and 1 (--threshold T to go on without it)\n", path); return 0; }
  *out = t;
  snprintf(source, source_len, "%s", path);
  return 1;
}

/* The reference map. *map stays NULL without one; returns 0 (said on stderr) on an error. */
static int load_map(const options *opt, const bc_engine *e, bc_refmap **map) {
  *map = NULL;
  if (opt->map_path && !strcmp(opt->map_path, "none")) return 1;
  char path[PATH_MAX + 64], msg[400];
  if (opt->map_path) snprintf(path, sizeof path, "%s", opt->map_path);
  else sibling(opt->model_path, "reference-map.json", path, sizeof path);
  int missing = 0;
  *map = bc_refmap_load(path, bc_engine_model(e)->name, bc_engine_embedding_dim(e), &missing, msg, sizeof msg);
  if (*map) return 1;
  if (!opt->map_path && missing) {
    fprintf(stderr, "bloodcell: no reference map at %s: no out-of-distribution scores, no cell excluded (--map FILE)\n", path);
    return 1;
  }
  /* A default map for another model is what a model rebuild leaves for a while: said, then left out. */
  if (!opt->map_path && strstr(msg, "was built for")) {
    fprintf(stderr, "bloodcell: reference map %s not used: %s; no out-of-distribution scores, no cell excluded\n", path, msg);
    return 1;
  }
  fprintf(stderr, "bloodcell: reference map %s: %s (--map none to classify without it)\n", path, msg);
  return 0;
}

/* ---- classifying (worker threads) ----------------------------------------------------------------- */

static void classify_into(bc_engine *e, const batch *b, const char *path, void *scratch, result *r) {
  size_t n = 0;
  char why[160];
  uint8_t *bytes = bc_read_file(path, MAX_FILE_BYTES, &n, NULL, why, sizeof why);
  if (!bytes) { snprintf(r->msg, sizeof r->msg, "cannot read file: %s", why); return; }
  const bc_status s = bc_engine_classify(e, bytes, n, r->msg, sizeof r->msg);
  free(bytes);
  if (s != BC_OK) return;
  const int K = b->K, dim = b->opt->embedding ? b->dim : 0;
  r->probs = malloc((size_t)(2 * K + dim) * sizeof(float));
  if (!r->probs) { snprintf(r->msg, sizeof r->msg, "out of memory"); return; }
  r->logits = r->probs + K;
  r->embedding = dim ? r->logits + K : NULL;
  memcpy(r->probs, bc_engine_probs(e), (size_t)K * sizeof(float));
  memcpy(r->logits, bc_engine_logits(e), (size_t)K * sizeof(float));
  if (dim) memcpy(r->embedding, bc_engine_embedding(e), (size_t)dim * sizeof(float));
  memcpy(r->subprobs, bc_engine_subprobs(e), (size_t)bc_engine_num_subclasses(e) * sizeof(float));
  r->best = 0;
  for (int k = 1; k < K; k++) if (r->probs[k] > r->probs[r->best]) r->best = k;
  if (b->map) { bc_refmap_place(b->map, bc_engine_embedding(e), scratch, &r->place); r->placed = 1; }
  r->frame = *bc_engine_frame(e);
  r->ok = 1;
}

typedef struct worker { batch *b; int id; } worker;

static void *work(void *arg) {
  const worker *w = arg;
  batch *b = w->b;
  char msg[256] = "";
  bc_engine *e = b->first;
  if (w->id > 0 && bc_engine_load(b->model_bytes, b->model_len, b->opt->backend, &e, msg, sizeof msg) != BC_OK) {
    fprintf(stderr, "bloodcell: thread %d could not load the model (%s); the other threads go on\n", w->id + 1, msg);
    return NULL;
  }
  bc_engine_set_tta(e, b->opt->tta);
  void *scratch = b->map ? malloc(bc_refmap_scratch_bytes(b->map)) : NULL;
  const int window = 64 * b->opt->jobs;    /* how far ahead of the printing the workers may run */
  for (;;) {
    pthread_mutex_lock(&b->mu);
    while (b->next < b->n && b->next >= b->printed + window) pthread_cond_wait(&b->cv, &b->mu);
    const int i = b->next < b->n ? b->next++ : -1;
    pthread_mutex_unlock(&b->mu);
    if (i < 0) break;
    result r = {0};
    if (b->map && !scratch) snprintf(r.msg, sizeof r.msg, "out of memory");
    else classify_into(e, b, b->paths->v[i], scratch, &r);
    pthread_mutex_lock(&b->mu);
    b->results[i] = r;
    b->results[i].done = 1;
    pthread_cond_broadcast(&b->cv);
    pthread_mutex_unlock(&b->mu);
  }
  free(scratch);
  if (w->id > 0) bc_engine_free(e);
  return NULL;
}

/* ---- output (main thread) ------------------------------------------------------------------------- */

/* The group the app counts a cell in (web/state.js groupOf, before any review). */
static const char *group_of(const batch *b, const bc_engine *e, const result *r) {
  if (!r->ok) return "failed";
  if (r->placed && r->place.flagged) return "excluded";
  if (r->probs[r->best] < b->opt->threshold) return "unidentified";
  return bc_engine_class_name(e, r->best);
}

static int low_confidence(const batch *b, const result *r) { return r->probs[r->best] < b->opt->threshold; }

/* The kind a cell is counted with (web/state.js subclassOf, before any review): the called class's most
 * probable sub-class when the cell is counted in that class; -1 otherwise or without sub-classes. */
static int counted_kind(const batch *b, const bc_engine *e, const result *r) {
  if (!r->ok || !bc_engine_num_subclasses(e) || strcmp(group_of(b, e, r), bc_engine_class_name(e, r->best))) return -1;
  return bc_cli_top_subclass(e, r->best, r->subprobs);
}

/* Whether the summary can report this model's sub-classes: they are the kinds it knows (summary.c). */
static int summary_kinds(const bc_engine *e) {
  const int M = bc_engine_num_subclasses(e);
  for (int j = 0; j < M; j++)
    if (!bc_summary_knows_kind(bc_engine_class_name(e, bc_engine_subclass_parent(e, j)), bc_engine_subclass_name(e, j))) return 0;
  return M > 0;
}

static void print_csv_header(const bc_engine *e, int K) {
  fputs("file,status,predicted,confidence", stdout);
  for (int k = 0; k < K; k++) { fputc(',', stdout); char h[40]; snprintf(h, sizeof h, "p_%s", bc_engine_class_name(e, k)); emit_csv_field(stdout, h); }
  fputs(",ood_score,confirmed,reassigned,flags,error", stdout);
  fputs(bc_engine_num_subclasses(e) ? ",subclass,p_subclass\r\n" : "\r\n", stdout);
}

/* web/export.js toCSV: file,status,predicted,confidence,p_<class>...,ood_score,confirmed,reassigned,flags,error
 * and, for a model with sub-classes, subclass,p_subclass (the counted kind and its probability) */
static void print_csv(const batch *b, const bc_engine *e, const char *path, const result *r) {
  char num[48];
  emit_csv_field(stdout, path);
  if (!r->ok) {
    fputs(",error,,", stdout);
    for (int k = 0; k < b->K; k++) fputc(',', stdout);
    fputs(",,,no,error,", stdout);
    emit_csv_field(stdout, r->msg);
    fputs(bc_engine_num_subclasses(e) ? ",,\r\n" : "\r\n", stdout);
    return;
  }
  fputs(",ok,", stdout);
  emit_csv_field(stdout, bc_engine_class_name(e, r->best));
  printf(",%s", js_round6(num, r->probs[r->best]));
  for (int k = 0; k < b->K; k++) printf(",%s", js_round6(num, r->probs[k]));
  printf(",%s,", r->placed ? js_round6(num, r->place.score) : "");
  emit_csv_field(stdout, group_of(b, e, r));
  fputs(",no,", stdout);
  const int ood = r->placed && r->place.flagged, low = low_confidence(b, r);
  printf("%s%s%s,", ood ? "out_of_distribution" : "", ood && low ? ";" : "", low ? "low_confidence" : "");
  if (bc_engine_num_subclasses(e)) {
    const int j = counted_kind(b, e, r);
    if (j >= 0) { fputc(',', stdout); emit_csv_field(stdout, bc_engine_subclass_name(e, j)); printf(",%s", js_round6(num, r->subprobs[j])); }
    else fputs(",,", stdout);
  }
  fputs("\r\n", stdout);
}

static void print_json(const batch *b, const bc_engine *e, const char *path, const result *r) {
  printf("{\"file\": ");
  emit_json_string(stdout, path);
  if (!r->ok) { printf(", \"error\": "); emit_json_string(stdout, r->msg); printf("}\n"); return; }
  const int K = b->K;
  printf(", \"label\": \"%s\", \"confidence\": %.6f, \"probs\": {", bc_engine_class_name(e, r->best), r->probs[r->best]);
  for (int k = 0; k < K; k++) printf("%s\"%s\": %.6f", k ? ", " : "", bc_engine_class_name(e, k), r->probs[k]);
  printf("}, \"logits\": [");
  for (int k = 0; k < K; k++) printf("%s%.9g", k ? ", " : "", r->logits[k]);
  printf("]");
  bc_cli_print_subclass(stdout, e, r->best, r->subprobs);
  printf(", \"ood_score\": ");
  if (r->placed) {
    emit_json_number(stdout, r->place.score);
    printf(", \"map_xy\": [");
    emit_json_number(stdout, r->place.x);
    printf(", ");
    emit_json_number(stdout, r->place.y);
    printf("]");
  } else printf("null, \"map_xy\": null");
  printf(", \"confirmed\": \"%s\", \"flags\": [", group_of(b, e, r));
  const int ood = r->placed && r->place.flagged, low = low_confidence(b, r);
  printf("%s%s%s]", ood ? "\"out_of_distribution\"" : "", ood && low ? ", " : "", low ? "\"low_confidence\"" : "");
  /* Which framing the preprocessing took: centre (the centre crop; always, for a resize-mode-0 model),
   * rbc (red cells gave the scale) or cell (the white cell's size did). */
  const bc_frame_result *f = &r->frame;
  printf(", \"careful\": %s, \"frame\": {\"resize_mode\": %d, \"path\": \"%s\", \"rbc_diameter_px\": ",
         b->opt->tta ? "true" : "false", bc_engine_resize_mode(e), bc_frame_path_name(f->path));
  if (f->rbc_diameter_x16 > 0) emit_json_number(stdout, f->rbc_diameter_x16 / 16.0); else printf("null");
  if (f->has_cell) printf(", \"cell\": [%d, %d, %d, %d]", f->cell_x0, f->cell_y0, f->cell_x1, f->cell_y1);
  else printf(", \"cell\": null");
  printf(", \"crop\": [%d, %d, %d], \"cells_found\": %d}", f->crop_x0, f->crop_y0, f->crop_side, f->cells_found);
  if (r->embedding) {
    printf(", \"embedding\": [");
    for (int i = 0; i < b->dim; i++) printf("%s%.6g", i ? ", " : "", r->embedding[i]);
    printf("]");
  }
  printf("}\n");
}

static void print_text(const batch *b, const bc_engine *e, const char *path, const result *r) {
  emit_plain(stdout, path);
  if (!r->ok) { printf(": error: "); emit_plain(stdout, r->msg); printf("\n"); return; }
  printf(": %s %.1f%%", bc_engine_class_name(e, r->best), 100.0 * r->probs[r->best]);
  if (r->placed && r->place.flagged) printf(" (excluded: out of distribution, score %.4f)", r->place.score);
  else if (low_confidence(b, r)) printf(" (unidentified: below %g)", b->opt->threshold);
  printf("\n");
}

/* Runs the batch; returns the number of failed images. */
static int run_batch(batch *b, bc_summary *sum) {
  const int jobs = b->opt->jobs < b->n ? b->opt->jobs : (b->n > 0 ? b->n : 1);
  pthread_t th[MAX_JOBS];
  worker w[MAX_JOBS];
  int started = 0, failures = 0;
  for (int t = 0; t < jobs; t++) {
    w[t] = (worker){ b, t };
    if (pthread_create(&th[t], NULL, work, &w[t]) == 0) started++;
    else if (t == 0) { fprintf(stderr, "bloodcell: cannot start a thread\n"); return -1; }
    else { fprintf(stderr, "bloodcell: could start only %d threads\n", started); break; }
  }
  const bc_engine *e = b->first;
  if (b->opt->fmt == FORMAT_CSV) print_csv_header(e, b->K);
  for (int i = 0; i < b->n; i++) {
    pthread_mutex_lock(&b->mu);
    while (!b->results[i].done) pthread_cond_wait(&b->cv, &b->mu);
    result r = b->results[i];
    pthread_mutex_unlock(&b->mu);
    const char *path = b->paths->v[i];
    if (b->opt->fmt == FORMAT_CSV) print_csv(b, e, path, &r);
    else if (b->opt->fmt == FORMAT_JSON) print_json(b, e, path, &r);
    else print_text(b, e, path, &r);
    const int kind = sum->has_subclasses ? counted_kind(b, e, &r) : -1;
    bc_summary_add(sum, group_of(b, e, &r), kind >= 0 ? bc_engine_subclass_name(e, kind) : NULL);
    failures += !r.ok;
    free(r.probs);
    pthread_mutex_lock(&b->mu);
    b->printed = i + 1;
    pthread_cond_broadcast(&b->cv);
    pthread_mutex_unlock(&b->mu);
  }
  for (int t = 0; t < started; t++) pthread_join(th[t], NULL);
  return failures;
}

/* ---- main ------------------------------------------------------------------------------------------ */

static void default_model_path(char *out, size_t len) {
  char exe[PATH_MAX];
  const ssize_t k = readlink("/proc/self/exe", exe, sizeof exe - 1);
  if (k <= 0) { snprintf(out, len, "models/bloodcell.bin"); return; }
  exe[k] = 0;
  char *slash = strrchr(exe, '/');
  if (slash) *slash = 0;
  /* build/native/ -> the repository root; build/native/san/ (the sanitizer build) one more up. */
  snprintf(out, len, "%s/../../models/bloodcell.bin", exe);
  if (access(out, F_OK) == 0) return;
  snprintf(out, len, "%s/../../../models/bloodcell.bin", exe);
  if (access(out, F_OK) != 0) snprintf(out, len, "%s/../../models/bloodcell.bin", exe);
}

static int parse_number(const char *s, double *out) {
  char *end;
  errno = 0;
  *out = strtod(s, &end);
  return *s && !*end && !errno && isfinite(*out);
}

static int bad_usage(const char *fmt, const char *arg) {
  fprintf(stderr, "bloodcell: ");
  fprintf(stderr, fmt, arg);
  fprintf(stderr, "\n%s", usage);
  return 2;
}

int main(int argc, char **argv) {
  if (argc >= 2 && (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h"))) { fputs(usage, stdout); return 0; }
  if (argc >= 2 && !strcmp(argv[1], "locate")) {
    char model_path[PATH_MAX + 64];
    default_model_path(model_path, sizeof model_path);
    return bc_cli_locate(argc, argv, model_path);
  }
  if (argc < 2 || (strcmp(argv[1], "classify") && strcmp(argv[1], "info"))) { fputs(usage, stderr); return 2; }
  const int is_info = !strcmp(argv[1], "info");
  options opt = { .fmt = FORMAT_TEXT, .jobs = 1, .target = 100, .threshold = -1, .wbc_total = -1,
                  .backend = bc_backend_available(BC_BACKEND_XNNPACK) ? BC_BACKEND_XNNPACK : BC_BACKEND_OWN };
  default_model_path(opt.model_path, sizeof opt.model_path);
  int json = 0, csv = 0, n_inputs = 0;
  char **inputs = argv + 2;   /* the images and folders, moved down over the options already read */
  for (int i = 2; i < argc; i++) {
    char *a = argv[i];
    const char *v = i + 1 < argc ? argv[i + 1] : NULL;
    double x;
    if (!strcmp(a, "--")) { while (++i < argc) inputs[n_inputs++] = argv[i]; break; }
    else if (!strcmp(a, "--help") || !strcmp(a, "-h")) { fputs(usage, stdout); return 0; }
    else if (!strcmp(a, "--json")) json = 1;
    else if (!strcmp(a, "--csv")) csv = 1;
    else if (!strcmp(a, "--embedding")) opt.embedding = 1;
    else if (!strcmp(a, "--summary")) opt.summary = 1;
    else if (!strcmp(a, "--tta")) opt.tta = 1;
    else if (a[0] != '-' || !a[1]) inputs[n_inputs++] = a;
    else if (!v) return bad_usage("%s needs a value", a);
    else if (!strcmp(a, "--model")) { snprintf(opt.model_path, sizeof opt.model_path, "%s", v); i++; }
    else if (!strcmp(a, "--map")) { opt.map_path = v; i++; }
    else if (!strcmp(a, "--backend")) {
      if (!strcmp(v, "own")) opt.backend = BC_BACKEND_OWN;
      else if (!strcmp(v, "xnnpack")) opt.backend = BC_BACKEND_XNNPACK;
      else { fprintf(stderr, "bloodcell: unknown backend '%s' (own or xnnpack)\n", v); return 2; }
      i++;
    } else if (!strcmp(a, "-j") || !strcmp(a, "--jobs")) {
      if (!parse_number(v, &x) || x != floor(x) || x < 1 || x > MAX_JOBS) return bad_usage("-j wants a whole number of threads from 1 to 256, not '%s'", v);
      opt.jobs = (int)x;
      i++;
    } else if (!strcmp(a, "--threshold")) {
      if (!parse_number(v, &x) || x < 0 || x > 1) return bad_usage("--threshold wants a confidence from 0 to 1, not '%s'", v);
      opt.threshold = x;
      i++;
    } else if (!strcmp(a, "--target")) {
      if (strcmp(v, "100") && strcmp(v, "200")) return bad_usage("--target is 100 or 200, not '%s'", v);
      opt.target = atoi(v);
      i++;
    } else if (!strcmp(a, "--wbc")) {
      if (!parse_number(v, &x) || x < 0) return bad_usage("--wbc wants the analyser's WBC in x10^9/L (a number >= 0), not '%s'", v);
      opt.wbc_total = x;
      i++;
    } else return bad_usage("unknown option %s", a);
  }
  if (json && csv) return bad_usage("%s", "--json and --csv: choose one");
  if (opt.embedding && !json) return bad_usage("%s", "--embedding goes with --json");
  opt.fmt = json ? FORMAT_JSON : csv ? FORMAT_CSV : FORMAT_TEXT;
  if (!is_info && n_inputs == 0) { fputs(usage, stderr); return 2; }
  if (!bc_backend_available(opt.backend)) { fprintf(stderr, "bloodcell: the xnnpack backend is not in this build\n"); return 2; }

  size_t model_len = 0;
  char why[160], msg[256];
  uint8_t *model_bytes = bc_read_file(opt.model_path, MAX_FILE_BYTES, &model_len, NULL, why, sizeof why);
  if (!model_bytes) { fprintf(stderr, "bloodcell: cannot read model %s: %s\n", opt.model_path, why); return 2; }
  bc_engine *e = NULL;
  if (bc_engine_load(model_bytes, model_len, opt.backend, &e, msg, sizeof msg) != BC_OK) {
    fprintf(stderr, "bloodcell: cannot load model %s: %s\n", opt.model_path, msg);
    free(model_bytes);
    return 2;
  }
  char threshold_source[PATH_MAX + 64] = "--threshold";
  bc_refmap *map = NULL;
  if ((opt.threshold < 0 && !card_threshold(opt.model_path, &opt.threshold, threshold_source, sizeof threshold_source)) ||
      !load_map(&opt, e, &map)) {
    bc_engine_free(e);
    free(model_bytes);
    return 2;
  }
  if (is_info) {
    const bc_model *m = bc_engine_model(e);
    printf("model: %s\ninput: %dx%dx3\nclasses:", m->name, m->input_size, m->input_size);
    for (int k = 0; k < m->n_classes; k++) printf(" %s", m->class_names[k]);
    if (m->n_subclasses) {
      printf("\nsub-classes:");
      for (int j = 0; j < m->n_subclasses; j++) printf(" %s/%s", m->class_names[m->subclass_parent[j]], m->subclass_names[j]);
    }
    printf("\nresize mode: %d (%s)", m->resize_mode, m->resize_mode ? "scale-aware framing" : "centre crop");
    uint64_t macs = 0;
    for (int i = 0; i < bc_engine_num_ops(e); i++) macs += bc_engine_op_macs(e, i);
    printf("\nops: %d\nMACs: %llu\nembedding: %d\ncam: %dx%d\nkernels: %s\n", m->n_ops, (unsigned long long)macs,
           bc_engine_embedding_dim(e), bc_engine_cam_height(e), bc_engine_cam_width(e), bc_engine_kernels_isa(e));
    printf("backend: %s\nunidentified below: %g (%s)\n", opt.backend == BC_BACKEND_XNNPACK ? "xnnpack" : "own", opt.threshold, threshold_source);
    if (map) printf("reference map: %d cells, k %d, out of distribution above %g\n", bc_refmap_size(map), bc_refmap_k(map), bc_refmap_threshold(map));
    else printf("reference map: none\n");
    bc_refmap_free(map);
    bc_engine_free(e);
    free(model_bytes);
    return 0;
  }

  bc_paths paths = {0};
  int walk_failed = 0;
  for (int i = 0; i < n_inputs; i++) walk_failed |= !bc_walk_add(&paths, inputs[i]);
  const int n_images = paths.n;
  if (n_images == 0) fprintf(stderr, "bloodcell: no images found\n");
  batch b = { .opt = &opt, .paths = &paths, .map = map, .model_bytes = model_bytes, .model_len = model_len, .first = e,
              .K = bc_engine_num_classes(e), .dim = bc_engine_embedding_dim(e), .n = paths.n };
  b.results = calloc((size_t)(paths.n ? paths.n : 1), sizeof *b.results);
  pthread_mutex_init(&b.mu, NULL);
  pthread_cond_init(&b.cv, NULL);
  bc_summary sum;
  bc_summary_init(&sum, opt.target, opt.wbc_total, summary_kinds(e));
  const int failures = b.results ? run_batch(&b, &sum) : -1;
  if (failures < 0) fprintf(stderr, "bloodcell: out of memory\n");
  else if (opt.summary) {
    if (opt.fmt == FORMAT_JSON) bc_summary_json(stdout, &sum);
    else bc_summary_table(opt.fmt == FORMAT_CSV ? stderr : stdout, &sum);
  }
  pthread_cond_destroy(&b.cv);
  pthread_mutex_destroy(&b.mu);
  free(b.results);
  bc_paths_free(&paths);
  bc_refmap_free(map);
  bc_engine_free(e);
  free(model_bytes);
  if (failures < 0) return 2;
  return failures || walk_failed || n_images == 0 ? 1 : 0;
}
