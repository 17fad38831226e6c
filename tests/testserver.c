/*
 * testserver.c: the loopback HTTP/1.1 server every network test of scraper talks to.
 *
 * It serves static files from a folder (--root), a generated site of linked pages
 * (--gen), and paths scripted by a routes file (--routes) to behave, or misbehave, on
 * purpose: any status, redirects, delays, stalls, byte-at-a-time bodies, resets,
 * garbage, a head cut after its status line, an HTTP version curl misreads, a body cut
 * short of its Content-Length (reset-after=N, with fin a clean close), broken
 * chunking, endless and huge
 * bodies, gzip and gzip bombs, status sequences for retry tests, validators for conditional requests, cookies, and gates
 * (gate=FILE: answers wait until the test opens the gate, so a test decides how far a
 * crawl may go instead of hoping a timer is long enough).  With --log
 * it writes one line per request, so a test can check what a client sent, on which
 * connection, and how many requests were in flight at once.  With --http10 it answers
 * as an HTTP/1.0 server without keep-alive, with or without Content-Length.  It
 * listens on --bind (127.0.0.1, or ::1 for IPv6).
 *
 * It binds port 0 by default and prints the port it got on stdout, so tests run in
 * parallel.  One thread per connection: sleeping in a thread is how delays and drips
 * are done.  Every wait polls the connection and a stop pipe together and every send
 * checks a stop flag, so SIGTERM ends every thread at once; the main thread joins
 * them all and exits 0 with nothing leaked.  It is a test tool: it trusts its command
 * line and its routes file.
 */
#include <config.h>

#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define ZLIB_CONST
#include <zlib.h>

#include "buf.h"

#define HEAD_MAX	(16 * 1024)	/* a request head may be this long; longer gets 431 */
#define IO_CHUNK	(64 * 1024)	/* bytes per read, per write, per chunk */
#define LINGER_MS	2000		/* a closing connection drains its input this long */
#define THREAD_STACK	(1024 * 1024)
#define BODY_MAX	(256L * 1024 * 1024)	/* inline, generated or gzipped body in memory */
#define LINE_MAX_ROUTE	(1024 * 1024)	/* one word of a routes file */
#define GEN_MAX		1000000000000LL	/* --gen N at most */

/* Set by the SIGINT/SIGTERM handler; the accept loop stops when it is set. */
static volatile sig_atomic_t stop_signal;

/* One line of the routes file: how to answer one request target (or a prefix). */
struct route {
	char *path;		/* the request target, without a trailing '*' */
	int prefix;		/* the path ended in '*': match it as a prefix */
	int status;		/* 200 unless status= */
	char *type;		/* type=: Content-Type, "none" for none; NULL: by content */
	struct buf headers;	/* header=, location=, set-cookie=: lines ending in CRLF */
	char *body, *file;
	char *retry_after, *etag, *last_modified, *require_cookie;
	char *gate;		/* gate=: see wait_gate */
	long long delay_ms, drip_ms;		/* 0 when unset */
	long long reset_after, size, gzip_bomb;	/* -1 when unset */
	int stall, reset, garbage, bad_chunked, endless, gzip;
	int fin;		/* fin: reset-after's cut is a clean close, not a reset */
	int cut_head;		/* cut-head: the status line, then close */
	int bad_version;	/* bad-version: an HTTP version curl misreads, then close */
	int *seq;		/* seq=: statuses in turn, the last one repeating */
	size_t nseq;
	atomic_ulong hits;	/* requests so far, for seq */
	atomic_ulong gate_hits;	/* requests so far, for gate */
};

struct options {
	const char *root;
	const char *routes;
	const char *log;
	const char *bind;
	const char *port;
	int http10;		/* --http10: 0, or HTTP10_CLOSE or HTTP10_LENGTH */
	long long gen_n;
	long long gen_bytes;
	const char **gen_links;
	size_t ngen_links;
};

/* The whole server.  Fields under "lock" are shared by the connection threads. */
struct server {
	struct options opt;
	struct route *routes;
	size_t nroutes;
	int listen_fd;
	int stop_pipe[2];	/* written once at shutdown; never read, so it stays readable */
	int log_fd;		/* -1 without --log */
	pthread_attr_t thread_attr;
	pthread_mutex_t lock;
	pthread_cond_t idle;	/* signalled when nthreads drops to 0 */
	unsigned long nconn;	/* connections accepted: the next one's id */
	unsigned active;	/* requests in progress */
	unsigned nthreads;	/* connection threads alive */
	struct conn *done;	/* connections whose thread has finished: join them */
	atomic_int stopping;	/* set at shutdown, before the stop pipe is written */
};

/* One client connection, owned by its thread. */
struct conn {
	struct server *srv;
	pthread_t thread;
	struct conn *next;	/* on the server's done list */
	int fd;			/* -1 once closed */
	int eof;		/* the client has closed its side */
	unsigned long id;
	long long rx_us;	/* when the kernel received the last bytes read (SO_TIMESTAMP) */
	size_t len;		/* bytes in buf */
	char buf[HEAD_MAX + 1];	/* the request head being read, and what follows it */
	char path[HEAD_MAX + 1];/* the request's path, percent-decoded, no query */
};

/* One parsed request.  The strings point into the connection's buffer. */
struct request {
	const char *method, *target;
	const char *match;	/* the target in origin form: what routes match */
	const char *user_agent, *accept_encoding, *cookie;
	const char *if_none_match, *if_modified_since;
	int minor;		/* HTTP/1.minor */
	int head;		/* a HEAD request: headers only */
	int keep_alive;
	long long content_length;
	long long time_us;	/* when the request started to arrive (the kernel's time) */
	size_t head_len;	/* bytes of the connection's buffer the head takes */
	size_t body_in_buf;	/* request body bytes that followed the head in the buffer */
};

enum body_kind { BODY_NONE, BODY_MEM, BODY_FILE, BODY_FILLER, BODY_ZEROS };

enum framing { FRAME_NONE, FRAME_LENGTH, FRAME_CHUNKED, FRAME_CLOSE };

/* --http10 MODE: every answer is an HTTP/1.0 one, without keep-alive (no Connection
 * header; the connection closes after it), as an old server sends: "close" gives no
 * Content-Length, so the body ends where the connection does; "length" gives one. */
enum { HTTP10_CLOSE = 1, HTTP10_LENGTH = 2 };

/* What to answer: decided first, then logged, then sent. */
struct reply {
	int status;
	const char *type;	/* Content-Type, or NULL for none */
	struct buf headers;	/* extra header lines, each ending in CRLF */
	enum body_kind kind;
	struct buf mem;		/* BODY_MEM */
	int fd;			/* BODY_FILE */
	long long length;	/* body bytes before encoding; -1: endless */
	int gzip;		/* Content-Encoding: gzip */
	int stream_gzip;	/* ...encoded while sending (length unknown) */
	int close;		/* close the connection after this reply */
	struct route *route;	/* the route that scripts it, or NULL */
};

/* The body on its way out: gzip, then chunk framing, then reset-after, then drip. */
struct out {
	struct conn *c;
	int chunked;
	int gzip;
	z_stream z;
	long long left;		/* reset-after: body bytes still allowed; -1 no limit */
	long long drip_ms;
	char *zbuf;		/* deflate output */
	char *frame;		/* one chunk with its framing */
	char *block;		/* generated body */
};

static const char filler_head[] = "<html><body>\n";
static const char filler_line[] =
    "<p>filler text for the scraper test server, repeated to make a page long.</p>\n";

/* ------------------------------------------------------------------------- */
/* Small helpers */

static long long
now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (long long)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

static long long
mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Parse a whole decimal number in [min, max].  0 or -1. */
static int
parse_number(const char *s, long long min, long long max, long long *out)
{
	char *end;
	long long v;

	if (!isdigit((unsigned char)*s))
		return -1;
	errno = 0;
	v = strtoll(s, &end, 10);
	if (errno != 0 || *end != '\0' || v < min || v > max)
		return -1;
	*out = v;
	return 0;
}

static int
is_space(char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

/* Characters of an HTTP token (method, header name). */
static int
token_ok(const char *s)
{
	if (*s == '\0')
		return 0;
	for (; *s != '\0'; s++)
		if (!isalnum((unsigned char)*s) && strchr("!#$%&'*+-.^_`|~", *s) == NULL)
			return 0;
	return 1;
}

static const char *
status_reason(int status)
{
	static const struct {
		int status;
		const char *reason;
	} reasons[] = {
		{ 100, "Continue" }, { 200, "OK" }, { 201, "Created" }, { 202, "Accepted" },
		{ 203, "Non-Authoritative Information" }, { 204, "No Content" },
		{ 206, "Partial Content" }, { 300, "Multiple Choices" },
		{ 301, "Moved Permanently" }, { 302, "Found" }, { 303, "See Other" },
		{ 304, "Not Modified" }, { 307, "Temporary Redirect" },
		{ 308, "Permanent Redirect" }, { 400, "Bad Request" }, { 401, "Unauthorized" },
		{ 402, "Payment Required" }, { 403, "Forbidden" }, { 404, "Not Found" },
		{ 405, "Method Not Allowed" }, { 406, "Not Acceptable" },
		{ 408, "Request Timeout" }, { 410, "Gone" }, { 413, "Content Too Large" },
		{ 414, "URI Too Long" }, { 418, "I'm a teapot" }, { 429, "Too Many Requests" },
		{ 431, "Request Header Fields Too Large" }, { 451, "Unavailable For Legal Reasons" },
		{ 500, "Internal Server Error" }, { 501, "Not Implemented" },
		{ 502, "Bad Gateway" }, { 503, "Service Unavailable" },
		{ 504, "Gateway Timeout" }, { 505, "HTTP Version Not Supported" },
	};
	size_t i;

	for (i = 0; i < sizeof reasons / sizeof reasons[0]; i++)
		if (reasons[i].status == status)
			return reasons[i].reason;
	return "Unknown";
}

/* 1xx, 204 and 304 answers have no body. */
static int
status_has_body(int status)
{
	return status >= 200 && status != 204 && status != 304;
}

static const char *
type_for_path(const char *path)
{
	static const struct {
		const char *ext, *type;
	} types[] = {
		{ "html", "text/html" }, { "htm", "text/html" }, { "txt", "text/plain" },
		{ "css", "text/css" }, { "js", "text/javascript" },
		{ "json", "application/json" }, { "xml", "application/xml" },
		{ "png", "image/png" }, { "jpg", "image/jpeg" }, { "jpeg", "image/jpeg" },
		{ "gif", "image/gif" }, { "pdf", "application/pdf" },
	};
	const char *slash = strrchr(path, '/'), *dot = strrchr(path, '.');
	size_t i;

	if (dot != NULL && (slash == NULL || dot > slash))
		for (i = 0; i < sizeof types / sizeof types[0]; i++)
			if (strcasecmp(dot + 1, types[i].ext) == 0)
				return types[i].type;
	return "application/octet-stream";
}

/* Write all of it to a file descriptor.  0 or -1. */
static int
write_all(int fd, const char *p, size_t n)
{
	ssize_t w;

	while (n > 0) {
		w = write(fd, p, n);
		if (w == -1 && errno == EINTR)
			continue;
		if (w <= 0)
			return -1;
		p += w;
		n -= (size_t)w;
	}
	return 0;
}

/* Copy n bytes of the filler stream starting at offset off: an <html><body> start,
 * then the same paragraph over and over. */
static void
filler_fill(char *dst, long long off, size_t n)
{
	const long long head = sizeof filler_head - 1, line = sizeof filler_line - 1;
	const char *src;
	size_t k, avail;

	while (n > 0) {
		if (off < head) {
			src = filler_head + off;
			avail = (size_t)(head - off);
		} else {
			src = filler_line + (off - head) % line;
			avail = (size_t)(line - (off - head) % line);
		}
		k = n < avail ? n : avail;
		memcpy(dst, src, k);
		dst += k;
		off += (long long)k;
		n -= k;
	}
}

/* ------------------------------------------------------------------------- */
/* The routes file */

enum key_kind { KEY_FLAG, KEY_STATUS, KEY_COUNT, KEY_STRING, KEY_HEADER, KEY_SEQ };

struct route_key {
	const char *name;
	enum key_kind kind;
	size_t offset;		/* of the member it sets */
	const char *header;	/* KEY_HEADER: the header it adds ("" for header=) */
};

#define AT(m) offsetof(struct route, m)
static const struct route_key route_keys[] = {
	{ "status", KEY_STATUS, AT(status), NULL },
	{ "type", KEY_STRING, AT(type), NULL },
	{ "header", KEY_HEADER, 0, "" },
	{ "location", KEY_HEADER, 0, "Location" },
	{ "set-cookie", KEY_HEADER, 0, "Set-Cookie" },
	{ "body", KEY_STRING, AT(body), NULL },
	{ "file", KEY_STRING, AT(file), NULL },
	{ "retry-after", KEY_STRING, AT(retry_after), NULL },
	{ "etag", KEY_STRING, AT(etag), NULL },
	{ "last-modified", KEY_STRING, AT(last_modified), NULL },
	{ "require-cookie", KEY_STRING, AT(require_cookie), NULL },
	{ "delay", KEY_COUNT, AT(delay_ms), NULL },
	{ "gate", KEY_STRING, AT(gate), NULL },
	{ "drip", KEY_COUNT, AT(drip_ms), NULL },
	{ "reset-after", KEY_COUNT, AT(reset_after), NULL },
	{ "size", KEY_COUNT, AT(size), NULL },
	{ "gzip-bomb", KEY_COUNT, AT(gzip_bomb), NULL },
	{ "seq", KEY_SEQ, 0, NULL },
	{ "stall", KEY_FLAG, AT(stall), NULL },
	{ "reset", KEY_FLAG, AT(reset), NULL },
	{ "garbage", KEY_FLAG, AT(garbage), NULL },
	{ "cut-head", KEY_FLAG, AT(cut_head), NULL },
	{ "bad-version", KEY_FLAG, AT(bad_version), NULL },
	{ "bad-chunked", KEY_FLAG, AT(bad_chunked), NULL },
	{ "endless", KEY_FLAG, AT(endless), NULL },
	{ "gzip", KEY_FLAG, AT(gzip), NULL },
	{ "fin", KEY_FLAG, AT(fin), NULL },
};
#undef AT

static int
route_init(struct route *rt, const char *path)
{
	size_t n = strlen(path);

	memset(rt, 0, sizeof *rt);
	rt->status = 200;
	rt->reset_after = rt->size = rt->gzip_bomb = -1;
	buf_init(&rt->headers, LINE_MAX_ROUTE);
	atomic_init(&rt->hits, 0);
	atomic_init(&rt->gate_hits, 0);
	if ((rt->path = strdup(path)) == NULL)
		return -1;
	if (n > 0 && path[n - 1] == '*') {
		rt->prefix = 1;
		rt->path[n - 1] = '\0';
	}
	return 0;
}

static void
route_free(struct route *rt)
{
	free(rt->path);
	free(rt->type);
	buf_free(&rt->headers);
	free(rt->body);
	free(rt->file);
	free(rt->retry_after);
	free(rt->gate);
	free(rt->etag);
	free(rt->last_modified);
	free(rt->require_cookie);
	free(rt->seq);
}

/* seq=503,503,200 */
static int
route_set_seq(struct route *rt, const char *value)
{
	char *copy, *p, *save = NULL;
	long long v;
	int rc = 0;

	if ((copy = strdup(value)) == NULL)
		return -1;
	free(rt->seq);
	rt->seq = calloc(strlen(value) / 2 + 1, sizeof *rt->seq);
	rt->nseq = 0;
	if (rt->seq == NULL)
		rc = -1;
	for (p = strtok_r(copy, ",", &save); rc == 0 && p != NULL; p = strtok_r(NULL, ",", &save)) {
		if (parse_number(p, 100, 999, &v) == -1)
			rc = -1;
		else
			rt->seq[rt->nseq++] = (int)v;
	}
	free(copy);
	return rc == 0 && rt->nseq > 0 ? 0 : -1;
}

/* Apply one key (value NULL for a bare flag) to a route.  0, or -1 with a message. */
static int
route_set(struct route *rt, const struct route_key *k, const char *value, char *err, size_t errlen)
{
	char *at = (char *)rt + k->offset;
	long long v;

	if ((k->kind == KEY_FLAG) != (value == NULL)) {
		snprintf(err, errlen, k->kind == KEY_FLAG ? "'%s' takes no value" : "'%s' needs =VALUE", k->name);
		return -1;
	}
	switch (k->kind) {
	case KEY_FLAG:
		*(int *)(void *)at = 1;
		return 0;
	case KEY_STATUS:
		if (parse_number(value, 100, 999, &v) == -1)
			break;
		*(int *)(void *)at = (int)v;
		return 0;
	case KEY_COUNT:
		if (parse_number(value, 0, LLONG_MAX, &v) == -1)
			break;
		*(long long *)(void *)at = v;
		return 0;
	case KEY_STRING:
		free(*(char **)(void *)at);
		return (*(char **)(void *)at = strdup(value)) == NULL ? -1 : 0;
	case KEY_HEADER:
		if (*k->header == '\0' && strchr(value, ':') == NULL)
			break;
		return buf_printf(&rt->headers, "%s%s%s\r\n", k->header, *k->header ? ": " : "", value);
	case KEY_SEQ:
		if (route_set_seq(rt, value) == 0)
			return 0;
		break;
	}
	snprintf(err, errlen, "bad value for '%s': '%s'", k->name, value);
	return -1;
}

/* One key=value word or flag word of a route line. */
static int
route_word(struct route *rt, char *word, char *err, size_t errlen)
{
	char *eq = strchr(word, '=');
	size_t i;

	if (eq != NULL)
		*eq = '\0';
	for (i = 0; i < sizeof route_keys / sizeof route_keys[0]; i++)
		if (strcmp(word, route_keys[i].name) == 0)
			return route_set(rt, &route_keys[i], eq != NULL ? eq + 1 : NULL, err, errlen);
	snprintf(err, errlen, "unknown key '%s'", word);
	return -1;
}

/* An etag given bare (etag=v1) is sent quoted ("v1"), as HTTP wants. */
static int
route_finish(struct route *rt)
{
	char *q;
	size_t n;

	if (rt->etag == NULL || rt->etag[0] == '"' || strncmp(rt->etag, "W/", 2) == 0)
		return 0;
	n = strlen(rt->etag) + 3;
	if ((q = malloc(n)) == NULL)
		return -1;
	snprintf(q, n, "\"%s\"", rt->etag);
	free(rt->etag);
	rt->etag = q;
	return 0;
}

static int
unescape(char c)
{
	switch (c) {
	case 'n': return '\n';
	case 't': return '\t';
	case 'r': return '\r';
	case '"': return '"';
	case '\\': return '\\';
	default: return -1;
	}
}

/* Cut the next word of a routes line from *sp into w: double quotes removed (they may
 * start anywhere in a word), \" \\ \n \t \r unescaped inside them.  1 when a word was
 * cut, 0 at the end of the line or at a '#' comment, -1 on an unterminated quote or a
 * bad escape. */
static int
word_next(const char **sp, struct buf *w)
{
	const char *s = *sp;
	int quoted = 0, c;

	buf_reset(w);
	while (is_space(*s))
		s++;
	if (*s == '\0' || *s == '#')
		return 0;
	for (; *s != '\0' && (quoted || !is_space(*s)); s++) {
		c = *s;
		if (c == '"') {
			quoted = !quoted;
			if (buf_reserve(w, 0) == -1)	/* so "" gives an empty word */
				return -1;
			continue;
		}
		if (quoted && c == '\\' && (c = unescape(*++s)) == -1)
			return -1;
		if (buf_putc(w, c) == -1)
			return -1;
	}
	*sp = s;
	return quoted ? -1 : 1;
}

/* Parse one line into *rt.  1 a route, 0 nothing (blank or comment), -1 an error. */
static int
route_parse_line(const char *line, struct route *rt, char *err, size_t errlen)
{
	struct buf w;
	int rc;

	buf_init(&w, LINE_MAX_ROUTE);
	if ((rc = word_next(&line, &w)) != 1) {
		snprintf(err, errlen, "unterminated quote or bad escape");
		buf_free(&w);
		return rc;
	}
	if (route_init(rt, buf_str(&w)) == -1) {
		snprintf(err, errlen, "out of memory");
		rc = -1;
	}
	while (rc == 1 && (rc = word_next(&line, &w)) == 1)
		rc = route_word(rt, w.data, err, errlen) == -1 ? -1 : 1;
	if (rc == -1 && err[0] == '\0')
		snprintf(err, errlen, "unterminated quote or bad escape");
	if (rc != -1 && route_finish(rt) == -1)
		rc = -1;
	buf_free(&w);
	if (rc == -1) {
		route_free(rt);
		return -1;
	}
	return 1;
}

static int
routes_add(struct server *srv, const struct route *rt)
{
	struct route *p = realloc(srv->routes, (srv->nroutes + 1) * sizeof *p);

	if (p == NULL)
		return -1;
	srv->routes = p;
	p[srv->nroutes++] = *rt;
	return 0;
}

/* Load the routes file.  Every bad line is reported as FILE:LINE: message. */
static int
routes_load(struct server *srv, const char *path)
{
	FILE *f = fopen(path, "r");
	char *line = NULL, err[256];
	size_t cap = 0;
	int lineno = 0, errors = 0, rc;
	struct route rt;

	if (f == NULL) {
		fprintf(stderr, "testserver: %s: %s\n", path, strerror(errno));
		return -1;
	}
	while (getline(&line, &cap, f) != -1) {
		lineno++;
		err[0] = '\0';
		rc = route_parse_line(line, &rt, err, sizeof err);
		if (rc == 1 && routes_add(srv, &rt) == -1) {
			route_free(&rt);
			snprintf(err, sizeof err, "out of memory");
			rc = -1;
		}
		if (rc == -1) {
			fprintf(stderr, "%s:%d: %s\n", path, lineno, err);
			errors++;
		}
	}
	free(line);
	fclose(f);
	return errors > 0 ? -1 : 0;
}

static struct route *
route_find(struct server *srv, const char *target)
{
	struct route *rt;
	size_t i;

	for (i = 0; i < srv->nroutes; i++) {
		rt = &srv->routes[i];
		if (rt->prefix ? strncmp(target, rt->path, strlen(rt->path)) == 0
			       : strcmp(target, rt->path) == 0)
			return rt;
	}
	return NULL;
}

/* The status for this request: the next of seq=, or status=. */
static int
route_next_status(struct route *rt)
{
	unsigned long k;

	if (rt->nseq == 0)
		return rt->status;
	k = atomic_fetch_add(&rt->hits, 1);
	return rt->seq[k < rt->nseq ? k : rt->nseq - 1];
}

/* ------------------------------------------------------------------------- */
/* Connection I/O.  Every wait also watches the stop pipe. */

/* Wait for events on the connection.  1 ready, 0 timed out, -1 stopping or error. */
static int
conn_wait(struct conn *c, short events, int timeout_ms)
{
	struct pollfd p[2] = {
		{ .fd = c->fd, .events = events },
		{ .fd = c->srv->stop_pipe[0], .events = POLLIN },
	};
	int n;

	do
		n = poll(p, 2, timeout_ms);
	while (n == -1 && errno == EINTR);
	if (n == -1 || p[1].revents != 0)
		return -1;
	return n > 0 ? 1 : 0;
}

/* Sleep, waking early when the server stops.  0, or -1 when stopping. */
static int
server_sleep(struct server *srv, long long ms)
{
	struct pollfd p = { .fd = srv->stop_pipe[0], .events = POLLIN };
	int n;

	if (ms > INT_MAX)
		ms = INT_MAX;
	do
		n = poll(&p, 1, (int)ms);
	while (n == -1 && errno == EINTR);
	return n == 0 ? 0 : -1;
}

/* Send all of it.  0, or -1 when the client went away or the server stops (checked
 * on every call: a client that reads as fast as we write never makes us wait). */
static int
conn_send(struct conn *c, const char *p, size_t n)
{
	ssize_t w;

	if (atomic_load(&c->srv->stopping))
		return -1;
	while (n > 0) {
		w = send(c->fd, p, n, MSG_NOSIGNAL | MSG_DONTWAIT);
		if (w == -1 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)) {
			if (conn_wait(c, POLLOUT, -1) != 1)
				return -1;
			continue;
		}
		if (w <= 0)
			return -1;
		p += w;
		n -= (size_t)w;
	}
	return 0;
}

/* Receive up to n bytes.  >0 bytes, 0 the client closed, -1 error or stopping. */
static ssize_t
conn_recv_into(struct conn *c, char *p, size_t n)
{
	ssize_t r;

	for (;;) {
		union {
			char buf[CMSG_SPACE(sizeof(struct timeval))];
			struct cmsghdr align;
		} ctl;
		struct iovec iov = { p, n };
		struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1,
				      .msg_control = ctl.buf, .msg_controllen = sizeof ctl.buf };
		if (conn_wait(c, POLLIN, -1) != 1)
			return -1;
		r = recvmsg(c->fd, &msg, MSG_DONTWAIT);
		/* The kernel's receive time, not when this thread got round to reading:
		 * under load the two differ by milliseconds, and politeness tests measure
		 * the gaps between requests. */
		c->rx_us = 0;
		for (struct cmsghdr *cm = CMSG_FIRSTHDR(&msg); r > 0 && cm != NULL;
		     cm = CMSG_NXTHDR(&msg, cm)) {
			if (cm->cmsg_level == SOL_SOCKET && cm->cmsg_type == SCM_TIMESTAMP) {
				struct timeval tv;
				memcpy(&tv, CMSG_DATA(cm), sizeof tv);
				c->rx_us = (long long)tv.tv_sec * 1000000 + tv.tv_usec;
			}
		}
		if (r == -1 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR))
			continue;
		if (r == 0)
			c->eof = 1;
		return r;
	}
}

/* Drop the first n bytes of the buffer. */
static void
conn_consume(struct conn *c, size_t n)
{
	memmove(c->buf, c->buf + n, c->len - n);
	c->len -= n;
}

/* Close with a TCP RST: SO_LINGER with a zero timeout, then close. */
static void
conn_reset(struct conn *c)
{
	struct linger l = { .l_onoff = 1, .l_linger = 0 };

	if (setsockopt(c->fd, SOL_SOCKET, SO_LINGER, &l, sizeof l) == -1)
		perror("testserver: SO_LINGER");
	close(c->fd);
	c->fd = -1;
}

/* Close gracefully: stop sending, then read what the client still sends for a while,
 * so that unread input does not turn our close into a reset and lose the answer. */
static void
conn_close(struct conn *c)
{
	long long deadline = mono_ms() + LINGER_MS, left;
	char scratch[4096];

	if (!c->eof && shutdown(c->fd, SHUT_WR) == 0) {
		while ((left = deadline - mono_ms()) > 0 && conn_wait(c, POLLIN, (int)left) == 1)
			if (recv(c->fd, scratch, sizeof scratch, MSG_DONTWAIT) <= 0)
				break;
	}
	close(c->fd);
	c->fd = -1;
}

/* stall: send nothing; hold the connection until the client closes it. */
static int
conn_stall(struct conn *c)
{
	char scratch[4096];

	while (conn_recv_into(c, scratch, sizeof scratch) > 0)
		continue;
	return -1;
}

/* garbage: bytes that are not an HTTP status line, then close. */
static int
conn_garbage(struct conn *c)
{
	static const char junk[] = "HTTX/9 what\r\n\r\n\x01\x02\x03\xfe\xff junk junk junk\r\n";

	conn_send(c, junk, sizeof junk - 1);
	return -1;
}

/* cut-head: a status line and nothing after it, then close. */
static int
conn_cut_head(struct conn *c)
{
	static const char line[] = "HTTP/1.1 200 OK\r\n";

	conn_send(c, line, sizeof line - 1);
	return -1;
}

/* bad-version: a head whose HTTP version overflows an int (curl 7.88 read its status
 * as -1116077171), then close. */
static int
conn_bad_version(struct conn *c)
{
	static const char head[] = "HTTP/2222222222221.1 302 Found\r\nContent-Length: 0\r\n\r\n";

	conn_send(c, head, sizeof head - 1);
	return -1;
}

/* bad-chunked, after the headers: one good chunk, then a size line that is not hex. */
static int
conn_bad_chunks(struct conn *c)
{
	static const char good[] = "<html><body><p>first chunk</p>\n";
	static const char bad[] = "zz;not-a-size\r\n<p>never</p>\r\n";
	char frame[128];
	int n;

	n = snprintf(frame, sizeof frame, "%zx\r\n%s\r\n%s", sizeof good - 1, good, bad);
	conn_send(c, frame, (size_t)n);
	return -1;
}

/* ------------------------------------------------------------------------- */
/* Reading and parsing requests */

/* The length of the request head at the start of buf (through its empty line), or 0
 * when it is not complete yet. */
static size_t
head_end(const char *buf, size_t len)
{
	const char *p = buf, *nl;

	while ((nl = memchr(p, '\n', len - (size_t)(p - buf))) != NULL) {
		p = nl + 1;
		if (p < buf + len && *p == '\n')
			return (size_t)(p + 1 - buf);
		if (p + 1 < buf + len && p[0] == '\r' && p[1] == '\n')
			return (size_t)(p + 2 - buf);
	}
	return 0;
}

/* Blank lines before a request line are allowed (RFC 9112 2.2); drop them. */
static void
conn_skip_blank(struct conn *c)
{
	size_t n = 0;

	while (n < c->len && (c->buf[n] == '\r' || c->buf[n] == '\n'))
		n++;
	conn_consume(c, n);
}

/* End the line at *line (CRLF or LF) with a NUL; return the next line. */
static char *
line_cut(char *line)
{
	char *nl = strchr(line, '\n');

	*nl = '\0';
	if (nl > line && nl[-1] == '\r')
		nl[-1] = '\0';
	return nl + 1;
}

static int
request_line(char *line, struct request *req)
{
	char *sp, *version;

	if ((sp = strchr(line, ' ')) == NULL)
		return -1;
	*sp = '\0';
	req->method = line;
	req->target = sp + 1;
	if ((sp = strchr(sp + 1, ' ')) == NULL)
		return -1;
	*sp = '\0';
	version = sp + 1;
	if (!token_ok(req->method) || req->target[0] == '\0' || strchr(req->target, ' '))
		return -1;
	if (strcmp(version, "HTTP/1.1") == 0)
		req->minor = 1;
	else if (strcmp(version, "HTTP/1.0") == 0)
		req->minor = 0;
	else
		return -1;
	req->head = strcmp(req->method, "HEAD") == 0;
	req->keep_alive = req->minor == 1;
	return 0;
}

/* Does a comma-separated header value hold this token (case-insensitive)? */
static int
list_has(const char *value, const char *token)
{
	size_t n = strlen(token);
	const char *p = value;

	while (*p != '\0') {
		while (*p == ' ' || *p == '\t' || *p == ',')
			p++;
		if (strncasecmp(p, token, n) == 0 && strchr(" \t,;", p[n]) != NULL)
			return 1;
		p += strcspn(p, ",");
	}
	return 0;
}

/* Remember the headers the server uses or logs. */
static int
header_note(struct request *req, const char *name, const char *value)
{
	static const struct {
		const char *name;
		size_t offset;
	} noted[] = {
		{ "User-Agent", offsetof(struct request, user_agent) },
		{ "Accept-Encoding", offsetof(struct request, accept_encoding) },
		{ "Cookie", offsetof(struct request, cookie) },
		{ "If-None-Match", offsetof(struct request, if_none_match) },
		{ "If-Modified-Since", offsetof(struct request, if_modified_since) },
	};
	size_t i;

	for (i = 0; i < sizeof noted / sizeof noted[0]; i++)
		if (strcasecmp(name, noted[i].name) == 0)
			*(const char **)(void *)((char *)req + noted[i].offset) = value;
	if (strcasecmp(name, "Connection") == 0 && list_has(value, "close"))
		req->keep_alive = 0;
	if (strcasecmp(name, "Transfer-Encoding") == 0)
		req->keep_alive = 0;	/* a chunked request body is not read: close after */
	if (strcasecmp(name, "Content-Length") == 0)
		return parse_number(value, 0, LLONG_MAX, &req->content_length);
	return 0;
}

static int
header_line(char *line, struct request *req)
{
	char *colon, *value, *end;

	if (*line == ' ' || *line == '\t')	/* obsolete line folding */
		return -1;
	if ((colon = strchr(line, ':')) == NULL)
		return -1;
	*colon = '\0';
	if (!token_ok(line))
		return -1;
	for (value = colon + 1; *value == ' ' || *value == '\t'; value++)
		continue;
	for (end = value + strlen(value); end > value && (end[-1] == ' ' || end[-1] == '\t'); end--)
		continue;
	*end = '\0';
	return header_note(req, line, value);
}

static int
hex_value(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	c = (char)tolower((unsigned char)c);
	return c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

/* The target in origin form (an absolute-form target loses its scheme and host), and
 * its path percent-decoded into c->path.  0 or -1. */
static int
target_split(struct conn *c, struct request *req)
{
	const char *t = req->target;
	char *out = c->path;
	int hi, lo;

	if (strncasecmp(t, "http://", 7) == 0 || strncasecmp(t, "https://", 8) == 0) {
		t = strchr(strchr(t, ':') + 3, '/');
		if (t == NULL)
			t = "/";
	} else if (t[0] != '/') {
		return -1;
	}
	req->match = t;
	for (; *t != '\0' && *t != '?' && *t != '#'; t++) {
		if (*t != '%') {
			*out++ = *t;
			continue;
		}
		if ((hi = hex_value(t[1])) == -1 || (lo = hex_value(t[2])) == -1 || hi + lo == 0)
			return -1;
		*out++ = (char)(hi * 16 + lo);
		t += 2;
	}
	*out = '\0';
	return 0;
}

/* Parse the head in c->buf (in place).  0, or 400. */
static int
request_parse(struct conn *c, struct request *req)
{
	char *line = c->buf, *next;

	if (memchr(c->buf, '\0', req->head_len) != NULL)
		return 400;
	next = line_cut(line);
	if (request_line(line, req) == -1)
		return 400;
	for (line = next; *line != '\0' && *line != '\r' && *line != '\n'; line = next) {
		next = line_cut(line);
		if (header_line(line, req) == -1)
			return 400;
	}
	return target_split(c, req) == -1 ? 400 : 0;
}

static void
request_init(struct request *req)
{
	memset(req, 0, sizeof *req);
	req->method = req->target = req->match = "";
	req->user_agent = req->accept_encoding = req->cookie = "";
	req->if_none_match = req->if_modified_since = "";
	req->minor = 1;
}

/* Read one request head and parse it.  0 a request; 400 or 431 a request that cannot
 * be served (answer, then close); -1 the client went away. */
static int
request_read(struct conn *c, struct request *req)
{
	ssize_t n;

	request_init(req);
	conn_skip_blank(c);
	if (c->len > 0)
		req->time_us = c->rx_us ? c->rx_us : now_us();
	while ((req->head_len = head_end(c->buf, c->len)) == 0) {
		if (c->len >= HEAD_MAX)
			return 431;
		if ((n = conn_recv_into(c, c->buf + c->len, HEAD_MAX - c->len)) <= 0)
			return -1;
		c->len += (size_t)n;
		if (req->time_us == 0)
			req->time_us = c->rx_us ? c->rx_us : now_us();
		conn_skip_blank(c);
	}
	return request_parse(c, req);
}

/* Read and drop the request body (Content-Length).  0 or -1. */
static int
request_skip_body(struct conn *c, struct request *req)
{
	long long left = req->content_length;
	size_t have = c->len - req->head_len;
	char scratch[4096];
	ssize_t n;

	if ((long long)have >= left) {
		req->body_in_buf = (size_t)left;
		return 0;
	}
	req->body_in_buf = have;
	for (left -= (long long)have; left > 0; left -= n) {
		n = conn_recv_into(c, scratch, left < (long long)sizeof scratch ? (size_t)left : sizeof scratch);
		if (n <= 0)
			return -1;
	}
	return 0;
}

/* ------------------------------------------------------------------------- */
/* The request log */

/* Append a header value with tabs and line breaks made spaces. */
static int
log_field(struct buf *line, const char *value, int last)
{
	const char *p;

	for (p = value; *p != '\0'; p++)
		if (buf_putc(line, *p == '\t' || *p == '\r' || *p == '\n' ? ' ' : *p) == -1)
			return -1;
	return buf_putc(line, last ? '\n' : '\t');
}

/* One line per request, one write per line, under the lock:
 * time_us conn active method target status user_agent accept_encoding cookie
 * if_none_match if_modified_since */
static void
log_request(struct conn *c, const struct request *req, int status)
{
	struct server *srv = c->srv;
	struct buf line;
	int rc;

	if (srv->log_fd == -1)
		return;
	buf_init(&line, 8 * HEAD_MAX);
	pthread_mutex_lock(&srv->lock);
	rc = buf_printf(&line, "%lld\t%lu\t%u\t", req->time_us, c->id, srv->active);
	rc = rc == -1 ? -1 : log_field(&line, req->method, 0);
	rc = rc == -1 ? -1 : log_field(&line, req->target, 0);
	rc = rc == -1 ? -1 : buf_printf(&line, "%d\t", status);
	rc = rc == -1 ? -1 : log_field(&line, req->user_agent, 0);
	rc = rc == -1 ? -1 : log_field(&line, req->accept_encoding, 0);
	rc = rc == -1 ? -1 : log_field(&line, req->cookie, 0);
	rc = rc == -1 ? -1 : log_field(&line, req->if_none_match, 0);
	rc = rc == -1 ? -1 : log_field(&line, req->if_modified_since, 1);
	if (rc == -1 || write_all(srv->log_fd, line.data, line.len) == -1)
		perror("testserver: log");
	pthread_mutex_unlock(&srv->lock);
	buf_free(&line);
}

static void
active_add(struct server *srv, int delta)
{
	pthread_mutex_lock(&srv->lock);
	srv->active += (unsigned)delta;
	pthread_mutex_unlock(&srv->lock);
}

/* ------------------------------------------------------------------------- */
/* Deciding the reply */

static void
reply_init(struct reply *rep)
{
	memset(rep, 0, sizeof *rep);
	rep->status = 200;
	rep->fd = -1;
	buf_init(&rep->headers, LINE_MAX_ROUTE + 4096);
	buf_init(&rep->mem, BODY_MAX);
}

static void
reply_free(struct reply *rep)
{
	buf_free(&rep->headers);
	buf_free(&rep->mem);
	if (rep->fd != -1)
		close(rep->fd);
	rep->fd = -1;
}

/* Forget any body chosen so far. */
static void
reply_no_body(struct reply *rep)
{
	buf_reset(&rep->mem);
	if (rep->fd != -1)
		close(rep->fd);
	rep->fd = -1;
	rep->kind = BODY_NONE;
	rep->length = 0;
	rep->type = NULL;
}

static void
reply_mem(struct reply *rep, const char *body)
{
	reply_no_body(rep);
	rep->kind = BODY_MEM;
	rep->type = "text/html";
	if (buf_puts(&rep->mem, body) == -1)
		perror("testserver: body");
	rep->length = (long long)rep->mem.len;
}

static void
reply_generated(struct reply *rep, enum body_kind kind, long long length)
{
	reply_no_body(rep);
	rep->kind = kind;
	rep->type = "text/html";
	rep->length = length;
}

/* A status with the small default page that names it. */
static void
reply_status(struct reply *rep, int status)
{
	const char *reason = status_reason(status);

	rep->status = status;
	reply_no_body(rep);
	if (!status_has_body(status))
		return;
	rep->kind = BODY_MEM;
	rep->type = "text/html";
	if (buf_printf(&rep->mem, "<!DOCTYPE html>\n<html><head><title>%d %s</title></head>"
	    "<body><h1>%d %s</h1></body></html>\n", status, reason, status, reason) == -1)
		perror("testserver: body");
	rep->length = (long long)rep->mem.len;
}

/* Open a file as the body.  0, or the status to answer instead (403, 404). */
static int
reply_file(struct reply *rep, const char *path)
{
	struct stat st;
	int fd;

	if ((fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC)) == -1)
		return errno == EACCES ? 403 : 404;
	if (fstat(fd, &st) == -1 || !S_ISREG(st.st_mode)) {
		close(fd);
		return 404;
	}
	reply_no_body(rep);
	rep->kind = BODY_FILE;
	rep->fd = fd;
	rep->length = st.st_size;
	rep->type = type_for_path(path);
	return 0;
}

/* Is the decoded path free of ".." segments? */
static int
path_safe(const char *path)
{
	const char *seg;

	for (seg = path; seg != NULL; seg = strchr(seg, '/')) {
		seg++;
		if (strncmp(seg, "..", 2) == 0 && (seg[2] == '/' || seg[2] == '\0'))
			return 0;
	}
	return 1;
}

/* The file under --root for the decoded path (index.html for a path ending in '/').
 * 0 with the body set, or the status to answer instead: 301 (a folder named without
 * its slash; Location added), 403 (".."), 404. */
static int
root_lookup(struct conn *c, const struct request *req, struct reply *rep)
{
	const char *root = c->srv->opt.root, *path = c->path;
	size_t n = strlen(path);
	struct stat st;
	struct buf full;
	int rc;

	if (root == NULL)
		return 404;
	if (!path_safe(path))
		return 403;
	buf_init(&full, PATH_MAX);
	if (buf_printf(&full, "%s%s%s", root, path, path[n - 1] == '/' ? "index.html" : "") == -1)
		rc = 404;
	else if (path[n - 1] != '/' && stat(full.data, &st) == 0 && S_ISDIR(st.st_mode))
		rc = buf_printf(&rep->headers, "Location: %.*s/\r\n",
		    (int)strcspn(req->match, "?#"), req->match) == 0 ? 301 : 500;
	else
		rc = reply_file(rep, full.data);
	buf_free(&full);
	return rc;
}

/* Does Accept-Encoding allow gzip (gzip, x-gzip or *, with a q above 0)? */
static int
accepts_gzip(const char *ae)
{
	const char *p = ae, *q;
	size_t n;
	int star = 0, ok;

	for (; *p != '\0'; p += strcspn(p, ",")) {
		while (*p == ' ' || *p == '\t' || *p == ',')
			p++;
		n = strcspn(p, " \t;,");
		q = strstr(p, "q=");
		ok = !(q != NULL && q < p + strcspn(p, ",") && strtod(q + 2, NULL) <= 0);
		if ((n == 4 && strncasecmp(p, "gzip", 4) == 0) ||
		    (n == 6 && strncasecmp(p, "x-gzip", 6) == 0))
			return ok;
		if (n == 1 && *p == '*')
			star = ok;
	}
	return star;
}

/* Does the Cookie header hold exactly this name=value pair? */
static int
cookie_has(const char *cookies, const char *pair)
{
	size_t n = strlen(pair);
	const char *p = cookies;

	while (*p != '\0') {
		while (*p == ' ' || *p == ';')
			p++;
		if (strncmp(p, pair, n) == 0 && (p[n] == ';' || p[n] == '\0' || p[n] == ' '))
			return 1;
		p += strcspn(p, ";");
	}
	return 0;
}

/* Do the request's validators match the route's (If-None-Match wins when sent)? */
static int
route_not_modified(const struct route *rt, const struct request *req)
{
	if (rt->etag != NULL && req->if_none_match[0] != '\0')
		return strcmp(req->if_none_match, "*") == 0 || list_has(req->if_none_match, rt->etag);
	return rt->last_modified != NULL && strcmp(req->if_modified_since, rt->last_modified) == 0;
}

static void
route_headers(const struct route *rt, int status, struct reply *rep)
{
	int rc = buf_append(&rep->headers, rt->headers.data, rt->headers.len);

	if (rc == 0 && rt->etag != NULL)
		rc = buf_printf(&rep->headers, "ETag: %s\r\n", rt->etag);
	if (rc == 0 && rt->last_modified != NULL)
		rc = buf_printf(&rep->headers, "Last-Modified: %s\r\n", rt->last_modified);
	if (rc == 0 && rt->retry_after != NULL && (rt->nseq == 0 || status < 200 || status > 299))
		rc = buf_printf(&rep->headers, "Retry-After: %s\r\n", rt->retry_after);
	if (rc == 0 && rt->gzip)
		rc = buf_puts(&rep->headers, "Vary: Accept-Encoding\r\n");
	if (rc == -1)
		perror("testserver: headers");
}

/* The body of a scripted reply: body=, file=, a generated one, the --gen page or the
 * root file at the same path (status 200 only), or the default page. */
static int plan_gen(struct conn *c, struct reply *rep);

static void
route_body(struct conn *c, const struct request *req, const struct route *rt, struct reply *rep)
{
	const char *root = c->srv->opt.root;
	struct buf path;

	if (rt->body != NULL) {
		reply_mem(rep, rt->body);
	} else if (rt->file != NULL) {
		buf_init(&path, PATH_MAX);
		if (rt->file[0] != '/' && root != NULL)
			buf_printf(&path, "%s/", root);
		if (buf_puts(&path, rt->file) == -1 || reply_file(rep, path.data) != 0) {
			fprintf(stderr, "testserver: route %s: cannot open %s\n", rt->path, rt->file);
			reply_status(rep, 404);
		}
		buf_free(&path);
	} else if (rt->size >= 0) {
		reply_generated(rep, BODY_FILLER, rt->size);
	} else if (rt->endless) {
		reply_generated(rep, BODY_FILLER, -1);
	} else if (rt->gzip_bomb >= 0) {
		reply_generated(rep, BODY_ZEROS, rt->gzip_bomb);
	} else if (rt->reset_after >= 0) {
		reply_generated(rep, BODY_FILLER, rt->reset_after + 4096);
	} else if (rep->status == 200 && c->srv->opt.gen_n > 0 && plan_gen(c, rep) == 0) {
		/* A route that only adds behaviour (delay=, drip=, ...) to a --gen page. */
	} else if (rep->status != 200 || root_lookup(c, req, rep) != 0) {
		reply_status(rep, rep->status);
	}
}

static void
plan_route(struct conn *c, const struct request *req, struct route *rt, struct reply *rep)
{
	int status = route_next_status(rt);

	rep->route = rt;
	if (rt->require_cookie != NULL && !cookie_has(req->cookie, rt->require_cookie)) {
		reply_status(rep, 403);
		return;
	}
	route_headers(rt, status, rep);
	if (status >= 200 && status <= 299 && route_not_modified(rt, req)) {
		reply_status(rep, 304);
		return;
	}
	reply_status(rep, status);
	if (!status_has_body(status))
		return;
	route_body(c, req, rt, rep);
	if (rt->type != NULL)
		rep->type = strcmp(rt->type, "none") == 0 ? NULL : rt->type;
	rep->gzip = rt->gzip_bomb >= 0 || (rt->gzip && accepts_gzip(req->accept_encoding));
}

/* ------------------------------------------------------------------------- */
/* The generated site (--gen N) */

/* "17.html" -> 17.  0, or -1 when the name is not a page number. */
static int
gen_index(const char *name, long long *i)
{
	size_t digits = strspn(name, "0123456789");

	if (digits == 0 || digits > 13 || (digits > 1 && name[0] == '0'))
		return -1;
	if (strcmp(name + digits, ".html") != 0)
		return -1;
	*i = strtoll(name, NULL, 10);
	return 0;
}

static int
gen_links(const struct options *o, long long i, struct buf *b)
{
	long long n = o->gen_n;
	size_t k;
	int rc;

	rc = buf_printf(b, "<ul class=\"links\">\n"
	    "<li><a rel=\"next\" href=\"/gen/%lld.html\">next</a></li>\n"
	    "<li><a href=\"/gen/%lld.html\">jump</a></li>\n"
	    "<li><a href=\"/gen/0.html\">first</a></li>\n"
	    "<li><a href=\"/gen/%lld.html#top\">top</a></li>\n"
	    "<li><a href=\"./%lld.html\">skip</a></li>\n",
	    (i + 1) % n, (i * 7 + 3) % n, i, (i + 2) % n);
	for (k = 0; rc == 0 && k < o->ngen_links; k++)
		rc = buf_printf(b, "<li><a class=\"external\" href=\"%s\">link %zu</a></li>\n",
		    o->gen_links[k], k);
	return rc == 0 ? buf_puts(b, "</ul>\n") : -1;
}

/* Page i of the generated site, padded to about --gen-bytes. */
static int
gen_page(const struct options *o, long long i, struct buf *b)
{
	static const char tail[] = "</div>\n</body></html>\n";
	int rc;

	rc = buf_printf(b, "<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\">"
	    "<title>Gen page %lld</title></head>\n<body>\n<a id=\"top\"></a>\n"
	    "<h1 class=\"name\">Item %lld</h1>\n"
	    "<span class=\"price\">\xc2\xa3%lld.99</span>\n", i, i, i);
	rc = rc == -1 ? -1 : gen_links(o, i, b);
	rc = rc == -1 ? -1 : buf_puts(b, "<div class=\"filler\">\n");
	while (rc == 0 && (long long)(b->len + sizeof tail - 1) < o->gen_bytes)
		rc = buf_puts(b, filler_line);
	return rc == -1 ? -1 : buf_puts(b, tail);
}

/* A /gen/ path: 0 with the reply planned, -1 when the path is not the generated
 * site's (it falls through to --root). */
static int
plan_gen(struct conn *c, struct reply *rep)
{
	const struct options *o = &c->srv->opt;
	long long i;

	if (strncmp(c->path, "/gen/", 5) != 0)
		return -1;
	if (c->path[5] == '\0') {
		reply_mem(rep, "<!DOCTYPE html>\n<html><head><title>Gen site</title></head>\n"
		    "<body><h1>Gen site</h1>\n<a href=\"/gen/0.html\">first page</a>\n</body></html>\n");
	} else if (gen_index(c->path + 5, &i) == -1) {
		return -1;
	} else if (i >= o->gen_n) {
		reply_status(rep, 404);
		return 0;
	} else {
		reply_mem(rep, "");
		if (gen_page(o, i, &rep->mem) == -1)
			reply_status(rep, 500);
		rep->length = (long long)rep->mem.len;
	}
	if (rep->status == 200)
		rep->type = "text/html; charset=utf-8";
	return 0;
}

/* Decide the answer: a route, else the generated site, else a file under --root. */
static void
reply_plan(struct conn *c, const struct request *req, struct reply *rep)
{
	struct server *srv = c->srv;
	struct route *rt;
	int rc;

	if (strcmp(req->method, "GET") != 0 && !req->head) {
		reply_status(rep, 405);
		if (buf_puts(&rep->headers, "Allow: GET, HEAD\r\n") == -1)
			perror("testserver: headers");
	} else if ((rt = route_find(srv, req->match)) != NULL) {
		plan_route(c, req, rt, rep);
	} else if (srv->opt.gen_n > 0 && plan_gen(c, rep) == 0) {
		return;
	} else if ((rc = root_lookup(c, req, rep)) != 0) {
		reply_status(rep, rc);
	}
}

/* ------------------------------------------------------------------------- */
/* Sending the body */

static int
out_init(struct out *o, struct conn *c, const struct reply *rep, enum framing f)
{
	const struct route *rt = rep->route;

	memset(o, 0, sizeof *o);
	o->c = c;
	o->chunked = f == FRAME_CHUNKED;
	o->left = rt != NULL ? rt->reset_after : -1;
	o->drip_ms = rt != NULL ? rt->drip_ms : 0;
	o->zbuf = malloc(IO_CHUNK);
	o->frame = malloc(IO_CHUNK + 32);
	o->block = malloc(IO_CHUNK);
	if (o->zbuf == NULL || o->frame == NULL || o->block == NULL)
		return -1;
	if (rep->stream_gzip) {
		/* Z_RLE packs zeros as tightly as level 9 does, twice as fast. */
		if (deflateInit2(&o->z, 6, Z_DEFLATED, 15 + 16, 8,
		    rep->kind == BODY_ZEROS ? Z_RLE : Z_DEFAULT_STRATEGY) != Z_OK)
			return -1;
		o->gzip = 1;
	}
	return 0;
}

static void
out_free(struct out *o)
{
	if (o->gzip)
		deflateEnd(&o->z);
	free(o->zbuf);
	free(o->frame);
	free(o->block);
}

/* To the socket, minding reset-after and drip.  0, 1 when the reset-after budget is
 * spent (the caller resets the connection), -1 when the client went away. */
static int
out_raw(struct out *o, const char *p, size_t n)
{
	size_t i;

	if (o->left >= 0 && (long long)n > o->left)
		n = (size_t)o->left;
	if (o->drip_ms <= 0 && conn_send(o->c, p, n) == -1)
		return -1;
	for (i = 0; o->drip_ms > 0 && i < n; i++)
		if (server_sleep(o->c->srv, o->drip_ms) == -1 || conn_send(o->c, p + i, 1) == -1)
			return -1;
	if (o->left >= 0 && (o->left -= (long long)n) == 0)
		return 1;
	return 0;
}

/* One piece (n <= IO_CHUNK), as a chunk when chunked. */
static int
out_frame(struct out *o, const char *p, size_t n)
{
	int h;

	if (!o->chunked)
		return out_raw(o, p, n);
	if (n == 0)
		return 0;
	h = snprintf(o->frame, 32, "%zx\r\n", n);
	memcpy(o->frame + h, p, n);
	memcpy(o->frame + h + n, "\r\n", 2);
	return out_raw(o, o->frame, (size_t)h + n + 2);
}

/* Run deflate over the pending input, sending what it makes. */
static int
out_deflate(struct out *o, int flush)
{
	size_t have;
	int zr, rc;

	for (;;) {
		o->z.next_out = (Bytef *)o->zbuf;
		o->z.avail_out = IO_CHUNK;
		zr = deflate(&o->z, flush);
		if (zr == Z_STREAM_ERROR)
			return -1;
		have = IO_CHUNK - o->z.avail_out;
		if (have > 0 && (rc = out_frame(o, o->zbuf, have)) != 0)
			return rc;
		if (flush == Z_FINISH ? zr == Z_STREAM_END : o->z.avail_out != 0)
			return 0;
	}
}

/* Body bytes in: gzip them if streaming gzip, then frame them. */
static int
out_body(struct out *o, const char *p, size_t n)
{
	size_t k;
	int rc;

	if (o->gzip) {
		o->z.next_in = (const Bytef *)p;
		o->z.avail_in = (uInt)n;
		return out_deflate(o, Z_NO_FLUSH);
	}
	for (; n > 0; p += k, n -= k) {
		k = n < IO_CHUNK ? n : IO_CHUNK;
		if ((rc = out_frame(o, p, k)) != 0)
			return rc;
	}
	return 0;
}

static int
out_finish(struct out *o)
{
	int rc = 0;

	if (o->gzip)
		rc = out_deflate(o, Z_FINISH);
	if (rc == 0 && o->chunked)
		rc = out_raw(o, "0\r\n\r\n", 5);
	return rc;
}

static int
body_file(struct out *o, const struct reply *rep)
{
	long long left = rep->length;
	ssize_t n;
	int rc;

	for (; left > 0; left -= n) {
		n = read(rep->fd, o->block, left < IO_CHUNK ? (size_t)left : IO_CHUNK);
		if (n == -1 && errno == EINTR) {
			n = 0;
			continue;
		}
		if (n <= 0)
			return -1;	/* the file shrank: cut the connection */
		if ((rc = out_body(o, o->block, (size_t)n)) != 0)
			return rc;
	}
	return 0;
}

/* Filler or zeros, length bytes or (-1) for ever, made one block at a time. */
static int
body_generated(struct out *o, const struct reply *rep)
{
	static const char zeros[IO_CHUNK];
	long long off;
	size_t n;
	int rc;

	for (off = 0; rep->length < 0 || off < rep->length; off += (long long)n) {
		n = IO_CHUNK;
		if (rep->length >= 0 && rep->length - off < IO_CHUNK)
			n = (size_t)(rep->length - off);
		if (rep->kind == BODY_FILLER)
			filler_fill(o->block, off, n);
		rc = out_body(o, rep->kind == BODY_ZEROS ? zeros : o->block, n);
		if (rc != 0)
			return rc;
	}
	return 0;
}

/* Send the body.  0, 1 when reset-after's budget is spent, -1 on error. */
static int
body_send(struct conn *c, const struct reply *rep, enum framing f)
{
	struct out o;
	int rc = -1;

	if (out_init(&o, c, rep, f) == 0 && (rc = o.left == 0 ? 1 : 0) == 0) {
		if (rep->kind == BODY_MEM)
			rc = out_body(&o, rep->mem.data, rep->mem.len);
		else if (rep->kind == BODY_FILE)
			rc = body_file(&o, rep);
		else if (rep->kind == BODY_FILLER || rep->kind == BODY_ZEROS)
			rc = body_generated(&o, rep);
		if (rc == 0)
			rc = out_finish(&o);
	}
	out_free(&o);
	return rc;
}

/* ------------------------------------------------------------------------- */
/* Sending the reply */

/* gzip a body held in memory, so it still goes with a Content-Length.  0 or -1. */
static int
gzip_mem(struct buf *body)
{
	z_stream z;
	struct buf out;
	int zr;

	memset(&z, 0, sizeof z);
	if (deflateInit2(&z, 6, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) != Z_OK)
		return -1;
	buf_init(&out, BODY_MAX);
	if (buf_reserve(&out, deflateBound(&z, body->len)) == -1) {
		deflateEnd(&z);
		return -1;
	}
	z.next_in = (const Bytef *)buf_str(body);
	z.avail_in = (uInt)body->len;
	z.next_out = (Bytef *)out.data;
	z.avail_out = (uInt)deflateBound(&z, body->len);
	zr = deflate(&z, Z_FINISH);
	out.len = z.total_out;
	deflateEnd(&z);
	if (zr != Z_STREAM_END) {
		buf_free(&out);
		return -1;
	}
	buf_free(body);
	*body = out;
	return 0;
}

static enum framing
reply_framing(const struct server *srv, const struct request *req, const struct reply *rep)
{
	if (!status_has_body(rep->status))
		return FRAME_NONE;
	if (srv->opt.http10 != 0)
		return srv->opt.http10 == HTTP10_LENGTH && rep->length >= 0 && !rep->stream_gzip
		    ? FRAME_LENGTH : FRAME_CLOSE;
	if (rep->route != NULL && rep->route->bad_chunked)
		return FRAME_CHUNKED;
	if (rep->length >= 0 && !rep->stream_gzip)
		return FRAME_LENGTH;
	return req->minor >= 1 ? FRAME_CHUNKED : FRAME_CLOSE;
}

/* The length to declare: reset-after promises more than it sends. */
static long long
reply_declared_length(const struct reply *rep)
{
	const struct route *rt = rep->route;

	if (rt != NULL && rt->reset_after >= rep->length)
		return rt->reset_after + 1;
	return rep->length;
}

static int
reply_head(struct conn *c, const struct reply *rep, enum framing f)
{
	struct buf h;
	int rc;

	buf_init(&h, rep->headers.len + 4096);
	rc = buf_printf(&h, "HTTP/1.%d %d %s\r\nServer: testserver\r\n",
	    c->srv->opt.http10 ? 0 : 1, rep->status, status_reason(rep->status));
	if (rc == 0 && rep->type != NULL)
		rc = buf_printf(&h, "Content-Type: %s\r\n", rep->type);
	if (rc == 0 && rep->gzip && f != FRAME_NONE)
		rc = buf_puts(&h, "Content-Encoding: gzip\r\n");
	if (rc == 0 && f == FRAME_LENGTH)
		rc = buf_printf(&h, "Content-Length: %lld\r\n", reply_declared_length(rep));
	if (rc == 0 && f == FRAME_CHUNKED)
		rc = buf_puts(&h, "Transfer-Encoding: chunked\r\n");
	if (rc == 0 && rep->close && !c->srv->opt.http10)
		rc = buf_puts(&h, "Connection: close\r\n");
	if (rc == 0)
		rc = buf_append(&h, rep->headers.data, rep->headers.len);
	if (rc == 0)
		rc = buf_puts(&h, "\r\n");
	if (rc == 0)
		rc = conn_send(c, h.data, h.len);
	buf_free(&h);
	return rc;
}

/* Send headers and body as planned.  0 to read the next request, -1 to close (the
 * connection may already be closed, by a reset). */
static int
reply_write(struct conn *c, const struct request *req, struct reply *rep)
{
	const struct route *rt = rep->route;
	enum framing f;
	int rc;

	if (rep->gzip && rep->kind == BODY_MEM && gzip_mem(&rep->mem) == -1)
		return -1;
	rep->length = rep->kind == BODY_MEM ? (long long)rep->mem.len : rep->length;
	rep->stream_gzip = rep->gzip && rep->kind != BODY_MEM;
	f = reply_framing(c->srv, req, rep);
	if (!req->keep_alive || f == FRAME_CLOSE || c->srv->opt.http10 ||
	    (rt != NULL && rt->bad_chunked))
		rep->close = 1;
	if (reply_head(c, rep, f) == -1)
		return -1;
	if (req->head || f == FRAME_NONE)
		return rep->close ? -1 : 0;
	if (rt != NULL && rt->bad_chunked)
		return conn_bad_chunks(c);
	rc = body_send(c, rep, f);
	if (rc == 1 || (rc == 0 && rt != NULL && rt->reset_after >= 0)) {
		if (rt == NULL || !rt->fin)
			conn_reset(c);
		return -1;	/* with fin, the caller closes it cleanly */
	}
	return rc == -1 || rep->close ? -1 : 0;
}

/* May the n-th request (from 1) of a gated route be answered?  The gate is a file:
 * absent, closed; holding a number N, the first N requests pass; anything else, open. */
static int
gate_allows(const char *gate, unsigned long n)
{
	char text[32];
	char *end;
	unsigned long limit;
	ssize_t len;
	int fd = open(gate, O_RDONLY);

	if (fd == -1)
		return 0;
	len = read(fd, text, sizeof text - 1);
	close(fd);
	if (len < 0)
		return 0;
	text[len] = '\0';
	limit = strtoul(text, &end, 10);
	if (end == text)
		return 1;
	return n <= limit;
}

/* Hold the request until its gate lets it through.  It is in the log already, so the
 * test sees that it is held.  0, or -1 when the server stops. */
static int
wait_gate(struct server *srv, struct route *rt)
{
	unsigned long n = atomic_fetch_add(&rt->gate_hits, 1) + 1;

	while (!gate_allows(rt->gate, n)) {
		if (server_sleep(srv, 5) == -1)
			return -1;
	}
	return 0;
}

/* The scripted misbehaviour first (gate, delay, stall, reset, garbage), then the
 * reply. */
static int
reply_send(struct conn *c, const struct request *req, struct reply *rep)
{
	const struct route *rt = rep->route;

	if (rt != NULL && rt->gate != NULL && wait_gate(c->srv, rep->route) == -1)
		return -1;
	if (rt != NULL && rt->delay_ms > 0 && server_sleep(c->srv, rt->delay_ms) == -1)
		return -1;
	if (rt != NULL && rt->stall)
		return conn_stall(c);
	if (rt != NULL && rt->reset) {
		conn_reset(c);
		return -1;
	}
	if (rt != NULL && rt->garbage)
		return conn_garbage(c);
	if (rt != NULL && rt->cut_head)
		return conn_cut_head(c);
	if (rt != NULL && rt->bad_version)
		return conn_bad_version(c);
	return reply_write(c, req, rep);
}

/* The status the log shows: 0 when no HTTP answer is sent at all. */
static int
reply_logged_status(const struct reply *rep)
{
	const struct route *rt = rep->route;

	if (rt != NULL && (rt->stall || rt->reset || rt->garbage || rt->cut_head ||
			  rt->bad_version))
		return 0;
	return rep->status;
}

/* ------------------------------------------------------------------------- */
/* Connections */

/* Answer one request.  error: 0, or the status of a request that cannot be parsed.
 * 0 to go on with the connection, -1 to close it. */
static int
serve(struct conn *c, struct request *req, int error)
{
	struct reply rep;
	int rc;

	active_add(c->srv, 1);
	reply_init(&rep);
	if (error != 0) {
		reply_status(&rep, error);
		req->keep_alive = 0;
	} else {
		reply_plan(c, req, &rep);
	}
	log_request(c, req, reply_logged_status(&rep));
	rc = reply_send(c, req, &rep);
	reply_free(&rep);
	active_add(c->srv, -1);
	return rc;
}

/* Read, answer and drop one request.  0 to go on, -1 to close. */
static int
conn_serve_one(struct conn *c)
{
	struct request req;
	int error;

	if ((error = request_read(c, &req)) == -1)
		return -1;
	if (error == 0 && request_skip_body(c, &req) == -1)
		return -1;
	if (serve(c, &req, error) == -1 || !req.keep_alive)
		return -1;
	conn_consume(c, req.head_len + req.body_in_buf);
	return 0;
}

static void *
conn_main(void *arg)
{
	struct conn *c = arg;
	struct server *srv = c->srv;

	while (conn_serve_one(c) == 0)
		continue;
	if (c->fd != -1)
		conn_close(c);
	pthread_mutex_lock(&srv->lock);
	c->next = srv->done;
	srv->done = c;
	if (--srv->nthreads == 0)
		pthread_cond_broadcast(&srv->idle);
	pthread_mutex_unlock(&srv->lock);
	return NULL;
}

/* Join the threads that have finished and free their connections.  Only the main
 * thread calls this, so every thread on the list was created and has its id. */
static void
server_reap(struct server *srv)
{
	struct conn *c, *next;
	int rc;

	pthread_mutex_lock(&srv->lock);
	c = srv->done;
	srv->done = NULL;
	pthread_mutex_unlock(&srv->lock);
	for (; c != NULL; c = next) {
		next = c->next;
		if ((rc = pthread_join(c->thread, NULL)) != 0)
			fprintf(stderr, "testserver: pthread_join: %s\n", strerror(rc));
		free(c);
	}
}

/* A thread for a new connection; on failure the connection is closed. */
static void
conn_start(struct server *srv, int fd)
{
	struct conn *c = calloc(1, sizeof *c);
	int one = 1, rc;

	if (c == NULL || setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one) == -1) {
		perror("testserver: connection");
		free(c);
		close(fd);
		return;
	}
	c->srv = srv;
	c->fd = fd;
	pthread_mutex_lock(&srv->lock);
	c->id = ++srv->nconn;
	srv->nthreads++;
	pthread_mutex_unlock(&srv->lock);
	if ((rc = pthread_create(&c->thread, &srv->thread_attr, conn_main, c)) != 0) {
		fprintf(stderr, "testserver: pthread_create: %s\n", strerror(rc));
		pthread_mutex_lock(&srv->lock);
		srv->nthreads--;
		pthread_mutex_unlock(&srv->lock);
		close(fd);
		free(c);
	}
}

static void
server_accept(struct server *srv)
{
	int fd = accept4(srv->listen_fd, NULL, NULL, SOCK_CLOEXEC);

	server_reap(srv);
	if (fd != -1) {
		int on = 1;
		setsockopt(fd, SOL_SOCKET, SO_TIMESTAMP, &on, sizeof on);
		conn_start(srv, fd);
		return;
	}
	if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR && errno != ECONNABORTED) {
		perror("testserver: accept");
		server_sleep(srv, 10);	/* out of descriptors: do not spin */
	}
}

/* ------------------------------------------------------------------------- */
/* Start, run, stop */

static void
on_signal(int sig)
{
	(void)sig;
	stop_signal = 1;
}

static void
usage(FILE *f)
{
	fputs("usage: testserver [--root DIR] [--routes FILE] [--log FILE] [--gen N]\n"
	    "                  [--gen-bytes B] [--gen-link URL]... [--bind ADDR] [--port N]\n"
	    "                  [--http10 close|length]\n"
	    "Prints the port it listens on, then serves until SIGTERM or SIGINT.\n", f);
}

static int
options_number(const char *name, const char *s, long long max, long long *out)
{
	if (parse_number(s, 0, max, out) == 0)
		return 0;
	fprintf(stderr, "testserver: bad number for --%s: '%s'\n", name, s);
	return -1;
}

static int
options_parse(int argc, char **argv, struct options *o)
{
	static const struct option longopts[] = {
		{ "root", required_argument, NULL, 'r' },
		{ "routes", required_argument, NULL, 'R' },
		{ "log", required_argument, NULL, 'l' },
		{ "gen", required_argument, NULL, 'g' },
		{ "gen-bytes", required_argument, NULL, 'b' },
		{ "gen-link", required_argument, NULL, 'L' },
		{ "bind", required_argument, NULL, 'B' },
		{ "port", required_argument, NULL, 'p' },
		{ "http10", required_argument, NULL, '0' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	long long v;
	int ch, rc = 0;

	memset(o, 0, sizeof *o);
	o->bind = "127.0.0.1";
	o->port = "0";
	if ((o->gen_links = calloc((size_t)argc, sizeof *o->gen_links)) == NULL)
		return -1;
	while (rc == 0 && (ch = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
		switch (ch) {
		case 'r': o->root = optarg; break;
		case 'R': o->routes = optarg; break;
		case 'l': o->log = optarg; break;
		case 'g': rc = options_number("gen", optarg, GEN_MAX, &o->gen_n); break;
		case 'b': rc = options_number("gen-bytes", optarg, BODY_MAX / 2, &o->gen_bytes); break;
		case 'L': o->gen_links[o->ngen_links++] = optarg; break;
		case 'B': o->bind = optarg; break;
		case 'p': rc = options_number("port", optarg, 65535, &v); o->port = optarg; break;
		case '0':
			o->http10 = strcmp(optarg, "close") == 0 ? HTTP10_CLOSE
			    : strcmp(optarg, "length") == 0 ? HTTP10_LENGTH : 0;
			if (o->http10 == 0) {
				fprintf(stderr, "testserver: --http10 is close or length, not '%s'\n", optarg);
				rc = -1;
			}
			break;
		case 'h': usage(stdout); exit(0);
		default: usage(stderr); rc = -1; break;
		}
	}
	if (rc == 0 && optind < argc) {
		usage(stderr);
		rc = -1;
	}
	return rc;
}

static int
listen_open(struct server *srv)
{
	struct addrinfo hints = { .ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM,
	    .ai_flags = AI_PASSIVE | AI_NUMERICHOST | AI_NUMERICSERV };
	struct addrinfo *ai;
	int one = 1, rc, fd;

	if ((rc = getaddrinfo(srv->opt.bind, srv->opt.port, &hints, &ai)) != 0) {
		fprintf(stderr, "testserver: --bind %s: %s\n", srv->opt.bind, gai_strerror(rc));
		return -1;
	}
	fd = socket(ai->ai_family, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd == -1 || setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one) == -1 ||
	    bind(fd, ai->ai_addr, ai->ai_addrlen) == -1 || listen(fd, 1024) == -1) {
		fprintf(stderr, "testserver: listen on %s port %s: %s\n", srv->opt.bind,
		    srv->opt.port, strerror(errno));
		if (fd != -1)
			close(fd);
		fd = -1;
	}
	freeaddrinfo(ai);
	srv->listen_fd = fd;
	return fd == -1 ? -1 : 0;
}

/* Print the port, then point stdout at /dev/null (the reader of the port goes away). */
static int
announce_port(struct server *srv)
{
	struct sockaddr_storage ss;
	socklen_t len = sizeof ss;
	int port, fd;

	if (getsockname(srv->listen_fd, (struct sockaddr *)&ss, &len) == -1) {
		perror("testserver: getsockname");
		return -1;
	}
	port = ss.ss_family == AF_INET6 ? ntohs(((struct sockaddr_in6 *)&ss)->sin6_port)
					: ntohs(((struct sockaddr_in *)&ss)->sin_port);
	if (printf("%d\n", port) < 0 || fflush(stdout) == EOF) {
		perror("testserver: stdout");
		return -1;
	}
	if ((fd = open("/dev/null", O_WRONLY | O_CLOEXEC)) == -1 || dup2(fd, STDOUT_FILENO) == -1) {
		perror("testserver: /dev/null");
		return -1;
	}
	close(fd);
	return 0;
}

/* Allow as many descriptors as the hard limit does: hundreds of connections. */
static void
raise_fd_limit(void)
{
	struct rlimit rl;

	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max;
		if (setrlimit(RLIMIT_NOFILE, &rl) == -1)
			perror("testserver: setrlimit");
	}
}

static int
signals_setup(void)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof sa);
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	if (sigaction(SIGTERM, &sa, NULL) == -1 || sigaction(SIGINT, &sa, NULL) == -1)
		return -1;
	sa.sa_handler = SIG_IGN;
	return sigaction(SIGPIPE, &sa, NULL);
}

static int
server_open(struct server *srv)
{
	struct stat st;

	if (srv->opt.root != NULL && (stat(srv->opt.root, &st) == -1 || !S_ISDIR(st.st_mode))) {
		fprintf(stderr, "testserver: --root %s: not a folder\n", srv->opt.root);
		return -1;
	}
	if (srv->opt.routes != NULL && routes_load(srv, srv->opt.routes) == -1)
		return -1;
	if (srv->opt.log != NULL &&
	    (srv->log_fd = open(srv->opt.log, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644)) == -1) {
		fprintf(stderr, "testserver: --log %s: %s\n", srv->opt.log, strerror(errno));
		return -1;
	}
	if (pipe2(srv->stop_pipe, O_CLOEXEC) == -1 || signals_setup() == -1) {
		perror("testserver: setup");
		return -1;
	}
	raise_fd_limit();
	return listen_open(srv);
}

/* Accept until SIGTERM or SIGINT.  The signals are blocked everywhere except in ppoll
 * here, so connection threads never see them and none is lost between checks. */
static int
server_run(struct server *srv)
{
	struct pollfd p = { .fd = srv->listen_fd, .events = POLLIN };
	sigset_t block, none;

	sigemptyset(&block);
	sigaddset(&block, SIGTERM);
	sigaddset(&block, SIGINT);
	sigemptyset(&none);
	if (pthread_sigmask(SIG_BLOCK, &block, NULL) != 0)
		return -1;
	while (!stop_signal) {
		if (ppoll(&p, 1, NULL, &none) == -1) {
			if (errno == EINTR)
				continue;
			perror("testserver: ppoll");
			return -1;
		}
		if (p.revents & POLLIN)
			server_accept(srv);
	}
	return 0;
}

/* Wake every connection thread through the stop pipe and wait for them all. */
static void
server_stop(struct server *srv)
{
	atomic_store(&srv->stopping, 1);
	if (srv->stop_pipe[1] != -1 && write(srv->stop_pipe[1], "x", 1) != 1)
		perror("testserver: stop");
	pthread_mutex_lock(&srv->lock);
	while (srv->nthreads > 0)
		pthread_cond_wait(&srv->idle, &srv->lock);
	pthread_mutex_unlock(&srv->lock);
	server_reap(srv);
}

static void
server_free(struct server *srv)
{
	size_t i;

	for (i = 0; i < srv->nroutes; i++)
		route_free(&srv->routes[i]);
	free(srv->routes);
	free(srv->opt.gen_links);
	if (srv->listen_fd != -1)
		close(srv->listen_fd);
	if (srv->log_fd != -1)
		close(srv->log_fd);
	if (srv->stop_pipe[0] != -1)
		close(srv->stop_pipe[0]);
	if (srv->stop_pipe[1] != -1)
		close(srv->stop_pipe[1]);
	pthread_attr_destroy(&srv->thread_attr);
	pthread_mutex_destroy(&srv->lock);
	pthread_cond_destroy(&srv->idle);
}

static int
server_init(struct server *srv)
{
	memset(srv, 0, sizeof *srv);
	srv->listen_fd = srv->log_fd = -1;
	atomic_init(&srv->stopping, 0);
	srv->stop_pipe[0] = srv->stop_pipe[1] = -1;
	if (pthread_mutex_init(&srv->lock, NULL) != 0 || pthread_cond_init(&srv->idle, NULL) != 0 ||
	    pthread_attr_init(&srv->thread_attr) != 0 ||
	    pthread_attr_setstacksize(&srv->thread_attr, THREAD_STACK) != 0)
		return -1;
	return 0;
}

int
main(int argc, char **argv)
{
	struct server srv;
	int rc = 1;

	if (server_init(&srv) == -1) {
		fprintf(stderr, "testserver: cannot initialise threads\n");
		return 1;
	}
	if (options_parse(argc, argv, &srv.opt) == 0 && server_open(&srv) == 0 &&
	    announce_port(&srv) == 0) {
		rc = server_run(&srv) == 0 ? 0 : 1;
		server_stop(&srv);
	}
	server_free(&srv);
	return rc;
}
