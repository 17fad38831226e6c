/*
 * unbuilt.c: subcommands whose modules have not landed yet.  Each says so and exits 2,
 * so a script never mistakes a missing feature for success.  A handler leaves this file
 * when its module lands.
 */
#include "config.h"

#include <stdio.h>

#include "cli.h"
#include "worker.h"

static int
unbuilt(const char *what)
{
	fprintf(stderr, "scraper: '%s' is not built yet in this version\n", what);
	return EXIT_USAGE;
}

int coordinator_run(const struct crawl_opts *o) { (void)o; return unbuilt("crawl"); }
int query_run(const struct query_opts *o) { (void)o; return unbuilt("query"); }
int export_run(const struct export_opts *o) { (void)o; return unbuilt("export"); }
int check_run(const struct check_opts *o) { (void)o; return unbuilt("check"); }
int try_run(const struct try_opts *o) { (void)o; return unbuilt("try"); }
int stats_run(const struct stats_opts *o) { (void)o; return unbuilt("stats"); }
int worker_main(int argc, char **argv) { (void)argc; (void)argv; return unbuilt("worker"); }
