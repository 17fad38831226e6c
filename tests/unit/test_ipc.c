/*
 * test_ipc.c: frame encoding and decoding (scraper/ipc/ipc.c), including hostile frames.
 */
#include "config.h"

#include <ctype.h>
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ipc/ipc.h"
#include "unit.h"

static char err[256];

static void
test_fetch_roundtrip(void **state)
{
	struct ipc_fetch f = { 42, 3, 1, "http://a.example/x", "\"e1\"", "" };
	struct ipc_msg m;
	struct buf b;
	size_t used;

	buf_init(&b, 1 << 20);
	assert_int_equal(ipc_put_fetch(&b, 7, &f), 0);
	assert_int_equal(ipc_next(&b, 0, &m, &used, err, sizeof err), 1);
	assert_int_equal(used, b.len);
	assert_int_equal(m.hdr.type, IPC_FETCH);
	assert_int_equal(m.hdr.site, 7);
	assert_int_equal(m.hdr.pid, (uint32_t)getpid());
	assert_int_equal(m.u.fetch.id, 42);
	assert_int_equal(m.u.fetch.depth, 3);
	assert_int_equal(m.u.fetch.attempt, 1);
	assert_string_equal(m.u.fetch.url, "http://a.example/x");
	assert_string_equal(m.u.fetch.etag, "\"e1\"");
	assert_string_equal(m.u.fetch.last_modified, "");
	buf_free(&b);
}

static void
test_every_type_roundtrips(void **state)
{
	struct ipc_site s = { "127.0.0.1:8081", "/c/a.yaml", "site: x\n", 200, 1700000000, "User-agent: *\n", 2, 7, SITE_STORE_BODIES | SITE_DNS_RETRYABLE, 3,
				"a.example:80:192.0.2.1,[2001:db8::1]\na.example:443:192.0.2.1,[2001:db8::1]", "", 512, 8 };
	struct ipc_robots r = { 404, 1700000001, "" };
	struct ipc_page p = { 9, 200, PAGE_TRUNCATED, 123456789012ULL, 15, -1,
			      "http://a/x", "text/html", "cut", "e", "lm", "utf-8 (header)" };
	struct ipc_item it = { 9, 2, "book", "{\"t\":\"x\"}" };
	static struct ipc_links l = { 9, LINK_REDIRECT, 2, { "http://a/1", "http://b/2" } };
	static struct ipc_msg m;
	struct buf b;
	size_t off = 0, used;

	buf_init(&b, 1 << 20);
	assert_int_equal(ipc_put_site(&b, 1, &s), 0);
	assert_int_equal(ipc_put_robots(&b, 1, &r), 0);
	assert_int_equal(ipc_put_page(&b, 1, &p), 0);
	assert_int_equal(ipc_put_item(&b, 1, &it), 0);
	assert_int_equal(ipc_put_links(&b, 1, &l), 0);
	assert_int_equal(ipc_put_done(&b, 1, 9, 3), 0);
	assert_int_equal(ipc_put_stop(&b, 1), 0);
	assert_int_equal(ipc_put_next(&b, 1), 0);
	assert_int_equal(ipc_put_ready(&b, 5, &(struct ipc_ready){ 1234, 56789 }), 0);

	assert_int_equal(ipc_next(&b, off, &m, &used, err, sizeof err), 1);
	assert_int_equal(m.hdr.type, IPC_SITE);
	assert_string_equal(m.u.site.site, "127.0.0.1:8081");
	assert_string_equal(m.u.site.rules_name, "/c/a.yaml");
	assert_string_equal(m.u.site.rules_text, "site: x\n");
	assert_int_equal(m.u.site.robots_status, 200);
	assert_int_equal(m.u.site.robots_fetched_at, 1700000000);
	assert_string_equal(m.u.site.robots_body, "User-agent: *\n");
	assert_int_equal(m.u.site.log_level, 2);
	assert_int_equal(m.u.site.max_depth, 7);
	assert_int_equal(m.u.site.concurrency, 3);
	assert_int_equal(m.u.site.flags, SITE_STORE_BODIES | SITE_DNS_RETRYABLE);
	assert_string_equal(m.u.site.resolve,
			    "a.example:80:192.0.2.1,[2001:db8::1]\na.example:443:192.0.2.1,[2001:db8::1]");
	assert_string_equal(m.u.site.dns_error, "");
	assert_int_equal(m.u.site.pool_memory_mb, 512);
	assert_int_equal(m.u.site.pool_concurrency, 8);
	off += used;
	assert_int_equal(ipc_next(&b, off, &m, &used, err, sizeof err), 1);
	assert_int_equal(m.hdr.type, IPC_ROBOTS);
	assert_int_equal(m.u.robots.status, 404);
	assert_string_equal(m.u.robots.body, "");
	off += used;
	assert_int_equal(ipc_next(&b, off, &m, &used, err, sizeof err), 1);
	assert_int_equal(m.hdr.type, IPC_PAGE);
	assert_int_equal(m.u.page.bytes, 123456789012ULL);
	assert_int_equal(m.u.page.retry_after_ms, -1);
	assert_int_equal(m.u.page.flags, PAGE_TRUNCATED);
	assert_string_equal(m.u.page.charset, "utf-8 (header)");
	assert_string_equal(m.u.page.error, "cut");
	off += used;
	assert_int_equal(ipc_next(&b, off, &m, &used, err, sizeof err), 1);
	assert_int_equal(m.hdr.type, IPC_ITEM);
	assert_int_equal(m.u.item.idx, 2);
	assert_string_equal(m.u.item.data, "{\"t\":\"x\"}");
	off += used;
	assert_int_equal(ipc_next(&b, off, &m, &used, err, sizeof err), 1);
	assert_int_equal(m.hdr.type, IPC_LINKS);
	assert_int_equal(m.u.links.kind, LINK_REDIRECT);
	assert_int_equal(m.u.links.count, 2);
	assert_string_equal(m.u.links.urls[1], "http://b/2");
	off += used;
	assert_int_equal(ipc_next(&b, off, &m, &used, err, sizeof err), 1);
	assert_int_equal(m.hdr.type, IPC_DONE);
	assert_int_equal(m.u.done.id, 9);
	assert_int_equal(m.u.done.problems, 3);
	off += used;
	assert_int_equal(ipc_next(&b, off, &m, &used, err, sizeof err), 1);
	assert_int_equal(m.hdr.type, IPC_STOP);
	assert_int_equal(m.hdr.len, 0);
	off += used;
	assert_int_equal(ipc_next(&b, off, &m, &used, err, sizeof err), 1);
	assert_int_equal(m.hdr.type, IPC_NEXT);
	assert_int_equal(m.hdr.len, 0);
	assert_string_equal(ipc_type_name(m.hdr.type), "NEXT");
	off += used;
	assert_int_equal(ipc_next(&b, off, &m, &used, err, sizeof err), 1);
	assert_int_equal(m.hdr.type, IPC_READY);
	assert_int_equal(m.hdr.site, 5);
	assert_int_equal(m.u.ready.cpu_ms, 1234);
	assert_int_equal(m.u.ready.maxrss_kb, 56789);
	assert_string_equal(ipc_type_name(m.hdr.type), "READY");
	off += used;
	assert_int_equal(off, b.len);
	assert_int_equal(ipc_next(&b, off, &m, &used, err, sizeof err), 0);
	buf_free(&b);
}

static void
test_partial_frames_wait(void **state)
{
	struct ipc_fetch f = { 1, 0, 0, "http://a/", "", "" };
	struct ipc_msg m;
	struct buf whole, part;
	size_t used;

	buf_init(&whole, 4096);
	buf_init(&part, 4096);
	ipc_put_fetch(&whole, 1, &f);
	for (size_t n = 0; n < whole.len; n++) {
		buf_reset(&part);
		buf_append(&part, whole.data, n);
		assert_int_equal(ipc_next(&part, 0, &m, &used, err, sizeof err), 0);
	}
	buf_free(&whole);
	buf_free(&part);
}

static void
raw_frame(struct buf *b, uint32_t type, uint32_t len, const void *payload, size_t n)
{
	struct ipc_header h = { type, len, 1, 1 };

	buf_reset(b);
	buf_append(b, &h, sizeof h);
	buf_append(b, payload, n);
}

static void
test_hostile_frames_rejected(void **state)
{
	struct ipc_msg m;
	struct buf b;
	size_t used;
	uint64_t id = 5;
	char bad[64];

	buf_init(&b, 4096);
	/* Oversized length: refused from the header alone, no payload needed. */
	raw_frame(&b, IPC_PAGE, IPC_MAX_PAYLOAD + 1, NULL, 0);
	assert_int_equal(ipc_next(&b, 0, &m, &used, err, sizeof err), -1);
	assert_non_null(strstr(err, "over the limit"));
	raw_frame(&b, 0xffffffffu, 0xffffffffu, NULL, 0);
	assert_int_equal(ipc_next(&b, 0, &m, &used, err, sizeof err), -1);
	/* Unknown types. */
	raw_frame(&b, 0, 0, NULL, 0);
	assert_int_equal(ipc_next(&b, 0, &m, &used, err, sizeof err), -1);
	raw_frame(&b, IPC_TYPE_MAX, 0, NULL, 0);
	assert_int_equal(ipc_next(&b, 0, &m, &used, err, sizeof err), -1);
	assert_non_null(strstr(err, "unknown message type"));
	/* DONE with a short payload, and with one byte too many. */
	raw_frame(&b, IPC_DONE, 4, &id, 4);
	assert_int_equal(ipc_next(&b, 0, &m, &used, err, sizeof err), -1);
	memset(bad, 0, sizeof bad);
	memcpy(bad, &id, 8);
	bad[12] = 'x';
	raw_frame(&b, IPC_DONE, 13, bad, 13);
	assert_int_equal(ipc_next(&b, 0, &m, &used, err, sizeof err), -1);
	assert_non_null(strstr(err, "longer than its fields"));
	/* An ITEM whose string length runs past the payload. */
	{
		uint32_t big = 1000;
		memset(bad, 0, sizeof bad);
		memcpy(bad, &id, 8);
		memcpy(bad + 12, &big, 4);
		raw_frame(&b, IPC_ITEM, 24, bad, 24);
		assert_int_equal(ipc_next(&b, 0, &m, &used, err, sizeof err), -1);
		assert_non_null(strstr(err, "bad string length"));
	}
	/* A string without its NUL. */
	{
		uint32_t one = 1;
		memset(bad, 0, sizeof bad);
		memcpy(bad, &id, 8);
		memcpy(bad + 12, &one, 4);
		bad[16] = 'a';
		bad[17] = 'b'; /* where the NUL should be */
		raw_frame(&b, IPC_ITEM, 18, bad, 18);
		assert_int_equal(ipc_next(&b, 0, &m, &used, err, sizeof err), -1);
	}
	/* LINKS claiming more URLs than a frame may carry. */
	{
		uint32_t kind = 0, count = IPC_MAX_LINKS_PER_FRAME + 1;
		memcpy(bad, &id, 8);
		memcpy(bad + 8, &kind, 4);
		memcpy(bad + 12, &count, 4);
		raw_frame(&b, IPC_LINKS, 16, bad, 16);
		assert_int_equal(ipc_next(&b, 0, &m, &used, err, sizeof err), -1);
	}
	buf_free(&b);
}

static void
test_encoder_respects_limits(void **state)
{
	struct ipc_item it = { 1, 0, "t", NULL };
	struct buf b;
	static char big[1 << 16];

	memset(big, 'x', sizeof big - 1);
	it.data = big;
	buf_init(&b, 1024); /* smaller than the frame */
	buf_puts(&b, "keep");
	assert_int_equal(ipc_put_item(&b, 1, &it), -1);
	assert_string_equal(buf_str(&b), "keep");
	buf_free(&b);
}

/* COVERAGE: counters round-trip at any alignment; too many, or a payload that does not
 * hold the count it claims, is a protocol error. */
static void
test_coverage_frames(void **state)
{
	static uint32_t counts[IPC_MAX_COVERAGE + 1];
	static struct ipc_msg m;
	struct buf b;
	size_t used;
	uint32_t n;

	for (size_t i = 0; i <= IPC_MAX_COVERAGE; i++)
		counts[i] = (uint32_t)(i * 7 + 1);
	buf_init(&b, 1 << 20);
	/* An item frame first, so the counters sit at an odd offset. */
	assert_int_equal(ipc_put_item(&b, 3, &(struct ipc_item){ 5, 0, "t", "{}x" }), 0);
	assert_int_equal(ipc_put_coverage(&b, 3, 5, counts, 11), 0);
	assert_int_equal(ipc_next(&b, 0, &m, &used, err, sizeof err), 1);
	assert_int_equal(ipc_next(&b, used, &m, &used, err, sizeof err), 1);
	assert_int_equal(m.hdr.type, IPC_COVERAGE);
	assert_int_equal(m.u.coverage.id, 5);
	assert_int_equal(m.u.coverage.count, 11);
	assert_int_equal(m.u.coverage.counts[0], 1);
	assert_int_equal(m.u.coverage.counts[10], 71);
	assert_string_equal(ipc_type_name(IPC_COVERAGE), "COVERAGE");
	/* The most counters a frame may carry, and none. */
	buf_reset(&b);
	assert_int_equal(ipc_put_coverage(&b, 3, 6, counts, IPC_MAX_COVERAGE), 0);
	assert_int_equal(ipc_next(&b, 0, &m, &used, err, sizeof err), 1);
	assert_int_equal(m.u.coverage.counts[IPC_MAX_COVERAGE - 1], (IPC_MAX_COVERAGE - 1) * 7 + 1);
	buf_reset(&b);
	assert_int_equal(ipc_put_coverage(&b, 3, 6, counts, 0), 0);
	assert_int_equal(ipc_next(&b, 0, &m, &used, err, sizeof err), 1);
	assert_int_equal(m.u.coverage.count, 0);
	/* One more is refused by the encoder... */
	buf_reset(&b);
	assert_int_equal(ipc_put_coverage(&b, 3, 6, counts, IPC_MAX_COVERAGE + 1), -1);
	assert_int_equal(b.len, 0);
	/* ...and by the decoder. */
	assert_int_equal(ipc_put_coverage(&b, 3, 6, counts, 2), 0);
	n = IPC_MAX_COVERAGE + 1;
	memcpy(b.data + IPC_HEADER_SIZE + 8, &n, sizeof n);
	assert_int_equal(ipc_next(&b, 0, &m, &used, err, sizeof err), -1);
	assert_non_null(strstr(err, "too many coverage counters"));
	/* A count the payload does not hold, or a payload longer than the count. */
	n = 3;
	memcpy(b.data + IPC_HEADER_SIZE + 8, &n, sizeof n);
	assert_int_equal(ipc_next(&b, 0, &m, &used, err, sizeof err), -1);
	assert_non_null(strstr(err, "malformed COVERAGE frame: payload too short"));
	n = 1;
	memcpy(b.data + IPC_HEADER_SIZE + 8, &n, sizeof n);
	assert_int_equal(ipc_next(&b, 0, &m, &used, err, sizeof err), -1);
	assert_non_null(strstr(err, "payload longer than its fields"));
	buf_free(&b);
}

static void
test_problem_and_body_roundtrip(void **state)
{
	struct ipc_problem pr = { 9, "item 'book' dropped: required field 'title' has no value" };
	static const char bytes[] = "ab\0cd"; /* a body is bytes: NULs and all */
	static const char digest[] = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";
	struct ipc_body bd = { 9, 4, 10, 77, digest, "HTTP/1.1 200 OK\r\n", 5, bytes };
	static struct ipc_msg m;
	struct buf b;
	size_t used, off;

	buf_init(&b, 1 << 20);
	assert_int_equal(ipc_put_problem(&b, 1, &pr), 0);
	assert_int_equal(ipc_put_body(&b, 1, &bd), 0);
	assert_int_equal(ipc_next(&b, 0, &m, &used, err, sizeof err), 1);
	assert_int_equal(m.hdr.type, IPC_PROBLEM);
	assert_int_equal(m.u.problem.id, 9);
	assert_string_equal(m.u.problem.text, pr.text);
	off = used;
	assert_int_equal(ipc_next(&b, off, &m, &used, err, sizeof err), 1);
	assert_int_equal(m.hdr.type, IPC_BODY);
	assert_int_equal(m.u.body.offset, 4);
	assert_int_equal(m.u.body.total, 10);
	assert_int_equal(m.u.body.len, 5);
	assert_int_equal(m.u.body.size, 77);
	assert_string_equal(m.u.body.digest, digest);
	assert_memory_equal(m.u.body.data, bytes, 5);
	assert_string_equal(m.u.body.headers, "HTTP/1.1 200 OK\r\n");
	assert_int_equal(off + used, b.len);
	assert_string_equal(ipc_type_name(IPC_BODY), "BODY");
	buf_free(&b);
}

/* Encode a BODY frame by hand, bypassing ipc_put_body's checks. */
static void
raw_body(struct buf *b, uint64_t offset, uint64_t total, uint32_t len, size_t have)
{
	static const char digest[] = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";
	struct buf p;
	uint64_t id = 1, size = 100;
	uint32_t zero = 0, dlen = 64;

	buf_init(&p, 1 << 22);
	buf_append(&p, &id, 8);
	buf_append(&p, &offset, 8);
	buf_append(&p, &total, 8);
	buf_append(&p, &size, 8);
	buf_append(&p, &dlen, 4);
	buf_append(&p, digest, 65);
	buf_append(&p, &zero, 4);
	buf_append(&p, "", 1);
	buf_append(&p, &len, 4);
	for (size_t i = 0; i < have; i++)
		buf_putc(&p, 'x');
	raw_frame(b, IPC_BODY, (uint32_t)p.len, p.data, p.len);
	buf_free(&p);
}

static void
test_problem_and_body_hostile(void **state)
{
	static char text[IPC_MAX_PROBLEM + 2];
	struct ipc_problem pr = { 1, text };
	struct ipc_body bd = { 1, 0, 10, 10, "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef", "", 11, text };
	struct ipc_msg m;
	struct buf b;
	size_t used;

	buf_init(&b, 1 << 23);
	/* A problem over the limit: the encoder refuses it, the decoder too. */
	memset(text, 'p', IPC_MAX_PROBLEM + 1);
	assert_int_equal(ipc_put_problem(&b, 1, &pr), -1);
	{
		struct buf p;
		uint64_t id = 1;
		uint32_t n = IPC_MAX_PROBLEM + 1;
		buf_init(&p, 1 << 20);
		buf_append(&p, &id, 8);
		buf_append(&p, &n, 4);
		buf_append(&p, text, n + 1);
		raw_frame(&b, IPC_PROBLEM, (uint32_t)p.len, p.data, p.len);
		assert_int_equal(ipc_next(&b, 0, &m, &used, err, sizeof err), -1);
		assert_non_null(strstr(err, "problem text too long"));
		buf_free(&p);
	}
	/* Bodies: a chunk past its total, a total over the limit, a chunk over the
	 * chunk size, a length past the payload, a payload longer than the chunk. */
	assert_int_equal(ipc_put_body(&b, 1, &bd), -1);
	raw_body(&b, 8, 10, 4, 4);
	assert_int_equal(ipc_next(&b, 0, &m, &used, err, sizeof err), -1);
	assert_non_null(strstr(err, "out of bounds"));
	raw_body(&b, 0, IPC_MAX_BODY + 1, 4, 4);
	assert_int_equal(ipc_next(&b, 0, &m, &used, err, sizeof err), -1);
	raw_body(&b, UINT64_MAX - 1, UINT64_MAX, 4, 4);
	assert_int_equal(ipc_next(&b, 0, &m, &used, err, sizeof err), -1);
	raw_body(&b, 0, IPC_BODY_CHUNK * 2ull, IPC_BODY_CHUNK + 1, 0);
	assert_int_equal(ipc_next(&b, 0, &m, &used, err, sizeof err), -1);
	assert_non_null(strstr(err, "too large"));
	raw_body(&b, 0, 100, 50, 10);
	assert_int_equal(ipc_next(&b, 0, &m, &used, err, sizeof err), -1);
	assert_non_null(strstr(err, "too short"));
	raw_body(&b, 0, 100, 5, 6);
	assert_int_equal(ipc_next(&b, 0, &m, &used, err, sizeof err), -1);
	assert_non_null(strstr(err, "longer than its fields"));
	raw_body(&b, 0, 100, 5, 5);
	assert_int_equal(ipc_next(&b, 0, &m, &used, err, sizeof err), 1);
	buf_free(&b);
}

/* LINKS of the sitemap kinds round-trip; a kind past the last is refused by both ends
 * (a stale or broken worker must not make the coordinator guess). */
static void
test_sitemap_link_kinds(void **state)
{
	static struct ipc_links l = { .id = 4, .count = 2, .urls = { "http://a/s.xml", "http://a/p" } };
	static struct ipc_msg m;
	struct buf b;
	size_t used;
	uint32_t kind;

	buf_init(&b, 1 << 20);
	for (uint32_t k = LINK_SITEMAP; k <= LINK_SITEMAP_URL; k++) {
		buf_reset(&b);
		l.kind = k;
		assert_int_equal(ipc_put_links(&b, 2, &l), 0);
		assert_int_equal(ipc_next(&b, 0, &m, &used, err, sizeof err), 1);
		assert_int_equal(m.u.links.kind, k);
		assert_int_equal(m.u.links.count, 2);
		assert_string_equal(m.u.links.urls[0], "http://a/s.xml");
		assert_int_equal(used, b.len);
	}
	buf_reset(&b);
	l.kind = LINK_KIND_MAX + 1;
	assert_int_equal(ipc_put_links(&b, 2, &l), -1);
	assert_int_equal(b.len, 0);
	l.kind = LINK_SITEMAP_URL;
	assert_int_equal(ipc_put_links(&b, 2, &l), 0);
	kind = LINK_KIND_MAX + 1;
	memcpy(b.data + IPC_HEADER_SIZE + 8, &kind, sizeof kind);
	assert_int_equal(ipc_next(&b, 0, &m, &used, err, sizeof err), -1);
	assert_non_null(strstr(err, "unknown link kind"));
	buf_free(&b);
}

/*
 * The fuzz target's seeds are frames written by hand, by type number: a seed named
 * after a type ("body-chunks", "problem") must begin with a frame of that type, or a
 * renumbering of the types silently turns it into another type's broken frame (it
 * happened: the BODY and PROBLEM seeds decoded as PROBLEM and COVERAGE frames).
 */
static void
test_seeds_are_what_they_are_named(void **state)
{
	const char *srcdir = getenv("top_srcdir");
	char dir[4096], path[4096 + 256];
	struct dirent *e;
	int checked = 0;
	DIR *d;

	snprintf(dir, sizeof dir, "%s/tests/fuzz/ipc.in", srcdir ? srcdir : ".");
	assert_non_null(d = opendir(dir));
	while ((e = readdir(d)) != NULL) {
		char prefix[64], name[64];
		struct ipc_header h;
		size_t n = strcspn(e->d_name, "-");
		uint32_t t;
		FILE *f;

		if (e->d_name[0] == '.' || n >= sizeof prefix)
			continue;
		memcpy(prefix, e->d_name, n);
		prefix[n] = '\0';
		for (t = 1; t < IPC_TYPE_MAX; t++) {
			size_t i;
			snprintf(name, sizeof name, "%s", ipc_type_name(t));
			for (i = 0; name[i]; i++)
				name[i] = (char)tolower((unsigned char)name[i]);
			if (strcmp(name, prefix) == 0)
				break;
		}
		if (t == IPC_TYPE_MAX)
			continue; /* not named after a type ("bad-type") */
		snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
		assert_non_null(f = fopen(path, "rb"));
		assert_int_equal(fread(&h, sizeof h, 1, f), 1);
		fclose(f);
		if (h.type != t)
			fail_msg("%s begins with a %s frame, not %s", e->d_name, ipc_type_name(h.type),
				 ipc_type_name(t));
		checked++;
	}
	closedir(d);
	assert_true(checked >= 15);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_sitemap_link_kinds),
		cmocka_unit_test(test_fetch_roundtrip),
		cmocka_unit_test(test_every_type_roundtrips),
		cmocka_unit_test(test_partial_frames_wait),
		cmocka_unit_test(test_hostile_frames_rejected),
		cmocka_unit_test(test_encoder_respects_limits),
		cmocka_unit_test(test_coverage_frames),
		cmocka_unit_test(test_problem_and_body_roundtrip),
		cmocka_unit_test(test_problem_and_body_hostile),
		cmocka_unit_test(test_seeds_are_what_they_are_named),
	};
	return RUN(tests);
}
