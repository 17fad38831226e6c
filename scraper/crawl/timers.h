/*
 * timers.h: a min-heap of deadlines, for the coordinator's timed work (a worker's
 * watchdog and stop grace, a site's next retry) without a scan over every worker or
 * site each turn.
 *
 * A timer is embedded in what it times (struct timer, intrusive: no allocation per
 * timer) and knows its place in the heap, so setting it again or cancelling it is
 * O(log n), and asking for the earliest is O(1).  Timers may be re-armed lazily: the
 * owner arms one at the earliest moment its condition could hold and, when it fires,
 * checks the condition and arms it again if it was early.
 */
#ifndef SCRAPER_TIMERS_H
#define SCRAPER_TIMERS_H

#include <stdbool.h>
#include <stddef.h>

struct timer {
	double at;		/* deadline (clock_mono seconds) */
	size_t pos;		/* index in the heap + 1; 0 when not armed */
	int kind;		/* the owner's tag */
};

struct timers {
	struct timer **v;
	size_t n, cap;
};

void timers_init(struct timers *h);
/* Frees the heap's array; the timers themselves are their owners'. */
void timers_free(struct timers *h);

/* Arm t for at (moving it if armed already). */
void timers_set(struct timers *h, struct timer *t, double at);
/* Disarm t (nothing if not armed). */
void timers_cancel(struct timers *h, struct timer *t);
static inline bool
timer_armed(const struct timer *t)
{
	return t->pos != 0;
}
/* The earliest armed timer, or NULL. */
struct timer *timers_first(const struct timers *h);
/* The earliest timer due at now (at <= now), disarmed; NULL when none is due. */
struct timer *timers_pop_due(struct timers *h, double now);

#endif
