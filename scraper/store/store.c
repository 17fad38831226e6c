/*
 * store.c: the SQLite database (see store.h).
 *
 * Layout of this file: schema and migrations; opening; the start-up steps the
 * coordinator runs before crawling; applying each kind of op; the writer thread.
 *
 * Durability: WAL with synchronous=NORMAL.  A committed transaction survives the
 * process being killed at any moment (not necessarily a power cut: the last
 * transactions before one may roll back, never half of one).
 */
#include "config.h"

#include "store/store.h"

#include "base/clock.h"

#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <sqlite3.h>

#include "buf.h"
#include "store/schema.h"

enum stmt_id {
	ST_PAGE,
	ST_PAGE_TOUCH,
	ST_ITEMS_DELETE,
	ST_ITEM,
	ST_LINK,
	ST_SETTLE,
	ST_MARK,
	ST_ROBOTS,
	ST_REFILL,
	ST_ROBOTS_READ,
	ST_SKIP_PAGES_SITE,
	ST_SKIP_SITE,
	ST_SKIP_PAGES_ALL,
	ST_SKIP_ALL,
	ST_COUNT
};

/* The state and error of a queued URL being settled unfetched: what its stored page
 * says when it has one with a response, else STATE and REASON. */
#define SKIP_STATE(STATE, REASON) \
	" (state, error) = (SELECT CASE WHEN p.status IS NULL THEN " STATE \
	"   WHEN p.status < 400 THEN 'done' ELSE 'failed' END," \
	"   CASE WHEN p.status IS NULL THEN " REASON " ELSE p.error END" \
	"   FROM pages p WHERE p.url = frontier.url)"

static const char *const stmt_sql[ST_COUNT] = {
	[ST_PAGE] =
	"INSERT OR REPLACE INTO pages(url, site, status, content_type, bytes, elapsed_ms,"
	" depth, fetched_at, error, etag, last_modified, final_url, charset, extract_errors,"
	" noindex) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15)",
	[ST_PAGE_TOUCH] =
	"UPDATE pages SET fetched_at = ?2, elapsed_ms = ?3, error = NULL WHERE url = ?1",
	[ST_ITEMS_DELETE] = "DELETE FROM items WHERE url = ?1",
	/* The page's items were deleted first; OR IGNORE drops a row whose data is not
	 * valid JSON (CHECK) rather than failing the whole transaction. */
	[ST_ITEM] =
	"INSERT OR IGNORE INTO items(site, type, url, idx, data, scraped_at)"
	" VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
	[ST_LINK] =
	"INSERT OR IGNORE INTO frontier(url, id, site, depth, state, attempts, added_at,"
	" updated_at) VALUES (?1, ?2, ?3, ?4, 'queued', 0, ?5, ?5)",
	[ST_SETTLE] =
	"UPDATE frontier SET state = ?2, attempts = ?3, error = ?4, updated_at = ?5"
	" WHERE id = ?1",
	[ST_MARK] =
	"UPDATE frontier SET state = ?2, attempts = ?3, updated_at = ?4 WHERE id = ?1",
	[ST_ROBOTS] =
	"INSERT OR REPLACE INTO robots(site, status, body, fetched_at, fetched_unix)"
	" VALUES (?1, ?2, ?3, ?4, ?5)",
	[ST_REFILL] =
	"SELECT f.id, f.depth, f.attempts, f.url, p.etag, p.last_modified"
	" FROM frontier f LEFT JOIN pages p ON p.url = f.url"
	" WHERE f.site = ?1 AND f.state = 'queued' AND f.id > ?2 ORDER BY f.id LIMIT ?3",
	[ST_ROBOTS_READ] = "SELECT body FROM robots WHERE site = ?1",
	/* Settling what is still queued (a page limit, a site given up): a URL that has a
	 * page from an earlier crawl (queued again by --recrawl) keeps that page and goes
	 * back to what the page says; the others get a page row that says why. */
	[ST_SKIP_PAGES_SITE] =
	"INSERT OR IGNORE INTO pages(url, site, depth, fetched_at, error)"
	" SELECT url, site, depth, ?2, ?3 FROM frontier"
	" WHERE site = ?1 AND state = 'queued'",
	[ST_SKIP_SITE] =
	"UPDATE frontier SET updated_at = ?2," SKIP_STATE("?4", "?3")
	" WHERE site = ?1 AND state = 'queued'",
	[ST_SKIP_PAGES_ALL] =
	"INSERT OR IGNORE INTO pages(url, site, depth, fetched_at, error)"
	" SELECT url, site, depth, ?1, ?2 FROM frontier WHERE state = 'queued'",
	[ST_SKIP_ALL] =
	"UPDATE frontier SET updated_at = ?1," SKIP_STATE("?3", "?2")
	" WHERE state = 'queued'",
};

struct store {
	sqlite3 *db;
	char *path;
	sqlite3_stmt *st[ST_COUNT];
	pthread_mutex_t lock;	/* held by whoever uses db */
	pthread_t thread;
	bool running;
	struct queue *in, *replies;
	int wake_fd;
	/* Set once by the writer, after failure is written; read without the lock (the
	 * coordinator must never wait for a batch to finish just to ask). */
	_Atomic bool failed;
	char failure[512];	/* written before failed is set, never after */
};

/* ---- small helpers ---- */

const char *
fstate_name(enum fstate st)
{
	static const char *names[] = { "queued", "inflight", "done", "failed", "skipped" };

	return names[st];
}

void
iso8601(double t, char out[32])
{
	time_t secs = (time_t)t;
	struct tm tm;
	int ms = (int)((t - (double)secs) * 1000.0);
	size_t n;

	gmtime_r(&secs, &tm);
	n = strftime(out, 32, "%Y-%m-%dT%H:%M:%S", &tm);
	snprintf(out + n, 32 - n, ".%03dZ", ms < 0 ? 0 : ms > 999 ? 999 : ms);
}

static int
exec_sql(struct store *s, const char *sql, char *err, size_t errlen)
{
	char *msg = NULL;

	if (sqlite3_exec(s->db, sql, NULL, NULL, &msg) != SQLITE_OK) {
		snprintf(err, errlen, "%s: %s", s->path, msg ? msg : sqlite3_errmsg(s->db));
		sqlite3_free(msg);
		return -1;
	}
	return 0;
}

static int
pragma_int(struct store *s, const char *sql, int *out)
{
	sqlite3_stmt *st;
	int rc;

	if (sqlite3_prepare_v2(s->db, sql, -1, &st, NULL) != SQLITE_OK)
		return -1;
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW)
		*out = sqlite3_column_int(st, 0);
	sqlite3_finalize(st);
	return rc == SQLITE_ROW ? 0 : -1;
}

static void
bind_text(sqlite3_stmt *st, int i, const char *v)
{
	if (v == NULL)
		sqlite3_bind_null(st, i);
	else
		sqlite3_bind_text(st, i, v, -1, SQLITE_STATIC);
}

/* Bind NULL for empty strings: "" from a worker means "none". */
static void
bind_opt(sqlite3_stmt *st, int i, const char *v)
{
	bind_text(st, i, v != NULL && *v != '\0' ? v : NULL);
}

/* Step a statement that returns no rows, then reset it. */
static int
run(struct store *s, sqlite3_stmt *st)
{
	int rc = sqlite3_step(st);

	sqlite3_reset(st);
	sqlite3_clear_bindings(st);
	(void)s;
	return rc == SQLITE_DONE ? 0 : -1;
}

/* ---- opening ---- */

static int
migrate(struct store *s, char *err, size_t errlen)
{
	char sql[64];
	int version;

	if (pragma_int(s, "PRAGMA user_version", &version) == -1) {
		snprintf(err, errlen, "%s: %s", s->path, sqlite3_errmsg(s->db));
		return -1;
	}
	if (version > SCHEMA_VERSION) {
		snprintf(err, errlen,
			 "%s was written by a newer scraper (schema %d; this one knows %d)",
			 s->path, version, SCHEMA_VERSION);
		return -1;
	}
	if (version == SCHEMA_VERSION)
		return 0;
	if (exec_sql(s, "BEGIN IMMEDIATE", err, errlen) == -1)
		return -1;
	for (int v = version; v < SCHEMA_VERSION; v++) {
		if (exec_sql(s, schema_migration(v), err, errlen) == -1) {
			exec_sql(s, "ROLLBACK", err + strlen(err), 0);
			return -1;
		}
	}
	snprintf(sql, sizeof sql, "PRAGMA user_version = %d", SCHEMA_VERSION);
	if (exec_sql(s, sql, err, errlen) == -1 || exec_sql(s, "COMMIT", err, errlen) == -1) {
		exec_sql(s, "ROLLBACK", err + strlen(err), 0);
		return -1;
	}
	return 0;
}

/*
 * A database with no schema version and tables of its own belongs to some other
 * program: adding our tables to it would be a surprise nobody asked for.  Checked
 * before anything is written (WAL mode included).
 */
static int
check_ours(struct store *s, char *err, size_t errlen)
{
	sqlite3_stmt *st;
	int version = 0, rc;
	char names[200] = "";
	int n = 0;

	if (pragma_int(s, "PRAGMA user_version", &version) == -1) {
		snprintf(err, errlen, "cannot read %s: %s", s->path, sqlite3_errmsg(s->db));
		return -1;
	}
	if (version != 0)
		return 0;
	if (sqlite3_prepare_v2(s->db, "SELECT name FROM sqlite_master WHERE name NOT LIKE"
			       " 'sqlite\\_%' ESCAPE '\\' ORDER BY name", -1, &st, NULL) != SQLITE_OK) {
		snprintf(err, errlen, "cannot read %s: %s", s->path, sqlite3_errmsg(s->db));
		return -1;
	}
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		const char *name = (const char *)sqlite3_column_text(st, 0);
		size_t len = strlen(names);
		if (n++ < 5 && len < sizeof names - 2)
			snprintf(names + len, sizeof names - len, "%s%s", len ? ", " : "", name);
	}
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE) {
		snprintf(err, errlen, "cannot read %s: %s", s->path, sqlite3_errmsg(s->db));
		return -1;
	}
	if (n > 0) {
		snprintf(err, errlen,
			 "%s is not a scraper database (it holds %s%s); scraper will not add its "
			 "tables to another program's database: give -d a new file", s->path,
			 names, n > 5 ? ", ..." : "");
		return -1;
	}
	return 0;
}

static int
prepare_all(struct store *s, char *err, size_t errlen)
{
	for (int i = 0; i < ST_COUNT; i++) {
		if (sqlite3_prepare_v3(s->db, stmt_sql[i], -1, SQLITE_PREPARE_PERSISTENT,
				       &s->st[i], NULL) != SQLITE_OK) {
			snprintf(err, errlen, "%s: %s", s->path, sqlite3_errmsg(s->db));
			return -1;
		}
	}
	return 0;
}

struct store *
store_open(const char *path, long max_mb, char *err, size_t errlen)
{
	struct store *s;
	char sql[128];
	int page_size = 4096;

	if ((s = calloc(1, sizeof *s)) == NULL || (s->path = strdup(path)) == NULL) {
		snprintf(err, errlen, "out of memory");
		free(s);
		return NULL;
	}
	pthread_mutex_init(&s->lock, NULL);
	s->wake_fd = -1;
	if (sqlite3_open_v2(path, &s->db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE |
				 SQLITE_OPEN_NOMUTEX, NULL) != SQLITE_OK) {
		snprintf(err, errlen, "cannot open database %s: %s", path,
			 s->db ? sqlite3_errmsg(s->db) : "out of memory");
		store_close(s);
		return NULL;
	}
	if (sqlite3_db_readonly(s->db, "main") == 1) {
		snprintf(err, errlen, "database %s is read-only", path);
		store_close(s);
		return NULL;
	}
	sqlite3_busy_timeout(s->db, 10000);
	sqlite3_extended_result_codes(s->db, 1);
	if (check_ours(s, err, errlen) == -1) {
		store_close(s);
		return NULL;
	}
	if (exec_sql(s, "PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL;"
			"PRAGMA foreign_keys = OFF; PRAGMA cache_size = -2048", err, errlen) == -1 ||
	    migrate(s, err, errlen) == -1 || prepare_all(s, err, errlen) == -1) {
		store_close(s);
		return NULL;
	}
	if (max_mb > 0) {
		pragma_int(s, "PRAGMA page_size", &page_size);
		snprintf(sql, sizeof sql, "PRAGMA max_page_count = %ld",
			 max_mb * 1024 * 1024 / page_size);
		if (exec_sql(s, sql, err, errlen) == -1) {
			store_close(s);
			return NULL;
		}
	}
	return s;
}

void
store_close(struct store *s)
{
	if (s == NULL)
		return;
	if (s->running)
		store_writer_stop(s);
	for (int i = 0; i < ST_COUNT; i++)
		sqlite3_finalize(s->st[i]);
	if (s->db != NULL) {
		/* Fold the WAL back into the database so a finished crawl is one file. */
		sqlite3_exec(s->db, "PRAGMA wal_checkpoint(TRUNCATE)", NULL, NULL, NULL);
		sqlite3_close(s->db);
	}
	pthread_mutex_destroy(&s->lock);
	free(s->path);
	free(s);
}

/* ---- start-up steps ---- */

int
store_begin_crawl(struct store *s, bool fresh, bool recrawl, char *err, size_t errlen)
{
	char now[32];
	char sql[512];
	int rc;

	iso8601(clock_wall(), now);
	pthread_mutex_lock(&s->lock);
	rc = exec_sql(s, "BEGIN IMMEDIATE", err, errlen);
	if (rc == 0 && fresh)
		rc = exec_sql(s, "DELETE FROM frontier", err, errlen);
	if (rc == 0 && recrawl) {
		snprintf(sql, sizeof sql,
			 "UPDATE frontier SET state = 'queued', attempts = 0, error = NULL,"
			 " updated_at = '%s' WHERE state IN ('done', 'failed')", now);
		rc = exec_sql(s, sql, err, errlen);
	}
	if (rc == 0) {
		/* A killed run left these in flight; URLs skipped only because a page
		 * limit was reached are taken up again (the limit is checked anew). */
		snprintf(sql, sizeof sql,
			 "UPDATE frontier SET state = 'queued', updated_at = '%s'"
			 " WHERE state = 'inflight'"
			 " OR (state = 'skipped' AND error LIKE 'not fetched: page limit%%')", now);
		rc = exec_sql(s, sql, err, errlen);
	}
	if (rc == 0)
		rc = exec_sql(s, "COMMIT", err, errlen);
	else
		sqlite3_exec(s->db, "ROLLBACK", NULL, NULL, NULL);
	pthread_mutex_unlock(&s->lock);
	return rc;
}

int
store_scan_frontier(struct store *s,
		    void (*each)(void *, const char *, const char *, enum fstate, int64_t),
		    void *ctx, char *err, size_t errlen)
{
	static const char *states[] = { "queued", "inflight", "done", "failed", "skipped" };
	sqlite3_stmt *st;
	int rc;

	pthread_mutex_lock(&s->lock);
	rc = sqlite3_prepare_v2(s->db, "SELECT url, site, state, id FROM frontier", -1, &st,
				NULL);
	while (rc == SQLITE_OK && (rc = sqlite3_step(st)) == SQLITE_ROW) {
		const char *state = (const char *)sqlite3_column_text(st, 2);
		enum fstate fs = FS_SKIPPED;
		for (int i = 0; i < 5; i++) {
			if (strcmp(state, states[i]) == 0)
				fs = (enum fstate)i;
		}
		each(ctx, (const char *)sqlite3_column_text(st, 0),
		     (const char *)sqlite3_column_text(st, 1), fs, sqlite3_column_int64(st, 3));
		rc = SQLITE_OK;
	}
	if (rc != SQLITE_DONE)
		snprintf(err, errlen, "%s: reading the frontier: %s", s->path,
			 sqlite3_errmsg(s->db));
	sqlite3_finalize(st);
	pthread_mutex_unlock(&s->lock);
	return rc == SQLITE_DONE ? 0 : -1;
}

int
store_scan_robots(struct store *s, void (*each)(void *, const char *, int, int64_t),
		  void *ctx, char *err, size_t errlen)
{
	sqlite3_stmt *st;
	int rc;

	pthread_mutex_lock(&s->lock);
	rc = sqlite3_prepare_v2(s->db, "SELECT site, status, fetched_unix FROM robots",
				-1, &st, NULL);
	while (rc == SQLITE_OK && (rc = sqlite3_step(st)) == SQLITE_ROW) {
		each(ctx, (const char *)sqlite3_column_text(st, 0),
		     sqlite3_column_type(st, 1) == SQLITE_NULL ? -1 : sqlite3_column_int(st, 1),
		     sqlite3_column_int64(st, 2));
		rc = SQLITE_OK;
	}
	if (rc != SQLITE_DONE)
		snprintf(err, errlen, "%s: reading robots.txt cache: %s", s->path,
			 sqlite3_errmsg(s->db));
	sqlite3_finalize(st);
	pthread_mutex_unlock(&s->lock);
	return rc == SQLITE_DONE ? 0 : -1;
}

/* Append "name" as a quoted SQL identifier. */
static int
quote_ident(struct buf *b, const char *name)
{
	if (buf_putc(b, '"') == -1)
		return -1;
	for (const char *p = name; *p; p++) {
		if ((*p == '"' && buf_putc(b, '"') == -1) || buf_putc(b, *p) == -1)
			return -1;
	}
	return buf_putc(b, '"');
}

/* The SELECT list entry for one field, typed as the rule file says. */
static int
view_column(struct buf *b, const struct store_view_field *f)
{
	const char *cast = NULL;

	if (!f->all) {
		if (strcmp(f->type, "int") == 0 || strcmp(f->type, "bool") == 0)
			cast = "INTEGER";
		else if (strcmp(f->type, "number") == 0)
			cast = "REAL";
	}
	if (cast != NULL)
		buf_puts(b, "CAST(");
	/* Field names are identifiers (rules.c checks), so the JSON path needs no quoting
	 * beyond the double quotes. */
	buf_printf(b, "json_extract(data, '$.\"%s\"')", f->name);
	if (cast != NULL)
		buf_printf(b, " AS %s)", cast);
	buf_puts(b, " AS ");
	return quote_ident(b, f->name);
}

int
store_create_views(struct store *s, const struct store_view *views, size_t n, char *err,
		   size_t errlen)
{
	struct buf sql;
	int rc = 0;

	buf_init(&sql, 1 << 20);
	pthread_mutex_lock(&s->lock);
	rc = exec_sql(s, "BEGIN IMMEDIATE", err, errlen);
	for (size_t i = 0; i < n && rc == 0; i++) {
		const struct store_view *v = &views[i];
		buf_reset(&sql);
		buf_puts(&sql, "DROP VIEW IF EXISTS ");
		quote_ident(&sql, v->type);
		buf_puts(&sql, "; CREATE VIEW ");
		quote_ident(&sql, v->type);
		/* No field is named as these columns, in any case (rules.c refuses it). */
		buf_puts(&sql, " AS SELECT id, url");
		for (size_t j = 0; j < v->nfields; j++) {
			buf_puts(&sql, ", ");
			view_column(&sql, &v->fields[j]);
		}
		buf_puts(&sql, ", site, idx, scraped_at");
		buf_puts(&sql, " FROM items WHERE type = ");
		buf_putc(&sql, '\'');
		for (const char *p = v->type; *p; p++) {
			if (*p == '\'')
				buf_putc(&sql, '\'');
			buf_putc(&sql, *p);
		}
		buf_putc(&sql, '\'');
		rc = exec_sql(s, buf_str(&sql), err, errlen);
	}
	if (rc == 0)
		rc = exec_sql(s, "COMMIT", err, errlen);
	else
		sqlite3_exec(s->db, "ROLLBACK", NULL, NULL, NULL);
	pthread_mutex_unlock(&s->lock);
	buf_free(&sql);
	return rc;
}

/* ---- ops ---- */

struct store_op *
store_op_new(enum store_op_kind kind)
{
	struct store_op *op = calloc(1, sizeof *op);

	if (op != NULL) {
		op->kind = kind;
		op->when = clock_wall();
		op->page.status = -1;
	}
	return op;
}

void
store_op_free(void *p)
{
	struct store_op *op = p;

	if (op == NULL)
		return;
	free(op->site);
	free(op->url);
	free(op->reason);
	free(op->page.final_url);
	free(op->page.content_type);
	free(op->page.error);
	free(op->page.etag);
	free(op->page.last_modified);
	free(op->page.charset);
	for (size_t i = 0; i < op->nitems; i++) {
		free(op->items[i].type);
		free(op->items[i].data);
	}
	free(op->items);
	for (size_t i = 0; i < op->nlinks; i++) {
		free(op->links[i].url);
		free(op->links[i].site);
	}
	free(op->links);
	free(op->marks);
	free(op->robots_body);
	for (size_t i = 0; i < op->nrows; i++) {
		free(op->rows[i].url);
		free(op->rows[i].etag);
		free(op->rows[i].last_modified);
	}
	free(op->rows);
	free(op);
}

size_t
store_op_weight(const struct store_op *op)
{
	size_t w = sizeof *op + (op->url ? strlen(op->url) : 0);

	for (size_t i = 0; i < op->nitems; i++)
		w += sizeof op->items[i] + strlen(op->items[i].data) + 32;
	for (size_t i = 0; i < op->nlinks; i++)
		w += sizeof op->links[i] + strlen(op->links[i].url) + 32;
	w += op->nmarks * sizeof *op->marks;
	if (op->robots_body != NULL)
		w += strlen(op->robots_body);
	return w;
}

static int
apply_links(struct store *s, const struct store_link *links, size_t n, const char *now)
{
	sqlite3_stmt *st = s->st[ST_LINK];

	for (size_t i = 0; i < n; i++) {
		bind_text(st, 1, links[i].url);
		sqlite3_bind_int64(st, 2, links[i].id);
		bind_text(st, 3, links[i].site);
		sqlite3_bind_int(st, 4, links[i].depth);
		bind_text(st, 5, now);
		if (run(s, st) == -1)
			return -1;
	}
	return 0;
}

static int
apply_page(struct store *s, const struct store_op *op, const char *now)
{
	const struct store_page_rec *p = &op->page;
	sqlite3_stmt *st;

	if (p->not_modified) {
		st = s->st[ST_PAGE_TOUCH];
		bind_text(st, 1, op->url);
		bind_text(st, 2, now);
		sqlite3_bind_int(st, 3, p->elapsed_ms);
		return run(s, st);
	}
	st = s->st[ST_PAGE];
	bind_text(st, 1, op->url);
	bind_text(st, 2, op->site);
	if (p->status >= 0)
		sqlite3_bind_int(st, 3, p->status);
	bind_opt(st, 4, p->content_type);
	if (p->status >= 0)
		sqlite3_bind_int64(st, 5, p->bytes);
	if (p->status >= 0 || p->elapsed_ms > 0)
		sqlite3_bind_int(st, 6, p->elapsed_ms);
	sqlite3_bind_int(st, 7, op->depth);
	bind_text(st, 8, now);
	bind_opt(st, 9, p->error);
	bind_opt(st, 10, p->etag);
	bind_opt(st, 11, p->last_modified);
	bind_opt(st, 12, p->final_url);
	bind_opt(st, 13, p->charset);
	if (p->status >= 0)
		sqlite3_bind_int(st, 14, (int)p->extract_errors);
	sqlite3_bind_int(st, 15, p->noindex);
	return run(s, st);
}

static int
apply_items(struct store *s, const struct store_op *op, const char *now)
{
	sqlite3_stmt *st = s->st[ST_ITEMS_DELETE];

	bind_text(st, 1, op->url);
	if (run(s, st) == -1)
		return -1;
	st = s->st[ST_ITEM];
	for (size_t i = 0; i < op->nitems; i++) {
		bind_text(st, 1, op->site);
		bind_text(st, 2, op->items[i].type);
		bind_text(st, 3, op->url);
		sqlite3_bind_int(st, 4, (int)op->items[i].idx);
		bind_text(st, 5, op->items[i].data);
		bind_text(st, 6, now);
		if (run(s, st) == -1)
			return -1;
	}
	return 0;
}

static int
apply_settle(struct store *s, const struct store_op *op, const char *now)
{
	sqlite3_stmt *st = s->st[ST_SETTLE];

	if (op->has_page && apply_page(s, op, now) == -1)
		return -1;
	/* A 304 keeps what the page had; otherwise its items are replaced, even by
	 * none (a re-scraped page that lost its items loses them here too). */
	if (op->has_page && !op->page.not_modified && op->state == FS_DONE &&
	    apply_items(s, op, now) == -1)
		return -1;
	if (apply_links(s, op->links, op->nlinks, now) == -1)
		return -1;
	sqlite3_bind_int64(st, 1, op->id);
	bind_text(st, 2, fstate_name(op->state));
	sqlite3_bind_int(st, 3, op->attempts);
	bind_opt(st, 4, op->reason);
	bind_text(st, 5, now);
	return run(s, st);
}

static int
apply_mark(struct store *s, const struct store_op *op, const char *now)
{
	sqlite3_stmt *st = s->st[ST_MARK];

	for (size_t i = 0; i < op->nmarks; i++) {
		sqlite3_bind_int64(st, 1, op->marks[i].id);
		bind_text(st, 2, fstate_name(op->mark_state));
		sqlite3_bind_int(st, 3, op->marks[i].attempts);
		bind_text(st, 4, now);
		if (run(s, st) == -1)
			return -1;
	}
	return 0;
}

static int
apply_robots(struct store *s, const struct store_op *op, const char *now)
{
	sqlite3_stmt *st = s->st[ST_ROBOTS];

	bind_text(st, 1, op->site);
	if (op->robots_status >= 0)
		sqlite3_bind_int(st, 2, op->robots_status);
	bind_text(st, 3, op->robots_body ? op->robots_body : "");
	bind_text(st, 4, now);
	sqlite3_bind_int64(st, 5, (sqlite3_int64)op->when);
	return run(s, st);
}

static char *
column_strdup(sqlite3_stmt *st, int col)
{
	const unsigned char *t = sqlite3_column_text(st, col);

	return t != NULL ? strdup((const char *)t) : NULL;
}

static int
apply_refill(struct store *s, struct store_op *op)
{
	sqlite3_stmt *st = s->st[ST_REFILL];
	int rc;

	if (op->limit <= 0)
		return 0;
	if ((op->rows = calloc((size_t)op->limit, sizeof *op->rows)) == NULL)
		return -1;
	bind_text(st, 1, op->site);
	sqlite3_bind_int64(st, 2, op->after_id);
	sqlite3_bind_int(st, 3, op->limit);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW && op->nrows < (size_t)op->limit) {
		struct store_row *r = &op->rows[op->nrows++];
		r->id = sqlite3_column_int64(st, 0);
		r->depth = sqlite3_column_int(st, 1);
		r->attempts = sqlite3_column_int(st, 2);
		r->url = column_strdup(st, 3);
		r->etag = column_strdup(st, 4);
		r->last_modified = column_strdup(st, 5);
		if (r->url == NULL) {
			rc = SQLITE_NOMEM;
			break;
		}
	}
	sqlite3_reset(st);
	sqlite3_clear_bindings(st);
	return rc == SQLITE_DONE || rc == SQLITE_ROW ? 0 : -1;
}

static int
apply_robots_read(struct store *s, struct store_op *op)
{
	sqlite3_stmt *st = s->st[ST_ROBOTS_READ];
	int rc;

	bind_text(st, 1, op->site);
	if ((rc = sqlite3_step(st)) == SQLITE_ROW && (op->robots_body = column_strdup(st, 0)) == NULL &&
	    sqlite3_column_type(st, 0) != SQLITE_NULL)
		rc = SQLITE_NOMEM;
	sqlite3_reset(st);
	sqlite3_clear_bindings(st);
	return rc == SQLITE_DONE || rc == SQLITE_ROW ? 0 : -1;
}

static int
apply_skip(struct store *s, const struct store_op *op, const char *now)
{
	sqlite3_stmt *pages, *frontier;
	int k = 1;

	if (op->site != NULL) {
		pages = s->st[ST_SKIP_PAGES_SITE];
		frontier = s->st[ST_SKIP_SITE];
		bind_text(pages, 1, op->site);
		bind_text(frontier, 1, op->site);
		k = 2;
	} else {
		pages = s->st[ST_SKIP_PAGES_ALL];
		frontier = s->st[ST_SKIP_ALL];
	}
	bind_text(pages, k, now);
	bind_text(pages, k + 1, op->reason);
	bind_text(frontier, k, now);
	bind_text(frontier, k + 1, op->reason);
	bind_text(frontier, k + 2, fstate_name(op->state));
	if (run(s, pages) == -1)
		return -1;
	return run(s, frontier);
}

static int
apply(struct store *s, struct store_op *op)
{
	char now[32];

	iso8601(op->when, now);
	switch (op->kind) {
	case OP_LINKS: return apply_links(s, op->links, op->nlinks, now);
	case OP_SETTLE: return apply_settle(s, op, now);
	case OP_MARK: return apply_mark(s, op, now);
	case OP_ROBOTS: return apply_robots(s, op, now);
	case OP_REFILL: return apply_refill(s, op);
	case OP_ROBOTS_READ: return apply_robots_read(s, op);
	case OP_SETTLE_QUEUED: return apply_skip(s, op, now);
	}
	return -1;
}

/* ---- the writer thread ---- */

static void
wake(struct store *s)
{
	char c = 's';

	if (s->wake_fd >= 0 && write(s->wake_fd, &c, 1) < 0 && errno != EAGAIN)
		return;
}

static void
fail(struct store *s, const char *what)
{
	/* Called with the lock held. */
	if (!atomic_load_explicit(&s->failed, memory_order_relaxed)) {
		int code = sqlite3_extended_errcode(s->db);
		if (code == SQLITE_FULL)
			snprintf(s->failure, sizeof s->failure,
				 "%s: database or disk is full (%s)", s->path, what);
		else
			snprintf(s->failure, sizeof s->failure, "%s: %s: %s", s->path, what,
				 sqlite3_errmsg(s->db));
		atomic_store_explicit(&s->failed, true, memory_order_release);
	}
}

/* Hand a finished op back (refills) or free it. */
static void
finish_op(struct store *s, struct store_op *op)
{
	if (op->kind != OP_REFILL && op->kind != OP_ROBOTS_READ) {
		store_op_free(op);
		return;
	}
	if (queue_try_push(s->replies, op, 0) == -1)
		store_op_free(op); /* cannot happen: the coordinator bounds its refills */
	wake(s);
}

/*
 * One transaction: the op that woke us and whatever else is queued, up to a batch
 * limit, then COMMIT.  Returns -1 once the database has failed.
 */
static int
write_batch(struct store *s, struct store_op *first)
{
	struct store_op *op = first;
	double start = clock_wall();
	int n = 0;

	pthread_mutex_lock(&s->lock);
	if (sqlite3_exec(s->db, "BEGIN IMMEDIATE", NULL, NULL, NULL) != SQLITE_OK) {
		fail(s, "starting a transaction");
		pthread_mutex_unlock(&s->lock);
		finish_op(s, op);
		return -1;
	}
	for (;;) {
		if (apply(s, op) == -1) {
			fail(s, "writing");
			sqlite3_exec(s->db, "ROLLBACK", NULL, NULL, NULL);
			pthread_mutex_unlock(&s->lock);
			finish_op(s, op);
			return -1;
		}
		finish_op(s, op);
		if (++n >= 5000 || clock_wall() - start > 0.25)
			break;
		if ((op = queue_pop(s->in, 0)) == NULL)
			break;
	}
	if (sqlite3_exec(s->db, "COMMIT", NULL, NULL, NULL) != SQLITE_OK) {
		fail(s, "committing");
		sqlite3_exec(s->db, "ROLLBACK", NULL, NULL, NULL);
		pthread_mutex_unlock(&s->lock);
		return -1;
	}
	pthread_mutex_unlock(&s->lock);
	return 0;
}

static void *
writer_main(void *arg)
{
	struct store *s = arg;
	struct store_op *op;
	bool failed = false;

	while ((op = queue_pop(s->in, -1)) != NULL) {
		if (failed) {
			/* Keep draining so the coordinator is never stuck on a full queue;
			 * refills are answered empty. */
			finish_op(s, op);
			continue;
		}
		if (write_batch(s, op) == -1) {
			failed = true;
			wake(s);
		}
	}
	return NULL;
}

int
store_writer_start(struct store *s, struct queue *in, struct queue *replies, int wake_fd)
{
	int rc;

	s->in = in;
	s->replies = replies;
	s->wake_fd = wake_fd;
	if ((rc = pthread_create(&s->thread, NULL, writer_main, s)) != 0) {
		errno = rc; /* pthread_create returns its error; it does not set errno */
		return -1;
	}
	s->running = true;
	return 0;
}

int
store_writer_stop(struct store *s)
{
	if (!s->running)
		return s->failed ? -1 : 0;
	queue_close(s->in);
	pthread_join(s->thread, NULL);
	s->running = false;
	return s->failed ? -1 : 0;
}

bool
store_failed(struct store *s, char *msg, size_t msglen)
{
	bool failed = atomic_load_explicit(&s->failed, memory_order_acquire);

	if (failed && msg != NULL)
		snprintf(msg, msglen, "%s", s->failure);
	return failed;
}

int
store_count_items(struct store *s, long *n, char *err, size_t errlen)
{
	sqlite3_stmt *st;
	int rc;

	*n = 0;
	pthread_mutex_lock(&s->lock);
	rc = sqlite3_prepare_v2(s->db, "SELECT count(*) FROM items", -1, &st, NULL);
	if (rc == SQLITE_OK && (rc = sqlite3_step(st)) == SQLITE_ROW) {
		*n = (long)sqlite3_column_int64(st, 0);
		rc = SQLITE_OK;
	}
	if (rc != SQLITE_OK)
		snprintf(err, errlen, "%s: counting the items: %s", s->path, sqlite3_errmsg(s->db));
	sqlite3_finalize(st);
	pthread_mutex_unlock(&s->lock);
	return rc == SQLITE_OK ? 0 : -1;
}
