/*
 * service.c: `scraper serve`: set-up, the supervisor's loop, and a clean stop.
 *
 * serve_run checks the options (a non-loopback address needs a token), takes DATADIR
 * (a lock file: one service per folder), opens service.db, re-queues the jobs a dead
 * service left running (jobs_recover), starts the webhook thread and the HTTP server,
 * prints "scraper serve: listening on http://ADDR:PORT" on stderr, and runs the loop.
 *
 * The loop (main thread) sleeps in poll(2) on the wake pipe and every running job's
 * progress pipe, for at most a second.  Signal handlers only set a flag and write a
 * byte to the wake pipe (SIGCHLD too), and API threads write to it when they queue or
 * cancel a job, so a new job starts at once, not at the next second.  Each turn, under
 * the service lock: read progress, reap ended jobs, start queued ones, fire due
 * schedules.
 *
 * SIGINT or SIGTERM: the HTTP server stops first (no new work), then every job gets
 * SIGTERM and up to STOP_GRACE seconds to commit and exit (jobs_stop_all; they are
 * queued again, to resume at the next start), then the webhook thread is stopped.
 */
#include "config.h"

#include "serve/serve.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "base/clock.h"
#include "base/exitcode.h"
#include "base/log.h"
#include "base/oom.h"
#include "extract.h"
#include "serve/service.h"
#include "serve/spec.h"
#include "store/pg.h"

#define STOP_GRACE 20.0		/* seconds jobs get to stop when the service stops */
#define TOKEN_MAX 4096

/* The signal handlers' only state: a flag and where to write the wake-up byte. */
static volatile sig_atomic_t stop_signal;
static int signal_wake_fd = -1;

static void
on_signal(int sig)
{
	int saved = errno;
	char c = (char)sig;

	if (sig == SIGINT || sig == SIGTERM)
		stop_signal = sig;
	if (signal_wake_fd != -1 && write(signal_wake_fd, &c, 1) < 0) {
		/* full pipe: a wake-up is pending anyway */
	}
	errno = saved;
}

void
service_wake(struct service *s)
{
	char c = 'w';

	if (write(s->wake_fd[1], &c, 1) < 0) {
		/* full: the loop will look anyway */
	}
}

void
service_iso_time(double t, char out[32])
{
	time_t secs = (time_t)t;
	struct tm tm;

	out[0] = '\0';
	if (t > 0 && gmtime_r(&secs, &tm) != NULL)
		strftime(out, 32, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

int
service_project_path(const struct service *s, const char *name, const char *rest,
		     char *out, size_t outlen)
{
	int n = snprintf(out, outlen, "%s/projects/%s%s%s", s->datadir, name, rest ? "/" : "",
			 rest ? rest : "");

	return n < 0 || (size_t)n >= outlen ? -1 : 0;
}

/* The token: the first line of the file (trimmed), else SCRAPER_TOKEN. */
static int
read_token(const struct serve_opts *o, char **token, char *err, size_t errlen)
{
	char line[TOKEN_MAX + 2];
	size_t n;
	FILE *f;

	*token = NULL;
	if (o->token_file != NULL) {
		if ((f = fopen(o->token_file, "re")) == NULL) {
			snprintf(err, errlen, "--token-file %s: %s", o->token_file, strerror(errno));
			return -1;
		}
		if (fgets(line, sizeof line, f) == NULL)
			line[0] = '\0';
		fclose(f);
	} else if (o->token != NULL) {
		snprintf(line, sizeof line, "%s", o->token);
	} else {
		return 0;
	}
	n = strcspn(line, "\r\n");
	while (n > 0 && (line[n - 1] == ' ' || line[n - 1] == '\t'))
		n--;
	line[n] = '\0';
	if (n == 0 || n > TOKEN_MAX) {
		snprintf(err, errlen, "%s: the token is empty or longer than %d bytes",
			 o->token_file ? o->token_file : "SCRAPER_TOKEN", TOKEN_MAX);
		return -1;
	}
	for (size_t i = 0; i < n; i++) {
		if ((unsigned char)line[i] <= 0x20 || line[i] == 0x7f) {
			snprintf(err, errlen, "%s: the token holds white space or control characters",
				 o->token_file ? o->token_file : "SCRAPER_TOKEN");
			return -1;
		}
	}
	*token = xstrdup(line);
	return 0;
}

static int
make_dirs(const char *path)
{
	char tmp[PATH_MAX];

	if ((size_t)snprintf(tmp, sizeof tmp, "%s", path) >= sizeof tmp)
		return -1;
	for (char *p = tmp + 1; *p != '\0'; p++) {
		if (*p == '/') {
			*p = '\0';
			if (mkdir(tmp, 0755) == -1 && errno != EEXIST)
				return -1;
			*p = '/';
		}
	}
	return mkdir(tmp, 0755) == -1 && errno != EEXIST ? -1 : 0;
}

/* One turn of the supervisor, under the lock. */
static void
supervise(struct service *s, struct pollfd *pfd, nfds_t n)
{
	pthread_mutex_lock(&s->lock);
	for (nfds_t k = 1; k < n; k++) {
		if (pfd[k].revents == 0)
			continue;
		for (size_t i = 0; i < s->njobs; i++) {
			if (s->jobs[i].progress_fd == pfd[k].fd)
				jobs_read_progress(s, &s->jobs[i]);
		}
	}
	jobs_reap(s);
	if (!stop_signal) {
		jobs_tick(s);
		sched_tick(s);
		jobs_tick(s); /* a schedule may have queued one */
	}
	pthread_mutex_unlock(&s->lock);
}

static void
run_loop(struct service *s)
{
	struct pollfd *pfd = NULL;
	size_t cap = 0;

	while (!stop_signal) {
		nfds_t n = 0;
		char drain[256];

		/* Only this thread changes jobs[]: no lock needed to read it here. */
		pfd = xgrow(pfd, &cap, s->njobs + 1, sizeof *pfd);
		pfd[n].fd = s->wake_fd[0];
		pfd[n].events = POLLIN;
		pfd[n++].revents = 0;
		for (size_t i = 0; i < s->njobs; i++) {
			if (s->jobs[i].progress_fd == -1)
				continue;
			pfd[n].fd = s->jobs[i].progress_fd;
			pfd[n].events = POLLIN;
			pfd[n++].revents = 0;
		}
		if (poll(pfd, n, 1000) == -1 && errno != EINTR) {
			log_error("poll: %s", strerror(errno));
			break;
		}
		if (pfd[0].revents & POLLIN) {
			while (read(s->wake_fd[0], drain, sizeof drain) > 0)
				;
		}
		supervise(s, pfd, n);
	}
	free(pfd);
}

static void
catch_signals(void)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof sa);
	sa.sa_handler = on_signal;
	sa.sa_flags = SA_RESTART;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGCHLD, &sa, NULL);
	sa.sa_handler = SIG_IGN;
	sigaction(SIGPIPE, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
}

static void
service_free(struct service *s)
{
	metrics_free(s);
	svcdb_close(s);
	free(s->jobs);
	free(s->datadir);
	free(s->pg);
	free(s->token);
	if (s->wake_fd[0] != -1) {
		close(s->wake_fd[0]);
		close(s->wake_fd[1]);
	}
	pthread_mutex_destroy(&s->lock);
	pthread_mutex_destroy(&s->rules_lock);
	pthread_mutex_destroy(&s->stats_lock);
}

int
serve_run(const struct serve_opts *o)
{
	struct service s;
	struct sockaddr_storage ss;
	socklen_t sslen;
	bool loopback;
	char err[1024], path[PATH_MAX], real[PATH_MAX];
	int lockfd = -1, port = 0, code = EXIT_FAILED, recovered;

	memset(&s, 0, sizeof s);
	s.wake_fd[0] = s.wake_fd[1] = -1;
	pthread_mutex_init(&s.lock, NULL);
	pthread_mutex_init(&s.rules_lock, NULL);
	pthread_mutex_init(&s.stats_lock, NULL);
	s.max_jobs = o->max_jobs;
	s.verbose = o->verbose;
	s.pg = o->db != NULL ? xstrdup(o->db) : NULL;
	log_init("serve", NULL, o->verbose > 1 ? LOGL_DEBUG : LOGL_INFO);

	if (spec_parse_listen(o->listen, &ss, &sslen, &loopback, err, sizeof err) == -1 ||
	    read_token(o, &s.token, err, sizeof err) == -1) {
		fprintf(stderr, "scraper serve: %s\n", err);
		code = EXIT_USAGE;
		goto done;
	}
	if (!loopback && s.token == NULL) {
		fprintf(stderr, "scraper serve: refusing to listen on %s without a token: anyone who"
				" can reach it could run crawls.  Give --token-file FILE or set"
				" SCRAPER_TOKEN, or listen on 127.0.0.1\n", o->listen);
		code = EXIT_USAGE;
		goto done;
	}
	s.token_len = s.token ? strlen(s.token) : 0;
	if (make_dirs(o->datadir) == -1 || realpath(o->datadir, real) == NULL) {
		fprintf(stderr, "scraper serve: %s: %s\n", o->datadir, strerror(errno));
		goto done;
	}
	s.datadir = xstrdup(real);
	snprintf(path, sizeof path, "%s/projects", s.datadir);
	if (make_dirs(path) == -1) {
		fprintf(stderr, "scraper serve: %s: %s\n", path, strerror(errno));
		goto done;
	}
	snprintf(path, sizeof path, "%s/service.lock", s.datadir);
	if ((lockfd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0644)) == -1 ||
	    flock(lockfd, LOCK_EX | LOCK_NB) == -1) {
		fprintf(stderr, "scraper serve: %s: %s\n", path,
			errno == EWOULDBLOCK ? "another scraper serve uses this data folder" :
					       strerror(errno));
		goto done;
	}
	if (pipe2(s.wake_fd, O_CLOEXEC | O_NONBLOCK) == -1) {
		fprintf(stderr, "scraper serve: pipe: %s\n", strerror(errno));
		goto done;
	}
	if (svcdb_open(&s, err, sizeof err) == -1) {
		fprintf(stderr, "scraper serve: %s\n", err);
		goto done;
	}
	ex_init();
	signal_wake_fd = s.wake_fd[1];
	catch_signals();
	s.started_wall = clock_wall();
	s.started_mono = clock_mono();

	pthread_mutex_lock(&s.lock);
	recovered = jobs_recover(&s);
	pthread_mutex_unlock(&s.lock);
	if (recovered > 0)
		log_info("%d job%s left running by the last service queued again", recovered,
			 recovered == 1 ? "" : "s");
	s.notifier = notify_start(&s);
	if (api_start(&s, o->listen, &port, err, sizeof err) == -1) {
		fprintf(stderr, "scraper serve: %s\n", err);
		notify_stop(s.notifier);
		goto done;
	}
	{
		char host[128];
		const char *colon = o->listen[0] == '[' ? strchr(o->listen, ']') + 1 :
					strrchr(o->listen, ':');
		snprintf(host, sizeof host, "%.*s", (int)(colon - o->listen), o->listen);
		if (host[0] == '\0')
			snprintf(host, sizeof host, "0.0.0.0");
		fprintf(stderr, "scraper serve: listening on http://%s:%d\n", host, port);
	}
	if (s.pg != NULL) {
		char shown[512];
		pg_display(s.pg, shown, sizeof shown);
		log_info("projects' crawl data in PostgreSQL at %s, a schema each", shown);
	}
	log_info("data in %s; at most %d job%s at once; %s", s.datadir, s.max_jobs,
		 s.max_jobs == 1 ? "" : "s", s.token ? "a token is required" : "no token (loopback only)");

	run_loop(&s);

	log_info("stopping (%s): the API first, then %zu running job%s", stop_signal == SIGINT ?
		 "SIGINT" : "SIGTERM", s.njobs, s.njobs == 1 ? "" : "s");
	api_stop(&s);
	jobs_stop_all(&s, STOP_GRACE);
	notify_stop(s.notifier);
	log_info("stopped");
	code = EXIT_DONE;
done:
	signal_wake_fd = -1;
	service_free(&s);
	if (lockfd != -1)
		close(lockfd);
	return code;
}
