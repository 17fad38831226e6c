/*
 * sitequeue.c: one site's queue of URLs (see sitequeue.h).
 */
#include "config.h"

#include "crawl/sitequeue.h"

#include <stdio.h>
#include <stdlib.h>

#include "base/oom.h"

void
qurl_free(struct qurl *q)
{
	if (q == NULL)
		return;
	free(q->url);
	free(q->etag);
	free(q->last_modified);
	free(q);
}

void
sq_init(struct sitequeue *sq, size_t cap, size_t extra)
{
	*sq = (struct sitequeue){ .cap = cap, .alloc = cap + extra + 1 };
}

void
sq_free(struct sitequeue *sq)
{
	struct qurl *q;

	while ((q = sq_drain(sq)) != NULL)
		qurl_free(q);
	free(sq->ring);
	free(sq->retry);
	sq->ring = sq->retry = NULL;
}

static void
ring_push(struct sitequeue *sq, struct qurl *q, bool front)
{
	if (sq->ring == NULL)
		sq->ring = xcalloc(sq->alloc, sizeof *sq->ring);
	if (sq->len >= sq->alloc) {
		fputs("scraper: internal error: a site queue overflowed\n", stderr);
		abort();
	}
	if (front) {
		sq->head = (sq->head + sq->alloc - 1) % sq->alloc;
		sq->ring[sq->head] = q;
	} else {
		sq->ring[(sq->head + sq->len) % sq->alloc] = q;
	}
	sq->len++;
}

static struct qurl *
ring_pop(struct sitequeue *sq)
{
	struct qurl *q;

	if (sq->len == 0)
		return NULL;
	q = sq->ring[sq->head];
	sq->head = (sq->head + 1) % sq->alloc;
	sq->len--;
	return q;
}

bool
sq_add(struct sitequeue *sq, struct qurl *q)
{
	if (sq->spilled > 0 || sq->len >= sq->cap) {
		sq->spilled++;
		qurl_free(q);
		return false;
	}
	ring_push(sq, q, false);
	if (q->id > sq->cursor)
		sq->cursor = q->id;
	return true;
}

void
sq_put_back(struct sitequeue *sq, struct qurl *q)
{
	ring_push(sq, q, true);
}

/* ---- the retry heap ---- */

static void
swap(struct qurl **h, size_t a, size_t b)
{
	struct qurl *t = h[a];

	h[a] = h[b];
	h[b] = t;
}

void
sq_retry_later(struct sitequeue *sq, struct qurl *q)
{
	size_t i;

	sq->retry = xgrow(sq->retry, &sq->cretry, sq->nretry, sizeof *sq->retry);
	i = sq->nretry++;
	sq->retry[i] = q;
	while (i > 0 && sq->retry[(i - 1) / 2]->not_before > sq->retry[i]->not_before) {
		swap(sq->retry, i, (i - 1) / 2);
		i = (i - 1) / 2;
	}
}

static struct qurl *
retry_pop(struct sitequeue *sq)
{
	struct qurl *top = sq->retry[0];
	size_t i = 0;

	sq->retry[0] = sq->retry[--sq->nretry];
	for (;;) {
		size_t l = 2 * i + 1, r = l + 1, m = i;
		if (l < sq->nretry && sq->retry[l]->not_before < sq->retry[m]->not_before)
			m = l;
		if (r < sq->nretry && sq->retry[r]->not_before < sq->retry[m]->not_before)
			m = r;
		if (m == i)
			break;
		swap(sq->retry, i, m);
		i = m;
	}
	return top;
}

struct qurl *
sq_peek(const struct sitequeue *sq, double now)
{
	if (sq->nretry > 0 && sq->retry[0]->not_before <= now)
		return sq->retry[0];
	return sq->len > 0 ? sq->ring[sq->head] : NULL;
}

struct qurl *
sq_next(struct sitequeue *sq, double now)
{
	if (sq->nretry > 0 && sq->retry[0]->not_before <= now)
		return retry_pop(sq);
	return ring_pop(sq);
}

struct qurl *
sq_drain(struct sitequeue *sq)
{
	struct qurl *q = ring_pop(sq);

	if (q == NULL && sq->nretry > 0)
		q = retry_pop(sq);
	return q;
}

/* ---- refills ---- */

bool
sq_refill_wanted(struct sitequeue *sq, int64_t *after_id, size_t *limit)
{
	if (sq->refilling || sq->spilled == 0 || sq->len * 2 > sq->cap)
		return false;
	*after_id = sq->cursor;
	*limit = sq->cap - sq->len;
	sq->refilling = true;
	sq->spilled_asked = sq->spilled;
	return true;
}

void
sq_refilled(struct sitequeue *sq, struct qurl **rows, size_t n, size_t asked, bool keep)
{
	for (size_t i = 0; i < n; i++) {
		if (!keep) {
			qurl_free(rows[i]);
			continue;
		}
		ring_push(sq, rows[i], false);
		if (rows[i]->id > sq->cursor)
			sq->cursor = rows[i]->id;
	}
	sq->refilling = false;
	/* The store applies ops in order: every URL spilled before the read was asked for
	 * was written before it ran.  A short read has them all; those spilled since are
	 * still in the database and stay counted. */
	if (n < asked)
		sq->spilled -= sq->spilled_asked < sq->spilled ? sq->spilled_asked : sq->spilled;
	else
		sq->spilled -= n < sq->spilled ? n : sq->spilled;
}

size_t
sq_count(const struct sitequeue *sq)
{
	return sq->len + sq->spilled + sq->nretry;
}
