/*
 * pgread.c: the read side's commands (query, export, stats) on a PostgreSQL database.
 *
 * query.c, export.c and stats.c hand a -d that is a PostgreSQL connection string
 * here (store_is_pg).  The output formats are query.c's, written by query.c's value
 * writers, with values typed by their PostgreSQL type: numbers as numbers, booleans
 * as true/false, json and jsonb as JSON in json and jsonl (their text elsewhere),
 * bytea as base64, NULL as null or an empty field.
 *
 * Read-only: every statement runs in a READ ONLY transaction of a session whose
 * default is read-only too, sent with the extended protocol, which takes exactly
 * one statement (so "COMMIT; DELETE ..." is no way out).  A write is refused by the
 * server (SQLSTATE 25006) and reported as on SQLite: "refused: ... query is
 * read-only", exit 2.  Rows are streamed (libpq's single-row mode); the table format
 * holds the first TABLE_SAMPLE rows to fix its widths, then streams.
 */
#include "config.h"

#include "read/pgread.h"
#include "read/warc.h"

#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <libpq-fe.h>

#include "base/exitcode.h"
#include "base/log.h"
#include "json.h"
#include "read/query.h"
#include "store/pg.h"

#define ROW_MAX (512u << 20)
#define CELL_MAX 60
#define TABLE_SAMPLE 1000

enum { OID_BOOL = 16, OID_BYTEA = 17, OID_INT8 = 20, OID_INT2 = 21, OID_INT4 = 23,
       OID_OID = 26, OID_JSON = 114, OID_FLOAT4 = 700, OID_FLOAT8 = 701,
       OID_NUMERIC = 1700, OID_JSONB = 3802 };

static bool
oid_number(Oid t)
{
	return t == OID_INT2 || t == OID_INT4 || t == OID_INT8 || t == OID_OID ||
	       t == OID_FLOAT4 || t == OID_FLOAT8 || t == OID_NUMERIC;
}

/* Connect, read-only by default.  NULL after logging why. */
static PGconn *
connect_ro(const char *conninfo)
{
	char shown[512], msg[600];
	PGconn *c;
	PGresult *r;

	pg_display(conninfo, shown, sizeof shown);
	c = PQconnectdb(conninfo);
	if (c == NULL || PQstatus(c) != CONNECTION_OK) {
		pg_message(c ? PQerrorMessage(c) : "out of memory", msg, sizeof msg);
		log_error("cannot connect to PostgreSQL at %s: %s", shown, msg);
		PQfinish(c);
		return NULL;
	}
	PQsetClientEncoding(c, "UTF8");
	r = PQexec(c, "SET default_transaction_read_only = on;"
		      " BEGIN TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY");
	if (PQresultStatus(r) != PGRES_COMMAND_OK) {
		pg_message(PQresultErrorMessage(r), msg, sizeof msg);
		log_error("%s: %s", shown, msg);
		PQclear(r);
		PQfinish(c);
		return NULL;
	}
	PQclear(r);
	return c;
}

/* ---- values ---- */

static int
put_base64(struct buf *b, const char *escaped)
{
	size_t n;
	unsigned char *raw = PQunescapeBytea((const unsigned char *)escaped, &n);
	int rc;

	if (raw == NULL)
		return -1;
	rc = query_put_base64(b, raw, n);
	PQfreemem(raw);
	return rc;
}

static int
put_csv_value(struct buf *b, const PGresult *r, int col)
{
	const char *v = PQgetvalue(r, 0, col);
	Oid t = PQftype(r, col);

	if (PQgetisnull(r, 0, col))
		return 0;
	if (t == OID_BYTEA)
		return put_base64(b, v);
	return query_put_csv(b, v, (size_t)PQgetlength(r, 0, col));
}

static int
put_json_value(struct buf *b, const PGresult *r, int col)
{
	const char *v = PQgetvalue(r, 0, col);
	Oid t = PQftype(r, col);

	if (PQgetisnull(r, 0, col))
		return buf_puts(b, "null");
	if (t == OID_BOOL)
		return buf_puts(b, *v == 't' ? "true" : "false");
	if (oid_number(t)) {
		if (strcmp(v, "NaN") == 0 || strstr(v, "Infinity") != NULL)
			return buf_puts(b, "null");
		return buf_puts(b, v);
	}
	if (t == OID_JSON || t == OID_JSONB)
		return buf_puts(b, v);
	if (t == OID_BYTEA) {
		if (buf_putc(b, '"') == -1 || put_base64(b, v) == -1)
			return -1;
		return buf_putc(b, '"');
	}
	return json_put_string(b, v, (size_t)PQgetlength(r, 0, col));
}

/* ---- printing a result ---- */

struct printer {
	enum out_format format;
	FILE *fp;
	int ncols;
	struct buf row, val;
	long long nrows;
	bool first;
	int cell_max;
	long long cut;
	/* table */
	char **cells;		/* sampled rows' rendered cells, row-major */
	int *cwidth;
	bool *number;
	size_t ncells, ccells;
	int *width;
	bool fixed;
};

static int
render(struct printer *pr, const PGresult *r, int col, int max, struct buf *out, bool *num)
{
	bool cut = false;
	int w;

	buf_reset(&pr->val);
	*num = false;
	if (PQgetisnull(r, 0, col))
		return 0;
	*num = oid_number(PQftype(r, col));
	if (put_csv_value(&pr->val, r, col) == -1)
		return -1;
	/* put_csv_value quotes; a cell shows the text itself */
	buf_reset(&pr->val);
	if (PQftype(r, col) == OID_BYTEA) {
		if (put_base64(&pr->val, PQgetvalue(r, 0, col)) == -1)
			return -1;
	} else if (buf_append(&pr->val, PQgetvalue(r, 0, col), (size_t)PQgetlength(r, 0, col)) == -1) {
		return -1;
	}
	w = query_render_cell_cut(out, pr->val.data ? pr->val.data : "", pr->val.len, max, &cut);
	pr->cut += cut;
	return w;
}

static int
put_cell(struct buf *row, const char *text, int w, bool right, int width, bool last)
{
	int pad = width > w ? width - w : 0;

	if (last && w == 0)
		return buf_putc(row, '\n');
	for (; right && pad > 0; pad--)
		buf_putc(row, ' ');
	buf_puts(row, text);
	if (last)
		return buf_putc(row, '\n');
	for (pad += 2; pad > 0; pad--)
		buf_putc(row, ' ');
	return 0;
}

static int
table_flush_sample(struct printer *pr, const PGresult *head)
{
	size_t n = (size_t)pr->ncols;

	pr->fixed = true;
	pr->width = calloc(n + 1, sizeof *pr->width);
	if (pr->width == NULL)
		return -1;
	for (size_t i = 0; i < n; i++) {
		const char *name = PQfname(head, (int)i);
		int w = (int)strlen(name);
		pr->width[i] = w > pr->cell_max ? pr->cell_max : w;
	}
	for (size_t i = 0; i < pr->ncells; i++) {
		if (pr->cwidth[i] > pr->width[i % n])
			pr->width[i % n] = pr->cwidth[i];
	}
	for (size_t i = 0; i < n; i++) {
		struct buf h;
		buf_init(&h, 1 << 16);
		int w = query_render_cell_cut(&h, PQfname(head, (int)i), strlen(PQfname(head, (int)i)),
					      pr->cell_max, NULL);
		put_cell(&pr->row, h.data ? h.data : "", w, pr->number[i], pr->width[i], i == n - 1);
		buf_free(&h);
	}
	for (size_t i = 0; i < n; i++) {
		for (int d = pr->width[i] > 0 ? pr->width[i] : 1; d > 0; d--)
			buf_putc(&pr->row, '-');
		buf_puts(&pr->row, i == n - 1 ? "\n" : "  ");
	}
	for (size_t i = 0; i < pr->ncells; i++) {
		put_cell(&pr->row, pr->cells[i], pr->cwidth[i], pr->number[i % n], pr->width[i % n],
			 i % n == n - 1);
		free(pr->cells[i]);
		pr->cells[i] = NULL;
	}
	pr->ncells = 0;
	return query_flush(&pr->row, pr->fp);
}

static int
table_row(struct printer *pr, const PGresult *r)
{
	struct buf cell;
	int rc = 0;

	buf_init(&cell, ROW_MAX);
	for (int i = 0; i < pr->ncols && rc == 0; i++) {
		bool num;
		int w;
		buf_reset(&cell);
		w = render(pr, r, i, pr->fixed ? (pr->cell_max == INT_MAX ? INT_MAX : pr->width[i] > 0 ?
						  pr->width[i] : 1) : pr->cell_max, &cell, &num);
		if (w == -1) {
			rc = -1;
			break;
		}
		if (pr->fixed) {
			rc = put_cell(&pr->row, cell.data ? cell.data : "", w, pr->number[i],
				      pr->width[i], i == pr->ncols - 1);
			continue;
		}
		if (pr->ncells == pr->ccells) {
			size_t c = pr->ccells ? pr->ccells * 2 : 256;
			char **nc = realloc(pr->cells, c * sizeof *nc);
			int *nw = realloc(pr->cwidth, c * sizeof *nw);
			if (nc != NULL)
				pr->cells = nc;
			if (nw != NULL)
				pr->cwidth = nw;
			if (nc == NULL || nw == NULL) {
				rc = -1;
				break;
			}
			pr->ccells = c;
		}
		pr->cells[pr->ncells] = strdup(cell.data ? cell.data : "");
		pr->cwidth[pr->ncells++] = w;
		if (!PQgetisnull(r, 0, i) && !num)
			pr->number[i] = false;
	}
	buf_free(&cell);
	return rc;
}

static int
print_row(struct printer *pr, const PGresult *r)
{
	int rc = 0;

	if (pr->nrows == 0) {
		pr->ncols = PQnfields(r);
		if (pr->format == FMT_CSV) {
			for (int i = 0; i < pr->ncols; i++) {
				if (i > 0)
					buf_putc(&pr->row, ',');
				query_put_csv(&pr->row, PQfname(r, i), strlen(PQfname(r, i)));
			}
			buf_puts(&pr->row, "\r\n");
		}
	}
	switch (pr->format) {
	case FMT_CSV:
		for (int i = 0; i < pr->ncols && rc == 0; i++)
			rc = (i > 0 ? buf_putc(&pr->row, ',') : 0) | put_csv_value(&pr->row, r, i);
		if (rc == 0)
			rc = buf_puts(&pr->row, "\r\n");
		break;
	case FMT_JSON:
	case FMT_JSONL:
		if (pr->format == FMT_JSON)
			buf_puts(&pr->row, pr->first ? "[\n" : ",\n");
		pr->first = false;
		buf_putc(&pr->row, '{');
		for (int i = 0; i < pr->ncols && rc == 0; i++) {
			if (i > 0)
				buf_putc(&pr->row, ',');
			json_put_cstring(&pr->row, PQfname(r, i));
			buf_putc(&pr->row, ':');
			rc = put_json_value(&pr->row, r, i);
		}
		buf_putc(&pr->row, '}');
		if (pr->format == FMT_JSONL)
			rc = buf_putc(&pr->row, '\n');
		break;
	default:
		if (pr->number == NULL) {
			pr->number = calloc((size_t)pr->ncols + 1, sizeof *pr->number);
			if (pr->number == NULL)
				return -1;
			for (int i = 0; i < pr->ncols; i++)
				pr->number[i] = oid_number(PQftype(r, i));
		}
		rc = table_row(pr, r);
		if (rc == 0 && !pr->fixed && pr->nrows + 1 >= TABLE_SAMPLE)
			rc = table_flush_sample(pr, r);
		break;
	}
	pr->nrows++;
	if (rc == 0 && (pr->format != FMT_TABLE || pr->fixed))
		rc = query_flush(&pr->row, pr->fp);
	return rc;
}

static int
print_end(struct printer *pr, const PGresult *head)
{
	if (pr->format == FMT_CSV && pr->nrows == 0 && head != NULL) {
		for (int i = 0; i < PQnfields(head); i++) {
			if (i > 0)
				buf_putc(&pr->row, ',');
			query_put_csv(&pr->row, PQfname(head, i), strlen(PQfname(head, i)));
		}
		buf_puts(&pr->row, "\r\n");
	}
	if (pr->format == FMT_JSON)
		buf_puts(&pr->row, pr->first ? "[]\n" : "\n]\n");
	if (pr->format == FMT_TABLE) {
		if (!pr->fixed && head != NULL) {
			pr->ncols = PQnfields(head);
			if (pr->number == NULL &&
			    (pr->number = calloc((size_t)pr->ncols + 1, sizeof *pr->number)) == NULL)
				return -1;
			if (table_flush_sample(pr, head) == -1)
				return -1;
		}
		buf_printf(&pr->row, "(%lld row%s)\n", pr->nrows, pr->nrows == 1 ? "" : "s");
	}
	return query_flush(&pr->row, pr->fp);
}

static void
printer_free(struct printer *pr)
{
	for (size_t i = 0; i < pr->ncells; i++)
		free(pr->cells[i]);
	free(pr->cells);
	free(pr->cwidth);
	free(pr->number);
	free(pr->width);
	buf_free(&pr->row);
	buf_free(&pr->val);
}

/* The first word of sql, upper-cased, for the refusal ("INSERT"). */
static void
first_word(const char *sql, char *out, size_t outlen)
{
	size_t n = 0;

	while (*sql && isspace((unsigned char)*sql))
		sql++;
	while (*sql && isalpha((unsigned char)*sql) && n + 1 < outlen)
		out[n++] = (char)toupper((unsigned char)*sql++);
	out[n] = '\0';
}

/* Run one statement and print its rows; an exit code. */
static int
run_print(PGconn *c, const char *sql, enum out_format format, bool no_truncate)
{
	struct printer pr = { .format = format, .fp = stdout, .first = true };
	PGresult *r, *head = NULL;
	int code = EXIT_DONE;

	pr.cell_max = no_truncate ? INT_MAX : CELL_MAX;
	if (pr.format == FMT_DEFAULT)
		pr.format = isatty(STDOUT_FILENO) ? FMT_TABLE : FMT_CSV;
	buf_init(&pr.row, ROW_MAX);
	buf_init(&pr.val, ROW_MAX);
	if (!PQsendQueryParams(c, sql, 0, NULL, NULL, NULL, NULL, 0) || !PQsetSingleRowMode(c)) {
		char msg[600];
		pg_message(PQerrorMessage(c), msg, sizeof msg);
		log_error("%s", msg);
		printer_free(&pr);
		return EXIT_FAILED;
	}
	while ((r = PQgetResult(c)) != NULL) {
		ExecStatusType st = PQresultStatus(r);
		if (st == PGRES_SINGLE_TUPLE && code == EXIT_DONE) {
			if (print_row(&pr, r) == -1) {
				log_error("writing the output: %s", strerror(errno));
				code = EXIT_FAILED;
			}
		} else if (st == PGRES_TUPLES_OK || st == PGRES_COMMAND_OK) {
			if (head == NULL && code == EXIT_DONE) {
				head = r;
				continue;
			}
		} else if (code == EXIT_DONE) {
			const char *state = PQresultErrorField(r, PG_DIAG_SQLSTATE);
			char msg[600], word[32];
			pg_message(PQresultErrorMessage(r), msg, sizeof msg);
			first_word(sql, word, sizeof word);
			if (state != NULL && strcmp(state, "25006") == 0)
				log_error("refused: %s is not allowed: query is read-only (%s)",
					  word[0] ? word : "the statement", msg);
			else
				log_error("%s", msg);
			/* SQL errors (class 42, 22, 23, 25...) are the user's: 2; the rest 1 */
			code = state != NULL && (strncmp(state, "42", 2) == 0 ||
						 strncmp(state, "22", 2) == 0 ||
						 strncmp(state, "25", 2) == 0 ||
						 strncmp(state, "0A", 2) == 0) ?
				       EXIT_USAGE : EXIT_FAILED;
		}
		PQclear(r);
	}
	if (code == EXIT_DONE && print_end(&pr, head) == -1) {
		log_error("writing the output: %s", strerror(errno));
		code = EXIT_FAILED;
	}
	if (code == EXIT_DONE && pr.cut > 0)
		log_info("note: %lld cell%s cut to fit (shown ending in \xe2\x80\xa6); --no-truncate"
			 " shows every cell whole, as do -f csv, json and jsonl",
			 pr.cut, pr.cut == 1 ? " was" : "s were");
	PQclear(head);
	printer_free(&pr);
	return code;
}

/* ---- query ---- */

static const char tables_sql[] =
	"SELECT t.table_name AS name,"
	" CASE t.table_type WHEN 'VIEW' THEN 'view' ELSE 'table' END AS type,"
	" (SELECT string_agg(c.column_name, ', ' ORDER BY c.ordinal_position)"
	"  FROM information_schema.columns c WHERE c.table_schema = t.table_schema"
	"  AND c.table_name = t.table_name) AS columns"
	" FROM information_schema.tables t WHERE t.table_schema = current_schema()"
	" ORDER BY 2, 1";

static int
print_schema(PGconn *c, const char *name)
{
	const char *params[1] = { name };
	PGresult *r = PQexecParams(c,
		"SELECT CASE WHEN c.relkind = 'v' THEN 'CREATE VIEW ' || quote_ident(c.relname) ||"
		"  ' AS' || pg_get_viewdef(c.oid)"
		" ELSE 'CREATE TABLE ' || quote_ident(c.relname) || ' (' || (SELECT string_agg("
		"  quote_ident(a.attname) || ' ' || format_type(a.atttypid, a.atttypmod), ', '"
		"  ORDER BY a.attnum) FROM pg_attribute a WHERE a.attrelid = c.oid AND a.attnum > 0"
		"  AND NOT a.attisdropped) || ');' END"
		" FROM pg_class c WHERE c.relnamespace = current_schema()::regnamespace"
		" AND c.relkind IN ('r', 'v') AND ($1::text IS NULL OR c.relname = $1)"
		" ORDER BY c.relkind = 'v', c.relname", 1, NULL, params, NULL, NULL, 0);
	int code = EXIT_DONE;

	if (PQresultStatus(r) != PGRES_TUPLES_OK) {
		char msg[600];
		pg_message(PQresultErrorMessage(r), msg, sizeof msg);
		log_error("%s", msg);
		code = EXIT_FAILED;
	} else if (PQntuples(r) == 0 && name != NULL) {
		log_error("no table or view named '%s'", name);
		code = EXIT_USAGE;
	}
	for (int i = 0; code == EXIT_DONE && i < PQntuples(r); i++)
		printf("%s\n", PQgetvalue(r, i, 0));
	PQclear(r);
	return code;
}

int
pgread_query(const struct query_opts *o, const char *sql)
{
	PGconn *c = connect_ro(o->db_path);
	int code;

	if (c == NULL)
		return EXIT_FAILED;
	switch (o->mode) {
	case QUERY_TABLES: code = run_print(c, tables_sql, o->format, o->no_truncate); break;
	case QUERY_SCHEMA: code = print_schema(c, o->name); break;
	default: code = run_print(c, sql, o->format, o->no_truncate); break;
	}
	PQfinish(c);
	if (fflush(stdout) == EOF && code == EXIT_DONE) {
		log_error("writing the output: %s", strerror(errno));
		code = EXIT_FAILED;
	}
	return code;
}

/* ---- stats ---- */

static const char stats_sites_sql[] =
	"SELECT p.site, count(*) AS pages, count(*) FILTER (WHERE p.status BETWEEN 200 AND 399)"
	" AS ok, count(*) FILTER (WHERE p.status >= 400 OR (p.status IS NULL AND p.error IS NOT"
	" NULL)) AS errors, (SELECT count(*) FROM items i WHERE i.site = p.site) AS items,"
	" round(percentile_cont(0.5) WITHIN GROUP (ORDER BY p.elapsed_ms)) AS median_ms,"
	" round(percentile_cont(0.95) WITHIN GROUP (ORDER BY p.elapsed_ms)) AS p95_ms,"
	" coalesce(sum(p.bytes), 0) AS bytes,"
	" (SELECT count(*) FROM frontier f WHERE f.site = p.site AND f.state = 'queued') AS queued,"
	" s.node AS held_by,"
	" CASE WHEN s.expires_at > now() THEN ceil(extract(epoch FROM s.expires_at - now()))"
	"  END AS lease_s"
	" FROM pages p LEFT JOIN sites s ON s.site = p.site GROUP BY p.site, s.node, s.expires_at"
	" ORDER BY p.site";

static const char stats_nodes_sql[] =
	"SELECT n.node, (SELECT count(*) FROM pages p WHERE p.node = n.node) AS pages,"
	" (SELECT count(*) FROM sites s WHERE s.node = n.node AND s.expires_at > now())"
	"  AS sites_held,"
	" (SELECT string_agg(s.site, ' ' ORDER BY s.site) FROM sites s WHERE s.node = n.node"
	"  AND s.expires_at > now()) AS sites,"
	" CASE WHEN n.seen_at IS NULL THEN 'left' WHEN n.seen_at > now() - interval '1 minute'"
	"  THEN 'alive' ELSE 'silent' END"
	"  AS state, to_char(n.seen_at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"')"
	"  AS seen_at"
	" FROM (SELECT node, seen_at FROM nodes UNION SELECT DISTINCT node, NULL::timestamptz FROM pages"
	"  WHERE node IS NOT NULL AND node NOT IN (SELECT node FROM nodes)) n ORDER BY n.node";

int
pgread_stats(const struct stats_opts *o)
{
	PGconn *c = connect_ro(o->db_path);
	int code;

	if (c == NULL)
		return EXIT_FAILED;
	if (o->format == FMT_JSON) {
		printf("{\"sites\":");
		fflush(stdout);
		code = run_print(c, stats_sites_sql, FMT_JSON, true);
		printf(",\"nodes\":");
		fflush(stdout);
		if (code == EXIT_DONE)
			code = run_print(c, stats_nodes_sql, FMT_JSON, true);
		printf("}\n");
	} else {
		printf("sites:\n");
		fflush(stdout);
		code = run_print(c, stats_sites_sql, FMT_TABLE, false);
		printf("\nnodes (who fetched what, who holds which site now):\n");
		fflush(stdout);
		if (code == EXIT_DONE)
			code = run_print(c, stats_nodes_sql, FMT_TABLE, false);
	}
	PQfinish(c);
	if (fflush(stdout) == EOF && code == EXIT_DONE)
		code = EXIT_FAILED;
	return code;
}

/* ---- export ---- */

/* One item: its url, then its fields, each as the server wrote it: jsonl and json
 * take the JSON value (data->'f', NULL when absent), csv the text (data->>'f'). */
static void
export_record(struct buf *b, enum out_format format, const PGresult *r, char **fields,
	      size_t nfields, bool url_field)
{
	if (format == FMT_CSV) {
		query_put_csv(b, PQgetvalue(r, 0, 0), (size_t)PQgetlength(r, 0, 0));
	} else {
		buf_puts(b, url_field ? "{\"page_url\":" : "{\"url\":");
		json_put_cstring(b, PQgetvalue(r, 0, 0));
	}
	for (size_t i = 0; i < nfields; i++) {
		int col = (int)i + 1;
		buf_putc(b, ',');
		if (format == FMT_CSV) {
			if (!PQgetisnull(r, 0, col))
				query_put_csv(b, PQgetvalue(r, 0, col), (size_t)PQgetlength(r, 0, col));
			continue;
		}
		json_put_cstring(b, fields[i]);
		buf_putc(b, ':');
		buf_puts(b, PQgetisnull(r, 0, col) ? "null" : PQgetvalue(r, 0, col));
	}
	buf_puts(b, format == FMT_CSV ? "\r\n" : "}");
}

/* export -f warc: read/warc.c's records from the pages with a stored body, one row at
 * a time (memory: one body). */
static int
export_warc(PGconn *c, const struct export_opts *o)
{
	PGresult *r;
	FILE *fp = stdout;
	struct buf body;
	char tmp[4200], err[600];
	int code = EXIT_DONE;

	if (o->out_path != NULL) {
		snprintf(tmp, sizeof tmp, "%s.tmp.%ld", o->out_path, (long)getpid());
		if ((fp = fopen(tmp, "w")) == NULL) {
			log_error("cannot write %s: %s", tmp, strerror(errno));
			return EXIT_FAILED;
		}
	}
	if (warc_begin(fp, err, sizeof err) == -1) {
		log_error("%s", err);
		code = EXIT_FAILED;
	}
	if (code == EXIT_DONE && (!PQsendQuery(c, WARC_PAGES_SQL) || !PQsetSingleRowMode(c))) {
		pg_message(PQerrorMessage(c), err, sizeof err);
		log_error("reading the stored bodies: %s", err);
		code = EXIT_FAILED;
	}
	buf_init(&body, 1u << 30);
	while (code == EXIT_DONE && (r = PQgetResult(c)) != NULL) {
		if (PQresultStatus(r) == PGRES_SINGLE_TUPLE) {
			size_t n;
			unsigned char *data = PQunescapeBytea((const unsigned char *)PQgetvalue(r, 0, 3),
							      &n);
			if (data == NULL) {
				log_error("out of memory");
				code = EXIT_FAILED;
			} else if (warc_page(fp, &body, PQgetvalue(r, 0, 0),
					     PQgetisnull(r, 0, 1) ? NULL : PQgetvalue(r, 0, 1),
					     PQgetisnull(r, 0, 2) ? NULL : PQgetvalue(r, 0, 2), data, n,
					     strtoll(PQgetvalue(r, 0, 4), NULL, 10), PQgetvalue(r, 0, 5),
					     PQgetvalue(r, 0, 6), err, sizeof err) == -1) {
				log_error("%s", err);
				code = EXIT_FAILED;
			}
			PQfreemem(data);
		} else if (PQresultStatus(r) != PGRES_TUPLES_OK) {
			pg_message(PQresultErrorMessage(r), err, sizeof err);
			log_error("reading the stored bodies: %s", err);
			code = EXIT_FAILED;
		}
		PQclear(r);
	}
	while ((r = PQgetResult(c)) != NULL)
		PQclear(r);
	buf_free(&body);
	if (code == EXIT_DONE && fflush(fp) == EOF) {
		log_error("writing: %s", strerror(errno));
		code = EXIT_FAILED;
	}
	if (fp != stdout) {
		if (fclose(fp) == EOF && code == EXIT_DONE) {
			log_error("cannot write %s: %s", tmp, strerror(errno));
			code = EXIT_FAILED;
		}
		if (code == EXIT_DONE && rename(tmp, o->out_path) == -1) {
			log_error("cannot write %s: %s", o->out_path, strerror(errno));
			code = EXIT_FAILED;
		}
		if (code != EXIT_DONE)
			unlink(tmp);
	}
	return code;
}

int
pgread_export(const struct export_opts *o)
{
	const char *params[1] = { o->type };
	enum out_format format = o->format == FMT_DEFAULT ? FMT_JSONL : o->format;
	PGconn *c;
	PGresult *r;
	char **fields = NULL, tmp[4200];
	size_t nfields = 0;
	bool url_field = false, first = true;
	FILE *fp = stdout;
	struct buf b, sel;
	int code = EXIT_DONE;

	if ((c = connect_ro(o->db_path)) == NULL)
		return EXIT_FAILED;
	if (o->warc) {
		code = export_warc(c, o);
		PQfinish(c);
		return code;
	}
	/* The fields: every key of the type's items, in the order first seen. */
	r = PQexecParams(c, "SELECT e.key FROM (SELECT data, url, idx FROM items WHERE type = $1)"
			    " i, jsonb_each(i.data) WITH ORDINALITY e(key, value, n)"
			    " GROUP BY e.key ORDER BY min(i.url), min(i.idx), min(e.n)", 1, NULL,
			 params, NULL, NULL, 0);
	if (PQresultStatus(r) != PGRES_TUPLES_OK) {
		pg_message(PQresultErrorMessage(r), tmp, sizeof tmp);
		log_error("%s", tmp);
		PQclear(r);
		PQfinish(c);
		return EXIT_FAILED;
	}
	if (PQntuples(r) == 0) {
		log_error("no items of type '%s' in the database", o->type);
		PQclear(r);
		PQfinish(c);
		return EXIT_USAGE;
	}
	nfields = (size_t)PQntuples(r);
	fields = calloc(nfields, sizeof *fields);
	for (size_t i = 0; fields != NULL && i < nfields; i++) {
		fields[i] = strdup(PQgetvalue(r, (int)i, 0));
		url_field |= strcmp(fields[i], "url") == 0;
	}
	PQclear(r);
	if (o->out_path != NULL) {
		snprintf(tmp, sizeof tmp, "%s.tmp.%ld", o->out_path, (long)getpid());
		if ((fp = fopen(tmp, "w")) == NULL) {
			log_error("cannot write %s: %s", tmp, strerror(errno));
			code = EXIT_FAILED;
		}
	}
	buf_init(&b, ROW_MAX);
	if (code == EXIT_DONE && format == FMT_CSV) {
		buf_puts(&b, url_field ? "page_url" : "url");
		for (size_t i = 0; i < nfields; i++) {
			buf_putc(&b, ',');
			query_put_csv(&b, fields[i], strlen(fields[i]));
		}
		buf_puts(&b, "\r\n");
	}
	buf_init(&sel, 1u << 24);
	buf_puts(&sel, "SELECT url");
	for (size_t i = 0; i < nfields; i++) {
		buf_puts(&sel, format == FMT_CSV ? ", data->>'" : ", data->'");
		for (const char *f = fields[i]; *f; f++) {
			if (*f == '\'')
				buf_putc(&sel, '\'');
			buf_putc(&sel, *f);
		}
		buf_putc(&sel, '\'');
	}
	buf_puts(&sel, " FROM items WHERE type = $1 ORDER BY url, idx");
	if (code == EXIT_DONE &&
	    (!PQsendQueryParams(c, buf_str(&sel), 1, NULL, params, NULL, NULL, 0) ||
	     !PQsetSingleRowMode(c)))
		code = EXIT_FAILED;
	buf_free(&sel);
	while (code == EXIT_DONE && (r = PQgetResult(c)) != NULL) {
		if (PQresultStatus(r) == PGRES_SINGLE_TUPLE) {
			if (format == FMT_JSON)
				buf_puts(&b, first ? "[\n" : ",\n");
			first = false;
			export_record(&b, format, r, fields, nfields, url_field);
			if (format == FMT_JSONL)
				buf_putc(&b, '\n');
			if (query_flush(&b, fp) == -1)
				code = EXIT_FAILED;
		} else if (PQresultStatus(r) != PGRES_TUPLES_OK) {
			pg_message(PQresultErrorMessage(r), tmp, sizeof tmp);
			log_error("%s", tmp);
			code = EXIT_FAILED;
		}
		PQclear(r);
	}
	while ((r = PQgetResult(c)) != NULL)
		PQclear(r);
	if (code == EXIT_DONE && format == FMT_JSON)
		buf_puts(&b, first ? "[]\n" : "\n]\n");
	if (code == EXIT_DONE && (query_flush(&b, fp) == -1 || fflush(fp) == EOF))
		code = EXIT_FAILED;
	if (fp != stdout && fp != NULL) {
		if (fclose(fp) == EOF)
			code = EXIT_FAILED;
		snprintf(tmp, sizeof tmp, "%s.tmp.%ld", o->out_path, (long)getpid());
		if (code == EXIT_DONE && rename(tmp, o->out_path) == -1) {
			log_error("cannot write %s: %s", o->out_path, strerror(errno));
			code = EXIT_FAILED;
		}
		if (code != EXIT_DONE)
			unlink(tmp);
	}
	buf_free(&b);
	for (size_t i = 0; fields != NULL && i < nfields; i++)
		free(fields[i]);
	free(fields);
	PQfinish(c);
	return code;
}
