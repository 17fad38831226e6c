/*
 * cli.h: the command line, parsed into one options struct per subcommand.
 *
 * cli.c owns argument parsing, --help texts and exit codes; each subcommand's work is
 * done by the module named beside its handler below.
 */
#ifndef SCRAPER_CLI_H
#define SCRAPER_CLI_H

#include <stdbool.h>

enum exit_code {
	EXIT_DONE = 0,	  /* the command did what was asked */
	EXIT_FAILED = 1,  /* the run failed: database unwritable, disk full, ... */
	EXIT_USAGE = 2,	  /* bad command line or rule-file errors */
	EXIT_SIGINT = 130, /* crawl stopped by SIGINT (128 + 2); resume continues it */
	EXIT_SIGTERM = 143 /* crawl stopped by SIGTERM (128 + 15) */
};

enum out_format { FMT_DEFAULT, FMT_TABLE, FMT_CSV, FMT_JSON, FMT_JSONL };

struct crawl_opts {
	const char *config_dir;
	bool config_given;	/* -c or SCRAPER_CONFIG: the folder must exist */
	const char *db_path;
	long max_db_mb;		/* --max-db-mb: stop cleanly when the database reaches it */
	char **url_files;	/* "-" is standard input */
	int n_url_files;
	int workers;		/* most worker processes at once */
	long max_pages;		/* crawl-wide page cap, 0 = none */
	int max_depth;		/* cap over every rule file's max_depth, -1 = none */
	bool fresh;		/* forget the old frontier */
	bool recrawl;		/* fetch done pages again, conditionally */
	bool quiet;		/* no status line, no summary */
	int verbose;		/* -v: per-site summary lines; -vv: debug */
};

struct query_opts {
	const char *db_path;
	enum out_format format;
	const char *sql;
};

struct export_opts {
	const char *db_path;
	const char *type;
	enum out_format format; /* FMT_JSONL (default) or FMT_CSV */
	const char *out_path;	/* NULL: standard output */
};

struct check_opts {
	const char *config_dir;
};

struct try_opts {
	const char *config_dir;
	bool config_given;
	const char *target;	/* URL, or a file to read */
	const char *url;	/* --url: the address of a file target */
};

struct stats_opts {
	const char *db_path;
	enum out_format format; /* FMT_TABLE or FMT_JSON */
};

int cli_main(int argc, char **argv);

/* Handlers: each returns an enum exit_code. */
int coordinator_run(const struct crawl_opts *o);	/* coordinator.c */
int query_run(const struct query_opts *o);		/* query.c */
int export_run(const struct export_opts *o);		/* export.c */
int check_run(const struct check_opts *o);		/* rules.c */
int try_run(const struct try_opts *o);			/* try.c */
int stats_run(const struct stats_opts *o);		/* stats.c */

#endif
