/*
 * main.c: entry point.  "scraper --worker ..." and "scraper --zygote ..." are the
 * hidden modes the coordinator execs (worker.c, zygote.c); everything else is the
 * user's command line (cli.c).
 */
#include "config.h"

#include <string.h>

#include "cli.h"
#include "worker/worker.h"
#include "worker/zygote.h"

int
main(int argc, char **argv)
{
	if (argc >= 2 && strcmp(argv[1], "--worker") == 0)
		return worker_main(argc, argv);
	if (argc >= 2 && strcmp(argv[1], "--zygote") == 0)
		return zygote_main(argc, argv);
	return cli_main(argc, argv);
}
