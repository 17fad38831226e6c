/*
 * sitemap.c: sitemaps and robots.txt Sitemap: lines (see sitemap.h).
 *
 * gzip is inflated with zlib into a buffer of at most SITEMAP_MAX_BYTES (several gzip
 * members in a row are read as one stream, as gzip(1) does).  The XML is read with
 * libxml2's SAX2 push parser, in chunks: no tree is built, so a 50 MB sitemap costs
 * the size of its bytes and little more, and the URLs before a fault are kept.  No
 * network, no DTD, no entity expansion; errors are caught, not printed.
 */
#include "config.h"

#include "worker/sitemap.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <libxml/parser.h>
#include <zlib.h>

#include "buf.h"
#include "extract.h"
#include "url.h"
#include "urlset.h"

#define CHUNK (64 * 1024)	/* bytes handed to the push parser at a time */
#define MAX_LOC 65536	/* bytes of one <loc>: far past URL_MAX, so it is refused later */

static bool
is_gzip(const char *body, size_t len)
{
	return len >= 2 && (unsigned char)body[0] == 0x1f && (unsigned char)body[1] == 0x8b;
}

/* Inflate gzip body into out (at most its max).  0, or -1 with res->error set (out
 * holds what was inflated before the fault). */
static int
gunzip(const char *body, size_t len, struct buf *out, struct sitemap_result *res)
{
	char chunk[64 * 1024];
	z_stream z;
	int rc = Z_OK;

	memset(&z, 0, sizeof z);
	if (inflateInit2(&z, 16 + MAX_WBITS) != Z_OK) {
		snprintf(res->error, sizeof res->error, "gzip: cannot start zlib");
		return -1;
	}
	z.next_in = (Bytef *)(uintptr_t)body;
	z.avail_in = (uInt)(len > 0xffffffffu ? 0xffffffffu : len);
	for (;;) {
		z.next_out = (Bytef *)chunk;
		z.avail_out = sizeof chunk;
		rc = inflate(&z, Z_NO_FLUSH);
		if (buf_append(out, chunk, sizeof chunk - z.avail_out) == -1) {
			snprintf(res->error, sizeof res->error,
				 "larger than %u bytes uncompressed: read that far", SITEMAP_MAX_BYTES);
			rc = Z_BUF_ERROR;
			break;
		}
		if (rc == Z_STREAM_END) {
			/* Another gzip member may follow. */
			if (z.avail_in == 0 || !is_gzip((const char *)z.next_in, z.avail_in))
				break;
			inflateReset(&z);
			continue;
		}
		if (rc != Z_OK) {
			snprintf(res->error, sizeof res->error, "gzip: %s",
				 rc == Z_BUF_ERROR ? "the compressed data is cut short"
				 : z.msg != NULL   ? z.msg
						   : "corrupt data");
			break;
		}
	}
	inflateEnd(&z);
	return rc == Z_STREAM_END ? 0 : -1;
}

/*
 * The SAX reading of one sitemap.  The handler table has only what is needed: no
 * entity or DTD handlers, so entity references are dropped, not expanded, and no
 * external subset is ever loaded; every event before a fault has fired when the
 * parser stops at it.
 */
struct reading {
	struct sitemap_result *res;
	sitemap_loc_fn fn;
	void *ctx;
	xmlParserCtxtPtr pc;
	int depth;		/* of the element being read: the root is 0 */
	const char *entry;	/* "url" or "sitemap", once the root is known */
	bool in_entry, in_loc, stopped;
	struct buf loc;
	bool loc_too_long;
	char first_error[200];
};

static void
stop(struct reading *r)
{
	r->stopped = true;
	xmlStopParser(r->pc);
}

static void
on_start(void *arg, const xmlChar *name, const xmlChar *prefix, const xmlChar *uri,
	 int nns, const xmlChar **ns, int nattr, int ndef, const xmlChar **attrs)
{
	struct reading *r = arg;
	const char *n = (const char *)name;

	(void)prefix, (void)uri, (void)nns, (void)ns, (void)nattr, (void)ndef, (void)attrs;
	if (r->stopped)
		return;
	if (r->depth == 0) {
		if (strcmp(n, "urlset") == 0) {
			r->res->kind = SITEMAP_URLSET;
			r->entry = "url";
		} else if (strcmp(n, "sitemapindex") == 0) {
			r->res->kind = SITEMAP_INDEX;
			r->entry = "sitemap";
		} else {
			stop(r); /* another kind of XML: not a sitemap */
			return;
		}
	} else if (r->depth == 1) {
		/* An entry, or something else (an extension; <url> in an index). */
		r->in_entry = strcmp(n, r->entry) == 0;
	} else if (r->depth == 2 && r->in_entry && strcmp(n, "loc") == 0) {
		r->in_loc = true;
		r->loc_too_long = false;
		buf_reset(&r->loc);
	}
	r->depth++;
}

static bool
blank(char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

/* A <loc> ends: hand its text over, trimmed. */
static void
end_loc(struct reading *r)
{
	char *p = r->loc.data, *e;

	r->in_loc = false;
	if (r->loc_too_long || p == NULL)
		return;
	e = p + r->loc.len;
	while (p < e && blank(*p))
		p++;
	while (e > p && blank(e[-1]))
		e--;
	if (p == e)
		return;
	*e = '\0';
	if (r->res->locs >= SITEMAP_MAX_URLS) {
		snprintf(r->res->error, sizeof r->res->error, "more than %d URLs: the rest ignored",
			 SITEMAP_MAX_URLS);
		stop(r);
		return;
	}
	r->res->locs++;
	if (r->fn(r->ctx, p) == -1)
		stop(r);
}

static void
on_end(void *arg, const xmlChar *name, const xmlChar *prefix, const xmlChar *uri)
{
	struct reading *r = arg;

	(void)name, (void)prefix, (void)uri;
	if (r->stopped)
		return;
	r->depth--;
	if (r->depth == 2 && r->in_loc)
		end_loc(r);
}

static void
on_text(void *arg, const xmlChar *s, int len)
{
	struct reading *r = arg;

	if (r->in_loc && !r->stopped && buf_append(&r->loc, s, (size_t)len) == -1)
		r->loc_too_long = true;
}

static void
on_error(void *arg, SCRAPER_XML_ERROR_CONST xmlError *e)
{
	struct reading *r = arg;

	if (r->first_error[0] == '\0' && e != NULL && e->level >= XML_ERR_ERROR) {
		snprintf(r->first_error, sizeof r->first_error, "line %d: %s", e->line,
			 e->message != NULL ? e->message : "malformed");
		r->first_error[strcspn(r->first_error, "\n")] = '\0';
	}
}

static void
read_xml(const char *xml, size_t len, struct reading *r)
{
	struct sitemap_result *res = r->res;
	xmlSAXHandler sax;
	size_t off = 0;
	int rc = 0;

	memset(&sax, 0, sizeof sax);
	sax.initialized = XML_SAX2_MAGIC;
	sax.startElementNs = on_start;
	sax.endElementNs = on_end;
	sax.characters = on_text;
	sax.cdataBlock = on_text;
	sax.serror = on_error;
	r->pc = xmlCreatePushParserCtxt(&sax, r, NULL, 0, NULL);
	if (r->pc == NULL) {
		snprintf(res->error, sizeof res->error, "out of memory starting the XML parser");
		return;
	}
	xmlCtxtUseOptions(r->pc, XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING);
	buf_init(&r->loc, MAX_LOC);
	while (rc == 0 && !r->stopped) {
		size_t n = len - off < CHUNK ? len - off : CHUNK;
		rc = xmlParseChunk(r->pc, xml + off, (int)n, off + n == len);
		off += n;
		if (off == len)
			break;
	}
	if (r->stopped && r->res->kind != SITEMAP_NONE)
		rc = 0; /* stopped on purpose (a limit, the caller): not a fault */
	if (rc != 0 && res->error[0] == '\0' && (res->kind != SITEMAP_NONE || !r->stopped))
		snprintf(res->error, sizeof res->error, "malformed XML at %s%s",
			 r->first_error[0] ? r->first_error : "an unknown place",
			 res->locs ? " (the URLs before it were taken)" : "");
	if (res->kind == SITEMAP_NONE && res->error[0] == '\0')
		snprintf(res->error, sizeof res->error,
			 "not a sitemap: the root element is not <urlset> or <sitemapindex>");
	buf_free(&r->loc);
	/* A DOCTYPE with entity declarations makes the parser keep them in a document of
	 * its own (never used: there is no getEntity handler); it is ours to free. */
	if (r->pc->myDoc != NULL)
		xmlFreeDoc(r->pc->myDoc);
	xmlFreeParserCtxt(r->pc);
}

enum sitemap_kind
sitemap_read(const char *body, size_t len, sitemap_loc_fn fn, void *ctx,
	     struct sitemap_result *res)
{
	struct reading r = { .res = res, .fn = fn, .ctx = ctx };
	struct buf plain;
	char gz_error[sizeof res->error] = "";

	memset(res, 0, sizeof *res);
	buf_init(&plain, SITEMAP_MAX_BYTES);
	if (is_gzip(body, len)) {
		res->gzip = true;
		if (gunzip(body, len, &plain, res) == -1) {
			/* Read what was inflated; the gzip fault is the page's error. */
			memcpy(gz_error, res->error, sizeof gz_error);
			res->error[0] = '\0';
		}
		body = buf_str(&plain);
		len = plain.len;
	} else if (len > SITEMAP_MAX_BYTES) {
		snprintf(gz_error, sizeof gz_error, "larger than %u bytes: read that far",
			 SITEMAP_MAX_BYTES);
		len = SITEMAP_MAX_BYTES;
	}
	if (len == 0)
		snprintf(res->error, sizeof res->error, "empty");
	else
		read_xml(body, len, &r);
	if (gz_error[0] != '\0')
		memcpy(res->error, gz_error, sizeof gz_error);
	buf_free(&plain);
	return res->kind;
}

bool
sitemap_candidate(const char *content_type, const char *url, const char *body, size_t len)
{
	static const char *const types[] = { "application/xml", "text/xml", "application/gzip",
					     "application/x-gzip", "application/rss+xml",
					     "application/atom+xml" };
	const char *path_end;
	size_t n;

	if (is_gzip(body, len))
		return true;
	for (size_t i = 0; content_type != NULL && i < sizeof types / sizeof types[0]; i++) {
		if (strncasecmp(content_type, types[i], strlen(types[i])) == 0)
			return true;
	}
	path_end = url + strcspn(url, "?#");
	n = (size_t)(path_end - url);
	return (n >= 4 && strncasecmp(path_end - 4, ".xml", 4) == 0) ||
	       (n >= 3 && strncasecmp(path_end - 3, ".gz", 3) == 0);
}

size_t
sitemap_robots_lines(const char *body, size_t len, sitemap_loc_fn fn, void *ctx)
{
	const char *p = body, *end = body + len;
	size_t found = 0;
	char url[8192];

	while (p < end && found < SITEMAP_MAX_ROBOTS) {
		const char *eol = p, *v, *ve;
		while (eol < end && *eol != '\n' && *eol != '\r')
			eol++;
		while (p < eol && (*p == ' ' || *p == '\t'))
			p++;
		if (eol - p > 8 && strncasecmp(p, "sitemap", 7) == 0) {
			v = p + 7;
			while (v < eol && (*v == ' ' || *v == '\t'))
				v++;
			if (v < eol && *v == ':') {
				v++;
				ve = v;
				/* A comment ends the value; so does a NUL byte. */
				while (ve < eol && *ve != '#' && *ve != '\0')
					ve++;
				while (v < ve && (*v == ' ' || *v == '\t'))
					v++;
				while (ve > v && (ve[-1] == ' ' || ve[-1] == '\t'))
					ve--;
				if (ve > v && (size_t)(ve - v) < sizeof url) {
					memcpy(url, v, (size_t)(ve - v));
					url[ve - v] = '\0';
					found++;
					if (fn(ctx, url) == -1)
						break;
				}
			}
		}
		p = eol;
		while (p < end && (*p == '\n' || *p == '\r'))
			p++;
	}
	return found;
}

/* ---- a worker's sitemaps ---- */

void
sitemap_list_free(struct sitemap_list *l)
{
	if (l == NULL)
		return;
	for (size_t i = 0; i < l->n; i++)
		free(l->v[i]);
	free(l->v);
	memset(l, 0, sizeof *l);
}

static int
list_add(struct sitemap_list *l, const char *s)
{
	char **v;

	if (l->n == l->cap) {
		size_t cap = l->cap ? l->cap * 2 : 16;
		if ((v = realloc(l->v, cap * sizeof *v)) == NULL)
			return -1;
		l->v = v;
		l->cap = cap;
	}
	if ((l->v[l->n] = strdup(s)) == NULL)
		return -1;
	l->n++;
	return 0;
}

int
sitemap_state_init(struct sitemap_state *st, const char *site, const struct ex_rules *ex)
{
	memset(st, 0, sizeof *st);
	st->site = site;
	st->ex = ex;
	if ((st->expected = calloc(1, sizeof *st->expected)) == NULL)
		return -1;
	urlset_init(st->expected);
	return 0;
}

void
sitemap_state_free(struct sitemap_state *st)
{
	sitemap_list_free(&st->roots);
	if (st->expected != NULL)
		urlset_free(st->expected);
	free(st->expected);
	memset(st, 0, sizeof *st);
}

/* A URL from a sitemap or robots.txt, canonical and of this site, into canon.  0 or -1. */
static int
own_url(const struct sitemap_state *st, const char *raw, struct buf *canon)
{
	buf_reset(canon);
	return url_canonical(raw, canon) == 0 && url_on_site(canon->data, st->site) ? 0 : -1;
}

struct robots_take {
	struct sitemap_state *st;
	struct buf canon;
};

static int
robots_line(void *ctx, const char *loc)
{
	struct robots_take *rt = ctx;

	if (own_url(rt->st, loc, &rt->canon) == 0)
		list_add(&rt->st->roots, rt->canon.data);
	return 0;
}

void
sitemap_state_robots(struct sitemap_state *st, const char *body, size_t len)
{
	struct robots_take rt = { st, { 0 } };

	sitemap_list_free(&st->roots);
	buf_init(&rt.canon, URL_MAX * 4);
	sitemap_robots_lines(body, len, robots_line, &rt);
	buf_free(&rt.canon);
	st->pending = true;
}

struct sitemap_list *
sitemap_state_roots(struct sitemap_state *st, const char *scheme)
{
	struct sitemap_list *l;
	char url[600];

	if (!st->pending || (l = calloc(1, sizeof *l)) == NULL)
		return NULL;
	st->pending = false;
	for (size_t i = 0; i < st->roots.n; i++)
		list_add(l, st->roots.v[i]);
	if (l->n == 0) {
		struct buf canon;
		snprintf(url, sizeof url, "%s://%s/sitemap.xml", scheme, st->site);
		buf_init(&canon, URL_MAX * 4);
		if (own_url(st, url, &canon) == 0)
			list_add(l, canon.data);
		buf_free(&canon);
	}
	for (size_t i = 0; i < l->n; i++)
		urlset_add(st->expected, url_hash(l->v[i], strlen(l->v[i])));
	return l;
}

struct page_take {
	struct sitemap_state *st;
	struct urlset *sent;
	struct sitemap_list *sitemaps, *pages;
	const struct sitemap_result *res;	/* its kind is known before the first <loc> */
	struct buf canon;
	size_t foreign, refused;
};

static int
page_loc(void *ctx, const char *loc)
{
	struct page_take *pt = ctx;
	const char *u;
	uint64_t h;

	if (own_url(pt->st, loc, &pt->canon) == -1) {
		pt->foreign++; /* another site's, or not an http(s) URL: ignored */
		return 0;
	}
	u = pt->canon.data;
	h = url_hash(u, pt->canon.len);
	if (pt->res->kind == SITEMAP_INDEX) {
		if (urlset_add(pt->st->expected, h) == 1)
			list_add(pt->sitemaps, u);
		return 0;
	}
	if (ex_sitemap_allows(pt->st->ex, u) != 1) {
		pt->refused++;
		return 0;
	}
	if (urlset_add(pt->sent, h) == 1)
		list_add(pt->pages, u);
	return 0;
}

bool
sitemap_state_page(struct sitemap_state *st, const char *url, const char *content_type,
		   const char *body, size_t len, struct urlset *sent,
		   struct sitemap_list *sitemaps, struct sitemap_list *pages, char *error,
		   size_t errlen)
{
	struct sitemap_result res;
	struct page_take pt = { st, sent, sitemaps, pages, &res, { 0 }, 0, 0 };
	bool expected = urlset_has(st->expected, url_hash(url, strlen(url)));

	error[0] = '\0';
	if (!expected && !sitemap_candidate(content_type, url, body, len))
		return false;
	buf_init(&pt.canon, URL_MAX * 4);
	sitemap_read(body, len, page_loc, &pt, &res);
	buf_free(&pt.canon);
	if (res.kind == SITEMAP_NONE) {
		/* Some other XML: a sitemap only if this worker sent it up as one. */
		if (expected)
			snprintf(error, errlen, "sitemap: %s", res.error[0] ? res.error : "not a sitemap");
		return expected;
	}
	if (res.error[0] != '\0')
		snprintf(error, errlen, "sitemap: %s", res.error);
	return true;
}
