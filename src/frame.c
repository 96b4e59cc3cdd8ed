/* frame.c - see frame.h. C99, no mutable globals, no allocation after bc_frame_scratch_init.
 *
 * Integers throughout, except two Otsu thresholds and the white-cell choice, which use double with only
 * + - * / in a fixed order (IEEE-exact on both targets; no libm, no contraction: gcc -std=c99 keeps
 * -ffp-contract=off and wasm has no FMA), so native and wasm agree bit for bit. */
#include "frame.h"
#include "preprocess.h"
#include "kernels/kernels.h"

#include <stdlib.h>
#include <string.h>

enum { F_VOID = 1, F_NUC = 2, F_FG = 4, F_NEW = 8, F_DIM = 16 };

#define MIN_DISK_D2 9           /* red cells narrower than 6 work px are not measured */
#define FINE_R16 (8 * 16)       /* a ruler under 8 work px of radius is measured again, finer */
#define TARGET_R 12             /* ... at a factor that makes it about this many work px */
#define CLUSTER_PCT 15          /* disks within 15% of each other are one size */
#define NUC_FLOOR 63            /* nucleus: 255 - max(T_R, T_G) > max(Otsu, 63) */
#define RBC_FLOOR 10            /* red cells: 255 - min(T) > max(Otsu, 10) */
#define VOID_T 48               /* max(T) below this: black (vignette, border), neither cell nor background */
#define VOID_GROW 3             /* ... and so are the work px within 3 of it: the dark rim of an eyepiece circle */
#define MIN_PIECE 4             /* work px of nucleus worth keeping */
#define MIN_CELL 8              /* work px of nucleus that make a white cell */

typedef struct work {
  int W, H, f;             /* reduced size and factor */
  int rx0, ry0, rw, rh;    /* the image region it covers */
  int bg[3];
  int hue;                 /* the locator found the nucleus by its hue (field_nucleus) */
} work;

typedef struct ruler { int found, r16, count; } ruler;   /* r16: radius in work px * 16 */

/* ------------------------------------------------------------------------------------------------ */

void bc_frame_scratch_free(bc_frame_scratch *fs) {
  if (!fs) return;
  free(fs->rgb); free(fs->flags); free(fs->d2); free(fs->label); free(fs->stack);
  free(fs->acc); free(fs->vsum); free(fs->env_s); free(fs->env_t); free(fs->disks); free(fs->piece);
  memset(fs, 0, sizeof *fs);
}

bc_status bc_frame_scratch_init(bc_frame_scratch *fs) { return bc_frame_scratch_init_cap(fs, BC_FRAME_WORK_PIXELS); }

bc_status bc_frame_scratch_init_cap(bc_frame_scratch *fs, int work_pixels) {
  const size_t n = (size_t)work_pixels, side = BC_FRAME_WORK_SIDE;
  if (!fs) return BC_ERR_ARGUMENT;
  memset(fs, 0, sizeof *fs);
  if (work_pixels < BC_FRAME_WORK_PIXELS || work_pixels > BC_FRAME_LOCATE_PIXELS) return BC_ERR_ARGUMENT;
  fs->cap = work_pixels;
  fs->rgb = (uint8_t *)malloc(n * 3);
  fs->flags = (uint8_t *)malloc(n);
  fs->d2 = (int32_t *)malloc(n * sizeof(int32_t));
  fs->label = (int32_t *)malloc(n * sizeof(int32_t));
  fs->stack = (int32_t *)malloc(n * sizeof(int32_t));
  fs->acc = (uint32_t *)malloc(side * 4 * sizeof(uint32_t));
  fs->vsum = (uint16_t *)malloc(side * 4 * sizeof(uint16_t));
  fs->env_s = (int32_t *)malloc(side * sizeof(int32_t));
  fs->env_t = (int32_t *)malloc(side * sizeof(int32_t));
  /* the analysis' 65,536 px hold BC_FRAME_MAX_DISKS; a whole field at the locator's scale ~1,000 red cells */
  fs->max_disks = BC_FRAME_MAX_DISKS * (work_pixels / BC_FRAME_WORK_PIXELS);
  fs->disks = (bc_frame_disk *)malloc((size_t)fs->max_disks * sizeof(bc_frame_disk));
  fs->piece = (int32_t *)malloc(BC_FRAME_MAX_PIECES * 6 * sizeof(int32_t));
  if (!fs->rgb || !fs->flags || !fs->d2 || !fs->label || !fs->stack || !fs->acc || !fs->vsum || !fs->env_s || !fs->env_t ||
      !fs->disks || !fs->piece) {
    bc_frame_scratch_free(fs);
    return BC_ERR_NOMEM;
  }
  return BC_OK;
}

const char *bc_frame_path_name(int path) {
  switch (path) {
    case BC_FRAME_RBC: return "rbc";
    case BC_FRAME_CELL: return "cell";
    default: return "centre";
  }
}

/* ------------------------------------------------------------------------------------------------ */
/* small integer helpers */

static int64_t isqrt64(int64_t v) {   /* floor(sqrt(v)), v >= 0 */
  int64_t r = 0, bit = (int64_t)1 << 62;
  if (v <= 0) return 0;
  while (bit > v) bit >>= 2;
  while (bit) {
    if (v >= r + bit) { v -= r + bit; r = (r >> 1) + bit; }
    else r >>= 1;
    bit >>= 2;
  }
  return r;
}

static int64_t floor_div(int64_t a, int64_t b) {   /* b > 0 */
  int64_t q = a / b;
  return (a % b != 0 && a < 0) ? q - 1 : q;
}

static int clamp_int(int64_t v, int lo, int hi) { return v < lo ? lo : v > hi ? hi : (int)v; }

/* ------------------------------------------------------------------------------------------------ */
/* the reduced copy: f x f box averages of the region, alpha composited over white as preprocess.c does */

/* n pixels of 1 (grey), 2 (grey + alpha), 3 (RGB) or 4 (RGBA) channels as RGB; alpha composited over
 * white exactly like PIL's alpha_composite onto white: (c*a + 255*(255-a) + 127) / 255.  The
 * preprocessing (preprocess.c) and the framing share it, so both see the same pixels. */
void bc_pixels_to_rgb(const uint8_t *in, int n, int channels, int ignore_alpha, uint8_t *o) {
  int i;
  switch (channels) {
    case 3: memcpy(o, in, (size_t)n * 3); return;
    case 4:
      for (i = 0; i < n; i++, in += 4, o += 3) {
        unsigned a = ignore_alpha ? 255u : in[3];
        if (a == 255u) { o[0] = in[0]; o[1] = in[1]; o[2] = in[2]; continue; }
        {
          unsigned bg = 255u * (255u - a) + 127u;
          o[0] = (uint8_t)((in[0] * a + bg) / 255u);
          o[1] = (uint8_t)((in[1] * a + bg) / 255u);
          o[2] = (uint8_t)((in[2] * a + bg) / 255u);
        }
      }
      return;
    case 2:
      for (i = 0; i < n; i++, in += 2, o += 3)
        o[0] = o[1] = o[2] = (uint8_t)((in[0] * in[1] + 255u * (255u - in[1]) + 127u) / 255u);
      return;
    default:
      for (i = 0; i < n; i++, in++, o += 3) o[0] = o[1] = o[2] = in[0];
  }
}

/* The smallest factor >= f whose reduced copy of a rw x rh region fits budget px and BC_FRAME_WORK_SIDE a side. */
static int fit_factor(int rw, int rh, int budget, int64_t f) {
  if (f < 1) f = 1;
  while (((int64_t)rw + f - 1) / f * (((int64_t)rh + f - 1) / f) > budget ||
         ((int64_t)rw + f - 1) / f > BC_FRAME_WORK_SIDE || ((int64_t)rh + f - 1) / f > BC_FRAME_WORK_SIDE)
    f++;
  return (int)f;
}

static int factor_for(int rw, int rh, int budget) { return fit_factor(rw, rh, budget, isqrt64((int64_t)rw * rh / budget)); }

/* Each work row: the f image rows summed per byte into u16 column sums (a SIMD kernel; at most
 * VSUM_ROWS rows at a time so 255 * rows fits), then f columns of those per work pixel and channel. A work
 * pixel whose alpha sum is not all-opaque is summed again pixel by pixel after compositing over white, so
 * the result is exactly the average of the composited pixels. */
#define VSUM_ROWS 257
#ifdef __wasm_simd128__
#define u16_u8_vacc bc_u16_u8_vacc__wasmsimd
#else
#define u16_u8_vacc bc_u16_u8_vacc__scalar
#endif

static void reduce(bc_frame_scratch *fs, const bc_frame_image *im, work *wk) {
  const int f = wk->f, W = wk->W, H = wk->H, ch = im->channels;
  const int alpha = ch == 2 ? 1 : ch == 4 && !im->ignore_alpha ? 3 : -1;   /* as bc_pixels_to_rgb reads it */
  const size_t row_n = (size_t)wk->rw * (size_t)ch;
  int wy, x, y, c, k;
  for (wy = 0; wy < H; wy++) {
    const int y0 = wk->ry0 + wy * f, y1 = y0 + f < wk->ry0 + wk->rh ? y0 + f : wk->ry0 + wk->rh;
    uint32_t *acc = fs->acc;
    memset(acc, 0, (size_t)W * 4 * sizeof(uint32_t));
    for (y = y0; y < y1; y += VSUM_ROWS) {
      const int ye = y + VSUM_ROWS < y1 ? y + VSUM_ROWS : y1;
      int yy;
      memset(fs->vsum, 0, row_n * sizeof(uint16_t));
      for (yy = y; yy < ye; yy++)
        u16_u8_vacc(row_n, im->px + ((size_t)yy * (size_t)im->w + (size_t)wk->rx0) * (size_t)ch, fs->vsum);
      for (c = 0; c < W; c++) {
        const int xe = (c + 1) * f < wk->rw ? (c + 1) * f : wk->rw;
        for (k = 0; k < ch; k++) {
          uint32_t sum = 0;
          for (x = c * f; x < xe; x++) sum += fs->vsum[(size_t)x * ch + k];
          acc[c * 4 + k] += sum;
        }
      }
    }
    for (x = 0; x < W; x++) {
      const int bw = (x + 1) * f <= wk->rw ? f : wk->rw - x * f;
      const uint32_t cnt = (uint32_t)bw * (uint32_t)(y1 - y0);
      uint8_t *o = fs->rgb + ((size_t)wy * W + x) * 3;
      if (alpha >= 0 && acc[x * 4 + alpha] != 255u * cnt) {   /* some pixel not opaque: composite each */
        uint32_t s3[3] = {0, 0, 0};
        int xx;
        for (y = y0; y < y1; y++)
          for (xx = x * f; xx < x * f + bw; xx++) {
            uint8_t px[3];
            bc_pixels_to_rgb(im->px + ((size_t)y * (size_t)im->w + (size_t)(wk->rx0 + xx)) * (size_t)ch, 1, ch, 0, px);
            s3[0] += px[0]; s3[1] += px[1]; s3[2] += px[2];
          }
        for (c = 0; c < 3; c++) o[c] = (uint8_t)((s3[c] + cnt / 2) / cnt);
      } else {
        for (c = 0; c < 3; c++) o[c] = (uint8_t)((acc[x * 4 + (ch >= 3 ? c : 0)] + cnt / 2) / cnt);
      }
    }
  }
}

/* ------------------------------------------------------------------------------------------------ */
/* background and masks */

/* The brightest luminance level that is a local mode holding >= 10% of the pixels within +-8 levels; the
 * background colour is the mean of the pixels there. Without such a mode, the brightest tenth. Pixels darker
 * than min_luma are not counted (the locator: a phone photo's black surround can hold half the frame, and
 * the light gaps between packed red cells then fall under 10% of all pixels); the analysis counts all (0). */
static void background(const bc_frame_scratch *fs, work *wk, int min_luma) {
  const int n = wk->W * wk->H;
  int hist[256] = {0}, hs[256], v, i, lo = -1, hi = -1, c, m = 0;
  int64_t sum[3] = {0, 0, 0}, cnt = 0;
  for (i = 0; i < n; i++) {
    const uint8_t *p = fs->rgb + (size_t)i * 3;
    hist[(77 * p[0] + 150 * p[1] + 29 * p[2] + 128) >> 8]++;
  }
  for (v = min_luma; v < 256; v++) m += hist[v];
  for (v = 0; v < min_luma; v++) hist[v] = 0;
  for (v = 0; v < 256; v++) {
    int k;
    hs[v] = 0;
    for (k = v - 2; k <= v + 2; k++) if (k >= 0 && k < 256) hs[v] += hist[k];
  }
  for (v = 255; v >= 0 && lo < 0; v--) {
    int k, mass = 0, peak = 1;
    for (k = v - 8; k <= v + 8; k++) {
      if (k < 0 || k > 255) continue;
      mass += hist[k];
      if (hs[k] > hs[v]) peak = 0;
    }
    if (peak && hs[v] > 0 && (int64_t)mass * 10 >= m) { lo = v - 8; hi = v + 8; }
  }
  if (lo < 0) {   /* no mode: the brightest tenth */
    int acc = 0;
    for (v = 255; v >= 0; v--) { acc += hist[v]; if ((int64_t)acc * 10 >= m) break; }
    lo = v < 0 ? 0 : v;
    hi = 255;
  }
  for (i = 0; i < n; i++) {
    const uint8_t *p = fs->rgb + (size_t)i * 3;
    const int y = (77 * p[0] + 150 * p[1] + 29 * p[2] + 128) >> 8;
    if (y < lo || y > hi) continue;
    sum[0] += p[0]; sum[1] += p[1]; sum[2] += p[2];
    cnt++;
  }
  for (c = 0; c < 3; c++) wk->bg[c] = cnt ? (int)((sum[c] + cnt / 2) / cnt) : 255;
}

/* Otsu's threshold: values > t are the upper class; -1 when the histogram has a single level. */
static int otsu(const int64_t hist[256]) {
  int64_t n = 0, s = 0, w0 = 0, s0 = 0;
  double best = -1.0;
  int t, thr = -1;
  for (t = 0; t < 256; t++) { n += hist[t]; s += hist[t] * t; }
  for (t = 0; t < 255; t++) {
    w0 += hist[t];
    s0 += hist[t] * t;
    if (w0 == 0 || w0 == n) continue;
    {
      const double m0 = (double)s0 / (double)w0, m1 = (double)(s - s0) / (double)(n - w0);
      const double between = (double)w0 * (double)(n - w0) * (m0 - m1) * (m0 - m1);
      if (between > best) { best = between; thr = t; }
    }
  }
  return thr;
}

/* Two-threshold Otsu (three classes: background, faintly stained, nucleus); the upper threshold, values above
 * it are the darkest class; -1 when there are fewer than three levels. */
static int otsu3_upper(const int64_t hist[256]) {
  int64_t cn[257], cs[257];
  double best = -1.0;
  int a, b, thr = -1, lo = 0, hi = 255;
  cn[0] = cs[0] = 0;
  for (a = 0; a < 256; a++) { cn[a + 1] = cn[a] + hist[a]; cs[a + 1] = cs[a] + hist[a] * a; }
  while (lo < 255 && hist[lo] == 0) lo++;   /* empty ends change no class: skip them */
  while (hi > 0 && hist[hi] == 0) hi--;
  for (a = lo + 1; a < hi; a++) {      /* classes [0, a), [a, b), [b, 256) */
    const int64_t n0 = cn[a], s0 = cs[a];
    if (n0 == 0) continue;
    for (b = a + 1; b <= hi; b++) {
      const int64_t n1 = cn[b] - n0, s1 = cs[b] - s0, n2 = cn[256] - cn[b], s2 = cs[256] - cs[b];
      double v;
      if (n1 == 0 || n2 == 0) continue;
      v = (double)s0 * (double)s0 / (double)n0 + (double)s1 * (double)s1 / (double)n1 + (double)s2 * (double)s2 / (double)n2;
      if (v > best) { best = v; thr = b - 1; }
    }
  }
  return thr;
}

/* Black regions grow by VOID_GROW px (4-neighbour steps), and their pixels leave the nucleus histogram: the
 * dark, purple-grey rim of a phone photo's eyepiece circle is otherwise one huge "nucleus". */
static void grow_void(bc_frame_scratch *fs, const work *wk, int64_t hist[256]) {
  const int W = wk->W, H = wk->H, n = W * H;
  int i, step, any = 0;
  for (i = 0; i < n && !any; i++) any = fs->flags[i] & F_VOID;
  for (step = 0; any && step < VOID_GROW; step++) {
    for (i = 0; i < n; i++) {
      const int x = i % W;
      if (fs->flags[i] & F_VOID) continue;
      if ((x > 0 && (fs->flags[i - 1] & F_VOID)) || (x < W - 1 && (fs->flags[i + 1] & F_VOID)) ||
          (i >= W && (fs->flags[i - W] & F_VOID)) || (i < n - W && (fs->flags[i + W] & F_VOID)))
        fs->flags[i] |= F_NEW;
    }
    for (i = 0; i < n; i++)
      if (fs->flags[i] & F_NEW) {
        fs->flags[i] = F_VOID;
        hist[fs->rgb[(size_t)i * 3]]--;
      }
  }
  (void)H;
}

/* Transmittance T = pixel / background per channel, 0..255. */
static void transmittance_lut(const work *wk, uint8_t lut[3][256]) {
  int c, v;
  for (c = 0; c < 3; c++)
    for (v = 0; v < 256; v++) {
      const int bg = wk->bg[c] > 0 ? wk->bg[c] : 1, t = (v * 255 + bg / 2) / bg;
      lut[c][v] = (uint8_t)(t > 255 ? 255 : t);
    }
}

/* Sets F_VOID / F_NUC / F_FG. Overwrites rgb with (nucleus score, darkness) per pixel. */
static void masks(bc_frame_scratch *fs, const work *wk) {
  const int n = wk->W * wk->H;
  uint8_t lut[3][256];
  int64_t hist[256];
  int i, t_nuc, t_rbc;
  transmittance_lut(wk, lut);
  memset(hist, 0, sizeof hist);
  for (i = 0; i < n; i++) {
    uint8_t *p = fs->rgb + (size_t)i * 3;
    const int t0 = lut[0][p[0]], t1 = lut[1][p[1]], t2 = lut[2][p[2]];
    const int mx = t0 > t1 ? (t0 > t2 ? t0 : t2) : (t1 > t2 ? t1 : t2);
    const int mn = t0 < t1 ? (t0 < t2 ? t0 : t2) : (t1 < t2 ? t1 : t2);
    const int score = 255 - (t0 > t1 ? t0 : t1);
    p[0] = (uint8_t)score;
    p[1] = (uint8_t)(255 - mn);
    fs->flags[i] = mx < VOID_T ? F_VOID : 0;
    if (!fs->flags[i]) hist[score]++;
  }
  grow_void(fs, wk, hist);
  t_nuc = otsu3_upper(hist);
  if (t_nuc < NUC_FLOOR) t_nuc = NUC_FLOOR;
  memset(hist, 0, sizeof hist);
  for (i = 0; i < n; i++) {
    const uint8_t *p = fs->rgb + (size_t)i * 3;
    if (fs->flags[i]) continue;
    if (p[0] > t_nuc) fs->flags[i] = F_NUC;
    else hist[p[1]]++;
  }
  t_rbc = otsu(hist);
  if (t_rbc < RBC_FLOOR) t_rbc = RBC_FLOOR;
  for (i = 0; i < n; i++)
    if (!fs->flags[i] && fs->rgb[(size_t)i * 3 + 1] > t_rbc) fs->flags[i] = F_FG;
}

/* Holes in the red-cell mask (central pallor) become red cell, unless they touch the border or hold a
 * nucleus or void pixel (a white cell's cytoplasm ring must not swallow its nucleus). 4-connected. */
static void fill_holes(bc_frame_scratch *fs, const work *wk) {
  const int W = wk->W, H = wk->H, n = W * H;
  int32_t *seen = fs->label, *q = fs->stack;
  int i;
  for (i = 0; i < n; i++) seen[i] = 0;
  for (i = 0; i < n; i++) {
    int head = 0, tail = 0, keep = 0, k;
    if (seen[i] || (fs->flags[i] & F_FG)) continue;
    seen[i] = 1;
    q[tail++] = i;
    while (head < tail) {
      const int p = q[head++], x = p % W, y = p / W;
      int nb[4], m = 0, j;
      if (fs->flags[p] & (F_NUC | F_VOID)) keep = 1;
      if (x == 0 || y == 0 || x == W - 1 || y == H - 1) keep = 1;
      if (x > 0) nb[m++] = p - 1;
      if (x < W - 1) nb[m++] = p + 1;
      if (y > 0) nb[m++] = p - W;
      if (y < H - 1) nb[m++] = p + W;
      for (j = 0; j < m; j++)
        if (!seen[nb[j]] && !(fs->flags[nb[j]] & F_FG)) { seen[nb[j]] = 1; q[tail++] = nb[j]; }
    }
    if (!keep)
      for (k = 0; k < tail; k++) fs->flags[q[k]] |= F_FG;
  }
}

/* Exact squared Euclidean distance from each F_FG pixel to the nearest non-F_FG pixel (Meijster, Roerdink and
 * Hesselink 2000); outside the image counts as F_FG, so a cell cut by the border is not measured short. */
static void distance_transform(bc_frame_scratch *fs, const work *wk) {
  const int W = wk->W, H = wk->H;
  const int32_t inf = W + H + 1;
  int32_t *g = fs->d2, *s = fs->env_s, *t = fs->env_t;
  int x, y;
  for (x = 0; x < W; x++) {
    g[x] = (fs->flags[x] & F_FG) ? inf : 0;
    for (y = 1; y < H; y++) {
      const int i = y * W + x;
      g[i] = (fs->flags[i] & F_FG) ? (g[i - W] >= inf ? inf : g[i - W] + 1) : 0;
    }
    for (y = H - 2; y >= 0; y--) {
      const int i = y * W + x;
      if (g[i + W] < g[i]) g[i] = g[i + W] + 1;
    }
  }
  for (y = 0; y < H; y++) {
    int32_t *row = g + (size_t)y * W;
    int q = 0, u;
#define EDT_F(xx, ii) ((int64_t)((xx) - (ii)) * ((xx) - (ii)) + (int64_t)row[ii] * row[ii])
    s[0] = 0;
    t[0] = 0;
    for (u = 1; u < W; u++) {
      while (q >= 0 && EDT_F(t[q], s[q]) > EDT_F(t[q], u)) q--;
      if (q < 0) { q = 0; s[0] = u; }
      else {
        const int i = s[q];
        const int64_t num = (int64_t)u * u - (int64_t)i * i + (int64_t)row[u] * row[u] - (int64_t)row[i] * row[i];
        const int64_t w = 1 + floor_div(num, 2 * (int64_t)(u - i));
        if (w < W) { q++; s[q] = u; t[q] = (int32_t)w; }
      }
    }
    /* row[] still holds the column distances the envelope refers to: write the result to label, copy back */
    for (u = W - 1; u >= 0; u--) {
      const int64_t d = EDT_F(u, s[q]);
      fs->label[(size_t)y * W + u] = (int32_t)(d > 0x7fffffff ? 0x7fffffff : d);
      if (u == t[q]) q--;
    }
#undef EDT_F
  }
  memcpy(g, fs->label, (size_t)W * H * sizeof(int32_t));
}

/* ------------------------------------------------------------------------------------------------ */
/* the ruler: maximal inscribed disks of the red-cell mask */

static int disk_cmp(const void *a, const void *b) {
  const bc_frame_disk *p = (const bc_frame_disk *)a, *q = (const bc_frame_disk *)b;
  if (p->d2 != q->d2) return p->d2 > q->d2 ? -1 : 1;
  if (p->y != q->y) return p->y < q->y ? -1 : 1;
  return p->x < q->x ? -1 : p->x > q->x;
}

static int collect_disks(bc_frame_scratch *fs, const work *wk, int min_d2) {
  const int W = wk->W, H = wk->H;
  const int32_t *d = fs->d2;
  int x, y, n = 0;
  for (y = 0; y < H; y++)
    for (x = 0; x < W; x++) {
      const int i = y * W + x, v = d[i];
      int edge, dy, dx, is_max = 1;
      if (!(fs->flags[i] & F_FG) || v < min_d2) continue;
      edge = x < y ? x : y;
      if (W - 1 - x < edge) edge = W - 1 - x;
      if (H - 1 - y < edge) edge = H - 1 - y;
      if ((int64_t)(edge + 1) * (edge + 1) < v) continue;   /* the disk leaves the image */
      for (dy = -1; dy <= 1 && is_max; dy++)
        for (dx = -1; dx <= 1; dx++) {
          const int j = i + dy * W + dx;
          if (dy == 0 && dx == 0) continue;   /* in range: edge >= 2 since v >= 9 */
          if (d[j] > v || (d[j] == v && (dy < 0 || (dy == 0 && dx < 0)))) { is_max = 0; break; }
        }
      if (!is_max) continue;
      if (n == fs->max_disks) return -1;
      fs->disks[n].x = x; fs->disks[n].y = y; fs->disks[n].d2 = v;
      n++;
    }
  return n;
}

static int near_nucleus(const bc_frame_scratch *fs, const work *wk, const bc_frame_disk *k) {
  const int r = (int)isqrt64(k->d2), m = r + 2;   /* touching a nucleus: cytoplasm, or a cell on top */
  const int64_t m2 = (int64_t)m * m;
  int x, y;
  for (y = k->y - m; y <= k->y + m; y++) {
    if (y < 0 || y >= wk->H) continue;
    for (x = k->x - m; x <= k->x + m; x++) {
      if (x < 0 || x >= wk->W) continue;
      if ((fs->flags[y * wk->W + x] & F_NUC) && (int64_t)(x - k->x) * (x - k->x) + (int64_t)(y - k->y) * (y - k->y) <= m2)
        return 1;
    }
  }
  return 0;
}

static int r16_cmp(const void *a, const void *b) {
  const int p = *(const int *)a, q = *(const int *)b;
  return p < q ? -1 : p > q;
}

/* Disks of radius * 16 below min_r16 are left out. by_count 0: the disk size whose cluster covers the most area
 * (the analysis); 1: the one with the most disks (the locator: in a packed field, merged red cells give fewer,
 * larger disks that cover more area). */
static ruler measure(bc_frame_scratch *fs, const work *wk, int by_count, int min_r16) {
  ruler out = {0, 0, 0};
  int n = -1, min_d2 = MIN_DISK_D2, kept = 0, i, j, lo, hi, centre = -1;
  int64_t best_support = -1;
  int *r16 = (int *)fs->stack;          /* the flood-fill stack is free again: r16[n], sorted[n], members[n] */
  uint8_t *covered = (uint8_t *)fs->label;   /* work px inside a kept disk */
  int64_t *prefix = (int64_t *)fs->d2;  /* free once the disks are collected */
  fill_holes(fs, wk);
  distance_transform(fs, wk);
  while ((n = collect_disks(fs, wk, min_d2)) < 0) min_d2 = min_d2 * 5 / 4 + 1;   /* too many: larger only */
  qsort(fs->disks, (size_t)n, sizeof *fs->disks, disk_cmp);
  /* greedy packing: a centre inside a larger kept disk is the same cell. Each kept disk marks the px it covers
   * (every disk lies inside the image), so a test is one lookup instead of one per kept disk. */
  memset(covered, 0, (size_t)wk->W * (size_t)wk->H);
  for (i = 0; i < n; i++) {
    const bc_frame_disk c = fs->disks[i];
    int y;
    if (covered[(size_t)c.y * wk->W + c.x]) continue;
    fs->disks[kept++] = c;
    for (y = c.y - (int)isqrt64(c.d2); y <= c.y + (int)isqrt64(c.d2); y++) {
      const int64_t dy2 = (int64_t)(y - c.y) * (y - c.y);
      int x;
      if (y < 0 || y >= wk->H || dy2 >= c.d2) continue;
      for (x = c.x - (int)isqrt64(c.d2 - dy2); x <= c.x + (int)isqrt64(c.d2 - dy2); x++)
        if (x >= 0 && x < wk->W && (int64_t)(x - c.x) * (x - c.x) + dy2 < c.d2) covered[(size_t)y * wk->W + x] = 1;
    }
  }
  for (i = 0, j = 0; i < kept; i++) {   /* a white cell's cytoplasm is not a red cell */
    if (near_nucleus(fs, wk, &fs->disks[i])) continue;
    r16[j] = (int)isqrt64((int64_t)fs->disks[i].d2 * 256);
    if (r16[j] >= min_r16) j++;
  }
  n = j;
  /* the size that covers the most area (specks and the gaps between packed cells are many but small), or
   * the most disks: each size's support is the sum over the sizes within CLUSTER_PCT of it, a window that
   * moves up the sorted sizes; ties go to the larger size */
  {
    int *sorted = r16 + n;
    memcpy(sorted, r16, (size_t)n * sizeof *sorted);
    qsort(sorted, (size_t)n, sizeof *sorted, r16_cmp);
    prefix[0] = 0;
    for (i = 0; i < n; i++) prefix[i + 1] = prefix[i] + (by_count ? 1 : (int64_t)sorted[i] * sorted[i]);
    for (i = 0, lo = 0, hi = 0; i < n; i++) {
      const int64_t v = sorted[i];
      int64_t support;
      while ((v - sorted[lo]) * 100 > (int64_t)CLUSTER_PCT * v) lo++;
      if (hi < i) hi = i;
      while (hi + 1 < n && (sorted[hi + 1] - v) * 100 <= (int64_t)CLUSTER_PCT * v) hi++;
      support = prefix[hi + 1] - prefix[lo];
      if (support > best_support || (support == best_support && v > centre)) { centre = (int)v; best_support = support; }
    }
  }
  if (centre < 0) return out;
  {
    int m = 0, *mem = r16 + n;
    for (j = 0; j < n; j++)
      if ((int64_t)(r16[j] > centre ? r16[j] - centre : centre - r16[j]) * 100 <= (int64_t)CLUSTER_PCT * centre) mem[m++] = r16[j];
    if (m < BC_FRAME_MIN_RBC) return out;
    qsort(mem, (size_t)m, sizeof *mem, r16_cmp);
    out.found = 1;
    out.count = m;
    out.r16 = m % 2 ? mem[m / 2] : (mem[m / 2 - 1] + mem[m / 2] + 1) / 2;
  }
  return out;
}

/* ------------------------------------------------------------------------------------------------ */
/* the white cell: nucleus pieces grouped by proximity */

enum { P_X0, P_Y0, P_X1, P_Y1, P_AREA, P_GROUP };

static int piece_root(int32_t *pc, int i) {
  while (pc[i * 6 + P_GROUP] != i) i = pc[i * 6 + P_GROUP] = pc[pc[i * 6 + P_GROUP] * 6 + P_GROUP];
  return i;
}

/* The 8-connected nucleus pieces of at least MIN_PIECE work px (at most BC_FRAME_MAX_PIECES, the largest),
 * grouped when their boxes lie within gap of each other (a neutrophil's lobes): fs->piece rows, P_GROUP set
 * by union-find. Returns the piece count. */
static int nucleus_pieces(bc_frame_scratch *fs, const work *wk, int gap) {
  const int W = wk->W, H = wk->H, n = W * H;
  int32_t *seen = fs->label, *q = fs->stack, *pc = fs->piece;
  int i, np = 0, a, b;
  for (i = 0; i < n; i++) seen[i] = 0;
  for (i = 0; i < n; i++) {   /* 8-connected nucleus pieces */
    int head = 0, tail = 0, x0 = W, y0 = H, x1 = -1, y1 = -1;
    if (seen[i] || !(fs->flags[i] & F_NUC)) continue;
    seen[i] = 1;
    q[tail++] = i;
    while (head < tail) {
      const int p = q[head++], x = p % W, y = p / W;
      int dy, dx;
      if (x < x0) x0 = x;
      if (x > x1) x1 = x;
      if (y < y0) y0 = y;
      if (y > y1) y1 = y;
      for (dy = -1; dy <= 1; dy++)
        for (dx = -1; dx <= 1; dx++) {
          const int xx = x + dx, yy = y + dy;
          if (xx < 0 || yy < 0 || xx >= W || yy >= H) continue;
          if (!seen[yy * W + xx] && (fs->flags[yy * W + xx] & F_NUC)) { seen[yy * W + xx] = 1; q[tail++] = yy * W + xx; }
        }
    }
    if (tail < MIN_PIECE) continue;
    if (np == BC_FRAME_MAX_PIECES) {   /* full: the new piece replaces the smallest if larger */
      int s = 0, j;
      for (j = 1; j < np; j++) if (pc[j * 6 + P_AREA] < pc[s * 6 + P_AREA]) s = j;
      if (pc[s * 6 + P_AREA] >= tail) continue;
      np--;
      memmove(pc + s * 6, pc + (s + 1) * 6, (size_t)(np - s) * 6 * sizeof(int32_t));
    }
    pc[np * 6 + P_X0] = x0; pc[np * 6 + P_Y0] = y0; pc[np * 6 + P_X1] = x1; pc[np * 6 + P_Y1] = y1;
    pc[np * 6 + P_AREA] = tail;
    np++;
  }
  for (a = 0; a < np; a++) pc[a * 6 + P_GROUP] = a;
  for (a = 0; a < np; a++)   /* boxes within gap of each other: one cell */
    for (b = a + 1; b < np; b++) {
      const int32_t *p = pc + a * 6, *r = pc + b * 6;
      if (p[P_X0] - gap > r[P_X1] || r[P_X0] - gap > p[P_X1] || p[P_Y0] - gap > r[P_Y1] || r[P_Y0] - gap > p[P_Y1]) continue;
      {
        const int ra = piece_root(pc, a), rb = piece_root(pc, b);
        if (ra != rb) pc[(ra > rb ? ra : rb) * 6 + P_GROUP] = ra < rb ? ra : rb;
      }
    }
  return np;
}

/* The nucleus area and box (work px, inclusive) of the group whose root is g. */
static int group_box(int32_t *pc, int np, int g, int bx[4]) {
  int b, area = 0;
  bx[0] = bx[1] = INT32_MAX; bx[2] = bx[3] = -1;
  for (b = 0; b < np; b++) {
    const int32_t *p = pc + b * 6;
    if (piece_root(pc, b) != g) continue;
    area += p[P_AREA];
    if (p[P_X0] < bx[0]) bx[0] = p[P_X0];
    if (p[P_Y0] < bx[1]) bx[1] = p[P_Y0];
    if (p[P_X1] > bx[2]) bx[2] = p[P_X1];
    if (p[P_Y1] > bx[3]) bx[3] = p[P_Y1];
  }
  return area;
}

/* Finds the target white cell; box in work px, inclusive. Returns how many cells there are (0: none). */
static int find_cell(bc_frame_scratch *fs, const work *wk, int gap, int box[4]) {
  const int W = wk->W, H = wk->H;
  int32_t *pc = fs->piece;
  const int np = nucleus_pieces(fs, wk, gap);
  int a, cells = 0;
  double best_score = -1.0;
  const double k = (double)(W < H ? W : H) / 5.0 + 1.0;
  for (a = 0; a < np; a++) {
    int area, bx[4];
    double cx, cy, score;
    if (piece_root(pc, a) != a) continue;
    area = group_box(pc, np, a, bx);
    if (area < MIN_CELL) continue;
    cells++;
    cx = (double)(bx[0] + bx[2] + 1) / 2.0 - (double)W / 2.0;
    cy = (double)(bx[1] + bx[3] + 1) / 2.0 - (double)H / 2.0;
    score = (double)area / (1.0 + (cx * cx + cy * cy) / (k * k));
    if (score > best_score) { best_score = score; memcpy(box, bx, sizeof bx); }
  }
  return cells;
}

/* ------------------------------------------------------------------------------------------------ */

static int box_side(const bc_frame_result *r) {
  return r->cell_x1 - r->cell_x0 > r->cell_y1 - r->cell_y0 ? r->cell_x1 - r->cell_x0 : r->cell_y1 - r->cell_y0;
}

static void centre_crop(int w, int h, bc_frame_result *r) {
  const int m = w < h ? w : h;
  r->path = BC_FRAME_CENTRE;
  r->crop_side = m;
  r->crop_x0 = (w - m) / 2;
  r->crop_y0 = (h - m) / 2;
}

static void place(bc_frame_result *r, int w, int h, int64_t side) {
  const int64_t cx2 = r->has_cell ? (int64_t)r->cell_x0 + r->cell_x1 : w, cy2 = r->has_cell ? (int64_t)r->cell_y0 + r->cell_y1 : h;
  r->crop_side = clamp_int(side, 1, BC_MAX_IMAGE_DIM);
  r->crop_x0 = (int)floor_div(cx2 - r->crop_side, 2);
  r->crop_y0 = (int)floor_div(cy2 - r->crop_side, 2);
}

static int64_t rbc_side(int d16) {
  return ((int64_t)BC_FRAME_PBC_SIDE * d16 + BC_FRAME_PBC_RBC_X16 / 2) / BC_FRAME_PBC_RBC_X16;
}

static int64_t cell_side(const bc_frame_result *r) {
  return ((int64_t)box_side(r) * BC_FRAME_PBC_SIDE + BC_FRAME_PBC_CELL / 2) / BC_FRAME_PBC_CELL;
}

void bc_frame_crop_for_box(const bc_frame_result *scale, int w, int h, const bc_frame_box *box, bc_frame_result *out) {
  *out = *scale;
  out->has_cell = 1;
  out->cell_x0 = box->x0; out->cell_y0 = box->y0; out->cell_x1 = box->x1; out->cell_y1 = box->y1;
  if (scale->rbc_diameter_x16 > 0) { out->path = BC_FRAME_RBC; place(out, w, h, rbc_side(scale->rbc_diameter_x16)); }
  else { out->path = BC_FRAME_CELL; place(out, w, h, cell_side(out)); }
}

static void setup(work *wk, int rx0, int ry0, int rw, int rh) {
  wk->hue = 0;
  wk->rx0 = rx0; wk->ry0 = ry0; wk->rw = rw; wk->rh = rh;
  wk->f = factor_for(rw, rh, BC_FRAME_WORK_PIXELS);
  wk->W = (rw + wk->f - 1) / wk->f;
  wk->H = (rh + wk->f - 1) / wk->f;
}

bc_status bc_frame_analyse(bc_frame_scratch *fs, const bc_frame_image *im, bc_frame_result *r) {
  work wk, fine;
  ruler ru, ru2;
  int box[4], gap;
  if (!r) return BC_ERR_ARGUMENT;
  memset(r, 0, sizeof *r);
  r->bg_r = r->bg_g = r->bg_b = 255;
  if (im && im->w > 0 && im->h > 0) centre_crop(im->w, im->h, r);
  if (!fs || !fs->rgb || !im || !im->px || im->w < 1 || im->h < 1 || im->channels < 1 || im->channels > 4)
    return BC_ERR_ARGUMENT;
  if (im->w > BC_MAX_IMAGE_DIM || im->h > BC_MAX_IMAGE_DIM || (int64_t)im->w * im->h > BC_MAX_IMAGE_PIXELS)
    return BC_ERR_TOO_LARGE;

  setup(&wk, 0, 0, im->w, im->h);
  reduce(fs, im, &wk);
  background(fs, &wk, 0);
  r->bg_r = wk.bg[0]; r->bg_g = wk.bg[1]; r->bg_b = wk.bg[2];
  r->work_factor = wk.f;
  masks(fs, &wk);
  ru = measure(fs, &wk, 0, 0);
  gap = ru.found ? (ru.r16 * 2 * 3 / 10 + 8) / 16 : (wk.W < wk.H ? wk.W : wk.H) / 40;
  if (gap < 2) gap = 2;
  r->cells_found = find_cell(fs, &wk, gap, box);
  if (r->cells_found > 0) {
    r->has_cell = 1;
    r->cell_x0 = box[0] * wk.f;
    r->cell_y0 = box[1] * wk.f;
    r->cell_x1 = (box[2] + 1) * wk.f < im->w ? (box[2] + 1) * wk.f : im->w;
    r->cell_y1 = (box[3] + 1) * wk.f < im->h ? (box[3] + 1) * wk.f : im->h;
  }
  /* a white cell is never 4 red cells across: smaller "red cells" are specks or granules */
  if (ru.found && r->has_cell && (int64_t)box_side(r) * 16 > (int64_t)4 * ru.r16 * 2 * wk.f) ru.found = 0;
  if (ru.found) {
    r->rbc_diameter_x16 = ru.r16 * 2 * wk.f;
    r->rbc_count = ru.count;
  }

  /* red cells too small to measure well at this factor (or none seen in a large image): a finer window,
   * at most twice (a 40 MP photo: factor 25, then 8, then about 3) */
  {
    int pass, f_cur = wk.f;
    ruler cur = ru;
    for (pass = 0; pass < 2 && f_cur > 1 && (cur.found ? cur.r16 < FINE_R16 : f_cur >= 3); pass++) {
      const int f_fit = (f_cur * cur.r16 + TARGET_R * 8) / (TARGET_R * 16);
      const int f2 = cur.found ? (f_fit > 1 ? f_fit : 1) : f_cur / 3;
      const int64_t span = (int64_t)256 * f2;
      const int ww = span < im->w ? (int)span : im->w, wh = span < im->h ? (int)span : im->h;
      const int64_t cx2 = r->has_cell ? (int64_t)r->cell_x0 + r->cell_x1 : im->w;
      const int64_t cy2 = r->has_cell ? (int64_t)r->cell_y0 + r->cell_y1 : im->h;
      const int x0 = clamp_int(floor_div(cx2 - ww, 2), 0, im->w - ww), y0 = clamp_int(floor_div(cy2 - wh, 2), 0, im->h - wh);
      setup(&fine, x0, y0, ww, wh);
      if (fine.f >= f_cur) break;
      reduce(fs, im, &fine);
      background(fs, &fine, 0);
      masks(fs, &fine);
      ru2 = measure(fs, &fine, 0, 0);
      if (ru2.found && r->has_cell && (int64_t)box_side(r) * 16 > (int64_t)4 * ru2.r16 * 2 * fine.f) ru2.found = 0;
      if (!ru2.found) break;
      cur = ru2;
      f_cur = fine.f;
      r->rbc_diameter_x16 = ru2.r16 * 2 * fine.f;
      r->rbc_count = ru2.count;
      r->work_factor = fine.f;
    }
  }

  if (r->rbc_diameter_x16 > 0) {
    r->path = BC_FRAME_RBC;
    place(r, im->w, im->h, rbc_side(r->rbc_diameter_x16));
  } else if (r->has_cell && (int64_t)box_side(r) * 1000 > (int64_t)BC_FRAME_BIG_CELL_PERMILLE * (im->w < im->h ? im->w : im->h)) {
    r->path = BC_FRAME_CELL;
    place(r, im->w, im->h, cell_side(r));
  }
  return BC_OK;
}

/* ------------------------------------------------------------------------------------------------ */
/* whole fields: every white cell */

#define LOC_RBC_D 14                /* the locator's work scale: a red cell about this many work px across */
#define LOC_MIN_NUC_PERMILLE 550    /* a white cell's nucleus covers >= 0.55 red-cell areas; a platelet less */
#define LOC_MIN_NUC_HUE_PERMILLE 1000   /* ... >= 1 where found by hue (hysteresis grows nuclei and clumps alike) */
#define LOC_CLUMP_PERMILLE 3000     /* more than 3 red-cell areas of nucleus: cells touching, or a clump */
#define LOC_SMALL_R16 (5 * 16)      /* a locator ruler under 10 work px across is measured again above it */
#define LOC_DARK_LUMA 48            /* the background is looked for among pixels brighter than this */
#define LOC_VOID_GROW 1             /* ... in its nucleus box grown by this many work px */
#define LOC_VOID_PCT 5               /* a group with more void than this around it is the surround, not a cell */
#define LOC_SPLIT_PERMILLE 600     /* ... split into its nucleus pieces of at least 0.6 red-cell areas */
#define LOC_BOX_RBC_PCT 175         /* a white cell is about 1.75 red cells across (BCDD: 95 px boxes, 55 px red cells) */

/* Grows the regions seeded in q[0..tail) into the 4-joined F_DIM pixels, which become `to`; then no pixel keeps
 * F_DIM. q is fs->stack (room for every work pixel: each is queued at most once). */
static void grow_into_dim(bc_frame_scratch *fs, const work *wk, int tail, uint8_t to) {
  const int W = wk->W, H = wk->H, n = W * H;
  int32_t *q = fs->stack;
  int i, head = 0;
  while (head < tail) {
    const int p = q[head++], x = p % W, y = p / W;
    int d;
    for (d = 0; d < 4; d++) {
      const int xx = x + (d == 0) - (d == 1), yy = y + (d == 2) - (d == 3);
      int j;
      if (xx < 0 || yy < 0 || xx >= W || yy >= H) continue;
      j = yy * W + xx;
      if (fs->flags[j] & F_DIM) { fs->flags[j] = to; q[tail++] = j; }
    }
  }
  for (i = 0; i < n; i++) fs->flags[i] &= (uint8_t)~F_DIM;
}

/* A field whose red cells absorb red as well as green (a lilac stain, as in the pig-blood phone photos) puts
 * red cells, or their darker rims where they overlap, in Otsu's nucleus class: the class is then a large share
 * of the stained pixels, or mostly thin (few of its pixels have all 4 neighbours in it; real nuclei are
 * blobs). There the nucleus is found by its hue instead: a nucleus absorbs more red than blue (its dye is
 * blue-violet), a red cell more blue than red, so the score is the optical densities OD_R - OD_B + OD_G / 2
 * (x 40, + 64), and the nucleus its tail above median + LOC_TAIL_K (p90 - median) over the stained pixels.
 * The hue is used too when most of Otsu's class lies within LOC_RIM_D of the black surround: the eyepiece
 * rim's coloured fringe alone, with every nucleus under its threshold (packed lilac phone photos).
 * Needs the reduced copy again (masks overwrote it). Chosen on the BCDD images and the pig-smartphone
 * train/valid splits (docs/locate.md). */
static const uint8_t OD40[256] = {   /* round(40 * -ln(max(t, 1) / 255)): optical density x 40 */
  222, 222, 194, 178, 166, 157, 150, 144, 138, 134, 130, 126, 122, 119, 116, 113,
  111, 108, 106, 104, 102, 100, 98, 96, 95, 93, 91, 90, 88, 87, 86, 84,
  83, 82, 81, 79, 78, 77, 76, 75, 74, 73, 72, 71, 70, 69, 69, 68,
  67, 66, 65, 64, 64, 63, 62, 61, 61, 60, 59, 59, 58, 57, 57, 56,
  55, 55, 54, 53, 53, 52, 52, 51, 51, 50, 49, 49, 48, 48, 47, 47,
  46, 46, 45, 45, 44, 44, 43, 43, 43, 42, 42, 41, 41, 40, 40, 39,
  39, 39, 38, 38, 37, 37, 37, 36, 36, 35, 35, 35, 34, 34, 34, 33,
  33, 33, 32, 32, 32, 31, 31, 30, 30, 30, 29, 29, 29, 29, 28, 28,
  28, 27, 27, 27, 26, 26, 26, 25, 25, 25, 25, 24, 24, 24, 23, 23,
  23, 23, 22, 22, 22, 21, 21, 21, 21, 20, 20, 20, 20, 19, 19, 19,
  19, 18, 18, 18, 18, 17, 17, 17, 17, 16, 16, 16, 16, 16, 15, 15,
  15, 15, 14, 14, 14, 14, 13, 13, 13, 13, 13, 12, 12, 12, 12, 12,
  11, 11, 11, 11, 11, 10, 10, 10, 10, 10, 9, 9, 9, 9, 9, 8,
  8, 8, 8, 8, 7, 7, 7, 7, 7, 6, 6, 6, 6, 6, 6, 5,
  5, 5, 5, 5, 4, 4, 4, 4, 4, 4, 3, 3, 3, 3, 3, 3,
  2, 2, 2, 2, 2, 2, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0,
};
#define LOC_NUC_SHARE_PCT 25        /* nucleus class above this share of the stained pixels: red cells in it */
#define LOC_TAIL_K 4
#define LOC_LOW_K 3                 /* ... grown into the pixels above median + LOC_LOW_K (p90 - median) */
#define LOC_HUE_FILL_PCT 35         /* a cell found by hue fills at least this share of its nucleus box */
#define LOC_HUE_ASPECT_X10 20       /* ... which is at most this long for its width, x10 */
#define LOC_RIM_D 12                /* work px (about a red cell) from the surround: the rim's fringe */
#define LOC_INNER_PCT 45            /* ... or under this share of its pixels inside it: red-cell rims */

/* Whether at least a quarter of the acc Otsu-nucleus pixels lie more than LOC_RIM_D (city-block) from the
 * black surround, i.e. are not just the eyepiece rim's fringe. Uses d2 (the distance transform overwrites it
 * later). */
static int nuc_away_from_void(bc_frame_scratch *fs, const work *wk, int64_t acc) {
  const int W = wk->W, n = W * wk->H;
  int32_t *dv = fs->d2;
  int64_t away = 0;
  int i;
  for (i = 0; i < n; i++) {
    const int x = i % W;
    int d = (fs->flags[i] & F_VOID) ? 0 : n;
    if (d && x > 0 && dv[i - 1] + 1 < d) d = dv[i - 1] + 1;
    if (d && i >= W && dv[i - W] + 1 < d) d = dv[i - W] + 1;
    dv[i] = d;
  }
  for (i = n - 1; i >= 0; i--) {
    const int x = i % W;
    if (x < W - 1 && dv[i + 1] + 1 < dv[i]) dv[i] = dv[i + 1] + 1;
    if (i < n - W && dv[i + W] + 1 < dv[i]) dv[i] = dv[i + W] + 1;
    away += (fs->flags[i] & F_NUC) && dv[i] > LOC_RIM_D;
  }
  return away * 4 >= acc;
}

static void field_nucleus(bc_frame_scratch *fs, const bc_frame_image *im, work *wk) {
  const int n = wk->W * wk->H;
  int64_t hist[256], cnt = 0, acc = 0;
  uint8_t lut[3][256];
  int i, v, med = -1, p90 = -1, t, t_low, tail = 0;
  int32_t *q = fs->stack;
  int64_t inner = 0, any_void = 0;
  for (i = 0, cnt = 0, acc = 0; i < n; i++) {
    const int x = i % wk->W;
    any_void |= fs->flags[i] & F_VOID;
    if (fs->flags[i] & F_NUC) {
      acc++;
      inner += x > 0 && x < wk->W - 1 && i >= wk->W && i < n - wk->W && (fs->flags[i - 1] & F_NUC) &&
               (fs->flags[i + 1] & F_NUC) && (fs->flags[i - wk->W] & F_NUC) && (fs->flags[i + wk->W] & F_NUC);
    }
    if (fs->flags[i] & (F_NUC | F_FG)) cnt++;
  }
  wk->hue = 0;
  if (cnt == 0) return;
  if (acc * 100 <= cnt * LOC_NUC_SHARE_PCT && inner * 100 >= acc * LOC_INNER_PCT &&
      (!any_void || nuc_away_from_void(fs, wk, acc)))
    return;   /* Otsu's nucleus stands */
  reduce(fs, im, wk);
  transmittance_lut(wk, lut);
  memset(hist, 0, sizeof hist);
  for (i = 0; i < n; i++) {
    uint8_t *p = fs->rgb + (size_t)i * 3;
    const int od_r = OD40[lut[0][p[0]]], od_g = OD40[lut[1][p[1]]], od_b = OD40[lut[2][p[2]]];
    const int raw = 64 + od_r - od_b + od_g / 2, score = raw < 0 ? 0 : raw > 255 ? 255 : raw;
    p[0] = (uint8_t)score;
    if (fs->flags[i] & (F_NUC | F_FG)) hist[score]++;
  }
  wk->hue = 1;
  for (v = 0, acc = 0; v < 256; v++) {
    acc += hist[v];
    if (med < 0 && acc * 2 >= cnt) med = v;
    if (p90 < 0 && acc * 10 >= cnt * 9) p90 = v;
  }
  t = med + LOC_TAIL_K * (p90 - med);
  if (t < 64) t = 64;   /* at least: absorbs more red than blue, with the green */
  /* the darker red-cell rims Otsu called nucleus stay out of the red-cell mask: they part touching cells, so
   * the ruler's inscribed disks fit single cells */
  t_low = med + LOC_LOW_K * (p90 - med);
  if (t_low < 64) t_low = 64;
  for (i = 0; i < n; i++) {
    int sc;
    if (!(fs->flags[i] & (F_NUC | F_FG))) continue;
    sc = fs->rgb[(size_t)i * 3];
    fs->flags[i] = (uint8_t)(sc > t ? F_NUC : ((fs->flags[i] & F_NUC) ? 0 : F_FG) | (sc > t_low ? F_DIM : 0));
    if (sc > t) q[tail++] = i;
  }
  /* hysteresis: a nucleus grows from its core into the paler chromatin joined to it, so a pale or lobed
   * nucleus stays one piece of its real size instead of a few dark specks */
  grow_into_dim(fs, wk, tail, F_NUC);
}

/* The void (black surround) near a group, in the box grown by g: its work px (*all gets the box's px inside the
 * image). In a phone photo, dim corners of the eyepiece's surround pass the nucleus test. */
static int64_t void_px(const bc_frame_scratch *fs, const work *wk, const int bx[4], int g, int64_t *all) {
  int x, y;
  int64_t nv = 0, n = 0;
  for (y = bx[1] - g; y <= bx[3] + g; y++)
    for (x = bx[0] - g; x <= bx[2] + g; x++) {
      if (x < 0 || y < 0 || x >= wk->W || y >= wk->H) continue;
      n++;
      if (fs->flags[y * wk->W + x] & F_VOID) nv++;
    }
  *all = n;
  return nv;
}

static int void_share_pct(const bc_frame_scratch *fs, const work *wk, const int bx[4], int g) {
  int64_t all;
  const int64_t nv = void_px(fs, wk, bx, g, &all);
  return all ? (int)(nv * 100 / all) : 0;
}

/* The dim rim of an eyepiece circle: pixels that absorb blue (T_B < LOC_DIM_T; Romanowsky nuclei and red cells
 * transmit it) joined to the black surround become void, and no nucleus. masks() left the blue channel in
 * rgb[2]. A dark nucleus inside the field is not joined to the surround and stays. */
#define LOC_DIM_T 102

static void dim_rim(bc_frame_scratch *fs, const work *wk) {
  const int n = wk->W * wk->H, bg = wk->bg[2] > 0 ? wk->bg[2] : 1;
  int32_t *q = fs->stack;
  int i, tail = 0;
  for (i = 0; i < n; i++) {
    const int t = (fs->rgb[(size_t)i * 3 + 2] * 255 + bg / 2) / bg;
    if (t < LOC_DIM_T && !(fs->flags[i] & F_VOID)) fs->flags[i] |= F_DIM;
    if (fs->flags[i] & F_VOID) q[tail++] = i;
  }
  grow_into_dim(fs, wk, tail, F_VOID);
}

/* The reduced copy and masks of the whole image at factor f, or the next one that fits the scratch. */
static void locate_pass(bc_frame_scratch *fs, const bc_frame_image *im, work *wk, int64_t f) {
  f = fit_factor(im->w, im->h, fs->cap, f);
  wk->rx0 = wk->ry0 = 0; wk->rw = im->w; wk->rh = im->h;
  wk->f = (int)f;
  wk->W = (int)((im->w + f - 1) / f);
  wk->H = (int)((im->h + f - 1) / f);
  reduce(fs, im, wk);
  background(fs, wk, LOC_DARK_LUMA);
  masks(fs, wk);
  dim_rim(fs, wk);
  field_nucleus(fs, im, wk);
}

/* One located cell from its nucleus box bx (work px, inclusive) of area work px: the box 1.75 red cells across
 * (or 1.15 x the nucleus if larger) on the nucleus centre, flags, kept in reading order. */
static void add_cell(bc_frame_cells *out, const bc_frame_scratch *fs, const work *wk, const bc_frame_image *im,
                     const int bx[4], int area, int64_t rbc_area16, int64_t d16, int flags) {
  bc_frame_cell c;
  int64_t side, cx2, cy2, all;
  out->total++;
  memset(&c, 0, sizeof c);
  c.nx0 = bx[0] * wk->f;
  c.ny0 = bx[1] * wk->f;
  c.nx1 = (bx[2] + 1) * wk->f < im->w ? (bx[2] + 1) * wk->f : im->w;
  c.ny1 = (bx[3] + 1) * wk->f < im->h ? (bx[3] + 1) * wk->f : im->h;
  c.nucleus_permille = rbc_area16 > 0 ? (int)((int64_t)area * 16 * 1000 / rbc_area16) : 0;
  c.flags = flags;
  if (bx[0] <= 0 || bx[1] <= 0 || bx[2] >= wk->W - 1 || bx[3] >= wk->H - 1 || void_px(fs, wk, bx, 2, &all) > 0) c.flags |= BC_CELL_EDGE;
  if (c.nucleus_permille > LOC_CLUMP_PERMILLE) c.flags |= BC_CELL_CLUMP;
  side = (int64_t)(c.nx1 - c.nx0 > c.ny1 - c.ny0 ? c.nx1 - c.nx0 : c.ny1 - c.ny0) * 115 / 100;
  if (d16 > 0 && d16 * LOC_BOX_RBC_PCT / 1600 > side) side = d16 * LOC_BOX_RBC_PCT / 1600;
  if (d16 == 0) side = side * 16 / 11;
  cx2 = (int64_t)c.nx0 + c.nx1;
  cy2 = (int64_t)c.ny0 + c.ny1;
  c.x0 = clamp_int(floor_div(cx2 - side, 2), 0, im->w);
  c.y0 = clamp_int(floor_div(cy2 - side, 2), 0, im->h);
  c.x1 = clamp_int(floor_div(cx2 + side + 1, 2), 0, im->w);
  c.y1 = clamp_int(floor_div(cy2 + side + 1, 2), 0, im->h);
  if (out->n < BC_FRAME_MAX_CELLS) {   /* reading order: top to bottom, then left to right */
    int j = out->n++;
    while (j > 0 && (out->cell[j - 1].ny0 > c.ny0 || (out->cell[j - 1].ny0 == c.ny0 && out->cell[j - 1].nx0 > c.nx0))) {
      out->cell[j] = out->cell[j - 1];
      j--;
    }
    out->cell[j] = c;
  }
}

bc_status bc_frame_locate(bc_frame_scratch *fs, const bc_frame_image *im, const bc_frame_result *scale,
                          bc_frame_cells *out) {
  work wk;
  int64_t f, d16, dw16, rbc_area16 = 0, min_area;
  int np, a, gap;
  int32_t *pc;
  if (!out) return BC_ERR_ARGUMENT;
  memset(out, 0, sizeof *out);
  if (!fs || !fs->rgb || fs->cap < BC_FRAME_WORK_PIXELS || !scale || !im || !im->px || im->w < 1 || im->h < 1 ||
      im->channels < 1 || im->channels > 4)
    return BC_ERR_ARGUMENT;
  if (im->w > BC_MAX_IMAGE_DIM || im->h > BC_MAX_IMAGE_DIM || (int64_t)im->w * im->h > BC_MAX_IMAGE_PIXELS)
    return BC_ERR_TOO_LARGE;
  /* The ruler again, at the finest scale the scratch holds: the analysis works at 65,536 px, where a whole
   * field's red cells can be under 6 work px (no ruler) or merge into larger "disks" (a wrong one). Then the
   * work scale that makes a red cell about LOC_RBC_D px. */
  locate_pass(fs, im, &wk, 1);
  {
    ruler ru = measure(fs, &wk, 1, 0);
    /* a ruler near the smallest disk measured (radius 3) is the specks between packed cells: the most
     * numerous size above it is the red cell */
    if (ru.found && ru.r16 < LOC_SMALL_R16) ru = measure(fs, &wk, 1, ru.r16 * 3 / 2);
    d16 = ru.found ? (int64_t)ru.r16 * 2 * wk.f : scale->rbc_diameter_x16 > 0 ? scale->rbc_diameter_x16 : 0;
    f = d16 / (LOC_RBC_D * 16);
    if (f > wk.f) locate_pass(fs, im, &wk, f);
  }
  dw16 = d16 / wk.f;   /* red-cell diameter in work px * 16 */
  gap = dw16 > 0 ? (int)((dw16 * 3 / 10 + 8) / 16) : (wk.W < wk.H ? wk.W : wk.H) / 40;
  if (gap < 2) gap = 2;
  if (dw16 > 0) rbc_area16 = dw16 * dw16 * 804 / 1024 / 16;   /* pi/4 d^2, work px * 16 */
  min_area = dw16 > 0 ? rbc_area16 * (wk.hue ? LOC_MIN_NUC_HUE_PERMILLE : LOC_MIN_NUC_PERMILLE) / 1000 / 16 : MIN_CELL;
  if (min_area < MIN_CELL) min_area = MIN_CELL;
  np = nucleus_pieces(fs, &wk, gap);
  pc = fs->piece;
  out->work_factor = wk.f;
  out->rbc_diameter_x16 = (int)d16;
  for (a = 0; a < np; a++) {
    int bx[4], area, b, big = 0;
    if (piece_root(pc, a) != a) continue;
    area = group_box(pc, np, a, bx);
    if (area < min_area) { out->small++; continue; }
    if (wk.hue) {   /* platelet clumps and stain streaks: scattered or long; a nucleus is a compact blob */
      const int64_t bw = bx[2] - bx[0] + 1, bh = bx[3] - bx[1] + 1;
      if ((int64_t)area * 100 < bw * bh * LOC_HUE_FILL_PCT || (bw > bh ? bw * 10 > bh * LOC_HUE_ASPECT_X10 : bh * 10 > bw * LOC_HUE_ASPECT_X10)) {
        out->small++;
        continue;
      }
    }
    if (void_share_pct(fs, &wk, bx, LOC_VOID_GROW) > LOC_VOID_PCT) continue;
    /* a clump whose nuclei are apart (white cells touching by their cytoplasm): one cell per large piece */
    if (rbc_area16 > 0 && (int64_t)area * 16 * 1000 > rbc_area16 * LOC_CLUMP_PERMILLE)
      for (b = 0; b < np; b++)
        big += piece_root(pc, b) == a && (int64_t)pc[b * 6 + P_AREA] * 16 * 1000 >= rbc_area16 * LOC_SPLIT_PERMILLE;
    if (big >= 2) {
      for (b = 0; b < np; b++) {
        const int32_t *p = pc + b * 6;
        const int pb[4] = {p[P_X0], p[P_Y0], p[P_X1], p[P_Y1]};
        if (piece_root(pc, b) != a || (int64_t)p[P_AREA] * 16 * 1000 < rbc_area16 * LOC_SPLIT_PERMILLE) continue;
        add_cell(out, fs, &wk, im, pb, p[P_AREA], rbc_area16, d16, BC_CELL_CLUMP);
      }
    } else {
      add_cell(out, fs, &wk, im, bx, area, rbc_area16, d16, 0);
    }
  }
  return BC_OK;
}
