/*
 * stats.c: "scraper stats": what a crawl did, per site and in total.
 *
 * For each site (one that has pages, frontier rows or items), then for all:
 *
 *   pages       settled URLs (rows of pages), each counted once as
 *                 ok          2xx and 3xx (304 included) that are none of the below
 *                 failed      no response, a status of 400 or more, a redirect that could
 *                             not be followed, or frontier state failed
 *                 skipped     never requested on purpose, as the crawl's summary counts
 *                             them, in two kinds:
 *                   robots.txt  robots.txt said no (or could not be read): no response and
 *                               the error names robots.txt (also a redirect to a
 *                               disallowed URL)
 *                   limit       the rest of frontier state skipped: a page limit
 *                               (--max-pages, max_pages) left it unfetched
 *               These are the crawl summary's words: "N pages: N ok, N failed, N skipped".
 *   queued      frontier URLs not settled yet (queued or in flight)
 *   items       per type
 *   bytes       body bytes received
 *   fetch time  median and 95th percentile of elapsed_ms (interpolated between the
 *               nearest ranks), over the pages that have one
 *   first/last  fetched_at of the pages that were requested
 *   errors      pages.error grouped by kind (stats_error_kind) with counts, most
 *               frequent first
 *   workers     what the site's worker processes cost, over every crawl (table
 *               site_usage, schema 3): how many ran, their CPU time, the largest peak
 *               resident memory of one; shown where there is any (databases before
 *               schema 3, and sites no worker has finished for yet, have none)
 *
 * How: a crawl interleaves its sites through the tables, so asking per site would
 * read the whole table once per site.  Instead each measure is one statement grouped
 * and ordered by site, and the statements are walked side by side with the list of
 * sites (a merge), one pass each; the totals are the sums, plus three statements over
 * all sites (items and errors by kind, the overall percentiles).  Schema 2's indexes
 * make the item counts, queue counts and fetch times index-only scans; on a schema 1
 * database SQLite sorts instead, which is slower but reads the same.  Memory does not
 * grow with the database (SQLite's sorter spills to temporary files).  Without a
 * frontier or items table (not a database we wrote) those parts count nothing.
 */
#include "config.h"

#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/exitcode.h"
#include "read/stats.h"
#include "json.h"
#include "base/log.h"
#include "read/history.h"
#include "read/pgread.h"
#include "read/query.h"
#include "store/store.h"

#define SHOW_ERRORS 10		/* error kinds listed per section in the table */
#define KIND_MAX 120		/* bytes of an error kind, at most */
#define OUT_MAX (64u << 20)	/* one section of output */

/* Statements whose rows start with a site, ordered by site. */
enum by_site { BY_SITE, BY_PAGES, BY_QUEUED, BY_ITEMS, BY_ERRORS, BY_TIMES, BY_USAGE, BY_N };

/* Statements over all sites. */
enum over_all { ALL_ITEMS, ALL_ERRORS, ALL_RANK, ALL_N };

struct cursor {
	sqlite3_stmt *st;	/* NULL when the table is missing: no rows */
	int rc;			/* its last sqlite3_step */
};

struct section {
	const char *site;	/* NULL: the totals */
	long long sites;	/* totals: how many */
	long long pages, ok, failed, skipped_robots, skipped_limit, queued, bytes, timed, items;
	double median, p95;	/* when timed > 0 */
	char first[64], last[64];
	struct buf item_list;	/* table: "count  type" lines; json: members */
	struct buf error_list;	/* table: "count  kind" lines; json: elements */
	long long nerrors, error_kinds;
	long long workers, cpu_ms, peak_rss_kb;	/* site_usage */
};

struct stats {
	struct query_db q;
	bool frontier, items, usage;
	struct cursor by[BY_N];
	sqlite3_stmt *all[ALL_N];
	enum out_format format;
	struct buf out;
	long long nsites;
	bool write_failed;	/* writing the output failed; write_code says how to exit */
	int write_code;
};

/* ---- error kinds ---- */

int
stats_error_kind(struct buf *out, const char *e)
{
	const char *colon, *paren;
	size_t n;

	if (strncmp(e, "HTTP ", 5) == 0 && isdigit((unsigned char)e[5]))
		return buf_append(out, e, 5 + strspn(e + 5, "0123456789"));
	if (strncmp(e, "not fetched: ", 13) == 0) {
		if (buf_puts(out, "not fetched: ") == -1)
			return -1;
		e += 13;
	}
	/* The kind is what comes before the details: before ": " or " (". */
	n = strlen(e);
	if ((colon = strstr(e, ": ")) != NULL && (size_t)(colon - e) < n)
		n = (size_t)(colon - e);
	if ((paren = strstr(e, " (")) != NULL && (size_t)(paren - e) < n)
		n = (size_t)(paren - e);
	if (n > KIND_MAX) {
		n = KIND_MAX;
		while (n > 0 && ((unsigned char)e[n] & 0xc0) == 0x80)
			n--; /* not inside a UTF-8 sequence */
	}
	while (n > 0 && isspace((unsigned char)e[n - 1]))
		n--;
	return buf_append(out, e, n);
}

static void
sql_error_kind(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
	const unsigned char *e = sqlite3_value_text(argv[0]);
	struct buf b;

	(void)argc;
	if (e == NULL) {
		sqlite3_result_null(ctx);
		return;
	}
	buf_init(&b, KIND_MAX + 64);
	if (stats_error_kind(&b, (const char *)e) == -1)
		sqlite3_result_error_nomem(ctx);
	else
		sqlite3_result_text(ctx, buf_str(&b), (int)b.len, SQLITE_TRANSIENT);
	buf_free(&b);
}

/* ---- statements ---- */

/* How a settled URL counts (see the top of the file); state is f.state or NULL. */
#define PAGE_CLASS(state) \
	"CASE" \
	" WHEN instr(p.error, 'robots.txt') > 0" \
	"  AND (p.status IS NULL OR p.status BETWEEN 300 AND 399) THEN 'robots'" \
	" WHEN " state " = 'skipped'" \
	"  OR (p.status IS NULL AND p.error LIKE 'not fetched: page limit%') THEN 'limit'" \
	" WHEN p.status IS NULL OR p.status >= 400 OR p.status < 200" \
	"  OR " state " = 'failed' OR (p.status >= 300 AND p.error IS NOT NULL) THEN 'failed'" \
	" ELSE 'ok' END"

/* NOT INDEXED: reading the table in order and sorting by site beats visiting it in
 * site order through an index, a random read per page. */
#define PAGES_SQL(join, cls) \
	"SELECT site, count(*), total(cls = 'ok'), total(cls = 'failed')," \
	" total(cls = 'robots'), total(cls = 'limit'), total(bytes)," \
	" min(CASE WHEN cls IN ('ok', 'failed') THEN fetched_at END)," \
	" max(CASE WHEN cls IN ('ok', 'failed') THEN fetched_at END), count(elapsed_ms)" \
	" FROM (SELECT p.site, p.bytes, p.fetched_at, p.elapsed_ms, " cls " AS cls" \
	" FROM pages p NOT INDEXED " join ") GROUP BY site ORDER BY site"

static int
prepare(struct stats *s, sqlite3_stmt **st, const char *sql)
{
	if (sqlite3_prepare_v2(s->q.db, sql, -1, st, NULL) != SQLITE_OK) {
		log_error("%s: %s", s->q.path, sqlite3_errmsg(s->q.db));
		return -1;
	}
	return 0;
}

static int
prepare_by_site(struct stats *s)
{
	const char *sql[BY_N] = { NULL };
	char sites[160];

	snprintf(sites, sizeof sites, "SELECT site FROM pages%s%s ORDER BY 1",
		 s->frontier ? " UNION SELECT site FROM frontier" : "",
		 s->items ? " UNION SELECT site FROM items" : "");
	sql[BY_SITE] = sites;
	sql[BY_PAGES] = s->frontier ? PAGES_SQL("LEFT JOIN frontier f ON f.url = p.url",
						PAGE_CLASS("f.state")) :
				      PAGES_SQL("", PAGE_CLASS("NULL"));
	if (s->frontier)
		sql[BY_QUEUED] = "SELECT site, count(*) FROM frontier"
				 " WHERE state IN ('queued', 'inflight') GROUP BY site ORDER BY site";
	if (s->items)
		sql[BY_ITEMS] = "SELECT site, type, count(*) FROM items GROUP BY site, type"
				" ORDER BY site, type";
	sql[BY_ERRORS] = "SELECT site, scraper_error_kind(error) AS kind, count(*) AS n"
			 " FROM pages NOT INDEXED WHERE error IS NOT NULL"
			 " GROUP BY site, kind ORDER BY site, n DESC, kind";
	/* Schema 2 has them in order in an index; schema 1 sorts (not index by index). */
	sql[BY_TIMES] = query_db_has(&s->q, "pages_site_elapsed") ?
				"SELECT site, elapsed_ms FROM pages INDEXED BY pages_site_elapsed"
				" WHERE elapsed_ms IS NOT NULL ORDER BY site, elapsed_ms" :
				"SELECT site, elapsed_ms FROM pages NOT INDEXED"
				" WHERE elapsed_ms IS NOT NULL ORDER BY site, elapsed_ms";
	if (s->usage)
		sql[BY_USAGE] = "SELECT site, workers, cpu_ms, peak_rss_kb FROM site_usage"
				" ORDER BY site";
	for (int i = 0; i < BY_N; i++) {
		if (sql[i] == NULL) {
			s->by[i].rc = SQLITE_DONE;
			continue;
		}
		if (prepare(s, &s->by[i].st, sql[i]) == -1)
			return -1;
		s->by[i].rc = sqlite3_step(s->by[i].st);
	}
	return 0;
}

static int
prepare_all(struct stats *s)
{
	if (prepare_by_site(s) == -1)
		return -1;
	if (s->items && prepare(s, &s->all[ALL_ITEMS],
				"SELECT type, count(*) FROM items GROUP BY type ORDER BY type") == -1)
		return -1;
	if (prepare(s, &s->all[ALL_ERRORS],
		    "SELECT scraper_error_kind(error) AS kind, count(*) AS n FROM pages"
		    " WHERE error IS NOT NULL GROUP BY kind ORDER BY n DESC, kind") == -1 ||
	    prepare(s, &s->all[ALL_RANK],
		    "SELECT elapsed_ms FROM pages WHERE elapsed_ms IS NOT NULL"
		    " ORDER BY elapsed_ms LIMIT 2 OFFSET ?1") == -1)
		return -1;
	return 0;
}

/* ---- walking the statements by site ---- */

/* Is c on a row of site?  Steps past the rows of earlier sites first. */
static bool
cursor_at(struct cursor *c, const char *site)
{
	while (c->rc == SQLITE_ROW &&
	       strcmp((const char *)sqlite3_column_text(c->st, 0), site) < 0)
		c->rc = sqlite3_step(c->st);
	return c->rc == SQLITE_ROW &&
	       strcmp((const char *)sqlite3_column_text(c->st, 0), site) == 0;
}

static void
copy_text(char *out, size_t outlen, sqlite3_stmt *st, int col)
{
	const unsigned char *t = sqlite3_column_text(st, col);

	snprintf(out, outlen, "%s", t != NULL ? (const char *)t : "");
}

static void
site_pages(struct stats *s, struct section *x)
{
	struct cursor *c = &s->by[BY_PAGES];

	if (cursor_at(c, x->site)) {
		x->pages = sqlite3_column_int64(c->st, 1);
		x->ok = (long long)sqlite3_column_double(c->st, 2);
		x->failed = (long long)sqlite3_column_double(c->st, 3);
		x->skipped_robots = (long long)sqlite3_column_double(c->st, 4);
		x->skipped_limit = (long long)sqlite3_column_double(c->st, 5);
		x->bytes = (long long)sqlite3_column_double(c->st, 6);
		copy_text(x->first, sizeof x->first, c->st, 7);
		copy_text(x->last, sizeof x->last, c->st, 8);
		x->timed = sqlite3_column_int64(c->st, 9);
	}
	c = &s->by[BY_QUEUED];
	if (cursor_at(c, x->site))
		x->queued = sqlite3_column_int64(c->st, 1);
	c = &s->by[BY_USAGE];
	if (cursor_at(c, x->site)) {
		x->workers = sqlite3_column_int64(c->st, 1);
		x->cpu_ms = sqlite3_column_int64(c->st, 2);
		x->peak_rss_kb = sqlite3_column_int64(c->st, 3);
	}
}

/* The p-quantile of n sorted values, interpolated: between ranks k and k + 1. */
static void
rank_of(long long n, double p, long long *k, double *frac)
{
	double pos = p * (double)(n - 1);

	*k = (long long)pos;
	*frac = pos - (double)*k;
}

/* The site's median and p95, from its fetch times in order (x->timed of them). */
static void
site_times(struct stats *s, struct section *x)
{
	struct cursor *c = &s->by[BY_TIMES];
	long long k50, k95, i = 0;
	double f50, f95, v[2][2] = { { 0, 0 }, { 0, 0 } };

	if (x->timed == 0)
		return;
	rank_of(x->timed, 0.5, &k50, &f50);
	rank_of(x->timed, 0.95, &k95, &f95);
	for (; cursor_at(c, x->site); c->rc = sqlite3_step(c->st), i++) {
		double ms = sqlite3_column_double(c->st, 1);
		if (i == k50 || i == k50 + 1)
			v[0][i - k50] = ms;
		if (i == k95 || i == k95 + 1)
			v[1][i - k95] = ms;
	}
	if (k50 + 1 >= i)
		v[0][1] = v[0][0];
	if (k95 + 1 >= i)
		v[1][1] = v[1][0];
	x->median = v[0][0] + (v[0][1] - v[0][0]) * f50;
	x->p95 = v[1][0] + (v[1][1] - v[1][0]) * f95;
}

/* A count and a name, as a table line, a JSON member, or a JSON {reason, count}. */
static int
put_counted(struct buf *b, enum out_format format, const char *name, size_t n,
	    long long count, bool first, bool error)
{
	int rc = 0;

	if (format != FMT_JSON) {
		rc |= buf_printf(b, "  %-11s %12lld  ", "", count);
		rc |= query_render_cell(b, name, n, 100) < 0 ? -1 : 0;
		return rc | buf_putc(b, '\n');
	}
	if (!first)
		rc |= buf_putc(b, ',');
	if (error) {
		rc |= buf_puts(b, "{\"reason\":");
		rc |= json_put_string(b, name, n);
		return rc | buf_printf(b, ",\"count\":%lld}", count);
	}
	rc |= json_put_string(b, name, n);
	return rc | buf_printf(b, ":%lld", count);
}

/* One (name, count) row of st, columns from col, into a section's list. */
static int
list_row(struct stats *s, sqlite3_stmt *st, int col, struct buf *list, long long *total,
	 long long *kinds, bool error)
{
	const char *name = (const char *)sqlite3_column_text(st, col);
	size_t n = (size_t)sqlite3_column_bytes(st, col);
	long long count = sqlite3_column_int64(st, col + 1);

	if ((s->format == FMT_JSON || !error || *kinds < SHOW_ERRORS) &&
	    put_counted(list, s->format, name ? name : "", n, count, *kinds == 0, error) == -1)
		return -1;
	*total += count;
	++*kinds;
	return 0;
}

static int
site_lists(struct stats *s, struct section *x)
{
	struct cursor *c = &s->by[BY_ITEMS];
	long long types = 0;

	for (; cursor_at(c, x->site); c->rc = sqlite3_step(c->st))
		if (list_row(s, c->st, 1, &x->item_list, &x->items, &types, false) == -1)
			return -1;
	c = &s->by[BY_ERRORS];
	for (; cursor_at(c, x->site); c->rc = sqlite3_step(c->st))
		if (list_row(s, c->st, 1, &x->error_list, &x->nerrors, &x->error_kinds, true) ==
		    -1)
			return -1;
	return 0;
}

/* Has any statement failed?  Then say why. */
static int
cursors_ok(struct stats *s)
{
	for (int i = 0; i < BY_N; i++) {
		if (s->by[i].rc != SQLITE_ROW && s->by[i].rc != SQLITE_DONE) {
			log_error("%s: %s", s->q.path, sqlite3_errmsg(s->q.db));
			return -1;
		}
	}
	return 0;
}

/* ---- the totals ---- */

static void
add_up(struct section *all, const struct section *x)
{
	all->sites++;
	all->pages += x->pages;
	all->ok += x->ok;
	all->failed += x->failed;
	all->skipped_robots += x->skipped_robots;
	all->skipped_limit += x->skipped_limit;
	all->queued += x->queued;
	all->bytes += x->bytes;
	all->timed += x->timed;
	all->workers += x->workers;
	all->cpu_ms += x->cpu_ms;
	if (x->peak_rss_kb > all->peak_rss_kb)
		all->peak_rss_kb = x->peak_rss_kb;
	if (x->first[0] && (!all->first[0] || strcmp(x->first, all->first) < 0))
		memcpy(all->first, x->first, sizeof all->first);
	if (x->last[0] && strcmp(x->last, all->last) > 0)
		memcpy(all->last, x->last, sizeof all->last);
}

/* The elapsed_ms at 0-based rank k of all pages, interpolated towards rank k + 1. */
static int
all_rank(sqlite3_stmt *st, long long k, double frac, double *out)
{
	double v[2];
	int rc;

	sqlite3_reset(st);
	sqlite3_bind_int64(st, 1, k);
	if (sqlite3_step(st) != SQLITE_ROW)
		return -1;
	v[0] = v[1] = sqlite3_column_double(st, 0);
	if ((rc = sqlite3_step(st)) == SQLITE_ROW)
		v[1] = sqlite3_column_double(st, 0);
	sqlite3_reset(st);
	*out = v[0] + (v[1] - v[0]) * frac;
	return rc == SQLITE_ROW || rc == SQLITE_DONE ? 0 : -1;
}

static int
all_lists(struct stats *s, struct section *all)
{
	long long types = 0, k;
	double frac;
	int rc = SQLITE_DONE;

	for (int i = ALL_ITEMS; i <= ALL_ERRORS; i++) {
		sqlite3_stmt *st = s->all[i];
		if (st == NULL)
			continue;
		while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
			if ((i == ALL_ITEMS ?
				     list_row(s, st, 0, &all->item_list, &all->items, &types, false) :
				     list_row(s, st, 0, &all->error_list, &all->nerrors,
					      &all->error_kinds, true)) == -1)
				return -1;
		}
		if (rc != SQLITE_DONE)
			break;
	}
	if (rc == SQLITE_DONE && all->timed > 0) {
		rank_of(all->timed, 0.5, &k, &frac);
		if (all_rank(s->all[ALL_RANK], k, frac, &all->median) == -1)
			rc = SQLITE_ERROR;
		rank_of(all->timed, 0.95, &k, &frac);
		if (rc == SQLITE_DONE && all_rank(s->all[ALL_RANK], k, frac, &all->p95) == -1)
			rc = SQLITE_ERROR;
	}
	if (rc != SQLITE_DONE) {
		log_error("%s: %s", s->q.path, sqlite3_errmsg(s->q.db));
		return -1;
	}
	return 0;
}

/* ---- writing one section ---- */

/* A time in ms, to a tenth: "725", "1409.5". */
static int
put_ms(struct buf *b, double v)
{
	return buf_printf(b, "%.10g", round(v * 10) / 10);
}

static int
put_bytes(struct buf *b, long long n)
{
	static const char *const units[] = { "KiB", "MiB", "GiB", "TiB" };
	double v = (double)n;
	int u = -1;

	while (v >= 1024 && u < 3) {
		v /= 1024;
		u++;
	}
	if (u < 0)
		return 0;
	return buf_printf(b, "  (%.1f %s)", v, units[u]);
}

static int
table_section(struct stats *s, const struct section *x)
{
	struct buf *b = &s->out;
	int rc = 0;

	if (x->site != NULL) {
		rc |= buf_puts(b, "site ");
		rc |= query_render_cell(b, x->site, strlen(x->site), 200) < 0 ? -1 : 0;
		rc |= buf_putc(b, '\n');
	} else {
		rc |= buf_printf(b, "total: %lld site%s\n", x->sites, x->sites == 1 ? "" : "s");
	}
	rc |= buf_printf(b, "  %-11s %12lld  %lld ok, %lld failed, %lld skipped"
			    " (%lld robots.txt, %lld limit)\n",
			 "pages", x->pages, x->ok, x->failed, x->skipped_robots + x->skipped_limit,
			 x->skipped_robots, x->skipped_limit);
	if (s->frontier)
		rc |= buf_printf(b, "  %-11s %12lld\n", "queued", x->queued);
	rc |= buf_printf(b, "  %-11s %12lld\n", "items", x->items);
	rc |= buf_append(b, x->item_list.data, x->item_list.len);
	rc |= buf_printf(b, "  %-11s %12lld", "bytes", x->bytes);
	rc |= put_bytes(b, x->bytes);
	rc |= buf_printf(b, "\n  %-11s %12s  ", "fetch time", "");
	if (x->timed > 0) {
		rc |= buf_puts(b, "median ");
		rc |= put_ms(b, x->median);
		rc |= buf_puts(b, " ms, p95 ");
		rc |= put_ms(b, x->p95);
		rc |= buf_printf(b, " ms (of %lld)\n", x->timed);
	} else {
		rc |= buf_puts(b, "-\n");
	}
	rc |= buf_printf(b, "  %-11s %12s  %s\n", "first fetch", "", x->first[0] ? x->first : "-");
	rc |= buf_printf(b, "  %-11s %12s  %s\n", "last fetch", "", x->last[0] ? x->last : "-");
	rc |= buf_printf(b, "  %-11s %12lld\n", "errors", x->nerrors);
	rc |= buf_append(b, x->error_list.data, x->error_list.len);
	if (x->error_kinds > SHOW_ERRORS)
		rc |= buf_printf(b, "  %-11s %12s  ... and %lld more kind%s (-f json lists all)\n",
				 "", "", x->error_kinds - SHOW_ERRORS,
				 x->error_kinds - SHOW_ERRORS == 1 ? "" : "s");
	if (x->workers > 0)
		rc |= buf_printf(b, "  %-11s %12lld  CPU %.1f s, peak memory %.1f MiB%s\n",
				 "workers", x->workers, (double)x->cpu_ms / 1000,
				 (double)x->peak_rss_kb / 1024, x->site ? "" : " (of one worker)");
	return rc | buf_putc(b, '\n');
}

static int
json_section(struct stats *s, const struct section *x)
{
	struct buf *b = &s->out;
	int rc = 0;

	if (x->site != NULL) {
		rc |= buf_puts(b, s->nsites > 1 ? ",\n{\"site\":" : "\n{\"site\":");
		rc |= json_put_cstring(b, x->site);
		rc |= buf_putc(b, ',');
	} else {
		rc |= buf_printf(b, "%s],\n\"total\":{\"sites\":%lld,", s->nsites ? "\n" : "",
				 x->sites);
	}
	rc |= buf_printf(b, "\"pages\":{\"total\":%lld,\"ok\":%lld,\"failed\":%lld,"
			    "\"skipped\":%lld,\"skipped_robots\":%lld,\"skipped_limit\":%lld},"
			    "\"queued\":%lld,",
			 x->pages, x->ok, x->failed, x->skipped_robots + x->skipped_limit,
			 x->skipped_robots, x->skipped_limit, x->queued);
	rc |= buf_printf(b, "\"items\":{\"total\":%lld,\"by_type\":{", x->items);
	rc |= buf_append(b, x->item_list.data, x->item_list.len);
	rc |= buf_printf(b, "}},\"bytes\":%lld,\"elapsed_ms\":{\"count\":%lld,\"median\":",
			 x->bytes, x->timed);
	if (x->timed > 0) {
		rc |= put_ms(b, x->median);
		rc |= buf_puts(b, ",\"p95\":");
		rc |= put_ms(b, x->p95);
	} else {
		rc |= buf_puts(b, "null,\"p95\":null");
	}
	rc |= buf_puts(b, "},\"first_fetched_at\":");
	rc |= json_put_cstring(b, x->first[0] ? x->first : NULL);
	rc |= buf_puts(b, ",\"last_fetched_at\":");
	rc |= json_put_cstring(b, x->last[0] ? x->last : NULL);
	rc |= buf_puts(b, ",\"errors\":[");
	rc |= buf_append(b, x->error_list.data, x->error_list.len);
	rc |= buf_putc(b, ']');
	if (x->workers > 0)
		rc |= buf_printf(b, ",\"workers\":{\"count\":%lld,\"cpu_ms\":%lld,\"peak_rss_kb\":%lld}",
				 x->workers, x->cpu_ms, x->peak_rss_kb);
	return rc | buf_putc(b, '}');
}

static int
write_section(struct stats *s, const struct section *x)
{
	if ((s->format == FMT_JSON ? json_section(s, x) : table_section(s, x)) != 0) {
		log_error("out of memory");
		return -1;
	}
	if (query_flush(&s->out, stdout) == -1) {
		s->write_failed = true;
		s->write_code = query_write_failed();
		return -1;
	}
	return 0;
}

/* After the totals: the runs and the extraction problems (read/history.c); JSON
 * closes the object here. */
static int
write_history(struct stats *s)
{
	char err[512];
	bool json = s->format == FMT_JSON;

	if (history_runs(s->q.db, &s->out, json, err, sizeof err) == -1 ||
	    history_problems(s->q.db, &s->out, json, err, sizeof err) == -1) {
		log_error("%s: %s", s->q.path, err);
		return -1;
	}
	if (json && buf_puts(&s->out, "}\n") == -1) {
		log_error("out of memory");
		return -1;
	}
	if (query_flush(&s->out, stdout) == -1) {
		s->write_failed = true;
		s->write_code = query_write_failed();
		return -1;
	}
	return 0;
}

/* ---- the command ---- */

static int
setup(struct stats *s, const struct stats_opts *o)
{
	char err[4200];

	if (query_db_open(&s->q, o->db_path, err, sizeof err) == -1) {
		log_error("%s", err);
		return -1;
	}
	if (!query_db_has(&s->q, "pages")) {
		log_error("%s is not a scraper database (it has no pages table)", o->db_path);
		return -1;
	}
	s->frontier = query_db_has(&s->q, "frontier");
	s->items = query_db_has(&s->q, "items");
	s->usage = query_db_has(&s->q, "site_usage");
	if (sqlite3_create_function(s->q.db, "scraper_error_kind", 1,
				    SQLITE_UTF8 | SQLITE_DETERMINISTIC | SQLITE_INNOCUOUS, NULL,
				    sql_error_kind, NULL, NULL) != SQLITE_OK) {
		log_error("%s", sqlite3_errmsg(s->q.db));
		return -1;
	}
	if (history_register(s->q.db) == -1) {
		log_error("%s", sqlite3_errmsg(s->q.db));
		return -1;
	}
	/* One snapshot for every statement, even while a crawl writes. */
	sqlite3_exec(s->q.db, "BEGIN", NULL, NULL, NULL);
	return prepare_all(s);
}

/* Forget a section's numbers, keeping its list buffers. */
static void
section_clear(struct section *x)
{
	struct buf items = x->item_list, errors = x->error_list;

	buf_reset(&items);
	buf_reset(&errors);
	memset(x, 0, sizeof *x);
	x->item_list = items;
	x->error_list = errors;
}

/* A section per site, each added up into all. */
static int
every_site(struct stats *s, struct section *all)
{
	struct cursor *sites = &s->by[BY_SITE];
	struct section x;
	int rc = 0;

	memset(&x, 0, sizeof x);
	buf_init(&x.item_list, OUT_MAX);
	buf_init(&x.error_list, OUT_MAX);
	for (; rc == 0 && sites->rc == SQLITE_ROW; sites->rc = sqlite3_step(sites->st)) {
		section_clear(&x);
		x.site = (const char *)sqlite3_column_text(sites->st, 0);
		site_pages(s, &x);
		site_times(s, &x);
		s->nsites++;
		if (site_lists(s, &x) == -1) {
			log_error("out of memory");
			rc = -1;
		} else if ((rc = cursors_ok(s)) == 0 && (rc = write_section(s, &x)) == 0) {
			add_up(all, &x);
		}
	}
	if (rc == 0)
		rc = cursors_ok(s);
	buf_free(&x.item_list);
	buf_free(&x.error_list);
	return rc;
}

static void
teardown(struct stats *s)
{
	for (int i = 0; i < BY_N; i++)
		sqlite3_finalize(s->by[i].st);
	for (int i = 0; i < ALL_N; i++)
		sqlite3_finalize(s->all[i]);
	if (s->q.db != NULL)
		sqlite3_exec(s->q.db, "COMMIT", NULL, NULL, NULL);
	query_db_close(&s->q);
	buf_free(&s->out);
}

int
stats_run(const struct stats_opts *o)
{
	struct stats s;
	struct section all;
	int code = EXIT_FAILED;

	if (store_is_pg(o->db_path))
		return pgread_stats(o);
	query_command_signals(o->db_path);
	memset(&s, 0, sizeof s);
	memset(&all, 0, sizeof all);
	s.format = o->format == FMT_JSON ? FMT_JSON : FMT_TABLE;
	buf_init(&s.out, OUT_MAX);
	buf_init(&all.item_list, OUT_MAX);
	buf_init(&all.error_list, OUT_MAX);
	if (setup(&s, o) == 0) {
		if (s.format == FMT_JSON)
			buf_puts(&s.out, "{\"sites\":[");
		if (every_site(&s, &all) == 0 && all_lists(&s, &all) == 0 &&
		    write_section(&s, &all) == 0 && write_history(&s) == 0 && fflush(stdout) == 0)
			code = EXIT_DONE;
		else if (s.write_failed)
			code = s.write_code;
		else if (ferror(stdout))
			code = query_write_failed();
	}
	teardown(&s);
	buf_free(&all.item_list);
	buf_free(&all.error_list);
	return code;
}
