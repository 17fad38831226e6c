/*
 * extract.h: a site's extraction rules, compiled once, applied to parsed pages.
 *
 * A pure library: a parsed libxml2 document and its URL in, items (as JSON objects)
 * and links (absolute canonical http(s) URLs) out through callbacks.  No I/O; libxml2's
 * own error printing is silenced by ex_init.
 *
 * Building rules: ex_rules_new, then ex_add_item / ex_add_field / ex_add_follow.  Each
 * compiles its selectors (CSS to XPath, then libxml2's compiler) and regexes (pcre2,
 * JIT when available) at once and reports a bad one with the position in the
 * offending text.  Applying rules (ex_apply) never fails because of the page: a field
 * that cannot be evaluated has no value, and the problem is reported to the sink.
 */
#ifndef SCRAPER_EXTRACT_H
#define SCRAPER_EXTRACT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <libxml/tree.h>

#include "field.h"

#define EX_NO_POS ((size_t)-1)

struct ex_error {
	size_t pos;		/* byte offset in the text at fault, or EX_NO_POS */
	char msg[256];
};

/* css and xpath select nodes; jsonld and microdata read the page's structured data by
 * path (structured.h), for fields only. */
enum ex_sel_kind { EX_CSS, EX_XPATH, EX_JSONLD, EX_MICRODATA };

struct ex_selector {
	enum ex_sel_kind kind;
	const char *expr;
};

/* Split the short form "css: expr" / "xpath: expr" / "jsonld: path" / "microdata:
 * path".  0, or -1 with err (pos into s). */
int ex_selector_parse(const char *s, struct ex_selector *out, struct ex_error *err);

struct ex_field_spec {
	const char *name;
	struct ex_selector sel;
	const char *re;		/* NULL: none */
	const char *attr;	/* NULL: none */
	enum ex_type type;
	bool all;
	const char *join;	/* NULL: none (only with all) */
	const char *def;	/* NULL: none; converted to the field's type */
	bool required;
};

/* Which part of a spec an error is about, so callers can point at the right text. */
enum ex_part {
	EX_PART_SELECTOR,	/* the css/xpath (or each) text */
	EX_PART_RE,		/* a field's re, an item's match */
	EX_PART_ALLOW,		/* a follow rule's allow */
	EX_PART_DENY,		/* a follow rule's deny */
	EX_PART_DEFAULT,	/* a field's default */
	EX_PART_OTHER
};

struct ex_rules;

/* Once per process: silence libxml2's error printing. */
void ex_init(void);

/* Regexes compiled from now on are not JIT-compiled (a sandboxed worker may not map
 * executable memory: worker/sandbox.c).  They match the same, more slowly. */
void ex_no_jit(void);

struct ex_rules *ex_rules_new(void);
void ex_rules_free(struct ex_rules *r);

/* Add an item type.  match: regex on the page URL (NULL: every page); each: one item
 * per selected element (NULL: one per page).  Returns the item's index, or -1 with err
 * and *part set. */
int ex_add_item(struct ex_rules *r, const char *type, const char *match,
		const struct ex_selector *each, struct ex_error *err, enum ex_part *part);

/* Add a field to item number item.  0 or -1 as above. */
int ex_add_field(struct ex_rules *r, int item, const struct ex_field_spec *spec,
		 struct ex_error *err, enum ex_part *part);

/* Add a follow rule: selector giving URLs (an element gives its href), allow and
 * deny regexes on the absolute URL (NULL: none).  0 or -1 as above. */
int ex_add_follow(struct ex_rules *r, const struct ex_selector *sel, const char *allow,
		  const char *deny, struct ex_error *err, enum ex_part *part);

/* The sitemap filter (a rule file's sitemap_allow): a regex on the absolute URLs a
 * site's sitemaps list.  0, or -1 with err (pos into re). */
int ex_set_sitemap_allow(struct ex_rules *r, const char *re, struct ex_error *err);

/* May a URL a sitemap lists be taken: 1 yes (or there is no filter), 0 no, -1 the
 * regex gave up (match limit): not taken. */
int ex_sitemap_allows(const struct ex_rules *r, const char *url);

struct ex_sink {
	void *ctx;
	/* An item: its type, index on the page, and a JSON object of its fields. */
	int (*item)(void *ctx, const char *type, unsigned idx, const char *json, size_t len);
	/* A link chosen by a follow rule (each URL once per page). */
	int (*link)(void *ctx, const char *url);
	/* Something went wrong with one field or item (not fatal). */
	void (*problem)(void *ctx, const char *msg);
};

struct ex_stats {
	unsigned items;		/* items passed to the sink */
	unsigned links;		/* links passed to the sink */
	unsigned errors;	/* items dropped for a missing required field, regex limits */
};

/*
 * Watching ex_apply decide: what `try --explain` prints, what `crawl -vv` logs, and
 * the coverage counts behind the crawl's closing warnings.  Every member may be NULL;
 * ex_apply without an observer (or with every member NULL) does no extra work.  The
 * reports' strings are valid during the callback only.
 */

/* What became of a link a follow rule's selector found. */
enum ex_link_verdict {
	EX_LINK_OFFERED,	/* it passed: sink->link gets it next, and the caller decides
				 * the rest (scope, robots.txt, duplicates across pages) */
	EX_LINK_NOT_HTTP,	/* not an http(s) URL once resolved, or not a URL at all */
	EX_LINK_NOT_ALLOWED,	/* the rule's allow regex did not match */
	EX_LINK_DENIED,		/* the rule's deny regex matched */
	EX_LINK_DUPLICATE,	/* already offered from this page */
	EX_LINK_TOO_MANY,	/* over the per-page limit of links */
};

/* One field of one item: what its selector found and what survived. */
struct ex_field_report {
	const char *item;	/* the item type */
	unsigned idx;		/* the item's index on the page (with each) */
	const char *field;
	const char *selector;	/* "css: ..." or "xpath: ..." as written */
	size_t matched;		/* nodes the selector found (1 for string(), count(), ...) */
	const char *values;	/* a JSON array: the values that survived re and type, as
				 * used (the first only, unless all) */
	size_t nvalues;
	const char *dropped;	/* a JSON array of {"text", "why"}: values dropped on the
				 * way (at most EX_EXPLAIN_DROPPED) */
	bool defaulted;		/* no value of its own: the default was used */
};

#define EX_EXPLAIN_DROPPED 5

/* One item type on the page: one report when match: refused the URL or each found
 * nothing, else one per item (idx). */
struct ex_item_report {
	const char *type;
	unsigned idx;
	bool matched;		/* match: accepted the URL (or the type has none) */
	bool stored;		/* the item went to sink->item */
	const char *why;	/* "" when stored; else why not, in words */
};

struct ex_link_report {
	const char *url;	/* absolute, or the href as written when it is no URL */
	const char *rule;	/* the follow rule's selector, as written */
	enum ex_link_verdict verdict;
	const char *why;	/* "" when offered; else the reason, naming the regex */
};

struct ex_observer {
	void *ctx;
	/* NULL, or ex_coverage_size(r) counters that ex_apply adds this page's use to
	 * (see ex_coverage_size for the layout). */
	uint32_t *coverage;
	void (*field)(void *ctx, const struct ex_field_report *f);
	void (*item)(void *ctx, const struct ex_item_report *it);
	/* Called for every link a follow rule's selector found, before sink->link. */
	void (*link)(void *ctx, const struct ex_link_report *l);
};

/* Apply the rules to a page.  ix: the page's index (cssmatch.h) when the caller has
 * made one, else NULL (made here when a selector needs it).  url: the page's absolute
 * URL (links and url fields resolve against it, or against <base href> when the page
 * has one).  obs: NULL, or who watches (above).  Returns 0, or -1 when a sink callback
 * returned -1 or memory ran out. */
struct css_index;
int ex_apply(const struct ex_rules *r, xmlDocPtr doc, struct css_index *ix, const char *url,
	     const struct ex_sink *sink, struct ex_stats *stats, const struct ex_observer *obs);

/*
 * Coverage counters, in this order:
 *   [0]                      pages whose links the follow rules were applied to
 *   [EX_COV_FOLLOW(k)]       links follow rule k gave (resolved, http(s), allowed, not
 *                            denied; before any de-duplication)
 *   for item type i, from ex_coverage_item(r, i):
 *     + EX_COV_MATCHED        pages whose URL match: accepted
 *     + EX_COV_EVALUATED      items built (one a page, or one per each element)
 *     + EX_COV_STORED         items stored
 *     + EX_COV_FIELD(j)       items in which field j had a value of its own
 */
#define EX_COV_FOLLOW_PAGES 0
#define EX_COV_FOLLOW(k) (1 + (size_t)(k))
#define EX_COV_MATCHED 0
#define EX_COV_EVALUATED 1
#define EX_COV_STORED 2
#define EX_COV_FIELD(j) (3 + (size_t)(j))
size_t ex_coverage_size(const struct ex_rules *r);
size_t ex_coverage_item(const struct ex_rules *r, size_t item);

/* What the rules hold, by index in the order they were added (for reports). */
size_t ex_follow_count(const struct ex_rules *r);
const char *ex_follow_selector(const struct ex_rules *r, size_t k);
size_t ex_item_count(const struct ex_rules *r);
const char *ex_item_type(const struct ex_rules *r, size_t i);
const char *ex_item_match(const struct ex_rules *r, size_t i);	/* NULL: none */
size_t ex_field_count(const struct ex_rules *r, size_t i);
const char *ex_field_name(const struct ex_rules *r, size_t i, size_t j);
const char *ex_field_selector(const struct ex_rules *r, size_t i, size_t j);

/* A verdict in words, without the regex ("not http(s)", "denied", ...). */
const char *ex_link_verdict_name(enum ex_link_verdict v);

#endif
