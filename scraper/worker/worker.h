/*
 * worker.h: the worker process, one per site (see worker.c).
 */
#ifndef SCRAPER_WORKER_H
#define SCRAPER_WORKER_H

/* Run the hidden worker mode: "scraper --worker SITE".  Returns the exit status. */
int worker_main(int argc, char **argv);

#endif
