/*
 * proc.h: starting, watching and reaping worker processes.
 *
 * A worker is this same binary exec'd as "scraper --worker SITE" with one end of a
 * socketpair on descriptor 3 (WORKER_CHANNEL_FD) and every other descriptor but
 * stdin (/dev/null), stdout (/dev/null) and stderr closed: a fresh address space per
 * site, holding nothing it does not need (no database handle).
 */
#ifndef SCRAPER_PROC_H
#define SCRAPER_PROC_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

/* The worker's descriptor to the coordinator, set up here before exec. */
#define WORKER_CHANNEL_FD 3
/* A worker's exit status when a page needed more memory than its limit allows. */
#define WORKER_EXIT_NOMEM 3

/* What every worker of a crawl is told on its command line. */
struct proc_worker_opts {
	bool switch_user;	/* started as root: become uid:gid (crawl --user) */
	uid_t uid;
	gid_t gid;
	const char *ca_file;	/* crawl --ca-file, or NULL */
};

/* Start a worker for site.  On success returns its pid and sets *fd to the
 * coordinator's end of the channel (non-blocking, close-on-exec); -1 with err set on
 * failure.  The environment variable SCRAPER_WORKER_EXEC names another program to run
 * instead of this binary (the tests' misbehaving fake workers). */
pid_t proc_spawn_worker(const char *site, const struct proc_worker_opts *wo, int *fd,
			char *err, size_t errlen);

/* Look up the user workers run as: name, or "nobody" when name is NULL.  Only when
 * running as root (else wo->switch_user stays false).  0, or -1 with err set. */
int proc_worker_user(const char *name, struct proc_worker_opts *wo, char *err, size_t errlen);

/* Describe a worker's wait status in words: "exited with status 1", "killed by
 * signal 9 (Killed)", and what the worker's own deaths mean: SIGSYS is the sandbox,
 * SIGXCPU a page's CPU budget, exit status 3 a page's memory. */
void proc_describe_status(int status, char *out, size_t outlen);

#endif
