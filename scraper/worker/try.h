/*
 * try.h: the `try` command's options and entry point (worker/try.c): one page through
 * the worker's fetch, decode, parse and extract steps, in this process.
 */
#ifndef SCRAPER_TRY_H
#define SCRAPER_TRY_H

#include <stdbool.h>

struct try_opts {
	const char *config_dir;
	bool config_given;
	const char *target;	/* URL, or a file to read */
	const char *url;	/* --url: the address of a file target */
	bool explain;		/* --explain: say why, for every field, item and link */
	const char *css;	/* --css SEL: apply this one selector, no rule file */
	const char *xpath;	/* --xpath EXPR: likewise */
};

/* Returns an enum exit_code. */
int try_run(const struct try_opts *o);

#endif
