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
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <sqlite3.h>

#include "buf.h"
#include "store/body.h"
#include "store/pg.h"
#include "store/schema.h"

enum stmt_id {
	ST_PAGE,
	ST_PAGE_TOUCH,
	ST_PAGE_ITEMS,
	ST_ITEMS_DELETE,
	ST_ITEM,
	ST_KEY_FIND,
	ST_KEY_NEW,
	ST_KEY_MOVE,
	ST_VERSION_NEW,
	ST_VERSION_SEEN,
	ST_KEY_GONE,
	ST_VERSION_GONE,
	ST_PROBLEMS_DELETE,
	ST_PROBLEM,
	ST_BODY_HAS,
	ST_BODY,
	ST_PAGE_BODY,
	ST_PAGE_ITEMS_TYPE,
	ST_ITEMS_DELETE_TYPE,
	ST_PAGE_REPARSED,
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
	ST_USAGE,
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
	" rules_hash, noindex)"
	" VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16)",
	[ST_PAGE_TOUCH] =
	"UPDATE pages SET fetched_at = ?2, elapsed_ms = ?3, error = NULL WHERE url = ?1",
	/* The page's current items, before they are replaced: those not seen again are
	 * gone. */
	[ST_PAGE_ITEMS] = "SELECT id FROM items WHERE url = ?1",
	[ST_ITEMS_DELETE] = "DELETE FROM items WHERE url = ?1",
	/* items keeps the current items under their identity's id; REPLACE also takes
	 * the row away from the page the item was on before, if it moved. */
	[ST_ITEM] =
	"INSERT OR REPLACE INTO items(id, site, type, url, idx, data, scraped_at)"
	" VALUES (?7, ?1, ?2, ?3, ?4, ?5, ?6)",
	/*
	 * One item's identity and latest version, in one step: whether its data is valid
	 * JSON, its key (?4, the key's field names: their values as a JSON array; NULL, or
	 * a key field without a value: the page URL ?5 and position ?6), the identity's id
	 * and whether it is gone, the latest version's id and whether its data is ?3.
	 */
	[ST_KEY_FIND] =
	"WITH q(key) AS (SELECT CASE"
	"  WHEN ?4 IS NULL OR NOT json_valid(?3)"
	"    OR EXISTS (SELECT 1 FROM json_each(?4) f WHERE ?3 -> ('$.\"' || f.value || '\"') IS NULL"
	"      OR ?3 -> ('$.\"' || f.value || '\"') = 'null')"
	"  THEN json_array(?5, ?6)"
	"  ELSE (SELECT json_group_array(json(?3 -> ('$.\"' || f.value || '\"'))) FROM json_each(?4) f)"
	"  END)"
	" SELECT json_valid(?3), q.key, k.id, k.gone_at IS NOT NULL, v.id, v.data = ?3,"
	"  k.url IS NOT ?5"
	" FROM q LEFT JOIN item_keys k ON k.type = ?1 AND k.key = q.key"
	" LEFT JOIN item_versions v ON v.id ="
	"  (SELECT max(id) FROM item_versions WHERE item_id = k.id)",
	[ST_KEY_NEW] =
	"INSERT INTO item_keys(site, type, key, url, first_seen) VALUES (?1, ?2, ?3, ?4, ?5)",
	[ST_KEY_MOVE] = "UPDATE item_keys SET site = ?2, url = ?3, gone_at = NULL WHERE id = ?1",
	[ST_VERSION_NEW] =
	"INSERT INTO item_versions(item_id, data, first_seen, last_seen, job)"
	" VALUES (?1, ?2, ?3, ?3, ?4)",
	[ST_VERSION_SEEN] = "UPDATE item_versions SET last_seen = ?2 WHERE id = ?1",
	[ST_PROBLEMS_DELETE] = "DELETE FROM problems WHERE url = ?1",
	[ST_BODY_HAS] = "SELECT 1 FROM bodies WHERE digest = ?1",
	[ST_BODY] = "INSERT OR IGNORE INTO bodies(digest, size, codec, data) VALUES (?1, ?2, ?3, ?4)",
	[ST_PAGE_BODY] = "UPDATE pages SET body = ?2, headers = ?3 WHERE url = ?1",
	/* reparse --type: the page's items of one type only */
	[ST_PAGE_ITEMS_TYPE] = "SELECT id FROM items WHERE url = ?1 AND type = ?2",
	[ST_ITEMS_DELETE_TYPE] = "DELETE FROM items WHERE url = ?1 AND type = ?2",
	[ST_PAGE_REPARSED] =
	"UPDATE pages SET rules_hash = ?2, extract_errors = ?3 WHERE url = ?1",
	[ST_PROBLEM] =
	"INSERT INTO problems(url, site, type, field, message, at, job)"
	" VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
	[ST_KEY_GONE] = "UPDATE item_keys SET gone_at = ?2 WHERE id = ?1 AND gone_at IS NULL",
	[ST_VERSION_GONE] =
	"UPDATE item_versions SET gone_at = ?2, gone_job = ?3"
	" WHERE id = (SELECT max(id) FROM item_versions WHERE item_id = ?1) AND gone_at IS NULL",
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
	"SELECT f.id, f.depth, f.attempts, f.url,"
	" CASE WHEN p.rules_hash IS ?4 THEN p.etag END,"
	" CASE WHEN p.rules_hash IS ?4 THEN p.last_modified END"
	" FROM frontier f LEFT JOIN pages p ON p.url = f.url"
	" WHERE f.site = ?1 AND f.state = 'queued' AND f.id > ?2 ORDER BY f.id LIMIT ?3",
	[ST_ROBOTS_READ] = "SELECT body FROM robots WHERE site = ?1",
	[ST_USAGE] =
	"INSERT INTO site_usage(site, workers, cpu_ms, peak_rss_kb, updated_at)"
	" VALUES (?1, 1, ?2, ?3, ?4) ON CONFLICT(site) DO UPDATE SET"
	" workers = workers + 1, cpu_ms = cpu_ms + excluded.cpu_ms,"
	" peak_rss_kb = max(peak_rss_kb, excluded.peak_rss_kb), updated_at = excluded.updated_at",
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
	struct pgstore *pg;	/* PostgreSQL (store/pg.c): every call goes there */
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
	/* Settled URLs committed (store_committed), and those of the open transaction */
	struct store_tally committed, batch;
	int64_t run;		/* this run's id in runs; 0 before one is begun */
	/* apply_items' scratch: the page's items before and the identities seen now */
	int64_t *was, *seen;
	size_t nwas, cwas, nseen, cseen;
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

/*
 * "attempt to write a readonly database" from a database file we may write: SQLite
 * could not open DB-shm for writing (immutable, or another user's and read-only).
 * Says so, for the end of a message; "" otherwise.
 */
static const char *
shm_hint(struct store *s, char *hint, size_t len)
{
	char shm[4200];
	int fd;

	hint[0] = '\0';
	if ((sqlite3_errcode(s->db) & 0xff) != SQLITE_READONLY ||
	    (size_t)snprintf(shm, sizeof shm, "%s-shm", s->path) >= sizeof shm)
		return hint;
	if ((fd = open(shm, O_RDWR | O_CLOEXEC | O_NOFOLLOW)) >= 0) {
		close(fd);
		return hint;
	}
	if (errno == EACCES || errno == EPERM || errno == EROFS)
		snprintf(hint, len, " (its shared-memory file %s cannot be written: %s)", shm,
			 errno == EPERM ? "it is immutable (chattr +i)" : strerror(errno));
	return hint;
}

static int
exec_sql(struct store *s, const char *sql, char *err, size_t errlen)
{
	char *msg = NULL;
	char hint[4400];

	if (sqlite3_exec(s->db, sql, NULL, NULL, &msg) != SQLITE_OK) {
		snprintf(err, errlen, "%s: %s%s", s->path, msg ? msg : sqlite3_errmsg(s->db),
			 shm_hint(s, hint, sizeof hint));
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

/*
 * SQLite keeps a WAL database's index in DB-shm, mapped into memory.  When that file
 * can no longer be written through the mapping (made immutable with chattr +i while we
 * run: the kernel answers the write fault with SIGBUS) or is cut short by another
 * program, the next access is a SIGBUS, which would kill us with no word.  Say what
 * happened instead, and exit 1: a transaction that did not commit is rolled back from
 * the WAL by whoever opens the database next.  The message is made beforehand: a
 * signal handler may only write(2) and _exit(2).
 */
static char sigbus_msg[1400];
static size_t sigbus_len;

static void
on_sigbus(int sig)
{
	(void)sig;
	if (write(STDERR_FILENO, sigbus_msg, sigbus_len) < 0)
		_exit(1);
	_exit(1);
}

void
store_catch_sigbus(const char *path)
{
	struct sigaction sa;
	int n;

	n = snprintf(sigbus_msg, sizeof sigbus_msg,
		     "scraper: error: %s: bus error (SIGBUS) on the database's shared-memory "
		     "file %s-shm: it cannot be written any more (made immutable, or cut short "
		     "by another program); stopping; what was committed is safe\n", path, path);
	if (n < 0)
		return;
	sigbus_len = (size_t)n < sizeof sigbus_msg ? (size_t)n : sizeof sigbus_msg - 1;
	memset(&sa, 0, sizeof sa);
	sa.sa_handler = on_sigbus;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGBUS, &sa, NULL);
}

void
store_library_init(void)
{
	sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0);
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
	if (store_is_pg(path)) {
		if ((s->pg = pg_open(path, err, errlen)) == NULL) {
			store_close(s);
			return NULL;
		}
		return s;
	}
	store_catch_sigbus(path);
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
	if (s->pg != NULL)
		pg_close(s->pg);
	if (s->running)
		store_writer_stop(s);
	if (s->run > 0 && !s->failed) {
		/* The run ends; a failed one keeps no end (it did not finish). */
		char now[32], sql[128];
		iso8601(clock_wall(), now);
		snprintf(sql, sizeof sql, "UPDATE runs SET finished_at = '%s' WHERE id = %lld", now,
			 (long long)s->run);
		sqlite3_exec(s->db, sql, NULL, NULL, NULL);
	}
	for (int i = 0; i < ST_COUNT; i++)
		sqlite3_finalize(s->st[i]);
	free(s->was);
	free(s->seen);
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

/* A row of runs for this run; its id into s->run.  SCRAPER_JOB, when set, is the
 * service's job id for it. */
static int
insert_run(struct store *s, const char *kind, const char *now, char *err, size_t errlen)
{
	sqlite3_stmt *st;
	const char *job = getenv("SCRAPER_JOB");
	int rc;

	if (sqlite3_prepare_v2(s->db, "INSERT INTO runs(kind, job, started_at) VALUES (?1, ?2, ?3)",
			       -1, &st, NULL) != SQLITE_OK) {
		snprintf(err, errlen, "%s: %s", s->path, sqlite3_errmsg(s->db));
		return -1;
	}
	bind_text(st, 1, kind);
	bind_opt(st, 2, job);
	bind_text(st, 3, now);
	rc = sqlite3_step(st);
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE) {
		snprintf(err, errlen, "%s: %s", s->path, sqlite3_errmsg(s->db));
		return -1;
	}
	s->run = sqlite3_last_insert_rowid(s->db);
	return 0;
}

int
store_begin_crawl(struct store *s, bool fresh, bool recrawl, char *err, size_t errlen)
{
	char now[32];
	char sql[512];
	int rc;

	if (s->pg != NULL)
		return pg_begin_crawl(s->pg, fresh, recrawl, err, errlen);
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
		rc = insert_run(s, "crawl", now, err, errlen);
	if (rc == 0)
		rc = exec_sql(s, "COMMIT", err, errlen);
	else
		sqlite3_exec(s->db, "ROLLBACK", NULL, NULL, NULL);
	pthread_mutex_unlock(&s->lock);
	return rc;
}

int
store_begin_run(struct store *s, const char *kind, char *err, size_t errlen)
{
	char now[32];
	int rc;

	if (s->pg != NULL)
		return pg_begin_run(s->pg, kind, err, errlen);
	iso8601(clock_wall(), now);
	pthread_mutex_lock(&s->lock);
	rc = insert_run(s, kind, now, err, errlen);
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

	if (s->pg != NULL)
		return pg_scan_frontier(s->pg, each, ctx, err, errlen);
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

	if (s->pg != NULL)
		return pg_scan_robots(s->pg, each, ctx, err, errlen);
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

static bool
has_field(const struct store_view *v, const char *name)
{
	for (size_t i = 0; i < v->nfields; i++) {
		if (strcmp(v->fields[i].name, name) == 0)
			return true;
	}
	return false;
}

/* Append "'text'" as an SQL string literal. */
static void
quote_literal(struct buf *b, const char *text)
{
	buf_putc(b, '\'');
	for (const char *p = text; *p; p++) {
		if (*p == '\'')
			buf_putc(b, '\'');
		buf_putc(b, *p);
	}
	buf_putc(b, '\'');
}

/* "; CREATE VIEW TYPE_history": every version of every item of the type, gone ones
 * included, with the columns of the type's view and the version's dates and run. */
static void
history_view(struct buf *sql, const struct store_view *v)
{
	static const char *const extra[][2] = {
		{ "site", "k.site" }, { "key", "k.key" }, { "first_seen", "v.first_seen" },
		{ "last_seen", "v.last_seen" }, { "gone_at", "v.gone_at" }, { "job", "v.job" },
	};
	struct buf name;

	buf_init(&name, 4096);
	buf_printf(&name, "%s_history", v->type);
	buf_puts(sql, "; DROP VIEW IF EXISTS ");
	quote_ident(sql, buf_str(&name));
	buf_puts(sql, "; CREATE VIEW ");
	quote_ident(sql, buf_str(&name));
	buf_puts(sql, " AS SELECT v.item_id AS id");
	buf_puts(sql, ", k.url AS url"); /* url is no field name (rules.c) */
	for (size_t j = 0; j < v->nfields; j++) {
		buf_puts(sql, ", ");
		view_column(sql, &v->fields[j]);
	}
	for (size_t j = 0; j < sizeof extra / sizeof extra[0]; j++) {
		if (!has_field(v, extra[j][0]))
			buf_printf(sql, ", %s AS %s", extra[j][1], extra[j][0]);
	}
	buf_puts(sql, " FROM item_versions v JOIN item_keys k ON k.id = v.item_id WHERE k.type = ");
	quote_literal(sql, v->type);
	buf_free(&name);
}

int
store_create_views(struct store *s, const struct store_view *views, size_t n, char *err,
		   size_t errlen)
{
	struct buf sql;
	int rc = 0;

	if (s->pg != NULL)
		return pg_create_views(s->pg, views, n, err, errlen);
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
		quote_literal(&sql, v->type);
		history_view(&sql, v);
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
	free(op->page.rules_hash);
	free(op->page.body);
	free(op->page.headers);
	free(op->only_type);
	for (size_t i = 0; i < op->nlease_renew; i++)
		free(op->lease_renew[i]);
	free(op->lease_renew);
	for (size_t i = 0; i < op->nlease_release; i++)
		free(op->lease_release[i]);
	free(op->lease_release);
	for (size_t i = 0; i < op->nheld; i++)
		free(op->held[i]);
	free(op->held);
	free(op->held_queued);
	free(op->held_taken);
	for (size_t i = 0; i < op->nitems; i++) {
		free(op->items[i].type);
		free(op->items[i].data);
		free(op->items[i].key_fields);
	}
	free(op->items);
	for (size_t i = 0; i < op->nproblems; i++)
		free(op->problems[i]);
	free(op->problems);
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
	size_t w = sizeof *op + (op->url ? strlen(op->url) : 0) + op->page.body_len;

	for (size_t i = 0; i < op->nitems; i++)
		w += sizeof op->items[i] + strlen(op->items[i].data) + 32;
	for (size_t i = 0; i < op->nlinks; i++)
		w += sizeof op->links[i] + strlen(op->links[i].url) + 32;
	for (size_t i = 0; i < op->nproblems; i++)
		w += strlen(op->problems[i]) + 32;
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
	bind_opt(st, 15, p->rules_hash);
	sqlite3_bind_int(st, 16, p->noindex);
	return run(s, st);
}

/* Append id to a growable id list (the writer's scratch). */
static int
ids_add(int64_t **v, size_t *n, size_t *cap, int64_t id)
{
	if (*n == *cap) {
		size_t c = *cap ? *cap * 2 : 64;
		int64_t *nv = realloc(*v, c * sizeof *nv);
		if (nv == NULL)
			return -1;
		*v = nv;
		*cap = c;
	}
	(*v)[(*n)++] = id;
	return 0;
}

static bool
ids_has(const int64_t *v, size_t n, int64_t id)
{
	for (size_t i = 0; i < n; i++) {
		if (v[i] == id)
			return true;
	}
	return false;
}

/* The ids of the page's current items into s->was. */
static int
page_items(struct store *s, const char *url, const char *type)
{
	sqlite3_stmt *st = s->st[type != NULL ? ST_PAGE_ITEMS_TYPE : ST_PAGE_ITEMS];
	int rc;

	s->nwas = 0;
	bind_text(st, 1, url);
	if (type != NULL)
		bind_text(st, 2, type);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		if (ids_add(&s->was, &s->nwas, &s->cwas, sqlite3_column_int64(st, 0)) == -1) {
			rc = SQLITE_NOMEM;
			break;
		}
	}
	sqlite3_reset(st);
	sqlite3_clear_bindings(st);
	return rc == SQLITE_DONE ? 0 : -1;
}

/* Item id is no longer on the page it was last seen on: it is gone, and so is its
 * latest version. */
static int
item_gone(struct store *s, int64_t id, const char *now)
{
	sqlite3_stmt *st = s->st[ST_KEY_GONE];

	sqlite3_bind_int64(st, 1, id);
	bind_text(st, 2, now);
	if (run(s, st) == -1)
		return -1;
	st = s->st[ST_VERSION_GONE];
	sqlite3_bind_int64(st, 1, id);
	bind_text(st, 2, now);
	if (s->run > 0)
		sqlite3_bind_int64(st, 3, s->run);
	return run(s, st);
}

/* What ST_KEY_FIND says of one item. */
struct found {
	bool valid;		/* its data is a JSON object SQLite accepts */
	char key[1024];		/* too long a key is cut: still a key */
	int64_t id;		/* its identity, 0: new */
	bool gone;
	int64_t version;	/* its latest version, 0: none */
	bool same;		/* with the same data */
	bool moved;		/* last seen on another page */
};

static int
find_item(struct store *s, const struct store_op *op, const struct store_item *it,
	  struct found *f)
{
	sqlite3_stmt *st = s->st[ST_KEY_FIND];
	int rc;

	bind_text(st, 1, it->type);
	bind_text(st, 3, it->data);
	bind_text(st, 4, it->key_fields);
	bind_text(st, 5, op->url);
	sqlite3_bind_int(st, 6, (int)it->idx);
	if ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		const char *key = (const char *)sqlite3_column_text(st, 1);
		f->valid = sqlite3_column_int(st, 0) == 1;
		snprintf(f->key, sizeof f->key, "%s", key ? key : "");
		f->id = sqlite3_column_int64(st, 2);
		f->gone = sqlite3_column_int(st, 3) == 1;
		f->version = sqlite3_column_int64(st, 4);
		f->same = sqlite3_column_int(st, 5) == 1;
		f->moved = sqlite3_column_int(st, 6) == 1;
	}
	sqlite3_reset(st);
	sqlite3_clear_bindings(st);
	return rc == SQLITE_ROW ? 0 : -1;
}

/*
 * The history of one item seen on the page: a new identity and first version; the
 * same data as its latest version only moves that version's last_seen; other data (or
 * an item back after it was gone) starts a new version.  Sets *id.
 */
static int
item_history(struct store *s, const struct store_op *op, const struct store_item *it,
	     const struct found *f, const char *now, int64_t *id)
{
	sqlite3_stmt *st;

	*id = f->id;
	if (f->id == 0) {
		st = s->st[ST_KEY_NEW];
		bind_text(st, 1, op->site);
		bind_text(st, 2, it->type);
		bind_text(st, 3, f->key);
		bind_text(st, 4, op->url);
		bind_text(st, 5, now);
		if (run(s, st) == -1)
			return -1;
		*id = sqlite3_last_insert_rowid(s->db);
	} else if (f->moved || f->gone) {
		st = s->st[ST_KEY_MOVE];
		sqlite3_bind_int64(st, 1, f->id);
		bind_text(st, 2, op->site);
		bind_text(st, 3, op->url);
		if (run(s, st) == -1)
			return -1;
	}
	if (f->version != 0 && f->same && !f->gone) {
		st = s->st[ST_VERSION_SEEN];
		sqlite3_bind_int64(st, 1, f->version);
		bind_text(st, 2, now);
		return run(s, st);
	}
	st = s->st[ST_VERSION_NEW];
	sqlite3_bind_int64(st, 1, *id);
	bind_text(st, 2, it->data);
	bind_text(st, 3, now);
	if (s->run > 0)
		sqlite3_bind_int64(st, 4, s->run);
	return run(s, st);
}

/*
 * A page fetched (or re-extracted) again: its items replace the ones it had, each
 * kept with its history (item_history), and an item it had that it no longer has is
 * gone.  An item whose data is not valid JSON, or a second item with a key already
 * seen on this page, is dropped.  With gone_all (a 404 or 410) every item it had is
 * gone.  All in the caller's transaction.
 */
static int
apply_items(struct store *s, const struct store_op *op, const char *now, bool gone_all)
{
	sqlite3_stmt *st;
	struct found f;
	int64_t id;

	if (page_items(s, op->url, op->only_type) == -1)
		return -1;
	st = s->st[op->only_type != NULL ? ST_ITEMS_DELETE_TYPE : ST_ITEMS_DELETE];
	bind_text(st, 1, op->url);
	if (op->only_type != NULL)
		bind_text(st, 2, op->only_type);
	if (run(s, st) == -1)
		return -1;
	s->nseen = 0;
	for (size_t i = 0; i < op->nitems && !gone_all; i++) {
		const struct store_item *it = &op->items[i];
		if (find_item(s, op, it, &f) == -1)
			return -1;
		if (!f.valid || (f.id != 0 && ids_has(s->seen, s->nseen, f.id)))
			continue;
		if (item_history(s, op, it, &f, now, &id) == -1 ||
		    ids_add(&s->seen, &s->nseen, &s->cseen, id) == -1)
			return -1;
		st = s->st[ST_ITEM];
		bind_text(st, 1, op->site);
		bind_text(st, 2, it->type);
		bind_text(st, 3, op->url);
		sqlite3_bind_int(st, 4, (int)it->idx);
		bind_text(st, 5, it->data);
		bind_text(st, 6, now);
		sqlite3_bind_int64(st, 7, id);
		if (run(s, st) == -1)
			return -1;
	}
	for (size_t i = 0; i < s->nwas; i++) {
		if (!ids_has(s->seen, s->nseen, s->was[i]) && item_gone(s, s->was[i], now) == -1)
			return -1;
	}
	return 0;
}

/* Bind the name quoted after "what '" in msg (extract.c's words: "item 'book'
 * dropped: required field 'title' ..."), or NULL. */
static void
bind_quoted(sqlite3_stmt *st, int i, const char *msg, const char *what)
{
	const char *p = strstr(msg, what), *end;

	if (p == NULL || (end = strchr(p += strlen(what), '\'')) == NULL) {
		sqlite3_bind_null(st, i);
		return;
	}
	sqlite3_bind_text(st, i, p, (int)(end - p), SQLITE_TRANSIENT);
}

/* The page's extraction problems replace the ones of its last extraction. */
static int
apply_problems(struct store *s, const struct store_op *op, const char *now)
{
	sqlite3_stmt *st = s->st[ST_PROBLEMS_DELETE];

	bind_text(st, 1, op->url);
	if (run(s, st) == -1)
		return -1;
	st = s->st[ST_PROBLEM];
	for (size_t i = 0; i < op->nproblems; i++) {
		bind_text(st, 1, op->url);
		bind_text(st, 2, op->site);
		bind_quoted(st, 3, op->problems[i], "item '");
		bind_quoted(st, 4, op->problems[i], "field '");
		bind_text(st, 5, op->problems[i]);
		bind_text(st, 6, now);
		if (s->run > 0)
			sqlite3_bind_int64(st, 7, s->run);
		if (run(s, st) == -1)
			return -1;
	}
	return 0;
}

/* The page's body into bodies (once per digest; a new one is checked against its
 * digest first) and its row pointed at it. */
static int
apply_body(struct store *s, const struct store_op *op)
{
	const struct store_page_rec *p = &op->page;
	sqlite3_stmt *st = s->st[ST_BODY_HAS];
	char err[200];
	struct buf raw;
	int rc;

	bind_text(st, 1, p->body_digest);
	rc = sqlite3_step(st);
	sqlite3_reset(st);
	sqlite3_clear_bindings(st);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		return -1;
	if (rc == SQLITE_DONE) {
		buf_init(&raw, (size_t)p->body_size + 1);
		rc = body_unpack(p->body, p->body_len, (size_t)p->body_size, p->body_digest, &raw,
				 err, sizeof err);
		buf_free(&raw);
		if (rc == -1)
			return 0; /* not what it claims to be: not stored (the page is) */
		st = s->st[ST_BODY];
		bind_text(st, 1, p->body_digest);
		sqlite3_bind_int64(st, 2, (sqlite3_int64)p->body_size);
		bind_text(st, 3, BODY_CODEC);
		sqlite3_bind_blob(st, 4, p->body, (int)p->body_len, SQLITE_STATIC);
		if (run(s, st) == -1)
			return -1;
	}
	st = s->st[ST_PAGE_BODY];
	bind_text(st, 1, op->url);
	bind_text(st, 2, p->body_digest);
	bind_opt(st, 3, p->headers);
	return run(s, st);
}

/* reparse: the page's items and problems from its stored body, and the fingerprint
 * of the rules they came from; the page and frontier rows are otherwise untouched. */
static int
apply_reparse(struct store *s, const struct store_op *op, const char *now)
{
	sqlite3_stmt *st = s->st[ST_PAGE_REPARSED];

	if (apply_items(s, op, now, false) == -1 ||
	    (op->only_type == NULL && apply_problems(s, op, now) == -1))
		return -1;
	bind_text(st, 1, op->url);
	bind_opt(st, 2, op->page.rules_hash);
	sqlite3_bind_int(st, 3, (int)op->page.extract_errors);
	return run(s, st);
}

static int
apply_settle(struct store *s, const struct store_op *op, const char *now)
{
	sqlite3_stmt *st = s->st[ST_SETTLE];

	if (op->reparse)
		return apply_reparse(s, op, now);
	if (op->has_page && apply_page(s, op, now) == -1)
		return -1;
	if (op->has_page && op->page.body != NULL && op->page.body_len == op->page.body_total &&
	    !op->page.not_modified && apply_body(s, op) == -1)
		return -1;
	/* A 304 keeps what the page had; otherwise its items are replaced, even by
	 * none (a re-scraped page that lost its items loses them here too), and a page
	 * that answers 404 or 410 has lost them all. */
	if (op->has_page && !op->page.not_modified && op->state == FS_DONE &&
	    (apply_items(s, op, now, false) == -1 || apply_problems(s, op, now) == -1))
		return -1;
	if (op->has_page && (op->page.status == 404 || op->page.status == 410) &&
	    apply_items(s, op, now, true) == -1)
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

static int
apply_usage(struct store *s, const struct store_op *op, const char *now)
{
	sqlite3_stmt *st = s->st[ST_USAGE];

	bind_text(st, 1, op->site);
	sqlite3_bind_int64(st, 2, (sqlite3_int64)op->cpu_ms);
	sqlite3_bind_int64(st, 3, (sqlite3_int64)op->peak_rss_kb);
	bind_text(st, 4, now);
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
	bind_opt(st, 4, op->reason);
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

/* Count a settled URL into the open transaction's tally (not a reparse's). */
static void
tally_settle(struct store *s, const struct store_op *op)
{
	struct store_tally *t = &s->batch;

	if (op->reparse)
		return;
	t->settled++;
	t->items += (long)op->nitems;
	if (op->state == FS_DONE) {
		t->ok++;
	} else if (op->state == FS_FAILED) {
		t->failed++;
	} else {
		t->skipped++;
		t->skipped_robots += op->disallowed;
	}
}

/* Count the n queued URLs an OP_SETTLE_QUEUED settled: failed (a site given up on),
 * or skipped (the page limit). */
static void
tally_skip(struct store *s, const struct store_op *op, int n)
{
	struct store_tally *t = &s->batch;

	t->settled += n;
	if (op->state == FS_FAILED) {
		t->failed += n;
	} else {
		t->skipped += n;
		t->skipped_limit += n;
	}
}

static int
apply(struct store *s, struct store_op *op)
{
	char now[32];

	iso8601(op->when, now);
	switch (op->kind) {
	case OP_LINKS: return apply_links(s, op->links, op->nlinks, now);
	case OP_SETTLE:
		if (apply_settle(s, op, now) == -1)
			return -1;
		tally_settle(s, op);
		return 0;
	case OP_MARK: return apply_mark(s, op, now);
	case OP_ROBOTS: return apply_robots(s, op, now);
	case OP_REFILL: return apply_refill(s, op);
	case OP_ROBOTS_READ: return apply_robots_read(s, op);
	case OP_SETTLE_QUEUED:
		if (apply_skip(s, op, now) == -1)
			return -1;
		tally_skip(s, op, sqlite3_changes(s->db));
		return 0;
	case OP_USAGE: return apply_usage(s, op, now);
	case OP_LEASE: return 0; /* one node per SQLite database: nothing to lease */
	}
	return -1;
}

/* ---- the writer thread ---- */

void
store_wake(int wake_fd)
{
	char c = 's';

	if (wake_fd >= 0 && write(wake_fd, &c, 1) < 0 && errno != EAGAIN)
		return;
}

void
store_op_done(struct queue *replies, int wake_fd, struct store_op *op)
{
	if (op->kind != OP_REFILL && op->kind != OP_ROBOTS_READ && op->kind != OP_LEASE) {
		store_op_free(op);
		return;
	}
	if (queue_try_push(replies, op, 0) == -1)
		store_op_free(op); /* cannot happen: the coordinator bounds its requests */
	store_wake(wake_fd);
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
	memset(&s->batch, 0, sizeof s->batch);
	if (sqlite3_exec(s->db, "BEGIN IMMEDIATE", NULL, NULL, NULL) != SQLITE_OK) {
		fail(s, "starting a transaction");
		pthread_mutex_unlock(&s->lock);
		store_op_done(s->replies, s->wake_fd, op);
		return -1;
	}
	for (;;) {
		if (apply(s, op) == -1) {
			fail(s, "writing");
			sqlite3_exec(s->db, "ROLLBACK", NULL, NULL, NULL);
			pthread_mutex_unlock(&s->lock);
			store_op_done(s->replies, s->wake_fd, op);
			return -1;
		}
		store_op_done(s->replies, s->wake_fd, op);
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
	s->committed.settled += s->batch.settled;
	s->committed.ok += s->batch.ok;
	s->committed.failed += s->batch.failed;
	s->committed.skipped += s->batch.skipped;
	s->committed.skipped_robots += s->batch.skipped_robots;
	s->committed.skipped_limit += s->batch.skipped_limit;
	s->committed.items += s->batch.items;
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
			store_op_done(s->replies, s->wake_fd, op);
			continue;
		}
		if (write_batch(s, op) == -1) {
			failed = true;
			store_wake(s->wake_fd);
		}
	}
	return NULL;
}

int
store_writer_start(struct store *s, struct queue *in, struct queue *replies, int wake_fd)
{
	int rc;

	if (s->pg != NULL)
		return pg_writer_start(s->pg, in, replies, wake_fd);
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
	if (s->pg != NULL)
		return pg_writer_stop(s->pg);
	if (!s->running)
		return s->failed ? -1 : 0;
	queue_close(s->in);
	pthread_join(s->thread, NULL);
	s->running = false;
	return s->failed ? -1 : 0;
}

int
store_apply_now(struct store *s, struct store_op **ops, size_t n, char *err, size_t errlen)
{
	int rc;

	if (s->pg != NULL)
		return pg_apply_now(s->pg, ops, n, err, errlen);
	pthread_mutex_lock(&s->lock);
	rc = exec_sql(s, "BEGIN IMMEDIATE", err, errlen);
	for (size_t i = 0; i < n && rc == 0; i++) {
		if (apply(s, ops[i]) == -1) {
			snprintf(err, errlen, "%s: writing: %s", s->path, sqlite3_errmsg(s->db));
			rc = -1;
		}
	}
	if (rc == 0)
		rc = exec_sql(s, "COMMIT", err, errlen);
	if (rc != 0)
		sqlite3_exec(s->db, "ROLLBACK", NULL, NULL, NULL);
	if (rc != 0 && !s->failed) {
		snprintf(s->failure, sizeof s->failure, "%s", err);
		atomic_store(&s->failed, true);
	}
	pthread_mutex_unlock(&s->lock);
	return rc;
}

int
store_read_body(struct store *s, const char *url, char **packed, size_t *packed_len,
		uint64_t *size, char digest[65], char **content_type, char **final_url,
		char *err, size_t errlen)
{
	sqlite3_stmt *st;
	int rc, found = 0;

	if (s->pg != NULL)
		return pg_read_body(s->pg, url, packed, packed_len, size, digest, content_type,
				    final_url, err, errlen);
	*packed = *content_type = *final_url = NULL;
	pthread_mutex_lock(&s->lock);
	rc = sqlite3_prepare_v2(s->db,
				"SELECT b.data, b.size, b.digest, b.codec, p.content_type, p.final_url"
				" FROM pages p JOIN bodies b ON b.digest = p.body WHERE p.url = ?1",
				-1, &st, NULL);
	if (rc == SQLITE_OK) {
		sqlite3_bind_text(st, 1, url, -1, SQLITE_STATIC);
		rc = sqlite3_step(st);
	}
	if (rc == SQLITE_ROW) {
		const void *data = sqlite3_column_blob(st, 0);
		const char *codec = (const char *)sqlite3_column_text(st, 3);
		*packed_len = (size_t)sqlite3_column_bytes(st, 0);
		*size = (uint64_t)sqlite3_column_int64(st, 1);
		snprintf(digest, 65, "%s", (const char *)sqlite3_column_text(st, 2));
		if (codec == NULL || strcmp(codec, BODY_CODEC) != 0) {
			snprintf(err, errlen, "stored body of %s: unknown codec '%s'", url,
				 codec ? codec : "");
			found = -1;
		} else if ((*packed = malloc(*packed_len + 1)) == NULL) {
			snprintf(err, errlen, "out of memory");
			found = -1;
		} else {
			if (*packed_len > 0)
				memcpy(*packed, data, *packed_len);
			*content_type = column_strdup(st, 4);
			*final_url = column_strdup(st, 5);
			found = 1;
		}
	} else if (rc != SQLITE_DONE) {
		snprintf(err, errlen, "%s: %s", s->path, sqlite3_errmsg(s->db));
		found = -1;
	}
	sqlite3_finalize(st);
	pthread_mutex_unlock(&s->lock);
	return found;
}

int
store_body_pages(struct store *s, const char *site,
		 void (*each)(void *ctx, const char *url, const char *site), void *ctx,
		 char *err, size_t errlen)
{
	sqlite3_stmt *st;
	int rc;

	if (s->pg != NULL)
		return pg_body_pages(s->pg, site, each, ctx, err, errlen);
	pthread_mutex_lock(&s->lock);
	rc = sqlite3_prepare_v2(s->db, "SELECT url, site FROM pages WHERE body IS NOT NULL"
				" AND (?1 IS NULL OR site = ?1) ORDER BY url", -1, &st, NULL);
	if (rc == SQLITE_OK && site != NULL)
		sqlite3_bind_text(st, 1, site, -1, SQLITE_STATIC);
	while (rc == SQLITE_OK && (rc = sqlite3_step(st)) == SQLITE_ROW) {
		each(ctx, (const char *)sqlite3_column_text(st, 0),
		     (const char *)sqlite3_column_text(st, 1));
		rc = SQLITE_OK;
	}
	if (rc != SQLITE_DONE)
		snprintf(err, errlen, "%s: reading the pages with stored bodies: %s", s->path,
			 sqlite3_errmsg(s->db));
	sqlite3_finalize(st);
	pthread_mutex_unlock(&s->lock);
	return rc == SQLITE_DONE ? 0 : -1;
}

int
store_node_crawling(struct store *s, char *node, size_t nodelen, char *err, size_t errlen)
{
	if (s->pg == NULL)
		return 0;
	return pg_node_crawling(s->pg, node, nodelen, err, errlen);
}

bool
store_committed(struct store *s, struct store_tally *t)
{
	if (s->pg != NULL)
		return false;
	pthread_mutex_lock(&s->lock);
	*t = s->committed;
	pthread_mutex_unlock(&s->lock);
	return true;
}

bool
store_failed(struct store *s, char *msg, size_t msglen)
{
	bool failed = atomic_load_explicit(&s->failed, memory_order_acquire);

	if (s->pg != NULL)
		return pg_failed(s->pg, msg, msglen);
	if (failed && msg != NULL)
		snprintf(msg, msglen, "%s", s->failure);
	return failed;
}

int
store_count_items(struct store *s, long *n, char *err, size_t errlen)
{
	sqlite3_stmt *st;
	int rc;

	if (s->pg != NULL)
		return pg_count_items(s->pg, n, err, errlen);
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

/* ---- the PostgreSQL seam ---- */

bool
store_is_pg(const char *db)
{
	static const char *const keys[] = { "host=", "hostaddr=", "dbname=", "service=",
					    "user=", "port=" };

	if (db == NULL)
		return false;
	if (strncmp(db, "postgresql://", 13) == 0 || strncmp(db, "postgres://", 11) == 0)
		return true;
	for (size_t i = 0; i < sizeof keys / sizeof keys[0]; i++) {
		if (strncmp(db, keys[i], strlen(keys[i])) == 0)
			return true;
	}
	return false;
}

bool
store_shared(const struct store *s)
{
	return s->pg != NULL;
}

int
store_set_node(struct store *s, const char *node, int lease_s, const char *rules_fp, char *err,
	       size_t errlen)
{
	if (s->pg == NULL)
		return 0;
	return pg_set_node(s->pg, node, lease_s, rules_fp, err, errlen);
}
