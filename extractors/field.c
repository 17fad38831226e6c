/*
 * field.c: type conversions and white-space normalisation for field values.
 */
#include "field.h"

#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

static const char *const type_names[] = {
	[EX_STRING] = "string", [EX_INT] = "int",  [EX_NUMBER] = "number",
	[EX_BOOL] = "bool",	[EX_URL] = "url",  [EX_HTML] = "html",
};

int
field_type_parse(const char *name, enum ex_type *out)
{
	for (size_t i = 0; i < sizeof type_names / sizeof type_names[0]; i++) {
		if (strcmp(name, type_names[i]) == 0) {
			*out = (enum ex_type)i;
			return 0;
		}
	}
	return -1;
}

const char *
field_type_name(enum ex_type t)
{
	return type_names[t];
}

/* Length of the white space at s (ASCII space, tab, CR, LF, FF, VT, or the UTF-8
 * no-break space), 0 if none. */
static size_t
space_len(const unsigned char *s, size_t n)
{
	if (n >= 1 && (*s == ' ' || (*s >= '\t' && *s <= '\r')))
		return 1;
	if (n >= 2 && s[0] == 0xc2 && s[1] == 0xa0)
		return 2;
	return 0;
}

int
field_normalize_space(const char *s, size_t n, struct buf *out)
{
	const unsigned char *p = (const unsigned char *)s, *end = p + n;
	bool pending = false, any = false;
	size_t k;

	while (p < end) {
		if ((k = space_len(p, (size_t)(end - p))) > 0) {
			pending = any;
			p += k;
			continue;
		}
		if (pending && buf_putc(out, ' ') == -1)
			return -1;
		pending = false;
		any = true;
		if (buf_putc(out, *p++) == -1)
			return -1;
	}
	return 0;
}

/* Copy the digits of s[from..to) into out, keeping only the decimal separator dec
 * (as '.') and dropping the grouping ones. */
static void
copy_digits(const char *s, size_t from, size_t to, char dec, char *out)
{
	size_t j = 0;

	for (size_t i = from; i < to; i++) {
		if (isdigit((unsigned char)s[i]))
			out[j++] = s[i];
		else if (s[i] == dec)
			out[j++] = '.';
	}
	out[j] = '\0';
}

/* Which separator in s[from..to) is the decimal point: '.', ',' or 0 for none. */
static char
decimal_separator(const char *s, size_t from, size_t to)
{
	size_t last_dot = 0, last_comma = 0, dots = 0, commas = 0, after;

	for (size_t i = from; i < to; i++) {
		if (s[i] == '.') {
			dots++;
			last_dot = i;
		} else if (s[i] == ',') {
			commas++;
			last_comma = i;
		}
	}
	if (dots > 0 && commas > 0)
		return last_dot > last_comma ? '.' : ',';
	if (dots > 1 || (dots == 0 && commas == 0))
		return dots > 1 ? 0 : '.';
	if (dots == 1)
		return '.';
	/* Only commas: one comma not followed by exactly three digits is a decimal. */
	after = to - last_comma - 1;
	return commas == 1 && after != 3 ? ',' : 0;
}

/* Is the number at s[start] negative: a '-' or U+2212 right before it, or before a
 * currency symbol right before it ("-5", "-£5", "−5")? */
static bool
minus_before(const char *s, size_t start)
{
	size_t i = start;

	while (i > 0 && start - i < 4) {
		unsigned char c = (unsigned char)s[i - 1];
		if (c == '-')
			return true;
		if (i >= 3 && memcmp(s + i - 3, "\xe2\x88\x92", 3) == 0)
			return true;
		if (isalnum(c) || isspace(c))
			return false;
		i--;
	}
	return false;
}

int
field_parse_number(const char *s, double *out)
{
	size_t n = strlen(s), start, end;
	char digits[128];
	bool negative = false;
	char *endp;
	double v;

	for (start = 0; start < n && !isdigit((unsigned char)s[start]); start++)
		;
	if (start == n)
		return -1;
	negative = minus_before(s, start);
	for (end = start; end < n && (isdigit((unsigned char)s[end]) ||
				     ((s[end] == ',' || s[end] == '.') && end + 1 < n &&
				      isdigit((unsigned char)s[end + 1])));
	     end++)
		;
	if (end - start >= sizeof digits)
		return -1;
	copy_digits(s, start, end, decimal_separator(s, start, end), digits);
	errno = 0;
	v = strtod(digits, &endp);
	if (errno != 0 || *endp != '\0' || !isfinite(v))
		return -1;
	*out = negative ? -v : v;
	return 0;
}

int
field_parse_int(const char *s, long long *out)
{
	double v;

	if (field_parse_number(s, &v) == -1 || v != floor(v) || fabs(v) > 9.007199254740992e15)
		return -1;
	*out = (long long)v;
	return 0;
}

int
field_parse_bool(const char *s, bool *out)
{
	static const char *const yes[] = { "true", "yes", "y", "on", "1", "checked", "selected" };
	static const char *const no[] = { "false", "no", "n", "off", "0", "none" };

	while (isspace((unsigned char)*s))
		s++;
	if (*s == '\0')
		return -1;
	for (size_t i = 0; i < sizeof no / sizeof no[0]; i++) {
		if (strcasecmp(s, no[i]) == 0) {
			*out = false;
			return 0;
		}
	}
	for (size_t i = 0; i < sizeof yes / sizeof yes[0]; i++) {
		if (strcasecmp(s, yes[i]) == 0) {
			*out = true;
			return 0;
		}
	}
	*out = true;
	return 0;
}
