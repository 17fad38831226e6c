/*
 * warc.h: the stored responses as WARC 1.1 (read/warc.c), for `export -f warc`.
 */
#ifndef SCRAPER_WARC_H
#define SCRAPER_WARC_H

#include <signal.h>
#include <stdio.h>

#include <sqlite3.h>

/* Write a warcinfo record, then a request and a response record for every page with a
 * stored body (pages.body), to fp, each record one gzip member.  stop is polled
 * between records (a signal).  0; -1 with err filled; -4 when stopped. */
int warc_write(sqlite3 *db, FILE *fp, volatile sig_atomic_t *stop, char *err, size_t errlen);

#endif
