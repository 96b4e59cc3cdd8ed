/* summary.h - the differential as a lab reports it, the same rules and arithmetic as web/differential.js
 * (differential(groups, {target, wbcTotal, classes})), for the CLI's --summary:
 *   the WBC differential in % over the six leukocyte classes only; erythroblasts as NRBC per 100 WBC;
 *   platelets counted apart; unidentified, excluded (out of distribution) and failed cells counted;
 *   cells of any other model class counted as "other"; with the analyser's WBC (x10^9/L), the WBC
 *   corrected for NRBC (WBC * 100 / (100 + NRBC per 100 WBC)) and absolute counts per class.
 *
 * With sub-classes (differential.js SUBCLASSES: neutrophil band / segmented; ig promyelocyte / myelocyte /
 * metamyelocyte), each kind is counted within its class and reported in % of the WBC, with "unspecified"
 * for a cell of the class given no kind.
 *
 *   bc_summary s;  bc_summary_init(&s, 100, -1, 1);       wbc_total < 0: not given; 1: with sub-classes
 *   bc_summary_add(&s, "neutrophil", "band"); ... bc_summary_add(&s, "failed", NULL);
 *   bc_summary_json(stdout, &s);   or   bc_summary_table(stdout, &s); */
#ifndef BC_SUMMARY_H
#define BC_SUMMARY_H

#include <stdio.h>

#define BC_N_LEUKOCYTES 6
extern const char *const bc_leukocytes[BC_N_LEUKOCYTES];
#define BC_N_KIND_CLASSES 2
#define BC_MAX_KINDS 3

typedef struct bc_summary {
  int total, target, nrbc, platelets, unidentified, excluded, failed, other;
  int count[BC_N_LEUKOCYTES];
  int has_subclasses;
  int kind_count[BC_N_KIND_CLASSES][BC_MAX_KINDS + 1];   /* the last: unspecified */
  double wbc_total;   /* < 0: not given */
} bc_summary;

void bc_summary_init(bc_summary *s, int target, double wbc_total, int has_subclasses);
/* group: a class name, "unidentified", "excluded" or "failed"; sub: its kind or NULL. */
void bc_summary_add(bc_summary *s, const char *group, const char *sub);
/* Whether parent/kind is one of the kinds the summary reports (the CLI checks a model's names). */
int bc_summary_knows_kind(const char *parent, const char *kind);

/* {"summary": {...}} on one line: differential()'s keys in its order, numbers as JavaScript prints them. */
void bc_summary_json(FILE *f, const bc_summary *s);
void bc_summary_table(FILE *f, const bc_summary *s);

#endif
