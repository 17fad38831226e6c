/*
 * fuzz_rules.c: arbitrary bytes as a rule file.  Loading must never crash, leak or
 * hang, whatever the YAML; every diagnostic must name a position inside the text; a
 * file that loads must be usable (its site matching and extraction run on a page).
 */
#include "config.h"

#include <libxml/HTMLparser.h>
#include <stdint.h>
#include <stdlib.h>

#include "extract.h"
#include "rules/rules.h"

static int
sink_item(void *ctx, const char *type, unsigned idx, const char *json, size_t len)
{
	(void)ctx, (void)type, (void)idx, (void)json, (void)len;
	return 0;
}

static int
sink_link(void *ctx, const char *url)
{
	(void)ctx, (void)url;
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char page[] =
	    "<html><head><title>t</title></head><body><div class=q><a href=/x>x</a>"
	    "<span>1,299.00</span></div></body></html>";
	static int ready;
	struct ex_sink sink = { NULL, sink_item, sink_link, NULL };
	struct diags d = { 0 };
	struct site_rules *r;
	struct ex_stats stats;
	size_t lines = 1;

	if (!ready) {
		ex_init();
		ready = 1;
	}
	/* An upper bound on YAML's line count: it breaks lines at LF, CR, and the
	 * Unicode NEL, LS and PS (whose UTF-8 forms end in 0x85, 0xA8, 0xA9). */
	for (size_t i = 0; i < size; i++)
		lines += data[i] == '\n' || data[i] == '\r' || data[i] == 0x85 ||
			 data[i] == 0xa8 || data[i] == 0xa9;
	r = rules_load_mem("fuzz.yaml", (const char *)data, size, &d);
	for (size_t i = 0; i < d.n; i++) {
		if (d.v[i].msg == NULL || d.v[i].line < 0 || (size_t)d.v[i].line > lines + 1)
			abort();
	}
	if (r != NULL) {
		xmlDocPtr doc = htmlReadMemory(page, sizeof page - 1, "http://x.example/",
					       "UTF-8", HTML_PARSE_RECOVER | HTML_PARSE_NOERROR |
					       HTML_PARSE_NOWARNING | HTML_PARSE_NONET);
		if (doc != NULL) {
			ex_apply(r->ex, doc, NULL, "http://x.example/a/b.html", &sink, &stats, NULL);
			xmlFreeDoc(doc);
		}
		rules_free(r);
	}
	diags_free(&d);
	return 0;
}
