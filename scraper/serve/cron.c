/*
 * cron.c: parsing and evaluating 5-field cron expressions in UTC (see cron.h).
 *
 * The parser is a single left-to-right pass over at most CRON_MAX_LEN bytes: each field
 * is a comma list of items, each item sets bits in the field's set.  Numbers are read
 * with a saturating accumulator, so a thousand digits is "out of range", never an
 * overflow.  Every error names the field and the byte column where it was found.
 *
 * cron_next walks the calendar a month at a time: a month the month set excludes is
 * skipped whole; in one it includes, the days that match are computed as one 31-bit
 * mask (day-of-month set, day-of-week set laid over the month's weekdays, combined the
 * way cron combines them), and the first matching day at or after the start gives the
 * answer from the hour and minute sets.  Dates come from Howard Hinnant's
 * days-from-civil arithmetic on the proleptic Gregorian calendar, so nothing depends
 * on the C library's time zone handling.
 */
#include "config.h"

#include "cron.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

/* The Gregorian calendar repeats its days of the week every 400 years. */
#define CYCLE_MONTHS (400 * 12)

/* Numbers saturate here: past every field's maximum, yet far from overflow. */
#define NUMBER_CAP 1000000

/* At most this many bytes of a number or name are quoted back in an error message. */
#define QUOTE_MAX 12

/* ---- fields ---- */

static const char *const month_names[] = {
	"jan", "feb", "mar", "apr", "may", "jun",
	"jul", "aug", "sep", "oct", "nov", "dec",
};

static const char *const dow_names[] = {
	"sun", "mon", "tue", "wed", "thu", "fri", "sat",
};

struct field {
	const char *name;
	int min, max;
	const char *const *names;	/* NULL, or names for min, min + 1, ... */
	int nnames;
	const char *name_range;		/* names as written in messages */
};

enum { F_MINUTE, F_HOUR, F_DOM, F_MONTH, F_DOW, NFIELDS };

static const struct field fields[NFIELDS] = {
	{ "minute", 0, 59, NULL, 0, NULL },
	{ "hour", 0, 23, NULL, 0, NULL },
	{ "day-of-month", 1, 31, NULL, 0, NULL },
	{ "month", 1, 12, month_names, 12, "jan-dec" },
	{ "day-of-week", 0, 7, dow_names, 7, "sun-sat" },
};

/* ---- the parser ---- */

struct parser {
	const char *expr;	/* the whole expression, for columns */
	const char *p;		/* the next byte to read */
	char *err;
	size_t errlen;
};

static bool
is_blank(char ch)
{
	return ch == ' ' || ch == '\t';
}

static bool
is_digit(char ch)
{
	return ch >= '0' && ch <= '9';
}

static bool
is_alpha(char ch)
{
	return (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z');
}

static char
to_lower(char ch)
{
	return ch >= 'A' && ch <= 'Z' ? (char)(ch - 'A' + 'a') : ch;
}

/* Whether s (n bytes) equals the lower-case NUL-terminated name, ignoring case. */
static bool
name_equals(const char *s, size_t n, const char *name)
{
	if (strlen(name) != n)
		return false;
	for (size_t i = 0; i < n; i++)
		if (to_lower(s[i]) != name[i])
			return false;
	return true;
}

static void
skip_blanks(struct parser *ps)
{
	while (is_blank(*ps->p))
		ps->p++;
}

/*
 * Fill the error buffer with "FIELD: MESSAGE (column N)"; field may be NULL (no
 * prefix) and at may be NULL (no column).  Returns -1.
 */
static int parse_fail(struct parser *ps, const struct field *f, const char *at,
    const char *fmt, ...) __attribute__((format(printf, 4, 5)));

static int
parse_fail(struct parser *ps, const struct field *f, const char *at, const char *fmt, ...)
{
	char msg[256];
	char column[32] = "";
	va_list ap;

	if (ps->err == NULL || ps->errlen == 0)
		return -1;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	if (at != NULL)
		snprintf(column, sizeof column, " (column %d)", (int)(at - ps->expr) + 1);
	snprintf(ps->err, ps->errlen, "%s%s%s%s", f != NULL ? f->name : "",
	    f != NULL ? ": " : "", msg, column);
	return -1;
}

/* The byte at ps->p is not what the syntax allows there: say which it is. */
static int
fail_unexpected(struct parser *ps, const struct field *f)
{
	unsigned char ch = (unsigned char)*ps->p;

	if (ch == '\0')
		return parse_fail(ps, f, ps->p, "unexpected end of expression");
	if (ch > ' ' && ch < 0x7f)
		return parse_fail(ps, f, ps->p, "unexpected character '%c'", ch);
	return parse_fail(ps, f, ps->p, "unexpected byte \\x%02X", ch);
}

/* Read a run of digits as a number that saturates at NUMBER_CAP. */
static int
read_number(struct parser *ps)
{
	int v = 0;

	while (is_digit(*ps->p)) {
		v = v * 10 + (*ps->p - '0');
		if (v > NUMBER_CAP)
			v = NUMBER_CAP;
		ps->p++;
	}
	return v;
}

/* The text from `from` to ps->p, cut for a message: its length and a "..." if cut. */
static int
quote_len(const struct parser *ps, const char *from)
{
	size_t n = (size_t)(ps->p - from);

	return n > QUOTE_MAX ? QUOTE_MAX : (int)n;
}

static const char *
quote_more(const struct parser *ps, const char *from)
{
	return (size_t)(ps->p - from) > QUOTE_MAX ? "..." : "";
}

/* One value of field f, a number or a name, into *v. */
static int
parse_value(struct parser *ps, const struct field *f, int *v)
{
	const char *at = ps->p;

	if (is_digit(*ps->p)) {
		*v = read_number(ps);
		if (*v < f->min || *v > f->max)
			return parse_fail(ps, f, at, "%.*s%s is out of range %d-%d",
			    quote_len(ps, at), at, quote_more(ps, at), f->min, f->max);
		return 0;
	}
	if (is_alpha(*ps->p) && f->names != NULL) {
		while (is_alpha(*ps->p))
			ps->p++;
		for (int i = 0; i < f->nnames; i++) {
			if (name_equals(at, (size_t)(ps->p - at), f->names[i])) {
				*v = f->min + i;
				return 0;
			}
		}
		return parse_fail(ps, f, at, "unknown name '%.*s%s' (expected %s)",
		    quote_len(ps, at), at, quote_more(ps, at), f->name_range);
	}
	if (*ps->p == '\0' || *ps->p == ',' || is_blank(*ps->p))
		return parse_fail(ps, f, at, "missing value");
	return fail_unexpected(ps, f);
}

/* The step after a '/', into *step: 1 up to the field's span. */
static int
parse_step(struct parser *ps, const struct field *f, int *step)
{
	const char *at = ps->p;
	int span = f->max - f->min + 1;

	if (!is_digit(*ps->p)) {
		if (*ps->p == '\0' || *ps->p == ',' || is_blank(*ps->p))
			return parse_fail(ps, f, at, "missing step after '/'");
		return fail_unexpected(ps, f);
	}
	*step = read_number(ps);
	if (*step < 1 || *step > span)
		return parse_fail(ps, f, at, "step %.*s%s is out of range 1-%d",
		    quote_len(ps, at), at, quote_more(ps, at), span);
	return 0;
}

/* One item of a list: "*", "N" or "N-M", then optionally "/STEP". */
static int
parse_item(struct parser *ps, const struct field *f, uint64_t *bits)
{
	const char *start = ps->p;
	bool range = false;	/* "*" or "N-M", not one value */
	int lo, hi, step = 1;

	if (*ps->p == '*') {
		ps->p++;
		lo = f->min;
		hi = f->max;
		range = true;
	} else {
		if (parse_value(ps, f, &lo) == -1)
			return -1;
		hi = lo;
		if (*ps->p == '-') {
			ps->p++;
			if (parse_value(ps, f, &hi) == -1)
				return -1;
			if (hi < lo)
				return parse_fail(ps, f, start, "reversed range %.*s",
				    (int)(ps->p - start), start);
			range = true;
		}
	}
	if (*ps->p == '/') {
		ps->p++;
		if (parse_step(ps, f, &step) == -1)
			return -1;
		if (!range)
			hi = f->max;	/* "N/S" is "N-max/S", as cronie reads it */
	}
	for (int v = lo; v <= hi; v += step)
		*bits |= UINT64_C(1) << v;
	return 0;
}

/* One field, a comma list of items ending at a blank or the end, into *bits. */
static int
parse_field(struct parser *ps, const struct field *f, uint64_t *bits)
{
	*bits = 0;
	for (;;) {
		if (*ps->p == ',' || *ps->p == '\0' || is_blank(*ps->p))
			return parse_fail(ps, f, ps->p, "empty item in list");
		if (parse_item(ps, f, bits) == -1)
			return -1;
		if (*ps->p == ',') {
			ps->p++;
			continue;
		}
		if (*ps->p == '\0' || is_blank(*ps->p))
			return 0;
		return fail_unexpected(ps, f);
	}
}

static int
parse_fields(struct parser *ps, struct cron *c)
{
	uint64_t bits[NFIELDS];
	bool star[NFIELDS];

	for (int i = 0; i < NFIELDS; i++) {
		skip_blanks(ps);
		if (*ps->p == '\0')
			return parse_fail(ps, NULL, ps->p,
			    "expected 5 fields (minute hour day-of-month month "
			    "day-of-week), found %d", i);
		star[i] = *ps->p == '*';
		if (parse_field(ps, &fields[i], &bits[i]) == -1)
			return -1;
	}
	skip_blanks(ps);
	if (*ps->p != '\0')
		return parse_fail(ps, NULL, ps->p, "expected 5 fields (minute hour "
		    "day-of-month month day-of-week), found more");
	c->minute = bits[F_MINUTE];
	c->hour = (uint32_t)bits[F_HOUR];
	c->dom = (uint32_t)bits[F_DOM];
	c->month = (uint32_t)bits[F_MONTH];
	/* 7 is Sunday too. */
	c->dow = (uint8_t)((bits[F_DOW] | bits[F_DOW] >> 7) & 0x7f);
	c->dom_star = star[F_DOM];
	c->dow_star = star[F_DOW];
	return 0;
}

static const struct {
	const char *name;
	const char *expr;
} macros[] = {
	{ "@yearly", "0 0 1 1 *" },
	{ "@annually", "0 0 1 1 *" },
	{ "@monthly", "0 0 1 * *" },
	{ "@weekly", "0 0 * * 0" },
	{ "@daily", "0 0 * * *" },
	{ "@midnight", "0 0 * * *" },
	{ "@hourly", "0 * * * *" },
};

/* "@name" alone (blanks around it allowed), expanded to its five fields. */
static int
parse_macro(struct parser *ps, struct cron *c)
{
	const char *at = ps->p;
	size_t n;

	while (*ps->p != '\0' && !is_blank(*ps->p))
		ps->p++;
	n = (size_t)(ps->p - at);
	if (name_equals(at, n, "@reboot"))
		return parse_fail(ps, NULL, at, "@reboot (once at start-up) is not a "
		    "schedule and is not supported");
	for (size_t i = 0; i < sizeof macros / sizeof macros[0]; i++) {
		if (name_equals(at, n, macros[i].name)) {
			struct parser sub = { macros[i].expr, macros[i].expr, ps->err, ps->errlen };

			skip_blanks(ps);
			if (*ps->p != '\0')
				return parse_fail(ps, NULL, ps->p,
				    "unexpected text after %s", macros[i].name);
			return parse_fields(&sub, c);
		}
	}
	return parse_fail(ps, NULL, at, "unknown macro '%.*s%s' (expected @yearly, "
	    "@annually, @monthly, @weekly, @daily, @midnight or @hourly)",
	    quote_len(ps, at), at, quote_more(ps, at));
}

int
cron_parse(struct cron *c, const char *expr, char *err, size_t errlen)
{
	struct parser ps = { expr, expr, err, errlen };
	struct cron tmp;
	size_t len;

	if (err != NULL && errlen > 0)
		err[0] = '\0';
	if (expr == NULL)
		return parse_fail(&ps, NULL, NULL, "no expression");
	len = strnlen(expr, CRON_MAX_LEN + 1);
	if (len > CRON_MAX_LEN)
		return parse_fail(&ps, NULL, NULL, "expression is longer than %d bytes",
		    CRON_MAX_LEN);
	skip_blanks(&ps);
	if (*ps.p == '\0')
		return parse_fail(&ps, NULL, NULL, "empty expression");
	if ((*ps.p == '@' ? parse_macro(&ps, &tmp) : parse_fields(&ps, &tmp)) == -1)
		return -1;
	*c = tmp;
	return 0;
}

/* ---- the calendar ---- */

static int64_t
floor_div(int64_t a, int64_t b)
{
	int64_t q = a / b;

	return (a % b != 0 && (a < 0) != (b < 0)) ? q - 1 : q;
}

static int64_t
floor_mod(int64_t a, int64_t b)
{
	int64_t r = a % b;

	return r < 0 ? r + b : r;
}

/* Days since 1970-01-01 of the proleptic Gregorian date y-m-d (Hinnant). */
static int64_t
days_from_civil(int64_t y, unsigned m, unsigned d)
{
	int64_t era;
	unsigned yoe, doy, doe;

	y -= m <= 2;
	era = (y >= 0 ? y : y - 399) / 400;
	yoe = (unsigned)(y - era * 400);
	doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + (int64_t)doe - 719468;
}

/* The date of day z since 1970-01-01 (Hinnant). */
static void
civil_from_days(int64_t z, int64_t *y, unsigned *m, unsigned *d)
{
	int64_t era;
	unsigned doe, yoe, doy, mp;

	z += 719468;
	era = (z >= 0 ? z : z - 146096) / 146097;
	doe = (unsigned)(z - era * 146097);
	yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	mp = (5 * doy + 2) / 153;
	*d = doy - (153 * mp + 2) / 5 + 1;
	*m = mp < 10 ? mp + 3 : mp - 9;
	*y = (int64_t)yoe + era * 400 + (*m <= 2);
}

/* 0 = Sunday; 1970-01-01 was a Thursday. */
static unsigned
weekday(int64_t days)
{
	return (unsigned)floor_mod(days + 4, 7);
}

static unsigned
days_in_month(int64_t y, unsigned m)
{
	static const unsigned char len[12] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };
	bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;

	return m == 2 && leap ? 29 : len[m - 1];
}

static unsigned
lowest_bit(uint64_t x)
{
	unsigned i = 0;

	while (!(x & 1)) {
		x >>= 1;
		i++;
	}
	return i;
}

/* Whether day-of-month dom_hit and day-of-week dow_hit make a matching day. */
static bool
day_combine(const struct cron *c, bool dom_hit, bool dow_hit)
{
	if (c->dom_star || c->dow_star)
		return dom_hit && dow_hit;
	return dom_hit || dow_hit;
}

/* The days of month m of year y that c matches: bit d for day d. */
static uint32_t
month_days(const struct cron *c, int64_t y, unsigned m)
{
	unsigned n = days_in_month(y, m);
	unsigned w1 = weekday(days_from_civil(y, m, 1));
	uint64_t all = ((UINT64_C(1) << n) - 1) << 1;
	uint64_t week = 0, dow, dom = c->dom & all;

	/* The weekdays of days 1-7, then repeated every 7 days. */
	for (unsigned k = 0; k < 7; k++)
		if (c->dow >> ((w1 + k) % 7) & 1)
			week |= UINT64_C(1) << (k + 1);
	dow = (week | week << 7 | week << 14 | week << 21 | week << 28) & all;
	if (c->dom_star || c->dow_star)
		return (uint32_t)(dom & dow);
	return (uint32_t)(dom | dow);
}

/* The first hour:minute at or after h:mi that c matches, if any that day. */
static bool
day_first_time(const struct cron *c, unsigned h, unsigned mi, unsigned *oh, unsigned *omi)
{
	const uint64_t minutes = c->minute & ((UINT64_C(1) << 60) - 1);

	for (; h < 24; h++, mi = 0) {
		uint64_t later = minutes & (UINT64_MAX << mi);

		if ((c->hour >> h & 1) && later != 0) {
			*oh = h;
			*omi = lowest_bit(later);
			return true;
		}
	}
	return false;
}

int
cron_next(const struct cron *c, int64_t after, int64_t *next)
{
	int64_t t, days, y;
	unsigned m, d, h, mi, oh, omi;

	if (after < CRON_TIME_MIN || after > CRON_TIME_MAX)
		return -1;
	if ((c->minute & ((UINT64_C(1) << 60) - 1)) == 0 || (c->hour & 0xffffff) == 0 ||
	    (c->month & 0x1ffe) == 0)
		return -1;
	t = (floor_div(after, 60) + 1) * 60;
	days = floor_div(t, 86400);
	civil_from_days(days, &y, &m, &d);
	h = (unsigned)(floor_mod(t, 86400) / 3600);
	mi = (unsigned)(floor_mod(t, 3600) / 60);
	/* The start month, then 400 years of months: back to the start month's days before
	 * the start, which the first pass left out. */
	for (int n = 0; n <= CYCLE_MONTHS; n++) {
		uint32_t todo = c->month >> m & 1 ? month_days(c, y, m) & (UINT32_MAX << d) : 0;

		while (todo != 0) {
			unsigned day = lowest_bit(todo);

			if (day != d)
				h = mi = 0;
			if (day_first_time(c, h, mi, &oh, &omi)) {
				*next = days_from_civil(y, m, day) * 86400 + oh * 3600 + omi * 60;
				return 0;
			}
			todo &= todo - 1;
		}
		d = 1;
		h = mi = 0;
		if (++m > 12) {
			m = 1;
			y++;
		}
	}
	return -1;
}

bool
cron_matches(const struct cron *c, int64_t t)
{
	int64_t days = floor_div(t, 86400), sod = floor_mod(t, 86400), y;
	unsigned m, d;

	if (!(c->minute >> (sod / 60 % 60) & 1) || !(c->hour >> (sod / 3600) & 1))
		return false;
	civil_from_days(days, &y, &m, &d);
	if (!(c->month >> m & 1))
		return false;
	return day_combine(c, c->dom >> d & 1, c->dow >> weekday(days) & 1);
}
