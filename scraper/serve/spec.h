/*
 * spec.h: what the API accepts, checked before anything is touched (serve/spec.c).
 *
 * Pure functions over strings and JSON text: project and rule-file names, the body of
 * PUT /api/v1/projects/NAME and of POST .../jobs, the --listen address.  Nothing here
 * reads a file or the clock, so every rule is unit-tested (tests/unit/test_serve_spec.c).
 * Every error message names the field it is about, as the API answers it (400).
 */
#ifndef SCRAPER_SPEC_H
#define SCRAPER_SPEC_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/socket.h>

#define SPEC_SEEDS_MAX 100000	/* seeds of one project */
#define SPEC_RULES_MAX 1000	/* rule files of one project */
#define SPEC_URL_MAX 8192	/* one seed or notify URL */

struct spec_rule {
	char *file;		/* "NAME.yaml" */
	char *text;
	size_t len;
};

struct project_spec {
	struct spec_rule *rules;
	size_t nrules;
	char **seeds;
	size_t nseeds;
	long workers;		/* 0: the crawl's default */
	long max_pages;		/* 0: none */
	long max_depth;		/* -1: none */
	char *schedule;		/* a cron expression (checked), or NULL */
	char *notify;		/* an http(s) URL, or NULL */
};

/* [a-z0-9_-]{1,64} */
bool spec_name_ok(const char *name);

/* A plain rule file name: [A-Za-z0-9_-][A-Za-z0-9_.-]* ending in ".yaml", at most 128
 * bytes, no "..": never a path. */
bool spec_rule_file_ok(const char *name);

/* An absolute http:// or https:// URL with a host, no white space or control
 * characters, at most SPEC_URL_MAX bytes. */
bool spec_url_ok(const char *url);

/* Parse the body of PUT /api/v1/projects/NAME into *s.  0, or -1 with a message in
 * err (the spec is then empty).  spec_free in both cases. */
int spec_parse_project(struct project_spec *s, const char *body, size_t len, char *err,
		       size_t errlen);
void spec_free(struct project_spec *s);

/* Parse the (optional) body of POST .../jobs: {"recrawl": bool, "fresh": bool}.
 * An empty body is {}.  0, or -1 with err. */
int spec_parse_job(const char *body, size_t len, bool *recrawl, bool *fresh, char *err,
		   size_t errlen);

/* Parse --listen: "ADDR:PORT", "[V6ADDR]:PORT", "localhost:PORT" or ":PORT" (all
 * IPv4 addresses); the port may be 0 (any free port).  0, or -1 with err; *loopback
 * says whether the address is 127.0.0.0/8 or ::1. */
int spec_parse_listen(const char *s, struct sockaddr_storage *ss, socklen_t *sslen,
		      bool *loopback, char *err, size_t errlen);

#endif
