/*
 * pgread.h: query, export and stats on a PostgreSQL database (read/pgread.c).
 */
#ifndef SCRAPER_PGREAD_H
#define SCRAPER_PGREAD_H

#include "read/export.h"
#include "read/query.h"
#include "read/stats.h"

/* Each returns an enum exit_code.  sql: the statement (QUERY_SQL). */
int pgread_query(const struct query_opts *o, const char *sql);
int pgread_export(const struct export_opts *o);
int pgread_stats(const struct stats_opts *o);

#endif
