/*
 * test_timers.c: the heap of deadlines (scraper/crawl/timers.c): timers come out in
 * deadline order whatever the order they were set, moved or cancelled in; each knows
 * whether it is armed; nothing comes out before its time.
 */
#include "config.h"

#include <stdlib.h>

#include "crawl/timers.h"
#include "unit.h"

#define N 1000

/* The heap's invariant and every timer's idea of its place. */
static void
check_heap(const struct timers *h)
{
	for (size_t i = 0; i < h->n; i++) {
		assert_int_equal(h->v[i]->pos, i + 1);
		if (i > 0)
			assert_true(h->v[(i - 1) / 2]->at <= h->v[i]->at);
	}
}

static void
test_order(void **state)
{
	struct timers h;
	struct timer t[N] = { { 0 } };
	double last = -1;

	timers_init(&h);
	srand(7);
	for (int i = 0; i < N; i++)
		timers_set(&h, &t[i], rand() % 10000 / 10.0);
	check_heap(&h);
	assert_int_equal(h.n, N);
	for (int i = 0; i < N; i++) {
		struct timer *x = timers_pop_due(&h, 1e9);
		assert_non_null(x);
		assert_false(timer_armed(x));
		assert_true(x->at >= last);
		last = x->at;
	}
	assert_null(timers_first(&h));
	assert_null(timers_pop_due(&h, 1e9));
	timers_free(&h);
}

static void
test_move_and_cancel(void **state)
{
	struct timers h;
	struct timer t[N] = { { 0 } };
	size_t armed = 0;
	double last = -1;

	timers_init(&h);
	srand(11);
	for (int i = 0; i < N; i++)
		timers_set(&h, &t[i], rand() % 10000);
	/* Move some earlier, some later, cancel some (twice: the second does nothing). */
	for (int i = 0; i < N; i++) {
		switch (rand() % 4) {
		case 0:
			timers_set(&h, &t[i], t[i].at / 3);
			break;
		case 1:
			timers_set(&h, &t[i], t[i].at * 2 + 1);
			break;
		case 2:
			timers_cancel(&h, &t[i]);
			timers_cancel(&h, &t[i]);
			assert_false(timer_armed(&t[i]));
			break;
		default:
			timers_set(&h, &t[i], t[i].at);
		}
		check_heap(&h);
	}
	for (int i = 0; i < N; i++)
		armed += timer_armed(&t[i]);
	assert_int_equal(h.n, armed);
	for (struct timer *x; (x = timers_pop_due(&h, 1e9)) != NULL; armed--) {
		assert_true(x->at >= last);
		last = x->at;
	}
	assert_int_equal(armed, 0);
	timers_free(&h);
}

static void
test_due(void **state)
{
	struct timers h;
	struct timer a = { 0 }, b = { 0 }, c = { 0 };

	timers_init(&h);
	timers_set(&h, &a, 5);
	timers_set(&h, &b, 3);
	timers_set(&h, &c, 9);
	assert_ptr_equal(timers_first(&h), &b);
	assert_null(timers_pop_due(&h, 2.9));
	assert_ptr_equal(timers_pop_due(&h, 3), &b);
	assert_null(timers_pop_due(&h, 4));
	/* Re-armed later, a timer waits its new turn. */
	timers_set(&h, &a, 10);
	assert_ptr_equal(timers_pop_due(&h, 9.5), &c);
	assert_null(timers_pop_due(&h, 9.5));
	assert_true(timer_armed(&a));
	/* Freeing the heap disarms what it held. */
	timers_free(&h);
	assert_false(timer_armed(&a));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_order),
		cmocka_unit_test(test_move_and_cancel),
		cmocka_unit_test(test_due),
	};

	return RUN(tests);
}
