/*
 * cli.c: argument parsing, subcommand dispatch, help texts and exit codes.
 *
 * Every subcommand has its own option table and --help.  Parsing only fills an options
 * struct (cli.h); the work happens in the subcommand's module.  Usage errors print one
 * line naming the problem plus a pointer to --help and exit 2.
 */
#include "config.h"

#include "cli.h"

#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/exitcode.h"
#include "base/log.h"
#include "crawl/crawl.h"
#include "read/export.h"
#include "read/query.h"
#include "read/stats.h"
#include "crawl/reparse.h"
#include "rules/check.h"
#include "serve/serve.h"
#include "store/store.h"
#include "worker/try.h"

static const char usage_main[] =
"usage: scraper COMMAND [options] [args]\n"
"\n"
"A concurrent, polite web scraper: crawls sites with per-site rule files and stores\n"
"pages and extracted items in a SQLite database.\n"
"\n"
"commands:\n"
"  crawl  [-c DIR] [-d DB] [options] URLFILE...   crawl the URLs listed (- = stdin)\n"
"  query  [-d DB] [-f table|csv|json|jsonl] SQL   read-only SQL over the database\n"
"         [-d DB] --tables | --schema [NAME]      its tables and views, their SQL\n"
"  export [-d DB] -t TYPE [-f jsonl|json|csv] [-o FILE]   items of one type\n"
"         [-d DB] -f warc -o FILE.warc.gz         the stored responses as WARC 1.1\n"
"  check  [-c DIR]                                validate every rule file\n"
"  try    [-c DIR] URL|FILE [--url URL] [--explain]   apply the rules to one page\n"
"         URL|FILE --css SEL | --xpath EXPR       test one selector\n"
"  stats  [-d DB] [-f table|json]                 per-site pages, items, errors, timings\n"
"  serve  [-D DATADIR] [--listen ADDR:PORT]       the service: JSON API, jobs, schedules\n"
"  reparse [-c DIR] [-d DB] [--site S] [--type T]  re-extract stored bodies, no network\n"
"\n"
"  scraper help COMMAND    options of one command (or: scraper COMMAND --help)\n"
"  scraper --version\n"
"\n"
"Options may come before or after the arguments; -- ends the options.\n"
"environment: SCRAPER_CONFIG (default -c), SCRAPER_DB (default -d)\n"
"exit status: 0 done, 1 the run failed, 2 usage or rule-file error\n";

static const char usage_crawl[] =
"usage: scraper crawl [-c DIR] [-d DB] [options] URLFILE...\n"
"\n"
"Crawl the URLs listed in each URLFILE (one per line, # comments; - reads stdin),\n"
"following links as the rule files in DIR say.  Running it again on the same database\n"
"resumes the unfinished crawl.\n"
"\n"
"  -c, --config DIR     rule files (default ./config or $SCRAPER_CONFIG)\n"
"  -d, --db DB          database (default ./scraped.db or $SCRAPER_DB); a PostgreSQL\n"
"                       connection string (postgresql://... or host=... dbname=...)\n"
"                       keeps it in PostgreSQL, where several nodes can crawl at once\n"
"      --node NAME      PostgreSQL: this node's name (default the host name)\n"
"      --lease-s N      PostgreSQL: a site's lease lapses N s after its node stops\n"
"                       renewing it (default 30); other nodes then take the site over\n"
"      --workers N      most worker processes at once (default 64)\n"
"      --max-pages N    stop after N pages in all (over the rule files' limits)\n"
"      --max-depth N    follow links at most N hops from a seed (caps the rule files)\n"
"      --fresh          forget the old frontier and start again\n"
"      --recrawl        fetch done pages again with conditional requests (not\n"
"                       conditional where the page's rules have changed since)\n"
"      --store-bodies   keep every response body (compressed) and its headers\n"
"      --max-db-mb N    stop cleanly (exit 1) when the database would pass N MiB\n"
"      --progress-fd N  write progress as JSON lines to descriptor N (about once a second)\n"
"      --progress-every SECONDS   when stderr is not a terminal, a progress line this\n"
"                       often (default 30; 0 = never); on a terminal a status line\n"
"      --user NAME      started as root, run the workers as NAME (default nobody)\n"
"      --ca-file FILE   CA certificates for https (PEM) where a rule file sets no ca_file\n"
"  -q, --quiet          no status line and no summary\n"
"  -v, --verbose        per-site summary lines; twice for debug logging\n"
"  -h, --help           this text\n";

static const char usage_query[] =
"usage: scraper query [-d DB] [-f table|csv|json|jsonl] [--no-truncate] SQL|-\n"
"       scraper query [-d DB] [-f FMT] --tables\n"
"       scraper query [-d DB] --schema [NAME]\n"
"\n"
"Run one read-only SQL statement over the database and print the rows.  The database is\n"
"opened read-only: only SELECT, WITH, VALUES, EXPLAIN and reading PRAGMAs run.  SQL -\n"
"(or no SQL, when standard input is not a terminal) reads the statement from standard\n"
"input; SQL that starts with - goes after --.  In the table format NULL is an empty\n"
"cell; blobs are base64 in every format.  In json and jsonl an item view's bool field\n"
"is true or false and an all: true field a JSON array, as the items hold them.\n"
"\n"
"  -d, --db DB          database (default ./scraped.db or $SCRAPER_DB)\n"
"  -f, --format FMT     table (default on a terminal), csv (default otherwise; RFC 4180\n"
"                       with a header row), json (one array), jsonl (an object per line)\n"
"      --no-truncate    table: show every cell whole (else cut to 60 columns, and a\n"
"                       note on stderr says how many were cut)\n"
"      --tables         list the tables and views (type view) and their columns\n"
"      --schema [NAME]  the CREATE statements, of NAME only if given; a view's columns\n"
"                       and what each holds follow it as SQL comments\n"
"  -h, --help           this text\n";

static const char usage_export[] =
"usage: scraper export [-d DB] -t TYPE [-f jsonl|json|csv] [-o FILE]\n"
"       scraper export [-d DB] -f warc -o FILE.warc.gz\n"
"\n"
"Write every item of one type, one record per item with its url and fields.  A field\n"
"an item lacks is null (jsonl) or empty (csv).\n"
"\n"
"  -d, --db DB          database (default ./scraped.db or $SCRAPER_DB)\n"
"  -t, --type TYPE      item type (as named in the rule files)\n"
"  -f, --format FMT     jsonl (default; an object per line), json (one array of\n"
"                       objects) or csv (RFC 4180, a header row); warc: the stored\n"
"                       responses (crawl --store-bodies) as WARC 1.1, gzip per record\n"
"  -o, --output FILE    write FILE atomically (default standard output)\n"
"  -h, --help           this text\n";

static const char usage_check[] =
"usage: scraper check [-c DIR]\n"
"\n"
"Validate every rule file in DIR and list every error as file:line:col: message.\n"
"Exit status 0 when all are valid, 2 otherwise.\n"
"\n"
"  -c, --config DIR     rule files (default ./config or $SCRAPER_CONFIG)\n"
"  -h, --help           this text\n";

static const char usage_try[] =
"usage: scraper try [-c DIR] URL|FILE [--url URL] [--explain]\n"
"       scraper try URL|FILE [--url URL] --css SELECTOR | --xpath EXPRESSION\n"
"\n"
"Fetch one URL (or read a saved page from FILE), apply the rule file a crawl would pick\n"
"for it, and print the items and the links the follow rules choose, as JSON.  A URL's\n"
"robots.txt is fetched too when its rules obey it.  The page counts as a seed (depth 0).\n"
"\n"
"  -c, --config DIR     rule files (default ./config or $SCRAPER_CONFIG)\n"
"  -u, --url URL        the address FILE was saved from (picks the rules, resolves links)\n"
"  -e, --explain        add \"explain\": every field's selector, the nodes it matched and\n"
"                       the values that survived; every item type, matched or not, stored\n"
"                       or why not; every link a follow rule saw, followed or why not\n"
"      --css SELECTOR   apply only this CSS selector (no rule file) and print its\n"
"                       values and their count\n"
"      --xpath EXPR     the same with an XPath expression\n"
"  -h, --help           this text\n";

static const char usage_stats[] =
"usage: scraper stats [-d DB] [-f table|json]\n"
"\n"
"Per site, then in total: pages ok, failed and skipped (by robots.txt, or by a page\n"
"limit), as the crawl's summary counts them; URLs still queued; items per type; bytes;\n"
"fetch times; the errors (pages.error) grouped by kind.\n"
"\n"
"  -d, --db DB          database (default ./scraped.db or $SCRAPER_DB)\n"
"  -f, --format FMT     table (default) or json\n"
"  -h, --help           this text\n";

static const char usage_serve[] =
"usage: scraper serve [-D DATADIR] [--listen ADDR:PORT] [--max-jobs N] [--token-file F]\n"
"                     [--db postgresql://...]\n"
"\n"
"Run the service: projects, crawl jobs (each its own process), cron schedules (UTC),\n"
"a JSON API under /api/v1/, Prometheus metrics at /metrics and a dashboard at /.\n"
"Stops cleanly on SIGINT or SIGTERM; running jobs are resumed at the next start.\n"
"\n"
"  -D, --data DIR       service.db and projects/ (default ./scraper-data or $SCRAPER_DATA)\n"
"      --listen A:P     address and port (default 127.0.0.1:6800; port 0: any free one)\n"
"      --max-jobs N     jobs running at once (default 2); the rest wait in order\n"
"      --token-file F   require \"Authorization: Bearer TOKEN\" (the file's first line;\n"
"                       else $SCRAPER_TOKEN); without a token only loopback is allowed\n"
"      --db CONNINFO    keep each project's crawl data in this PostgreSQL database, in\n"
"                       a schema scraper_NAME (service.db stays in DIR)\n"
"  -v, --verbose        log every request\n"
"  -h, --help           this text\n";

static const char usage_reparse[] =
"usage: scraper reparse [-c DIR] [-d DB] [--site S] [--type T]\n"
"\n"
"Apply today's rule files to the bodies stored by crawl --store-bodies (or\n"
"store_bodies: true) and update the items, with history, as a recrawl would: no\n"
"request is made.  Takes the database's crawl lock.\n"
"\n"
"  -c, --config DIR     rule files (default ./config or $SCRAPER_CONFIG)\n"
"  -d, --db DB          database (default ./scraped.db or $SCRAPER_DB)\n"
"      --site S         only the pages of site S (host[:port], as in pages.site)\n"
"      --type T         only items of type T (the page's other items stay as they are)\n"
"  -q, --quiet          no summary\n"
"  -h, --help           this text\n";

static int usage_error(const char *cmd, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static int
usage_error(const char *cmd, const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "scraper%s%s: ", cmd ? " " : "", cmd ? cmd : "");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, "\nTry 'scraper %s%s--help' for more information.\n",
		cmd ? cmd : "", cmd ? " " : "");
	return EXIT_USAGE;
}

/*
 * -d must name a database file (or one to be made): a FIFO would block the first read
 * forever, a device or socket is no database, and a directory cannot be one.  Checked
 * with stat, which opens nothing; a PostgreSQL address is not a path.
 */
static int
db_path_refused(const char *cmd, const char *path)
{
	struct stat sb;
	const char *what;

	if (store_is_pg(path) || stat(path, &sb) == -1 || S_ISREG(sb.st_mode))
		return 0;
	if (S_ISFIFO(sb.st_mode))
		what = "a FIFO (named pipe)";
	else if (S_ISDIR(sb.st_mode))
		what = "a directory";
	else if (S_ISCHR(sb.st_mode) || S_ISBLK(sb.st_mode))
		what = "a device";
	else if (S_ISSOCK(sb.st_mode))
		what = "a socket";
	else
		what = "not a regular file";
	fprintf(stderr, "scraper %s: the database %s is %s, not a database file\n", cmd, path,
		what);
	return -1;
}

static const char *
env_or(const char *name, const char *fallback)
{
	const char *v = getenv(name);

	return v != NULL && *v != '\0' ? v : fallback;
}

/* A whole decimal number in [min, max]; -1 when it is not. */
static int
parse_long(const char *s, long min, long max, long *out)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(s, &end, 10);
	if (errno != 0 || end == s || *end != '\0' || v < min || v > max)
		return -1;
	*out = v;
	return 0;
}

/* A number of seconds in [0, max] (fractions allowed); -1 when it is not. */
static int
parse_seconds(const char *s, double max, double *out)
{
	char *end;
	double v;

	errno = 0;
	v = strtod(s, &end);
	if (errno != 0 || end == s || *end != '\0' || !(v >= 0 && v <= max))
		return -1;
	*out = v;
	return 0;
}

static int
parse_format(const char *s, enum out_format *out)
{
	static const struct { const char *name; enum out_format f; } names[] = {
		{ "table", FMT_TABLE }, { "csv", FMT_CSV },
		{ "json", FMT_JSON },	{ "jsonl", FMT_JSONL },
	};

	for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
		if (strcmp(s, names[i].name) == 0) {
			*out = names[i].f;
			return 0;
		}
	}
	return -1;
}

/* getopt_long's own messages name the option; add the pointer to --help. */
#define BAD_OPTION(cmd) \
	do { \
		fprintf(stderr, "Try 'scraper %s --help' for more information.\n", cmd); \
		return EXIT_USAGE; \
	} while (0)

static int
cmd_crawl(int argc, char **argv)
{
	enum { O_WORKERS = 256, O_MAX_PAGES, O_MAX_DEPTH, O_FRESH, O_RECRAWL, O_MAX_DB, O_PROGRESS_FD,
	       O_PROGRESS_EVERY, O_STORE_BODIES, O_USER, O_CA_FILE, O_NODE, O_LEASE_S };
	static const struct option longopts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "db", required_argument, NULL, 'd' },
		{ "workers", required_argument, NULL, O_WORKERS },
		{ "max-pages", required_argument, NULL, O_MAX_PAGES },
		{ "max-depth", required_argument, NULL, O_MAX_DEPTH },
		{ "fresh", no_argument, NULL, O_FRESH },
		{ "recrawl", no_argument, NULL, O_RECRAWL },
		{ "store-bodies", no_argument, NULL, O_STORE_BODIES },
		{ "max-db-mb", required_argument, NULL, O_MAX_DB },
		{ "node", required_argument, NULL, O_NODE },
		{ "lease-s", required_argument, NULL, O_LEASE_S },
		{ "progress-fd", required_argument, NULL, O_PROGRESS_FD },
		{ "progress-every", required_argument, NULL, O_PROGRESS_EVERY },
		{ "user", required_argument, NULL, O_USER },
		{ "ca-file", required_argument, NULL, O_CA_FILE },
		{ "quiet", no_argument, NULL, 'q' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct crawl_opts o = {
		.config_dir = env_or("SCRAPER_CONFIG", "./config"),
		.config_given = env_or("SCRAPER_CONFIG", NULL) != NULL,
		.db_path = env_or("SCRAPER_DB", "./scraped.db"),
		.workers = 64,
		.max_depth = -1,
		.progress_fd = -1,
		.progress_every = 30,
		.lease_s = 30,
	};
	long v;
	int c;

	while ((c = getopt_long(argc, argv, "c:d:qvh", longopts, NULL)) != -1) {
		switch (c) {
		case 'c': o.config_dir = optarg; o.config_given = true; break;
		case 'd': o.db_path = optarg; break;
		case 'q': o.quiet = true; break;
		case 'v': o.verbose++; break;
		case 'h': fputs(usage_crawl, stdout); return EXIT_DONE;
		case O_WORKERS:
			if (parse_long(optarg, 1, 4096, &v) == -1)
				return usage_error("crawl", "--workers wants a number from 1 to 4096, not '%s'", optarg);
			o.workers = (int)v;
			break;
		case O_MAX_PAGES:
			if (parse_long(optarg, 1, LONG_MAX, &v) == -1)
				return usage_error("crawl", "--max-pages wants a positive number, not '%s'", optarg);
			o.max_pages = v;
			break;
		case O_MAX_DEPTH:
			if (parse_long(optarg, 0, 100000, &v) == -1)
				return usage_error("crawl", "--max-depth wants a number from 0 to 100000, not '%s'", optarg);
			o.max_depth = (int)v;
			break;
		case O_MAX_DB:
			if (parse_long(optarg, 1, 1L << 30, &v) == -1)
				return usage_error("crawl", "--max-db-mb wants a positive number, not '%s'", optarg);
			o.max_db_mb = v;
			break;
		case O_PROGRESS_FD:
			if (parse_long(optarg, 3, 65535, &v) == -1)
				return usage_error("crawl", "--progress-fd wants a descriptor number of 3 or more, not '%s'", optarg);
			o.progress_fd = (int)v;
			break;
		case O_PROGRESS_EVERY:
			if (parse_seconds(optarg, 7 * 86400, &o.progress_every) == -1)
				return usage_error("crawl", "--progress-every wants seconds from 0 (never) to 604800, not '%s'", optarg);
			break;
		case O_FRESH: o.fresh = true; break;
		case O_RECRAWL: o.recrawl = true; break;
		case O_STORE_BODIES: o.store_bodies = true; break;
		case O_USER: o.user = optarg; break;
		case O_CA_FILE: o.ca_file = optarg; break;
		case O_NODE:
			if (*optarg == '\0' || strlen(optarg) > 200)
				return usage_error("crawl", "%s", "--node wants a name of 1 to 200 characters");
			o.node = optarg;
			break;
		case O_LEASE_S:
			if (parse_long(optarg, 2, 86400, &v) == -1)
				return usage_error("crawl", "--lease-s wants seconds from 2 to 86400, not '%s'", optarg);
			o.lease_s = (int)v;
			break;
		default: BAD_OPTION("crawl");
		}
	}
	if (optind >= argc)
		return usage_error("crawl", "%s", "no URL file given (use - for standard input)");
	if (o.fresh && o.recrawl)
		return usage_error("crawl", "%s", "--fresh and --recrawl do not go together");
	if ((o.node != NULL || o.lease_s != 30) && !store_is_pg(o.db_path))
		return usage_error("crawl", "%s", "--node and --lease-s are for a PostgreSQL database"
				   " (-d postgresql://...), which several nodes can share");
	o.url_files = argv + optind;
	o.n_url_files = argc - optind;
	if (db_path_refused("crawl", o.db_path) == -1)
		return EXIT_FAILED;
	return crawl_run(&o);
}

static int
cmd_query(int argc, char **argv)
{
	enum { O_TABLES = 256, O_SCHEMA, O_NO_TRUNCATE };
	static const struct option longopts[] = {
		{ "db", required_argument, NULL, 'd' },
		{ "format", required_argument, NULL, 'f' },
		{ "tables", no_argument, NULL, O_TABLES },
		{ "schema", no_argument, NULL, O_SCHEMA },
		{ "no-truncate", no_argument, NULL, O_NO_TRUNCATE },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct query_opts o = { .db_path = env_or("SCRAPER_DB", "./scraped.db") };
	int c, nargs;

	while ((c = getopt_long(argc, argv, "d:f:h", longopts, NULL)) != -1) {
		switch (c) {
		case 'd': o.db_path = optarg; break;
		case 'f':
			if (parse_format(optarg, &o.format) == -1)
				return usage_error("query", "unknown format '%s' (table, csv, json, jsonl)", optarg);
			break;
		case O_TABLES:
		case O_SCHEMA:
			if (o.mode != QUERY_SQL && o.mode != (c == O_TABLES ? QUERY_TABLES : QUERY_SCHEMA))
				return usage_error("query", "%s", "--tables and --schema do not go together");
			o.mode = c == O_TABLES ? QUERY_TABLES : QUERY_SCHEMA;
			break;
		case O_NO_TRUNCATE: o.no_truncate = true; break;
		case 'h': fputs(usage_query, stdout); return EXIT_DONE;
		default: BAD_OPTION("query");
		}
	}
	if (db_path_refused("query", o.db_path) == -1)
		return EXIT_FAILED;
	nargs = argc - optind;
	if (o.mode == QUERY_TABLES && nargs > 0)
		return usage_error("query", "--tables takes no SQL, not '%s'", argv[optind]);
	if (o.mode == QUERY_SCHEMA) {
		if (nargs > 1)
			return usage_error("query", "%s", "--schema takes at most one table or view name");
		o.name = nargs == 1 ? argv[optind] : NULL;
		return query_run(&o);
	}
	if (o.mode == QUERY_TABLES)
		return query_run(&o);
	if (nargs > 1)
		return usage_error("query", "%s", "give exactly one SQL statement (quote it)");
	if (nargs == 0 && isatty(STDIN_FILENO))
		return usage_error("query", "%s", "give one SQL statement (or - to read it from standard input)");
	o.sql = nargs == 1 && strcmp(argv[optind], "-") != 0 ? argv[optind] : NULL;
	return query_run(&o);
}

static int
cmd_export(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "db", required_argument, NULL, 'd' },
		{ "type", required_argument, NULL, 't' },
		{ "format", required_argument, NULL, 'f' },
		{ "output", required_argument, NULL, 'o' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct export_opts o = {
		.db_path = env_or("SCRAPER_DB", "./scraped.db"),
		.format = FMT_JSONL,
	};
	int c;

	while ((c = getopt_long(argc, argv, "d:t:f:o:h", longopts, NULL)) != -1) {
		switch (c) {
		case 'd': o.db_path = optarg; break;
		case 't': o.type = optarg; break;
		case 'o': o.out_path = optarg; break;
		case 'f':
			o.warc = strcmp(optarg, "warc") == 0;
			if (!o.warc && (parse_format(optarg, &o.format) == -1 || o.format == FMT_TABLE))
				return usage_error("export", "unknown format '%s' (jsonl, json, csv, warc)", optarg);
			break;
		case 'h': fputs(usage_export, stdout); return EXIT_DONE;
		default: BAD_OPTION("export");
		}
	}
	if (optind != argc)
		return usage_error("export", "unexpected argument '%s'", argv[optind]);
	if (o.warc && o.out_path == NULL)
		return usage_error("export", "%s", "-f warc writes a file: give -o FILE.warc.gz");
	if (o.warc && o.type != NULL)
		return usage_error("export", "%s", "-f warc writes every stored response: no -t TYPE");
	if (o.type == NULL && !o.warc)
		return usage_error("export", "%s", "-t TYPE is required");
	if (db_path_refused("export", o.db_path) == -1)
		return EXIT_FAILED;
	return export_run(&o);
}

static int
cmd_check(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct check_opts o = { .config_dir = env_or("SCRAPER_CONFIG", "./config") };
	int c;

	while ((c = getopt_long(argc, argv, "c:h", longopts, NULL)) != -1) {
		switch (c) {
		case 'c': o.config_dir = optarg; break;
		case 'h': fputs(usage_check, stdout); return EXIT_DONE;
		default: BAD_OPTION("check");
		}
	}
	if (optind != argc)
		return usage_error("check", "unexpected argument '%s'", argv[optind]);
	return check_run(&o);
}

static int
cmd_try(int argc, char **argv)
{
	enum { O_CSS = 256, O_XPATH };
	static const struct option longopts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "url", required_argument, NULL, 'u' },
		{ "explain", no_argument, NULL, 'e' },
		{ "css", required_argument, NULL, O_CSS },
		{ "xpath", required_argument, NULL, O_XPATH },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct try_opts o = {
		.config_dir = env_or("SCRAPER_CONFIG", "./config"),
		.config_given = env_or("SCRAPER_CONFIG", NULL) != NULL,
	};
	int c;

	while ((c = getopt_long(argc, argv, "c:u:eh", longopts, NULL)) != -1) {
		switch (c) {
		case 'c': o.config_dir = optarg; o.config_given = true; break;
		case 'u': o.url = optarg; break;
		case 'e': o.explain = true; break;
		case O_CSS: o.css = optarg; break;
		case O_XPATH: o.xpath = optarg; break;
		case 'h': fputs(usage_try, stdout); return EXIT_DONE;
		default: BAD_OPTION("try");
		}
	}
	if (argc - optind != 1)
		return usage_error("try", "%s", "give one URL or file");
	if (o.css != NULL && o.xpath != NULL)
		return usage_error("try", "%s", "--css and --xpath do not go together: give one selector");
	if ((o.css != NULL || o.xpath != NULL) && o.explain)
		return usage_error("try", "%s", "--explain explains the rule files; with --css or --xpath there are none");
	if ((o.css != NULL && *o.css == '\0') || (o.xpath != NULL && *o.xpath == '\0'))
		return usage_error("try", "%s", "the selector is empty");
	o.target = argv[optind];
	return try_run(&o);
}

static int
cmd_stats(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "db", required_argument, NULL, 'd' },
		{ "format", required_argument, NULL, 'f' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct stats_opts o = {
		.db_path = env_or("SCRAPER_DB", "./scraped.db"),
		.format = FMT_TABLE,
	};
	int c;

	while ((c = getopt_long(argc, argv, "d:f:h", longopts, NULL)) != -1) {
		switch (c) {
		case 'd': o.db_path = optarg; break;
		case 'f':
			if (parse_format(optarg, &o.format) == -1 ||
			    (o.format != FMT_TABLE && o.format != FMT_JSON))
				return usage_error("stats", "unknown format '%s' (table, json)", optarg);
			break;
		case 'h': fputs(usage_stats, stdout); return EXIT_DONE;
		default: BAD_OPTION("stats");
		}
	}
	if (optind != argc)
		return usage_error("stats", "unexpected argument '%s'", argv[optind]);
	if (db_path_refused("stats", o.db_path) == -1)
		return EXIT_FAILED;
	return stats_run(&o);
}

static int
cmd_serve(int argc, char **argv)
{
	enum { O_LISTEN = 256, O_MAX_JOBS, O_TOKEN_FILE, O_DB };
	static const struct option longopts[] = {
		{ "data", required_argument, NULL, 'D' },
		{ "listen", required_argument, NULL, O_LISTEN },
		{ "db", required_argument, NULL, O_DB },
		{ "max-jobs", required_argument, NULL, O_MAX_JOBS },
		{ "token-file", required_argument, NULL, O_TOKEN_FILE },
		{ "verbose", no_argument, NULL, 'v' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct serve_opts o = {
		.datadir = env_or("SCRAPER_DATA", "./scraper-data"),
		.listen = "127.0.0.1:6800",
		.max_jobs = 2,
		.token = env_or("SCRAPER_TOKEN", NULL),
	};
	long v;
	int c;

	while ((c = getopt_long(argc, argv, "D:vh", longopts, NULL)) != -1) {
		switch (c) {
		case 'D': o.datadir = optarg; break;
		case 'v': o.verbose++; break;
		case 'h': fputs(usage_serve, stdout); return EXIT_DONE;
		case O_LISTEN: o.listen = optarg; break;
		case O_DB:
			if (!store_is_pg(optarg))
				return usage_error("serve", "--db wants a PostgreSQL connection string"
						   " (postgresql://...), not '%s'", optarg);
			o.db = optarg;
			break;
		case O_TOKEN_FILE: o.token_file = optarg; break;
		case O_MAX_JOBS:
			if (parse_long(optarg, 1, 1024, &v) == -1)
				return usage_error("serve", "--max-jobs wants a number from 1 to 1024, not '%s'", optarg);
			o.max_jobs = (int)v;
			break;
		default: BAD_OPTION("serve");
		}
	}
	if (optind != argc)
		return usage_error("serve", "unexpected argument '%s'", argv[optind]);
	return serve_run(&o);
}

static int
cmd_reparse(int argc, char **argv)
{
	enum { O_SITE = 256, O_TYPE };
	static const struct option longopts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "db", required_argument, NULL, 'd' },
		{ "site", required_argument, NULL, O_SITE },
		{ "type", required_argument, NULL, O_TYPE },
		{ "quiet", no_argument, NULL, 'q' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct reparse_opts o = {
		.config_dir = env_or("SCRAPER_CONFIG", "./config"),
		.config_given = env_or("SCRAPER_CONFIG", NULL) != NULL,
		.db_path = env_or("SCRAPER_DB", "./scraped.db"),
	};
	int c;

	while ((c = getopt_long(argc, argv, "c:d:qh", longopts, NULL)) != -1) {
		switch (c) {
		case 'c': o.config_dir = optarg; o.config_given = true; break;
		case 'd': o.db_path = optarg; break;
		case 'q': o.quiet = true; break;
		case O_SITE:
			if (*optarg == '\0')
				return usage_error("reparse", "%s", "--site wants a site (host[:port])");
			o.site = optarg;
			break;
		case O_TYPE:
			if (*optarg == '\0')
				return usage_error("reparse", "%s", "--type wants an item type");
			o.type = optarg;
			break;
		case 'h': fputs(usage_reparse, stdout); return EXIT_DONE;
		default: BAD_OPTION("reparse");
		}
	}
	if (optind != argc)
		return usage_error("reparse", "unexpected argument '%s'", argv[optind]);
	if (db_path_refused("reparse", o.db_path) == -1)
		return EXIT_FAILED;
	return reparse_run(&o);
}

/* The commands: one a line, in the order the overview lists them. */
static const struct command {
	const char *name;
	int (*run)(int, char **);
	const char *usage;
} commands[] = {
	{ "crawl", cmd_crawl, usage_crawl },
	{ "query", cmd_query, usage_query },
	{ "export", cmd_export, usage_export },
	{ "check", cmd_check, usage_check },
	{ "try", cmd_try, usage_try },
	{ "stats", cmd_stats, usage_stats },
	{ "serve", cmd_serve, usage_serve },
	{ "reparse", cmd_reparse, usage_reparse },
};

static const struct command *
find_command(const char *name)
{
	for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++) {
		if (strcmp(name, commands[i].name) == 0)
			return &commands[i];
	}
	return NULL;
}

/* "scraper help [COMMAND]": the overview, or one command's --help. */
static int
cmd_help(int argc, char **argv)
{
	const struct command *cmd;
	char names[200] = "";

	if (argc > 2)
		return usage_error(NULL, "%s", "help takes one command name at most");
	if (argc < 2 || strcmp(argv[1], "help") == 0) {
		fputs(usage_main, stdout);
		return EXIT_DONE;
	}
	if ((cmd = find_command(argv[1])) != NULL) {
		fputs(cmd->usage, stdout);
		return EXIT_DONE;
	}
	for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
		snprintf(names + strlen(names), sizeof names - strlen(names), "%s%s",
			 i > 0 ? ", " : "", commands[i].name);
	return usage_error(NULL, "no command '%s' (the commands are %s)", argv[1], names);
}

int
cli_main(int argc, char **argv)
{
	const struct command *c;
	const char *cmd;

	if (argc < 2) {
		fputs(usage_main, stderr);
		return EXIT_USAGE;
	}
	store_library_init();
	cmd = argv[1];
	if (strcmp(cmd, "--help") == 0 || strcmp(cmd, "-h") == 0)
		return cmd_help(1, argv + 1);
	if (strcmp(cmd, "help") == 0)
		return cmd_help(argc - 1, argv + 1);
	if (strcmp(cmd, "--version") == 0 || strcmp(cmd, "-V") == 0) {
		printf("scraper %s\n", PACKAGE_VERSION);
		return EXIT_DONE;
	}
	if ((c = find_command(cmd)) != NULL) {
		/* Each subcommand parses argv[1..]: its own name is argv[0]. */
		optind = 1;
		return c->run(argc - 1, argv + 1);
	}
	if (cmd[0] == '-')
		return usage_error(NULL, "unknown option '%s'", cmd);
	return usage_error(NULL, "unknown command '%s'", cmd);
}
