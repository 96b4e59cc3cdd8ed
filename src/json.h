/* json.h - a small strict JSON reader for the CLI's side files (model card, reference map).
 *
 *   char err[160];
 *   json_doc *d = json_parse(text, len, err, sizeof err);    NULL on any syntax error, err says where
 *   const json_node *v = json_path(json_root(d), "knn.k");    NULL if absent (dot-separated object keys)
 *   double k;  if (json_number(v, &k)) ...;                    0 when v is NULL or not a number
 *   for (const json_node *p = json_first(arr); p; p = json_next(p)) ...
 *   json_free(d);
 *
 * RFC 8259 grammar only (no comments, no trailing commas, no NaN); strings are decoded to UTF-8.
 * Nesting is limited to 64 levels so a hostile file cannot exhaust the stack. */
#ifndef BC_JSON_H
#define BC_JSON_H

#include <stddef.h>

typedef enum json_type { JSON_NULL, JSON_FALSE, JSON_TRUE, JSON_NUMBER, JSON_STRING, JSON_ARRAY, JSON_OBJECT } json_type;

typedef struct json_node json_node;
typedef struct json_doc json_doc;

json_doc *json_parse(const char *text, size_t len, char *err, size_t err_len);
void json_free(json_doc *d);

const json_node *json_root(const json_doc *d);
json_type json_type_of(const json_node *v);
/* Object member by key, or NULL. */
const json_node *json_get(const json_node *obj, const char *key);
/* Nested object members: "a.b.c". */
const json_node *json_path(const json_node *v, const char *path);
/* Children of an array or object (object children are the member values), in file order. */
const json_node *json_first(const json_node *v);
const json_node *json_next(const json_node *v);
int json_count(const json_node *v);

int json_number(const json_node *v, double *out);
const char *json_string(const json_node *v); /* NULL unless a string */

#endif
