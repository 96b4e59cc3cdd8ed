/* readfile.c - see readfile.h.  Reads until end of file rather than trusting a size from stat, so pipes
 * and files that change while read work too.  strerror_r, not strerror: the CLI reads from several threads. */
#define _POSIX_C_SOURCE 200809L
#include "readfile.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

uint8_t *bc_read_file(const char *path, size_t max_bytes, size_t *n, int *missing, char *why, size_t why_len) {
  if (missing) *missing = 0;
  FILE *f = fopen(path, "rb");
  if (!f) {
    if (missing) *missing = errno == ENOENT;
    strerror_r(errno, why, why_len);
    return NULL;
  }
  uint8_t *buf = NULL;
  size_t cap = 0, len = 0;
  for (;;) {
    if (len + 1 >= cap) {
      if (cap > max_bytes) {
        snprintf(why, why_len, "file is larger than %zu MiB", max_bytes >> 20);
        free(buf);
        fclose(f);
        return NULL;
      }
      cap = cap ? cap * 2 : 1 << 16;
      uint8_t *nb = realloc(buf, cap);
      if (!nb) { snprintf(why, why_len, "out of memory"); free(buf); fclose(f); return NULL; }
      buf = nb;
    }
    const size_t got = fread(buf + len, 1, cap - 1 - len, f);
    len += got;
    if (got == 0) break;
  }
  if (ferror(f)) {
    const int e = errno;
    snprintf(why, why_len, "read error: ");
    const size_t used = strlen(why);
    strerror_r(e, why + used, why_len - used);
    free(buf);
    fclose(f);
    return NULL;
  }
  fclose(f);
  buf[len] = 0;
  *n = len;
  return buf;
}
