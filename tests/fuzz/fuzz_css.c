/*
 * fuzz_css.c: libFuzzer target for the CSS selector compiler (extractors/css.c).
 *
 * The input is a selector.  When it compiles, the XPath must compile with libxml2 and
 * evaluate without error against a small page, from the document and from every
 * element (so that a name test XPath rejects only at run time is caught too), and
 * when the selector has a plan for matching without XPath (cssmatch.h), the plan must
 * select the very nodes the XPath selects, in the same order, from each of those; when
 * it does not compile, the error must name a position inside the selector and say
 * something.  Any other outcome aborts.  Seed corpus: tests/fuzz/css.in/.
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
	"<html><head><base href=/b/><title>T</title></head><body>"
	"<div id=a class='x y' title=\"q'q\"><p>t<b>u</b></p><p lang=en-US>v</p>"
	"<ul><li>1<li class=x>2<li>3</ul><span></span></div><a href=/z>w</a>"
	"<div class=\"x\tz\nx\" id=b><div class=' x '>in<p class=x>p<b class=y>b</b>q</p>r</div>"
	"<p id=a TYPE=Text rel='NEXT up' data-x=''><a href=/1 HREF=/2>1</a><i>i</i></p>"
	"<input disabled type=CHECKBOX><svg:rect class=x></svg:rect><table><tr><td>c</td>"
	"</tr></table><ul><li><ul><li class=y>deep</li></ul></li></ul></div>"
	"<p class=x>a &amp; b<br>after</p><span class='xy yx' id=ab title=Q>s</span>"
	"<div class=x><div class=y><p class='x y'><b>1</b></p></div></div></body></html>";

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

/* Whether a and b hold the same nodes in the same order. */
static int
fuzz_same(xmlXPathObjectPtr a, xmlXPathObjectPtr b)
{
	int na = a->nodesetval != NULL ? a->nodesetval->nodeNr : 0;
	int nb = b->nodesetval != NULL ? b->nodesetval->nodeNr : 0;

	if (na != nb)
		return 0;
	for (int i = 0; i < na; i++)
		if (a->nodesetval->nodeTab[i] != b->nodesetval->nodeTab[i])
			return 0;
	return 1;
}

/* The element after n in document order (n: the document or an element), or NULL. */
static xmlNodePtr
fuzz_next(xmlNodePtr n, xmlNodePtr doc)
{
	do {
		if (n->children != NULL && (n == doc || n->type == XML_ELEMENT_NODE)) {
			n = n->children;
			continue;
		}
		while (n != doc && n->next == NULL)
			n = n->parent;
		if (n == doc)
			return NULL;
		n = n->next;
	} while (n->type != XML_ELEMENT_NODE);
	return n;
}

/* Compile and evaluate xpath from the document and from each element; with plan,
 * evaluate that too and compare. */
static void
fuzz_check_xpath(const char *xpath, const struct css_plan *plan)
{
	htmlDocPtr doc = fuzz_doc();
	xmlXPathContextPtr ctx = xmlXPathNewContext(doc);
	static struct css_index *ix;
	xmlXPathCompExprPtr comp;
	xmlXPathObjectPtr res, mine;
	xmlNodePtr from = (xmlNodePtr)doc;

	if (ctx == NULL || css_xpath_register(ctx) == -1)
		abort();
	if (ix == NULL && (ix = css_index_new(doc)) == NULL)
		abort();
	if ((comp = xmlXPathCtxtCompile(ctx, (const xmlChar *)xpath)) == NULL)
		abort(); /* our output must always be valid XPath */
	while (from != NULL) {
		ctx->node = from;
		res = xmlXPathCompiledEval(comp, ctx);
		if (res == NULL || res->type != XPATH_NODESET)
			abort();
		if (plan != NULL) {
			if ((mine = css_plan_eval(plan, ix, from)) == NULL || !fuzz_same(res, mine))
				abort(); /* the plan must select what the XPath selects */
			xmlXPathFreeObject(mine);
		}
		xmlXPathFreeObject(res);
		from = fuzz_next(from, (xmlNodePtr)doc);
	}
	xmlXPathFreeCompExpr(comp);
	xmlXPathFreeContext(ctx);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct css_plan *plan;
	struct css_error err;
	struct buf xpath;
	char *css;

	if ((css = malloc(size + 1)) == NULL)
		return 0;
	memcpy(css, data, size);
	css[size] = '\0';
	buf_init(&xpath, 1 << 22);
	if (css_compile(css, &xpath, &plan, &err) == 0) {
		if (strncmp(buf_str(&xpath), "descendant-or-self::", 20) != 0)
			abort();
		fuzz_check_xpath(buf_str(&xpath), plan);
		css_plan_free(plan);
	} else if (err.pos > strlen(css) || err.msg[0] == '\0' || xpath.len != 0 ||
		   plan != NULL) {
		abort();
	}
	buf_free(&xpath);
	free(css);
	return 0;
}
