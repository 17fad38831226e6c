/*
 * fuzz_extract.c: libFuzzer target for the whole extraction path, as a worker runs it
 * on a fetched page (scraper/worker/worker.c's extract_page, and `scraper try`).
 *
 * The input is a rule file, a header block and a page:
 *
 *     site: shop.example          <- the rule file (YAML), compiled as a SITE
 *     ...                            message's text is (rules_load_mem)
 *     %%                          <- a line of its own; "%%" first: no rule file,
 *     Content-Type: text/html        the built-in defaults
 *     X-Robots-Tag: nofollow      <- header lines until a blank line; "Path:" is not
 *     Path: /product/a.html          a header but the page's path on the site (so
 *                                    that items' match: patterns can match it),
 *                                    /a/b.html?q=1 without one
 *
 *     <html>...                   <- the page's bytes
 *
 * Input without a "%%" line is a page alone, under the built-in defaults.  The page
 * goes through the worker's steps and functions: page_is_html, page_parse (charset
 * decision, decoding, libxml2 with the worker's options), robotsmeta_header and
 * robotsmeta_doc for nofollow, ex_apply with the coverage counters and observers on
 * (every field's report, as try --explain shows it, must hold JSON arrays),
 * and every link through the worker's gate (link_gate_check: scope, robots.txt of the
 * site, links already sent).  Every item must be a JSON object, every link an
 * absolute http(s) URL without white space or control bytes, every report named.
 * Any other outcome aborts; everything is freed (LeakSanitizer checks).
 * Seed corpus: tests/fuzz/extract.in/.
 */
#include "config.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <jansson.h>
#include <libxml/HTMLparser.h>

#include "buf.h"
#include "cssmatch.h"
#include "extract.h"
#include "rules/rules.h"
#include "url.h"
#include "urlset.h"
#include "worker/linkgate.h"
#include "worker/page.h"
#include "worker/robots.h"
#include "worker/robotsmeta.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

struct run {
	struct link_gate gate;
	size_t items, links;
};

static int
on_item(void *ctx, const char *type, unsigned idx, const char *json, size_t len)
{
	struct run *r = ctx;
	json_error_t je;
	json_t *v;

	(void)idx;
	if (type == NULL || *type == '\0' || json == NULL || strlen(json) != len)
		abort();
	if ((v = json_loadb(json, len, JSON_DECODE_ANY, &je)) == NULL || !json_is_object(v))
		abort();
	json_decref(v);
	r->items++;
	return 0;
}

static int
on_link(void *ctx, const char *url)
{
	struct run *r = ctx;
	enum link_why why;

	if (strncmp(url, "http://", 7) != 0 && strncmp(url, "https://", 8) != 0)
		abort();
	for (const unsigned char *p = (const unsigned char *)url; *p; p++)
		if (*p <= ' ' || *p == 0x7f)
			abort();
	why = link_gate_check(&r->gate, url);
	if (link_why_text(why)[0] == '\0' || link_why_text(why)[0] == '?')
		abort();
	r->links += why == LINK_TAKEN;
	return 0;
}

static void
on_problem(void *ctx, const char *msg)
{
	(void)ctx;
	if (msg == NULL || *msg == '\0')
		abort();
}

/* What try --explain shows of a field: its values and what was dropped, JSON arrays. */
static void
watch_field(void *ctx, const struct ex_field_report *f)
{
	json_error_t je;
	json_t *v, *d, *e;
	size_t i;

	(void)ctx;
	if (f->item == NULL || f->field == NULL || f->selector == NULL)
		abort();
	if ((v = json_loads(f->values, 0, &je)) == NULL || !json_is_array(v) ||
	    json_array_size(v) != f->nvalues)
		abort();
	if ((d = json_loads(f->dropped, 0, &je)) == NULL || !json_is_array(d) ||
	    json_array_size(d) > EX_EXPLAIN_DROPPED)
		abort();
	json_array_foreach(d, i, e) {
		json_t *why = json_object_get(e, "why");
		if (!json_is_string(json_object_get(e, "text")) || !json_is_string(why) ||
		    json_string_length(why) == 0)
			abort();
	}
	json_decref(v);
	json_decref(d);
}

static void
watch_item(void *ctx, const struct ex_item_report *it)
{
	(void)ctx;
	if (it->type == NULL || it->why == NULL || (it->stored && *it->why != '\0'))
		abort();
}

static void
watch_link(void *ctx, const struct ex_link_report *l)
{
	(void)ctx;
	if (l->url == NULL || l->rule == NULL || l->why == NULL ||
	    (l->verdict != EX_LINK_OFFERED && *l->why == '\0'))
		abort();
}

/* The page's address: path on the rule file's first site when it names one host; a
 * path that does not make an address with it is replaced by the default one. */
static void
page_url(const struct site_rules *r, const char *path, char *out, size_t outlen)
{
	const char *host = "shop.example";
	char site[512];
	struct buf canon;
	int i;

	if (r->nsites > 0 && strchr(r->sites[0], '*') == NULL && strlen(r->sites[0]) <= 200)
		host = r->sites[0];
	buf_init(&canon, URL_MAX * 4);
	for (i = 0; i < 4; i++) {
		snprintf(out, outlen, "http://%s%s", i & 1 ? "shop.example" : host,
			 i & 2 ? "/a/b.html?q=1" : path);
		buf_reset(&canon);
		/* As a worker gets it: canonical (the coordinator sends only those). */
		if (url_site(out, site, sizeof site) == 0 && url_canonical(out, &canon) == 0 &&
		    canon.len < outlen) {
			memcpy(out, canon.data, canon.len + 1);
			break;
		}
	}
	buf_free(&canon);
	if (i == 4)
		abort(); /* the default address is one */
}

/* The header lines h[0..n): Content-Type into ctype, X-Robots-Tag into *meta, Path into
 * path (from its "/", without white space). */
static void
read_headers(const char *h, size_t n, char *ctype, size_t ctlen, unsigned *meta,
	     const char *token, char *path, size_t pathlen)
{
	char line[1024];

	while (n > 0) {
		const char *nl = memchr(h, '\n', n);
		size_t k = nl != NULL ? (size_t)(nl - h) : n;

		snprintf(line, sizeof line, "%.*s", (int)(k < sizeof line ? k : sizeof line - 1), h);
		line[strcspn(line, "\r")] = '\0';
		if (strncasecmp(line, "Content-Type:", 13) == 0)
			snprintf(ctype, ctlen, "%s", line + 13 + strspn(line + 13, " \t"));
		else if (strncasecmp(line, "X-Robots-Tag:", 13) == 0)
			*meta |= robotsmeta_header(line + 13, token);
		else if (strncasecmp(line, "Path:", 5) == 0) {
			const char *p = line + 5 + strspn(line + 5, " \t");
			if (*p == '/')
				snprintf(path, pathlen, "%.*s", (int)strcspn(p, " \t"), p);
		}
		h += k + (nl != NULL);
		n -= k + (nl != NULL);
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char robots_txt[] = "User-agent: *\nDisallow: /private\nAllow: /\n";
	static int ready;
	const char *in = (const char *)data, *sep = NULL, *page = in;
	size_t plen = size, hlen = 0;
	struct site_rules *r;
	struct diags d = { 0 };
	struct robots *robots = NULL;
	struct urlset sent;
	struct run run = { 0 };
	struct ex_stats stats;
	char url[1200], site[512], ctype[1024] = "", note[96] = "", cut[200] = "", token[64];
	char path[600] = "/a/b.html?q=1";
	unsigned meta = 0;
	uint32_t *coverage = NULL;
	struct css_index *ix;
	xmlDocPtr doc;

	if (!ready) {
		ex_init();
		ready = 1;
	}
	/* The rule file ends at a line "%%". */
	if (size >= 3 && memcmp(in, "%%\n", 3) == 0)
		sep = in;
	for (size_t i = 0; sep == NULL && i + 4 <= size; i++)
		if (memcmp(in + i, "\n%%\n", 4) == 0)
			sep = in + i + 1;
	if (sep != NULL) {
		const char *h = sep + 3, *end = in + size, *blank;

		r = sep > in ? rules_load_mem("fuzz.yaml", in, (size_t)(sep - in), &d)
			     : rules_builtin();
		blank = h < end ? memmem(h, (size_t)(end - h), "\n\n", 2) : NULL;
		hlen = blank != NULL ? (size_t)(blank - h) : (size_t)(end - h);
		page = blank != NULL ? blank + 2 : end;
		plen = (size_t)(end - page);
	} else {
		r = rules_builtin();
		hlen = 0;
	}
	diags_free(&d);
	if (r == NULL)
		return 0;
	robots_product_token(r->user_agent, token, sizeof token);
	if (sep != NULL)
		read_headers(sep + 3, hlen, ctype, sizeof ctype, &meta, token, path, sizeof path);
	page_url(r, path, url, sizeof url);
	if (url_site(url, site, sizeof site) == -1)
		abort();
	/* An exact-size copy of the body, as a fetch leaves it. */
	char *body = malloc(plen ? plen : 1);
	if (body == NULL)
		goto out;
	memcpy(body, page, plen);
	if (!page_is_html(ctype[0] ? ctype : NULL, body, plen)) {
		free(body);
		goto out;
	}
	doc = page_parse(body, plen, ctype[0] ? ctype : NULL, url, note, sizeof note, cut,
			 sizeof cut);
	if (note[0] == '\0')
		abort();
	if (doc != NULL) {
		struct ex_sink sink = { &run, on_item, on_link, on_problem };
		struct ex_observer obs = { &run, NULL, watch_field, watch_item, watch_link };
		size_t ncov = ex_coverage_size(r->ex);

		urlset_init(&sent);
		/* As the worker does: one index for robotsmeta and the rules, which must read
		 * the same as the walk of the page it saves. */
		ix = css_index_new(doc);
		if (r->robots) {
			robots = robots_parse(robots_txt, sizeof robots_txt - 1, r->user_agent);
			unsigned in_page = robotsmeta_doc(doc, ix, token);
			if (ix != NULL && robotsmeta_doc(doc, NULL, token) != in_page)
				abort();
			meta |= in_page;
		}
		run.gate = (struct link_gate){ .site = site, .any_site = r->scope == SCOPE_ANY,
					       .nofollow = (meta & ROBOTSMETA_NOFOLLOW) != 0,
					       .robots = robots, .sent = &sent };
		/* A seed is at depth 0: at max_depth 0 its links are not looked for. */
		if (r->max_depth <= 0)
			sink.link = NULL;
		if (ncov > 0 && (coverage = calloc(ncov, sizeof *coverage)) == NULL)
			abort();
		obs.coverage = coverage;
		ex_apply(r->ex, doc, ix, url, &sink, &stats, &obs);
		if (stats.items != run.items)
			abort();
		css_index_free(ix);
		xmlFreeDoc(doc);
		urlset_free(&sent);
		robots_free(robots);
		free(coverage);
	}
	free(body);
out:
	rules_free(r);
	return 0;
}
