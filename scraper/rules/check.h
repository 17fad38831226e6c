/*
 * check.h: the `check` command's options and entry point (rules/rules.c).
 */
#ifndef SCRAPER_CHECK_H
#define SCRAPER_CHECK_H

struct check_opts {
	const char *config_dir;
};

/* Validate every rule file of the folder; returns an enum exit_code. */
int check_run(const struct check_opts *o);

#endif
