/* emit.c - see emit.h. */
#include "emit.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* Length of the valid UTF-8 sequence at s (1..4), or 0 if the byte there does not start one. */
static int utf8_len(const unsigned char *s) {
  const unsigned c = s[0];
  if (c < 0x80) return 1;
  int n;
  unsigned cp;
  if (c >= 0xc2 && c <= 0xdf) { n = 2; cp = c & 0x1f; }
  else if (c >= 0xe0 && c <= 0xef) { n = 3; cp = c & 0x0f; }
  else if (c >= 0xf0 && c <= 0xf4) { n = 4; cp = c & 0x07; }
  else return 0;
  for (int i = 1; i < n; i++) {
    if ((s[i] & 0xc0) != 0x80) return 0;
    cp = cp << 6 | (s[i] & 0x3f);
  }
  if ((n == 3 && cp < 0x800) || (n == 4 && (cp < 0x10000 || cp > 0x10ffff)) || (cp >= 0xd800 && cp < 0xe000)) return 0;
  return n;
}

static const char REPLACEMENT[] = "\xef\xbf\xbd";

/* Writes s, each character through put (which sees ASCII bytes) and multibyte ones as they are. */
static void each_char(FILE *f, const char *s, void (*put)(FILE *, unsigned char)) {
  for (const unsigned char *p = (const unsigned char *)s; *p;) {
    const int n = utf8_len(p);
    if (n == 1) put(f, *p);
    else if (n == 0) fputs(REPLACEMENT, f);
    else fwrite(p, 1, (size_t)n, f);
    p += n ? n : 1;
  }
}

static void put_json(FILE *f, unsigned char c) {
  if (c == '"' || c == '\\') { fputc('\\', f); fputc(c, f); }
  else if (c < 0x20) fprintf(f, "\\u%04x", c);
  else fputc(c, f);
}

static void put_raw(FILE *f, unsigned char c) { fputc(c, f); }
static void put_csv_quoted(FILE *f, unsigned char c) { if (c == '"') fputc('"', f); fputc(c, f); }
static void put_plain(FILE *f, unsigned char c) { fputc(c < 0x20 || c == 0x7f ? '?' : c, f); }

void emit_json_string(FILE *f, const char *s) {
  fputc('"', f);
  each_char(f, s, put_json);
  fputc('"', f);
}

void emit_plain(FILE *f, const char *s) { each_char(f, s, put_plain); }

char *js_number(char *buf, double x) {
  if (!isfinite(x)) { strcpy(buf, "null"); return buf; }
  if (x == 0) { strcpy(buf, "0"); return buf; }   /* JSON.stringify(-0) is 0 too */
  for (int digits = 15; digits <= 17; digits++) {
    snprintf(buf, 32, "%.*g", digits, x);
    if (strtod(buf, NULL) == x) break;
  }
  return buf;
}

void emit_json_number(FILE *f, double x) {
  char buf[32];
  fputs(js_number(buf, x), f);
}

char *js_round6(char *buf, double x) {
  if (!isfinite(x)) { buf[0] = 0; return buf; }
  const double ax = fabs(x);
  /* toFixed rounds an exact tie up (away from zero), printf to even. A double is exactly halfway
   * between two multiples of 1e-6 only when it is an odd multiple of 1/128. */
  const double m = ax * 128;
  char digits[40];
  if (m == floor(m) && fmod(m, 2) == 1 && ax < 1e9) {
    const long long up = (long long)floor(ax * 1e6) + 1;
    snprintf(digits, sizeof digits, "%lld.%06lld", up / 1000000, up % 1000000);
  } else {
    snprintf(digits, sizeof digits, "%.6f", ax);
  }
  char *dot = strchr(digits, '.');
  if (dot) {
    char *end = digits + strlen(digits);
    while (end > dot + 1 && end[-1] == '0') *--end = 0;
    if (end == dot + 1) *dot = 0;
  }
  const int zero = !strcmp(digits, "0");
  snprintf(buf, 48, "%s%s", x < 0 && !zero ? "-" : "", digits);
  return buf;
}

void emit_csv_field(FILE *f, const char *s) {
  if (!s) return;
  const char c = s[0];
  const int number_like = (c >= '0' && c <= '9') || (c == '-' && s[1] >= '0' && s[1] <= '9');
  const int guard = (c == '=' || c == '+' || c == '-' || c == '@' || c == '\t' || c == '\r') && !number_like;
  const int needs_quotes = strpbrk(s, "\",\n\r") != NULL;
  if (needs_quotes) fputc('"', f);
  if (guard) fputc('\'', f);
  each_char(f, s, needs_quotes ? put_csv_quoted : put_raw);
  if (needs_quotes) fputc('"', f);
}
