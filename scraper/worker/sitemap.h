/*
 * sitemap.h: reading sitemaps (sitemaps.org protocol 0.9) and the Sitemap: lines of
 * robots.txt, as a pure module: bytes in, URLs out through a callback.
 *
 * A sitemap is XML whose root is <urlset> (pages: each <url><loc>) or <sitemapindex>
 * (more sitemaps: each <sitemap><loc>), in any namespace; gzip-compressed bytes (a
 * .xml.gz file) are inflated first.  libxml2's SAX parser reads it with the network,
 * DTD loading and entity substitution off, so memory stays small whatever the size,
 * and the protocol's limits are enforced: 50 MB uncompressed, 50,000 URLs.
 * The worker (worker.c) fetches sitemaps like pages and sends what they list up as
 * LINKS of kind LINK_SITEMAP / LINK_SITEMAP_URL.
 */
#ifndef SCRAPER_SITEMAP_H
#define SCRAPER_SITEMAP_H

#include <stdbool.h>
#include <stddef.h>

#define SITEMAP_MAX_BYTES (50u << 20)	/* uncompressed, per sitemap (the protocol's) */
#define SITEMAP_MAX_URLS 50000		/* <loc>s read per sitemap (the protocol's) */
#define SITEMAP_MAX_PER_SITE 1000	/* sitemaps fetched per site and crawl */
#define SITEMAP_MAX_ROBOTS 100		/* Sitemap: lines taken from one robots.txt */

enum sitemap_kind {
	SITEMAP_NONE,		/* not a sitemap (another XML root, or not XML at all) */
	SITEMAP_URLSET,		/* <urlset>: its <loc>s are pages */
	SITEMAP_INDEX,		/* <sitemapindex>: its <loc>s are sitemaps */
};

struct sitemap_result {
	enum sitemap_kind kind;
	size_t locs;		/* <loc>s handed to the callback */
	bool gzip;		/* the bytes were gzip and were inflated */
	char error[300];	/* "" when read whole; else what went wrong, in words (the
				 * <loc>s before the fault were handed over) */
};

/* Called with each <loc>, trimmed, non-empty, NUL-terminated.  0 to go on, -1 to stop. */
typedef int (*sitemap_loc_fn)(void *ctx, const char *loc);

/* Read a sitemap from body[0..len).  Returns res->kind; loc gets every <loc> of the
 * root's entries, in order. */
enum sitemap_kind sitemap_read(const char *body, size_t len, sitemap_loc_fn loc, void *ctx,
			       struct sitemap_result *res);

/* Is this response worth reading as a sitemap: an XML or gzip content type, gzip
 * bytes, or a path ending in .xml or .gz? */
bool sitemap_candidate(const char *content_type, const char *url, const char *body,
		       size_t len);

/* Every "Sitemap: URL" line of a robots.txt body (any case, comments dropped), at most
 * SITEMAP_MAX_ROBOTS, to fn.  Returns how many. */
size_t sitemap_robots_lines(const char *body, size_t len, sitemap_loc_fn fn, void *ctx);

/*
 * A worker's sitemaps (sitemap: true).  Once robots.txt is known the worker takes the
 * roots (its Sitemap: lines of this site, else /sitemap.xml) and sends them up with
 * the next URL it finishes; every response that may be a sitemap is then read, and
 * what it lists comes back as lists to send: sitemaps (of an index) and pages (of a
 * urlset), each canonical, of this site only, pages through sitemap_allow, none
 * twice.  Sitemaps this worker sent up are "expected": one of them that cannot be
 * read is an error on its page row; after a worker restart a sitemap is still known
 * by its root element.
 */
struct ex_rules;
struct urlset;

struct sitemap_list {
	char **v;
	size_t n, cap;
};

struct sitemap_state {
	const char *site;		/* "host[:port]" */
	const struct ex_rules *ex;	/* sitemap_allow */
	bool pending;			/* roots to send with the next finished URL */
	struct sitemap_list roots;	/* from robots.txt */
	struct urlset *expected;	/* sitemaps sent up (hashes) */
};

/* 0, or -1 when out of memory. */
int sitemap_state_init(struct sitemap_state *st, const char *site, const struct ex_rules *ex);
void sitemap_state_free(struct sitemap_state *st);

/* robots.txt is known (body "" when it gave no rules): take its Sitemap: lines. */
void sitemap_state_robots(struct sitemap_state *st, const char *body, size_t len);

/* The roots to send now (pending), else NULL: the robots.txt lines, or
 * scheme://site/sitemap.xml.  Each is then expected.  Free with sitemap_list_free. */
struct sitemap_list *sitemap_state_roots(struct sitemap_state *st, const char *scheme);

/*
 * Read one 2xx response of url as a sitemap if it is one (expected, or a candidate
 * whose root says so).  sent: the URLs this worker already sent up (pages from the
 * sitemap are added).  Fills sitemaps and pages; error gets "sitemap: ..." when a
 * sitemap could not be read whole ("" otherwise).  Returns true when it was read as a
 * sitemap.
 */
bool sitemap_state_page(struct sitemap_state *st, const char *url, const char *content_type,
			const char *body, size_t len, struct urlset *sent,
			struct sitemap_list *sitemaps, struct sitemap_list *pages, char *error,
			size_t errlen);

void sitemap_list_free(struct sitemap_list *l);

#endif
