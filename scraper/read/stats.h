/*
 * stats.h: the `stats` command's options and entry point (read/stats.c).
 */
#ifndef SCRAPER_STATS_H
#define SCRAPER_STATS_H

#include "read/format.h"

struct stats_opts {
	const char *db_path;
	enum out_format format; /* FMT_TABLE or FMT_JSON */
};

/* Returns an enum exit_code. */
int stats_run(const struct stats_opts *o);

#endif
