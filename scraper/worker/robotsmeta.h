/*
 * robotsmeta.h: a page's own word on crawlers: <meta name="robots"> and the
 * X-Robots-Tag response header.
 *
 * Read under `robots: obey` only.  `nofollow` keeps the page's links from being
 * followed (the worker's link gate, linkgate.h); `noindex` is recorded on the page's
 * row (pages.noindex); `none` is both.  Other directives (noarchive, max-snippet,
 * unavailable_after, ...) are about search results and mean nothing to a scraper.
 */
#ifndef SCRAPER_ROBOTSMETA_H
#define SCRAPER_ROBOTSMETA_H

#include <curl/curl.h>
#include <libxml/tree.h>

enum robotsmeta_flag {
	ROBOTSMETA_NOINDEX = 1 << 0,
	ROBOTSMETA_NOFOLLOW = 1 << 1,
};

/* The directives in one list ("noindex, nofollow", "NONE"): comma or space separated,
 * any case.  A mask of enum robotsmeta_flag. */
unsigned robotsmeta_directives(const char *list);

/*
 * One X-Robots-Tag value for the crawler whose product token is token ("scraper"):
 * "noindex, nofollow" applies to every crawler; "otherbot: noindex" only to the one
 * it names (any case); directives with a value of their own ("unavailable_after:
 * ...") are not a crawler's name.
 */
unsigned robotsmeta_header(const char *value, const char *token);

/* Every X-Robots-Tag header of the transfer's last response. */
unsigned robotsmeta_headers(CURL *easy, const char *token);

/* Every <meta name="robots" content> of doc, and <meta name="TOKEN"> (any case).  ix:
 * doc's index (cssmatch.h), or NULL to walk the page. */
struct css_index;
unsigned robotsmeta_doc(xmlDocPtr doc, struct css_index *ix, const char *token);

#endif
