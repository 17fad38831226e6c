/*
 * pg.h: the PostgreSQL backend of the store (store/pg.c), behind store.h.
 *
 * store.c hands every call on a store opened with a PostgreSQL connection string
 * here; the functions mirror store.h's and keep its contracts (one writer thread,
 * ops applied in batched transactions, replies on the reply queue).
 */
#ifndef SCRAPER_PG_H
#define SCRAPER_PG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "store/queue.h"
#include "store/store.h"

struct pgstore;

struct pgstore *pg_open(const char *conninfo, char *err, size_t errlen);
void pg_close(struct pgstore *p);
int pg_set_node(struct pgstore *p, const char *node, int lease_s, const char *rules_fp,
		char *err, size_t errlen);
int pg_begin_crawl(struct pgstore *p, bool fresh, bool recrawl, char *err, size_t errlen);
int pg_begin_run(struct pgstore *p, const char *kind, char *err, size_t errlen);
int pg_scan_frontier(struct pgstore *p,
		     void (*each)(void *ctx, const char *url, const char *site,
				  enum fstate state, int64_t id),
		     void *ctx, char *err, size_t errlen);
int pg_scan_robots(struct pgstore *p,
		   void (*each)(void *ctx, const char *site, int status, int64_t fetched_at),
		   void *ctx, char *err, size_t errlen);
int pg_count_items(struct pgstore *p, long *n, char *err, size_t errlen);
int pg_create_views(struct pgstore *p, const struct store_view *views, size_t n,
		    char *err, size_t errlen);
int pg_writer_start(struct pgstore *p, struct queue *in, struct queue *replies, int wake_fd);
int pg_writer_stop(struct pgstore *p);
int pg_apply_now(struct pgstore *p, struct store_op **ops, size_t n, char *err,
		 size_t errlen);
int pg_read_body(struct pgstore *p, const char *url, char **packed, size_t *packed_len,
		 uint64_t *size, char digest[65], char **content_type, char **final_url,
		 char *err, size_t errlen);
int pg_body_pages(struct pgstore *p, const char *site,
		  void (*each)(void *ctx, const char *url, const char *site), void *ctx,
		  char *err, size_t errlen);
int pg_node_crawling(struct pgstore *p, char *node, size_t nodelen, char *err, size_t errlen);
bool pg_failed(struct pgstore *p, char *msg, size_t msglen);

/* The connection string as messages show it: a URI's password replaced by ***. */
void pg_display(const char *conninfo, char *out, size_t outlen);

/* libpq's message without its trailing newline. */
void pg_message(const char *msg, char *out, size_t outlen);

#endif
