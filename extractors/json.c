/*
 * json.c: JSON text output (see json.h).
 */
#include "json.h"

#include <math.h>
#include <stdbool.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>

size_t
utf8_seq_len(const unsigned char *s, size_t n)
{
	unsigned char c = s[0];

	if (c < 0x80)
		return 1;
	if (c >= 0xc2 && c <= 0xdf)
		return n >= 2 && (s[1] & 0xc0) == 0x80 ? 2 : 0;
	if (c >= 0xe0 && c <= 0xef) {
		if (n < 3 || (s[1] & 0xc0) != 0x80 || (s[2] & 0xc0) != 0x80)
			return 0;
		if (c == 0xe0 && s[1] < 0xa0)
			return 0; /* overlong */
		if (c == 0xed && s[1] >= 0xa0)
			return 0; /* surrogate */
		return 3;
	}
	if (c >= 0xf0 && c <= 0xf4) {
		if (n < 4 || (s[1] & 0xc0) != 0x80 || (s[2] & 0xc0) != 0x80 ||
		    (s[3] & 0xc0) != 0x80)
			return 0;
		if (c == 0xf0 && s[1] < 0x90)
			return 0; /* overlong */
		if (c == 0xf4 && s[1] >= 0x90)
			return 0; /* above U+10FFFF */
		return 4;
	}
	return 0;
}

int
json_put_string(struct buf *b, const char *s, size_t n)
{
	const unsigned char *p = (const unsigned char *)s;
	const unsigned char *end = n > 0 ? p + n : p; /* s may be NULL then: an empty buffer */
	const unsigned char *run = p;
	char esc[8];
	size_t len;

	if (buf_putc(b, '"') == -1)
		return -1;
	while (p < end) {
		if (*p >= 0x20 && *p != '"' && *p != '\\' && *p < 0x80) {
			p++;
			continue;
		}
		if (*p >= 0x80 && (len = utf8_seq_len(p, (size_t)(end - p))) > 0) {
			p += len;
			continue;
		}
		if (buf_append(b, run, (size_t)(p - run)) == -1)
			return -1;
		switch (*p) {
		case '"': strcpy(esc, "\\\""); break;
		case '\\': strcpy(esc, "\\\\"); break;
		case '\n': strcpy(esc, "\\n"); break;
		case '\r': strcpy(esc, "\\r"); break;
		case '\t': strcpy(esc, "\\t"); break;
		case '\b': strcpy(esc, "\\b"); break;
		case '\f': strcpy(esc, "\\f"); break;
		default:
			if (*p < 0x20)
				snprintf(esc, sizeof esc, "\\u%04x", *p);
			else
				strcpy(esc, "\xef\xbf\xbd"); /* invalid byte: U+FFFD */
		}
		if (buf_puts(b, esc) == -1)
			return -1;
		run = ++p;
	}
	if (buf_append(b, run, (size_t)(p - run)) == -1)
		return -1;
	return buf_putc(b, '"');
}

int
json_put_cstring(struct buf *b, const char *s)
{
	if (s == NULL)
		return buf_puts(b, "null");
	return json_put_string(b, s, strlen(s));
}

int
json_put_int(struct buf *b, long long v)
{
	return buf_printf(b, "%lld", v);
}

int
json_put_double(struct buf *b, double v)
{
	char tmp[40];
	double mag = fabs(v);
	bool plain = mag == 0 || (mag >= 1e-5 && mag < 1e16);

	if (!isfinite(v))
		return buf_puts(b, "null");
	/* The shortest form that reads back as the same value, in plain notation where
	 * that is natural (1400.0, not 1.4e+03). */
	snprintf(tmp, sizeof tmp, "%.17g", v);
	for (int prec = 1; prec <= 17; prec++) {
		char t[40];
		snprintf(t, sizeof t, "%.*g", prec, v);
		if (strtod(t, NULL) == v && (!plain || strpbrk(t, "eE") == NULL)) {
			strcpy(tmp, t);
			break;
		}
	}
	/* Keep it a JSON real so SQLite reads it back as REAL, not INTEGER. */
	if (strpbrk(tmp, ".eEn") == NULL)
		strcat(tmp, ".0");
	return buf_puts(b, tmp);
}
