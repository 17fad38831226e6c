/*
 * fuzz_spec.c: libFuzzer target for the service's request bodies and --listen
 * (scraper/serve/spec.c): the body of PUT /api/v1/projects/NAME, the body of POST
 * .../jobs, and a listen address.
 *
 * The same bytes go to all three parsers.  A project that parses must keep the
 * promises spec.h makes (plain rule file names, at most SPEC_RULES_MAX of them, one
 * to SPEC_SEEDS_MAX seeds that are http(s) URLs, a notify URL that is one too, limits
 * in range); a refused body must leave the spec empty and say why in words.  A listen
 * address that parses must be IPv4 or IPv6 with the length that goes with it.  Any
 * other outcome aborts.
 * Seed corpus: tests/fuzz/spec.in/.
 */
#include "config.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <netinet/in.h>

#include "serve/spec.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
check_project(const char *body, size_t len)
{
	struct project_spec s;
	char err[512];

	memset(&s, 0, sizeof s);
	err[0] = '\0';
	if (spec_parse_project(&s, body, len, err, sizeof err) == 0) {
		if (s.nseeds < 1 || s.nseeds > SPEC_SEEDS_MAX || s.nrules > SPEC_RULES_MAX ||
		    s.workers < 0 || s.max_pages < 0 || s.max_depth < -1)
			abort();
		for (size_t i = 0; i < s.nseeds; i++)
			if (!spec_url_ok(s.seeds[i]))
				abort();
		for (size_t i = 0; i < s.nrules; i++)
			if (!spec_rule_file_ok(s.rules[i].file) || s.rules[i].text == NULL ||
			    strlen(s.rules[i].text) > s.rules[i].len)
				abort();
		if (s.notify != NULL && !spec_url_ok(s.notify))
			abort();
	} else if (err[0] == '\0' || memchr(err, '\0', sizeof err) == NULL || s.nseeds != 0 ||
		   s.nrules != 0) {
		abort();
	}
	spec_free(&s);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	/* Exact-size copies: one as the body, one as a C string. */
	char *body = malloc(size ? size : 1), *str = malloc(size + 1);
	struct sockaddr_storage ss;
	socklen_t sslen = 0;
	bool recrawl = false, fresh = false, loopback = false;
	char err[512];

	if (body == NULL || str == NULL)
		goto out;
	memcpy(body, data, size);
	memcpy(str, data, size);
	str[size] = '\0';
	check_project(body, size);
	err[0] = '\0';
	if (spec_parse_job(body, size, &recrawl, &fresh, err, sizeof err) == -1 && err[0] == '\0')
		abort();
	err[0] = '\0';
	if (spec_parse_listen(str, &ss, &sslen, &loopback, err, sizeof err) == 0) {
		if (!((ss.ss_family == AF_INET && sslen == sizeof(struct sockaddr_in)) ||
		      (ss.ss_family == AF_INET6 && sslen == sizeof(struct sockaddr_in6))))
			abort();
	} else if (err[0] == '\0') {
		abort();
	}
	spec_name_ok(str);
	spec_rule_file_ok(str);
	spec_url_ok(str);
out:
	free(body);
	free(str);
	return 0;
}
