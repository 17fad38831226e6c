/*
 * css_matches.c: what our CSS selectors select in an HTML file, in a form other
 * engines can print too (tests/integration/css_chromium.sh, parsel.sh).
 *
 *   css_matches FILE.html < SELECTORS      one selector a line ('#' lines skipped)
 *
 * The file is parsed as the worker parses pages.  For each selector one line:
 * the selector, a tab, then what it selects from the document, in document order,
 * separated by tabs: an element as its path (each ancestor's local name and index
 * among its element siblings, "html0/body1/div3"), a text node as "text:" and its
 * white-space-normalised text, an attribute as "attr:" and its value; or
 * "!error" when the selector is refused.  With -v, the values a field would take
 * (type string, all: true) instead of paths: each element's whole normalised text.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libxml/HTMLparser.h>
#include <libxml/xpath.h>

#include "buf.h"
#include "css.h"
#include "field.h"

#define PARSE_OPTIONS (HTML_PARSE_RECOVER | HTML_PARSE_NOERROR | HTML_PARSE_NOWARNING | \
		       HTML_PARSE_NONET | HTML_PARSE_COMPACT)

static void
put_path(xmlNodePtr n)
{
	xmlNodePtr s;
	int i = 0;

	if (n->parent != NULL && n->parent->type == XML_ELEMENT_NODE) {
		put_path(n->parent);
		putchar('/');
	}
	for (s = n->prev; s != NULL; s = s->prev)
		i += s->type == XML_ELEMENT_NODE;
	printf("%s%d", (const char *)n->name, i);
}

static void
put_text(const char *prefix, xmlChar *s)
{
	struct buf b;

	buf_init(&b, 1 << 24);
	field_normalize_space((const char *)s, strlen((const char *)s), &b);
	/* Blank values count as none, as in a field. */
	if (b.len > 0) {
		for (size_t i = 0; i < b.len; i++)
			if (b.data[i] == '\t' || b.data[i] == '\n')
				b.data[i] = ' ';
		printf("\t%s%s", prefix, buf_str(&b));
	}
	buf_free(&b);
	xmlFree(s);
}

static void
put_node(xmlNodePtr n, int values)
{
	if (n->type == XML_ELEMENT_NODE && values)
		put_text("", xmlNodeGetContent(n));
	else if (n->type == XML_ELEMENT_NODE) {
		putchar('\t');
		put_path(n);
	} else if (n->type == XML_TEXT_NODE || n->type == XML_CDATA_SECTION_NODE)
		put_text(values ? "" : "text:", xmlNodeGetContent(n));
	else if (n->type == XML_ATTRIBUTE_NODE)
		put_text(values ? "" : "attr:", xmlNodeGetContent(n));
}

int
main(int argc, char **argv)
{
	int values = argc == 3 && strcmp(argv[1], "-v") == 0;
	xmlXPathContextPtr xc;
	char line[8192];
	htmlDocPtr doc;

	if (argc != 2 + values) {
		fprintf(stderr, "usage: css_matches [-v] FILE.html < SELECTORS\n");
		return 2;
	}
	if ((doc = htmlReadFile(argv[1 + values], "UTF-8", PARSE_OPTIONS)) == NULL ||
	    (xc = xmlXPathNewContext(doc)) == NULL || css_xpath_register(xc) == -1) {
		fprintf(stderr, "css_matches: cannot read %s\n", argv[1 + values]);
		return 1;
	}
	while (fgets(line, sizeof line, stdin) != NULL) {
		struct css_error err;
		xmlXPathObjectPtr res;
		struct buf xpath;

		line[strcspn(line, "\n")] = '\0';
		if (line[0] == '\0' || line[0] == '#')
			continue;
		printf("%s", line);
		buf_init(&xpath, 1 << 22);
		if (css_to_xpath(line, &xpath, &err) == -1) {
			printf("\t!error\n");
			buf_free(&xpath);
			continue;
		}
		xc->node = (xmlNodePtr)doc;
		res = xmlXPathEvalExpression((const xmlChar *)buf_str(&xpath), xc);
		if (res != NULL && res->type == XPATH_NODESET && res->nodesetval != NULL)
			for (int i = 0; i < res->nodesetval->nodeNr; i++)
				put_node(res->nodesetval->nodeTab[i], values);
		putchar('\n');
		xmlXPathFreeObject(res);
		buf_free(&xpath);
	}
	xmlXPathFreeContext(xc);
	xmlFreeDoc(doc);
	return 0;
}
