/*
 * sandbox.c: the worker's seccomp filter, user switch and resource limits (see
 * sandbox.h).
 *
 * The filter is an allow-list (libseccomp).  What a worker needs after set-up is
 * small: read and write the descriptors it holds (its channel, stderr, its TCP
 * connections), make TCP sockets and connect them, wait (poll), allocate memory,
 * tell the time, and exit.  Everything it would otherwise open lazily is loaded
 * before the filter goes on:
 *
 *   - DNS: the coordinator looks the worker's one host up (crawl/resolve.c) and
 *     sends the addresses in SITE; the worker looks its proxy's up before the filter,
 *     and hands them all to curl (CURLOPT_RESOLVE, worker.c), so curl's resolver,
 *     which reads /etc/hosts, /etc/resolv.conf and nsswitch.conf at every lookup and
 *     starts a thread for it, never runs;
 *   - TLS: the CA bundle is mapped into memory and given as CURLOPT_CAINFO_BLOB
 *     (OpenSSL would otherwise read the file at every new connection); mapped, not
 *     copied, its pages are the page cache's, shared by all workers;
 *   - iconv: the single-byte encodings the HTML standard names become tables
 *     (from iconv itself), and the converters of the others are
 *     opened once and held (glibc loads each from a shared object on first use):
 *     charset_load;
 *   - the time zone (tzset).
 *
 * Opening a file read-only is refused with EACCES rather than fatal: a library that
 * still tries (a converter for an encoding the standard does not name, say) fails
 * the way it fails on a machine without the file, and the worker goes on.  Every
 * other open (write, create, truncate), exec, fork, unix sockets, ptrace and the
 * rest are fatal.  A fatal call raises SIGSYS (SECCOMP_RET_TRAP); the handler writes
 * one line naming the call and the worker dies of SIGSYS, which the coordinator
 * records as "killed by the sandbox".  Mapping memory executable is fatal too, so no
 * new code can be loaded.
 */
#include "config.h"

#include "worker/sandbox.h"

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <sched.h>
#include <math.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/ptrace.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#include <seccomp.h>

#include "base/log.h"
#include "worker/charset.h"

#if defined(__SANITIZE_ADDRESS__)
#define SANDBOX_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define SANDBOX_ASAN 1
#endif
#endif

/* ---- preloading ---- */

struct sandbox_preload {
	struct charset_loaded *charsets;
};

struct sandbox_preload *
sandbox_preload(void)
{
	struct sandbox_preload *p = calloc(1, sizeof *p);

	if (p == NULL)
		return NULL;
	tzset();
	if ((p->charsets = charset_load()) == NULL) {
		free(p);
		return NULL;
	}
	return p;
}

void
sandbox_preload_free(struct sandbox_preload *p)
{
	if (p == NULL)
		return;
	charset_loaded_free(p->charsets);
	free(p);
}

const char *
sandbox_map_file(const char *path, size_t max, size_t *len, char *err, size_t errlen)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	struct stat st;
	void *data;

	if (fd == -1 || fstat(fd, &st) == -1) {
		snprintf(err, errlen, "cannot read %s: %s", path, strerror(errno));
		if (fd != -1)
			close(fd);
		return NULL;
	}
	if (!S_ISREG(st.st_mode) || st.st_size == 0 || (size_t)st.st_size > max) {
		snprintf(err, errlen, "cannot read %s: %s", path,
			 !S_ISREG(st.st_mode) ? "not a regular file" :
			 st.st_size == 0 ? "empty" : "too large");
		close(fd);
		return NULL;
	}
	data = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
	if (data == MAP_FAILED) {
		snprintf(err, errlen, "cannot map %s: %s", path, strerror(errno));
		close(fd);
		return NULL;
	}
	close(fd);
	*len = (size_t)st.st_size;
	return data;
}

void
sandbox_unmap_file(const char *data, size_t len)
{
	if (data != NULL)
		munmap((void *)data, len);
}

/* ---- the user and the limits ---- */

int
sandbox_drop_user(uid_t uid, gid_t gid, char *err, size_t errlen)
{
	if (geteuid() != 0)
		return 0;
	if (setgroups(0, NULL) == -1 || setresgid(gid, gid, gid) == -1 ||
	    setresuid(uid, uid, uid) == -1) {
		snprintf(err, errlen, "cannot switch to uid %ld gid %ld: %s", (long)uid, (long)gid,
			 strerror(errno));
		return -1;
	}
	if (uid != 0 && (setuid(0) == 0 || seteuid(0) == 0)) {
		snprintf(err, errlen, "switched to uid %ld but root could be had back", (long)uid);
		return -1;
	}
	return 0;
}

void
sandbox_no_core(void)
{
	struct rlimit rl = { 0, 0 };

	setrlimit(RLIMIT_CORE, &rl);
}

size_t
sandbox_mapped(void)
{
	char line[256];
	size_t kb = 0;
	FILE *f = fopen("/proc/self/status", "re");

	if (f == NULL)
		return 0;
	while (fgets(line, sizeof line, f) != NULL) {
		if (sscanf(line, "VmSize: %zu kB", &kb) == 1)
			break;
	}
	fclose(f);
	return kb * 1024;
}

int
sandbox_limit(size_t address_space, size_t address_space_max, int max_files,
	      int max_files_max, char *err, size_t errlen)
{
	struct rlimit rl;

#ifndef SANDBOX_ASAN
	/* (AddressSanitizer reserves terabytes of shadow memory: no limit there.) */
	if (address_space > 0) {
		rl.rlim_cur = address_space;
		rl.rlim_max = address_space_max > address_space ? address_space_max : address_space;
		if (setrlimit(RLIMIT_AS, &rl) == -1) {
			snprintf(err, errlen, "setrlimit(RLIMIT_AS): %s", strerror(errno));
			return -1;
		}
	}
#else
	(void)address_space;
	(void)address_space_max;
#endif
	if (max_files > 0) {
		rl.rlim_cur = (rlim_t)max_files;
		rl.rlim_max = (rlim_t)(max_files_max > max_files ? max_files_max : max_files);
		if (setrlimit(RLIMIT_NOFILE, &rl) == -1) {
			snprintf(err, errlen, "setrlimit(RLIMIT_NOFILE): %s", strerror(errno));
			return -1;
		}
	}
	return 0;
}

void
sandbox_cpu_begin(double seconds)
{
	struct rusage ru;
	struct rlimit rl;
	double used;

	if (seconds <= 0 || getrusage(RUSAGE_SELF, &ru) == -1)
		return;
	used = (double)ru.ru_utime.tv_sec + (double)ru.ru_stime.tv_sec +
	       (ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6;
	/* RLIMIT_CPU counts whole seconds of the process's CPU time. */
	rl.rlim_cur = (rlim_t)ceil(used + seconds);
	rl.rlim_max = RLIM_INFINITY;
	setrlimit(RLIMIT_CPU, &rl);
}

void
sandbox_cpu_end(void)
{
	struct rlimit rl = { RLIM_INFINITY, RLIM_INFINITY };

	setrlimit(RLIMIT_CPU, &rl);
}

/* ---- the filter ---- */

/* SIGSYS from the filter: say which call, then die of SIGSYS.  Only
 * async-signal-safe calls; the handler was reset to the default on entry
 * (SA_RESETHAND) and SIGSYS is not blocked in it (SA_NODEFER), so the tgkill ends
 * the process. */
static void
on_sigsys(int sig, siginfo_t *si, void *uctx)
{
	char msg[96] = "scraper: worker: killed by the sandbox: system call ";
	size_t n = strlen(msg);
	char digits[16];
	int nd = 0;
	unsigned v = (unsigned)si->si_syscall;

	(void)uctx;
	do
		digits[nd++] = (char)('0' + v % 10);
	while ((v /= 10) != 0 && nd < (int)sizeof digits);
	while (nd > 0 && n < sizeof msg - 20)
		msg[n++] = digits[--nd];
	memcpy(msg + n, " not allowed\n", 13);
	if (write(STDERR_FILENO, msg, n + 13) < 0) {
		/* nothing more to do */
	}
	syscall(SYS_tgkill, getpid(), (pid_t)syscall(SYS_gettid), sig);
	_exit(128 + sig);
}

#define ALLOW(name) rule(ctx, SCMP_ACT_ALLOW, SCMP_SYS(name), 0)

static int
rule(scmp_filter_ctx ctx, uint32_t action, int nr, unsigned n, ...)
{
	struct scmp_arg_cmp cmp[3];
	va_list ap;

	if (nr < 0)
		return 0; /* not a system call on this architecture */
	va_start(ap, n);
	for (unsigned i = 0; i < n && i < 3; i++)
		cmp[i] = va_arg(ap, struct scmp_arg_cmp);
	va_end(ap);
	return seccomp_rule_add_array(ctx, action, nr, n, cmp) == 0 ? 0 : -1;
}

/*
 * The allow-list, a group per line of why.  Anything else raises SIGSYS.
 */
static int
add_rules(scmp_filter_ctx ctx)
{
	const uint32_t refuse = SCMP_ACT_ERRNO(EACCES);
	const scmp_datum_t noexec = PROT_EXEC;
	int rc = 0;

	/* Its descriptors (channel, stderr, sockets): I/O, flags, poll, close. */
	rc |= ALLOW(read) | ALLOW(readv) | ALLOW(write) | ALLOW(writev) | ALLOW(close);
	rc |= ALLOW(lseek) | ALLOW(fcntl) | ALLOW(fstat);
	rc |= ALLOW(poll) | ALLOW(ppoll) | ALLOW(select) | ALLOW(pselect6);
	/* glibc's fstat is fstatat(fd, "", AT_EMPTY_PATH): allowed with that flag only. */
	rc |= rule(ctx, SCMP_ACT_ALLOW, SCMP_SYS(newfstatat), 1,
		   SCMP_A3(SCMP_CMP_MASKED_EQ, AT_EMPTY_PATH, AT_EMPTY_PATH));
	rc |= rule(ctx, SCMP_ACT_ALLOW, SCMP_SYS(statx), 1,
		   SCMP_A2(SCMP_CMP_MASKED_EQ, AT_EMPTY_PATH, AT_EMPTY_PATH));
	/* Terminal checks (isatty) and non-blocking/bytes-waiting ioctls only. */
	rc |= rule(ctx, SCMP_ACT_ALLOW, SCMP_SYS(ioctl), 1, SCMP_A1(SCMP_CMP_EQ, TCGETS));
	rc |= rule(ctx, SCMP_ACT_ALLOW, SCMP_SYS(ioctl), 1, SCMP_A1(SCMP_CMP_EQ, FIONBIO));
	rc |= rule(ctx, SCMP_ACT_ALLOW, SCMP_SYS(ioctl), 1, SCMP_A1(SCMP_CMP_EQ, FIONREAD));
	/* Fetching: TCP sockets (IPv4 and IPv6 only: no unix sockets, no netlink),
	 * connecting and talking over them. */
	rc |= rule(ctx, SCMP_ACT_ALLOW, SCMP_SYS(socket), 1, SCMP_A0(SCMP_CMP_EQ, AF_INET));
	rc |= rule(ctx, SCMP_ACT_ALLOW, SCMP_SYS(socket), 1, SCMP_A0(SCMP_CMP_EQ, AF_INET6));
	rc |= ALLOW(connect) | ALLOW(getsockopt) | ALLOW(setsockopt) | ALLOW(getsockname);
	rc |= ALLOW(getpeername) | ALLOW(sendto) | ALLOW(recvfrom) | ALLOW(sendmsg);
	rc |= ALLOW(recvmsg) | ALLOW(sendmmsg) | ALLOW(shutdown);
	/* Memory: the heap, the parse arena, never executable. */
	rc |= ALLOW(brk) | ALLOW(munmap) | ALLOW(mremap) | ALLOW(madvise);
	rc |= rule(ctx, SCMP_ACT_ALLOW, SCMP_SYS(mmap), 1, SCMP_A2(SCMP_CMP_MASKED_EQ, noexec, 0));
	rc |= rule(ctx, SCMP_ACT_ALLOW, SCMP_SYS(mprotect), 1,
		   SCMP_A2(SCMP_CMP_MASKED_EQ, noexec, 0));
	/* Time: clocks, sleeping, its CPU use (the per-page budget). */
	rc |= ALLOW(clock_gettime) | ALLOW(clock_getres) | ALLOW(gettimeofday) | ALLOW(time);
	rc |= ALLOW(nanosleep) | ALLOW(clock_nanosleep) | ALLOW(getrusage);
	/* Limits: reading any of its own; setting only RLIMIT_CPU (the page budget). */
	rc |= rule(ctx, SCMP_ACT_ALLOW, SCMP_SYS(prlimit64), 2, SCMP_A0(SCMP_CMP_EQ, 0),
		   SCMP_A2(SCMP_CMP_EQ, 0));
	rc |= rule(ctx, SCMP_ACT_ALLOW, SCMP_SYS(prlimit64), 2, SCMP_A0(SCMP_CMP_EQ, 0),
		   SCMP_A1(SCMP_CMP_EQ, RLIMIT_CPU));
	rc |= ALLOW(getrlimit);
	rc |= rule(ctx, SCMP_ACT_ALLOW, SCMP_SYS(setrlimit), 1, SCMP_A0(SCMP_CMP_EQ, RLIMIT_CPU));
	/* A pooled worker's next site: its soft address-space and descriptor limits (the
	 * kernel keeps them under the hard ones, which an unprivileged process cannot
	 * raise). */
	rc |= rule(ctx, SCMP_ACT_ALLOW, SCMP_SYS(prlimit64), 2, SCMP_A0(SCMP_CMP_EQ, 0),
		   SCMP_A1(SCMP_CMP_EQ, RLIMIT_AS));
	rc |= rule(ctx, SCMP_ACT_ALLOW, SCMP_SYS(prlimit64), 2, SCMP_A0(SCMP_CMP_EQ, 0),
		   SCMP_A1(SCMP_CMP_EQ, RLIMIT_NOFILE));
	rc |= rule(ctx, SCMP_ACT_ALLOW, SCMP_SYS(setrlimit), 1, SCMP_A0(SCMP_CMP_EQ, RLIMIT_AS));
	rc |= rule(ctx, SCMP_ACT_ALLOW, SCMP_SYS(setrlimit), 1,
		   SCMP_A0(SCMP_CMP_EQ, RLIMIT_NOFILE));
	/* and its new curl multi handle's wake-up pair: a connected pair of unix
	 * sockets, which reach nothing outside the process. */
	rc |= rule(ctx, SCMP_ACT_ALLOW, SCMP_SYS(socketpair), 1, SCMP_A0(SCMP_CMP_EQ, AF_UNIX));
	/* Signals: its own handlers and masks, and SIGSYS to itself (on_sigsys). */
	rc |= ALLOW(rt_sigaction) | ALLOW(rt_sigprocmask) | ALLOW(rt_sigreturn);
	rc |= ALLOW(sigaltstack);
	rc |= rule(ctx, SCMP_ACT_ALLOW, SCMP_SYS(tgkill), 2,
		   SCMP_A0(SCMP_CMP_EQ, (scmp_datum_t)getpid()), SCMP_A2(SCMP_CMP_EQ, SIGSYS));
	/* Who it is, randomness (TLS, curl), locks, glibc's sysconf, leaving. */
	rc |= ALLOW(getpid) | ALLOW(gettid) | ALLOW(getuid) | ALLOW(geteuid);
	rc |= ALLOW(getgid) | ALLOW(getegid) | ALLOW(getrandom) | ALLOW(futex);
	rc |= ALLOW(sched_yield) | ALLOW(sched_getaffinity) | ALLOW(sysinfo) | ALLOW(uname);
	rc |= ALLOW(exit) | ALLOW(exit_group) | ALLOW(restart_syscall);
	/* Opening read-only: refused, not fatal (see the top of this file); any other
	 * open falls to the default action.  Sanitizer builds only: LeakSanitizer's
	 * check at exit reads /proc/self and stops the threads with a tracer thread
	 * (clone, ptrace), so there reading is allowed, and those calls. */
#ifndef SANDBOX_ASAN
	rc |= rule(ctx, refuse, SCMP_SYS(openat), 1,
		   SCMP_A2(SCMP_CMP_MASKED_EQ, O_ACCMODE | O_CREAT | O_TRUNC | O_APPEND, O_RDONLY));
	rc |= rule(ctx, refuse, SCMP_SYS(open), 1,
		   SCMP_A1(SCMP_CMP_MASKED_EQ, O_ACCMODE | O_CREAT | O_TRUNC | O_APPEND, O_RDONLY));
	rc |= rule(ctx, refuse, SCMP_SYS(readlink), 0);
#else
	rc |= rule(ctx, SCMP_ACT_ALLOW, SCMP_SYS(openat), 1,
		   SCMP_A2(SCMP_CMP_MASKED_EQ, O_ACCMODE | O_CREAT | O_TRUNC | O_APPEND, O_RDONLY));
	rc |= rule(ctx, SCMP_ACT_ALLOW, SCMP_SYS(open), 1,
		   SCMP_A1(SCMP_CMP_MASKED_EQ, O_ACCMODE | O_CREAT | O_TRUNC | O_APPEND, O_RDONLY));
	rc |= ALLOW(getdents64) | ALLOW(getdents) | ALLOW(wait4) | ALLOW(prctl) | ALLOW(waitid);
	/* its tracer: a clone sharing memory (not a fork), attaching to this process */
	rc |= rule(ctx, SCMP_ACT_ALLOW, SCMP_SYS(clone), 1,
		   SCMP_A0(SCMP_CMP_MASKED_EQ, CLONE_VM, CLONE_VM));
	rc |= rule(ctx, SCMP_ACT_ALLOW, SCMP_SYS(ptrace), 1,
		   SCMP_A1(SCMP_CMP_EQ, (scmp_datum_t)getpid()));
	rc |= ALLOW(readlink) | ALLOW(getppid);
#endif
	rc |= rule(ctx, refuse, SCMP_SYS(access), 0) | rule(ctx, refuse, SCMP_SYS(faccessat), 0);
	return rc;
}

int
sandbox_enter(char *err, size_t errlen)
{
	struct sigaction sa;
	scmp_filter_ctx ctx;
	int rc;

	memset(&sa, 0, sizeof sa);
	sa.sa_sigaction = on_sigsys;
	sa.sa_flags = SA_SIGINFO | SA_RESETHAND | SA_NODEFER;
	sigemptyset(&sa.sa_mask);
	if (sigaction(SIGSYS, &sa, NULL) == -1) {
		snprintf(err, errlen, "sigaction(SIGSYS): %s", strerror(errno));
		return -1;
	}
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) == -1) {
		snprintf(err, errlen, "prctl(PR_SET_NO_NEW_PRIVS): %s", strerror(errno));
		return -1;
	}
	/* Nobody else running as the same user may attach to it. */
	prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
	if ((ctx = seccomp_init(SCMP_ACT_TRAP)) == NULL) {
		snprintf(err, errlen, "seccomp_init failed");
		return -1;
	}
	/* The kernel logs what the filter refuses (dmesg: "audit: type=1326 ...
	 * syscall=N"), where logging of seccomp actions is on. */
	seccomp_attr_set(ctx, SCMP_FLTATR_CTL_LOG, 1);
	if (add_rules(ctx) != 0) {
		seccomp_release(ctx);
		snprintf(err, errlen, "cannot build the seccomp filter");
		return -1;
	}
	rc = seccomp_load(ctx);
	seccomp_release(ctx);
	if (rc != 0) {
		snprintf(err, errlen, "seccomp_load: %s", strerror(-rc));
		return -1;
	}
	return 0;
}

void
sandbox_try_forbidden(const char *what, const char *target)
{
	int fd;

	log_warn("sandbox test: trying '%s'%s%s", what, target ? " on " : "", target ? target : "");
	if (strcmp(what, "open") == 0) {
		fd = open(target ? target : "/tmp/scraper-sandbox-test", O_WRONLY | O_CREAT, 0600);
		log_error("sandbox test: open for writing returned %d (%s)", fd,
			  fd == -1 ? strerror(errno) : "opened");
	} else if (strcmp(what, "read") == 0) {
		fd = open(target ? target : "/etc/passwd", O_RDONLY);
		log_warn("sandbox test: open for reading %s", fd == -1 ? strerror(errno) : "succeeded");
		if (fd != -1)
			close(fd);
	} else if (strcmp(what, "exec") == 0) {
		char *argv[] = { "sh", "-c", "true", NULL };
		execv("/bin/sh", argv);
		log_error("sandbox test: exec failed: %s", strerror(errno));
	} else if (strcmp(what, "connect") == 0) {
		struct sockaddr_un sun = { .sun_family = AF_UNIX };
		fd = socket(AF_UNIX, SOCK_STREAM, 0);
		snprintf(sun.sun_path, sizeof sun.sun_path, "%s", target ? target : "/dev/log");
		log_error("sandbox test: unix socket %d, connect %d", fd,
			  fd == -1 ? -1 : connect(fd, (struct sockaddr *)&sun, sizeof sun));
	} else if (strcmp(what, "ptrace") == 0) {
		long r = ptrace(PTRACE_ATTACH, 1, NULL, NULL);
		log_error("sandbox test: ptrace returned %ld", r);
	} else if (strcmp(what, "fork") == 0) {
		pid_t pid = fork();
		if (pid == 0)
			_exit(0);
		log_error("sandbox test: fork returned %d", (int)pid);
	}
}
