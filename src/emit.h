/* emit.h - how the CLI writes values: JSON strings and numbers, CSV fields with the app's quoting and
 * formula guard (web/export.js field()), and numbers rounded the way the app's exports round them.
 *
 * Text is written as UTF-8: a byte that is not part of valid UTF-8 (a file name from another system)
 * becomes U+FFFD, as a browser shows it, so every JSON line and CSV file stays valid. */
#ifndef BC_EMIT_H
#define BC_EMIT_H

#include <stdio.h>

void emit_json_string(FILE *f, const char *s);
/* Shortest text that reads back as the same double (as JavaScript prints numbers); null if not finite. */
void emit_json_number(FILE *f, double x);
/* One CSV field as web/export.js writes it: a leading = + - @ tab or CR gets a ' (unless it is a number
 * like -0.5), and a field with " , CR or LF is quoted with "" for ". NULL is the empty field. */
void emit_csv_field(FILE *f, const char *s);
/* For people: control characters shown as ?, invalid UTF-8 as U+FFFD. */
void emit_plain(FILE *f, const char *s);

/* String(Number(x.toFixed(6))) in JavaScript: the app's round(x) in its exports; "" if not finite.
 * buf: at least 48 bytes. */
char *js_round6(char *buf, double x);
/* The shortest round-trip text of x (JavaScript's String(x) for ordinary magnitudes); buf: 32 bytes. */
char *js_number(char *buf, double x);

#endif
