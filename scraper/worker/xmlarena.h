/*
 * xmlarena.h: a per-page arena for libxml2's memory, in workers.
 *
 * Parsing a page and evaluating XPath over it makes many thousands of small
 * allocations that all die together when the page is done; with the C library's
 * allocator they cost about a quarter of a worker's CPU.  Installed with xmlMemSetup,
 * these functions send libxml2's allocations made between xmlarena_begin and
 * xmlarena_end to a bump allocator over one reserved region: malloc is a pointer
 * bump, free does nothing, realloc grows the last block in place, and xmlarena_end
 * releases the page's memory in one step (no xmlFreeDoc walk).  Outside that window,
 * and when a page outgrows the region, they fall through to malloc, realloc and free.
 *
 * Rules for the caller: nothing allocated inside the window may be used after
 * xmlarena_end (the document, its XPath contexts, strings from xmlNodeGetContent);
 * libxml2 must be initialised (and its lazily made globals warmed up) before the first
 * window; one thread only.
 */
#ifndef SCRAPER_XMLARENA_H
#define SCRAPER_XMLARENA_H

#include <stdbool.h>
#include <stddef.h>

/* Reserve the region (address space; pages are used as touched) and install the
 * functions with xmlMemSetup.  Call before the first page (what libxml2 allocated
 * before stays the C library's and is freed there).  0, or -1 when the region cannot
 * be reserved (libxml2 then keeps the C library's allocator). */
int xmlarena_install(size_t reserve);

/* Start a page: libxml2's allocations now come from the arena. */
void xmlarena_begin(void);

/* Did the arena hold everything this page allocated?  Then the caller may skip freeing
 * the page's objects.  False when the arena is not installed or some allocations fell
 * through to malloc: then free the document with xmlFreeDoc before xmlarena_end. */
bool xmlarena_owns_page(void);

/* End the page: its arena memory is gone. */
void xmlarena_end(void);

/* Did an allocation of this page fail (the arena full and malloc refused: the
 * worker's memory limit)?  Then the page could not be parsed or extracted whole. */
bool xmlarena_failed(void);

/* Bytes the last page used (for tests and logs). */
size_t xmlarena_used(void);

#endif
