/*
 * page.h: from a fetched body to a parsed HTML document.
 *
 * Shared by the worker and 'scraper try' so that a page means the same thing in both:
 * the encoding is decided (charset.h), the bytes are made valid UTF-8, and libxml2's
 * HTML parser builds the tree, recovering from malformed markup without printing.
 */
#ifndef SCRAPER_PAGE_H
#define SCRAPER_PAGE_H

#include <stdbool.h>
#include <stddef.h>

#include <libxml/HTMLparser.h>

/* Is this body HTML: an HTML content type, or none and markup-looking bytes? */
bool page_is_html(const char *content_type, const char *body, size_t len);

/*
 * Decode and parse.  url is the document's address.  note gets the encoding decision,
 * e.g. "WINDOWS-1252 (meta)".  cut gets "" or, when the parser stopped before the end
 * of the page (a nesting limit), a sentence saying so: the page's problem to record.
 * Returns the document (xmlFreeDoc it, unless it was made in a worker's arena:
 * xmlarena.h) or NULL when the body could not be decoded (note says so) or libxml2
 * could not build one.
 */
xmlDocPtr page_parse(const char *body, size_t len, const char *content_type,
		     const char *url, char *note, size_t notelen, char *cut, size_t cutlen);

#endif
