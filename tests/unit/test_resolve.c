/*
 * test_resolve.c: the coordinator's name lookups (scraper/crawl/resolve.c): which
 * sites need one, the CURLOPT_RESOLVE entries a lookup gives, a name that does not
 * resolve, and the thread: answers come back with their site ids, a byte on the
 * wake-up pipe each, and no more than RESOLVE_MAX are outstanding.
 */
#include "config.h"

#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "crawl/resolve.h"
#include "unit.h"

static void
test_needed(void **state)
{
	assert_true(resolve_needed("localhost"));
	assert_true(resolve_needed("example.com:8080"));
	assert_false(resolve_needed("127.0.0.1"));
	assert_false(resolve_needed("127.0.0.1:8080"));
	assert_false(resolve_needed("[::1]:8080"));
	assert_false(resolve_needed("[2001:db8::1]"));
}

static void
test_entries(void **state)
{
	char *e = NULL, err[300];
	int gai;

	assert_int_equal(resolve_site_now("localhost:8080", &e, err, sizeof err, &gai), 0);
	assert_non_null(e);
	assert_int_equal(strncmp(e, "localhost:8080:", 15), 0);
	assert_null(strchr(e, '\n'));
	assert_true(strstr(e, "127.0.0.1") != NULL || strstr(e, "[::1]") != NULL);
	free(e);
	/* a bare host is both default ports, one entry a line */
	assert_int_equal(resolve_site_now("localhost", &e, err, sizeof err, &gai), 0);
	assert_int_equal(strncmp(e, "localhost:80:", 13), 0);
	assert_non_null(strstr(e, "\nlocalhost:443:"));
	free(e);
	assert_int_equal(resolve_site_now("nosuchhost.invalid", &e, err, sizeof err, &gai), -1);
	assert_null(e);
	assert_int_equal(strncmp(err, "Could not resolve host: nosuchhost.invalid (", 44), 0);
	assert_int_not_equal(gai, 0);
}

static void
test_thread(void **state)
{
	int p[2];
	struct resolver *r;
	struct resolve_answer *a;
	struct pollfd pf;
	size_t got = 0, i;
	char byte;
	static unsigned char seen[RESOLVE_MAX + 2];

	assert_int_equal(pipe(p), 0);
	assert_non_null(r = resolver_start(p[1]));
	for (i = 1; i <= RESOLVE_MAX; i++)
		assert_int_equal(resolver_ask(r, (uint32_t)i, i == 7 ? "nosuchhost.invalid" : "localhost:1"), 0);
	/* full until an answer is taken */
	assert_int_equal(resolver_ask(r, RESOLVE_MAX + 1, "localhost:1"), -1);
	while (got < RESOLVE_MAX) {
		pf = (struct pollfd){ .fd = p[0], .events = POLLIN };
		assert_int_equal(poll(&pf, 1, 10000), 1);
		assert_int_equal(read(p[0], &byte, 1), 1);
		while ((a = resolver_take(r)) != NULL) {
			assert_true(a->site_id >= 1 && a->site_id <= RESOLVE_MAX);
			assert_int_equal(seen[a->site_id]++, 0);
			if (a->site_id == 7) {
				assert_string_equal(a->entries, "");
				assert_non_null(strstr(a->error, "Could not resolve host: nosuchhost.invalid"));
			} else {
				assert_int_equal(strncmp(a->entries, "localhost:1:", 12), 0);
				assert_string_equal(a->error, "");
			}
			resolve_answer_free(a);
			got++;
		}
	}
	assert_int_equal(resolver_ask(r, RESOLVE_MAX + 1, "localhost:2"), 0);
	resolver_stop(r); /* with one lookup outstanding: freed */
	close(p[0]);
	close(p[1]);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_needed),
		cmocka_unit_test(test_entries),
		cmocka_unit_test(test_thread),
	};

	return RUN(tests);
}
