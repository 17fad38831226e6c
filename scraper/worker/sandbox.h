/*
 * sandbox.h: what a worker may do once it is set up (see sandbox.c).
 *
 * A worker parses hostile HTML.  After set-up it gives up everything fetching and
 * parsing do not need, in this order:
 *
 *   sandbox_preload      load now what libraries would otherwise open lazily
 *                        (time zone, iconv's converters)
 *   sandbox_drop_user    as root: become the unprivileged user the coordinator chose
 *   sandbox_limit        resource limits: address space, descriptors, no core files
 *   sandbox_enter        no_new_privs and the seccomp allow-list: from here on no
 *                        file can be opened, nothing exec'd, no socket but TCP made
 *
 * A system call outside the list kills the worker with SIGSYS (after one line on
 * stderr naming the call); the coordinator records it as a crash "killed by the
 * sandbox".
 */
#ifndef SCRAPER_SANDBOX_H
#define SCRAPER_SANDBOX_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "ipc/proc.h"

/* Exit status of a worker whose page needed more memory than its limit allows
 * (the coordinator says so in words). */
#define SANDBOX_EXIT_NOMEM WORKER_EXIT_NOMEM

struct sandbox_preload;

/* Load what must be loaded before the filter; NULL on out of memory (nothing is
 * then held).  Free with sandbox_preload_free. */
struct sandbox_preload *sandbox_preload(void);
void sandbox_preload_free(struct sandbox_preload *p);

/* Map a whole file (at most max bytes, not empty) read-only: its pages are the page
 * cache's, shared by every worker that maps it, where a copy would be each worker's
 * own.  Not NUL-terminated.  NULL with err set; sandbox_unmap_file(data, len) frees. */
const char *sandbox_map_file(const char *path, size_t max, size_t *len, char *err,
			     size_t errlen);
void sandbox_unmap_file(const char *data, size_t len);

/* setgroups/setgid/setuid to uid:gid, and check root cannot be had back.  Only when
 * running as root; 0, or -1 with err set. */
int sandbox_drop_user(uid_t uid, gid_t gid, char *err, size_t errlen);

/* Limits: address space (0 = none) and open descriptors, soft (this site's) and hard
 * (the most any site the worker may be given allows: the soft ones may be set again
 * up to them after the filter is on, never the hard ones).  Core files are turned off
 * by sandbox_no_core, called first thing. */
int sandbox_limit(size_t address_space, size_t address_space_max, int max_files,
		  int max_files_max, char *err, size_t errlen);
void sandbox_no_core(void);

/* The address space mapped now, in bytes (VmSize), or 0 when not known. */
size_t sandbox_mapped(void);

/* CPU budget for what follows (a page's parse and extraction): the kernel sends
 * SIGXCPU, which kills the worker, when the process has used `seconds` more CPU
 * time than it has now.  sandbox_cpu_end lifts it.  seconds <= 0: no budget. */
void sandbox_cpu_begin(double seconds);
void sandbox_cpu_end(void);

/* no_new_privs and the seccomp filter; 0, or -1 with err set. */
int sandbox_enter(char *err, size_t errlen);

/* For the tests (SCRAPER_TEST_SANDBOX): try one forbidden thing after set-up.
 * "open" opens target for writing, "read" opens it for reading, "exec" runs
 * /bin/sh, "connect" makes a unix socket, "ptrace" attaches to the parent.  The
 * filter kills the worker (or, for "read", refuses); this only returns when the
 * action was refused without a kill (it logs what happened). */
void sandbox_try_forbidden(const char *what, const char *target);

#endif
