/*
 * worker.h: the worker process, one per site (see worker.c).
 *
 * A worker is started one of two ways (ipc/proc.h): exec'd as "scraper --worker SITE
 * [--uid N --gid N] [--ca-file PATH]", when it prepares itself (worker_prepare) and
 * serves; or forked by the zygote (zygote.h), which prepared once for every worker
 * it forks.  Either way worker_serve then reads SITE on WORKER_CHANNEL_FD, sets up,
 * enters the sandbox, and fetches until STOP or until its coordinator is gone.
 */
#ifndef SCRAPER_WORKER_H
#define SCRAPER_WORKER_H

#include <stdbool.h>
#include <sys/types.h>

struct sandbox_preload;

/* What the coordinator says on the worker's (or the zygote's) command line. */
struct worker_args {
	const char *site;	/* for the log, until SITE names it */
	bool switch_user;	/* started as root: become uid:gid before the network */
	uid_t uid;
	gid_t gid;
	const char *ca_file;	/* crawl --ca-file, or NULL */
};

/* Read "--uid N", "--gid N", "--ca-file PATH" from argv[first] on.  0, or -1 when
 * anything else is there. */
int worker_parse_args(int argc, char **argv, int first, struct worker_args *a);

/* What a worker process does once, whatever sites it serves: no core dumps, SIGPIPE
 * ignored, libcurl and the extractors initialised, libxml2's lazy globals made, and
 * the preloads its sandbox will need (sandbox.h).  NULL (logged) on failure. */
struct sandbox_preload *worker_prepare(void);

/* Serve sites on WORKER_CHANNEL_FD until STOP or the coordinator is gone; preload
 * (from worker_prepare) becomes the worker's.  Returns the exit status: 0 when it
 * stopped as asked or its coordinator went away, 1 when it could not do its work
 * (set-up failed, curl failed); a page that needs more memory than it may have ends
 * the process with WORKER_EXIT_NOMEM (ipc/proc.h). */
int worker_serve(const struct worker_args *a, struct sandbox_preload *preload);

/* The hidden worker mode: "scraper --worker SITE ...".  Returns the exit status. */
int worker_main(int argc, char **argv);

#endif
