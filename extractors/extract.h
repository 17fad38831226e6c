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

#include <libxml/tree.h>

#include "field.h"

#define EX_NO_POS ((size_t)-1)

struct ex_error {
	size_t pos;		/* byte offset in the text at fault, or EX_NO_POS */
	char msg[256];
};

enum ex_sel_kind { EX_CSS, EX_XPATH };

struct ex_selector {
	enum ex_sel_kind kind;
	const char *expr;
};

/* Split the short form "css: expr" / "xpath: expr".  0, or -1 with err (pos into s). */
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

/* Apply the rules to a page.  url: the page's absolute URL (links and url fields
 * resolve against it, or against <base href> when the page has one).  Returns 0, or
 * -1 when a sink callback returned -1 or memory ran out. */
int ex_apply(const struct ex_rules *r, xmlDocPtr doc, const char *url,
	     const struct ex_sink *sink, struct ex_stats *stats);

#endif
