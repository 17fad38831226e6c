/*
 * fuzz_sitemap.c: libFuzzer target for the sitemap reader and robots.txt Sitemap:
 * lines (scraper/worker/sitemap.c).
 *
 * The input is a response body (XML, gzip, or anything).  Every <loc> handed over
 * must be non-empty and trimmed, there may be no more than SITEMAP_MAX_URLS of them,
 * the kind must be one of three, and the result must say what it counted.  The same
 * bytes are then read as a robots.txt.  A crash, a leak or a broken promise aborts.
 * Seed corpus: tests/fuzz/sitemap.in/.
 */
#include "config.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "extract.h"
#include "worker/sitemap.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int
check_loc(void *ctx, const char *loc)
{
	size_t *n = ctx, len = strlen(loc);

	if (len == 0 || loc[0] == ' ' || loc[0] == '\n' || loc[len - 1] == ' ' ||
	    loc[len - 1] == '\n')
		abort();
	if (++*n > SITEMAP_MAX_URLS)
		abort();
	return 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static int ready;
	struct sitemap_result res;
	enum sitemap_kind kind;
	size_t n = 0;

	if (!ready) {
		ex_init(); /* libxml2 quiet */
		ready = 1;
	}
	kind = sitemap_read((const char *)data, size, check_loc, &n, &res);
	if (kind != res.kind || (kind != SITEMAP_NONE && kind != SITEMAP_URLSET &&
				 kind != SITEMAP_INDEX))
		abort();
	if (n != res.locs || (kind == SITEMAP_NONE && n != 0))
		abort();
	if (memchr(res.error, '\0', sizeof res.error) == NULL)
		abort();
	n = 0;
	if (sitemap_robots_lines((const char *)data, size, check_loc, &n) > SITEMAP_MAX_ROBOTS)
		abort();
	return 0;
}
