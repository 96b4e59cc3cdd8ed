/* preprocess.c - see preprocess.h. C99, no mutable globals.
 *
 * The resize is a re-implementation of Pillow 9.4's ImagingResample (src/libImaging/Resample.c) for
 * Image.BILINEAR on 8-bit RGB: precompute_coeffs() with the triangle filter (support 1.0 scaled by the
 * downscale factor), coefficients normalised to sum 1 and converted to fixed point with PRECISION_BITS = 22,
 * a horizontal pass rounded to uint8 (clip8), then a vertical pass over those uint8 rows. The arithmetic
 * (double expressions in the same order, int32 accumulators starting at 1 << 21) is kept identical so
 * the result is bit-exact. Instead of Pillow's full intermediate image we keep a ring of horizontally
 * resampled rows; integer sums do not depend on order, so the output is the same. */
#include "preprocess.h"
#include "kernels/kernels.h"

#include <limits.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define STBI_NO_STDIO
#include <stb/stb_image.h> /* declarations only; the implementation is in stb_image_impl.c */

#define PRECISION_BITS BC_RESAMPLE_PRECISION_BITS

enum { FMT_NONE = 0, FMT_JPEG, FMT_PNG, FMT_BMP };

typedef struct header {
  int fmt;
  int have_dims;
  long long w, h;        /* from our own header parse, before stb */
  int png_color_type;    /* IHDR colour type, -1 until read */
  int ignore_alpha;      /* alpha stb returns that the reference drops: 32-bit BI_RGB BMP (PIL reads it as BGRX)
                            and a tRNS colour key on a grey/RGB PNG (load_cell_image does .convert('RGB')) */
  int orientation;       /* a JPEG's EXIF orientation 1..8, 0 when it has none (or an invalid one) */
} header;

/* ------------------------------------------------------------------------------------------------ */
/* messages */

static void set_msg(char *msg, size_t len, const char *fmt, ...) {
  va_list ap;
  if (!msg || len == 0) return;
  va_start(ap, fmt);
  vsnprintf(msg, len, fmt, ap);
  va_end(ap);
}

static const char *fmt_name(int fmt) {
  switch (fmt) {
    case FMT_JPEG: return "JPEG";
    case FMT_PNG: return "PNG";
    case FMT_BMP: return "BMP";
  }
  return "image";
}

/* ------------------------------------------------------------------------------------------------ */
/* small readers (callers check bounds first) */

static unsigned be16(const uint8_t *b) { return ((unsigned)b[0] << 8) | b[1]; }
static unsigned long be32(const uint8_t *b) {
  return ((unsigned long)b[0] << 24) | ((unsigned long)b[1] << 16) | ((unsigned long)b[2] << 8) | b[3];
}
static unsigned le16(const uint8_t *b) { return ((unsigned)b[1] << 8) | b[0]; }
static unsigned long le32(const uint8_t *b) {
  return ((unsigned long)b[3] << 24) | ((unsigned long)b[2] << 16) | ((unsigned long)b[1] << 8) | b[0];
}
static long long le32s(const uint8_t *b) {
  unsigned long u = le32(b);
  return (u & 0x80000000UL) ? (long long)u - 4294967296LL : (long long)u;
}

static int detect_format(const uint8_t *b, size_t n) {
  static const uint8_t png_sig[8] = {0x89, 'P', 'N', 'G', 0x0D, 0x0A, 0x1A, 0x0A};
  if (n >= 3 && b[0] == 0xFF && b[1] == 0xD8 && b[2] == 0xFF) return FMT_JPEG;
  if (n >= 4 && memcmp(b, png_sig, n < 8 ? n : 8) == 0) return FMT_PNG; /* short file: truncated PNG */
  if (n >= 2 && b[0] == 'B' && b[1] == 'M') return FMT_BMP;
  return FMT_NONE;
}

/* Formats this decoder does not read, named by their magic bytes so that the message says what the file is
 * ("HEIC images are not supported ...") instead of "not an image". NULL when nothing is recognised. */
static const char *other_format_name(const uint8_t *b, size_t n) {
  static const uint8_t jp2_sig[12] = {0, 0, 0, 0x0C, 'j', 'P', ' ', ' ', 0x0D, 0x0A, 0x87, 0x0A};
  static const uint8_t jxl_sig[12] = {0, 0, 0, 0x0C, 'J', 'X', 'L', ' ', 0x0D, 0x0A, 0x87, 0x0A};
  if (n >= 4 && (memcmp(b, "II*\0", 4) == 0 || memcmp(b, "MM\0*", 4) == 0 || memcmp(b, "II+\0", 4) == 0 ||
                 memcmp(b, "MM\0+", 4) == 0))
    return "TIFF images";
  if (n >= 12 && memcmp(b, "RIFF", 4) == 0 && memcmp(b + 8, "WEBP", 4) == 0) return "WebP images";
  if (n >= 6 && (memcmp(b, "GIF87a", 6) == 0 || memcmp(b, "GIF89a", 6) == 0)) return "GIF images";
  if (n >= 12 && memcmp(b + 4, "ftyp", 4) == 0) {
    /* ISO base media file (HEIF, AVIF, MP4): the major brand, then the compatible brands up to the box's end */
    static const char *const heic[] = {"heic", "heix", "hevc", "hevx", "heim", "heis"};
    const uint8_t *major = b + 8;
    unsigned long box = be32(b);
    size_t end = box >= 16 && box <= n ? (size_t)box : (n < 64 ? n : 64), i;
    for (i = 0; i < sizeof heic / sizeof heic[0]; i++)
      if (memcmp(major, heic[i], 4) == 0) return "HEIC images";
    if (memcmp(major, "avif", 4) == 0 || memcmp(major, "avis", 4) == 0) return "AVIF images";
    if (memcmp(major, "mif1", 4) == 0 || memcmp(major, "msf1", 4) == 0) {
      for (i = 16; i + 4 <= end; i += 4)
        if (memcmp(b + i, "avif", 4) == 0) return "AVIF images";
      return "HEIF images";
    }
    if (memcmp(major, "jp2 ", 4) == 0) return "JPEG 2000 images";
    return NULL; /* a video or another ISO file: not named */
  }
  if (n >= 12 && (memcmp(b, jp2_sig, 12) == 0)) return "JPEG 2000 images";
  if (n >= 4 && b[0] == 0xFF && b[1] == 0x4F && b[2] == 0xFF && b[3] == 0x51) return "JPEG 2000 images";
  if ((n >= 12 && memcmp(b, jxl_sig, 12) == 0) || (n >= 2 && b[0] == 0xFF && b[1] == 0x0A)) return "JPEG XL images";
  if (n >= 5 && memcmp(b, "%PDF-", 5) == 0) return "PDF files";
  if (n >= 4 && memcmp(b, "8BPS", 4) == 0) return "Photoshop (PSD) files";
  if (n >= 132 && memcmp(b + 128, "DICM", 4) == 0) return "DICOM files";
  return NULL;
}

/* ------------------------------------------------------------------------------------------------ */
/* structure walks: no allocation, every read bounds-checked */

static int is_sof(unsigned m) { return m >= 0xC0 && m <= 0xCF && m != 0xC4 && m != 0xC8 && m != 0xCC; }

/* Walks JPEG segments and entropy-coded data up to EOI. Sets dims from the first SOF. */
/* The Orientation tag (0x0112) of IFD0 in an APP1 "Exif" payload p[0..n), 1..8; 0 when absent or invalid.
 * Every offset is checked against n: the payload is the file's, not trusted. */
static int exif_orientation(const uint8_t *p, size_t n) {
  const uint8_t *t;
  size_t tn, ifd, i, count;
  int le;
  if (n < 6 + 8 || memcmp(p, "Exif\0\0", 6)) return 0;
  t = p + 6;
  tn = n - 6;
  if (t[0] == 'I' && t[1] == 'I') le = 1;
  else if (t[0] == 'M' && t[1] == 'M') le = 0;
  else return 0;
  if ((le ? le16(t + 2) : be16(t + 2)) != 42) return 0;
  ifd = le ? le32(t + 4) : be32(t + 4);
  if (ifd > tn - 2) return 0;
  count = le ? le16(t + ifd) : be16(t + ifd);
  for (i = 0; i < count; i++) {
    const size_t e = ifd + 2 + 12 * i;
    unsigned tag, type, v;
    if (e > tn || tn - e < 12) return 0;
    tag = le ? le16(t + e) : be16(t + e);
    if (tag != 0x0112) continue;
    type = le ? le16(t + e + 2) : be16(t + e + 2);
    if (type != 3) return 0;   /* SHORT */
    v = le ? le16(t + e + 8) : be16(t + e + 8);
    return v >= 1 && v <= 8 ? (int)v : 0;
  }
  return 0;
}

static bc_status jpeg_walk(const uint8_t *b, size_t n, header *hd, char *msg, size_t ml) {
  size_t pos = 2;
  int seen_sof = 0, seen_sos = 0, adobe_transform = -1;
  unsigned sof = 0, precision = 8, ncomp = 3;
  unsigned char huff_defined[2][4] = {{0}}; /* [DC/AC][table id]: set by a DHT */
  for (;;) {
    unsigned m;
    size_t len;
    if (pos >= n) goto truncated;
    if (b[pos] != 0xFF) {
      set_msg(msg, ml, "corrupt JPEG (expected a marker at byte %lu)", (unsigned long)pos);
      return BC_ERR_CORRUPT;
    }
    while (pos < n && b[pos] == 0xFF) pos++; /* fill bytes */
    if (pos >= n) goto truncated;
    m = b[pos++];
    if (m == 0xD9) { /* EOI */
      if (!seen_sof || !seen_sos) {
        set_msg(msg, ml, "corrupt JPEG (end-of-image marker before any image data)");
        return BC_ERR_CORRUPT;
      }
      break;
    }
    if (m == 0x01 || (m >= 0xD0 && m <= 0xD7)) continue; /* stand-alone markers */
    if (m < 0xC0 || m == 0xD8 || m == 0xFF) { /* 0x02..0xBF are reserved, SOI cannot repeat */
      set_msg(msg, ml, "corrupt JPEG (unexpected marker 0xFF%02X at byte %lu)", m, (unsigned long)(pos - 2));
      return BC_ERR_CORRUPT;
    }
    if (n - pos < 2) goto truncated;
    len = be16(b + pos);
    if (len < 2) {
      set_msg(msg, ml, "corrupt JPEG (segment 0xFF%02X has length %lu)", m, (unsigned long)len);
      return BC_ERR_CORRUPT;
    }
    if (is_sof(m) && !seen_sof && n - pos >= 8) {
      if (len < 8) {
        set_msg(msg, ml, "corrupt JPEG (frame header too short)");
        return BC_ERR_CORRUPT;
      }
      precision = b[pos + 2];
      ncomp = b[pos + 7];
      hd->h = be16(b + pos + 3);
      hd->w = be16(b + pos + 5);
      hd->have_dims = 1;
      sof = m;
      seen_sof = 1;
    }
    if (n - pos < len) goto truncated;
    if (m == 0xE1 && !hd->orientation) hd->orientation = exif_orientation(b + pos + 2, len - 2);
    if (m == 0xC4) { /* DHT: stb 2.27 does not bound the code count (a table of > 256 codes overflows it) */
      size_t q = pos + 2, end = pos + len;
      while (q < end) {
        unsigned i, codes = 0;
        if (end - q < 17 || (b[q] >> 4) > 1 || (b[q] & 15) > 3) goto bad_dht;
        for (i = 1; i <= 16; i++) codes += b[q + i];
        if (codes > 256 || end - q - 17 < codes) goto bad_dht;
        huff_defined[b[q] >> 4][b[q] & 15] = 1;
        q += 17 + codes;
      }
    }
    /* Adobe APP14, read as stb reads it: "Adobe\0", version byte, flags0, flags1, colour transform */
    if (m == 0xEE && len - 2 >= 12 && memcmp(b + pos + 2, "Adobe\0", 6) == 0) adobe_transform = b[pos + 2 + 11];
    pos += len;
    if (m == 0xDA) { /* SOS: skip entropy-coded data up to the next real marker */
      if (!seen_sof) {
        set_msg(msg, ml, "corrupt JPEG (scan before the frame header)");
        return BC_ERR_CORRUPT;
      }
      seen_sos = 1;
      /* stb 2.27 decodes with whatever a Huffman table slot holds, so a scan that names a table no DHT has
       * defined yet reads outside the table (out-of-bounds index in stbi__jpeg_huff_decode; fuzz finding,
       * tests/fuzz/corpus/image/regress_jpeg_undefined_huffman.jpg). Check each table the scan will use:
       * DC for a first DC scan (or any baseline scan), AC for any scan with AC coefficients. */
      {
        const size_t sp = pos - len + 2; /* the SOS header: Ns, Ns x (Cs, Td|Ta), Ss, Se, Ah|Al */
        const unsigned ns = len >= 3 ? b[sp] : 0;
        unsigned i, ss, se, ah;
        const int progressive = sof == 0xC2;
        if (ns < 1 || ns > 4 || len < 6 + 2 * (size_t)ns) {
          set_msg(msg, ml, "corrupt JPEG (bad scan header)");
          return BC_ERR_CORRUPT;
        }
        ss = b[sp + 1 + 2 * ns];
        se = b[sp + 2 + 2 * ns];
        ah = b[sp + 3 + 2 * ns] >> 4;
        for (i = 0; i < ns; i++) {
          const unsigned td = b[sp + 2 + 2 * i] >> 4, ta = b[sp + 2 + 2 * i] & 15;
          const int uses_dc = !progressive || (ss == 0 && ah == 0), uses_ac = !progressive || se > 0;
          if ((uses_dc && (td > 3 || !huff_defined[0][td])) || (uses_ac && (ta > 3 || !huff_defined[1][ta]))) {
            set_msg(msg, ml, "corrupt JPEG (a scan uses a Huffman table that is not defined)");
            return BC_ERR_CORRUPT;
          }
        }
      }
      for (;;) {
        const uint8_t *q = (const uint8_t *)memchr(b + pos, 0xFF, n - pos);
        size_t i;
        unsigned c;
        if (!q) goto truncated;
        i = (size_t)(q - b);
        if (n - i < 2) goto truncated;
        c = b[i + 1];
        if (c == 0x00 || (c >= 0xD0 && c <= 0xD7)) { pos = i + 2; continue; }
        if (c == 0xFF) { pos = i + 1; continue; }
        pos = i;
        break;
      }
    }
  }
  /* complete file: variants stb 2.27 does not decode */
  if (sof != 0xC0 && sof != 0xC1 && sof != 0xC2) {
    const char *what = sof == 0xC3 || sof == 0xC7 || sof == 0xCB || sof == 0xCF ? "lossless"
                       : sof >= 0xC9 ? "arithmetic-coded" : "hierarchical";
    set_msg(msg, ml, "unsupported: %s JPEG (SOF%u)", what, sof - 0xC0);
    return BC_ERR_UNSUPPORTED;
  }
  if (ncomp == 4 && adobe_transform != 0 && adobe_transform != 2) {
    /* stb would treat the first three channels as YCbCr and drop the fourth: wrong colours, not an error */
    set_msg(msg, ml, "unsupported: 4-channel JPEG without an Adobe CMYK/YCCK marker");
    return BC_ERR_UNSUPPORTED;
  }
  if (precision != 8) {
    set_msg(msg, ml, "unsupported: %u-bit JPEG (8-bit expected)", precision);
    return BC_ERR_UNSUPPORTED;
  }
  return BC_OK;
truncated:
  set_msg(msg, ml, "truncated JPEG (no end-of-image marker)");
  return BC_ERR_TRUNCATED;
bad_dht:
  set_msg(msg, ml, "corrupt JPEG (bad Huffman table)");
  return BC_ERR_CORRUPT;
}

/* CRC-32 (PNG/zlib polynomial, reflected), 4 bits per step with a 16-entry constant table. */
static unsigned long crc32_png(const uint8_t *p, size_t n) {
  static const uint32_t t[16] = {0x00000000UL, 0x1DB71064UL, 0x3B6E20C8UL, 0x26D930ACUL, 0x76DC4190UL, 0x6B6B51F4UL,
                                 0x4DB26158UL, 0x5005713CUL, 0xEDB88320UL, 0xF00F9344UL, 0xD6D6A3E8UL, 0xCB61B38CUL,
                                 0x9B64C2B0UL, 0x86D3D2D4UL, 0xA00AE278UL, 0xBDBDF21CUL};
  uint32_t c = 0xFFFFFFFFUL;
  size_t i;
  for (i = 0; i < n; i++) {
    c ^= p[i];
    c = (c >> 4) ^ t[c & 15];
    c = (c >> 4) ^ t[c & 15];
  }
  return (unsigned long)(c ^ 0xFFFFFFFFUL);
}

static int chunk_name_ok(const uint8_t *t) {
  int i;
  for (i = 0; i < 4; i++)
    if (!((t[i] >= 'A' && t[i] <= 'Z') || (t[i] >= 'a' && t[i] <= 'z'))) return 0;
  return 1;
}

/* Walks PNG chunks up to IEND (CRCs are not checked, as stb does not). Sets dims from IHDR. */
static bc_status png_walk(const uint8_t *b, size_t n, header *hd, char *msg, size_t ml) {
  size_t pos = 8;
  int first = 1;
  if (n < 8) {
    set_msg(msg, ml, "truncated PNG (file ends inside the signature)");
    return BC_ERR_TRUNCATED;
  }
  for (;;) {
    unsigned long len;
    const uint8_t *type;
    if (n - pos < 8) {
      set_msg(msg, ml, first ? "truncated PNG (file ends before the IHDR chunk)"
                             : "truncated PNG (file ends before the IEND chunk)");
      return BC_ERR_TRUNCATED;
    }
    len = be32(b + pos);
    type = b + pos + 4;
    if (!chunk_name_ok(type) || len > 0x7FFFFFFFUL) {
      set_msg(msg, ml, "corrupt PNG (bad chunk header at byte %lu)", (unsigned long)pos);
      return BC_ERR_CORRUPT;
    }
    if (first) {
      if (memcmp(type, "IHDR", 4) != 0 || len != 13) {
        set_msg(msg, ml, "corrupt PNG (first chunk is not a valid IHDR)");
        return BC_ERR_CORRUPT;
      }
      if (n - pos >= 16) {
        hd->w = (long long)be32(b + pos + 8);
        hd->h = (long long)be32(b + pos + 12);
        hd->have_dims = 1;
      }
      if (n - pos >= 18) hd->png_color_type = b[pos + 17];
      first = 0;
    }
    if (n - pos - 8 < (size_t)len + 4) {
      set_msg(msg, ml, "truncated PNG (the %.4s chunk is cut short)", (const char *)type);
      return BC_ERR_TRUNCATED;
    }
    /* stb ignores CRCs (and zlib's Adler-32), so damaged pixel data would decode silently; PIL's zlib
     * would catch it. A CRC check over every chunk catches it here. */
    if ((crc32_png(b + pos + 4, (size_t)len + 4) ^ be32(b + pos + 8 + len)) != 0) {
      set_msg(msg, ml, "corrupt PNG (CRC mismatch in the %.4s chunk)", (const char *)type);
      return BC_ERR_CORRUPT;
    }
    if (memcmp(type, "IEND", 4) == 0) return BC_OK;
    if (memcmp(type, "tRNS", 4) == 0 && (hd->png_color_type == 0 || hd->png_color_type == 2)) hd->ignore_alpha = 1;
    pos += 12 + (size_t)len;
  }
}

/* Reads the BMP header (dims). The pixel-array size check runs separately, once dims are within limits. */
static bc_status bmp_header(const uint8_t *b, size_t n, header *hd, char *msg, size_t ml) {
  unsigned long hsz;
  if (n < 18) goto truncated;
  hsz = le32(b + 14);
  if (hsz != 12 && hsz != 40 && hsz != 56 && hsz != 108 && hsz != 124) { /* what stb 2.27 reads */
    set_msg(msg, ml, "unsupported: BMP with a %lu-byte info header", hsz);
    return BC_ERR_UNSUPPORTED;
  }
  if (hsz == 12) {
    if (n < 26) goto truncated;
    hd->w = le16(b + 18);
    hd->h = le16(b + 20);
  } else {
    long long w, h;
    if (n < 34) goto truncated;
    w = le32s(b + 18);
    h = le32s(b + 22);
    if (w <= 0 || h == 0 || h == -2147483648LL) {
      set_msg(msg, ml, "corrupt BMP (width %lld, height %lld)", w, h);
      return BC_ERR_CORRUPT;
    }
    hd->w = w;
    hd->h = h < 0 ? -h : h;
    hd->ignore_alpha = le16(b + 28) == 32 && le32(b + 30) == 0;
  }
  hd->have_dims = 1;
  return BC_OK;
truncated:
  set_msg(msg, ml, "truncated BMP (file ends inside the header)");
  return BC_ERR_TRUNCATED;
}

/* Variants stb 2.27 cannot decode, named before stb is asked (its info call hides the reason). */
static bc_status bmp_variant(const uint8_t *b, char *msg, size_t ml) {
  unsigned long hsz = le32(b + 14), comp = 0;
  unsigned planes, bpp;
  if (hsz == 12) {
    planes = le16(b + 22);
    bpp = le16(b + 24);
  } else {
    planes = le16(b + 26);
    bpp = le16(b + 28);
    comp = le32(b + 30);
  }
  if (planes != 1) {
    set_msg(msg, ml, "corrupt BMP (%u colour planes)", planes);
    return BC_ERR_CORRUPT;
  }
  if (bpp != 1 && bpp != 4 && bpp != 8 && bpp != 16 && bpp != 24 && bpp != 32) {
    set_msg(msg, ml, "unsupported: %u-bit BMP", bpp);
    return BC_ERR_UNSUPPORTED;
  }
  if (comp == 1 || comp == 2) {
    set_msg(msg, ml, "unsupported: RLE-compressed BMP");
    return BC_ERR_UNSUPPORTED;
  }
  if (comp != 0 && comp != 3) {
    set_msg(msg, ml, "unsupported: BMP compression type %lu", comp);
    return BC_ERR_UNSUPPORTED;
  }
  if (comp == 3 && bpp != 16 && bpp != 32) {
    set_msg(msg, ml, "corrupt BMP (bit fields with %u bits per pixel)", bpp);
    return BC_ERR_CORRUPT;
  }
  return BC_OK;
}

static bc_status bmp_check_size(const uint8_t *b, size_t n, const header *hd, char *msg, size_t ml) {
  unsigned long hsz = le32(b + 14), offbits = le32(b + 10), comp = 0;
  unsigned bpp;
  unsigned long long stride, need;
  if (hsz == 12) {
    bpp = le16(b + 24);
  } else {
    bpp = le16(b + 28);
    comp = le32(b + 30);
  }
  if (comp != 0 && comp != 3 && comp != 6) return BC_OK; /* RLE etc.: stb reports it */
  if (bpp != 1 && bpp != 4 && bpp != 8 && bpp != 16 && bpp != 24 && bpp != 32) return BC_OK;
  stride = (((unsigned long long)hd->w * bpp + 31) / 32) * 4; /* w, h <= BC_MAX_IMAGE_DIM here */
  need = (unsigned long long)offbits + stride * (unsigned long long)hd->h;
  if ((unsigned long long)n < need) {
    set_msg(msg, ml, "truncated BMP (pixel data needs %llu bytes, the file has %llu)", need,
            (unsigned long long)n);
    return BC_ERR_TRUNCATED;
  }
  return BC_OK;
}

static bc_status check_limits(long long w, long long h, char *msg, size_t ml) {
  /* w, h come from 32-bit header fields: the unsigned 64-bit product cannot overflow */
  if (w > 0 && h > 0 && (unsigned long long)w * (unsigned long long)h > BC_MAX_IMAGE_PIXELS) {
    set_msg(msg, ml, "image is %lldx%lld pixels; the limit is %ld pixels", w, h, (long)BC_MAX_IMAGE_PIXELS);
    return BC_ERR_TOO_LARGE;
  }
  if (w > BC_MAX_IMAGE_DIM || h > BC_MAX_IMAGE_DIM) {
    set_msg(msg, ml, "image is %lldx%lld pixels; the limit is %d pixels per side", w, h, BC_MAX_IMAGE_DIM);
    return BC_ERR_TOO_LARGE;
  }
  return BC_OK;
}

/* stb's short failure reasons -> our codes */
static bc_status map_stb_failure(int fmt, char *msg, size_t ml) {
  const char *r = stbi_failure_reason();
  static const char *const unsupported[] = {"only 8-bit", "no header height", "BMP RLE", "BMP JPEG/PNG",
                                            "unknown BMP", "bad bits_per_channel", "1/2/4/8/16-bit only",
                                            "unsupported"};
  size_t i;
  if (!r) r = "unknown error";
  if (strcmp(r, "outofmem") == 0) {
    set_msg(msg, ml, "out of memory while decoding the %s", fmt_name(fmt));
    return BC_ERR_NOMEM;
  }
  if (strcmp(r, "too large") == 0) {
    set_msg(msg, ml, "%s is too large to decode (stb_image: too large)", fmt_name(fmt));
    return BC_ERR_TOO_LARGE;
  }
  for (i = 0; i < sizeof unsupported / sizeof unsupported[0]; i++)
    if (strcmp(r, unsupported[i]) == 0) {
      set_msg(msg, ml, "unsupported: %s variant (stb_image: %s)", fmt_name(fmt), r);
      return BC_ERR_UNSUPPORTED;
    }
  if (strcmp(r, "unknown image type") == 0) { /* stbi_info tried every format and kept no reason */
    set_msg(msg, ml, "corrupt %s (header not accepted by stb_image)", fmt_name(fmt));
    return BC_ERR_CORRUPT;
  }
  if (strcmp(r, "outofdata") == 0 || strcmp(r, "not enough pixels") == 0) {
    set_msg(msg, ml, "truncated %s (compressed data ends early; stb_image: %s)", fmt_name(fmt), r);
    return BC_ERR_TRUNCATED;
  }
  set_msg(msg, ml, "corrupt %s (stb_image: %s)", fmt_name(fmt), r);
  return BC_ERR_CORRUPT;
}

/* All checks that need no pixel allocation. On BC_OK, *w, *h, *ch are stb's view of the file. */
static bc_status validate(const uint8_t *b, size_t n, header *hd, int *w, int *h, int *ch, char *msg, size_t ml) {
  bc_status s = BC_OK;
  int sw = 0, sh = 0, sc = 0;
  memset(hd, 0, sizeof *hd);
  hd->png_color_type = -1;
  if (n == 0) {
    set_msg(msg, ml, "empty file");
    return BC_ERR_EMPTY;
  }
  if (!b) {
    set_msg(msg, ml, "no input buffer");
    return BC_ERR_ARGUMENT;
  }
  hd->fmt = detect_format(b, n);
  switch (hd->fmt) {
    case FMT_JPEG: s = jpeg_walk(b, n, hd, msg, ml); break;
    case FMT_PNG: s = png_walk(b, n, hd, msg, ml); break;
    case FMT_BMP: s = bmp_header(b, n, hd, msg, ml); break;
    default: {
      const char *other = other_format_name(b, n);
      if (other) {
        set_msg(msg, ml, "%s are not supported: save as JPEG or PNG", other);
        return BC_ERR_UNSUPPORTED;
      }
      set_msg(msg, ml, "not an image (JPEG, PNG or BMP expected)");
      return BC_ERR_NOT_IMAGE;
    }
  }
  if (hd->have_dims) {
    /* the limit wins over any structural problem, so bombs are always reported as such */
    bc_status t = check_limits(hd->w, hd->h, msg, ml);
    if (t != BC_OK) return t;
  }
  if (s != BC_OK) return s;
  if (hd->have_dims && (hd->w == 0 || hd->h == 0)) {
    if (hd->fmt == FMT_JPEG && hd->h == 0 && hd->w != 0) {
      set_msg(msg, ml, "unsupported: JPEG with its height in a DNL marker");
      return BC_ERR_UNSUPPORTED;
    }
    set_msg(msg, ml, "corrupt %s (image is %lldx%lld pixels)", fmt_name(hd->fmt), hd->w, hd->h);
    return BC_ERR_CORRUPT;
  }
  if (hd->fmt == FMT_BMP) {
    if ((s = bmp_variant(b, msg, ml)) != BC_OK) return s;
    if ((s = bmp_check_size(b, n, hd, msg, ml)) != BC_OK) return s;
  }
  if (n > (size_t)INT_MAX) {
    set_msg(msg, ml, "file is %llu bytes; the limit is %d bytes", (unsigned long long)n, INT_MAX);
    return BC_ERR_TOO_LARGE;
  }
  if (!stbi_info_from_memory(b, (int)n, &sw, &sh, &sc)) return map_stb_failure(hd->fmt, msg, ml);
  /* stb 2.27's BMP info reports a top-down BMP's height as negative (its loader takes abs()); the header
   * walk above already rejected INT_MIN. Found by the fuzz corpus (tests/fuzz/corpus/image/bmp24_5x4_topdown.bmp). */
  if (hd->fmt == FMT_BMP && sh < 0 && sh != INT_MIN) sh = -sh;
  if ((s = check_limits(sw, sh, msg, ml)) != BC_OK) return s;
  if (sw <= 0 || sh <= 0 || sc < 1 || sc > 4) {
    set_msg(msg, ml, "corrupt %s (header gives %dx%d pixels, %d channels)", fmt_name(hd->fmt), sw, sh, sc);
    return BC_ERR_CORRUPT;
  }
  if (hd->have_dims && (sw != hd->w || sh != hd->h)) {
    set_msg(msg, ml, "corrupt %s (inconsistent dimensions)", fmt_name(hd->fmt));
    return BC_ERR_CORRUPT;
  }
  if (hd->ignore_alpha && sc == 4) sc = 3;
  *w = sw;
  *h = sh;
  *ch = sc;
  return BC_OK;
}

/* ------------------------------------------------------------------------------------------------ */
/* preprocessor */

static double bilinear_filter(double x) {
  if (x < 0.0) x = -x;
  if (x < 1.0) return 1.0 - x;
  return 0.0;
}

static int taps_for(int in_size, int out_size) {
  double filterscale = (double)(float)in_size / out_size;
  if (filterscale < 1.0) filterscale = 1.0;
  return (int)ceil(filterscale) * 2 + 1;
}

void bc_preprocessor_free(bc_preprocessor *p) {
  if (!p) return;
  free(p->coef);
  free(p->bounds);
  free(p->wtmp);
  free(p->ring);
  free(p->acc);
  free(p->rowbuf);
  free(p->padrow);
  bc_frame_scratch_free(p->frame);
  free(p->frame);
  p->padrow = NULL;
  p->frame = NULL;
  p->coef = NULL;
  p->bounds = NULL;
  p->wtmp = NULL;
  p->ring = NULL;
  p->acc = NULL;
  p->rowbuf = NULL;
  p->kmax = 0;
}

static int finite_f(float v) { return v == v && v - v == 0.0f; }

bc_status bc_preprocessor_init(bc_preprocessor *p, const bc_preprocess_config *cfg) {
  return bc_preprocessor_init_mode(p, cfg, BC_RESIZE_CENTRE);
}

bc_status bc_preprocessor_init_mode(bc_preprocessor *p, const bc_preprocess_config *cfg, int resize_mode) {
  int c, v, S, k;
  if (!p) return BC_ERR_ARGUMENT;
  memset(p, 0, sizeof *p);
  if (resize_mode != BC_RESIZE_CENTRE && resize_mode != BC_RESIZE_FRAME) return BC_ERR_ARGUMENT;
  p->resize_mode = resize_mode;
  if (!cfg || cfg->size < 1 || cfg->size > BC_MAX_INPUT_SIZE) return BC_ERR_ARGUMENT;
  if (!finite_f(cfg->input_scale) || !(cfg->input_scale > 0.0f)) return BC_ERR_ARGUMENT;
  if (cfg->input_zero_point < -128 || cfg->input_zero_point > 127) return BC_ERR_ARGUMENT;
  for (c = 0; c < 3; c++)
    if (!finite_f(cfg->mean[c]) || !finite_f(cfg->std[c]) || !(cfg->std[c] > 0.0f)) return BC_ERR_ARGUMENT;
  p->cfg = *cfg;
  S = cfg->size;

  for (c = 0; c < 3; c++) {
    for (v = 0; v < 256; v++) {
      double x = ((double)v / 255.0 - (double)cfg->mean[c]) / (double)cfg->std[c];
      double q = nearbyint(x / (double)cfg->input_scale) + (double)cfg->input_zero_point;
      if (!(q >= -128.0)) q = -128.0; /* also catches NaN */
      if (q > 127.0) q = 127.0;
      p->lut[c][v] = (int8_t)q;
    }
  }

  k = taps_for(BC_MAX_IMAGE_DIM, S); /* the widest filter any accepted crop can need */
  if (k < 3) k = 3;
  p->kmax = k;
  p->coef = (int32_t *)malloc((size_t)S * (size_t)k * sizeof(int32_t));
  p->bounds = (int *)malloc((size_t)S * 2 * sizeof(int));
  p->wtmp = (double *)malloc((size_t)k * sizeof(double));
  p->ring = (uint8_t *)malloc(((size_t)k + 1) * (size_t)S * 3); /* k rows + one output row */
  p->acc = (int32_t *)malloc((size_t)S * 3 * sizeof(int32_t));
  p->rowbuf = (uint8_t *)malloc((size_t)BC_MAX_IMAGE_DIM * 3);
  p->padrow = (uint8_t *)malloc((size_t)S * 3);
  if (resize_mode == BC_RESIZE_FRAME) {
    p->frame = (bc_frame_scratch *)malloc(sizeof *p->frame);
    if (p->frame && bc_frame_scratch_init(p->frame) != BC_OK) { free(p->frame); p->frame = NULL; }
  }
  if (!p->coef || !p->bounds || !p->wtmp || !p->ring || !p->acc || !p->rowbuf || !p->padrow ||
      (resize_mode == BC_RESIZE_FRAME && !p->frame)) {
    bc_preprocessor_free(p);
    return BC_ERR_NOMEM;
  }
  return BC_OK;
}

/* Pillow precompute_coeffs() + normalize_coeffs_8bpc() for box (0, m), inSize m, outSize S.
 * Not inlined: it keeps run_pipeline small, which V8 compiles twice (baseline, then optimised). */
__attribute__((noinline)) static int compute_coeffs(const bc_preprocessor *p, int m) {
  const int S = p->cfg.size;
  float in0 = 0.0f, in1 = (float)m;
  double support, scale, filterscale, center, ww, ss;
  int xx, x, ksize, xmin, xmax;

  filterscale = scale = (double)(in1 - in0) / S;
  if (filterscale < 1.0) filterscale = 1.0;
  support = 1.0 * filterscale; /* bilinear support 1.0 */
  ksize = (int)ceil(support) * 2 + 1;
  if (ksize > p->kmax) return 0;

  for (xx = 0; xx < S; xx++) {
    int32_t *k = p->coef + (size_t)xx * (size_t)ksize;
    double *w = p->wtmp;
    center = in0 + (xx + 0.5) * scale;
    ww = 0.0;
    ss = 1.0 / filterscale;
    xmin = (int)(center - support + 0.5);
    if (xmin < 0) xmin = 0;
    xmax = (int)(center + support + 0.5);
    if (xmax > m) xmax = m;
    xmax -= xmin;
    if (xmax > ksize) xmax = ksize; /* cannot happen; keeps every index provably in range */
    if (xmax < 0) xmax = 0;
    for (x = 0; x < xmax; x++) {
      double wt = bilinear_filter((x + xmin - center + 0.5) * ss);
      w[x] = wt;
      ww += wt;
    }
    for (x = 0; x < xmax; x++)
      if (ww != 0.0) w[x] /= ww;
    for (x = 0; x < xmax; x++)
      k[x] = w[x] < 0 ? (int32_t)(-0.5 + w[x] * (1 << PRECISION_BITS)) : (int32_t)(0.5 + w[x] * (1 << PRECISION_BITS));
    for (; x < ksize; x++) k[x] = 0;
    p->bounds[xx * 2 + 0] = xmin;
    p->bounds[xx * 2 + 1] = xmax;
  }
  return ksize;
}

static uint8_t clip8(int32_t v) {
  if (v < 0) return 0;
  v >>= PRECISION_BITS;
  return (uint8_t)(v > 255 ? 255 : v);
}

typedef struct source {
  const uint8_t *px;
  int w, h, ch, x0, y0, m, ignore_alpha;   /* the crop (x0, y0, m) may reach beyond the image ... */
  uint8_t bg[3];                           /* ... which is then this colour */
} source;

static int row_inside(const source *s, int y) { return y >= 0 && y < s->h; }

/* m pixels from in as RGB (frame.c: alpha composited over white as PIL does). */
static void to_rgb(const source *s, const uint8_t *in, int m, uint8_t *buf) {
  bc_pixels_to_rgb(in, m, s->ch, s->ignore_alpha, buf);
}

/* Crop row r as m RGB pixels; the part outside the image is the background colour. */
static const uint8_t *crop_row(const source *s, int r, uint8_t *buf) {
  const int y = s->y0 + r;
  int x0, x1, i;
  if (row_inside(s, y) && s->x0 >= 0 && s->x0 + s->m <= s->w) {
    const uint8_t *in = s->px + ((size_t)y * (size_t)s->w + (size_t)s->x0) * (size_t)s->ch;
    if (s->ch == 3) return in;
    to_rgb(s, in, s->m, buf);
    return buf;
  }
  x0 = s->x0 < 0 ? 0 : s->x0;                 /* the image columns inside the crop, [x0, x1) */
  x1 = s->x0 + s->m < s->w ? s->x0 + s->m : s->w;
  for (i = 0; i < s->m; i++) { buf[i * 3] = s->bg[0]; buf[i * 3 + 1] = s->bg[1]; buf[i * 3 + 2] = s->bg[2]; }
  if (row_inside(s, y) && x0 < x1)
    to_rgb(s, s->px + ((size_t)y * (size_t)s->w + (size_t)x0) * (size_t)s->ch, x1 - x0, buf + (size_t)(x0 - s->x0) * 3);
  return buf;
}

/* Pillow's horizontal pass over one crop row (src_w pixels), as a kernel with a scalar twin. */
#ifdef __wasm_simd128__
#define hresample bc_u8_rgb_hresample__wasmsimd
#else
#define hresample bc_u8_rgb_hresample__scalar
#endif

static bc_status run_pipeline(const bc_preprocessor *p, const source *s, uint8_t *rgb_out, int8_t *tensor_out,
                              char *msg, size_t ml) {
  const int S = p->cfg.size, kmax = p->kmax, rowlen = S * 3;
  uint8_t *out_row = p->ring + (size_t)kmax * (size_t)rowlen;
  int32_t *acc = p->acc;
  int ksize, yy, y, i, next_row, pad_ready = 0;

  ksize = compute_coeffs(p, s->m);
  if (ksize == 0) {
    set_msg(msg, ml, "internal error: filter wider than the scratch space");
    return BC_ERR_ARGUMENT;
  }
  next_row = p->bounds[0];
  for (yy = 0; yy < S; yy++) {
    const int32_t *k = p->coef + (size_t)yy * (size_t)ksize;
    int ymin = p->bounds[yy * 2], ymax = p->bounds[yy * 2 + 1];
    if (next_row < ymin) next_row = ymin;
    for (; next_row < ymin + ymax; next_row++) {
      uint8_t *dst = p->ring + (size_t)(next_row % kmax) * (size_t)rowlen;
      if (row_inside(s, s->y0 + next_row)) {
        hresample((size_t)S, crop_row(s, next_row, p->rowbuf), (size_t)s->m, dst, p->coef, p->bounds, (size_t)ksize);
        continue;
      }
      /* a row of padding above or below the image resamples the same every time */
      if (!pad_ready) {
        hresample((size_t)S, crop_row(s, next_row, p->rowbuf), (size_t)s->m, p->padrow, p->coef, p->bounds,
                  (size_t)ksize);
        pad_ready = 1;
      }
      memcpy(dst, p->padrow, (size_t)rowlen);
    }
    /* Tap by tap along the whole row, so that the inner loops vectorise (wasm SIMD, SSE): the same
     * int32 sums as Pillow's pixel-by-pixel loop, added in another order (exact: no overflow). */
    for (i = 0; i < rowlen; i++) acc[i] = 1 << (PRECISION_BITS - 1);
    for (y = 0; y < ymax; y++) {
      const uint8_t *r = p->ring + (size_t)((ymin + y) % kmax) * (size_t)rowlen;
      const int32_t ky = k[y];
      for (i = 0; i < rowlen; i++) acc[i] += r[i] * ky;
    }
    for (i = 0; i < rowlen; i++) out_row[i] = clip8(acc[i]);
    if (rgb_out) memcpy(rgb_out + (size_t)yy * (size_t)rowlen, out_row, (size_t)rowlen);
    if (tensor_out) {
      int8_t *t = tensor_out + (size_t)yy * (size_t)rowlen;
      for (i = 0; i < rowlen; i += 3) {
        t[i + 0] = p->lut[0][out_row[i + 0]];
        t[i + 1] = p->lut[1][out_row[i + 1]];
        t[i + 2] = p->lut[2][out_row[i + 2]];
      }
    }
  }
  if (msg && ml) msg[0] = '\0';
  return BC_OK;
}

static bc_status check_preprocessor(const bc_preprocessor *p, char *msg, size_t ml) {
  if (!p || !p->coef || !p->ring || !p->rowbuf || !p->bounds || !p->acc || !p->wtmp || !p->padrow || p->cfg.size < 1) {
    set_msg(msg, ml, "preprocessor not initialised");
    return BC_ERR_ARGUMENT;
  }
  return BC_OK;
}

static bc_status run_crop(const bc_preprocessor *p, const uint8_t *px, int w, int h, int ch, int ignore_alpha,
                          const bc_frame_result *fr, uint8_t *rgb_out, int8_t *tensor_out, char *msg, size_t ml) {
  source s;
  s.px = px;
  s.w = w;
  s.h = h;
  s.ch = ch;
  s.m = fr->crop_side;
  s.x0 = fr->crop_x0;
  s.y0 = fr->crop_y0;
  s.ignore_alpha = ignore_alpha;
  s.bg[0] = (uint8_t)fr->bg_r;
  s.bg[1] = (uint8_t)fr->bg_g;
  s.bg[2] = (uint8_t)fr->bg_b;
  return run_pipeline(p, &s, rgb_out, tensor_out, msg, ml);
}

/* Mode 0: the centre crop, nothing analysed. Mode 1: bc_frame_analyse (its centre crop where it cannot run,
 * e.g. a 20000x1 strip over BC_MAX_IMAGE_DIM). */
static bc_status preprocess_source(const bc_preprocessor *p, const uint8_t *px, int w, int h, int ch,
                                   int ignore_alpha, uint8_t *rgb_out, int8_t *tensor_out, bc_frame_result *frame,
                                   char *msg, size_t ml) {
  bc_frame_result fr;
  bc_status s;
  memset(&fr, 0, sizeof fr);
  fr.path = BC_FRAME_CENTRE;
  fr.crop_side = w < h ? w : h;
  fr.crop_x0 = (w - fr.crop_side) / 2;
  fr.crop_y0 = (h - fr.crop_side) / 2;
  fr.bg_r = fr.bg_g = fr.bg_b = 255;
  if (p->resize_mode == BC_RESIZE_FRAME) {
    const bc_frame_image im = {px, w, h, ch, ignore_alpha};
    (void)bc_frame_analyse(p->frame, &im, &fr);
  }
  s = run_crop(p, px, w, h, ch, ignore_alpha, &fr, rgb_out, tensor_out, msg, ml);
  if (s == BC_OK && frame) *frame = fr;
  return s;
}

static bc_status check_pixels(const bc_preprocessor *p, const uint8_t *pixels, int w, int h, int channels,
                              char *msg, size_t msg_len) {
  bc_status s = check_preprocessor(p, msg, msg_len);
  if (s != BC_OK) return s;
  if (!pixels) {
    set_msg(msg, msg_len, "no pixel buffer");
    return BC_ERR_ARGUMENT;
  }
  if (w < 1 || h < 1 || channels < 1 || channels > 4) {
    set_msg(msg, msg_len, "bad pixel buffer shape %dx%d with %d channels", w, h, channels);
    return BC_ERR_ARGUMENT;
  }
  if ((w < h ? w : h) > BC_MAX_IMAGE_DIM || (unsigned long long)w * (unsigned long long)h * 4ULL > (size_t)-1) {
    set_msg(msg, msg_len, "image is %dx%d pixels; the limit is %d pixels on the shorter side", w, h,
            BC_MAX_IMAGE_DIM);
    return BC_ERR_TOO_LARGE;
  }
  return BC_OK;
}

bc_status bc_preprocess_pixels_ex(const bc_preprocessor *p, const uint8_t *pixels, int w, int h, int channels,
                                  uint8_t *rgb_out, int8_t *tensor_out, bc_frame_result *frame, char *msg,
                                  size_t msg_len) {
  const bc_status s = check_pixels(p, pixels, w, h, channels, msg, msg_len);
  if (s != BC_OK) return s;
  return preprocess_source(p, pixels, w, h, channels, 0, rgb_out, tensor_out, frame, msg, msg_len);
}

bc_status bc_preprocess_pixels(const bc_preprocessor *p, const uint8_t *pixels, int w, int h, int channels,
                               uint8_t *rgb_out, int8_t *tensor_out, char *msg, size_t msg_len) {
  return bc_preprocess_pixels_ex(p, pixels, w, h, channels, rgb_out, tensor_out, NULL, msg, msg_len);
}

bc_status bc_preprocess_crop(const bc_preprocessor *p, const uint8_t *pixels, int w, int h, int channels,
                             const bc_frame_result *crop, uint8_t *rgb_out, int8_t *tensor_out, char *msg,
                             size_t msg_len) {
  const bc_status s = check_pixels(p, pixels, w, h, channels, msg, msg_len);
  if (s != BC_OK) return s;
  if (!crop || crop->crop_side < 1 || crop->crop_side > BC_MAX_IMAGE_DIM || crop->bg_r < 0 || crop->bg_r > 255 ||
      crop->bg_g < 0 || crop->bg_g > 255 || crop->bg_b < 0 || crop->bg_b > 255 ||
      crop->crop_x0 < -BC_MAX_IMAGE_DIM || crop->crop_x0 > BC_MAX_IMAGE_DIM ||
      crop->crop_y0 < -BC_MAX_IMAGE_DIM || crop->crop_y0 > BC_MAX_IMAGE_DIM) {
    set_msg(msg, msg_len, "bad crop (side 1..%d, origin within +-%d, background 0..255)", BC_MAX_IMAGE_DIM,
            BC_MAX_IMAGE_DIM);
    return BC_ERR_ARGUMENT;
  }
  return run_crop(p, pixels, w, h, channels, 0, crop, rgb_out, tensor_out, msg, msg_len);
}

bc_status bc_image_info(const uint8_t *bytes, size_t n, int *w, int *h, int *channels, char *msg, size_t msg_len) {
  header hd;
  int sw = 0, sh = 0, sc = 0;
  bc_status s = validate(bytes, n, &hd, &sw, &sh, &sc, msg, msg_len);
  if (s != BC_OK && hd.have_dims) { /* report what the header says, e.g. for a too-large image */
    sw = hd.w > INT_MAX ? INT_MAX : (int)hd.w;
    sh = hd.h > INT_MAX ? INT_MAX : (int)hd.h;
  }
  if (w) *w = sw;
  if (h) *h = sh;
  if (channels) *channels = sc;
  if (s == BC_OK && msg && msg_len) msg[0] = '\0';
  return s;
}

bc_status bc_preprocess(const bc_preprocessor *p, const uint8_t *bytes, size_t n, uint8_t *rgb_out,
                        int8_t *tensor_out, char *msg, size_t msg_len) {
  return bc_preprocess_ex(p, bytes, n, rgb_out, tensor_out, NULL, msg, msg_len);
}

bc_status bc_preprocess_ex(const bc_preprocessor *p, const uint8_t *bytes, size_t n, uint8_t *rgb_out,
                           int8_t *tensor_out, bc_frame_result *frame, char *msg, size_t msg_len) {
  header hd;
  int w = 0, h = 0, ch = 0, dw = 0, dh = 0, dc = 0;
  uint8_t *px;
  bc_status s = check_preprocessor(p, msg, msg_len);
  if (s != BC_OK) return s;
  s = validate(bytes, n, &hd, &w, &h, &ch, msg, msg_len);
  if (s != BC_OK) return s;
  /* Always 4 channels: stb's PNG loader reports the file's channel count, not what it returns, when a
   * tRNS chunk adds alpha, so an explicit request is the only layout that is certain. */
  px = stbi_load_from_memory(bytes, (int)n, &dw, &dh, &dc, 4);
  if (!px) return map_stb_failure(hd.fmt, msg, msg_len);
  if (dw != w || dh != h) {
    stbi_image_free(px);
    set_msg(msg, msg_len, "corrupt %s (decoded size differs from the header)", fmt_name(hd.fmt));
    return BC_ERR_CORRUPT;
  }
  s = preprocess_source(p, px, w, h, 4, hd.ignore_alpha, rgb_out, tensor_out, frame, msg, msg_len);
  stbi_image_free(px);
  return s;
}

/* ------------------------------------------------------------------------------------------------ */
/* decoding for the locator */

void bc_image_free(bc_image *im) {
  if (!im) return;
  if (im->px) stbi_image_free(im->px);
  memset(im, 0, sizeof *im);
}

/* Output pixel (x, y) of an image shown with EXIF orientation o comes from stored pixel (*sx, *sy). */
static void orient_source(int o, int w, int h, int x, int y, int *sx, int *sy) {
  switch (o) {
    case 2: *sx = w - 1 - x; *sy = y; break;
    case 3: *sx = w - 1 - x; *sy = h - 1 - y; break;
    case 4: *sx = x; *sy = h - 1 - y; break;
    case 5: *sx = y; *sy = x; break;
    case 6: *sx = y; *sy = h - 1 - x; break;
    case 7: *sx = w - 1 - y; *sy = h - 1 - x; break;
    case 8: *sx = w - 1 - y; *sy = x; break;
    default: *sx = x; *sy = y; break;
  }
}

bc_status bc_decode(const uint8_t *bytes, size_t n, int apply_orientation, bc_image *out, char *msg, size_t msg_len) {
  header hd;
  int w = 0, h = 0, ch = 0, dw = 0, dh = 0, dc = 0;
  uint8_t *px;
  bc_status s;
  if (!out) return BC_ERR_ARGUMENT;
  memset(out, 0, sizeof *out);
  s = validate(bytes, n, &hd, &w, &h, &ch, msg, msg_len);
  if (s != BC_OK) return s;
  px = stbi_load_from_memory(bytes, (int)n, &dw, &dh, &dc, 4);   /* always 4 channels: see bc_preprocess_ex */
  if (!px) return map_stb_failure(hd.fmt, msg, msg_len);
  if (dw != w || dh != h) {
    stbi_image_free(px);
    set_msg(msg, msg_len, "corrupt %s (decoded size differs from the header)", fmt_name(hd.fmt));
    return BC_ERR_CORRUPT;
  }
  if (hd.ignore_alpha) {   /* the 4th byte is padding or a colour key the reference drops: opaque */
    size_t i;
    for (i = 3; i < (size_t)w * (size_t)h * 4; i += 4) px[i] = 255;
  }
  out->orientation = hd.orientation;
  out->w = w;
  out->h = h;
  if (apply_orientation && hd.orientation > 1) {
    const int ow = hd.orientation >= 5 ? h : w, oh = hd.orientation >= 5 ? w : h;
    uint8_t *o = (uint8_t *)malloc((size_t)w * (size_t)h * 4);   /* stb allocates with malloc, so one free fits both */
    int x, y;
    if (!o) {
      stbi_image_free(px);
      set_msg(msg, msg_len, "out of memory (%dx%d image)", w, h);
      return BC_ERR_NOMEM;
    }
    for (y = 0; y < oh; y++)
      for (x = 0; x < ow; x++) {
        int sx, sy;
        orient_source(hd.orientation, w, h, x, y, &sx, &sy);
        memcpy(o + ((size_t)y * ow + x) * 4, px + ((size_t)sy * w + sx) * 4, 4);
      }
    stbi_image_free(px);
    px = o;
    out->w = ow;
    out->h = oh;
  }
  out->px = px;
  if (msg && msg_len) msg[0] = '\0';
  return BC_OK;
}
