/*
 * test_xmlarena.c: libxml2 on the per-page arena (scraper/worker/xmlarena.c): documents
 * parse and evaluate the same, frees are harmless, growing buffers grow in place, a
 * page too big for the arena falls back to malloc and says so, and pages reuse the
 * region.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include <libxml/HTMLparser.h>
#include <libxml/xpath.h>

#include "unit.h"
#include "worker/xmlarena.h"

#define REGION (1u << 20)

static const char page[] =
    "<html><head><title>Arena</title></head><body><ul>"
    "<li class=a>one</li><li class=b>two</li><li class=a>three</li></ul></body></html>";

static xmlDocPtr
parse(const char *html, size_t len)
{
	return htmlReadMemory(html, (int)len, "http://x.example/", "UTF-8",
			      HTML_PARSE_RECOVER | HTML_PARSE_NOERROR | HTML_PARSE_NOWARNING |
			      HTML_PARSE_NONET);
}

/* The text of every li with class a, joined. */
static void
check_doc(xmlDocPtr doc, const char *want)
{
	xmlXPathContextPtr xc = xmlXPathNewContext(doc);
	xmlXPathObjectPtr r = xmlXPathEvalExpression((const xmlChar *)"//li[@class='a']", xc);
	char got[256] = "";

	assert_non_null(r);
	for (int i = 0; i < r->nodesetval->nodeNr; i++) {
		xmlChar *s = xmlNodeGetContent(r->nodesetval->nodeTab[i]);
		strcat(got, (const char *)s);
		strcat(got, ";");
		xmlFree(s);
	}
	assert_string_equal(got, want);
	xmlXPathFreeObject(r);
	xmlXPathFreeContext(xc);
}

static void
test_page_in_arena(void **state)
{
	xmlDocPtr doc;

	xmlarena_begin();
	doc = parse(page, sizeof page - 1);
	check_doc(doc, "one;three;");
	assert_true(xmlarena_owns_page());
	assert_true(xmlarena_used() > 0);
	xmlResetLastError();
	xmlarena_end(); /* the document goes with the arena: no xmlFreeDoc */
}

static void
test_pages_reuse_the_region(void **state)
{
	size_t first;

	for (int i = 0; i < 50; i++) {
		xmlarena_begin();
		check_doc(parse(page, sizeof page - 1), "one;three;");
		/* The same page costs the same, give or take a few dictionary entries
		 * (libxml2 seeds each dictionary's hash at random): nothing accumulates. */
		if (i == 0)
			first = xmlarena_used();
		assert_true(xmlarena_used() < first + 1024 && xmlarena_used() + 1024 > first);
		xmlResetLastError(); /* it may hold a string from the arena */
		xmlarena_end();
	}
}

static void
test_buffers_grow_in_place(void **state)
{
	xmlBufferPtr b;
	size_t before;

	xmlarena_begin();
	b = xmlBufferCreate();
	xmlBufferAdd(b, (const xmlChar *)"x", 1);
	before = xmlarena_used();
	for (int i = 0; i < 1000; i++)
		xmlBufferAdd(b, (const xmlChar *)"0123456789", 10);
	assert_int_equal(xmlBufferLength(b), 10001);
	/* Growing the newest block reuses it: far less than a copy per doubling. */
	assert_true(xmlarena_used() - before < 3 * 10001 + 4096);
	xmlBufferFree(b);
	xmlarena_end();
}

static void
test_big_page_falls_back_to_malloc(void **state)
{
	size_t n = 3 * REGION, len = 0;
	char *html = malloc(n + 64);
	xmlDocPtr doc;

	len += (size_t)sprintf(html, "<html><body><ul>");
	while (len + 64 < n)
		len += (size_t)sprintf(html + len, "<li class=a>%zu</li>", len);
	len += (size_t)sprintf(html + len, "</ul></body></html>");
	xmlarena_begin();
	doc = parse(html, len);
	assert_non_null(doc);
	assert_false(xmlarena_owns_page());
	/* Part of it is on the heap: it must be freed (the arena's part is skipped). */
	xmlFreeDoc(doc);
	xmlResetLastError();
	xmlarena_end();
	free(html);
	/* And the next page is fine. */
	test_page_in_arena(state);
}

static void
test_outside_a_page_is_malloc(void **state)
{
	char *p = xmlMalloc(100);

	memset(p, 'x', 100);
	p = xmlRealloc(p, 10000);
	xmlFree(p);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_page_in_arena),
		cmocka_unit_test(test_pages_reuse_the_region),
		cmocka_unit_test(test_buffers_grow_in_place),
		cmocka_unit_test(test_big_page_falls_back_to_malloc),
		cmocka_unit_test(test_outside_a_page_is_malloc),
	};

	if (xmlarena_install(REGION) != 0)
		return 1;
	xmlInitParser();
	/* Warm up libxml2's lazily made globals outside any page. */
	xmlFreeDoc(parse(page, sizeof page - 1));
	return RUN(tests);
}
