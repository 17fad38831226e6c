/*
 * coord.h: the coordinator's state, shared by the four files that make up the crawl.
 *
 *   frontier.c     sites, the seen set, page and depth limits, seeds, refills from
 *                  the database: which URL goes next, and whether it may
 *   workers.c      the worker processes: spawn, send SITE/FETCH/STOP, read their
 *                  channels, notice their loss, reap and forget them; a site's host
 *                  is looked up (resolve.c, its own thread) before its worker starts
 *   settle.c       a URL's frames (PAGE, ITEM..., LINKS..., DONE) into one store op,
 *                  retry or settle; the ordered queue of ops to the store's thread
 *   coordinator.c  the loop: start-up, signals, turn order, status line, summary
 *   coverage.c     per-rule-file coverage sums and the closing warnings
 *   lease.c        with PostgreSQL: the sites this node holds, and when it is done
 *   timers.c       the heap of deadlines: what is due when (a worker's watchdog and
 *                  stop grace, a site's next retry), so no turn scans for them
 *
 * Everything here runs on the coordinator's one thread (the store's writer thread
 * only sees store ops).  Ownership: a struct qurl belongs to exactly one place at a
 * time: a site's queue, a worker's in-flight list, or a pending-link list.
 */
#ifndef SCRAPER_COORD_H
#define SCRAPER_COORD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/types.h>

#include "crawl/crawl.h"
#include "crawl/resolve.h"
#include "crawl/sitequeue.h"
#include "crawl/timers.h"
#include "ipc/channel.h"
#include "ipc/ipc.h"
#include "ipc/proc.h"
#include "rules/rules.h"
#include "store/queue.h"
#include "store/store.h"
#include "urlset.h"

#define MAX_WINDOW 256		/* FETCHes in flight per worker, at most */
#define MAX_SITE_WORKERS 16	/* workers of one site at once (delay 0, few sites) */
#define QUEUE_PER_WINDOW 4	/* a site's memory queue holds this many windows */
#define MAX_CRASHES 3		/* a URL in flight when this many workers died fails */
#define MAX_SITE_DEATHS 5	/* workers of a site dying with no URL finished between */
#define RETRY_BASE 1.0		/* seconds; doubled per attempt, with jitter */
#define RETRY_MAX ((double)IPC_RETRY_AFTER_MAX_S) /* backoff is capped here too */
#define STORE_QUEUE_OPS 4096
#define STORE_QUEUE_BYTES (16u << 20) /* a quarter of the coordinator's 64 MB budget */
#define STOP_GRACE 5.0		/* seconds workers get to exit before SIGKILL */
#define STOPPED_GRACE 5.0	/* seconds a worker may stay stopped (SIGSTOP) */
#define WATCHDOG_SLACK 5.0	/* seconds over a worker's computed silence limit */
#define CHANNEL_OUT_MAX (8u << 20)
#define SEED_BATCH 1000

struct wproc;
struct rule_cov;

struct site {
	char *name;
	uint32_t id;
	const struct site_rules *rules;
	int window, max_depth;
	long max_pages;
	struct sitequeue sq;	/* its URLs: ready, spilled, waiting to retry */
	long taken;		/* URLs counted against max_pages */
	bool limited;		/* max_pages reached: the rest is skipped */
	struct wproc *w[MAX_SITE_WORKERS]; /* its live workers, w[0] the first started */
	int nw;
	double crawl_delay;	/* from its robots.txt: < 0 unknown, 0 none */
	bool waiting;		/* in the wait list */
	int deaths;
	char last_death[200];
	int robots_status;	/* cached robots.txt, -1 = none */
	int64_t robots_at;
	bool robots_loading;	/* its body is being read from the database */
	bool seeded;		/* a URL file named it */
	int sitemaps;		/* sitemaps taken in (sitemap: true), this crawl */
	long ok, failed, skipped, items, problems;
	double fetch_ms;
	struct site *next_wait;
	double slow_until;	/* a 429/503 came: one worker until then (workers_slowed) */
	bool held;		/* PostgreSQL: this node holds the site's lease (lease.c) */
	bool lease_seen;	/* lease.c's scratch */
	/* its host's addresses, looked up by crawl/resolve.c before a worker starts */
	enum { DNS_NONE, DNS_ASKED, DNS_KNOWN } dns;
	char *dns_entries;	/* SITE's resolve: "" for none */
	char *dns_error;	/* SITE's dns_error: "" for none */
	bool dns_retryable;
	double dns_at;		/* when the answer came */
	struct timer retry_timer; /* its earliest retry (TIMER_RETRY): a wake-up */
};

/* A link chosen on a page, held until the page's DONE (see settle.c). */
struct newurl {
	struct site *site;
	char *url;
	int depth;
};

struct wproc {
	pid_t pid;
	struct channel ch;
	struct site *site;
	bool site_sent;		/* SITE is on its way (FETCHes may follow) */
	int share, told;	/* transfers it may run; the concurrency its SITE says (0: the
				 * rules') */
	int window;		/* FETCHes it may hold: 2 x its share of the site's concurrency,
				 * or the share alone when it was told more transfers than that */
	struct qurl **inflight;
	size_t ninflight;
	struct store_op *cur;	/* the URL whose frames are arriving */
	struct qurl *curq;
	uint32_t cur_flags;	/* its PAGE's flags and Retry-After, until DONE */
	long cur_retry_after;
	struct newurl *news;	/* its links, taken in on DONE */
	size_t nnews, cnews;
	bool stopping;		/* STOP sent */
	double stop_at;
	bool gone;		/* channel closed */
	bool reaped;
	/* the watchdog (workers.c, workers_watch) */
	double heard_at;	/* last frame from it, or when it was last given work */
	bool heard;		/* it has sent a frame */
	double slowed_at;	/* last 429 or 503 it reported (it slows the site down) */
	double stopped_at;	/* it was seen stopped (SIGSTOP), 0 when running */
	double gone_at;		/* its channel closed */
	char killed_why[160];	/* the watchdog killed it: why, for the URLs' reason */
	bool killed_to_stop;	/* killed because the store failed: its death says nothing */
	/* the pool of warm workers (workers.c) */
	bool next;		/* NEXT sent: READY comes once its site is torn down */
	bool ready;		/* READY came: idle, waiting to be given a site (or STOP) */
	bool stop_sent;		/* STOP sent: it exits */
	uint64_t cpu_charged;	/* CPU ms already charged to sites it had before */
	bool charged;		/* its last site is charged (READY): not again at reap */
	int sites;		/* sites it has been given */
	struct timer timer;	/* TIMER_WORKER: the next moment its watchdog or a grace
				 * period could run out (workers_due checks and re-arms) */
};

#define RATE_SAMPLES 11	/* one a second: the recent rate is over the last ten seconds */

struct rate_sample {
	double t;
	long settled;
};

struct opq {
	struct store_op **v;
	size_t head, len, cap;
};

struct coord {
	const struct crawl_opts *o;
	struct rule_set *rules;
	struct store *store;
	struct queue *sq, *replies;
	int wake[2], sig[2];
	struct urlset seen;
	int64_t next_id;
	struct site **sites;	/* by id */
	size_t nsites, csites;
	struct site **index;	/* open addressing on the name's hash */
	size_t cindex;
	struct site *wait_head, *wait_tail;
	struct wproc **workers;
	size_t nworkers, cworkers;
	struct opq outq;	/* ops the store queue refused, in order */
	struct store_id_mark *marks;	/* inflight marks to send this turn */
	size_t nmarks, cmarks;
	long taken;		/* pages counted against --max-pages */
	bool limit_hit;
	int stop_signal;	/* SIGINT/SIGTERM received */
	double stop_at;		/* when (a repeat within a second is the same request) */
	bool store_failed;
	size_t refills;		/* outstanding reads of the database */
	/* progress */
	double started, last_status, last_progress;
	long settled, ok, failed, skipped, items, problems, retries;
	long skipped_robots;	/* of skipped: robots.txt disallowed */
	long skipped_limit;	/* of skipped: left unfetched by a page limit */
	int64_t bytes;
	struct rate_sample rate[RATE_SAMPLES];
	size_t nrate;
	bool tty;
	int lock_fd;		/* the database's crawl lock (store/lock.c) */
	struct proc_worker_opts wopts;	/* the workers' user and CA bundle */
	struct proc_zygote *zygote;	/* forks the workers (ipc/proc.h); NULL: exec them */
	bool zygote_tried;		/* started at the first worker, or found unwanted */
	FILE **seed_files;	/* the URL files, open from start-up until read */
	struct rule_cov *cov;	/* coverage sums per rule file (coverage.c) */
	/* what earlier runs of a resumed crawl did (frontier rows, items), for the status */
	long resumed_settled, resumed_failed, resumed_items;
	int cols;		/* the terminal's width; 0: measure again (SIGWINCH) */
	struct resolver *resolver;	/* name lookups (crawl/resolve.c) */
	bool proxied;		/* a *_proxy variable is set: workers go through it */
	uint32_t pool_memory_mb, pool_concurrency; /* the most any rule file allows */
	size_t ncov;
	/* nodes sharing a PostgreSQL database (lease.c) */
	bool shared;		/* the store is shared: crawl only the sites leased here */
	bool lease_pending;	/* an OP_LEASE is on its way */
	bool lease_open;	/* its answer: URLs are open somewhere */
	bool lease_idle_at_ask, lease_idle_answer;
	long lease_settled_at_ask;
	double lease_next;
	/* --max-pages shared by the nodes (lease.c): taken may grow to budget_cap */
	long budget_cap, budget_taken_at_ask;
	double budget_asked_at;
	bool budget_init, budget_blocked, budget_denied, budget_spent;
	struct timers timers;	/* deadlines (timers.c): workers' and sites' */
	double backlog_at;	/* last turn the store was backlogged: workers were not
				 * read, so their silence until then is not theirs */
};

enum { TIMER_WORKER = 1, TIMER_RETRY };

/* frontier.c */
struct site *site_get(struct coord *c, const char *name);
bool site_has_work(const struct coord *c, const struct site *s);
void site_wait(struct coord *c, struct site *s);
void site_enqueue(struct coord *c, struct site *s, struct qurl *q);
void site_requeue(struct coord *c, struct site *s, struct qurl *q);
bool frontier_global_limit(const struct coord *c);
bool frontier_limits_reached(struct coord *c, struct site *s);
void frontier_refill(struct coord *c, struct site *s);
void frontier_on_reply(struct coord *c, struct store_op *op);
void frontier_scan_row(void *ctx, const char *url, const char *site, enum fstate state,
		       int64_t id);
void frontier_scan_robots(void *ctx, const char *site, int status, int64_t fetched_at);
int frontier_open_seeds(struct coord *c);
void frontier_read_seeds(struct coord *c, long *added, long *bad);
void frontier_close_seeds(struct coord *c);
size_t frontier_queued(const struct coord *c);

/* settle.c */
void settle_submit(struct coord *c, struct store_op *op);
void settle_flush(struct coord *c);
void settle_flush_marks(struct coord *c);
bool settle_backlogged(const struct coord *c);
void settle_mark_queued(struct coord *c, const struct qurl *q);
struct store_op *settle_new_op(enum store_op_kind kind);
void settle_unfetched(struct coord *c, struct site *s, struct qurl *q, enum fstate state,
		      const char *reason);
int settle_frame(struct coord *c, struct wproc *w, const struct ipc_msg *m);
void settle_forget_news(struct wproc *w);

/* lease.c */
void lease_tick(struct coord *c, double t);
void lease_on_reply(struct coord *c, struct store_op *op);
bool lease_done(const struct coord *c);
bool lease_budget_allows(struct coord *c);
void lease_settings_fingerprint(const struct coord *c, char out[65]);

/* coverage.c */
int coverage_frame(struct coord *c, struct wproc *w, const struct ipc_msg *m);
void coverage_report(struct coord *c);
void coverage_free(struct coord *c);

/* workers.c */
void wproc_stop(struct coord *c, struct wproc *w);
void wproc_write(struct wproc *w);
bool wproc_read(struct coord *c, struct wproc *w);
void wproc_dispatch(struct coord *c, struct wproc *w, double now);
void wproc_send_site(struct coord *c, struct wproc *w, const char *robots_body);
void wproc_free(struct coord *c, struct wproc *w);
void workers_reap(struct coord *c);
void workers_sweep(struct coord *c);
void workers_start_waiting(struct coord *c);
void workers_stop_idle(struct coord *c, struct site *s);
void workers_slowed(struct coord *c, struct wproc *w, int status);
void workers_due(struct coord *c, double t);
void workers_arm(struct coord *c, struct wproc *w, double at);
void site_arm_retry(struct coord *c, struct site *s);
void workers_robots_known(struct site *s, int status, const char *body);
void workers_take_lookups(struct coord *c);
void workers_pool_limits(struct coord *c);

#endif
