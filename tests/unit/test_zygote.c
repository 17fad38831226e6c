/*
 * test_zygote.c: the zygote (scraper/worker/zygote.c) and its client (ipc/proc.c).
 *
 * This binary is its own zygote: run as "--zygote" it is one (main, below), so
 * proc_zygote_start's exec of /proc/self/exe starts the real zygote code.  A worker it
 * forks is this process's child (the go-between orphans it to us, a subreaper): alive
 * until its channel closes, then it exits 0, reaped here.  Broken requests (no
 * channel attached, a name longer than the zygote reads) are answered -EPROTO and
 * the zygote serves the next; names the client must not send are refused before they
 * go; the zygote exits 0 when its socket closes.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "ipc/proc.h"
#include "worker/zygote.h"
#include "unit.h"

static char *self_argv[] = { "test_zygote", "--zygote", NULL };

/* A worker's channel closed before SITE: it exits 0, and it is our child. */
static void
end_worker(pid_t pid, int fd)
{
	int status;

	assert_int_equal(waitpid(pid, &status, WNOHANG), 0); /* ours, and alive */
	close(fd);
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 0);
}

static void
test_spawn(void **state)
{
	struct proc_worker_opts wo = { 0 };
	struct proc_zygote *z;
	char err[256];
	pid_t a, b;
	int fa, fb;

	z = proc_zygote_start(&wo, err, sizeof err);
	assert_non_null(z);
	a = proc_zygote_spawn(z, "127.0.0.1:1", &fa, err, sizeof err);
	assert_true(a > 0);
	b = proc_zygote_spawn(z, "example.org", &fb, err, sizeof err);
	assert_true(b > 0 && b != a);
	assert_true(fcntl(fa, F_GETFL) & O_NONBLOCK);
	end_worker(a, fa);
	end_worker(b, fb);
	proc_zygote_stop(z); /* reaps the zygote: nothing of ours is left */
	assert_int_equal(waitpid(-1, NULL, WNOHANG), -1);
	assert_int_equal(errno, ECHILD);
}

static void
test_names_refused(void **state)
{
	struct proc_worker_opts wo = { 0 };
	char err[256], big[ZYGOTE_SITE_MAX + 2];
	struct proc_zygote *z = proc_zygote_start(&wo, err, sizeof err);
	pid_t pid;
	int fd;

	assert_non_null(z);
	assert_int_equal(proc_zygote_spawn(z, "", &fd, err, sizeof err), -1);
	assert_non_null(strstr(err, "0 bytes"));
	memset(big, 'a', sizeof big - 1);
	big[sizeof big - 1] = '\0';
	assert_int_equal(proc_zygote_spawn(z, big, &fd, err, sizeof err), -1);
	assert_non_null(strstr(err, "1025 bytes"));
	/* neither went to the zygote, which still serves */
	pid = proc_zygote_spawn(z, "ok", &fd, err, sizeof err);
	assert_true(pid > 0);
	end_worker(pid, fd);
	proc_zygote_stop(z);
}

/* A zygote on a socket of our own, for requests the client never sends. */
static pid_t
raw_zygote(int *ctl)
{
	int sv[2], null;
	pid_t pid;

	assert_int_equal(socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv), 0);
	assert_true((pid = fork()) != -1);
	if (pid == 0) {
		null = open("/dev/null", O_RDWR);
		dup2(null, STDOUT_FILENO);
		dup2(sv[1], WORKER_CHANNEL_FD);
		execv("/proc/self/exe", self_argv);
		_exit(127);
	}
	close(sv[1]);
	*ctl = sv[0];
	return pid;
}

static int32_t
ask(int ctl, const void *name, size_t len, int fd)
{
	union {
		struct cmsghdr h;
		char buf[CMSG_SPACE(sizeof(int))];
	} cm;
	struct iovec iov = { (void *)name, len };
	struct msghdr mh = { 0 };
	int32_t answer = 0;

	mh.msg_iov = &iov;
	mh.msg_iovlen = 1;
	if (fd != -1) {
		mh.msg_control = cm.buf;
		mh.msg_controllen = sizeof cm.buf;
		cm.h.cmsg_level = SOL_SOCKET;
		cm.h.cmsg_type = SCM_RIGHTS;
		cm.h.cmsg_len = CMSG_LEN(sizeof(int));
		memcpy(CMSG_DATA(&cm.h), &fd, sizeof fd);
	}
	assert_int_equal(sendmsg(ctl, &mh, MSG_NOSIGNAL), (ssize_t)len);
	assert_int_equal(recv(ctl, &answer, sizeof answer, 0), (ssize_t)sizeof answer);
	return answer;
}

static void
test_broken_requests(void **state)
{
	char big[4096];
	int ctl, sv[2], status;
	pid_t z = raw_zygote(&ctl), pid;

	/* no channel attached */
	assert_int_equal(ask(ctl, "example.org", 11, -1), -EPROTO);
	/* a name longer than the zygote reads: cut, so refused (the channel is closed) */
	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv), 0);
	memset(big, 'a', sizeof big);
	assert_int_equal(ask(ctl, big, sizeof big, sv[1]), -EPROTO);
	close(sv[1]);
	{
		char c;
		assert_int_equal(read(sv[0], &c, 1), 0); /* the zygote kept no copy of it */
	}
	close(sv[0]);
	/* and the next request is served */
	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv), 0);
	pid = ask(ctl, "example.org", 11, sv[1]);
	close(sv[1]);
	assert_true(pid > 0);
	end_worker(pid, sv[0]);
	/* the socket closed: the zygote exits 0 */
	close(ctl);
	assert_int_equal(waitpid(z, &status, 0), z);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 0);
}

int
main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_spawn),
		cmocka_unit_test(test_names_refused),
		cmocka_unit_test(test_broken_requests),
	};

	if (argc >= 2 && strcmp(argv[1], "--zygote") == 0)
		return zygote_main(argc, argv);
	signal(SIGPIPE, SIG_IGN);
	/* the workers are ours, as they are a crawl's (proc_zygote_start does it too) */
	if (prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) == -1)
		return 99;
	return RUN(tests);
}
