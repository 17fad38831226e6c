/*
 * crawl.h: the `crawl` command's options and its entry point (crawl/coordinator.c).
 */
#ifndef SCRAPER_CRAWL_H
#define SCRAPER_CRAWL_H

#include <stdbool.h>

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
	bool store_bodies;	/* --store-bodies: keep every response body */
	bool quiet;		/* no status line, no summary */
	int verbose;		/* -v: per-site summary lines; -vv: debug */
	int progress_fd;	/* --progress-fd: JSON progress lines written here, -1 = none */
	double progress_every;	/* --progress-every: seconds between progress lines when
				 * stderr is not a terminal; 0 = never */
	const char *user;	/* --user: the workers' user when started as root (nobody) */
	const char *ca_file;	/* --ca-file: CA bundle for https where a rule file names none */
	const char *node;	/* --node: this node's name (PostgreSQL); NULL: the host name */
	int lease_s;		/* --lease-s: a site's lease lasts this long unrenewed */
};

/* The whole crawl; returns an enum exit_code. */
int crawl_run(const struct crawl_opts *o);

#endif
