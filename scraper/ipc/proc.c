/*
 * proc.c: starting workers, by fork+exec or through the zygote (see proc.h).
 */
#include "config.h"

#include "ipc/proc.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pwd.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#ifdef HAVE_PIDFD_OPEN
#include <sys/pidfd.h>
#endif
#include <unistd.h>


/* Close every descriptor above the channel. */
static void
close_others(void)
{
	long max;

#ifdef HAVE_CLOSE_RANGE
	if (close_range(WORKER_CHANNEL_FD + 1, ~0U, 0) == 0)
		return;
#endif
	max = sysconf(_SC_OPEN_MAX);
	for (long fd = WORKER_CHANNEL_FD + 1; fd < (max > 0 ? max : 1024); fd++)
		close((int)fd);
}

/* In the child, between fork and exec: only async-signal-safe calls. */
static void
child_setup(int chan)
{
	sigset_t none;
	int null;

	signal(SIGPIPE, SIG_DFL);
	/* A terminal's ^C, and timeout(1)'s SIGTERM, reach the whole process group; the
	 * coordinator decides what the workers do about it (STOP, then SIGKILL). */
	signal(SIGINT, SIG_IGN);
	signal(SIGTERM, SIG_IGN);
	signal(SIGCHLD, SIG_DFL);
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	if (chan != WORKER_CHANNEL_FD) {
		if (dup2(chan, WORKER_CHANNEL_FD) == -1) /* dup2 clears close-on-exec */
			_exit(127);
	} else if (fcntl(chan, F_SETFD, 0) == -1) {
		_exit(127);
	}
	if ((null = open("/dev/null", O_RDWR)) == -1 ||
	    dup2(null, STDIN_FILENO) == -1 || dup2(null, STDOUT_FILENO) == -1)
		_exit(127);
	close_others();
}

extern char **environ;

/*
 * The workers' environment: ours, plus GNUTLS_NO_IMPLICIT_INIT=1.  libcurl's librtmp
 * dependency loads GnuTLS, which by default initialises itself in a library
 * constructor (and pulls in p11-kit): about 1.2 MiB of memory in every worker for a
 * library scraper never calls.  Built in the parent, before fork, because between
 * fork and exec only async-signal-safe calls are allowed (the coordinator has a
 * store thread).  NULL when out of memory (then the environment is inherited as is).
 */
static char **
worker_environ(void)
{
	static char **env;
	static const char extra[] = "GNUTLS_NO_IMPLICIT_INIT=1";
	size_t n = 0;

	if (env != NULL)
		return env;
	while (environ[n] != NULL)
		n++;
	if ((env = calloc(n + 2, sizeof *env)) == NULL)
		return NULL;
	memcpy(env, environ, n * sizeof *env);
	if (getenv("GNUTLS_NO_IMPLICIT_INIT") == NULL)
		env[n] = (char *)extra;
	return env;
}

int
proc_worker_user(const char *name, struct proc_worker_opts *wo, char *err, size_t errlen)
{
	struct passwd *pw;

	wo->switch_user = false;
	if (geteuid() != 0)
		return 0;
	errno = 0;
	if ((pw = getpwnam(name != NULL ? name : "nobody")) == NULL) {
		snprintf(err, errlen, "no user '%s' to run the workers as%s%s",
			 name != NULL ? name : "nobody", errno ? ": " : " (--user NAME chooses one)",
			 errno ? strerror(errno) : "");
		return -1;
	}
	if (pw->pw_uid == 0) {
		snprintf(err, errlen, "--user %s is root: workers must run unprivileged", pw->pw_name);
		return -1;
	}
	wo->switch_user = true;
	wo->uid = pw->pw_uid;
	wo->gid = pw->pw_gid;
	return 0;
}

/* Add the crawl-wide options to argv from n on; returns the new n.  uid and gid are
 * the caller's buffers. */
static int
worker_options(const struct proc_worker_opts *wo, char **argv, int n, char uid[24], char gid[24])
{
	if (wo != NULL && wo->switch_user) {
		snprintf(uid, 24, "%lu", (unsigned long)wo->uid);
		snprintf(gid, 24, "%lu", (unsigned long)wo->gid);
		argv[n++] = "--uid";
		argv[n++] = uid;
		argv[n++] = "--gid";
		argv[n++] = gid;
	}
	if (wo != NULL && wo->ca_file != NULL) {
		argv[n++] = "--ca-file";
		argv[n++] = (char *)wo->ca_file;
	}
	argv[n] = NULL;
	return n;
}

/* Fork and exec exe with argv, one end of a socketpair of type on its descriptor 3;
 * *fd is ours (close-on-exec, blocking).  The pid, or -1 with err set. */
static pid_t
start(const char *exe, char **argv, int type, int *fd, char *err, size_t errlen)
{
	/* Built before fork: between fork and exec only async-signal-safe calls. */
	char **env = worker_environ();
	int sv[2];
	pid_t pid;

	if (socketpair(AF_UNIX, type | SOCK_CLOEXEC, 0, sv) == -1) {
		snprintf(err, errlen, "socketpair: %s", strerror(errno));
		return -1;
	}
	switch ((pid = fork())) {
	case -1:
		snprintf(err, errlen, "fork: %s", strerror(errno));
		close(sv[0]);
		close(sv[1]);
		return -1;
	case 0:
		close(sv[0]);
		child_setup(sv[1]);
		execve(exe, argv, env != NULL ? env : environ);
		_exit(127);
	}
	close(sv[1]);
	*fd = sv[0];
	return pid;
}

/* Make the coordinator's end of a worker's channel non-blocking; -1 (err set) kills
 * the worker. */
static int
own_channel(pid_t pid, int fd, char *err, size_t errlen)
{
	if (fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK) == 0)
		return 0;
	snprintf(err, errlen, "fcntl: %s", strerror(errno));
	close(fd);
	kill(pid, SIGKILL);
	waitpid(pid, NULL, 0);
	return -1;
}

pid_t
proc_spawn_worker(const char *site, const struct proc_worker_opts *wo, int *fd, char *err,
		  size_t errlen)
{
	const char *exe = getenv("SCRAPER_WORKER_EXEC");
	char uid[24], gid[24];
	char *argv[10] = { "scraper", "--worker", (char *)site };
	pid_t pid;

	worker_options(wo, argv, 3, uid, gid);
	if (exe == NULL || *exe == '\0')
		exe = "/proc/self/exe";
	if ((pid = start(exe, argv, SOCK_STREAM, fd, err, errlen)) == -1 ||
	    own_channel(pid, *fd, err, errlen) == -1)
		return -1;
	return pid;
}

/* ---- the zygote ---- */

struct proc_zygote {
	pid_t pid;
	int fd;			/* its socket; -1 once it failed */
	bool reaped;		/* by the caller's wait4(-1) */
};

struct proc_zygote *
proc_zygote_start(const struct proc_worker_opts *wo, char *err, size_t errlen)
{
	char uid[24], gid[24];
	char *argv[10] = { "scraper", "--zygote" };
	struct proc_zygote *z;

	if (prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) == -1) {
		snprintf(err, errlen, "prctl(PR_SET_CHILD_SUBREAPER): %s", strerror(errno));
		return NULL;
	}
	if ((z = calloc(1, sizeof *z)) == NULL) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	worker_options(wo, argv, 2, uid, gid);
	if ((z->pid = start("/proc/self/exe", argv, SOCK_SEQPACKET, &z->fd, err, errlen)) == -1) {
		free(z);
		return NULL;
	}
	return z;
}

/* z failed: no more requests (it is reaped by proc_zygote_stop, or by the caller). */
static void
zygote_failed(struct proc_zygote *z)
{
	if (z->fd == -1)
		return;
	close(z->fd);
	z->fd = -1;
	if (!z->reaped)
		kill(z->pid, SIGKILL);
}

pid_t
proc_zygote_spawn(struct proc_zygote *z, const char *site, int *fd, char *err,
		  size_t errlen)
{
	union {
		struct cmsghdr h;
		char buf[CMSG_SPACE(sizeof(int))];
	} cm;
	struct iovec iov = { (char *)site, strlen(site) };
	struct msghdr mh = { 0 };
	struct pollfd pfd;
	int sv[2], rc;
	int32_t answer;
	ssize_t n;

	if (z->fd == -1) {
		snprintf(err, errlen, "the zygote is gone");
		return -1;
	}
	if (iov.iov_len == 0 || iov.iov_len > ZYGOTE_SITE_MAX) {
		snprintf(err, errlen, "a site name of %zu bytes", iov.iov_len);
		return -1;
	}
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) == -1) {
		snprintf(err, errlen, "socketpair: %s", strerror(errno));
		return -1;
	}
	mh.msg_iov = &iov;
	mh.msg_iovlen = 1;
	mh.msg_control = cm.buf;
	mh.msg_controllen = sizeof cm.buf;
	cm.h.cmsg_level = SOL_SOCKET;
	cm.h.cmsg_type = SCM_RIGHTS;
	cm.h.cmsg_len = CMSG_LEN(sizeof(int));
	memcpy(CMSG_DATA(&cm.h), &sv[1], sizeof(int));
	while ((n = sendmsg(z->fd, &mh, MSG_NOSIGNAL)) == -1 && errno == EINTR)
		;
	close(sv[1]);
	if (n == -1) {
		snprintf(err, errlen, "the zygote: sendmsg: %s", strerror(errno));
		goto failed;
	}
	pfd.fd = z->fd;
	pfd.events = POLLIN;
	while ((rc = poll(&pfd, 1, 5000)) == -1 && errno == EINTR)
		;
	if (rc != 1) {
		snprintf(err, errlen, "the zygote: %s", rc == 0 ? "no answer in 5 s" : strerror(errno));
		goto failed;
	}
	while ((n = recv(z->fd, &answer, sizeof answer, 0)) == -1 && errno == EINTR)
		;
	if (n != (ssize_t)sizeof answer) {
		snprintf(err, errlen, "the zygote: %s",
			 n == -1 ? strerror(errno) : n == 0 ? "it is gone" : "a short answer");
		goto failed;
	}
	if (answer <= 0) {
		snprintf(err, errlen, "the zygote: fork: %s", strerror(answer < 0 ? -answer : EPROTO));
		close(sv[0]);
		return -1;
	}
	if (own_channel((pid_t)answer, sv[0], err, errlen) == -1)
		return -1;
	*fd = sv[0];
	return (pid_t)answer;
failed:
	close(sv[0]);
	zygote_failed(z);
	return -1;
}

bool
proc_zygote_reaped(struct proc_zygote *z, pid_t pid)
{
	if (z == NULL || pid != z->pid)
		return false;
	z->reaped = true;
	zygote_failed(z);
	return true;
}

void
proc_zygote_stop(struct proc_zygote *z)
{
	int pfd = -1;

	if (z == NULL)
		return;
	if (!z->reaped) {
#ifdef HAVE_PIDFD_OPEN
		pfd = pidfd_open(z->pid, 0);
#endif
		if (z->fd != -1)
			close(z->fd); /* it exits when it reads the end */
		z->fd = -1;
		if (pfd != -1) {
			struct pollfd p = { .fd = pfd, .events = POLLIN };
			while (poll(&p, 1, 2000) == -1 && errno == EINTR)
				;
			if (!(p.revents & POLLIN))
				kill(z->pid, SIGKILL);
			close(pfd);
		} else {
			kill(z->pid, SIGKILL);
		}
		while (waitpid(z->pid, NULL, 0) == -1 && errno == EINTR)
			;
	}
	free(z);
}

void
proc_describe_status(int status, char *out, size_t outlen)
{
	if (WIFEXITED(status) && WEXITSTATUS(status) == WORKER_EXIT_NOMEM)
		snprintf(out, outlen, "ran out of memory: a page needed more than its "
				      "max_memory_mb allows (exited with status %d)", WEXITSTATUS(status));
	else if (WIFEXITED(status))
		snprintf(out, outlen, "exited with status %d", WEXITSTATUS(status));
	else if (WIFSIGNALED(status) && WTERMSIG(status) == SIGSYS)
		snprintf(out, outlen, "killed by the sandbox (SIGSYS: a system call it forbids)");
	else if (WIFSIGNALED(status) && WTERMSIG(status) == SIGXCPU)
		snprintf(out, outlen, "killed: a page took more CPU time than max_page_cpu allows "
				      "(SIGXCPU)");
	else if (WIFSIGNALED(status))
		snprintf(out, outlen, "killed by signal %d (%s)%s", WTERMSIG(status),
			 strsignal(WTERMSIG(status)), WCOREDUMP(status) ? ", core dumped" : "");
	else
		snprintf(out, outlen, "stopped (status 0x%x)", (unsigned)status);
}
