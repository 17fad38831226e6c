/*
 * fetch.h: one HTTP transfer with libcurl, configured the way scraper fetches.
 *
 * Only http and https, for the request and for any redirect curl follows (workers
 * follow redirects themselves; only robots.txt lets curl follow up to 5); a connect
 * timeout, a total timeout and a low-speed cut-off; every encoding curl can decode
 * (gzip, deflate, br, zstd) with the body size limit applied to the decoded bytes as
 * they stream in; HTTP/2 where the server offers it; cookies through a share handle
 * so a worker's transfers keep one cookie jar; proxies from the rule file or the
 * usual *_proxy environment variables.
 */
#ifndef SCRAPER_FETCH_H
#define SCRAPER_FETCH_H

#include <stdbool.h>
#include <stdint.h>

#include <curl/curl.h>

#include "buf.h"

struct fetch_conf {
	const char *user_agent;
	double timeout;		/* seconds, whole transfer */
	long max_bytes;		/* decoded body limit */
	const char *proxy;	/* NULL: environment */
};

struct fetch {
	CURL *easy;
	struct buf body;
	bool truncated;		/* the body reached its limit and was cut there */
	bool head_ended;	/* the last response's header block ended (its blank line) */
	size_t max_bytes;	/* the configured limit (fetch_prepare may lower it) */
	struct curl_slist *headers;
	char errbuf[CURL_ERROR_SIZE];
	void *owner;		/* for the caller (CURLOPT_PRIVATE points to the fetch) */
};

struct fetch_result {
	CURLcode code;
	long status;		/* 0 when no response came */
	const char *content_type;	/* NULL when none; valid until the next prepare */
	const char *redirect;	/* absolute Location of a 3xx, or NULL */
	long long retry_after_s; /* Retry-After in seconds, -1 when none (never scaled:
				  * a huge value must not overflow) */
	double elapsed;		/* seconds */
	char etag[512];
	char last_modified[128];
	char error[CURL_ERROR_SIZE + 64]; /* "" when the transfer worked */
};

/* Make an easy handle; share (may be NULL) holds cookies and DNS.  0 or -1. */
int fetch_init(struct fetch *f, CURLSH *share, const struct fetch_conf *c);
void fetch_cleanup(struct fetch *f);

/* Set up the next request on f: url, and for a conditional request an etag and/or
 * last-modified value (NULL or "" for none).  follow: let curl follow up to 5
 * redirects (robots.txt).  limit: cut the body here if lower than the configured
 * max_bytes (robots.txt has its own limit); 0 for none.  0 or -1. */
int fetch_prepare(struct fetch *f, const char *url, const char *etag,
		  const char *last_modified, bool follow, size_t limit);

/* What came of the transfer that ended with code. */
void fetch_result(struct fetch *f, CURLcode code, struct fetch_result *r);

/* Is a failure worth another attempt?  Network errors and 408, 429, 500, 502, 503,
 * 504; not a cut-off body, a redirect problem or a bad URL. */
bool fetch_retryable(const struct fetch_result *r);

/* A share handle for cookies and DNS across one worker's transfers. */
CURLSH *fetch_share_new(void);

#endif
