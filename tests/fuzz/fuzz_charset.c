/*
 * fuzz_charset.c: libFuzzer target for charset detection and decoding to UTF-8
 * (scraper/worker/charset.c), the way page.c uses them.
 *
 * The input's first line is the Content-Type header's value (an empty line: no
 * header); the rest is the body.  The decision must name an encoding and describe
 * itself in a terminated string; the byte-order mark it skips must lie inside the
 * body; converting into page.c's buffer (3 bytes per input byte, plus 64) must not
 * run out of room, and what comes out must be valid UTF-8 by RFC 3629 (checked here
 * on its own, not with charset_valid_utf8, which is checked against it).  The
 * single-byte tables are loaded, as in a worker (charset_tables_load): a body in an
 * encoding decoded by a table must come out as iconv(3) gives it, each byte iconv
 * refuses one U+FFFD (what try and reparse, which have no tables, get).  Any other
 * outcome aborts.
 * Seed corpus: tests/fuzz/charset.in/.
 */
#include "config.h"

#include <errno.h>
#include <iconv.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "worker/charset.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Valid UTF-8: shortest forms only, no surrogates, nothing past U+10FFFF. */
static int
utf8_ok(const unsigned char *s, size_t n)
{
	size_t i = 0;

	while (i < n) {
		unsigned char c = s[i];
		uint32_t cp;
		size_t k;

		if (c < 0x80) {
			i++;
			continue;
		}
		if (c >= 0xc2 && c <= 0xdf)
			k = 1, cp = c & 0x1f;
		else if (c >= 0xe0 && c <= 0xef)
			k = 2, cp = c & 0x0f;
		else if (c >= 0xf0 && c <= 0xf4)
			k = 3, cp = c & 0x07;
		else
			return 0;
		if (n - i <= k)
			return 0;
		for (size_t j = 1; j <= k; j++) {
			if ((s[i + j] & 0xc0) != 0x80)
				return 0;
			cp = cp << 6 | (s[i + j] & 0x3f);
		}
		if ((k == 2 && cp < 0x800) || (k == 3 && (cp < 0x10000 || cp > 0x10ffff)) ||
		    (cp >= 0xd800 && cp <= 0xdfff))
			return 0;
		i += k + 1;
	}
	return 1;
}

/* body[0..len) from name to UTF-8 by iconv, U+FFFD for each byte it refuses. */
static void
iconv_whole(const char *name, const char *body, size_t len, struct buf *out)
{
	iconv_t cd = iconv_open("UTF-8", name);
	char chunk[4096];

	if (cd == (iconv_t)-1)
		abort(); /* it has a table, so iconv knows it */
	while (len > 0) {
		char *in = (char *)body, *o = chunk;
		size_t inleft = len, outleft = sizeof chunk;
		size_t rc = iconv(cd, &in, &inleft, &o, &outleft);
		int e = errno;

		if (buf_append(out, chunk, sizeof chunk - outleft) == -1)
			abort();
		body = in;
		len = inleft;
		if (rc == (size_t)-1 && e != E2BIG) {
			if (buf_append(out, "\xef\xbf\xbd", 3) == -1)
				abort();
			body++;
			len--;
			iconv(cd, NULL, NULL, NULL, NULL);
		}
	}
	iconv_close(cd);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const uint8_t *nl = memchr(data, '\n', size);
	size_t hlen = nl != NULL ? (size_t)(nl - data) : 0;
	const char *body = nl != NULL ? (const char *)nl + 1 : (const char *)data;
	size_t len = nl != NULL ? size - hlen - 1 : size;
	char *ctype = NULL, note[96];
	struct charset_choice cs;
	struct buf out;
	static int ready;

	if (!ready) {
		charset_tables_load();
		ready = 1;
	}

	if (hlen > 0) {
		if ((ctype = malloc(hlen + 1)) == NULL)
			return 0;
		memcpy(ctype, data, hlen);
		ctype[hlen] = '\0';
	}
	/* The body is an exact-size copy, so reads past its end are seen. */
	char *copy = malloc(len ? len : 1);
	if (copy == NULL) {
		free(ctype);
		return 0;
	}
	memcpy(copy, body, len);
	charset_detect(ctype, copy, len, &cs);
	if (cs.name[0] == '\0' || memchr(cs.name, '\0', sizeof cs.name) == NULL ||
	    memchr(cs.label, '\0', sizeof cs.label) == NULL || cs.source == NULL || cs.bom > len)
		abort();
	charset_describe(&cs, note, sizeof note);
	if (memchr(note, '\0', sizeof note) == NULL || note[0] == '\0')
		abort();
	/* charset_valid_utf8 must agree with the check above. */
	if (!charset_valid_utf8(copy, len) != !utf8_ok((const unsigned char *)copy, len))
		abort();
	buf_init(&out, len * 3 + 64);
	if (charset_to_utf8(&cs, copy, len, &out) == -1)
		abort();
	if (!utf8_ok((const unsigned char *)out.data, out.len))
		abort();
	if (charset_has_table(cs.name)) {
		struct buf want;
		size_t skip = cs.bom <= len ? cs.bom : 0;

		buf_init(&want, len * 3 + 64);
		iconv_whole(cs.name, copy + skip, len - skip, &want);
		if (want.len != out.len || (out.len > 0 && memcmp(want.data, out.data, out.len) != 0))
			abort();
		buf_free(&want);
	}
	buf_free(&out);
	free(copy);
	free(ctype);
	return 0;
}
