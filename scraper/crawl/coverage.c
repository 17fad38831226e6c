/*
 * coverage.c: the crawl's closing warnings about rules that did less than they say.
 *
 * Each worker sends, with every page it extracted, how much of its rules the page used
 * (COVERAGE: extract.h's counters).  They are summed here per rule file, and at the end
 * of a finished crawl turned into warnings a rule-file author can act on: a field that
 * never had a value, an item type that never matched a page (or matched but stored
 * nothing), a follow rule that never gave a link, a seed site that ran on the built-in
 * defaults because no rule file matched it, and files in the rule folder that were
 * ignored (rules_load_dir lists them).
 *
 * The sums are of what workers reported: a page whose worker died before its DONE may
 * be counted twice, which does not change whether a counter is zero.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "base/log.h"
#include "base/oom.h"
#include "crawl/coord.h"

struct rule_cov {
	const struct site_rules *rules;
	uint64_t *counts;	/* ex_coverage_size(rules->ex) of them */
	size_t n;
	long pages;		/* pages extracted with these rules */
};

static struct rule_cov *
cov_for(struct coord *c, const struct site_rules *r)
{
	struct rule_cov *rc;

	for (size_t i = 0; i < c->ncov; i++) {
		if (c->cov[i].rules == r)
			return &c->cov[i];
	}
	c->cov = realloc(c->cov, (c->ncov + 1) * sizeof *c->cov);
	if (c->cov == NULL)
		oom_exit();
	rc = &c->cov[c->ncov++];
	rc->rules = r;
	rc->n = ex_coverage_size(r->ex);
	rc->counts = xcalloc(rc->n ? rc->n : 1, sizeof *rc->counts);
	rc->pages = 0;
	return rc;
}

int
coverage_frame(struct coord *c, struct wproc *w, const struct ipc_msg *m)
{
	const struct ipc_coverage *cm = &m->u.coverage;
	struct rule_cov *rc;

	if (m->hdr.site != w->site->id || m->hdr.pid != (uint32_t)w->pid)
		return -1;
	rc = cov_for(c, w->site->rules);
	if (cm->count != rc->n) {
		/* Both ends compiled the same text: this is a bug, not the worker's fault. */
		log_debug("coverage of %s: %u counters, expected %zu; ignored", w->site->name,
			  cm->count, rc->n);
		return 0;
	}
	for (size_t i = 0; i < rc->n; i++)
		rc->counts[i] += cm->counts[i];
	rc->pages++;
	return 0;
}

static const char *
rules_name(const struct site_rules *r)
{
	return r->path != NULL ? r->path : "the built-in defaults";
}

static const char *
plural(uint64_t n, const char *one, const char *many)
{
	return n == 1 ? one : many;
}

/* One rule file's warnings; returns how many. */
static int
report_rules(const struct rule_cov *rc)
{
	const struct ex_rules *ex = rc->rules->ex;
	const char *name = rules_name(rc->rules);
	uint64_t follow_pages = rc->counts[EX_COV_FOLLOW_PAGES];
	int n = 0;

	for (size_t k = 0; k < ex_follow_count(ex) && follow_pages > 0; k++) {
		if (rc->counts[EX_COV_FOLLOW(k)] > 0)
			continue;
		log_warn("%s: follow rule %zu (%s) never gave a link (on %llu %s)", name, k + 1,
			 ex_follow_selector(ex, k), (unsigned long long)follow_pages,
			 plural(follow_pages, "page", "pages"));
		n++;
	}
	for (size_t i = 0; i < ex_item_count(ex); i++) {
		const uint64_t *it = rc->counts + ex_coverage_item(ex, i);
		const char *type = ex_item_type(ex, i), *match = ex_item_match(ex, i);
		if (it[EX_COV_MATCHED] == 0) {
			log_warn("%s: item '%s' never matched a page (match: '%s'; %ld %s extracted)",
				 name, type, match ? match : "", rc->pages,
				 plural((uint64_t)rc->pages, "page", "pages"));
			n++;
			continue;
		}
		if (it[EX_COV_STORED] == 0) {
			log_warn("%s: item '%s' matched %llu %s but no item was stored (try --explain "
				 "on one says why)", name, type, (unsigned long long)it[EX_COV_MATCHED],
				 plural(it[EX_COV_MATCHED], "page", "pages"));
			n++;
		}
		for (size_t j = 0; j < ex_field_count(ex, i); j++) {
			if (it[EX_COV_FIELD(j)] > 0 || it[EX_COV_EVALUATED] == 0)
				continue;
			log_warn("%s: field '%s' of item '%s' never had a value (%s; in %llu %s)", name,
				 ex_field_name(ex, i, j), type, ex_field_selector(ex, i, j),
				 (unsigned long long)it[EX_COV_EVALUATED],
				 plural(it[EX_COV_EVALUATED], "item", "items"));
			n++;
		}
	}
	return n;
}

static int
report_defaults(const struct coord *c)
{
	const struct site_rules *fb = c->rules->fallback;
	int n = 0;

	if (fb->path != NULL)
		return 0; /* default.yaml is a choice, not an accident */
	for (size_t i = 0; i < c->nsites; i++) {
		const struct site *s = c->sites[i];
		if (!s->seeded || s->rules != fb || s->ok + s->failed + s->skipped == 0)
			continue;
		const char *colon = strrchr(s->name, ':');
		int hostlen = colon != NULL && strchr(colon, ']') == NULL ? (int)(colon - s->name)
									  : (int)strlen(s->name);
		log_warn("%s: no rule file matched this seed site, so it ran on the built-in "
			 "defaults (page records and titles, no links followed); add a rule file "
			 "with site: \"%.*s\" to %s", s->name, hostlen, s->name, c->o->config_dir);
		n++;
	}
	return n;
}

void
coverage_report(struct coord *c)
{
	int n = 0;

	for (size_t i = 0; i < c->ncov; i++) {
		if (c->cov[i].pages > 0)
			n += report_rules(&c->cov[i]);
	}
	n += report_defaults(c);
	for (size_t i = 0; i < c->rules->nignored; i++) {
		log_warn("%s/%s was ignored: only files named *.yaml are rule files",
			 c->o->config_dir, c->rules->ignored[i]);
		n++;
	}
	if (n > 0)
		log_info("(%d coverage %s: rules that did less than they say; 'scraper try "
			 "--explain URL' shows why on one page)", n, n == 1 ? "warning" : "warnings");
}

void
coverage_free(struct coord *c)
{
	for (size_t i = 0; i < c->ncov; i++)
		free(c->cov[i].counts);
	free(c->cov);
	c->cov = NULL;
	c->ncov = 0;
}
