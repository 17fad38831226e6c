/*
 * history.h: the parts of `scraper stats` about items over time (read/history.c):
 * what each run added, changed and marked gone, and the extraction problems kept.
 */
#ifndef SCRAPER_HISTORY_H
#define SCRAPER_HISTORY_H

#include <stdbool.h>

#include <sqlite3.h>

#include "buf.h"

#define HISTORY_RUNS_SHOWN 10	/* runs listed in the table (-f json lists all) */
#define HISTORY_REASONS_SHOWN 10

/* Append the runs section to out (json: ',"runs":[...]'; table: lines).  Nothing
 * for a database without runs (schema 2 and older) or with none.  0, or -1 with
 * the database's message in err. */
int history_runs(sqlite3 *db, struct buf *out, bool json, char *err, size_t errlen);

/* The same for the extraction problems: counts by reason, an example of each. */
int history_problems(sqlite3 *db, struct buf *out, bool json, char *err, size_t errlen);

/* The reason of a problem message: its quoted names and values taken out, so that
 * "item 'book' dropped: required field 'title' has no value" and the same of another
 * field are one reason.  Registered as the SQL function scraper_problem_reason. */
int history_problem_reason(struct buf *out, const char *msg);
int history_register(sqlite3 *db);

#endif
