/*
 * proc.h: starting, watching and reaping worker processes.
 *
 * A worker has one end of a socketpair on descriptor 3 (WORKER_CHANNEL_FD) and every
 * other descriptor but stdin (/dev/null), stdout (/dev/null) and stderr closed: it
 * holds nothing it does not need (no database handle).  It is started one of two
 * ways:
 *
 *   - forked by the crawl's zygote (worker/zygote.c), "scraper --zygote", exec'd once
 *     with the same descriptors (its socket on descriptor 3) and prepared once for
 *     every worker.  A request is one SOCK_SEQPACKET message: the site's name (1 to
 *     ZYGOTE_SITE_MAX bytes, no NUL) with the worker's end of its channel attached
 *     (SCM_RIGHTS); the answer is an int32_t, the worker's pid or -errno.  The worker
 *     is forked through a go-between that exits at once, so it is orphaned to the
 *     coordinator, which makes itself a child subreaper first: the coordinator reaps
 *     it and reads its rusage as if it had started it;
 *   - exec'd as "scraper --worker SITE", when there is no zygote (it could not start
 *     or died; SCRAPER_NO_ZYGOTE=1; SCRAPER_WORKER_EXEC, below).
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

/* The longest site name the zygote is sent (a site is host[:port]). */
#define ZYGOTE_SITE_MAX 1024

struct proc_zygote;

/* Start the zygote, making the caller a child subreaper.  NULL with err set when it
 * cannot (then workers are exec'd). */
struct proc_zygote *proc_zygote_start(const struct proc_worker_opts *wo, char *err,
				      size_t errlen);

/* Have z fork a worker for site: as proc_spawn_worker.  A zygote that fails to answer
 * (it died, or does not answer within 5 s) is stopped and fails every later call. */
pid_t proc_zygote_spawn(struct proc_zygote *z, const char *site, int *fd, char *err,
			size_t errlen);

/* Whether pid, just reaped by the caller's wait4(-1), was z's: then z is done. */
bool proc_zygote_reaped(struct proc_zygote *z, pid_t pid);

/* Close z's socket and reap it (killed if it does not exit within 2 s); frees z. */
void proc_zygote_stop(struct proc_zygote *z);

/* Look up the user workers run as: name, or "nobody" when name is NULL.  Only when
 * running as root (else wo->switch_user stays false).  0, or -1 with err set. */
int proc_worker_user(const char *name, struct proc_worker_opts *wo, char *err, size_t errlen);

/* Describe a worker's wait status in words: "exited with status 1", "killed by
 * signal 9 (Killed)", and what the worker's own deaths mean: SIGSYS is the sandbox,
 * SIGXCPU a page's CPU budget, exit status 3 a page's memory. */
void proc_describe_status(int status, char *out, size_t outlen);

#endif
