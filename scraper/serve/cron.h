/*
 * cron.h: 5-field cron expressions (crontab(5), as Vixie cron and cronie read them),
 * parsed into bit sets and evaluated in UTC.
 *
 * A pure module for the `scraper serve` scheduler and anything else that needs it: it
 * includes nothing from the rest of the program, does no I/O and keeps no state.  A
 * struct cron is plain data; once parsed it may be copied and shared freely.
 *
 * Syntax: five fields separated by spaces or tabs (leading and trailing ones allowed):
 *   minute 0-59, hour 0-23, day-of-month 1-31, month 1-12 or jan-dec,
 *   day-of-week 0-7 or sun-sat (0 and 7 are both Sunday).
 * Each field is a comma list of items: `*`, `N`, `N-M`, any of those three followed by
 * `/S` (every S-th value of the range, from its start; `N/S` means N up to the field's
 * maximum).  A step is 1 up to the field's span (60 for minutes).  Names are
 * case-insensitive and may stand wherever a number of their field may, but not as a
 * step.  Instead of five fields an
 * expression may be one of @yearly (@annually), @monthly, @weekly, @daily (@midnight)
 * or @hourly; @reboot is rejected, as it is no schedule.
 *
 * Days are chosen as cron chooses them: when the day-of-month and day-of-week fields
 * are both restricted (neither starts with `*`), a day matches if either matches; when
 * one starts with `*`, both must match.  So a bare `*` leaves the other field to decide,
 * but a day-of-month of `*` stepped by 2 with a day-of-week of mon means odd-numbered
 * days that are Mondays, not odd days or Mondays.
 */
#ifndef SCRAPER_CRON_H
#define SCRAPER_CRON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* The longest expression cron_parse accepts, in bytes, without the NUL. */
#define CRON_MAX_LEN 256

/* The instants cron_next searches from: 0001-01-01T00:00:00Z to 9999-12-31T23:59:59Z. */
#define CRON_TIME_MIN INT64_C(-62135596800)
#define CRON_TIME_MAX INT64_C(253402300799)

/* A parsed expression: bit i of a set is value i of that field. */
struct cron {
	uint64_t minute;	/* bits 0-59 */
	uint32_t hour;		/* bits 0-23 */
	uint32_t dom;		/* bits 1-31 */
	uint32_t month;		/* bits 1-12 */
	uint8_t dow;		/* bits 0-6, Sunday = 0 (a 7 in the expression sets bit 0) */
	bool dom_star;		/* the day-of-month field started with '*' */
	bool dow_star;		/* the day-of-week field started with '*' */
};

/*
 * Parse expr (a NUL-terminated string) into *c.  Returns 0, or -1 with *c untouched and
 * a message in err (NUL-terminated, cut to errlen - 1 bytes; err may be NULL when
 * errlen is 0) naming the field and the 1-based byte column where the problem starts,
 * e.g. "hour: 24 is out of range 0-23 (column 6)".
 */
int cron_parse(struct cron *c, const char *expr, char *err, size_t errlen);

/*
 * The first whole minute strictly after `after` (Unix seconds, UTC) that c matches,
 * in *next.  Returns 0, or -1 when no minute ever matches (e.g. "0 0 30 2 *"; as the
 * Gregorian calendar repeats every 400 years, that is what 400 years without a match
 * means) or when after lies outside CRON_TIME_MIN..CRON_TIME_MAX (*next untouched).
 * It walks months, then days, then hours, never minute by minute: at most the 4801
 * months of those 400 years, about 30 us for an expression that never matches.
 */
int cron_next(const struct cron *c, int64_t after, int64_t *next);

/* Whether c matches the minute that contains t (Unix seconds, UTC; any value). */
bool cron_matches(const struct cron *c, int64_t t);

#endif
