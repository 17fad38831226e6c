/*
 * test_sitemap.c: the sitemap reader and a worker's sitemap state
 * (scraper/worker/sitemap.c): urlsets and indexes in any namespace, gzip (whole, cut
 * short, several members), broken XML (what came before the fault is kept and the
 * fault said), entities and DTDs not expanded or loaded, the protocol's limits,
 * robots.txt Sitemap: lines, and the filters: this site only, sitemap_allow, no URL
 * twice.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include <zlib.h>

#include "extract.h"
#include "unit.h"
#include "urlset.h"
#include "worker/sitemap.h"

static char got[1 << 16];

static int
collect(void *ctx, const char *loc)
{
	(void)ctx;
	strcat(got, loc);
	strcat(got, "|");
	return 0;
}

static enum sitemap_kind
read_text(const char *xml, size_t len, struct sitemap_result *res)
{
	got[0] = '\0';
	return sitemap_read(xml, len, collect, NULL, res);
}

#define READ(s, res) read_text(s, strlen(s), res)

static void
test_urlset_and_index(void **state)
{
	struct sitemap_result res;

	assert_int_equal(READ("<?xml version=\"1.0\"?>\n"
			      "<urlset xmlns=\"http://www.sitemaps.org/schemas/sitemap/0.9\">"
			      "<url><loc> http://a.test/1 </loc><lastmod>2024-01-01</lastmod></url>"
			      "<url><loc>\n  http://a.test/2?x=1&amp;y=2\n</loc></url>"
			      "<url><loc></loc></url>"
			      "<url><image:image xmlns:image=\"http://www.google.com/schemas/sitemap-image/1.1\">"
			      "<image:loc>http://a.test/i.jpg</image:loc></image:image></url>"
			      "</urlset>", &res),
			 SITEMAP_URLSET);
	assert_string_equal(got, "http://a.test/1|http://a.test/2?x=1&y=2|");
	assert_int_equal(res.locs, 2);
	assert_string_equal(res.error, "");
	assert_int_equal(READ("<sm:sitemapindex xmlns:sm=\"http://www.sitemaps.org/schemas/sitemap/0.9\">"
			      "<sm:sitemap><sm:loc>http://a.test/s1.xml</sm:loc></sm:sitemap>"
			      "<sm:url><sm:loc>http://a.test/not-in-an-index</sm:loc></sm:url>"
			      "<sm:sitemap><sm:loc>http://a.test/s2.xml.gz</sm:loc></sm:sitemap>"
			      "</sm:sitemapindex>", &res),
			 SITEMAP_INDEX);
	assert_string_equal(got, "http://a.test/s1.xml|http://a.test/s2.xml.gz|");
	/* Other XML, or none: not a sitemap, and nothing listed. */
	assert_int_equal(READ("<rss><channel><link>http://a.test/</link></channel></rss>", &res),
			 SITEMAP_NONE);
	assert_non_null(strstr(res.error, "not a sitemap"));
	assert_int_equal(READ("<html><body>Not found</body></html>", &res), SITEMAP_NONE);
	assert_int_equal(READ("", &res), SITEMAP_NONE);
	assert_string_equal(got, "");
}

static void
test_broken_xml_keeps_what_came_before(void **state)
{
	struct sitemap_result res;

	assert_int_equal(READ("<urlset><url><loc>http://a.test/1</loc></url>"
			      "<url><loc>http://a.test/2</loc></url><url><loc>http://a.te", &res),
			 SITEMAP_URLSET);
	assert_string_equal(got, "http://a.test/1|http://a.test/2|");
	assert_non_null(strstr(res.error, "malformed XML at line 1"));
	assert_non_null(strstr(res.error, "the URLs before it were taken"));
	assert_int_equal(READ("<urlset><url><loc>http://a.test/1</loc></url></urlset><urlset>", &res),
			 SITEMAP_URLSET);
	assert_non_null(strstr(res.error, "malformed XML"));
	/* Not XML at all. */
	assert_int_equal(READ("\x01\x02garbage", &res), SITEMAP_NONE);
	assert_string_not_equal(res.error, "");
}

static void
test_no_entities_no_dtd(void **state)
{
	struct sitemap_result res;

	/* An entity is not expanded (a billion laughs stays small) ... */
	READ("<?xml version=\"1.0\"?><!DOCTYPE u [<!ENTITY a \"aaaaaaaaaa\">"
	     "<!ENTITY b \"&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;\"><!ENTITY c \"&b;&b;&b;&b;&b;&b;&b;&b;\">]>"
	     "<urlset><url><loc>http://a.test/&c;</loc></url></urlset>", &res);
	assert_true(strlen(got) < 100);
	/* ... and an external DTD is not fetched (NONET, no DTD loading): the reader goes on. */
	assert_int_equal(READ("<?xml version=\"1.0\"?><!DOCTYPE urlset SYSTEM \"http://127.0.0.1:1/x.dtd\">"
			      "<urlset><url><loc>http://a.test/1</loc></url></urlset>", &res),
			 SITEMAP_URLSET);
	assert_string_equal(got, "http://a.test/1|");
}

/* gzip of s (several members when twice). */
static size_t
gz(const char *s, unsigned char *out, size_t cap)
{
	z_stream z = { 0 };

	assert_int_equal(deflateInit2(&z, 9, Z_DEFLATED, 16 + MAX_WBITS, 8, Z_DEFAULT_STRATEGY), Z_OK);
	z.next_in = (Bytef *)(uintptr_t)s;
	z.avail_in = (uInt)strlen(s);
	z.next_out = out;
	z.avail_out = (uInt)cap;
	assert_int_equal(deflate(&z, Z_FINISH), Z_STREAM_END);
	deflateEnd(&z);
	return cap - z.avail_out;
}

static void
test_gzip(void **state)
{
	static unsigned char buf[1 << 16];
	const char *xml = "<urlset><url><loc>http://a.test/g1</loc></url>"
			  "<url><loc>http://a.test/g2</loc></url></urlset>";
	struct sitemap_result res;
	size_t n = gz(xml, buf, sizeof buf);

	assert_int_equal(read_text((char *)buf, n, &res), SITEMAP_URLSET);
	assert_true(res.gzip);
	assert_string_equal(got, "http://a.test/g1|http://a.test/g2|");
	assert_string_equal(res.error, "");
	/* Cut short: what inflated is read, and the page says the gzip was cut. */
	read_text((char *)buf, n - 12, &res);
	assert_non_null(strstr(res.error, "gzip"));
	/* Not gzip past its magic. */
	assert_int_equal(read_text("\x1f\x8b\x08\x00garbage", 12, &res), SITEMAP_NONE);
	assert_non_null(strstr(res.error, "gzip"));
}

static int
count_loc(void *ctx, const char *loc)
{
	(void)loc;
	++*(size_t *)ctx;
	return 0;
}

static void
test_limits(void **state)
{
	struct sitemap_result res;
	struct buf b;
	size_t count = 0;

	/* 50,000 URLs a sitemap, as the protocol says; the rest ignored, and said. */
	buf_init(&b, 8u << 20);
	buf_puts(&b, "<urlset>");
	for (int i = 0; i < SITEMAP_MAX_URLS + 10; i++)
		buf_printf(&b, "<url><loc>http://a.test/%d</loc></url>", i);
	buf_puts(&b, "</urlset>");
	assert_int_equal(sitemap_read(b.data, b.len, count_loc, &count, &res), SITEMAP_URLSET);
	assert_int_equal(count, SITEMAP_MAX_URLS);
	assert_non_null(strstr(res.error, "more than 50000 URLs"));
	buf_free(&b);
}

static void
test_robots_lines(void **state)
{
	const char *robots = "User-agent: *\nDisallow: /x\n"
			     "Sitemap: http://a.test/s1.xml # the main one\n"
			     "  sitemap:http://a.test/s2.xml\r\n"
			     "SITEMAP :\thttp://b.test/s3.xml\n"
			     "Sitemaps: http://a.test/no.xml\n"
			     "Sitemap:\n";

	got[0] = '\0';
	assert_int_equal(sitemap_robots_lines(robots, strlen(robots), collect, NULL), 3);
	assert_string_equal(got, "http://a.test/s1.xml|http://a.test/s2.xml|http://b.test/s3.xml|");
}

static void
join(const struct sitemap_list *l, char *out, size_t n)
{
	out[0] = '\0';
	for (size_t i = 0; i < l->n; i++)
		snprintf(out + strlen(out), n - strlen(out), "%s|", l->v[i]);
}

static void
test_worker_state(void **state)
{
	struct ex_rules *ex = ex_rules_new();
	struct sitemap_state st;
	struct sitemap_list *roots, maps = { 0 }, pages = { 0 };
	struct urlset sent;
	struct ex_error e;
	char error[400], s[4096];
	const char *robots = "Sitemap: http://a.test:8080/index.xml\nSitemap: http://b.test/x.xml\n";
	const char *index = "<sitemapindex><sitemap><loc>http://a.test:8080/s1.xml</loc></sitemap>"
			    "<sitemap><loc>http://A.TEST:8080/./s1.xml</loc></sitemap>"
			    "<sitemap><loc>http://b.test/s9.xml</loc></sitemap></sitemapindex>";
	const char *urlset = "<urlset><url><loc>http://a.test:8080/p/1</loc></url>"
			     "<url><loc>http://a.test:8080/p/1#again</loc></url>"
			     "<url><loc>http://a.test:8080/private/2</loc></url>"
			     "<url><loc>http://b.test/p/3</loc></url>"
			     "<url><loc>mailto:x@a.test</loc></url>"
			     "<url><loc>/relative</loc></url></urlset>";

	urlset_init(&sent);
	assert_int_equal(ex_set_sitemap_allow(ex, "/p/", &e), 0);
	assert_int_equal(sitemap_state_init(&st, "a.test:8080", ex), 0);
	assert_null(sitemap_state_roots(&st, "http")); /* robots.txt not known yet */
	sitemap_state_robots(&st, robots, strlen(robots));
	/* Another site's sitemap is not this site's to fetch. */
	roots = sitemap_state_roots(&st, "http");
	assert_non_null(roots);
	join(roots, s, sizeof s);
	assert_string_equal(s, "http://a.test:8080/index.xml|");
	sitemap_list_free(roots);
	free(roots);
	assert_null(sitemap_state_roots(&st, "http")); /* once */
	/* The index: sitemaps of this site, canonical, once. */
	assert_true(sitemap_state_page(&st, "http://a.test:8080/index.xml", "text/html", index,
				       strlen(index), &sent, &maps, &pages, error, sizeof error));
	join(&maps, s, sizeof s);
	assert_string_equal(s, "http://a.test:8080/s1.xml|");
	assert_int_equal(pages.n, 0);
	assert_string_equal(error, "");
	/* A urlset: pages of this site that sitemap_allow allows, once. */
	sitemap_list_free(&maps);
	assert_true(sitemap_state_page(&st, "http://a.test:8080/s1.xml", "application/xml", urlset,
				       strlen(urlset), &sent, &maps, &pages, error, sizeof error));
	join(&pages, s, sizeof s);
	assert_string_equal(s, "http://a.test:8080/p/1|");
	/* An expected sitemap that is broken is an error; an HTML page is no sitemap. */
	sitemap_list_free(&pages);
	assert_true(sitemap_state_page(&st, "http://a.test:8080/s1.xml", "text/html",
				       "<html>oops</html>", 17, &sent, &maps, &pages, error,
				       sizeof error));
	assert_non_null(strstr(error, "sitemap: not a sitemap"));
	assert_false(sitemap_state_page(&st, "http://a.test:8080/page", "text/html",
					"<html>ok</html>", 15, &sent, &maps, &pages, error, sizeof error));
	/* No Sitemap: lines: /sitemap.xml. */
	sitemap_state_robots(&st, "User-agent: *\n", 14);
	roots = sitemap_state_roots(&st, "https");
	join(roots, s, sizeof s);
	assert_string_equal(s, "https://a.test:8080/sitemap.xml|");
	sitemap_list_free(roots);
	free(roots);
	sitemap_list_free(&maps);
	sitemap_list_free(&pages);
	sitemap_state_free(&st);
	urlset_free(&sent);
	ex_rules_free(ex);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_urlset_and_index),
		cmocka_unit_test(test_broken_xml_keeps_what_came_before),
		cmocka_unit_test(test_no_entities_no_dtd),
		cmocka_unit_test(test_gzip),
		cmocka_unit_test(test_limits),
		cmocka_unit_test(test_robots_lines),
		cmocka_unit_test(test_worker_state),
	};
	ex_init();
	return RUN(tests);
}
