/*
 * fuzz_headers.c: libFuzzer target for response header parsing, as a worker meets it
 * (scraper/worker/fetch.c, robotsmeta.c, charset.c).
 *
 * The input is a raw HTTP/1.x response: status line, header block, body.  It is
 * served to a real transfer set up by fetch_init and fetch_prepare, run on a multi
 * handle as the worker runs it, over an abstract AF_UNIX socket of this process
 * (nothing leaves it), and read back the worker's way: fetch_result (status, Content-Type,
 * Retry-After, Location, ETag, Last-Modified, a header block cut off, a body cut at
 * max_bytes, every content-encoding curl decodes), fetch_retryable, the X-Robots-Tag
 * headers (robotsmeta_headers), the Location canonicalised as a followed redirect is
 * (url_canonical), and the Content-Type's charset (charset_detect).  The result must
 * be consistent: a status of three digits (0: none), a redirect only on a 3xx, a
 * Retry-After of -1 or more, terminated strings, a body within its limit.  Any other
 * outcome aborts.
 * Seed corpus: tests/fuzz/headers.in/.
 */
#include "config.h"

#include <fcntl.h>
#include <stddef.h>
#include <stdio.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <curl/curl.h>

#include "buf.h"
#include "url.h"
#include "worker/charset.h"
#include "worker/fetch.h"
#include "worker/page.h"
#include "worker/robotsmeta.h"

#define MAX_BYTES 65536		/* the body limit, so cutting at it is reached */
#define INPUT_MAX (160u << 10)	/* what one socket buffer surely holds */

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
check_string(const char *s, size_t size)
{
	if (memchr(s, '\0', size) == NULL)
		abort();
}

/* The server: a listening socket at an abstract AF_UNIX address of this process. */
static int
listen_once(char *name, size_t namelen)
{
	struct sockaddr_un a = { .sun_family = AF_UNIX };
	int s = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);

	snprintf(name, namelen, "scraper-fuzz-headers-%ld", (long)getpid());
	memcpy(a.sun_path + 1, name, strlen(name));
	if (s == -1 || bind(s, (struct sockaddr *)&a,
			    (socklen_t)(offsetof(struct sockaddr_un, sun_path) + 1 + strlen(name))) == -1 ||
	    listen(s, 4) == -1)
		abort();
	return s;
}

/* Run the transfer on a multi handle; when curl has connected, the server side takes
 * the connection, writes the whole response and closes its sending half. */
static CURLcode
serve_and_fetch(CURL *easy, int lsock, const uint8_t *data, size_t size)
{
	CURLM *m = curl_multi_init();
	CURLcode code = CURLE_FAILED_INIT;
	int conn = -1, running = 1;

	if (m == NULL || curl_multi_add_handle(m, easy) != CURLM_OK)
		abort();
	for (int turns = 0; running && turns < 100000; turns++) {
		CURLMsg *msg;
		int left;

		if (curl_multi_perform(m, &running) != CURLM_OK)
			break;
		while ((msg = curl_multi_info_read(m, &left)) != NULL)
			if (msg->msg == CURLMSG_DONE)
				code = msg->data.result;
		if (!running)
			break;
		if (conn == -1 && (conn = accept4(lsock, NULL, NULL, SOCK_CLOEXEC)) >= 0) {
			int sz = (int)INPUT_MAX * 2;
			setsockopt(conn, SOL_SOCKET, SO_SNDBUF, &sz, sizeof sz);
			fcntl(conn, F_SETFL, O_NONBLOCK);
			for (size_t off = 0; off < size;) {
				ssize_t n = write(conn, data + off, size - off);
				if (n <= 0)
					break; /* the rest is cut off, as a closed connection cuts it */
				off += (size_t)n;
			}
			shutdown(conn, SHUT_WR);
		}
		curl_multi_poll(m, NULL, 0, 10, NULL);
	}
	curl_multi_remove_handle(m, easy);
	curl_multi_cleanup(m);
	if (conn >= 0)
		close(conn);
	return code;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static int lsock = -1;
	static char name[64];
	struct fetch_conf conf = { "scraper-fuzz/1.0", 5.0, MAX_BYTES, "" };
	struct fetch_result res;
	struct fetch f;
	CURLcode code;

	if (lsock == -1) {
		curl_global_init(CURL_GLOBAL_DEFAULT);
		lsock = listen_once(name, sizeof name);
	}
	if (size > INPUT_MAX)
		size = INPUT_MAX;
	if (fetch_init(&f, NULL, &conf) == -1 ||
	    fetch_prepare(&f, "http://127.0.0.1/dir/page.html", NULL, NULL, false, 0) == -1) {
		fetch_cleanup(&f);
		return 0;
	}
	/* The request goes to the server above, whatever the URL's host and port. */
	curl_easy_setopt(f.easy, CURLOPT_ABSTRACT_UNIX_SOCKET, name);
	curl_easy_setopt(f.easy, CURLOPT_FORBID_REUSE, 1L);
	code = serve_and_fetch(f.easy, lsock, data, size);
	fetch_result(&f, code, &res);

	check_string(res.etag, sizeof res.etag);
	check_string(res.last_modified, sizeof res.last_modified);
	check_string(res.error, sizeof res.error);
	/* A status is three digits, or 0 when no response came. */
	if (res.retry_after_s < -1 || (res.status != 0 && (res.status < 100 || res.status > 999)) ||
	    f.body.len > MAX_BYTES)
		abort();
	if (res.code != CURLE_OK && res.error[0] == '\0')
		abort();
	if (res.redirect != NULL) {
		struct buf canon;

		if (res.status < 300 || res.status > 399)
			abort();
		/* As follow_redirect takes it: canonical, or refused as not http(s). */
		buf_init(&canon, 1u << 20);
		if (url_canonical(res.redirect, &canon) == 0 &&
		    strncmp(buf_str(&canon), "http://", 7) != 0 &&
		    strncmp(buf_str(&canon), "https://", 8) != 0)
			abort();
		buf_free(&canon);
	}
	fetch_retryable(&res);
	if (res.status > 0)
		robotsmeta_headers(f.easy, "scraper");
	if (page_is_html(res.content_type, f.body.data ? f.body.data : "", f.body.len) ||
	    res.content_type != NULL) {
		struct charset_choice cs;
		char note[96];

		charset_detect(res.content_type, f.body.data ? f.body.data : "", f.body.len, &cs);
		charset_describe(&cs, note, sizeof note);
		check_string(note, sizeof note);
	}
	fetch_cleanup(&f);
	return 0;
}
