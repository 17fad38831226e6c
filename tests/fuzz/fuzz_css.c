/*
 * fuzz_css.c: libFuzzer target for the CSS selector compiler (extractors/css.c).
 *
 * The input is a selector.  When it compiles, the XPath must compile with libxml2 and
 * evaluate without error against a small page, from the document and from an element
 * (so that a name test XPath rejects only at run time is caught too); when it does
 * not, the error must name a position inside the selector and say something.  Any
 * other outcome aborts.  Seed corpus: tests/fuzz/css.in/.
 */
#include "config.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <libxml/HTMLparser.h>
#include <libxml/xpath.h>

#include "buf.h"
#include "css.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char fuzz_page[] =
	"<html><body><div id=a class='x y' title=\"q'q\"><p>t<b>u</b></p><p lang=en-US>v</p>"
	"<ul><li>1<li>2<li>3</ul><span></span></div><a href=/z>w</a></body></html>";

static void
fuzz_silent(void *ctx, const char *msg, ...)
{
}

static htmlDocPtr
fuzz_doc(void)
{
	static htmlDocPtr doc;

	if (doc == NULL) {
		xmlSetGenericErrorFunc(NULL, fuzz_silent);
		doc = htmlReadMemory(fuzz_page, (int)sizeof fuzz_page - 1, "fuzz.html", "UTF-8",
				     HTML_PARSE_NOERROR | HTML_PARSE_NOWARNING |
					     HTML_PARSE_RECOVER | HTML_PARSE_NONET);
		if (doc == NULL)
			abort();
	}
	return doc;
}

/* Compile and evaluate xpath from the document and from its root element. */
static void
fuzz_check_xpath(const char *xpath)
{
	htmlDocPtr doc = fuzz_doc();
	xmlXPathContextPtr ctx = xmlXPathNewContext(doc);
	xmlXPathCompExprPtr comp;
	xmlXPathObjectPtr res;

	if (ctx == NULL || css_xpath_register(ctx) == -1)
		abort();
	if ((comp = xmlXPathCtxtCompile(ctx, (const xmlChar *)xpath)) == NULL)
		abort(); /* our output must always be valid XPath */
	for (int from = 0; from < 2; from++) {
		ctx->node = from == 0 ? (xmlNodePtr)doc : xmlDocGetRootElement(doc);
		res = xmlXPathCompiledEval(comp, ctx);
		if (res == NULL || res->type != XPATH_NODESET)
			abort();
		xmlXPathFreeObject(res);
	}
	xmlXPathFreeCompExpr(comp);
	xmlXPathFreeContext(ctx);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct css_error err;
	struct buf xpath;
	char *css;

	if ((css = malloc(size + 1)) == NULL)
		return 0;
	memcpy(css, data, size);
	css[size] = '\0';
	buf_init(&xpath, 1 << 22);
	if (css_to_xpath(css, &xpath, &err) == 0) {
		if (strncmp(buf_str(&xpath), "descendant-or-self::", 20) != 0)
			abort();
		fuzz_check_xpath(buf_str(&xpath));
	} else if (err.pos > strlen(css) || err.msg[0] == '\0' || xpath.len != 0) {
		abort();
	}
	buf_free(&xpath);
	free(css);
	return 0;
}
