/*
 * xmlarena.c: a bump allocator for libxml2, one page at a time (see xmlarena.h).
 *
 * Each block is preceded by its size (16 bytes, keeping 16-byte alignment), so
 * realloc knows how much to copy and can grow the newest block where it lies.  After
 * a page that used a lot, the pages above a high-water mark are given back to the
 * kernel, so one huge page does not keep a worker's memory up.
 */
#include "config.h"

#include "worker/xmlarena.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include <libxml/xmlmemory.h>

#define HEADER 16		/* size header before each block */
#define KEEP (4u << 20)		/* bytes kept resident between pages */

static struct {
	char *base;		/* the reserved region; NULL when not installed */
	size_t size;
	size_t used;		/* bump offset */
	size_t last;		/* offset of the newest block's header */
	size_t high;		/* the most any page has used since the last trim */
	bool active;
	bool spilled;		/* a block fell through to malloc this page */
	bool failed;		/* and malloc said no (a memory limit) */
} A;

static bool
in_arena(const void *p)
{
	return A.base != NULL && (const char *)p >= A.base && (const char *)p < A.base + A.size;
}

static size_t
round16(size_t n)
{
	return (n + 15) & ~(size_t)15;
}

/* A block of n bytes from the arena, or NULL when it does not fit. */
static void *
bump(size_t n)
{
	size_t need = HEADER + round16(n ? n : 1);
	char *h;

	if (need < n || A.used + need > A.size)
		return NULL;
	h = A.base + A.used;
	memcpy(h, &n, sizeof n);
	A.last = A.used;
	A.used += need;
	return h + HEADER;
}

static void *
arena_malloc(size_t n)
{
	void *p;

	if (A.active && (p = bump(n)) != NULL)
		return p;
	if (!A.active)
		return malloc(n);
	A.spilled = true;
	if ((p = malloc(n)) == NULL)
		A.failed = true;
	return p;
}

static void
arena_free(void *p)
{
	if (!in_arena(p))
		free(p);
}

static void *
arena_realloc(void *p, size_t n)
{
	size_t old;
	char *h;
	void *q;

	if (p == NULL)
		return arena_malloc(n);
	if (!in_arena(p)) {
		/* made before the page (or spilled): it stays outside */
		if ((q = realloc(p, n)) == NULL && A.active)
			A.failed = true;
		return q;
	}
	h = (char *)p - HEADER;
	memcpy(&old, h, sizeof old);
	/* The newest block grows where it lies. */
	if ((size_t)(h - A.base) == A.last && A.last + HEADER + round16(n) <= A.size &&
	    round16(n) >= n) {
		memcpy(h, &n, sizeof n);
		A.used = A.last + HEADER + round16(n ? n : 1);
		return p;
	}
	if ((q = arena_malloc(n)) == NULL)
		return NULL;
	memcpy(q, p, old < n ? old : n);
	return q;
}

static char *
arena_strdup(const char *s)
{
	size_t n = strlen(s) + 1;
	char *p = arena_malloc(n);

	if (p != NULL)
		memcpy(p, s, n);
	return p;
}

int
xmlarena_install(size_t reserve)
{
	void *p = mmap(NULL, reserve, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);

	if (p == MAP_FAILED)
		return -1;
	if (xmlMemSetup(arena_free, arena_malloc, arena_realloc, arena_strdup) != 0) {
		munmap(p, reserve);
		return -1;
	}
	A.base = p;
	A.size = reserve;
	return 0;
}

void
xmlarena_begin(void)
{
	A.used = 0;
	A.last = 0;
	A.spilled = false;
	A.failed = false;
	A.active = A.base != NULL;
}

bool
xmlarena_owns_page(void)
{
	return A.base != NULL && !A.spilled;
}

void
xmlarena_end(void)
{
	A.active = false;
	if (A.used > A.high)
		A.high = A.used;
	/* Give back what a big page touched beyond what ordinary pages need. */
	if (A.base != NULL && A.high > KEEP) {
		madvise(A.base + KEEP, A.high - KEEP, MADV_DONTNEED);
		A.high = KEEP;
	}
}

bool
xmlarena_failed(void)
{
	return A.failed;
}

size_t
xmlarena_used(void)
{
	return A.used;
}
