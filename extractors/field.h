/*
 * field.h: turning extracted text into typed field values.
 *
 * Pure string functions, one per step of a field's pipeline after selection:
 * whitespace normalisation, then (in extract.c) the regex, then the type conversion
 * here.  Each conversion either succeeds or says the value is not one of its type; a
 * value that fails is dropped, never guessed.
 */
#ifndef SCRAPER_FIELD_H
#define SCRAPER_FIELD_H

#include <stdbool.h>
#include <stddef.h>

#include "buf.h"

enum ex_type { EX_STRING, EX_INT, EX_NUMBER, EX_BOOL, EX_URL, EX_HTML };

/* "string", "int", ... to enum ex_type.  0, or -1 for an unknown name. */
int field_type_parse(const char *name, enum ex_type *out);
const char *field_type_name(enum ex_type t);

/* Trim s[0..n) and collapse runs of white space (ASCII and U+00A0) to one space,
 * appending the result to out.  0 or -1 (out full). */
int field_normalize_space(const char *s, size_t n, struct buf *out);

/*
 * A number from text as people write prices and counts: "£1,299.00" -> 1299,
 * "12,50 €" -> 12.5, "1.299.000" -> 1299000, "-3" -> -3, "approx. 4.5 stars" -> 4.5.
 * The first run of digits (with its sign and separators) is the number; when both ','
 * and '.' occur the later one is the decimal point; a lone ',' followed by exactly
 * three digits groups thousands.  0, or -1 when the text holds no number.
 */
int field_parse_number(const char *s, double *out);

/* An integer: as field_parse_number, and the number must be whole and fit in 64 bits. */
int field_parse_int(const char *s, long long *out);

/* A boolean: true/yes/y/on/1/checked/selected -> true; false/no/n/off/0/none -> false
 * (any case); any other non-empty text -> true; empty -> -1. */
int field_parse_bool(const char *s, bool *out);

#endif
