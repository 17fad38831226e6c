/*
 * worker.h: the worker process, one per site (see worker.c).
 */
#ifndef SCRAPER_WORKER_H
#define SCRAPER_WORKER_H

/* The worker's descriptor to the coordinator, set up by proc.c before exec. */
#define WORKER_CHANNEL_FD 3

/* Run the hidden worker mode: "scraper --worker SITE".  Returns the exit status. */
int worker_main(int argc, char **argv);

#endif
