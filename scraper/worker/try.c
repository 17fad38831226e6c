/*
 * try.c: 'scraper try': apply the rules to one page and show the result.
 *
 * This is how users develop rule files, so the output is for reading: one JSON object,
 * indented, with the rule file that was picked, every item (one per line), the links
 * the follow rules choose (as a crawl would take them: same site unless scope is any),
 * and any extraction problems.  The page is fetched as a worker would fetch it (same
 * user agent, limits and decoding), following redirects.
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
#include "worker/page.h"
#include "rules/rules.h"
#include "url.h"

struct try_out {
	const char *site;
	enum scope scope;
	struct buf items, links, problems;
	size_t nitems, nlinks, nproblems;
};

static int
on_item(void *ctx, const char *type, unsigned idx, const char *json, size_t len)
{
	struct try_out *t = ctx;

	buf_puts(&t->items, t->nitems++ ? ",\n    " : "\n    ");
	buf_puts(&t->items, "{\"type\": ");
	json_put_cstring(&t->items, type);
	buf_printf(&t->items, ", \"idx\": %u, \"data\": ", idx);
	buf_append(&t->items, json, len);
	buf_putc(&t->items, '}');
	return 0;
}

static int
on_link(void *ctx, const char *url)
{
	struct try_out *t = ctx;
	char site[512];

	if (t->scope == SCOPE_SITE &&
	    (url_site(url, site, sizeof site) == -1 || strcmp(site, t->site) != 0))
		return 0;
	buf_puts(&t->links, t->nlinks++ ? ",\n    " : "\n    ");
	json_put_cstring(&t->links, url);
	return 0;
}

static void
on_problem(void *ctx, const char *msg)
{
	struct try_out *t = ctx;

	buf_puts(&t->problems, t->nproblems++ ? ",\n    " : "\n    ");
	json_put_cstring(&t->problems, msg);
}

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

static void
print_result(const char *url, const char *site, const struct site_rules *r,
	     const char *charset, const struct try_out *t)
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
	printf(",\n  \"items\": [%s%s]", buf_str(&t->items), t->nitems ? "\n  " : "");
	printf(",\n  \"links\": [%s%s]", buf_str(&t->links), t->nlinks ? "\n  " : "");
	printf(",\n  \"problems\": [%s%s]\n}\n", buf_str(&t->problems), t->nproblems ? "\n  " : "");
	buf_free(&head);
}

int
try_run(const struct try_opts *o)
{
	struct try_out t = { 0 };
	struct diags d = { 0 };
	struct rule_set *set;
	const struct site_rules *r;
	char site[512] = "", ctype[256] = "", final[URL_MAX + 1], charset[96] = "";
	const char *url;
	struct ex_stats stats;
	struct buf body;
	xmlDocPtr doc = NULL;
	int rc = EXIT_FAILED;

	log_init(NULL, NULL, LOGL_INFO);
	ex_init();
	if ((set = rules_load_dir(o->config_dir, !o->config_given, &d)) == NULL) {
		diags_print(&d, stderr);
		diags_free(&d);
		return EXIT_USAGE;
	}
	url = is_url(o->target) ? o->target : o->url;
	if (url == NULL) {
		url = "http://localhost/";
		log_warn("no --url given for %s: using the fallback rules, and %s as its address",
			 o->target, url);
	}
	if (url_site(url, site, sizeof site) == -1) {
		log_error("not an absolute http(s) URL: %s", url);
		rule_set_free(set);
		return EXIT_USAGE;
	}
	r = rules_for_site(set, site);
	buf_init(&body, (size_t)r->max_bytes);
	snprintf(final, sizeof final, "%s", url);
	if (is_url(o->target) ? fetch_page(r, url, &body, ctype, sizeof ctype, final, sizeof final) == -1
			      : read_file(o->target, &body) == -1)
		goto out;
	if (!page_is_html(ctype, buf_str(&body), body.len))
		log_warn("%s is %s, not HTML: a crawl records it but does not parse it", final,
			 ctype[0] ? ctype : "not HTML");
	if ((doc = page_parse(buf_str(&body), body.len, ctype, final, charset,
			      sizeof charset)) == NULL) {
		log_error("%s: libxml2 could not parse the page", final);
		goto out;
	}
	t.site = site;
	t.scope = r->scope;
	buf_init(&t.items, 64u << 20);
	buf_init(&t.links, 64u << 20);
	buf_init(&t.problems, 1u << 20);
	{
		struct ex_sink sink = { &t, on_item, on_link, on_problem };
		ex_apply(r->ex, doc, final, &sink, &stats, NULL);
	}
	print_result(final, site, r, charset, &t);
	rc = EXIT_DONE;
out:
	if (doc != NULL)
		xmlFreeDoc(doc);
	buf_free(&t.items);
	buf_free(&t.links);
	buf_free(&t.problems);
	buf_free(&body);
	rule_set_free(set);
	return rc;
}
