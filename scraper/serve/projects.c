/*
 * projects.c: the API's project handlers: list, create or replace (PUT), read, delete,
 * and queue a job.
 *
 * PUT checks everything before it changes anything: the body (spec.c: 400 naming the
 * field), then the rules, written to a fresh folder and loaded as `scraper check` does
 * (400 with every error as {file, line, col, message}).  Only then, under the service
 * lock, are the files swapped in and the project's row and schedule written, so a
 * refused PUT leaves the project as it was.  Replacing a project while its job runs is
 * allowed (the running crawl has its rules loaded; the next job reads the new ones);
 * deleting it is not (409).
 *
 * One job per project: POST .../jobs while the project has a job queued or running is
 * 409 with that job's id, whether the other was queued or is running; the database's
 * unique index makes this hold under any race.
 */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/clock.h"
#include "base/log.h"
#include "serve/api.h"
#include "serve/spec.h"

/* The project's row as the API shows it, without its files; NULL when there is none.
 * Caller holds the lock. */
static json_t *
project_row_json(struct service *s, const char *name)
{
	sqlite3_stmt *st;
	json_t *o = NULL;
	int64_t last = 0, active;
	char iso[32];

	if (sqlite3_prepare_v2(s->db,
			       "SELECT p.options, p.notify, p.created_at, p.updated_at, c.cron,"
			       " c.next_run, c.last_run, (SELECT max(id) FROM jobs WHERE project = p.name)"
			       " FROM projects p LEFT JOIN schedules c ON c.project = p.name"
			       " WHERE p.name = ?1", -1, &st, NULL) != SQLITE_OK)
		return NULL;
	sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
	if (sqlite3_step(st) == SQLITE_ROW) {
		json_t *opt = json_loads((const char *)sqlite3_column_text(st, 0), 0, NULL);
		o = json_object();
		json_object_set_new(o, "name", json_string(name));
		json_object_set_new(o, "options", json_is_object(opt) ? opt : json_object());
		if (!json_is_object(opt))
			json_decref(opt);
		json_object_set_new(o, "notify", sqlite3_column_type(st, 1) == SQLITE_NULL ? json_null() :
					json_string((const char *)sqlite3_column_text(st, 1)));
		service_iso_time(sqlite3_column_double(st, 2), iso);
		json_object_set_new(o, "created_at", json_string(iso));
		service_iso_time(sqlite3_column_double(st, 3), iso);
		json_object_set_new(o, "updated_at", json_string(iso));
		json_object_set_new(o, "schedule", sqlite3_column_type(st, 4) == SQLITE_NULL ? json_null() :
					json_string((const char *)sqlite3_column_text(st, 4)));
		service_iso_time(sqlite3_column_double(st, 5), iso);
		json_object_set_new(o, "next_run", sqlite3_column_type(st, 5) == SQLITE_NULL ?
					json_null() : json_string(iso));
		service_iso_time(sqlite3_column_double(st, 6), iso);
		json_object_set_new(o, "last_run", sqlite3_column_type(st, 6) == SQLITE_NULL ?
					json_null() : json_string(iso));
		last = sqlite3_column_int64(st, 7);
	}
	sqlite3_finalize(st);
	if (o == NULL)
		return NULL;
	active = svcdb_active_job(s, name);
	json_object_set_new(o, "active_job", active ? json_integer(active) : json_null());
	json_object_set_new(o, "last_job", last ? svcdb_job_json(s, last, false) : json_null());
	if (json_object_get(o, "last_job") == NULL)
		json_object_set_new(o, "last_job", json_null());
	return o;
}

enum MHD_Result
projects_list(struct request *r)
{
	struct service *s = r->s;
	json_t *a = json_array();
	sqlite3_stmt *st;

	pthread_mutex_lock(&s->lock);
	if (sqlite3_prepare_v2(s->db, "SELECT name FROM projects ORDER BY name", -1, &st,
			       NULL) == SQLITE_OK) {
		while (sqlite3_step(st) == SQLITE_ROW) {
			json_t *p = project_row_json(s, (const char *)sqlite3_column_text(st, 0));
			if (p != NULL)
				json_array_append_new(a, p);
		}
		sqlite3_finalize(st);
	}
	pthread_mutex_unlock(&s->lock);
	return api_json(r, 200, json_pack("{s:o}", "projects", a));
}

enum MHD_Result
project_get(struct request *r, const char *name)
{
	json_t *o;

	pthread_mutex_lock(&r->s->lock);
	o = project_row_json(r->s, name);
	pthread_mutex_unlock(&r->s->lock);
	if (o == NULL)
		return api_error(r, 404, "no project \"%s\"", name);
	json_object_set_new(o, "rules", project_rules_json(r->s, name));
	json_object_set_new(o, "seeds", project_seeds_json(r->s, name));
	return api_json(r, 200, o);
}

/* Write the project's row and schedule in one transaction; caller holds the lock. */
static int
project_store(struct service *s, const char *name, const struct project_spec *spec,
	      bool *created, char *err, size_t errlen)
{
	json_t *opt = json_object();
	sqlite3_stmt *st;
	char *text;
	int rc = -1;

	if (spec->workers > 0)
		json_object_set_new(opt, "workers", json_integer(spec->workers));
	if (spec->max_pages > 0)
		json_object_set_new(opt, "max_pages", json_integer(spec->max_pages));
	if (spec->max_depth >= 0)
		json_object_set_new(opt, "max_depth", json_integer(spec->max_depth));
	text = json_dumps(opt, JSON_COMPACT | JSON_SORT_KEYS);
	json_decref(opt);
	if (svcdb_exec(s, "BEGIN IMMEDIATE") == -1) {
		free(text);
		snprintf(err, errlen, "service.db: %s", sqlite3_errmsg(s->db));
		return -1;
	}
	*created = true;
	if (sqlite3_prepare_v2(s->db, "SELECT 1 FROM projects WHERE name = ?1", -1, &st,
			       NULL) == SQLITE_OK) {
		sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
		*created = sqlite3_step(st) != SQLITE_ROW;
		sqlite3_finalize(st);
	}
	if (sqlite3_prepare_v2(s->db, "INSERT INTO projects(name, options, notify, created_at,"
				      " updated_at) VALUES (?1, ?2, ?3, ?4, ?4) ON CONFLICT(name) DO"
				      " UPDATE SET options = excluded.options, notify = excluded.notify,"
				      " updated_at = excluded.updated_at", -1, &st, NULL) != SQLITE_OK)
		goto dberr;
	sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, text, -1, SQLITE_STATIC);
	if (spec->notify != NULL)
		sqlite3_bind_text(st, 3, spec->notify, -1, SQLITE_STATIC);
	sqlite3_bind_double(st, 4, clock_wall());
	rc = sqlite3_step(st) == SQLITE_DONE ? 0 : -1;
	sqlite3_finalize(st);
	if (rc == -1)
		goto dberr;
	if ((rc = sched_set(s, name, spec->schedule, err, errlen)) != 0)
		goto fail;
	svcdb_event(s, name, 0, *created ? "project_created" : "project_replaced",
		    "project %s %s (%zu rule file%s, %zu seed%s%s%s)", name,
		    *created ? "created" : "replaced", spec->nrules, spec->nrules == 1 ? "" : "s",
		    spec->nseeds, spec->nseeds == 1 ? "" : "s",
		    spec->schedule ? ", schedule " : "", spec->schedule ? spec->schedule : "");
	free(text);
	return svcdb_exec(s, "COMMIT");
dberr:
	snprintf(err, errlen, "service.db: %s", sqlite3_errmsg(s->db));
fail:
	svcdb_exec(s, "ROLLBACK");
	free(text);
	return -1;
}

enum MHD_Result
project_put(struct request *r, const char *name)
{
	struct service *s = r->s;
	struct project_spec spec;
	char err[1024], dir[4096];
	char *tmpdir = NULL;
	json_t *errors = NULL, *o;
	bool created = false;
	int rc;

	if (spec_parse_project(&spec, r->body.data ? r->body.data : "", r->body.len, err,
			       sizeof err) == -1)
		return api_error(r, 400, "%s", err);
	rc = project_stage_rules(s, name, &spec, &tmpdir, &errors, err, sizeof err);
	if (rc != 0) {
		/* A refused first PUT leaves no folder behind. */
		if (service_project_path(s, name, NULL, dir, sizeof dir) == 0)
			rmdir(dir);
		spec_free(&spec);
		if (rc == 1)
			return api_json(r, 400, json_pack("{s:s, s:o}", "error",
							  "the rule files have errors", "errors", errors));
		return api_error(r, 500, "%s", err);
	}
	pthread_mutex_lock(&s->lock);
	rc = project_install(s, name, &spec, tmpdir, err, sizeof err);
	if (rc == 0)
		rc = project_store(s, name, &spec, &created, err, sizeof err);
	o = rc == 0 ? project_row_json(s, name) : NULL;
	pthread_mutex_unlock(&s->lock);
	project_remove_tree(tmpdir);
	free(tmpdir);
	spec_free(&spec);
	if (rc != 0)
		return api_error(r, 500, "%s", err);
	if (o == NULL)
		return api_error(r, 500, "service.db: cannot read the project back");
	json_object_set_new(o, "rules", project_rules_json(s, name));
	json_object_set_new(o, "seeds", project_seeds_json(s, name));
	return api_json(r, created ? 201 : 200, o);
}

enum MHD_Result
project_delete(struct request *r, const char *name)
{
	struct service *s = r->s;
	char dir[4096], gone[4096], err[1024];
	sqlite3_stmt *st;
	int64_t active;
	bool found = false;

	if (service_project_path(s, name, NULL, dir, sizeof dir) == -1 ||
	    service_project_path(s, ".deleted-XXXXXX", NULL, gone, sizeof gone) == -1)
		return api_error(r, 500, "path too long");
	pthread_mutex_lock(&s->lock);
	if (sqlite3_prepare_v2(s->db, "SELECT 1 FROM projects WHERE name = ?1", -1, &st,
			       NULL) == SQLITE_OK) {
		sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
		found = sqlite3_step(st) == SQLITE_ROW;
		sqlite3_finalize(st);
	}
	if (!found) {
		pthread_mutex_unlock(&s->lock);
		return api_error(r, 404, "no project \"%s\"", name);
	}
	if ((active = svcdb_active_job(s, name)) != 0) {
		pthread_mutex_unlock(&s->lock);
		return api_json(r, 409, json_pack("{s:s, s:I}", "error",
			"the project has a job queued or running: cancel it first", "job",
			(json_int_t)active));
	}
	if (sqlite3_prepare_v2(s->db, "DELETE FROM projects WHERE name = ?1;", -1, &st,
			       NULL) == SQLITE_OK) {
		sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
		sqlite3_step(st);
		sqlite3_finalize(st);
	}
	if (sqlite3_prepare_v2(s->db, "DELETE FROM jobs WHERE project = ?1", -1, &st,
			       NULL) == SQLITE_OK) {
		sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
		sqlite3_step(st);
		sqlite3_finalize(st);
	}
	svcdb_event(s, name, 0, "project_deleted", "project %s deleted with its database and logs",
		    name);
	/* Out of the way at once (a new project of that name may come next); removed after. */
	if (mkdtemp(gone) == NULL || rename(dir, gone) == -1) {
		if (errno != ENOENT)
			log_warn("%s: %s", dir, strerror(errno));
		rmdir(gone);
		gone[0] = '\0';
	}
	pthread_mutex_unlock(&s->lock);
	metrics_forget(s, name);
	if (gone[0] != '\0' && project_remove_tree(gone) == -1)
		log_warn("%s: %s", gone, strerror(errno));
	if (service_project_schema(s, name, false, err, sizeof err) == -1)
		log_warn("project %s: dropping its schema: %s", name, err);
	return api_json(r, 200, json_pack("{s:s}", "deleted", name));
}

enum MHD_Result
project_start_job(struct request *r, const char *name)
{
	struct service *s = r->s;
	char err[512];
	bool recrawl, fresh, found = false;
	int64_t id, busy = 0;
	sqlite3_stmt *st;
	json_t *o = NULL;

	if (spec_parse_job(r->body.data ? r->body.data : "", r->body.len, &recrawl, &fresh, err,
			   sizeof err) == -1)
		return api_error(r, 400, "%s", err);
	pthread_mutex_lock(&s->lock);
	if (sqlite3_prepare_v2(s->db, "SELECT 1 FROM projects WHERE name = ?1", -1, &st,
			       NULL) == SQLITE_OK) {
		sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
		found = sqlite3_step(st) == SQLITE_ROW;
		sqlite3_finalize(st);
	}
	id = found ? svcdb_job_add(s, name, "api", recrawl, fresh, &busy, err, sizeof err) : 0;
	if (id > 0)
		o = svcdb_job_json(s, id, false);
	pthread_mutex_unlock(&s->lock);
	if (!found)
		return api_error(r, 404, "no project \"%s\"", name);
	if (id == -1)
		return api_json(r, 409, json_pack("{s:s, s:I}", "error",
			"the project already has a job queued or running", "job", (json_int_t)busy));
	if (id < 0 || o == NULL)
		return api_error(r, 500, "%s", err);
	service_wake(s);
	return api_json(r, 201, o);
}
