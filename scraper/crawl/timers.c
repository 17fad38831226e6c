/*
 * timers.c: a binary min-heap of deadlines (see timers.h).
 */
#include "config.h"

#include "crawl/timers.h"

#include <stdlib.h>

#include "base/oom.h"

void
timers_init(struct timers *h)
{
	h->v = NULL;
	h->n = h->cap = 0;
}

void
timers_free(struct timers *h)
{
	for (size_t i = 0; i < h->n; i++)
		h->v[i]->pos = 0;
	free(h->v);
	timers_init(h);
}

static void
place(struct timers *h, size_t i, struct timer *t)
{
	h->v[i] = t;
	t->pos = i + 1;
}

static void
sift_up(struct timers *h, size_t i)
{
	struct timer *t = h->v[i];

	while (i > 0) {
		size_t parent = (i - 1) / 2;
		if (h->v[parent]->at <= t->at)
			break;
		place(h, i, h->v[parent]);
		i = parent;
	}
	place(h, i, t);
}

static void
sift_down(struct timers *h, size_t i)
{
	struct timer *t = h->v[i];

	for (;;) {
		size_t c = 2 * i + 1;
		if (c >= h->n)
			break;
		if (c + 1 < h->n && h->v[c + 1]->at < h->v[c]->at)
			c++;
		if (t->at <= h->v[c]->at)
			break;
		place(h, i, h->v[c]);
		i = c;
	}
	place(h, i, t);
}

void
timers_set(struct timers *h, struct timer *t, double at)
{
	double old = t->at;

	t->at = at;
	if (t->pos == 0) {
		if (h->n == h->cap) {
			h->cap = h->cap ? h->cap * 2 : 64;
			if ((h->v = realloc(h->v, h->cap * sizeof *h->v)) == NULL)
				oom_exit();
		}
		h->v[h->n] = t;
		sift_up(h, h->n++);
	} else if (at < old) {
		sift_up(h, t->pos - 1);
	} else if (at > old) {
		sift_down(h, t->pos - 1);
	}
}

void
timers_cancel(struct timers *h, struct timer *t)
{
	size_t i;
	struct timer *last;

	if (t->pos == 0)
		return;
	i = t->pos - 1;
	t->pos = 0;
	last = h->v[--h->n];
	if (i == h->n)
		return;
	/* The last one takes t's place, then goes up or down to where it belongs. */
	place(h, i, last);
	if (i > 0 && h->v[(i - 1) / 2]->at > last->at)
		sift_up(h, i);
	else
		sift_down(h, i);
}

struct timer *
timers_first(const struct timers *h)
{
	return h->n > 0 ? h->v[0] : NULL;
}

struct timer *
timers_pop_due(struct timers *h, double now)
{
	struct timer *t = timers_first(h);

	if (t == NULL || t->at > now)
		return NULL;
	timers_cancel(h, t);
	return t;
}
