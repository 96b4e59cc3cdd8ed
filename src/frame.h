/* frame.h - scale-aware framing: the square crop that shows a white cell the way a PBC image does, on
 * decoded pixels of any size, with the red cells (about 7.5 um across) as the ruler.
 *
 *   bc_frame_scratch fs;  bc_frame_scratch_init(&fs);       once: ~1.4 MB, reused by every call (one per thread)
 *   bc_frame_image im = { px, w, h, channels, 0 };         RGB8, RGBA8 (over white), grey, grey+alpha; rows top first
 *   bc_frame_result r;  bc_frame_analyse(&fs, &im, &r);    path, red-cell diameter, white-cell box, crop, background
 *   bc_frame_crop_for_box(&r, w, h, &box, &r2);            the crop for another cell box once the scale is known
 *   bc_frame_scratch_free(&fs);
 *
 * Crop rule: side = BC_FRAME_PBC_SIDE * rbc_diameter / BC_FRAME_PBC_RBC_X16 (PBC's 360 px centre crop at PBC's
 * red-cell size), centred on the white cell (or the image centre when none is found). Paths, in order:
 *   BC_FRAME_RBC     at least BC_FRAME_MIN_RBC red cells agree on a diameter (the ruler);
 *   BC_FRAME_CELL    no ruler, but the white cell is far larger in the frame than any PBC cell: side =
 *                    cell size * BC_FRAME_PBC_SIDE / BC_FRAME_PBC_CELL (this path loses the cell-size cue);
 *   BC_FRAME_CENTRE  neither: today's centre crop (side min(W,H) at ((W-side)/2, (H-side)/2)), which is also
 *                    what a BC_ERR_* return leaves in the result.
 * A crop may extend beyond the image; the preprocessing pads it with the estimated background colour.
 *
 * Calibration (docs/framing.md): BC_FRAME_PBC_RBC_X16 is the median of this estimator's red-cell diameter over
 * the PBC train split (8,929 images, those with a ruler), BC_FRAME_PBC_CELL the median white-cell box side
 * over the train images of the nucleated classes, BC_FRAME_BIG_CELL_PERMILLE a cell side / min(W,H) that no
 * more than 0.1% of PBC train cells exceed (see the docs for the numbers measured).
 *
 * Method, all in integers on a reduced copy of at most BC_FRAME_WORK_PIXELS pixels (box-averaged by an integer
 * factor), so native and wasm give identical results and the time is bounded (one pass over the image, then
 * work proportional to the reduced copy; a second reduced pass over a window when the red cells come out
 * smaller than 8 px in the first): background = the brightest luminance mode; transmittance T = pixel /
 * background per channel; nucleus = absorbs red and green (255 - max(T_R, T_G) over an Otsu threshold, at
 * least 64); red-cell mask = darker than the background (Otsu on 255 - min(T)), not nucleus, holes without
 * nucleus filled (central pallor); exact Euclidean distance transform (Meijster); maximal inscribed disks that
 * lie inside the image and away from any nucleus are the red cells; the ruler is the median diameter of the
 * cluster of disks within 15% of each other that covers the most area. Nucleus pieces within a gap of each
 * other are one white cell (a neutrophil's lobes); the target is the largest one, weighted towards the image
 * centre. docs/framing.md has the details and the measurements. */
#ifndef BC_FRAME_H
#define BC_FRAME_H

#include <stdint.h>
#include "bc_status.h"

#define BC_FRAME_WORK_PIXELS 65536          /* the reduced copy's pixel budget */
#define BC_FRAME_LOCATE_PIXELS (1 << 20)    /* the locator's: a whole field at about 14 work px per red cell */
#define BC_FRAME_MAX_CELLS 256              /* white cells reported per field (bc_frame_cells.total counts all) */
#define BC_FRAME_WORK_SIDE 16384            /* longest reduced side (= BC_MAX_IMAGE_DIM) */
#define BC_FRAME_MAX_DISKS 2048             /* inscribed-disk candidates kept per pass */
#define BC_FRAME_MAX_PIECES 1024            /* nucleus pieces grouped per image */
#define BC_FRAME_MIN_RBC 3                  /* red cells that must agree for a ruler */
#define BC_FRAME_PBC_SIDE 360               /* PBC's centre-crop side in its own pixels */
#define BC_FRAME_PBC_RBC_X16 1088           /* PBC median red-cell diameter, px * 16 (68.0 px) */
#define BC_FRAME_PBC_CELL 126               /* PBC median white-cell box side, px */
#define BC_FRAME_BIG_CELL_PERMILLE 770      /* cell side / min(W,H) above which the CELL path may run */

typedef enum bc_frame_path { BC_FRAME_CENTRE = 0, BC_FRAME_RBC = 1, BC_FRAME_CELL = 2 } bc_frame_path;

typedef struct bc_frame_image {
  const uint8_t *px;     /* w*h*channels bytes, rows top first, no padding */
  int w, h, channels;    /* channels 1 grey, 2 grey+alpha, 3 RGB, 4 RGBA; alpha composited over white */
  int ignore_alpha;      /* 4 channels whose 4th byte is not alpha (32-bit BI_RGB BMP, tRNS colour key) */
} bc_frame_image;

typedef struct bc_frame_box { int x0, y0, x1, y1; } bc_frame_box;   /* image px, half-open */

/* 16 ints in this order (the wasm and Python bindings read it as int32[16]). */
typedef struct bc_frame_result {
  int path;                  /* bc_frame_path */
  int rbc_diameter_x16;      /* red-cell diameter in image px * 16; 0 when no ruler was found */
  int rbc_count;             /* red cells within 15% of that diameter */
  int has_cell;              /* 1 when a white cell (nucleus) was found */
  int cell_x0, cell_y0, cell_x1, cell_y1;   /* its box (the nucleus and its lobes), image px, half-open */
  int crop_x0, crop_y0, crop_side;          /* the square crop, image px; may extend beyond the image */
  int bg_r, bg_g, bg_b;      /* estimated background colour, the padding */
  int work_factor;           /* reduction factor of the pass that gave the ruler (of the first pass if none) */
  int cells_found;           /* white cells (nucleus groups) seen in the image; more than 1: a field or a clump */
} bc_frame_result;

typedef struct bc_frame_disk { int x, y, d2; } bc_frame_disk;

enum { BC_CELL_EDGE = 1,    /* cut by the image border or the eyepiece's dark rim */
       BC_CELL_CLUMP = 2 }; /* more nucleus than 3 red cells' area: white cells touching, or a clump */

typedef struct bc_frame_cell {
  int x0, y0, x1, y1;        /* the white cell's box, image px, half-open, clipped to the image */
  int nx0, ny0, nx1, ny1;    /* its nucleus (with a neutrophil's lobes) */
  int nucleus_permille;      /* nucleus area per red-cell area, x1000 (0 without a ruler) */
  int flags;                 /* BC_CELL_* */
} bc_frame_cell;

typedef struct bc_frame_cells {
  int n;                     /* cells in cell[], in reading order (top to bottom, then left to right) */
  int total;                 /* white cells found (more than n when over BC_FRAME_MAX_CELLS) */
  int small;                 /* nucleus-coloured objects too small for a white cell: platelets, specks */
  int work_factor;           /* the reduction factor the locator worked at */
  int rbc_diameter_x16;      /* the ruler it used (0: none, sizes in work px instead) */
  bc_frame_cell cell[BC_FRAME_MAX_CELLS];
} bc_frame_cells;

typedef struct bc_frame_scratch {   /* private: everything the analysis needs, allocated once */
  uint8_t *rgb;            /* reduced copy, RGB */
  uint8_t *flags;          /* per work pixel: mask bits */
  int32_t *d2;             /* squared distances / colour sums */
  int32_t *label;          /* component labels */
  int32_t *stack;          /* flood-fill stack */
  uint32_t *acc;           /* BC_FRAME_WORK_SIDE*4 work-row sums while reducing */
  uint16_t *vsum;          /* BC_FRAME_WORK_SIDE*4 per-byte column sums of up to 257 image rows */
  int32_t *env_s, *env_t;  /* BC_FRAME_WORK_SIDE: the distance transform's lower envelope */
  bc_frame_disk *disks;    /* max_disks: BC_FRAME_MAX_DISKS per BC_FRAME_WORK_PIXELS of cap */
  int32_t *piece;          /* BC_FRAME_MAX_PIECES * 6: nucleus piece boxes, areas, groups */
  int cap;                 /* work pixels the buffers hold */
  int max_disks;           /* disks[] entries */
} bc_frame_scratch;

/* BC_OK or BC_ERR_NOMEM (then *fs is safe to free). */
bc_status bc_frame_scratch_init(bc_frame_scratch *fs);
/* A scratch for the locator too: work_pixels from BC_FRAME_WORK_PIXELS to BC_FRAME_LOCATE_PIXELS (~16 B each). */
bc_status bc_frame_scratch_init_cap(bc_frame_scratch *fs, int work_pixels);
void bc_frame_scratch_free(bc_frame_scratch *fs);   /* idempotent; NULL is ignored */

/* Always fills *r (the centre crop on any error). BC_ERR_ARGUMENT for a NULL/uninitialised scratch or a bad
 * view (no pixels, w or h < 1, channels outside 1..4), BC_ERR_TOO_LARGE over BC_MAX_IMAGE_DIM per side or
 * BC_MAX_IMAGE_PIXELS. Allocates nothing. */
bc_status bc_frame_analyse(bc_frame_scratch *fs, const bc_frame_image *im, bc_frame_result *r);

/* The crop for a cell box in an image analysed into *scale (its ruler and background): the RBC rule when
 * scale has a ruler, else the CELL rule on the box. Copies *scale into *out with the path, cell and crop set. */
void bc_frame_crop_for_box(const bc_frame_result *scale, int w, int h, const bc_frame_box *box, bc_frame_result *out);

/* Every white cell in a field, given the field's scale (*scale from bc_frame_analyse on the same image): the
 * nucleus mask at a work scale of about 14 px per red cell (at most fs->cap work px), nucleus pieces within
 * 0.3 red cells of each other grouped into one cell, groups smaller than 0.55 red-cell areas counted as
 * platelets/specks and skipped. Without a ruler the analysis scale and fixed work-px sizes are used. The same
 * errors as bc_frame_analyse; *out is always written (empty on error). Allocates nothing. */
bc_status bc_frame_locate(bc_frame_scratch *fs, const bc_frame_image *im, const bc_frame_result *scale,
                          bc_frame_cells *out);

/* "rbc", "cell", "centre" */
const char *bc_frame_path_name(int path);
/* n pixels of 1, 2, 3 or 4 channels (grey, grey+alpha, RGB, RGBA) -> RGB, alpha over white (PIL's rule). */
void bc_pixels_to_rgb(const uint8_t *in, int n, int channels, int ignore_alpha, uint8_t *out);

#endif
