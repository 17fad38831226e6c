/*
 * css.h: CSS selectors compiled to XPath 1.0.
 *
 * The selector language is CSS Selectors level 3, the level 4 selectors people write
 * (:is(), :where(), :has() with relative selectors, :not() with selector lists and
 * combinators, :nth-child(An+B of S), :any-link, the attribute flags i and s), and
 * Scrapy's pseudo-elements ::text and ::attr(name).  A selector means here what it
 * means in Scrapy (parsel over cssselect's HTML translator), so that rules written for
 * Scrapy select the same nodes, and what it means in a browser otherwise:
 *
 *   - every selector is relative to a context node and may match that node itself
 *     (descendant-or-self::...); a group "a, b" is the XPath union, in document order;
 *     inside :is(), :where(), :not() and "of S" a selector matches anywhere in the
 *     document, as in a browser; :has()'s relative selectors start at its element;
 *   - element and attribute names are matched in lower case (libxml2's HTML parser
 *     lower-cases them), attribute values exactly, or ASCII case-insensitively with
 *     the flag i and, as the HTML standard says, for the values of type, lang, rel
 *     and the other attributes it lists (unless the flag is s);
 *   - "E::text" selects E's own text-node children, "E::attr(name)" E's attribute node;
 *     as in Scrapy, a bare "::text" after white space ("div ::text", or "div *::text")
 *     selects every text node inside, and "div ::attr(id)" the attribute of div and of
 *     every element in it;
 *   - :checked, :enabled, :disabled, :link and :any-link follow the HTML standard
 *     (form controls, a disabled fieldset, a single <select>'s selected option);
 *     :lang() reads the nearest lang attribute;
 *   - *|E is E; |E matches nothing (every element of an HTML document is in a
 *     namespace); ns|E is refused, since a rule file cannot declare a namespace.
 *
 * Rejected with a message: pseudo-classes that mean nothing in a page nobody looks at
 * (:hover, :focus, :visited, :target, ...: "unknown") or are not CSS (:contains), attribute
 * values that are neither identifiers nor quoted ([colspan=2], as in browsers and
 * Scrapy), :has() inside :has(), and anything malformed.  Limits: CSS_MAX_LEN bytes of
 * selector, CSS_MAX_DEPTH levels of functional pseudo-class nesting.  The input must
 * be UTF-8.
 */
#ifndef SCRAPER_CSS_H
#define SCRAPER_CSS_H

#include <stddef.h>

#include <libxml/xpath.h>

#include "buf.h"
#include "cssmatch.h"

#define CSS_MAX_LEN 4096 /* the longest selector accepted, in bytes */
#define CSS_MAX_DEPTH 32 /* the deepest nesting of :not() :is() :has() ... accepted */

struct css_error {
	size_t pos;    /* byte offset in the selector where it went wrong (0-based) */
	char msg[160]; /* what was wrong or expected; does not repeat pos */
};

/*
 * Compile the selector group css (a NUL-terminated UTF-8 string) into an XPath 1.0
 * expression to be evaluated with the context node set to the element (or document)
 * the selector applies to, and append it to out.  The result is always an expression
 * libxml2 compiles and evaluates without error.
 *
 * Returns 0, or -1 with *err filled (err may be NULL) when the selector is malformed or
 * unsupported, or when the XPath would not fit in out's maximum size (or memory ran
 * out).  On failure out holds what it held before the call.
 */
int css_to_xpath(const char *css, struct buf *out, struct css_error *err);

/*
 * css_to_xpath, and in *plan the selector compiled for css_plan_eval (cssmatch.h), or
 * NULL when it uses what cssmatch does not model (or memory ran out): then the XPath
 * is the only way.  *plan is the caller's, for css_plan_free; NULL on failure.
 */
int css_compile(const char *css, struct buf *out, struct css_plan **plan,
		struct css_error *err);

/*
 * Register in ctx the two XPath functions the translation of *-of-type without an
 * element type uses ("*:first-of-type", ":nth-of-type(2)"; XPath 1.0 cannot compare a
 * sibling's name with the context node's): css-before-of-type() and
 * css-after-of-type(), the number of the context element's siblings before or after
 * it that have its name.  Every context that evaluates our XPath must have them.
 * 0, or -1 when memory ran out.
 */
int css_xpath_register(xmlXPathContextPtr ctx);

#endif
