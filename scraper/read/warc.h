/*
 * warc.h: the stored responses as WARC 1.1 (read/warc.c), for `export -f warc`.
 */
#ifndef SCRAPER_WARC_H
#define SCRAPER_WARC_H

#include <signal.h>
#include <stdint.h>
#include <stdio.h>

#include <sqlite3.h>

#include "buf.h"

/* The pages with a stored body and what a record needs of them, in URL order:
 * url, fetched_at, headers, packed body, size, digest, codec.  The same SQL on
 * SQLite and PostgreSQL. */
#define WARC_PAGES_SQL \
	"SELECT p.url, p.fetched_at, p.headers, b.data, b.size, b.digest, b.codec" \
	" FROM pages p JOIN bodies b ON b.digest = p.body ORDER BY p.url"

/* Write a warcinfo record, then a request and a response record for every page with a
 * stored body (pages.body), to fp, each record one gzip member.  stop is polled
 * between records (a signal).  0; -1 with err filled; -4 when stopped. */
int warc_write(sqlite3 *db, FILE *fp, volatile sig_atomic_t *stop, char *err, size_t errlen);

/* The pieces of warc_write, for a store other than SQLite (read/pgread.c): the
 * warcinfo record (0 or -1 with err); then each page's records from its stored row,
 * body the scratch buffer for its unpacked body (0 written; 1 left out, a message on
 * stderr says why: unknown codec, corrupt body; -1 with err: writing failed). */
int warc_begin(FILE *fp, char *err, size_t errlen);
int warc_page(FILE *fp, struct buf *body, const char *url, const char *date, const char *headers,
	      const void *packed, size_t packed_len, int64_t size, const char *digest,
	      const char *codec, char *err, size_t errlen);

#endif
