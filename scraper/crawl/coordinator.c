/*
 * coordinator.c: the crawl's event loop.
 *
 * One process, one thread (plus the store's writer thread).  It owns the frontier:
 * the set of URLs seen (hashes, extractors/urlset.c), a queue per site, and the
 * worker processes, one per active site.  Each turn of the loop (coordinator_run):
 *
 *   1. polls every worker channel, the store's wake-up pipe and the signal pipe;
 *   2. reads workers' frames (unless the store queue is full: back-pressure) and
 *      turns each URL's PAGE, ITEM..., LINKS..., DONE into one store op;
 *   3. reaps dead workers, requeueing what they had in flight;
 *   4. starts workers for waiting sites while there are free slots;
 *   5. tops up each worker's window of FETCHes (credit), refilling site queues
 *      from the database when they run low;
 *   6. stops workers whose site has nothing left;
 *   7. hands queued store ops to the writer, and redraws the status line.
 *
 * Nothing here blocks: worker descriptors are non-blocking with per-worker output
 * buffers, and the store queue is tried, never waited on.  Memory is bounded by
 * what is in flight, the per-site queues (a few windows each; the rest of the
 * frontier stays in SQLite) and the URL hash set.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <curl/curl.h>

#include "base/exitcode.h"
#include "crawl/crawl.h"
#include "extract.h"
#include "ipc/ipc.h"
#include "base/clock.h"
#include "base/log.h"
#include "base/oom.h"
#include "ipc/proc.h"
#include "store/queue.h"
#include "rules/rules.h"
#include "crawl/sitequeue.h"
#include "store/store.h"
#include "url.h"
#include "urlset.h"

#define MAX_WINDOW 256		/* FETCHes in flight per worker, at most */
#define QUEUE_PER_WINDOW 4	/* a site's memory queue holds this many windows */
#define MAX_CRASHES 3		/* a URL in flight when this many workers died fails */
#define MAX_SITE_DEATHS 5	/* workers of a site dying with no URL finished between */
#define RETRY_BASE 1.0		/* seconds; doubled per attempt, with jitter */
#define RETRY_MAX 300.0		/* Retry-After and backoff are capped here */
#define STORE_QUEUE_OPS 4096
#define STORE_QUEUE_BYTES (64u << 20)
#define STOP_GRACE 5.0		/* seconds workers get to exit before SIGKILL */
#define STATUS_EVERY 0.25	/* seconds between status line redraws */
#define CHANNEL_IN_MAX (IPC_MAX_PAYLOAD + IPC_HEADER_SIZE + 65536)
#define CHANNEL_OUT_MAX (8u << 20)
#define SEED_BATCH 1000

struct wproc;

struct site {
	char *name;
	uint32_t id;
	const struct site_rules *rules;
	int window, max_depth;
	long max_pages;
	struct sitequeue sq;	/* its URLs: ready, spilled, waiting to retry */
	long taken;		/* URLs counted against max_pages */
	bool limited;		/* max_pages reached: the rest is skipped */
	struct wproc *w;
	bool waiting;		/* in the wait list */
	int deaths;
	char last_death[128];
	int robots_status;	/* cached robots.txt, -1 = none */
	int64_t robots_at;
	char *robots_body;
	long ok, failed, skipped, items, problems;
	double fetch_ms;
	struct site *next_wait;
};

/* A link chosen on a page, held until the page's DONE (see on_links). */
struct newurl {
	struct site *site;
	struct qurl *q;
};

struct wproc {
	pid_t pid;
	int fd;
	struct site *site;
	struct buf in, out;
	struct qurl **inflight;
	size_t ninflight;
	struct store_op *cur;	/* the URL whose frames are arriving */
	struct qurl *curq;
	uint32_t cur_flags;	/* its PAGE's flags and Retry-After, until DONE */
	long cur_retry_after;
	struct newurl *news;	/* its links, routed on DONE */
	size_t nnews, cnews;
	bool stopping;		/* STOP sent */
	double stop_at;
	bool gone;		/* channel closed */
	bool reaped;
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
	int signals;
	bool store_failed;
	size_t refills;		/* outstanding */
	/* progress */
	double started, last_status;
	long settled, ok, failed, skipped, items, problems, retries;
	bool tty;
};

/* ---- sites ---- */

static void
index_put(struct coord *c, struct site *s)
{
	size_t i = (size_t)url_hash(s->name, strlen(s->name)) & (c->cindex - 1);

	while (c->index[i] != NULL)
		i = (i + 1) & (c->cindex - 1);
	c->index[i] = s;
}

static struct site *
site_find(struct coord *c, const char *name)
{
	size_t i;

	if (c->cindex == 0)
		return NULL;
	for (i = (size_t)url_hash(name, strlen(name)) & (c->cindex - 1); c->index[i] != NULL;
	     i = (i + 1) & (c->cindex - 1)) {
		if (strcmp(c->index[i]->name, name) == 0)
			return c->index[i];
	}
	return NULL;
}

static struct site *
site_get(struct coord *c, const char *name)
{
	struct site *s = site_find(c, name);

	if (s != NULL)
		return s;
	if ((c->nsites + 1) * 2 > c->cindex) {
		size_t cap = c->cindex ? c->cindex * 2 : 64;
		free(c->index);
		c->index = xcalloc(cap, sizeof *c->index);
		c->cindex = cap;
		for (size_t i = 0; i < c->nsites; i++)
			index_put(c, c->sites[i]);
	}
	s = xcalloc(1, sizeof *s);
	s->name = xstrdup(name);
	s->id = (uint32_t)c->nsites + 1;
	s->rules = rules_for_site(c->rules, name);
	s->window = s->rules->concurrency * 2 < MAX_WINDOW ? s->rules->concurrency * 2 : MAX_WINDOW;
	s->max_depth = s->rules->max_depth;
	if (c->o->max_depth >= 0 && c->o->max_depth < s->max_depth)
		s->max_depth = c->o->max_depth;
	s->max_pages = s->rules->max_pages;
	sq_init(&s->sq, (size_t)s->window * QUEUE_PER_WINDOW < 64 ? 64
			: (size_t)s->window * QUEUE_PER_WINDOW, (size_t)s->window);
	s->robots_status = -1;
	c->sites = xgrow(c->sites, &c->csites, c->nsites, sizeof *c->sites);
	c->sites[c->nsites++] = s;
	index_put(c, s);
	return s;
}

static bool
global_limit(const struct coord *c)
{
	return c->o->max_pages > 0 && c->taken >= c->o->max_pages;
}

/* Something to fetch: queued (in memory or the database) or waiting to retry. */
static bool
site_has_work(const struct coord *c, const struct site *s)
{
	if (s->limited || c->stop_signal)
		return false;
	if (s->sq.nretry > 0)
		return true; /* retries were counted already: limits do not stop them */
	return !global_limit(c) && (s->sq.len > 0 || s->sq.spilled > 0 || s->sq.refilling);
}

static void
site_wait(struct coord *c, struct site *s)
{
	if (s->w != NULL || s->waiting || !site_has_work(c, s))
		return;
	s->waiting = true;
	s->next_wait = NULL;
	if (c->wait_tail != NULL)
		c->wait_tail->next_wait = s;
	else
		c->wait_head = s;
	c->wait_tail = s;
}

/* A URL newly taken into the frontier (its row is in an op already queued). */
static void
site_enqueue(struct coord *c, struct site *s, struct qurl *q)
{
	if (s->limited) {
		/* The database has it; the end of the crawl settles it as skipped. */
		s->sq.spilled++;
		qurl_free(q);
	} else {
		sq_add(&s->sq, q);
	}
	site_wait(c, s);
}

/* A URL going back to the front of its queue (its worker died or stopped). */
static void
site_requeue(struct coord *c, struct site *s, struct qurl *q)
{
	sq_put_back(&s->sq, q);
	site_wait(c, s);
}

/* ---- store ops, always in order ---- */

static bool
opq_empty(const struct opq *q)
{
	return q->len == 0;
}

/* Hand op to the store, behind anything still waiting: ops are applied in the order
 * they are made (a page's frontier rows before the results of fetching them). */
static void
submit(struct coord *c, struct store_op *op)
{
	struct opq *q = &c->outq;

	if (opq_empty(q) && queue_try_push(c->sq, op, store_op_weight(op)) == 0)
		return;
	if (q->len == q->cap) {
		size_t cap = q->cap ? q->cap * 2 : 64;
		struct store_op **v = xcalloc(cap, sizeof *v);
		for (size_t i = 0; i < q->len; i++)
			v[i] = q->v[(q->head + i) % q->cap];
		free(q->v);
		q->v = v;
		q->cap = cap;
		q->head = 0;
	}
	q->v[(q->head + q->len) % q->cap] = op;
	q->len++;
}

/* Move waiting ops into the store queue while it takes them. */
static void
flush_ops(struct coord *c)
{
	struct opq *q = &c->outq;

	while (q->len > 0) {
		struct store_op *op = q->v[q->head];
		if (queue_try_push(c->sq, op, store_op_weight(op)) == -1)
			return;
		q->head = (q->head + 1) % q->cap;
		q->len--;
	}
}

static void
flush_marks(struct coord *c)
{
	struct store_op *op;

	if (c->nmarks == 0)
		return;
	op = store_op_new(OP_MARK);
	if (op == NULL) {
		log_error("out of memory");
		exit(EXIT_FAILED);
	}
	op->mark_state = FS_INFLIGHT;
	op->marks = c->marks;
	op->nmarks = c->nmarks;
	c->marks = NULL;
	c->nmarks = c->cmarks = 0;
	submit(c, op);
}

static void
mark_queued(struct coord *c, const struct qurl *q)
{
	struct store_op *op = store_op_new(OP_MARK);

	if (op == NULL || (op->marks = calloc(1, sizeof *op->marks)) == NULL) {
		log_error("out of memory");
		exit(EXIT_FAILED);
	}
	op->mark_state = FS_QUEUED;
	op->marks[0] = (struct store_id_mark){ q->id, q->attempts };
	op->nmarks = 1;
	submit(c, op);
}

static struct store_op *
new_op(enum store_op_kind kind)
{
	struct store_op *op = store_op_new(kind);

	if (op == NULL) {
		log_error("out of memory");
		exit(EXIT_FAILED);
	}
	return op;
}

/* Settle a URL that was never fetched: skipped, or failed with a reason. */
static void
settle_unfetched(struct coord *c, struct site *s, struct qurl *q, enum fstate state,
		 const char *reason)
{
	struct store_op *op = new_op(OP_SETTLE);

	op->id = q->id;
	op->url = xstrdup(q->url);
	op->site = xstrdup(s->name);
	op->depth = q->depth;
	op->attempts = q->attempts;
	op->state = state;
	op->has_page = true;
	op->page.status = -1;
	op->page.error = xstrdup(reason);
	op->reason = xstrdup(reason);
	submit(c, op);
	c->settled++;
	if (state == FS_FAILED) {
		c->failed++;
		s->failed++;
	} else {
		c->skipped++;
		s->skipped++;
	}
}

/* ---- workers: starting, sending ---- */

static void
send_frame_failed(struct wproc *w)
{
	log_error("cannot queue a message for the worker of %s (output full)", w->site->name);
	kill(w->pid, SIGKILL);
}

static struct wproc *
spawn(struct coord *c, struct site *s)
{
	struct ipc_site m = {
		.site = s->name,
		.rules_path = s->rules->path ? s->rules->path : "",
		.robots_status = s->robots_status,
		.robots_fetched_at = s->robots_at,
		.robots_body = s->robots_body ? s->robots_body : "",
		.log_level = (uint32_t)(c->o->verbose >= 2 ? LOGL_DEBUG : c->o->verbose ? LOGL_INFO : LOGL_WARN),
		.max_depth = (uint32_t)s->max_depth,
	};
	struct wproc *w = xcalloc(1, sizeof *w);
	char err[256];

	w->pid = proc_spawn_worker(s->name, &w->fd, err, sizeof err);
	if (w->pid == -1) {
		log_error("cannot start a worker for %s: %s", s->name, err);
		free(w);
		return NULL;
	}
	w->site = s;
	buf_init(&w->in, CHANNEL_IN_MAX);
	buf_init(&w->out, CHANNEL_OUT_MAX);
	w->inflight = xcalloc((size_t)s->window, sizeof *w->inflight);
	if (ipc_put_site(&w->out, s->id, &m) == -1)
		send_frame_failed(w);
	s->w = w;
	c->workers = xgrow(c->workers, &c->cworkers, c->nworkers, sizeof *c->workers);
	c->workers[c->nworkers++] = w;
	log_debug("started worker %d for %s", (int)w->pid, s->name);
	return w;
}

static void
send_stop(struct wproc *w)
{
	if (w->stopping || w->gone)
		return;
	if (ipc_put_stop(&w->out, w->site->id) == -1)
		send_frame_failed(w);
	w->stopping = true;
	w->stop_at = clock_mono();
}

/* Write what is buffered for w, as much as the channel takes now. */
static void
write_worker(struct wproc *w)
{
	while (w->out.len > 0 && !w->gone) {
		ssize_t n = write(w->fd, w->out.data, w->out.len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && errno == EAGAIN)
			return;
		if (n <= 0) {
			/* EPIPE: it is gone; the read side notices. */
			buf_reset(&w->out);
			return;
		}
		buf_consume(&w->out, (size_t)n);
	}
}

static double
retry_delay(int attempt, long retry_after_ms)
{
	double backoff = RETRY_BASE * pow(2, attempt - 1);

	/* Full jitter on the upper half: between 1/2 and 1 of the backoff. */
	backoff *= 0.5 + 0.5 * ((double)rand() / RAND_MAX);
	if (retry_after_ms >= 0 && retry_after_ms / 1000.0 > backoff)
		backoff = retry_after_ms / 1000.0;
	return backoff < RETRY_MAX ? backoff : RETRY_MAX;
}

/* ---- frames from workers ---- */

static int
find_inflight(const struct wproc *w, uint64_t id)
{
	for (size_t i = 0; i < w->ninflight; i++) {
		if ((uint64_t)w->inflight[i]->id == id)
			return (int)i;
	}
	return -1;
}

static void
drop_inflight(struct wproc *w, size_t i)
{
	w->inflight[i] = w->inflight[--w->ninflight];
}

static int
on_page(struct wproc *w, const struct ipc_page *m)
{
	struct store_op *op;
	int i;

	if (w->cur != NULL || (i = find_inflight(w, m->id)) < 0)
		return -1;
	op = new_op(OP_SETTLE);
	w->curq = w->inflight[i];
	op->id = w->curq->id;
	op->url = xstrdup(w->curq->url);
	op->site = xstrdup(w->site->name);
	op->depth = w->curq->depth;
	op->has_page = true;
	op->page.status = m->status;
	op->page.bytes = (int64_t)m->bytes;
	op->page.elapsed_ms = (int)m->elapsed_ms;
	op->page.not_modified = (m->flags & PAGE_NOT_MODIFIED) != 0;
	op->page.final_url = strcmp(m->final_url, op->url) != 0 ? xstrdup(m->final_url) : NULL;
	op->page.content_type = xstrdup(m->content_type);
	op->page.error = xstrdup(m->error);
	op->page.etag = xstrdup(m->etag);
	op->page.last_modified = xstrdup(m->last_modified);
	op->page.charset = xstrdup(m->charset);
	w->cur_flags = m->flags;
	w->cur_retry_after = m->retry_after_ms;
	w->cur = op;
	return 0;
}

static int
on_item(struct wproc *w, const struct ipc_item *m)
{
	struct store_op *op = w->cur;

	if (op == NULL || (uint64_t)op->id != m->id)
		return -1;
	if (op->nitems % 16 == 0 &&
	    (op->items = realloc(op->items, (op->nitems + 16) * sizeof *op->items)) == NULL) {
		log_error("out of memory");
		exit(EXIT_FAILED);
	}
	op->items[op->nitems++] = (struct store_item){ xstrdup(m->type), m->idx, xstrdup(m->data) };
	return 0;
}

enum take { TAKEN, SEEN, OUT_OF_SCOPE, TOO_DEEP };

/* Take one link in: scope, depth, dedup; a new one becomes a frontier row in op and
 * waits in w->news to be queued when the page is done. */
static enum take
take_link(struct coord *c, struct wproc *w, const char *url, int depth)
{
	struct site *src = w->site, *dst = src;
	struct store_op *op = w->cur;
	char name[512];
	struct qurl *q;

	if (!url_on_site(url, src->name)) {
		if (src->rules->scope == SCOPE_SITE || url_site(url, name, sizeof name) == -1)
			return OUT_OF_SCOPE;
		dst = site_get(c, name);
	}
	if (depth > src->max_depth || strlen(url) > URL_MAX)
		return TOO_DEEP;
	if (urlset_add(&c->seen, url_hash(url, strlen(url))) != 1)
		return SEEN;
	q = xcalloc(1, sizeof *q);
	q->id = c->next_id++;
	q->depth = depth;
	q->url = xstrdup(url);
	if (op->nlinks % 16 == 0 &&
	    (op->links = realloc(op->links, (op->nlinks + 16) * sizeof *op->links)) == NULL) {
		log_error("out of memory");
		exit(EXIT_FAILED);
	}
	op->links[op->nlinks++] = (struct store_link){ q->id, xstrdup(url), xstrdup(dst->name), depth };
	w->news = xgrow(w->news, &w->cnews, w->nnews, sizeof *w->news);
	w->news[w->nnews++] = (struct newurl){ dst, q };
	return TAKEN;
}

static int
on_links(struct coord *c, struct wproc *w, const struct ipc_links *m)
{
	char error[URL_MAX + 100];
	enum take t;
	int depth;

	if (w->cur == NULL || (uint64_t)w->cur->id != m->id)
		return -1;
	/* A redirect is the same page moved, not a hop further. */
	depth = w->curq->depth + (m->kind == LINK_REDIRECT ? 0 : 1);
	for (uint32_t i = 0; i < m->count; i++) {
		t = take_link(c, w, m->urls[i], depth);
		if (m->kind == LINK_REDIRECT && t == OUT_OF_SCOPE) {
			snprintf(error, sizeof error,
				 "redirected to another site, not followed (scope: site): %.8000s",
				 m->urls[i]);
			free(w->cur->page.error);
			w->cur->page.error = xstrdup(error);
		}
	}
	return 0;
}

static void
route_news(struct coord *c, struct wproc *w)
{
	for (size_t i = 0; i < w->nnews; i++)
		site_enqueue(c, w->news[i].site, w->news[i].q);
	w->nnews = 0;
}

/* The worker's verdict on a URL decided: retry it, or settle it. */
static enum fstate
settle_state(struct coord *c, struct site *s, struct store_op *op, struct qurl *q,
	     uint32_t flags, bool *retry)
{
	char error[600];

	*retry = false;
	if (flags & PAGE_DISALLOWED) {
		op->reason = xstrdup(op->page.error);
		return FS_SKIPPED;
	}
	if ((flags & PAGE_RETRYABLE) && q->attempts < s->rules->retries) {
		*retry = true;
		return FS_QUEUED;
	}
	if (op->page.status >= 400 && (op->page.error == NULL || !*op->page.error)) {
		snprintf(error, sizeof error, "HTTP %d", op->page.status);
		free(op->page.error);
		op->page.error = xstrdup(error);
	}
	if ((flags & PAGE_RETRYABLE) && q->attempts > 0) {
		snprintf(error, sizeof error, "%s (gave up after %d attempts)", op->page.error,
			 q->attempts + 1);
		free(op->page.error);
		op->page.error = xstrdup(error);
	}
	if (op->page.status < 0 || op->page.status >= 400) {
		op->reason = xstrdup(op->page.error);
		return FS_FAILED;
	}
	return FS_DONE;
}

static int
on_done(struct coord *c, struct wproc *w, const struct ipc_done *m)
{
	struct store_op *op = w->cur;
	struct site *s = w->site;
	struct qurl *q = w->curq;
	uint32_t flags;
	long retry_after;
	bool retry;
	int i;

	if (op == NULL || (uint64_t)op->id != m->id || (i = find_inflight(w, m->id)) < 0)
		return -1;
	flags = w->cur_flags;
	retry_after = w->cur_retry_after;
	op->page.extract_errors = m->problems;
	op->attempts = q->attempts + 1;
	op->state = settle_state(c, s, op, q, flags, &retry);
	drop_inflight(w, (size_t)i);
	w->cur = NULL;
	w->curq = NULL;
	s->deaths = 0;
	if (retry) {
		/* The URL waits in the frontier (memory and database), not in a worker. */
		q->attempts++;
		q->not_before = clock_mono() + retry_delay(q->attempts, retry_after);
		log_debug("%s: %s; retry %d in %.1f s", q->url,
			  op->page.error && *op->page.error ? op->page.error : "failed", q->attempts,
			  q->not_before - clock_mono());
		c->retries++;
		mark_queued(c, q);
		sq_retry_later(&s->sq, q);
		/* Links found on a failed response are kept all the same. */
		if (op->nlinks > 0) {
			struct store_op *links = new_op(OP_LINKS);
			links->links = op->links;
			links->nlinks = op->nlinks;
			op->links = NULL;
			op->nlinks = 0;
			submit(c, links);
		}
		store_op_free(op);
		route_news(c, w);
		return 0;
	}
	c->settled++;
	c->items += (long)op->nitems;
	s->items += (long)op->nitems;
	c->problems += m->problems;
	s->problems += m->problems;
	s->fetch_ms += op->page.elapsed_ms;
	if (op->state == FS_DONE) {
		c->ok++;
		s->ok++;
	} else if (op->state == FS_FAILED) {
		c->failed++;
		s->failed++;
	} else {
		c->skipped++;
		s->skipped++;
	}
	submit(c, op);
	route_news(c, w);
	qurl_free(q);
	return 0;
}

static void
on_robots(struct coord *c, struct wproc *w, const struct ipc_robots *m)
{
	struct site *s = w->site;
	struct store_op *op = new_op(OP_ROBOTS);

	free(s->robots_body);
	s->robots_body = xstrdup(m->body);
	s->robots_status = m->status;
	s->robots_at = m->fetched_at;
	op->site = xstrdup(s->name);
	op->robots_status = m->status;
	op->robots_body = xstrdup(m->body);
	submit(c, op);
}

/* One frame; -1 for a protocol error (the worker is dropped). */
static int
on_frame(struct coord *c, struct wproc *w, const struct ipc_msg *m)
{
	if (m->hdr.site != w->site->id || m->hdr.pid != (uint32_t)w->pid)
		return -1;
	switch (m->hdr.type) {
	case IPC_PAGE: return on_page(w, &m->u.page);
	case IPC_ITEM: return on_item(w, &m->u.item);
	case IPC_LINKS: return on_links(c, w, &m->u.links);
	case IPC_DONE: return on_done(c, w, &m->u.done);
	case IPC_ROBOTS: on_robots(c, w, &m->u.robots); return 0;
	default: return -1;
	}
}

/* ---- losing workers ---- */

static void
reap_one(struct wproc *w, int status)
{
	char how[128];

	w->reaped = true;
	proc_describe_status(status, how, sizeof how);
	if (!w->stopping || !WIFEXITED(status) || WEXITSTATUS(status) != 0) {
		log_warn("worker %d for %s %s", (int)w->pid, w->site->name, how);
		snprintf(w->site->last_death, sizeof w->site->last_death, "%s", how);
	}
}

/*
 * The channel of w closed or broke.  What it had in flight goes back to its site's
 * queue; if it was not asked to stop, each of those URLs is charged a crash, and a
 * URL charged MAX_CRASHES times fails.  A site whose workers keep dying without
 * finishing anything is given up.
 */
static void
worker_lost(struct coord *c, struct wproc *w, const char *why)
{
	struct site *s = w->site;
	bool crashed = !w->stopping;
	int status;

	if (w->gone)
		return;
	w->gone = true;
	close(w->fd);
	if (crashed && !w->reaped) {
		/* Make sure it is dead, and learn how it died. */
		kill(w->pid, SIGKILL);
		if (waitpid(w->pid, &status, 0) == w->pid)
			reap_one(w, status);
	}
	if (crashed)
		log_warn("worker for %s lost (%s)%s", s->name, why,
			 w->ninflight ? "; requeueing what it had in flight" : "");
	store_op_free(w->cur);
	w->cur = NULL;
	for (size_t i = 0; i < w->nnews; i++)
		qurl_free(w->news[i].q);
	w->nnews = 0;
	for (size_t i = 0; i < w->ninflight; i++) {
		struct qurl *q = w->inflight[i];
		char reason[300];
		if (crashed && ++q->crashes >= MAX_CRASHES) {
			snprintf(reason, sizeof reason,
				 "worker crashed %d times with this URL in flight (last: %s)",
				 q->crashes, s->last_death[0] ? s->last_death : why);
			settle_unfetched(c, s, q, FS_FAILED, reason);
			qurl_free(q);
			continue;
		}
		if (!crashed)
			mark_queued(c, q); /* stopped by us: back to queued, as it was */
		site_requeue(c, s, q);
	}
	w->ninflight = 0;
	s->w = NULL;
	if (crashed && ++s->deaths >= MAX_SITE_DEATHS && site_has_work(c, s)) {
		char reason[300];
		snprintf(reason, sizeof reason,
			 "not fetched: the worker for this site died %d times in a row (last: %s)",
			 s->deaths, s->last_death[0] ? s->last_death : why);
		log_error("%s: giving up on the site: %s", s->name, reason);
		s->limited = true;
		for (struct qurl *q; (q = sq_drain(&s->sq)) != NULL; qurl_free(q))
			settle_unfetched(c, s, q, FS_FAILED, reason);
		if (s->sq.spilled > 0) {
			struct store_op *op = new_op(OP_SETTLE_QUEUED);
			op->site = xstrdup(s->name);
			op->state = FS_FAILED;
			op->reason = xstrdup(reason);
			submit(c, op);
			s->sq.spilled = 0;
		}
		return;
	}
	site_wait(c, s);
}

/* Read and act on what w sent; returns false if w is gone. */
static bool
read_worker(struct coord *c, struct wproc *w)
{
	static struct ipc_msg m;
	char err[256];
	size_t off = 0, used;
	ssize_t n;
	int rc = 0;

	if (buf_reserve(&w->in, 65536) == -1) {
		worker_lost(c, w, "frame too large");
		return false;
	}
	n = read(w->fd, w->in.data + w->in.len, w->in.cap - w->in.len - 1);
	if (n < 0 && (errno == EINTR || errno == EAGAIN))
		return true;
	if (n <= 0) {
		worker_lost(c, w, n == 0 ? "its channel closed" : strerror(errno));
		return false;
	}
	w->in.len += (size_t)n;
	while ((rc = ipc_next(&w->in, off, &m, &used, err, sizeof err)) == 1) {
		off += used;
		if (on_frame(c, w, &m) == -1) {
			snprintf(err, sizeof err, "unexpected %s frame", ipc_type_name(m.hdr.type));
			rc = -1;
			break;
		}
	}
	if (rc == -1) {
		log_error("protocol error from the worker for %s: %s; dropping it", w->site->name, err);
		w->stopping = false; /* it misbehaved: its URLs are charged */
		worker_lost(c, w, err);
		return false;
	}
	buf_consume(&w->in, off);
	return true;
}

/* Collect exited children (SIGCHLD). */
static void
reap_children(struct coord *c)
{
	int status;
	pid_t pid;

	while ((pid = waitpid(-1, &status, WNOHANG)) > 0) {
		for (size_t i = 0; i < c->nworkers; i++) {
			struct wproc *w = c->workers[i];
			if (w->pid == pid && !w->reaped)
				reap_one(w, status);
		}
	}
}

/* Forget workers that are both closed and reaped. */
static void
sweep_workers(struct coord *c)
{
	size_t j = 0;

	for (size_t i = 0; i < c->nworkers; i++) {
		struct wproc *w = c->workers[i];
		if (w->gone && w->reaped) {
			buf_free(&w->in);
			buf_free(&w->out);
			free(w->inflight);
			free(w->news);
			free(w);
			continue;
		}
		c->workers[j++] = w;
	}
	c->nworkers = j;
}

/* ---- dispatch ---- */

static bool
limits_reached(struct coord *c, struct site *s)
{
	if (global_limit(c)) {
		if (!c->limit_hit)
			log_info("--max-pages %ld reached: no more pages will be fetched",
				 c->o->max_pages);
		c->limit_hit = true;
		return true;
	}
	if (s->taken >= s->max_pages) {
		if (!s->limited)
			log_info("%s: max_pages %ld reached", s->name, s->max_pages);
		s->limited = true;
		c->limit_hit = true;
		return true;
	}
	return false;
}

/* Ask the store for more of a site's queued URLs when its memory queue runs low. */
static void
refill(struct coord *c, struct site *s)
{
	struct store_op *op;
	int64_t after;
	size_t limit;

	if (s->limited || c->refills >= STORE_QUEUE_OPS / 2 ||
	    !sq_refill_wanted(&s->sq, &after, &limit))
		return;
	op = new_op(OP_REFILL);
	op->site = xstrdup(s->name);
	op->site_id = s->id;
	op->after_id = after;
	op->limit = (int)limit;
	c->refills++;
	submit(c, op);
}

static void
on_refill(struct coord *c, struct store_op *op)
{
	struct site *s = op->site_id >= 1 && op->site_id <= c->nsites ? c->sites[op->site_id - 1] : NULL;
	struct qurl **rows;

	c->refills--;
	if (s == NULL) {
		store_op_free(op);
		return;
	}
	rows = xcalloc(op->nrows + 1, sizeof *rows);
	for (size_t i = 0; i < op->nrows; i++) {
		struct store_row *r = &op->rows[i];
		struct qurl *q = rows[i] = xcalloc(1, sizeof *q);
		q->id = r->id;
		q->depth = r->depth;
		q->attempts = r->attempts;
		q->url = r->url;
		q->etag = r->etag;
		q->last_modified = r->last_modified;
		r->url = r->etag = r->last_modified = NULL;
	}
	sq_refilled(&s->sq, rows, op->nrows, (size_t)op->limit, !s->limited);
	free(rows);
	store_op_free(op);
	site_wait(c, s);
}

static bool
quarantined(const struct wproc *w)
{
	for (size_t i = 0; i < w->ninflight; i++) {
		if (w->inflight[i]->crashes > 0)
			return true;
	}
	return false;
}

static void
send_fetch(struct coord *c, struct wproc *w, struct qurl *q)
{
	struct ipc_fetch m = { (uint64_t)q->id, (uint32_t)q->depth, (uint32_t)q->attempts,
			       q->url, q->etag ? q->etag : "", q->last_modified ? q->last_modified : "" };

	if (ipc_put_fetch(&w->out, w->site->id, &m) == -1) {
		send_frame_failed(w);
		return;
	}
	w->inflight[w->ninflight++] = q;
	c->marks = xgrow(c->marks, &c->cmarks, c->nmarks, sizeof *c->marks);
	c->marks[c->nmarks++] = (struct store_id_mark){ q->id, q->attempts };
}

/*
 * Keep w's window full.  A URL that was in flight when a worker died goes alone:
 * if it kills this worker too, nothing else is blamed.
 */
static void
dispatch(struct coord *c, struct wproc *w, double now)
{
	struct site *s = w->site;
	struct qurl *q;

	while (!w->stopping && !w->gone && w->ninflight < (size_t)s->window && !quarantined(w)) {
		if (!(q = sq_next(&s->sq, now))) {
			refill(c, s);
			break;
		}
		if (q->crashes > 0 && w->ninflight > 0) {
			site_requeue(c, s, q);
			break;
		}
		if (!q->counted) {
			if (limits_reached(c, s)) {
				site_requeue(c, s, q);
				break;
			}
			q->counted = true;
			s->taken++;
			c->taken++;
		}
		send_fetch(c, w, q);
	}
	refill(c, s);
}

/* Start workers for waiting sites while slots are free. */
static void
start_waiting(struct coord *c)
{
	size_t live = 0;

	for (size_t i = 0; i < c->nworkers; i++)
		live += !c->workers[i]->reaped;
	while (c->wait_head != NULL && live < (size_t)c->o->workers) {
		struct site *s = c->wait_head;
		if ((c->wait_head = s->next_wait) == NULL)
			c->wait_tail = NULL;
		s->waiting = false;
		if (s->w != NULL || !site_has_work(c, s))
			continue;
		if (spawn(c, s) == NULL) {
			s->deaths++;
			if (s->deaths < MAX_SITE_DEATHS)
				site_wait(c, s);
			break;
		}
		live++;
	}
}

/* A running site with nothing queued, in flight or waiting to retry stops its worker
 * (so does every site once the crawl is stopping or a page limit is reached). */
static void
stop_idle(struct coord *c, struct site *s)
{
	struct wproc *w = s->w;

	if (w == NULL || w->stopping || w->ninflight > 0 || w->cur != NULL || site_has_work(c, s))
		return;
	send_stop(w);
}

/* ---- signals ---- */

static int signal_fd = -1;

static void
on_signal(int sig)
{
	int saved = errno;
	char c = (char)sig;

	if (write(signal_fd, &c, 1) < 0) {
		/* The pipe is full of earlier signals: nothing is lost. */
	}
	errno = saved;
}

static int
nonblocking_pipe(int fds[2])
{
	if (pipe(fds) == -1)
		return -1;
	for (int i = 0; i < 2; i++) {
		if (fcntl(fds[i], F_SETFL, O_NONBLOCK) == -1 ||
		    fcntl(fds[i], F_SETFD, FD_CLOEXEC) == -1)
			return -1;
	}
	return 0;
}

static void
install_signals(struct coord *c)
{
	struct sigaction sa;

	signal_fd = c->sig[1];
	memset(&sa, 0, sizeof sa);
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	sa.sa_flags = SA_RESTART;
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGCHLD, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
}

static void
begin_stop(struct coord *c, int sig)
{
	c->stop_signal = sig;
	log_warn("%s: stopping (finishing what is in flight); a second signal stops at once",
		 sig == SIGINT ? "interrupted" : "terminated");
	for (size_t i = 0; i < c->nworkers; i++)
		send_stop(c->workers[i]);
}

static void
drain_signals(struct coord *c)
{
	char buf[64];
	ssize_t n;

	while ((n = read(c->sig[0], buf, sizeof buf)) > 0) {
		for (ssize_t i = 0; i < n; i++) {
			if (buf[i] == SIGCHLD)
				continue; /* reaped every turn */
			if (c->stop_signal) {
				/* Second signal: committed data is safe; resume picks up. */
				log_warn("stopping at once");
				_exit(buf[i] == SIGINT ? EXIT_SIGINT : EXIT_SIGTERM);
			}
			begin_stop(c, buf[i]);
		}
	}
}

/* ---- the status line and the summary ---- */

static size_t
queued_count(const struct coord *c)
{
	size_t n = 0;

	for (size_t i = 0; i < c->nsites; i++)
		n += sq_count(&c->sites[i]->sq);
	return n;
}

static struct coord *status_owner;

static void
clear_status(void)
{
	if (status_owner != NULL && status_owner->tty)
		fputs("\r\033[K", stderr);
}

static void
draw_status(struct coord *c, double t)
{
	double el = t - c->started;
	size_t active = 0;

	if (!c->tty || t - c->last_status < STATUS_EVERY)
		return;
	c->last_status = t;
	for (size_t i = 0; i < c->nworkers; i++)
		active += !c->workers[i]->gone;
	fprintf(stderr, "\r\033[K%ld done, %zu queued, %.1f pages/s, %ld items, %ld errors, %zu sites active",
		c->settled, queued_count(c), el > 0 ? c->settled / el : 0.0, c->items,
		c->failed + c->problems, active);
	fflush(stderr);
}

static void
summary(struct coord *c)
{
	double el = clock_mono() - c->started;

	clear_status();
	if (c->o->quiet)
		return;
	fprintf(stderr,
		"scraper: %s: %ld pages in %.1f s (%.1f pages/s): %ld ok, %ld failed, %ld skipped; "
		"%ld items; %ld extraction problems; %ld retries\n",
		c->stop_signal ? "crawl stopped" : "crawl finished", c->settled, el,
		el > 0 ? c->settled / el : 0.0, c->ok, c->failed, c->skipped, c->items, c->problems,
		c->retries);
	if (c->stop_signal)
		fprintf(stderr, "scraper: %zu URLs still queued; run the same command again to resume\n",
			queued_count(c));
	if (c->o->verbose == 0)
		return;
	for (size_t i = 0; i < c->nsites; i++) {
		struct site *s = c->sites[i];
		long n = s->ok + s->failed + s->skipped;
		if (n == 0)
			continue;
		fprintf(stderr, "  %-30s %6ld pages: %ld ok, %ld failed, %ld skipped; %ld items; "
			"mean fetch %.0f ms\n", s->name, n, s->ok, s->failed, s->skipped, s->items,
			s->ok + s->failed > 0 ? s->fetch_ms / (double)(s->ok + s->failed) : 0.0);
	}
}

/* ---- start-up ---- */

static void
scan_row(void *ctx, const char *url, const char *site, enum fstate state, int64_t id)
{
	struct coord *c = ctx;
	struct site *s = site_get(c, site);

	urlset_add(&c->seen, url_hash(url, strlen(url)));
	if (id >= c->next_id)
		c->next_id = id + 1;
	if (state == FS_QUEUED) {
		s->sq.spilled++;
	} else if (state == FS_DONE || state == FS_FAILED) {
		s->taken++;
		c->taken++;
	}
}

static void
scan_robots(void *ctx, const char *site, int status, const char *body, int64_t fetched_at)
{
	struct coord *c = ctx;
	struct site *s = site_get(c, site);

	s->robots_status = status;
	s->robots_at = fetched_at;
	s->robots_body = xstrdup(body);
}

/* One view per item type, with the fields of every rule file that defines it. */
static int
create_views(struct coord *c, char *err, size_t errlen)
{
	struct store_view *views = NULL;
	size_t nviews = 0, cviews = 0;
	int rc;

	for (size_t f = 0; f <= c->rules->nfiles; f++) {
		const struct site_rules *r = f < c->rules->nfiles ? c->rules->files[f] : c->rules->fallback;
		for (size_t i = 0; i < r->nitems; i++) {
			const struct rule_item *it = &r->items[i];
			struct store_view *v = NULL;
			for (size_t k = 0; k < nviews && v == NULL; k++)
				v = strcmp(views[k].type, it->type) == 0 ? &views[k] : NULL;
			if (v == NULL) {
				views = xgrow(views, &cviews, nviews, sizeof *views);
				v = &views[nviews++];
				*v = (struct store_view){ it->type, NULL, 0 };
			}
			for (size_t j = 0; j < it->nfields; j++) {
				struct store_view_field *fv = (struct store_view_field *)v->fields;
				bool known = false;
				for (size_t k = 0; k < v->nfields; k++)
					known |= strcmp(fv[k].name, it->fields[j].name) == 0;
				if (known)
					continue;
				fv = realloc(fv, (v->nfields + 1) * sizeof *fv);
				if (fv == NULL)
					exit(EXIT_FAILED);
				fv[v->nfields++] = (struct store_view_field){
					it->fields[j].name, field_type_name(it->fields[j].type),
					it->fields[j].all && !it->fields[j].joined };
				v->fields = fv;
			}
		}
	}
	rc = store_create_views(c->store, views, nviews, err, errlen);
	for (size_t i = 0; i < nviews; i++)
		free((void *)views[i].fields);
	free(views);
	return rc;
}

/* Take a seed in; batched into OP_LINKS ops of SEED_BATCH. */
static void
add_seed(struct coord *c, struct store_op **batch, const char *url, const char *site)
{
	struct store_op *op;
	struct qurl *q;

	if (urlset_add(&c->seen, url_hash(url, strlen(url))) != 1)
		return;
	if (*batch == NULL)
		*batch = new_op(OP_LINKS);
	op = *batch;
	q = xcalloc(1, sizeof *q);
	q->id = c->next_id++;
	q->url = xstrdup(url);
	if (op->nlinks % 64 == 0 &&
	    (op->links = realloc(op->links, (op->nlinks + 64) * sizeof *op->links)) == NULL)
		exit(EXIT_FAILED);
	op->links[op->nlinks++] = (struct store_link){ q->id, xstrdup(url), xstrdup(site), 0 };
	site_enqueue(c, site_get(c, site), q);
	if (op->nlinks >= SEED_BATCH) {
		submit(c, op);
		*batch = NULL;
	}
}

/* Read every URL file.  -1 when one cannot be read (a usage error). */
static int
read_url_files(struct coord *c, long *added, long *bad)
{
	struct store_op *batch = NULL;
	struct buf canon;
	char *line = NULL, site[512];
	size_t cap = 0;
	size_t before = c->seen.count;

	buf_init(&canon, URL_MAX * 4);
	for (int i = 0; i < c->o->n_url_files; i++) {
		const char *name = c->o->url_files[i];
		FILE *f = strcmp(name, "-") == 0 ? stdin : fopen(name, "r");
		long lineno = 0;
		ssize_t n;
		if (f == NULL) {
			log_error("cannot read the URL file %s: %s", name, strerror(errno));
			free(line);
			buf_free(&canon);
			return -1;
		}
		while ((n = getline(&line, &cap, f)) != -1) {
			char *p = line, *end = line + n;
			lineno++;
			while (p < end && (*p == ' ' || *p == '\t'))
				p++;
			while (end > p && (end[-1] == '\n' || end[-1] == '\r' || end[-1] == ' ' || end[-1] == '\t'))
				end--;
			*end = '\0';
			if (*p == '\0' || *p == '#')
				continue;
			buf_reset(&canon);
			if (url_canonical(p, &canon) == -1 || url_site(canon.data, site, sizeof site) == -1) {
				log_warn("%s:%ld: not an absolute http(s) URL, skipped: %.200s",
					 strcmp(name, "-") == 0 ? "stdin" : name, lineno, p);
				(*bad)++;
				continue;
			}
			add_seed(c, &batch, canon.data, site);
		}
		if (f != stdin)
			fclose(f);
	}
	if (batch != NULL)
		submit(c, batch);
	free(line);
	buf_free(&canon);
	*added = (long)(c->seen.count - before);
	return 0;
}

/* ---- the loop ---- */

static void
take_replies(struct coord *c)
{
	struct store_op *op;
	char buf[256];

	while (read(c->wake[0], buf, sizeof buf) > 0)
		;
	while ((op = queue_pop(c->replies, 0)) != NULL)
		on_refill(c, op);
	if (!c->store_failed && store_failed(c->store, buf, sizeof buf)) {
		c->store_failed = true;
		log_error("%s", buf);
		log_error("stopping the crawl; everything committed so far is safe");
		for (size_t i = 0; i < c->nworkers; i++) {
			kill(c->workers[i]->pid, SIGKILL);
			c->workers[i]->stopping = true;
		}
	}
}

/* Earliest moment something is due (a retry, a stop deadline), as a poll timeout. */
static int
next_timeout(struct coord *c, double t)
{
	double until = t + (c->tty ? STATUS_EVERY : 1.0);

	/* Only sites with a worker can have a retry due (the others are waiting for a
	 * slot, which a worker's exit wakes us for). */
	for (size_t i = 0; i < c->nworkers; i++) {
		struct wproc *w = c->workers[i];
		struct sitequeue *sq = &w->site->sq;
		if (!w->gone && w->site->w == w && sq->nretry > 0 && sq->retry[0]->not_before < until)
			until = sq->retry[0]->not_before;
		if (w->stopping && !w->gone && w->stop_at + STOP_GRACE < until)
			until = w->stop_at + STOP_GRACE;
	}
	return until <= t ? 0 : (int)((until - t) * 1000) + 1;
}

/* Workers that were told to stop and did not: killed (their URLs stay queued). */
static void
enforce_stops(struct coord *c, double t)
{
	for (size_t i = 0; i < c->nworkers; i++) {
		struct wproc *w = c->workers[i];
		if (w->stopping && !w->gone && !w->reaped && t > w->stop_at + STOP_GRACE) {
			log_warn("worker for %s did not stop in %g s; killing it", w->site->name, STOP_GRACE);
			kill(w->pid, SIGKILL);
			w->stop_at = t; /* once per grace period */
		}
	}
}

/* Done: every worker gone and, unless the crawl is being stopped (a signal, a failed
 * database), no site waiting and no refill outstanding. */
static bool
finished(const struct coord *c)
{
	if (c->stop_signal || c->store_failed)
		return c->nworkers == 0;
	return c->nworkers == 0 && c->wait_head == NULL && c->refills == 0;
}

static void
poll_once(struct coord *c, struct pollfd *fds, size_t nfds_max)
{
	bool congested = !opq_empty(&c->outq);
	size_t n = 0;
	int rc;

	fds[n++] = (struct pollfd){ .fd = c->sig[0], .events = POLLIN };
	fds[n++] = (struct pollfd){ .fd = c->wake[0], .events = POLLIN };
	for (size_t i = 0; i < c->nworkers && n < nfds_max; i++) {
		struct wproc *w = c->workers[i];
		short ev = 0;
		if (!w->gone && !congested)
			ev |= POLLIN;
		if (!w->gone && w->out.len > 0)
			ev |= POLLOUT;
		fds[n++] = (struct pollfd){ .fd = w->gone ? -1 : w->fd, .events = ev };
	}
	rc = poll(fds, n, next_timeout(c, clock_mono()));
	if (rc < 0 && errno != EINTR) {
		log_error("poll: %s", strerror(errno));
		exit(EXIT_FAILED);
	}
	if (rc <= 0)
		return;
	if (fds[0].revents)
		drain_signals(c);
	if (fds[1].revents)
		take_replies(c);
	for (size_t i = 0; i + 2 < n; i++) {
		struct wproc *w = c->workers[i];
		short re = fds[i + 2].revents;
		if (w->gone || re == 0)
			continue;
		if ((re & POLLOUT))
			write_worker(w);
		if ((re & (POLLIN | POLLHUP | POLLERR)))
			read_worker(c, w);
	}
}

/* One turn's work after the poll (see the top of this file). */
static void
tend(struct coord *c)
{
	double t = clock_mono();

	reap_children(c);
	enforce_stops(c, t);
	if (!c->stop_signal && !c->store_failed) {
		start_waiting(c);
		for (size_t i = 0; i < c->nworkers; i++) {
			if (!c->workers[i]->gone)
				dispatch(c, c->workers[i], t);
		}
		for (size_t i = 0; i < c->nworkers; i++)
			stop_idle(c, c->workers[i]->site);
	}
	flush_marks(c);
	flush_ops(c);
	for (size_t i = 0; i < c->nworkers; i++)
		write_worker(c->workers[i]);
	sweep_workers(c);
	draw_status(c, t);
}

static void
run_loop(struct coord *c)
{
	struct pollfd *fds = NULL;
	size_t cfds = 0;

	for (tend(c); !finished(c); tend(c)) {
		if (cfds < c->nworkers + 2) {
			cfds = (c->nworkers + 2) * 2;
			free(fds);
			fds = xcalloc(cfds, sizeof *fds);
		}
		poll_once(c, fds, cfds);
	}
	free(fds);
}

/* Wait until every op has gone to the store, then stop the writer. */
static int
drain_store(struct coord *c)
{
	struct pollfd p = { .fd = c->wake[0], .events = POLLIN };

	flush_marks(c);
	for (flush_ops(c); !opq_empty(&c->outq) && !c->store_failed; flush_ops(c)) {
		poll(&p, 1, 100);
		take_replies(c);
	}
	return store_writer_stop(c->store);
}

/* ---- coordinator_run ---- */

static void
free_site(struct site *s)
{
	sq_free(&s->sq);
	free(s->name);
	free(s->robots_body);
	free(s);
}

static void
free_coord(struct coord *c)
{
	for (size_t i = 0; i < c->nworkers; i++) {
		struct wproc *w = c->workers[i];
		if (!w->gone)
			close(w->fd);
		store_op_free(w->cur);
		for (size_t j = 0; j < w->ninflight; j++)
			qurl_free(w->inflight[j]);
		for (size_t j = 0; j < w->nnews; j++)
			qurl_free(w->news[j].q);
		buf_free(&w->in);
		buf_free(&w->out);
		free(w->inflight);
		free(w->news);
		free(w);
	}
	free(c->workers);
	for (size_t i = 0; i < c->nsites; i++)
		free_site(c->sites[i]);
	free(c->sites);
	free(c->index);
	free(c->marks);
	for (size_t i = 0; i < c->outq.len; i++)
		store_op_free(c->outq.v[(c->outq.head + i) % c->outq.cap]);
	free(c->outq.v);
	urlset_free(&c->seen);
	if (c->store != NULL)
		store_close(c->store);
	queue_free(c->sq, store_op_free);
	queue_free(c->replies, store_op_free);
	rule_set_free(c->rules);
	for (int i = 0; i < 2; i++) {
		if (c->wake[i] >= 0)
			close(c->wake[i]);
		if (c->sig[i] >= 0)
			close(c->sig[i]);
	}
}

/* Rules, database, resume state, seeds.  Returns an exit code, or -1 to go on. */
static int
start_up(struct coord *c)
{
	struct diags d = { 0 };
	char err[1024];
	long added = 0, bad = 0, queued = 0;

	c->rules = rules_load_dir(c->o->config_dir, !c->o->config_given, &d);
	if (c->rules == NULL) {
		diags_print(&d, stderr);
		log_error("the rule files have errors; not crawling (see 'scraper check')");
		diags_free(&d);
		return EXIT_USAGE;
	}
	diags_free(&d);
	if ((c->store = store_open(c->o->db_path, c->o->max_db_mb, err, sizeof err)) == NULL ||
	    store_begin_crawl(c->store, c->o->fresh, c->o->recrawl, err, sizeof err) == -1 ||
	    create_views(c, err, sizeof err) == -1 ||
	    store_scan_frontier(c->store, scan_row, c, err, sizeof err) == -1 ||
	    store_scan_robots(c->store, scan_robots, c, err, sizeof err) == -1) {
		log_error("%s", err);
		return EXIT_FAILED;
	}
	for (size_t i = 0; i < c->nsites; i++) {
		queued += (long)c->sites[i]->sq.spilled;
		site_wait(c, c->sites[i]);
	}
	if (c->next_id == 0)
		c->next_id = 1;
	if (queued > 0)
		log_info("resuming the crawl in %s: %ld URLs still queued, %ld already fetched",
			 c->o->db_path, queued, c->taken);
	if (nonblocking_pipe(c->wake) == -1 || nonblocking_pipe(c->sig) == -1 ||
	    (c->sq = queue_new(STORE_QUEUE_OPS, STORE_QUEUE_BYTES, c->wake[1])) == NULL ||
	    (c->replies = queue_new(STORE_QUEUE_OPS, SIZE_MAX, -1)) == NULL ||
	    store_writer_start(c->store, c->sq, c->replies, c->wake[1]) == -1) {
		log_error("cannot start the store thread: %s", strerror(errno));
		return EXIT_FAILED;
	}
	if (read_url_files(c, &added, &bad) == -1)
		return EXIT_USAGE;
	if (added == 0 && queued == 0 && bad == 0)
		log_info("nothing to do: every URL given is already in the crawl's frontier");
	return -1;
}

int
crawl_run(const struct crawl_opts *o)
{
	struct coord c = { .o = o, .wake = { -1, -1 }, .sig = { -1, -1 } };
	int rc;

	log_init(NULL, NULL, o->quiet ? LOGL_WARN : o->verbose >= 2 ? LOGL_DEBUG : LOGL_INFO);
	ex_init();
	urlset_init(&c.seen);
	srand((unsigned)time(NULL) ^ (unsigned)getpid());
	c.started = clock_mono();
	c.tty = !o->quiet && isatty(STDERR_FILENO);
	if ((rc = start_up(&c)) >= 0) {
		free_coord(&c);
		return rc;
	}
	status_owner = &c;
	log_set_hook(clear_status);
	install_signals(&c);
	run_loop(&c);
	if (!c.stop_signal && !c.store_failed && c.limit_hit) {
		/* What a page limit left unfetched is settled as skipped. */
		struct store_op *op = new_op(OP_SETTLE_QUEUED);
		op->state = FS_SKIPPED;
		op->reason = xstrdup("not fetched: page limit reached (--max-pages or max_pages)");
		submit(&c, op);
	}
	if (drain_store(&c) == -1 || c.store_failed) {
		char msg[600];
		if (store_failed(c.store, msg, sizeof msg) && !c.store_failed)
			log_error("%s", msg);
		rc = EXIT_FAILED;
	} else {
		rc = c.stop_signal == SIGINT ? EXIT_SIGINT : c.stop_signal ? EXIT_SIGTERM : EXIT_DONE;
	}
	summary(&c);
	log_set_hook(NULL);
	status_owner = NULL;
	free_coord(&c);
	return rc;
}
