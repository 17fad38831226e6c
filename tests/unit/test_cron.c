/*
 * test_cron.c: 5-field cron expressions (scraper/serve/cron.c).
 *
 * Three tables, each row one TAP test case: expressions with the next time expected
 * after a fixed instant, expressions that must be rejected with a given piece of error
 * message, and expressions whose every match over a few weeks is checked against a
 * naive minute-by-minute search that reads the calendar with the C library's gmtime_r
 * (not cron.c's own date arithmetic).  30 of the last table's 55 rows are generated from
 * a fixed seed; each row is checked over two fixed windows and one around its next match after
 * the first.  Beside them: the parsed bit sets, error buffer handling, the length limit,
 * extreme instants, and the cost of an expression that never matches.
 */
#include "config.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cron.h"
#include "unit.h"

/* "YYYY-MM-DD HH:MM[:SS]" in UTC, through the C library. */
static int64_t
utc(const char *s)
{
	struct tm tm = { 0 };
	int sec = 0;

	if (sscanf(s, "%d-%d-%d %d:%d:%d", &tm.tm_year, &tm.tm_mon, &tm.tm_mday,
	    &tm.tm_hour, &tm.tm_min, &sec) < 5)
		fail_msg("bad time in test: %s", s);
	tm.tm_year -= 1900;
	tm.tm_mon -= 1;
	tm.tm_sec = sec;
	return (int64_t)timegm(&tm);
}

static void
format_utc(int64_t t, char *out, size_t len)
{
	time_t tt = (time_t)t;
	struct tm tm;

	if (gmtime_r(&tt, &tm) == NULL)
		snprintf(out, len, "%" PRId64, t);
	else
		strftime(out, len, "%Y-%m-%d %H:%M:%S %a", &tm);
}

static struct cron
parse_ok(const char *expr)
{
	struct cron c;
	char err[256];

	if (cron_parse(&c, expr, err, sizeof err) != 0)
		fail_msg("cron_parse(\"%s\"): %s", expr, err);
	return c;
}

/* A TAP test name: prefix, then s quoted with its control and non-ASCII bytes as \xNN,
 * cut to about 60 bytes. */
static void
title_make(char *out, size_t len, const char *prefix, const char *s)
{
	size_t n = (size_t)snprintf(out, len, "%s \"", prefix);

	for (size_t i = 0; s[i] != '\0' && n + 8 < len; i++) {
		unsigned char ch = (unsigned char)s[i];

		if (i == 60) {
			n += (size_t)snprintf(out + n, len - n, "...");
			break;
		}
		if (ch < ' ' || ch >= 0x7f || ch == '#' || ch == '\\')
			n += (size_t)snprintf(out + n, len - n, "\\x%02X", ch);
		else
			out[n++] = (char)ch;
	}
	snprintf(out + n, len - n, "\"");
}

/* ---- valid expressions and their next times ---- */

struct next_case {
	const char *expr;
	const char *after;
	const char *expect;	/* NULL: cron_next returns -1 */
};

static const struct next_case next_cases[] = {
	/* Feb 29: the next leap year, and over a century year that is not one. */
	{ "0 0 29 2 *", "2027-01-01 00:00", "2028-02-29 00:00" },
	{ "0 0 29 2 *", "2028-02-29 00:00", "2032-02-29 00:00" },
	{ "0 0 29 2 *", "2096-03-01 00:00", "2104-02-29 00:00" },
	{ "0 0 29 2 *", "2399-06-01 00:00", "2400-02-29 00:00" },
	{ "0 0 * 2 *", "2028-02-28 00:00", "2028-02-29 00:00" },
	{ "0 0 * 2 *", "2027-02-28 00:00", "2028-02-01 00:00" },
	{ "59 23 28 2 *", "2028-02-28 23:59", "2029-02-28 23:59" },
	/* Steps, strictly after, seconds dropped. */
	{ "*/15 * * * *", "2027-03-10 10:07:30", "2027-03-10 10:15" },
	{ "*/15 * * * *", "2027-03-10 10:45:00", "2027-03-10 11:00" },
	{ "*/15 * * * *", "2027-03-10 10:44:59", "2027-03-10 10:45" },
	{ "*/15 * * * *", "2027-12-31 23:59", "2028-01-01 00:00" },
	{ "* * * * *", "2027-01-01 00:00:00", "2027-01-01 00:01" },
	{ "* * * * *", "2027-01-01 00:00:59", "2027-01-01 00:01" },
	{ "* * * * *", "1969-12-31 23:59:30", "1970-01-01 00:00" },
	{ "* * * * *", "1960-06-15 12:00:01", "1960-06-15 12:01" },
	/* Weekday hours: Friday 17:00 goes to Monday 09:00. */
	{ "0 9-17/2 * * 1-5", "2027-01-01 17:00", "2027-01-04 09:00" },
	{ "0 9-17/2 * * 1-5", "2027-01-04 09:00", "2027-01-04 11:00" },
	{ "0 9-17/2 * * 1-5", "2027-01-04 16:59", "2027-01-04 17:00" },
	{ "0 9-17/2 * * mon-FRI", "2027-01-02 03:00", "2027-01-04 09:00" },
	/* Both day fields restricted: either matches (Fri 1st, Mon 4th, ..., Fri 15th). */
	{ "0 0 1,15 * mon", "2027-01-01 00:00", "2027-01-04 00:00" },
	{ "0 0 1,15 * mon", "2027-01-11 00:00", "2027-01-15 00:00" },
	{ "0 0 1,15 * mon", "2027-01-25 00:00", "2027-02-01 00:00" },
	/* One starts with '*': both must match (odd days that are Mondays). */
	{ "0 0 */2 * mon", "2027-01-01 00:00", "2027-01-11 00:00" },
	{ "0 0 1 * */7", "2027-01-01 00:00", "2027-08-01 00:00" },
	/* Feb 29 that is a Sunday: 2032, then 2060. */
	{ "0 0 29 2 */7", "2027-01-01 00:00", "2032-02-29 00:00" },
	{ "0 0 29 2 */7", "2032-02-29 00:00", "2060-02-29 00:00" },
	/* Sunday is 0 and 7. */
	{ "0 0 * * 7", "2027-01-01 00:00", "2027-01-03 00:00" },
	{ "0 0 * * 0", "2027-01-01 00:00", "2027-01-03 00:00" },
	{ "0 0 * * 5-7", "2027-01-03 00:00", "2027-01-08 00:00" },
	{ "0 0 * * 1/2", "2027-01-05 00:00", "2027-01-06 00:00" },
	{ "0 0 * * 1/2", "2027-01-08 00:00", "2027-01-10 00:00" },
	/* Year end, month ends. */
	{ "30 23 31 12 *", "2027-06-01 00:00", "2027-12-31 23:30" },
	{ "30 23 31 12 *", "2027-12-31 23:30", "2028-12-31 23:30" },
	{ "0 0 31 * *", "2027-01-31 00:00", "2027-03-31 00:00" },
	{ "0 0 31 * *", "2027-03-31 00:00", "2027-05-31 00:00" },
	{ "0 0 1/10 * *", "2027-02-21 00:00", "2027-03-01 00:00" },
	{ "0 0 1/10 * *", "2027-03-21 00:00", "2027-03-31 00:00" },
	{ "0 0 30 * *", "2027-01-30 00:00", "2027-03-30 00:00" },
	/* Names, any case. */
	{ "0 12 * jan,JUL sun", "2027-02-01 00:00", "2027-07-04 12:00" },
	{ "0 0 1 Mar-May/2 *", "2027-03-01 00:00", "2027-05-01 00:00" },
	{ "0 0 1 nov/2 *", "2027-11-01 00:00", "2028-11-01 00:00" },
	/* Blanks. */
	{ " \t0\t12  * *  *\t ", "2027-01-01 12:00", "2027-01-02 12:00" },
	{ "07 005 * * *", "2027-01-01 00:00", "2027-01-01 05:07" },
	/* Macros. */
	{ "@daily", "2027-01-01 00:00", "2027-01-02 00:00" },
	{ "@midnight", "2027-01-01 13:00", "2027-01-02 00:00" },
	{ "@hourly", "2027-01-01 13:00", "2027-01-01 14:00" },
	{ "@weekly", "2027-01-01 13:00", "2027-01-03 00:00" },
	{ "@monthly", "2027-01-01 00:00", "2027-02-01 00:00" },
	{ "@yearly", "2027-01-01 00:00", "2028-01-01 00:00" },
	{ "  @ANNUALLY ", "2027-06-01 00:00", "2028-01-01 00:00" },
	/* Never. */
	{ "0 0 30 2 *", "2027-01-01 00:00", NULL },
	{ "0 0 31 2,4,6,9,11 *", "2027-01-01 00:00", NULL },
	{ "0 0 30 2 */2", "2027-01-01 00:00", NULL },
};

static void
test_next_case(void **state)
{
	const struct next_case *nc = *state;
	struct cron c = parse_ok(nc->expr);
	int64_t after = utc(nc->after), next = 0;
	char got[64];
	int rc = cron_next(&c, after, &next);

	if (nc->expect == NULL) {
		format_utc(next, got, sizeof got);
		if (rc != -1)
			fail_msg("expected no next time, got %s", got);
		return;
	}
	assert_int_equal(rc, 0);
	if (next != utc(nc->expect)) {
		format_utc(next, got, sizeof got);
		fail_msg("expected %s, got %s", nc->expect, got);
	}
	assert_true(cron_matches(&c, next));
	assert_false(cron_matches(&c, next - 60) && next - 60 > after);
}

/* ---- invalid expressions ---- */

struct bad_case {
	const char *expr;
	const char *message;	/* a piece of the error message */
};

static const char long_expr[] =
	"0 0 1 1 1,2,3,4,5,6,7,1,2,3,4,5,6,7,1,2,3,4,5,6,7,1,2,3,4,5,6,7,1,2,3,4,5,6,7,"
	"1,2,3,4,5,6,7,1,2,3,4,5,6,7,1,2,3,4,5,6,7,1,2,3,4,5,6,7,1,2,3,4,5,6,7,1,2,3,"
	"4,5,6,7,1,2,3,4,5,6,7,1,2,3,4,5,6,7,1,2,3,4,5,6,7,1,2,3,4,5,6,7,1,2,3,4,5,6,"
	"7,1,2,3,4,5,6,7,1,2,3,4,5,6,7,1,2,3,4,5,6,7";

static const struct bad_case bad_cases[] = {
	{ "", "empty expression" },
	{ " \t ", "empty expression" },
	{ "* * * *", "expected 5 fields (minute hour day-of-month month day-of-week), found 4 (column 8)" },
	{ "*", "found 1" },
	{ "* * * * * *", "expected 5 fields (minute hour day-of-month month day-of-week), found more (column 11)" },
	{ "* * * * * root /bin/true", "found more" },
	/* Ranges, each field. */
	{ "0,30 24 * * *", "hour: 24 is out of range 0-23 (column 6)" },
	{ "60 * * * *", "minute: 60 is out of range 0-59 (column 1)" },
	{ "0 0 0 * *", "day-of-month: 0 is out of range 1-31 (column 5)" },
	{ "0 0 32 * *", "day-of-month: 32 is out of range 1-31" },
	{ "0 0 * 0 *", "month: 0 is out of range 1-12" },
	{ "0 0 * 13 *", "month: 13 is out of range 1-12" },
	{ "0 0 * * 8", "day-of-week: 8 is out of range 0-7 (column 9)" },
	{ "0 0 * * 1-8", "day-of-week: 8 is out of range 0-7 (column 11)" },
	/* Huge numbers: no overflow, the text cut in the message. */
	{ "99999999999999999999999999 * * * *", "minute: 999999999999... is out of range 0-59 (column 1)" },
	{ "0 4294967296 * * *", "hour: 4294967296 is out of range 0-23" },
	{ "*/18446744073709551617 * * * *", "minute: step 184467440737... is out of range 1-60 (column 3)" },
	/* Lists. */
	{ "1,,2 * * * *", "minute: empty item in list (column 3)" },
	{ ",1 * * * *", "minute: empty item in list (column 1)" },
	{ "1, * * * *", "minute: empty item in list (column 3)" },
	{ "0 0 1,15, * *", "day-of-month: empty item in list (column 10)" },
	/* Ranges and steps. */
	{ "5-1 * * * *", "minute: reversed range 5-1 (column 1)" },
	{ "0 0 * * sat-sun", "day-of-week: reversed range sat-sun (column 9)" },
	{ "0 0 * dec-jan *", "month: reversed range dec-jan" },
	{ "*/0 * * * *", "minute: step 0 is out of range 1-60 (column 3)" },
	{ "*/61 * * * *", "minute: step 61 is out of range 1-60" },
	{ "0 */25 * * *", "hour: step 25 is out of range 1-24" },
	{ "0 0 */32 * *", "day-of-month: step 32 is out of range 1-31" },
	{ "0 0 1 */13 *", "month: step 13 is out of range 1-12" },
	{ "0 0 * * */9", "day-of-week: step 9 is out of range 1-8" },
	{ "0 0 1 jan-dec/0 *", "month: step 0" },
	{ "1- * * * *", "minute: missing value (column 3)" },
	{ "*/ * * * *", "minute: missing step after '/' (column 3)" },
	{ "1/ * * * *", "missing step" },
	{ "*/mon * * * *", "minute: unexpected character 'm' (column 3)" },
	{ "0 0 * * */mon", "day-of-week: unexpected character 'm'" },
	{ "1-2-3 * * * *", "minute: unexpected character '-' (column 4)" },
	{ "1/2/3 * * * *", "minute: unexpected character '/' (column 4)" },
	{ "-1 * * * *", "minute: unexpected character '-' (column 1)" },
	{ "*-5 * * * *", "minute: unexpected character '-' (column 2)" },
	{ "*5 * * * *", "unexpected character '5'" },
	{ "1-* * * * *", "minute: unexpected character '*' (column 3)" },
	/* Garbage. */
	{ "a * * * *", "minute: unexpected character 'a' (column 1)" },
	{ "0 0 L * *", "day-of-month: unexpected character 'L'" },
	{ "0 0 ? * *", "day-of-month: unexpected character '?'" },
	{ "0 0 * * 1#2", "day-of-week: unexpected character '#'" },
	{ "0 0 1W * *", "unexpected character 'W'" },
	{ "* * * * *\n", "day-of-week: unexpected byte \\x0A (column 10)" },
	{ "* * * * *\r", "unexpected byte \\x0D" },
	{ "*\xc2\xa0* * * *", "minute: unexpected byte \\xC2 (column 2)" },
	{ "0 0 * * 1.5", "unexpected character '.'" },
	{ "0 0 * * +1", "unexpected character '+'" },
	/* Names. */
	{ "0 0 * foo *", "month: unknown name 'foo' (expected jan-dec) (column 7)" },
	{ "0 0 * * monday", "day-of-week: unknown name 'monday' (expected sun-sat)" },
	{ "0 0 * january *", "month: unknown name 'january'" },
	{ "0 0 * * m", "unknown name 'm'" },
	{ "0 0 * * abcdefghijklmnopqrstuvwxyz", "unknown name 'abcdefghijkl...'" },
	{ "0 mon * * *", "hour: unexpected character 'm'" },
	{ "0 0 jan * *", "day-of-month: unexpected character 'j'" },
	/* Macros. */
	{ "@reboot", "@reboot (once at start-up) is not a schedule and is not supported (column 1)" },
	{ "  @reboot", "(column 3)" },
	{ "@fortnightly", "unknown macro '@fortnightly' (expected @yearly" },
	{ "@every-other-day", "unknown macro '@every-other...'" },
	{ "@", "unknown macro '@'" },
	{ "@daily 1", "unexpected text after @daily (column 8)" },
	{ "@daily*", "unknown macro '@daily*'" },
	{ "1 @daily", "hour: unexpected character '@' (column 3)" },
	/* Length. */
	{ long_expr, "expression is longer than 256 bytes" },
};

static void
test_bad_case(void **state)
{
	const struct bad_case *bc = *state;
	struct cron c, before;
	char err[512];

	memset(&c, 0x5a, sizeof c);
	before = c;
	if (cron_parse(&c, bc->expr, err, sizeof err) != -1)
		fail_msg("accepted");
	if (strstr(err, bc->message) == NULL)
		fail_msg("error \"%s\" lacks \"%s\"", err, bc->message);
	assert_memory_equal(&c, &before, sizeof c);	/* untouched on failure */
}

/* ---- the brute-force cross-check ---- */

/* Minutes in each window that is searched minute by minute. */
#define WINDOW_MINUTES (4 * 7 * 24 * 60)
#define RANDOM_EXPRS 30

/* Whether c matches minute t, reading the date with gmtime_r. */
static bool
naive_matches(const struct cron *c, int64_t t)
{
	time_t tt = (time_t)t;
	struct tm tm;
	bool dom, dow;

	if (gmtime_r(&tt, &tm) == NULL)
		fail_msg("gmtime_r(%" PRId64 ")", t);
	if (!(c->minute >> tm.tm_min & 1) || !(c->hour >> tm.tm_hour & 1) ||
	    !(c->month >> (tm.tm_mon + 1) & 1))
		return false;
	dom = c->dom >> tm.tm_mday & 1;
	dow = c->dow >> tm.tm_wday & 1;
	return c->dom_star || c->dow_star ? dom && dow : dom || dow;
}

/*
 * Every match of c in the window of WINDOW_MINUTES from `from`'s minute, by cron_next
 * chained from 17 seconds into that minute, must be exactly the minutes naive_matches finds; and
 * cron_matches must agree with naive_matches on every minute.
 */
static void
check_window(const char *expr, const struct cron *c, int64_t from)
{
	static bool hit[WINDOW_MINUTES];
	int64_t base = from - from % 60, t = base + 17, next;
	char when[64];

	for (int i = 0; i < WINDOW_MINUTES; i++) {
		hit[i] = naive_matches(c, base + 60 * (int64_t)i);
		if (hit[i] != cron_matches(c, base + 60 * (int64_t)i)) {
			format_utc(base + 60 * (int64_t)i, when, sizeof when);
			fail_msg("%s: cron_matches(%s) is %d", expr, when, !hit[i]);
		}
	}
	for (int i = 1; i < WINDOW_MINUTES; i++) {
		if (!hit[i])
			continue;
		if (cron_next(c, t, &next) != 0 || next != base + 60 * (int64_t)i) {
			format_utc(base + 60 * (int64_t)i, when, sizeof when);
			fail_msg("%s: next match is %s, cron_next says otherwise", expr, when);
		}
		t = next;
	}
	/* Nothing more in the window: the next is past it, or never. */
	if (cron_next(c, t, &next) == 0 && next < base + 60 * (int64_t)WINDOW_MINUTES) {
		format_utc(next, when, sizeof when);
		fail_msg("%s: cron_next gave %s, which the naive search did not find", expr, when);
	}
}

static const char *const window_starts[] = {
	"2027-01-25 13:37:21",	/* into February */
	"2028-02-15 00:00:00",	/* leap February */
	"2027-12-20 23:59:59",	/* year end */
	"2100-02-20 06:00:00",	/* a century year that is not leap */
	"1999-12-25 00:00:30",
	"1969-12-20 00:00:00",	/* negative times */
	"2031-08-31 23:59:00",	/* month end */
	"2038-01-10 03:14:07",	/* past 32-bit time_t */
};
#define NSTARTS (sizeof window_starts / sizeof window_starts[0])

struct brute_case {
	char expr[160];
	char title[200];
	int index;
};

static const char *const brute_fixed[] = {
	"* * * * *",
	"*/15 * * * *",
	"0 9-17/2 * * 1-5",
	"0 0 1,15 * mon",
	"0 0 * * 7",
	"30 23 31 12 *",
	"0 0 29 2 *",
	"5 4 * * sun",
	"0 0 */2 * mon",
	"0 0 1 * */2",
	"15,45 */6 1-7 * 1",
	"59 23 * * 6,0",
	"0 0 28-31 * *",
	"0 0 31 * *",
	"1/7 2/5 3/3 * *",
	"0 0 * 2 *",
	"0 0 29 2 1",
	"*/7 * * * 0-7",
	"0 0 1-5,20-25/2 jan-jun,dec fri",
	"@daily",
	"@weekly",
	"@monthly",
	"@yearly",
	"0 12 * * 3-5/2",
	"0 0 29-31 2 *",
};
#define NFIXED (sizeof brute_fixed / sizeof brute_fixed[0])

static struct brute_case brute_cases[NFIXED + RANDOM_EXPRS];

/* xorshift64*: the same expressions on every machine. */
static uint64_t rng_state = UINT64_C(0x9e3779b97f4a7c15);

static unsigned
rng(unsigned n)
{
	rng_state ^= rng_state >> 12;
	rng_state ^= rng_state << 25;
	rng_state ^= rng_state >> 27;
	return (unsigned)((rng_state * UINT64_C(0x2545f4914f6cdd1d)) >> 33) % n;
}

static const char *const gen_months[] = {
	"jan", "FEB", "Mar", "apr", "MAY", "jun", "jul", "Aug", "sep", "oct", "nov", "dec",
};
static const char *const gen_days[] = { "sun", "Mon", "TUE", "wed", "thu", "Fri", "sat" };

/* A value of a field min-max, sometimes as a name. */
static void
gen_value(char *out, size_t len, int v, int min, const char *const *names, int nnames)
{
	if (names != NULL && v - min < nnames && rng(4) == 0)
		snprintf(out, len, "%s", names[v - min]);
	else
		snprintf(out, len, "%d", v);
}

/* A random valid field; star_weight in 0-9 is how often it is a bare '*'. */
static void
gen_field(char *out, size_t len, int min, int max, const char *const *names, int nnames,
    int star_weight)
{
	int items = 1 + (int)rng(3), span = max - min + 1;
	size_t n = 0;

	out[0] = '\0';
	if ((int)rng(10) < star_weight) {
		snprintf(out, len, "*");
		return;
	}
	for (int i = 0; i < items && n < len; i++) {
		char a[8], b[8];
		int lo = min + (int)rng((unsigned)span), hi = lo + (int)rng((unsigned)(max - lo + 1));
		int step = 1 + (int)rng(rng(2) ? 4 : (unsigned)span);

		gen_value(a, sizeof a, lo, min, names, nnames);
		gen_value(b, sizeof b, hi, min, names, nnames);
		switch (rng(6)) {
		case 0:
			n += (size_t)snprintf(out + n, len - n, "%s*/%d", i ? "," : "", step);
			break;
		case 1:
			n += (size_t)snprintf(out + n, len - n, "%s%s", i ? "," : "", a);
			break;
		case 2:
			n += (size_t)snprintf(out + n, len - n, "%s%s-%s", i ? "," : "", a, b);
			break;
		case 3:
			n += (size_t)snprintf(out + n, len - n, "%s%s-%s/%d", i ? "," : "", a, b, step);
			break;
		case 4:
			n += (size_t)snprintf(out + n, len - n, "%s%s/%d", i ? "," : "", a, step);
			break;
		default:
			n += (size_t)snprintf(out + n, len - n, "%s%d", i ? "," : "", lo);
			break;
		}
	}
}

static void
gen_expr(char *out, size_t len)
{
	static const char *const blanks[] = { " ", "\t", "  ", " \t" };
	char f[5][32];

	gen_field(f[0], sizeof f[0], 0, 59, NULL, 0, 2);
	gen_field(f[1], sizeof f[1], 0, 23, NULL, 0, 3);
	gen_field(f[2], sizeof f[2], 1, 31, NULL, 0, 4);
	gen_field(f[3], sizeof f[3], 1, 12, gen_months, 12, 7);
	gen_field(f[4], sizeof f[4], 0, 7, gen_days, 7, 4);
	snprintf(out, len, "%s%s%s%s%s%s%s%s%s", f[0], blanks[rng(4)], f[1], blanks[rng(4)],
	    f[2], blanks[rng(4)], f[3], blanks[rng(4)], f[4]);
}

static void
test_brute_case(void **state)
{
	const struct brute_case *bc = *state;
	struct cron c = parse_ok(bc->expr);
	int64_t from = utc(window_starts[bc->index % NSTARTS]), next;

	check_window(bc->expr, &c, from);
	check_window(bc->expr, &c, utc(window_starts[(bc->index + 3) % NSTARTS]));
	/* Around the next match after the first window, for expressions that match rarely
	 * (a match cron_next skipped in the two weeks before it would show). */
	if (cron_next(&c, from + 60 * (int64_t)WINDOW_MINUTES, &next) == 0)
		check_window(bc->expr, &c, next - 14 * 86400 - 5 * 3600 - 7);
}

static size_t
brute_cases_make(void)
{
	size_t n = 0;

	for (size_t i = 0; i < NFIXED; i++, n++)
		snprintf(brute_cases[n].expr, sizeof brute_cases[n].expr, "%s", brute_fixed[i]);
	for (int i = 0; i < RANDOM_EXPRS; i++, n++)
		gen_expr(brute_cases[n].expr, sizeof brute_cases[n].expr);
	for (size_t i = 0; i < n; i++) {
		brute_cases[i].index = (int)i;
		title_make(brute_cases[i].title, sizeof brute_cases[i].title, "brute force:",
		    brute_cases[i].expr);
	}
	return n;
}

/* ---- the API ---- */

static void
test_bit_sets(void **state)
{
	struct cron c = parse_ok("1/20,7 9-17/4 */10 feb-apr/2,nov 5-7");

	assert_true(c.minute == (UINT64_C(1) << 1 | UINT64_C(1) << 21 | UINT64_C(1) << 41 |
	    UINT64_C(1) << 7));
	assert_int_equal(c.hour, 1u << 9 | 1u << 13 | 1u << 17);
	assert_int_equal(c.dom, 1u << 1 | 1u << 11 | 1u << 21 | 1u << 31);
	assert_int_equal(c.month, 1u << 2 | 1u << 4 | 1u << 11);
	assert_int_equal(c.dow, 1u << 0 | 1u << 5 | 1u << 6);
	assert_true(c.dom_star);
	assert_false(c.dow_star);

	c = parse_ok("* * * * *");
	assert_true(c.minute == (UINT64_C(1) << 60) - 1);
	assert_int_equal(c.hour, (1u << 24) - 1);
	assert_int_equal(c.dom, 0xfffffffeu);
	assert_int_equal(c.month, 0x1ffeu);
	assert_int_equal(c.dow, 0x7f);
	assert_true(c.dom_star && c.dow_star);

	/* "*" stepped still starts with '*'; "1-31" does not. */
	c = parse_ok("0 0 1-31 * */2");
	assert_false(c.dom_star);
	assert_true(c.dow_star);
	assert_int_equal(c.dow, 1u << 0 | 1u << 2 | 1u << 4 | 1u << 6);
	c = parse_ok("0 0 * * 1/2");
	assert_int_equal(c.dow, 1u << 1 | 1u << 3 | 1u << 5 | 1u << 0);
	c = parse_ok("0 0 * * SUN,sAt");
	assert_int_equal(c.dow, 1u << 0 | 1u << 6);
	c = parse_ok("@weekly");
	assert_int_equal(c.dow, 1u);
	assert_true(c.dom_star);
	assert_false(c.dow_star);
}

static void
test_error_buffer(void **state)
{
	struct cron c;
	char err[16];

	/* NULL with 0 is fine; a short buffer is cut and terminated. */
	assert_int_equal(cron_parse(&c, "61 * * * *", NULL, 0), -1);
	assert_int_equal(cron_parse(&c, NULL, NULL, 0), -1);
	memset(err, 'x', sizeof err);
	assert_int_equal(cron_parse(&c, "61 * * * *", err, sizeof err), -1);
	assert_string_equal(err, "minute: 61 is o");
	memset(err, 'x', sizeof err);
	assert_int_equal(cron_parse(&c, "61 * * * *", err, 1), -1);
	assert_int_equal(err[0], '\0');
	assert_int_equal(err[1], 'x');
	assert_int_equal(cron_parse(&c, NULL, err, sizeof err), -1);
	assert_string_equal(err, "no expression");
	/* Success leaves an empty message. */
	assert_int_equal(cron_parse(&c, "* * * * *", err, sizeof err), 0);
	assert_string_equal(err, "");
}

static void
test_length_limit(void **state)
{
	char expr[CRON_MAX_LEN + 2], err[128];
	struct cron c;

	/* 256 bytes, mostly trailing blanks, is fine; 257 is not. */
	memset(expr, ' ', sizeof expr);
	memcpy(expr, "* * * * *", 9);
	expr[CRON_MAX_LEN] = '\0';
	assert_int_equal(cron_parse(&c, expr, err, sizeof err), 0);
	expr[CRON_MAX_LEN] = ' ';
	expr[CRON_MAX_LEN + 1] = '\0';
	assert_int_equal(cron_parse(&c, expr, err, sizeof err), -1);
	assert_string_equal(err, "expression is longer than 256 bytes");
	/* The table's long expression is long enough. */
	assert_true(strlen(long_expr) > CRON_MAX_LEN);
}

static void
test_extreme_instants(void **state)
{
	struct cron c = parse_ok("* * * * *");
	int64_t next = 42;

	assert_int_equal(cron_next(&c, INT64_MAX, &next), -1);
	assert_int_equal(cron_next(&c, INT64_MIN, &next), -1);
	assert_int_equal(cron_next(&c, CRON_TIME_MAX + 1, &next), -1);
	assert_int_equal(cron_next(&c, CRON_TIME_MIN - 1, &next), -1);
	assert_true(next == 42);
	assert_int_equal(cron_next(&c, CRON_TIME_MAX, &next), 0);
	assert_true(next == CRON_TIME_MAX + 1);	/* 10000-01-01 00:00 */
	assert_int_equal(cron_next(&c, CRON_TIME_MIN, &next), 0);
	assert_true(next == CRON_TIME_MIN + 60);
	/* Any instant at all is fine for cron_matches. */
	assert_true(cron_matches(&c, INT64_MAX));
	assert_true(cron_matches(&c, INT64_MIN));
	c = parse_ok("0 0 29 2 *");
	assert_int_equal(cron_next(&c, CRON_TIME_MAX, &next), 0);
	assert_true(next == utc("10000-02-29 00:00"));
	(void)cron_matches(&c, INT64_MAX);
	(void)cron_matches(&c, INT64_MIN);
	/* Year 1, and the day before 1970 in a leap year. */
	assert_int_equal(cron_next(&c, CRON_TIME_MIN, &next), 0);
	assert_true(next == utc("0004-02-29 00:00"));
	/* A struct never parsed: empty sets never match. */
	memset(&c, 0, sizeof c);
	assert_int_equal(cron_next(&c, 0, &next), -1);
	assert_false(cron_matches(&c, 0));
}

static double
now_seconds(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

static void
test_never_is_quick(void **state)
{
	static const char *const never[] = {
		"0 0 30 2 *", "0 0 31 4,6,9,11 *", "* * 31 2 *", "0 0 30,31 2 */2",
	};
	double start = now_seconds(), spent;
	int64_t next;

	for (int round = 0; round < 100; round++) {
		for (size_t i = 0; i < sizeof never / sizeof never[0]; i++) {
			struct cron c = parse_ok(never[i]);

			assert_int_equal(cron_next(&c, utc("2027-01-01 00:00") + round * 86400,
			    &next), -1);
		}
	}
	spent = now_seconds() - start;
	/* 400 calls, each a walk of 4801 months: well under a millisecond each. */
	if (spent > 2.0)
		fail_msg("400 calls took %.3f s", spent);
}

/* ---- main ---- */

int
main(void)
{
	static const struct CMUnitTest api[] = {
		cmocka_unit_test(test_bit_sets),
		cmocka_unit_test(test_error_buffer),
		cmocka_unit_test(test_length_limit),
		cmocka_unit_test(test_extreme_instants),
		cmocka_unit_test(test_never_is_quick),
	};
	enum {
		NAPI = sizeof api / sizeof api[0],
		NNEXT = sizeof next_cases / sizeof next_cases[0],
		NBAD = sizeof bad_cases / sizeof bad_cases[0],
	};
	static char titles[NNEXT + NBAD][320];
	size_t nbrute = brute_cases_make(), n = 0;
	struct CMUnitTest *tests = calloc(NAPI + NNEXT + NBAD + nbrute, sizeof *tests);
	int rc;

	if (tests == NULL)
		return 1;
	memcpy(tests, api, sizeof api);
	n = NAPI;
	for (size_t i = 0; i < NNEXT; i++, n++) {
		char prefix[64];

		snprintf(prefix, sizeof prefix, "next after %s:", next_cases[i].after);
		title_make(titles[i], sizeof titles[i], prefix, next_cases[i].expr);
		tests[n].name = titles[i];
		tests[n].test_func = test_next_case;
		tests[n].initial_state = (void *)&next_cases[i];
	}
	for (size_t i = 0; i < NBAD; i++, n++) {
		title_make(titles[NNEXT + i], sizeof titles[NNEXT + i], "invalid:",
		    bad_cases[i].expr);
		tests[n].name = titles[NNEXT + i];
		tests[n].test_func = test_bad_case;
		tests[n].initial_state = (void *)&bad_cases[i];
	}
	for (size_t i = 0; i < nbrute; i++, n++) {
		tests[n].name = brute_cases[i].title;
		tests[n].test_func = test_brute_case;
		tests[n].initial_state = &brute_cases[i];
	}
	rc = _cmocka_run_group_tests("cron", tests, n, NULL, NULL);
	free(tests);
	return rc;
}
