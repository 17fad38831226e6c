/*
 * field.h: turning extracted text into typed field values.
 *
 * Pure string functions, one per step of a field's pipeline after selection:
 * whitespace normalisation, then (in extract.c) the regex, then the type conversion
 * here.  Each conversion either succeeds or says the value is not one of its type; a
 * value that fails is dropped, never guessed.
 *
 * White space, everywhere in the extraction library, is Unicode White_Space: ASCII
 * space, tab, LF, VT, FF, CR, U+0085, U+00A0, U+1680, U+2000-U+200A, U+2028, U+2029,
 * U+202F, U+205F and U+3000 (field_space_len).
 */
#ifndef SCRAPER_FIELD_H
#define SCRAPER_FIELD_H

#include <stdbool.h>
#include <stddef.h>

#include "buf.h"

/* The order is the rule loader's list of type names; new types go at the end. */
enum ex_type { EX_STRING, EX_INT, EX_NUMBER, EX_BOOL, EX_URL, EX_HTML, EX_DATE };

/* "string", "int", ... to enum ex_type.  0, or -1 for an unknown name. */
int field_type_parse(const char *name, enum ex_type *out);
const char *field_type_name(enum ex_type t);

/* The length in bytes of the white-space character (UTF-8) at s[0..n), 0 if there is
 * none there. */
size_t field_space_len(const char *s, size_t n);

/* Trim s[0..n) and collapse runs of white space to one ASCII space, appending the
 * result to out.  0 or -1 (out full). */
int field_normalize_space(const char *s, size_t n, struct buf *out);

/*
 * A number from text as people write prices and counts: "£1,299.00" -> 1299,
 * "12,50 €" -> 12.5, "1.299.000" -> 1299000, "-3" -> -3, "approx. 4.5 stars" -> 4.5.
 *
 * A number is a run of digits with ',' or '.' between digits; when both occur the
 * later one is the decimal point; a lone ',' followed by exactly three digits groups
 * thousands.  A '-' (or U+2212) right before it, or before a currency sign right
 * before it, makes it negative.  A run that is part of a code or a word is not a
 * number: one that a letter precedes ("A4", "mp3"), or a letter or digit and a hyphen
 * ("TW-HB-006"), or that a hyphen and a letter or digit follows ("2026-12-05",
 * "1-2").  The text must hold exactly one number; none, or two ("4 of 5"), gives -1.
 */
int field_parse_number(const char *s, double *out);

/* An integer: as field_parse_number, and the number must be whole and fit in 53 bits. */
int field_parse_int(const char *s, long long *out);

/*
 * A boolean: after trimming, and ignoring case, true/yes/y/on/1/checked/selected/
 * enabled -> true, false/no/n/off/0/none/unchecked/disabled -> false.  Anything else
 * (the empty text too) gives -1: no value.
 */
int field_parse_bool(const char *s, bool *out);

/*
 * A date (or date and time) in ISO 8601, appended to out: "YYYY-MM-DD", or
 * "YYYY-MM-DDTHH:MM:SS" followed by the offset ("+01:00", "Z" as "+00:00") when the
 * text gives one.  Accepted, the whole trimmed text being the date (any case, an
 * optional leading weekday "Sat," or "Saturday"):
 *
 *   2026-12-05, 2026-12-05T10:30, 2026-12-05 10:30:15.250+01:00, 2026-12-05T10:30Z
 *   Sat, 05 Dec 2026 10:30:00 GMT (RFC 2822 / HTTP), 5 Dec 2026 10:30 +0100
 *   5 December 2026, 5th Dec. 2026, December 5, 2026, Dec 5 2026, Dec. 5th, 2026
 *   25/12/2026, 12/25/2026, 25.12.2026: D/M/Y or M/D/Y only when one reading is
 *   impossible (a part over 12) or both agree (05/05/2026); 05/12/2026 gives -1
 *   2026/12/05
 *
 * Dates that do not exist (2026-02-30) give -1.  0, or -1 (out unchanged).
 */
int field_parse_date(const char *s, struct buf *out);

#endif
