/*
 * css.h: CSS selectors compiled to XPath 1.0.
 *
 * The selector language is CSS Selectors level 3 plus Scrapy's pseudo-elements ::text
 * and ::attr(name), and a selector means here what it means in Scrapy (parsel over
 * cssselect's HTML translator), so that rules written for Scrapy select the same nodes:
 *
 *   - every selector is relative to a context node and may match that node itself
 *     (descendant-or-self::...); a group "a, b" is the XPath union, in document order;
 *   - element and attribute names are matched in lower case (libxml2's HTML parser
 *     lower-cases them), attribute values exactly (or ASCII case-insensitively with the
 *     level 4 flag: [type="text" i]);
 *   - "E::text" selects E's own text-node children, "E::attr(name)" E's attribute node;
 *     as in Scrapy, a bare "::text" after white space ("div ::text") selects every text
 *     node inside, and "div ::attr(id)" the attribute of div and of every element in it;
 *   - :first-of-type and the other *-of-type pseudo-classes need an element type
 *     ("li:first-of-type"; inside :not() the outer one counts), since XPath 1.0 cannot
 *     compare a sibling's name with the context node's.
 *
 * Also accepted: :root, comments, and from level 4 selector lists in :not(a, .b) and
 * the attribute flags i and s.  Rejected with a message: namespaces (ns|a),
 * pseudo-classes that mean nothing in a static document (:hover, :checked, ...) or are
 * not CSS (:contains), attribute values that are neither identifiers nor quoted
 * ([colspan=2], as in browsers and Scrapy), and anything malformed.  Limits:
 * CSS_MAX_LEN bytes of selector, CSS_MAX_DEPTH levels of :not() nesting.  The input
 * must be UTF-8.
 */
#ifndef SCRAPER_CSS_H
#define SCRAPER_CSS_H

#include <stddef.h>

#include "buf.h"

#define CSS_MAX_LEN 4096 /* the longest selector accepted, in bytes */
#define CSS_MAX_DEPTH 32 /* the deepest :not() nesting accepted */

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

#endif
