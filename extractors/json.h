/*
 * json.h: writing JSON text into a struct buf.
 *
 * Only output: scraper never parses JSON itself (SQLite's JSON functions read it back).
 * Strings are escaped per RFC 8259; bytes that are not valid UTF-8 are written as
 * U+FFFD so that whatever a page held, the result is valid JSON.  Callers write the
 * punctuation ({, :, ",") themselves.  All functions return 0 or -1 (buffer full).
 */
#ifndef SCRAPER_JSON_H
#define SCRAPER_JSON_H

#include <stddef.h>

#include "buf.h"

int json_put_string(struct buf *b, const char *s, size_t n);
int json_put_cstring(struct buf *b, const char *s); /* NULL writes null */
int json_put_int(struct buf *b, long long v);
int json_put_double(struct buf *b, double v);	    /* non-finite writes null */

/* Length of the valid UTF-8 sequence at s (1..4), or 0 if the bytes at s are not one. */
size_t utf8_seq_len(const unsigned char *s, size_t n);

#endif
