/*
 * readapi.c: reading a project's database over HTTP: /query (read-only SQL) and
 * /items/TYPE (every item of a type).  Both stream: memory is one row or one pipe
 * buffer, whatever the size of the answer.
 *
 * /query runs in this process on the read side's own connection (query_db_open:
 * SQLITE_OPEN_READONLY, PRAGMA query_only, no ATTACH) and writes values with the read
 * side's value writers, so csv, json and jsonl look exactly as `scraper query` prints
 * them.  On top of that, as `query` does: the statement must start with SELECT, WITH,
 * VALUES or EXPLAIN; an authorizer allows nothing but reading; a statement that
 * sqlite3_stmt_readonly says would write is refused (400); only one statement is taken.
 * The first row is read before the answer starts, so an error there is a 400 with
 * SQLite's message; a query still running after QUERY_TIME_MAX is interrupted.
 *
 * /items/TYPE runs `scraper export -d DB -t TYPE -f FMT` (this binary, fork+exec) and
 * streams its standard output: the same records as the command, by construction.  Its
 * exit status 2 (no such type) is a 404 with export's own message.
 */
#include "config.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "base/clock.h"
#include "base/log.h"
#include "json.h"
#include "read/query.h"
#include "serve/api.h"

#define ROW_MAX (64u << 20)	/* one row of output */
#define BLOCK 65536		/* bytes per chunk of an answer */
#define QUERY_TIME_MAX 60.0	/* seconds a query may run */

extern char **environ;

/* The project's database; a 404 answer when the project or its database is missing.
 * Returns 0 with path filled, or -1 when it answered. */
static int
project_db(struct request *r, const char *name, int timeout_ms, char *path, size_t pathlen,
	   enum MHD_Result *answer)
{
	sqlite3_stmt *st;
	bool found = false;
	struct stat sb;

	pthread_mutex_lock(&r->s->lock);
	if (sqlite3_prepare_v2(r->s->db, "SELECT 1 FROM projects WHERE name = ?1", -1, &st,
			       NULL) == SQLITE_OK) {
		sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
		found = sqlite3_step(st) == SQLITE_ROW;
		sqlite3_finalize(st);
	}
	pthread_mutex_unlock(&r->s->lock);
	if (!found) {
		*answer = api_error(r, 404, "no project \"%s\"", name);
		return -1;
	}
	if (service_project_db(r->s, name, timeout_ms, path, pathlen) == -1) {
		*answer = api_error(r, 500, "path too long");
		return -1;
	}
	if (r->s->pg == NULL && stat(path, &sb) == -1) {
		*answer = api_error(r, 404, "project \"%s\" has no database yet: no job has run", name);
		return -1;
	}
	return 0;
}

/* ---- /query ---- */

enum qformat { Q_JSON, Q_JSONL, Q_CSV };

struct qstream {
	struct query_db q;
	sqlite3_stmt *st;
	enum qformat format;
	int ncols;
	char **keys;
	struct buf out;
	bool row_pending;	/* st holds a row not yet written */
	bool first;
	bool done, failed;
	double deadline;
};

static int
authorize(void *ctx, int action, const char *a, const char *b, const char *db,
	  const char *trigger)
{
	(void)ctx;
	(void)a;
	(void)b;
	(void)db;
	(void)trigger;
	switch (action) {
	case SQLITE_SELECT:
	case SQLITE_READ:
	case SQLITE_FUNCTION:
	case SQLITE_RECURSIVE:
		return SQLITE_OK;
	default:
		return SQLITE_DENY;
	}
}

static int
interrupt_late(void *ctx)
{
	struct qstream *q = ctx;

	return clock_mono() > q->deadline;
}

/* The first word of sql, past white space and comments, upper-cased. */
static void
first_keyword(const char *sql, char *out, size_t outlen)
{
	const char *p = sql;
	size_t n = 0;

	for (;;) {
		while (isspace((unsigned char)*p))
			p++;
		if (p[0] == '-' && p[1] == '-') {
			p += strcspn(p, "\n");
		} else if (p[0] == '/' && p[1] == '*') {
			const char *end = strstr(p + 2, "*/");
			p = end ? end + 2 : p + strlen(p);
		} else {
			break;
		}
	}
	while (isalpha((unsigned char)*p) && n + 1 < outlen)
		out[n++] = (char)toupper((unsigned char)*p++);
	out[n] = '\0';
}

static int
make_keys(struct qstream *q)
{
	q->keys = calloc((size_t)q->ncols + 1, sizeof *q->keys);
	if (q->keys == NULL)
		return -1;
	for (int i = 0; i < q->ncols; i++) {
		const char *name = sqlite3_column_name(q->st, i);
		char key[512];
		bool taken = true;
		snprintf(key, sizeof key, "%s", name ? name : "");
		for (int n = 2; taken; n++) {
			taken = false;
			for (int j = 0; j < i && !taken; j++)
				taken = strcmp(q->keys[j], key) == 0;
			if (taken)
				snprintf(key, sizeof key, "%s_%d", name ? name : "", n);
		}
		if ((q->keys[i] = strdup(key)) == NULL)
			return -1;
	}
	return 0;
}

static int
put_row(struct qstream *q)
{
	struct buf *b = &q->out;

	if (q->format == Q_CSV) {
		for (int i = 0; i < q->ncols; i++) {
			if ((i > 0 && buf_putc(b, ',') == -1) || query_put_csv_value(b, q->st, i) == -1)
				return -1;
		}
		return buf_puts(b, "\r\n");
	}
	if (q->format == Q_JSON && buf_puts(b, q->first ? "[\n" : ",\n") == -1)
		return -1;
	q->first = false;
	if (buf_putc(b, '{') == -1)
		return -1;
	for (int i = 0; i < q->ncols; i++) {
		if ((i > 0 && buf_putc(b, ',') == -1) || json_put_cstring(b, q->keys[i]) == -1 ||
		    buf_putc(b, ':') == -1 || query_put_json_value(b, q->st, i) == -1)
			return -1;
	}
	return buf_puts(b, q->format == Q_JSONL ? "}\n" : "}");
}

static int
put_header(struct qstream *q)
{
	if (q->format != Q_CSV)
		return 0;
	for (int i = 0; i < q->ncols; i++) {
		const char *name = sqlite3_column_name(q->st, i);
		if ((i > 0 && buf_putc(&q->out, ',') == -1) ||
		    query_put_csv(&q->out, name ? name : "", name ? strlen(name) : 0) == -1)
			return -1;
	}
	return buf_puts(&q->out, "\r\n");
}

static ssize_t
query_read(void *cls, uint64_t pos, char *out, size_t max)
{
	struct qstream *q = cls;
	size_t n;

	(void)pos;
	while (q->out.len < max && !q->done && !q->failed) {
		int rc;
		if (q->row_pending) {
			if (put_row(q) == -1) {
				q->failed = true;
				break;
			}
			q->row_pending = false;
		}
		rc = sqlite3_step(q->st);
		if (rc == SQLITE_ROW) {
			q->row_pending = true;
		} else if (rc == SQLITE_DONE) {
			q->done = true;
			if (q->format == Q_JSON)
				buf_puts(&q->out, q->first ? "[]\n" : "\n]\n");
		} else {
			log_warn("query: %s", sqlite3_errmsg(q->q.db));
			q->failed = true;
		}
	}
	if (q->out.len == 0)
		return q->failed ? MHD_CONTENT_READER_END_WITH_ERROR : MHD_CONTENT_READER_END_OF_STREAM;
	n = q->out.len < max ? q->out.len : max;
	memcpy(out, q->out.data, n);
	buf_consume(&q->out, n);
	return (ssize_t)n;
}

static void
query_free(void *cls)
{
	struct qstream *q = cls;

	sqlite3_finalize(q->st);
	query_db_close(&q->q);
	for (int i = 0; q->keys != NULL && i < q->ncols; i++)
		free(q->keys[i]);
	free(q->keys);
	buf_free(&q->out);
	free(q);
}

static enum MHD_Result stream_command(struct request *r, char *const argv[], const char *ctype,
				      unsigned code_usage);

enum MHD_Result
readapi_query(struct request *r, const char *name)
{
	const char *sql = api_arg(r, "sql"), *fmt = api_arg(r, "format"), *tail;
	static const char *const types[] = { "application/json", "application/x-ndjson",
					      "text/csv; charset=utf-8; header=present" };
	char path[4096], err[1024], kw[16];
	enum MHD_Result answer;
	struct MHD_Response *resp;
	struct qstream *q;
	int rc;

	if (sql == NULL || *sql == '\0')
		return api_error(r, 400, "give the SQL as ?sql=...");
	if (fmt != NULL && strcmp(fmt, "json") != 0 && strcmp(fmt, "jsonl") != 0 &&
	    strcmp(fmt, "csv") != 0)
		return api_error(r, 400, "format: \"%.40s\" is not one of json, jsonl, csv", fmt);
	first_keyword(sql, kw, sizeof kw);
	if (strcmp(kw, "SELECT") != 0 && strcmp(kw, "WITH") != 0 && strcmp(kw, "VALUES") != 0 &&
	    strcmp(kw, "EXPLAIN") != 0)
		return api_error(r, 400, "refused: the database is read-only here; a statement must"
				 " start with SELECT, WITH, VALUES or EXPLAIN");
	if (project_db(r, name, (int)(QUERY_TIME_MAX * 1000), path, sizeof path, &answer) == -1)
		return answer;
	if (r->s->pg != NULL) {
		/* PostgreSQL: `scraper query`, which runs it in a read-only transaction. */
		char *argv[] = { "scraper", "query", "-d", path, "-f", fmt != NULL ? (char *)fmt :
				 "json", (char *)sql, NULL };
		return stream_command(r, argv, types[fmt == NULL || strcmp(fmt, "json") == 0 ? 0 :
						     strcmp(fmt, "jsonl") == 0 ? 1 : 2], 400);
	}
	if ((q = calloc(1, sizeof *q)) == NULL)
		return api_error(r, 500, "out of memory");
	q->format = fmt == NULL || strcmp(fmt, "json") == 0 ? Q_JSON :
		    strcmp(fmt, "jsonl") == 0 ? Q_JSONL : Q_CSV;
	q->first = true;
	buf_init(&q->out, ROW_MAX);
	if (query_db_open(&q->q, path, err, sizeof err) == -1) {
		query_free(q);
		return api_error(r, 500, "%s", err);
	}
	sqlite3_set_authorizer(q->q.db, authorize, NULL);
	q->deadline = clock_mono() + QUERY_TIME_MAX;
	sqlite3_progress_handler(q->q.db, 10000, interrupt_late, q);
	if (sqlite3_prepare_v2(q->q.db, sql, -1, &q->st, &tail) != SQLITE_OK || q->st == NULL) {
		answer = api_error(r, 400, "%s", q->st == NULL && sqlite3_errcode(q->q.db) == SQLITE_OK ?
				   "no SQL statement given" : sqlite3_errmsg(q->q.db));
		query_free(q);
		return answer;
	}
	while (*tail == ';' || isspace((unsigned char)*tail))
		tail++;
	if (*tail != '\0') {
		query_free(q);
		return api_error(r, 400, "give one SQL statement: there is another after the first");
	}
	if (!sqlite3_stmt_readonly(q->st)) {
		query_free(q);
		return api_error(r, 400, "refused: the statement would write, and the database is read-only here");
	}
	q->ncols = sqlite3_column_count(q->st);
	rc = sqlite3_step(q->st);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE) {
		answer = api_error(r, 400, "%s", sqlite3_errmsg(q->q.db));
		query_free(q);
		return answer;
	}
	q->row_pending = rc == SQLITE_ROW;
	if (rc == SQLITE_DONE) {
		q->done = true;
		if (q->format == Q_JSON)
			buf_puts(&q->out, "[]\n");
	}
	if (make_keys(q) == -1 || put_header(q) == -1) {
		query_free(q);
		return api_error(r, 500, "out of memory");
	}
	resp = MHD_create_response_from_callback(MHD_SIZE_UNKNOWN, BLOCK, query_read, q, query_free);
	if (resp == NULL) {
		query_free(q);
		return MHD_NO;
	}
	return api_send(r, 200, resp, types[q->format]);
}

/* ---- /items/TYPE ---- */

struct xstream {
	pid_t pid;
	int out;		/* export's standard output */
	bool reaped;
	int status;
	char first[BLOCK];	/* read before answering */
	size_t nfirst;
};

static void
export_exec(char *const argv[], int out, int errfd)
{
	int null;

	prctl(PR_SET_PDEATHSIG, SIGKILL);
	signal(SIGPIPE, SIG_DFL);
	signal(SIGTERM, SIG_DFL);
	signal(SIGINT, SIG_DFL);
	if ((null = open("/dev/null", O_RDONLY)) == -1 || dup2(null, 0) == -1 ||
	    dup2(out, 1) == -1 || dup2(errfd, 2) == -1)
		_exit(127);
	execve("/proc/self/exe", argv, environ);
	_exit(127);
}

static ssize_t
read_full(int fd, char *buf, size_t max)
{
	size_t got = 0;

	while (got < max) {
		ssize_t n = read(fd, buf + got, max - got);
		if (n == -1 && errno == EINTR)
			continue;
		if (n <= 0)
			return got > 0 ? (ssize_t)got : n;
		got += (size_t)n;
		if (got > 0)
			break; /* what is there; do not wait for a full block */
	}
	return (ssize_t)got;
}

static void
x_reap(struct xstream *x, bool kill_it)
{
	if (x->reaped)
		return;
	if (kill_it)
		kill(x->pid, SIGKILL);
	while (waitpid(x->pid, &x->status, 0) == -1 && errno == EINTR)
		;
	x->reaped = true;
}

static ssize_t
items_read(void *cls, uint64_t pos, char *out, size_t max)
{
	struct xstream *x = cls;
	ssize_t n;

	(void)pos;
	if (x->nfirst > 0) {
		n = (ssize_t)(x->nfirst < max ? x->nfirst : max);
		memcpy(out, x->first, (size_t)n);
		memmove(x->first, x->first + n, x->nfirst - (size_t)n);
		x->nfirst -= (size_t)n;
		return n;
	}
	n = read_full(x->out, out, max);
	if (n > 0)
		return n;
	x_reap(x, false);
	return WIFEXITED(x->status) && WEXITSTATUS(x->status) == 0 ?
		       MHD_CONTENT_READER_END_OF_STREAM : MHD_CONTENT_READER_END_WITH_ERROR;
}

static void
items_free(void *cls)
{
	struct xstream *x = cls;

	close(x->out);
	x_reap(x, true);
	free(x);
}

/* Run a scraper command (argv) and stream its standard output as the answer, of type
 * ctype; when it writes nothing and fails, its message is the error (exit 2, a usage
 * problem: code_usage; else 500). */
static enum MHD_Result
stream_command(struct request *r, char *const argv[], const char *ctype, unsigned code_usage)
{
	char msg[2048];
	struct MHD_Response *resp;
	struct xstream *x;
	int outp[2], errp[2];
	ssize_t n;

	if ((x = calloc(1, sizeof *x)) == NULL)
		return api_error(r, 500, "out of memory");
	if (pipe2(outp, O_CLOEXEC) == -1) {
		free(x);
		return api_error(r, 500, "pipe: %s", strerror(errno));
	}
	if (pipe2(errp, O_CLOEXEC) == -1) {
		close(outp[0]);
		close(outp[1]);
		free(x);
		return api_error(r, 500, "pipe: %s", strerror(errno));
	}
	if ((x->pid = fork()) == -1) {
		close(outp[0]);
		close(outp[1]);
		close(errp[0]);
		close(errp[1]);
		free(x);
		return api_error(r, 500, "fork: %s", strerror(errno));
	}
	if (x->pid == 0)
		export_exec(argv, outp[1], errp[1]);
	close(outp[1]);
	close(errp[1]);
	x->out = outp[0];
	n = read_full(x->out, x->first, sizeof x->first);
	if (n <= 0) {
		/* Nothing on standard output: an empty export, or an error. */
		ssize_t m = read_full(errp[0], msg, sizeof msg - 1);
		close(errp[0]);
		msg[m > 0 ? m : 0] = '\0';
		msg[strcspn(msg, "\n")] = '\0';
		x_reap(x, false);
		if (!WIFEXITED(x->status) || WEXITSTATUS(x->status) != 0) {
			const char *text = strstr(msg, "error: ") ? strstr(msg, "error: ") + 7 : msg;
			unsigned code = WIFEXITED(x->status) && WEXITSTATUS(x->status) == 2 ? code_usage : 500;
			items_free(x);
			return api_error(r, code, "%s", *text ? text : "the command failed");
		}
	} else {
		x->nfirst = (size_t)n;
		close(errp[0]);
	}
	resp = MHD_create_response_from_callback(MHD_SIZE_UNKNOWN, BLOCK, items_read, x, items_free);
	if (resp == NULL) {
		items_free(x);
		return MHD_NO;
	}
	return api_send(r, 200, resp, ctype);
}

enum MHD_Result
readapi_items(struct request *r, const char *name, const char *type)
{
	const char *fmt = api_arg(r, "format");
	char path[4096];
	char *argv[] = { "scraper", "export", "-d", path, "-t", (char *)type, "-f",
			 fmt != NULL ? (char *)fmt : "jsonl", NULL };
	enum MHD_Result answer;

	if (fmt != NULL && strcmp(fmt, "jsonl") != 0 && strcmp(fmt, "csv") != 0)
		return api_error(r, 400, "format: \"%.40s\" is not one of jsonl, csv", fmt);
	if (*type == '\0' || strlen(type) > 256)
		return api_error(r, 400, "give an item type");
	for (const unsigned char *p = (const unsigned char *)type; *p != '\0'; p++) {
		if (*p < 0x20 || *p == 0x7f)
			return api_error(r, 400, "an item type has no control characters");
	}
	if (project_db(r, name, 0, path, sizeof path, &answer) == -1)
		return answer;
	return stream_command(r, argv, fmt != NULL && strcmp(fmt, "csv") == 0 ?
			      "text/csv; charset=utf-8; header=present" : "application/x-ndjson", 404);
}
