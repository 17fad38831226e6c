/*
 * sha256.h: SHA-256 (FIPS 180-4), for content digests of stored bodies and the
 * fingerprint of rule files.  Small and self-contained so that no crypto library is
 * needed for it; tests/unit/test_sha256.c checks it against the standard's vectors.
 */
#ifndef SCRAPER_SHA256_H
#define SCRAPER_SHA256_H

#include <stddef.h>
#include <stdint.h>

struct sha256 {
	uint32_t h[8];
	uint64_t len;		/* bytes hashed so far */
	unsigned char block[64];
	size_t fill;		/* bytes waiting in block */
};

void sha256_init(struct sha256 *c);
void sha256_update(struct sha256 *c, const void *data, size_t n);
void sha256_final(struct sha256 *c, unsigned char out[32]);

/* The digest of data as 64 lower-case hex digits and a NUL. */
void sha256_hex(const void *data, size_t n, char out[65]);
void sha256_to_hex(const unsigned char d[32], char out[65]);

#endif
