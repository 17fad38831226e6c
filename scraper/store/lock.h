/*
 * lock.h: one crawl per database.
 *
 * A crawl (and reparse) holds an exclusive flock(2) on the database file for as long
 * as it runs.  A second one fails at once with a message that names the process that
 * holds it; the kernel drops the lock when that process ends, however it ends, so a
 * crawl killed with kill -9 never blocks the next one.  The read side (query, export,
 * stats) takes no lock and works during a crawl.  SQLite's own locks are fcntl(2)
 * locks, which on Linux are independent of flock(2): this lock does not disturb them.
 */
#ifndef SCRAPER_LOCK_H
#define SCRAPER_LOCK_H

#include <stddef.h>

/* Take the lock on the database at path (creating the file, empty, if it does not
 * exist).  Returns the descriptor that holds it; -1 with err filled when another
 * process holds it; -2 when the file cannot be opened at all (the caller's opening of
 * the database then reports why), and for a PostgreSQL database (no file: its nodes
 * share it, each site leased to one of them). */
int db_lock_take(const char *path, char *err, size_t errlen);

/* Let go (fd < 0 is ignored). */
void db_lock_release(int fd);

#endif
