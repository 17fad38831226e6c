/*
 * fetch.c: libcurl transfers (see fetch.h).
 */
#include "config.h"

#include "worker/fetch.h"

#include <stdio.h>
#include <string.h>

#define CONNECT_TIMEOUT 10.0	/* seconds, at most */
#define LOW_SPEED_BYTES 64	/* a server slower than this ... */
#define LOW_SPEED_SECONDS 15	/* ... for this long is cut off */
#define KEEP_BODY_BUFFER (1u << 20) /* body buffers larger than this are freed after use */

static size_t
on_body(char *p, size_t size, size_t n, void *arg)
{
	struct fetch *f = arg;
	size_t len = size * n, room = f->body.max - f->body.len;

	if (len > room) {
		/* Keep what fits, then stop the transfer: the page is cut off at the
		 * limit and says so. */
		buf_append(&f->body, p, room);
		f->truncated = true;
		return 0;
	}
	if (buf_append(&f->body, p, len) == -1)
		return 0;
	return len;
}

/* Each header line of each response: a status line starts a head, the blank line
 * ends it.  A response whose head never ended was cut off (curl takes a connection
 * closed right after the status line as a complete, empty response). */
static size_t
on_header(char *p, size_t size, size_t n, void *arg)
{
	struct fetch *f = arg;
	size_t len = size * n;

	if (len >= 5 && memcmp(p, "HTTP/", 5) == 0)
		f->head_ended = false;
	else if ((len == 2 && p[0] == '\r' && p[1] == '\n') || (len == 1 && p[0] == '\n'))
		f->head_ended = true;
	return len;
}

CURLSH *
fetch_share_new(void)
{
	CURLSH *sh = curl_share_init();

	if (sh == NULL)
		return NULL;
	curl_share_setopt(sh, CURLSHOPT_SHARE, CURL_LOCK_DATA_COOKIE);
	curl_share_setopt(sh, CURLSHOPT_SHARE, CURL_LOCK_DATA_DNS);
	curl_share_setopt(sh, CURLSHOPT_SHARE, CURL_LOCK_DATA_SSL_SESSION);
	return sh;
}

int
fetch_init(struct fetch *f, CURLSH *share, const struct fetch_conf *c)
{
	CURL *e;
	long timeout_ms = (long)(c->timeout * 1000);
	long connect_ms = (long)((c->timeout < CONNECT_TIMEOUT ? c->timeout : CONNECT_TIMEOUT) * 1000);

	memset(f, 0, sizeof *f);
	f->max_bytes = (size_t)c->max_bytes;
	buf_init(&f->body, f->max_bytes);
	if ((f->easy = e = curl_easy_init()) == NULL)
		return -1;
	curl_easy_setopt(e, CURLOPT_PRIVATE, f);
	curl_easy_setopt(e, CURLOPT_ERRORBUFFER, f->errbuf);
	curl_easy_setopt(e, CURLOPT_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(e, CURLOPT_REDIR_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(e, CURLOPT_USERAGENT, c->user_agent);
	curl_easy_setopt(e, CURLOPT_ACCEPT_ENCODING, "");
	curl_easy_setopt(e, CURLOPT_TIMEOUT_MS, timeout_ms);
	curl_easy_setopt(e, CURLOPT_CONNECTTIMEOUT_MS, connect_ms);
	curl_easy_setopt(e, CURLOPT_LOW_SPEED_LIMIT, (long)LOW_SPEED_BYTES);
	curl_easy_setopt(e, CURLOPT_LOW_SPEED_TIME, (long)LOW_SPEED_SECONDS);
	curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(e, CURLOPT_HTTP_VERSION, (long)CURL_HTTP_VERSION_2TLS);
	curl_easy_setopt(e, CURLOPT_PIPEWAIT, 1L);
	curl_easy_setopt(e, CURLOPT_COOKIEFILE, "");
	curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, on_body);
	curl_easy_setopt(e, CURLOPT_WRITEDATA, f);
	curl_easy_setopt(e, CURLOPT_HEADERFUNCTION, on_header);
	curl_easy_setopt(e, CURLOPT_HEADERDATA, f);
	if (share != NULL)
		curl_easy_setopt(e, CURLOPT_SHARE, share);
	if (c->proxy != NULL)
		curl_easy_setopt(e, CURLOPT_PROXY, c->proxy);
	return 0;
}

void
fetch_cleanup(struct fetch *f)
{
	if (f->easy != NULL)
		curl_easy_cleanup(f->easy);
	curl_slist_free_all(f->headers);
	buf_free(&f->body);
	memset(f, 0, sizeof *f);
}

static int
add_header(struct fetch *f, const char *name, const char *value)
{
	char line[1024];
	struct curl_slist *l;

	snprintf(line, sizeof line, "%s: %s", name, value);
	if ((l = curl_slist_append(f->headers, line)) == NULL)
		return -1;
	f->headers = l;
	return 0;
}

int
fetch_prepare(struct fetch *f, const char *url, const char *etag,
	      const char *last_modified, bool follow, size_t limit)
{
	/* A huge page's buffer is not kept for the next, ordinary one. */
	if (f->body.cap > KEEP_BODY_BUFFER)
		buf_free(&f->body);
	buf_reset(&f->body);
	f->body.max = limit > 0 && limit < f->max_bytes ? limit : f->max_bytes;
	f->truncated = false;
	f->head_ended = false;
	f->errbuf[0] = '\0';
	curl_slist_free_all(f->headers);
	f->headers = NULL;
	if (add_header(f, "Accept", "text/html,application/xhtml+xml;q=0.9,*/*;q=0.8") == -1 ||
	    (etag != NULL && *etag && add_header(f, "If-None-Match", etag) == -1) ||
	    (last_modified != NULL && *last_modified &&
	     add_header(f, "If-Modified-Since", last_modified) == -1))
		return -1;
	curl_easy_setopt(f->easy, CURLOPT_HTTPHEADER, f->headers);
	curl_easy_setopt(f->easy, CURLOPT_FOLLOWLOCATION, follow ? 1L : 0L);
	curl_easy_setopt(f->easy, CURLOPT_MAXREDIRS, 5L);
	return curl_easy_setopt(f->easy, CURLOPT_URL, url) == CURLE_OK ? 0 : -1;
}

static void
header_value(CURL *e, const char *name, char *out, size_t outlen)
{
	struct curl_header *h;

	out[0] = '\0';
	if (curl_easy_header(e, name, 0, CURLH_HEADER, -1, &h) == CURLHE_OK)
		snprintf(out, outlen, "%s", h->value);
}

void
fetch_result(struct fetch *f, CURLcode code, struct fetch_result *r)
{
	curl_off_t retry = 0, total = 0;
	long bad_status = 0;
	char *ct = NULL, *redirect = NULL;

	memset(r, 0, sizeof *r);
	r->code = code;
	curl_easy_getinfo(f->easy, CURLINFO_RESPONSE_CODE, &r->status);
	/* curl reads some status lines that are not HTTP ("HTTP/2222222222221.1 302")
	 * into a number that is no status (negative, or past 999): no response came. */
	if (r->status != 0 && (r->status < 100 || r->status > 999)) {
		bad_status = r->status;
		r->status = 0;
	}
	curl_easy_getinfo(f->easy, CURLINFO_CONTENT_TYPE, &ct);
	curl_easy_getinfo(f->easy, CURLINFO_TOTAL_TIME_T, &total);
	r->content_type = ct;
	r->elapsed = (double)total / 1e6;
	r->retry_after_s = -1;
	if (curl_easy_getinfo(f->easy, CURLINFO_RETRY_AFTER, &retry) == CURLE_OK && retry > 0)
		r->retry_after_s = (long long)retry;
	if (r->status >= 300 && r->status < 400 &&
	    curl_easy_getinfo(f->easy, CURLINFO_REDIRECT_URL, &redirect) == CURLE_OK)
		r->redirect = redirect;
	if (r->status > 0) {
		header_value(f->easy, "ETag", r->etag, sizeof r->etag);
		header_value(f->easy, "Last-Modified", r->last_modified, sizeof r->last_modified);
	}
	if (bad_status != 0) {
		r->code = CURLE_WEIRD_SERVER_REPLY;
		snprintf(r->error, sizeof r->error, "the response's status line is not HTTP "
			 "(curl read it as status %ld)", bad_status);
	} else if (code == CURLE_OK && r->status > 0 && !f->head_ended) {
		r->code = CURLE_RECV_ERROR;
		snprintf(r->error, sizeof r->error, "the header block was cut off (the "
			 "connection closed before the blank line that ends it)");
	} else if (code == CURLE_WRITE_ERROR && f->truncated) {
		r->code = CURLE_OK; /* cut at max_bytes: the page is kept, and says so */
		snprintf(r->error, sizeof r->error, "body cut off at %s (%zu bytes)",
			 f->body.max < f->max_bytes ? "the robots.txt limit" : "max_bytes", f->body.max);
	} else if (code == CURLE_BAD_CONTENT_ENCODING && r->status > 0) {
		/* A body that is not what its Content-Encoding says: name the encoding. */
		char enc[64];

		header_value(f->easy, "Content-Encoding", enc, sizeof enc);
		snprintf(r->error, sizeof r->error, "Content-Encoding %s: %s%s%s",
			 enc[0] ? enc : "none", curl_easy_strerror(code),
			 f->errbuf[0] ? ": " : "", f->errbuf);
		r->error[strcspn(r->error, "\n")] = '\0';
	} else if (code != CURLE_OK) {
		snprintf(r->error, sizeof r->error, "%s%s%s", curl_easy_strerror(code),
			 f->errbuf[0] ? ": " : "", f->errbuf);
		r->error[strcspn(r->error, "\n")] = '\0';
	}
}

bool
fetch_retryable(const struct fetch_result *r)
{
	switch (r->code) {
	case CURLE_OK:
		return r->status == 408 || r->status == 429 || r->status == 500 ||
		       r->status == 502 || r->status == 503 || r->status == 504;
	case CURLE_UNSUPPORTED_PROTOCOL:
	case CURLE_URL_MALFORMAT:
	case CURLE_TOO_MANY_REDIRECTS:
	case CURLE_WRITE_ERROR:
	case CURLE_OUT_OF_MEMORY:
	case CURLE_FILESIZE_EXCEEDED:
	case CURLE_BAD_CONTENT_ENCODING:
		return false;
	default:
		return true;
	}
}
