/*
 * lease.c: which sites this node may crawl, when nodes share a PostgreSQL database.
 *
 * A site is crawled by the one node that holds its lease (store/pg.c keeps them in
 * the sites table), so its delay, concurrency and robots.txt hold across the cluster.
 * About once a second (a third of --lease-s at most) the coordinator sends OP_LEASE
 * down the store queue, like any op: it renews this node's leases, lets go of the
 * sites it holds that have nothing left here, and claims sites that have queued URLs
 * and no live lease (a dead node's lapse after --lease-s).  The answer says which
 * sites this node holds, which of them have queued URLs in the database (queued by
 * any node: their refills take them), and whether anything is open anywhere else.
 *
 * The node is done only when it has nothing to do itself and a lease answer, asked
 * for while it was idle and with nothing settled since, says nothing is open
 * elsewhere: it waits for the other nodes, and for dead nodes' leases to lapse so it
 * can take their sites over.  With SQLite (one node) none of this runs.
 *
 * Page limits hold across the nodes.  A site's max_pages: when this node claims a
 * site (or takes it over), the answer says how many of its URLs are done or failed,
 * by any node, and the site counts on from there.  --max-pages: the nodes share one
 * budget in the database (store/pg.c's page_budget); the lease op asks for pages in
 * chunks (about a second of its rate, a sixteenth of --max-pages at most and
 * BUDGET_CHUNK_MIN at least), and gives back what it holds unused when it has
 * nothing to do.  A page is counted
 * only against pages granted, so the cluster never takes more than --max-pages; a
 * node out of pages waits for the next answer, and the budget is spent when nothing
 * is left and no live node holds unused pages.  A node killed (kill -9) or stopped
 * by a signal keeps its unused grant (BUDGET_CHUNK_MIN or its last chunk at most)
 * until the cluster starts again: the others may then end short of --max-pages by it.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/log.h"
#include "base/oom.h"
#include "base/sha256.h"
#include "crawl/coord.h"

#define BUDGET_CHUNK_MIN 8	/* pages asked for at a time, at least */

/* Nothing to do here: no worker, no site waiting, no read outstanding. */
static bool
locally_idle(const struct coord *c)
{
	return c->nworkers == 0 && c->wait_head == NULL && c->refills == 0;
}

/* A held site this node has nothing for: let it go, so another node may take it
 * when URLs come for it (and this node's share of sites stays fair). */
static bool
site_idle(const struct coord *c, const struct site *s)
{
	return s->held && s->nw == 0 && !s->waiting && !s->sq.refilling &&
	       (sq_count(&s->sq) == 0 || s->limited);
}

/* From the first use on, this node may count pages up to budget_cap. */
static void
budget_start(struct coord *c)
{
	if (!c->budget_init) {
		c->budget_cap = c->taken;
		c->budget_taken_at_ask = c->taken;
		c->budget_init = true;
	}
}

/* May one more page be counted against --max-pages?  Shared: only against pages the
 * budget granted; else the next lease op asks for more at once. */
bool
lease_budget_allows(struct coord *c)
{
	if (!c->shared || c->o->max_pages <= 0)
		return true;
	budget_start(c);
	if (c->taken < c->budget_cap)
		return true;
	c->budget_blocked = true;
	return false;
}

/* The lease op's part in the budget: give back what an idle node holds, or ask for
 * a chunk when what is left runs low. */
static void
budget_ask(struct coord *c, struct store_op *op, double t)
{
	double dt = t - c->budget_asked_at;
	long left, chunk;

	if (c->o->max_pages <= 0 || c->budget_spent)
		return;
	budget_start(c);
	left = c->budget_cap - c->taken;
	if (left < 0)
		left = 0;
	op->max_pages = c->o->max_pages;
	if (locally_idle(c)) {
		op->budget_return = left;
		c->budget_cap -= left;
		left = 0;
	} else {
		/* A second of this node's rate (measured over a quarter second at least, so
		 * it grows fourfold at most from one quick ask to the next), at most a
		 * sixteenth of the whole: a node joining later still finds pages. */
		chunk = (long)((double)(c->taken - c->budget_taken_at_ask) / (dt > 0.25 ? dt : 0.25));
		if (chunk > c->o->max_pages / 16)
			chunk = c->o->max_pages / 16;
		if (chunk < BUDGET_CHUNK_MIN)
			chunk = BUDGET_CHUNK_MIN;
		if (left < chunk)
			op->budget_want = chunk - left;
	}
	op->budget_left = left;
	c->budget_taken_at_ask = c->taken;
	c->budget_asked_at = t;
}

static void
budget_on_reply(struct coord *c, const struct store_op *op)
{
	if (op->max_pages <= 0)
		return;
	c->budget_cap += op->budget_got;
	c->budget_denied = op->budget_want > 0 && op->budget_got == 0;
	c->budget_blocked = false;
	if (op->budget_spent && c->taken >= c->budget_cap && !c->budget_spent) {
		c->budget_spent = true;
		if (!c->limit_hit)
			log_info("--max-pages %ld reached by the nodes: no more pages will be fetched",
				 c->o->max_pages);
		c->limit_hit = true;
	}
}

void
lease_tick(struct coord *c, double t)
{
	struct store_op *op;
	size_t nheld = 0;
	double every;

	if (!c->shared || c->lease_pending || c->stop_signal || c->store_failed)
		return;
	/* Idle and not yet told that all is done, or out of pages: ask at once. */
	if (t < c->lease_next && !(locally_idle(c) && !c->lease_idle_answer) &&
	    !(c->budget_blocked && !c->budget_denied))
		return;
	op = settle_new_op(OP_LEASE);
	for (size_t i = 0; i < c->nsites; i++) {
		struct site *s = c->sites[i];
		if (!s->held)
			continue;
		nheld++;
		if (site_idle(c, s)) {
			op->lease_release = xgrow(op->lease_release, &op->clease_release,
						  op->nlease_release, sizeof *op->lease_release);
			op->lease_release[op->nlease_release++] = xstrdup(s->name);
		}
	}
	op->lease_want = c->o->workers - (int)(nheld - op->nlease_release);
	if (op->lease_want < 0 || frontier_global_limit(c))
		op->lease_want = 0;
	budget_ask(c, op, t);
	c->lease_idle_at_ask = locally_idle(c);
	c->lease_settled_at_ask = c->settled;
	c->lease_pending = true;
	c->refills++; /* answered on the reply queue, as refills are */
	every = c->o->lease_s / 3.0;
	c->lease_next = t + (every < 1.0 ? every : 1.0);
	settle_submit(c, op);
}

void
lease_on_reply(struct coord *c, struct store_op *op)
{
	bool limit, open;

	budget_on_reply(c, op);
	/* Past --max-pages this node takes nothing more: what is open is not its. */
	limit = frontier_global_limit(c);
	open = op->open_elsewhere && !limit;

	c->lease_pending = false;
	for (size_t i = 0; i < c->nsites; i++)
		c->sites[i]->lease_seen = false;
	for (size_t i = 0; i < op->nheld; i++) {
		struct site *s = site_get(c, op->held[i]);
		if (!s->held)
			log_debug("%s: lease taken", s->name);
		s->held = true;
		s->lease_seen = true;
		/* Newly claimed: its pages taken by every node count against max_pages. */
		if (op->held_taken != NULL && op->held_taken[i] >= 0) {
			if (op->held_taken[i] > s->taken)
				s->taken = op->held_taken[i];
			if (!s->limited && s->taken >= s->max_pages) {
				log_info("%s: max_pages %ld reached (by the nodes)", s->name,
					 s->max_pages);
				s->limited = true;
				c->limit_hit = true;
			}
		}
		if (op->held_queued[i] && !s->limited && !limit) {
			open = true;
			/* The database has URLs for it (this node's or another's links):
			 * a refill takes them. */
			if (s->sq.spilled == 0 && !s->sq.refilling)
				s->sq.spilled = 1;
			site_wait(c, s);
		}
	}
	for (size_t i = 0; i < c->nsites; i++) {
		struct site *s = c->sites[i];
		if (s->held && !s->lease_seen) {
			log_debug("%s: lease let go or lost", s->name);
			s->held = false;
		}
	}
	c->lease_open = open;
	c->lease_idle_answer = c->lease_idle_at_ask && c->settled == c->lease_settled_at_ask &&
			       locally_idle(c);
	store_op_free(op);
}

bool
lease_done(const struct coord *c)
{
	return !c->shared || (c->lease_idle_answer && !c->lease_open && !c->lease_pending);
}

/* What every node must share: SHA-256 over every rule file's fingerprint, in order,
 * and the crawl-wide limits (--max-pages is one budget for all nodes, and --max-depth
 * decides which links join the shared frontier). */
void
lease_settings_fingerprint(const struct coord *c, char out[65])
{
	const struct rule_set *rules = c->rules;
	struct sha256 h;
	unsigned char d[32];
	char limits[64];

	sha256_init(&h);
	for (size_t i = 0; i < rules->nfiles; i++)
		sha256_update(&h, rules->files[i]->fingerprint, strlen(rules->files[i]->fingerprint) + 1);
	if (rules->fallback != NULL)
		sha256_update(&h, rules->fallback->fingerprint, strlen(rules->fallback->fingerprint) + 1);
	snprintf(limits, sizeof limits, "max-pages %ld max-depth %d", c->o->max_pages,
		 c->o->max_depth);
	sha256_update(&h, limits, strlen(limits));
	sha256_final(&h, d);
	sha256_to_hex(d, out);
}
