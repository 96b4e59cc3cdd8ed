/* test_frame.c - native tests for src/frame.c and resize mode 1 of src/preprocess.c (run from the repo root).
 *
 * Build: make build/native/test_frame (and build/native/san/test_frame under ASan + UBSan).
 * Run:   build/native/test_frame                      every check; one line each, then "N passed, M failed"
 *        build/native/test_frame --json S FILE...     one JSON line per file: the mode-1 frame result and an
 *                                                     FNV-1a hash of the S x S RGB the model sees (the wasm and
 *                                                     Python tests compare themselves with this)
 *        build/native/test_frame --synth DIR          writes the synthetic test images as BMP files into DIR
 *        build/native/test_frame --bench              ms per bc_frame_analyse on a PBC image and a 12 MP field
 *        build/native/test_frame --golden             prints tests/fixtures/frame/expected.tsv anew (after an
 *                                                     intended change of src/frame.c; review the diff)
 *
 * Synthetic images are drawn here with known red-cell diameters and white-cell positions, so their crops are
 * known exactly; the PBC fixtures (tests/fixtures/images, tests/fixtures/frame/README.md) are rescaled and cropped
 * by known factors, so their crops must follow by the same factors. */
#define _POSIX_C_SOURCE 199309L
#include <math.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define STBI_NO_STDIO
#include <stb/stb_image.h>
#include "frame.h"
#include "preprocess.h"

static int g_pass = 0, g_fail = 0;

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

static double now(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return t.tv_sec + t.tv_nsec * 1e-9;
}

/* ------------------------------------------------------------------------------------------------ */
/* images */

typedef struct img { int w, h, ch; uint8_t *px; } img;

static img img_new(int w, int h, int ch) {
  img m = {w, h, ch, (uint8_t *)calloc((size_t)w * h * ch, 1)};
  if (!m.px) { fprintf(stderr, "out of memory\n"); exit(2); }
  return m;
}

static void img_free(img *m) { free(m->px); m->px = NULL; }

static uint8_t *read_file(const char *path, size_t *n) {
  FILE *f = fopen(path, "rb");
  uint8_t *b;
  long len;
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

static img load_rgb(const char *path) {
  size_t n = 0;
  uint8_t *b = read_file(path, &n);
  img m = {0, 0, 3, NULL};
  int w, h, c;
  uint8_t *px;
  if (!b) return m;
  px = stbi_load_from_memory(b, (int)n, &w, &h, &c, 3);
  free(b);
  if (!px) return m;
  m = img_new(w, h, 3);
  memcpy(m.px, px, (size_t)w * h * 3);
  stbi_image_free(px);
  return m;
}

static void fill(img *m, const uint8_t c[3]) {
  size_t i;
  for (i = 0; i < (size_t)m->w * m->h; i++) memcpy(m->px + i * 3, c, 3);
}

/* pixels whose centre lies within r of (cx, cy) */
static void disk(img *m, double cx, double cy, double r, const uint8_t c[3]) {
  int x, y;
  for (y = (int)floor(cy - r) - 1; y <= (int)ceil(cy + r) + 1; y++)
    for (x = (int)floor(cx - r) - 1; x <= (int)ceil(cx + r) + 1; x++)
      if (x >= 0 && y >= 0 && x < m->w && y < m->h && (x + 0.5 - cx) * (x + 0.5 - cx) + (y + 0.5 - cy) * (y + 0.5 - cy) <= r * r)
        memcpy(m->px + ((size_t)y * m->w + x) * 3, c, 3);
}

static void blur3(img *m) {   /* one 3x3 box pass: soft edges as an objective gives them */
  img t = img_new(m->w, m->h, 3);
  int x, y, c, dx, dy;
  for (y = 0; y < m->h; y++)
    for (x = 0; x < m->w; x++)
      for (c = 0; c < 3; c++) {
        int s = 0, k = 0;
        for (dy = -1; dy <= 1; dy++)
          for (dx = -1; dx <= 1; dx++) {
            const int xx = x + dx, yy = y + dy;
            if (xx < 0 || yy < 0 || xx >= m->w || yy >= m->h) continue;
            s += m->px[((size_t)yy * m->w + xx) * 3 + c];
            k++;
          }
        t.px[((size_t)y * m->w + x) * 3 + c] = (uint8_t)((s + k / 2) / k);
      }
  img_free(m);
  *m = t;
}

static const uint8_t BG[3] = {250, 228, 205}, RBC[3] = {205, 167, 168}, PALLOR[3] = {236, 208, 192},
                     CYTO[3] = {222, 196, 214}, NUC[3] = {92, 40, 142};

static uint32_t lcg(uint32_t *s) { *s = *s * 1664525u + 1013904223u; return *s >> 8; }

typedef struct synth {
  int w, h;
  double rbc_d;           /* red-cell diameter, px; 0: none */
  double wbc_x, wbc_y;    /* white-cell centre; wbc_d 0: none */
  double wbc_d;
  uint32_t seed;
} synth;

/* A smear: non-overlapping red cells with central pallor on a background, one white cell (cytoplasm and a
 * round nucleus of 0.62 of its diameter). */
static img draw(const synth *s) {
  img m = img_new(s->w, s->h, 3);
  uint32_t seed = s->seed;
  double placed[4096][2];
  int n = 0, tries;
  fill(&m, BG);
  if (s->rbc_d > 0)
    for (tries = 0; tries < 20000 && n < 4096; tries++) {
      const double r = s->rbc_d / 2, x = (lcg(&seed) % 100000) / 100000.0 * (s->w + r) - r / 2,
                   y = (lcg(&seed) % 100000) / 100000.0 * (s->h + r) - r / 2;
      int k, ok = 1;
      if (s->wbc_d > 0 && hypot(x - s->wbc_x, y - s->wbc_y) < s->wbc_d / 2 + r + 3) continue;
      for (k = 0; k < n && ok; k++) ok = hypot(x - placed[k][0], y - placed[k][1]) >= s->rbc_d + 2;
      if (!ok) continue;
      placed[n][0] = x;
      placed[n][1] = y;
      n++;
      disk(&m, x, y, r, RBC);
      disk(&m, x, y, r * 0.38, PALLOR);
    }
  if (s->wbc_d > 0) {
    disk(&m, s->wbc_x, s->wbc_y, s->wbc_d / 2, CYTO);
    disk(&m, s->wbc_x, s->wbc_y, s->wbc_d * 0.31, NUC);
  }
  blur3(&m);
  return m;
}

static img box_down(const img *a, int k) {   /* exact k x k averages: a camera with k times fewer pixels */
  img m = img_new(a->w / k, a->h / k, 3);
  int x, y, c, dx, dy;
  for (y = 0; y < m.h; y++)
    for (x = 0; x < m.w; x++)
      for (c = 0; c < 3; c++) {
        int s = 0;
        for (dy = 0; dy < k; dy++)
          for (dx = 0; dx < k; dx++) s += a->px[((size_t)(y * k + dy) * a->w + x * k + dx) * 3 + c];
        m.px[((size_t)y * m.w + x) * 3 + c] = (uint8_t)((s + k * k / 2) / (k * k));
      }
  return m;
}

static img bilinear_up(const img *a, int k) {   /* k times more pixels, bilinear between pixel centres */
  img m = img_new(a->w * k, a->h * k, 3);
  int x, y, c;
  for (y = 0; y < m.h; y++)
    for (x = 0; x < m.w; x++) {
      double fx = (x + 0.5) / k - 0.5, fy = (y + 0.5) / k - 0.5;
      int x0, y0, x1, y1;
      double ax, ay;
      if (fx < 0) fx = 0;
      if (fy < 0) fy = 0;
      x0 = (int)fx; y0 = (int)fy;
      x1 = x0 + 1 < a->w ? x0 + 1 : x0; y1 = y0 + 1 < a->h ? y0 + 1 : y0;
      ax = fx - x0; ay = fy - y0;
      for (c = 0; c < 3; c++) {
        const double v = (1 - ay) * ((1 - ax) * a->px[((size_t)y0 * a->w + x0) * 3 + c] + ax * a->px[((size_t)y0 * a->w + x1) * 3 + c]) +
                         ay * ((1 - ax) * a->px[((size_t)y1 * a->w + x0) * 3 + c] + ax * a->px[((size_t)y1 * a->w + x1) * 3 + c]);
        m.px[((size_t)y * m.w + x) * 3 + c] = (uint8_t)(v + 0.5);
      }
    }
  return m;
}

static img crop_img(const img *a, int x0, int y0, int w, int h) {
  img m = img_new(w, h, 3);
  int y;
  for (y = 0; y < h; y++) memcpy(m.px + (size_t)y * w * 3, a->px + ((size_t)(y0 + y) * a->w + x0) * 3, (size_t)w * 3);
  return m;
}

static img to_channels(const img *a, int ch) {   /* grey (1), grey+alpha (2) or RGBA (4) with opaque alpha */
  img m = img_new(a->w, a->h, ch);
  size_t i;
  for (i = 0; i < (size_t)a->w * a->h; i++) {
    const uint8_t *p = a->px + i * 3;
    const uint8_t g = (uint8_t)((77 * p[0] + 150 * p[1] + 29 * p[2] + 128) >> 8);
    if (ch == 1) m.px[i] = g;
    else if (ch == 2) { m.px[i * 2] = g; m.px[i * 2 + 1] = 255; }
    else { memcpy(m.px + i * 4, p, 3); m.px[i * 4 + 3] = 255; }
  }
  return m;
}

static bc_frame_scratch g_fs;

static bc_status analyse(const img *m, bc_frame_result *r) {
  const bc_frame_image im = {m->px, m->w, m->h, m->ch, 0};
  return bc_frame_analyse(&g_fs, &im, r);
}

static double crop_cx(const bc_frame_result *r) { return r->crop_x0 + r->crop_side / 2.0; }
static double crop_cy(const bc_frame_result *r) { return r->crop_y0 + r->crop_side / 2.0; }
static double expected_side(double d) { return BC_FRAME_PBC_SIDE * d * 16.0 / BC_FRAME_PBC_RBC_X16; }

/* ------------------------------------------------------------------------------------------------ */
/* tests */

/* Known images, known crops: red cells of a drawn diameter give a crop of 360 * d / the PBC diameter,
 * centred on the drawn white cell. */
static void test_synthetic_known(void) {
  static const double ds[] = {14, 24, 40, 66, 100};
  size_t i;
  for (i = 0; i < sizeof ds / sizeof ds[0]; i++) {
    const double d = ds[i];
    const int w = (int)(d * 7.3), h = (int)(d * 6.1);
    const synth s = {w, h, d, w * 0.47, h * 0.53, d * 1.7, 7u + (uint32_t)i};
    img m = draw(&s);
    bc_frame_result r;
    const bc_status st = analyse(&m, &r);
    const double est = r.rbc_diameter_x16 / 16.0, side = expected_side(d);
    check(st == BC_OK && r.path == BC_FRAME_RBC, "synthetic %dx%d, red cells %.0f px: path %s", w, h, d,
          bc_frame_path_name(r.path));
    check(fabs(est - d) <= 0.04 * d + 0.5, "  red-cell diameter %.2f px (drawn %.0f, within 4%% + 0.5 px); %d cells agree", est,
          d, r.rbc_count);
    check(fabs(r.crop_side - side) <= 0.04 * side + 1, "  crop side %d (expected %.1f within 4%%)", r.crop_side, side);
    check(r.has_cell && fabs(crop_cx(&r) - s.wbc_x) <= 2 + d * 0.05 && fabs(crop_cy(&r) - s.wbc_y) <= 2 + d * 0.05,
          "  crop centred on the white cell: (%.1f, %.1f) vs drawn (%.1f, %.1f)", crop_cx(&r), crop_cy(&r), s.wbc_x, s.wbc_y);
    img_free(&m);
  }
}

static void test_fallbacks(void) {
  bc_status st;
  bc_frame_result r;
  img m;
  {   /* a white cell on an empty background: no ruler, cell of PBC size in the frame -> centre crop */
    const synth s = {300, 240, 0, 150, 120, 90, 1};
    m = draw(&s);
    st = analyse(&m, &r);
    check(st == BC_OK && r.path == BC_FRAME_CENTRE && r.rbc_diameter_x16 == 0 && r.has_cell,
          "no red cells, cell 30%% of the frame: centre crop (path %s, cell %d)", bc_frame_path_name(r.path), r.has_cell);
    check(r.crop_side == 240 && r.crop_x0 == 30 && r.crop_y0 == 0, "  the centre crop is mode 0's: side %d at (%d, %d)",
          r.crop_side, r.crop_x0, r.crop_y0);
    img_free(&m);
  }
  {   /* a white cell filling the frame, no red cells: the CELL path shrinks it to PBC's median cell size */
    const synth s = {120, 120, 0, 62, 58, 160, 2};
    double side;
    m = draw(&s);
    analyse(&m, &r);
    side = (double)(r.cell_x1 - r.cell_x0 > r.cell_y1 - r.cell_y0 ? r.cell_x1 - r.cell_x0 : r.cell_y1 - r.cell_y0) *
           BC_FRAME_PBC_SIDE / BC_FRAME_PBC_CELL;
    check(r.path == BC_FRAME_CELL && abs(r.crop_side - (int)(side + 0.5)) <= 1 && r.crop_side > 120,
          "no red cells, cell %d px of a 120 px frame: path %s, crop side %d (cell box * %d / %d = %.1f)",
          r.cell_x1 - r.cell_x0, bc_frame_path_name(r.path), r.crop_side, BC_FRAME_PBC_SIDE, BC_FRAME_PBC_CELL, side);
    check(r.crop_x0 < 0 && r.crop_y0 < 0, "  the crop reaches beyond the image (at %d, %d)", r.crop_x0, r.crop_y0);
    img_free(&m);
  }
  {   /* uniform and black images */
    static const uint8_t grey[3] = {128, 128, 128}, black[3] = {0, 0, 0};
    m = img_new(200, 150, 3);
    fill(&m, grey);
    st = analyse(&m, &r);
    check(st == BC_OK && r.path == BC_FRAME_CENTRE && !r.has_cell && r.rbc_diameter_x16 == 0,
          "uniform grey 200x150: centre crop, no cell, no ruler");
    check(r.bg_r == 128 && r.bg_g == 128 && r.bg_b == 128, "  background (%d,%d,%d)", r.bg_r, r.bg_g, r.bg_b);
    fill(&m, black);
    st = analyse(&m, &r);
    check(st == BC_OK && r.path == BC_FRAME_CENTRE && !r.has_cell, "black 200x150: centre crop, no cell");
    img_free(&m);
  }
}

/* The shipped fixtures rescaled and cropped by known factors: the crop follows by the same factor. */
static void test_pbc_rescaled(void) {
  static const char *files[] = {
    "tests/fixtures/images/basophil_BA_114899.jpg", "tests/fixtures/images/eosinophil_EO_104169.jpg",
    "tests/fixtures/images/lymphocyte_LY_100275.jpg", "tests/fixtures/images/neutrophil_BNE_101082.jpg",
    "tests/fixtures/images/platelet_PLATELET_101132.jpg", "tests/fixtures/images/ig_IG_111589.jpg",
  };
  size_t i;
  int k;
  for (i = 0; i < sizeof files / sizeof files[0]; i++) {
    img a = load_rgb(files[i]);
    bc_frame_result r0, r;
    const char *name = strrchr(files[i], '/') + 1;
    if (!a.px) { check(0, "%s: cannot read", files[i]); continue; }
    analyse(&a, &r0);
    check(r0.path == BC_FRAME_RBC && r0.crop_side >= 360 * 80 / 100 && r0.crop_side <= 360 * 120 / 100,
          "%s: path %s, red cells %.1f px, crop side %d (PBC scale: within 20%% of 360)", name,
          bc_frame_path_name(r0.path), r0.rbc_diameter_x16 / 16.0, r0.crop_side);
    if (r0.path != BC_FRAME_RBC) { img_free(&a); continue; }
    for (k = 2; k <= 3; k++) {   /* k times fewer pixels */
      img b = box_down(&a, k);
      const double want = r0.crop_side / (double)k;
      analyse(&b, &r);
      check(r.path == BC_FRAME_RBC && fabs(r.crop_side - want) <= 0.08 * want &&
                fabs(crop_cx(&r) - crop_cx(&r0) / k) <= 3 + 0.03 * want && fabs(crop_cy(&r) - crop_cy(&r0) / k) <= 3 + 0.03 * want,
            "  1/%d: crop side %d (expected %.1f within 8%%), centre (%.1f, %.1f) vs (%.1f, %.1f)", k, r.crop_side, want,
            crop_cx(&r), crop_cy(&r), crop_cx(&r0) / k, crop_cy(&r0) / k);
      img_free(&b);
    }
    {
      img b = bilinear_up(&a, 2);
      const double want = r0.crop_side * 2.0;
      analyse(&b, &r);
      check(r.path == BC_FRAME_RBC && fabs(r.crop_side - want) <= 0.08 * want &&
                fabs(crop_cx(&r) - crop_cx(&r0) * 2) <= 3 + 0.03 * want && fabs(crop_cy(&r) - crop_cy(&r0) * 2) <= 3 + 0.03 * want,
            "  x2: crop side %d (expected %.1f within 8%%), centre (%.1f, %.1f) vs (%.1f, %.1f)", r.crop_side, want,
            crop_cx(&r), crop_cy(&r), crop_cx(&r0) * 2, crop_cy(&r0) * 2);
      img_free(&b);
    }
    {   /* cut to 300 x 300 off-centre: the crop stays where it was, in the original coordinates; 10%: fewer whole
     * red cells are left to measure */
      const int x0 = 40, y0 = 20;
      img b = crop_img(&a, x0, y0, 300, 300);
      analyse(&b, &r);
      if (r.path == BC_FRAME_RBC)
        check(abs(r.crop_side - r0.crop_side) <= 0.10 * r0.crop_side && fabs(crop_cx(&r) + x0 - crop_cx(&r0)) <= 4 &&
                  fabs(crop_cy(&r) + y0 - crop_cy(&r0)) <= 4,
              "  cut to 300x300 at (%d,%d): crop side %d (was %d), centre (%.1f, %.1f) vs (%.1f, %.1f)", x0, y0, r.crop_side,
              r0.crop_side, crop_cx(&r) + x0, crop_cy(&r) + y0, crop_cx(&r0), crop_cy(&r0));
      else   /* fewer whole red cells left: a fallback is allowed, but it must be the centre crop or the cell rule */
        check(r.path == BC_FRAME_CENTRE || r.path == BC_FRAME_CELL, "  cut to 300x300: no ruler left, path %s",
              bc_frame_path_name(r.path));
      img_free(&b);
    }
    img_free(&a);
  }
}

static void test_shapes_and_errors(void) {
  bc_status st;
  bc_frame_result r;
  img m;
  const synth s = {360, 363, 66, 180, 181, 110, 11};
  img base = draw(&s);
  bc_frame_result ref;
  int ch;
  analyse(&base, &ref);
  for (ch = 1; ch <= 4; ch++) {
    if (ch == 3) continue;
    m = to_channels(&base, ch);
    st = analyse(&m, &r);
    check(st == BC_OK, "%d-channel 360x363: status OK, path %s, red cells %.1f px", ch, bc_frame_path_name(r.path),
          r.rbc_diameter_x16 / 16.0);
    if (ch == 4) check(memcmp(&r, &ref, sizeof r) == 0, "  opaque RGBA gives exactly the RGB result");
    img_free(&m);
  }
  {   /* alpha: a transparent margin is white after compositing, as the preprocessing composites it */
    img a = to_channels(&base, 4);
    size_t i;
    for (i = 0; i < (size_t)a.w * a.h; i++)
      if (i % a.w < 20) a.px[i * 4 + 3] = 0;
    st = analyse(&a, &r);
    check(st == BC_OK && r.path == BC_FRAME_RBC, "RGBA with a transparent band: path %s",
          bc_frame_path_name(r.path));
    img_free(&a);
  }
  {
    static const int sizes[][2] = {{1, 1}, {8, 8}, {4000, 30}, {30, 4000}, {16384, 2}, {2, 16384}, {3, 1}};
    size_t i;
    for (i = 0; i < sizeof sizes / sizeof sizes[0]; i++) {
      const int w = sizes[i][0], h = sizes[i][1], mm = w < h ? w : h;
      m = img_new(w, h, 3);
      fill(&m, BG);
      if (w * h > 2) m.px[(size_t)(h / 2 * w + w / 2) * 3] = 40;   /* one dark pixel */
      st = analyse(&m, &r);
      check(st == BC_OK && r.path == BC_FRAME_CENTRE && r.crop_side == mm && r.crop_x0 == (w - mm) / 2 &&
                r.crop_y0 == (h - mm) / 2,
            "%dx%d: centre crop side %d at (%d, %d)", w, h, r.crop_side, r.crop_x0, r.crop_y0);
      img_free(&m);
    }
  }
  {   /* a drawn 4000x30 strip with red cells 20 px across, nearly all cut by the long borders: any clear answer */
    const synth strip = {4000, 30, 20, 2000, 15, 0, 5};
    m = draw(&strip);
    st = analyse(&m, &r);
    check(st == BC_OK && r.crop_side >= 1 && r.crop_side <= BC_MAX_IMAGE_DIM,
          "4000x30 strip of red cells: path %s, %.1f px, crop side %d", bc_frame_path_name(r.path),
          r.rbc_diameter_x16 / 16.0, r.crop_side);
    img_free(&m);
  }
  {
    bc_frame_image im = {base.px, base.w, base.h, 3, 0};
    im.channels = 5;
    st = bc_frame_analyse(&g_fs, &im, &r);
    check(st == BC_ERR_ARGUMENT && r.path == BC_FRAME_CENTRE && r.crop_side == 360,
          "5 channels: BC_ERR_ARGUMENT, the result is the centre crop");
    im.channels = 3;
    im.px = NULL;
    st = bc_frame_analyse(&g_fs, &im, &r);
    check(st == BC_ERR_ARGUMENT, "NULL pixels: BC_ERR_ARGUMENT");
    im.px = base.px;
    im.w = 0;
    st = bc_frame_analyse(&g_fs, &im, &r);
    check(st == BC_ERR_ARGUMENT, "width 0: BC_ERR_ARGUMENT");
    im.w = 20000;
    im.h = 1;
    st = bc_frame_analyse(&g_fs, &im, &r);
    check(st == BC_ERR_TOO_LARGE && r.crop_side == 1, "20000x1: BC_ERR_TOO_LARGE, centre crop");
    im.w = 7000;
    im.h = 7000;
    st = bc_frame_analyse(&g_fs, &im, &r);
    check(st == BC_ERR_TOO_LARGE, "7000x7000 (49 MP): BC_ERR_TOO_LARGE");
    check(bc_frame_analyse(NULL, &im, &r) == BC_ERR_ARGUMENT && bc_frame_analyse(&g_fs, NULL, &r) == BC_ERR_ARGUMENT &&
              bc_frame_analyse(&g_fs, &im, NULL) == BC_ERR_ARGUMENT,
          "NULL scratch, image or result: BC_ERR_ARGUMENT");
  }
  img_free(&base);
}

/* The largest accepted image: bounded time (one pass over the pixels, then the reduced copy). */
static void test_huge(void) {
  const int w = 6320, h = 6320;   /* 39.9 MP, just under BC_MAX_IMAGE_PIXELS */
  const synth s = {w / 8, h / 8, 9, w / 16, h / 16, 15, 3};
  img small = draw(&s), m = img_new(w, h, 3);
  bc_frame_result r;
  double t;
  int x, y;
  for (y = 0; y < h; y++)   /* 8x nearest upscale: red cells 72 px across */
    for (x = 0; x < w; x++) memcpy(m.px + ((size_t)y * w + x) * 3, small.px + ((size_t)(y / 8) * small.w + x / 8) * 3, 3);
  t = now();
  analyse(&m, &r);
  t = now() - t;
  check(r.path == BC_FRAME_RBC && fabs(r.rbc_diameter_x16 / 16.0 - 72) <= 0.06 * 72,
        "6320x6320 (39.9 MP), red cells 72 px: path %s, %.1f px, work factor %d", bc_frame_path_name(r.path),
        r.rbc_diameter_x16 / 16.0, r.work_factor);
  check(t < 5.0, "  analysed in %.0f ms (bound 5 s, any build)", t * 1e3);
  img_free(&m);
  img_free(&small);
}

static uint64_t fnv1a(const uint8_t *p, size_t n) {
  uint64_t h = 14695981039346656037ull;   /* FNV-1a 64-bit offset basis */
  size_t i;
  for (i = 0; i < n; i++) { h ^= p[i]; h *= 1099511628211ull; }
  return h;
}

static bc_preprocess_config cfg(int size) {
  bc_preprocess_config c = {size, {0.5f, 0.5f, 0.5f}, {0.25f, 0.25f, 0.25f}, 0.03f, -3};
  return c;
}

/* Mode 1 in the preprocessing: padding, and the same pixels as mode 0 when the frame is the centre crop. */
static void test_preprocess_modes(void) {
  bc_status st;
  bc_preprocessor p0, p1;
  const bc_preprocess_config c = cfg(64);
  uint8_t a[64 * 64 * 3], b[64 * 64 * 3];
  int8_t ta[64 * 64 * 3], tb[64 * 64 * 3];
  char msg[256];
  bc_frame_result fr;
  check(bc_preprocessor_init_mode(&p0, &c, BC_RESIZE_CENTRE) == BC_OK && bc_preprocessor_init_mode(&p1, &c, BC_RESIZE_FRAME) == BC_OK,
        "preprocessors for modes 0 and 1");
  {
    bc_preprocessor p2;
    check(bc_preprocessor_init_mode(&p2, &c, 2) == BC_ERR_ARGUMENT, "resize mode 2 refused");
    bc_preprocessor_free(&p2);
  }
  {   /* a frame that is the centre crop: mode 1 == mode 0, bit for bit */
    img m = img_new(90, 70, 3);
    fill(&m, BG);
    bc_preprocess_pixels(&p0, m.px, m.w, m.h, 3, a, ta, msg, sizeof msg);
    bc_preprocess_pixels_ex(&p1, m.px, m.w, m.h, 3, b, tb, &fr, msg, sizeof msg);
    check(fr.path == BC_FRAME_CENTRE && memcmp(a, b, sizeof a) == 0 && memcmp(ta, tb, sizeof ta) == 0,
          "centre path in mode 1 gives mode 0's bytes");
    img_free(&m);
  }
  {   /* a padded crop equals mode 0 on the image padded by hand */
    const synth s = {120, 120, 0, 62, 58, 160, 2};
    img m = draw(&s), pad;
    int x, y;
    bc_preprocess_pixels_ex(&p1, m.px, m.w, m.h, 3, a, ta, &fr, msg, sizeof msg);
    check(fr.path == BC_FRAME_CELL && fr.crop_x0 < 0, "padded crop: path %s, side %d at (%d, %d), background (%d,%d,%d)",
          bc_frame_path_name(fr.path), fr.crop_side, fr.crop_x0, fr.crop_y0, fr.bg_r, fr.bg_g, fr.bg_b);
    pad = img_new(fr.crop_side, fr.crop_side, 3);
    for (y = 0; y < pad.h; y++)
      for (x = 0; x < pad.w; x++) {
        const int sx = x + fr.crop_x0, sy = y + fr.crop_y0;
        uint8_t *o = pad.px + ((size_t)y * pad.w + x) * 3;
        if (sx >= 0 && sy >= 0 && sx < m.w && sy < m.h) memcpy(o, m.px + ((size_t)sy * m.w + sx) * 3, 3);
        else { o[0] = (uint8_t)fr.bg_r; o[1] = (uint8_t)fr.bg_g; o[2] = (uint8_t)fr.bg_b; }
      }
    bc_preprocess_pixels(&p0, pad.px, pad.w, pad.h, 3, b, tb, msg, sizeof msg);
    check(memcmp(a, b, sizeof a) == 0 && memcmp(ta, tb, sizeof ta) == 0, "  equals mode 0 on the image padded by hand");
    st = bc_preprocess_crop(&p0, m.px, m.w, m.h, 3, &fr, b, tb, msg, sizeof msg);
    check(st == BC_OK && memcmp(a, b, sizeof a) == 0,
          "  bc_preprocess_crop with that frame, in a mode 0 preprocessor, gives the same");
    check(a[0] == fr.bg_r && a[1] == fr.bg_g && a[2] == fr.bg_b, "  the corner is the background (%d,%d,%d)", a[0], a[1], a[2]);
    fr.crop_side = 0;
    st = bc_preprocess_crop(&p0, m.px, m.w, m.h, 3, &fr, b, tb, msg, sizeof msg);
    check(st == BC_ERR_ARGUMENT && msg[0],
          "  a crop of side 0 is refused: %s", msg);
    img_free(&pad);
    img_free(&m);
  }
  {   /* image bytes: a fixture through bc_preprocess_ex reports its frame; mode 0 reports the centre crop */
    size_t n = 0;
    uint8_t *bytes = read_file("tests/fixtures/images/neutrophil_BNE_101082.jpg", &n);
    bc_frame_result f0;
    st = bytes ? bc_preprocess_ex(&p1, bytes, n, a, ta, &fr, msg, sizeof msg) : BC_ERR_ARGUMENT;
    check(st == BC_OK && fr.path == BC_FRAME_RBC,
          "JPEG bytes in mode 1: path %s, crop side %d", bc_frame_path_name(fr.path), fr.crop_side);
    st = bytes ? bc_preprocess_ex(&p0, bytes, n, b, tb, &f0, msg, sizeof msg) : BC_ERR_ARGUMENT;
    check(st == BC_OK && f0.path == BC_FRAME_CENTRE &&
              f0.crop_side == 360 && f0.crop_y0 == 1 && f0.rbc_diameter_x16 == 0,
          "JPEG bytes in mode 0: centre crop side %d at (%d, %d), nothing estimated", f0.crop_side, f0.crop_x0, f0.crop_y0);
    st = bytes ? bc_preprocess_ex(&p1, bytes, n / 2, a, ta, &fr, msg, sizeof msg) : BC_ERR_ARGUMENT;
    check(st == BC_ERR_TRUNCATED,
          "truncated JPEG in mode 1: %s", msg);
    free(bytes);
  }
  bc_preprocessor_free(&p0);
  bc_preprocessor_free(&p1);
}

/* Deterministic: the same pixels give the same result, whatever was analysed before (no state kept). */
static void test_repeatable(void) {
  const synth s1 = {300, 280, 40, 140, 150, 70, 21}, s2 = {500, 400, 25, 100, 300, 45, 22};
  img a = draw(&s1), b = draw(&s2);
  bc_frame_result r1, r2, r3;
  analyse(&a, &r1);
  analyse(&b, &r2);
  analyse(&a, &r3);
  check(memcmp(&r1, &r3, sizeof r1) == 0, "same image, same result after another image");
  img_free(&a);
  img_free(&b);
}

/* Two derived PBC fixtures whose crops are known by construction (tests/fixtures/frame/README.md). */
static void test_derived_fixtures(void) {
  bc_frame_result r, full;
  img a = load_rgb("tests/fixtures/frame/pbc_tiled4_half.jpg"), b = load_rgb("tests/fixtures/frame/pbc_tight_LY_100275_140.png");
  img ly = load_rgb("tests/fixtures/images/lymphocyte_LY_100275.jpg");
  if (!a.px || !b.px || !ly.px) { check(0, "tests/fixtures/frame: cannot read the fixtures"); return; }
  analyse(&a, &r);
  /* four PBC images tiled 2 x 2 and halved: PBC's scale at half the pixels, four cells, one of them centred */
  check(r.path == BC_FRAME_RBC && r.cells_found == 4 && abs(r.crop_side - 180) <= 180 / 10,
        "4 PBC images tiled and halved: path %s, %d cells, crop side %d (expected 180 within 10%%)",
        bc_frame_path_name(r.path), r.cells_found, r.crop_side);
  {
    const double cx = crop_cx(&r), cy = crop_cy(&r);
    const int q = (cx >= 180) + 2 * (cy >= 181);
    const double qx = (q % 2) * 180 + 90, qy = (q / 2) * 181.5 + 90.75;   /* the centre of that quadrant */
    check(fabs(cx - qx) <= 25 && fabs(cy - qy) <= 25, "  the crop is centred on the cell of one quadrant: (%.1f, %.1f), "
          "quadrant centre (%.1f, %.1f)", cx, cy, qx, qy);
  }
  /* the lymphocyte cut to 140 x 140 around its cell: no whole red cell is left; the cell fills the frame */
  analyse(&ly, &full);
  analyse(&b, &r);
  check(r.path == BC_FRAME_CELL && abs(r.crop_side - full.crop_side) <= 0.15 * full.crop_side,
        "lymphocyte cut to 140x140: path %s, crop side %d (the uncut image's is %d; within 15%%)",
        bc_frame_path_name(r.path), r.crop_side, full.crop_side);
  check(fabs(crop_cx(&r) + 110 - crop_cx(&full)) <= 6 && fabs(crop_cy(&r) + 115 - crop_cy(&full)) <= 6,
        "  centred where the uncut image's crop is: (%.1f, %.1f) vs (%.1f, %.1f)", crop_cx(&r) + 110, crop_cy(&r) + 115,
        crop_cx(&full), crop_cy(&full));
  img_free(&a);
  img_free(&b);
  img_free(&ly);
}

static const char *const GOLDEN[] = {
  "tests/fixtures/images/basophil_BA_114899.jpg", "tests/fixtures/images/eosinophil_EO_104169.jpg",
  "tests/fixtures/images/erythroblast_ERB_108475.jpg", "tests/fixtures/images/ig_IG_111589.jpg",
  "tests/fixtures/images/lymphocyte_LY_100275.jpg", "tests/fixtures/images/monocyte_MO_107333.jpg",
  "tests/fixtures/images/neutrophil_BNE_101082.jpg", "tests/fixtures/images/platelet_PLATELET_101132.jpg",
  "tests/fixtures/frame/pbc_tiled4_half.jpg", "tests/fixtures/frame/pbc_tight_LY_100275_140.png",
};
#define GOLDEN_S 64

static bc_status golden_line(bc_preprocessor *p, const char *file, char *line, size_t len) {
  size_t n = 0, o;
  uint8_t *b = read_file(file, &n), rgb[GOLDEN_S * GOLDEN_S * 3];
  bc_frame_result fr;
  const int *f = (const int *)&fr;
  int k;
  bc_status s = b ? bc_preprocess_ex(p, b, n, rgb, NULL, &fr, NULL, 0) : BC_ERR_ARGUMENT;
  free(b);
  if (s != BC_OK) return s;
  o = (size_t)snprintf(line, len, "%s\t", file);
  for (k = 0; k < (int)(sizeof fr / sizeof(int)) && o < len; k++) o += (size_t)snprintf(line + o, len - o, "%s%d", k ? " " : "", f[k]);
  if (o < len) snprintf(line + o, len - o, "\t%016llx", (unsigned long long)fnv1a(rgb, sizeof rgb));
  return BC_OK;
}

/* Known images, known crops, to the bit: tests/fixtures/frame/expected.tsv holds each fixture's frame result
 * and a hash of the 64 px model input; any change of src/frame.c that moves a crop shows here. */
static void test_golden(void) {
  bc_preprocessor p;
  const bc_preprocess_config c = cfg(GOLDEN_S);
  size_t n = 0, i;
  char *want = (char *)read_file("tests/fixtures/frame/expected.tsv", &n), line[512];
  if (!want) { check(0, "tests/fixtures/frame/expected.tsv missing"); return; }
  want = (char *)realloc(want, n + 1);
  want[n] = 0;
  bc_preprocessor_init_mode(&p, &c, BC_RESIZE_FRAME);
  for (i = 0; i < sizeof GOLDEN / sizeof GOLDEN[0]; i++) {
    const bc_status s = golden_line(&p, GOLDEN[i], line, sizeof line);
    check(s == BC_OK && strstr(want, line) != NULL, "%s: frame and model input as in expected.tsv%s%s", GOLDEN[i],
          s == BC_OK && !strstr(want, line) ? "; now: " : "", s == BC_OK && !strstr(want, line) ? line : "");
  }
  bc_preprocessor_free(&p);
  free(want);
}

static int golden_main(void) {
  bc_preprocessor p;
  const bc_preprocess_config c = cfg(GOLDEN_S);
  size_t i;
  char line[512];
  bc_preprocessor_init_mode(&p, &c, BC_RESIZE_FRAME);
  printf("# file\tbc_frame_result (src/frame.h field order)\tFNV-1a 64 of the %d px RGB model input "
         "(build/native/test_frame --golden)\n", GOLDEN_S);
  for (i = 0; i < sizeof GOLDEN / sizeof GOLDEN[0]; i++) {
    if (golden_line(&p, GOLDEN[i], line, sizeof line) != BC_OK) { fprintf(stderr, "%s: cannot read\n", GOLDEN[i]); return 1; }
    printf("%s\n", line);
  }
  bc_preprocessor_free(&p);
  return 0;
}

static void bench(void) {
  img a = load_rgb("tests/fixtures/images/neutrophil_BNE_101082.jpg");
  const synth s = {4000, 3000, 60, 2000, 1500, 100, 9};
  img big = draw(&s);
  bc_frame_result r;
  double t;
  int i;
  t = now();
  for (i = 0; i < 200; i++) analyse(&a, &r);
  printf("bc_frame_analyse 360x363 PBC neutrophil: %.2f ms (mean of 200)\n", (now() - t) / 200 * 1e3);
  t = now();
  for (i = 0; i < 10; i++) analyse(&big, &r);
  printf("bc_frame_analyse 4000x3000 synthetic field: %.1f ms (mean of 10), path %s, %.1f px\n", (now() - t) / 10 * 1e3,
         bc_frame_path_name(r.path), r.rbc_diameter_x16 / 16.0);
  {   /* whole preprocessing of the JPEG bytes (decode, crop, resize to 128), mode 0 against mode 1 */
    size_t n = 0;
    uint8_t *bytes = read_file("tests/fixtures/images/neutrophil_BNE_101082.jpg", &n), *rgb = (uint8_t *)malloc(128 * 128 * 3);
    bc_preprocessor p0, p1;
    const bc_preprocess_config c = cfg(128);
    bc_preprocessor_init_mode(&p0, &c, BC_RESIZE_CENTRE);
    bc_preprocessor_init_mode(&p1, &c, BC_RESIZE_FRAME);
    t = now();
    for (i = 0; i < 200; i++) bc_preprocess(&p0, bytes, n, rgb, NULL, NULL, 0);
    printf("bc_preprocess, same JPEG to 128 px, mode 0: %.2f ms", (now() - t) / 200 * 1e3);
    t = now();
    for (i = 0; i < 200; i++) bc_preprocess_ex(&p1, bytes, n, rgb, NULL, &r, NULL, 0);
    printf("; mode 1: %.2f ms (mean of 200)\n", (now() - t) / 200 * 1e3);
    bc_preprocessor_free(&p0);
    bc_preprocessor_free(&p1);
    free(bytes);
    free(rgb);
  }
  img_free(&a);
  img_free(&big);
}

/* ------------------------------------------------------------------------------------------------ */

static int json_main(int S, int argc, char **argv) {
  bc_preprocessor p;
  const bc_preprocess_config c = cfg(S);
  uint8_t *rgb = (uint8_t *)malloc((size_t)S * S * 3);
  int i, k, bad = 0;
  if (!rgb || bc_preprocessor_init_mode(&p, &c, BC_RESIZE_FRAME) != BC_OK) { fprintf(stderr, "init failed\n"); return 2; }
  for (i = 0; i < argc; i++) {
    size_t n = 0;
    uint8_t *b = read_file(argv[i], &n);
    char msg[256] = "";
    bc_frame_result fr;
    const bc_status s = b ? bc_preprocess_ex(&p, b, n, rgb, NULL, &fr, msg, sizeof msg) : BC_ERR_ARGUMENT;
    free(b);
    printf("{\"file\": \"%s\", \"status\": %d", argv[i], (int)s);
    if (s == BC_OK) {
      const int *f = (const int *)&fr;
      printf(", \"frame\": [");
      for (k = 0; k < (int)(sizeof fr / sizeof(int)); k++) printf("%s%d", k ? ", " : "", f[k]);
      printf("], \"rgb_fnv1a\": \"%016llx\"", (unsigned long long)fnv1a(rgb, (size_t)S * S * 3));
    } else bad = 1;
    printf("}\n");
  }
  bc_preprocessor_free(&p);
  free(rgb);
  return bad;
}

static void write_bmp(const char *path, const img *m) {
  const int row = (m->w * 3 + 3) & ~3;
  const uint32_t size = 54 + (uint32_t)row * m->h;
  uint8_t hd[54] = {'B', 'M'};
  FILE *f = fopen(path, "wb");
  int y, x;
  if (!f) { fprintf(stderr, "cannot write %s\n", path); exit(2); }
#define PUT32(o, v) (hd[o] = (uint8_t)(v), hd[o + 1] = (uint8_t)((v) >> 8), hd[o + 2] = (uint8_t)((v) >> 16), hd[o + 3] = (uint8_t)((v) >> 24))
  PUT32(2, size); PUT32(10, 54); PUT32(14, 40); PUT32(18, (uint32_t)m->w); PUT32(22, (uint32_t)m->h);
  hd[26] = 1; hd[28] = 24; PUT32(34, (uint32_t)row * m->h);
#undef PUT32
  fwrite(hd, 1, 54, f);
  for (y = m->h - 1; y >= 0; y--) {
    uint8_t buf[3 * 4096 + 4] = {0};
    for (x = 0; x < m->w; x++) {
      const uint8_t *p = m->px + ((size_t)y * m->w + x) * 3;
      buf[x * 3] = p[2]; buf[x * 3 + 1] = p[1]; buf[x * 3 + 2] = p[0];
    }
    fwrite(buf, 1, (size_t)row, f);
  }
  fclose(f);
}

/* The synthetic images of the tests above, for the wasm and Python comparisons. */
static int synth_main(const char *dir) {
  static const synth cases[] = {
    {511, 427, 40, 240, 226, 68, 7}, {300, 240, 0, 150, 120, 90, 1}, {120, 120, 0, 62, 58, 160, 2},
    {800, 600, 22, 300, 310, 38, 4}, {97, 1203, 14, 48, 600, 24, 6},
  };
  size_t i;
  for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    char path[1024];
    img m = draw(&cases[i]);
    snprintf(path, sizeof path, "%s/synth_%dx%d_rbc%.0f.bmp", dir, cases[i].w, cases[i].h, cases[i].rbc_d);
    write_bmp(path, &m);
    img_free(&m);
  }
  return 0;
}

int main(int argc, char **argv) {
  if (bc_frame_scratch_init(&g_fs) != BC_OK) { fprintf(stderr, "out of memory\n"); return 2; }
  if (argc >= 3 && strcmp(argv[1], "--json") == 0) return json_main(atoi(argv[2]), argc - 3, argv + 3);
  if (argc == 3 && strcmp(argv[1], "--synth") == 0) return synth_main(argv[2]);
  if (argc == 2 && strcmp(argv[1], "--bench") == 0) { bench(); return 0; }
  if (argc == 2 && strcmp(argv[1], "--golden") == 0) return golden_main();
  test_synthetic_known();
  test_fallbacks();
  test_pbc_rescaled();
  test_shapes_and_errors();
  test_huge();
  test_preprocess_modes();
  test_repeatable();
  test_derived_fixtures();
  test_golden();
  bc_frame_scratch_free(&g_fs);
  bc_frame_scratch_free(&g_fs);   /* idempotent */
  bc_frame_scratch_free(NULL);
  printf("%d passed, %d failed\n", g_pass, g_fail);
  return g_fail ? 1 : 0;
}
