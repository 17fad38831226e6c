/*
 * sitequeue.h: one site's share of the frontier, as the coordinator holds it.
 *
 * A bounded ring of URLs ready to go, a count of the site's queued URLs that are in
 * the database only ("spilled"), and a min-heap of URLs waiting to be retried.  New
 * URLs go to the ring until it holds `cap`; after that, and for as long as anything is
 * spilled (so that order is kept), they stay in the database and come back through
 * refills: reads of the site's queued rows with ids above `cursor`.  Every URL in
 * memory has an id <= cursor; every spilled one has a larger id.  The ring keeps room
 * for a window of URLs beyond cap, so URLs coming back from a dead worker always fit.
 *
 * This file knows nothing of workers or the store: the coordinator asks it when to
 * refill and hands it what the refill read.
 */
#ifndef SCRAPER_SITEQUEUE_H
#define SCRAPER_SITEQUEUE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* A URL waiting in a site's queue, or in flight. */
struct qurl {
	int64_t id;
	int depth;
	int attempts;		/* tries that failed and were retried */
	int crashes;		/* workers that died with it in flight */
	bool counted;		/* counted against the page limits */
	double not_before;	/* a retry waits until then */
	char *url, *etag, *last_modified;
};

void qurl_free(struct qurl *q);

struct sitequeue {
	struct qurl **ring;
	size_t head, len;
	size_t cap;		/* new URLs beyond this many stay in the database */
	size_t alloc;		/* ring size: cap plus room for requeued URLs */
	size_t spilled;		/* queued in the database only */
	int64_t cursor;		/* every URL in memory has id <= cursor */
	bool refilling;		/* a refill has been asked for */
	size_t spilled_asked;	/* spilled when it was asked for */
	struct qurl **retry;	/* min-heap on not_before */
	size_t nretry, cretry;
};

/* cap: the ring's soft size; extra: room beyond it for URLs put back (a window). */
void sq_init(struct sitequeue *sq, size_t cap, size_t extra);
void sq_free(struct sitequeue *sq);

/* A URL newly taken into the frontier (its database row is already on its way).  Kept
 * in the ring, or counted as spilled and freed.  Returns true when kept. */
bool sq_add(struct sitequeue *sq, struct qurl *q);

/* A URL going back to the front (its worker died or stopped).  Always fits: at most
 * `extra` URLs are ever put back while the ring is full. */
void sq_put_back(struct sitequeue *sq, struct qurl *q);

/* The next URL: a retry that is due at time now, else the head of the ring; NULL.
 * sq_peek says which without taking it (so a URL that may not go yet stays where it
 * was: a retry in the heap, a new URL at the ring's head). */
struct qurl *sq_next(struct sitequeue *sq, double now);
struct qurl *sq_peek(const struct sitequeue *sq, double now);

/* Wait in the retry heap until q->not_before. */
void sq_retry_later(struct sitequeue *sq, struct qurl *q);

/* Everything in memory (ring, then retries), for settling or freeing; NULL at the end. */
struct qurl *sq_drain(struct sitequeue *sq);

/* Should a refill be asked for now (the ring is half empty and something is spilled)?
 * If so, fills the read's bounds, marks the refill outstanding, and returns true. */
bool sq_refill_wanted(struct sitequeue *sq, int64_t *after_id, size_t *limit);

/* The refill's answer: rows in id order (taken over; each is kept, or freed when keep
 * is false), n of them out of `asked`.  A short read means every URL spilled before the
 * refill was asked for is now loaded; URLs spilled since are still in the database. */
void sq_refilled(struct sitequeue *sq, struct qurl **rows, size_t n, size_t asked, bool keep);

/* URLs queued for the site: in memory, spilled, and waiting to retry. */
size_t sq_count(const struct sitequeue *sq);

#endif
