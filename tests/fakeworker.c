/*
 * fakeworker.c: a worker that breaks the protocol, for the coordinator's tests.
 *
 * The coordinator runs it instead of itself when SCRAPER_WORKER_EXEC names it.  For
 * the site named by FAKE_WORKER_SITE it reads SITE and the first FETCH, then does
 * what FAKE_WORKER_MODE says:
 *   garbage   write bytes that are not a frame
 *   huge      a frame header claiming a 4 GiB payload
 *   badtype   a frame of an unknown type
 *   short     a DONE frame whose payload is too short
 *   wrongid   a PAGE for a URL id it was never sent
 *   crash     abort() (SIGABRT)
 *   hang      never answer (the crawl must not wait forever: it is told to stop
 *             and killed after a grace period)
 *   linksdie  answer PAGE (200) and LINKS to /gen/1.html ... /gen/39.html, then
 *             exit before DONE: the links must not be lost with it
 * then waits for the coordinator to close the channel.  For any other site it execs
 * the real worker (FAKE_WORKER_REAL), so other sites are crawled for real; so does the
 * faked site's worker once FAKE_WORKER_ONCE names a file that exists (the fake
 * creates it), so that only the first worker misbehaves.
 */
#include "config.h"

#include <fcntl.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ipc/ipc.h"
#include "ipc/proc.h"

static void
put(const void *p, size_t n)
{
	if (write(WORKER_CHANNEL_FD, p, n) < 0)
		_exit(0);
}

/* Read until one frame of the given type has arrived. */
static void
await(uint32_t type, struct buf *in, struct ipc_msg *m)
{
	char err[256];
	size_t used;
	ssize_t n;

	for (;;) {
		int rc = ipc_next(in, 0, m, &used, err, sizeof err);
		if (rc == 1) {
			if (m->hdr.type == type)
				return;
			buf_consume(in, used);
			continue;
		}
		if (rc == -1 || buf_reserve(in, 65536) == -1)
			_exit(3);
		n = read(WORKER_CHANNEL_FD, in->data + in->len, 65536);
		if (n <= 0)
			_exit(0);
		in->len += (size_t)n;
	}
}

int
main(int argc, char **argv)
{
	const char *site = getenv("FAKE_WORKER_SITE"), *mode = getenv("FAKE_WORKER_MODE");
	const char *real = getenv("FAKE_WORKER_REAL"), *once = getenv("FAKE_WORKER_ONCE");
	static struct ipc_msg m;
	struct ipc_header h = { 0 };
	struct buf in, out;
	uint32_t site_id;
	uint64_t id;
	char c;

	if (argc < 3 || site == NULL || mode == NULL || real == NULL)
		return 2;
	if (strcmp(argv[2], site) != 0 ||
	    (once != NULL && open(once, O_CREAT | O_EXCL | O_WRONLY, 0644) == -1)) {
		execv(real, argv);
		return 127;
	}
	buf_init(&in, IPC_MAX_PAYLOAD * 2);
	buf_init(&out, 1 << 20);
	await(IPC_SITE, &in, &m);
	site_id = m.hdr.site;
	await(IPC_FETCH, &in, &m);
	id = m.u.fetch.id;
	h.site = site_id;
	h.pid = (uint32_t)getpid();
	if (strcmp(mode, "garbage") == 0) {
		put("this is not a frame at all, not even close....", 46);
	} else if (strcmp(mode, "huge") == 0) {
		h.type = IPC_ITEM;
		h.len = 0xffffffffu;
		put(&h, sizeof h);
	} else if (strcmp(mode, "badtype") == 0) {
		h.type = 999;
		put(&h, sizeof h);
	} else if (strcmp(mode, "short") == 0) {
		h.type = IPC_DONE;
		h.len = 4;
		put(&h, sizeof h);
		put(&id, 4);
	} else if (strcmp(mode, "wrongid") == 0) {
		struct ipc_page p = { .id = id + 1000000, .status = 200, .retry_after_ms = -1,
				      .final_url = "", .content_type = "", .error = "", .etag = "",
				      .last_modified = "", .charset = "" };
		ipc_put_page(&out, site_id, &p);
		put(out.data, out.len);
	} else if (strcmp(mode, "crash") == 0) {
		abort();
	} else if (strcmp(mode, "linksdie") == 0) {
		static struct ipc_links l;
		static char urls[39][64];
		const char *host = strstr(m.u.fetch.url, "://");
		struct ipc_page p = { .id = id, .status = 200, .retry_after_ms = -1,
				      .final_url = m.u.fetch.url, .content_type = "text/html",
				      .error = "", .etag = "", .last_modified = "", .charset = "" };
		size_t hostlen = host != NULL ? strcspn(host + 3, "/") : 0;
		l.id = id;
		l.kind = LINK_FOLLOW;
		for (int i = 0; i < 39; i++) {
			snprintf(urls[i], sizeof urls[i], "http://%.*s/gen/%d.html", (int)hostlen,
				 host != NULL ? host + 3 : "", i + 1);
			l.urls[l.count++] = urls[i];
		}
		ipc_put_page(&out, site_id, &p);
		ipc_put_links(&out, site_id, &l);
		put(out.data, out.len);
		_exit(1); /* no DONE */
	}
	/* "hang", and after the others: wait for the coordinator to hang up. */
	while (read(WORKER_CHANNEL_FD, &c, 1) > 0)
		;
	buf_free(&in);
	buf_free(&out);
	return 0;
}
