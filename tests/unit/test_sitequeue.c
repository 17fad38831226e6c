/*
 * test_sitequeue.c: a site's queue: ring, spills, refills, retries (scraper/crawl/sitequeue.c).
 * The refill tests replay, step by step, the orders in which the coordinator's
 * requests and the store's answers can interleave.
 */
#include "config.h"

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

#include "crawl/sitequeue.h"
#include "unit.h"

static struct qurl *
url(int64_t id)
{
	struct qurl *q = calloc(1, sizeof *q);

	q->id = id;
	return q;
}

/* The rows a refill would read: ids first .. first+n-1. */
static struct qurl **
rows(int64_t first, size_t n)
{
	struct qurl **v = calloc(n + 1, sizeof *v);

	for (size_t i = 0; i < n; i++)
		v[i] = url(first + (int64_t)i);
	return v;
}

static void
test_ring_then_spill_in_order(void **state)
{
	struct sitequeue sq;
	struct qurl *q;

	sq_init(&sq, 4, 2);
	for (int64_t id = 1; id <= 6; id++)
		sq_add(&sq, url(id));
	assert_int_equal(sq.len, 4);
	assert_int_equal(sq.spilled, 2);
	assert_int_equal(sq.cursor, 4);
	assert_int_equal(sq_count(&sq), 6);
	/* Once something is spilled, new URLs spill too, even with room. */
	q = sq_next(&sq, 0);
	assert_int_equal(q->id, 1);
	qurl_free(q);
	assert_false(sq_add(&sq, url(7)));
	assert_int_equal(sq.spilled, 3);
	sq_free(&sq);
}

static void
test_refill_full_and_short(void **state)
{
	struct sitequeue sq;
	struct qurl **r;
	int64_t after;
	size_t limit;

	sq_init(&sq, 4, 2);
	for (int64_t id = 1; id <= 10; id++)
		sq_add(&sq, url(id));	/* 1-4 in memory, 5-10 spilled */
	assert_false(sq_refill_wanted(&sq, &after, &limit)); /* ring still full */
	for (int i = 0; i < 3; i++)
		qurl_free(sq_next(&sq, 0));
	assert_true(sq_refill_wanted(&sq, &after, &limit));
	assert_int_equal(after, 4);
	assert_int_equal(limit, 3);
	assert_false(sq_refill_wanted(&sq, &after, &limit)); /* one at a time */
	r = rows(5, 3);
	sq_refilled(&sq, r, 3, 3, true);
	free(r);
	assert_int_equal(sq.spilled, 3);
	assert_int_equal(sq.cursor, 7);
	assert_int_equal(sq.len, 4);
	for (int i = 0; i < 4; i++)
		qurl_free(sq_next(&sq, 0));
	assert_true(sq_refill_wanted(&sq, &after, &limit));
	assert_int_equal(after, 7);
	r = rows(8, 3);
	sq_refilled(&sq, r, 3, 4, true); /* short: that was all */
	free(r);
	assert_int_equal(sq.spilled, 0);
	assert_int_equal(sq_count(&sq), 3);
	sq_free(&sq);
}

/* The crawl that lost URLs: more URLs spill while a refill is outstanding, and the
 * refill comes back short.  Those URLs were written after the read ran, so they are
 * still in the database: the queue must go on counting them, or the site looks done. */
static void
test_spill_during_short_refill_is_kept(void **state)
{
	struct sitequeue sq;
	struct qurl **r;
	int64_t after;
	size_t limit;

	sq_init(&sq, 4, 2);
	for (int64_t id = 1; id <= 6; id++)
		sq_add(&sq, url(id));	/* 1-4 in memory, 5-6 spilled */
	for (int i = 0; i < 4; i++)
		qurl_free(sq_next(&sq, 0));
	assert_true(sq_refill_wanted(&sq, &after, &limit));
	assert_int_equal(limit, 4);
	sq_add(&sq, url(7));		/* spilled while the read is on its way */
	sq_add(&sq, url(8));
	assert_int_equal(sq.spilled, 4);
	r = rows(5, 2);
	sq_refilled(&sq, r, 2, 4, true); /* short: it read 5 and 6 only */
	free(r);
	assert_int_equal(sq.spilled, 2);
	assert_int_equal(sq_count(&sq), 4);
	assert_int_equal(sq.cursor, 6);
	/* The next refill fetches 7 and 8. */
	qurl_free(sq_next(&sq, 0));
	qurl_free(sq_next(&sq, 0));
	assert_true(sq_refill_wanted(&sq, &after, &limit));
	assert_int_equal(after, 6);
	r = rows(7, 2);
	sq_refilled(&sq, r, 2, limit, true);
	free(r);
	assert_int_equal(sq.spilled, 0);
	assert_int_equal(sq_count(&sq), 2);
	sq_free(&sq);
}

static void
test_refill_dropped_when_not_kept(void **state)
{
	struct sitequeue sq;
	struct qurl **r;
	int64_t after;
	size_t limit;

	sq_init(&sq, 2, 1);
	for (int64_t id = 1; id <= 5; id++)
		sq_add(&sq, url(id));
	qurl_free(sq_next(&sq, 0));
	qurl_free(sq_next(&sq, 0));
	assert_true(sq_refill_wanted(&sq, &after, &limit));
	r = rows(3, 2);
	sq_refilled(&sq, r, 2, 2, false); /* the site hit its page limit meanwhile */
	free(r);
	assert_int_equal(sq.len, 0);
	assert_int_equal(sq.spilled, 1);
	sq_free(&sq);
}

static void
test_put_back_fits_a_full_ring(void **state)
{
	struct sitequeue sq;
	struct qurl *a, *b;

	sq_init(&sq, 2, 2);
	sq_add(&sq, url(1));
	sq_add(&sq, url(2));
	a = sq_next(&sq, 0);
	b = sq_next(&sq, 0);
	sq_add(&sq, url(3));
	sq_add(&sq, url(4));		/* full again while 1 and 2 are in flight */
	sq_put_back(&sq, b);		/* their worker died */
	sq_put_back(&sq, a);
	assert_int_equal(sq.len, 4);
	for (int64_t id = 1; id <= 4; id++) {
		struct qurl *q = sq_next(&sq, 0);
		assert_int_equal(q->id, id);
		qurl_free(q);
	}
	sq_free(&sq);
}

/* The ring holds cap new URLs plus room for one window put back.  Two crash-suspect
 * URLs waiting to retry, a full ring and a full window in flight: */
static void
fill_for_crash(struct sitequeue *sq, struct qurl **inflight)
{
	sq_init(sq, 4, 2);
	for (int64_t id = 1; id <= 4; id++)
		sq_add(sq, url(id));
	for (int i = 0; i < 2; i++) {
		struct qurl *r = url(10 + i);
		r->crashes = 1;
		r->not_before = 1.0;
		sq_retry_later(sq, r);
		inflight[i] = url(20 + i);
	}
}

/*
 * A due retry of a crash-suspect URL, while others are in flight, may not go yet
 * (it goes alone).  Taking it and putting it back into the ring overfilled the ring
 * when the worker then crashed (abort(): shown here in a child process).  Looking
 * first (sq_peek) leaves it in the retry heap, and the crash's put-backs fit.
 */
static void
test_crash_suspect_retry_stays_in_its_heap(void **state)
{
	struct sitequeue sq;
	struct qurl *inflight[2], *q;
	pid_t pid;
	int status;

	fflush(NULL);
	if ((pid = fork()) == 0) {
		fill_for_crash(&sq, inflight);
		for (int i = 0; i < 2; i++)
			sq_put_back(&sq, sq_next(&sq, 2.0)); /* the old way: take, put back */
		for (int i = 0; i < 2; i++)
			sq_put_back(&sq, inflight[i]);	    /* the worker crashes */
		_exit(0);
	}
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFSIGNALED(status) && WTERMSIG(status) == SIGABRT);

	fill_for_crash(&sq, inflight);
	q = sq_peek(&sq, 2.0);
	assert_non_null(q);
	assert_int_equal(q->crashes, 1);	/* due, suspect: the dispatcher leaves it */
	assert_int_equal(sq.len, 4);
	assert_int_equal(sq.nretry, 2);
	for (int i = 0; i < 2; i++)
		sq_put_back(&sq, inflight[i]);
	assert_int_equal(sq_count(&sq), 8);
	sq_free(&sq);
}

static void
test_retries_wait_their_turn(void **state)
{
	struct sitequeue sq;
	struct qurl *q;
	double when[] = { 5, 1, 3, 2, 4 };

	sq_init(&sq, 8, 2);
	sq_add(&sq, url(100));
	for (int i = 0; i < 5; i++) {
		q = url(i + 1);
		q->not_before = when[i];
		sq_retry_later(&sq, q);
	}
	assert_int_equal(sq_count(&sq), 6);
	q = sq_next(&sq, 0.5);		/* no retry due yet: the ring's URL */
	assert_int_equal(q->id, 100);
	qurl_free(q);
	for (int i = 1; i <= 5; i++) {
		assert_null(sq_next(&sq, i - 0.5));
		q = sq_next(&sq, i);
		assert_int_equal(q->not_before, i);
		qurl_free(q);
	}
	sq_free(&sq);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_ring_then_spill_in_order),
		cmocka_unit_test(test_refill_full_and_short),
		cmocka_unit_test(test_spill_during_short_refill_is_kept),
		cmocka_unit_test(test_refill_dropped_when_not_kept),
		cmocka_unit_test(test_put_back_fits_a_full_ring),
		cmocka_unit_test(test_retries_wait_their_turn),
		cmocka_unit_test(test_crash_suspect_retry_stays_in_its_heap),
	};
	return RUN(tests);
}
