/*
 * ipc.c: frame encoding and decoding (see ipc.h for the layout).
 *
 * Encoding writes the header with a zero length, appends the fields, then patches the
 * length; any failure truncates the output back to where the frame began.  Decoding
 * reads fields through a cursor that fails once on the first out-of-bounds read, and a
 * message is accepted only if its fields used exactly the payload.
 */
#include "config.h"

#include "ipc/ipc.h"

#include <stdio.h>
#include <string.h>
#include <unistd.h>

/* ---- encoding ---- */

struct enc {
	struct buf *out;
	size_t start;
	int failed;
};

static void
enc_raw(struct enc *e, const void *p, size_t n)
{
	if (!e->failed && buf_append(e->out, p, n) == -1)
		e->failed = 1;
}

static void enc_u32(struct enc *e, uint32_t v) { enc_raw(e, &v, sizeof v); }
static void enc_i32(struct enc *e, int32_t v) { enc_raw(e, &v, sizeof v); }
static void enc_u64(struct enc *e, uint64_t v) { enc_raw(e, &v, sizeof v); }
static void enc_i64(struct enc *e, int64_t v) { enc_raw(e, &v, sizeof v); }

static void
enc_str(struct enc *e, const char *s)
{
	size_t n = s != NULL ? strlen(s) : 0;

	if (n > IPC_MAX_PAYLOAD) {
		e->failed = 1;
		return;
	}
	enc_u32(e, (uint32_t)n);
	enc_raw(e, s != NULL ? s : "", n + 1);
}

static void
enc_begin(struct enc *e, struct buf *out, uint32_t type, uint32_t site)
{
	struct ipc_header h = { type, 0, site, (uint32_t)getpid() };

	e->out = out;
	e->start = out->len;
	e->failed = 0;
	enc_raw(e, &h, sizeof h);
}

static int
enc_end(struct enc *e)
{
	size_t len = e->out->len - e->start - IPC_HEADER_SIZE;
	uint32_t len32;

	if (e->failed || len > IPC_MAX_PAYLOAD) {
		e->out->len = e->start;
		if (e->out->data != NULL)
			e->out->data[e->start] = '\0';
		return -1;
	}
	len32 = (uint32_t)len;
	memcpy(e->out->data + e->start + offsetof(struct ipc_header, len), &len32,
	       sizeof len32);
	return 0;
}

int
ipc_put_site(struct buf *out, uint32_t site, const struct ipc_site *m)
{
	struct enc e;

	enc_begin(&e, out, IPC_SITE, site);
	enc_str(&e, m->site);
	enc_str(&e, m->rules_name);
	enc_str(&e, m->rules_text);
	enc_i32(&e, m->robots_status);
	enc_i64(&e, m->robots_fetched_at);
	enc_str(&e, m->robots_body);
	enc_u32(&e, m->log_level);
	enc_u32(&e, m->max_depth);
	enc_u32(&e, m->flags);
	enc_u32(&e, m->concurrency);
	enc_str(&e, m->resolve);
	enc_str(&e, m->dns_error);
	enc_u32(&e, m->pool_memory_mb);
	enc_u32(&e, m->pool_concurrency);
	return enc_end(&e);
}

int
ipc_put_fetch(struct buf *out, uint32_t site, const struct ipc_fetch *m)
{
	struct enc e;

	enc_begin(&e, out, IPC_FETCH, site);
	enc_u64(&e, m->id);
	enc_u32(&e, m->depth);
	enc_u32(&e, m->attempt);
	enc_str(&e, m->url);
	enc_str(&e, m->etag);
	enc_str(&e, m->last_modified);
	return enc_end(&e);
}

int
ipc_put_stop(struct buf *out, uint32_t site)
{
	struct enc e;

	enc_begin(&e, out, IPC_STOP, site);
	return enc_end(&e);
}

int
ipc_put_next(struct buf *out, uint32_t site)
{
	struct enc e;

	enc_begin(&e, out, IPC_NEXT, site);
	return enc_end(&e);
}

int
ipc_put_ready(struct buf *out, uint32_t site, const struct ipc_ready *m)
{
	struct enc e;

	enc_begin(&e, out, IPC_READY, site);
	enc_u64(&e, m->cpu_ms);
	enc_u64(&e, m->maxrss_kb);
	return enc_end(&e);
}

int
ipc_put_robots(struct buf *out, uint32_t site, const struct ipc_robots *m)
{
	struct enc e;

	enc_begin(&e, out, IPC_ROBOTS, site);
	enc_i32(&e, m->status);
	enc_i64(&e, m->fetched_at);
	enc_str(&e, m->body);
	return enc_end(&e);
}

int
ipc_put_page(struct buf *out, uint32_t site, const struct ipc_page *m)
{
	struct enc e;

	enc_begin(&e, out, IPC_PAGE, site);
	enc_u64(&e, m->id);
	enc_i32(&e, m->status);
	enc_u32(&e, m->flags);
	enc_u64(&e, m->bytes);
	enc_u32(&e, m->elapsed_ms);
	enc_i32(&e, m->retry_after_ms);
	enc_str(&e, m->final_url);
	enc_str(&e, m->content_type);
	enc_str(&e, m->error);
	enc_str(&e, m->etag);
	enc_str(&e, m->last_modified);
	enc_str(&e, m->charset);
	return enc_end(&e);
}

int
ipc_put_item(struct buf *out, uint32_t site, const struct ipc_item *m)
{
	struct enc e;

	enc_begin(&e, out, IPC_ITEM, site);
	enc_u64(&e, m->id);
	enc_u32(&e, m->idx);
	enc_str(&e, m->type);
	enc_str(&e, m->data);
	return enc_end(&e);
}

int
ipc_put_links(struct buf *out, uint32_t site, const struct ipc_links *m)
{
	struct enc e;

	if (m->count > IPC_MAX_LINKS_PER_FRAME || m->kind > LINK_KIND_MAX)
		return -1;
	enc_begin(&e, out, IPC_LINKS, site);
	enc_u64(&e, m->id);
	enc_u32(&e, m->kind);
	enc_u32(&e, m->count);
	for (uint32_t i = 0; i < m->count; i++)
		enc_str(&e, m->urls[i]);
	return enc_end(&e);
}

int
ipc_put_done(struct buf *out, uint32_t site, uint64_t id, uint32_t problems)
{
	struct enc e;

	enc_begin(&e, out, IPC_DONE, site);
	enc_u64(&e, id);
	enc_u32(&e, problems);
	return enc_end(&e);
}

int
ipc_put_coverage(struct buf *out, uint32_t site, uint64_t id, const uint32_t *counts,
		 size_t n)
{
	struct enc e;

	if (n > IPC_MAX_COVERAGE)
		return -1;
	enc_begin(&e, out, IPC_COVERAGE, site);
	enc_u64(&e, id);
	enc_u32(&e, (uint32_t)n);
	enc_raw(&e, counts, n * sizeof *counts);
	return enc_end(&e);
}

int
ipc_put_problem(struct buf *out, uint32_t site, const struct ipc_problem *m)
{
	struct enc e;

	if (m->text == NULL || strlen(m->text) > IPC_MAX_PROBLEM)
		return -1;
	enc_begin(&e, out, IPC_PROBLEM, site);
	enc_u64(&e, m->id);
	enc_str(&e, m->text);
	return enc_end(&e);
}

int
ipc_put_body(struct buf *out, uint32_t site, const struct ipc_body *m)
{
	struct enc e;

	if (m->len > IPC_BODY_CHUNK || m->total > IPC_MAX_BODY || m->offset > m->total ||
	    m->len > m->total - m->offset || m->size > IPC_MAX_BODY ||
	    m->digest == NULL || strlen(m->digest) != 64 ||
	    (m->headers != NULL && strlen(m->headers) > IPC_MAX_HEADERS))
		return -1;
	enc_begin(&e, out, IPC_BODY, site);
	enc_u64(&e, m->id);
	enc_u64(&e, m->offset);
	enc_u64(&e, m->total);
	enc_u64(&e, m->size);
	enc_str(&e, m->digest);
	enc_str(&e, m->headers);
	enc_u32(&e, m->len);
	enc_raw(&e, m->data, m->len);
	return enc_end(&e);
}

/* ---- decoding ---- */

struct dec {
	const char *p;
	size_t left;
	const char *why;	/* first failure, NULL while all is well */
};

static void
dec_raw(struct dec *d, void *out, size_t n)
{
	if (d->why != NULL || d->left < n) {
		if (d->why == NULL)
			d->why = "payload too short";
		memset(out, 0, n);
		return;
	}
	memcpy(out, d->p, n);
	d->p += n;
	d->left -= n;
}

static uint32_t dec_u32(struct dec *d) { uint32_t v; dec_raw(d, &v, sizeof v); return v; }
static int32_t dec_i32(struct dec *d) { int32_t v; dec_raw(d, &v, sizeof v); return v; }
static uint64_t dec_u64(struct dec *d) { uint64_t v; dec_raw(d, &v, sizeof v); return v; }
static int64_t dec_i64(struct dec *d) { int64_t v; dec_raw(d, &v, sizeof v); return v; }

static const char *
dec_str(struct dec *d)
{
	uint32_t n = dec_u32(d);
	const char *s;

	if (d->why != NULL)
		return "";
	if (n >= d->left || d->p[n] != '\0') {
		d->why = "bad string length";
		return "";
	}
	s = d->p;
	d->p += (size_t)n + 1;
	d->left -= (size_t)n + 1;
	return s;
}

static void
dec_site(struct dec *d, struct ipc_site *m)
{
	m->site = dec_str(d);
	m->rules_name = dec_str(d);
	m->rules_text = dec_str(d);
	m->robots_status = dec_i32(d);
	m->robots_fetched_at = dec_i64(d);
	m->robots_body = dec_str(d);
	m->log_level = dec_u32(d);
	m->max_depth = dec_u32(d);
	m->flags = dec_u32(d);
	m->concurrency = dec_u32(d);
	m->resolve = dec_str(d);
	m->dns_error = dec_str(d);
	m->pool_memory_mb = dec_u32(d);
	m->pool_concurrency = dec_u32(d);
}

static void
dec_fetch(struct dec *d, struct ipc_fetch *m)
{
	m->id = dec_u64(d);
	m->depth = dec_u32(d);
	m->attempt = dec_u32(d);
	m->url = dec_str(d);
	m->etag = dec_str(d);
	m->last_modified = dec_str(d);
}

static void
dec_robots(struct dec *d, struct ipc_robots *m)
{
	m->status = dec_i32(d);
	m->fetched_at = dec_i64(d);
	m->body = dec_str(d);
}

static void
dec_page(struct dec *d, struct ipc_page *m)
{
	m->id = dec_u64(d);
	m->status = dec_i32(d);
	m->flags = dec_u32(d);
	m->bytes = dec_u64(d);
	m->elapsed_ms = dec_u32(d);
	m->retry_after_ms = dec_i32(d);
	m->final_url = dec_str(d);
	m->content_type = dec_str(d);
	m->error = dec_str(d);
	m->etag = dec_str(d);
	m->last_modified = dec_str(d);
	m->charset = dec_str(d);
}

static void
dec_item(struct dec *d, struct ipc_item *m)
{
	m->id = dec_u64(d);
	m->idx = dec_u32(d);
	m->type = dec_str(d);
	m->data = dec_str(d);
}

static void
dec_links(struct dec *d, struct ipc_links *m)
{
	m->id = dec_u64(d);
	m->kind = dec_u32(d);
	m->count = dec_u32(d);
	if (d->why == NULL && m->count > IPC_MAX_LINKS_PER_FRAME) {
		d->why = "too many links in one frame";
		return;
	}
	if (d->why == NULL && m->kind > LINK_KIND_MAX)
		d->why = "unknown link kind";
	for (uint32_t i = 0; i < m->count && d->why == NULL; i++)
		m->urls[i] = dec_str(d);
}

static void
dec_coverage(struct dec *d, struct ipc_coverage *m)
{
	m->id = dec_u64(d);
	m->count = dec_u32(d);
	if (d->why == NULL && m->count > IPC_MAX_COVERAGE) {
		d->why = "too many coverage counters";
		return;
	}
	dec_raw(d, m->counts, m->count * sizeof *m->counts);
}

static void
dec_problem(struct dec *d, struct ipc_problem *m)
{
	m->id = dec_u64(d);
	m->text = dec_str(d);
	if (d->why == NULL && strlen(m->text) > IPC_MAX_PROBLEM)
		d->why = "problem text too long";
}

static void
dec_body(struct dec *d, struct ipc_body *m)
{
	m->id = dec_u64(d);
	m->offset = dec_u64(d);
	m->total = dec_u64(d);
	m->size = dec_u64(d);
	m->digest = dec_str(d);
	m->headers = dec_str(d);
	m->len = dec_u32(d);
	m->data = "";
	if (d->why != NULL)
		return;
	if (strlen(m->digest) != 64 || strspn(m->digest, "0123456789abcdef") != 64)
		d->why = "bad body digest";
	else if (m->size > IPC_MAX_BODY)
		d->why = "body too large";
	else if (strlen(m->headers) > IPC_MAX_HEADERS)
		d->why = "headers too long";
	else if (m->len > IPC_BODY_CHUNK)
		d->why = "body chunk too large";
	else if (m->total > IPC_MAX_BODY || m->offset > m->total ||
		 m->len > m->total - m->offset)
		d->why = "body chunk out of bounds";
	else if (m->len > d->left)
		d->why = "payload too short";
	if (d->why != NULL)
		return;
	m->data = d->p;
	d->p += m->len;
	d->left -= m->len;
}

int
ipc_next(const struct buf *in, size_t off, struct ipc_msg *m, size_t *used,
	 char *err, size_t errlen)
{
	struct dec d;

	if (in->len < off || in->len - off < IPC_HEADER_SIZE)
		return 0;
	memcpy(&m->hdr, in->data + off, sizeof m->hdr);
	if (m->hdr.type == 0 || m->hdr.type >= IPC_TYPE_MAX) {
		snprintf(err, errlen, "unknown message type %u", m->hdr.type);
		return -1;
	}
	if (m->hdr.len > IPC_MAX_PAYLOAD) {
		snprintf(err, errlen, "%s frame of %u bytes is over the limit",
			 ipc_type_name(m->hdr.type), m->hdr.len);
		return -1;
	}
	if (in->len - off - IPC_HEADER_SIZE < m->hdr.len)
		return 0;
	d.p = in->data + off + IPC_HEADER_SIZE;
	d.left = m->hdr.len;
	d.why = NULL;
	switch (m->hdr.type) {
	case IPC_SITE: dec_site(&d, &m->u.site); break;
	case IPC_FETCH: dec_fetch(&d, &m->u.fetch); break;
	case IPC_STOP: break;
	case IPC_NEXT: break;
	case IPC_READY:
		m->u.ready.cpu_ms = dec_u64(&d);
		m->u.ready.maxrss_kb = dec_u64(&d);
		break;
	case IPC_ROBOTS: dec_robots(&d, &m->u.robots); break;
	case IPC_PAGE: dec_page(&d, &m->u.page); break;
	case IPC_ITEM: dec_item(&d, &m->u.item); break;
	case IPC_LINKS: dec_links(&d, &m->u.links); break;
	case IPC_DONE:
		m->u.done.id = dec_u64(&d);
		m->u.done.problems = dec_u32(&d);
		break;
	case IPC_COVERAGE: dec_coverage(&d, &m->u.coverage); break;
	case IPC_PROBLEM: dec_problem(&d, &m->u.problem); break;
	case IPC_BODY: dec_body(&d, &m->u.body); break;
	}
	if (d.why == NULL && d.left != 0)
		d.why = "payload longer than its fields";
	if (d.why != NULL) {
		snprintf(err, errlen, "malformed %s frame: %s", ipc_type_name(m->hdr.type),
			 d.why);
		return -1;
	}
	*used = IPC_HEADER_SIZE + m->hdr.len;
	return 1;
}

const char *
ipc_type_name(uint32_t type)
{
	static const char *names[] = {
		"?", "SITE", "FETCH", "STOP", "ROBOTS", "PAGE", "ITEM", "LINKS", "DONE",
		"COVERAGE",
		"PROBLEM", "BODY", "NEXT", "READY",
	};

	return type < IPC_TYPE_MAX ? names[type] : "?";
}
