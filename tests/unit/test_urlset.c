/*
 * test_urlset.c: sets of URL hashes (extractors/urlset.c): membership, growth, and the
 * table's size for the 1,000,000-page crawl's seen set.
 */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include "unit.h"
#include "urlset.h"

static void
test_add_has(void **state)
{
	struct urlset set;
	char url[64];

	urlset_init(&set);
	for (int i = 0; i < 5000; i++) {
		int n = snprintf(url, sizeof url, "http://example.com/p/%d", i);
		assert_int_equal(urlset_add(&set, url_hash(url, (size_t)n)), 1);
	}
	for (int i = 0; i < 5000; i++) {
		int n = snprintf(url, sizeof url, "http://example.com/p/%d", i);
		assert_true(urlset_has(&set, url_hash(url, (size_t)n)));
		assert_int_equal(urlset_add(&set, url_hash(url, (size_t)n)), 0);
	}
	assert_false(urlset_has(&set, url_hash("http://example.com/p/5000", 25)));
	assert_int_equal(set.count, 5000);
	urlset_free(&set);
}

/* 80 sites x 13,200 URLs (1,056,000: products, listings, home pages, traps) fit in
 * 2^21 slots (16 MB); doubling at half load made it 2^22 (32 MB). */
static void
test_million_in_16_mb(void **state)
{
	struct urlset set;

	urlset_init(&set);
	for (uint64_t i = 1; i <= 1056000; i++)
		assert_int_equal(urlset_add(&set, i * 0x9e3779b97f4a7c15ULL), 1);
	assert_int_equal(set.count, 1056000);
	assert_true(set.cap * sizeof *set.slots <= (16u << 20));
	urlset_free(&set);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_add_has),
		cmocka_unit_test(test_million_in_16_mb),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
