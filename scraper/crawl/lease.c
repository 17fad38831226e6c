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
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/log.h"
#include "base/oom.h"
#include "base/sha256.h"
#include "crawl/coord.h"

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

void
lease_tick(struct coord *c, double t)
{
	struct store_op *op;
	size_t nheld = 0;
	double every;

	if (!c->shared || c->lease_pending || c->stop_signal || c->store_failed)
		return;
	/* Idle and not yet told that all is done: ask at once. */
	if (t < c->lease_next && !(locally_idle(c) && !c->lease_idle_answer))
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
	/* Past --max-pages this node takes nothing more: what is open is not its. */
	bool limit = frontier_global_limit(c);
	bool open = op->open_elsewhere && !limit;

	c->lease_pending = false;
	for (size_t i = 0; i < c->nsites; i++)
		c->sites[i]->lease_seen = false;
	for (size_t i = 0; i < op->nheld; i++) {
		struct site *s = site_get(c, op->held[i]);
		if (!s->held)
			log_debug("%s: lease taken", s->name);
		s->held = true;
		s->lease_seen = true;
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

/* The rule set's fingerprint: SHA-256 over every rule file's, in order. */
void
lease_rules_fingerprint(const struct rule_set *rules, char out[65])
{
	struct sha256 h;
	unsigned char d[32];

	sha256_init(&h);
	for (size_t i = 0; i < rules->nfiles; i++)
		sha256_update(&h, rules->files[i]->fingerprint, strlen(rules->files[i]->fingerprint) + 1);
	if (rules->fallback != NULL)
		sha256_update(&h, rules->fallback->fingerprint, strlen(rules->fallback->fingerprint) + 1);
	sha256_final(&h, d);
	sha256_to_hex(d, out);
}
