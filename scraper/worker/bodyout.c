/*
 * bodyout.c: a response body and its headers, as BODY frames (see bodyout.h).
 */
#include "config.h"

#include "worker/bodyout.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "ipc/ipc.h"
#include "store/body.h"

static const char *
reason(long status)
{
	switch (status) {
	case 200: return "OK";
	case 201: return "Created";
	case 202: return "Accepted";
	case 203: return "Non-Authoritative Information";
	case 204: return "No Content";
	case 206: return "Partial Content";
	default: return "";
	}
}

/* "HTTP/1.1 200 OK\r\nName: value\r\n...\r\n", the wire's framing headers left out. */
static int
headers_text(struct buf *h, CURL *easy, long status)
{
	struct curl_header *prev = NULL, *hd;
	long version = 0;
	const char *v = "1.1";
	int rc;

	if (curl_easy_getinfo(easy, CURLINFO_HTTP_VERSION, &version) == CURLE_OK) {
		if (version == CURL_HTTP_VERSION_1_0)
			v = "1.0";
		else if (version == CURL_HTTP_VERSION_2_0)
			v = "2";
		else if (version == CURL_HTTP_VERSION_3)
			v = "3";
	}
	rc = buf_printf(h, "HTTP/%s %ld %s\r\n", v, status, reason(status));
	while (rc == 0 && (hd = curl_easy_nextheader(easy, CURLH_HEADER, -1, prev)) != NULL) {
		prev = hd;
		if (strcasecmp(hd->name, "Content-Length") == 0 ||
		    strcasecmp(hd->name, "Content-Encoding") == 0 ||
		    strcasecmp(hd->name, "Transfer-Encoding") == 0 || strchr(hd->value, '\n'))
			continue;
		rc = buf_printf(h, "%s: %s\r\n", hd->name, hd->value);
	}
	return rc == 0 ? buf_puts(h, "\r\n") : -1;
}

int
bodyout_send(struct buf *out, uint32_t site, uint64_t id, CURL *easy, long status,
	     const char *body, size_t n)
{
	struct buf packed, headers;
	struct ipc_body m = { .id = id, .size = n };
	char digest[65];
	size_t start = out->len;
	int rc = 0;

	buf_init(&packed, IPC_MAX_BODY);
	buf_init(&headers, IPC_MAX_HEADERS);
	if (n > IPC_MAX_BODY || headers_text(&headers, easy, status) == -1 ||
	    body_pack(body, n, &packed, digest) == -1)
		rc = -1;
	m.total = packed.len;
	m.digest = digest;
	for (size_t off = 0; rc == 0 && (off < packed.len || off == 0); off += m.len) {
		m.offset = off;
		m.len = (uint32_t)(packed.len - off < IPC_BODY_CHUNK ? packed.len - off : IPC_BODY_CHUNK);
		m.data = packed.data + off;
		m.headers = off == 0 ? buf_str(&headers) : "";
		rc = ipc_put_body(out, site, &m);
		if (packed.len == 0)
			break;
	}
	if (rc == -1)
		buf_truncate(out, start);
	buf_free(&packed);
	buf_free(&headers);
	return rc;
}
