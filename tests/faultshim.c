/*
 * faultshim.c: an LD_PRELOAD library for tests/integration/faults.sh that makes one
 * write to the database's files fail, as SQLite's own I/O error tests do with their
 * fault-injecting VFS, but from outside the program: the product is run as it ships.
 *
 * It watches the files whose path starts with FAULT_FILE (the database, its -wal,
 * -shm and -journal), as opened through open/open64/openat.  Every write, pwrite,
 * pwrite64, fsync and fdatasync on them is counted (only the fsyncs with
 * FAULT_CALLS=fsync, only the writes with FAULT_CALLS=write); the FAULT_AT-th one
 * fails with FAULT_ERRNO (EIO or ENOSPC; EIO by default) and nothing is written, or,
 * with FAULT_ERRNO=kill, the process is killed by SIGKILL right there (a crash in
 * the middle of a commit).  Only that one call fails: the next succeed, as after a
 * transient error.  FAULT_AT=0 counts and fails nothing; with FAULT_COUNT=FILE the
 * count is written to FILE at exit (by the process that counted any), so a test can
 * choose points inside a real run.  With FAULT_LOG=FILE, the call that failed is
 * written there: "write db", "fsync wal" ... (db, wal, shm, journal: which file).
 *
 * A test tool: it trusts its environment.  It makes no system call of its own on the
 * paths the sandboxed workers take (they inherit it and watch nothing).
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <sys/uio.h>
#include <unistd.h>

#define MAX_FD 65536

static const char *prefix;
static size_t prefix_len;
static unsigned long fault_at;
static int fault_errno = EIO;
static bool fault_kill, count_writes = true, count_syncs = true;
static const char *count_file, *log_file;
/* What each descriptor is: 0 not watched, else an index in kinds[] */
static atomic_uchar watched[MAX_FD];
static const char *const kinds[] = { "", "db", "wal", "shm", "journal", "other" };
static atomic_ulong calls;

static int (*real_open)(const char *, int, ...);
static int (*real_open64)(const char *, int, ...);
static int (*real_openat)(int, const char *, int, ...);
static int (*real_close)(int);
static ssize_t (*real_write)(int, const void *, size_t);
static ssize_t (*real_pwrite)(int, const void *, size_t, off_t);
static ssize_t (*real_pwrite64)(int, const void *, size_t, off_t);
static int (*real_fsync)(int);
static int (*real_fdatasync)(int);

static void *
next(const char *name)
{
	void *f = dlsym(RTLD_NEXT, name);

	if (f == NULL) {
		fprintf(stderr, "faultshim: no %s to wrap\n", name);
		abort();
	}
	return f;
}

__attribute__((constructor)) static void
shim_init(void)
{
	const char *v;

	if (real_fdatasync != NULL)
		return;

	real_open = next("open");
	real_open64 = next("open64");
	real_openat = next("openat");
	real_close = next("close");
	real_write = next("write");
	real_pwrite = next("pwrite");
	real_pwrite64 = next("pwrite64");
	real_fsync = next("fsync");
	real_fdatasync = next("fdatasync");
	if ((prefix = getenv("FAULT_FILE")) != NULL && *prefix != '\0')
		prefix_len = strlen(prefix);
	else
		prefix = NULL;
	if ((v = getenv("FAULT_AT")) != NULL)
		fault_at = strtoul(v, NULL, 10);
	if ((v = getenv("FAULT_ERRNO")) != NULL) {
		if (strcmp(v, "ENOSPC") == 0)
			fault_errno = ENOSPC;
		else if (strcmp(v, "kill") == 0)
			fault_kill = true;
	}
	if ((v = getenv("FAULT_CALLS")) != NULL) {
		count_writes = strcmp(v, "fsync") != 0;
		count_syncs = strcmp(v, "write") != 0;
	}
	count_file = getenv("FAULT_COUNT");
	log_file = getenv("FAULT_LOG");
}

__attribute__((destructor)) static void
shim_fini(void)
{
	unsigned long n = atomic_load(&calls);
	FILE *f;

	if (count_file == NULL || n == 0 || (f = fopen(count_file, "w")) == NULL)
		return;
	fprintf(f, "%lu\n", n);
	fclose(f);
}

static void
opened(int fd, const char *path)
{
	unsigned char kind = 0;

	if (fd < 0 || fd >= MAX_FD)
		return;
	if (prefix != NULL && path != NULL && strncmp(path, prefix, prefix_len) == 0) {
		const char *rest = path + prefix_len;
		kind = *rest == '\0' ? 1 : strcmp(rest, "-wal") == 0 ? 2 :
		       strcmp(rest, "-shm") == 0 ? 3 : strcmp(rest, "-journal") == 0 ? 4 : 5;
	}
	atomic_store(&watched[fd], kind);
}

/* Say which call failed, for the test (FAULT_LOG). */
static void
log_fault(bool is_write, unsigned char kind)
{
	char line[64];
	int fd, n;

	if (log_file == NULL ||
	    (fd = real_open(log_file, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644)) == -1)
		return;
	n = snprintf(line, sizeof line, "%s %s\n", is_write ? "write" : "fsync", kinds[kind]);
	if (real_write(fd, line, (size_t)n) < 0)
		n = 0;
	real_close(fd);
}

/* Should this call on fd fail?  (Or kill us.) */
static bool
fault(int fd, bool is_write)
{
	unsigned long n;
	unsigned char kind;

	shim_init();
	if (fd < 0 || fd >= MAX_FD || (kind = atomic_load(&watched[fd])) == 0)
		return false;
	if (is_write ? !count_writes : !count_syncs)
		return false;
	n = atomic_fetch_add(&calls, 1) + 1;
	if (fault_at == 0 || n != fault_at)
		return false;
	log_fault(is_write, kind);
	if (fault_kill)
		kill(getpid(), SIGKILL);
	errno = fault_errno;
	return true;
}

static mode_t
mode_arg(int flags, va_list ap)
{
	return (flags & (O_CREAT | O_TMPFILE)) ? (mode_t)va_arg(ap, int) : 0;
}

int
open(const char *path, int flags, ...)
{
	va_list ap;
	mode_t mode;
	int fd;

	shim_init();
	va_start(ap, flags);
	mode = mode_arg(flags, ap);
	va_end(ap);
	fd = real_open(path, flags, mode);
	opened(fd, path);
	return fd;
}

int
open64(const char *path, int flags, ...)
{
	va_list ap;
	mode_t mode;
	int fd;

	shim_init();
	va_start(ap, flags);
	mode = mode_arg(flags, ap);
	va_end(ap);
	fd = real_open64(path, flags, mode);
	opened(fd, path);
	return fd;
}

int
openat(int dirfd, const char *path, int flags, ...)
{
	va_list ap;
	mode_t mode;
	int fd;

	shim_init();
	va_start(ap, flags);
	mode = mode_arg(flags, ap);
	va_end(ap);
	fd = real_openat(dirfd, path, flags, mode);
	opened(fd, path);
	return fd;
}

int
close(int fd)
{
	shim_init();
	if (fd >= 0 && fd < MAX_FD)
		atomic_store(&watched[fd], 0);
	return real_close(fd);
}

ssize_t
write(int fd, const void *p, size_t n)
{
	return fault(fd, true) ? -1 : real_write(fd, p, n);
}

ssize_t
pwrite(int fd, const void *p, size_t n, off_t off)
{
	return fault(fd, true) ? -1 : real_pwrite(fd, p, n, off);
}

ssize_t
pwrite64(int fd, const void *p, size_t n, off_t off)
{
	return fault(fd, true) ? -1 : real_pwrite64(fd, p, n, off);
}

int
fsync(int fd)
{
	return fault(fd, false) ? -1 : real_fsync(fd);
}

int
fdatasync(int fd)
{
	return fault(fd, false) ? -1 : real_fdatasync(fd);
}
