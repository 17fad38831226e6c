/*
 * store.h: the SQLite database: schema, migrations, and the one writer thread.
 *
 * The coordinator opens the store, runs the start-up steps (resume, views) on its own
 * thread, then starts the writer thread, after which only that thread touches the
 * connection; every change reaches it as a struct store_op through a bounded queue.
 * The connection is guarded by the store's lock.  A settled URL (its page record,
 * items and newly discovered links) is applied by one op, and many ops are grouped in
 * one transaction, so a crash loses at most the uncommitted group and never stores
 * half a page.  Workers never open the database.
 */
#ifndef SCRAPER_STORE_H
#define SCRAPER_STORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "store/queue.h"

enum fstate { FS_QUEUED, FS_INFLIGHT, FS_DONE, FS_FAILED, FS_SKIPPED };

/* A URL taken into the frontier. */
struct store_link {
	int64_t id;
	char *url;
	char *site;
	int depth;
};

struct store_item {
	char *type;
	uint32_t idx;
	char *data;	/* JSON object */
	char *key_fields; /* JSON array of the key's field names; NULL: page URL and idx */
};

/* A frontier row read back for dispatch. */
struct store_row {
	int64_t id;
	int depth;
	int attempts;
	char *url;
	char *etag;		/* NULL when none stored */
	char *last_modified;
};

struct store_id_mark {
	int64_t id;
	int attempts;
};

enum store_op_kind {
	OP_LINKS,	/* insert links (seeds) as queued */
	OP_SETTLE,	/* a URL is settled: state, page record, items, links */
	OP_MARK,	/* set state (inflight, or queued again) and attempts of ids */
	OP_ROBOTS,	/* save a site's robots.txt */
	OP_REFILL,	/* read queued rows of a site; answered on the reply queue */
	OP_SETTLE_QUEUED, /* settle every queued URL (of a site, or all): state, reason */
	OP_ROBOTS_READ,	/* read a site's robots.txt body; answered on the reply queue */
	OP_USAGE,	/* add one reaped worker's CPU time and peak memory to its site's */
	OP_LEASE,	/* PostgreSQL: renew, release and claim site leases; answered */
};

struct store_page_rec {
	int status;		/* -1: no response */
	int64_t bytes;
	int elapsed_ms;
	bool not_modified;	/* 304: keep the stored record and items */
	bool noindex;		/* the page said noindex (robots meta, X-Robots-Tag) */
	unsigned extract_errors;
	char *final_url, *content_type, *error, *etag, *last_modified, *charset;
	char *rules_hash;	/* fingerprint of the rules the items come from */
	/* A stored body (store/body.h), packed: NULL when none */
	char *body;
	size_t body_len;	/* packed bytes received so far */
	size_t body_total;	/* packed length */
	uint64_t body_size;	/* the body's own length */
	char body_digest[65];
	char *headers;
};

/* Extraction problems kept per page, at most (the rest are only counted). */
#define STORE_MAX_PROBLEMS 64

struct store_op {
	enum store_op_kind kind;
	char *site;
	double when;			/* unix time the op was made */

	/* OP_SETTLE */
	int64_t id;
	char *url;
	int depth;
	int attempts;
	enum fstate state;		/* FS_DONE, FS_FAILED or FS_SKIPPED (also
					 * OP_SETTLE_QUEUED's) */
	bool has_page;			/* write a pages row */
	bool disallowed;		/* skipped by robots.txt (for store_committed) */
	struct store_page_rec page;
	struct store_item *items;
	size_t nitems, citems;
	char **problems;		/* extraction problems, in words */
	size_t nproblems, cproblems;

	/* OP_SETTLE and OP_LINKS */
	struct store_link *links;
	size_t nlinks, clinks;

	/* OP_MARK */
	enum fstate mark_state;
	struct store_id_mark *marks;
	size_t nmarks;

	/* OP_ROBOTS; OP_ROBOTS_READ's answer */
	int robots_status;
	char *robots_body;

	/* OP_REFILL: in; rows: out.  site_id also names OP_ROBOTS_READ's site. */
	uint32_t site_id;
	int64_t after_id;
	int limit;
	struct store_row *rows;
	size_t nrows;

	/* OP_SETTLE_QUEUED (site NULL = every site) and OP_SETTLE's error text;
	 * OP_REFILL's rules fingerprint (NULL: built-in rules) */
	char *reason;
	/* OP_SETTLE from reparse: no frontier row; only this type's items (NULL: all) */
	bool reparse;
	char *only_type;

	/* OP_USAGE */
	int64_t cpu_ms, peak_rss_kb;

	/* OP_LEASE (store/pg.c): in: the sites this node holds (renewed), those of them it
	 * lets go (idle), how many more it may claim; out: every site it holds after the op
	 * with whether the database has queued URLs for it, and whether anything is open
	 * (queued or in flight) in a site it does not hold. */
	char **lease_renew, **lease_release;
	size_t nlease_renew, nlease_release, clease_release;
	int lease_want;
	char **held;
	bool *held_queued;
	size_t nheld;
	bool open_elsewhere;
	/* OP_LEASE and --max-pages (max_pages > 0) shared by the nodes: in: pages wanted,
	 * pages given back, pages still held unused after that; out: pages granted,
	 * whether the budget is spent (nothing left and no live node holds any), and
	 * per held site newly claimed by this op its URLs done or failed (else -1). */
	long max_pages, budget_want, budget_return, budget_left, budget_got;
	bool budget_spent;
	long *held_taken;
	/* OP_SETTLE_QUEUED, shared store: also the queued URLs of sites no node holds */
	bool settle_unheld;
};

struct store;

/*
 * Two backends sit behind this header: SQLite (store.c, the default: -d is a file
 * path) and PostgreSQL (store/pg.c: -d is a libpq connection string).  store_is_pg
 * tells them apart: a URI starting postgresql:// or postgres://, or a key=value
 * conninfo whose first keyword is host, hostaddr, dbname, service, user or port.
 */
bool store_is_pg(const char *db);

/* PostgreSQL only, before store_begin_crawl: this node's name, its lease length, and
 * the fingerprint of its rule set (nodes with other rules are refused).  0, or -1. */
int store_set_node(struct store *s, const char *node, int lease_s, const char *rules_fp,
		   char *err, size_t errlen);
/* Is this store PostgreSQL (nodes, leases)? */
bool store_shared(const struct store *s);

struct store_view_field {
	const char *name;
	const char *type;	/* string int number bool url html */
	bool all;		/* a JSON array */
};

struct store_view {
	const char *type;
	const struct store_view_field *fields;
	size_t nfields;
};

/* Open (creating if need be) and migrate the database.  max_mb > 0 caps its size.
 * NULL with err filled on failure (unwritable, not a database, newer schema...). */
struct store *store_open(const char *path, long max_mb, char *err, size_t errlen);

/* Once per process, before SQLite is first used: turn off SQLite's memory statistics,
 * which nothing reads and which take a process-wide mutex on every allocation the
 * writer thread makes.  (Later calls change nothing.) */
void store_library_init(void);
void store_close(struct store *s);

/* Start-up steps, on the caller's thread, before store_writer_start.  Each starts a
 * run (a row of runs: kind "crawl"; the service's job id when SCRAPER_JOB is set);
 * the versions and changes the run makes name it, and store_close ends it. */
int store_begin_crawl(struct store *s, bool fresh, bool recrawl, char *err, size_t errlen);
int store_begin_run(struct store *s, const char *kind, char *err, size_t errlen);
int store_scan_frontier(struct store *s,
			void (*each)(void *ctx, const char *url, const char *site,
				     enum fstate state, int64_t id),
			void *ctx, char *err, size_t errlen);
/* What is known of each site's robots.txt; the bodies stay in the database
 * (OP_ROBOTS_READ reads one when a worker needs it). */
int store_scan_robots(struct store *s,
		      void (*each)(void *ctx, const char *site, int status, int64_t fetched_at),
		      void *ctx, char *err, size_t errlen);
/* How many items the database holds (before the writer starts).  0, or -1 with err. */
int store_count_items(struct store *s, long *n, char *err, size_t errlen);
int store_create_views(struct store *s, const struct store_view *views, size_t n,
		       char *err, size_t errlen);

/* The writer thread: takes ops from in; answers OP_REFILL and OP_ROBOTS_READ on replies and writes a
 * byte to wake_fd whenever it posts a reply or fails. */
int store_writer_start(struct store *s, struct queue *in, struct queue *replies,
		       int wake_fd);
/* Close in, let the writer drain and commit, join it.  0, or -1 if it failed. */
int store_writer_stop(struct store *s);
/* Apply ops now, on the caller's thread, in one transaction (reparse: no writer
 * thread).  The ops stay the caller's.  0, or -1 with err filled. */
int store_apply_now(struct store *s, struct store_op **ops, size_t n, char *err, size_t errlen);

/* Each page with a stored body (of site, or of every site when site is NULL), in URL
 * order: each(ctx, url, site).  On the caller's thread (reparse), with no writer
 * running.  0, or -1 with err filled. */
int store_body_pages(struct store *s, const char *site,
		     void (*each)(void *ctx, const char *url, const char *site), void *ctx,
		     char *err, size_t errlen);
/* Is a node (another coordinator) crawling this database now?  PostgreSQL only (a
 * SQLite database has its crawl lock): 1 and its name in node, 0, or -1 with err. */
int store_node_crawling(struct store *s, char *node, size_t nodelen, char *err, size_t errlen);

/* The stored body of a page: its packed bytes, size and digest, and content type
 * and final URL.  1 found (caller frees *packed, *content_type, *final_url), 0 none,
 * -1 error.  On the caller's thread (reparse), with no writer running. */
int store_read_body(struct store *s, const char *url, char **packed, size_t *packed_len,
		    uint64_t *size, char digest[65], char **content_type, char **final_url,
		    char *err, size_t errlen);

/* From now on a SIGBUS (DB-shm made unwritable or cut short under SQLite's mapping)
 * prints a message naming path and its -shm and exits 1.  store_open calls it (the
 * crawl and reparse, one database per process); the read commands through
 * query_command_signals; never the service. */
void store_catch_sigbus(const char *path);

/* Has the writer failed?  Then msg says why (safe from any thread). */
bool store_failed(struct store *s, char *msg, size_t msglen);

/* What the writer has committed of the crawl's settled URLs since it started: the
 * pages a summary may count once the database has failed (what was settled but not
 * committed is not in the database).  Skipped pages split as robots.txt or page limit
 * as the ops say. */
struct store_tally {
	long settled, ok, failed, skipped, skipped_robots, skipped_limit, items;
};
/* After store_writer_stop: true with *t filled, or false when the store does not
 * count (PostgreSQL). */
bool store_committed(struct store *s, struct store_tally *t);

struct store_op *store_op_new(enum store_op_kind kind);
void store_op_free(void *op);

/* For the backends' writer threads (store.c, pg.c): write a byte to the coordinator's
 * wake-up descriptor (-1: none); and be done with op: one the coordinator waits for (a
 * refill, a robots.txt body, a lease answer) goes back through replies with a
 * wake-up, the rest are freed. */
struct queue;
void store_wake(int wake_fd);
void store_op_done(struct queue *replies, int wake_fd, struct store_op *op);
/* Rough heap size of an op, for the queue's byte bound. */
size_t store_op_weight(const struct store_op *op);

const char *fstate_name(enum fstate st);
void iso8601(double t, char out[32]);

#endif
