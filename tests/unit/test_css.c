/*
 * test_css.c: the CSS selector compiler (extractors/css.c).
 *
 * Selectors are compiled, the XPath evaluated with libxml2 against the fixture page
 * below (parsed as HTML, as the worker parses pages), and the matched nodes compared,
 * in document order: an element by its id (<name> when it has none), a text node as
 * 'its text', an attribute as @name=value.  So the tests say what a selector selects,
 * not what XPath spells it.  Every selector that has a plan for matching without XPath
 * (cssmatch.h) is matched that way too, and must select the same nodes in the same
 * order; test_plans says which selectors have one.  Then malformed selectors, with the
 * position and message of their error, and the limits.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <libxml/HTMLparser.h>
#include <libxml/xpath.h>

#include "buf.h"
#include "css.h"
#include "unit.h"

static const char page[] =
	"<!DOCTYPE html>\n"
	"<html><head><title>T</title></head><body>\n"
	"<div id=\"main\" class=\"content  main\" lang=\"en-US\" data-x=\"a'b&quot;c\">\n"
	"<p id=\"p1\" class=\"intro lead\">Hello <b id=\"b1\">bold</b> world</p>\n"
	"<p id=\"p2\" class=\"lead\" title=\"Second\">Second</p>\n"
	"<a id=\"a1\" href=\"/one\" rel=\"next nofollow\" title=\"Go\">One</a>\n"
	"<a id=\"a2\" href=\"http://example.com/two.html\" hreflang=\"en\">Two</a>\n"
	"<a id=\"a3\" hreflang=\"en-GB\" title=\"\">Three</a>\n"
	"<span id=\"s1\"></span><span id=\"s2\"> </span><span id=\"s3\"><!-- c --></span>\n"
	"<em id=\"e1\"><i id=\"i1\"></i></em>\n"
	"</div>\n"
	"<ul id=\"list\"><li id=\"l1\">1</li><li id=\"l2\">2</li><li id=\"l3\">3</li>"
	"<li id=\"l4\">4</li><li id=\"l5\">5</li><li id=\"l6\">6</li><li id=\"l7\">7</li>"
	"<li id=\"l8\">8</li><li id=\"l9\">9</li><li id=\"l10\">10</li></ul>\n"
	"<div id=\"mixed\"><h2 id=\"h1\">A</h2><p id=\"m1\">x</p><p id=\"m2\">y</p>"
	"<h2 id=\"h2\">B</h2><p id=\"m3\">z</p><span id=\"m4\">s</span></div>\n"
	"<DIV ID=\"esc\"><span id=\"123\">digits</span><span id=\"foo:bar\">colon</span>"
	"<span id=\"a.b\" class=\"x.y caf\xc3\xa9\">dot</span>"
	"<my-widget id=\"w1\" data-Name=\"\xe6\x97\xa5\xe6\x9c\xac\">w</my-widget></DIV>\n"
	"<section id=\"sec\"><article id=\"art1\"><p id=\"ap1\">in article</p></article>"
	"<article id=\"art2\"><div id=\"d2\"><p id=\"ap2\">deep</p></div></article></section>\n"
	"</body></html>\n";

#define ALL_LI "l1 l2 l3 l4 l5 l6 l7 l8 l9 l10"
#define ODD_LI "l1 l3 l5 l7 l9"
#define EVEN_LI "l2 l4 l6 l8 l10"

static int
setup(void **state)
{
	htmlDocPtr doc = htmlReadMemory(page, (int)sizeof page - 1, "page.html", "UTF-8",
					HTML_PARSE_NOERROR | HTML_PARSE_NOWARNING |
						HTML_PARSE_RECOVER | HTML_PARSE_NONET);

	*state = doc;
	return doc == NULL ? -1 : 0;
}

static int
teardown(void **state)
{
	xmlFreeDoc(*state);
	xmlCleanupParser();
	return 0;
}

/* Append a word for node n to b. */
static void
describe(struct buf *b, xmlNodePtr n)
{
	xmlChar *s;

	if (b->len > 0)
		buf_putc(b, ' ');
	switch (n->type) {
	case XML_ELEMENT_NODE:
		if ((s = xmlGetProp(n, (const xmlChar *)"id")) != NULL)
			buf_puts(b, (const char *)s);
		else
			buf_printf(b, "<%s>", (const char *)n->name);
		xmlFree(s);
		break;
	case XML_TEXT_NODE:
		buf_printf(b, "'%s'", (const char *)n->content);
		break;
	case XML_ATTRIBUTE_NODE:
		s = xmlNodeGetContent(n);
		buf_printf(b, "@%s=%s", (const char *)n->name, (const char *)s);
		xmlFree(s);
		break;
	default:
		buf_puts(b, "?");
	}
}

/* Selectors matched by their plan in check_from (test_plans asserts it counts). */
static int plans_checked;

/* Evaluate xpath (and plan, when not NULL) from the node with id ctx_id (NULL: the
 * document); the matches in words. */
static char *
evaluate(xmlDocPtr doc, const char *xpath, const struct css_plan *plan, const char *ctx_id)
{
	xmlXPathContextPtr ctx = xmlXPathNewContext(doc);
	xmlXPathObjectPtr res, mine;
	struct css_index *ix;
	struct buf b;
	char find[128];

	assert_non_null(ctx);
	assert_int_equal(css_xpath_register(ctx), 0);
	ctx->node = (xmlNodePtr)doc;
	if (ctx_id != NULL) {
		snprintf(find, sizeof find, "//*[@id = '%s']", ctx_id);
		res = xmlXPathEvalExpression((const xmlChar *)find, ctx);
		assert_non_null(res);
		assert_int_equal(xmlXPathNodeSetGetLength(res->nodesetval), 1);
		ctx->node = res->nodesetval->nodeTab[0];
		xmlXPathFreeObject(res);
	}
	res = xmlXPathEvalExpression((const xmlChar *)xpath, ctx);
	if (res == NULL || res->type != XPATH_NODESET)
		fail_msg("XPath %s does not evaluate to a node-set", xpath);
	if (plan != NULL) {
		assert_non_null(ix = css_index_new(doc));
		assert_non_null(mine = css_plan_eval(plan, ix, ctx->node));
		assert_int_equal(xmlXPathNodeSetGetLength(mine->nodesetval),
				 xmlXPathNodeSetGetLength(res->nodesetval));
		for (int i = 0; i < xmlXPathNodeSetGetLength(res->nodesetval); i++)
			if (mine->nodesetval->nodeTab[i] != res->nodesetval->nodeTab[i])
				fail_msg("the plan for %s selects another node at %d", xpath, i);
		xmlXPathFreeObject(mine);
		css_index_free(ix);
		plans_checked++;
	}
	buf_init(&b, 1 << 16);
	for (int i = 0; i < xmlXPathNodeSetGetLength(res->nodesetval); i++)
		describe(&b, res->nodesetval->nodeTab[i]);
	xmlXPathFreeObject(res);
	xmlXPathFreeContext(ctx);
	return buf_steal(&b);
}

/* Assert that css, applied to the node with id ctx_id (NULL: the document), selects want. */
static void
check_from(xmlDocPtr doc, const char *ctx_id, const char *css, const char *want)
{
	struct css_plan *plan;
	struct css_error err;
	struct buf xpath;
	char *got;

	buf_init(&xpath, 1 << 20);
	if (css_compile(css, &xpath, &plan, &err) != 0)
		fail_msg("\"%s\" does not compile: %s at %zu", css, err.msg, err.pos);
	got = evaluate(doc, buf_str(&xpath), plan, ctx_id);
	if (strcmp(got, want) != 0)
		fail_msg("\"%s\" from %s selects [%s], not [%s]; XPath: %s", css,
			 ctx_id ? ctx_id : "the document", got, want, buf_str(&xpath));
	free(got);
	css_plan_free(plan);
	buf_free(&xpath);
}

static void
check(xmlDocPtr doc, const char *css, const char *want)
{
	check_from(doc, NULL, css, want);
}

/* Assert that css is rejected at pos with a message containing msg. */
static void
check_error(const char *css, size_t pos, const char *msg)
{
	struct css_error err;
	struct buf xpath;

	buf_init(&xpath, 1 << 20);
	if (css_to_xpath(css, &xpath, &err) == 0)
		fail_msg("\"%s\" compiles (to %s) but is malformed", css, buf_str(&xpath));
	if (err.pos != pos || strstr(err.msg, msg) == NULL)
		fail_msg("\"%s\": error \"%s\" at %zu, not \"%s\" at %zu", css, err.msg, err.pos,
			 msg, pos);
	assert_int_equal(xpath.len, 0);
	buf_free(&xpath);
}

/* Assert that css compiles to exactly want. */
static void
check_xpath(const char *css, const char *want)
{
	struct css_error err;
	struct buf xpath;

	buf_init(&xpath, 1 << 20);
	if (css_to_xpath(css, &xpath, &err) != 0)
		fail_msg("\"%s\" does not compile: %s at %zu", css, err.msg, err.pos);
	assert_string_equal(buf_str(&xpath), want);
	buf_free(&xpath);
}

static void
test_type_and_universal(void **state)
{
	check(*state, "p", "p1 p2 m1 m2 m3 ap1 ap2");
	check(*state, "P", "p1 p2 m1 m2 m3 ap1 ap2");
	check(*state, "DIV", "main mixed esc d2");
	check(*state, "my-widget", "w1");
	check(*state, "html", "<html>");
	check(*state, "nosuchelement", "");
	check_from(*state, "e1", "*", "e1 i1");
	check_from(*state, "e1", "  *  ", "e1 i1");
}

static void
test_id_and_class(void **state)
{
	check(*state, "#p1", "p1");
	check(*state, "p#p1", "p1");
	check(*state, "a#p1", "");
	check(*state, "#P1", ""); /* ids are case-sensitive */
	check(*state, ".lead", "p1 p2");
	check(*state, ".intro.lead", "p1");
	check(*state, ".lead.intro", "p1");
	check(*state, "p.lead", "p1 p2");
	check(*state, ".content", "main"); /* class="content  main": two spaces */
	check(*state, ".main", "main");
	check(*state, ".LEAD", ""); /* classes are case-sensitive */
	check(*state, ".lea", "");
	check(*state, ".nope", "");
	check(*state, "div.main#main", "main");
	check(*state, "#p1#p1", "p1");
	check(*state, "#p1#p2", "");
}

static void
test_attribute_presence_and_equality(void **state)
{
	check(*state, "[href]", "a1 a2");
	check(*state, "[title]", "p2 a1 a3");
	check(*state, "[TITLE]", "p2 a1 a3");
	check(*state, "[ title ]", "p2 a1 a3");
	check(*state, "a[title]", "a1 a3");
	check(*state, "[data-name]", "w1"); /* written data-Name */
	check(*state, "[DATA-NAME]", "w1");
	check(*state, "[hreflang=en]", "a2");
	check(*state, "[hreflang=\"en\"]", "a2");
	check(*state, "[hreflang='en']", "a2");
	check(*state, "[ hreflang = en ]", "a2");
	check(*state, "[title=\"\"]", "a3");
	check(*state, "[title='']", "a3");
	check(*state, "[title=Go]", "a1");
	check(*state, "[title=go]", ""); /* values are case-sensitive */
	check(*state, "[id=\"foo:bar\"]", "foo:bar");
}

static void
test_attribute_word_and_dash(void **state)
{
	check(*state, "[rel~=nofollow]", "a1");
	check(*state, "[rel~=next]", "a1");
	check(*state, "[rel~=\"next nofollow\"]", ""); /* a word has no white space */
	check(*state, "[rel~=\"\"]", "");
	check(*state, "[rel~=nof]", "");
	check(*state, "[class~=content]", "main");
	check(*state, "[hreflang|=en]", "a2 a3");
	check(*state, "[lang|=en]", "main");
	check(*state, "[lang|=\"en-US\"]", "main");
	check(*state, "[lang|=US]", "");
	check(*state, "[lang|=e]", "");
	check(*state, "[title|=\"\"]", "a3");
}

static void
test_attribute_substrings(void **state)
{
	check(*state, "[href^=\"/\"]", "a1");
	check(*state, "[href^=http]", "a2");
	check(*state, "[href^=\"\"]", "");
	check(*state, "[title^=\"\"]", ""); /* even on an empty value */
	check(*state, "[href$=\".html\"]", "a2");
	check(*state, "[href$=one]", "a1");
	check(*state, "[href$=\"/one\"]", "a1");
	check(*state, "[href$=\"x/one\"]", ""); /* longer than the value */
	check(*state, "[href$=\"\"]", "");
	check(*state, "[href*=example]", "a2");
	check(*state, "[href*=\"o\"]", "a1 a2");
	check(*state, "[href*=\"\"]", "");
	/* Characters, not bytes: the value is two three-byte characters. */
	check(*state, "[data-name=\"\xe6\x97\xa5\xe6\x9c\xac\"]", "w1");
	check(*state, "[data-name$=\"\xe6\x9c\xac\"]", "w1");
	check(*state, "[data-name^=\"\xe6\x97\xa5\"]", "w1");
	check(*state, "[data-name$=\"\xe6\x97\xa5\"]", "");
}

static void
test_attribute_quotes_and_flags(void **state)
{
	/* data-x is a'b"c: both quote characters, so the XPath needs concat(). */
	check(*state, "[data-x=\"a'b\\\"c\"]", "main");
	check(*state, "[data-x='a\\'b\"c']", "main");
	check(*state, "[data-x*=\"'b\\\"\"]", "main");
	check(*state, "[data-x^=\"a'\"]", "main");
	check(*state, "[data-x$='\"c']", "main");
	check(*state, "[data-x~=\"a'b\\\"c\"]", "main");
	check(*state, "[data-x=\"'\"]", "");
	check_xpath("[a=\"x\\\"y'z\"]",
		    "descendant-or-self::*[@a = concat('x\"y', \"'\", 'z')]");
	check_xpath("[a=\"''\\\"\"]", "descendant-or-self::*[@a = concat(\"''\", '\"')]");
	/* The level 4 flags: i compares ASCII case-insensitively. */
	check(*state, "[title=go i]", "a1");
	check(*state, "[title=\"GO\" I]", "a1");
	check(*state, "[title=\"GO\"i]", "a1");
	check(*state, "[title=\"\" i]", "a3"); /* only where there is a title */
	check(*state, "[title^=s i]", "p2");
	check(*state, "[title$=OND i]", "p2");
	check(*state, "[title*=eco i]", "p2");
	check(*state, "[rel~=NEXT i]", "a1");
	check(*state, "[hreflang|=EN i]", "a2 a3");
	check(*state, "[title=go s]", "");
}

static void
test_combinators(void **state)
{
	check(*state, "#main > p", "p1 p2");
	check(*state, "#main>p", "p1 p2");
	check(*state, "div p", "p1 p2 m1 m2 m3 ap2");
	check(*state, "div\t\n p", "p1 p2 m1 m2 m3 ap2");
	check(*state, "#main b", "b1");
	check(*state, "#main > b", "");
	check(*state, "body > * > p", "p1 p2 m1 m2 m3");
	check(*state, "#p1 + p", "p2");
	check(*state, "#p1+p", "p2");
	check(*state, "#p2 + p", ""); /* the next element is an a */
	check(*state, "#p2 + a + a", "a2");
	check(*state, "#p1 ~ a", "a1 a2 a3");
	check(*state, "#p1~a", "a1 a2 a3");
	check(*state, "#a2 ~ a", "a3");
	check(*state, "h2 + p", "m1 m3");
	check(*state, "h2 ~ p", "m1 m2 m3");
	check(*state, "h2 ~ h2", "h2");
	check(*state, "#h1 ~ *", "m1 m2 h2 m3 m4");
	check(*state, "#h1 + *", "m1");
	check(*state, "p + h2 + p ~ span", "m4");
	check(*state, "section article > p", "ap1");
	check(*state, "section > article p", "ap1 ap2");
	check(*state, "ul li", ALL_LI);
	check(*state, "body ul > li + li + li", "l3 l4 l5 l6 l7 l8 l9 l10");
}

static void
test_groups(void **state)
{
	check(*state, "#p2, #p1", "p1 p2"); /* document order */
	check(*state, "#p2,#p1", "p1 p2");
	check(*state, ".lead, .intro", "p1 p2"); /* p1 once */
	check(*state, "p.lead, #p1, .intro", "p1 p2");
	check(*state, "#l3, #b1, h2", "b1 l3 h1 h2");
	check(*state, "a::attr(href), #a3", "@href=/one @href=http://example.com/two.html a3");
	check(*state, "#b1::text, #p2::text", "'bold' 'Second'");
	check_xpath("a, b", "descendant-or-self::a | descendant-or-self::b");
}

static void
test_context_node(void **state)
{
	check_from(*state, "sec", "p", "ap1 ap2");
	check_from(*state, "sec", "article > p", "ap1");
	check_from(*state, "sec", "section p", "ap1 ap2"); /* the context node itself too */
	check_from(*state, "sec", "div p", "ap2");	   /* not the divs outside */
	check_from(*state, "sec", "*", "sec art1 ap1 art2 d2 ap2");
	check_from(*state, "sec", ":first-child", "art1 ap1 d2 ap2");
	check_from(*state, "sec", "#p1", "");
	check_from(*state, "l3", "li", "l3");
	check_from(*state, "l3", "li + li", "l4");
	check_from(*state, "l3", "::text", "'3'");
	check_from(*state, "main", ":only-child", "b1 i1");
	check_from(*state, "p1", "p, b", "p1 b1");
}

static void
test_text(void **state)
{
	check(*state, "#p1::text", "'Hello ' ' world'");
	check(*state, "#p1 ::text", "'Hello ' 'bold' ' world'"); /* as Scrapy: all inside */
	check(*state, "#p1 *::text", "'Hello ' 'bold' ' world'");
	check(*state, "#p1 > *::text", "'bold'");
	check(*state, "#p1 > ::text", "'bold'");
	check(*state, "#p1 b::text", "'bold'");
	check(*state, "#e1::text", ""); /* only an element inside */
	check(*state, "#e1 ::text", "");
	check(*state, "#s1::text", "");
	check(*state, "#p2::TEXT", "'Second'");
	check(*state, "li:nth-child(3)::text", "'3'");
	check(*state, "#mixed > p::text", "'x' 'y' 'z'");
	check(*state, "h2 + p::text", "'x' 'z'");
	check(*state, "#sec ::text", "'in article' 'deep'");
	check_from(*state, "ap2", "::text", "'deep'");
	check_from(*state, "ap2", "*::text", "'deep'");
}

static void
test_attr(void **state)
{
	const char *hrefs = "@href=/one @href=http://example.com/two.html";

	check(*state, "a::attr(href)", hrefs);
	check(*state, "a::attr(HREF)", hrefs);
	check(*state, "a::attr( href )", hrefs);
	check(*state, "a::attr(\"href\")", hrefs);
	check(*state, "a::ATTR(href)", hrefs);
	check(*state, "#main ::attr(href)", hrefs);
	check(*state, "#a3::attr(href)", "");
	check(*state, "#a3::attr(title)", "@title=");
	check(*state, "#sec ::attr(id)", "@id=sec @id=art1 @id=ap1 @id=art2 @id=d2 @id=ap2");
	check(*state, "#sec > ::attr(id)", "@id=art1 @id=art2");
	check(*state, "#sec > *::attr(id)", "@id=art1 @id=art2");
	check_from(*state, "art2", "::attr(id)", "@id=art2 @id=d2 @id=ap2");
	check(*state, "[data-name]::attr(data-name)", "@data-name=\xe6\x97\xa5\xe6\x9c\xac");
	check(*state, "#foo\\:bar::attr(id)", "@id=foo:bar");
	check(*state, "#a1::attr(rel), #a1::attr(title)", "@rel=next nofollow @title=Go");
}

/* #list > li:nth-child(arg) */
static void
check_nth(xmlDocPtr doc, const char *pseudo, const char *arg, const char *want)
{
	char css[128];

	snprintf(css, sizeof css, "#list > li:%s(%s)", pseudo, arg);
	check(doc, css, want);
}

static void
test_nth_child(void **state)
{
	check_nth(*state, "nth-child", "odd", ODD_LI);
	check_nth(*state, "nth-child", "even", EVEN_LI);
	check_nth(*state, "nth-child", "ODD", ODD_LI);
	check_nth(*state, "nth-child", "Even", EVEN_LI);
	check_nth(*state, "nth-child", "3", "l3");
	check_nth(*state, "nth-child", "1", "l1");
	check_nth(*state, "nth-child", "+5", "l5");
	check_nth(*state, "nth-child", "0", "");
	check_nth(*state, "nth-child", "-1", "");
	check_nth(*state, "nth-child", "11", "");
	check_nth(*state, "nth-child", "-n+3", "l1 l2 l3");
	check_nth(*state, "nth-child", "2n", EVEN_LI);
	check_nth(*state, "nth-child", "2n+0", EVEN_LI);
	check_nth(*state, "nth-child", "2n+1", ODD_LI);
	check_nth(*state, "nth-child", "2n-1", ODD_LI);
	check_nth(*state, "nth-child", "2n+3", "l3 l5 l7 l9");
	check_nth(*state, "nth-child", "-2n+7", "l1 l3 l5 l7");
	check_nth(*state, "nth-child", "n", ALL_LI);
	check_nth(*state, "nth-child", "+n", ALL_LI);
	check_nth(*state, "nth-child", "-n", "");
	check_nth(*state, "nth-child", "N", ALL_LI);
	check_nth(*state, "nth-child", "n+4", "l4 l5 l6 l7 l8 l9 l10");
	check_nth(*state, "nth-child", "n-1", ALL_LI);
	check_nth(*state, "nth-child", " 2n + 1 ", ODD_LI);
	check_nth(*state, "nth-child", "2n- 1", ODD_LI);
	check_nth(*state, "nth-child", "2n -1", ODD_LI);
	check_nth(*state, "nth-child", "2n+ 1", ODD_LI);
	check_nth(*state, "nth-child", "0n+0", "");
	check_nth(*state, "nth-child", "0n+2", "l2");
	check_nth(*state, "nth-child", "-0n+2", "l2");
	check_nth(*state, "nth-child", "3n+5", "l5 l8");
	check_nth(*state, "nth-child", "3n-2", "l1 l4 l7 l10");
	check_nth(*state, "nth-child", "-3n+10", "l1 l4 l7 l10");
	check_nth(*state, "nth-child", "4N+1", "l1 l5 l9");
	check_nth(*state, "nth-child", "10n", "l10");
	check_nth(*state, "nth-child", "-n+0", "");
	check_nth(*state, "nth-child", "-5n-5", "");
	check_nth(*state, "nth-child", "1000000000n", "");
	check_nth(*state, "nth-child", "1000000000n+2", "l2");
	check_nth(*state, "nth-child", "/* c */ 2n /* d */ + 1", ODD_LI);
}

static void
test_nth_last_and_of_type(void **state)
{
	check_nth(*state, "nth-last-child", "1", "l10");
	check_nth(*state, "nth-last-child", "-n+3", "l8 l9 l10");
	check_nth(*state, "nth-last-child", "odd", EVEN_LI);
	check_nth(*state, "nth-last-child", "2n+1", EVEN_LI);
	check_nth(*state, "nth-last-child", "3n", "l2 l5 l8");
	check_nth(*state, "nth-of-type", "2n", EVEN_LI);
	check_nth(*state, "nth-last-of-type", "n+9", "l1 l2");
	check(*state, "#mixed > p:nth-of-type(2)", "m2");
	check(*state, "#mixed > p:nth-of-type(odd)", "m1 m3");
	check(*state, "#mixed > p:nth-last-of-type(1)", "m3");
	check(*state, "#mixed > h2:nth-last-of-type(2)", "h1");
	check(*state, "#mixed > :nth-child(2)", "m1");
	check(*state, "#mixed > p:nth-child(2)", "m1");
	check(*state, "#mixed > p:nth-child(3)", "m2");
	check(*state, "#mixed > *:nth-last-child(2)", "m3");
	check(*state, "#mixed > h2:first-of-type", "h1");
	check(*state, "#mixed > h2:last-of-type", "h2");
	check(*state, "#mixed > p:last-of-type", "m3");
	check(*state, "#mixed > span:only-of-type", "m4");
	check(*state, "#mixed > p:only-of-type", "");
	check(*state, "#mixed > p:first-child", "");
	check(*state, "#mixed > :last-child", "m4");
	check(*state, "\\31 23:first-of-type", ""); /* a type XPath cannot spell */
	check(*state, "span:first-of-type", "s1 m4 123");
}

static void
test_structural(void **state)
{
	check(*state, "#list > li:first-child", "l1");
	check(*state, "li:last-child", "l10");
	check(*state, "li:First-Child", "l1");
	check(*state, "li:FIRST-CHILD:LAST-CHILD", "");
	check(*state, "#e1 > :only-child", "i1");
	check(*state, "#main > :only-child", "");
	check(*state, "#main > :first-child", "p1");
	check(*state, "#main > :last-child", "e1");
	check(*state, "#main span:empty", "s1 s3"); /* a space is content, a comment not */
	check(*state, "#main :empty", "s1 s3 i1");
	check(*state, ":root", "<html>");
	check(*state, "body:root", "");
	check(*state, "li:only-of-type", "");
	check(*state, "ul:only-of-type", "list");
}

static void
test_not(void **state)
{
	check(*state, "#list > li:not(:nth-child(odd))", EVEN_LI);
	check(*state, "#main > p:not(.intro)", "p2");
	check(*state, "a:not([href])", "a3");
	check(*state, "a:not([hreflang|=en])", "a1");
	check(*state, "#main > :not(p, a, span)", "e1");
	check(*state, "#main > :not( p , a , span )", "e1");
	check(*state, "#main > :not(*)", "");
	check(*state, "#main > :not(p.intro)", "p2 a1 a2 a3 s1 s2 s3 e1");
	check(*state, "#main > *:not(#p1):not(a)", "p2 s1 s2 s3 e1");
	check(*state, "p:not(:not(.lead))", "p1 p2");
	check(*state, "#mixed > :not(:not(:not(p)))", "h1 h2 m4");
	check(*state, "li:not(:first-of-type):not(:last-of-type)", "l2 l3 l4 l5 l6 l7 l8 l9");
	check(*state, "#mixed > p:not(:nth-of-type(2))", "m1 m3"); /* p, from outside */
	check(*state, "#mixed > p:not(h2:first-of-type)", "m1 m2 m3");
	check(*state, "#list > :not(li:nth-child(-n+8))", "l9 l10");
	check(*state, "#main > :NOT(:empty)", "p1 p2 a1 a2 a3 s2 e1");
	check(*state, "#list > li:not(:nth-child(n+2)):not([id=l2])", "l1");
}

static void
test_escapes_and_comments(void **state)
{
	check(*state, "#\\31 23", "123");
	check(*state, "span#\\31 23", "123");
	check(*state, "#\\00031 23", "123");
	check(*state, "[id=\"\\31 23\"]", "123");
	check(*state, "#foo\\:bar", "foo:bar");
	check(*state, "#foo\\3A bar", "foo:bar");
	check(*state, ".x\\.y", "a.b");
	check(*state, "#a\\.b", "a.b");
	check(*state, "\\73 pan#m4", "m4");
	check(*state, "sp\\61n#m4", "m4");
	check(*state, "sp\\41 N#m4", "m4"); /* an escaped letter is still case-folded */
	check(*state, "#\\70 1", "p1");
	check(*state, "#p\\31", "p1");
	check(*state, "[href=\"\\2f one\"]", "a1");
	check(*state, "[href='\\2F one']", "a1");
	check(*state, "[title=\"G\\o\"]", "a1");
	check(*state, "[title=\"G\\\no\"]", "a1"); /* an escaped newline continues */
	check(*state, "[title=G\\o]", "a1");
	check(*state, ".caf\\e9", "a.b");
	check(*state, ".caf\xc3\xa9", "a.b");
	check(*state, ".x\\ y", "");
	check(*state, "p/* c */.lead", "p1 p2");
	check(*state, "#list /* x */ > li:first-child", "l1");
	check(*state, "/* a */ #p1 /* b */", "p1");
	check(*state, "#p1/**/,/**/#p2", "p1 p2");
}

/* A second page for form controls, languages and :has(). */
static const char forms[] =
	"<!DOCTYPE html>\n"
	"<html lang=\"en\"><body>\n"
	"<form id=\"f\">"
	"<input id=\"c1\" type=\"checkbox\" checked><input id=\"c2\" type=\"CHECKBOX\">"
	"<input id=\"r1\" type=\"radio\" checked disabled><input id=\"t1\" type=\"text\" checked>"
	"<select id=\"s1\"><option id=\"o1\">a<option id=\"o2\" selected>b"
	"<option id=\"o3\" selected>c</select>"
	"<select id=\"s2\"><option id=\"o4\" disabled>a<optgroup id=\"g1\"><option id=\"o5\">b"
	"</optgroup></select>"
	"<select id=\"s3\" multiple><option id=\"o6\" selected>a<option id=\"o7\" selected>b"
	"</select>"
	"<fieldset id=\"fs\" disabled><legend id=\"lg\"><input id=\"i1\"></legend>"
	"<input id=\"i2\"><button id=\"b1\">x</button></fieldset>"
	"<textarea id=\"ta\" disabled></textarea></form>\n"
	"<div id=\"fr\" lang=\"FR-ca\"><p id=\"pf\">bonjour</p><p id=\"pd\" lang=\"de\">hallo</p>"
	"<p id=\"pe\" lang=\"\">?</p></div>\n"
	"<nav id=\"n\"><a id=\"k1\" href=\"/\">home</a><a id=\"k2\">none</a>"
	"<area id=\"k3\" href=\"/x\"></nav>\n"
	"<div id=\"h\"><section id=\"x1\"><h2 id=\"hh\">t</h2><p id=\"xp\">p</p></section>"
	"<section id=\"x2\"><div id=\"x2d\"><p id=\"x2p\">q</p></div></section>"
	"<section id=\"x3\"><img id=\"im\"></section><p id=\"after\">z</p></div>\n"
	"<ol id=\"ol\"><li id=\"v1\" class=\"a\">1<li id=\"v2\">2<li id=\"v3\" class=\"a\">3"
	"<li id=\"v4\" class=\"a\">4<li id=\"v5\">5<li id=\"v6\" class=\"a\">6</ol>\n"
	"<div id=\"ty\"><b id=\"y1\"></b><i id=\"y2\"></i><b id=\"y3\"></b><u id=\"y4\"></u></div>\n"
	"</body></html>\n";

static void
with_forms(void (*fn)(xmlDocPtr))
{
	htmlDocPtr doc = htmlReadMemory(forms, (int)sizeof forms - 1, "forms.html", "UTF-8",
					HTML_PARSE_NOERROR | HTML_PARSE_NOWARNING |
						HTML_PARSE_RECOVER | HTML_PARSE_NONET);

	assert_non_null(doc);
	fn(doc);
	xmlFreeDoc(doc);
}

static void
forms_ui(xmlDocPtr d)
{
	/* A single select checks its last selected option, else its first enabled one. */
	check(d, ":checked", "c1 r1 o3 o5 o6 o7");
	check(d, "input:checked", "c1 r1");
	check(d, "option:checked", "o3 o5 o6 o7");
	check(d, ":disabled", "r1 o4 fs i2 b1 ta");
	check(d, "input:enabled", "c1 c2 t1 i1");
	check(d, "optgroup:enabled, select:enabled", "s1 s2 g1 s3");
	check(d, "[type=checkbox]", "c1 c2"); /* type compares case-insensitively in HTML */
	check(d, "[type=checkbox s]", "c1");
	check(d, "[type=CHECKBOX i]", "c1 c2");
	check(d, "[id=C1]", "");
	check(d, "[id=C1 i]", "c1");
}

static void
forms_lang_links(xmlDocPtr d)
{
	check(d, "p:lang(fr)", "pf");
	check(d, "p:lang(FR-CA)", "pf");
	check(d, "p:lang(\"fr-ca\")", "pf");
	check(d, "p:lang(fr-c)", "");
	check(d, "p:lang(de, en)", "pd xp x2p after");
	check(d, "#fr p:lang(en)", "");
	check(d, ":lang(en) > form", "f");
	check(d, ":link", "k1 k3");
	check(d, "nav :any-link", "k1 k3");
	check(d, "a:not(:link)", "k2");
}

static void
forms_logical(xmlDocPtr d)
{
	check(d, "section:has(> h2)", "x1");
	check(d, "section:has(p)", "x1 x2");
	check(d, "section:has(> p)", "x1");
	check(d, "section:has(+ p)", "x3");
	check(d, "section:has(~ p)", "x1 x2 x3");
	check(d, "section:has(~ section img)", "x1 x2");
	check(d, "section:has(div > p, img)", "x2 x3");
	check(d, "h2:has(+ p)", "hh");
	check(d, ":is(h2, img)", "hh im");
	check(d, "section :is(div > p, h2 + p)", "xp x2p");
	check(d, ":where(#x1, #x3) > *", "hh xp im");
	check(d, "p:not(section p)", "pf pd pe after");
	check(d, "p:not(#h > *, #fr p)", "xp x2p");
	check(d, "section:not(:has(p))", "x3");
	check(d, "section:is(:has(h2), :has(img))", "x1 x3");
	check(d, "li:nth-child(2 of .a)", "v3");
	check(d, "li:nth-child(odd of .a)", "v1 v4");
	check(d, "li:nth-last-child(1 of .a)", "v6");
	check(d, "li:nth-child(-n+2 of :not(.a))", "v2 v5");
	check(d, ":nth-child(2 of li, b)", "v2 y3");
}

static void
forms_of_type_untyped(xmlDocPtr d)
{
	check(d, "#ty > :first-of-type", "y1 y2 y4");
	check(d, "#ty > :last-of-type", "y2 y3 y4");
	check(d, "#ty > *:only-of-type", "y2 y4");
	check(d, "#ty > :nth-of-type(2)", "y3");
	check(d, "#ty > :nth-last-of-type(2)", "y1");
	check(d, "#ty > .none, #ty > :not(:first-of-type)", "y3");
	check(d, "#ty :is(:nth-of-type(odd))", "y1 y2 y4");
}

static void
forms_namespaces(xmlDocPtr d)
{
	check(d, "*|li.a", "v1 v3 v4 v6");
	check(d, "#ty > *|*", "y1 y2 y3 y4");
	check(d, "|li", ""); /* no namespace: every HTML element is in one */
	check(d, "li[|class]", "v1 v3 v4 v6");
	check(d, "li[*|class=a]", "v1 v3 v4 v6");
}

static void
test_ui_states(void **state)
{
	with_forms(forms_ui);
}

static void
test_lang_and_links(void **state)
{
	with_forms(forms_lang_links);
}

static void
test_is_where_not_has_nth_of(void **state)
{
	with_forms(forms_logical);
}

static void
test_of_type_without_a_type(void **state)
{
	with_forms(forms_of_type_untyped);
}

static void
test_namespace_forms(void **state)
{
	with_forms(forms_namespaces);
}

static void
test_malformed(void **state)
{
	check_error("", 0, "empty selector");
	check_error("   ", 0, "empty selector");
	check_error("/* only a comment */", 0, "empty selector");
	check_error("div >", 5, "expected a selector after '>'");
	check_error("div > ", 6, "expected a selector after '>'");
	check_error("div >> p", 5, "expected a selector after '>'");
	check_error("div + , p", 6, "expected a selector after '+'");
	check_error("div ~", 5, "expected a selector after '~'");
	check_error("> p", 0, "expected a selector before '>'");
	check_error("a,", 1, "trailing comma");
	check_error("a, ", 1, "trailing comma");
	check_error(",a", 0, "expected a selector before ','");
	check_error("a,,b", 2, "expected a selector after ','");
	check_error("a:hover", 1, "unknown pseudo-class ':hover'");
	check_error("a:visited", 1, "unknown pseudo-class ':visited'");
	check_error("a:unknown", 1, "unknown pseudo-class ':unknown'");
	check_error("p:contains(\"x\")", 1, "unknown pseudo-class ':contains()'");
	check_error("p:first", 1, "unknown pseudo-class ':first'");
	check_error("p:before", 1, "unknown pseudo-class ':before'");
	check_error("p:", 2, "expected a pseudo-class name after ':'");
	check_error("p:1", 2, "expected a pseudo-class name after ':'");
	check_error("[a=\"x]", 3, "unterminated string");
	check_error("[a='x\ny']", 3, "unterminated string");
	check_error("[a=\"x\\", 3, "unterminated string");
	check_error("p::text b", 8, "'::text' must end the selector");
	check_error("p::text.x", 7, "'::text' must end the selector");
	check_error("p::text::text", 7, "'::text' must end the selector");
	check_error("p::attr(href)::text", 13, "'::attr()' must end the selector");
	check_error("p::attr(href) > b", 14, "'::attr()' must end the selector");
	check_error("p::before", 1, "unknown pseudo-element '::before'");
	check_error("p::text()", 1, "'::text' takes no argument");
	check_error("p::attr", 1, "'::attr' needs an attribute name");
	check_error("p::attr()", 8, "expected an attribute name inside ::attr()");
	check_error("p::attr(\"\")", 10, "expected an attribute name inside ::attr()");
	check_error("p::attr(a b)", 10, "expected ')'");
	check_error("p::", 3, "expected a pseudo-element name after '::'");
	check_error("ns|a", 2, "namespace prefixes (ns|name) need an @namespace rule");
	check_error("[ns|a]", 3, "namespace prefixes (ns|name) need an @namespace rule");
	check_error("*|", 2, "expected a name after '|'");
	check_error("|", 1, "expected a name after '|'");
	check_error("[*|]", 3, "expected an attribute name after '['");
	check_error("#", 1, "expected a name after '#'");
	check_error("p#", 2, "expected a name after '#'");
	check_error("# p", 1, "expected a name after '#'");
	check_error(".", 1, "expected a class name after '.'");
	check_error(".1a", 1, "expected a class name after '.'");
	check_error("p..a", 2, "expected a class name after '.'");
	check_error("[", 1, "expected an attribute name after '['");
	check_error("[]", 1, "expected an attribute name after '['");
	check_error("[a", 2, "expected ']' or an attribute operator");
	check_error("[a!=b]", 2, "expected ']' or an attribute operator");
	check_error("[a==b]", 3, "expected a quoted string or an identifier after '='");
	check_error("[a=]", 3, "expected a quoted string or an identifier after '='");
	check_error("[a~=]", 4, "expected a quoted string or an identifier after '~='");
	check_error("[a=1]", 3, "must be quoted");
	check_error("[a=b", 4, "expected ']'");
	check_error("[a=b c]", 5, "unknown attribute flag");
	check_error("[href$=two.html]", 10, "expected ']'");
	check_error(":nth-child", 0, "':nth-child' needs an argument");
	check_error(":not", 0, "':not' needs an argument");
	check_error(":nth-child()", 11, "expected an+b, 'odd' or 'even'");
	check_error(":nth-child(foo)", 11, "expected an+b, 'odd' or 'even'");
	check_error(":nth-child(odd2)", 11, "expected an+b, 'odd' or 'even'");
	check_error(":nth-child(+odd)", 11, "expected an+b, 'odd' or 'even'");
	check_error(":nth-child(- n)", 11, "expected an+b, 'odd' or 'even'");
	check_error(":nth-child(+ 5)", 11, "expected an+b, 'odd' or 'even'");
	check_error(":nth-child(2n+)", 14, "expected a number after '+'");
	check_error(":nth-child(2n+-1)", 14, "expected a number after '+'");
	check_error(":nth-child(2n+1", 15, "expected ')'");
	check_error(":nth-child(2 n)", 13, "expected ')'");
	check_error(":nth-child(2.5n)", 12, "expected ')'");
	check_error(":nth-child(n1)", 12, "expected ')'");
	check_error(":nth-child(99999999999)", 11, "number too large");
	check_error(":first-child()", 0, "':first-child' takes no argument");
	check_error(":empty()", 0, "':empty' takes no argument");
	check_error(":not()", 5, "expected a selector inside the parentheses");
	check_error(":not(a,)", 7, "expected a selector after ','");
	check_error(":not(a", 6, "expected ')'");
	check_error(":not(a b", 8, "expected ')'");
	check_error(":not(::text)", 5, "pseudo-elements are not allowed inside");
	check_error(":not(> a)", 5, "expected a selector inside the parentheses");
	check_error(":is(a + )", 8, "expected a selector after '+'");
	check_error(":is", 0, "':is' needs an argument");
	check_error(":has()", 5, "expected a selector inside the parentheses");
	check_error(":has(> )", 7, "expected a selector after '>'");
	check_error(":has(a:has(b))", 6, ":has() cannot be nested inside :has()");
	check_error(":has(:is(:has(b)))", 9, ":has() cannot be nested inside :has()");
	check_error(":has(a::text)", 6, "pseudo-elements are not allowed inside");
	check_error(":lang()", 6, "expected a language inside :lang()");
	check_error(":lang(en fr)", 9, "expected ')'");
	check_error(":lang", 0, "':lang' needs an argument");
	check_error(":checked()", 0, "':checked' takes no argument");
	check_error(":nth-child(2 of)", 15, "expected a selector inside the parentheses");
	check_error(":nth-child(2 of p", 17, "expected ')'");
	check_error(":nth-child(2 to p)", 13, "expected ')'");
	check_error(":nth-of-type(2 of p)", 15, "expected ')'");
	check_error("a /* x", 2, "unterminated comment");
	check_error("a)", 1, "unexpected ')'");
	check_error("a b!", 3, "unexpected '!'");
	check_error("a\"b\"", 1, "unexpected '\"'");
	check_error("'x'", 0, "unexpected '''");
	check_error("a\\", 1, "a backslash must escape something");
	check_error("a/b", 1, "unexpected '/'");
	check_error("#main/**/p", 9, "unexpected 'p'"); /* a comment is not white space */
}

/* Bytes and code points the XPath could not hold. */
static void
test_bad_characters(void **state)
{
	check_error("p\xff", 1, "invalid UTF-8");
	check_error("\xc0\xaf", 0, "invalid UTF-8");	     /* overlong */
	check_error("a\xed\xa0\x80", 1, "invalid UTF-8"); /* a surrogate */
	check_error("[a=\"\\1\"]", 4, "U+0001");
	check_error("[a=\"\x01\"]", 4, "U+0001");
	check_error("[a=\"\\FFFE\"]", 4, "U+FFFE");
	check_error("a\x01", 1, "unexpected character U+0001");
}

/* Selectors that look odd but are valid CSS. */
static void
test_odd_but_valid(void **state)
{
	check(*state, "p\f", "p1 p2 m1 m2 m3 ap1 ap2"); /* form feed is white space */
	check(*state, "p\xc2\xa0", "");		      /* U+00A0 is part of the name */
	check(*state, "#\\0", "");		      /* \0 is U+FFFD */
	check(*state, "#\\D800", "");		      /* as is a surrogate */
	check(*state, "#\\110000", "");		      /* and past U+10FFFF */
	check(*state, "--x", "");
	check(*state, "-x", "");
	check(*state, "_x", "");
	check(*state, "\\31 23", ""); /* an element named 123 */
}

static void
test_xpath_shape(void **state)
{
	check_xpath("div p", "descendant-or-self::div/descendant::p");
	check_xpath("div > p", "descendant-or-self::div/p");
	check_xpath("h2 + p", "descendant-or-self::h2/following-sibling::*[1]/self::p");
	check_xpath("h2 ~ p", "descendant-or-self::h2/following-sibling::p");
	check_xpath("p::text", "descendant-or-self::p/text()");
	check_xpath("a::attr(href)", "descendant-or-self::a/@href");
	check_xpath("::text", "descendant-or-self::text()");
	check_xpath("li:nth-child(2n+1)",
		    "descendant-or-self::li[count(preceding-sibling::*) mod 2 = 0]");
	check_xpath("[a$=xyz]",
		    "descendant-or-self::*[substring(@a, string-length(@a) - 2) = 'xyz']");
	check_xpath(".a", "descendant-or-self::*[contains(concat(' ', normalize-space(@class), "
			  "' '), ' a ')]");
	check_xpath("[xml\\:lang]", "descendant-or-self::*[@*[name() = 'xml:lang']]");
}

static void
test_limits(void **state)
{
	struct css_error err;
	struct buf xpath;
	char css[CSS_MAX_LEN + 2];
	size_t n = 0;

	buf_init(&xpath, 1 << 22);
	/* Exactly CSS_MAX_LEN bytes compile; one more does not. */
	memset(css, ' ', sizeof css);
	css[0] = 'p';
	css[CSS_MAX_LEN] = '\0';
	assert_int_equal(css_to_xpath(css, &xpath, &err), 0);
	css[CSS_MAX_LEN] = ' ';
	css[CSS_MAX_LEN + 1] = '\0';
	buf_reset(&xpath);
	assert_int_equal(css_to_xpath(css, &xpath, &err), -1);
	assert_int_equal(err.pos, CSS_MAX_LEN);
	assert_non_null(strstr(err.msg, "longer than"));

	/* :not() nests CSS_MAX_DEPTH deep, not deeper. */
	for (int i = 0; i < CSS_MAX_DEPTH; i++)
		n += (size_t)sprintf(css + n, ":not(");
	n += (size_t)sprintf(css + n, "p");
	for (int i = 0; i < CSS_MAX_DEPTH; i++)
		css[n++] = ')';
	css[n] = '\0';
	buf_reset(&xpath);
	assert_int_equal(css_to_xpath(css, &xpath, &err), 0);
	memmove(css + 5, css, n + 1);
	memcpy(css, ":not(", 5);
	strcat(css, ")");
	buf_reset(&xpath);
	assert_int_equal(css_to_xpath(css, &xpath, &err), -1);
	assert_int_equal(err.pos, CSS_MAX_DEPTH * 5);
	assert_non_null(strstr(err.msg, "nested"));
	buf_free(&xpath);
}

/* The longest selectors still make XPath libxml2 evaluates. */
static void
test_big_selectors(void **state)
{
	char css[CSS_MAX_LEN + 1];
	size_t n = 0;

	/* A group of some 800 members. */
	for (int i = 0; n + 6 < CSS_MAX_LEN; i++)
		n += (size_t)sprintf(css + n, "#l%d,", i % 10 + 1);
	strcpy(css + n, "#l1");
	check(*state, css, ALL_LI);
	for (n = 0; n + 4 < CSS_MAX_LEN; n += 2)
		memcpy(css + n, ".a", 2);
	css[n] = '\0';
	check(*state, css, "");
	/* A value of 1000 quotes of both kinds: a concat() of 1000 arguments. */
	n = (size_t)sprintf(css, "[a=\"");
	for (int i = 0; i < 500; i++)
		n += (size_t)sprintf(css + n, "'\\\"");
	strcpy(css + n, "\"]");
	check(*state, css, "");
}

/* What css_to_xpath does to the buffer it appends to. */
static void
test_buffer(void **state)
{
	struct css_error err;
	struct buf xpath;

	buf_init(&xpath, 1024);
	buf_puts(&xpath, "before:");
	assert_int_equal(css_to_xpath("p", &xpath, &err), 0);
	assert_string_equal(buf_str(&xpath), "before:descendant-or-self::p");
	/* On failure, what was there stays and nothing is added. */
	assert_int_equal(css_to_xpath("p >", &xpath, NULL), -1);
	assert_string_equal(buf_str(&xpath), "before:descendant-or-self::p");
	buf_free(&xpath);

	buf_init(&xpath, 30);
	buf_puts(&xpath, "x");
	assert_int_equal(css_to_xpath("p.a-rather-long-class", &xpath, &err), -1);
	assert_non_null(strstr(err.msg, "larger than"));
	assert_string_equal(buf_str(&xpath), "x");
	buf_free(&xpath);

	buf_init(&xpath, 1024);
	assert_int_equal(css_to_xpath(NULL, &xpath, &err), -1);
	assert_string_equal(err.msg, "empty selector");
	buf_free(&xpath);
}

/* Whether css gets a plan. */
static int
has_plan(const char *css)
{
	struct css_plan *plan;
	struct buf xpath;
	int yes;

	buf_init(&xpath, 1 << 20);
	assert_int_equal(css_compile(css, &xpath, &plan, NULL), 0);
	yes = plan != NULL;
	css_plan_free(plan);
	buf_free(&xpath);
	return yes;
}

/* Which selectors are matched without XPath, and that those match as XPath does, from
 * the document and from elements, including where a greedy choice of ancestor would be
 * wrong. */
static void
test_plans(void **state)
{
	static const char *const yes[] = {
		"p", "*", "#main", ".lead", "p.intro.lead", "[title]", "[title=Go]",
		"[rel=NEXT]", "[hreflang=en i]", "[title='']", "div p", "div > p", "div > p b",
		"section article > div p", "a, p, a", "p::text", "a::attr(href)", "div ::text",
		"div ::attr(id)", "li, p", "DIV#esc span", "#\\31 23", "div > * > i",
		"my-widget", "*|p", "[data-name]", ".caf\xc3\xa9",
	};
	static const char *const no[] = {
		"p:first-child", "h2 + p", "h2 ~ p", "[href^=http]", "[rel~=next]",
		"[hreflang|=en]", "[title*=o]", "[title$=o]", "::text", "p::text, a::attr(href)",
		"a::attr(href), a::attr(id)", "|p", ":not(p)", "p:has(b)", ".a\\ b",
		"caf\xc3\xa9", "[caf\xc3\xa9]", "a::attr(caf\xc3\xa9)",
	};
	xmlDocPtr doc = *state;
	int before = plans_checked;

	for (size_t i = 0; i < sizeof yes / sizeof yes[0]; i++)
		if (!has_plan(yes[i]))
			fail_msg("\"%s\" has no plan", yes[i]);
	for (size_t i = 0; i < sizeof no / sizeof no[0]; i++)
		if (has_plan(no[i]))
			fail_msg("\"%s\" has a plan", no[i]);
	check(doc, "div > p b", "b1");
	check(doc, "section article > div p", "ap2");
	check(doc, "section > article p", "ap1 ap2");
	check(doc, "article > p", "ap1");
	check(doc, "body > div p, li", "p1 p2 " ALL_LI " m1 m2 m3");
	check(doc, "div ::text", "'\n' 'Hello ' 'bold' ' world' '\n' 'Second' '\n' 'One' '\n' "
	      "'Two' '\n' 'Three' '\n' ' ' '\n' '\n' 'A' 'x' 'y' 'B' 'z' 's' 'digits' 'colon' "
	      "'dot' 'w' 'deep'");
	check(doc, "p::text, b::text", "'Hello ' 'bold' ' world' 'Second' 'x' 'y' 'z' "
	      "'in article' 'deep'");
	check(doc, "article ::attr(id)", "@id=art1 @id=ap1 @id=art2 @id=d2 @id=ap2");
	check(doc, "[rel=NEXT]", "");
	check(doc, "[title=Go]", "a1");
	check(doc, "[type=x], [hreflang=EN]", "a2");
	check_from(doc, "sec", "article p", "ap1 ap2");
	check_from(doc, "art2", "article p", "ap2");
	check_from(doc, "art2", "section p", "");
	check_from(doc, "d2", "div p", "ap2");
	check_from(doc, "d2", "article div p", "");
	check_from(doc, "main", "div > p::text", "'Hello ' ' world' 'Second'");
	assert_true(plans_checked - before >= 16);
}

/* A hostile page: 100,000 nested divs.  Plans match in one pass however the
 * ancestors fall (a search per candidate up to the root would be 10^10 steps; XPath
 * takes over a minute on "div div" at 6,000 levels); alarm() bounds the test. */
static void
test_plans_on_deep_pages(void **state)
{
	static const struct { const char *css; int want; } cases[] = {
		{ "div.x div", 0 }, { "p div", 0 }, { "div div", 99999 }, { "div > div span", 0 },
		{ "body > div div", 99999 }, { "div.y div > div", 99998 }, { "#last", 1 },
		{ "body div ::attr(id)", 1 }, { "div.y > div > div > div#last::text", 0 },
	};
	enum { DEPTH = 100000 };
	struct buf html, xpath;
	struct css_index *ix;
	htmlDocPtr doc;

	(void)state;
	buf_init(&html, 1 << 24);
	buf_puts(&html, "<html><body><div class=y>");
	for (int i = 1; i < DEPTH - 1; i++)
		buf_puts(&html, "<div>");
	buf_puts(&html, "<div id=last>deep");
	doc = htmlReadMemory(html.data, (int)html.len, "deep.html", "UTF-8",
			     HTML_PARSE_NOERROR | HTML_PARSE_NOWARNING | HTML_PARSE_RECOVER |
				     HTML_PARSE_NONET | XML_PARSE_HUGE);
	assert_non_null(doc);
	assert_non_null(ix = css_index_new(doc));
	alarm(20);
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		struct css_plan *plan;
		xmlXPathObjectPtr res;

		buf_init(&xpath, 1 << 20);
		assert_int_equal(css_compile(cases[i].css, &xpath, &plan, NULL), 0);
		assert_non_null(plan);
		assert_non_null(res = css_plan_eval(plan, ix, (xmlNodePtr)doc));
		if (xmlXPathNodeSetGetLength(res->nodesetval) != cases[i].want)
			fail_msg("\"%s\" selects %d, not %d", cases[i].css,
				 xmlXPathNodeSetGetLength(res->nodesetval), cases[i].want);
		xmlXPathFreeObject(res);
		css_plan_free(plan);
		buf_free(&xpath);
	}
	alarm(0);
	css_index_free(ix);
	xmlFreeDoc(doc);
	buf_free(&html);
}

/* One index rebuilt for page after page, as a worker keeps it: a page with more names
 * than the last one had room for grows its table (the sanitizer build checks that the
 * earlier pages' arrays are not lost on the way), and each page's plans see only it. */
static void
test_index_reused(void **state)
{
	struct css_index *ix = css_index_new(*state);
	struct css_plan *plan;
	struct buf html, xpath;

	assert_non_null(ix);
	for (int k = 1; k <= 3; k++) {
		htmlDocPtr doc;
		xmlXPathObjectPtr res;

		buf_init(&html, 1 << 20);
		buf_puts(&html, "<html><body>");
		for (int i = 0; i < 40 * k; i++)
			buf_printf(&html, "<x%d class=c%d><p>%d</p></x%d>", i, i % 3, i, i);
		doc = htmlReadMemory(html.data, (int)html.len, "p.html", "UTF-8",
				     HTML_PARSE_NOERROR | HTML_PARSE_NOWARNING | HTML_PARSE_RECOVER);
		assert_non_null(doc);
		assert_int_equal(css_index_rebuild(ix, doc), 0);
		buf_init(&xpath, 1 << 20);
		assert_int_equal(css_compile("x7 p, .c1 > p, x39", &xpath, &plan, NULL), 0);
		assert_non_null(plan);
		assert_non_null(res = css_plan_eval(plan, ix, (xmlNodePtr)doc));
		/* the p of every x with class c1 (i % 3 == 1; x7's is one of them), and x39 */
		assert_int_equal(xmlXPathNodeSetGetLength(res->nodesetval), (40 * k + 1) / 3 + 1);
		xmlXPathFreeObject(res);
		css_plan_free(plan);
		buf_free(&xpath);
		xmlFreeDoc(doc);
		buf_free(&html);
	}
	css_index_free(ix);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_type_and_universal),
		cmocka_unit_test(test_id_and_class),
		cmocka_unit_test(test_attribute_presence_and_equality),
		cmocka_unit_test(test_attribute_word_and_dash),
		cmocka_unit_test(test_attribute_substrings),
		cmocka_unit_test(test_attribute_quotes_and_flags),
		cmocka_unit_test(test_combinators),
		cmocka_unit_test(test_groups),
		cmocka_unit_test(test_context_node),
		cmocka_unit_test(test_text),
		cmocka_unit_test(test_attr),
		cmocka_unit_test(test_nth_child),
		cmocka_unit_test(test_nth_last_and_of_type),
		cmocka_unit_test(test_structural),
		cmocka_unit_test(test_not),
		cmocka_unit_test(test_escapes_and_comments),
		cmocka_unit_test(test_ui_states),
		cmocka_unit_test(test_lang_and_links),
		cmocka_unit_test(test_is_where_not_has_nth_of),
		cmocka_unit_test(test_of_type_without_a_type),
		cmocka_unit_test(test_namespace_forms),
		cmocka_unit_test(test_malformed),
		cmocka_unit_test(test_bad_characters),
		cmocka_unit_test(test_odd_but_valid),
		cmocka_unit_test(test_xpath_shape),
		cmocka_unit_test(test_limits),
		cmocka_unit_test(test_big_selectors),
		cmocka_unit_test(test_buffer),
		cmocka_unit_test(test_plans),
		cmocka_unit_test(test_plans_on_deep_pages),
		cmocka_unit_test(test_index_reused),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
