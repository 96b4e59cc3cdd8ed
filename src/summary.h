/* summary.h - the differential as a lab reports it, the same rules and arithmetic as web/differential.js
 * (differential(groups, {target, wbcTotal, classes})), for the CLI's --summary:
 *   the WBC differential in % over the six leukocyte classes only; erythroblasts as NRBC per 100 WBC;
 *   platelets counted apart; unidentified, excluded (out of distribution) and failed cells counted;
 *   cells of any other model class counted as "other"; with the analyser's WBC (x10^9/L), the WBC
 *   corrected for NRBC (WBC * 100 / (100 + NRBC per 100 WBC)) and absolute counts per class.
 *
 *   bc_summary s;  bc_summary_init(&s, 100, -1);          wbc_total < 0: not given
 *   bc_summary_add(&s, "neutrophil"); ... bc_summary_add(&s, "failed");
 *   bc_summary_json(stdout, &s);   or   bc_summary_table(stdout, &s); */
#ifndef BC_SUMMARY_H
#define BC_SUMMARY_H

#include <stdio.h>

#define BC_N_LEUKOCYTES 6
extern const char *const bc_leukocytes[BC_N_LEUKOCYTES];

typedef struct bc_summary {
  int total, target, nrbc, platelets, unidentified, excluded, failed, other;
  int count[BC_N_LEUKOCYTES];
  double wbc_total;   /* < 0: not given */
} bc_summary;

void bc_summary_init(bc_summary *s, int target, double wbc_total);
/* group: a class name, "unidentified", "excluded" or "failed". */
void bc_summary_add(bc_summary *s, const char *group);

/* {"summary": {...}} on one line: differential()'s keys in its order, numbers as JavaScript prints them. */
void bc_summary_json(FILE *f, const bc_summary *s);
void bc_summary_table(FILE *f, const bc_summary *s);

#endif
