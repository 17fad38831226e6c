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

#include <stddef.h>
#include <sys/types.h>

/* The worker's descriptor to the coordinator, set up here before exec. */
#define WORKER_CHANNEL_FD 3

/* Start a worker for site.  On success returns its pid and sets *fd to the
 * coordinator's end of the channel (non-blocking, close-on-exec); -1 with err set on
 * failure.  The environment variable SCRAPER_WORKER_EXEC names another program to run
 * instead of this binary (the tests' misbehaving fake workers). */
pid_t proc_spawn_worker(const char *site, int *fd, char *err, size_t errlen);

/* Describe a wait status in words: "exited with status 3", "killed by signal 9". */
void proc_describe_status(int status, char *out, size_t outlen);

#endif
