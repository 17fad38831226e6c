/*
 * ipc.h: messages between the coordinator and its workers, and their framing.
 *
 * Every message is one frame: a fixed 16-byte header then a payload.
 *
 *	u32 type | u32 length of payload | u32 site id | u32 sender pid | payload
 *
 * (host byte order: both ends are the same binary on the same machine).  A frame's
 * length is checked against IPC_MAX_PAYLOAD before anything is allocated, and each
 * message type's payload is decoded with exact bounds: integers at fixed width, strings
 * as u32 length + bytes + NUL (the NUL is checked, so decoded strings are C strings
 * pointing into the payload: no copies).  Anything else is a protocol error that drops
 * the peer.  This file and ipc.c are the only places that know the layout.
 */
#ifndef SCRAPER_IPC_H
#define SCRAPER_IPC_H

#include <stddef.h>
#include <stdint.h>

#include "buf.h"

#define IPC_HEADER_SIZE 16
#define IPC_MAX_PAYLOAD (16u * 1024 * 1024)
#define IPC_MAX_LINKS_PER_FRAME 4096
#define IPC_MAX_COVERAGE 4096	/* counters in one COVERAGE frame */
/* The longest Retry-After honoured, in seconds: a worker fails a URL whose server asks
 * for longer, and the coordinator never waits longer between attempts. */
#define IPC_RETRY_AFTER_MAX_S 300
/* How long a 429 or 503 keeps a site slowed, in seconds: the worker that got it spaces
 * its requests, and the coordinator keeps the site on that one worker. */
#define IPC_SLOW_DOWN_S 60.0
/* PROBLEM: the longest message, in bytes. */
#define IPC_MAX_PROBLEM 2048
/* BODY: a body goes up in chunks of at most this many bytes, and is at most
 * IPC_MAX_BODY bytes in all (rule files cap max_bytes at 1 GiB). */
#define IPC_BODY_CHUNK (1u << 20)
#define IPC_MAX_BODY (1ull << 30)
#define IPC_MAX_HEADERS (256u * 1024)

enum ipc_type {
	/* coordinator -> worker */
	IPC_SITE = 1,
	IPC_FETCH,
	IPC_STOP,
	/* worker -> coordinator */
	IPC_ROBOTS,
	IPC_PAGE,
	IPC_ITEM,
	IPC_LINKS,
	IPC_DONE,
	IPC_COVERAGE,
	IPC_PROBLEM,
	IPC_BODY,
	/* the pool of warm workers (crawl/workers.c) */
	IPC_NEXT,	/* coordinator -> worker: finish this site, say READY, wait for SITE */
	IPC_READY,	/* worker -> coordinator: its site is torn down; SITE or STOP next */
	IPC_TYPE_MAX
};

struct ipc_header {
	uint32_t type;
	uint32_t len;
	uint32_t site;
	uint32_t pid;
};

/* SITE: what a new worker needs to know about its site. */
struct ipc_site {
	const char *site;	  /* "host[:port]" */
	const char *rules_name;	  /* the rule file's path, for messages; "" = built-in */
	const char *rules_text;	  /* its YAML, as the coordinator loaded it; "" = built-in
				   * defaults.  Workers never read the rule folder. */
	int32_t robots_status;	  /* cached robots.txt: HTTP status, -1 = none cached */
	int64_t robots_fetched_at; /* unix seconds */
	const char *robots_body;
	uint32_t log_level;
	uint32_t max_depth;	/* links from pages this deep are not wanted */
	uint32_t flags;		/* enum ipc_site_flags */
	uint32_t concurrency;	/* transfers at once for this worker; 0 = the rules' own.
				 * A site with several workers splits its concurrency. */
	/* The site's host as the coordinator looked it up (crawl/resolve.c): curl's
	 * CURLOPT_RESOLVE entries "host:port:addr1,addr2", one a line; "" when there is
	 * nothing to look up (an IP address, a proxy) or the lookup failed. */
	const char *resolve;
	const char *dns_error;	/* the failed lookup in words; "" when none */
	/* A worker that may be given other sites after this one (NEXT): its hard limits
	 * are set at its first SITE to the most any rule file of the crawl allows, its
	 * soft ones to this site's.  0: not pooled (the limits are this site's). */
	uint32_t pool_memory_mb;
	uint32_t pool_concurrency;
};

enum ipc_site_flags {
	SITE_STORE_BODIES = 1 << 0,	/* crawl --store-bodies: send BODY frames */
	SITE_DNS_RETRYABLE = 1 << 1,	/* dns_error is temporary (EAI_AGAIN) */
};

/* FETCH: one URL to fetch.  etag/last_modified non-empty for a conditional request. */
struct ipc_fetch {
	uint64_t id;
	uint32_t depth;
	uint32_t attempt;	/* 0 for the first try */
	const char *url;
	const char *etag;
	const char *last_modified;
};

/* ROBOTS: the robots.txt the worker fetched, for the database. */
struct ipc_robots {
	int32_t status;		/* HTTP status, -1 when no response */
	int64_t fetched_at;
	const char *body;
};

enum ipc_page_flags {
	PAGE_RETRYABLE = 1 << 0,    /* failed in a way worth another attempt */
	PAGE_NOT_MODIFIED = 1 << 1, /* 304 to a conditional request */
	PAGE_DISALLOWED = 1 << 2,   /* robots.txt forbids it; never requested */
	PAGE_TRUNCATED = 1 << 3,    /* body cut at max_bytes */
	PAGE_NOINDEX = 1 << 4,	    /* the page said noindex (robots meta, X-Robots-Tag) */
};

/* PAGE: the record of one fetch. */
struct ipc_page {
	uint64_t id;
	int32_t status;		/* final HTTP status, -1 when no response came */
	uint32_t flags;		/* enum ipc_page_flags */
	uint64_t bytes;		/* body bytes received (decoded) */
	uint32_t elapsed_ms;
	int32_t retry_after_ms;	/* from Retry-After, -1 when none */
	const char *final_url;
	const char *content_type;
	const char *error;	/* "" when none */
	const char *etag;
	const char *last_modified;
	const char *charset;	/* the encoding the body was decoded from, and why */
};

/* ITEM: one extracted item. */
struct ipc_item {
	uint64_t id;
	uint32_t idx;
	const char *type;
	const char *data;	/* a JSON object */
};

enum ipc_link_kind {
	LINK_FOLLOW = 0,	/* chosen by a follow rule */
	LINK_REDIRECT = 1,	/* a redirect to another site, handed back */
	/* sitemap: true (worker/sitemap.h): seeds of the worker's own site, depth 0 */
	LINK_SITEMAP = 2,	/* a sitemap to fetch: from robots.txt, /sitemap.xml, an index */
	LINK_SITEMAP_URL = 3,	/* a page a sitemap lists */
	LINK_KIND_MAX = LINK_SITEMAP_URL
};

/* LINKS: absolute canonical URLs found on one page. */
struct ipc_links {
	uint64_t id;
	uint32_t kind;		/* enum ipc_link_kind */
	uint32_t count;
	const char *urls[IPC_MAX_LINKS_PER_FRAME];
};

/* DONE: everything for this URL has been sent. */
struct ipc_done {
	uint64_t id;
	uint32_t problems;	/* extraction problems (items dropped, regex limits) */
};

/* COVERAGE: how much of its rules one page used (extract.h's coverage counters, in
 * their order), sent before the page's DONE when the page was extracted.  The
 * coordinator sums them per rule file for the crawl's closing warnings. */
struct ipc_coverage {
	uint64_t id;
	uint32_t count;
	uint32_t counts[IPC_MAX_COVERAGE];
};

/* PROBLEM: one extraction problem of the page, in words (at most IPC_MAX_PROBLEM
 * bytes): "item 'book' dropped: required field 'title' has no value". */
struct ipc_problem {
	uint64_t id;
	const char *text;
};

/* BODY: one chunk of the page's response body, packed (store/body.h: zstd), for the
 * database (store_bodies).  Chunks come in order between PAGE and DONE: offset is
 * where this one starts in the packed body, total the packed body's length, size the
 * body's own length and digest its SHA-256 (hex); the first chunk carries the
 * response headers (later ones "").  The decoder checks len <= IPC_BODY_CHUNK, total
 * and size <= IPC_MAX_BODY, offset + len <= total, a 64-digit digest, and the
 * headers' length; the coordinator that the chunks follow on. */
struct ipc_body {
	uint64_t id;
	uint64_t offset;
	uint64_t total;
	uint64_t size;
	const char *digest;
	const char *headers;
	uint32_t len;
	const char *data;	/* len bytes, not NUL-terminated */
};

/* READY: what the worker has used so far (getrusage), so that each site is charged
 * its part. */
struct ipc_ready {
	uint64_t cpu_ms;
	uint64_t maxrss_kb;
};

struct ipc_msg {
	struct ipc_header hdr;
	union {
		struct ipc_site site;
		struct ipc_fetch fetch;
		struct ipc_robots robots;
		struct ipc_page page;
		struct ipc_item item;
		struct ipc_links links;
		struct ipc_done done;
		struct ipc_coverage coverage;
		struct ipc_problem problem;
		struct ipc_body body;
		struct ipc_ready ready;
	} u;
};

/*
 * Encoders: append one complete frame to out.  0, or -1 when the frame would exceed
 * IPC_MAX_PAYLOAD or out's maximum (out is then unchanged).
 */
int ipc_put_site(struct buf *out, uint32_t site, const struct ipc_site *m);
int ipc_put_fetch(struct buf *out, uint32_t site, const struct ipc_fetch *m);
int ipc_put_stop(struct buf *out, uint32_t site);
int ipc_put_next(struct buf *out, uint32_t site);
int ipc_put_ready(struct buf *out, uint32_t site, const struct ipc_ready *m);
int ipc_put_robots(struct buf *out, uint32_t site, const struct ipc_robots *m);
int ipc_put_page(struct buf *out, uint32_t site, const struct ipc_page *m);
int ipc_put_item(struct buf *out, uint32_t site, const struct ipc_item *m);
int ipc_put_links(struct buf *out, uint32_t site, const struct ipc_links *m);
int ipc_put_done(struct buf *out, uint32_t site, uint64_t id, uint32_t problems);
int ipc_put_coverage(struct buf *out, uint32_t site, uint64_t id, const uint32_t *counts,
		     size_t n);
int ipc_put_problem(struct buf *out, uint32_t site, const struct ipc_problem *m);
int ipc_put_body(struct buf *out, uint32_t site, const struct ipc_body *m);

/*
 * Take the next frame from the front of in (bytes read from a peer).
 *  1: a frame was decoded into *m; its strings point into in, valid until in changes;
 *     *used is the frame's size (buf_consume it when done with *m).
 *  0: more bytes are needed.
 * -1: protocol error (bad type, bad length, malformed payload); err says which.
 */
int ipc_next(const struct buf *in, size_t off, struct ipc_msg *m, size_t *used,
	     char *err, size_t errlen);

const char *ipc_type_name(uint32_t type);

#endif
