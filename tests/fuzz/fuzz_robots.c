/*
 * fuzz_robots.c: parse arbitrary bytes as robots.txt (scraper/worker/robots.c) for a few
 * user agents and ask about a few paths, the input's own first line among them.  Must
 * never crash, read out of bounds or leak; a few invariants are checked too:
 * /robots.txt is always allowed, a Crawl-delay is negative or finite.
 */
#include "config.h"

#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "worker/robots.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char *const agents[] = {
	"scraper/1.0 (+http://example.com/bot)",
	"foobot",
	"",
};

static const char *const paths[] = {
	"/",
	"",
	"/robots.txt",
	"/a/b/c.html?x=1&y=%2F",
	"/%7Efoo/%E3%83%84/*$/caf\xc3\xa9",
	"/aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaab",
};

/* The input's first line, as a NUL-terminated path to ask about. */
static char *
first_line(const uint8_t *data, size_t size)
{
	size_t n = 0;
	char *s;

	while (n < size && n < 4096 && data[n] != '\n' && data[n] != '\0')
		n++;
	if ((s = malloc(n + 1)) == NULL)
		return NULL;
	memcpy(s, data, n);
	s[n] = '\0';
	return s;
}

static void
query(const struct robots *r, const char *own)
{
	double d = robots_crawl_delay(r);

	if (!(d < 0 || isfinite(d)))
		abort();
	if (!robots_allows(r, "/robots.txt"))
		abort();
	for (size_t i = 0; i < sizeof paths / sizeof paths[0]; i++)
		(void)robots_allows(r, paths[i]);
	if (own != NULL)
		(void)robots_allows(r, own);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *own = first_line(data, size);
	char token[16];

	for (size_t i = 0; i < sizeof agents / sizeof agents[0]; i++) {
		struct robots *r = robots_parse((const char *)data, size, agents[i]);

		if (r == NULL)
			continue; /* out of memory */
		query(r, own);
		robots_free(r);
	}
	if (own != NULL) {
		/* The first line as a User-Agent value too. */
		struct robots *r = robots_parse((const char *)data, size, own);

		if (r != NULL) {
			query(r, own);
			robots_free(r);
		}
		if (robots_product_token(own, token, sizeof token) < sizeof token &&
		    strlen(token) != robots_product_token(own, NULL, 0))
			abort();
	}
	free(own);
	return 0;
}
