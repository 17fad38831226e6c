/*
 * fuzz_jsonld.c: libFuzzer target for the JSON-LD reader and structured-data paths
 * (extractors/jsonld.c, microdata.c).
 *
 * The input is one script's text.  It is read with jsonld_add_text, then a few paths
 * (a type, a key, arrays, `*`) are walked over what was kept; every value handed over
 * must lie within the limits.  The same bytes are then put in a page as a JSON-LD
 * script and as microdata-ish markup and read through the page functions.  A crash, a
 * leak or a value past its limits aborts.
 * Seed corpus: tests/fuzz/jsonld.in/.
 */
#include "config.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <libxml/HTMLparser.h>

#include "buf.h"
#include "extract.h"
#include "structured.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char *const paths[] = {
	"Product.name", "Product.offers.price", "*.name", "*", "*.*.*", "Thing.@id",
	"BreadcrumbList.itemListElement.item.name",
};

static int
check_value(void *ctx, const char *s, size_t n)
{
	size_t *count = ctx;

	if (s == NULL || n > JSONLD_MAX_SCRIPT * 2)
		abort();
	if (++*count > SD_MAX_VALUES)
		abort();
	return 0;
}

static void
problem(void *ctx, const char *msg)
{
	if (msg == NULL || strlen(msg) > 1000)
		abort();
	(void)ctx;
}

static void
walk_all(xmlDocPtr doc, const struct jsonld *ld)
{
	struct sd_path p;
	size_t pos, count;
	char msg[200];

	for (size_t i = 0; i < sizeof paths / sizeof paths[0]; i++) {
		if (sd_path_compile(paths[i], &p, &pos, msg, sizeof msg) != 0)
			abort();
		count = 0;
		if (ld != NULL && jsonld_values(ld, &p, check_value, &count) != 0)
			abort();
		count = 0;
		if (doc != NULL && microdata_values(doc, &p, NULL, check_value, &count) != 0)
			abort();
		sd_path_free(&p);
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static int ready;
	struct jsonld *ld;
	struct buf html;
	char msg[300];
	xmlDocPtr doc;
	int rc;

	if (!ready) {
		ex_init();
		ready = 1;
	}
	if ((ld = jsonld_new()) == NULL)
		return 0;
	rc = jsonld_add_text(ld, (const char *)data, size, msg, sizeof msg);
	if (rc == -1 && (msg[0] == '\0' || jsonld_count(ld) != 0))
		abort(); /* a script that fails keeps nothing and says why */
	if (jsonld_count(ld) > JSONLD_MAX_OBJECTS)
		abort();
	walk_all(NULL, ld);
	jsonld_free(ld);

	/* The same bytes in a page: as a script, and as markup around items. */
	buf_init(&html, size * 2 + 1024);
	buf_puts(&html, "<html><head><script type=\"application/ld+json\">");
	buf_append(&html, data, size);
	buf_puts(&html, "</script></head><body><div itemscope itemtype=\"x/Product\">");
	buf_append(&html, data, size);
	buf_puts(&html, "</div></body></html>");
	doc = htmlReadMemory(html.data, (int)html.len, "http://fuzz.test/", "UTF-8",
			     HTML_PARSE_RECOVER | HTML_PARSE_NOERROR | HTML_PARSE_NOWARNING |
				     HTML_PARSE_NONET);
	if (doc != NULL) {
		ld = jsonld_new();
		if (ld != NULL && jsonld_add_doc(ld, doc, problem, NULL) < -1)
			abort();
		walk_all(doc, ld);
		jsonld_free(ld);
		xmlFreeDoc(doc);
	}
	buf_free(&html);
	return 0;
}
