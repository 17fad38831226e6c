/*
 * sched.c: recurring jobs: one cron expression (UTC) per project.
 *
 * A schedule is a row of service.db: the expression, the next time it is due
 * (next_run, Unix seconds) and the last time it fired.  The due time is data, not a
 * timer: each turn of the supervisor's loop asks service.db for schedules whose
 * next_run has come, so what decides a run is the stored time and the clock, and a
 * test (or an operator) can move next_run with plain SQL instead of waiting minutes.
 *
 * When a schedule is due: if the project already has a job queued or running, this run
 * is skipped and recorded as an event (never two runs of one project); else a job is
 * queued with trigger "schedule".  Either way next_run becomes the first matching
 * minute after now, not after the old next_run, so after downtime at most one missed
 * run starts, however many were missed.
 */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include "base/clock.h"
#include "base/log.h"
#include "serve/cron.h"
#include "serve/service.h"

struct due {
	char project[SERVE_NAME_MAX + 1];
	char cron[CRON_MAX_LEN + 1];
	int64_t next_run;
};

static void
sched_fire(struct service *s, const struct due *d, int64_t now)
{
	struct cron c;
	int64_t next = 0, busy, id;
	char err[256], due_iso[32], next_iso[32];
	sqlite3_stmt *st;
	bool has_next;

	has_next = cron_parse(&c, d->cron, err, sizeof err) == 0 && cron_next(&c, now, &next) == 0;
	service_iso_time((double)d->next_run, due_iso);
	service_iso_time((double)next, next_iso);
	if ((busy = svcdb_active_job(s, d->project)) != 0) {
		svcdb_event(s, d->project, busy, "schedule_skipped",
			    "scheduled run due at %s skipped: job %lld is still queued or running",
			    due_iso, (long long)busy);
	} else {
		id = svcdb_job_add(s, d->project, "schedule", false, false, &busy, err, sizeof err);
		if (id > 0)
			svcdb_event(s, d->project, id, "schedule_started",
				    "scheduled run due at %s started as job %lld%s", due_iso,
				    (long long)id,
				    now - d->next_run >= 60 ? " (late: the service was down; missed runs"
							      " are not made up)" : "");
		else if (id == -2)
			log_error("schedule of %s: %s", d->project, err);
	}
	if (sqlite3_prepare_v2(s->db, "UPDATE schedules SET last_run = ?2, next_run = ?3"
				      " WHERE project = ?1", -1, &st, NULL) == SQLITE_OK) {
		sqlite3_bind_text(st, 1, d->project, -1, SQLITE_STATIC);
		sqlite3_bind_int64(st, 2, now);
		if (has_next)
			sqlite3_bind_int64(st, 3, next);
		sqlite3_step(st);
		sqlite3_finalize(st);
	}
}

void
sched_tick(struct service *s)
{
	int64_t now = (int64_t)clock_wall();
	struct due due[16];
	size_t n = 0;
	sqlite3_stmt *st;

	if (sqlite3_prepare_v2(s->db, "SELECT project, cron, next_run FROM schedules"
				      " WHERE next_run <= ?1 ORDER BY next_run LIMIT 16", -1, &st,
			       NULL) != SQLITE_OK)
		return;
	sqlite3_bind_int64(st, 1, now);
	while (n < 16 && sqlite3_step(st) == SQLITE_ROW) {
		snprintf(due[n].project, sizeof due[n].project, "%s", sqlite3_column_text(st, 0));
		snprintf(due[n].cron, sizeof due[n].cron, "%s", sqlite3_column_text(st, 1));
		due[n].next_run = sqlite3_column_int64(st, 2);
		n++;
	}
	sqlite3_finalize(st);
	for (size_t i = 0; i < n; i++)
		sched_fire(s, &due[i], now);
}

int
sched_set(struct service *s, const char *project, const char *expr, char *err, size_t errlen)
{
	struct cron c;
	int64_t next;
	sqlite3_stmt *st;
	int rc = -1;

	if (expr == NULL) {
		if (sqlite3_prepare_v2(s->db, "DELETE FROM schedules WHERE project = ?1", -1, &st,
				       NULL) != SQLITE_OK)
			goto dberr;
		sqlite3_bind_text(st, 1, project, -1, SQLITE_STATIC);
		rc = sqlite3_step(st) == SQLITE_DONE ? 0 : -1;
		sqlite3_finalize(st);
		if (rc == -1)
			goto dberr;
		return 0;
	}
	if (cron_parse(&c, expr, err, errlen) == -1)
		return -1;
	if (cron_next(&c, (int64_t)clock_wall(), &next) == -1) {
		snprintf(err, errlen, "schedule: \"%s\" never matches", expr);
		return -1;
	}
	/* The same expression again keeps its next_run (a PUT of an unchanged project moves
	 * nothing); a new one starts from now. */
	if (sqlite3_prepare_v2(s->db, "INSERT INTO schedules(project, cron, next_run)"
				      " VALUES (?1, ?2, ?3) ON CONFLICT(project) DO UPDATE SET"
				      " next_run = CASE WHEN cron = excluded.cron THEN next_run"
				      " ELSE excluded.next_run END, cron = excluded.cron", -1, &st,
			       NULL) != SQLITE_OK)
		goto dberr;
	sqlite3_bind_text(st, 1, project, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, expr, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 3, next);
	rc = sqlite3_step(st) == SQLITE_DONE ? 0 : -1;
	sqlite3_finalize(st);
	if (rc == 0)
		return 0;
dberr:
	snprintf(err, errlen, "service.db: %s", sqlite3_errmsg(s->db));
	return -2;
}
