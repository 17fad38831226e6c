/*
 * frontier.c: which URL goes next, and whether it may.
 *
 * The frontier is every URL the crawl has taken in.  In memory it is a 64-bit hash
 * per URL (the seen set, extractors/urlset.c) and, per site, a bounded queue
 * (sitequeue.c) with the rest of the site's queued URLs left in the database and read
 * back by refills.  This file owns the sites (found by name through an open-addressing
 * index), the page limits (--max-pages and each site's max_pages), the seeds from the
 * URL files, and the answers the store thread sends back (refills, robots.txt bodies).
 */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "base/clock.h"
#include "base/log.h"
#include "base/oom.h"
#include "crawl/coord.h"
#include "url.h"
#include "worker/robots.h"

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

struct site *
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
	s->crawl_delay = -1;
	c->sites = xgrow(c->sites, &c->csites, c->nsites, sizeof *c->sites);
	c->sites[c->nsites++] = s;
	index_put(c, s);
	return s;
}

bool
frontier_global_limit(const struct coord *c)
{
	if (c->shared) /* the nodes' shared budget (lease.c) */
		return c->o->max_pages > 0 && c->budget_spent && c->taken >= c->budget_cap;
	return c->o->max_pages > 0 && c->taken >= c->o->max_pages;
}

/* Something to fetch: queued (in memory or the database) or waiting to retry. */
bool
site_has_work(const struct coord *c, const struct site *s)
{
	if (c->stop_signal)
		return false;
	/* Shared database: only what is in memory, unless the site is leased here. */
	if (c->shared && !s->held && s->sq.len == 0 && s->sq.nretry == 0)
		return false;
	if (s->sq.nretry > 0)
		return true; /* retries were counted already: limits do not stop them */
	return !s->limited && !frontier_global_limit(c) &&
	       (s->sq.len > 0 || s->sq.spilled > 0 || s->sq.refilling);
}

void
site_wait(struct coord *c, struct site *s)
{
	if (s->nw > 0 || s->waiting || !site_has_work(c, s))
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
void
site_enqueue(struct coord *c, struct site *s, struct qurl *q)
{
	if (c->shared) {
		/* The database has it, under its own id: a refill of the node that holds
		 * the site takes it (lease.c); another node may have had it already. */
		if (s->held && !s->limited)
			s->sq.spilled++;
		qurl_free(q);
	} else if (s->limited) {
		/* The database has it; the end of the crawl settles it as skipped. */
		s->sq.spilled++;
		qurl_free(q);
	} else {
		sq_add(&s->sq, q);
	}
	site_wait(c, s);
}

/* A URL going back to the front of its queue (its worker died or stopped). */
void
site_requeue(struct coord *c, struct site *s, struct qurl *q)
{
	sq_put_back(&s->sq, q);
	site_wait(c, s);
}

bool
frontier_limits_reached(struct coord *c, struct site *s)
{
	if (frontier_global_limit(c)) {
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
	return !lease_budget_allows(c); /* false: waiting for the nodes' shared budget */
}

/* Ask the store for more of a site's queued URLs when its memory queue runs low. */
void
frontier_refill(struct coord *c, struct site *s)
{
	struct store_op *op;
	int64_t after;
	size_t limit;

	if (s->limited || (c->shared && !s->held) || c->refills >= STORE_QUEUE_OPS / 2 ||
	    !sq_refill_wanted(&s->sq, &after, &limit))
		return;
	op = settle_new_op(OP_REFILL);
	op->site = xstrdup(s->name);
	op->site_id = s->id;
	op->after_id = after;
	op->limit = (int)limit;
	/* A page whose rules changed since its items were extracted is fetched without
	 * validators: a 304 would keep the old rules' items. */
	if (s->rules->fingerprint[0] != '\0')
		op->reason = xstrdup(s->rules->fingerprint);
	c->refills++;
	settle_submit(c, op);
}

static void
on_refill(struct coord *c, struct store_op *op)
{
	struct site *s = op->site_id >= 1 && op->site_id <= c->nsites ? c->sites[op->site_id - 1] : NULL;
	struct qurl **rows;

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
	/* Shared: other nodes' links count in no spilled total; a full read may have left
	 * more behind. */
	if (c->shared && op->nrows == (size_t)op->limit && s->sq.spilled == 0)
		s->sq.spilled = 1;
	free(rows);
	store_op_free(op);
	site_wait(c, s);
}

/* A robots.txt body read from the database for a worker that is starting. */
static void
on_robots_body(struct coord *c, struct store_op *op)
{
	struct site *s = op->site_id >= 1 && op->site_id <= c->nsites ? c->sites[op->site_id - 1] : NULL;

	if (s != NULL) {
		s->robots_loading = false;
		if (op->robots_body != NULL)
			workers_robots_known(s, s->robots_status, op->robots_body);
		for (int i = 0; i < s->nw; i++) {
			if (!s->w[i]->site_sent)
				wproc_send_site(c, s->w[i], op->robots_body);
		}
	}
	store_op_free(op);
}

/* An answer from the store thread. */
void
frontier_on_reply(struct coord *c, struct store_op *op)
{
	c->refills--;
	if (op->kind == OP_LEASE)
		lease_on_reply(c, op);
	else if (op->kind == OP_ROBOTS_READ)
		on_robots_body(c, op);
	else
		on_refill(c, op);
}

void
frontier_scan_row(void *ctx, const char *url, const char *site, enum fstate state, int64_t id)
{
	struct coord *c = ctx;
	struct site *s = site_get(c, site);

	urlset_add(&c->seen, url_hash(url, strlen(url)));
	if (id >= c->next_id)
		c->next_id = id + 1;
	if (state == FS_QUEUED) {
		if (!c->shared) /* shared: the leases say which sites to refill */
			s->sq.spilled++;
	} else if (state == FS_DONE || state == FS_FAILED) {
		s->taken++;
		c->taken++;
	}
	if (state == FS_DONE || state == FS_FAILED || state == FS_SKIPPED)
		c->resumed_settled++;
	c->resumed_failed += state == FS_FAILED;
}

/* What the database knows of a site's robots.txt; the body stays there until a worker
 * for the site starts (workers.c asks for it then). */
void
frontier_scan_robots(void *ctx, const char *site, int status, int64_t fetched_at)
{
	struct coord *c = ctx;
	struct site *s = site_get(c, site);

	s->robots_status = status;
	s->robots_at = fetched_at;
}

/* Take a seed in; batched into OP_LINKS ops of SEED_BATCH. */
static void
add_seed(struct coord *c, struct store_op **batch, const char *url, const char *site)
{
	struct store_op *op;
	struct qurl *q;

	site_get(c, site)->seeded = true;
	if (urlset_add(&c->seen, url_hash(url, strlen(url))) != 1)
		return;
	if (*batch == NULL)
		*batch = settle_new_op(OP_LINKS);
	op = *batch;
	q = xcalloc(1, sizeof *q);
	q->id = c->next_id++;
	q->url = xstrdup(url);
	op->links = xgrow(op->links, &op->clinks, op->nlinks, sizeof *op->links);
	op->links[op->nlinks++] = (struct store_link){ q->id, xstrdup(url), xstrdup(site), 0 };
	site_enqueue(c, site_get(c, site), q);
	if (op->nlinks >= SEED_BATCH) {
		settle_submit(c, op);
		*batch = NULL;
	}
}

/* Open every URL file before anything else happens, so that a missing one stops the
 * crawl before the database is touched.  -1 with every problem logged. */
int
frontier_open_seeds(struct coord *c)
{
	const struct crawl_opts *o = c->o;
	int rc = 0;

	c->seed_files = xcalloc((size_t)o->n_url_files, sizeof *c->seed_files);
	for (int i = 0; i < o->n_url_files; i++) {
		const char *name = o->url_files[i];
		struct stat st;
		if (strcmp(name, "-") == 0) {
			c->seed_files[i] = stdin;
			continue;
		}
		if ((c->seed_files[i] = fopen(name, "r")) == NULL) {
			log_error("cannot read the URL file %s: %s", name, strerror(errno));
			rc = -1;
		} else if (fstat(fileno(c->seed_files[i]), &st) == 0 && S_ISDIR(st.st_mode)) {
			log_error("cannot read the URL file %s: it is a directory", name);
			rc = -1;
		}
	}
	return rc;
}

void
frontier_close_seeds(struct coord *c)
{
	for (int i = 0; c->seed_files != NULL && i < c->o->n_url_files; i++) {
		if (c->seed_files[i] != NULL && c->seed_files[i] != stdin)
			fclose(c->seed_files[i]);
	}
	free(c->seed_files);
	c->seed_files = NULL;
}

/* One line of a URL file: a seed, a comment, a blank, or a bad line (counted). */
static void
read_seed_line(struct coord *c, struct store_op **batch, struct buf *canon, char *line,
	       size_t n, const char *name, long lineno, long *bad)
{
	char *p = line, *end = line + n, site[512];

	while (p < end && (*p == ' ' || *p == '\t'))
		p++;
	while (end > p && (end[-1] == '\n' || end[-1] == '\r' || end[-1] == ' ' || end[-1] == '\t'))
		end--;
	*end = '\0';
	if (*p == '\0' || *p == '#')
		return;
	buf_reset(canon);
	if (url_canonical(p, canon) == -1 || url_site(canon->data, site, sizeof site) == -1) {
		log_warn("%s:%ld: not an absolute http(s) URL, skipped: %.200s", name, lineno, p);
		(*bad)++;
		return;
	}
	add_seed(c, batch, canon->data, site);
}

/* Read every URL file (opened by frontier_open_seeds) and take its seeds in. */
void
frontier_read_seeds(struct coord *c, long *added, long *bad)
{
	const struct crawl_opts *o = c->o;
	struct store_op *batch = NULL;
	struct buf canon;
	char *line = NULL;
	size_t cap = 0, before = c->seen.count;

	buf_init(&canon, URL_MAX * 4);
	for (int i = 0; i < o->n_url_files; i++) {
		const char *name = strcmp(o->url_files[i], "-") == 0 ? "stdin" : o->url_files[i];
		long lineno = 0;
		ssize_t n;
		while ((n = getline(&line, &cap, c->seed_files[i])) != -1)
			read_seed_line(c, &batch, &canon, line, (size_t)n, name, ++lineno, bad);
		if (ferror(c->seed_files[i])) {
			/* What was read is taken in; the crawl goes on with it. */
			log_error("reading the URL file %s: %s", name, strerror(errno));
			(*bad)++;
		}
	}
	frontier_close_seeds(c);
	if (batch != NULL)
		settle_submit(c, batch);
	free(line);
	buf_free(&canon);
	*added = (long)(c->seen.count - before);
}

size_t
frontier_queued(const struct coord *c)
{
	size_t n = 0;

	for (size_t i = 0; i < c->nsites; i++)
		n += sq_count(&c->sites[i]->sq);
	return n;
}
