/*
 * jobs.c: the supervisor: starting, watching, stopping and reaping job processes.
 *
 * A job is one `scraper crawl` of one project, run as its own process: this binary,
 * fork+exec'd from the main thread as
 *
 *   scraper crawl -q -c P/config -d P/scraped.db --progress-fd 3 [options] P/seeds.txt
 *
 * (P = DATADIR/projects/NAME) with stdin on /dev/null, stdout and stderr appended to
 * P/jobs/ID.log, and descriptor 3 the write end of a pipe whose read end the
 * supervisor polls (non-blocking; one JSON object per line: start, progress about once
 * a second, end).  Lines longer than PROGRESS_LINE_MAX and lines that do not parse are
 * skipped: the feed informs the dashboard, it never decides a job's fate.  That is
 * decided by the exit status alone, from waitpid(pid, WNOHANG) on each job the table
 * holds (never waitpid(-1): other children, such as an items export, belong to the
 * threads that started them).
 *
 * Each job process is put in its own process group (a terminal's ^C reaches the
 * service, which then stops its jobs gracefully) and gets PR_SET_PDEATHSIG SIGTERM, so
 * when the service dies, even by SIGKILL, its jobs stop as on SIGTERM: they commit and
 * exit, and the crawl resumes from its database when the next service starts them
 * again (jobs_recover).  A crash of a job (any signal, any exit status but 0) marks
 * that job failed; nothing else is touched.
 *
 * States: queued -> running -> finished | failed | cancelled; queued -> cancelled; and
 * running -> queued when the service stops or was killed under it (the same job id,
 * its runs count goes up; jobs restart oldest first).
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "base/clock.h"
#include "base/log.h"
#include "base/oom.h"
#include "ipc/proc.h"
#include "serve/service.h"

#define SAVE_EVERY 5.0		/* seconds between progress writes to service.db */
#define RECOVER_GRACE 30.0	/* wait this long for a crawl left over from a dead service */

extern char **environ;

struct job_live *
jobs_find(struct service *s, int64_t id)
{
	for (size_t i = 0; i < s->njobs; i++) {
		if (s->jobs[i].id == id)
			return &s->jobs[i];
	}
	return NULL;
}

json_t *
jobs_progress_json(const struct job_live *j)
{
	return j->progress != NULL ? json_incref(j->progress) : json_object();
}

/* ---- recovery after a restart ---- */

/* Is pid a live `scraper crawl` of this database?  (Not our child: a crawl a killed
 * service left behind, which PR_SET_PDEATHSIG has asked to stop.) */
static bool
crawl_alive(pid_t pid, const char *db)
{
	char path[64], cmd[16384], state = '?';
	bool is_crawl = false, has_db = false;
	ssize_t n;
	FILE *f;
	int fd;

	snprintf(path, sizeof path, "/proc/%d/stat", (int)pid);
	if ((f = fopen(path, "r")) == NULL)
		return false;
	if (fscanf(f, "%*d (%*[^)]) %c", &state) != 1)
		state = '?';
	fclose(f);
	if (state == 'Z' || state == 'X')
		return false;
	snprintf(path, sizeof path, "/proc/%d/cmdline", (int)pid);
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1)
		return false;
	n = read(fd, cmd, sizeof cmd - 1);
	close(fd);
	if (n <= 0)
		return false;
	cmd[n] = '\0';
	for (char *p = cmd; p < cmd + n; p += strlen(p) + 1) {
		is_crawl |= strcmp(p, "crawl") == 0;
		has_db |= strcmp(p, db) == 0;
	}
	return is_crawl && has_db;
}

/*
 * Jobs that service.db says are running belong to a service that is gone (killed, or
 * the machine went down).  Their crawls were told to stop when it died; wait for any
 * that still run (two coordinators must never write one database), then queue the
 * jobs again, to be started first.  Called before the API starts.
 */
int
jobs_recover(struct service *s)
{
	sqlite3_stmt *st;
	int n = 0;

	if (sqlite3_prepare_v2(s->db, "SELECT id, project, pid FROM jobs WHERE state = 'running'"
				      " ORDER BY id", -1, &st, NULL) != SQLITE_OK)
		return -1;
	while (sqlite3_step(st) == SQLITE_ROW) {
		int64_t id = sqlite3_column_int64(st, 0);
		const char *project = (const char *)sqlite3_column_text(st, 1);
		pid_t pid = (pid_t)sqlite3_column_int(st, 2);
		char db[4096];
		double deadline = clock_mono() + RECOVER_GRACE;
		bool killed = false;

		service_project_db(s, project, 0, db, sizeof db);
		if (pid > 0 && crawl_alive(pid, db)) {
			log_info("job %lld: its crawl (pid %d) still runs; stopping it first",
				 (long long)id, (int)pid);
			kill(pid, SIGTERM);
			while (crawl_alive(pid, db)) {
				if (!killed && clock_mono() > deadline) {
					kill(pid, SIGKILL);
					killed = true;
				}
				usleep(20000);
			}
		}
		svcdb_event(s, project, id, "job_requeued",
			    "job %lld was running when the service stopped; queued again to resume",
			    (long long)id);
		n++;
	}
	sqlite3_finalize(st);
	if (n > 0)
		svcdb_exec(s, "UPDATE jobs SET state = 'queued', pid = NULL WHERE state = 'running'");
	return n;
}

/* ---- starting ---- */

struct job_cmd {
	char cfg[4096], db[4096], seeds[4096], log[4096];
	char workers[24], max_pages[24], max_depth[24];
	char *argv[24];
	int argc;
};

static void
cmd_add(struct job_cmd *c, char *arg)
{
	c->argv[c->argc++] = arg;
	c->argv[c->argc] = NULL;
}

/* The command line of a job: options from the project's row. */
static int
job_command(struct service *s, const char *project, int64_t id, bool recrawl, bool fresh,
	    struct job_cmd *c)
{
	sqlite3_stmt *st;
	json_t *opt = NULL;
	char rest[64];

	memset(c, 0, sizeof *c);
	snprintf(rest, sizeof rest, "jobs/%lld.log", (long long)id);
	if (service_project_path(s, project, "config", c->cfg, sizeof c->cfg) == -1 ||
	    service_project_db(s, project, 0, c->db, sizeof c->db) == -1 ||
	    service_project_path(s, project, "seeds.txt", c->seeds, sizeof c->seeds) == -1 ||
	    service_project_path(s, project, rest, c->log, sizeof c->log) == -1)
		return -1;
	if (sqlite3_prepare_v2(s->db, "SELECT options FROM projects WHERE name = ?1", -1, &st,
			       NULL) == SQLITE_OK) {
		sqlite3_bind_text(st, 1, project, -1, SQLITE_STATIC);
		if (sqlite3_step(st) == SQLITE_ROW)
			opt = json_loads((const char *)sqlite3_column_text(st, 0), 0, NULL);
		sqlite3_finalize(st);
	}
	cmd_add(c, "scraper");
	cmd_add(c, "crawl");
	cmd_add(c, "-q");
	cmd_add(c, "-c");
	cmd_add(c, c->cfg);
	cmd_add(c, "-d");
	cmd_add(c, c->db);
	cmd_add(c, "--progress-fd");
	cmd_add(c, "3");
	if (json_is_integer(json_object_get(opt, "workers"))) {
		snprintf(c->workers, sizeof c->workers, "%lld",
			 (long long)json_integer_value(json_object_get(opt, "workers")));
		cmd_add(c, "--workers");
		cmd_add(c, c->workers);
	}
	if (json_is_integer(json_object_get(opt, "max_pages"))) {
		snprintf(c->max_pages, sizeof c->max_pages, "%lld",
			 (long long)json_integer_value(json_object_get(opt, "max_pages")));
		cmd_add(c, "--max-pages");
		cmd_add(c, c->max_pages);
	}
	if (json_is_integer(json_object_get(opt, "max_depth"))) {
		snprintf(c->max_depth, sizeof c->max_depth, "%lld",
			 (long long)json_integer_value(json_object_get(opt, "max_depth")));
		cmd_add(c, "--max-depth");
		cmd_add(c, c->max_depth);
	}
	json_decref(opt);
	if (recrawl)
		cmd_add(c, "--recrawl");
	if (fresh)
		cmd_add(c, "--fresh");
	cmd_add(c, c->seeds);
	return 0;
}

/* In the child, between fork and exec: only async-signal-safe calls. */
static void __attribute__((noreturn))
job_exec(const struct job_cmd *c, int logfd, int progress, pid_t parent)
{
	sigset_t none;
	int null;

	setpgid(0, 0);
	prctl(PR_SET_PDEATHSIG, SIGTERM);
	if (getppid() != parent) /* the service died before prctl */
		_exit(127);
	signal(SIGPIPE, SIG_DFL);
	signal(SIGINT, SIG_DFL);
	signal(SIGTERM, SIG_DFL);
	signal(SIGCHLD, SIG_DFL);
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	if ((null = open("/dev/null", O_RDONLY)) == -1 || dup2(null, 0) == -1 ||
	    dup2(logfd, 1) == -1 || dup2(logfd, 2) == -1 ||
	    (progress == 3 ? fcntl(3, F_SETFD, 0) : dup2(progress, 3)) == -1)
		_exit(127);
#ifdef HAVE_CLOSE_RANGE
	if (close_range(4, ~0U, 0) == -1)
#endif
		for (int fd = 4; fd < 65536; fd++)
			close(fd);
	execve("/proc/self/exe", c->argv, environ);
	_exit(127);
}

/* Note a line in the job's log from the service itself. */
static void
log_note(const char *path, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void
log_note(const char *path, const char *fmt, ...)
{
	char iso[32], line[1024];
	va_list ap;
	int fd, n;

	service_iso_time(clock_wall(), iso);
	n = snprintf(line, sizeof line, "scraper serve: %s: ", iso);
	va_start(ap, fmt);
	vsnprintf(line + n, sizeof line - (size_t)n - 1, fmt, ap);
	va_end(ap);
	strcat(line, "\n");
	if ((fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644)) == -1)
		return;
	if (write(fd, line, strlen(line)) < 0)
		log_warn("%s: %s", path, strerror(errno));
	close(fd);
}

static void
job_failed_to_start(struct service *s, int64_t id, const char *project, const char *why)
{
	sqlite3_stmt *st;

	if (sqlite3_prepare_v2(s->db, "UPDATE jobs SET state = 'failed', started_at = ?2,"
				      " finished_at = ?2, exit_reason = ?3 WHERE id = ?1", -1, &st,
			       NULL) == SQLITE_OK) {
		sqlite3_bind_int64(st, 1, id);
		sqlite3_bind_double(st, 2, clock_wall());
		sqlite3_bind_text(st, 3, why, -1, SQLITE_STATIC);
		sqlite3_step(st);
		sqlite3_finalize(st);
	}
	svcdb_event(s, project, id, "job_failed", "job %lld could not start: %s", (long long)id, why);
}

static void
job_start(struct service *s, int64_t id, const char *project, bool recrawl, bool fresh,
	  int runs)
{
	char dir[4096], why[4600], cmdline[8192] = "";
	struct job_cmd c;
	struct job_live *j;
	sqlite3_stmt *st;
	int logfd, pfd[2];
	pid_t pid, self;

	if (job_command(s, project, id, recrawl, fresh, &c) == -1 ||
	    service_project_path(s, project, "jobs", dir, sizeof dir) == -1) {
		job_failed_to_start(s, id, project, "path too long");
		return;
	}
	if (access(c.seeds, R_OK) == -1) {
		snprintf(why, sizeof why, "%s: %s", c.seeds, strerror(errno));
		job_failed_to_start(s, id, project, why);
		return;
	}
	if (service_project_schema(s, project, true, why, sizeof why) == -1) {
		job_failed_to_start(s, id, project, why);
		return;
	}
	mkdir(dir, 0755);
	for (int i = 0; i < c.argc; i++) {
		size_t n = strlen(cmdline);
		snprintf(cmdline + n, sizeof cmdline - n, "%s%s", i ? " " : "", c.argv[i]);
	}
	log_note(c.log, "job %lld of project %s, run %d: %s", (long long)id, project, runs + 1,
		 cmdline);
	if ((logfd = open(c.log, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644)) == -1) {
		snprintf(why, sizeof why, "%s: %s", c.log, strerror(errno));
		job_failed_to_start(s, id, project, why);
		return;
	}
	if (pipe2(pfd, O_CLOEXEC) == -1) {
		snprintf(why, sizeof why, "pipe: %s", strerror(errno));
		close(logfd);
		job_failed_to_start(s, id, project, why);
		return;
	}
	self = getpid();
	if ((pid = fork()) == -1) {
		snprintf(why, sizeof why, "fork: %s", strerror(errno));
		close(logfd);
		close(pfd[0]);
		close(pfd[1]);
		job_failed_to_start(s, id, project, why);
		return;
	}
	if (pid == 0)
		job_exec(&c, logfd, pfd[1], self);
	close(logfd);
	close(pfd[1]);
	fcntl(pfd[0], F_SETFL, fcntl(pfd[0], F_GETFL) | O_NONBLOCK);

	s->jobs = xgrow(s->jobs, &s->jobs_cap, s->njobs, sizeof *s->jobs);
	j = &s->jobs[s->njobs++];
	memset(j, 0, sizeof *j);
	j->id = id;
	snprintf(j->project, sizeof j->project, "%s", project);
	j->pid = pid;
	j->progress_fd = pfd[0];
	buf_init(&j->line, PROGRESS_LINE_MAX);
	j->started = clock_mono();
	j->stride = 1;
	j->hist = xcalloc(HISTORY_MAX, sizeof *j->hist);

	if (sqlite3_prepare_v2(s->db, "UPDATE jobs SET state = 'running', pid = ?2,"
				      " started_at = coalesce(started_at, ?3), runs = runs + 1"
				      " WHERE id = ?1", -1, &st, NULL) == SQLITE_OK) {
		sqlite3_bind_int64(st, 1, id);
		sqlite3_bind_int(st, 2, (int)pid);
		sqlite3_bind_double(st, 3, clock_wall());
		if (sqlite3_step(st) != SQLITE_DONE)
			log_error("service.db: %s", sqlite3_errmsg(s->db));
		sqlite3_finalize(st);
	}
	svcdb_event(s, project, id, "job_started", "job %lld started (pid %d, run %d)",
		    (long long)id, (int)pid, runs + 1);
}

/* ---- progress ---- */

static void
history_add(struct job_live *j, json_t *ev)
{
	json_t *t = json_object_get(ev, "elapsed_s"), *pps = json_object_get(ev, "pages_per_s");
	json_t *done = json_object_get(ev, "done");

	if (!json_is_number(t) || !json_is_number(pps))
		return;
	if (++j->skipped < j->stride)
		return;
	j->skipped = 0;
	if (j->nhist == HISTORY_MAX) {
		/* Full: keep every other point and take half as many from now on. */
		for (size_t i = 0; i < HISTORY_MAX / 2; i++)
			j->hist[i] = j->hist[2 * i + 1];
		j->nhist = HISTORY_MAX / 2;
		j->stride *= 2;
	}
	j->hist[j->nhist].t = (float)json_number_value(t);
	j->hist[j->nhist].pps = (float)json_number_value(pps);
	j->hist[j->nhist].done = json_is_integer(done) ? json_integer_value(done) : 0;
	j->nhist++;
}

static void
progress_line(struct job_live *j, const char *line, size_t len)
{
	json_t *ev = json_loadb(line, len, 0, NULL);
	const char *kind;

	if (!json_is_object(ev) || (kind = json_string_value(json_object_get(ev, "event"))) == NULL) {
		json_decref(ev);
		return;
	}
	if (strcmp(kind, "progress") == 0 || strcmp(kind, "end") == 0) {
		if (strcmp(kind, "progress") == 0)
			history_add(j, ev);
		json_decref(j->progress);
		j->progress = ev;
		j->progress_at = clock_mono();
		return;
	}
	json_decref(ev);
}

void
jobs_read_progress(struct service *s, struct job_live *j)
{
	char chunk[65536];
	ssize_t n;

	(void)s;
	while (j->progress_fd != -1) {
		n = read(j->progress_fd, chunk, sizeof chunk);
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1 && errno == EAGAIN)
			return;
		if (n <= 0) {
			close(j->progress_fd);
			j->progress_fd = -1;
			return;
		}
		for (ssize_t i = 0; i < n;) {
			char *nl = memchr(chunk + i, '\n', (size_t)(n - i));
			size_t part = nl ? (size_t)(nl - (chunk + i)) : (size_t)(n - i);
			if (!j->line_skip && buf_append(&j->line, chunk + i, part) == -1) {
				j->line_skip = true; /* too long: drop up to the newline */
				buf_reset(&j->line);
			}
			i += (ssize_t)part;
			if (nl != NULL) {
				if (!j->line_skip)
					progress_line(j, j->line.data ? j->line.data : "", j->line.len);
				buf_reset(&j->line);
				j->line_skip = false;
				i++;
			}
		}
	}
}

/* Write the last progress (without the per-site table) to service.db. */
static void
progress_save(struct service *s, struct job_live *j, bool final)
{
	sqlite3_stmt *st;
	json_t *counters, *h;
	char *text = NULL, *sites = NULL, *hist = NULL;

	if (j->progress == NULL)
		return;
	counters = json_deep_copy(j->progress);
	json_object_del(counters, "sites");
	json_object_del(counters, "event");
	text = json_dumps(counters, JSON_COMPACT);
	json_decref(counters);
	if (final) {
		json_t *sv = json_object_get(j->progress, "sites");
		if (json_is_array(sv))
			sites = json_dumps(sv, JSON_COMPACT);
		h = json_array();
		for (size_t i = 0; i < j->nhist; i++)
			json_array_append_new(h, json_pack("[f,f,I]", (double)j->hist[i].t,
							    (double)j->hist[i].pps,
							    (json_int_t)j->hist[i].done));
		hist = json_dumps(h, JSON_COMPACT);
		json_decref(h);
	}
	if (sqlite3_prepare_v2(s->db, final ?
			       "UPDATE jobs SET progress = ?2, sites = ?3, history = ?4 WHERE id = ?1" :
			       "UPDATE jobs SET progress = ?2 WHERE id = ?1", -1, &st, NULL) == SQLITE_OK) {
		sqlite3_bind_int64(st, 1, j->id);
		sqlite3_bind_text(st, 2, text, -1, SQLITE_STATIC);
		if (final) {
			sqlite3_bind_text(st, 3, sites, -1, SQLITE_STATIC);
			sqlite3_bind_text(st, 4, hist, -1, SQLITE_STATIC);
		}
		sqlite3_step(st);
		sqlite3_finalize(st);
	}
	free(text);
	free(sites);
	free(hist);
	j->saved_at = clock_mono();
}

/* ---- ending ---- */

static void
notify_job(struct service *s, int64_t id, const char *project)
{
	sqlite3_stmt *st;
	json_t *rec;
	char *body;

	if (s->notifier == NULL ||
	    sqlite3_prepare_v2(s->db, "SELECT notify FROM projects WHERE name = ?1"
				      " AND notify IS NOT NULL", -1, &st, NULL) != SQLITE_OK)
		return;
	sqlite3_bind_text(st, 1, project, -1, SQLITE_STATIC);
	if (sqlite3_step(st) == SQLITE_ROW && (rec = svcdb_job_json(s, id, false)) != NULL) {
		body = json_dumps(rec, JSON_COMPACT);
		if (body != NULL)
			notify_post(s->notifier, project, id,
				    (const char *)sqlite3_column_text(st, 0), body);
		free(body);
		json_decref(rec);
	}
	sqlite3_finalize(st);
}

static void
job_ended(struct service *s, struct job_live *j, int status)
{
	const char *state;
	char why[256], logpath[4096], rest[64];
	double took = clock_mono() - j->started;
	int code = WIFEXITED(status) ? WEXITSTATUS(status) :
		   WIFSIGNALED(status) ? 128 + WTERMSIG(status) : 255;
	sqlite3_stmt *st;

	proc_describe_status(status, why, sizeof why);
	if (j->cancel)
		state = "cancelled";
	else if (j->stopping)
		state = "queued";
	else if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
		state = "finished";
	else
		state = "failed";
	progress_save(s, j, true);
	if (sqlite3_prepare_v2(s->db, "UPDATE jobs SET state = ?2, pid = NULL,"
				      " finished_at = CASE WHEN ?2 = 'queued' THEN NULL ELSE ?3 END,"
				      " exit_status = ?4, exit_reason = ?5 WHERE id = ?1", -1, &st,
			       NULL) == SQLITE_OK) {
		sqlite3_bind_int64(st, 1, j->id);
		sqlite3_bind_text(st, 2, state, -1, SQLITE_STATIC);
		sqlite3_bind_double(st, 3, clock_wall());
		sqlite3_bind_int(st, 4, code);
		sqlite3_bind_text(st, 5, why, -1, SQLITE_STATIC);
		if (sqlite3_step(st) != SQLITE_DONE)
			log_error("service.db: %s", sqlite3_errmsg(s->db));
		sqlite3_finalize(st);
	}
	snprintf(rest, sizeof rest, "jobs/%lld.log", (long long)j->id);
	if (service_project_path(s, j->project, rest, logpath, sizeof logpath) == 0)
		log_note(logpath, "job %lld: the crawl %s after %.1f s; the job is %s",
			 (long long)j->id, why, took, state);
	if (strcmp(state, "queued") == 0)
		svcdb_event(s, j->project, j->id, "job_requeued",
			    "job %lld stopped with the service (%s); queued to resume", (long long)j->id, why);
	else
		svcdb_event(s, j->project, j->id, strcmp(state, "finished") == 0 ? "job_finished" :
			    strcmp(state, "failed") == 0 ? "job_failed" : "job_cancelled",
			    "job %lld %s: the crawl %s after %.1f s", (long long)j->id, state, why, took);
	if (strcmp(state, "queued") != 0)
		notify_job(s, j->id, j->project);
}

static void
job_forget(struct service *s, size_t i)
{
	struct job_live *j = &s->jobs[i];

	if (j->progress_fd != -1)
		close(j->progress_fd);
	buf_free(&j->line);
	json_decref(j->progress);
	free(j->hist);
	s->jobs[i] = s->jobs[--s->njobs];
}

void
jobs_reap(struct service *s)
{
	for (size_t i = 0; i < s->njobs;) {
		struct job_live *j = &s->jobs[i];
		int status;
		pid_t r = waitpid(j->pid, &status, WNOHANG);

		if (r == 0 || (r == -1 && errno == EINTR)) {
			i++;
			continue;
		}
		if (r == -1) /* not our child any more?  Should not happen. */
			status = 255 << 8;
		jobs_read_progress(s, j); /* the end event, if it is there */
		job_ended(s, j, status);
		job_forget(s, i);
	}
}

/* ---- the tick ---- */

/*
 * Once per loop turn, under the lock: start queued jobs, oldest first, while fewer than
 * max_jobs run; and write each running job's progress to service.db every SAVE_EVERY
 * seconds (what a job shows if the service is killed).
 */
void
jobs_tick(struct service *s)
{
	sqlite3_stmt *st;
	double now = clock_mono();

	for (size_t i = 0; i < s->njobs; i++) {
		struct job_live *j = &s->jobs[i];
		if (j->progress != NULL && j->progress_at > j->saved_at && now - j->saved_at >= SAVE_EVERY)
			progress_save(s, j, false);
	}
	while ((int)s->njobs < s->max_jobs) {
		int64_t id;
		char project[SERVE_NAME_MAX + 1];
		bool recrawl, fresh;
		int runs;

		if (sqlite3_prepare_v2(s->db, "SELECT id, project, recrawl, fresh, runs FROM jobs"
					      " WHERE state = 'queued' ORDER BY id LIMIT 1", -1, &st,
				       NULL) != SQLITE_OK)
			return;
		if (sqlite3_step(st) != SQLITE_ROW) {
			sqlite3_finalize(st);
			return;
		}
		id = sqlite3_column_int64(st, 0);
		snprintf(project, sizeof project, "%s", (const char *)sqlite3_column_text(st, 1));
		recrawl = sqlite3_column_int(st, 2);
		fresh = sqlite3_column_int(st, 3);
		runs = sqlite3_column_int(st, 4);
		sqlite3_finalize(st);
		/* A resumed run continues the frontier: --fresh only on the first run. */
		job_start(s, id, project, recrawl, fresh && runs == 0, runs);
	}
}

int
jobs_cancel(struct service *s, int64_t id, char *state_out, size_t statelen)
{
	sqlite3_stmt *st;
	char project[SERVE_NAME_MAX + 1] = "";
	char state[16] = "";
	struct job_live *j;

	if (sqlite3_prepare_v2(s->db, "SELECT state, project FROM jobs WHERE id = ?1", -1, &st,
			       NULL) != SQLITE_OK)
		return -1;
	sqlite3_bind_int64(st, 1, id);
	if (sqlite3_step(st) == SQLITE_ROW) {
		snprintf(state, sizeof state, "%s", (const char *)sqlite3_column_text(st, 0));
		snprintf(project, sizeof project, "%s", (const char *)sqlite3_column_text(st, 1));
	}
	sqlite3_finalize(st);
	snprintf(state_out, statelen, "%s", state);
	if (state[0] == '\0')
		return -1;
	if (strcmp(state, "queued") == 0) {
		if (sqlite3_prepare_v2(s->db, "UPDATE jobs SET state = 'cancelled', finished_at = ?2,"
					      " exit_reason = 'cancelled before it started' WHERE id = ?1",
				       -1, &st, NULL) == SQLITE_OK) {
			sqlite3_bind_int64(st, 1, id);
			sqlite3_bind_double(st, 2, clock_wall());
			sqlite3_step(st);
			sqlite3_finalize(st);
		}
		svcdb_event(s, project, id, "job_cancelled", "job %lld cancelled while queued",
			    (long long)id);
		return 0;
	}
	if (strcmp(state, "running") == 0 && (j = jobs_find(s, id)) != NULL) {
		if (!j->cancel) {
			j->cancel = true;
			kill(j->pid, SIGTERM);
			svcdb_event(s, project, id, "job_cancelling",
				    "job %lld: cancel asked; SIGTERM sent to pid %d", (long long)id,
				    (int)j->pid);
		}
		return 0;
	}
	return 1;
}

/*
 * The service is stopping: SIGTERM to every job (each finishes what it has in flight,
 * commits and exits), wait for them at most grace seconds, then SIGKILL the process
 * groups of any left.  Each is recorded queued again (job_ended), to resume at the next
 * start.  Called from the main thread with the lock not held.
 */
void
jobs_stop_all(struct service *s, double grace)
{
	double deadline = clock_mono() + grace;
	bool killed = false;

	pthread_mutex_lock(&s->lock);
	for (size_t i = 0; i < s->njobs; i++) {
		if (!s->jobs[i].cancel)
			s->jobs[i].stopping = true;
		kill(s->jobs[i].pid, SIGTERM);
	}
	pthread_mutex_unlock(&s->lock);
	while (s->njobs > 0) {
		struct pollfd pfd[64];
		nfds_t n = 0;

		pthread_mutex_lock(&s->lock);
		for (size_t i = 0; i < s->njobs && n < 64; i++) {
			if (s->jobs[i].progress_fd != -1)
				jobs_read_progress(s, &s->jobs[i]);
		}
		jobs_reap(s);
		if (!killed && clock_mono() > deadline) {
			for (size_t i = 0; i < s->njobs; i++) {
				log_warn("job %lld: still running %.0f s after SIGTERM; killing it",
					 (long long)s->jobs[i].id, grace);
				kill(-s->jobs[i].pid, SIGKILL);
				kill(s->jobs[i].pid, SIGKILL);
			}
			killed = true;
		}
		for (size_t i = 0; i < s->njobs && n < 64; i++) {
			if (s->jobs[i].progress_fd != -1) {
				pfd[n].fd = s->jobs[i].progress_fd;
				pfd[n++].events = POLLIN;
			}
		}
		pthread_mutex_unlock(&s->lock);
		if (s->njobs > 0) {
			pfd[n].fd = s->wake_fd[0];
			pfd[n++].events = POLLIN;
			if (poll(pfd, n, 50) > 0 && (pfd[n - 1].revents & POLLIN)) {
				char drain[64];
				while (read(s->wake_fd[0], drain, sizeof drain) > 0)
					;
			}
		}
	}
}
