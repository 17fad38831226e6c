/*
 * cli.h: the command line.
 *
 * cli.c parses each subcommand's arguments into that command's options struct
 * (declared beside the command: crawl/crawl.h, read/query.h, read/export.h,
 * read/stats.h, rules/check.h, worker/try.h), prints --help texts, and calls the
 * command.  Nothing else includes this header.
 */
#ifndef SCRAPER_CLI_H
#define SCRAPER_CLI_H

/* Returns the process's exit status (enum exit_code). */
int cli_main(int argc, char **argv);

#endif
