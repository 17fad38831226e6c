/*
 * fuzz_sitemap.c: libFuzzer target for the sitemap reader and robots.txt Sitemap:
 * lines (scraper/worker/sitemap.c).
 *
 * The input is a response body (XML, gzip, or anything).  Every <loc> handed over
 * must be non-empty and trimmed, there may be no more than SITEMAP_MAX_URLS of them,
 * the kind must be one of three, and the result must say what it counted.  The same
 * bytes are then read as a robots.txt.  Last they go through a worker's sitemap state
 * (sitemap_allow set): as its robots.txt, then as the response of its first root and
 * of a candidate it did not send up.  Every root, sitemap and page it hands out must
 * be canonical (its canonical form is itself) and on the site, pages must pass
 * sitemap_allow and come once, and an error must read "sitemap: ...".  A crash, a
 * leak or a broken promise aborts.
 * Seed corpus: tests/fuzz/sitemap.in/.
 */
#include "config.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "extract.h"
#include "url.h"
#include "urlset.h"
#include "worker/sitemap.h"

#define SITE "shop.example:8080"

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

/* Every URL of l canonical, on SITE; with allow, through it too; none twice in seen. */
static void
check_list(const struct sitemap_list *l, struct ex_rules *ex, struct urlset *seen)
{
	struct buf canon;

	buf_init(&canon, URL_MAX * 4);
	for (size_t i = 0; i < l->n; i++) {
		const char *u = l->v[i];

		buf_reset(&canon);
		if (url_canonical(u, &canon) != 0 || strcmp(canon.data, u) != 0 ||
		    !url_on_site(u, SITE))
			abort();
		if (ex != NULL && ex_sitemap_allows(ex, u) != 1)
			abort();
		if (seen != NULL && urlset_add(seen, url_hash(u, strlen(u))) != 1)
			abort();
	}
	buf_free(&canon);
}

static void
check_error(bool read, const char *error)
{
	if (error[0] != '\0' && (!read || strncmp(error, "sitemap: ", 9) != 0))
		abort();
}

/* The worker's path: robots.txt, the roots it sends up, their responses. */
static void
state_path(const char *data, size_t size, struct ex_rules *ex)
{
	struct sitemap_state st;
	struct sitemap_list *roots, sitemaps = { 0 }, pages = { 0 };
	struct urlset sent, seen;
	char error[256];
	bool read;

	if (sitemap_state_init(&st, SITE, ex) == -1)
		abort();
	urlset_init(&sent);
	urlset_init(&seen);
	sitemap_state_robots(&st, data, size);
	if ((roots = sitemap_state_roots(&st, "http")) == NULL || roots->n == 0 ||
	    roots->n > SITEMAP_MAX_ROBOTS)
		abort();
	check_list(roots, NULL, NULL);
	if (sitemap_state_roots(&st, "http") != NULL) /* sent once */
		abort();

	read = sitemap_state_page(&st, roots->v[0], "text/plain", data, size, &sent, &sitemaps,
				  &pages, error, sizeof error);
	if (!read) /* it was sent up as a sitemap: it is one, readable or not */
		abort();
	check_error(read, error);
	check_list(&sitemaps, NULL, NULL);
	check_list(&pages, ex, &seen);
	if (pages.n > SITEMAP_MAX_URLS || sitemaps.n > SITEMAP_MAX_URLS)
		abort();

	/* A response nobody asked for as a sitemap: read only if it is one (a candidate by
	 * its path, or by its bytes). */
	sitemap_list_free(&sitemaps);
	read = sitemap_state_page(&st, size % 2 ? "http://" SITE "/feed.xml?a" : "http://" SITE "/feed",
				  "text/html", data, size, &sent, &sitemaps, &pages, error,
				  sizeof error);
	check_error(read, error);
	if (!read && sitemaps.n != 0)
		abort();
	check_list(&sitemaps, NULL, NULL);
	check_list(&pages, ex, NULL); /* pages already listed are not listed again */
	for (size_t i = 0; i < pages.n; i++)
		urlset_add(&seen, url_hash(pages.v[i], strlen(pages.v[i])));
	if (seen.count != pages.n)
		abort();

	sitemap_list_free(&sitemaps);
	sitemap_list_free(&pages);
	sitemap_list_free(roots);
	free(roots);
	urlset_free(&sent);
	urlset_free(&seen);
	sitemap_state_free(&st);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static int ready;
	static struct ex_rules *ex;
	struct sitemap_result res;
	enum sitemap_kind kind;
	size_t n = 0;

	if (!ready) {
		struct ex_error err;

		ex_init(); /* libxml2 quiet */
		if ((ex = ex_rules_new()) == NULL || ex_set_sitemap_allow(ex, "/(p|item)/", &err) != 0)
			abort();
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
	state_path((const char *)data, size, ex);
	return 0;
}
