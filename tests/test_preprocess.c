/* test_preprocess.c - native tests for src/preprocess.c (run from the repo root).
 *
 * Build (what `make build/native/test_preprocess` does; stb is compiled on its own, without -Werror):
 *   mkdir -p build/native && gcc -std=c99 -O2 -g -w -c src/stb_image_impl.c -o build/native/stb_image.o
 *   gcc -std=c99 -Wall -Wextra -Werror -Isrc -O2 -g tests/test_preprocess.c src/preprocess.c src/bc_status.c \
 *       build/native/stb_image.o -lm -o build/native/test_preprocess
 * Sanitizers (make build/native/san/test_preprocess; allocation counting is only active in this build):
 *   add -O1 -fsanitize=address,undefined -fno-sanitize-recover=undefined -fno-omit-frame-pointer to both lines
 * Run:    build/native/test_preprocess [fixture_dir]        (default tests/fixtures/preprocess)
 * Timing: build/native/test_preprocess --bench [fixture_dir] (200 runs of a 360x363 PBC JPEG at S=96 and 128)
 * Output: one line per check, then exactly one line "N passed, M failed"; exit status 1 if any failed.
 * Fixtures come from scripts/fixtures/make_preprocess_fixtures.py (scripts/model/pbc_data.py:load_cell_image, Pillow 9.4). */
#define _POSIX_C_SOURCE 199309L
#include <math.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* ---- allocation accounting ----
 * Sanitizer builds (make test-sanitize) count every allocation made during a call through the sanitizer's
 * malloc/free hooks: rejected files must allocate nothing, decoded ones must free everything. Plain builds
 * can only compare the bytes in use before and after a call (glibc mallinfo2). preprocess.c itself never
 * allocates per call, so every allocation seen during a call is stb's. */
#if defined(__SANITIZE_ADDRESS__)
#define BC_ALLOC_HOOKS 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define BC_ALLOC_HOOKS 1
#endif
#endif
#ifdef BC_ALLOC_HOOKS
/* from <sanitizer/allocator_interface.h>, which gcc's packages do not ship (libasan has the functions) */
int __sanitizer_install_malloc_and_free_hooks(void (*malloc_hook)(const volatile void *, size_t),
                                              void (*free_hook)(const volatile void *));
size_t __sanitizer_get_current_allocated_bytes(void);
static long g_allocs = 0, g_live = 0;
static size_t g_peak_req = 0;
static void on_malloc(const volatile void *p, size_t sz) {
  (void)p;
  g_allocs++;
  g_live++;
  if (sz > g_peak_req) g_peak_req = sz;
}
static void on_free(const volatile void *p) { (void)p; g_live--; }
static void alloc_hooks_install(void) { __sanitizer_install_malloc_and_free_hooks(on_malloc, on_free); }
static size_t bytes_in_use(void) { return __sanitizer_get_current_allocated_bytes(); }
#else
#if defined(__GLIBC__) && (__GLIBC__ > 2 || (__GLIBC__ == 2 && __GLIBC_MINOR__ >= 33))
#include <malloc.h>
#define BC_GLIBC_MALLOC 1
static size_t bytes_in_use(void) {
  struct mallinfo2 mi = mallinfo2();
  return mi.uordblks + mi.hblkhd;
}
#else
static size_t bytes_in_use(void) { return 0; }
#endif
static long g_allocs = -1, g_live = 0;
static size_t g_peak_req = 0;
static void alloc_hooks_install(void) {}
#endif
/* Plain builds: blocks parked in glibc's tcache still count as in use, so allow a little noise; a leaked
 * decoded image (>= 100 KB for any fixture used in the leak checks) stands far above it. */
#ifdef BC_ALLOC_HOOKS
#define LEAK_SLACK 0L
#else
#define LEAK_SLACK 16384L
#endif

#define STBI_NO_STDIO
#include <stb/stb_image.h> /* declarations; the implementation is linked from src/stb_image_impl.c */
#include "preprocess.h"

static int g_pass = 0, g_fail = 0;
static const char *g_dir = "tests/fixtures/preprocess";

static void check(int ok, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void check(int ok, const char *fmt, ...) {
  va_list ap;
  printf("%s ", ok ? "PASS" : "FAIL");
  va_start(ap, fmt);
  vprintf(fmt, ap);
  va_end(ap);
  printf("\n");
  if (ok) g_pass++; else g_fail++;
}

static uint8_t *read_file(const char *name, size_t *n) {
  char path[1024];
  FILE *f;
  uint8_t *b;
  long len;
  snprintf(path, sizeof path, "%s/%s", g_dir, name);
  f = fopen(path, "rb");
  if (!f) return NULL;
  fseek(f, 0, SEEK_END);
  len = ftell(f);
  fseek(f, 0, SEEK_SET);
  b = (uint8_t *)malloc(len > 0 ? (size_t)len : 1);
  if (b && fread(b, 1, (size_t)len, f) != (size_t)len) { free(b); b = NULL; }
  fclose(f);
  *n = (size_t)len;
  return b;
}

static bc_preprocess_config make_cfg(int size) {
  bc_preprocess_config c;
  c.size = size;
  c.mean[0] = 0.485f; c.mean[1] = 0.456f; c.mean[2] = 0.406f;
  c.std[0] = 0.229f; c.std[1] = 0.224f; c.std[2] = 0.225f;
  c.input_scale = 0.018658f;
  c.input_zero_point = -14;
  return c;
}

/* Runs bc_preprocess and checks that it leaves no memory behind; *allocs = allocations made during the call
 * (-1 where they cannot be counted). */
static bc_status run(const bc_preprocessor *p, const uint8_t *b, size_t n, uint8_t *rgb, int8_t *t, char *msg,
                     size_t ml, long *allocs) {
  long a0 = g_allocs, l0 = g_live;
  size_t b0 = bytes_in_use(), b1;
  bc_status s = bc_preprocess(p, b, n, rgb, t, msg, ml);
  b1 = bytes_in_use();
  if (allocs) *allocs = g_allocs < 0 ? -1 : g_allocs - a0;
  if (g_live != l0 || (long)b1 - (long)b0 > LEAK_SLACK)
    check(0, "memory left behind by bc_preprocess: %ld blocks, %ld bytes", g_live - l0, (long)b1 - (long)b0);
  return s;
}

typedef struct diffstat { int max; long n1, nbig, total; } diffstat;
static diffstat diff_u8(const uint8_t *a, const uint8_t *b, size_t n) {
  diffstat d = {0, 0, 0, 0};
  size_t i;
  for (i = 0; i < n; i++) {
    int v = abs((int)a[i] - (int)b[i]);
    if (v > d.max) d.max = v;
    if (v == 1) d.n1++;
    if (v > 1) d.nbig++;
  }
  d.total = (long)n;
  return d;
}

/* ------------------------------------------------------------------------------------------------ */

static void test_config(void) {
  bc_preprocessor p;
  bc_preprocess_config c = make_cfg(96);
  char msg[128];
  uint8_t px[3] = {1, 2, 3};
  bc_status s = bc_preprocessor_init(&p, &c);
  check(s == BC_OK && p.kmax >= 3, "init S=96 (kmax %d taps)", p.kmax);
  bc_preprocessor_free(&p);
  bc_preprocessor_free(&p);
  check(p.coef == NULL, "free is idempotent");
  c.size = 0;
  check(bc_preprocessor_init(&p, &c) == BC_ERR_ARGUMENT, "size 0 rejected");
  c = make_cfg(BC_MAX_INPUT_SIZE + 1);
  check(bc_preprocessor_init(&p, &c) == BC_ERR_ARGUMENT, "size > BC_MAX_INPUT_SIZE rejected");
  c = make_cfg(96); c.std[1] = 0.0f;
  check(bc_preprocessor_init(&p, &c) == BC_ERR_ARGUMENT, "std 0 rejected");
  c = make_cfg(96); c.input_scale = -1.0f;
  check(bc_preprocessor_init(&p, &c) == BC_ERR_ARGUMENT, "negative input_scale rejected");
  c = make_cfg(96); c.mean[0] = (float)NAN;
  check(bc_preprocessor_init(&p, &c) == BC_ERR_ARGUMENT, "NaN mean rejected");
  c = make_cfg(96); c.input_zero_point = 128;
  check(bc_preprocessor_init(&p, &c) == BC_ERR_ARGUMENT, "zero point 128 rejected");
  check(bc_preprocessor_init(NULL, &c) == BC_ERR_ARGUMENT, "NULL preprocessor rejected");
  memset(&p, 0, sizeof p);
  check(bc_preprocess_pixels(&p, px, 1, 1, 3, NULL, NULL, msg, sizeof msg) == BC_ERR_ARGUMENT,
        "uninitialised preprocessor rejected (\"%s\")", msg);
  check(bc_preprocess(NULL, px, 3, NULL, NULL, msg, sizeof msg) == BC_ERR_ARGUMENT, "NULL preprocessor in bc_preprocess");
}

static void test_lut(void) {
  static const struct { float mean, std, scale; int zp; } cases[] = {
    {0.485f, 0.229f, 0.018658f, -14}, {0.5f, 0.5f, 1.0f / 128.0f, 0}, {0.0f, 1.0f, 1.0f / 255.0f, -128},
    {0.3f, 0.1f, 0.001f, 127}, {0.5f, 0.25f, 0.0078125f, 3}};
  size_t i;
  for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    bc_preprocessor p;
    bc_preprocess_config c = make_cfg(8);
    int ch, v, bad = 0, ties = 0;
    for (ch = 0; ch < 3; ch++) {
      c.mean[ch] = cases[i].mean + 0.01f * (float)ch;
      c.std[ch] = cases[i].std;
    }
    c.input_scale = cases[i].scale;
    c.input_zero_point = cases[i].zp;
    if (bc_preprocessor_init(&p, &c) != BC_OK) { check(0, "LUT case %d init", (int)i); continue; }
    for (ch = 0; ch < 3; ch++)
      for (v = 0; v < 256; v++) {
        /* formula written out independently: round half to even by hand */
        double x = ((double)v / 255.0 - (double)c.mean[ch]) / (double)c.std[ch] / (double)c.input_scale;
        double fl = floor(x), q;
        if (x - fl > 0.5) q = fl + 1;
        else if (x - fl < 0.5) q = fl;
        else { q = fmod(fl, 2.0) == 0.0 ? fl : fl + 1; ties++; }
        q += c.input_zero_point;
        if (q < -128) q = -128;
        if (q > 127) q = 127;
        if (p.lut[ch][v] != (int8_t)q) bad++;
      }
    check(bad == 0, "LUT case %d (mean %.3f std %.3f scale %g zp %d) matches the formula: %d of 768 differ, %d exact ties",
          (int)i, cases[i].mean, cases[i].std, cases[i].scale, cases[i].zp, bad, ties);
    bc_preprocessor_free(&p);
  }
}

typedef struct pp_cache { int size; bc_preprocessor p; } pp_cache;
static pp_cache g_pp[4];
static const bc_preprocessor *get_pp(int size) {
  int i;
  for (i = 0; i < 4; i++) {
    if (g_pp[i].size == size) return &g_pp[i].p;
    if (g_pp[i].size == 0) {
      bc_preprocess_config c = make_cfg(size);
      if (bc_preprocessor_init(&g_pp[i].p, &c) != BC_OK) return NULL;
      g_pp[i].size = size;
      return &g_pp[i].p;
    }
  }
  return NULL;
}

/* Every manifest row: bc_preprocess(file) vs PIL's expected S x S RGB. */
static void test_manifest(void) {
  char line[1024], path[1024];
  FILE *f;
  int rows = 0;
  long ex_total = 0, ex_diff = 0;
  snprintf(path, sizeof path, "%s/manifest.tsv", g_dir);
  f = fopen(path, "r");
  check(f != NULL, "open %s", path);
  if (!f) return;
  while (fgets(line, sizeof line, f)) {
    char name[256], kind[32], ename[300], msg[256];
    int S;
    size_t n, en;
    uint8_t *img, *exp, *rgb;
    int8_t *t;
    bc_status s;
    const bc_preprocessor *p;
    if (line[0] == '#' || sscanf(line, "%255s %d %31s", name, &S, kind) != 3) continue;
    rows++;
    p = get_pp(S);
    snprintf(ename, sizeof ename, "%s.s%d.u8", name, S);
    img = read_file(name, &n);
    exp = read_file(ename, &en);
    if (!p || !img || !exp || en != (size_t)S * S * 3) {
      check(0, "%s S=%d: fixture files readable", name, S);
      free(img); free(exp);
      continue;
    }
    rgb = (uint8_t *)malloc(en);
    t = (int8_t *)malloc(en);
    s = run(p, img, n, rgb, t, msg, sizeof msg, NULL);
    if (s != BC_OK) {
      check(0, "%s S=%d decodes (%s: %s)", name, S, bc_status_str(s), msg);
    } else {
      diffstat d = diff_u8(rgb, exp, en);
      size_t i;
      int tbad = 0;
      for (i = 0; i < en; i++) tbad += t[i] != p->lut[i % 3][rgb[i]];
      if (strcmp(kind, "exact") == 0 || strcmp(kind, "highbyte") == 0) {
        ex_total += d.total;
        ex_diff += d.n1 + d.nbig;
        check(d.max == 0 && tbad == 0, "%s S=%d equals the reference exactly (max diff %d, %ld of %ld differ)", name, S, d.max,
              d.n1 + d.nbig, d.total);
      } else {
        /* stb's JPEG decoder is not libjpeg (and 16-bit BMP expands 5-bit values differently): measured at most
         * 3 levels before resizing, at most 2 after; allow 3 and at most 1% of values off by more than 1 */
        check(d.max <= 3 && d.nbig * 100 <= d.total && tbad == 0,
              "%s S=%d vs PIL (decoder differs): max diff %d, %ld values +-1 (%.2f%%), %ld more than 1, of %ld",
              name, S, d.max, d.n1, 100.0 * (double)d.n1 / (double)d.total, d.nbig, d.total);
      }
    }
    free(img); free(exp); free(rgb); free(t);
  }
  fclose(f);
  check(rows >= 30, "manifest has %d rows", rows);
  check(ex_diff == 0, "resize vs PIL over all exact fixtures: %ld of %ld uint8 values differ (max diff 0)", ex_diff,
        ex_total);
}

static void test_tensor(void) {
  size_t n, en;
  uint8_t *img = read_file("rgb_360x363.png", &n);
  int8_t *exp = (int8_t *)read_file("rgb_360x363.png.s96.i8", &en);
  int8_t *t = (int8_t *)malloc(96 * 96 * 3);
  const bc_preprocessor *p = get_pp(96);
  char msg[200];
  if (img && exp && en == 96 * 96 * 3 && p && run(p, img, n, NULL, t, msg, sizeof msg, NULL) == BC_OK) {
    size_t i;
    int bad = 0;
    for (i = 0; i < en; i++) bad += t[i] != exp[i];
    check(bad == 0, "int8 tensor equals numpy float64 quantization of PIL's RGB (%d of %d differ)", bad, (int)en);
  } else {
    check(0, "int8 tensor fixture readable and decodes");
  }
  free(img); free(exp); free(t);
}

/* Pixel entry point: the PIL-decoded PBC image in 4, 3, 2 and 1 channel layouts. */
static void test_pixels(void) {
  static const int sizes[2] = {96, 128};
  size_t n, en;
  int w, h, c, k, si;
  uint8_t *img = read_file("pbc_neutrophil_SNE_814256.pil.png", &n);
  uint8_t *px4 = img ? stbi_load_from_memory(img, (int)n, &w, &h, &c, 4) : NULL;
  char msg[200];
  if (!px4) { check(0, "decode pil.png for the pixel tests"); free(img); return; }
  for (si = 0; si < 2; si++) {
    int S = sizes[si];
    const bc_preprocessor *p = get_pp(S);
    char ename[128];
    uint8_t *exp, *rgb = (uint8_t *)malloc((size_t)S * S * 3), *px3 = (uint8_t *)malloc((size_t)w * h * 3);
    int8_t *t1 = (int8_t *)malloc((size_t)S * S * 3), *t2 = (int8_t *)malloc((size_t)S * S * 3);
    snprintf(ename, sizeof ename, "pbc_neutrophil_SNE_814256.pil.png.s%d.u8", S);
    exp = read_file(ename, &en);
    for (k = 0; k < w * h; k++) memcpy(px3 + 3 * k, px4 + 4 * k, 3);
    for (c = 4; c >= 3; c--) {
      bc_status s = bc_preprocess_pixels(p, c == 4 ? px4 : px3, w, h, c, rgb, t1, msg, sizeof msg);
      diffstat d = diff_u8(rgb, exp, en);
      check(s == BC_OK && exp && d.max == 0, "bc_preprocess_pixels RGB%s8 %dx%d S=%d equals PIL (max diff %d)",
            c == 4 ? "A" : "", w, h, S, d.max);
    }
    /* outputs are independent: tensor only, rgb only */
    bc_preprocess_pixels(p, px3, w, h, 3, NULL, t2, msg, sizeof msg);
    check(memcmp(t1, t2, (size_t)S * S * 3) == 0, "tensor_out alone equals tensor_out with rgb_out (S=%d)", S);
    check(bc_preprocess_pixels(p, px3, w, h, 3, NULL, NULL, msg, sizeof msg) == BC_OK, "both outputs NULL is fine");
    free(exp); free(rgb); free(px3); free(t1); free(t2);
  }
  stbi_image_free(px4);
  free(img);
}

static void test_pixel_shapes(void) {
  const bc_preprocessor *p = get_pp(96);
  uint8_t *wide = (uint8_t *)malloc(20000 * 4), *rgb = (uint8_t *)malloc(96 * 96 * 3);
  uint8_t *img = (uint8_t *)malloc(200 * 150 * 4), *rgb2;
  int i, ok, y, x;
  char msg[200];
  bc_status s;
  bc_preprocessor q;
  bc_preprocess_config c;
  for (i = 0; i < 20000; i++) { wide[4 * i] = (uint8_t)i; wide[4 * i + 1] = (uint8_t)(i >> 8); wide[4 * i + 2] = 7; wide[4 * i + 3] = 255; }
  /* 20000x1 -> 1x1 crop at x0 = 9999 -> constant */
  s = bc_preprocess_pixels(p, wide, 20000, 1, 4, rgb, NULL, msg, sizeof msg);
  for (ok = s == BC_OK, i = 0; i < 96 * 96; i++)
    ok &= rgb[3 * i] == (uint8_t)9999 && rgb[3 * i + 1] == (uint8_t)(9999 >> 8) && rgb[3 * i + 2] == 7;
  check(ok, "20000x1 RGBA pixels -> centre pixel upscaled to 96x96");
  s = bc_preprocess_pixels(p, wide, 1, 20000, 1, rgb, NULL, msg, sizeof msg);
  for (ok = s == BC_OK, i = 0; i < 96 * 96 * 3; i++) ok &= rgb[i] == wide[9999];
  check(ok, "1x20000 grey pixels -> centre pixel upscaled to 96x96");
  /* grey+alpha layout: value 100, alpha 128 over white -> round((100*128 + 255*127)/255) = 177 */
  for (i = 0; i < 200 * 150; i++) { img[2 * i] = 100; img[2 * i + 1] = 128; }
  s = bc_preprocess_pixels(p, img, 200, 150, 2, rgb, NULL, msg, sizeof msg);
  for (ok = s == BC_OK, i = 0; i < 96 * 96 * 3; i++) ok &= rgb[i] == 177;
  check(ok, "grey+alpha pixels composite over white (100 @ alpha 128 -> 177)");
  /* identity: S equal to the crop size gives the crop itself */
  c = make_cfg(150);
  bc_preprocessor_init(&q, &c);
  rgb2 = (uint8_t *)malloc(150 * 150 * 3);
  for (i = 0; i < 200 * 150 * 3; i++) img[i] = (uint8_t)(i * 2654435761u >> 13);
  s = bc_preprocess_pixels(&q, img, 200, 150, 3, rgb2, NULL, msg, sizeof msg);
  for (ok = s == BC_OK, y = 0; y < 150; y++)
    for (x = 0; x < 150; x++)
      ok &= memcmp(rgb2 + (y * 150 + x) * 3, img + (y * 200 + x + 25) * 3, 3) == 0;
  check(ok, "S == crop size reproduces the centre crop exactly (200x150 -> x0=25)");
  bc_preprocessor_free(&q);
  check(bc_preprocess_pixels(p, img, 0, 10, 3, rgb, NULL, msg, sizeof msg) == BC_ERR_ARGUMENT, "0-width pixels rejected (\"%s\")", msg);
  check(bc_preprocess_pixels(p, img, 10, 10, 5, rgb, NULL, msg, sizeof msg) == BC_ERR_ARGUMENT, "5 channels rejected");
  check(bc_preprocess_pixels(p, NULL, 10, 10, 3, rgb, NULL, msg, sizeof msg) == BC_ERR_ARGUMENT, "NULL pixels rejected");
  check(bc_preprocess_pixels(p, img, 20000, 20000, 3, rgb, NULL, msg, sizeof msg) == BC_ERR_TOO_LARGE,
        "20000x20000 pixels rejected before reading (\"%s\")", msg);
  free(wide); free(rgb); free(img); free(rgb2);
}

/* ---- error paths ---- */

static void put_be32(uint8_t *b, uint32_t v) { b[0] = (uint8_t)(v >> 24); b[1] = (uint8_t)(v >> 16); b[2] = (uint8_t)(v >> 8); b[3] = (uint8_t)v; }
static void put_le32(uint8_t *b, uint32_t v) { b[3] = (uint8_t)(v >> 24); b[2] = (uint8_t)(v >> 16); b[1] = (uint8_t)(v >> 8); b[0] = (uint8_t)v; }

static uint32_t crc32_bitwise(const uint8_t *p, size_t n) { /* independent of preprocess.c's table version */
  uint32_t c = 0xFFFFFFFFu;
  size_t i;
  int k;
  for (i = 0; i < n; i++) {
    c ^= p[i];
    for (k = 0; k < 8; k++) c = (c >> 1) ^ (0xEDB88320u & (0u - (c & 1u)));
  }
  return c ^ 0xFFFFFFFFu;
}
static void fix_png_crcs(uint8_t *b, size_t n) {
  size_t pos = 8;
  while (pos + 12 <= n) {
    uint32_t len = ((uint32_t)b[pos] << 24) | ((uint32_t)b[pos + 1] << 16) | ((uint32_t)b[pos + 2] << 8) | b[pos + 3];
    if (len > n - pos - 12) break;
    put_be32(b + pos + 8 + len, crc32_bitwise(b + pos + 4, len + 4));
    pos += 12 + len;
  }
}

/* A complete, well-formed PNG header + tiny IDAT + IEND claiming w x h. */
static size_t make_png_header(uint8_t *b, uint32_t w, uint32_t h) {
  static const uint8_t sig[8] = {0x89, 'P', 'N', 'G', 0x0D, 0x0A, 0x1A, 0x0A};
  static const uint8_t idat[] = {0, 0, 0, 10, 'I', 'D', 'A', 'T', 0x78, 0x9c, 0x63, 0, 0, 0, 0, 1, 0, 1, 0, 0, 0, 0};
  static const uint8_t iend[] = {0, 0, 0, 0, 'I', 'E', 'N', 'D', 0xAE, 0x42, 0x60, 0x82};
  size_t n = 0;
  memcpy(b, sig, 8); n = 8;
  put_be32(b + n, 13); memcpy(b + n + 4, "IHDR", 4);
  put_be32(b + n + 8, w); put_be32(b + n + 12, h);
  b[n + 16] = 8; b[n + 17] = 2; b[n + 18] = 0; b[n + 19] = 0; b[n + 20] = 0;
  put_be32(b + n + 21, 0); /* CRC (neither stb nor we check it) */
  n += 25;
  memcpy(b + n, idat, sizeof idat); n += sizeof idat;
  memcpy(b + n, iend, sizeof iend); n += sizeof iend;
  fix_png_crcs(b, n);
  return n;
}

static size_t make_bmp_header(uint8_t *b, int32_t w, int32_t h) {
  memset(b, 0, 64);
  b[0] = 'B'; b[1] = 'M';
  put_le32(b + 2, 54 + 64); put_le32(b + 10, 54); put_le32(b + 14, 40);
  put_le32(b + 18, (uint32_t)w); put_le32(b + 22, (uint32_t)h);
  b[26] = 1; b[28] = 24;
  return 64;
}

static size_t make_jpeg_header(uint8_t *b, unsigned w, unsigned h) {
  static const uint8_t t[] = {0xFF, 0xD8, 0xFF, 0xC0, 0, 17, 8, 0, 0, 0, 0, 3, 1, 0x11, 0, 2, 0x11, 0, 3, 0x11, 0,
                              0xFF, 0xDA, 0, 12, 3, 1, 0, 2, 0x11, 3, 0x11, 0, 63, 0, 0x12, 0x34, 0xFF, 0xD9};
  memcpy(b, t, sizeof t);
  b[7] = (uint8_t)(h >> 8); b[8] = (uint8_t)h; b[9] = (uint8_t)(w >> 8); b[10] = (uint8_t)w;
  return sizeof t;
}

static void expect(const bc_preprocessor *p, const uint8_t *b, size_t n, bc_status want, const char *want_msg,
                   const char *what) {
  char msg[256];
  uint8_t *rgb = (uint8_t *)malloc((size_t)p->cfg.size * p->cfg.size * 3);
  long allocs = -1;
  int w = -1, h = -1, c = -1, untouched = 1;
  bc_status si;
  size_t i;
  bc_status s;
  memset(rgb, 0xA5, (size_t)p->cfg.size * p->cfg.size * 3);
  s = run(p, b, n, rgb, NULL, msg, sizeof msg, &allocs);
  for (i = 0; i < (size_t)p->cfg.size * p->cfg.size * 3; i++) untouched &= rgb[i] == 0xA5;
  si = bc_image_info(b, n, &w, &h, &c, NULL, 0);
  check(s == want && si == want && (!want_msg || strstr(msg, want_msg) != NULL) && allocs <= 0 && untouched &&
            strchr(msg, '\n') == NULL,
        "%s -> %s \"%s\" (allocations %s, info agrees %d)", what, bc_status_str(s), msg,
        allocs < 0 ? "not counted in this build" : allocs == 0 ? "0" : "> 0", si == want);
  free(rgb);
}

static void test_errors(void) {
  const bc_preprocessor *p = get_pp(96);
  uint8_t buf[256], *img, *cut;
  size_t n, i;
  int w, h, c, k;
  char msg[256], what[128];
  uint32_t seed = 12345;
  long allocs;
  bc_status s;

  expect(p, buf, 0, BC_ERR_EMPTY, "empty file", "0 bytes");
  expect(p, NULL, 0, BC_ERR_EMPTY, "empty file", "NULL, 0 bytes");
  for (k = 0; k < 6; k++) {
    size_t len = k == 0 ? 1 : (size_t)(7 * k * k + 3);
    for (i = 0; i < sizeof buf; i++) { seed = seed * 1103515245u + 12345u; buf[i] = (uint8_t)(seed >> 16); }
    if (buf[0] == 0xFF || buf[0] == 0x89 || buf[0] == 'B') buf[0] = 0;
    snprintf(what, sizeof what, "%d random bytes", (int)len);
    expect(p, buf, len, BC_ERR_NOT_IMAGE, "not an image (JPEG, PNG or BMP expected)", what);
  }
  /* formats not read here are named by their magic bytes (the app decodes some of them itself) */
  {
    static const struct { const char *bytes; size_t len; const char *msg; } named[] = {
        {"GIF89a\x01\x00\x01\x00", 10, "GIF images are not supported: save as JPEG or PNG"},
        {"GIF87a\x01\x00\x01\x00", 10, "GIF images are not supported"},
        {"II*\x00\x08\x00\x00\x00", 8, "TIFF images are not supported: save as JPEG or PNG"},
        {"MM\x00*\x00\x00\x00\x08", 8, "TIFF images are not supported"},
        {"RIFF\x24\x00\x00\x00WEBPVP8 ", 16, "WebP images are not supported"},
        {"\x00\x00\x00\x18" "ftypheic\x00\x00\x00\x00mif1heic", 24, "HEIC images are not supported: save as JPEG or PNG"},
        {"\x00\x00\x00\x18" "ftypheix\x00\x00\x00\x00mif1heix", 24, "HEIC images are not supported"},
        {"\x00\x00\x00\x18" "ftypmif1\x00\x00\x00\x00mif1heic", 24, "HEIF images are not supported"},
        {"\x00\x00\x00\x1c" "ftypavif\x00\x00\x00\x00avifmif1miaf", 28, "AVIF images are not supported"},
        {"\x00\x00\x00\x1c" "ftypmif1\x00\x00\x00\x00mif1avifmiaf", 28, "AVIF images are not supported"},
        {"\x00\x00\x00\x0cjP  \x0d\x0a\x87\x0a", 12, "JPEG 2000 images are not supported"},
        {"\xff\x4f\xff\x51\x00\x2f", 6, "JPEG 2000 images are not supported"},
        {"\xff\x0a\xfa\x7f", 4, "JPEG XL images are not supported"},
        {"%PDF-1.7\n", 9, "PDF files are not supported: save as JPEG or PNG"},
        {"8BPS\x00\x01", 6, "Photoshop (PSD) files are not supported"},
    };
    for (i = 0; i < sizeof named / sizeof named[0]; i++) {
      memcpy(buf, named[i].bytes, named[i].len);
      snprintf(what, sizeof what, "%.40s header", named[i].msg);
      expect(p, buf, named[i].len, BC_ERR_UNSUPPORTED, named[i].msg, what);
    }
    memset(buf, 0, 132);
    memcpy(buf + 128, "DICM", 4);
    expect(p, buf, 132, BC_ERR_UNSUPPORTED, "DICOM files are not supported", "DICOM preamble");
    /* an ISO media file that is no image format (an MP4 video) stays "not an image" */
    memcpy(buf, "\x00\x00\x00\x18" "ftypisom\x00\x00\x02\x00isomiso2", 24);
    expect(p, buf, 24, BC_ERR_NOT_IMAGE, "not an image (JPEG, PNG or BMP expected)", "MP4 header");
  }

  /* huge headers: rejected from the header, stb never allocates */
  n = make_png_header(buf, 30000, 30000);
  expect(p, buf, n, BC_ERR_TOO_LARGE, "image is 30000x30000 pixels; the limit is 40000000 pixels", "PNG claiming 30000x30000");
  bc_image_info(buf, n, &w, &h, &c, NULL, 0);
  check(w == 30000 && h == 30000, "bc_image_info reports the too-large size (%dx%d)", w, h);
  n = make_png_header(buf, 20000, 1);
  expect(p, buf, n, BC_ERR_TOO_LARGE, "image is 20000x1 pixels; the limit is 16384 pixels per side", "PNG claiming 20000x1");
  n = make_png_header(buf, 10000, 5000);
  expect(p, buf, n, BC_ERR_TOO_LARGE, "the limit is 40000000 pixels", "PNG claiming 10000x5000");
  n = make_png_header(buf, 0xFFFFFFFFu, 0xFFFFFFFFu);
  expect(p, buf, n, BC_ERR_TOO_LARGE, "image is 4294967295x4294967295", "PNG claiming 2^32-1 squared");
  n = make_png_header(buf, 30000, 30000);
  expect(p, buf, 30, BC_ERR_TOO_LARGE, "30000x30000", "PNG claiming 30000x30000, cut after IHDR dims");
  n = make_bmp_header(buf, 30000, 30000);
  expect(p, buf, n, BC_ERR_TOO_LARGE, "image is 30000x30000 pixels; the limit is 40000000 pixels", "BMP claiming 30000x30000");
  n = make_bmp_header(buf, 30000, -30000);
  expect(p, buf, n, BC_ERR_TOO_LARGE, "image is 30000x30000 pixels", "top-down BMP claiming 30000x30000");
  n = make_jpeg_header(buf, 30000, 30000);
  expect(p, buf, n, BC_ERR_TOO_LARGE, "image is 30000x30000 pixels; the limit is 40000000 pixels", "JPEG claiming 30000x30000");
  n = make_jpeg_header(buf, 65535, 1);
  expect(p, buf, n, BC_ERR_TOO_LARGE, "per side", "JPEG claiming 65535x1");
  n = make_png_header(buf, 0, 10);
  expect(p, buf, n, BC_ERR_CORRUPT, "corrupt PNG", "PNG claiming 0x10");
  n = make_bmp_header(buf, 10, 10);
  expect(p, buf, n, BC_ERR_TRUNCATED, "truncated BMP", "BMP 10x10 with 10 bytes of pixel data");

  /* truncated JPEG at several cut points (stb alone would fill with grey and return OK) */
  img = read_file("pbc_neutrophil_SNE_814256.jpg", &n);
  if (img) {
    size_t cuts[] = {3, 4, 20, 200, 700, n / 4, n / 2, n - 300, n - 3, n - 2, n - 1};
    uint8_t *big = (uint8_t *)malloc(n + 100), *rgb_a = (uint8_t *)malloc(96 * 96 * 3), *rgb_b = (uint8_t *)malloc(96 * 96 * 3);
    for (i = 0; i < sizeof cuts / sizeof cuts[0]; i++) {
      snprintf(what, sizeof what, "PBC JPEG cut to %d of %d bytes", (int)cuts[i], (int)n);
      cut = (uint8_t *)malloc(cuts[i]); /* exact-size copy, so ASan sees any over-read */
      memcpy(cut, img, cuts[i]);
      expect(p, cut, cuts[i], BC_ERR_TRUNCATED, "truncated JPEG (no end-of-image marker)", what);
      free(cut);
    }
    /* trailing bytes after EOI are accepted and ignored */
    memcpy(big, img, n);
    memset(big + n, 0, 100);
    s = run(p, img, n, rgb_a, NULL, msg, sizeof msg, NULL);
    s |= run(p, big, n + 100, rgb_b, NULL, msg, sizeof msg, NULL);
    check(s == BC_OK && memcmp(rgb_a, rgb_b, 96 * 96 * 3) == 0, "JPEG with 100 bytes of trailing zeros after EOI decodes the same");
    /* unsupported variants, spotted in the frame header */
    memcpy(big, img, n);
    for (i = 2; i + 8 < n; i++)
      if (big[i] == 0xFF && big[i + 1] == 0xC0) break;
    big[i + 1] = 0xC9;
    expect(p, big, n, BC_ERR_UNSUPPORTED, "unsupported: arithmetic-coded JPEG", "JPEG with SOF9");
    big[i + 1] = 0xC3;
    expect(p, big, n, BC_ERR_UNSUPPORTED, "unsupported: lossless JPEG", "JPEG with SOF3");
    big[i + 1] = 0xC0;
    big[i + 4] = 12;
    expect(p, big, n, BC_ERR_UNSUPPORTED, "unsupported: 12-bit JPEG", "12-bit JPEG");
    big[i + 4] = 8;
    /* damaged marker structure */
    memcpy(big, img, n);
    i = 4 + (((size_t)big[4] << 8) | big[5]); /* the marker after the first segment */
    big[i] = 0x12;
    expect(p, big, n, BC_ERR_CORRUPT, "corrupt JPEG (expected a marker at byte", "JPEG with a damaged second marker");
    memcpy(big, img, n);
    big[i + 1] = 0x05;
    expect(p, big, n, BC_ERR_CORRUPT, "corrupt JPEG (unexpected marker 0xFF05", "JPEG with a reserved marker");
    /* a Huffman table claiming more than 256 codes: stb 2.27 would write past its tables (found by fuzzing) */
    memcpy(big, img, n);
    for (i = 2; i + 30 < n; i++)
      if (big[i] == 0xFF && big[i + 1] == 0xC4) break;
    big[i + 5 + 8] = 200; /* counts of two code lengths in the first table */
    big[i + 5 + 9] = 200;
    expect(p, big, n, BC_ERR_CORRUPT, "corrupt JPEG (bad Huffman table)", "JPEG with a 400-code Huffman table");
    /* garbage inside the entropy-coded data: JPEG has no checksum, must not crash (result may be OK) */
    memcpy(big, img, n);
    for (k = 0; k < 200; k++) { seed = seed * 1103515245u + 12345u; big[n / 3 + (seed >> 8) % (n / 2)] = (uint8_t)(seed >> 3); }
    s = run(p, big, n, rgb_a, NULL, msg, sizeof msg, NULL);
    check(strchr(msg, '\n') == NULL, "JPEG with 200 random bytes in its scan data -> %s \"%s\"", bc_status_str(s), msg);
    free(big); free(rgb_a); free(rgb_b);
    free(img);
  } else {
    check(0, "read the PBC JPEG fixture");
  }

  /* truncated / damaged PNG */
  img = read_file("rgb_37x41.png", &n);
  if (img) {
    size_t cuts[] = {4, 8, 12, 20, 30, 33, 40, 60, n / 2, n - 13, n - 12, n - 4, n - 1};
    uint8_t *bad = (uint8_t *)malloc(n);
    for (i = 0; i < sizeof cuts / sizeof cuts[0]; i++) {
      snprintf(what, sizeof what, "PNG cut to %d of %d bytes", (int)cuts[i], (int)n);
      cut = (uint8_t *)malloc(cuts[i]);
      memcpy(cut, img, cuts[i]);
      expect(p, cut, cuts[i], BC_ERR_TRUNCATED, "truncated PNG", what);
      free(cut);
    }
    memcpy(bad, img, n);
    for (k = 0; k < 64; k++) bad[60 + k] ^= 0x5A; /* inside the zlib stream */
    expect(p, bad, n, BC_ERR_CORRUPT, "corrupt PNG (CRC mismatch in the IDAT chunk)", "PNG with damaged IDAT data");
    fix_png_crcs(bad, n); /* same damage with valid CRCs: stb sees it (or not); must not crash or leak */
    s = run(p, bad, n, NULL, NULL, msg, sizeof msg, &allocs);
    check(strchr(msg, '\n') == NULL, "PNG with damaged IDAT data and recomputed CRCs -> %s \"%s\" (stb checks no Adler-32)",
          bc_status_str(s), msg);
    memcpy(bad, img, n);
    bad[29] ^= 1; /* IHDR CRC */
    expect(p, bad, n, BC_ERR_CORRUPT, "corrupt PNG (CRC mismatch in the IHDR chunk)", "PNG with a bad IHDR CRC");
    memcpy(bad, img, n);
    bad[12] = 'X';
    expect(p, bad, n, BC_ERR_CORRUPT, "corrupt PNG", "PNG whose first chunk is not IHDR");
    memcpy(bad, img, n);
    bad[33] = 0xFF; /* length of the chunk after IHDR > 2^31 */
    expect(p, bad, n, BC_ERR_CORRUPT, "corrupt PNG", "PNG with a chunk length over 2^31");
    free(bad);
    free(img);
  }

  /* truncated / unsupported BMP */
  img = read_file("rgb_41x37.bmp", &n);
  if (img) {
    size_t cuts[] = {2, 10, 17, 30, 54, 100, n / 2, n - 1};
    for (i = 0; i < sizeof cuts / sizeof cuts[0]; i++) {
      snprintf(what, sizeof what, "BMP cut to %d of %d bytes", (int)cuts[i], (int)n);
      cut = (uint8_t *)malloc(cuts[i]);
      memcpy(cut, img, cuts[i]);
      expect(p, cut, cuts[i], BC_ERR_TRUNCATED, "truncated BMP", what);
      free(cut);
    }
    cut = (uint8_t *)malloc(n);
    memcpy(cut, img, n);
    cut[30] = 1; /* BI_RLE8 */
    expect(p, cut, n, BC_ERR_UNSUPPORTED, "unsupported: RLE-compressed BMP", "BMP with RLE compression");
    memcpy(cut, img, n);
    cut[28] = 2; /* 2 bits per pixel */
    expect(p, cut, n, BC_ERR_UNSUPPORTED, "unsupported: 2-bit BMP", "2-bit BMP");
    memcpy(cut, img, n);
    cut[14] = 99; /* unknown info header size */
    expect(p, cut, n, BC_ERR_UNSUPPORTED, "unsupported: BMP", "BMP with a 99-byte info header");
    free(cut);
    free(img);
  }

  /* every prefix of a small PNG and JPEG: never OK, never a crash, never an stb leak */
  {
    static const char *names[2] = {"grey_64x60.jpg", "palette_trns_39x41.png"};
    int f2;
    for (f2 = 0; f2 < 2; f2++) {
      int okall = 1;
      img = read_file(names[f2], &n);
      if (!img) { check(0, "read %s", names[f2]); continue; }
      for (i = 1; i < n; i++) {
        cut = (uint8_t *)malloc(i);
        memcpy(cut, img, i);
        s = run(p, cut, i, NULL, NULL, msg, sizeof msg, NULL);
        if (s == BC_OK || (i >= 4 && s != BC_ERR_TRUNCATED && s != BC_ERR_CORRUPT)) {
          okall = 0;
          printf("  prefix %d of %s -> %s \"%s\"\n", (int)i, names[f2], bc_status_str(s), msg);
        }
        free(cut);
      }
      check(okall, "all %d proper prefixes of %s are rejected as truncated/corrupt", (int)n - 1, names[f2]);
      free(img);
    }
  }

  /* info on good files */
  img = read_file("rgba_50x50.png", &n);
  s = img ? bc_image_info(img, n, &w, &h, &c, msg, sizeof msg) : BC_ERR_ARGUMENT;
  check(s == BC_OK && w == 50 && h == 50 && c == 4 && msg[0] == 0, "bc_image_info RGBA PNG: %dx%d, %d channels", w, h, c);
  free(img);
  img = read_file("pbc_platelet_PLATELET_851518.jpg", &n);
  s = img ? bc_image_info(img, n, &w, &h, &c, msg, sizeof msg) : BC_ERR_ARGUMENT;
  check(s == BC_OK && w == 360 && h == 363 && c == 3, "bc_image_info PBC JPEG: %dx%d, %d channels", w, h, c);
  free(img);
  img = read_file("rgba_40x40.bmp", &n);
  s = img ? bc_image_info(img, n, &w, &h, &c, msg, sizeof msg) : BC_ERR_ARGUMENT;
  check(s == BC_OK && w == 40 && h == 40 && c == 3, "bc_image_info 32-bit BI_RGB BMP: %dx%d, %d channels (alpha ignored as PIL does)", w, h, c);
  free(img);
  img = read_file("cmyk_64x60.jpg", &n);
  s = img ? bc_image_info(img, n, &w, &h, &c, msg, sizeof msg) : BC_ERR_ARGUMENT;
  check(s == BC_OK && w == 64 && h == 60, "bc_image_info CMYK JPEG: %dx%d, %d channels (stb decodes Adobe CMYK)", w, h, c);
  if (img) { /* the same file without its Adobe marker: stb would mis-colour it, so it is refused */
    for (i = 2; i + 12 < n; i++)
      if (img[i] == 0xFF && img[i + 1] == 0xEE) { img[i + 1] = 0xEF; break; }
    expect(p, img, n, BC_ERR_UNSUPPORTED, "unsupported: 4-channel JPEG without an Adobe", "CMYK JPEG with its APP14 renamed");
  }
  free(img);
}

/* decode memory: the stb buffers of one PBC JPEG are freed, and repeated calls do not grow anything */
/* A top-down BMP (negative height) decodes to the same pixels as its bottom-up twin (regression: stb 2.27's
 * info call reports the height negative; found while building the fuzz corpus). */
static void test_topdown_bmp(void) {
  const bc_preprocessor *p = get_pp(32);
  size_t n = 0, i;
  uint8_t *img = read_file("rgb_41x37.bmp", &n), *td;
  uint8_t rgb1[32 * 32 * 3], rgb2[32 * 32 * 3];
  char msg[256];
  int w = 0, h = 0, c = 0;
  if (!img) { check(0, "read rgb_41x37.bmp"); return; }
  td = (uint8_t *)malloc(n);
  memcpy(td, img, n);
  {
    const size_t off = (size_t)img[10] | (size_t)img[11] << 8, stride = ((41 * 24 + 31) / 32) * 4;
    put_le32(td + 22, (uint32_t)-37);
    for (i = 0; i < 37; i++) memcpy(td + off + i * stride, img + off + (36 - i) * stride, stride);
  }
  {
    const bc_status si = bc_image_info(td, n, &w, &h, &c, msg, sizeof msg);
    check(si == BC_OK && w == 41 && h == 37, "bc_image_info top-down BMP: %dx%d (%s)", w, h, msg);
  }
  check(bc_preprocess(p, img, n, rgb1, NULL, msg, sizeof msg) == BC_OK &&
            bc_preprocess(p, td, n, rgb2, NULL, msg, sizeof msg) == BC_OK && memcmp(rgb1, rgb2, sizeof rgb1) == 0,
        "top-down BMP decodes like its bottom-up twin (%s)", msg);
  free(td);
  free(img);
}

/* A scan that names a Huffman table no DHT defined is refused before stb decodes it (regression: stb 2.27
 * reads outside the table; fuzz finding). Each DHT of a progressive and a baseline JPEG renamed to APP15 in turn. */
static void test_undefined_huffman(void) {
  static const char *files[] = {"rgb420_prog_101x99.jpg", "pbc_neutrophil_SNE_814256.jpg"};
  const bc_preprocessor *p = get_pp(32);
  size_t f, n = 0, i;
  char msg[256];
  for (f = 0; f < 2; f++) {
    uint8_t *img = read_file(files[f], &n);
    int tables = 0, refused = 0, first_refused = 0;
    if (!img) { check(0, "read %s", files[f]); continue; }
    for (i = 2; i + 1 < n; i++) {
      if (img[i] != 0xFF || img[i + 1] != 0xC4) continue;
      img[i + 1] = 0xEF;
      tables++;
      if (bc_preprocess(p, img, n, NULL, NULL, msg, sizeof msg) == BC_ERR_CORRUPT && strstr(msg, "Huffman table that is not defined")) {
        refused++;
        if (tables == 1) first_refused = 1;
      }
      img[i + 1] = 0xC4;
    }
    /* a progressive file redefines tables between scans, so only a first definition is always needed */
    check(first_refused && (f == 0 || refused == tables), "%s: %d of its %d DHT segments are needed and removing one is refused",
          files[f], refused, tables);
    free(img);
  }
}

static void test_memory(void) {
  size_t n;
  uint8_t *img = read_file("pbc_platelet_PLATELET_851518.jpg", &n), rgb[96 * 96 * 3];
  const bc_preprocessor *p = get_pp(96);
  char msg[128];
  int k, ok = 1;
  if (!img) { check(0, "read PBC JPEG"); return; }
  size_t b0 = bytes_in_use();
  long a0 = g_allocs;
  g_peak_req = 0;
  for (k = 0; k < 20; k++) ok &= run(p, img, n, rgb, NULL, msg, sizeof msg, NULL) == BC_OK;
  if (g_allocs >= 0)
    check(ok && (long)bytes_in_use() - (long)b0 <= LEAK_SLACK,
          "20 decodes of a 360x363 JPEG leave nothing behind (%ld allocations per call, largest %lu bytes)",
          (g_allocs - a0) / 20, (unsigned long)g_peak_req);
  else
    check(ok && (long)bytes_in_use() - (long)b0 <= LEAK_SLACK,
          "20 decodes of a 360x363 JPEG leave nothing behind (bytes in use %lu before, %lu after)", (unsigned long)b0,
          (unsigned long)bytes_in_use());
  free(img);
}

static double now_s(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

static int bench_once(const uint8_t *img, size_t n) {
  static const int sizes[2] = {96, 128};
  const int runs = 200;
  int si, k, w = 0, h = 0, c;
  char msg[128];
  double t0;
  for (si = 0; si < 2; si++) {
    int S = sizes[si];
    const bc_preprocessor *p = get_pp(S);
    uint8_t *rgb = (uint8_t *)malloc((size_t)S * S * 3);
    int8_t *t = (int8_t *)malloc((size_t)S * S * 3);
    uint8_t *px;
    double t_all, t_rs;
    for (k = 0; k < 100; k++) bc_preprocess(p, img, n, rgb, t, msg, sizeof msg); /* warm-up */
    t0 = now_s();
    for (k = 0; k < runs; k++) bc_preprocess(p, img, n, rgb, t, msg, sizeof msg);
    t_all = (now_s() - t0) / runs;
    px = stbi_load_from_memory(img, (int)n, &w, &h, &c, 4); /* held only now: it changes glibc's mmap threshold */
    if (!px) { printf("decode failed\n"); return 1; }
    t0 = now_s();
    for (k = 0; k < runs; k++) bc_preprocess_pixels(p, px, w, h, 4, rgb, t, msg, sizeof msg);
    t_rs = (now_s() - t0) / runs;
    printf("  S=%d: bc_preprocess (validate+decode+crop+resize+quantize) %.3f ms; bc_preprocess_pixels on the decoded "
           "%dx%d RGBA (crop+resize+quantize) %.3f ms; so validate+decode %.3f ms (%.0f%%)\n", S, 1e3 * t_all, w, h,
           1e3 * t_rs, 1e3 * (t_all - t_rs), 100.0 * (t_all - t_rs) / t_all);
    stbi_image_free(px);
    free(rgb); free(t);
  }
  return 0;
}

/* Averages over 200 runs. glibc serves the ~0.5 MB decode buffers with mmap (fresh pages every call) until a
 * free raises its threshold, so the decode share depends on the allocator's state; both cases are shown
 * (wasm's linear memory behaves like the second). */
static int bench(void) {
  size_t n;
  uint8_t *img = read_file("pbc_neutrophil_SNE_814256.jpg", &n);
  int r;
  if (!img) { printf("cannot read the PBC JPEG fixture from %s\n", g_dir); return 1; }
  printf("averages over 200 runs of pbc_neutrophil_SNE_814256.jpg (%d bytes), allocator defaults:\n", (int)n);
  r = bench_once(img, n);
#ifdef BC_GLIBC_MALLOC
  mallopt(M_MMAP_THRESHOLD, 64 << 20);
  mallopt(M_TRIM_THRESHOLD, 128 << 20);
  printf("same with large blocks kept in the heap (M_MMAP_THRESHOLD 64 MB, no trimming):\n");
  r |= bench_once(img, n);
#endif
  free(img);
  return r;
}

int main(int argc, char **argv) {
  int i, do_bench = 0;
  for (i = 1; i < argc; i++) {
    if (strcmp(argv[i], "--bench") == 0) do_bench = 1;
    else g_dir = argv[i];
  }
  if (do_bench) {
    int r = bench();
    for (i = 0; i < 4; i++) if (g_pp[i].size) bc_preprocessor_free(&g_pp[i].p);
    return r;
  }
  alloc_hooks_install();
  printf("allocation counting: %s\n", g_allocs < 0 ? "off (plain build: leak checks only; the sanitizer build counts)" : "on");
  test_config();
  test_lut();
  test_manifest();
  test_tensor();
  test_pixels();
  test_pixel_shapes();
  test_errors();
  test_topdown_bmp();
  test_undefined_huffman();
  test_memory();
  for (i = 0; i < 4; i++) if (g_pp[i].size) bc_preprocessor_free(&g_pp[i].p);
  printf("%d passed, %d failed\n", g_pass, g_fail);
  return g_fail ? 1 : 0;
}
