/*
 * bodyout.h: a worker sends a page's response body and headers up for the database
 * (crawl --store-bodies, store_bodies: true), packed by store/body.c and cut into
 * BODY frames (ipc.h).
 */
#ifndef SCRAPER_BODYOUT_H
#define SCRAPER_BODYOUT_H

#include <stddef.h>
#include <stdint.h>

#include <curl/curl.h>

#include "buf.h"

/* Append the BODY frames of one response to out: its status line and headers as curl
 * saw them (without the Content-Length, Content-Encoding and Transfer-Encoding of
 * the wire: the body kept is the decoded one), and the body.  0, or -1 when it did
 * not fit (nothing appended). */
int bodyout_send(struct buf *out, uint32_t site, uint64_t id, CURL *easy, long status,
		 const char *body, size_t n);

#endif
