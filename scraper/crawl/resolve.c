/*
 * resolve.c: the coordinator's name lookups (see resolve.h).
 */
#include "config.h"

#include "crawl/resolve.h"

#include "base/lookup.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "base/oom.h"
#include "store/queue.h"

struct resolver {
	struct queue *asks, *answers;	/* each holds at most RESOLVE_MAX */
	pthread_t thread;
	int wake_fd;
	size_t outstanding;		/* asked and not yet taken (the loop's count) */
};

struct ask {
	uint32_t site_id;
	char site[];
};

/* site's host, and its ports: "host" is 80 and 443, "host:port" that port. */
static void
split_site(const char *site, char *host, size_t hostlen, long ports[2], size_t *nports)
{
	const char *colon;

	snprintf(host, hostlen, "%s", site);
	if (host[0] != '[' && (colon = strrchr(host, ':')) != NULL) {
		ports[0] = atol(colon + 1);
		*nports = 1;
		host[colon - host] = '\0';
	} else {
		ports[0] = 80;
		ports[1] = 443;
		*nports = 2;
	}
}

bool
resolve_needed(const char *site)
{
	char host[300];
	long ports[2];
	size_t n;

	if (site[0] == '[')
		return false; /* an IPv6 address */
	split_site(site, host, sizeof host, ports, &n);
	return host[0] != '\0' && !lookup_is_ip(host);
}

int
resolve_site_now(const char *site, char **entries, char *err, size_t errlen, int *gai)
{
	char host[300], addrs[1024];
	long ports[2];
	size_t n, nports, len = 0, cap;

	*entries = NULL;
	split_site(site, host, sizeof host, ports, &nports);
	if (lookup_host(host, addrs, sizeof addrs, err, errlen, gai) == -1)
		return -1;
	n = strlen(addrs);
	cap = nports * (strlen(host) + 24 + n) + 1;
	if ((*entries = malloc(cap)) == NULL) {
		snprintf(err, errlen, "Could not resolve host: %s (out of memory)", host);
		return -1;
	}
	for (size_t i = 0; i < nports; i++)
		len += (size_t)snprintf(*entries + len, cap - len, "%s%s:%ld:%s", i ? "\n" : "",
					host, ports[i], addrs);
	return 0;
}

static void
sleep_s(double s)
{
	struct timespec ts = { (time_t)s, (long)((s - (double)(time_t)s) * 1e9) };

	while (nanosleep(&ts, &ts) == -1 && errno == EINTR)
		;
}

static void *
run(void *arg)
{
	struct resolver *r = arg;
	struct ask *q;

	while ((q = queue_pop(r->asks, -1)) != NULL) {
		struct resolve_answer *a = xcalloc(1, sizeof *a);
		char err[400] = "";
		double pause = 0.25;
		int gai = 0;

		a->site_id = q->site_id;
		for (int i = 0; i < RESOLVE_TRIES; i++, pause *= 2) {
			if (resolve_site_now(q->site, &a->entries, err, sizeof err, &gai) == 0 ||
			    gai != EAI_AGAIN || i + 1 == RESOLVE_TRIES)
				break;
			sleep_s(pause);
		}
		a->retryable = a->entries == NULL && gai == EAI_AGAIN;
		a->error = xstrdup(a->entries == NULL ? err : "");
		if (a->entries == NULL)
			a->entries = xstrdup("");
		free(q);
		/* Never full: the loop asks for at most RESOLVE_MAX at once. */
		if (queue_try_push(r->answers, a, 1) == -1) {
			resolve_answer_free(a);
			continue;
		}
		if (write(r->wake_fd, "r", 1) < 0) {
			/* the pipe is full: the loop wakes anyway */
		}
	}
	return NULL;
}

struct resolver *
resolver_start(int wake_fd)
{
	struct resolver *r = xcalloc(1, sizeof *r);

	r->wake_fd = wake_fd;
	if ((r->asks = queue_new(RESOLVE_MAX, SIZE_MAX, -1)) == NULL ||
	    (r->answers = queue_new(RESOLVE_MAX, SIZE_MAX, -1)) == NULL ||
	    pthread_create(&r->thread, NULL, run, r) != 0) {
		queue_free(r->asks, free);
		queue_free(r->answers, NULL);
		free(r);
		return NULL;
	}
	return r;
}

int
resolver_ask(struct resolver *r, uint32_t site_id, const char *site)
{
	size_t n = strlen(site);
	struct ask *q;

	if (r->outstanding >= RESOLVE_MAX)
		return -1;
	q = xmalloc(sizeof *q + n + 1);
	q->site_id = site_id;
	memcpy(q->site, site, n + 1);
	if (queue_try_push(r->asks, q, 1) == -1) {
		free(q);
		return -1;
	}
	r->outstanding++;
	return 0;
}

struct resolve_answer *
resolver_take(struct resolver *r)
{
	struct resolve_answer *a = queue_pop(r->answers, 0);

	if (a != NULL)
		r->outstanding--;
	return a;
}

void
resolve_answer_free(struct resolve_answer *a)
{
	if (a == NULL)
		return;
	free(a->entries);
	free(a->error);
	free(a);
}

static void
free_answer(void *a)
{
	resolve_answer_free(a);
}

void
resolver_stop(struct resolver *r)
{
	if (r == NULL)
		return;
	queue_close(r->asks);
	pthread_join(r->thread, NULL);
	queue_free(r->asks, free);
	queue_free(r->answers, free_answer);
	free(r);
}
