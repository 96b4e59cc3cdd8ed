/* readfile.h - a whole file into memory, for the CLI (images, the model, the map and model card).
 *
 *   size_t n; int missing; char why[128];
 *   uint8_t *b = bc_read_file(path, 256u << 20, &n, &missing, why, sizeof why);
 *   ...; free(b);      NULL: why says why (strerror text, or "file is larger than 256 MiB");
 *                      missing = 1 if there is no such file (missing may be NULL)
 * The buffer has one extra 0 byte after the n bytes, so text can be parsed in place. */
#ifndef BC_READFILE_H
#define BC_READFILE_H

#include <stddef.h>
#include <stdint.h>

uint8_t *bc_read_file(const char *path, size_t max_bytes, size_t *n, int *missing, char *why, size_t why_len);

#endif
