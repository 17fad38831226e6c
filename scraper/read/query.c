/*
 * query.c: "scraper query": one read-only SQL statement over the database, its rows
 * printed as an aligned table, csv, json or jsonl; and the read side's common ground
 * (query.h): opening the database read-only, and how values are written.
 *
 * Read-only is enforced four times over, so that no statement can change the
 * database or make a file: a statement must start with SELECT, WITH, VALUES, EXPLAIN
 * or PRAGMA (so VACUUM INTO, which no authorizer sees, never gets further); the
 * connection is opened SQLITE_OPEN_READONLY with PRAGMA query_only; an authorizer
 * allows nothing but reading (no ATTACH, no PRAGMA that sets, no CREATE even of a
 * TEMP table, no INSERT behind a WITH); and a statement that sqlite3_stmt_readonly
 * says would write is refused before it runs.
 *
 * Rows are streamed: csv, json and jsonl hold one row at a time.  The table format
 * needs column widths before it prints, so it holds the first TABLE_SAMPLE rows (each
 * cell cut to CELL_MAX display columns), then streams the rest at those widths.
 */
#include "config.h"

#include "read/query.h"

#include <errno.h>
#include <limits.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/exitcode.h"
#include "json.h"
#include "base/log.h"
#include "read/pgread.h"
#include "store/store.h"

#define ROW_MAX (512u << 20)	 /* the most one row of output may take */
#define CELL_MAX 60		 /* display columns of a table cell, at most */
#define TABLE_SAMPLE 1000	 /* rows read before the table's widths are fixed */
#define TABLE_ARENA (16u << 20)	 /* ... or this many bytes of them */
#define BUSY_MS 10000		 /* wait this long for a crawl's write lock */

/* ---- opening the database ---- */

static bool
file_exists(const char *path, const char *suffix)
{
	char name[4096];
	struct stat sb;

	if ((size_t)snprintf(name, sizeof name, "%s%s", path, suffix) >= sizeof name)
		return false;
	return stat(name, &sb) == 0;
}

int
query_db_open(struct query_db *q, const char *path, char *err, size_t errlen)
{
	struct stat sb;

	memset(q, 0, sizeof *q);
	if (stat(path, &sb) == -1) {
		snprintf(err, errlen, "cannot open database %s: %s", path, strerror(errno));
		return -1;
	}
	if (S_ISDIR(sb.st_mode)) {
		snprintf(err, errlen, "cannot open database %s: it is a directory", path);
		return -1;
	}
	if ((q->path = strdup(path)) == NULL) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	/* Through a symbolic link, SQLite puts -wal and -shm beside the file the link
	 * names (as the sqlite3 shell does): look for them there, and open that file. */
	if ((q->real = realpath(path, NULL)) == NULL) {
		snprintf(err, errlen, "cannot open database %s: %s", path, strerror(errno));
		query_db_close(q);
		return -1;
	}
	q->tidy = !file_exists(q->real, "-wal") && !file_exists(q->real, "-shm");
	if (sqlite3_open_v2(q->real, &q->db, SQLITE_OPEN_READONLY, NULL) != SQLITE_OK) {
		snprintf(err, errlen, "cannot open database %s: %s", path,
			 q->db ? sqlite3_errmsg(q->db) : "out of memory");
		query_db_close(q);
		return -1;
	}
	sqlite3_extended_result_codes(q->db, 1);
	sqlite3_busy_timeout(q->db, BUSY_MS);
	sqlite3_limit(q->db, SQLITE_LIMIT_ATTACHED, 0);
	sqlite3_db_config(q->db, SQLITE_DBCONFIG_DEFENSIVE, 1, NULL);
	if (sqlite3_exec(q->db, "PRAGMA query_only = 1", NULL, NULL, NULL) != SQLITE_OK ||
	    sqlite3_exec(q->db, "SELECT count(*) FROM sqlite_schema", NULL, NULL, NULL) !=
		    SQLITE_OK) {
		snprintf(err, errlen, "cannot read database %s: %s", path, sqlite3_errmsg(q->db));
		query_db_close(q);
		return -1;
	}
	return 0;
}

/*
 * A reader of a WAL database makes its -wal and -shm files, and a read-only one cannot
 * remove them when it closes (that takes a write lock on the database).  If neither
 * existed when we opened, nobody was using the database then; a connection that may
 * write (but writes nothing) closes it cleanly instead: as the last connection it
 * checkpoints an empty WAL, which touches nothing, and deletes both files.  If a crawl
 * started meanwhile, that close is not the last and leaves them, as it must.
 */
static void
tidy_wal(const char *path)
{
	sqlite3 *db = NULL;

	if (sqlite3_open_v2(path, &db, SQLITE_OPEN_READWRITE, NULL) == SQLITE_OK &&
	    sqlite3_db_readonly(db, "main") == 0) {
		sqlite3_busy_timeout(db, 1000);
		sqlite3_exec(db, "SELECT count(*) FROM sqlite_schema", NULL, NULL, NULL);
	}
	sqlite3_close(db);
}

void
query_db_close(struct query_db *q)
{
	if (q->db != NULL) {
		sqlite3_close(q->db);
		if (q->tidy && (file_exists(q->real, "-wal") || file_exists(q->real, "-shm")))
			tidy_wal(q->real);
	}
	free(q->path);
	free(q->real);
	memset(q, 0, sizeof *q);
}

bool
query_db_has(struct query_db *q, const char *name)
{
	sqlite3_stmt *st;
	bool found = false;

	/* Tables, views and indexes share one namespace. */
	if (sqlite3_prepare_v2(q->db, "SELECT 1 FROM sqlite_schema WHERE name = ?1", -1, &st,
			       NULL) != SQLITE_OK)
		return false;
	sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
	found = sqlite3_step(st) == SQLITE_ROW;
	sqlite3_finalize(st);
	return found;
}

/* ---- values ---- */

int
query_put_real(struct buf *b, double v)
{
	char tmp[400];

	if (isnan(v))
		return buf_puts(b, "NaN");
	if (isinf(v))
		return buf_puts(b, v < 0 ? "-Inf" : "Inf");
	/* The fewest significant digits that read back as v ... */
	for (int prec = 1; prec <= 17; prec++) {
		snprintf(tmp, sizeof tmp, "%.*g", prec, v);
		if (strtod(tmp, NULL) == v)
			break;
	}
	/* ... written without an exponent when that is as short as SQLite's own
	 * ("1400.0", not "1.4e+03"), and always with a point or an exponent so that it
	 * reads back as a REAL. */
	if (strchr(tmp, 'e') != NULL && fabs(v) >= 1e-4 && fabs(v) < 1e15) {
		for (int dec = 0; dec <= 17; dec++) {
			snprintf(tmp, sizeof tmp, "%.*f", dec, v);
			if (strtod(tmp, NULL) == v)
				break;
		}
	}
	if (strpbrk(tmp, ".e") == NULL)
		strcat(tmp, ".0");
	return buf_puts(b, tmp);
}

int
query_put_base64(struct buf *b, const unsigned char *p, size_t n)
{
	static const char digits[] =
		"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	char out[4];

	for (size_t i = 0; i < n; i += 3) {
		unsigned long v = (unsigned long)p[i] << 16;
		if (i + 1 < n)
			v |= (unsigned long)p[i + 1] << 8;
		if (i + 2 < n)
			v |= p[i + 2];
		out[0] = digits[v >> 18 & 63];
		out[1] = digits[v >> 12 & 63];
		out[2] = i + 1 < n ? digits[v >> 6 & 63] : '=';
		out[3] = i + 2 < n ? digits[v & 63] : '=';
		if (buf_append(b, out, 4) == -1)
			return -1;
	}
	return 0;
}

int
query_put_csv(struct buf *b, const char *s, size_t n)
{
	size_t i;

	for (i = 0; i < n && s[i] != ',' && s[i] != '"' && s[i] != '\r' && s[i] != '\n'; i++)
		;
	if (i == n)
		return buf_append(b, s, n);
	if (buf_putc(b, '"') == -1)
		return -1;
	for (i = 0; i < n; i++) {
		if ((s[i] == '"' && buf_putc(b, '"') == -1) || buf_putc(b, s[i]) == -1)
			return -1;
	}
	return buf_putc(b, '"');
}

int
query_put_csv_value(struct buf *b, sqlite3_stmt *st, int col)
{
	switch (sqlite3_column_type(st, col)) {
	case SQLITE_NULL:
		return 0;
	case SQLITE_INTEGER:
		return buf_printf(b, "%lld", (long long)sqlite3_column_int64(st, col));
	case SQLITE_FLOAT:
		return query_put_real(b, sqlite3_column_double(st, col));
	case SQLITE_BLOB:
		/* base64 has no character that needs quoting */
		return query_put_base64(b, sqlite3_column_blob(st, col),
					(size_t)sqlite3_column_bytes(st, col));
	default:
		return query_put_csv(b, (const char *)sqlite3_column_text(st, col),
				     (size_t)sqlite3_column_bytes(st, col));
	}
}

int
query_put_json_value(struct buf *b, sqlite3_stmt *st, int col)
{
	const char *text;
	double v;
	size_t n;

	switch (sqlite3_column_type(st, col)) {
	case SQLITE_NULL:
		return buf_puts(b, "null");
	case SQLITE_INTEGER:
		return json_put_int(b, (long long)sqlite3_column_int64(st, col));
	case SQLITE_FLOAT:
		v = sqlite3_column_double(st, col);
		return isfinite(v) ? query_put_real(b, v) : buf_puts(b, "null");
	case SQLITE_BLOB:
		if (buf_putc(b, '"') == -1 ||
		    query_put_base64(b, sqlite3_column_blob(st, col),
				     (size_t)sqlite3_column_bytes(st, col)) == -1)
			return -1;
		return buf_putc(b, '"');
	default:
		break;
	}
	text = (const char *)sqlite3_column_text(st, col);
	n = (size_t)sqlite3_column_bytes(st, col);
	return json_put_string(b, text, n);
}

int
query_write_failed(void)
{
	if (errno == EPIPE)
		return EXIT_DONE;
	log_error("writing the output: %s", strerror(errno));
	return EXIT_FAILED;
}

void
query_command_signals(const char *path)
{
	signal(SIGPIPE, SIG_IGN);
	store_catch_sigbus(path);
}

int
query_flush(struct buf *b, FILE *fp)
{
	size_t n = b->len;
	int rc = 0;

	if (n > 0 && fwrite(b->data, 1, n, fp) != n)
		rc = -1;
	buf_reset(b);
	return rc;
}

/* ---- terminal cells ---- */

struct cp_range {
	unsigned long lo, hi;
};

/* Wide (2 columns): East Asian Wide and Fullwidth, and emoji shown as emoji
 * (Unicode 15's EastAsianWidth.txt W and F, as wcwidth counts them). */
static const struct cp_range wide[] = {
	{ 0x1100, 0x115f }, { 0x231a, 0x231b }, { 0x2329, 0x232a }, { 0x23e9, 0x23ec },
	{ 0x23f0, 0x23f0 }, { 0x23f3, 0x23f3 }, { 0x25fd, 0x25fe }, { 0x2614, 0x2615 },
	{ 0x2648, 0x2653 }, { 0x267f, 0x267f }, { 0x2693, 0x2693 }, { 0x26a1, 0x26a1 },
	{ 0x26aa, 0x26ab }, { 0x26bd, 0x26be }, { 0x26c4, 0x26c5 }, { 0x26ce, 0x26ce },
	{ 0x26d4, 0x26d4 }, { 0x26ea, 0x26ea }, { 0x26f2, 0x26f3 }, { 0x26f5, 0x26f5 },
	{ 0x26fa, 0x26fa }, { 0x26fd, 0x26fd }, { 0x2705, 0x2705 }, { 0x270a, 0x270b },
	{ 0x2728, 0x2728 }, { 0x274c, 0x274c }, { 0x274e, 0x274e }, { 0x2753, 0x2755 },
	{ 0x2757, 0x2757 }, { 0x2795, 0x2797 }, { 0x27b0, 0x27b0 }, { 0x27bf, 0x27bf },
	{ 0x2b1b, 0x2b1c }, { 0x2b50, 0x2b50 }, { 0x2b55, 0x2b55 }, { 0x2e80, 0x303e },
	{ 0x3041, 0x33ff }, { 0x3400, 0x4dbf }, { 0x4e00, 0x9fff }, { 0xa000, 0xa4cf },
	{ 0xa960, 0xa97f }, { 0xac00, 0xd7a3 }, { 0xf900, 0xfaff }, { 0xfe10, 0xfe19 },
	{ 0xfe30, 0xfe6f }, { 0xff00, 0xff60 }, { 0xffe0, 0xffe6 },
	{ 0x16fe0, 0x16fe4 }, { 0x17000, 0x18cff }, { 0x1b000, 0x1b2ff },
	{ 0x1f004, 0x1f004 }, { 0x1f0cf, 0x1f0cf }, { 0x1f18e, 0x1f18e },
	{ 0x1f191, 0x1f19a }, { 0x1f200, 0x1f202 }, { 0x1f210, 0x1f23b },
	{ 0x1f240, 0x1f248 }, { 0x1f250, 0x1f251 }, { 0x1f260, 0x1f265 },
	{ 0x1f300, 0x1f320 }, { 0x1f32d, 0x1f335 }, { 0x1f337, 0x1f37c },
	{ 0x1f37e, 0x1f393 }, { 0x1f3a0, 0x1f3ca }, { 0x1f3cf, 0x1f3d3 },
	{ 0x1f3e0, 0x1f3f0 }, { 0x1f3f4, 0x1f3f4 }, { 0x1f3f8, 0x1f43e },
	{ 0x1f440, 0x1f440 }, { 0x1f442, 0x1f4fc }, { 0x1f4ff, 0x1f53d },
	{ 0x1f54b, 0x1f54e }, { 0x1f550, 0x1f567 }, { 0x1f57a, 0x1f57a },
	{ 0x1f595, 0x1f596 }, { 0x1f5a4, 0x1f5a4 }, { 0x1f5fb, 0x1f64f },
	{ 0x1f680, 0x1f6c5 }, { 0x1f6cc, 0x1f6cc }, { 0x1f6d0, 0x1f6d2 },
	{ 0x1f6d5, 0x1f6d7 }, { 0x1f6eb, 0x1f6ec }, { 0x1f6f4, 0x1f6fc },
	{ 0x1f7e0, 0x1f7eb }, { 0x1f90c, 0x1f93a }, { 0x1f93c, 0x1f945 },
	{ 0x1f947, 0x1f9ff }, { 0x1fa70, 0x1faff }, { 0x20000, 0x2fffd },
	{ 0x30000, 0x3fffd },
};

/* Zero width: combining marks, zero-width characters, variation selectors. */
static const struct cp_range zero[] = {
	{ 0x0300, 0x036f }, { 0x0483, 0x0489 }, { 0x1ab0, 0x1aff }, { 0x1dc0, 0x1dff },
	{ 0x200b, 0x200f }, { 0x2060, 0x2064 }, { 0x20d0, 0x20ff }, { 0xfe00, 0xfe0f },
	{ 0xfe20, 0xfe2f }, { 0xe0100, 0xe01ef },
};

static bool
in_ranges(unsigned long cp, const struct cp_range *r, size_t n)
{
	size_t lo = 0, hi = n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (cp < r[mid].lo)
			hi = mid;
		else if (cp > r[mid].hi)
			lo = mid + 1;
		else
			return true;
	}
	return false;
}

int
query_cp_width(unsigned long cp)
{
	if (cp < 0x300)
		return 1;
	if (in_ranges(cp, zero, sizeof zero / sizeof zero[0]))
		return 0;
	return in_ranges(cp, wide, sizeof wide / sizeof wide[0]) ? 2 : 1;
}

static unsigned long
utf8_decode(const unsigned char *p, size_t len)
{
	static const unsigned char lead_mask[] = { 0, 0x7f, 0x1f, 0x0f, 0x07 };
	unsigned long cp = p[0] & lead_mask[len];

	for (size_t i = 1; i < len; i++)
		cp = cp << 6 | (p[i] & 0x3f);
	return cp;
}

/*
 * The next piece of a cell at s (n bytes left): its terminal-safe text in piece (at
 * most 6 bytes plus NUL), its display width in *width, and the bytes of s it stands
 * for (returned).
 */
static size_t
cell_piece(const unsigned char *s, size_t n, char piece[12], int *width)
{
	size_t len = utf8_seq_len(s, n);
	unsigned long cp;

	if (len == 0) {
		strcpy(piece, "\xef\xbf\xbd"); /* not UTF-8: U+FFFD */
		*width = 1;
		return 1;
	}
	cp = utf8_decode(s, len);
	if (cp == '\n' || cp == '\t' || cp == '\r') {
		snprintf(piece, 12, "\\%c", cp == '\n' ? 'n' : cp == '\t' ? 't' : 'r');
	} else if (cp < 0x20 || cp == 0x7f) {
		snprintf(piece, 12, "\\x%02lx", cp);
	} else if (cp >= 0x80 && cp < 0xa0) {
		snprintf(piece, 12, "\\u%04lx", cp); /* C1 controls */
	} else {
		memcpy(piece, s, len);
		piece[len] = '\0';
		*width = query_cp_width(cp);
		return len;
	}
	*width = (int)strlen(piece);
	return len;
}

int
query_render_cell(struct buf *out, const char *s, size_t n, int max)
{
	return query_render_cell_cut(out, s, n, max, NULL);
}

int
query_render_cell_cut(struct buf *out, const char *s, size_t n, int max, bool *cut)
{
	const unsigned char *p = (const unsigned char *)s;
	const unsigned char *end = p + n;
	size_t cut_len = out->len;
	int w = 0, cut_w = 0;

	if (cut != NULL)
		*cut = false;
	while (p < end) {
		char piece[12];
		int pw;
		p += cell_piece(p, (size_t)(end - p), piece, &pw);
		if (w + pw > max) {
			buf_truncate(out, cut_len);
			if (cut != NULL)
				*cut = true;
			return buf_puts(out, "\xe2\x80\xa6") == -1 ? -1 : cut_w + 1; /* … */
		}
		if (buf_puts(out, piece) == -1)
			return -1;
		w += pw;
		if (w <= max - 1) {
			cut_len = out->len;
			cut_w = w;
		}
	}
	return w;
}

/* ---- read-only guard ---- */

/* A column the statement reads from a table or view named in it (not one a view reads
 * on its behalf): what typed JSON output goes by (see column_kinds). */
struct read_col {
	char *table, *column;
};

#define READS_MAX 4096

struct guard {
	char refused[160];	/* what the authorizer said no to, or "" */
	bool not_write;		/* ... and that was not a write (a PRAGMA query does not run) */
	struct read_col *reads;
	size_t nreads, cap;
};

static void
guard_free(struct guard *g)
{
	for (size_t i = 0; i < g->nreads; i++) {
		free(g->reads[i].table);
		free(g->reads[i].column);
	}
	free(g->reads);
	memset(g, 0, sizeof *g);
}

/* Remember a column read; best effort (typing the output is all it is for). */
static void
guard_note_read(struct guard *g, const char *table, const char *column)
{
	struct read_col *r;

	if (table == NULL || column == NULL || g->nreads == READS_MAX)
		return;
	for (size_t i = 0; i < g->nreads; i++) {
		if (sqlite3_stricmp(g->reads[i].table, table) == 0 &&
		    sqlite3_stricmp(g->reads[i].column, column) == 0)
			return;
	}
	if (g->nreads == g->cap) {
		size_t cap = g->cap ? g->cap * 2 : 16;
		if ((r = realloc(g->reads, cap * sizeof *r)) == NULL)
			return;
		g->reads = r;
		g->cap = cap;
	}
	r = &g->reads[g->nreads];
	r->table = strdup(table);
	r->column = strdup(column);
	if (r->table == NULL || r->column == NULL) {
		free(r->table);
		free(r->column);
		return;
	}
	g->nreads++;
}

static bool
pragma_allowed(const char *name, const char *arg)
{
	/* Pragmas that only report; those in the second list also set when given a
	 * value, so they are allowed only bare. */
	static const char *const report[] = {
		"collation_list", "compile_options", "database_list", "foreign_key_check",
		"foreign_key_list", "function_list", "index_info", "index_list",
		"index_xinfo", "integrity_check", "module_list", "pragma_list",
		"quick_check", "table_info", "table_list", "table_xinfo",
	};
	static const char *const bare[] = {
		"application_id", "data_version", "encoding", "freelist_count", "page_count",
		"page_size", "schema_version", "user_version",
	};

	for (size_t i = 0; i < sizeof report / sizeof report[0]; i++) {
		if (sqlite3_stricmp(name, report[i]) == 0)
			return true;
	}
	for (size_t i = 0; arg == NULL && i < sizeof bare / sizeof bare[0]; i++) {
		if (sqlite3_stricmp(name, bare[i]) == 0)
			return true;
	}
	return false;
}

static const char *
action_name(int action)
{
	switch (action) {
	case SQLITE_INSERT: return "INSERT";
	case SQLITE_UPDATE: return "UPDATE";
	case SQLITE_DELETE: return "DELETE";
	case SQLITE_ATTACH: return "ATTACH";
	case SQLITE_DETACH: return "DETACH";
	case SQLITE_TRANSACTION: return "a transaction statement";
	case SQLITE_SAVEPOINT: return "SAVEPOINT";
	case SQLITE_ALTER_TABLE: return "ALTER TABLE";
	case SQLITE_REINDEX: return "REINDEX";
	case SQLITE_ANALYZE: return "ANALYZE";
	case SQLITE_PRAGMA: return "this PRAGMA";
	default: break;
	}
	if (action == SQLITE_CREATE_INDEX || action == SQLITE_CREATE_TABLE ||
	    action == SQLITE_CREATE_TEMP_INDEX || action == SQLITE_CREATE_TEMP_TABLE ||
	    action == SQLITE_CREATE_TEMP_TRIGGER || action == SQLITE_CREATE_TEMP_VIEW ||
	    action == SQLITE_CREATE_TRIGGER || action == SQLITE_CREATE_VIEW ||
	    action == SQLITE_CREATE_VTABLE)
		return "CREATE";
	return "DROP";
}

/* Allow reading and nothing else. */
static int
authorize(void *ctx, int action, const char *a, const char *b, const char *db,
	  const char *trigger)
{
	struct guard *g = ctx;

	(void)db;
	switch (action) {
	case SQLITE_READ:
		if (trigger == NULL)
			guard_note_read(g, a, b);
		return SQLITE_OK;
	case SQLITE_SELECT:
	case SQLITE_FUNCTION:
	case SQLITE_RECURSIVE:
		return SQLITE_OK;
	case SQLITE_UPDATE:
		/* Connecting a table-valued function (json_each, pragma_table_info)
		 * compiles, and never runs, an UPDATE of its row in the schema table.  A
		 * user's UPDATE of the schema table is refused all the same: SQLite will
		 * not modify it (defensive mode, no writable_schema), the connection is
		 * read-only, and the statement is not. */
		if (a != NULL && sqlite3_stricmp(a, "sqlite_master") == 0)
			return SQLITE_OK;
		break;
	case SQLITE_PRAGMA:
		if (pragma_allowed(a, b))
			return SQLITE_OK;
		snprintf(g->refused, sizeof g->refused, "PRAGMA %s%s%s", a, b ? " = " : "",
			 b ? b : "");
		g->not_write = b == NULL;
		return SQLITE_DENY;
	default:
		break;
	}
	/* Name the statement, not the bookkeeping it does first (CREATE TABLE writes
	 * to sqlite_schema before SQLite asks about the CREATE): see prepare_one. */
	if (g->refused[0] == '\0' &&
	    !((action == SQLITE_INSERT || action == SQLITE_UPDATE || action == SQLITE_DELETE) &&
	      a != NULL && strncmp(a, "sqlite_", 7) == 0))
		snprintf(g->refused, sizeof g->refused, "%s", action_name(action));
	return SQLITE_DENY;
}

/* The first word of the statement, upper-cased ("CREATE"), into out. */
static void
first_keyword(const char *sql, char *out, size_t outlen)
{
	const char *p = sql;
	size_t n = 0;

	for (;;) {
		p += strspn(p, " \t\r\n\f;");
		if (p[0] == '-' && p[1] == '-')
			p += strcspn(p, "\n");
		else if (p[0] == '/' && p[1] == '*' && strstr(p + 2, "*/") != NULL)
			p = strstr(p + 2, "*/") + 2;
		else
			break;
	}
	while (n + 1 < outlen && ((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z')))
		out[n++] = (char)(*p >= 'a' ? *p++ - 'a' + 'A' : *p++);
	out[n] = '\0';
}

/* ---- preparing the one statement ---- */

/* Display columns of n bytes of text as query_render_cell shows them, uncut. */
static int
text_width(const char *s, size_t n)
{
	const unsigned char *p = (const unsigned char *)s;
	char piece[12];
	int w = 0, pw;

	for (size_t i = 0; i < n; w += pw)
		i += cell_piece(p + i, n - i, piece, &pw);
	return w;
}

/*
 * Report a SQL error: SQLite's message, and when it knows where, the line of the SQL
 * with a caret under the spot (the line shown from 60 columns before the spot when it
 * is further in).  off is a byte offset into sql, or -1.
 */
static void
report_sql_error(const char *sql, int off, const char *msg)
{
	const char *line = sql, *spot, *start, *eol;
	struct buf text, caret;
	int lineno = 1, col, lead;

	if (off < 0 || (size_t)off > strlen(sql)) {
		log_error("%s", msg);
		return;
	}
	spot = sql + off;
	for (const char *p = sql; p < spot; p++) {
		if (*p == '\n') {
			line = p + 1;
			lineno++;
		}
	}
	eol = line + strcspn(line, "\n");
	col = text_width(line, (size_t)(spot - line));
	start = line;
	for (lead = col; lead > 60;) {
		char piece[12];
		int pw;
		start += cell_piece((const unsigned char *)start, (size_t)(eol - start), piece,
				    &pw);
		lead -= pw;
	}
	buf_init(&text, 1 << 16);
	buf_init(&caret, 1 << 16);
	if (start > line) {
		buf_puts(&text, "\xe2\x80\xa6"); /* … */
		lead++;
	}
	query_render_cell(&text, start, (size_t)(eol - start), 100);
	while (lead-- > 0)
		buf_putc(&caret, ' ');
	log_error("%s (line %d, column %d)\n  %s\n  %s^", msg, lineno, col + 1,
		  buf_str(&text), buf_str(&caret));
	buf_free(&text);
	buf_free(&caret);
}

/* Is the text after the statement only white space, comments and semicolons? */
static int
check_tail(sqlite3 *db, const char *sql, const char *tail)
{
	sqlite3_stmt *extra = NULL;

	if (sqlite3_prepare_v2(db, tail, -1, &extra, NULL) == SQLITE_OK && extra == NULL)
		return 0;
	sqlite3_finalize(extra);
	report_sql_error(sql, (int)(tail - sql + strspn(tail, " \t\r\n;")),
			 "give one SQL statement: there is another after the first");
	return -1;
}

/* Can a statement that starts with this keyword be a read? */
static bool
reading_keyword(const char *kw)
{
	static const char *const reads[] = { "SELECT", "WITH", "VALUES", "EXPLAIN", "PRAGMA" };

	for (size_t i = 0; i < sizeof reads / sizeof reads[0]; i++) {
		if (strcmp(kw, reads[i]) == 0)
			return true;
	}
	return false;
}

/* Say why a statement is refused: what would write, or a PRAGMA query does not run. */
static void
report_refused(const struct guard *g, const char *what)
{
	if (g->not_write)
		log_error("refused: %s is not one of the pragmas query runs (those that only"
			  " report, such as table_info, index_list, foreign_key_list,"
			  " integrity_check, user_version)", what);
	else
		log_error("refused: %s is not allowed: query is read-only", what);
}

/*
 * Prepare sql as the one statement to run, the authorizer g watching.  EXIT_DONE
 * with *out set, or the exit code after reporting why not.
 *
 * SQLite compiles the statement first, so a typo gets SQLite's own message with its
 * position ("near "SELEC": syntax error"), never "read-only"; only a statement that
 * compiles and would write (the authorizer refused it, or it is not a reading
 * statement, or SQLite says it is not read-only) is refused as a write.  Compiling
 * runs nothing, VACUUM INTO included.
 */
static int
prepare_one(sqlite3 *db, const char *sql, struct guard *g, sqlite3_stmt **out)
{
	const char *tail = NULL;
	sqlite3_stmt *st = NULL;
	char kw[40];
	int rc, code;

	*out = NULL;
	g->refused[0] = '\0';
	g->not_write = false;
	sqlite3_set_authorizer(db, authorize, g);
	rc = sqlite3_prepare_v2(db, sql, -1, &st, &tail);
	if (rc != SQLITE_OK) {
		code = sqlite3_errcode(db) == SQLITE_ERROR || sqlite3_errcode(db) == SQLITE_AUTH ?
			       EXIT_USAGE : EXIT_FAILED;
		if (sqlite3_errcode(db) == SQLITE_AUTH) {
			if (g->refused[0] == '\0')
				first_keyword(sql, g->refused, sizeof g->refused);
			report_refused(g, g->refused);
		} else {
			report_sql_error(sql, sqlite3_error_offset(db), sqlite3_errmsg(db));
		}
		return code;
	}
	if (st == NULL) {
		log_error("no SQL statement given");
		return EXIT_USAGE;
	}
	if (check_tail(db, sql, tail) == -1) {
		sqlite3_finalize(st);
		return EXIT_USAGE;
	}
	first_keyword(sql, kw, sizeof kw);
	if (!reading_keyword(kw)) {
		g->not_write = false;
		report_refused(g, kw);
		sqlite3_finalize(st);
		return EXIT_USAGE;
	}
	if (!sqlite3_stmt_readonly(st)) {
		log_error("refused: this statement would write: query is read-only");
		sqlite3_finalize(st);
		return EXIT_USAGE;
	}
	*out = st;
	return EXIT_DONE;
}

/* ---- typed JSON: what the item views hold ---- */

/*
 * An item view (store.c) has a column per field: json_extract(data, '$."F"'), cast
 * AS INTEGER for int and bool fields and AS REAL for numbers.  SQLite hands out a
 * bool as 0 or 1 and an all: true field as the text of a JSON array, and a view's
 * columns have no declared type (sqlite3_column_decltype is NULL for them).  So
 * what a field is comes from the view's definition (which field, which cast) and the
 * items' own JSON (json_type of the field in the first items of the type that have
 * it: true/false, array, object).  -f json and jsonl then write such a column the
 * way the items hold it; items.data (a JSON object) likewise.
 */
enum json_kind { JK_PLAIN, JK_BOOL, JK_ARRAY, JK_OBJECT };

#define KIND_SAMPLE 1000	/* items of a type looked at to learn a field's JSON type */

struct field_info {
	enum json_kind kind;
	const char *label;	/* for --schema: INTEGER, REAL, TEXT, bool, JSON array ... */
};

/* The item type of a view store.c made ("... FROM items WHERE type = 'T'"), into
 * out; -1 when it is not such a view. */
static int
view_item_type(const char *sql, struct buf *out)
{
	static const char marker[] = " FROM items WHERE type = '";
	const char *p = strstr(sql, marker);

	if (p == NULL)
		return -1;
	for (p += sizeof marker - 1; *p != '\0'; p++) {
		if (*p == '\'' && p[1] != '\'')
			return p[1] == '\0' ? 0 : -1;
		if (*p == '\'')
			p++;
		if (buf_putc(out, *p) == -1)
			return -1;
	}
	return -1;
}

/* What column col of view is, when the view is an item view and col one of its fields. */
static struct field_info
field_info(sqlite3 *db, const char *view, const char *col)
{
	struct field_info fi = { JK_PLAIN, NULL };
	sqlite3_stmt *st = NULL;
	struct buf type, expr, path;
	const char *sql, *at, *json = NULL;

	buf_init(&type, 1 << 16);
	buf_init(&expr, 1 << 16);
	buf_init(&path, 1 << 16);
	if (sqlite3_prepare_v2(db, "SELECT sql FROM sqlite_schema WHERE type = 'view'"
				   " AND name = ?1 COLLATE NOCASE", -1, &st, NULL) != SQLITE_OK)
		goto done;
	sqlite3_bind_text(st, 1, view, -1, SQLITE_STATIC);
	if (sqlite3_step(st) != SQLITE_ROW ||
	    (sql = (const char *)sqlite3_column_text(st, 0)) == NULL ||
	    view_item_type(sql, &type) == -1 || buf_printf(&path, "$.\"%s\"", col) == -1 ||
	    buf_printf(&expr, "CAST(json_extract(data, '%s') AS ", buf_str(&path)) == -1)
		goto done;
	if ((at = strstr(sql, buf_str(&expr))) != NULL) {
		fi.label = strncmp(at + expr.len, "REAL)", 5) == 0 ? "REAL" : "INTEGER";
	} else {
		buf_reset(&expr);
		if (buf_printf(&expr, "json_extract(data, '%s') AS \"%s\"", buf_str(&path),
			       col) == -1 ||
		    strstr(sql, buf_str(&expr)) == NULL)
			goto done; /* not one of its fields */
		fi.label = "TEXT";
	}
	sqlite3_finalize(st);
	st = NULL;
	if (sqlite3_prepare_v2(db, "SELECT t FROM (SELECT json_type(data, ?2) AS t FROM"
				   " (SELECT data FROM items WHERE type = ?1 LIMIT ?3))"
				   " WHERE t <> 'null' LIMIT 1", -1, &st, NULL) != SQLITE_OK)
		goto done;
	sqlite3_bind_text(st, 1, buf_str(&type), (int)type.len, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, buf_str(&path), (int)path.len, SQLITE_STATIC);
	sqlite3_bind_int(st, 3, KIND_SAMPLE);
	if (sqlite3_step(st) == SQLITE_ROW)
		json = (const char *)sqlite3_column_text(st, 0);
	if (json != NULL && (strcmp(json, "true") == 0 || strcmp(json, "false") == 0))
		fi = (struct field_info){ JK_BOOL, "bool" };
	else if (json != NULL && strcmp(json, "array") == 0)
		fi = (struct field_info){ JK_ARRAY, "JSON array" };
	else if (json != NULL && strcmp(json, "object") == 0)
		fi = (struct field_info){ JK_OBJECT, "JSON object" };
done:
	sqlite3_finalize(st);
	buf_free(&type);
	buf_free(&expr);
	buf_free(&path);
	return fi;
}

/*
 * The JSON kind of each result column: a column named like a column the statement
 * reads from an item view is that field's kind, when every such read agrees (so
 * "SELECT tags FROM book" is an array, "SELECT upper(title) AS tags FROM book" is
 * not: it reads no column tags); a column named data read from items is an object.
 * kinds[] gets ncols entries.
 */
static void
column_kinds(sqlite3 *db, sqlite3_stmt *st, struct guard *g, enum json_kind *kinds)
{
	int ncols = sqlite3_column_count(st);

	/* Our own look-ups are not the user's reads. */
	sqlite3_set_authorizer(db, NULL, NULL);
	for (int i = 0; i < ncols; i++) {
		const char *name = sqlite3_column_name(st, i);
		enum json_kind k = JK_PLAIN;
		bool conflict = false;
		kinds[i] = JK_PLAIN;
		for (size_t r = 0; name != NULL && r < g->nreads && !conflict; r++) {
			const struct read_col *rc = &g->reads[r];
			enum json_kind rk;
			if (sqlite3_stricmp(rc->column, name) != 0)
				continue;
			if (sqlite3_stricmp(rc->table, "items") == 0)
				rk = sqlite3_stricmp(name, "data") == 0 ? JK_OBJECT : JK_PLAIN;
			else
				rk = field_info(db, rc->table, rc->column).kind;
			if (k != JK_PLAIN && rk != k)
				conflict = true;
			k = rk;
		}
		kinds[i] = conflict ? JK_PLAIN : k;
	}
	sqlite3_set_authorizer(db, authorize, g);
}

/* ---- output ---- */

struct output {
	FILE *fp;
	enum out_format format;
	int ncols;
	char **keys;		/* json: the column names, made unique */
	struct buf row;		/* the row being written */
	struct buf val;		/* scratch: one value as text */
	long long nrows;
	bool first;		/* json: no row written yet */
	enum json_kind *kinds;	/* json: per column, or NULL */
	sqlite3_stmt *json_norm; /* json: "the text as minified JSON, or NULL" */
	struct guard *guard;	/* json: what the statement read, for column_kinds */
	int cell_max;		/* table: display columns of a cell, at most */
	long long cut;		/* table: cells cut to fit */
};

static const char *
column_name(sqlite3_stmt *st, int i)
{
	const char *name = sqlite3_column_name(st, i);

	return name != NULL ? name : "";
}

/* Is key, for column i, already a key before it, or (when made up) a later name? */
static bool
key_taken(const struct output *o, sqlite3_stmt *st, int i, const char *key, bool made_up)
{
	for (int j = 0; j < i; j++) {
		if (strcmp(o->keys[j], key) == 0)
			return true;
	}
	for (int j = i + 1; made_up && j < o->ncols; j++) {
		if (strcmp(column_name(st, j), key) == 0)
			return true;
	}
	return false;
}

/* The column names as JSON keys: a repeated name gets _2, _3 ... (one not taken). */
static int
make_keys(struct output *o, sqlite3_stmt *st)
{
	struct buf key;

	if (o->ncols == 0)
		return 0;
	if ((o->keys = calloc((size_t)o->ncols, sizeof *o->keys)) == NULL)
		return -1;
	buf_init(&key, 1 << 16);
	for (int i = 0; i < o->ncols; i++) {
		const char *name = column_name(st, i);
		buf_reset(&key);
		if (buf_puts(&key, name) == -1)
			break;
		for (int n = 2; key_taken(o, st, i, buf_str(&key), n > 2); n++) {
			buf_reset(&key);
			if (buf_printf(&key, "%s_%d", name, n) == -1)
				break;
		}
		if ((o->keys[i] = strdup(buf_str(&key))) == NULL)
			break;
	}
	buf_free(&key);
	return o->keys[o->ncols - 1] != NULL ? 0 : -1;
}

static int
csv_header(struct output *o, sqlite3_stmt *st)
{
	for (int i = 0; i < o->ncols; i++) {
		const char *name = column_name(st, i);
		if ((i > 0 && buf_putc(&o->row, ',') == -1) ||
		    query_put_csv(&o->row, name, strlen(name)) == -1)
			return -1;
	}
	return buf_puts(&o->row, "\r\n");
}

static int
csv_row(struct output *o, sqlite3_stmt *st)
{
	for (int i = 0; i < o->ncols; i++) {
		if ((i > 0 && buf_putc(&o->row, ',') == -1) ||
		    query_put_csv_value(&o->row, st, i) == -1)
			return -1;
	}
	return buf_puts(&o->row, "\r\n");
}

/*
 * Column i as JSON, typed as column_kinds found: a bool field's 0 or 1 is false or
 * true, and an array field's (or items.data's) text is the array (object) itself when
 * it is valid JSON of that shape.  Any other value is written as SQLite has it.
 */
static int
json_typed_value(struct output *o, sqlite3_stmt *st, int i)
{
	enum json_kind k = o->kinds != NULL ? o->kinds[i] : JK_PLAIN;
	int type = sqlite3_column_type(st, i);
	const char *text, *norm;
	int rc;

	if (k == JK_BOOL && type == SQLITE_INTEGER) {
		sqlite3_int64 v = sqlite3_column_int64(st, i);
		if (v == 0 || v == 1)
			return buf_puts(&o->row, v ? "true" : "false");
	}
	if ((k == JK_ARRAY || k == JK_OBJECT) && type == SQLITE_TEXT && o->json_norm != NULL) {
		text = (const char *)sqlite3_column_text(st, i);
		text += strspn(text, " \t\r\n");
		if (*text == (k == JK_ARRAY ? '[' : '{')) {
			sqlite3_bind_text(o->json_norm, 1, text, -1, SQLITE_STATIC);
			if (sqlite3_step(o->json_norm) == SQLITE_ROW &&
			    (norm = (const char *)sqlite3_column_text(o->json_norm, 0)) != NULL) {
				rc = buf_puts(&o->row, norm);
				sqlite3_reset(o->json_norm);
				return rc;
			}
			sqlite3_reset(o->json_norm);
		}
	}
	return query_put_json_value(&o->row, st, i);
}

/* One row as a JSON object: {"key":value,...}. */
static int
json_object(struct output *o, sqlite3_stmt *st)
{
	if (buf_putc(&o->row, '{') == -1)
		return -1;
	for (int i = 0; i < o->ncols; i++) {
		if ((i > 0 && buf_putc(&o->row, ',') == -1) ||
		    json_put_cstring(&o->row, o->keys[i]) == -1 || buf_putc(&o->row, ':') == -1 ||
		    json_typed_value(o, st, i) == -1)
			return -1;
	}
	return buf_putc(&o->row, '}');
}

static int
json_row(struct output *o, sqlite3_stmt *st)
{
	if (buf_puts(&o->row, o->first ? "[\n" : ",\n") == -1)
		return -1;
	o->first = false;
	return json_object(o, st);
}

static int
jsonl_row(struct output *o, sqlite3_stmt *st)
{
	if (json_object(o, st) == -1)
		return -1;
	return buf_putc(&o->row, '\n');
}

/* ---- the table format ---- */

enum cell_kind { CELL_NULL, CELL_NUMBER, CELL_OTHER };

struct cell {
	size_t off;		/* in the arena */
	int width;
	enum cell_kind kind;
};

struct table {
	int *width;		/* per column, fixed once the sample is printed */
	bool *right;		/* per column: every value in the sample was a number */
	struct buf arena;	/* rendered cells of the header and the sample, NUL-ended */
	struct cell *cells;	/* row-major, the header first */
	size_t ncells, cap;
	bool fixed;		/* widths fixed: rows now print as they come */
	struct buf cell;	/* scratch: one rendered cell */
};

/* Append column col of the current row to out as a cell of at most max columns;
 * count it in *cut when it had to be cut. */
static int
table_value(struct buf *out, struct buf *scratch, sqlite3_stmt *st, int col, int max,
	    enum cell_kind *kind, long long *cut)
{
	int type = sqlite3_column_type(st, col);
	const unsigned char *p;
	bool was_cut;
	size_t n;
	int w;

	*kind = type == SQLITE_NULL ? CELL_NULL :
		type == SQLITE_INTEGER || type == SQLITE_FLOAT ? CELL_NUMBER : CELL_OTHER;
	buf_reset(scratch);
	if (type == SQLITE_NULL)
		return 0;
	if (type == SQLITE_TEXT) {
		p = sqlite3_column_text(st, col);
		n = (size_t)sqlite3_column_bytes(st, col);
		w = query_render_cell_cut(out, (const char *)p, n, max, &was_cut);
		*cut += was_cut;
		return w;
	}
	if (type == SQLITE_BLOB) {
		p = sqlite3_column_blob(st, col);
		n = (size_t)sqlite3_column_bytes(st, col);
		if (query_put_base64(scratch, p, n) == -1)
			return -1;
	} else if (query_put_csv_value(scratch, st, col) == -1) {
		return -1;
	}
	w = query_render_cell_cut(out, scratch->data, scratch->len, max, &was_cut);
	*cut += was_cut;
	return w;
}

static int
table_add(struct table *t, int width, enum cell_kind kind, size_t off)
{
	if (t->ncells == t->cap) {
		size_t cap = t->cap ? t->cap * 2 : 256;
		struct cell *c = realloc(t->cells, cap * sizeof *c);
		if (c == NULL)
			return -1;
		t->cells = c;
		t->cap = cap;
	}
	t->cells[t->ncells++] = (struct cell){ off, width, kind };
	return buf_putc(&t->arena, '\0');
}

static int
table_start(struct output *o, struct table *t, sqlite3_stmt *st)
{
	memset(t, 0, sizeof *t);
	buf_init(&t->arena, TABLE_ARENA + (1u << 20));
	buf_init(&t->cell, 1 << 16);
	t->width = calloc((size_t)o->ncols + 1, sizeof *t->width);
	t->right = calloc((size_t)o->ncols + 1, sizeof *t->right);
	if (t->width == NULL || t->right == NULL)
		return -1;
	for (int i = 0; i < o->ncols; i++) {
		const char *name = column_name(st, i);
		size_t off = t->arena.len;
		int w = query_render_cell_cut(&t->arena, name, strlen(name), o->cell_max,
						  NULL);
		if (w == -1 || table_add(t, w, CELL_OTHER, off) == -1)
			return -1;
	}
	return 0;
}

static void
table_free(struct table *t)
{
	free(t->width);
	free(t->right);
	free(t->cells);
	buf_free(&t->arena);
	buf_free(&t->cell);
}

/* One cell, padded to its column's width, then the gap to the next. */
static int
put_cell(struct buf *row, const char *text, int w, bool right, int width, bool last)
{
	int pad = width > w ? width - w : 0;

	if (last && w == 0)
		return buf_putc(row, '\n'); /* no trailing blanks */
	if (right)
		for (; pad > 0; pad--)
			if (buf_putc(row, ' ') == -1)
				return -1;
	if (buf_puts(row, text) == -1)
		return -1;
	if (last)
		return buf_putc(row, '\n');
	for (pad += 2; pad > 0; pad--)
		if (buf_putc(row, ' ') == -1)
			return -1;
	return 0;
}

/* The line of dashes under the header. */
static int
table_rule(struct output *o, struct table *t)
{
	for (int k = 0; k < o->ncols; k++) {
		for (int d = t->width[k] > 0 ? t->width[k] : 1; d > 0; d--)
			if (buf_putc(&o->row, '-') == -1)
				return -1;
		if (buf_puts(&o->row, k == o->ncols - 1 ? "\n" : "  ") == -1)
			return -1;
	}
	return 0;
}

/*
 * Fix the widths from the sample, and the alignment: a column whose sampled values
 * are all numbers (NULLs aside) is aligned right, header included.  Then print the
 * header, the rule under it and the sample.
 */
static int
table_print_sample(struct output *o, struct table *t)
{
	size_t n = (size_t)o->ncols;
	bool *seen = t->right; /* first: has the column a number? */

	t->fixed = true;
	if (n == 0)
		return 0;
	for (size_t i = 0; i < t->ncells; i++) {
		const struct cell *c = &t->cells[i];
		if (c->width > t->width[i % n])
			t->width[i % n] = c->width;
		if (i >= n && c->kind == CELL_NUMBER)
			seen[i % n] = true;
	}
	for (size_t i = n; i < t->ncells; i++) {
		if (t->cells[i].kind == CELL_OTHER)
			t->right[i % n] = false;
	}
	for (size_t i = 0; i < t->ncells; i++) {
		const struct cell *c = &t->cells[i];
		size_t col = i % n;
		if (put_cell(&o->row, t->arena.data + c->off, c->width, t->right[col],
			     t->width[col], col == n - 1) == -1)
			return -1;
		if (i + 1 == n && table_rule(o, t) == -1)
			return -1;
		if (col == n - 1 && query_flush(&o->row, o->fp) == -1)
			return -1;
	}
	return 0;
}

static int
table_row(struct output *o, struct table *t, sqlite3_stmt *st)
{
	for (int i = 0; i < o->ncols; i++) {
		enum cell_kind kind;
		int w;
		if (!t->fixed) {
			size_t off = t->arena.len;
			w = table_value(&t->arena, &o->val, st, i, o->cell_max, &kind, &o->cut);
			if (w == -1 || table_add(t, w, kind, off) == -1)
				return -1;
			continue;
		}
		buf_reset(&t->cell);
		/* Widths are fixed now: a longer cell is cut to its column, unless
		 * nothing may be cut (then it sticks out). */
		w = table_value(&t->cell, &o->val, st, i,
				o->cell_max == INT_MAX	? INT_MAX :
				t->width[i] > 0		? t->width[i] :
							  1,
				&kind, &o->cut);
		if (w == -1 || put_cell(&o->row, buf_str(&t->cell), w, t->right[i], t->width[i],
					i == o->ncols - 1) == -1)
			return -1;
	}
	if (!t->fixed && o->ncols > 0 &&
	    (t->ncells / (size_t)o->ncols > TABLE_SAMPLE || t->arena.len >= TABLE_ARENA))
		return table_print_sample(o, t);
	return 0;
}

static int
table_end(struct output *o, struct table *t)
{
	if (!t->fixed && table_print_sample(o, t) == -1)
		return -1;
	return buf_printf(&o->row, "(%lld row%s)\n", o->nrows, o->nrows == 1 ? "" : "s");
}

/* ---- running the statement ---- */

static int
output_row(struct output *o, struct table *t, sqlite3_stmt *st)
{
	int rc;

	switch (o->format) {
	case FMT_TABLE: rc = table_row(o, t, st); break;
	case FMT_JSON: rc = json_row(o, st); break;
	case FMT_JSONL: rc = jsonl_row(o, st); break;
	default: rc = csv_row(o, st); break;
	}
	o->nrows++;
	return rc;
}

static int
output_start(struct output *o, struct table *t, sqlite3_stmt *st)
{
	o->ncols = sqlite3_column_count(st);
	o->first = true;
	buf_init(&o->row, ROW_MAX);
	buf_init(&o->val, ROW_MAX);
	if (o->format == FMT_TABLE)
		return table_start(o, t, st);
	if (o->format == FMT_JSON || o->format == FMT_JSONL) {
		if (o->ncols > 0 && o->guard != NULL) {
			if ((o->kinds = calloc((size_t)o->ncols, sizeof *o->kinds)) == NULL)
				return -1;
			column_kinds(sqlite3_db_handle(st), st, o->guard, o->kinds);
			sqlite3_prepare_v2(sqlite3_db_handle(st),
					   "SELECT CASE WHEN json_valid(?1) THEN json(?1) END", -1,
					   &o->json_norm, NULL);
		}
		return make_keys(o, st);
	}
	return csv_header(o, st);
}

static int
output_end(struct output *o, struct table *t)
{
	if (o->format == FMT_TABLE)
		return table_end(o, t);
	if (o->format == FMT_JSON)
		return buf_puts(&o->row, o->first ? "[]\n" : "\n]\n");
	return 0;
}

static void
output_free(struct output *o, struct table *t)
{
	for (int i = 0; o->keys != NULL && i < o->ncols; i++)
		free(o->keys[i]);
	free(o->keys);
	free(o->kinds);
	sqlite3_finalize(o->json_norm);
	buf_free(&o->row);
	buf_free(&o->val);
	if (o->format == FMT_TABLE)
		table_free(t);
}

/* An error from sqlite3_step: a SQL error (2) or the database failing (1). */
static int
step_error(sqlite3 *db)
{
	int code = sqlite3_errcode(db);

	log_error("%s", sqlite3_errmsg(db));
	return code == SQLITE_ERROR || code == SQLITE_MISMATCH || code == SQLITE_RANGE ||
			       code == SQLITE_TOOBIG || code == SQLITE_CONSTRAINT ?
		       EXIT_USAGE :
		       EXIT_FAILED;
}

/* The closing note of a table whose cells were cut: how many, and how to see them. */
static void
note_cut(const struct output *o)
{
	if (o->cut > 0)
		log_info("note: %lld cell%s cut to fit (shown ending in \xe2\x80\xa6); --no-truncate"
			 " shows every cell whole, as do -f csv, json and jsonl",
			 o->cut, o->cut == 1 ? " was" : "s were");
}

static int
print_rows(sqlite3 *db, sqlite3_stmt *st, const struct query_opts *qo, struct guard *g)
{
	struct output o = { .fp = stdout, .format = qo->format, .guard = g };
	struct table t;
	int rc, code = EXIT_DONE;

	o.cell_max = qo->no_truncate ? INT_MAX : CELL_MAX;
	if (o.format == FMT_DEFAULT)
		o.format = isatty(STDOUT_FILENO) ? FMT_TABLE : FMT_CSV;
	memset(&t, 0, sizeof t);
	if (output_start(&o, &t, st) == -1)
		goto nomem;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		if (output_row(&o, &t, st) == -1)
			goto nomem;
		if (o.format != FMT_TABLE || t.fixed) {
			if (query_flush(&o.row, o.fp) == -1)
				goto write_error;
		}
	}
	if (rc != SQLITE_DONE)
		code = step_error(db);
	if (output_end(&o, &t) == -1)
		goto nomem;
	if (query_flush(&o.row, o.fp) == -1 || fflush(o.fp) == EOF)
		goto write_error;
	note_cut(&o);
	output_free(&o, &t);
	return code;
nomem:
	log_error("%s", errno == EMSGSIZE ? "a row is too large to print (over 512 MiB)" :
					   "out of memory");
	output_free(&o, &t);
	return EXIT_FAILED;
write_error:
	code = query_write_failed();
	output_free(&o, &t);
	return code;
}

/* ---- the tables, the schema, SQL from standard input ---- */

#define SQL_MAX (64u << 20)	/* SQL read from standard input, at most */

/* The tables and views, each with its kind and its columns. */
static const char tables_sql[] =
	"SELECT s.name AS name, s.type AS type,"
	" (SELECT group_concat(c.name, ', ') FROM pragma_table_info(s.name) c) AS columns"
	" FROM sqlite_schema s WHERE s.type IN ('table', 'view')"
	" AND s.name NOT LIKE 'sqlite\\_%' ESCAPE '\\'"
	" ORDER BY s.type, s.name";

/* Every table and view's name, for a message: "pages, items, book (view)". */
static void
list_names(sqlite3 *db, struct buf *out)
{
	sqlite3_stmt *st;

	if (sqlite3_prepare_v2(db, tables_sql, -1, &st, NULL) != SQLITE_OK)
		return;
	while (sqlite3_step(st) == SQLITE_ROW)
		buf_printf(out, "%s%s%s", out->len ? ", " : "", sqlite3_column_text(st, 0),
			   strcmp((const char *)sqlite3_column_text(st, 1), "view") == 0 ?
				   " (view)" : "");
	sqlite3_finalize(st);
}

/* A view's columns as SQL comments: "--   title   TEXT". */
static int
view_columns(sqlite3 *db, const char *view, struct buf *out)
{
	sqlite3_stmt *st;
	int rc;

	if (sqlite3_prepare_v2(db, "SELECT name, type FROM pragma_table_info(?1)", -1, &st,
			       NULL) != SQLITE_OK)
		return -1;
	sqlite3_bind_text(st, 1, view, -1, SQLITE_STATIC);
	buf_puts(out, "-- columns:\n");
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		const char *name = (const char *)sqlite3_column_text(st, 0);
		const char *decl = (const char *)sqlite3_column_text(st, 1);
		const char *label = decl != NULL && *decl != '\0' ? decl : NULL;
		if (label == NULL)
			label = field_info(db, view, name).label;
		buf_printf(out, "--   %-20s %s\n", name, label != NULL ? label : "");
	}
	sqlite3_finalize(st);
	return rc == SQLITE_DONE ? 0 : -1;
}

/*
 * --schema [NAME]: the CREATE statements, as the sqlite3 shell's .schema prints them
 * (each table with its indexes, then the views); under each view, its columns and
 * what they hold, as SQL comments so that the output is still SQL.
 */
static int
print_schema(struct query_db *q, const char *name)
{
	sqlite3_stmt *st;
	struct buf out;
	int rc, n = 0, code = EXIT_DONE;
	bool stopped = false;

	if (sqlite3_prepare_v2(q->db,
			       "SELECT type, name, sql FROM sqlite_schema WHERE sql IS NOT NULL"
			       " AND name NOT LIKE 'sqlite\\_%' ESCAPE '\\'"
			       " AND (?1 IS NULL OR tbl_name = ?1 COLLATE NOCASE)"
			       " ORDER BY type = 'view', tbl_name, type <> 'table', name",
			       -1, &st, NULL) != SQLITE_OK) {
		log_error("%s: %s", q->path, sqlite3_errmsg(q->db));
		return EXIT_FAILED;
	}
	sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
	buf_init(&out, ROW_MAX);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		const char *type = (const char *)sqlite3_column_text(st, 0);
		n++;
		buf_printf(&out, "%s;\n", sqlite3_column_text(st, 2));
		if (strcmp(type, "view") == 0 &&
		    view_columns(q->db, (const char *)sqlite3_column_text(st, 1), &out) == -1)
			break;
		if (query_flush(&out, stdout) == -1) {
			code = query_write_failed();
			stopped = true;
			break;
		}
	}
	if (!stopped && code == EXIT_DONE && rc != SQLITE_DONE) {
		log_error("%s: %s", q->path, sqlite3_errmsg(q->db));
		code = EXIT_FAILED;
	}
	sqlite3_finalize(st);
	if (!stopped && code == EXIT_DONE && n == 0 && name != NULL) {
		buf_reset(&out);
		list_names(q->db, &out);
		log_error("no table or view named '%s' in %s; there are: %s", name, q->path,
			  out.len ? buf_str(&out) : "none");
		code = EXIT_USAGE;
	}
	buf_free(&out);
	if (!stopped && code == EXIT_DONE && fflush(stdout) == EOF)
		code = query_write_failed();
	return code;
}

/* The statement from standard input, whole; NULL after saying why not, with *code
 * the exit status (2 when there is no statement, 1 when reading failed). */
static char *
read_sql(int *code)
{
	struct buf b;
	char chunk[65536];
	size_t n;

	*code = EXIT_USAGE;
	buf_init(&b, SQL_MAX);
	while ((n = fread(chunk, 1, sizeof chunk, stdin)) > 0) {
		if (buf_append(&b, chunk, n) == -1) {
			log_error("the SQL on standard input is longer than %u MiB", SQL_MAX >> 20);
			buf_free(&b);
			return NULL;
		}
	}
	if (ferror(stdin)) {
		*code = EXIT_FAILED;
		log_error("reading standard input: %s", strerror(errno));
		buf_free(&b);
		return NULL;
	}
	if (b.len == 0 || strspn(buf_str(&b), " \t\r\n") == b.len) {
		log_error("no SQL statement given: standard input was empty");
		buf_free(&b);
		return NULL;
	}
	if (memchr(b.data, '\0', b.len) != NULL) {
		log_error("the SQL on standard input holds a NUL byte");
		buf_free(&b);
		return NULL;
	}
	return buf_steal(&b);
}

/* Prepare sql (--tables: the list's own) and print its rows. */
static int
run_sql(struct query_db *q, const struct query_opts *o, const char *sql)
{
	struct guard g;
	sqlite3_stmt *st;
	int code;

	memset(&g, 0, sizeof g);
	code = prepare_one(q->db, sql, &g, &st);
	if (code == EXIT_DONE) {
		code = print_rows(q->db, st, o, &g);
		sqlite3_finalize(st);
	}
	sqlite3_set_authorizer(q->db, NULL, NULL);
	guard_free(&g);
	return code;
}

int
query_run(const struct query_opts *o)
{
	struct query_db q;
	char *stdin_sql = NULL;
	char err[4200];
	int code;

	if (o->mode == QUERY_SQL && o->sql == NULL && (stdin_sql = read_sql(&code)) == NULL)
		return code;
	if (store_is_pg(o->db_path)) {
		code = pgread_query(o, stdin_sql != NULL ? stdin_sql : o->sql);
		free(stdin_sql);
		return code;
	}
	query_command_signals(o->db_path);
	if (query_db_open(&q, o->db_path, err, sizeof err) == -1) {
		log_error("%s", err);
		free(stdin_sql);
		return EXIT_FAILED;
	}
	switch (o->mode) {
	case QUERY_TABLES: code = run_sql(&q, o, tables_sql); break;
	case QUERY_SCHEMA: code = print_schema(&q, o->name); break;
	default: code = run_sql(&q, o, stdin_sql != NULL ? stdin_sql : o->sql); break;
	}
	query_db_close(&q);
	free(stdin_sql);
	return code;
}
