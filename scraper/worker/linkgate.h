/*
 * linkgate.h: the worker's say on a link a follow rule offered, and the words for it.
 *
 * The extraction library decides what a follow rule gives (resolved, http(s), allow,
 * deny, once per page: extract.h's ex_link_verdict).  What is left is decided here, the
 * same way for a crawl's worker (logged with -vv) and for `try --explain` (printed):
 * the page's robots meta nofollow, the depth limit, scope, robots.txt (try only: in a
 * crawl the worker checks robots.txt when the URL's turn comes, and the page is
 * recorded as skipped), and links this worker already sent (a crawl only).
 */
#ifndef SCRAPER_LINKGATE_H
#define SCRAPER_LINKGATE_H

#include <stdbool.h>

#include "urlset.h"

struct robots;

enum link_why {
	LINK_TAKEN,		/* followed */
	LINK_NOFOLLOW,		/* the page says nofollow */
	LINK_TOO_DEEP,		/* the page is at max_depth */
	LINK_OFF_SITE,		/* another site, and scope is site */
	LINK_ROBOTS,		/* robots.txt disallows it */
	LINK_DUPLICATE,		/* already sent from another page */
};

struct link_gate {
	const char *site;		/* the page's site, "host[:port]" */
	bool any_site;			/* scope: any */
	bool too_deep;			/* the page is at max_depth */
	/* The page's <meta name="robots"> or X-Robots-Tag said nofollow (robotsmeta.h;
	 * under robots: obey only). */
	bool nofollow;
	const struct robots *robots;	/* NULL: robots.txt not consulted */
	struct urlset *sent;		/* NULL: no de-duplication across pages */
};

/* Decide on url (absolute, canonical).  With a sent set, a taken URL is added to it. */
enum link_why link_gate_check(const struct link_gate *g, const char *url);

/* The decision in words, for logs and try --explain ("followed", "off site (scope:
 * site)", ...). */
const char *link_why_text(enum link_why w);

/* The path and query of an absolute URL, as robots.txt rules match it. */
const char *link_url_path(const char *url);

#endif
