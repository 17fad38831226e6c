/*
 * notify.c: webhooks.  When a job ends, its record is POSTed as JSON to the project's
 * notify URL, from a thread of its own, so a slow or dead receiver never holds up the
 * service.
 *
 * The supervisor only appends to a bounded queue (notify_post never blocks; when
 * NOTIFY_QUEUE_MAX are waiting the new one is dropped and logged).  The thread takes
 * them in order and tries each up to NOTIFY_TRIES times, NOTIFY_TIMEOUT seconds an
 * attempt, waiting 1 s, then 4 s between attempts; any 2xx answer is success.  Each
 * outcome is an event in service.db (notify_sent or notify_failed).  Stopping the
 * service aborts an attempt in flight and drops what is still queued (logged).
 */
#include "config.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <curl/curl.h>

#include "base/log.h"
#include "base/oom.h"
#include "serve/service.h"

#define NOTIFY_TRIES 3
#define NOTIFY_TIMEOUT 10L
#define NOTIFY_QUEUE_MAX 1000

struct hook {
	struct hook *next;
	char project[SERVE_NAME_MAX + 1];
	int64_t job;
	char *url, *body;
};

struct notifier {
	struct service *s;
	pthread_t thread;
	pthread_mutex_t lock;
	pthread_cond_t cond;
	struct hook *head, *tail;
	size_t n;
	bool stop;
};

static size_t
discard(char *p, size_t size, size_t n, void *ctx)
{
	(void)p;
	(void)ctx;
	return size * n;
}

static int
abort_on_stop(void *ctx, curl_off_t a, curl_off_t b, curl_off_t c, curl_off_t d)
{
	struct notifier *n = ctx;
	bool stop;

	(void)a, (void)b, (void)c, (void)d;
	pthread_mutex_lock(&n->lock);
	stop = n->stop;
	pthread_mutex_unlock(&n->lock);
	return stop;
}

/* One attempt: 0 on a 2xx answer, else -1 with why. */
static int
attempt(struct notifier *n, const struct hook *h, char *why, size_t whylen)
{
	struct curl_slist *headers = NULL;
	CURL *c = curl_easy_init();
	long status = 0;
	CURLcode rc;

	if (c == NULL) {
		snprintf(why, whylen, "out of memory");
		return -1;
	}
	headers = curl_slist_append(headers, "Content-Type: application/json");
	headers = curl_slist_append(headers, "User-Agent: scraper-serve/" PACKAGE_VERSION);
	curl_easy_setopt(c, CURLOPT_URL, h->url);
#if LIBCURL_VERSION_NUM >= 0x075500
	curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
#else
	curl_easy_setopt(c, CURLOPT_PROTOCOLS, (long)(CURLPROTO_HTTP | CURLPROTO_HTTPS));
#endif
	curl_easy_setopt(c, CURLOPT_POSTFIELDS, h->body);
	curl_easy_setopt(c, CURLOPT_HTTPHEADER, headers);
	curl_easy_setopt(c, CURLOPT_TIMEOUT, NOTIFY_TIMEOUT);
	curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, discard);
	curl_easy_setopt(c, CURLOPT_NOPROGRESS, 0L);
	curl_easy_setopt(c, CURLOPT_XFERINFOFUNCTION, abort_on_stop);
	curl_easy_setopt(c, CURLOPT_XFERINFODATA, n);
	rc = curl_easy_perform(c);
	if (rc == CURLE_OK)
		curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
	curl_easy_cleanup(c);
	curl_slist_free_all(headers);
	if (rc != CURLE_OK) {
		snprintf(why, whylen, "%s", curl_easy_strerror(rc));
		return -1;
	}
	if (status < 200 || status > 299) {
		snprintf(why, whylen, "HTTP %ld", status);
		return -1;
	}
	snprintf(why, whylen, "HTTP %ld", status);
	return 0;
}

/* Wait seconds, or less if stopped; true when stopped. */
static bool
pause_or_stop(struct notifier *n, int seconds)
{
	struct timespec until;
	bool stop;

	clock_gettime(CLOCK_REALTIME, &until);
	until.tv_sec += seconds;
	pthread_mutex_lock(&n->lock);
	while (!n->stop && pthread_cond_timedwait(&n->cond, &n->lock, &until) != ETIMEDOUT)
		;
	stop = n->stop;
	pthread_mutex_unlock(&n->lock);
	return stop;
}

static void
deliver(struct notifier *n, struct hook *h)
{
	static const int backoff[NOTIFY_TRIES] = { 1, 4, 0 };
	char why[512] = "";
	int tries;

	for (tries = 1; tries <= NOTIFY_TRIES; tries++) {
		if (attempt(n, h, why, sizeof why) == 0)
			break;
		if (tries == NOTIFY_TRIES || pause_or_stop(n, backoff[tries - 1]))
			break;
	}
	pthread_mutex_lock(&n->s->lock);
	if (tries <= NOTIFY_TRIES && strncmp(why, "HTTP 2", 6) == 0)
		svcdb_event(n->s, h->project, h->job, "notify_sent",
			    "job %lld: notified %s (%s, attempt %d)", (long long)h->job, h->url, why, tries);
	else
		svcdb_event(n->s, h->project, h->job, "notify_failed",
			    "job %lld: could not notify %s after %d attempt%s: %s", (long long)h->job,
			    h->url, tries > NOTIFY_TRIES ? NOTIFY_TRIES : tries,
			    tries == 1 ? "" : "s", why);
	pthread_mutex_unlock(&n->s->lock);
}

static void
hook_free(struct hook *h)
{
	free(h->url);
	free(h->body);
	free(h);
}

static void *
notify_main(void *arg)
{
	struct notifier *n = arg;

	for (;;) {
		struct hook *h;
		pthread_mutex_lock(&n->lock);
		while (!n->stop && n->head == NULL)
			pthread_cond_wait(&n->cond, &n->lock);
		if (n->stop) {
			pthread_mutex_unlock(&n->lock);
			break;
		}
		h = n->head;
		n->head = h->next;
		if (n->head == NULL)
			n->tail = NULL;
		n->n--;
		pthread_mutex_unlock(&n->lock);
		deliver(n, h);
		hook_free(h);
	}
	return NULL;
}

struct notifier *
notify_start(struct service *s)
{
	struct notifier *n = xcalloc(1, sizeof *n);

	n->s = s;
	curl_global_init(CURL_GLOBAL_DEFAULT); /* before the thread: it is not thread-safe */
	pthread_mutex_init(&n->lock, NULL);
	pthread_cond_init(&n->cond, NULL);
	if (pthread_create(&n->thread, NULL, notify_main, n) != 0) {
		log_error("cannot start the webhook thread: webhooks are off");
		pthread_mutex_destroy(&n->lock);
		pthread_cond_destroy(&n->cond);
		free(n);
		return NULL;
	}
	return n;
}

void
notify_post(struct notifier *n, const char *project, int64_t job, const char *url,
	    const char *body)
{
	struct hook *h;

	pthread_mutex_lock(&n->lock);
	if (n->n >= NOTIFY_QUEUE_MAX) {
		pthread_mutex_unlock(&n->lock);
		log_warn("job %lld: %d webhooks already waiting; not notifying %s", (long long)job,
			 NOTIFY_QUEUE_MAX, url);
		return;
	}
	h = xcalloc(1, sizeof *h);
	snprintf(h->project, sizeof h->project, "%s", project);
	h->job = job;
	h->url = xstrdup(url);
	h->body = xstrdup(body);
	if (n->tail != NULL)
		n->tail->next = h;
	else
		n->head = h;
	n->tail = h;
	n->n++;
	pthread_cond_signal(&n->cond);
	pthread_mutex_unlock(&n->lock);
}

void
notify_stop(struct notifier *n)
{
	struct hook *h, *next;

	if (n == NULL)
		return;
	pthread_mutex_lock(&n->lock);
	n->stop = true;
	pthread_cond_broadcast(&n->cond);
	pthread_mutex_unlock(&n->lock);
	pthread_join(n->thread, NULL);
	for (h = n->head; h != NULL; h = next) {
		next = h->next;
		log_warn("job %lld: service stopping; webhook to %s not sent", (long long)h->job, h->url);
		hook_free(h);
	}
	pthread_mutex_destroy(&n->lock);
	pthread_cond_destroy(&n->cond);
	free(n);
}
