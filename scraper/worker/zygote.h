/*
 * zygote.h: the process that forks the workers (see zygote.c).
 */
#ifndef SCRAPER_ZYGOTE_H
#define SCRAPER_ZYGOTE_H

/* The hidden zygote mode: "scraper --zygote [--uid N --gid N] [--ca-file PATH]", its
 * requests on WORKER_CHANNEL_FD (ipc/proc.h says what they are).  Returns the exit
 * status: 0 when the coordinator closed the socket, 1 when it could not prepare. */
int zygote_main(int argc, char **argv);

#endif
