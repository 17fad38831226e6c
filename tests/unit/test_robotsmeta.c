/*
 * test_robotsmeta.c: robots meta tags and X-Robots-Tag values (worker/robotsmeta.c).
 */
#include "config.h"

#include <string.h>

#include <libxml/HTMLparser.h>

#include "unit.h"
#include "worker/robotsmeta.h"

#define NI ROBOTSMETA_NOINDEX
#define NF ROBOTSMETA_NOFOLLOW

static void
test_directives(void **state)
{
	assert_int_equal(robotsmeta_directives("noindex, nofollow"), NI | NF);
	assert_int_equal(robotsmeta_directives("NOFOLLOW"), NF);
	assert_int_equal(robotsmeta_directives(" noindex,noarchive "), NI);
	assert_int_equal(robotsmeta_directives("none"), NI | NF);
	assert_int_equal(robotsmeta_directives("index, follow, all"), 0);
	assert_int_equal(robotsmeta_directives("nofollowing, noindexed"), 0);
	assert_int_equal(robotsmeta_directives(""), 0);
}

static void
test_header_user_agents(void **state)
{
	assert_int_equal(robotsmeta_header("noindex", "scraper"), NI);
	assert_int_equal(robotsmeta_header("googlebot: nofollow", "scraper"), 0);
	assert_int_equal(robotsmeta_header("Scraper: nofollow", "scraper"), NF);
	assert_int_equal(robotsmeta_header(" scraper : none", "scraper"), NI | NF);
	/* A directive with a value is not a crawler's name. */
	assert_int_equal(robotsmeta_header("unavailable_after: 25 Jun 2010 15:00:00 PST", "scraper"), 0);
	assert_int_equal(robotsmeta_header("noindex, unavailable_after: 25 Jun 2010", "scraper"), NI);
	assert_int_equal(robotsmeta_header("max-snippet: 20, nofollow", "scraper"), NF);
}

static unsigned
in_page(const char *html)
{
	xmlDocPtr doc = htmlReadMemory(html, (int)strlen(html), "http://x.test/", "UTF-8",
				       HTML_PARSE_RECOVER | HTML_PARSE_NOERROR | HTML_PARSE_NOWARNING);
	unsigned m;

	assert_non_null(doc);
	m = robotsmeta_doc(doc, NULL, "scraper");
	xmlFreeDoc(doc);
	return m;
}

static void
test_meta_tags(void **state)
{
	assert_int_equal(in_page("<head><meta name=\"robots\" content=\"nofollow\"></head>"), NF);
	assert_int_equal(in_page("<head><meta name=\"ROBOTS\" content=\"NoIndex\"></head>"), NI);
	assert_int_equal(in_page("<head><meta name=\"scraper\" content=\"none\"></head>"), NI | NF);
	assert_int_equal(in_page("<head><meta name=\"googlebot\" content=\"none\"></head>"), 0);
	/* Several tags add up, wherever they are. */
	assert_int_equal(in_page("<head><meta name=\"robots\" content=\"noindex\"></head>"
				 "<body><meta name=\"scraper\" content=\"nofollow\"></body>"), NI | NF);
	assert_int_equal(in_page("<head><meta name=\"robots\"><meta content=\"nofollow\">"
				 "<meta name=\"description\" content=\"nofollow\"></head>"), 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_directives),
		cmocka_unit_test(test_header_user_agents),
		cmocka_unit_test(test_meta_tags),
	};
	return RUN(tests);
}
