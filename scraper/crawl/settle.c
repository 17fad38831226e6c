/*
 * settle.c: what a worker says about a URL, turned into one store op.
 *
 * A worker answers each FETCH with PAGE, ITEM..., LINKS..., DONE, unbroken.  PAGE
 * opens an op (the page record), ITEMs add to it, LINKS are held as candidates, and
 * DONE decides: retry the URL later (its links are still kept), or settle it as done,
 * failed or skipped.  Only at DONE do the candidate links enter the seen set and the
 * frontier, in the same op as the page that found them; a worker that dies before DONE
 * leaves nothing behind, and its URL is fetched again with all its links.
 *
 * Ops reach the store's thread through a bounded queue, always in the order they are
 * made (a URL's frontier row before the marks and results that name it).  When that
 * queue is full, ops wait here in order and the loop stops reading workers
 * (back-pressure) until the writer catches up.
 */
#include "config.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/clock.h"
#include "base/log.h"
#include "base/oom.h"
#include "crawl/coord.h"
#include "url.h"
#include "worker/sitemap.h"

enum take { TAKEN, SEEN, OUT_OF_SCOPE, TOO_DEEP };

/* Are ops waiting for room in the store's queue? */
bool
settle_backlogged(const struct coord *c)
{
	return c->outq.len > 0;
}

/* Hand op to the store, behind anything still waiting: ops are applied in the order
 * they are made (a page's frontier rows before the results of fetching them). */
void
settle_submit(struct coord *c, struct store_op *op)
{
	struct opq *q = &c->outq;

	if (q->len == 0 && queue_try_push(c->sq, op, store_op_weight(op)) == 0)
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
void
settle_flush(struct coord *c)
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

void
settle_flush_marks(struct coord *c)
{
	struct store_op *op;

	if (c->nmarks == 0)
		return;
	op = settle_new_op(OP_MARK);
	op->mark_state = FS_INFLIGHT;
	op->marks = c->marks;
	op->nmarks = c->nmarks;
	c->marks = NULL;
	c->nmarks = c->cmarks = 0;
	settle_submit(c, op);
}

void
settle_mark_queued(struct coord *c, const struct qurl *q)
{
	struct store_op *op = settle_new_op(OP_MARK);

	op->marks = xcalloc(1, sizeof *op->marks);
	op->mark_state = FS_QUEUED;
	op->marks[0] = (struct store_id_mark){ q->id, q->attempts };
	op->nmarks = 1;
	settle_submit(c, op);
}

struct store_op *
settle_new_op(enum store_op_kind kind)
{
	struct store_op *op = store_op_new(kind);

	if (op == NULL)
		oom_exit();
	return op;
}

/* Settle a URL that was never fetched: skipped, or failed with a reason. */
void
settle_unfetched(struct coord *c, struct site *s, struct qurl *q, enum fstate state,
		 const char *reason)
{
	struct store_op *op = settle_new_op(OP_SETTLE);

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
	settle_submit(c, op);
	c->settled++;
	if (state == FS_FAILED) {
		c->failed++;
		s->failed++;
	} else {
		c->skipped++;
		s->skipped++;
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
on_page(struct coord *c, struct wproc *w, const struct ipc_page *m)
{
	struct store_op *op;
	int i;

	if (w->cur != NULL || (i = find_inflight(w, m->id)) < 0)
		return -1;
	op = settle_new_op(OP_SETTLE);
	w->curq = w->inflight[i];
	op->id = w->curq->id;
	op->url = xstrdup(w->curq->url);
	op->site = xstrdup(w->site->name);
	op->depth = w->curq->depth;
	op->has_page = true;
	op->page.status = m->status;
	op->page.bytes = (int64_t)m->bytes;
	c->bytes += (int64_t)m->bytes;
	op->page.elapsed_ms = (int)m->elapsed_ms;
	op->page.not_modified = (m->flags & PAGE_NOT_MODIFIED) != 0;
	op->page.noindex = (m->flags & PAGE_NOINDEX) != 0;
	op->page.final_url = strcmp(m->final_url, op->url) != 0 ? xstrdup(m->final_url) : NULL;
	op->page.content_type = xstrdup(m->content_type);
	op->page.error = xstrdup(m->error);
	op->page.etag = xstrdup(m->etag);
	op->page.last_modified = xstrdup(m->last_modified);
	op->page.charset = xstrdup(m->charset);
	op->page.rules_hash = xstrdup(w->site->rules->fingerprint);
	w->cur_flags = m->flags;
	w->cur_retry_after = m->retry_after_ms;
	w->cur = op;
	if (m->status == 429 || m->status == 503)
		workers_slowed(c, w, m->status);
	return 0;
}

static int
on_item(struct wproc *w, const struct ipc_item *m)
{
	struct store_op *op = w->cur;
	const char *key;

	if (op == NULL || (uint64_t)op->id != m->id)
		return -1;
	op->items = xgrow(op->items, &op->citems, op->nitems, sizeof *op->items);
	key = rules_item_key(w->site->rules, m->type);
	op->items[op->nitems++] = (struct store_item){ xstrdup(m->type), m->idx, xstrdup(m->data),
						       key != NULL ? xstrdup(key) : NULL };
	return 0;
}

/* PROBLEM: one extraction problem in words, kept with the page (a worker sends a few
 * per page; more than STORE_MAX_PROBLEMS is a protocol error). */
static int
on_problem(struct wproc *w, const struct ipc_problem *m)
{
	struct store_op *op = w->cur;

	if (op == NULL || (uint64_t)op->id != m->id || op->nproblems >= STORE_MAX_PROBLEMS)
		return -1;
	op->problems = xgrow(op->problems, &op->cproblems, op->nproblems, sizeof *op->problems);
	op->problems[op->nproblems++] = xstrdup(m->text);
	return 0;
}

/* BODY: a chunk of the page's packed body (store_bodies).  The first says how long
 * the whole is, bounded by what the site's max_bytes allows; the next ones must
 * follow on.  Anything else is a protocol error. */
static int
on_body(struct wproc *w, const struct ipc_body *m)
{
	struct store_op *op = w->cur;
	struct store_page_rec *p;
	uint64_t limit;

	if (op == NULL || (uint64_t)op->id != m->id)
		return -1;
	p = &op->page;
	limit = (uint64_t)w->site->rules->max_bytes;
	if (m->offset == 0) {
		/* zstd never grows data by more than a little: 1/128 plus a frame header */
		if (p->body != NULL || m->size > limit || m->total > m->size + m->size / 64 + 1024)
			return -1;
		p->body = xcalloc(1, (size_t)m->total + 1);
		p->body_total = (size_t)m->total;
		p->body_size = m->size;
		snprintf(p->body_digest, sizeof p->body_digest, "%s", m->digest);
		p->headers = xstrdup(m->headers);
	} else if (p->body == NULL || m->offset != p->body_len || m->total != p->body_total ||
		   m->size != p->body_size || strcmp(m->digest, p->body_digest) != 0) {
		return -1;
	}
	if (m->len > p->body_total - p->body_len)
		return -1;
	memcpy(p->body + p->body_len, m->data, m->len);
	p->body_len += m->len;
	return 0;
}

/* Check one link against scope and depth; one that passes waits in w->news as a
 * candidate until the page's DONE. */
static enum take
take_link(struct coord *c, struct wproc *w, const char *url, int depth)
{
	struct site *src = w->site, *dst = src;
	char name[512];

	if (!url_on_site(url, src->name)) {
		if (src->rules->scope == SCOPE_SITE || url_site(url, name, sizeof name) == -1)
			return OUT_OF_SCOPE;
		dst = site_get(c, name);
	}
	if (depth > src->max_depth || strlen(url) > URL_MAX)
		return TOO_DEEP;
	w->news = xgrow(w->news, &w->cnews, w->nnews, sizeof *w->news);
	w->news[w->nnews++] = (struct newurl){ dst, xstrdup(url), depth };
	return TAKEN;
}

/* What a site's sitemaps list (sitemap: true): seeds of that site, depth 0, whatever
 * page they came with; at most SITEMAP_MAX_PER_SITE sitemaps per site and crawl. */
static void
sitemap_links(struct coord *c, struct wproc *w, const struct ipc_links *m)
{
	struct site *s = w->site;

	for (uint32_t i = 0; i < m->count; i++) {
		if (!url_on_site(m->urls[i], s->name))
			continue; /* the worker sends its own site's only */
		if (urlset_has(&c->seen, url_hash(m->urls[i], strlen(m->urls[i]))))
			continue; /* known already (a worker sends its roots each time it starts) */
		if (m->kind == LINK_SITEMAP && s->sitemaps >= SITEMAP_MAX_PER_SITE) {
			if (s->sitemaps++ == SITEMAP_MAX_PER_SITE)
				log_warn("%s: more than %d sitemaps: the rest are not fetched",
					 s->name, SITEMAP_MAX_PER_SITE);
			continue;
		}
		if (take_link(c, w, m->urls[i], 0) == TAKEN && m->kind == LINK_SITEMAP)
			s->sitemaps++;
	}
}

static int
on_links(struct coord *c, struct wproc *w, const struct ipc_links *m)
{
	char error[URL_MAX + 100];
	enum take t;
	int depth;

	if (w->cur == NULL || (uint64_t)w->cur->id != m->id)
		return -1;
	if (m->kind == LINK_SITEMAP || m->kind == LINK_SITEMAP_URL) {
		sitemap_links(c, w, m);
		return 0;
	}
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

/* A new URL and the site whose queue it joins. */
struct routed {
	struct site *site;
	struct qurl *q;
};

/* The page is done: its candidate links that are new enter the seen set and become
 * frontier rows in op; they join their sites' queues (route_news) once op is on its
 * way.  Returns how many, in *out (free it). */
static size_t
take_news(struct coord *c, struct wproc *w, struct store_op *op, struct routed **out)
{
	struct routed *r = w->nnews > 0 ? xcalloc(w->nnews, sizeof *r) : NULL;
	size_t n = 0;

	for (size_t i = 0; i < w->nnews; i++) {
		struct newurl *nu = &w->news[i];
		struct qurl *q;
		if (urlset_add(&c->seen, url_hash(nu->url, strlen(nu->url))) != 1) {
			free(nu->url);
			continue;
		}
		q = xcalloc(1, sizeof *q);
		q->id = c->next_id++;
		q->depth = nu->depth;
		q->url = nu->url;
		op->links = xgrow(op->links, &op->clinks, op->nlinks, sizeof *op->links);
		op->links[op->nlinks++] = (struct store_link){ q->id, xstrdup(q->url),
							       xstrdup(nu->site->name), q->depth };
		r[n++] = (struct routed){ nu->site, q };
	}
	w->nnews = 0;
	*out = r;
	return n;
}

static void
route_news(struct coord *c, struct routed *r, size_t n)
{
	for (size_t i = 0; i < n; i++)
		site_enqueue(c, r[i].site, r[i].q);
	free(r);
}

/* A worker was lost before DONE: its candidate links are forgotten (the page will be
 * fetched again and give them again). */
void
settle_forget_news(struct wproc *w)
{
	for (size_t i = 0; i < w->nnews; i++)
		free(w->news[i].url);
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
		c->skipped_robots++;
		op->disallowed = true;
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
	/* No response, an HTTP error, or a redirect that could not be followed (a loop,
	 * too many hops, a target that is not http(s)): failed, in words. */
	if (op->page.status < 0 || op->page.status >= 400 ||
	    (op->page.status >= 300 && op->page.error != NULL && *op->page.error)) {
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
	struct routed *news;
	size_t nnews;
	bool retry;
	int i;

	if (op == NULL || (uint64_t)op->id != m->id || (i = find_inflight(w, m->id)) < 0)
		return -1;
	nnews = take_news(c, w, op, &news);
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
		settle_mark_queued(c, q);
		sq_retry_later(&s->sq, q);
		site_arm_retry(c, s);
		/* Links found on a failed response are kept all the same. */
		if (op->nlinks > 0) {
			struct store_op *links = settle_new_op(OP_LINKS);
			links->links = op->links;
			links->nlinks = op->nlinks;
			op->links = NULL;
			op->nlinks = 0;
			settle_submit(c, links);
		}
		store_op_free(op);
		route_news(c, news, nnews);
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
	settle_submit(c, op);
	route_news(c, news, nnews);
	qurl_free(q);
	return 0;
}

static void
on_robots(struct coord *c, struct wproc *w, const struct ipc_robots *m)
{
	struct site *s = w->site;
	struct store_op *op = settle_new_op(OP_ROBOTS);

	s->robots_status = m->status;
	s->robots_at = m->fetched_at;
	op->site = xstrdup(s->name);
	op->robots_status = m->status;
	op->robots_body = xstrdup(m->body);
	settle_submit(c, op);
	workers_robots_known(s, m->status, m->body);
}

/* One frame; -1 for a protocol error (the worker is dropped). */
int
settle_frame(struct coord *c, struct wproc *w, const struct ipc_msg *m)
{
	if (m->hdr.site != w->site->id || m->hdr.pid != (uint32_t)w->pid)
		return -1;
	switch (m->hdr.type) {
	case IPC_PAGE: return on_page(c, w, &m->u.page);
	case IPC_ITEM: return on_item(w, &m->u.item);
	case IPC_LINKS: return on_links(c, w, &m->u.links);
	case IPC_DONE: return on_done(c, w, &m->u.done);
	case IPC_PROBLEM: return on_problem(w, &m->u.problem);
	case IPC_BODY: return on_body(w, &m->u.body);
	case IPC_ROBOTS: on_robots(c, w, &m->u.robots); return 0;
	default: return -1;
	}
}
