/*
 * try.c: 'scraper try': apply the rules to one page and show the result.
 *
 * This is how users develop rule files, so the output is for reading: one JSON object,
 * indented, with the rule file that was picked, every item (one per line), the links
 * the follow rules choose (as a crawl would take them: same site unless scope is any;
 * for a URL whose rules obey robots.txt, not the ones it disallows), and any extraction
 * problems.  The page is fetched as a worker would fetch it (same user agent, limits
 * and decoding), following redirects; robots.txt is fetched too when the rules obey it.
 *
 * --explain adds why: every field's selector, the nodes it found and the values that
 * survived (and the ones dropped, with the reason); every item type, whether its match
 * accepted the URL and whether each item was stored; every link a follow rule found,
 * followed or not and why.  The reasons come from the extraction library's observer
 * (extract.h) and the worker's link gate (linkgate.h): the same decisions a crawl
 * makes, not a re-enactment of them.
 *
 * --css SEL / --xpath EXPR skip the rule files' extraction: the one selector is applied
 * as a field with all: true, and its values and count are printed.
 */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <curl/curl.h>
#include <libxml/HTMLparser.h>

#include "buf.h"
#include "base/exitcode.h"
#include "worker/try.h"
#include "extract.h"
#include "worker/fetch.h"
#include "json.h"
#include "base/log.h"
#include "worker/linkgate.h"
#include "worker/robotsmeta.h"
#include "worker/page.h"
#include "worker/robots.h"
#include "rules/rules.h"
#include "url.h"

#define OUT_MAX (64u << 20)

struct try_out {
	struct link_gate gate;
	bool explain;
	struct buf items, links, problems;
	size_t nitems, nlinks, nproblems;
	/* --explain */
	struct buf xfields, xitems, xlinks;
	size_t nxfields, nxitems, nxlinks;
	char rule[1024];	/* the follow rule of the link offered last */
	/* --css / --xpath: the one field's report */
	size_t matched, nvalues;
	struct buf values, dropped;
};

static void
sep(struct buf *b, size_t *n)
{
	buf_puts(b, (*n)++ ? ",\n    " : "\n    ");
}

/* The same one level deeper, for the lists inside "explain". */
static void
sep2(struct buf *b, size_t *n)
{
	buf_puts(b, (*n)++ ? ",\n      " : "\n      ");
}

static int
on_item(void *ctx, const char *type, unsigned idx, const char *json, size_t len)
{
	struct try_out *t = ctx;

	sep(&t->items, &t->nitems);
	buf_puts(&t->items, "{\"type\": ");
	json_put_cstring(&t->items, type);
	buf_printf(&t->items, ", \"idx\": %u, \"data\": ", idx);
	buf_append(&t->items, json, len);
	buf_putc(&t->items, '}');
	return 0;
}

static void
explain_link(struct try_out *t, const char *url, const char *rule, bool followed,
	     const char *why)
{
	sep2(&t->xlinks, &t->nxlinks);
	buf_puts(&t->xlinks, "{\"url\": ");
	json_put_cstring(&t->xlinks, url);
	buf_puts(&t->xlinks, ", \"rule\": ");
	json_put_cstring(&t->xlinks, rule);
	buf_printf(&t->xlinks, ", \"followed\": %s, \"why\": ", followed ? "true" : "false");
	json_put_cstring(&t->xlinks, why);
	buf_putc(&t->xlinks, '}');
}

/* A link the follow rules offered: the worker's gate has the last word. */
static int
on_link(void *ctx, const char *url)
{
	struct try_out *t = ctx;
	enum link_why why = link_gate_check(&t->gate, url);

	if (t->explain)
		explain_link(t, url, t->rule, why == LINK_TAKEN, why == LINK_TAKEN ? "" : link_why_text(why));
	if (why != LINK_TAKEN)
		return 0;
	sep(&t->links, &t->nlinks);
	json_put_cstring(&t->links, url);
	return 0;
}

static void
on_problem(void *ctx, const char *msg)
{
	struct try_out *t = ctx;

	sep(&t->problems, &t->nproblems);
	json_put_cstring(&t->problems, msg);
}

/* ---- the observer (--explain, --css, --xpath) ---- */

static void
watch_field(void *ctx, const struct ex_field_report *f)
{
	struct try_out *t = ctx;

	t->matched = f->matched;
	t->nvalues = f->nvalues;
	buf_reset(&t->values);
	buf_puts(&t->values, f->values);
	buf_reset(&t->dropped);
	buf_puts(&t->dropped, f->dropped);
	if (!t->explain)
		return;
	sep2(&t->xfields, &t->nxfields);
	buf_puts(&t->xfields, "{\"item\": ");
	json_put_cstring(&t->xfields, f->item);
	buf_printf(&t->xfields, ", \"idx\": %u, \"field\": ", f->idx);
	json_put_cstring(&t->xfields, f->field);
	buf_puts(&t->xfields, ", \"selector\": ");
	json_put_cstring(&t->xfields, f->selector);
	buf_printf(&t->xfields, ", \"matched\": %zu, \"values\": %s", f->matched, f->values);
	if (strcmp(f->dropped, "[]") != 0)
		buf_printf(&t->xfields, ", \"dropped\": %s", f->dropped);
	if (f->defaulted)
		buf_puts(&t->xfields, ", \"default\": true");
	buf_putc(&t->xfields, '}');
}

static void
watch_item(void *ctx, const struct ex_item_report *it)
{
	struct try_out *t = ctx;

	sep2(&t->xitems, &t->nxitems);
	buf_puts(&t->xitems, "{\"type\": ");
	json_put_cstring(&t->xitems, it->type);
	buf_printf(&t->xitems, ", \"idx\": %u, \"matched\": %s, \"stored\": %s, \"why\": ", it->idx,
		   it->matched ? "true" : "false", it->stored ? "true" : "false");
	json_put_cstring(&t->xitems, it->why);
	buf_putc(&t->xitems, '}');
}

static void
watch_link(void *ctx, const struct ex_link_report *l)
{
	struct try_out *t = ctx;

	if (l->verdict == EX_LINK_OFFERED) {
		/* on_link comes next, with the gate's verdict. */
		snprintf(t->rule, sizeof t->rule, "%s", l->rule);
		return;
	}
	explain_link(t, l->url, l->rule, false, l->why);
}

/* ---- getting the page ---- */

static bool
is_url(const char *s)
{
	return strncmp(s, "http://", 7) == 0 || strncmp(s, "https://", 8) == 0;
}

/* Read FILE into body.  0 or -1 (logged). */
static int
read_file(const char *path, struct buf *body)
{
	char chunk[65536];
	FILE *f = fopen(path, "rb");
	size_t n;

	if (f == NULL) {
		log_error("cannot read %s: %s", path, strerror(errno));
		return -1;
	}
	while ((n = fread(chunk, 1, sizeof chunk, f)) > 0) {
		if (buf_append(body, chunk, n) == -1) {
			log_error("%s is larger than max_bytes (%zu)", path, body->max);
			fclose(f);
			return -1;
		}
	}
	fclose(f);
	return 0;
}

/* Fetch url as a worker would (but letting curl follow redirects). */
static int
fetch_page(const struct site_rules *r, const char *url, struct buf *body, char *ctype,
	   size_t ctlen, char *final, size_t finallen)
{
	struct fetch_conf conf = { r->user_agent, r->timeout, r->max_bytes, r->proxy };
	struct fetch_result res;
	struct fetch f;
	char *eff = NULL;
	CURLcode code;

	if (fetch_init(&f, NULL, &conf) == -1 || fetch_prepare(&f, url, NULL, NULL, true, 0) == -1) {
		fetch_cleanup(&f);
		return -1;
	}
	curl_easy_setopt(f.easy, CURLOPT_MAXREDIRS, 10L);
	code = curl_easy_perform(f.easy);
	fetch_result(&f, code, &res);
	if (res.code != CURLE_OK || res.status >= 400) {
		log_error("%s: %s", url, res.code != CURLE_OK ? res.error : "HTTP error");
		if (res.status >= 400)
			log_error("%s answered HTTP %ld", url, res.status);
		fetch_cleanup(&f);
		return -1;
	}
	if (res.error[0])
		log_warn("%s: %s", url, res.error);
	snprintf(ctype, ctlen, "%s", res.content_type ? res.content_type : "");
	curl_easy_getinfo(f.easy, CURLINFO_EFFECTIVE_URL, &eff);
	snprintf(final, finallen, "%s", eff ? eff : url);
	buf_append(body, f.body.data ? f.body.data : "", f.body.len);
	fetch_cleanup(&f);
	return 0;
}

/*
 * robots.txt of url's site, as a worker gets it: 2xx its rules, 4xx none, 5xx or 429
 * everything disallowed.  NULL when it could not be had at all (then it is not
 * consulted, and note says so).  note: what happened, for --explain.
 */
static struct robots *
fetch_robots(const struct site_rules *r, const char *url, const char *site, char *note,
	     size_t notelen)
{
	struct fetch_conf conf = { r->user_agent, r->timeout, r->max_bytes, r->proxy };
	struct fetch_result res;
	struct robots *rb = NULL;
	struct fetch f;
	char rurl[600];

	snprintf(rurl, sizeof rurl, "%s://%s/robots.txt",
		 strncmp(url, "https:", 6) == 0 ? "https" : "http", site);
	if (fetch_init(&f, NULL, &conf) == -1 ||
	    fetch_prepare(&f, rurl, NULL, NULL, true, ROBOTS_MAX_BYTES) == -1) {
		fetch_cleanup(&f);
		snprintf(note, notelen, "not consulted: could not request %s", rurl);
		return NULL;
	}
	fetch_result(&f, curl_easy_perform(f.easy), &res);
	if (res.code != CURLE_OK) {
		snprintf(note, notelen, "not consulted: %s: %s", rurl, res.error);
		log_warn("%s: %s; robots.txt not consulted", rurl, res.error);
	} else {
		bool ok = res.status >= 200 && res.status < 300;
		rb = robots_from_status((int)res.status, ok ? buf_str(&f.body) : "",
					ok ? f.body.len : 0, r->user_agent);
		snprintf(note, notelen, "%s answered HTTP %ld", rurl, res.status);
	}
	fetch_cleanup(&f);
	return rb;
}

/* ---- printing ---- */

static void
print_list(const char *name, const struct buf *b, size_t n, const char *indent, bool last)
{
	printf(",\n%s\"%s\": [%s%s%s]%s", indent, name, buf_str(b), n ? "\n" : "", n ? indent : "",
	       last ? "\n" : "");
}

static void
print_result(const char *url, const char *site, const struct site_rules *r,
	     const char *charset, const struct try_out *t, const char *robots_note)
{
	struct buf head;

	buf_init(&head, 1 << 20);
	buf_puts(&head, "{\n  \"url\": ");
	json_put_cstring(&head, url);
	buf_puts(&head, ",\n  \"site\": ");
	json_put_cstring(&head, site);
	buf_puts(&head, ",\n  \"rules\": ");
	json_put_cstring(&head, r->path ? r->path : "(built-in defaults)");
	buf_puts(&head, ",\n  \"charset\": ");
	json_put_cstring(&head, charset);
	fputs(buf_str(&head), stdout);
	print_list("items", &t->items, t->nitems, "  ", false);
	print_list("links", &t->links, t->nlinks, "  ", false);
	print_list("problems", &t->problems, t->nproblems, "  ", !t->explain);
	if (t->explain) {
		buf_reset(&head);
		json_put_cstring(&head, robots_note);
		printf(",\n  \"explain\": {\n    \"robots\": %s", buf_str(&head));
		print_list("fields", &t->xfields, t->nxfields, "    ", false);
		print_list("items", &t->xitems, t->nxitems, "    ", false);
		print_list("links", &t->xlinks, t->nxlinks, "    ", true);
		printf("  }\n");
	}
	printf("}\n");
	buf_free(&head);
}

static void
print_selector(const char *url, const char *selector, const struct try_out *t)
{
	struct buf b;

	buf_init(&b, 1 << 20);
	buf_puts(&b, "{\n  \"url\": ");
	json_put_cstring(&b, url);
	buf_puts(&b, ",\n  \"selector\": ");
	json_put_cstring(&b, selector);
	buf_printf(&b, ",\n  \"matched\": %zu,\n  \"count\": %zu,\n  \"values\": ", t->matched,
		   t->nvalues);
	fputs(buf_str(&b), stdout);
	fputs(t->nvalues ? buf_str(&t->values) : "[]", stdout);
	if (strcmp(buf_str(&t->dropped), "[]") != 0 && t->dropped.len > 0)
		printf(",\n  \"dropped\": %s", buf_str(&t->dropped));
	printf("\n}\n");
	buf_free(&b);
}

/* The one selector of --css/--xpath as rules: an item with one field, all: true. */
static struct ex_rules *
selector_rules(const struct try_opts *o, char *text, size_t textlen)
{
	struct ex_field_spec f = { .name = "value", .all = true };
	struct ex_rules *ex = ex_rules_new();
	struct ex_error err;
	enum ex_part part;

	f.sel.kind = o->css != NULL ? EX_CSS : EX_XPATH;
	f.sel.expr = o->css != NULL ? o->css : o->xpath;
	snprintf(text, textlen, "%s: %s", o->css != NULL ? "css" : "xpath", f.sel.expr);
	if (ex == NULL || ex_add_item(ex, "selector", NULL, NULL, &err, &part) == -1)
		goto fail;
	if (ex_add_field(ex, 0, &f, &err, &part) == 0)
		return ex;
	fprintf(stderr, "scraper try: %s\n", err.msg);
	fprintf(stderr, "  %s\n", f.sel.expr);
	if (err.pos != EX_NO_POS && err.pos <= strlen(f.sel.expr))
		fprintf(stderr, "  %*s^ column %zu\n", (int)err.pos, "", err.pos + 1);
	ex_rules_free(ex);
	return NULL;
fail:
	log_error("out of memory");
	ex_rules_free(ex);
	return NULL;
}

/* The rules to fetch with and apply: the folder's, or (with --css/--xpath, which need
 * none) the built-in defaults when the folder has errors. */
static struct rule_set *
load_rules(const struct try_opts *o)
{
	struct diags d = { 0 };
	struct rule_set *set = rules_load_dir(o->config_dir, !o->config_given, &d);

	if (set == NULL && (o->css != NULL || o->xpath != NULL) &&
	    (set = calloc(1, sizeof *set)) != NULL) {
		log_warn("the rule files in %s have errors; fetching with the built-in defaults",
			 o->config_dir);
		if ((set->fallback = rules_builtin()) == NULL) {
			free(set);
			set = NULL;
		}
	} else if (set == NULL) {
		diags_print(&d, stderr);
	}
	diags_free(&d);
	return set;
}

static void
out_init(struct try_out *t)
{
	buf_init(&t->items, OUT_MAX);
	buf_init(&t->links, OUT_MAX);
	buf_init(&t->problems, 1u << 20);
	buf_init(&t->xfields, OUT_MAX);
	buf_init(&t->xitems, OUT_MAX);
	buf_init(&t->xlinks, OUT_MAX);
	buf_init(&t->values, OUT_MAX);
	buf_init(&t->dropped, 1u << 20);
}

static void
out_free(struct try_out *t)
{
	buf_free(&t->items);
	buf_free(&t->links);
	buf_free(&t->problems);
	buf_free(&t->xfields);
	buf_free(&t->xitems);
	buf_free(&t->xlinks);
	buf_free(&t->values);
	buf_free(&t->dropped);
}

int
try_run(const struct try_opts *o)
{
	struct try_out t = { .explain = o->explain };
	struct rule_set *set;
	const struct site_rules *r;
	char site[512] = "", ctype[256] = "", final[URL_MAX + 1], charset[96] = "";
	char robots_note[1024] = "", seltext[4096], cut[300];
	const char *url;
	struct ex_rules *sel = NULL;
	struct robots *robots = NULL;
	struct ex_stats stats;
	struct buf body;
	xmlDocPtr doc = NULL;
	int rc = EXIT_FAILED;

	log_init(NULL, NULL, LOGL_INFO);
	ex_init();
	out_init(&t);
	if ((set = load_rules(o)) == NULL) {
		out_free(&t);
		return EXIT_USAGE;
	}
	if ((o->css != NULL || o->xpath != NULL) &&
	    (sel = selector_rules(o, seltext, sizeof seltext)) == NULL) {
		rule_set_free(set);
		out_free(&t);
		return EXIT_USAGE;
	}
	url = is_url(o->target) ? o->target : o->url;
	if (url == NULL) {
		url = "http://localhost/";
		if (sel == NULL)
			log_warn("no --url given for %s: using the fallback rules, and %s as its address",
				 o->target, url);
	}
	if (url_site(url, site, sizeof site) == -1) {
		log_error("not an absolute http(s) URL: %s", url);
		rule_set_free(set);
		ex_rules_free(sel);
		out_free(&t);
		return EXIT_USAGE;
	}
	r = rules_for_site(set, site);
	buf_init(&body, (size_t)r->max_bytes);
	snprintf(final, sizeof final, "%s", url);
	if (is_url(o->target) ? fetch_page(r, url, &body, ctype, sizeof ctype, final, sizeof final) == -1
			      : read_file(o->target, &body) == -1)
		goto out;
	if (!page_is_html(ctype, buf_str(&body), body.len)) {
		char what[300];
		snprintf(what, sizeof what, ctype[0] ? "is %s, not HTML" : "does not look like HTML",
			 ctype);
		if (t.explain) {
			log_error("%s %s: a crawl stores its page record and extracts nothing from "
				  "it, so there is nothing to explain", final, what);
			goto out;
		}
		log_warn("%s %s: a crawl records it but does not parse it", final, what);
	}
	if ((doc = page_parse(buf_str(&body), body.len, ctype, final, charset,
			      sizeof charset, cut, sizeof cut)) == NULL) {
		log_error("%s: libxml2 could not parse the page", final);
		goto out;
	}
	if (cut[0] != '\0') {
		log_warn("%s: %s", final, cut);
		on_problem(&t, cut);
	}
	if (sel != NULL) {
		struct ex_sink sink = { &t, on_item, NULL, on_problem };
		struct ex_observer obs = { &t, NULL, watch_field, NULL, NULL };
		ex_apply(sel, doc, NULL, final, &sink, &stats, &obs);
		print_selector(final, seltext, &t);
		rc = EXIT_DONE;
		goto out;
	}
	/* The page counts as a seed: depth 0, and its links are followed unless the rules
	 * say max_depth: 0. */
	t.gate = (struct link_gate){ .site = site, .any_site = r->scope == SCOPE_ANY,
				     .too_deep = r->max_depth <= 0 };
	if (!r->robots)
		snprintf(robots_note, sizeof robots_note, "ignored (robots: ignore)");
	else if (!is_url(o->target))
		snprintf(robots_note, sizeof robots_note, "not consulted: the page was read from a file");
	else if ((robots = fetch_robots(r, url, site, robots_note, sizeof robots_note)) != NULL &&
		 !robots_allows(robots, link_url_path(url))) {
		log_warn("robots.txt disallows %s: a crawl would not fetch it", url);
		snprintf(robots_note + strlen(robots_note), sizeof robots_note - strlen(robots_note),
			 "; it disallows this page: a crawl would not fetch it");
	}
	t.gate.robots = robots;
	if (r->robots) {
		char token[64];
		robots_product_token(r->user_agent, token, sizeof token);
		t.gate.nofollow = (robotsmeta_doc(doc, NULL, token) & ROBOTSMETA_NOFOLLOW) != 0;
	}
	{
		struct ex_sink sink = { &t, on_item, on_link, on_problem };
		struct ex_observer obs = { &t, NULL, watch_field, watch_item, watch_link };
		ex_apply(r->ex, doc, NULL, final, &sink, &stats, t.explain ? &obs : NULL);
	}
	print_result(final, site, r, charset, &t, robots_note);
	rc = EXIT_DONE;
out:
	if (doc != NULL)
		xmlFreeDoc(doc);
	robots_free(robots);
	ex_rules_free(sel);
	out_free(&t);
	buf_free(&body);
	rule_set_free(set);
	return rc;
}
