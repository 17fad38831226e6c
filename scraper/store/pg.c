/*
 * pg.c: the store on PostgreSQL, through libpq (see pg.h and store.h).
 *
 * Layout: connecting and migrating; the start-up steps; ops as JSON documents; the
 * lease op; the writer thread with its retries.
 *
 * The writer thread owns the connection once it runs, as store.c's does.  It takes
 * the op that woke it and whatever else is queued (up to BATCH_OPS, or BATCH_S of
 * work) and applies them in one transaction, each settled URL in one statement
 * (scraper_settle in pgschema.c), every statement of the batch pipelined (one round
 * trip per transaction: see send_q).  An op's effects are never half applied: when the
 * transaction fails, it is rolled back and the whole batch is applied again in a new
 * one, after reconnecting (with backoff, for up to OUTAGE_MAX_S) when the connection
 * was lost, or at once after a deadlock or serialization failure between nodes.
 * Replies (refills, robots.txt bodies, leases) are posted only after the commit, so
 * the coordinator never acts on rows a rolled-back transaction read.
 *
 * Several nodes share the database; what keeps them apart is in the SQL: a site is
 * crawled only by the node that holds its lease (sites.node, claimed with FOR UPDATE
 * SKIP LOCKED, renewed by OP_LEASE), a refill takes a site's queued rows into flight
 * for this node (frontier.node) so no other reader gets them, and every URL and item
 * is unique in its table, so whatever two nodes both send is stored once.
 */
#include "config.h"

#include "store/pg.h"

#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>
#include <libpq-fe.h>

#include "base/clock.h"
#include "base/log.h"
#include "buf.h"
#include "json.h"
#include "store/body.h"
#include "store/pgschema.h"

#define BATCH_OPS 2000		/* ops per transaction, at most */
#define BATCH_S 0.25		/* ... or this much time spent applying them */
#define OUTAGE_MAX_S 300.0	/* reconnecting gives up after this long */
#define RETRIES_MAX 20		/* deadlocks and serialization failures in a row */
#define DOC_MAX (256u << 20)	/* one op as JSON, at most */
#define MIGRATE_LOCK 7310504	/* advisory lock key: one node migrates at a time */

struct pgstore {
	PGconn *conn;
	char *conninfo;
	char display[512];
	char *node;
	int lease_s;
	char *rules_fp;
	int64_t run;		/* this run's id in runs; 0 before one is begun */
	pthread_t thread;
	bool running;
	struct queue *in, *replies;
	int wake_fd;
	_Atomic bool failed;
	char failure[1400];
	char sqlstate[6];	/* of the last statement that failed */
	struct buf doc;		/* the op being sent, as JSON */
	struct store_op **batch;
	size_t nbatch;
	/* The statements of the batch sent and not yet answered (pipeline mode), each
	 * with what reads its answer (NULL: a command) and the op it belongs to. */
	struct pending {
		int (*done)(struct pgstore *, struct store_op *, const PGresult *);
		struct store_op *op;
	} *pend;
	size_t npend, cpend;
	bool perr;		/* a statement of the pipeline failed: perrmsg, sqlstate */
	char perrmsg[600];
};

/* ---- helpers ---- */

void
pg_message(const char *msg, char *out, size_t outlen)
{
	size_t n;

	snprintf(out, outlen, "%s", msg != NULL && *msg ? msg : "unknown error");
	n = strlen(out);
	while (n > 0 && (out[n - 1] == '\n' || out[n - 1] == ' '))
		out[--n] = '\0';
	for (char *p = out; *p; p++) {
		if (*p == '\n')
			*p = ' ';
	}
}

void
pg_display(const char *conninfo, char *out, size_t outlen)
{
	const char *scheme = strstr(conninfo, "://"), *at, *colon;

	snprintf(out, outlen, "%s", conninfo);
	if (scheme == NULL || (at = strchr(scheme + 3, '@')) == NULL)
		return;
	colon = memchr(scheme + 3, ':', (size_t)(at - scheme - 3));
	if (colon != NULL)
		snprintf(out, outlen, "%.*s:***%s", (int)(colon - conninfo), conninfo, at);
}

static void
set_err(struct pgstore *p, const char *what, char *err, size_t errlen)
{
	char msg[600];

	pg_message(PQerrorMessage(p->conn), msg, sizeof msg);
	snprintf(err, errlen, "%s: %s: %s", p->display, what, msg);
}

/* Run sql (no parameters, no rows wanted).  0, or -1 with err. */
static int
exec_sql(struct pgstore *p, const char *sql, const char *what, char *err, size_t errlen)
{
	PGresult *r = PQexec(p->conn, sql);
	int rc = PQresultStatus(r) == PGRES_COMMAND_OK || PQresultStatus(r) == PGRES_TUPLES_OK ?
			 0 : -1;

	if (rc == -1) {
		char msg[600];
		pg_message(PQresultErrorMessage(r), msg, sizeof msg);
		snprintf(err, errlen, "%s: %s: %s", p->display, what, msg);
	}
	PQclear(r);
	return rc;
}

#define TEXT_OID 25
#define PARAMS_MAX 8

/* A statement with parameters, every one of type text (the SQL casts them where it
 * wants another; one a statement does not use is no error); the result, checked
 * (NULL on failure, with the message in err when err is not NULL). */
static PGresult *
query(struct pgstore *p, const char *sql, int n, const char *const *params, char *err,
      size_t errlen)
{
	static const Oid types[PARAMS_MAX] = { TEXT_OID, TEXT_OID, TEXT_OID, TEXT_OID,
					       TEXT_OID, TEXT_OID, TEXT_OID, TEXT_OID };
	PGresult *r = PQexecParams(p->conn, sql, n, n > 0 ? types : NULL, params, NULL, NULL, 0);
	ExecStatusType st = PQresultStatus(r);

	if (st == PGRES_COMMAND_OK || st == PGRES_TUPLES_OK)
		return r;
	snprintf(p->sqlstate, sizeof p->sqlstate, "%s",
		 PQresultErrorField(r, PG_DIAG_SQLSTATE) ? PQresultErrorField(r, PG_DIAG_SQLSTATE) : "");
	if (err != NULL) {
		char msg[600];
		pg_message(PQresultErrorMessage(r), msg, sizeof msg);
		snprintf(err, errlen, "%s: %s", p->display, msg);
	}
	PQclear(r);
	return NULL;
}

static char *
field_dup(const PGresult *r, int row, int col)
{
	return PQgetisnull(r, row, col) ? NULL : strdup(PQgetvalue(r, row, col));
}

/* ---- opening ---- */

static int
migrate(struct pgstore *p, char *err, size_t errlen)
{
	PGresult *r;
	char sql[160];
	int version = 0;

	if (exec_sql(p, "BEGIN", "starting the schema check", err, errlen) == -1)
		return -1;
	snprintf(sql, sizeof sql, "SELECT pg_advisory_xact_lock(%d)", MIGRATE_LOCK);
	if (exec_sql(p, sql, "locking the schema", err, errlen) == -1 ||
	    exec_sql(p, "CREATE TABLE IF NOT EXISTS scraper_meta(key text PRIMARY KEY,"
			" value text)", "creating scraper_meta", err, errlen) == -1)
		goto fail;
	if ((r = query(p, "SELECT value::integer FROM scraper_meta WHERE key = 'schema'", 0,
		       NULL, err, errlen)) == NULL)
		goto fail;
	if (PQntuples(r) == 1)
		version = atoi(PQgetvalue(r, 0, 0));
	PQclear(r);
	if (version > PG_SCHEMA_VERSION) {
		snprintf(err, errlen, "%s was written by a newer scraper (schema %d; this one"
			 " knows %d)", p->display, version, PG_SCHEMA_VERSION);
		goto fail;
	}
	for (int v = version; v < PG_SCHEMA_VERSION; v++) {
		if (exec_sql(p, pgschema_migration(v), "migrating the schema", err, errlen) == -1)
			goto fail;
	}
	snprintf(sql, sizeof sql, "INSERT INTO scraper_meta VALUES ('schema', '%d') ON CONFLICT"
		 " (key) DO UPDATE SET value = EXCLUDED.value", PG_SCHEMA_VERSION);
	if (exec_sql(p, sql, "migrating the schema", err, errlen) == -1 ||
	    exec_sql(p, "COMMIT", "committing the schema", err, errlen) == -1)
		goto fail;
	return 0;
fail:
	PQclear(PQexec(p->conn, "ROLLBACK"));
	return -1;
}

static void
quiet_notices(void *arg, const char *msg)
{
	(void)arg;
	(void)msg;
}

static int
connect_db(struct pgstore *p, char *err, size_t errlen)
{
	if (p->conn != NULL)
		PQfinish(p->conn);
	p->conn = PQconnectdb(p->conninfo);
	if (p->conn == NULL) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	if (PQstatus(p->conn) != CONNECTION_OK) {
		set_err(p, "cannot connect to PostgreSQL", err, errlen);
		return -1;
	}
	PQsetNoticeProcessor(p->conn, quiet_notices, NULL);
	if (PQsetClientEncoding(p->conn, "UTF8") != 0) {
		set_err(p, "setting the client encoding", err, errlen);
		return -1;
	}
	return 0;
}

struct pgstore *
pg_open(const char *conninfo, char *err, size_t errlen)
{
	struct pgstore *p = calloc(1, sizeof *p);

	if (p == NULL || (p->conninfo = strdup(conninfo)) == NULL) {
		snprintf(err, errlen, "out of memory");
		free(p);
		return NULL;
	}
	pg_display(conninfo, p->display, sizeof p->display);
	p->wake_fd = -1;
	p->lease_s = 30;
	buf_init(&p->doc, DOC_MAX);
	if (connect_db(p, err, errlen) == -1 || migrate(p, err, errlen) == -1) {
		pg_close(p);
		return NULL;
	}
	return p;
}

/* What a node leaves behind when it stops cleanly: the URLs it held in flight go back
 * to queued, its leases lapse at once, its run ends. */
static void
leave(struct pgstore *p)
{
	char now[32], run[24];
	const char *params[2] = { p->node, now };
	const char *ended[2] = { run, now };

	if (p->conn == NULL || PQstatus(p->conn) != CONNECTION_OK ||
	    (p->node == NULL && p->run == 0))
		return;
	iso8601(clock_wall(), now);
	snprintf(run, sizeof run, "%lld", (long long)p->run);
	PQclear(PQexec(p->conn, "BEGIN"));
	if (p->node != NULL) {
		PQclear(query(p, "UPDATE frontier SET state = 'queued', node = NULL, updated_at = $2"
			      " WHERE state = 'inflight' AND node = $1", 2, params, NULL, 0));
		PQclear(query(p, "UPDATE sites SET node = NULL, expires_at = NULL WHERE node = $1",
			      1, params, NULL, 0));
		PQclear(query(p, "DELETE FROM nodes WHERE node = $1", 1, params, NULL, 0));
	}
	if (p->run > 0)
		PQclear(query(p, "UPDATE runs SET finished_at = $2 WHERE id = $1::bigint", 2, ended,
			      NULL, 0));
	PQclear(PQexec(p->conn, "COMMIT"));
}

void
pg_close(struct pgstore *p)
{
	if (p == NULL)
		return;
	if (p->running)
		pg_writer_stop(p);
	if (!p->failed)
		leave(p);
	if (p->conn != NULL)
		PQfinish(p->conn);
	buf_free(&p->doc);
	free(p->pend);
	free(p->batch);
	free(p->conninfo);
	free(p->node);
	free(p->rules_fp);
	free(p);
}

/* ---- start-up steps ---- */

int
pg_set_node(struct pgstore *p, const char *node, int lease_s, const char *rules_fp, char *err,
	    size_t errlen)
{
	const char *params[2] = { node, rules_fp };
	PGresult *r;
	int rc = 0;

	free(p->node);
	free(p->rules_fp);
	p->node = strdup(node);
	p->rules_fp = strdup(rules_fp);
	p->lease_s = lease_s;
	if (p->node == NULL || p->rules_fp == NULL) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	/* Nodes with other rules would store other items for the same pages. */
	r = query(p, "SELECT node FROM nodes WHERE node <> $1 AND rules IS DISTINCT FROM $2"
		  " AND seen_at > now() - interval '2 minutes' ORDER BY node LIMIT 1", 2, params, err,
		  errlen);
	if (r == NULL)
		return -1;
	if (PQntuples(r) > 0) {
		snprintf(err, errlen, "node '%s' is crawling %s with other rule files or other"
			 " limits (the rule files, --max-pages and --max-depth make one"
			 " fingerprint); every node must use the same: copy the rule folder and"
			 " the options, or stop the other nodes first", PQgetvalue(r, 0, 0),
			 p->display);
		rc = -1;
	}
	PQclear(r);
	r = NULL;
	if (rc == 0 &&
	    (r = query(p, "INSERT INTO nodes(node, seen_at, started_at, rules)"
		       " VALUES ($1, now(), now(), $2) ON CONFLICT (node) DO UPDATE"
		       " SET seen_at = now(), started_at = now(), rules = EXCLUDED.rules", 2, params,
		       err, errlen)) == NULL)
		rc = -1;
	PQclear(r);
	return rc;
}

static int
insert_run(struct pgstore *p, const char *kind, const char *now, char *err, size_t errlen)
{
	const char *job = getenv("SCRAPER_JOB");
	const char *params[4] = { kind, job != NULL && *job ? job : NULL, now, p->node };
	PGresult *r = query(p, "INSERT INTO runs(kind, job, started_at, node)"
			    " VALUES ($1, $2, $3, $4) RETURNING id", 4, params, err, errlen);

	if (r == NULL)
		return -1;
	p->run = strtoll(PQgetvalue(r, 0, 0), NULL, 10);
	PQclear(r);
	return 0;
}

/*
 * --max-pages shared by the nodes: page_budget.used counts the pages granted to nodes
 * (apply_lease).  The first node to start, no other node crawling, sets it to the
 * frontier's done and failed rows, as one node counts them; a node starting beside
 * others takes up the count they have.  The row lock keeps two nodes starting at once
 * in turn: the second sees the first's nodes.budget (each statement reads afresh).
 */
static int
reset_budget(struct pgstore *p, char *err, size_t errlen)
{
	char lease[16];
	const char *params[2] = { p->node, lease };
	PGresult *r;

	snprintf(lease, sizeof lease, "%d", p->lease_s);
	if (p->node == NULL)
		return 0;
	r = query(p, "SELECT used FROM page_budget WHERE id = 1 FOR UPDATE", 0, NULL, err, errlen);
	if (r == NULL)
		return -1;
	PQclear(r);
	r = query(p, "UPDATE page_budget SET used = (SELECT count(*) FROM frontier"
		  "   WHERE state IN ('done', 'failed'))"
		  " WHERE id = 1 AND NOT EXISTS (SELECT 1 FROM nodes WHERE node <> $1"
		  "   AND budget IS NOT NULL AND seen_at > now() - interval '1 second' * $2::integer)",
		  2, params, err, errlen);
	if (r == NULL)
		return -1;
	PQclear(r);
	r = query(p, "UPDATE nodes SET budget = 0 WHERE node = $1", 1, params, err, errlen);
	if (r == NULL)
		return -1;
	PQclear(r);
	return 0;
}

/*
 * As store.c's: forget the frontier (--fresh) or queue the done pages again
 * (--recrawl), and take up what a killed run of this node left in flight.  With
 * several nodes these touch the shared frontier: --fresh and --recrawl belong on the
 * first node started, not on every one (README).
 */
int
pg_begin_crawl(struct pgstore *p, bool fresh, bool recrawl, char *err, size_t errlen)
{
	char now[32];
	const char *params[2] = { now, p->node };
	PGresult *r;
	int rc;

	iso8601(clock_wall(), now);
	rc = exec_sql(p, "BEGIN", "starting the crawl", err, errlen);
	if (rc == 0 && fresh)
		rc = exec_sql(p, "DELETE FROM frontier; UPDATE sites SET node = NULL, expires_at = NULL",
			      "forgetting the frontier", err, errlen);
	if (rc == 0 && recrawl) {
		r = query(p, "UPDATE frontier SET state = 'queued', attempts = 0, error = NULL,"
			  " updated_at = $1, node = NULL WHERE state IN ('done', 'failed')", 1, params,
			  err, errlen);
		rc = r != NULL ? 0 : -1;
		PQclear(r);
	}
	if (rc == 0) {
		r = query(p, "UPDATE frontier SET state = 'queued', node = NULL, updated_at = $1"
			  " WHERE (state = 'inflight' AND (node = $2 OR node IS NULL))"
			  " OR (state = 'skipped' AND error LIKE 'not fetched: page limit%')", 2,
			  params, err, errlen);
		rc = r != NULL ? 0 : -1;
		PQclear(r);
	}
	if (rc == 0) {
		r = query(p, "UPDATE sites SET node = NULL, expires_at = NULL WHERE node = $1", 1,
			  params + 1, err, errlen);
		rc = r != NULL ? 0 : -1;
		PQclear(r);
	}
	if (rc == 0)
		rc = reset_budget(p, err, errlen);
	if (rc == 0)
		rc = insert_run(p, "crawl", now, err, errlen);
	if (rc == 0)
		rc = exec_sql(p, "COMMIT", "starting the crawl", err, errlen);
	else
		PQclear(PQexec(p->conn, "ROLLBACK"));
	return rc;
}

int
pg_begin_run(struct pgstore *p, const char *kind, char *err, size_t errlen)
{
	char now[32];

	iso8601(clock_wall(), now);
	return insert_run(p, kind, now, err, errlen);
}

/* Each row of sql, one at a time (single-row mode: a large frontier is never held
 * whole). */
static int
each_row_params(struct pgstore *p, const char *sql, int n, const char *const *params,
		void (*row)(void *, const PGresult *), void *ctx, const char *what, char *err,
		size_t errlen)
{
	PGresult *r;
	int rc = 0;

	if (!PQsendQueryParams(p->conn, sql, n, NULL, params, NULL, NULL, 0) ||
	    !PQsetSingleRowMode(p->conn)) {
		set_err(p, what, err, errlen);
		return -1;
	}
	while ((r = PQgetResult(p->conn)) != NULL) {
		ExecStatusType st = PQresultStatus(r);
		if (st == PGRES_SINGLE_TUPLE) {
			row(ctx, r);
		} else if (st != PGRES_TUPLES_OK && rc == 0) {
			char msg[600];
			pg_message(PQresultErrorMessage(r), msg, sizeof msg);
			snprintf(err, errlen, "%s: %s: %s", p->display, what, msg);
			rc = -1;
		}
		PQclear(r);
	}
	return rc;
}

static int
each_row(struct pgstore *p, const char *sql, void (*row)(void *, const PGresult *), void *ctx,
	 const char *what, char *err, size_t errlen)
{
	return each_row_params(p, sql, 0, NULL, row, ctx, what, err, errlen);
}

struct scan_ctx {
	void (*frontier)(void *, const char *, const char *, enum fstate, int64_t);
	void (*robots)(void *, const char *, int, int64_t);
	void *ctx;
};

static void
frontier_row(void *arg, const PGresult *r)
{
	static const char *states[] = { "queued", "inflight", "done", "failed", "skipped" };
	struct scan_ctx *sc = arg;
	const char *state = PQgetvalue(r, 0, 2);
	enum fstate fs = FS_SKIPPED;

	for (int i = 0; i < 5; i++) {
		if (strcmp(state, states[i]) == 0)
			fs = (enum fstate)i;
	}
	sc->frontier(sc->ctx, PQgetvalue(r, 0, 0), PQgetvalue(r, 0, 1), fs,
		     strtoll(PQgetvalue(r, 0, 3), NULL, 10));
}

int
pg_scan_frontier(struct pgstore *p,
		 void (*each)(void *, const char *, const char *, enum fstate, int64_t),
		 void *ctx, char *err, size_t errlen)
{
	struct scan_ctx sc = { .frontier = each, .ctx = ctx };

	return each_row(p, "SELECT url, site, state, id FROM frontier", frontier_row, &sc,
			"reading the frontier", err, errlen);
}

static void
robots_row(void *arg, const PGresult *r)
{
	struct scan_ctx *sc = arg;

	sc->robots(sc->ctx, PQgetvalue(r, 0, 0),
		   PQgetisnull(r, 0, 1) ? -1 : atoi(PQgetvalue(r, 0, 1)),
		   strtoll(PQgetvalue(r, 0, 2), NULL, 10));
}

int
pg_scan_robots(struct pgstore *p, void (*each)(void *, const char *, int, int64_t), void *ctx,
	       char *err, size_t errlen)
{
	struct scan_ctx sc = { .robots = each, .ctx = ctx };

	return each_row(p, "SELECT site, status, fetched_unix FROM robots", robots_row, &sc,
			"reading the robots.txt cache", err, errlen);
}

struct body_ctx {
	void (*each)(void *, const char *, const char *);
	void *ctx;
};

static void
body_row(void *arg, const PGresult *r)
{
	struct body_ctx *bc = arg;

	bc->each(bc->ctx, PQgetvalue(r, 0, 0), PQgetvalue(r, 0, 1));
}

int
pg_body_pages(struct pgstore *p, const char *site,
	      void (*each)(void *ctx, const char *url, const char *site), void *ctx, char *err,
	      size_t errlen)
{
	struct body_ctx bc = { each, ctx };
	const char *params[1] = { site };

	return each_row_params(p, "SELECT url, site FROM pages WHERE body IS NOT NULL"
			       " AND ($1::text IS NULL OR site = $1) ORDER BY url", 1, params,
			       body_row, &bc, "reading the pages with stored bodies", err, errlen);
}

/* A node counts as crawling until its row is gone (it left) or its lease has lapsed
 * (it died). */
int
pg_node_crawling(struct pgstore *p, char *node, size_t nodelen, char *err, size_t errlen)
{
	char lease[16];
	const char *params[1] = { lease };
	PGresult *r;
	int found;

	snprintf(lease, sizeof lease, "%d", p->lease_s);
	r = query(p, "SELECT node FROM nodes WHERE seen_at > now() - interval '1 second' *"
		  " $1::integer ORDER BY node LIMIT 1", 1, params, err, errlen);
	if (r == NULL)
		return -1;
	found = PQntuples(r) > 0;
	if (found)
		snprintf(node, nodelen, "%s", PQgetvalue(r, 0, 0));
	PQclear(r);
	return found;
}

int
pg_count_items(struct pgstore *p, long *n, char *err, size_t errlen)
{
	PGresult *r = query(p, "SELECT count(*) FROM items", 0, NULL, err, errlen);

	*n = 0;
	if (r == NULL)
		return -1;
	*n = atol(PQgetvalue(r, 0, 0));
	PQclear(r);
	return 0;
}

/* ---- views ---- */

static void
quote_ident(struct buf *b, const char *name)
{
	buf_putc(b, '"');
	for (const char *c = name; *c; c++) {
		if (*c == '"')
			buf_putc(b, '"');
		buf_putc(b, *c);
	}
	buf_putc(b, '"');
}

static void
quote_literal(struct buf *b, const char *text)
{
	buf_putc(b, '\'');
	for (const char *c = text; *c; c++) {
		if (*c == '\'')
			buf_putc(b, '\'');
		buf_putc(b, *c);
	}
	buf_putc(b, '\'');
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

/* One field as a column: text, a number, a boolean, or jsonb for all: true.  A value
 * of another JSON type than the field's is NULL (never a failed query). */
static void
view_column(struct buf *b, const char *data, const struct store_view_field *f)
{
	struct buf path;

	buf_init(&path, 4096);
	buf_printf(&path, "%s->", data);
	quote_literal(&path, f->name);
	if (f->all)
		buf_printf(b, "%s", buf_str(&path));
	else if (strcmp(f->type, "int") == 0)
		buf_printf(b, "CASE WHEN jsonb_typeof(%s) = 'number' THEN trunc((%s)::numeric)::bigint"
			   " END", buf_str(&path), buf_str(&path));
	else if (strcmp(f->type, "number") == 0)
		buf_printf(b, "CASE WHEN jsonb_typeof(%s) = 'number' THEN (%s)::double precision"
			   " END", buf_str(&path), buf_str(&path));
	else if (strcmp(f->type, "bool") == 0)
		buf_printf(b, "CASE WHEN jsonb_typeof(%s) = 'boolean' THEN (%s)::boolean END",
			   buf_str(&path), buf_str(&path));
	else {
		buf_printf(b, "%s->>", data);
		quote_literal(b, f->name);
	}
	buf_puts(b, " AS ");
	quote_ident(b, f->name);
	buf_free(&path);
}

static void
view_sql(struct buf *sql, const struct store_view *v)
{
	static const char *const extra[][2] = {
		{ "site", "k.site" }, { "key", "k.key" }, { "first_seen", "v.first_seen" },
		{ "last_seen", "v.last_seen" }, { "gone_at", "v.gone_at" }, { "job", "v.job" },
	};
	struct buf hist;

	buf_init(&hist, 4096);
	buf_printf(&hist, "%s_history", v->type);
	buf_puts(sql, "DROP VIEW IF EXISTS ");
	quote_ident(sql, v->type);
	buf_puts(sql, "; CREATE VIEW ");
	quote_ident(sql, v->type);
	buf_puts(sql, " AS SELECT id");
	buf_puts(sql, has_field(v, "url") ? ", url AS page_url" : ", url");
	for (size_t j = 0; j < v->nfields; j++) {
		buf_puts(sql, ", ");
		view_column(sql, "data", &v->fields[j]);
	}
	buf_puts(sql, has_field(v, "site") ? "" : ", site");
	buf_puts(sql, has_field(v, "idx") ? "" : ", idx");
	buf_puts(sql, has_field(v, "scraped_at") ? "" : ", scraped_at");
	buf_puts(sql, " FROM items WHERE type = ");
	quote_literal(sql, v->type);
	buf_puts(sql, "; DROP VIEW IF EXISTS ");
	quote_ident(sql, buf_str(&hist));
	buf_puts(sql, "; CREATE VIEW ");
	quote_ident(sql, buf_str(&hist));
	buf_puts(sql, " AS SELECT v.item_id AS id");
	buf_puts(sql, has_field(v, "url") ? ", k.url AS page_url" : ", k.url AS url");
	for (size_t j = 0; j < v->nfields; j++) {
		buf_puts(sql, ", ");
		view_column(sql, "v.data", &v->fields[j]);
	}
	for (size_t j = 0; j < sizeof extra / sizeof extra[0]; j++) {
		if (!has_field(v, extra[j][0]))
			buf_printf(sql, ", %s AS %s", extra[j][1], extra[j][0]);
	}
	buf_puts(sql, " FROM item_versions v JOIN item_keys k ON k.id = v.item_id WHERE k.type = ");
	quote_literal(sql, v->type);
	buf_puts(sql, ";");
	buf_free(&hist);
}

int
pg_create_views(struct pgstore *p, const struct store_view *views, size_t n, char *err,
		size_t errlen)
{
	struct buf sql;
	char lock[64];
	int rc;

	buf_init(&sql, 16u << 20);
	snprintf(lock, sizeof lock, "SELECT pg_advisory_xact_lock(%d)", MIGRATE_LOCK);
	rc = exec_sql(p, "BEGIN", "making the views", err, errlen);
	if (rc == 0)
		rc = exec_sql(p, lock, "making the views", err, errlen);
	for (size_t i = 0; i < n && rc == 0; i++) {
		buf_reset(&sql);
		view_sql(&sql, &views[i]);
		rc = exec_sql(p, buf_str(&sql), "making the views", err, errlen);
	}
	if (rc == 0)
		rc = exec_sql(p, "COMMIT", "making the views", err, errlen);
	else
		PQclear(PQexec(p->conn, "ROLLBACK"));
	buf_free(&sql);
	return rc;
}

/* ---- ops as JSON ---- */

static void
put_key(struct buf *b, const char *key, bool first)
{
	if (!first)
		buf_putc(b, ',');
	json_put_cstring(b, key);
	buf_putc(b, ':');
}

/* A string field; NULL and "" (a worker's "none") are null. */
static void
put_str(struct buf *b, const char *key, const char *v)
{
	put_key(b, key, false);
	json_put_cstring(b, v != NULL && *v != '\0' ? v : NULL);
}

static void
put_int(struct buf *b, const char *key, long long v, bool present)
{
	put_key(b, key, false);
	if (present)
		json_put_int(b, v);
	else
		buf_puts(b, "null");
}

/* Is text one JSON value PostgreSQL's jsonb takes?  (No \u0000, valid UTF-8.) */
static bool
json_ok(const char *text)
{
	json_error_t e;
	json_t *j;

	if (text == NULL)
		return false;
	j = json_loads(text, JSON_DECODE_ANY, &e);
	json_decref(j);
	return j != NULL;
}

static void
put_links(struct buf *b, const struct store_link *links, size_t n)
{
	buf_putc(b, '[');
	for (size_t i = 0; i < n; i++) {
		if (i > 0)
			buf_putc(b, ',');
		buf_putc(b, '{');
		put_key(b, "url", true);
		json_put_cstring(b, links[i].url);
		put_str(b, "site", links[i].site);
		put_int(b, "depth", links[i].depth, true);
		buf_putc(b, '}');
	}
	buf_putc(b, ']');
}

/* The name quoted after "what '" in msg (store.c's bind_quoted), or null. */
static void
put_quoted(struct buf *b, const char *key, const char *msg, const char *what)
{
	const char *at = strstr(msg, what), *end;

	put_key(b, key, false);
	if (at == NULL || (end = strchr(at += strlen(what), '\'')) == NULL)
		buf_puts(b, "null");
	else
		json_put_string(b, at, (size_t)(end - at));
}

static void
put_page(struct buf *b, const struct store_page_rec *pr)
{
	bool resp = pr->status >= 0;

	buf_putc(b, '{');
	put_key(b, "not_modified", true);
	buf_puts(b, pr->not_modified ? "true" : "false");
	put_int(b, "status", pr->status, resp);
	put_str(b, "content_type", pr->content_type);
	put_int(b, "bytes", pr->bytes, resp);
	put_int(b, "elapsed_ms", pr->elapsed_ms, resp || pr->elapsed_ms > 0);
	put_str(b, "error", pr->error);
	put_str(b, "etag", pr->etag);
	put_str(b, "last_modified", pr->last_modified);
	put_str(b, "final_url", pr->final_url);
	put_str(b, "charset", pr->charset);
	put_int(b, "extract_errors", pr->extract_errors, resp);
	put_str(b, "rules_hash", pr->rules_hash);
	buf_putc(b, '}');
}

/* An OP_SETTLE as scraper_settle's document.  Items whose data is not JSON are
 * dropped, as store.c drops them. */
static int
settle_doc(struct pgstore *p, const struct store_op *op, const char *now)
{
	struct buf *b = &p->doc;
	bool first = true;

	buf_reset(b);
	buf_putc(b, '{');
	put_key(b, "url", true);
	json_put_cstring(b, op->url);
	put_str(b, "site", op->site);
	put_int(b, "id", op->id, true);
	put_int(b, "depth", op->depth, true);
	put_str(b, "state", fstate_name(op->state));
	put_int(b, "attempts", op->attempts, true);
	put_str(b, "reason", op->reason);
	put_str(b, "now", now);
	put_int(b, "run", p->run, p->run > 0);
	put_str(b, "node", p->node);
	put_key(b, "reparse", false);
	buf_puts(b, op->reparse ? "true" : "false");
	put_str(b, "only_type", op->only_type);
	put_key(b, "page", false);
	if (op->has_page || op->reparse) {
		struct store_page_rec pr = op->page;
		if (op->reparse)
			pr.status = 0; /* extract_errors is written */
		put_page(b, &pr);
	} else {
		buf_puts(b, "null");
	}
	put_key(b, "items", false);
	buf_putc(b, '[');
	for (size_t i = 0; i < op->nitems; i++) {
		const struct store_item *it = &op->items[i];
		if (!json_ok(it->data))
			continue;
		if (!first)
			buf_putc(b, ',');
		first = false;
		buf_putc(b, '{');
		put_key(b, "type", true);
		json_put_cstring(b, it->type);
		put_int(b, "idx", it->idx, true);
		put_key(b, "data", false);
		buf_puts(b, it->data);
		put_key(b, "key", false);
		buf_puts(b, it->key_fields != NULL && json_ok(it->key_fields) ? it->key_fields : "null");
		buf_putc(b, '}');
	}
	buf_putc(b, ']');
	put_key(b, "problems", false);
	buf_putc(b, '[');
	for (size_t i = 0; i < op->nproblems; i++) {
		if (i > 0)
			buf_putc(b, ',');
		buf_putc(b, '{');
		put_key(b, "message", true);
		json_put_cstring(b, op->problems[i]);
		put_quoted(b, "type", op->problems[i], "item '");
		put_quoted(b, "field", op->problems[i], "field '");
		buf_putc(b, '}');
	}
	buf_putc(b, ']');
	put_key(b, "links", false);
	put_links(b, op->links, op->nlinks);
	buf_putc(b, '}');
	if (buf_putc(b, '\0') == -1) {
		errno = EMSGSIZE;
		return -1;
	}
	return 0;
}

/* ---- applying ops (on the writer thread, in its transaction) ---- */

/*
 * The writer sends a batch's statements in libpq's pipeline mode: BEGIN, every op's
 * statements, COMMIT and a sync go out without waiting for answers, and the answers
 * are read after the sync, in order, each by its op's reader (refill rows, a
 * robots.txt body, leases).  A batch costs one round trip (libpq reads answers while
 * it writes, so a large batch cannot block both ends).  No statement depends on
 * another's answer.  After the first failure the server skips the rest to the sync
 * (PGRES_PIPELINE_ABORTED), and the transaction is rolled back.
 */
static int
send_q(struct pgstore *p, const char *sql, int n, const char *const *params, const int *lengths,
       const int *formats, int (*done)(struct pgstore *, struct store_op *, const PGresult *),
       struct store_op *op)
{
	static const Oid types[PARAMS_MAX] = { TEXT_OID, TEXT_OID, TEXT_OID, TEXT_OID,
					       TEXT_OID, TEXT_OID, TEXT_OID, TEXT_OID };

	if (p->npend == p->cpend) {
		size_t cap = p->cpend ? p->cpend * 2 : 256;
		struct pending *v = realloc(p->pend, cap * sizeof *v);
		if (v == NULL)
			return -1;
		p->pend = v;
		p->cpend = cap;
	}
	if (!PQsendQueryParams(p->conn, sql, n, n > 0 && formats == NULL ? types : NULL, params,
			       lengths, formats, 0))
		return -1;
	p->pend[p->npend++] = (struct pending){ done, op };
	return 0;
}

static int
run1(struct pgstore *p, const char *sql, int n, const char *const *params)
{
	return send_q(p, sql, n, params, NULL, NULL, NULL, NULL);
}

/* The first failure of the pipeline, kept (its SQLSTATE decides about a retry). */
static void
pipe_failed(struct pgstore *p, const PGresult *r, const char *msg)
{
	const char *state = r != NULL ? PQresultErrorField(r, PG_DIAG_SQLSTATE) : NULL;

	if (p->perr)
		return;
	p->perr = true;
	snprintf(p->sqlstate, sizeof p->sqlstate, "%s", state != NULL ? state : "");
	pg_message(msg, p->perrmsg, sizeof p->perrmsg);
}

/* Every answer up to and including the sync's.  0, or -1 when the connection broke
 * (answers then stop coming). */
static int
pipe_drain(struct pgstore *p)
{
	PGresult *r;

	for (size_t i = 0; i < p->npend; i++) {
		if ((r = PQgetResult(p->conn)) == NULL) {
			pipe_failed(p, NULL, PQerrorMessage(p->conn));
			p->npend = 0;
			return -1;
		}
		switch (PQresultStatus(r)) {
		case PGRES_COMMAND_OK:
		case PGRES_TUPLES_OK:
			if (!p->perr && p->pend[i].done != NULL &&
			    p->pend[i].done(p, p->pend[i].op, r) == -1)
				pipe_failed(p, NULL, "out of memory");
			break;
		case PGRES_PIPELINE_ABORTED:
			pipe_failed(p, NULL, "statement skipped after an earlier failure");
			break;
		default:
			pipe_failed(p, r, PQresultErrorMessage(r));
			break;
		}
		PQclear(r);
		/* the end of this statement's answers */
		while ((r = PQgetResult(p->conn)) != NULL) {
			ExecStatusType st = PQresultStatus(r);
			PQclear(r);
			if (st == PGRES_PIPELINE_SYNC) {
				p->npend = 0;
				return -1; /* out of step: cannot happen */
			}
		}
		if (PQstatus(p->conn) != CONNECTION_OK) {
			pipe_failed(p, NULL, PQerrorMessage(p->conn));
			p->npend = 0;
			return -1;
		}
	}
	p->npend = 0;
	r = PQgetResult(p->conn);
	if (r == NULL || PQresultStatus(r) != PGRES_PIPELINE_SYNC) {
		pipe_failed(p, r, PQerrorMessage(p->conn));
		PQclear(r);
		return -1;
	}
	PQclear(r);
	return 0;
}

/* The page's stored body: into bodies once per digest (checked against it first),
 * and the page row pointed at it. */
static int
apply_body(struct pgstore *p, const struct store_op *op)
{
	const struct store_page_rec *pr = &op->page;
	const char *params[4] = { pr->body_digest };
	const int lengths[4] = { 0, 0, 0, (int)pr->body_len };
	const int formats[4] = { 0, 0, 0, 1 };
	char size[24], err[200];
	struct buf raw;
	int rc;

	/* Sent whole even when the digest is stored already: asking first would cost a
	 * round trip; the server drops the duplicate. */
	buf_init(&raw, (size_t)pr->body_size + 1);
	rc = body_unpack(pr->body, pr->body_len, (size_t)pr->body_size, pr->body_digest, &raw, err,
			 sizeof err);
	buf_free(&raw);
	if (rc == -1)
		return 0; /* not what it claims to be: not stored (the page is) */
	snprintf(size, sizeof size, "%llu", (unsigned long long)pr->body_size);
	params[1] = size;
	params[2] = BODY_CODEC;
	params[3] = pr->body;
	if (send_q(p, "INSERT INTO bodies(digest, size, codec, data)"
		   " VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING", 4, params, lengths, formats,
		   NULL, NULL) == -1)
		return -1;
	{
		struct buf h;
		const char *up[3] = { op->url, pr->body_digest, NULL };
		buf_init(&h, 1u << 24);
		if (pr->headers != NULL && *pr->headers) {
			/* as a JSON string, then unquoted by the server: valid UTF-8 always */
			json_put_cstring(&h, pr->headers);
			buf_putc(&h, '\0');
			up[2] = h.data;
		}
		rc = run1(p, "UPDATE pages SET body = $2, headers = ($3::jsonb #>> '{}') WHERE url = $1",
			  3, up);
		buf_free(&h);
	}
	return rc;
}

static int
apply_settle(struct pgstore *p, const struct store_op *op, const char *now)
{
	const char *params[1];

	if (settle_doc(p, op, now) == -1)
		return -1;
	params[0] = p->doc.data;
	if (run1(p, "SELECT scraper_settle($1::jsonb)", 1, params) == -1)
		return -1;
	if (op->has_page && op->page.noindex && !op->page.not_modified) {
		/* Rare enough for a statement of its own rather than a new scraper_settle. */
		const char *u[1] = { op->url };
		if (run1(p, "UPDATE pages SET noindex = 1 WHERE url = $1", 1, u) == -1)
			return -1;
	}
	if (!op->reparse && op->has_page && op->page.body != NULL &&
	    op->page.body_len == op->page.body_total && !op->page.not_modified)
		return apply_body(p, op);
	return 0;
}

/* One reaped worker's cost added to its site's (schema 2's site_usage). */
static int
apply_usage(struct pgstore *p, const struct store_op *op, const char *now)
{
	char cpu[24], rss[24];
	const char *params[4] = { op->site, cpu, rss, now };

	snprintf(cpu, sizeof cpu, "%lld", (long long)op->cpu_ms);
	snprintf(rss, sizeof rss, "%lld", (long long)op->peak_rss_kb);
	return run1(p, "INSERT INTO site_usage(site, workers, cpu_ms, peak_rss_kb, updated_at)"
		    " VALUES ($1, 1, $2::bigint, $3::bigint, $4) ON CONFLICT (site) DO UPDATE SET"
		    " workers = site_usage.workers + 1, cpu_ms = site_usage.cpu_ms + EXCLUDED.cpu_ms,"
		    " peak_rss_kb = GREATEST(site_usage.peak_rss_kb, EXCLUDED.peak_rss_kb),"
		    " updated_at = EXCLUDED.updated_at", 4, params);
}

static int
apply_links(struct pgstore *p, const struct store_op *op, const char *now)
{
	const char *params[2] = { NULL, now };

	buf_reset(&p->doc);
	put_links(&p->doc, op->links, op->nlinks);
	if (buf_putc(&p->doc, '\0') == -1)
		return -1;
	params[0] = p->doc.data;
	return run1(p, "SELECT scraper_links($1::jsonb, $2)", 2, params);
}

static int
apply_robots(struct pgstore *p, const struct store_op *op, const char *now)
{
	char status[16], unix_s[24];
	const char *params[5] = { op->site, NULL, NULL, now, unix_s };

	if (op->robots_status >= 0) {
		snprintf(status, sizeof status, "%d", op->robots_status);
		params[1] = status;
	}
	snprintf(unix_s, sizeof unix_s, "%lld", (long long)op->when);
	buf_reset(&p->doc);
	json_put_cstring(&p->doc, op->robots_body != NULL ? op->robots_body : "");
	if (buf_putc(&p->doc, '\0') == -1)
		return -1;
	params[2] = p->doc.data;
	return run1(p, "INSERT INTO robots(site, status, body, fetched_at, fetched_unix)"
		    " VALUES ($1, $2::integer, $3::jsonb #>> '{}', $4, $5::bigint) ON CONFLICT (site) DO UPDATE SET"
		    " status = EXCLUDED.status, body = EXCLUDED.body,"
		    " fetched_at = EXCLUDED.fetched_at, fetched_unix = EXCLUDED.fetched_unix",
		    5, params);
}

static int
row_cmp(const void *a, const void *b)
{
	const struct store_row *x = a, *y = b;

	return x->id < y->id ? -1 : x->id > y->id;
}

/* A site's queued rows, taken into flight for this node (while it holds the site), so
 * that no other reader gets them: no cursor is needed, whatever order ids commit in. */
static int
refill_read(struct pgstore *p, struct store_op *op, const PGresult *r)
{
	(void)p;
	if ((op->rows = calloc((size_t)op->limit, sizeof *op->rows)) == NULL)
		return -1;
	for (int i = 0; i < PQntuples(r) && op->nrows < (size_t)op->limit; i++) {
		struct store_row *row = &op->rows[op->nrows++];
		row->id = strtoll(PQgetvalue(r, i, 0), NULL, 10);
		row->depth = atoi(PQgetvalue(r, i, 1));
		row->attempts = atoi(PQgetvalue(r, i, 2));
		row->url = field_dup(r, i, 3);
		row->etag = field_dup(r, i, 4);
		row->last_modified = field_dup(r, i, 5);
	}
	qsort(op->rows, op->nrows, sizeof *op->rows, row_cmp);
	return 0;
}

static int
apply_refill(struct pgstore *p, struct store_op *op, const char *now)
{
	char limit[16];
	const char *params[5] = { op->site, limit, op->reason, p->node, now };

	if (op->limit <= 0)
		return 0;
	snprintf(limit, sizeof limit, "%d", op->limit);
	return send_q(p,
		  "UPDATE frontier f SET state = 'inflight', node = $4, updated_at = $5"
		  " WHERE f.id IN (SELECT id FROM frontier WHERE site = $1 AND state = 'queued'"
		  "   AND EXISTS (SELECT 1 FROM sites WHERE site = $1 AND node = $4)"
		  "   ORDER BY id LIMIT $2::integer FOR UPDATE SKIP LOCKED)"
		  " RETURNING f.id, f.depth, f.attempts, f.url,"
		  " (SELECT CASE WHEN p.rules_hash IS NOT DISTINCT FROM $3 THEN p.etag END"
		  "   FROM pages p WHERE p.url = f.url),"
		  " (SELECT CASE WHEN p.rules_hash IS NOT DISTINCT FROM $3 THEN p.last_modified END"
		  "   FROM pages p WHERE p.url = f.url)", 5, params, NULL, NULL, refill_read, op);
}

static int
robots_read(struct pgstore *p, struct store_op *op, const PGresult *r)
{
	(void)p;
	if (PQntuples(r) > 0 && !PQgetisnull(r, 0, 0) &&
	    (op->robots_body = strdup(PQgetvalue(r, 0, 0))) == NULL)
		return -1;
	return 0;
}

static int
apply_robots_read(struct pgstore *p, struct store_op *op)
{
	const char *params[1] = { op->site };

	return send_q(p, "SELECT body FROM robots WHERE site = $1", 1, params, NULL, NULL,
		      robots_read, op);
}

/* What is still queued (of one site, or of every site this node holds) is settled
 * unfetched, as store.c's apply_skip does; here the rows this node holds in flight
 * (refilled, never dispatched) count as queued. */
static int
apply_skip(struct pgstore *p, const struct store_op *op, const char *now)
{
	const char *params[5] = { op->site, now, op->reason, fstate_name(op->state), p->node };
	static const char held[] =
		" (state = 'queued' OR (state = 'inflight' AND node = $5))"
		" AND ($1::text IS NULL AND site IN (SELECT site FROM sites WHERE node = $5)"
		"   OR site = $1)";
	/* --max-pages spent: the queued URLs of sites no live node holds are settled too,
	 * as one node settles every site's (the nodes holding sites settle theirs). */
	static const char unheld[] =
		" (state = 'queued' OR (state = 'inflight' AND node = $5))"
		" AND ($1::text IS NULL AND site IN (SELECT site FROM sites WHERE node = $5)"
		"   OR site = $1"
		"   OR state = 'queued' AND site IN (SELECT site FROM sites WHERE node IS NULL"
		"     OR expires_at < now()))";
	const char *mine = op->settle_unheld ? unheld : held;
	char sql[1200];

	snprintf(sql, sizeof sql, "INSERT INTO pages(url, site, depth, fetched_at, error, node)"
		 " SELECT url, site, depth, $2, $3, $5 FROM frontier WHERE%s ORDER BY url"
		 " ON CONFLICT DO NOTHING", mine);
	if (run1(p, sql, 5, params) == -1)
		return -1;
	snprintf(sql, sizeof sql, "UPDATE frontier f SET updated_at = $2,"
		 " state = CASE WHEN p.status IS NULL THEN $4 WHEN p.status < 400 THEN 'done'"
		 "   ELSE 'failed' END,"
		 " error = CASE WHEN p.status IS NULL THEN $3 ELSE p.error END"
		 " FROM pages p WHERE p.url = f.url AND f.url IN (SELECT url FROM frontier WHERE%s)",
		 mine);
	return run1(p, sql, 5, params);
}

static int
names_json(struct buf *b, char **names, size_t n)
{
	buf_reset(b);
	buf_putc(b, '[');
	for (size_t i = 0; i < n; i++) {
		if (i > 0)
			buf_putc(b, ',');
		json_put_cstring(b, names[i]);
	}
	buf_putc(b, ']');
	return buf_putc(b, '\0');
}

static int
held_read(struct pgstore *p, struct store_op *op, const PGresult *r)
{
	(void)p;
	op->nheld = 0;
	op->held = calloc((size_t)PQntuples(r) + 1, sizeof *op->held);
	op->held_queued = calloc((size_t)PQntuples(r) + 1, sizeof *op->held_queued);
	op->held_taken = calloc((size_t)PQntuples(r) + 1, sizeof *op->held_taken);
	if (op->held == NULL || op->held_queued == NULL || op->held_taken == NULL)
		return -1;
	for (int i = 0; i < PQntuples(r); i++) {
		if ((op->held[op->nheld] = strdup(PQgetvalue(r, i, 0))) == NULL)
			return -1;
		op->held_taken[op->nheld] = strtol(PQgetvalue(r, i, 2), NULL, 10);
		op->held_queued[op->nheld++] = strcmp(PQgetvalue(r, i, 1), "t") == 0;
	}
	return 0;
}

static int
open_read(struct pgstore *p, struct store_op *op, const PGresult *r)
{
	(void)p;
	op->open_elsewhere = PQntuples(r) > 0 && strcmp(PQgetvalue(r, 0, 0), "t") == 0;
	return 0;
}

static int
budget_read(struct pgstore *p, struct store_op *op, const PGresult *r)
{
	(void)p;
	if (PQntuples(r) != 1)
		return -1;
	op->budget_got = strtol(PQgetvalue(r, 0, 0), NULL, 10);
	op->budget_spent = strcmp(PQgetvalue(r, 0, 1), "t") == 0;
	return 0;
}

/*
 * --max-pages shared by the nodes, in the lease op: the pages this node gives back
 * are taken off page_budget.used, it is granted up to budget_want more of what is
 * left under its max_pages (the row lock serializes the nodes), and nodes.budget
 * says what it holds unused now.  Spent: nothing is left and no live node holds
 * unused pages it might give back.
 */
static int
apply_budget(struct pgstore *p, struct store_op *op)
{
	char lease[16], max[24], want[24], ret[24], left[24];
	const char *params[6] = { p->node, lease, max, want, ret, left };

	snprintf(lease, sizeof lease, "%d", p->lease_s);
	snprintf(max, sizeof max, "%ld", op->max_pages);
	snprintf(want, sizeof want, "%ld", op->budget_want > 0 ? op->budget_want : 0);
	snprintf(ret, sizeof ret, "%ld", op->budget_return > 0 ? op->budget_return : 0);
	snprintf(left, sizeof left, "%ld", op->budget_left > 0 ? op->budget_left : 0);
	return send_q(p,
		  "WITH b AS (SELECT greatest(0, used - $5::bigint) AS used FROM page_budget"
		  "   WHERE id = 1 FOR UPDATE),"
		  " g AS (SELECT used, least($4::bigint, greatest(0, $3::bigint - used)) AS n FROM b),"
		  " u AS (UPDATE page_budget SET used = g.used + g.n FROM g WHERE id = 1"
		  "   RETURNING page_budget.used, g.n),"
		  " k AS (UPDATE nodes SET budget = $6::bigint + (SELECT n FROM u) WHERE node = $1)"
		  " SELECT n, used >= $3::bigint AND NOT EXISTS (SELECT 1 FROM nodes WHERE node <> $1"
		  "   AND budget > 0 AND seen_at > now() - interval '1 second' * $2::integer) FROM u",
		  6, params, NULL, NULL, budget_read, op);
}

/*
 * The lease op: this node is alive; its leases are renewed; the idle sites it lets go
 * are released (unless URLs were queued for them meanwhile); it claims up to
 * lease_want sites that have open URLs and no live lease, at most its fair share of
 * them (open sites / live nodes, rounded up), taking what a dead node left in flight
 * back into the queue; then it reads what it holds and whether anything is open
 * elsewhere.
 */
static int
apply_lease(struct pgstore *p, struct store_op *op)
{
	char lease[16], want[16];
	const char *params[3] = { p->node, lease, NULL };
	const char *claim[3] = { p->node, lease, want };

	snprintf(lease, sizeof lease, "%d", p->lease_s);
	snprintf(want, sizeof want, "%d", op->lease_want);
	if (run1(p, "INSERT INTO nodes(node, seen_at, started_at, rules) VALUES ($1, now(), now(),"
		 " NULL) ON CONFLICT (node) DO UPDATE SET seen_at = now()", 1, params) == -1 ||
	    run1(p, "UPDATE sites SET expires_at = now() + interval '1 second' * $2::integer"
		 " WHERE node = $1", 2, params) == -1)
		return -1;
	if (op->nlease_release > 0) {
		if (names_json(&p->doc, op->lease_release, op->nlease_release) == -1)
			return -1;
		params[1] = p->doc.data;
		if (run1(p, "UPDATE sites s SET node = NULL, expires_at = NULL WHERE node = $1"
			 " AND site IN (SELECT jsonb_array_elements_text($2::jsonb))"
			 " AND NOT EXISTS (SELECT 1 FROM frontier f WHERE f.site = s.site"
			 "   AND f.state IN ('queued', 'inflight'))", 2, params) == -1)
			return -1;
		params[1] = lease;
	}
	if (op->lease_want > 0 &&
	    run1(p, "WITH open AS (SELECT s.site, s.node, s.expires_at FROM sites s"
		 "   WHERE EXISTS (SELECT 1 FROM frontier f WHERE f.site = s.site"
		 "     AND f.state IN ('queued', 'inflight'))),"
		 " share AS (SELECT greatest(1, ceil((SELECT count(*) FROM open)::numeric /"
		 "   greatest(1, (SELECT count(*) FROM nodes WHERE seen_at > now() -"
		 "     interval '1 second' * $2::integer)))"
		 "   - (SELECT count(*) FROM sites WHERE node = $1)) AS n),"
		 " pick AS (SELECT s.site FROM sites s JOIN open o ON o.site = s.site"
		 "   WHERE s.node IS NULL OR s.expires_at < now()"
		 "   ORDER BY md5(s.site || $1) LIMIT least($3::integer, (SELECT n FROM share))"
		 "   FOR UPDATE OF s SKIP LOCKED)"
		 " UPDATE sites s SET node = $1, claimed_at = now(),"
		 "   expires_at = now() + interval '1 second' * $2::integer"
		 " FROM pick WHERE s.site = pick.site", 3, claim) == -1)
		return -1;
	/* In a site this node holds, a URL in flight for another node is one a dead (or
	 * cut off) node will never settle. */
	if (run1(p, "UPDATE frontier f SET state = 'queued', node = NULL FROM sites s"
		 " WHERE s.node = $1 AND f.site = s.site AND f.state = 'inflight'"
		 " AND f.node IS DISTINCT FROM $1", 1, params) == -1)
		return -1;
	/* A site claimed by this op (claimed_at is the transaction's now()): how many of
	 * its URLs are taken (done or failed, by any node), so its max_pages holds across
	 * the nodes (lease.c).  What a dead node had in flight was queued again above. */
	if (send_q(p, "SELECT s.site, EXISTS (SELECT 1 FROM frontier f WHERE f.site = s.site"
		   " AND f.state = 'queued'), CASE WHEN s.claimed_at = now() THEN (SELECT count(*)"
		   "   FROM frontier f WHERE f.site = s.site AND f.state IN ('done', 'failed'))"
		   "   ELSE -1 END FROM sites s WHERE s.node = $1 ORDER BY 1", 1, params,
		   NULL, NULL, held_read, op) == -1)
		return -1;
	if (op->max_pages > 0 && apply_budget(p, op) == -1)
		return -1;
	return send_q(p, "SELECT EXISTS (SELECT 1 FROM sites s WHERE s.node IS DISTINCT FROM $1"
		      " AND EXISTS (SELECT 1 FROM frontier f WHERE f.site = s.site"
		      " AND f.state IN ('queued', 'inflight')))", 1, params, NULL, NULL,
		      open_read, op);
}

/* Forget what an op read in a transaction that was rolled back. */
static void
reset_outputs(struct store_op *op)
{
	for (size_t i = 0; i < op->nrows; i++) {
		free(op->rows[i].url);
		free(op->rows[i].etag);
		free(op->rows[i].last_modified);
	}
	free(op->rows);
	op->rows = NULL;
	op->nrows = 0;
	if (op->kind == OP_ROBOTS_READ) {
		free(op->robots_body);
		op->robots_body = NULL;
	}
	for (size_t i = 0; i < op->nheld; i++)
		free(op->held[i]);
	free(op->held);
	free(op->held_queued);
	free(op->held_taken);
	op->held = NULL;
	op->held_queued = NULL;
	op->held_taken = NULL;
	op->nheld = 0;
	op->budget_got = 0;
	op->budget_spent = false;
}

static int
apply(struct pgstore *p, struct store_op *op)
{
	char now[32];

	iso8601(op->when, now);
	switch (op->kind) {
	case OP_LINKS: return apply_links(p, op, now);
	case OP_SETTLE: return apply_settle(p, op, now);
	/* Marks change nothing here: a refill already holds its rows in flight for this
	 * node, and a URL put back in memory stays so (leave() queues them again). */
	case OP_MARK: return 0;
	case OP_ROBOTS: return apply_robots(p, op, now);
	case OP_REFILL: return apply_refill(p, op, now);
	case OP_ROBOTS_READ: return apply_robots_read(p, op);
	case OP_SETTLE_QUEUED: return apply_skip(p, op, now);
	case OP_LEASE: return apply_lease(p, op);
	case OP_USAGE: return apply_usage(p, op, now);
	}
	return -1;
}

/* ---- the writer thread ---- */

static void
fail(struct pgstore *p, const char *msg)
{
	if (!atomic_load(&p->failed)) {
		snprintf(p->failure, sizeof p->failure, "%s", msg);
		atomic_store(&p->failed, true);
	}
}

/* The ops in one transaction, in one pipeline.  0; 1 to try again (the connection is
 * gone, or the server asks for a retry: deadlock, serialization failure); -1 with
 * msg. */
static int
try_batch(struct pgstore *p, struct store_op **ops, size_t n, char *msg, size_t msglen)
{
	const char *state;
	bool sent = true;

	for (size_t i = 0; i < n; i++)
		reset_outputs(ops[i]);
	p->npend = 0;
	p->perr = false;
	p->sqlstate[0] = '\0';
	if (!PQenterPipelineMode(p->conn)) {
		pg_message(PQerrorMessage(p->conn), msg, msglen);
		return PQstatus(p->conn) != CONNECTION_OK ? 1 : -1;
	}
	if (run1(p, "BEGIN", 0, NULL) == -1)
		sent = false;
	for (size_t i = 0; i < n && sent; i++) {
		if (apply(p, ops[i]) == -1)
			sent = false;
	}
	if (sent && run1(p, "COMMIT", 0, NULL) == -1)
		sent = false;
	if (!sent)
		pipe_failed(p, NULL, *PQerrorMessage(p->conn) ? PQerrorMessage(p->conn) :
				     strerror(errno));
	if (!PQpipelineSync(p->conn) || pipe_drain(p) == -1 || PQstatus(p->conn) != CONNECTION_OK) {
		pg_message(p->perr ? p->perrmsg : PQerrorMessage(p->conn), msg, msglen);
		if (PQstatus(p->conn) == CONNECTION_OK)
			PQreset(p->conn); /* out of step with the server: start afresh */
		return 1;
	}
	PQexitPipelineMode(p->conn);
	if (!p->perr)
		return 0;
	snprintf(msg, msglen, "%s", p->perrmsg);
	state = p->sqlstate;
	PQclear(PQexec(p->conn, "ROLLBACK"));
	/* Two nodes' transactions in each other's way: a deadlock, a serialization
	 * failure, or a key both inserted at once.  The batch is applied again. */
	if (strcmp(state, "40001") == 0 || strcmp(state, "40P01") == 0 ||
	    strcmp(state, "23505") == 0)
		return 1;
	return -1;
}

/* Connect again, waiting longer each time, for up to OUTAGE_MAX_S.  0 or -1. */
static int
reconnect(struct pgstore *p)
{
	double start = clock_mono(), wait = 0.1;
	char err[600];

	log_warn("lost the connection to PostgreSQL at %s; reconnecting (nothing is lost:"
		 " the open transaction is applied again)", p->display);
	while (clock_mono() - start < OUTAGE_MAX_S) {
		struct timespec ts = { (time_t)wait, (long)((wait - (double)(time_t)wait) * 1e9) };
		nanosleep(&ts, NULL);
		if (connect_db(p, err, sizeof err) == 0) {
			log_info("reconnected to PostgreSQL after %.1f s", clock_mono() - start);
			return 0;
		}
		wait = wait * 2 > 2.0 ? 2.0 : wait * 2;
	}
	return -1;
}

static int
write_batch(struct pgstore *p)
{
	char msg[600], why[1400];
	int rc, retries = 0;

	for (;;) {
		rc = try_batch(p, p->batch, p->nbatch, msg, sizeof msg);
		if (rc == 0)
			break;
		if (rc == 1 && PQstatus(p->conn) != CONNECTION_OK) {
			if (reconnect(p) == 0)
				continue;
			snprintf(why, sizeof why, "%s: PostgreSQL unreachable for %.0f s: %s",
				 p->display, OUTAGE_MAX_S, msg);
			fail(p, why);
			break;
		}
		if (rc == 1 && ++retries <= RETRIES_MAX) {
			struct timespec ts = { 0, (long)(rand() % 50 + 10) * 1000000L };
			nanosleep(&ts, NULL);
			continue;
		}
		snprintf(why, sizeof why, "%s: writing: %s", p->display, msg);
		fail(p, why);
		break;
	}
	for (size_t i = 0; i < p->nbatch; i++)
		store_op_done(p->replies, p->wake_fd, p->batch[i]);
	p->nbatch = 0;
	return rc == 0 ? 0 : -1;
}

static void *
writer_main(void *arg)
{
	struct pgstore *p = arg;
	struct store_op *op;

	while ((op = queue_pop(p->in, -1)) != NULL) {
		double start = clock_wall();
		if (atomic_load(&p->failed)) {
			/* keep draining: replies are answered empty */
			store_op_done(p->replies, p->wake_fd, op);
			continue;
		}
		p->batch[p->nbatch++] = op;
		while (p->nbatch < BATCH_OPS && clock_wall() - start < BATCH_S &&
		       (op = queue_pop(p->in, 0)) != NULL)
			p->batch[p->nbatch++] = op;
		if (write_batch(p) == -1)
			store_wake(p->wake_fd);
	}
	return NULL;
}

int
pg_writer_start(struct pgstore *p, struct queue *in, struct queue *replies, int wake_fd)
{
	int rc;

	if (p->batch == NULL && (p->batch = calloc(BATCH_OPS, sizeof *p->batch)) == NULL)
		return -1;
	p->in = in;
	p->replies = replies;
	p->wake_fd = wake_fd;
	if ((rc = pthread_create(&p->thread, NULL, writer_main, p)) != 0) {
		errno = rc;
		return -1;
	}
	p->running = true;
	return 0;
}

int
pg_writer_stop(struct pgstore *p)
{
	if (p->running) {
		queue_close(p->in);
		pthread_join(p->thread, NULL);
		p->running = false;
	}
	return p->failed ? -1 : 0;
}

int
pg_apply_now(struct pgstore *p, struct store_op **ops, size_t n, char *err, size_t errlen)
{
	char msg[600];
	int rc = try_batch(p, ops, n, msg, sizeof msg);

	if (rc != 0) {
		snprintf(err, errlen, "%s: writing: %s", p->display, msg);
		fail(p, err);
		return -1;
	}
	return 0;
}

bool
pg_failed(struct pgstore *p, char *msg, size_t msglen)
{
	bool failed = atomic_load(&p->failed);

	if (failed && msg != NULL)
		snprintf(msg, msglen, "%s", p->failure);
	return failed;
}

int
pg_read_body(struct pgstore *p, const char *url, char **packed, size_t *packed_len,
	     uint64_t *size, char digest[65], char **content_type, char **final_url, char *err,
	     size_t errlen)
{
	const char *params[1] = { url };
	PGresult *r;
	unsigned char *data;
	size_t n;
	int found = 0;

	*packed = *content_type = *final_url = NULL;
	r = query(p, "SELECT b.data, b.size, b.digest, b.codec, p.content_type, p.final_url"
		  " FROM pages p JOIN bodies b ON b.digest = p.body WHERE p.url = $1", 1, params, err,
		  errlen);
	if (r == NULL)
		return -1;
	if (PQntuples(r) > 0) {
		if (strcmp(PQgetvalue(r, 0, 3), BODY_CODEC) != 0) {
			snprintf(err, errlen, "stored body of %s: unknown codec '%s'", url,
				 PQgetvalue(r, 0, 3));
			found = -1;
		} else if ((data = PQunescapeBytea((const unsigned char *)PQgetvalue(r, 0, 0), &n)) ==
			   NULL || (*packed = malloc(n + 1)) == NULL) {
			PQfreemem(data);
			snprintf(err, errlen, "out of memory");
			found = -1;
		} else {
			memcpy(*packed, data, n);
			PQfreemem(data);
			*packed_len = n;
			*size = strtoull(PQgetvalue(r, 0, 1), NULL, 10);
			snprintf(digest, 65, "%s", PQgetvalue(r, 0, 2));
			*content_type = field_dup(r, 0, 4);
			*final_url = field_dup(r, 0, 5);
			found = 1;
		}
	}
	PQclear(r);
	return found;
}
