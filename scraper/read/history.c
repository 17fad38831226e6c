/*
 * history.c: `scraper stats` on items over time (see history.h).
 *
 * runs: one line per crawl or reparse, newest first, with the changes it made:
 * added (a first version, or a version after the item was gone), changed (a later
 * version) and gone (versions that ended with it), counted from item_versions in one
 * pass (window functions over each item's versions).  problems: the kept extraction
 * problems (table problems) grouped by reason, most frequent first, each with one
 * example page and message.  Both read nothing on a database older than schema 3.
 */
#include "config.h"

#include "read/history.h"

#include <stdio.h>
#include <string.h>

#include "json.h"

static bool
has_table(sqlite3 *db, const char *name)
{
	sqlite3_stmt *st;
	bool has = false;

	if (sqlite3_prepare_v2(db, "SELECT 1 FROM sqlite_schema WHERE type = 'table' AND name = ?1",
			       -1, &st, NULL) != SQLITE_OK)
		return false;
	sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
	has = sqlite3_step(st) == SQLITE_ROW;
	sqlite3_finalize(st);
	return has;
}

static const char runs_sql[] =
	"WITH v AS (SELECT job, lag(id) OVER w AS prev, lag(gone_at) OVER w AS prev_gone"
	"  FROM item_versions WINDOW w AS (PARTITION BY item_id ORDER BY id)),"
	" c AS (SELECT job, sum(prev IS NULL OR prev_gone IS NOT NULL) AS added,"
	"  sum(prev IS NOT NULL AND prev_gone IS NULL) AS changed"
	"  FROM v WHERE job IS NOT NULL GROUP BY job),"
	" g AS (SELECT gone_job AS job, count(*) AS gone FROM item_versions"
	"  WHERE gone_job IS NOT NULL GROUP BY gone_job)"
	" SELECT r.id, r.kind, r.job, r.started_at, r.finished_at, ifnull(c.added, 0),"
	"  ifnull(c.changed, 0), ifnull(g.gone, 0), (SELECT count(*) FROM runs)"
	" FROM runs r LEFT JOIN c ON c.job = r.id LEFT JOIN g ON g.job = r.id"
	" ORDER BY r.id DESC";

static const char *
col(sqlite3_stmt *st, int i)
{
	const unsigned char *t = sqlite3_column_text(st, i);

	return t != NULL ? (const char *)t : NULL;
}

/*
 * The end of a listing of n rows (its statement st done with rc): the JSON array closed
 * with closer, or in text "... and N <more>" past the shown rows and a blank line.
 * w: the listing's buffer failures so far.  0, or -1 with err.
 */
static int
list_end(sqlite3 *db, sqlite3_stmt *st, int rc, struct buf *out, bool json, long long n,
	 long long shown, const char *closer, const char *more, int w, char *err, size_t errlen)
{
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE) {
		snprintf(err, errlen, "%s", sqlite3_errmsg(db));
		return -1;
	}
	if (json && n > 0)
		w |= buf_puts(out, closer);
	if (!json && n > shown)
		w |= buf_printf(out, "  ... and %lld %s (-f json lists all)\n", n - shown, more);
	if (!json && n > 0)
		w |= buf_putc(out, '\n');
	if (w != 0) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	return 0;
}

int
history_runs(sqlite3 *db, struct buf *out, bool json, char *err, size_t errlen)
{
	sqlite3_stmt *st;
	long long n = 0, total = 0;
	int rc, w = 0;

	if (!has_table(db, "runs") || !has_table(db, "item_versions"))
		return 0;
	if (sqlite3_prepare_v2(db, runs_sql, -1, &st, NULL) != SQLITE_OK) {
		snprintf(err, errlen, "%s", sqlite3_errmsg(db));
		return -1;
	}
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		total = sqlite3_column_int64(st, 8);
		if (json) {
			w |= buf_puts(out, n == 0 ? ",\n\"runs\":[" : ",");
			w |= buf_printf(out, "{\"run\":%lld,\"kind\":", sqlite3_column_int64(st, 0));
			w |= json_put_cstring(out, col(st, 1));
			w |= buf_puts(out, ",\"job\":");
			w |= json_put_cstring(out, col(st, 2));
			w |= buf_puts(out, ",\"started_at\":");
			w |= json_put_cstring(out, col(st, 3));
			w |= buf_puts(out, ",\"finished_at\":");
			w |= json_put_cstring(out, col(st, 4));
			w |= buf_printf(out, ",\"added\":%lld,\"changed\":%lld,\"gone\":%lld}",
					sqlite3_column_int64(st, 5), sqlite3_column_int64(st, 6),
					sqlite3_column_int64(st, 7));
		} else if (n < HISTORY_RUNS_SHOWN) {
			if (n == 0)
				w |= buf_printf(out, "runs: %lld (newest first)\n", total);
			w |= buf_printf(out, "  run %-5lld %-8s %s  %s  %lld added, %lld changed, %lld gone\n",
					sqlite3_column_int64(st, 0), col(st, 1) ? col(st, 1) : "",
					col(st, 3) ? col(st, 3) : "-",
					col(st, 4) ? "finished" : "unfinished",
					sqlite3_column_int64(st, 5), sqlite3_column_int64(st, 6),
					sqlite3_column_int64(st, 7));
		}
		n++;
	}
	return list_end(db, st, rc, out, json, n, HISTORY_RUNS_SHOWN, "]", "earlier", w, err,
			errlen);
}

int
history_problem_reason(struct buf *out, const char *msg)
{
	static const char cut[] = "too large: ";
	const char *end = strstr(msg, cut);
	size_t len = end != NULL ? (size_t)(end - msg) + sizeof cut - 3 : strlen(msg);
	bool quoted = false;
	int rc = 0;

	for (size_t i = 0; i < len && i < 300; i++) {
		if (msg[i] == '\'') {
			rc |= buf_puts(out, quoted ? "'" : "'\u2026");
			quoted = !quoted;
		} else if (!quoted) {
			rc |= buf_putc(out, msg[i]);
		}
	}
	return rc;
}

static void
sql_problem_reason(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
	const unsigned char *m = sqlite3_value_text(argv[0]);
	struct buf b;

	(void)argc;
	if (m == NULL) {
		sqlite3_result_null(ctx);
		return;
	}
	buf_init(&b, 4096);
	if (history_problem_reason(&b, (const char *)m) == -1)
		sqlite3_result_error_nomem(ctx);
	else
		sqlite3_result_text(ctx, buf_str(&b), (int)b.len, SQLITE_TRANSIENT);
	buf_free(&b);
}

int
history_register(sqlite3 *db)
{
	return sqlite3_create_function(db, "scraper_problem_reason", 1,
				       SQLITE_UTF8 | SQLITE_DETERMINISTIC | SQLITE_INNOCUOUS, NULL,
				       sql_problem_reason, NULL, NULL) == SQLITE_OK ? 0 : -1;
}

int
history_problems(sqlite3 *db, struct buf *out, bool json, char *err, size_t errlen)
{
	sqlite3_stmt *st;
	long long n = 0, total = 0;
	int rc, w = 0;

	if (!has_table(db, "problems"))
		return 0;
	if (sqlite3_prepare_v2(db,
			       "SELECT reason, count(*), min(url), message, sum(count(*)) OVER ()"
			       " FROM (SELECT scraper_problem_reason(message) AS reason, url, message"
			       "  FROM problems)"
			       " GROUP BY reason ORDER BY count(*) DESC, reason",
			       -1, &st, NULL) != SQLITE_OK) {
		snprintf(err, errlen, "%s", sqlite3_errmsg(db));
		return -1;
	}
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		total = sqlite3_column_int64(st, 4);
		if (json) {
			if (n == 0)
				w |= buf_printf(out, ",\n\"problems\":{\"total\":%lld,\"by_reason\":[",
						total);
			w |= buf_puts(out, n == 0 ? "{\"reason\":" : ",{\"reason\":");
			w |= json_put_cstring(out, col(st, 0));
			w |= buf_printf(out, ",\"count\":%lld,\"example\":{\"url\":", sqlite3_column_int64(st, 1));
			w |= json_put_cstring(out, col(st, 2));
			w |= buf_puts(out, ",\"message\":");
			w |= json_put_cstring(out, col(st, 3));
			w |= buf_puts(out, "}}");
		} else if (n < HISTORY_REASONS_SHOWN) {
			if (n == 0)
				w |= buf_printf(out, "extraction problems: %lld\n", total);
			w |= buf_printf(out, "  %8lld  %s\n            e.g. %s: %s\n",
					sqlite3_column_int64(st, 1), col(st, 0) ? col(st, 0) : "",
					col(st, 2) ? col(st, 2) : "", col(st, 3) ? col(st, 3) : "");
		}
		n++;
	}
	return list_end(db, st, rc, out, json, n, HISTORY_REASONS_SHOWN, "]}", "more reasons", w,
			err, errlen);
}
