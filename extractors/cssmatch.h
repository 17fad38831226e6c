/*
 * cssmatch.h: CSS selectors matched on a parsed page directly, without XPath.
 *
 * css_compile (css.h) hands out, beside the XPath, a plan when the selector group uses
 * only what this module models: a type or *, #id, .class, [attr], [attr=value] (also
 * ASCII case-insensitive, as css.c decides), the descendant and child combinators, and
 * ::text / ::attr(name), Scrapy's bare "E ::text" and "E ::attr(name)" included.  A
 * plan selects exactly the nodes its XPath selects, in document order: tests/fuzz/
 * fuzz_css.c compares the two on every selector it makes, test_css on every selector
 * it knows.  Anything else (pseudo-classes, sibling combinators, other attribute
 * operators, names XPath cannot spell) has no plan and keeps the XPath.
 *
 * Why: libxml2 evaluates "div.x p" by walking the whole page once per selector and
 * building strings for every class test (concat, normalize-space); a page with a dozen
 * field selectors spent more time there than in anything but parsing.  Here each page
 * is indexed once (css_index: its elements in document order, the span of each one's
 * subtree, the elements by name), and a selector costs the candidates for its last
 * compound and their ancestors, with no allocation per test.
 *
 * Matching is right to left.  The compounds are cut into runs joined by child
 * combinators; runs joined by descendant combinators are placed greedily, each at the
 * nearest ancestor where it fits, which is exact (a lower place leaves every higher one
 * free) and takes at most the depth per run.
 */
#ifndef SCRAPER_CSSMATCH_H
#define SCRAPER_CSSMATCH_H

#include <stdbool.h>
#include <stddef.h>

#include <libxml/tree.h>
#include <libxml/xpath.h>

/* One condition of a compound, as css.c wrote it in XPath. */
enum css_ncond_kind {
	CSS_NC_ID,	 /* [@id = 'v'] */
	CSS_NC_CLASS,	 /* [contains(concat(' ', normalize-space(@class), ' '), ' v ')] */
	CSS_NC_HAS,	 /* [@name] */
	CSS_NC_EQ,	 /* [@name = 'v'] */
	CSS_NC_EQ_ICASE, /* [@name and (translate(@name, A-Z, a-z) = 'v')], v lower case */
};

struct css_ncond {
	enum css_ncond_kind kind;
	char *name;  /* the attribute ("id", "class" for those kinds) */
	char *value; /* NUL-terminated (CSS values hold no NUL) */
};

/* A compound: element name (NULL: any) and conditions. */
struct css_ncomp {
	char *type;
	struct css_ncond *cond;
	size_t ncond, ccond;
	bool child; /* joined to the compound before it by '>' (else by white space) */
};

/* What a selector gives for the elements it matches. */
enum css_nproj {
	CSS_NP_ELEMENT,	  /* the elements */
	CSS_NP_TEXT,	  /* E::text: their text-node children */
	CSS_NP_ATTR,	  /* E::attr(a): their attribute a */
	CSS_NP_DESC_TEXT, /* E ::text: every text node inside them */
	CSS_NP_DESC_ATTR, /* E ::attr(a): attribute a of them and of every element inside */
};

struct css_nsel {
	struct css_ncomp *c;
	size_t n, cap;
	enum css_nproj proj;
	char *attr; /* for the ATTR projections */
};

/* A selector group: every selector has the same projection (else there is no plan). */
struct css_plan {
	struct css_nsel *sel;
	size_t n, cap;
};

void css_plan_free(struct css_plan *plan);

/* The page's index, made once per page; NULL when memory ran out.  The page must not
 * change while its index lives.  Numbers the elements in element->content as
 * xmlXPathOrderDocElems does. */
struct css_index;
struct css_index *css_index_new(xmlDocPtr doc);
void css_index_free(struct css_index *ix);

/* Index another page in ix's memory (a worker's pages, one after another).  0, or -1
 * when memory ran out: then ix is empty until rebuilt, and css_plan_eval says NULL. */
int css_index_rebuild(struct css_index *ix, xmlDocPtr doc);

/* The elements named name (lower case), in document order: start with *pos = 0;
 * NULL after the last. */
xmlNodePtr css_index_next(const struct css_index *ix, const char *name, size_t *pos);

/*
 * The nodes plan selects from context (the document or one of its elements), as the
 * selector's XPath would give them: a node-set object for xmlXPathFreeObject.  NULL
 * when the context is of another kind, or memory ran out: then evaluate the XPath.
 */
xmlXPathObjectPtr css_plan_eval(const struct css_plan *plan, struct css_index *ix,
				xmlNodePtr context);

/* Attribute attr of the first element named name (lower case) that has one, in
 * document order; NULL when none.  ("(//base[@href])[1]/@href": a page's base URL.) */
xmlAttrPtr css_index_first_attr(const struct css_index *ix, const char *name, const char *attr);

#endif
