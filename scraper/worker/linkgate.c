/*
 * linkgate.c: the worker's decisions on followed links, in words (see linkgate.h).
 */
#include "config.h"

#include "worker/linkgate.h"

#include <string.h>

#include "url.h"
#include "worker/robots.h"

const char *
link_url_path(const char *url)
{
	const char *p = strstr(url, "://");

	p = p != NULL ? strchr(p + 3, '/') : NULL;
	return p != NULL ? p : "/";
}

enum link_why
link_gate_check(const struct link_gate *g, const char *url)
{
	if (g->nofollow)
		return LINK_NOFOLLOW;
	if (g->too_deep)
		return LINK_TOO_DEEP;
	if (!g->any_site && !url_on_site(url, g->site))
		return LINK_OFF_SITE;
	if (g->robots != NULL && url_on_site(url, g->site) &&
	    !robots_allows(g->robots, link_url_path(url)))
		return LINK_ROBOTS;
	if (g->sent != NULL && urlset_add(g->sent, url_hash(url, strlen(url))) != 1)
		return LINK_DUPLICATE;
	return LINK_TAKEN;
}

const char *
link_why_text(enum link_why w)
{
	switch (w) {
	case LINK_TAKEN: return "followed";
	case LINK_NOFOLLOW: return "nofollow: the page's robots meta says not to follow its links";
	case LINK_TOO_DEEP: return "depth: the page is at max_depth, links from it would be too deep";
	case LINK_OFF_SITE: return "off site (scope: site)";
	case LINK_ROBOTS: return "robots.txt disallows it (a crawl records it as skipped, never fetched)";
	case LINK_DUPLICATE: return "duplicate (already followed from another page)";
	}
	return "?";
}
