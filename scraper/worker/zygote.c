/*
 * zygote.c: one process that prepares a worker once and forks every worker of a crawl.
 *
 * An exec'd worker spends about 7 ms of CPU before its first request: the dynamic
 * loader binds some 45 libraries (libcurl's dependencies are most of them), libcurl
 * and OpenSSL initialise, libxml2 makes its globals, the charset tables are built.  A
 * broad crawl pays that for every worker it starts.  The zygote pays it once, at its
 * own start (worker_prepare), then forks: a forked worker begins with all of it done,
 * and shares those pages with the zygote and its siblings (copy on write) instead of
 * dirtying its own copy.
 *
 * What it is asked (ipc/proc.h): one SOCK_SEQPACKET message per worker on
 * WORKER_CHANNEL_FD, the site's name, with the worker's end of its channel attached
 * (SCM_RIGHTS).  The zygote forks a go-between that forks the worker, tells the zygote
 * its pid and exits at once; the zygote reaps the go-between, then answers with the
 * worker's pid (or -errno).  So the worker is orphaned to the coordinator, a child
 * subreaper (PR_SET_CHILD_SUBREAPER), before the coordinator hears of it; the
 * coordinator reaps it and reads its rusage with wait4 as it would an exec'd worker's.
 *
 * The worker keeps nothing of the zygote's: its channel replaces the zygote's socket
 * on WORKER_CHANNEL_FD, and worker_serve goes on as in an exec'd worker (its user, its
 * limits and its seccomp filter are set after SITE, in the worker).  The zygote itself
 * never sees a rule, a page or the network, and holds no database.  It exits when the
 * coordinator closes its socket.
 */
#include "config.h"

#include "worker/zygote.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <curl/curl.h>

#include "base/log.h"
#include "ipc/proc.h"
#include "worker/sandbox.h"
#include "worker/worker.h"

/* Answer the coordinator: the worker's pid, or -errno. */
static void
answer(int32_t v)
{
	while (send(WORKER_CHANNEL_FD, &v, sizeof v, MSG_NOSIGNAL) == -1 && errno == EINTR)
		;
}

/* In the worker, just forked: the channel takes the socket's place, then serve. */
static void
become_worker(int chan, char *site, struct worker_args *a, struct sandbox_preload *preload)
{
	if (dup2(chan, WORKER_CHANNEL_FD) == -1) /* closes the zygote's socket */
		_exit(127);
	close(chan);
	signal(SIGCHLD, SIG_DFL);
	a->site = site;
	exit(worker_serve(a, preload));
}

/*
 * Read one request: the site's name into site (NUL-terminated), the channel into
 * *chan.  1: a request; 0: the coordinator closed the socket; -1: an error (logged);
 * 2: a malformed request (answered).
 */
static int
next_request(char *site, size_t sitelen, int *chan)
{
	union {
		struct cmsghdr h;
		char buf[CMSG_SPACE(sizeof(int))];
	} cm;
	struct iovec iov = { site, sitelen - 1 };
	struct msghdr mh = { 0 };
	struct cmsghdr *h;
	ssize_t n;

	*chan = -1;
	mh.msg_iov = &iov;
	mh.msg_iovlen = 1;
	mh.msg_control = cm.buf;
	mh.msg_controllen = sizeof cm.buf;
	while ((n = recvmsg(WORKER_CHANNEL_FD, &mh, MSG_CMSG_CLOEXEC)) == -1 && errno == EINTR)
		;
	if (n == 0)
		return 0; /* (a site's name is never empty: no request reads as 0) */
	if (n == -1) {
		log_error("zygote: recvmsg: %s", strerror(errno));
		return -1;
	}
	for (h = CMSG_FIRSTHDR(&mh); h != NULL; h = CMSG_NXTHDR(&mh, h)) {
		if (h->cmsg_level == SOL_SOCKET && h->cmsg_type == SCM_RIGHTS &&
		    h->cmsg_len == CMSG_LEN(sizeof(int)) && *chan == -1)
			memcpy(chan, CMSG_DATA(h), sizeof *chan);
	}
	if (*chan == -1 || (mh.msg_flags & (MSG_TRUNC | MSG_CTRUNC))) {
		if (*chan != -1)
			close(*chan);
		answer(-EPROTO);
		return 2;
	}
	site[n] = '\0';
	return 1;
}

/*
 * Fork the worker for one request, through a go-between (above).  The go-between
 * hands the worker's pid back on a pipe and exits; the answer goes only once it has
 * been reaped, so the worker is the coordinator's child before the coordinator hears
 * of it.
 */
static void
spawn(int chan, char *site, struct worker_args *a, struct sandbox_preload *preload)
{
	int32_t got = -EPROTO;
	int p[2];
	pid_t mid, pid;

	if (pipe2(p, O_CLOEXEC) == -1) {
		answer(-errno);
		return;
	}
	switch ((mid = fork())) {
	case -1:
		got = -errno;
		close(p[1]);
		break;
	case 0:
		close(p[0]);
		if ((pid = fork()) == 0) {
			close(p[1]);
			become_worker(chan, site, a, preload);
		}
		got = pid == -1 ? -errno : (int32_t)pid;
		if (write(p[1], &got, sizeof got) != (ssize_t)sizeof got)
			_exit(1);
		_exit(0);
	default:
		close(p[1]);
		while (read(p[0], &got, sizeof got) == -1 && errno == EINTR)
			;
		while (waitpid(mid, NULL, 0) == -1 && errno == EINTR)
			;
	}
	close(p[0]);
	answer(got);
}

int
zygote_main(int argc, char **argv)
{
	struct worker_args a = { 0 };
	struct sandbox_preload *preload;
	char site[ZYGOTE_SITE_MAX + 1];
	int chan, rc;

	if (worker_parse_args(argc, argv, 2, &a) == -1) {
		fprintf(stderr, "scraper --zygote is started by 'scraper crawl', not by hand\n");
		return 2;
	}
	prctl(PR_SET_NAME, "scraper-zygote", 0, 0, 0);
	log_init("zygote", NULL, LOGL_WARN);
	if ((preload = worker_prepare()) == NULL) {
		log_error("cannot prepare the workers");
		return 1;
	}
	while ((rc = next_request(site, sizeof site, &chan)) > 0) {
		if (rc == 1) {
			spawn(chan, site, &a, preload);
			close(chan);
		}
	}
	sandbox_preload_free(preload);
	curl_global_cleanup();
	return rc == 0 ? 0 : 1;
}
