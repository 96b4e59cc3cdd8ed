/* summary.c - see summary.h.  The arithmetic is written in differential.js's order so the doubles match. */
#include "summary.h"

#include <math.h>
#include <string.h>
#include "emit.h"

const char *const bc_leukocytes[BC_N_LEUKOCYTES] = { "neutrophil", "lymphocyte", "monocyte", "eosinophil", "basophil", "ig" };

/* differential.js SUBCLASSES, in its order */
static const struct { const char *cls; int n; const char *ids[BC_MAX_KINDS]; } kinds[BC_N_KIND_CLASSES] = {
  { "neutrophil", 2, { "band", "segmented" } },
  { "ig", 3, { "promyelocyte", "myelocyte", "metamyelocyte" } },
};

static int kind_class(const char *cls) {
  for (int i = 0; i < BC_N_KIND_CLASSES; i++) if (!strcmp(cls, kinds[i].cls)) return i;
  return -1;
}

static int kind_index(int i, const char *kind) {
  for (int j = 0; j < kinds[i].n; j++) if (!strcmp(kind, kinds[i].ids[j])) return j;
  return -1;
}

int bc_summary_knows_kind(const char *parent, const char *kind) {
  const int i = kind_class(parent);
  return i >= 0 && kind_index(i, kind) >= 0;
}

void bc_summary_init(bc_summary *s, int target, double wbc_total, int has_subclasses) {
  memset(s, 0, sizeof *s);
  s->target = target;
  s->has_subclasses = !!has_subclasses;
  s->wbc_total = isfinite(wbc_total) && wbc_total >= 0 ? wbc_total : -1;
}

void bc_summary_add(bc_summary *s, const char *group, const char *sub) {
  s->total++;
  const int i = s->has_subclasses ? kind_class(group) : -1;
  if (i >= 0) {
    /* the CLI passes only kinds bc_summary_knows_kind accepts; anything else is "unspecified", never lost */
    const int j = sub ? kind_index(i, sub) : -1;
    s->kind_count[i][j >= 0 ? j : kinds[i].n]++;
  }
  for (int k = 0; k < BC_N_LEUKOCYTES; k++)
    if (!strcmp(group, bc_leukocytes[k])) { s->count[k]++; return; }
  if (!strcmp(group, "erythroblast")) s->nrbc++;
  else if (!strcmp(group, "platelet")) s->platelets++;
  else if (!strcmp(group, "unidentified")) s->unidentified++;
  else if (!strcmp(group, "excluded")) s->excluded++;
  else if (!strcmp(group, "failed")) s->failed++;
  else s->other++;
}

/* What differential() derives; NAN stands for its null. */
typedef struct derived {
  int wbc;
  double percent[BC_N_LEUKOCYTES], nrbc_per_100, corrected, absolute[BC_N_LEUKOCYTES];
} derived;

static void derive(const bc_summary *s, derived *d) {
  d->wbc = 0;
  for (int k = 0; k < BC_N_LEUKOCYTES; k++) d->wbc += s->count[k];
  const double wbc = d->wbc;
  for (int k = 0; k < BC_N_LEUKOCYTES; k++) d->percent[k] = wbc > 0 ? (100.0 * s->count[k]) / wbc : NAN;
  d->nrbc_per_100 = wbc > 0 ? (100.0 * s->nrbc) / wbc : NAN;
  d->corrected = s->wbc_total >= 0 && d->wbc > 0 ? (s->wbc_total * 100) / (100 + d->nrbc_per_100) : NAN;
  for (int k = 0; k < BC_N_LEUKOCYTES; k++) d->absolute[k] = (d->corrected * d->percent[k]) / 100;
}

void bc_summary_json(FILE *f, const bc_summary *s) {
  derived d;
  derive(s, &d);
  fprintf(f, "{\"summary\": {\"total\": %d, \"wbc\": %d, \"target\": %d, \"differential\": {", s->total, d.wbc, s->target);
  for (int k = 0; k < BC_N_LEUKOCYTES; k++) {
    fprintf(f, "%s\"%s\": {\"count\": %d, \"percent\": ", k ? ", " : "", bc_leukocytes[k], s->count[k]);
    emit_json_number(f, d.percent[k]);
    fputc('}', f);
  }
  fputs("}, \"subclasses\": ", f);
  if (!s->has_subclasses) fputs("null", f);
  else {
    for (int i = 0; i < BC_N_KIND_CLASSES; i++) {
      fprintf(f, "%s\"%s\": {", i ? ", " : "{", kinds[i].cls);
      for (int j = 0; j <= kinds[i].n; j++) {
        const int n = s->kind_count[i][j];
        fprintf(f, "%s\"%s\": {\"count\": %d, \"percent\": ", j ? ", " : "", j < kinds[i].n ? kinds[i].ids[j] : "unspecified", n);
        emit_json_number(f, d.wbc > 0 ? (100.0 * n) / d.wbc : NAN);
        fputc('}', f);
      }
      fputc('}', f);
    }
    fputc('}', f);
  }
  fprintf(f, ", \"nrbc\": %d, \"nrbc_per_100_wbc\": ", s->nrbc);
  emit_json_number(f, d.nrbc_per_100);
  fprintf(f, ", \"platelets\": %d, \"unidentified\": %d, \"excluded\": %d, \"failed\": %d, \"other\": %d, \"wbc_total\": ",
          s->platelets, s->unidentified, s->excluded, s->failed, s->other);
  emit_json_number(f, s->wbc_total >= 0 ? s->wbc_total : NAN);
  fputs(", \"wbc_corrected\": ", f);
  emit_json_number(f, d.corrected);
  fputs(", \"absolute\": ", f);
  if (isnan(d.corrected)) fputs("null", f);
  else {
    for (int k = 0; k < BC_N_LEUKOCYTES; k++) {
      fprintf(f, "%s\"%s\": ", k ? ", " : "{", bc_leukocytes[k]);
      emit_json_number(f, d.absolute[k]);
    }
    fputc('}', f);
  }
  fputs("}}\n", f);
}

static void cell(FILE *f, double x, int decimals, int width) {
  if (isnan(x)) fprintf(f, " %*s", width, "-");
  else fprintf(f, " %*.*f", width, decimals, x);
}

void bc_summary_table(FILE *f, const bc_summary *s) {
  derived d;
  derive(s, &d);
  const int absolute = !isnan(d.corrected);
  fprintf(f, "\nWBC differential (leukocytes only)   count       %%%s\n", absolute ? "   x10^9/L" : "");
  for (int k = 0; k < BC_N_LEUKOCYTES; k++) {
    fprintf(f, "  %-33s %6d", bc_leukocytes[k], s->count[k]);
    cell(f, d.percent[k], 1, 7);
    if (absolute) cell(f, d.absolute[k], 2, 9);
    fputc('\n', f);
    /* its kinds, in % of the WBC as labs report bands ("unspecified" only when some cell has none) */
    const int i = s->has_subclasses ? kind_class(bc_leukocytes[k]) : -1;
    for (int j = 0; i >= 0 && j <= kinds[i].n; j++) {
      const int n = s->kind_count[i][j];
      if (j == kinds[i].n && n == 0) continue;
      const double p = d.wbc > 0 ? (100.0 * n) / d.wbc : NAN;
      fprintf(f, "    %-31s %6d", j < kinds[i].n ? kinds[i].ids[j] : "unspecified", n);
      cell(f, p, 1, 7);
      if (absolute) cell(f, (d.corrected * p) / 100, 2, 9);
      fputc('\n', f);
    }
  }
  fprintf(f, "WBC counted: %d / %d%s\n", d.wbc, s->target,
          d.wbc < s->target ? " (below the target: the percentages are uncertain)" : "");
  fprintf(f, "NRBC (erythroblasts): %d", s->nrbc);
  if (d.wbc > 0) fprintf(f, ", %.1f per 100 WBC", d.nrbc_per_100);
  fprintf(f, "\nPlatelets (counted apart): %d\n", s->platelets);
  fprintf(f, "Unidentified: %d   Excluded (out of distribution): %d   Failed: %d", s->unidentified, s->excluded, s->failed);
  if (s->other) fprintf(f, "   Other classes: %d", s->other);
  fprintf(f, "\nImages: %d\n", s->total);
  if (s->wbc_total >= 0) {
    fprintf(f, "WBC (analyser): %g x10^9/L", s->wbc_total);
    if (absolute) fprintf(f, "; corrected for NRBC: %.2f x10^9/L\n", d.corrected);
    else fputs("; no white cells counted, so no correction or absolute counts\n", f);
  }
}
