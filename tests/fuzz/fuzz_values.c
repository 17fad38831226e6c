/*
 * fuzz_values.c: libFuzzer target for the value conversions of a field
 * (extractors/field.c) and url field values (extractors/url.c).
 *
 * The input is a value's text.  Normalising white space must give text without
 * leading, trailing or doubled spaces; a date, when one is found, must have the shape
 * field.h promises (YYYY-MM-DD, then optionally THH:MM:SS, a fraction, an offset); a
 * number must be finite and an int whole; an http(s) url value must hold no space,
 * control or non-ASCII byte, and a followed link must be http(s).  Any other outcome
 * aborts.
 * Seed corpus: tests/fuzz/values.in/.
 */
#include "config.h"

#include <math.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "field.h"
#include "url.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int
digits(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (s[i] < '0' || s[i] > '9')
			return 0;
	return 1;
}

static void
check_date(const char *d, size_t n)
{
	if (n < 10 || !digits(d, 4) || d[4] != '-' || !digits(d + 5, 2) || d[7] != '-' ||
	    !digits(d + 8, 2))
		abort();
	if (n == 10)
		return;
	if (n < 19 || d[10] != 'T' || !digits(d + 11, 2) || d[13] != ':' || !digits(d + 14, 2) ||
	    d[16] != ':' || !digits(d + 17, 2))
		abort();
}

static void
check_normalised(const struct buf *b)
{
	if (b->len > 0 && (b->data[0] == ' ' || b->data[b->len - 1] == ' ' ||
			   strstr(b->data, "  ") != NULL))
		abort();
	for (size_t i = 0; i < b->len; i++)
		if (field_space_len(b->data + i, b->len - i) > 0 && b->data[i] != ' ')
			abort();
}

static void
check_url(struct url_base *base, const char *s)
{
	struct buf u;

	buf_init(&u, URL_MAX * 4);
	/* http(s) URLs are encoded throughout; other schemes ("http1:") are data. */
	if (url_resolve_value(base, s, &u) == 0 &&
	    (strncmp(u.data, "http://", 7) == 0 || strncmp(u.data, "https://", 8) == 0))
		for (size_t i = 0; i < u.len; i++)
			if ((unsigned char)u.data[i] <= ' ' || (unsigned char)u.data[i] >= 0x7f)
				abort();
	buf_free(&u);
	buf_init(&u, URL_MAX * 4);
	if (url_resolve(base, s, &u) == 0 && strncmp(u.data, "http://", 7) != 0 &&
	    strncmp(u.data, "https://", 8) != 0)
		abort();
	buf_free(&u);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct url_base *base;
	struct buf b;
	long long iv;
	double dv;
	bool bv;
	char *s;

	if (base == NULL && (base = url_base_new("http://ex.com/a/b?q=1")) == NULL)
		abort();
	if ((s = malloc(size + 1)) == NULL)
		return 0;
	memcpy(s, data, size);
	s[size] = '\0';
	size = strlen(s);
	buf_init(&b, 1 << 20);
	if (field_normalize_space(s, size, &b) == 0)
		check_normalised(&b);
	buf_reset(&b);
	if (field_parse_date(s, &b) == 0)
		check_date(b.data, b.len);
	else if (b.len != 0)
		abort();
	if (field_parse_number(s, &dv) == 0 && !isfinite(dv))
		abort();
	if (field_parse_int(s, &iv) == 0 && field_parse_number(s, &dv) == 0 && (double)iv != dv)
		abort();
	(void)field_parse_bool(s, &bv);
	check_url(base, s);
	buf_free(&b);
	free(s);
	return 0;
}
