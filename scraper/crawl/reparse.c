/*
 * reparse.c: `scraper reparse`: today's rules over the stored bodies, no network.
 *
 * For every page with a stored body (of --site, if given): unpack it (checked against
 * its digest), parse it as the worker does (worker/page.c), apply the rules a crawl
 * would pick for its site (extractors' ex_apply), and hand the items and problems to
 * the store as a crawl's page would be, so history (versions, gone items) is kept the
 * same way; the page's rules fingerprint is updated.  The run is a row of runs (kind
 * reparse).  It holds the database's crawl lock, so it never runs beside a crawl.
 * A corrupt stored body is reported and its page left as it was.  Pages are applied
 * in batches, one transaction each.
 */
#include "config.h"

#include "crawl/reparse.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libxml/parser.h>

#include "base/clock.h"
#include "base/exitcode.h"
#include "base/log.h"
#include "base/oom.h"
#include "crawl/views.h"
#include "rules/rules.h"
#include "store/body.h"
#include "store/lock.h"
#include "store/store.h"
#include "worker/page.h"

#define REPARSE_BATCH 256

struct page_ref {
	char *url, *site;
};

struct reparse {
	const struct reparse_opts *o;
	struct rule_set *rules;
	struct store *store;
	struct store_op *batch[REPARSE_BATCH];
	size_t nbatch;
	long pages, items, problems, corrupt, unparsed;
};

/* The extraction sink: items (of --type only, when given) and problems into op. */
struct collect {
	struct store_op *op;
	const struct site_rules *r;
	const char *type;
};

static int
collect_item(void *ctx, const char *type, unsigned idx, const char *json, size_t len)
{
	struct collect *c = ctx;
	struct store_op *op = c->op;
	const char *key;

	(void)len;
	if (c->type != NULL && strcmp(type, c->type) != 0)
		return 0;
	key = rules_item_key(c->r, type);
	op->items = xgrow(op->items, &op->citems, op->nitems, sizeof *op->items);
	op->items[op->nitems++] = (struct store_item){ xstrdup(type), idx, xstrdup(json),
						       key != NULL ? xstrdup(key) : NULL };
	return 0;
}

static void
collect_problem(void *ctx, const char *msg)
{
	struct collect *c = ctx;
	struct store_op *op = c->op;

	op->page.extract_errors++;
	if (op->nproblems < STORE_MAX_PROBLEMS) {
		op->problems = xgrow(op->problems, &op->cproblems, op->nproblems,
				     sizeof *op->problems);
		op->problems[op->nproblems++] = xstrdup(msg);
	}
}

struct page_list {
	struct page_ref *v;
	size_t n, cap;
};

static void
add_page(void *ctx, const char *url, const char *site)
{
	struct page_list *l = ctx;

	l->v = xgrow(l->v, &l->cap, l->n, sizeof *l->v);
	l->v[l->n++] = (struct page_ref){ xstrdup(url), xstrdup(site) };
}

static int
flush(struct reparse *rp)
{
	char err[600];
	int rc = 0;

	if (rp->nbatch > 0 && store_apply_now(rp->store, rp->batch, rp->nbatch, err, sizeof err) == -1) {
		log_error("%s", err);
		rc = -1;
	}
	for (size_t i = 0; i < rp->nbatch; i++)
		store_op_free(rp->batch[i]);
	rp->nbatch = 0;
	return rc;
}

/* One page: its op into the batch, or a warning when its body cannot be read. */
static int
reparse_page(struct reparse *rp, const struct page_ref *p)
{
	const struct site_rules *r = rules_for_site(rp->rules, p->site);
	char *packed, *ctype, *final, digest[65], err[300], note[96] = "", cut[300];
	size_t packed_len;
	uint64_t size;
	struct buf raw;
	struct store_op *op;
	struct collect c;
	struct ex_sink sink;
	struct ex_stats stats;
	xmlDocPtr doc;
	int found;

	found = store_read_body(rp->store, p->url, &packed, &packed_len, &size, digest, &ctype,
				&final, err, sizeof err);
	if (found <= 0) {
		if (found < 0)
			log_warn("%s: %s", p->url, err);
		rp->corrupt += found < 0;
		return 0;
	}
	buf_init(&raw, size < (1ull << 30) ? (size_t)size + 1 : 1);
	if (body_unpack(packed, packed_len, (size_t)size, digest, &raw, err, sizeof err) == -1) {
		log_warn("%s: %s; its items are left as they are", p->url, err);
		rp->corrupt++;
		goto done;
	}
	op = store_op_new(OP_SETTLE);
	if (op == NULL)
		oom_exit();
	op->reparse = true;
	op->url = xstrdup(p->url);
	op->site = xstrdup(p->site);
	op->only_type = rp->o->type != NULL ? xstrdup(rp->o->type) : NULL;
	op->page.rules_hash = xstrdup(r->fingerprint);
	c = (struct collect){ op, r, rp->o->type };
	sink = (struct ex_sink){ &c, collect_item, NULL, collect_problem };
	doc = page_parse(buf_str(&raw), raw.len, ctype, final ? final : p->url, note, sizeof note,
			 cut, sizeof cut);
	if (doc == NULL) {
		rp->unparsed++;
		op->page.extract_errors++;
	} else {
		if (cut[0] != '\0')
			collect_problem(&c, cut);
		ex_apply(r->ex, doc, NULL, final ? final : p->url, &sink, &stats, NULL);
		xmlFreeDoc(doc);
	}
	rp->pages++;
	rp->items += (long)op->nitems;
	rp->problems += op->page.extract_errors;
	rp->batch[rp->nbatch++] = op;
done:
	buf_free(&raw);
	free(packed);
	free(ctype);
	free(final);
	return rp->nbatch == REPARSE_BATCH ? flush(rp) : 0;
}

int
reparse_run(const struct reparse_opts *o)
{
	struct reparse rp = { .o = o };
	struct diags d = { 0 };
	struct page_ref *pages = NULL;
	size_t npages = 0;
	struct page_list pl = { 0 };
	char err[4200], node[256];
	int lock = -1, busy, code = EXIT_FAILED;
	double start = clock_mono(), secs;

	ex_init();
	if ((rp.rules = rules_load_dir(o->config_dir, !o->config_given, &d)) == NULL) {
		diags_print(&d, stderr);
		diags_free(&d);
		return EXIT_USAGE;
	}
	diags_free(&d);
	if ((lock = db_lock_take(o->db_path, err, sizeof err)) == -1) {
		log_error("%s", err);
		goto out;
	}
	if ((rp.store = store_open(o->db_path, 0, err, sizeof err)) == NULL) {
		log_error("%s", err);
		goto out;
	}
	/* PostgreSQL has no crawl lock (nodes share it): no node may be crawling. */
	if ((busy = store_node_crawling(rp.store, node, sizeof node, err, sizeof err)) != 0) {
		if (busy == 1)
			log_error("node '%s' is crawling %s; reparse runs when no node is"
				  " (a node that died counts until its lease lapses)", node,
				  o->db_path);
		else
			log_error("%s", err);
		goto out;
	}
	if (store_begin_run(rp.store, "reparse", err, sizeof err) == -1 ||
	    views_create(rp.store, rp.rules, err, sizeof err) == -1 ||
	    store_body_pages(rp.store, o->site, add_page, &pl, err, sizeof err) == -1) {
		log_error("%s", err);
		goto out;
	}
	pages = pl.v;
	npages = pl.n;
	code = EXIT_DONE;
	for (size_t i = 0; i < npages && code == EXIT_DONE; i++) {
		if (reparse_page(&rp, &pages[i]) == -1)
			code = EXIT_FAILED;
	}
	if (code == EXIT_DONE && flush(&rp) == -1)
		code = EXIT_FAILED;
	secs = clock_mono() - start;
	if (!o->quiet)
		fprintf(stderr, "reparse: %ld page%s, %ld item%s, %ld extraction problem%s%s in %.2f s"
			" (%.0f pages/s)%s\n", rp.pages, rp.pages == 1 ? "" : "s", rp.items,
			rp.items == 1 ? "" : "s", rp.problems, rp.problems == 1 ? "" : "s",
			"", secs, secs > 0 ? (double)rp.pages / secs : 0.0,
			rp.corrupt ? "; some stored bodies could not be read (see above)" : "");
	if (npages == 0 && !o->quiet)
		fprintf(stderr, "reparse: no stored bodies%s%s (crawl with --store-bodies or"
			" store_bodies: true to keep them)\n", o->site ? " of site " : "",
			o->site ? o->site : "");
out:
	for (size_t i = 0; i < rp.nbatch; i++)
		store_op_free(rp.batch[i]);
	for (size_t i = 0; i < pl.n; i++) {
		free(pl.v[i].url);
		free(pl.v[i].site);
	}
	free(pl.v);
	store_close(rp.store);
	db_lock_release(lock);
	rule_set_free(rp.rules);
	return code;
}
