/*
 * reparse.h: the `reparse` command's options and its entry point (store/reparse.c).
 */
#ifndef SCRAPER_REPARSE_H
#define SCRAPER_REPARSE_H

#include <stdbool.h>

struct reparse_opts {
	const char *config_dir;
	bool config_given;	/* -c or SCRAPER_CONFIG: the folder must exist */
	const char *db_path;
	const char *site;	/* --site: only this site's pages; NULL all */
	const char *type;	/* --type: only this item type; NULL all */
	bool quiet;
};

/* The whole command; returns an enum exit_code. */
int reparse_run(const struct reparse_opts *o);

#endif
