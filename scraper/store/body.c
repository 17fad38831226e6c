/*
 * body.c: packing and unpacking stored bodies (see body.h).
 */
#include "config.h"

#include "store/body.h"

#include <stdio.h>
#include <string.h>

#include <zstd.h>

#include "base/sha256.h"

#define BODY_LEVEL 3	/* zstd's default: fast, and HTML shrinks 4-8 times */

int
body_pack(const void *raw, size_t n, struct buf *out, char digest[65])
{
	size_t bound = ZSTD_compressBound(n), got;

	sha256_hex(raw, n, digest);
	buf_reset(out);
	if (buf_reserve(out, bound + 1) == -1)
		return -1;
	got = ZSTD_compress(out->data, bound, raw, n, BODY_LEVEL);
	if (ZSTD_isError(got))
		return -1;
	out->len = got;
	return 0;
}

int
body_unpack(const void *z, size_t zn, size_t size, const char *digest, struct buf *out,
	    char *err, size_t errlen)
{
	unsigned long long framed = ZSTD_getFrameContentSize(z, zn);
	char got[65];
	size_t n;

	buf_reset(out);
	if (framed == ZSTD_CONTENTSIZE_ERROR || (framed != ZSTD_CONTENTSIZE_UNKNOWN && framed != size)) {
		snprintf(err, errlen, "stored body is corrupt (not a zstd frame of %zu bytes)", size);
		return -1;
	}
	if (buf_reserve(out, size + 1) == -1) {
		snprintf(err, errlen, "stored body of %zu bytes is too large", size);
		return -1;
	}
	n = ZSTD_decompress(out->data, size + 1, z, zn);
	if (ZSTD_isError(n) || n != size) {
		snprintf(err, errlen, "stored body is corrupt (%s)",
			 ZSTD_isError(n) ? ZSTD_getErrorName(n) : "wrong size");
		return -1;
	}
	out->len = n;
	out->data[n] = '\0';
	if (digest != NULL) {
		sha256_hex(out->data, n, got);
		if (strcmp(got, digest) != 0) {
			snprintf(err, errlen, "stored body does not match its digest");
			return -1;
		}
	}
	return 0;
}
