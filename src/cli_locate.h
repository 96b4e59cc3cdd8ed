/* cli_locate.h - `bloodcell locate` (cli_locate.c); argv as main's, argv[1] == "locate". Returns the exit status. */
#ifndef BC_CLI_LOCATE_H
#define BC_CLI_LOCATE_H

#include <stdio.h>

int bc_cli_locate(int argc, char **argv, const char *default_model);

/* `, "subclass": {"label", "confidence", "probs": {...}}` for class `best` when the model has sub-classes
 * (null when that class has none); nothing for a model without sub-classes. */
struct bc_engine;
void bc_cli_print_subclass(FILE *f, const struct bc_engine *e, int best, const float *subprobs);
/* The index of class `best`'s most probable sub-class, or -1 when it has none. */
int bc_cli_top_subclass(const struct bc_engine *e, int best, const float *subprobs);

#endif
