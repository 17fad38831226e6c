/*
 * metrics.c: GET /metrics in the Prometheus text exposition format, version 0.0.4.
 *
 * Each family is written once, with its # HELP and # TYPE lines and then all its
 * samples; label values are escaped (\\, \" and \n) as the format requires.
 *
 *   scraper_service_uptime_seconds           gauge
 *   scraper_service_info{version}            gauge, always 1
 *   scraper_jobs{state}                      gauge: jobs in service.db by state
 *   scraper_job_worker_processes{project}    gauge: running jobs' active sites (workers)
 *   scraper_worker_processes                 gauge: their sum
 *   scraper_job_pages_per_second{project}    gauge: running jobs' current rate
 *   scraper_pages{project,class}             gauge: pages stored, by status class
 *                                            (1xx..5xx, or "none" for no response)
 *   scraper_items{project,type}              gauge: items stored, by type
 *   scraper_fetch_duration_seconds{project}  histogram of pages.elapsed_ms
 *
 * The per-project figures come from each project's own database, which may be large
 * and is being written by a crawl.  They are cached per project and computed again at
 * most every STATS_MIN_AGE seconds, and only when the database files changed (size or
 * modification time of the database and its -wal), so scraping /metrics every few
 * seconds does not scan a big idle database at all.  The scans run outside the service
 * lock, on the read side's read-only connection.  With serve --db the database is the
 * project's PostgreSQL schema: the same counts, on a connection of their own, and the
 * signature is the server's count of rows written to its pages table.
 */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <libpq-fe.h>

#include "base/clock.h"
#include "base/log.h"
#include "base/oom.h"
#include "read/query.h"
#include "serve/api.h"

#define STATS_MIN_AGE 5.0
#define STATS_QUERY_MAX 30.0	/* seconds one scan of a PostgreSQL project may take */
#define METRICS_MAX (64u << 20)

static const double buckets[] = { 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30 };
#define NBUCKETS (sizeof buckets / sizeof buckets[0])

static const char *const classes[] = { "1xx", "2xx", "3xx", "4xx", "5xx", "none" };
#define NCLASSES 6

struct item_count {
	char *type;
	long long n;
};

struct project_stats {
	char project[SERVE_NAME_MAX + 1];
	double at;			/* clock_mono() of the last scan */
	long long sig;			/* size and mtime of the files then */
	bool have;			/* a database was there and read */
	long long pages[NCLASSES];
	long long hist[NBUCKETS];	/* cumulative */
	long long count;
	double sum;			/* seconds */
	struct item_count *items;
	size_t nitems;
};

static long long
files_signature(const char *db)
{
	char wal[4200];
	struct stat a, b;
	long long sig = 0;

	if (stat(db, &a) == 0)
		sig += (long long)a.st_size * 31 + a.st_mtim.tv_sec * 1000003LL + a.st_mtim.tv_nsec;
	snprintf(wal, sizeof wal, "%s-wal", db);
	if (stat(wal, &b) == 0)
		sig += (long long)b.st_size * 17 + b.st_mtim.tv_sec * 7919LL + b.st_mtim.tv_nsec * 3;
	return sig;
}

static void
stats_clear(struct project_stats *p)
{
	for (size_t i = 0; i < p->nitems; i++)
		free(p->items[i].type);
	free(p->items);
	p->items = NULL;
	p->nitems = 0;
	memset(p->pages, 0, sizeof p->pages);
	memset(p->hist, 0, sizeof p->hist);
	p->count = 0;
	p->sum = 0;
	p->have = false;
}

/* Scan one project's database into p.  Outside every lock. */
static void
stats_scan(struct project_stats *p, const char *db)
{
	struct query_db q;
	sqlite3_stmt *st;
	char err[512], sql[1024];
	size_t n, cap = 0;

	stats_clear(p);
	if (query_db_open(&q, db, err, sizeof err) == -1)
		return;
	if (!query_db_has(&q, "pages") || !query_db_has(&q, "items")) {
		query_db_close(&q);
		return;
	}
	p->have = true;
	if (sqlite3_prepare_v2(q.db, "SELECT CASE WHEN status BETWEEN 100 AND 599"
				     " THEN status / 100 - 1 ELSE 5 END, count(*) FROM pages GROUP BY 1",
			       -1, &st, NULL) == SQLITE_OK) {
		while (sqlite3_step(st) == SQLITE_ROW) {
			int c = sqlite3_column_int(st, 0);
			if (c >= 0 && c < NCLASSES)
				p->pages[c] += sqlite3_column_int64(st, 1);
		}
		sqlite3_finalize(st);
	}
	n = (size_t)snprintf(sql, sizeof sql, "SELECT count(*), total(elapsed_ms)");
	for (size_t i = 0; i < NBUCKETS; i++)
		n += (size_t)snprintf(sql + n, sizeof sql - n, ", total(elapsed_ms <= %g)",
				      buckets[i] * 1000);
	snprintf(sql + n, sizeof sql - n, " FROM pages WHERE elapsed_ms IS NOT NULL");
	if (sqlite3_prepare_v2(q.db, sql, -1, &st, NULL) == SQLITE_OK) {
		if (sqlite3_step(st) == SQLITE_ROW) {
			p->count = sqlite3_column_int64(st, 0);
			p->sum = sqlite3_column_double(st, 1) / 1000;
			for (size_t i = 0; i < NBUCKETS; i++)
				p->hist[i] = (long long)sqlite3_column_double(st, 2 + (int)i);
		}
		sqlite3_finalize(st);
	}
	if (sqlite3_prepare_v2(q.db, "SELECT type, count(*) FROM items GROUP BY type ORDER BY type",
			       -1, &st, NULL) == SQLITE_OK) {
		while (sqlite3_step(st) == SQLITE_ROW && p->nitems < 10000) {
			p->items = xgrow(p->items, &cap, p->nitems, sizeof *p->items);
			p->items[p->nitems].type = xstrdup((const char *)sqlite3_column_text(st, 0));
			p->items[p->nitems++].n = sqlite3_column_int64(st, 1);
		}
		sqlite3_finalize(st);
	}
	query_db_close(&q);
}

/* The rows of one statement on c, or NULL (an error: the figures stay empty). */
static PGresult *
pg_rows(PGconn *c, const char *sql)
{
	PGresult *r = PQexec(c, sql);

	if (PQresultStatus(r) == PGRES_TUPLES_OK)
		return r;
	PQclear(r);
	return NULL;
}

/* Rows written to the project's pages table so far (the server's statistics, updated
 * within a second or so of each commit), -1 when unknown. */
static long long
pg_signature(PGconn *c)
{
	PGresult *r = pg_rows(c, "SELECT n_tup_ins + n_tup_upd + n_tup_del FROM pg_stat_user_tables"
			      " WHERE schemaname = current_schema() AND relname = 'pages'");
	long long sig = -1;

	if (r != NULL && PQntuples(r) == 1)
		sig = strtoll(PQgetvalue(r, 0, 0), NULL, 10);
	PQclear(r);
	return sig;
}

/* stats_scan on PostgreSQL: the same figures from the project's schema. */
static void
stats_scan_pg(struct project_stats *p, PGconn *c)
{
	PGresult *r;
	char sql[1024];
	size_t n, cap = 0;

	stats_clear(p);
	if ((r = pg_rows(c, "SELECT CASE WHEN status BETWEEN 100 AND 599 THEN status / 100 - 1"
			 " ELSE 5 END, count(*) FROM pages GROUP BY 1")) == NULL)
		return;
	p->have = true;
	for (int i = 0; i < PQntuples(r); i++) {
		int k = atoi(PQgetvalue(r, i, 0));
		if (k >= 0 && k < NCLASSES)
			p->pages[k] += strtoll(PQgetvalue(r, i, 1), NULL, 10);
	}
	PQclear(r);
	n = (size_t)snprintf(sql, sizeof sql, "SELECT count(*), coalesce(sum(elapsed_ms), 0)");
	for (size_t i = 0; i < NBUCKETS; i++)
		n += (size_t)snprintf(sql + n, sizeof sql - n,
				      ", count(*) FILTER (WHERE elapsed_ms <= %g)", buckets[i] * 1000);
	snprintf(sql + n, sizeof sql - n, " FROM pages WHERE elapsed_ms IS NOT NULL");
	if ((r = pg_rows(c, sql)) != NULL && PQntuples(r) == 1) {
		p->count = strtoll(PQgetvalue(r, 0, 0), NULL, 10);
		p->sum = strtod(PQgetvalue(r, 0, 1), NULL) / 1000;
		for (size_t i = 0; i < NBUCKETS; i++)
			p->hist[i] = strtoll(PQgetvalue(r, 0, 2 + (int)i), NULL, 10);
	}
	PQclear(r);
	if ((r = pg_rows(c, "SELECT type, count(*) FROM items GROUP BY type ORDER BY type")) == NULL)
		return;
	for (int i = 0; i < PQntuples(r) && p->nitems < 10000; i++) {
		p->items = xgrow(p->items, &cap, p->nitems, sizeof *p->items);
		p->items[p->nitems].type = xstrdup(PQgetvalue(r, i, 0));
		p->items[p->nitems++].n = strtoll(PQgetvalue(r, i, 1), NULL, 10);
	}
	PQclear(r);
}

/* One project on PostgreSQL: scanned again when its pages table was written since. */
static void
stats_refresh_pg(struct service *s, struct project_stats *p)
{
	char db[4096];
	PGconn *c;
	long long sig;

	if (service_project_db(s, p->project, (int)(STATS_QUERY_MAX * 1000), db, sizeof db) == -1)
		return;
	c = PQconnectdb(db);
	if (c != NULL && PQstatus(c) == CONNECTION_OK) {
		sig = pg_signature(c);
		if (sig == -1)
			stats_clear(p);	/* no schema or no pages table yet */
		else if (sig != p->sig || !p->have)
			stats_scan_pg(p, c);
		p->sig = sig;
	}
	PQfinish(c);
	p->at = clock_mono();
}

/* Bring the cache up to date with the projects in service.db.  Returns with
 * stats_lock held: the caller writes from the cache, then unlocks. */
static void
stats_refresh(struct service *s)
{
	char (*names)[SERVE_NAME_MAX + 1] = NULL;
	size_t n = 0, cap = 0;
	sqlite3_stmt *st;

	pthread_mutex_lock(&s->lock);
	if (sqlite3_prepare_v2(s->db, "SELECT name FROM projects ORDER BY name", -1, &st,
			       NULL) == SQLITE_OK) {
		while (sqlite3_step(st) == SQLITE_ROW) {
			names = xgrow(names, &cap, n, sizeof *names);
			snprintf(names[n++], sizeof names[0], "%s", sqlite3_column_text(st, 0));
		}
		sqlite3_finalize(st);
	}
	pthread_mutex_unlock(&s->lock);

	pthread_mutex_lock(&s->stats_lock);
	/* Drop projects that are gone, add new ones (kept in name order). */
	for (size_t i = 0; i < s->nstats;) {
		bool found = false;
		for (size_t k = 0; k < n && !found; k++)
			found = strcmp(names[k], s->stats[i].project) == 0;
		if (found) {
			i++;
			continue;
		}
		stats_clear(&s->stats[i]);
		memmove(&s->stats[i], &s->stats[i + 1], (s->nstats - i - 1) * sizeof *s->stats);
		s->nstats--;
	}
	for (size_t k = 0; k < n; k++) {
		size_t i;
		for (i = 0; i < s->nstats && strcmp(s->stats[i].project, names[k]) < 0; i++)
			;
		if (i < s->nstats && strcmp(s->stats[i].project, names[k]) == 0)
			continue;
		s->stats = xgrow(s->stats, &s->stats_cap, s->nstats, sizeof *s->stats);
		memmove(&s->stats[i + 1], &s->stats[i], (s->nstats - i) * sizeof *s->stats);
		memset(&s->stats[i], 0, sizeof *s->stats);
		snprintf(s->stats[i].project, sizeof s->stats[i].project, "%s", names[k]);
		s->stats[i].at = -1e9;
		s->nstats++;
	}
	/* Scan what is stale and changed.  The scan of one project runs with stats_lock
	 * held: concurrent /metrics requests wait for it rather than scan twice. */
	for (size_t i = 0; i < s->nstats; i++) {
		struct project_stats *p = &s->stats[i];
		char db[4096];
		long long sig;
		if (clock_mono() - p->at < STATS_MIN_AGE)
			continue;
		if (s->pg != NULL) {
			stats_refresh_pg(s, p);
			continue;
		}
		if (service_project_path(s, p->project, "scraped.db", db, sizeof db) == -1)
			continue;
		sig = files_signature(db);
		if (sig != p->sig || !p->have)
			stats_scan(p, db);
		p->sig = sig;
		p->at = clock_mono();
	}
	free(names);
}

void
metrics_forget(struct service *s, const char *project)
{
	pthread_mutex_lock(&s->stats_lock);
	for (size_t i = 0; i < s->nstats; i++) {
		if (strcmp(s->stats[i].project, project) == 0) {
			stats_clear(&s->stats[i]);
			memmove(&s->stats[i], &s->stats[i + 1], (s->nstats - i - 1) * sizeof *s->stats);
			s->nstats--;
			break;
		}
	}
	pthread_mutex_unlock(&s->stats_lock);
}

void
metrics_free(struct service *s)
{
	for (size_t i = 0; i < s->nstats; i++)
		stats_clear(&s->stats[i]);
	free(s->stats);
	s->stats = NULL;
	s->nstats = s->stats_cap = 0;
}

/* A label value, escaped. */
static void
put_label(struct buf *b, const char *v)
{
	for (; *v != '\0'; v++) {
		if (*v == '\\' || *v == '"')
			buf_putc(b, '\\'), buf_putc(b, *v);
		else if (*v == '\n')
			buf_puts(b, "\\n");
		else
			buf_putc(b, *v);
	}
}

static void
family(struct buf *b, const char *name, const char *type, const char *help)
{
	buf_printf(b, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

static void
job_gauges(struct service *s, struct buf *b)
{
	static const char *const states[] = { "queued", "running", "finished", "failed",
					      "cancelled" };
	long long count[5] = { 0 };
	long long workers = 0;
	sqlite3_stmt *st;

	pthread_mutex_lock(&s->lock);
	if (sqlite3_prepare_v2(s->db, "SELECT state, count(*) FROM jobs GROUP BY state", -1, &st,
			       NULL) == SQLITE_OK) {
		while (sqlite3_step(st) == SQLITE_ROW) {
			for (int i = 0; i < 5; i++) {
				if (strcmp(states[i], (const char *)sqlite3_column_text(st, 0)) == 0)
					count[i] = sqlite3_column_int64(st, 1);
			}
		}
		sqlite3_finalize(st);
	}
	family(b, "scraper_jobs", "gauge", "Jobs known to the service, by state.");
	for (int i = 0; i < 5; i++)
		buf_printf(b, "scraper_jobs{state=\"%s\"} %lld\n", states[i], count[i]);
	family(b, "scraper_job_worker_processes", "gauge",
	       "Worker processes (active sites) of each running job.");
	for (size_t i = 0; i < s->njobs; i++) {
		json_t *v = s->jobs[i].progress ? json_object_get(s->jobs[i].progress, "sites_active") : NULL;
		long long n = json_is_integer(v) ? json_integer_value(v) : 0;
		buf_puts(b, "scraper_job_worker_processes{project=\"");
		put_label(b, s->jobs[i].project);
		buf_printf(b, "\"} %lld\n", n);
		workers += n;
	}
	family(b, "scraper_worker_processes", "gauge", "Worker processes of all running jobs.");
	buf_printf(b, "scraper_worker_processes %lld\n", workers);
	family(b, "scraper_job_pages_per_second", "gauge", "Pages per second of each running job.");
	for (size_t i = 0; i < s->njobs; i++) {
		json_t *v = s->jobs[i].progress ? json_object_get(s->jobs[i].progress, "pages_per_s") : NULL;
		buf_puts(b, "scraper_job_pages_per_second{project=\"");
		put_label(b, s->jobs[i].project);
		buf_printf(b, "\"} %g\n", json_is_number(v) ? json_number_value(v) : 0.0);
	}
	pthread_mutex_unlock(&s->lock);
}

static void
project_families(struct service *s, struct buf *b)
{
	family(b, "scraper_pages", "gauge", "Pages stored in each project's database, by HTTP status class.");
	for (size_t i = 0; i < s->nstats; i++) {
		for (int c = 0; c < NCLASSES && s->stats[i].have; c++) {
			buf_puts(b, "scraper_pages{project=\"");
			put_label(b, s->stats[i].project);
			buf_printf(b, "\",class=\"%s\"} %lld\n", classes[c], s->stats[i].pages[c]);
		}
	}
	family(b, "scraper_items", "gauge", "Items stored in each project's database, by type.");
	for (size_t i = 0; i < s->nstats; i++) {
		for (size_t k = 0; k < s->stats[i].nitems; k++) {
			buf_puts(b, "scraper_items{project=\"");
			put_label(b, s->stats[i].project);
			buf_puts(b, "\",type=\"");
			put_label(b, s->stats[i].items[k].type);
			buf_printf(b, "\"} %lld\n", s->stats[i].items[k].n);
		}
	}
	family(b, "scraper_fetch_duration_seconds", "histogram",
	       "Time to fetch a page (pages.elapsed_ms), per project.");
	for (size_t i = 0; i < s->nstats; i++) {
		const struct project_stats *p = &s->stats[i];
		if (!p->have)
			continue;
		for (size_t k = 0; k <= NBUCKETS; k++) {
			buf_puts(b, "scraper_fetch_duration_seconds_bucket{project=\"");
			put_label(b, p->project);
			if (k < NBUCKETS)
				buf_printf(b, "\",le=\"%g\"} %lld\n", buckets[k], p->hist[k]);
			else
				buf_printf(b, "\",le=\"+Inf\"} %lld\n", p->count);
		}
		buf_puts(b, "scraper_fetch_duration_seconds_sum{project=\"");
		put_label(b, p->project);
		buf_printf(b, "\"} %.6f\n", p->sum);
		buf_puts(b, "scraper_fetch_duration_seconds_count{project=\"");
		put_label(b, p->project);
		buf_printf(b, "\"} %lld\n", p->count);
	}
}

char *
metrics_render(struct service *s, size_t *len)
{
	struct buf b;

	buf_init(&b, METRICS_MAX);
	family(&b, "scraper_service_uptime_seconds", "gauge", "Seconds since the service started.");
	buf_printf(&b, "scraper_service_uptime_seconds %.3f\n", clock_mono() - s->started_mono);
	family(&b, "scraper_service_info", "gauge", "The service's version, as a label.");
	buf_printf(&b, "scraper_service_info{version=\"%s\"} 1\n", PACKAGE_VERSION);
	job_gauges(s, &b);
	stats_refresh(s);
	project_families(s, &b);
	pthread_mutex_unlock(&s->stats_lock);
	*len = b.len;
	return buf_steal(&b);
}

enum MHD_Result
metrics_answer(struct request *r)
{
	size_t len;
	char *text = metrics_render(r->s, &len);
	struct MHD_Response *resp;

	if (text == NULL)
		return api_error(r, 500, "out of memory");
	resp = MHD_create_response_from_buffer(len, text, MHD_RESPMEM_MUST_FREE);
	return api_send(r, 200, resp, "text/plain; version=0.0.4; charset=utf-8");
}
