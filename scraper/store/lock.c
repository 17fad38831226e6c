/*
 * lock.c: the database's crawl lock (see lock.h).
 */
#include "config.h"

#include "store/lock.h"
#include "store/store.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

/* The process holding a flock on the file of st, from /proc/locks; -1 if unknown. */
static long
lock_holder(const struct stat *st)
{
	char line[256], want[64];
	long pid = -1;
	FILE *f = fopen("/proc/locks", "r");

	if (f == NULL)
		return -1;
	snprintf(want, sizeof want, "%02x:%02x:%lu", major(st->st_dev), minor(st->st_dev),
		 (unsigned long)st->st_ino);
	while (pid == -1 && fgets(line, sizeof line, f) != NULL) {
		char kind[16], dev[64];
		long p;
		/* "1: FLOCK  ADVISORY  WRITE 1234 08:01:56789 0 EOF" */
		if (sscanf(line, "%*s %15s %*s %*s %ld %63s", kind, &p, dev) == 3 &&
		    strcmp(kind, "FLOCK") == 0 && strcmp(dev, want) == 0)
			pid = p;
	}
	fclose(f);
	return pid;
}

int
db_lock_take(const char *path, char *err, size_t errlen)
{
	struct stat st;
	long pid;
	int fd;

	/* PostgreSQL is no file, and its nodes share it on purpose: sites are leased. */
	if (store_is_pg(path))
		return -2;
	fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0644);

	if (fd == -1)
		fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd == -1)
		return -2;
	if (flock(fd, LOCK_EX | LOCK_NB) == 0)
		return fd;
	if (errno != EWOULDBLOCK) {
		/* A file system without flock: go on unlocked rather than refuse to work. */
		return fd;
	}
	pid = fstat(fd, &st) == 0 ? lock_holder(&st) : -1;
	if (pid > 0)
		snprintf(err, errlen,
			 "%s is in use by another crawl (process %ld); wait for it to finish or "
			 "stop it (query, export and stats work meanwhile)", path, pid);
	else
		snprintf(err, errlen,
			 "%s is in use by another crawl; wait for it to finish or stop it "
			 "(query, export and stats work meanwhile)", path);
	close(fd);
	return -1;
}

void
db_lock_release(int fd)
{
	if (fd >= 0)
		close(fd);
}
