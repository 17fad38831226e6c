/*
 * svcdb.c: service.db, the service's own database: projects, jobs, schedules and
 * events (schema below), and the job record as the API shows it.
 *
 * SQLite in WAL mode, one connection, used under the service lock.  It is small (one
 * row per job and per event) and every statement on it is short.  A job's row is its
 * whole story: state, times, exit status, the last progress seen, and (once it ended)
 * the per-site table and the pages/s history, so a finished job shows what it did
 * after the service restarts.  "At most one queued or running job per project" is a
 * partial unique index, so the database itself refuses a second one.
 *
 * Times are stored as Unix seconds (REAL) and shown by the API as ISO 8601 in UTC.
 */
#include "config.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/clock.h"
#include "base/log.h"
#include "serve/service.h"

#define SVCDB_VERSION 1
#define BUSY_MS 5000

static const char schema[] =
	"CREATE TABLE IF NOT EXISTS projects("
	"  name TEXT PRIMARY KEY NOT NULL,"
	"  options TEXT NOT NULL DEFAULT '{}',"	/* {"workers", "max_pages", "max_depth"} */
	"  notify TEXT,"
	"  created_at REAL NOT NULL,"
	"  updated_at REAL NOT NULL);"
	"CREATE TABLE IF NOT EXISTS schedules("
	"  project TEXT PRIMARY KEY NOT NULL REFERENCES projects(name) ON DELETE CASCADE,"
	"  cron TEXT NOT NULL,"
	"  next_run INTEGER,"		/* Unix seconds; NULL: never again */
	"  last_run INTEGER);"
	"CREATE TABLE IF NOT EXISTS jobs("
	"  id INTEGER PRIMARY KEY AUTOINCREMENT,"
	"  project TEXT NOT NULL,"
	"  state TEXT NOT NULL CHECK (state IN"
	"    ('queued', 'running', 'finished', 'failed', 'cancelled')),"
	"  trigger TEXT NOT NULL,"	/* api | schedule */
	"  recrawl INTEGER NOT NULL DEFAULT 0,"
	"  fresh INTEGER NOT NULL DEFAULT 0,"
	"  created_at REAL NOT NULL,"
	"  started_at REAL,"
	"  finished_at REAL,"
	"  exit_status INTEGER,"
	"  exit_reason TEXT,"
	"  pid INTEGER,"
	"  runs INTEGER NOT NULL DEFAULT 0,"	/* processes started for it */
	"  progress TEXT,"		/* the last progress counters, JSON */
	"  sites TEXT,"			/* the last per-site table, JSON */
	"  history TEXT);"		/* [[t, pages/s, done], ...] */
	"CREATE UNIQUE INDEX IF NOT EXISTS jobs_active ON jobs(project)"
	"  WHERE state IN ('queued', 'running');"
	"CREATE INDEX IF NOT EXISTS jobs_state ON jobs(state, id);"
	"CREATE INDEX IF NOT EXISTS jobs_project ON jobs(project, id);"
	"CREATE TABLE IF NOT EXISTS events("
	"  id INTEGER PRIMARY KEY,"
	"  at REAL NOT NULL,"
	"  project TEXT,"
	"  job INTEGER,"
	"  kind TEXT NOT NULL,"
	"  message TEXT NOT NULL);"
	"CREATE INDEX IF NOT EXISTS events_project ON events(project, id);";

int
svcdb_open(struct service *s, char *err, size_t errlen)
{
	char path[4096];
	int version = 0;
	sqlite3_stmt *st;

	if ((size_t)snprintf(path, sizeof path, "%s/service.db", s->datadir) >= sizeof path) {
		snprintf(err, errlen, "data folder path too long");
		return -1;
	}
	if (sqlite3_open_v2(path, &s->db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE |
				  SQLITE_OPEN_FULLMUTEX, NULL) != SQLITE_OK)
		goto fail;
	sqlite3_busy_timeout(s->db, BUSY_MS);
	if (sqlite3_exec(s->db, "PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL;"
				"PRAGMA foreign_keys = ON", NULL, NULL, NULL) != SQLITE_OK)
		goto fail;
	if (sqlite3_prepare_v2(s->db, "PRAGMA user_version", -1, &st, NULL) != SQLITE_OK)
		goto fail;
	if (sqlite3_step(st) == SQLITE_ROW)
		version = sqlite3_column_int(st, 0);
	sqlite3_finalize(st);
	if (version > SVCDB_VERSION) {
		snprintf(err, errlen, "%s was written by a newer scraper (schema %d; this one knows %d)",
			 path, version, SVCDB_VERSION);
		return -1;
	}
	if (sqlite3_exec(s->db, "BEGIN IMMEDIATE", NULL, NULL, NULL) != SQLITE_OK ||
	    sqlite3_exec(s->db, schema, NULL, NULL, NULL) != SQLITE_OK ||
	    sqlite3_exec(s->db, "PRAGMA user_version = 1; COMMIT", NULL, NULL, NULL) != SQLITE_OK)
		goto fail;
	return 0;
fail:
	snprintf(err, errlen, "%s: %s", path, s->db ? sqlite3_errmsg(s->db) : "out of memory");
	return -1;
}

void
svcdb_close(struct service *s)
{
	sqlite3_close(s->db);
	s->db = NULL;
}

int
svcdb_exec(struct service *s, const char *sql)
{
	char *msg = NULL;

	if (sqlite3_exec(s->db, sql, NULL, NULL, &msg) != SQLITE_OK) {
		log_error("service.db: %s", msg ? msg : sqlite3_errmsg(s->db));
		sqlite3_free(msg);
		return -1;
	}
	return 0;
}

void
svcdb_event(struct service *s, const char *project, int64_t job, const char *kind,
	    const char *fmt, ...)
{
	sqlite3_stmt *st;
	char msg[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	log_info("%s%s%s: %s", project ? "project " : "", project ? project : "",
		 project ? "" : "service", msg);
	if (sqlite3_prepare_v2(s->db, "INSERT INTO events(at, project, job, kind, message)"
				      " VALUES (?1, ?2, ?3, ?4, ?5)", -1, &st, NULL) != SQLITE_OK) {
		log_error("service.db: %s", sqlite3_errmsg(s->db));
		return;
	}
	sqlite3_bind_double(st, 1, clock_wall());
	if (project != NULL)
		sqlite3_bind_text(st, 2, project, -1, SQLITE_STATIC);
	if (job > 0)
		sqlite3_bind_int64(st, 3, job);
	sqlite3_bind_text(st, 4, kind, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 5, msg, -1, SQLITE_STATIC);
	if (sqlite3_step(st) != SQLITE_DONE)
		log_error("service.db: %s", sqlite3_errmsg(s->db));
	sqlite3_finalize(st);
}

int64_t
svcdb_active_job(struct service *s, const char *project)
{
	sqlite3_stmt *st;
	int64_t id = 0;

	if (sqlite3_prepare_v2(s->db, "SELECT id FROM jobs WHERE project = ?1"
				      " AND state IN ('queued', 'running')", -1, &st, NULL) != SQLITE_OK)
		return 0;
	sqlite3_bind_text(st, 1, project, -1, SQLITE_STATIC);
	if (sqlite3_step(st) == SQLITE_ROW)
		id = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	return id;
}

int64_t
svcdb_job_add(struct service *s, const char *project, const char *trigger, bool recrawl,
	      bool fresh, int64_t *busy_id, char *err, size_t errlen)
{
	sqlite3_stmt *st;
	int64_t id = -2;
	int rc;

	*busy_id = svcdb_active_job(s, project);
	if (*busy_id != 0)
		return -1;
	if (sqlite3_prepare_v2(s->db, "INSERT INTO jobs(project, state, trigger, recrawl, fresh,"
				      " created_at) VALUES (?1, 'queued', ?2, ?3, ?4, ?5)", -1, &st,
			       NULL) != SQLITE_OK) {
		snprintf(err, errlen, "service.db: %s", sqlite3_errmsg(s->db));
		return -2;
	}
	sqlite3_bind_text(st, 1, project, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, trigger, -1, SQLITE_STATIC);
	sqlite3_bind_int(st, 3, recrawl);
	sqlite3_bind_int(st, 4, fresh);
	sqlite3_bind_double(st, 5, clock_wall());
	rc = sqlite3_step(st);
	if (rc == SQLITE_DONE)
		id = sqlite3_last_insert_rowid(s->db);
	else if (rc == SQLITE_CONSTRAINT)
		id = -1; /* the unique index: someone queued one first */
	else
		snprintf(err, errlen, "service.db: %s", sqlite3_errmsg(s->db));
	sqlite3_finalize(st);
	if (id > 0)
		svcdb_event(s, project, id, "job_queued", "job %lld queued (%s%s%s)",
			    (long long)id, trigger, recrawl ? ", recrawl" : "", fresh ? ", fresh" : "");
	return id;
}

/* ---- the job record ---- */

static json_t *
iso_or_null(sqlite3_stmt *st, int col)
{
	char iso[32];

	if (sqlite3_column_type(st, col) == SQLITE_NULL)
		return json_null();
	service_iso_time(sqlite3_column_double(st, col), iso);
	return json_string(iso);
}

static json_t *
stored_json(sqlite3_stmt *st, int col)
{
	const char *text = (const char *)sqlite3_column_text(st, col);

	return text != NULL ? json_loads(text, 0, NULL) : NULL;
}

/* The API's progress object from a stored or live counters object (which may be
 * NULL: all zeros). */
static json_t *
progress_from(json_t *counters)
{
	static const char *const ints[] = { "done", "queued", "failed", "skipped", "items",
					     "errors", "sites_active", "bytes", NULL };
	json_t *p = json_object();

	for (size_t i = 0; ints[i] != NULL; i++) {
		json_t *v = counters ? json_object_get(counters, ints[i]) : NULL;
		json_object_set_new(p, ints[i],
				    json_integer(json_is_number(v) ? (json_int_t)json_number_value(v) : 0));
	}
	json_t *pps = counters ? json_object_get(counters, "pages_per_s") : NULL;
	json_t *el = counters ? json_object_get(counters, "elapsed_s") : NULL;
	json_object_set_new(p, "pages_per_s", json_real(json_is_number(pps) ? json_number_value(pps) : 0));
	json_object_set_new(p, "elapsed_s", json_real(json_is_number(el) ? json_number_value(el) : 0));
	return p;
}

static const char job_columns[] =
	"id, project, state, trigger, recrawl, fresh, created_at, started_at, finished_at,"
	" exit_status, exit_reason, pid, runs, progress, sites, history";

static json_t *
job_row_json(struct service *s, sqlite3_stmt *st, bool detail)
{
	int64_t id = sqlite3_column_int64(st, 0);
	const char *state = (const char *)sqlite3_column_text(st, 2);
	struct job_live *live = strcmp(state, "running") == 0 ? jobs_find(s, id) : NULL;
	json_t *o = json_object(), *stored;
	double start = sqlite3_column_double(st, 7), end = sqlite3_column_double(st, 8);

	json_object_set_new(o, "id", json_integer(id));
	json_object_set_new(o, "project", json_string((const char *)sqlite3_column_text(st, 1)));
	json_object_set_new(o, "state", json_string(state));
	json_object_set_new(o, "trigger", json_string((const char *)sqlite3_column_text(st, 3)));
	json_object_set_new(o, "recrawl", json_boolean(sqlite3_column_int(st, 4)));
	json_object_set_new(o, "fresh", json_boolean(sqlite3_column_int(st, 5)));
	json_object_set_new(o, "created_at", iso_or_null(st, 6));
	json_object_set_new(o, "started_at", iso_or_null(st, 7));
	json_object_set_new(o, "finished_at", iso_or_null(st, 8));
	if (sqlite3_column_type(st, 7) != SQLITE_NULL)
		json_object_set_new(o, "duration_s",
				    json_real((sqlite3_column_type(st, 8) != SQLITE_NULL ? end : clock_wall()) - start));
	else
		json_object_set_new(o, "duration_s", json_null());
	json_object_set_new(o, "exit_status", sqlite3_column_type(st, 9) == SQLITE_NULL ?
				json_null() : json_integer(sqlite3_column_int(st, 9)));
	json_object_set_new(o, "exit_reason", sqlite3_column_type(st, 10) == SQLITE_NULL ?
				json_null() : json_string((const char *)sqlite3_column_text(st, 10)));
	json_object_set_new(o, "pid", live != NULL ? json_integer(live->pid) : json_null());
	json_object_set_new(o, "runs", json_integer(sqlite3_column_int(st, 12)));
	if (live != NULL && live->progress != NULL) {
		json_t *p = progress_from(live->progress);
		json_object_set_new(p, "age_s", json_real(clock_mono() - live->progress_at));
		json_object_set_new(o, "progress", p);
	} else {
		stored = stored_json(st, 13);
		json_object_set_new(o, "progress", progress_from(stored));
		json_decref(stored);
	}
	if (!detail)
		return o;
	if (live != NULL) {
		json_t *sites = live->progress ? json_object_get(live->progress, "sites") : NULL;
		json_t *h = json_array();
		if (json_is_array(sites))
			json_object_set(o, "sites", sites);
		else
			json_object_set_new(o, "sites", json_array());
		for (size_t i = 0; i < live->nhist; i++)
			json_array_append_new(h, json_pack("[f,f,I]", (double)live->hist[i].t,
							    (double)live->hist[i].pps,
							    (json_int_t)live->hist[i].done));
		json_object_set_new(o, "history", h);
	} else {
		stored = stored_json(st, 14);
		json_object_set_new(o, "sites", json_is_array(stored) ? stored : json_array());
		if (!json_is_array(stored))
			json_decref(stored);
		stored = stored_json(st, 15);
		json_object_set_new(o, "history", json_is_array(stored) ? stored : json_array());
		if (!json_is_array(stored))
			json_decref(stored);
	}
	return o;
}

json_t *
svcdb_job_json(struct service *s, int64_t id, bool detail)
{
	char sql[512];
	sqlite3_stmt *st;
	json_t *o = NULL;

	snprintf(sql, sizeof sql, "SELECT %s FROM jobs WHERE id = ?1", job_columns);
	if (sqlite3_prepare_v2(s->db, sql, -1, &st, NULL) != SQLITE_OK)
		return NULL;
	sqlite3_bind_int64(st, 1, id);
	if (sqlite3_step(st) == SQLITE_ROW)
		o = job_row_json(s, st, detail);
	sqlite3_finalize(st);
	return o;
}

json_t *
svcdb_jobs_json(struct service *s, const char *project, const char *state, long limit)
{
	char sql[512];
	sqlite3_stmt *st;
	json_t *a = json_array();

	snprintf(sql, sizeof sql,
		 "SELECT %s FROM jobs WHERE (?1 IS NULL OR project = ?1)"
		 " AND (?2 IS NULL OR state = ?2) ORDER BY id DESC LIMIT ?3", job_columns);
	if (sqlite3_prepare_v2(s->db, sql, -1, &st, NULL) != SQLITE_OK) {
		json_decref(a);
		return NULL;
	}
	if (project != NULL)
		sqlite3_bind_text(st, 1, project, -1, SQLITE_STATIC);
	if (state != NULL)
		sqlite3_bind_text(st, 2, state, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 3, limit);
	while (sqlite3_step(st) == SQLITE_ROW)
		json_array_append_new(a, job_row_json(s, st, false));
	sqlite3_finalize(st);
	return a;
}
