/*
 * export.h: the `export` command's options and entry point (read/export.c).
 */
#ifndef SCRAPER_EXPORT_H
#define SCRAPER_EXPORT_H

#include <stdbool.h>

#include "read/format.h"

struct export_opts {
	const char *db_path;
	const char *type;
	enum out_format format; /* FMT_JSONL (default), FMT_JSON or FMT_CSV */
	const char *out_path;	/* NULL: standard output */
	bool warc;		/* -f warc: the stored responses as WARC 1.1 (read/warc.c) */
};

/* Returns an enum exit_code. */
int export_run(const struct export_opts *o);

#endif
