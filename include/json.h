/*
 * json: writing JSON text (strings escaped per RFC 8259). opsdeck only writes
 * JSON for scripts (--json, exports); it never parses it.
 */
#ifndef OPSDECK_JSON_H
#define OPSDECK_JSON_H

#include <stdint.h>
#include <stdio.h>

/*
 * Writes s as a JSON string literal (quotes included); NULL writes null. The
 * result is always valid JSON and never carries a terminal control raw: C0 and
 * C1 controls, DEL, bidi controls and U+2028/9 are written as \uXXXX, and each
 * byte of invalid UTF-8 as \ufffd.
 */
void json_put_string(FILE *out, const char *s);

/* Writes "key": (with a leading comma unless first) inside an object. */
void json_put_key(FILE *out, const char *key, int first);

/* Writes an integer, or null when is_null. */
void json_put_int(FILE *out, int64_t v, int is_null);

#endif
