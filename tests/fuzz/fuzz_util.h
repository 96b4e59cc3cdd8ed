/* fuzz_util.h - helpers shared by the libFuzzer targets in tests/fuzz/ (header only, static functions).
 *
 * Checksums: a model file carries a CRC-32 of its body and every PNG chunk carries a CRC-32, and both are
 * verified before anything else is parsed. Random mutations almost never keep them valid, so the targets
 * run each input twice: as is (covering the checks themselves) and with the checksums recomputed (so the
 * mutations reach the parsers and decoders behind them). */
#ifndef BC_FUZZ_UTIL_H
#define BC_FUZZ_UTIL_H

#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "bc_status.h"
#include "model.h"

/* An invariant the API documents was broken: report and abort, which libFuzzer records as a crash. */
#define FUZZ_CHECK(cond)                                                                   \
  do {                                                                                     \
    if (!(cond)) {                                                                         \
      fprintf(stderr, "fuzz invariant failed: %s (%s:%d)\n", #cond, __FILE__, __LINE__); \
      abort();                                                                             \
    }                                                                                      \
  } while (0)

static inline void fuzz_put_be32(uint8_t *p, uint32_t v) {
  p[0] = (uint8_t)(v >> 24); p[1] = (uint8_t)(v >> 16); p[2] = (uint8_t)(v >> 8); p[3] = (uint8_t)v;
}
static inline void fuzz_put_le32(uint8_t *p, uint32_t v) {
  p[0] = (uint8_t)v; p[1] = (uint8_t)(v >> 8); p[2] = (uint8_t)(v >> 16); p[3] = (uint8_t)(v >> 24);
}
static inline uint32_t fuzz_be32(const uint8_t *p) {
  return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

/* PNG chunk CRC (the same polynomial as bc_crc32, over type + data). */
static inline uint32_t fuzz_png_crc(const uint8_t *p, size_t n) { return bc_crc32(p, n); }

/* A PNG (by signature) whose chunk CRCs were recomputed in a malloc'd copy, or NULL if the input is
 * not a PNG or already has no CRC to fix. Walks chunks while they fit; stops at the first that does not. */
static inline uint8_t *fuzz_png_fix_crcs(const uint8_t *data, size_t n) {
  static const uint8_t sig[8] = {0x89, 'P', 'N', 'G', 0x0D, 0x0A, 0x1A, 0x0A};
  if (n < 8 + 12 || memcmp(data, sig, 8) != 0) return NULL;
  uint8_t *copy = malloc(n);
  if (!copy) return NULL;
  memcpy(copy, data, n);
  int changed = 0;
  size_t pos = 8;
  while (n - pos >= 12) {
    const uint32_t len = fuzz_be32(copy + pos);
    if (len > n - pos - 12) break;
    const uint32_t crc = fuzz_png_crc(copy + pos + 4, (size_t)len + 4);
    if (fuzz_be32(copy + pos + 8 + len) != crc) { fuzz_put_be32(copy + pos + 8 + len, crc); changed = 1; }
    if (memcmp(copy + pos + 4, "IEND", 4) == 0) break;
    pos += 12 + (size_t)len;
  }
  if (!changed) { free(copy); return NULL; }
  return copy;
}

/* A model file (by magic) with its size and CRC fields recomputed in a malloc'd copy, or NULL if the
 * input does not start with "BCNN" or both fields are already right. */
static inline uint8_t *fuzz_model_fix_header(const uint8_t *data, size_t n) {
  if (n < 16 || memcmp(data, "BCNN", 4) != 0 || n > 0xFFFFFFFFu) return NULL;
  uint8_t *copy = malloc(n);
  if (!copy) return NULL;
  memcpy(copy, data, n);
  uint8_t hdr[8];
  fuzz_put_le32(hdr, (uint32_t)n);
  fuzz_put_le32(hdr + 4, bc_crc32(copy + 16, n - 16));
  if (memcmp(copy + 8, hdr, 8) == 0) { free(copy); return NULL; }
  memcpy(copy + 8, hdr, 8);
  return copy;
}

#endif
