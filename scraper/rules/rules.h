/*
 * rules.h: rule files (YAML, one per site) loaded into compiled rules.
 *
 * A rule file's settings (politeness, limits, scope) are plain fields; its follow and
 * item rules are compiled into an ex_rules (extractors/extract.h) on load, so a bad
 * selector or regex is found before any crawling.  Every problem is recorded as a
 * diagnostic "file:line:col: message" and loading goes on, so 'scraper check' can
 * list them all.
 */
#ifndef SCRAPER_RULES_H
#define SCRAPER_RULES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "extract.h"

enum scope { SCOPE_SITE, SCOPE_ANY };

struct rule_field {
	char *name;
	enum ex_type type;
	bool all;		/* a JSON array (unless joined) */
	bool joined;
};

struct rule_item {
	char *type;
	struct rule_field *fields;
	size_t nfields;
	char *key_json;		/* key: the identity's field names as a JSON array
				 * (["sku"]); NULL: the default, page URL and position */
};

struct site_rules {
	char *path;		/* the rule file; NULL for the built-in defaults */
	char *text;		/* its YAML as loaded (sent to workers); NULL for the defaults */
	char **sites;		/* patterns: "host", "host:port", "*.domain" */
	size_t nsites;
	int concurrency;
	double delay;		/* seconds between request starts */
	bool robots;		/* obey robots.txt */
	char *user_agent;
	int max_depth;
	long max_pages;
	double timeout;		/* seconds per request */
	long max_bytes;
	int retries;
	char *proxy;		/* NULL: the environment's *_proxy variables */
	char *ca_file;		/* CA bundle for https (relative: to the rule file); NULL: the system's */
	long max_memory_mb;	/* a worker's memory beyond its start-up mappings */
	double max_page_cpu;	/* seconds of CPU a page's parse and extraction may take */
	enum scope scope;
	bool store_bodies;	/* keep response bodies in the database */
	char fingerprint[65];	/* SHA-256 of the rule file's text (hex); "" built-in */
	bool sitemap;		/* seed the site from its sitemaps (worker/sitemap.h); the
				 * sitemap_allow filter is in ex */
	struct ex_rules *ex;
	struct rule_item *items;	/* what the items look like, for SQL views */
	size_t nitems;
};

struct rule_set {
	struct site_rules **files;
	size_t nfiles;
	struct site_rules *fallback;	/* default.yaml, or the built-in defaults */
	char **ignored;		/* names in the folder that look like rule files but are
				 * not *.yaml (books.yml, books.yaml.bak, ...), sorted */
	size_t nignored;
};

struct diag {
	char *file;
	int line, col;		/* 1-based; 0 when not known */
	char *msg;
};

struct diags {
	struct diag *v;
	size_t n;
};

/* The built-in defaults: store the page record and its <title>, follow nothing. */
struct site_rules *rules_builtin(void);

/* Load one rule file.  NULL when it has errors (all added to d) or on out of memory. */
struct site_rules *rules_load_file(const char *path, struct diags *d);

/* The same from YAML text in memory; name is used in diagnostics. */
struct site_rules *rules_load_mem(const char *name, const char *text, size_t len,
				  struct diags *d);

/* Load every *.yaml in dir (default.yaml is the fallback).  A missing dir is an error
 * unless missing_ok.  NULL when any file has errors; every error is in d. */
struct rule_set *rules_load_dir(const char *dir, bool missing_ok, struct diags *d);

/* The rules for a site ("host[:port]"): an exact host:port pattern, then a host
 * pattern (any port), then the longest matching "*.domain", then the fallback. */
const struct site_rules *rules_for_site(const struct rule_set *set, const char *site);

/* The key field names (JSON array) of item type `type` in r, or NULL (default key). */
const char *rules_item_key(const struct site_rules *r, const char *type);

void rules_free(struct site_rules *r);
void rule_set_free(struct rule_set *set);

void diags_add(struct diags *d, const char *file, int line, int col, const char *fmt, ...)
    __attribute__((format(printf, 5, 6)));
/* Print every diagnostic, sorted by file, line and column. */
void diags_print(struct diags *d, FILE *f);
void diags_free(struct diags *d);

#endif
