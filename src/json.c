/* json.c - see json.h.  Recursive descent over the text; nodes live in one growable array and are
 * linked by index (first child, next sibling), so the tree is two allocations plus the strings. */
#include "json.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_DEPTH 64

struct json_node {
  json_type type;
  double num;
  char *str;   /* string value */
  char *key;   /* member name when the parent is an object */
  int first, next, count;
  const json_doc *doc;
};

struct json_doc {
  json_node *nodes;
  int n, cap;
};

typedef struct parser {
  const char *s, *end, *start;
  json_doc *d;
  char *err;
  size_t err_len;
  int failed;
} parser;

static void fail(parser *p, const char *what) {
  if (p->failed) return;
  p->failed = 1;
  int line = 1, col = 1;
  for (const char *c = p->start; c < p->s && c < p->end; c++) {
    if (*c == '\n') { line++; col = 1; } else col++;
  }
  snprintf(p->err, p->err_len, "%s at line %d, column %d", what, line, col);
}

static void skip_ws(parser *p) {
  while (p->s < p->end && (*p->s == ' ' || *p->s == '\t' || *p->s == '\n' || *p->s == '\r')) p->s++;
}

static int new_node(parser *p, json_type t) {
  json_doc *d = p->d;
  if (d->n == d->cap) {
    const int cap = d->cap ? d->cap * 2 : 256;
    json_node *nn = realloc(d->nodes, (size_t)cap * sizeof *nn);
    if (!nn) { fail(p, "out of memory"); return -1; }
    d->nodes = nn;
    d->cap = cap;
  }
  json_node *v = &d->nodes[d->n];
  memset(v, 0, sizeof *v);
  v->type = t;
  v->first = v->next = -1;
  return d->n++;
}

static int hex4(const char *s) {
  int v = 0;
  for (int i = 0; i < 4; i++) {
    const char c = s[i];
    v <<= 4;
    if (c >= '0' && c <= '9') v |= c - '0';
    else if (c >= 'a' && c <= 'f') v |= c - 'a' + 10;
    else if (c >= 'A' && c <= 'F') v |= c - 'A' + 10;
    else return -1;
  }
  return v;
}

static char *put_utf8(char *o, unsigned cp) {
  if (cp < 0x80) *o++ = (char)cp;
  else if (cp < 0x800) { *o++ = (char)(0xc0 | cp >> 6); *o++ = (char)(0x80 | (cp & 0x3f)); }
  else if (cp < 0x10000) { *o++ = (char)(0xe0 | cp >> 12); *o++ = (char)(0x80 | ((cp >> 6) & 0x3f)); *o++ = (char)(0x80 | (cp & 0x3f)); }
  else { *o++ = (char)(0xf0 | cp >> 18); *o++ = (char)(0x80 | ((cp >> 12) & 0x3f)); *o++ = (char)(0x80 | ((cp >> 6) & 0x3f)); *o++ = (char)(0x80 | (cp & 0x3f)); }
  return o;
}

/* At the opening quote; returns a malloc'd UTF-8 string (escapes decoded never grow the text). */
static char *parse_string(parser *p) {
  p->s++;
  const char *q = p->s;
  while (q < p->end && *q != '"') q += (*q == '\\' && q + 1 < p->end) ? 2 : 1;
  if (q >= p->end) { fail(p, "unterminated string"); return NULL; }
  char *out = malloc((size_t)(q - p->s) + 1), *o = out;
  if (!out) { fail(p, "out of memory"); return NULL; }
  while (p->s < q) {
    const unsigned char c = (unsigned char)*p->s;
    if (c < 0x20) { fail(p, "control character in string"); free(out); return NULL; }
    if (c != '\\') { *o++ = (char)c; p->s++; continue; }
    const char e = p->s[1];
    p->s += 2;
    switch (e) {
      case '"': *o++ = '"'; break;
      case '\\': *o++ = '\\'; break;
      case '/': *o++ = '/'; break;
      case 'b': *o++ = '\b'; break;
      case 'f': *o++ = '\f'; break;
      case 'n': *o++ = '\n'; break;
      case 'r': *o++ = '\r'; break;
      case 't': *o++ = '\t'; break;
      case 'u': {
        int cp = q - p->s >= 4 ? hex4(p->s) : -1;
        if (cp < 0) { fail(p, "bad \\u escape"); free(out); return NULL; }
        p->s += 4;
        if (cp >= 0xd800 && cp < 0xdc00 && q - p->s >= 6 && p->s[0] == '\\' && p->s[1] == 'u') {
          const int lo = hex4(p->s + 2);
          if (lo >= 0xdc00 && lo < 0xe000) { cp = 0x10000 + ((cp - 0xd800) << 10) + (lo - 0xdc00); p->s += 6; }
        }
        if (cp >= 0xd800 && cp < 0xe000) cp = 0xfffd;   /* a lone surrogate */
        o = put_utf8(o, (unsigned)cp);
        break;
      }
      default: fail(p, "bad escape in string"); free(out); return NULL;
    }
  }
  *o = 0;
  p->s = q + 1;
  return out;
}

static int parse_number(parser *p, double *out) {
  const char *s = p->s;
  if (s < p->end && *s == '-') s++;
  if (s >= p->end || *s < '0' || *s > '9') { fail(p, "bad number"); return 0; }
  if (*s == '0') s++; else while (s < p->end && *s >= '0' && *s <= '9') s++;
  if (s < p->end && *s == '.') {
    s++;
    if (s >= p->end || *s < '0' || *s > '9') { fail(p, "bad number"); return 0; }
    while (s < p->end && *s >= '0' && *s <= '9') s++;
  }
  if (s < p->end && (*s == 'e' || *s == 'E')) {
    s++;
    if (s < p->end && (*s == '+' || *s == '-')) s++;
    if (s >= p->end || *s < '0' || *s > '9') { fail(p, "bad number"); return 0; }
    while (s < p->end && *s >= '0' && *s <= '9') s++;
  }
  char buf[64];
  const size_t n = (size_t)(s - p->s);
  if (n >= sizeof buf) { fail(p, "number too long"); return 0; }
  memcpy(buf, p->s, n);
  buf[n] = 0;
  *out = strtod(buf, NULL);
  p->s = s;
  return 1;
}

static int literal(parser *p, const char *word) {
  const size_t n = strlen(word);
  if ((size_t)(p->end - p->s) < n || memcmp(p->s, word, n)) { fail(p, "unexpected character"); return 0; }
  p->s += n;
  return 1;
}

static int parse_value(parser *p, int depth);

/* Arrays and objects: children appended in order. */
static int parse_container(parser *p, int depth, int is_object) {
  const int self = new_node(p, is_object ? JSON_OBJECT : JSON_ARRAY);
  if (self < 0) return -1;
  const char close = is_object ? '}' : ']';
  int last = -1;
  p->s++;
  skip_ws(p);
  if (p->s < p->end && *p->s == close) { p->s++; return self; }
  for (;;) {
    char *key = NULL;
    skip_ws(p);
    if (is_object) {
      if (p->s >= p->end || *p->s != '"') { fail(p, "expected a member name"); return -1; }
      if (!(key = parse_string(p))) return -1;
      skip_ws(p);
      if (p->s >= p->end || *p->s != ':') { free(key); fail(p, "expected ':'"); return -1; }
      p->s++;
    }
    const int child = parse_value(p, depth + 1);
    if (child < 0) { free(key); return -1; }
    json_node *nodes = p->d->nodes;
    nodes[child].key = key;
    if (last < 0) nodes[self].first = child; else nodes[last].next = child;
    last = child;
    nodes[self].count++;
    skip_ws(p);
    if (p->s < p->end && *p->s == ',') { p->s++; continue; }
    if (p->s < p->end && *p->s == close) { p->s++; return self; }
    fail(p, is_object ? "expected ',' or '}'" : "expected ',' or ']'");
    return -1;
  }
}

static int parse_value(parser *p, int depth) {
  if (depth > MAX_DEPTH) { fail(p, "nested too deeply"); return -1; }
  skip_ws(p);
  if (p->s >= p->end) { fail(p, "unexpected end of file"); return -1; }
  const char c = *p->s;
  if (c == '{' || c == '[') return parse_container(p, depth, c == '{');
  if (c == '"') {
    char *s = parse_string(p);
    if (!s) return -1;
    const int v = new_node(p, JSON_STRING);
    if (v < 0) { free(s); return -1; }
    p->d->nodes[v].str = s;
    return v;
  }
  if (c == 't') return literal(p, "true") ? new_node(p, JSON_TRUE) : -1;
  if (c == 'f') return literal(p, "false") ? new_node(p, JSON_FALSE) : -1;
  if (c == 'n') return literal(p, "null") ? new_node(p, JSON_NULL) : -1;
  double x;
  if (!parse_number(p, &x)) return -1;
  const int v = new_node(p, JSON_NUMBER);
  if (v >= 0) p->d->nodes[v].num = x;
  return v;
}

void json_free(json_doc *d) {
  if (!d) return;
  for (int i = 0; i < d->n; i++) { free(d->nodes[i].str); free(d->nodes[i].key); }
  free(d->nodes);
  free(d);
}

json_doc *json_parse(const char *text, size_t len, char *err, size_t err_len) {
  json_doc *d = calloc(1, sizeof *d);
  if (!d) { snprintf(err, err_len, "out of memory"); return NULL; }
  parser p = { text, text + len, text, d, err, err_len, 0 };
  if (len >= 3 && !memcmp(text, "\xef\xbb\xbf", 3)) p.s += 3;   /* a UTF-8 byte order mark */
  const int root = parse_value(&p, 0);
  if (root >= 0) {
    skip_ws(&p);
    if (p.s != p.end) fail(&p, "unexpected text after the JSON value");
  }
  if (p.failed) { json_free(d); return NULL; }
  for (int i = 0; i < d->n; i++) d->nodes[i].doc = d;
  return d;
}

const json_node *json_root(const json_doc *d) { return d && d->n ? &d->nodes[0] : NULL; }
json_type json_type_of(const json_node *v) { return v ? v->type : JSON_NULL; }

const json_node *json_first(const json_node *v) {
  return v && (v->type == JSON_ARRAY || v->type == JSON_OBJECT) && v->first >= 0 ? &v->doc->nodes[v->first] : NULL;
}

const json_node *json_next(const json_node *v) { return v && v->next >= 0 ? &v->doc->nodes[v->next] : NULL; }

int json_count(const json_node *v) { return v && (v->type == JSON_ARRAY || v->type == JSON_OBJECT) ? v->count : 0; }

/* The last member of that name wins, as in JSON.parse. */
const json_node *json_get(const json_node *obj, const char *key) {
  if (!obj || obj->type != JSON_OBJECT) return NULL;
  const json_node *found = NULL;
  for (const json_node *c = json_first(obj); c; c = json_next(c))
    if (!strcmp(c->key, key)) found = c;
  return found;
}

const json_node *json_path(const json_node *v, const char *path) {
  char key[128];
  while (v && *path) {
    const char *dot = strchr(path, '.');
    const size_t n = dot ? (size_t)(dot - path) : strlen(path);
    if (n >= sizeof key) return NULL;
    memcpy(key, path, n);
    key[n] = 0;
    v = json_get(v, key);
    path += n + (dot ? 1 : 0);
  }
  return v;
}

int json_number(const json_node *v, double *out) {
  if (!v || v->type != JSON_NUMBER) return 0;
  *out = v->num;
  return 1;
}

const char *json_string(const json_node *v) { return v && v->type == JSON_STRING ? v->str : NULL; }
