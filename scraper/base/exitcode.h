/*
 * exitcode.h: the exit statuses every command returns (SPEC.md, "Exit status").
 */
#ifndef SCRAPER_EXITCODE_H
#define SCRAPER_EXITCODE_H

enum exit_code {
	EXIT_DONE = 0,	   /* the command did what was asked */
	EXIT_FAILED = 1,   /* the run failed: database unwritable, disk full, ... */
	EXIT_USAGE = 2,	   /* bad command line or rule-file errors */
	EXIT_SIGINT = 130, /* crawl stopped by SIGINT (128 + 2); resume continues it */
	EXIT_SIGTERM = 143 /* crawl stopped by SIGTERM (128 + 15) */
};

#endif
