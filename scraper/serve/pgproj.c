/*
 * pgproj.c: the service's projects on PostgreSQL (`serve --db CONNINFO`).
 *
 * service.db stays SQLite in the data folder (the service's own small state, one
 * writer).  Each project's crawl data lives in a schema of its own, scraper_NAME, in
 * the database --db names: a job's coordinator, and the export and query commands the
 * read API runs, get -d set to --db plus options=-csearch_path=scraper_NAME, so every
 * session of theirs finds and creates the project's tables (store/pg.c's migrations and
 * SQL name no schema).  Project names are [a-z0-9_-]: the schema is quoted as an
 * identifier, which keeps a '-'.
 */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include <libpq-fe.h>

#include "serve/service.h"
#include "store/pg.h"

int
service_project_db(const struct service *s, const char *name, int timeout_ms, char *out,
		   size_t outlen)
{
	char limit[64] = "";
	int n;

	if (s->pg == NULL)
		return service_project_path(s, name, "scraped.db", out, outlen);
	if (strstr(s->pg, "://") != NULL) {	/* a URI: %22 is '"', %3D '=', %20 ' ' */
		if (timeout_ms > 0)
			snprintf(limit, sizeof limit, "%%20-cstatement_timeout%%3D%d", timeout_ms);
		n = snprintf(out, outlen, "%s%coptions=-csearch_path%%3D%%22scraper_%s%%22%s", s->pg,
			     strchr(s->pg, '?') != NULL ? '&' : '?', name, limit);
	} else {
		if (timeout_ms > 0)
			snprintf(limit, sizeof limit, " -cstatement_timeout=%d", timeout_ms);
		n = snprintf(out, outlen, "%s options='-csearch_path=\"scraper_%s\"%s'", s->pg, name,
			     limit);
	}
	return n < 0 || (size_t)n >= outlen ? -1 : 0;
}

/* One statement on the service's database.  0, or -1 with err. */
static int
pg_do(const struct service *s, const char *sql, char *err, size_t errlen)
{
	char msg[600], shown[512];
	PGconn *c = PQconnectdb(s->pg);
	PGresult *r = NULL;
	int rc = -1;

	pg_display(s->pg, shown, sizeof shown);
	if (c == NULL) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	if (PQstatus(c) != CONNECTION_OK) {
		pg_message(PQerrorMessage(c), msg, sizeof msg);
		snprintf(err, errlen, "%s: cannot connect to PostgreSQL: %s", shown, msg);
	} else if (PQresultStatus(r = PQexec(c, sql)) != PGRES_COMMAND_OK) {
		pg_message(PQresultErrorMessage(r), msg, sizeof msg);
		snprintf(err, errlen, "%s: %s", shown, msg);
	} else {
		rc = 0;
	}
	PQclear(r);
	PQfinish(c);
	return rc;
}

int
service_project_schema(const struct service *s, const char *name, bool create, char *err,
		       size_t errlen)
{
	char sql[256];

	if (s->pg == NULL)
		return 0;
	if (create)
		snprintf(sql, sizeof sql, "CREATE SCHEMA IF NOT EXISTS \"scraper_%s\"", name);
	else
		snprintf(sql, sizeof sql, "DROP SCHEMA IF EXISTS \"scraper_%s\" CASCADE", name);
	return pg_do(s, sql, err, errlen);
}
