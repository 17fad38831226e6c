/*
 * test_urlset.c: sets of URL hashes (extractors/urlset.c): membership, growth, and the
 * table's size for the 1,000,000-page crawl's seen set, and its peak while it doubles.
 */
#include "config.h"

#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

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

/* A line of /proc/self/status, in kB; -1 when absent. */
static long
status_kb(const char *key)
{
	char line[256];
	long v = -1;
	FILE *f = fopen("/proc/self/status", "r");

	if (f == NULL)
		return -1;
	while (fgets(line, sizeof line, f) != NULL) {
		if (strncmp(line, key, strlen(key)) == 0)
			v = atol(line + strlen(key));
	}
	fclose(f);
	return v;
}

/* Doubling from 2^20 slots (8 MB) to 2^21 (16 MB) gives the old table back as it
 * goes: the peak is about the new table alone, not both (8 + 16 MB). */
static void
test_growth_does_not_hold_both_tables(void **state)
{
	struct urlset set;
	long rss = -1, hwm;
	int fd;

	bool measure = true;

#ifdef SCRAPER_SANITIZERS
	measure = false; /* the sanitizers' allocator keeps freed memory, and its shadow */
#endif
	urlset_init(&set);
	for (uint64_t i = 1; i <= 786432; i++)
		assert_int_equal(urlset_add(&set, i * 0x9e3779b97f4a7c15ULL), 1);
	assert_int_equal(set.cap, 1u << 20);
	/* Reset the peak (VmHWM) to the RSS now ("5" in clear_refs). */
	fd = measure ? open("/proc/self/clear_refs", O_WRONLY) : -1;
	if (fd == -1 || write(fd, "5", 1) != 1 || (rss = status_kb("VmRSS:")) < 0) {
		print_message("# the peak is not measured here (%s)\n",
			      measure ? "no /proc/self/clear_refs" : "sanitizer build");
		measure = false;
	}
	if (fd != -1)
		close(fd);
	assert_int_equal(urlset_add(&set, 786433 * 0x9e3779b97f4a7c15ULL), 1);
	assert_int_equal(set.cap, 1u << 21);
	if (measure) {
		hwm = status_kb("VmHWM:");
		print_message("# doubling 8 -> 16 MB: peak %ld kB over the RSS before\n", hwm - rss);
		assert_true(hwm - rss < 12 * 1024);
	}
	for (uint64_t i = 1; i <= 786433; i += 997)
		assert_true(urlset_has(&set, i * 0x9e3779b97f4a7c15ULL));
	urlset_free(&set);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_add_has),
		cmocka_unit_test(test_million_in_16_mb),
		cmocka_unit_test(test_growth_does_not_hold_both_tables),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
