/*
 * fuzz_cron.c: parse arbitrary bytes as a cron expression (scraper/serve/cron.c) and,
 * when they parse, search for the next match from a few instants.  Must never crash,
 * read out of bounds or overflow; and the answers must hold together: a failed parse
 * leaves a message (also in a buffer too short for it), a next time is a whole minute
 * strictly after the instant that matches, nothing matches in the minute before it
 * (unless that is not after the instant), and searching from just before it finds it
 * again.  Bytes up to the first NUL are the expression, at most 1 KiB of them, so the
 * length limit is reached too.
 */
#include "config.h"

#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "cron.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const int64_t instants[] = {
	0,			/* 1970-01-01 00:00 Thursday */
	1798761599,		/* 2026-12-31 23:59:59 */
	1835395200,		/* 2028-02-29 00:00 */
	4107542399,		/* 2100-02-28 23:59:59 */
	-2208988801,		/* 1899-12-31 23:59:59 */
	CRON_TIME_MAX,
	CRON_TIME_MIN,
};

static bool
same(const struct cron *a, const struct cron *b)
{
	return a->minute == b->minute && a->hour == b->hour && a->dom == b->dom &&
	    a->month == b->month && a->dow == b->dow && a->dom_star == b->dom_star &&
	    a->dow_star == b->dow_star;
}

static void
check_next(const struct cron *c, int64_t after)
{
	int64_t next, again;

	if (cron_next(c, after, &next) != 0)
		return;
	if (next <= after || next % 60 != 0 || next - after > INT64_C(401) * 366 * 86400 + 60)
		abort();
	if (!cron_matches(c, next))
		abort();
	if (next - 60 > after && cron_matches(c, next - 60))
		abort();
	/* (From CRON_TIME_MAX the answer lies past it, where searches may not start.) */
	if (next - 1 <= CRON_TIME_MAX && (cron_next(c, next - 1, &again) != 0 || again != next))
		abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	size_t n = 0;
	char *expr, err[256], small[8];
	struct cron c, c2;
	int rc;

	while (n < size && n < 1024 && data[n] != 0)
		n++;
	if ((expr = malloc(n + 1)) == NULL)
		return 0;
	memcpy(expr, data, n);
	expr[n] = '\0';

	rc = cron_parse(&c, expr, err, sizeof err);
	if (rc != 0 && rc != -1)
		abort();
	/* The same verdict whatever the buffer. */
	if (cron_parse(&c2, expr, small, sizeof small) != rc ||
	    cron_parse(&c2, expr, NULL, 0) != rc)
		abort();
	if (rc == -1) {
		if (err[0] == '\0' || strlen(err) >= sizeof err || strlen(small) >= sizeof small)
			abort();
	} else {
		if (!same(&c, &c2) || err[0] != '\0')
			abort();
		for (size_t i = 0; i < sizeof instants / sizeof instants[0]; i++)
			check_next(&c, instants[i]);
	}
	free(expr);
	return 0;
}
