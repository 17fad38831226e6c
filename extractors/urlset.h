/*
 * urlset.h: sets of URLs, kept as 64-bit hashes.
 *
 * The coordinator's frontier keeps one to answer "seen before?" for every URL of the
 * crawl without a database round trip (the frontier's rows live in SQLite); link
 * extraction keeps one per page.  Memory is 8-byte slots at a load between 3/8 and
 * 3/4: 11 to 22 bytes per URL, whatever the URLs' length (a transient 1.5x that while
 * the table doubles).  A 64-bit hash collision would drop a
 * new URL as seen: with ten million URLs the chance is about 3 in a million.
 */
#ifndef SCRAPER_URLSET_H
#define SCRAPER_URLSET_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct urlset {
	uint64_t *slots;	/* 0 = empty */
	size_t cap;		/* a power of two */
	size_t count;
};

/* Hash of a URL (never 0). */
uint64_t url_hash(const char *s, size_t n);

void urlset_init(struct urlset *set);
void urlset_free(struct urlset *set);
/* Add h.  1 if it was new, 0 if already there, -1 on out of memory. */
int urlset_add(struct urlset *set, uint64_t h);
bool urlset_has(const struct urlset *set, uint64_t h);

#endif
