/*
 * oom.h: allocation for the coordinator and the service, where running out of memory
 * has no sensible recovery.
 *
 * Each helper logs "out of memory" and exits with EXIT_FAILED when the allocation
 * fails; committed data is safe (the store commits in transactions) and the crawl
 * resumes.  Library-style modules (extractors/, the store, the read side, the worker's
 * per-page work) do not use these: they return errors, because a page that is too big
 * must fail that page, not the process.
 */
#ifndef SCRAPER_OOM_H
#define SCRAPER_OOM_H

#include <stddef.h>

void *xmalloc(size_t size);
void *xcalloc(size_t n, size_t size);
char *xstrdup(const char *s);	/* NULL stays NULL */

/* Make room in an array of elem-sized entries for entry n: *cap doubles (from 16)
 * when n has reached it.  Returns the (possibly moved) array. */
void *xgrow(void *v, size_t *cap, size_t n, size_t elem);

/* Log and exit: for a failure of an allocation made some other way. */
void oom_exit(void) __attribute__((noreturn));

#endif
