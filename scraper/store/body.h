/*
 * body.h: stored response bodies (crawl --store-bodies, store_bodies: true).
 *
 * A body is kept zstd-compressed under the SHA-256 of its bytes (table bodies), once
 * however many pages have it.  The worker packs a body (hash and compress: the work
 * is spread over the workers) and sends it up in BODY frames; the store unpacks a
 * body it has not seen before to check that the digest is the bytes' (a worker is not
 * trusted to name another page's body); reparse and the WARC export unpack to read.
 * Unpacking is bounded by the size the caller expects: a corrupt or hostile blob is
 * an error, never an unbounded allocation.
 */
#ifndef SCRAPER_BODY_H
#define SCRAPER_BODY_H

#include <stddef.h>

#include "buf.h"

#define BODY_CODEC "zstd"

/* Compress n bytes at raw into out (reset first) and put their SHA-256 in digest.
 * 0, or -1 (out of memory, or out's maximum). */
int body_pack(const void *raw, size_t n, struct buf *out, char digest[65]);

/* Decompress a packed body of exactly size bytes into out (reset first), and check
 * it against digest when digest is not NULL.  0, or -1 with err filled. */
int body_unpack(const void *z, size_t zn, size_t size, const char *digest, struct buf *out,
		char *err, size_t errlen);

#endif
