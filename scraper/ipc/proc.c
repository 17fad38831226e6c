/*
 * proc.c: fork+exec of workers (see proc.h).
 */
#include "config.h"

#include "ipc/proc.h"

#include <errno.h>
#include <fcntl.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
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

pid_t
proc_spawn_worker(const char *site, const struct proc_worker_opts *wo, int *fd, char *err,
		  size_t errlen)
{
	const char *exe = getenv("SCRAPER_WORKER_EXEC");
	char **env = worker_environ();
	char uid[24], gid[24];
	char *argv[10] = { "scraper", "--worker", (char *)site };
	int sv[2], n = 3;
	pid_t pid;

	/* Built before fork: between fork and exec only async-signal-safe calls. */
	if (wo != NULL && wo->switch_user) {
		snprintf(uid, sizeof uid, "%lu", (unsigned long)wo->uid);
		snprintf(gid, sizeof gid, "%lu", (unsigned long)wo->gid);
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

	if (exe == NULL || *exe == '\0')
		exe = "/proc/self/exe";
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) == -1) {
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
	if (fcntl(sv[0], F_SETFL, fcntl(sv[0], F_GETFL) | O_NONBLOCK) == -1) {
		snprintf(err, errlen, "fcntl: %s", strerror(errno));
		close(sv[0]);
		kill(pid, SIGKILL);
		waitpid(pid, NULL, 0);
		return -1;
	}
	*fd = sv[0];
	return pid;
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
