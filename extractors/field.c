/*
 * field.c: type conversions and white-space normalisation for field values.
 *
 * Every conversion takes a value only where the text holds one; anything doubtful
 * gives no value rather than a guess (see field.h for each rule).
 */
#include "field.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

static const char *const type_names[] = {
	[EX_STRING] = "string", [EX_INT] = "int", [EX_NUMBER] = "number", [EX_BOOL] = "bool",
	[EX_URL] = "url",	[EX_HTML] = "html", [EX_DATE] = "date",
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

size_t
field_space_len(const char *str, size_t n)
{
	const unsigned char *s = (const unsigned char *)str;

	if (n == 0)
		return 0;
	if (s[0] < 0x80)
		return s[0] == ' ' || (s[0] >= '\t' && s[0] <= '\r');
	if (n >= 2 && s[0] == 0xc2)
		return s[1] == 0x85 || s[1] == 0xa0 ? 2 : 0;	/* U+0085, U+00A0 */
	if (n < 3)
		return 0;
	if (s[0] == 0xe1)
		return s[1] == 0x9a && s[2] == 0x80 ? 3 : 0;	/* U+1680 */
	if (s[0] == 0xe2 && s[1] == 0x80)			/* U+2000-200A, 2028, 2029, 202F */
		return (s[2] >= 0x80 && s[2] <= 0x8a) || s[2] == 0xa8 || s[2] == 0xa9 ||
			       s[2] == 0xaf
			   ? 3
			   : 0;
	if (s[0] == 0xe2 && s[1] == 0x81)
		return s[2] == 0x9f ? 3 : 0;			/* U+205F */
	if (s[0] == 0xe3)
		return s[1] == 0x80 && s[2] == 0x80 ? 3 : 0;	/* U+3000 */
	return 0;
}

int
field_normalize_space(const char *s, size_t n, struct buf *out)
{
	size_t i = 0, k, run;
	bool pending = false, any = false;

	while (i < n) {
		if ((k = field_space_len(s + i, n - i)) > 0) {
			pending = any;
			i += k;
			continue;
		}
		if (pending && buf_putc(out, ' ') == -1)
			return -1;
		pending = false;
		any = true;
		/* Copy up to the next byte that may start white space. */
		for (run = 1; i + run < n; run++) {
			unsigned char c = (unsigned char)s[i + run];
			if (c <= ' ' || c == 0xc2 || c == 0xe1 || c == 0xe2 || c == 0xe3)
				break;
		}
		if (buf_append(out, s + i, run) == -1)
			return -1;
		i += run;
	}
	return 0;
}

/* s without the white space around it: [*from, *to). */
static void
trim(const char *s, size_t *from, size_t *to)
{
	size_t i = 0, n = strlen(s), k, end = 0;

	while (i < n && (k = field_space_len(s + i, n - i)) > 0)
		i += k;
	*from = i;
	/* The end is after the last byte that is not part of white space. */
	while (i < n) {
		if ((k = field_space_len(s + i, n - i)) > 0) {
			i += k;
		} else {
			i++;
			end = i;
		}
	}
	*to = end > *from ? end : *from;
}

static bool
is_digit(int c)
{
	return c >= '0' && c <= '9';
}

static bool
is_alpha(int c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

/* A letter or digit, ASCII or not (a byte of a multibyte UTF-8 character that is not
 * white space counts as a letter, unless it is a currency sign or a minus). */
static bool
is_word_char(const char *s, size_t i, size_t n)
{
	unsigned char c = (unsigned char)s[i];

	if (c < 0x80)
		return is_digit(c) || is_alpha(c) || c == '_';
	/* Walk back to the start of the character. */
	while (i > 0 && ((unsigned char)s[i] & 0xc0) == 0x80)
		i--;
	c = (unsigned char)s[i];
	if (field_space_len(s + i, n - i) > 0)
		return false;
	/* Currency signs and punctuation: U+00A2-U+00A5 (cent, pound, currency, yen),
	 * U+20A0-U+20CF (euro, rupee, ...), general punctuation U+2010-U+205E, U+2212. */
	if (c == 0xc2 && i + 1 < n && (unsigned char)s[i + 1] < 0xc0)
		return false;
	if (c == 0xe2 && i + 1 < n &&
	    ((unsigned char)s[i + 1] == 0x80 || (unsigned char)s[i + 1] == 0x81 ||
	     (unsigned char)s[i + 1] == 0x82 || (unsigned char)s[i + 1] == 0x88))
		return false;
	return true;
}

/* The character before byte i starts at *prev; false at the start. */
static bool
char_before(const char *s, size_t i, size_t *prev)
{
	if (i == 0)
		return false;
	i--;
	while (i > 0 && ((unsigned char)s[i] & 0xc0) == 0x80)
		i--;
	*prev = i;
	return true;
}

/*
 * Look at the characters before the digits at start: is the run part of a code or a
 * word (*code), and is it negative (*negative)?  A currency sign (any non-ASCII
 * character that is not a letter, or '$') may stand between the minus and the digits.
 */
static void
number_before(const char *s, size_t start, size_t n, bool *negative, bool *code)
{
	size_t i = start, p, q;
	int signs = 0;

	*negative = *code = false;
	while (char_before(s, i, &p)) {
		if (s[p] == '-' || (p + 3 <= n && memcmp(s + p, "\xe2\x88\x92", 3) == 0)) {
			/* A hyphen after a letter or digit joins a code: "TW-HB-006". */
			if (char_before(s, p, &q) && is_word_char(s, q, n))
				*code = true;
			else
				*negative = true;
			return;
		}
		if (is_word_char(s, p, n)) {
			*code = signs == 0;	/* "A4"; but "USD$5" is a currency */
			return;
		}
		if ((unsigned char)s[p] < 0x80 && s[p] != '$')
			return;	/* space, '(', ':' ...: a number on its own */
		if (++signs > 1)
			return;
		i = p;
	}
}

/* Copy the digits of s[from..to) into out, keeping only the decimal separator dec
 * (as '.') and dropping the grouping ones. */
static void
copy_digits(const char *s, size_t from, size_t to, char dec, char *out)
{
	size_t j = 0;

	for (size_t i = from; i < to; i++) {
		if (is_digit((unsigned char)s[i]))
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

/* The end of the run of digits and separators at start. */
static size_t
number_end(const char *s, size_t start, size_t n)
{
	size_t end = start;

	while (end < n && (is_digit((unsigned char)s[end]) ||
			   ((s[end] == ',' || s[end] == '.') && end + 1 < n &&
			    is_digit((unsigned char)s[end + 1]))))
		end++;
	return end;
}

int
field_parse_number(const char *s, double *out)
{
	size_t n = strlen(s), i = 0, start = 0, end = 0, e;
	char digits[128];
	bool negative = false, neg, code;
	int found = 0;
	char *endp;
	double v;

	while (i < n) {
		if (!is_digit((unsigned char)s[i])) {
			i++;
			continue;
		}
		e = number_end(s, i, n);
		number_before(s, i, n, &neg, &code);
		/* Followed by a hyphen and a letter or digit: a code or a range. */
		if (e + 1 < n && s[e] == '-' && is_word_char(s, e + 1, n))
			code = true;
		if (!code) {
			if (++found > 1)
				return -1;
			start = i;
			end = e;
			negative = neg;
		}
		/* Skip the rest of a code's word too. */
		i = e;
	}
	if (found != 1 || end - start >= sizeof digits)
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
	static const char *const yes[] = {"true", "yes",     "y",	"on",
					  "1",	  "checked", "selected", "enabled"};
	static const char *const no[] = {"false", "no",	     "n",	 "off",
					 "0",	  "none",    "unchecked", "disabled"};
	size_t from, to;

	trim(s, &from, &to);
	for (size_t i = 0; i < sizeof no / sizeof no[0]; i++) {
		if (strlen(no[i]) == to - from && strncasecmp(s + from, no[i], to - from) == 0) {
			*out = false;
			return 0;
		}
	}
	for (size_t i = 0; i < sizeof yes / sizeof yes[0]; i++) {
		if (strlen(yes[i]) == to - from && strncasecmp(s + from, yes[i], to - from) == 0) {
			*out = true;
			return 0;
		}
	}
	return -1;
}

/* ---- dates ---- */

/* A cursor over the trimmed text of a date. */
struct date_scan {
	const char *s;
	size_t i, n;
};

struct date_parts {
	int y, mo, d, h, mi, sec;
	bool has_time, has_zone;
	int zone_min;	/* offset east of UTC, in minutes */
	char frac[10];	/* ".250": fractional seconds as written (at most 9 digits) */
};

static int
date_peek(const struct date_scan *c)
{
	return c->i < c->n ? (unsigned char)c->s[c->i] : 0;
}

/* Skip white space, and commas too if commas. */
static void
date_skip(struct date_scan *c, bool commas)
{
	size_t k;

	while (c->i < c->n) {
		if ((k = field_space_len(c->s + c->i, c->n - c->i)) > 0)
			c->i += k;
		else if (commas && c->s[c->i] == ',')
			c->i++;
		else
			break;
	}
}

/* Read 1..max digits (at least min) as *v; false (cursor unchanged) otherwise. */
static bool
date_int(struct date_scan *c, int min, int max, int *v)
{
	size_t i = c->i;
	int k = 0, x = 0;

	while (k < max && i < c->n && is_digit((unsigned char)c->s[i])) {
		x = x * 10 + (c->s[i++] - '0');
		k++;
	}
	if (k < min || (i < c->n && is_digit((unsigned char)c->s[i])))
		return false;
	c->i = i;
	*v = x;
	return true;
}

/* Read an ASCII word (letters) into w (lower-cased); its length, 0 if none. */
static size_t
date_word(struct date_scan *c, char *w, size_t wlen)
{
	size_t k = 0, i = c->i;

	while (i < c->n && is_alpha((unsigned char)c->s[i])) {
		if (k + 1 >= wlen)
			return 0;
		w[k++] = (char)(c->s[i++] | 0x20);
	}
	w[k] = '\0';
	if (k > 0 && i < c->n && (unsigned char)c->s[i] >= 0x80)
		return 0; /* "Décembre": not a word we know */
	c->i = i;
	return k;
}

/* Exactly two digits, whatever follows (the hours of "+0530"). */
static bool
date_2digits(struct date_scan *c, int *v)
{
	if (c->i + 2 > c->n || !is_digit((unsigned char)c->s[c->i]) ||
	    !is_digit((unsigned char)c->s[c->i + 1]))
		return false;
	*v = (c->s[c->i] - '0') * 10 + (c->s[c->i + 1] - '0');
	c->i += 2;
	return true;
}

static bool
date_accept(struct date_scan *c, int ch)
{
	if (date_peek(c) != ch)
		return false;
	c->i++;
	return true;
}

/* A month name, full or abbreviated to three letters ("sept" too), then an optional
 * '.'.  1..12, or 0 (cursor unchanged). */
static int
date_month(struct date_scan *c)
{
	static const char *const months[] = {"january", "february", "march",	 "april",
					     "may",	"june",	    "july",	 "august",
					     "september", "october", "november", "december"};
	size_t at = c->i, k;
	char w[16];

	if ((k = date_word(c, w, sizeof w)) >= 3) {
		for (int m = 0; m < 12; m++) {
			if (strcmp(w, months[m]) == 0 || (k == 3 && strncmp(w, months[m], 3) == 0) ||
			    (m == 8 && strcmp(w, "sept") == 0)) {
				date_accept(c, '.');
				return m + 1;
			}
		}
	}
	c->i = at;
	return 0;
}

/* An optional weekday ("sat", "saturday", "sat.") and comma before the date. */
static void
date_weekday(struct date_scan *c)
{
	static const char *const days[] = {"monday", "tuesday",	 "wednesday", "thursday",
					   "friday", "saturday", "sunday"};
	size_t at = c->i, k;
	char w[16];

	if ((k = date_word(c, w, sizeof w)) >= 3) {
		for (int d = 0; d < 7; d++) {
			if (strcmp(w, days[d]) == 0 || (k == 3 && strncmp(w, days[d], 3) == 0)) {
				date_accept(c, '.');
				date_skip(c, true);
				return;
			}
		}
	}
	c->i = at;
}

/* A day of the month with an optional ordinal suffix ("5th"). */
static bool
date_day(struct date_scan *c, int *d)
{
	size_t at = c->i;
	char w[4];

	if (!date_int(c, 1, 2, d))
		return false;
	if (is_alpha(date_peek(c))) {
		if (date_word(c, w, sizeof w) != 2 ||
		    (strcmp(w, "st") != 0 && strcmp(w, "nd") != 0 && strcmp(w, "rd") != 0 &&
		     strcmp(w, "th") != 0)) {
			c->i = at;
			return false;
		}
	}
	return true;
}

/* A zone: Z, UT, UTC, GMT, the US zones of RFC 2822, +HH:MM, +HHMM, +HH. */
static bool
date_zone(struct date_scan *c, struct date_parts *p)
{
	static const struct { const char *name; int min; } zones[] = {
		{"z", 0},	  {"ut", 0},	    {"utc", 0},	      {"gmt", 0},
		{"est", -300}, {"edt", -240}, {"cst", -360}, {"cdt", -300},
		{"mst", -420}, {"mdt", -360}, {"pst", -480}, {"pdt", -420},
	};
	size_t at = c->i;
	int sign = date_peek(c), hh, mm = 0;
	char w[8];

	if (sign == '+' || sign == '-') {
		c->i++;
		if (!date_2digits(c, &hh))
			goto no;
		if (date_accept(c, ':')) {
			if (!date_int(c, 2, 2, &mm))
				goto no;
		} else if (is_digit(date_peek(c)) && !date_int(c, 2, 2, &mm)) {
			goto no;
		}
		if (hh > 23 || mm > 59)
			goto no;
		p->zone_min = (sign == '-' ? -1 : 1) * (hh * 60 + mm);
		p->has_zone = true;
		return true;
	}
	if (date_word(c, w, sizeof w) > 0) {
		for (size_t i = 0; i < sizeof zones / sizeof zones[0]; i++) {
			if (strcmp(w, zones[i].name) == 0) {
				p->zone_min = zones[i].min;
				p->has_zone = true;
				return true;
			}
		}
	}
no:
	c->i = at;
	return false;
}

/* HH:MM[:SS[.fff]] [am|pm] [zone], the zone optional. */
static bool
date_time(struct date_scan *c, struct date_parts *p)
{
	size_t k = 0, at;
	char w[4];

	if (!date_int(c, 1, 2, &p->h) || !date_accept(c, ':') || !date_int(c, 2, 2, &p->mi))
		return false;
	if (date_accept(c, ':')) {
		if (!date_int(c, 2, 2, &p->sec))
			return false;
		if (date_peek(c) == '.' || date_peek(c) == ',') {
			c->i++;
			p->frac[k++] = '.';
			while (is_digit(date_peek(c))) {
				if (k < sizeof p->frac - 1)
					p->frac[k++] = c->s[c->i];
				c->i++;
			}
			if (k == 1)
				return false;
			p->frac[k] = '\0';
		}
	}
	at = c->i;
	date_skip(c, false);
	if (date_word(c, w, sizeof w) == 2 && (strcmp(w, "am") == 0 || strcmp(w, "pm") == 0)) {
		if (p->h < 1 || p->h > 12)
			return false;
		p->h = p->h % 12 + (w[0] == 'p' ? 12 : 0);
	} else {
		c->i = at;
	}
	p->has_time = true;
	at = c->i;
	date_skip(c, false);
	if (!date_zone(c, p))
		c->i = at;
	return true;
}

/* ISO 8601 (and 2026/12/05): YYYY-MM-DD, then 'T' or ' ' and a time. */
static bool
date_iso(struct date_scan *c, struct date_parts *p)
{
	int sep;

	if (!date_int(c, 4, 4, &p->y))
		return false;
	sep = date_peek(c);
	if ((sep != '-' && sep != '/') || !date_accept(c, sep) || !date_int(c, 1, 2, &p->mo) ||
	    !date_accept(c, sep) || !date_int(c, 1, 2, &p->d))
		return false;
	if (date_peek(c) == 'T' || date_peek(c) == 't' ||
	    (date_peek(c) == ' ' && c->i + 1 < c->n && is_digit((unsigned char)c->s[c->i + 1]))) {
		c->i++;
		return date_time(c, p);
	}
	return true;
}

/* D/M/Y, M/D/Y, D.M.Y (four-digit year): only when the reading is certain. */
static bool
date_numeric(struct date_scan *c, struct date_parts *p)
{
	int a, b, sep;

	if (!date_int(c, 1, 2, &a))
		return false;
	sep = date_peek(c);
	if ((sep != '/' && sep != '.' && sep != '-') || !date_accept(c, sep) ||
	    !date_int(c, 1, 2, &b) || !date_accept(c, sep) || !date_int(c, 4, 4, &p->y))
		return false;
	if (a > 12 && b <= 12) {
		p->d = a;
		p->mo = b;
	} else if (b > 12 && a <= 12) {
		p->d = b;
		p->mo = a;
	} else if (a == b) {
		p->d = p->mo = a;
	} else {
		return false; /* 05/12/2026: the 5th of December or the 12th of May */
	}
	date_skip(c, true);
	if (is_digit(date_peek(c)))
		return date_time(c, p);
	return true;
}

/* "5 December 2026", "December 5, 2026", with an optional time and zone after. */
static bool
date_words(struct date_scan *c, struct date_parts *p)
{
	if (date_day(c, &p->d)) {
		date_skip(c, false);
		date_accept(c, '-');
		if ((p->mo = date_month(c)) == 0)
			return false;
		date_accept(c, '-');
		date_skip(c, true);
	} else if ((p->mo = date_month(c)) != 0) {
		date_skip(c, false);
		if (!date_day(c, &p->d))
			return false;
		date_skip(c, true);
	} else {
		return false;
	}
	if (!date_int(c, 4, 4, &p->y))
		return false;
	date_skip(c, true);
	date_accept(c, 'T');
	if (is_digit(date_peek(c)))
		return date_time(c, p);
	return true;
}

static bool
date_valid(const struct date_parts *p)
{
	static const int mdays[] = {31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
	bool leap = (p->y % 4 == 0 && p->y % 100 != 0) || p->y % 400 == 0;

	if (p->y < 1 || p->mo < 1 || p->mo > 12 || p->d < 1 || p->d > mdays[p->mo - 1])
		return false;
	if (p->mo == 2 && p->d == 29 && !leap)
		return false;
	return !p->has_time || (p->h <= 23 && p->mi <= 59 && p->sec <= 60);
}

int
field_parse_date(const char *s, struct buf *out)
{
	struct date_parts p;
	struct date_scan c;
	size_t from, to;
	char iso[64];
	int len, az;
	bool ok = false;

	trim(s, &from, &to);
	for (int form = 0; form < 3 && !ok; form++) {
		memset(&p, 0, sizeof p);
		c = (struct date_scan){.s = s + from, .i = 0, .n = to - from};
		date_weekday(&c);
		if (!(form == 0	  ? date_iso(&c, &p)
		      : form == 1 ? date_numeric(&c, &p)
				  : date_words(&c, &p)))
			continue;
		date_skip(&c, false);
		ok = c.i == c.n && date_valid(&p);
	}
	if (!ok)
		return -1;
	len = snprintf(iso, sizeof iso, "%04d-%02d-%02d", p.y, p.mo, p.d);
	if (p.has_time)
		len += snprintf(iso + len, sizeof iso - (size_t)len, "T%02d:%02d:%02d%s", p.h, p.mi,
				p.sec, p.frac);
	if (p.has_zone) {
		az = p.zone_min < 0 ? -p.zone_min : p.zone_min;
		len += snprintf(iso + len, sizeof iso - (size_t)len, "%c%02d:%02d",
				p.zone_min < 0 ? '-' : '+', az / 60, az % 60);
	}
	return buf_append(out, iso, (size_t)len);
}
