/*
 * export.c: "scraper export": every item of one type, as jsonl, json or csv, one record
 * per item: the page's url, then each field.
 *
 * The fields are the union of the keys of that type's items, in the order they are
 * first seen, items taken in (url, idx) order (the order of the items table's unique
 * index, so no sort is needed and two exports of one database are identical).
 * SQLite's json_each reads the JSON; nothing here parses it.  Two passes over the
 * items in one read transaction, so both see the same snapshot even while a crawl
 * writes: the first collects the field names, the second writes one record per item.
 * Memory is one item plus the field names, whatever the number of items.
 *
 * A field an item lacks is null in jsonl and json and an empty field in csv.  In jsonl
 * and json every value keeps its JSON type; in csv strings are written as they are,
 * numbers as digits, true/false as words, and arrays and objects as their JSON text.
 * json is one array of the jsonl records ("[", a record a line, "]"), streamed like
 * them: "[]" when there are none.
 *
 * With -o FILE the records go to a temporary file beside FILE, which is renamed over
 * FILE only when everything was written and synced; any failure (or SIGINT, SIGTERM,
 * SIGHUP) removes it, so FILE is either the whole export or what it was before.
 */
#include "config.h"

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
#include "read/export.h"
#include "json.h"
#include "base/log.h"
#include "read/query.h"
#include "read/pgread.h"
#include "read/warc.h"
#include "store/store.h"

#define FIELDS_MAX 10000	/* distinct field names of one type, at most */
#define VALUE_MAX (256u << 20)	/* one field's value as output text */
#define RECORD_MAX (512u << 20) /* one record */

/* Set by the signal handler while a file is being written; checked per item. */
static volatile sig_atomic_t export_signal;

struct fields {
	char **name;
	size_t n, cap;
	size_t hint;		/* the field after the last one found: usually the next */
	struct buf *value;	/* per field: the current item's value, as output text */
	bool *set;		/* per field: does the current item have it? */
	char *url_key;		/* the record's name for the page address */
};

struct sink {
	FILE *fp;
	char *tmp;		/* the temporary file while writing path, or NULL */
	char *path;		/* where the export goes; NULL: standard output */
};

/* ---- field names ---- */

/* The index of name, or -1. */
static long
fields_find(struct fields *f, const char *name)
{
	for (size_t k = 0; k < f->n; k++) {
		size_t i = (f->hint + k) % f->n;
		if (strcmp(f->name[i], name) == 0) {
			f->hint = i + 1;
			return (long)i;
		}
	}
	return -1;
}

static int
fields_add(struct fields *f, const char *name)
{
	if (f->n == FIELDS_MAX) {
		errno = EMSGSIZE;
		return -1;
	}
	if (f->n == f->cap) {
		size_t cap = f->cap ? f->cap * 2 : 16;
		char **p = realloc(f->name, cap * sizeof *p);
		if (p == NULL)
			return -1;
		f->name = p;
		f->cap = cap;
	}
	if ((f->name[f->n] = strdup(name)) == NULL)
		return -1;
	f->hint = ++f->n;
	return 0;
}

static void
fields_free(struct fields *f)
{
	for (size_t i = 0; i < f->n; i++) {
		free(f->name[i]);
		if (f->value != NULL)
			buf_free(&f->value[i]);
	}
	free(f->name);
	free(f->value);
	free(f->set);
	free(f->url_key);
	memset(f, 0, sizeof *f);
}

/* Pass one: every field name of the type, in first-seen order.  0, or -1 a database
 * error, -2 out of memory or too many fields, -4 a signal. */
static int
fields_collect(sqlite3 *db, const char *type, struct fields *f)
{
	sqlite3_stmt *st;
	int rc;

	rc = sqlite3_prepare_v2(db,
				"SELECT j.key FROM items i, json_each(i.data) j"
				" WHERE i.type = ?1 AND json_type(i.data) = 'object'"
				" ORDER BY i.url, i.idx", -1, &st, NULL);
	if (rc != SQLITE_OK)
		return -1;
	sqlite3_bind_text(st, 1, type, -1, SQLITE_STATIC);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		const char *key = (const char *)sqlite3_column_text(st, 0);
		if (key != NULL && fields_find(f, key) == -1 && fields_add(f, key) == -1) {
			sqlite3_finalize(st);
			return -2;
		}
		if (export_signal) {
			sqlite3_finalize(st);
			return -4;
		}
	}
	sqlite3_finalize(st);
	return rc == SQLITE_DONE ? 0 : -1;
}

/* The value buffers, and the record's name for the page address: "url", unless a
 * field has that name ("page_url" then).  Rule files cannot name a field url any
 * more; items stored before that was refused, or written by hand, still can. */
static int
fields_ready(struct fields *f)
{
	const char *base = "url";
	struct buf key;
	int rc = 0;

	f->value = calloc(f->n + 1, sizeof *f->value);
	f->set = calloc(f->n + 1, sizeof *f->set);
	if (f->value == NULL || f->set == NULL)
		return -2;
	for (size_t i = 0; i < f->n; i++)
		buf_init(&f->value[i], VALUE_MAX);
	buf_init(&key, 1 << 16);
	buf_puts(&key, base);
	for (int n = 1; fields_find(f, buf_str(&key)) != -1; n++) {
		buf_reset(&key);
		rc = n == 1 ? buf_puts(&key, "page_url") : buf_printf(&key, "page_url_%d", n);
		if (rc == -1)
			break;
	}
	f->url_key = rc == 0 ? buf_steal(&key) : NULL;
	buf_free(&key);
	return f->url_key != NULL ? 0 : -2;
}

/* ---- values ---- */

/*
 * One json_each row's value as output text: columns 1 (type) and 2 (value) of st.
 * JSON types: null, true, false, integer, real, text, array, object.
 */
static int
put_value(struct buf *b, sqlite3_stmt *st, enum out_format format)
{
	const char *type = (const char *)sqlite3_column_text(st, 1);
	const char *text;
	size_t n;

	if (type == NULL || strcmp(type, "null") == 0)
		return format == FMT_CSV ? 0 : buf_puts(b, "null");
	if (strcmp(type, "true") == 0 || strcmp(type, "false") == 0)
		return buf_puts(b, type);
	if (strcmp(type, "integer") == 0 || strcmp(type, "real") == 0) {
		double v = sqlite3_column_double(st, 2);
		if (sqlite3_column_type(st, 2) == SQLITE_INTEGER)
			return buf_printf(b, "%lld", (long long)sqlite3_column_int64(st, 2));
		if (!isfinite(v)) /* 1e999 reads as infinity */
			return format == FMT_CSV ? query_put_real(b, v) : buf_puts(b, "null");
		return query_put_real(b, v);
	}
	text = (const char *)sqlite3_column_text(st, 2);
	n = (size_t)sqlite3_column_bytes(st, 2);
	if (text == NULL)
		text = "";
	if (format == FMT_CSV)
		return query_put_csv(b, text, n);
	if (strcmp(type, "text") == 0)
		return json_put_string(b, text, n);
	return buf_append(b, text, n); /* array or object: SQLite's JSON text */
}

/* ---- records ---- */

static int
record_header(struct buf *rec, const struct fields *f)
{
	if (query_put_csv(rec, f->url_key, strlen(f->url_key)) == -1)
		return -1;
	for (size_t i = 0; i < f->n; i++) {
		if (buf_putc(rec, ',') == -1 ||
		    query_put_csv(rec, f->name[i], strlen(f->name[i])) == -1)
			return -1;
	}
	return buf_puts(rec, "\r\n");
}

/* Gather one item's values (its data bound to each) into the fields' buffers. */
static int
record_values(sqlite3_stmt *each, struct fields *f, enum out_format format)
{
	int rc;

	for (size_t i = 0; i < f->n; i++) {
		buf_reset(&f->value[i]);
		f->set[i] = false;
	}
	while ((rc = sqlite3_step(each)) == SQLITE_ROW) {
		const char *key = (const char *)sqlite3_column_text(each, 0);
		long i;
		if (sqlite3_column_type(each, 0) != SQLITE_TEXT || key == NULL ||
		    (i = fields_find(f, key)) == -1)
			continue; /* not an object's member */
		buf_reset(&f->value[i]);
		if (put_value(&f->value[i], each, format) == -1) {
			sqlite3_reset(each);
			return -2;
		}
		f->set[i] = true;
	}
	sqlite3_reset(each);
	return rc == SQLITE_DONE ? 0 : -1;
}

static int
record_write(struct buf *rec, const struct fields *f, const char *url, size_t urllen,
	     enum out_format format, bool first)
{
	if (format == FMT_CSV) {
		if (query_put_csv(rec, url, urllen) == -1)
			return -1;
		for (size_t i = 0; i < f->n; i++) {
			if (buf_putc(rec, ',') == -1 ||
			    buf_append(rec, f->value[i].data, f->value[i].len) == -1)
				return -1;
		}
		return buf_puts(rec, "\r\n");
	}
	if (format == FMT_JSON && buf_puts(rec, first ? "[\n" : ",\n") == -1)
		return -1;
	if (buf_putc(rec, '{') == -1 || json_put_cstring(rec, f->url_key) == -1 ||
	    buf_putc(rec, ':') == -1 || json_put_string(rec, url, urllen) == -1)
		return -1;
	for (size_t i = 0; i < f->n; i++) {
		if (buf_putc(rec, ',') == -1 || json_put_cstring(rec, f->name[i]) == -1 ||
		    buf_putc(rec, ':') == -1)
			return -1;
		if (f->set[i] ? buf_append(rec, f->value[i].data, f->value[i].len) == -1 :
				buf_puts(rec, "null") == -1)
			return -1;
	}
	return buf_puts(rec, format == FMT_JSON ? "}" : "}\n");
}

/*
 * Pass two: one record per item.  0; -1 a database error (its message in db); -2 out
 * of memory or a value too large; -3 a write error (errno); -4 a signal.
 */
static int
write_records(sqlite3 *db, const char *type, struct fields *f, enum out_format format,
	      FILE *fp)
{
	sqlite3_stmt *items = NULL, *each = NULL;
	struct buf rec;
	long long n_records = 0;
	int rc, ret = 0;

	buf_init(&rec, RECORD_MAX);
	if (sqlite3_prepare_v2(db, "SELECT url, data FROM items WHERE type = ?1"
				   " ORDER BY url, idx", -1, &items, NULL) != SQLITE_OK ||
	    sqlite3_prepare_v2(db, "SELECT key, type, value FROM json_each(?1)", -1, &each,
			       NULL) != SQLITE_OK) {
		ret = -1;
		goto done;
	}
	sqlite3_bind_text(items, 1, type, -1, SQLITE_STATIC);
	if (format == FMT_CSV && (record_header(&rec, f) == -1 || query_flush(&rec, fp) == -1)) {
		ret = rec.len > 0 ? -2 : -3;
		goto done;
	}
	while ((rc = sqlite3_step(items)) == SQLITE_ROW) {
		const char *url = (const char *)sqlite3_column_text(items, 0);
		size_t urllen = (size_t)sqlite3_column_bytes(items, 0);
		const char *data = (const char *)sqlite3_column_text(items, 1);
		int n = sqlite3_column_bytes(items, 1);
		sqlite3_bind_text(each, 1, data ? data : "{}", data ? n : 2, SQLITE_STATIC);
		if ((ret = record_values(each, f, format)) != 0)
			goto done;
		if (record_write(&rec, f, url ? url : "", urllen, format, n_records == 0) == -1) {
			ret = -2;
			goto done;
		}
		n_records++;
		if (query_flush(&rec, fp) == -1) {
			ret = -3;
			goto done;
		}
		if (export_signal) {
			ret = -4;
			goto done;
		}
	}
	if (rc != SQLITE_DONE) {
		ret = -1;
		goto done;
	}
	if (format == FMT_JSON &&
	    (buf_puts(&rec, n_records == 0 ? "[]\n" : "\n]\n") == -1 || query_flush(&rec, fp) == -1))
		ret = -3;
done:
	sqlite3_finalize(items);
	sqlite3_finalize(each);
	buf_free(&rec);
	return ret;
}

/* ---- the output file ---- */

static void
on_signal(int sig)
{
	export_signal = sig;
}

/* Catch SIGINT, SIGTERM and SIGHUP (saving the old handlers in old[3]), or restore. */
static void
catch_signals(bool on, struct sigaction old[3])
{
	static const int sigs[3] = { SIGINT, SIGTERM, SIGHUP };
	struct sigaction sa;

	memset(&sa, 0, sizeof sa);
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	for (int i = 0; i < 3; i++) {
		if (on)
			sigaction(sigs[i], &sa, &old[i]);
		else
			sigaction(sigs[i], &old[i], NULL);
	}
}

/*
 * Where the export goes.  A regular file (or a new one) is written through a
 * temporary file beside it; standard output ("-" or no -o), and anything that is not
 * a regular file (/dev/null, a FIFO), directly.  A symbolic link is followed, so the
 * file it points at is the one replaced.
 */
static int
sink_open(struct sink *k, const char *path, char *err, size_t errlen)
{
	struct stat sb;
	const char *slash;
	mode_t mask;
	int fd;

	memset(k, 0, sizeof *k);
	if (path == NULL || strcmp(path, "-") == 0) {
		k->fp = stdout;
		return 0;
	}
	if (lstat(path, &sb) == 0 && S_ISLNK(sb.st_mode))
		k->path = realpath(path, NULL);
	else
		k->path = strdup(path);
	if (k->path == NULL) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return -1;
	}
	if (stat(k->path, &sb) == 0 && !S_ISREG(sb.st_mode)) {
		if ((k->fp = fopen(k->path, "w")) == NULL) {
			snprintf(err, errlen, "cannot write %s: %s", path, strerror(errno));
			return -1;
		}
		return 0;
	}
	slash = strrchr(k->path, '/');
	if ((k->tmp = malloc(strlen(k->path) + 16)) == NULL) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	sprintf(k->tmp, "%.*s.%s.tmp-XXXXXX", slash ? (int)(slash - k->path + 1) : 0, k->path,
		slash ? slash + 1 : k->path);
	if ((fd = mkstemp(k->tmp)) == -1) {
		snprintf(err, errlen, "cannot create a file beside %s: %s", path, strerror(errno));
		free(k->tmp);
		k->tmp = NULL;
		return -1;
	}
	mask = umask(0);
	umask(mask);
	if (fchmod(fd, 0666 & ~mask) == -1 || (k->fp = fdopen(fd, "w")) == NULL) {
		snprintf(err, errlen, "cannot write %s: %s", k->tmp, strerror(errno));
		close(fd);
		return -1;
	}
	return 0;
}

/* Close (and remove) a temporary file; nothing is left of the export. */
static void
sink_abort(struct sink *k)
{
	if (k->fp != NULL && k->fp != stdout)
		fclose(k->fp);
	if (k->tmp != NULL)
		unlink(k->tmp);
	free(k->tmp);
	free(k->path);
	memset(k, 0, sizeof *k);
}

/* Everything is written: flush, sync, close, and rename into place. */
static int
sink_commit(struct sink *k, char *err, size_t errlen)
{
	const char *what = k->path ? k->path : "standard output";
	int rc = 0;

	if (fflush(k->fp) == EOF || ferror(k->fp))
		rc = -1;
	else if (k->tmp != NULL && fsync(fileno(k->fp)) == -1)
		rc = -1;
	if (rc == 0 && k->fp != stdout) {
		FILE *fp = k->fp;
		k->fp = NULL;
		if (fclose(fp) == EOF)
			rc = -1;
	}
	if (rc == 0 && k->tmp != NULL && rename(k->tmp, k->path) == -1)
		rc = -1;
	if (rc == -1) {
		int e = errno;
		snprintf(err, errlen, "writing %s: %s", what, strerror(errno));
		sink_abort(k);
		errno = e;
		return -1;
	}
	free(k->tmp);
	k->tmp = NULL;
	sink_abort(k);
	return 0;
}

/* ---- the command ---- */

/* Is there an item of this type, or a view for it?  Else list the types there are. */
static int
check_type(struct query_db *q, const char *type)
{
	sqlite3_stmt *st;
	struct buf list;
	bool found;

	if (sqlite3_prepare_v2(q->db, "SELECT EXISTS (SELECT 1 FROM items WHERE type = ?1)",
			       -1, &st, NULL) != SQLITE_OK) {
		log_error("%s: %s", q->path, sqlite3_errmsg(q->db));
		return EXIT_FAILED;
	}
	sqlite3_bind_text(st, 1, type, -1, SQLITE_STATIC);
	found = sqlite3_step(st) == SQLITE_ROW && sqlite3_column_int(st, 0) == 1;
	sqlite3_finalize(st);
	if (found || query_db_has(q, type))
		return EXIT_DONE;
	buf_init(&list, 1 << 16);
	if (sqlite3_prepare_v2(q->db, "SELECT type, count(*) FROM items GROUP BY type"
				      " ORDER BY type", -1, &st, NULL) == SQLITE_OK) {
		while (sqlite3_step(st) == SQLITE_ROW)
			buf_printf(&list, "%s%s (%d)", list.len ? ", " : "",
				   (const char *)sqlite3_column_text(st, 0),
				   sqlite3_column_int(st, 1));
		sqlite3_finalize(st);
	}
	if (list.len == 0)
		log_error("no items of type '%s': %s has no items at all", type, q->path);
	else
		log_error("no items of type '%s' in %s; the item types there are: %s", type,
			  q->path, buf_str(&list));
	buf_free(&list);
	return EXIT_USAGE;
}

/* Log why an export failed (rc as write_records returns); the exit code. */
static int
report(int rc, struct query_db *q)
{
	switch (rc) {
	case -1: log_error("%s: %s", q->path, sqlite3_errmsg(q->db)); break;
	case -2:
		log_error("%s", errno == EMSGSIZE ? "an item or its fields are too large to export" :
			  "out of memory");
		break;
	case -3:
		if (errno == EPIPE)
			return EXIT_DONE; /* the reader went away: a clean stop */
		log_error("writing the export: %s", strerror(errno));
		break;
	case -4: log_error("interrupted"); break;
	default: break;
	}
	return rc == -4 ? (export_signal == SIGINT ? EXIT_SIGINT : EXIT_SIGTERM) : EXIT_FAILED;
}

static int
export_items(struct query_db *q, const struct export_opts *o)
{
	struct fields f;
	struct sink k;
	char err[4200];
	int rc;

	memset(&f, 0, sizeof f);
	if ((rc = fields_collect(q->db, o->type, &f)) != 0 || (rc = fields_ready(&f)) != 0) {
		fields_free(&f);
		return report(rc, q);
	}
	if (sink_open(&k, o->out_path, err, sizeof err) == -1) {
		log_error("%s", err);
		sink_abort(&k);
		fields_free(&f);
		return EXIT_FAILED;
	}
	rc = write_records(q->db, o->type, &f, o->format, k.fp);
	if (rc != 0) {
		sink_abort(&k);
		rc = report(rc, q);
	} else if (sink_commit(&k, err, sizeof err) == -1) {
		rc = errno == EPIPE ? EXIT_DONE : EXIT_FAILED;
		if (rc != EXIT_DONE)
			log_error("%s", err);
	}
	fields_free(&f);
	return rc;
}

/* -f warc: the stored responses, through the same temporary file and rename. */
static int
export_warc(struct query_db *q, const struct export_opts *o)
{
	struct sink k;
	char err[4200];
	int rc;

	if (!query_db_has(q, "bodies")) {
		log_error("%s has no stored bodies (crawl with --store-bodies to keep them)", o->db_path);
		return EXIT_FAILED;
	}
	if (sink_open(&k, o->out_path, err, sizeof err) == -1) {
		log_error("%s", err);
		sink_abort(&k);
		return EXIT_FAILED;
	}
	rc = warc_write(q->db, k.fp, &export_signal, err, sizeof err);
	if (rc != 0) {
		int e = errno;
		sink_abort(&k);
		if (rc == -4)
			return export_signal == SIGINT ? EXIT_SIGINT : EXIT_SIGTERM;
		if (e == EPIPE)
			return EXIT_DONE; /* the reader went away: a clean stop, as in export_run */
		log_error("%s", err);
		return EXIT_FAILED;
	}
	if (sink_commit(&k, err, sizeof err) == -1) {
		if (errno == EPIPE)
			return EXIT_DONE;
		log_error("%s", err);
		return EXIT_FAILED;
	}
	return EXIT_DONE;
}

int
export_run(const struct export_opts *o)
{
	struct sigaction old[3];
	struct query_db q;
	char err[4200];
	int code;

	if (store_is_pg(o->db_path))
		return pgread_export(o);
	query_command_signals(o->db_path);
	if (query_db_open(&q, o->db_path, err, sizeof err) == -1) {
		log_error("%s", err);
		return EXIT_FAILED;
	}
	if (!query_db_has(&q, "items")) {
		log_error("%s is not a scraper database (it has no items table)", o->db_path);
		query_db_close(&q);
		return EXIT_FAILED;
	}
	if (o->warc) {
		export_signal = 0;
		catch_signals(true, old);
		sqlite3_exec(q.db, "BEGIN", NULL, NULL, NULL);
		code = export_warc(&q, o);
		sqlite3_exec(q.db, "COMMIT", NULL, NULL, NULL);
		catch_signals(false, old);
		query_db_close(&q);
		return code;
	}
	code = check_type(&q, o->type);
	if (code == EXIT_DONE) {
		export_signal = 0;
		catch_signals(true, old);
		sqlite3_exec(q.db, "BEGIN", NULL, NULL, NULL);
		code = export_items(&q, o);
		sqlite3_exec(q.db, "COMMIT", NULL, NULL, NULL);
		catch_signals(false, old);
	}
	query_db_close(&q);
	return code;
}
