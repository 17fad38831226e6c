/*
 * warc.c: stored responses as WARC 1.1 (see warc.h).
 *
 * ISO 28500:2017 (WARC 1.1): a file is a sequence of records, each "WARC/1.1" CRLF,
 * named fields CRLF ... CRLF, a block of Content-Length bytes, CRLF CRLF.  Each record
 * is compressed as a gzip member of its own, so readers can seek to any record.
 *
 *   warcinfo  who wrote the file
 *   request   GET of the page's URL (Host only: the request headers the crawl sent are
 *             not stored; WARC-Concurrent-To names its response)
 *   response  application/http;msgtype=response: the stored status line and headers
 *             (pages.headers) and the stored body.  The body is the decoded one (the
 *             crawl removed content and transfer codings and their headers), so the
 *             record is what a client saw, not the wire's bytes.
 *
 * WARC-Payload-Digest and WARC-Block-Digest are "sha256:" and the base32 (RFC 4648)
 * of the SHA-256, in the style of the traditional sha1:BASE32.  WARC-Date is the
 * page's fetched_at.  Memory: one body at a time.
 */
#include "config.h"

#include "read/warc.h"

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>

#include <zlib.h>

#include "base/sha256.h"
#include "buf.h"
#include "store/body.h"

#define WARC_BODY_MAX (1ull << 30)

/* One record into fp as its own gzip member.  0 or -1. */
static int
put_member(FILE *fp, const struct buf *head, const void *a, size_t alen, const void *b,
	   size_t blen)
{
	unsigned char out[65536];
	z_stream z;
	const void *parts[3] = { head->data, a, b };
	size_t lens[3] = { head->len, alen, blen };
	int rc = 0;

	memset(&z, 0, sizeof z);
	if (deflateInit2(&z, 6, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) != Z_OK)
		return -1;
	for (int i = 0; i <= 3 && rc == 0; i++) {
		/* parts, then the record's closing CRLF CRLF, then finish */
		static const char end[] = "\r\n\r\n";
		int flush = i == 3 ? Z_FINISH : Z_NO_FLUSH;
		z.next_in = (Bytef *)(i < 3 ? parts[i] : end);
		z.avail_in = (uInt)(i < 3 ? lens[i] : 4);
		if (i < 3 && lens[i] > UINT32_MAX)
			rc = -1;
		if (i == 3) {
			/* finish after the CRLF CRLF */
			do {
				z.next_out = out;
				z.avail_out = sizeof out;
				if (deflate(&z, Z_FINISH) == Z_STREAM_ERROR)
					rc = -1;
				if (fwrite(out, 1, sizeof out - z.avail_out, fp) != sizeof out - z.avail_out)
					rc = -1;
			} while (rc == 0 && z.avail_out == 0);
			break;
		}
		while (rc == 0 && z.avail_in > 0) {
			z.next_out = out;
			z.avail_out = sizeof out;
			if (deflate(&z, flush) == Z_STREAM_ERROR)
				rc = -1;
			if (fwrite(out, 1, sizeof out - z.avail_out, fp) != sizeof out - z.avail_out)
				rc = -1;
		}
	}
	deflateEnd(&z);
	return rc;
}

static void
uuid(char out[48])	/* "<urn:uuid:" 36 ">" NUL */
{
	unsigned char r[16];
	static const char hex[] = "0123456789abcdef";
	char *p = out;

	if (getrandom(r, sizeof r, 0) != (ssize_t)sizeof r) {
		for (size_t i = 0; i < sizeof r; i++)
			r[i] = (unsigned char)rand();
	}
	r[6] = (unsigned char)((r[6] & 0x0f) | 0x40);
	r[8] = (unsigned char)((r[8] & 0x3f) | 0x80);
	p += sprintf(p, "<urn:uuid:");
	for (int i = 0; i < 16; i++) {
		if (i == 4 || i == 6 || i == 8 || i == 10)
			*p++ = '-';
		*p++ = hex[r[i] >> 4];
		*p++ = hex[r[i] & 15];
	}
	strcpy(p, ">");
}

/* "sha256:" + base32 of a SHA-256. */
static void
digest_label(const unsigned char d[32], char out[72])
{
	static const char b32[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
	uint32_t acc = 0;
	int bits = 0;
	char *p = out + sprintf(out, "sha256:");

	for (int i = 0; i < 32; i++) {
		acc = acc << 8 | d[i];
		bits += 8;
		while (bits >= 5) {
			*p++ = b32[(acc >> (bits - 5)) & 31];
			bits -= 5;
		}
	}
	if (bits > 0)
		*p++ = b32[(acc << (5 - bits)) & 31];
	while ((p - out - 7) % 8 != 0)
		*p++ = '=';
	*p = '\0';
}

/* WARC-Date from fetched_at ("2026-03-01T10:00:00.000Z"): kept as it is (WARC 1.1
 * allows fractions of a second). */
static int
record_head(struct buf *h, const char *type, const char *id, const char *date,
	    const char *uri, const char *ctype, size_t len, const char *extra)
{
	int rc = buf_printf(h, "WARC/1.1\r\nWARC-Type: %s\r\nWARC-Record-ID: %s\r\nWARC-Date: %s\r\n",
			    type, id, date);
	if (uri != NULL)
		rc |= buf_printf(h, "WARC-Target-URI: %s\r\n", uri);
	rc |= buf_puts(h, extra);
	rc |= buf_printf(h, "Content-Type: %s\r\nContent-Length: %zu\r\n\r\n", ctype, len);
	return rc;
}

static int
write_warcinfo(FILE *fp, const char *date)
{
	struct buf h, b;
	char id[48];
	int rc;

	buf_init(&h, 4096);
	buf_init(&b, 4096);
	uuid(id);
	rc = buf_printf(&b, "software: scraper %s\r\nformat: WARC File Format 1.1\r\n"
			"conformsTo: http://iipc.github.io/warc-specifications/specifications/"
			"warc-format/warc-1.1/\r\n", PACKAGE_VERSION);
	rc |= record_head(&h, "warcinfo", id, date, NULL, "application/warc-fields", b.len, "");
	if (rc == 0)
		rc = put_member(fp, &h, b.data, b.len, "", 0);
	buf_free(&h);
	buf_free(&b);
	return rc;
}

/* The request line and Host of url: "GET /path?q HTTP/1.1\r\nHost: h\r\n\r\n". */
static int
request_text(struct buf *r, const char *url)
{
	const char *host = strstr(url, "://"), *path;

	host = host != NULL ? host + 3 : url;
	path = host + strcspn(host, "/?#");
	return buf_printf(r, "GET %s%.*s HTTP/1.1\r\nHost: %.*s\r\n\r\n", *path == '/' ? "" : "/",
			  (int)strcspn(path, "#"), path, (int)(path - host), host);
}

static int
write_page(FILE *fp, const char *url, const char *date, const char *headers,
	   const struct buf *body)
{
	struct buf h, req, extra;
	struct sha256 c;
	unsigned char d[32];
	char rid[48], qid[48], payload[72], block[72];
	size_t hlen = strlen(headers);
	int rc = 0;

	buf_init(&h, 1 << 16);
	buf_init(&req, 1 << 16);
	buf_init(&extra, 1 << 12);
	uuid(rid);
	uuid(qid);
	sha256_init(&c);
	sha256_update(&c, body->data, body->len);
	sha256_final(&c, d);
	digest_label(d, payload);
	sha256_init(&c);
	sha256_update(&c, headers, hlen);
	sha256_update(&c, body->data, body->len);
	sha256_final(&c, d);
	digest_label(d, block);
	rc |= buf_printf(&extra, "WARC-Payload-Digest: %s\r\nWARC-Block-Digest: %s\r\n", payload, block);
	rc |= record_head(&h, "response", rid, date, url, "application/http;msgtype=response",
			  hlen + body->len, buf_str(&extra));
	if (rc == 0)
		rc = put_member(fp, &h, headers, hlen, body->data, body->len);
	buf_reset(&h);
	buf_reset(&extra);
	rc |= request_text(&req, url);
	rc |= buf_printf(&extra, "WARC-Concurrent-To: %s\r\n", rid);
	rc |= record_head(&h, "request", qid, date, url, "application/http;msgtype=request",
			  req.len, buf_str(&extra));
	if (rc == 0)
		rc = put_member(fp, &h, req.data, req.len, "", 0);
	buf_free(&h);
	buf_free(&req);
	buf_free(&extra);
	return rc;
}

int
warc_begin(FILE *fp, char *err, size_t errlen)
{
	char now[32];
	time_t t = time(NULL);
	struct tm tm;

	strftime(now, sizeof now, "%Y-%m-%dT%H:%M:%SZ", gmtime_r(&t, &tm));
	if (write_warcinfo(fp, now) == -1) {
		snprintf(err, errlen, "writing: %s", strerror(errno));
		return -1;
	}
	return 0;
}

int
warc_page(FILE *fp, struct buf *body, const char *url, const char *date, const char *headers,
	  const void *packed, size_t packed_len, int64_t size, const char *digest,
	  const char *codec, char *err, size_t errlen)
{
	char berr[200];

	if (codec == NULL || strcmp(codec, BODY_CODEC) != 0 || size < 0 ||
	    (uint64_t)size > WARC_BODY_MAX ||
	    body_unpack(packed, packed_len, (size_t)size, digest, body, berr, sizeof berr) == -1) {
		fprintf(stderr, "scraper: %s: %s; left out of the WARC file\n", url,
			codec == NULL || strcmp(codec, BODY_CODEC) != 0 ? "unknown codec" : berr);
		return 1;
	}
	if (write_page(fp, url, date ? date : "1970-01-01T00:00:00Z",
		       headers ? headers : "HTTP/1.1 200 OK\r\n\r\n", body) == -1) {
		snprintf(err, errlen, "writing: %s", strerror(errno));
		return -1;
	}
	return 0;
}

int
warc_write(sqlite3 *db, FILE *fp, volatile sig_atomic_t *stop, char *err, size_t errlen)
{
	sqlite3_stmt *st;
	struct buf body;
	int rc;

	if (sqlite3_prepare_v2(db, WARC_PAGES_SQL, -1, &st, NULL) != SQLITE_OK) {
		snprintf(err, errlen, "%s", sqlite3_errmsg(db));
		return -1;
	}
	buf_init(&body, WARC_BODY_MAX);
	rc = sqlite3_step(st);
	if (warc_begin(fp, err, errlen) == -1)
		rc = -1;
	for (; rc == SQLITE_ROW; rc = sqlite3_step(st)) {
		if (*stop) {
			rc = -4;
			break;
		}
		if (warc_page(fp, &body, (const char *)sqlite3_column_text(st, 0),
			      (const char *)sqlite3_column_text(st, 1),
			      (const char *)sqlite3_column_text(st, 2), sqlite3_column_blob(st, 3),
			      (size_t)sqlite3_column_bytes(st, 3), sqlite3_column_int64(st, 4),
			      (const char *)sqlite3_column_text(st, 5),
			      (const char *)sqlite3_column_text(st, 6), err, errlen) == -1) {
			rc = -1;
			break;
		}
	}
	if (rc != SQLITE_DONE && rc != -1 && rc != -4)
		snprintf(err, errlen, "%s", sqlite3_errmsg(db));
	sqlite3_finalize(st);
	buf_free(&body);
	return rc == SQLITE_DONE ? 0 : rc == -4 ? -4 : -1;
}
