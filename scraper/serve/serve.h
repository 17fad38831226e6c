/*
 * serve.h: the `serve` command's options and its entry point (serve/service.c).
 *
 * cli.c fills a struct serve_opts from the command line and the environment and calls
 * serve_run, which runs the service until SIGINT or SIGTERM.  Everything else of the
 * service is private to scraper/serve/ (serve/service.h).
 */
#ifndef SCRAPER_SERVE_H
#define SCRAPER_SERVE_H

struct serve_opts {
	const char *datadir;	/* -D: service.db and projects/ (default ./scraper-data) */
	const char *listen;	/* --listen ADDR:PORT (default 127.0.0.1:6800) */
	int max_jobs;		/* --max-jobs: jobs running at once (default 2) */
	const char *token_file;	/* --token-file: the bearer token's file, or NULL */
	const char *token;	/* SCRAPER_TOKEN, or NULL; token_file wins */
	int verbose;		/* -v: log every request */
	const char *db;		/* --db: projects' crawl data in this PostgreSQL database */
};

/* Run the service; returns an enum exit_code (2 for a usage problem, such as a
 * non-loopback address without a token). */
int serve_run(const struct serve_opts *o);

#endif
