/*
 * query.h: the read side of the database: query, export and stats (query.c, export.c,
 * stats.c), and what they share.
 *
 * The read side never writes.  query_db_open opens the database read-only and never
 * creates it; query_db_close leaves the folder as it found it (SQLite makes -wal and
 * -shm files even for a read-only reader of a WAL database; see query.c).  The value
 * writers here are the one definition of how a SQLite value looks in each output
 * format, so query, export and stats agree:
 *
 *   NULL     csv: empty field        json: null    table: empty cell
 *   INTEGER  decimal digits           a number      right-aligned
 *   REAL     shortest form that reads back the same value ("12.5", "11.0"); json: a
 *            number (null when infinite or NaN)
 *   TEXT     as stored (json: a string, invalid UTF-8 as U+FFFD)
 *   BLOB     base64 (RFC 4648, with padding) in every format
 */
#ifndef SCRAPER_QUERY_H
#define SCRAPER_QUERY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include <sqlite3.h>

#include "buf.h"
#include "read/format.h"

enum query_mode {
	QUERY_SQL,		/* run sql */
	QUERY_TABLES,		/* list the tables and views (--tables) */
	QUERY_SCHEMA,		/* their CREATE statements (--schema [NAME]) */
};

struct query_opts {
	const char *db_path;
	enum out_format format;
	enum query_mode mode;
	const char *sql;	/* QUERY_SQL: the statement; NULL reads it from stdin */
	const char *name;	/* QUERY_SCHEMA: one table or view, or NULL for all */
	bool no_truncate;	/* table format: never cut a cell */
};

/* The `query` command; returns an enum exit_code. */
int query_run(const struct query_opts *o);

struct query_db {
	sqlite3 *db;
	char *path;
	char *real;		/* path with symbolic links resolved: SQLite's -wal and
				 * -shm go beside the real file */
	bool tidy;		/* no -wal or -shm beside it when opened */
};

/* Open path read-only (never creating it), with a busy timeout and PRAGMA query_only.
 * 0, or -1 with err filled (the message names the path). */
int query_db_open(struct query_db *q, const char *path, char *err, size_t errlen);

/* Close, and remove the -wal and -shm files that opening made, if nobody else is
 * using the database.  Safe on a zeroed or failed struct. */
void query_db_close(struct query_db *q);

/* Does the database have a table, view or index of this name? */
bool query_db_has(struct query_db *q, const char *name);

/* The value of column col of the current row, in csv (RFC 4180: quoted when it holds
 * , " CR or LF) or as JSON.  0, or -1 when the buffer is full. */
int query_put_csv_value(struct buf *b, sqlite3_stmt *st, int col);
int query_put_json_value(struct buf *b, sqlite3_stmt *st, int col);

/* A csv field from bytes; quoted only when it must be. */
int query_put_csv(struct buf *b, const char *s, size_t n);

/* A REAL in its shortest exact form ("Inf", "-Inf", "NaN" when not finite). */
int query_put_real(struct buf *b, double v);

/* Bytes as base64. */
int query_put_base64(struct buf *b, const unsigned char *p, size_t n);

/*
 * Text for a terminal cell: control characters shown as escapes (\n, \t, \r, \x1b,
 * \u0085), invalid UTF-8 as U+FFFD, and cut with "…" to at most max display columns.
 * Returns the display columns used, or -1 when the buffer is full.
 */
int query_render_cell(struct buf *out, const char *s, size_t n, int max);

/* The same, and *cut says whether the text was cut to fit (cut may be NULL). */
int query_render_cell_cut(struct buf *out, const char *s, size_t n, int max, bool *cut);

/* Display columns of one code point: 0 (combining), 1, or 2 (East Asian wide). */
int query_cp_width(unsigned long cp);

/* Write the buffer's contents to fp and empty it.  0, or -1 (errno set). */
int query_flush(struct buf *b, FILE *fp);

/* After a failed write of the output (errno says why): the exit code.  A reader that
 * went away (EPIPE: "scraper export ... | head") is a clean stop, said nothing of and
 * exit 0; anything else is logged and exit 1.  The read commands ignore SIGPIPE
 * (query_command_signals) so that they get here and close the database: killed by the
 * signal, they would leave its -wal and -shm files behind. */
int query_write_failed(void);
/* For the query, export and stats commands (not the service, which shares this code):
 * SIGPIPE ignored, and a SIGBUS on the database's -shm said in words
 * (store_catch_sigbus). */
void query_command_signals(const char *path);

/* stats.c: the kind of an error text, for grouping ("HTTP 404 (gave up after 4
 * attempts)" -> "HTTP 404", "Timeout was reached: ..." -> "Timeout was reached"). */
int stats_error_kind(struct buf *out, const char *error);

#endif
