/*
 * service.h: the service's own state and the table of contents of scraper/serve/.
 *
 * One process, two kinds of thread:
 *
 *   - the main thread is the supervisor (jobs.c, sched.c): it starts job processes
 *     (fork+exec of this binary as `scraper crawl --progress-fd 3 ...`), reads their
 *     progress, reaps them, starts queued jobs and fires schedules.  Only it forks
 *     jobs, so PR_SET_PDEATHSIG (tied to the forking thread) stays valid;
 *   - libmicrohttpd's thread pool answers HTTP (api.c and the handlers).  A request
 *     never forks a job: it writes service.db under the lock and wakes the supervisor.
 *
 * struct service is the one piece of shared state.  Its mutex guards the service.db
 * connection and the table of running jobs; everything done under it is short (a few
 * SQLite statements on a small database, no network, no project database).  Reading a
 * project's database (query, items, metrics) happens outside it.
 */
#ifndef SCRAPER_SERVICE_H
#define SCRAPER_SERVICE_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include <jansson.h>
#include <sqlite3.h>

#include "buf.h"

#define SERVE_BODY_MAX (4u << 20)	/* request bodies over this get 413 */
#define SERVE_NAME_MAX 64		/* project names: [a-z0-9_-]{1,64} */
#define PROGRESS_LINE_MAX (256u << 10)	/* a longer progress line is skipped */
#define HISTORY_MAX 600			/* pages/s points kept per job */

/* One point of a job's pages/s chart. */
struct history_point {
	float t;		/* seconds since the job's process started */
	float pps;		/* pages per second then */
	int64_t done;		/* pages done then */
};

/* A job whose process is alive (or not yet reaped): the supervisor's table. */
struct job_live {
	int64_t id;
	char project[SERVE_NAME_MAX + 1];
	pid_t pid;
	int progress_fd;	/* read end of descriptor 3's pipe; -1 after EOF */
	struct buf line;	/* a progress line being read */
	bool line_skip;		/* discarding the rest of an over-long line */
	bool cancel;		/* cancelled by the API: SIGTERM sent */
	bool stopping;		/* the service is stopping: SIGTERM sent, re-queue it */
	double started;		/* clock_mono() at fork */
	json_t *progress;	/* the last progress or end event (counters), or NULL */
	double progress_at;	/* clock_mono() when it came */
	double saved_at;	/* clock_mono() when progress was last written to service.db */
	struct history_point *hist;
	size_t nhist;
	int stride;		/* keep every stride-th point (doubles when full) */
	int skipped;		/* points dropped since the last kept one */
};

/* Per-project figures for /metrics, read from the project's database (metrics.c). */
struct project_stats;

struct service {
	pthread_mutex_t lock;	/* guards db, jobs[], njobs */
	sqlite3 *db;		/* service.db */
	struct job_live *jobs;
	size_t njobs, jobs_cap;

	char *datadir;		/* absolute */
	char *pg;		/* --db: projects in PostgreSQL (pgproj.c); NULL: SQLite */
	char *token;		/* NULL: no authentication (loopback only) */
	size_t token_len;
	int max_jobs;
	int verbose;
	double started_wall, started_mono;
	char exe[4096];		/* this binary, for the job processes */
	int wake_fd[2];		/* API -> supervisor: "look at service.db" */

	pthread_mutex_t rules_lock;	/* rule-file loading (libxml2, libyaml) */

	pthread_mutex_t stats_lock;	/* guards stats[] */
	struct project_stats *stats;
	size_t nstats, stats_cap;

	struct notifier *notifier;	/* webhooks (notify.c) */
	struct MHD_Daemon *httpd;
};

/* service.c */
void service_wake(struct service *s);
/* "2025-01-31T12:00:00Z" for Unix seconds; "" when t <= 0. */
void service_iso_time(double t, char out[32]);
/* DATADIR/projects/NAME[/rest]; -1 when too long. */
int service_project_path(const struct service *s, const char *name, const char *rest,
			 char *out, size_t outlen);

/* pgproj.c: a project's database: DATADIR/projects/NAME/scraped.db, or with --db a
 * conninfo whose search_path is the project's schema (and whose statements are cut
 * off after timeout_ms, when > 0).  -1 when too long. */
int service_project_db(const struct service *s, const char *name, int timeout_ms, char *out,
		       size_t outlen);
/* With --db: create (before a job) or drop (with the project) its schema; 0 without.
 * 0, or -1 with err. */
int service_project_schema(const struct service *s, const char *name, bool create, char *err,
			   size_t errlen);

/* svcdb.c: service.db */
int svcdb_open(struct service *s, char *err, size_t errlen);
void svcdb_close(struct service *s);
/* Record an event (caller holds the lock).  job 0 = none. */
void svcdb_event(struct service *s, const char *project, int64_t job, const char *kind,
		 const char *fmt, ...) __attribute__((format(printf, 5, 6)));
/* A job as JSON (caller holds the lock); detail adds sites, history and the command.
 * NULL when there is no such job. */
json_t *svcdb_job_json(struct service *s, int64_t id, bool detail);
/* Jobs newest first, filtered by project and state (either may be NULL). */
json_t *svcdb_jobs_json(struct service *s, const char *project, const char *state,
			long limit);
/* Queue a job; its id, or -1 (409: *busy set, the active job's id in *busy_id),
 * or -2 (a database error, message in err). */
int64_t svcdb_job_add(struct service *s, const char *project, const char *trigger,
		      bool recrawl, bool fresh, int64_t *busy_id, char *err, size_t errlen);
/* The job of this project that is queued or running, or 0. */
int64_t svcdb_active_job(struct service *s, const char *project);
/* Run one statement with no result; 0 or -1 (logged). */
int svcdb_exec(struct service *s, const char *sql);

/* jobs.c: the supervisor */
int jobs_recover(struct service *s);
void jobs_tick(struct service *s);
void jobs_read_progress(struct service *s, struct job_live *j);
void jobs_reap(struct service *s);
/* Cancel (caller holds the lock): 0 done, 1 not cancellable (already ended), -1 none. */
int jobs_cancel(struct service *s, int64_t id, char *state_out, size_t statelen);
/* SIGTERM to every running job and wait for them (at most grace seconds). */
void jobs_stop_all(struct service *s, double grace);
struct job_live *jobs_find(struct service *s, int64_t id);
/* The live progress of a running job as the API's "progress" object (new ref). */
json_t *jobs_progress_json(const struct job_live *j);

/* sched.c: schedules */
void sched_tick(struct service *s);
/* Set or clear a project's schedule (caller holds the lock). */
int sched_set(struct service *s, const char *project, const char *cron_expr, char *err,
	      size_t errlen);

/* project.c: a project's files */
struct project_spec;
struct rule_errors;
/* Write the rules into a fresh folder and check them as `scraper check` does.  0 with
 * *tmpdir set (the caller installs or removes it), 1 with errors (a JSON array of
 * {file,line,col,message}) in *errors, -1 on a fault (err). */
int project_stage_rules(struct service *s, const char *name,
			const struct project_spec *spec, char **tmpdir, json_t **errors,
			char *err, size_t errlen);
/* Install staged rules and the seeds (caller holds the lock).  0 or -1. */
int project_install(struct service *s, const char *name, const struct project_spec *spec,
		    const char *tmpdir, char *err, size_t errlen);
/* Remove a folder tree (never following symbolic links). */
int project_remove_tree(const char *path);
/* The project's rules (file -> text) and seeds, read back from its folder. */
json_t *project_rules_json(struct service *s, const char *name);
json_t *project_seeds_json(struct service *s, const char *name);

/* metrics.c */
char *metrics_render(struct service *s, size_t *len);
void metrics_free(struct service *s);
void metrics_forget(struct service *s, const char *project);

/* notify.c: webhooks */
struct notifier *notify_start(struct service *s);
void notify_stop(struct notifier *n);
/* Queue a POST of body (copied) to url; never blocks. */
void notify_post(struct notifier *n, const char *project, int64_t job, const char *url,
		 const char *body);

/* api.c */
int api_start(struct service *s, const char *listen, int *port, char *err, size_t errlen);
void api_stop(struct service *s);

#endif
