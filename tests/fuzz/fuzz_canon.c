/*
 * fuzz_canon.c: libFuzzer target for URL canonicalisation (extractors/url.c).
 *
 * The input is a URL's text.  When url_canonical accepts it, the result must be its
 * own canonical form (canonical(canonical(x)) == canonical(x)), must hold no user name
 * or password, and must hold no space, control or non-ASCII byte.  The input is also
 * resolved as an href against a base: a link url_resolve gives must be canonical too.
 * Any other outcome aborts.
 * Seed corpus: tests/fuzz/canon.in/.
 */
#include "config.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "url.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Abort unless url is canonical: the same again, no userinfo, printable ASCII. */
static void
check_canonical(const char *in, const char *url)
{
	const char *auth = strstr(url, "://"), *end;
	struct buf again;

	for (const unsigned char *p = (const unsigned char *)url; *p; p++)
		if (*p <= ' ' || *p >= 0x7f)
			abort();
	if (auth == NULL)
		abort();
	auth += 3;
	end = auth + strcspn(auth, "/?#");
	if (memchr(auth, '@', (size_t)(end - auth)) != NULL) {
		fprintf(stderr, "userinfo kept: '%s' -> '%s'\n", in, url);
		abort();
	}
	buf_init(&again, URL_MAX * 4);
	if (url_canonical(url, &again) != 0 || strcmp(buf_str(&again), url) != 0) {
		fprintf(stderr, "not idempotent: '%s' -> '%s' -> '%s'\n", in, url,
			buf_str(&again));
		abort();
	}
	buf_free(&again);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct url_base *base;
	struct buf out;
	char *s;

	if (size > URL_MAX + 16 || memchr(data, '\0', size) != NULL)
		return 0;
	if (base == NULL && (base = url_base_new("http://ex.com/a/b/c?q=1")) == NULL)
		abort();
	if ((s = malloc(size + 1)) == NULL)
		return 0;
	memcpy(s, data, size);
	s[size] = '\0';
	buf_init(&out, URL_MAX * 4);
	if (url_canonical(s, &out) == 0)
		check_canonical(s, buf_str(&out));
	buf_truncate(&out, 0);
	if (url_resolve(base, s, &out) == 0)
		check_canonical(s, buf_str(&out));
	buf_free(&out);
	free(s);
	return 0;
}
