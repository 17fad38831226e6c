/*
 * worker.c: one site's fetching, parsing and extraction, in its own process.
 *
 * The coordinator starts a worker per active site ("scraper --worker SITE", channel on
 * descriptor 3) and sends it SITE, then FETCH after FETCH, then STOP.  The worker:
 *
 *   - loads its site's rule file and compiles it once;
 *   - gets robots.txt first (from the coordinator's cache, or fetches it) unless the
 *     rules say ignore, and answers a disallowed URL at once without requesting it;
 *   - runs up to `concurrency` transfers at once in one curl multi handle, starting
 *     them at least `delay` apart (raised by Crawl-delay, and for a while after a 429
 *     or 503), over kept-alive connections;
 *   - follows redirects itself: within the site after checking robots.txt, across
 *     sites by handing the target back as a link;
 *   - decodes each HTML body to UTF-8, parses it with libxml2, applies the rules, and
 *     sends PAGE, ITEM..., LINKS..., DONE for the URL, in that order and unbroken.
 *
 * It never opens the database and never retries by itself: a failure worth another
 * try goes back flagged, and the coordinator schedules it.  When the channel closes
 * (the coordinator died) it exits at once.
 */
#include "config.h"

#include "worker/worker.h"
#include "worker/bodyout.h"

#include <arpa/inet.h>
#include <errno.h>
#include <libgen.h>
#include <math.h>
#include <netdb.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include <curl/curl.h>
#include <libxml/HTMLparser.h>
#include <libxml/xpath.h>

#include "cssmatch.h"
#include "extract.h"
#include "worker/fetch.h"
#include "worker/linkgate.h"
#include "ipc/channel.h"
#include "ipc/ipc.h"
#include "ipc/proc.h"
#include "base/clock.h"
#include "base/log.h"
#include "base/lookup.h"
#include "worker/page.h"
#include "worker/robots.h"
#include "worker/robotsmeta.h"
#include "worker/sitemap.h"
#include "worker/sandbox.h"
#include "rules/rules.h"
#include "url.h"
#include "urlset.h"
#include "worker/xmlarena.h"

#define MAX_REDIRECTS 10
#define MAX_CRAWL_DELAY 30.0	/* seconds: a larger Crawl-delay is clamped */
#define SLOW_DOWN_FOR IPC_SLOW_DOWN_S /* seconds a 429/503 keeps the site slowed */
#define STOP_GRACE 2.0		/* seconds in-flight transfers get after STOP */
#define ARENA_RESERVE (512u << 20) /* address space for one page's libxml2 memory */
#define OUT_MAX (64u << 20)
#define CA_MAX (16u << 20)	/* a CA bundle larger than this is not read */
#define DEFAULT_CA_BUNDLE "/etc/ssl/certs/ca-certificates.crt"

struct job {
	uint64_t id;
	uint32_t depth, attempt;
	char *url, *etag, *last_modified;
	struct job *next;
};

struct transfer {
	struct worker *w;
	struct fetch f;
	bool sent;		/* the request has gone out (CURLOPT_PREREQFUNCTION) */
	struct job *job;	/* NULL: free, or fetching robots.txt when robots */
	bool robots;
	char *url;		/* the URL being fetched now (after redirects) */
	char *chain[MAX_REDIRECTS + 1];
	int hops;
	double elapsed;		/* seconds over all hops */
};

enum robots_state { ROBOTS_NEEDED, ROBOTS_FETCHING, ROBOTS_WAIT, ROBOTS_READY };

struct worker {
	struct channel ch;	/* to the coordinator; blocking writes are the back-pressure */
	struct css_index *ix;	/* the page's index (cssmatch.h), its memory kept for the next */
	uint32_t site_id;
	char *site;
	struct site_rules *rules;
	CURLM *multi;
	CURLSH *share;
	struct transfer *slots;
	int nslots, active;
	struct job *head, *tail;	/* waiting to start */
	int unsent;			/* transfers added whose request has not gone out */
	double next_start;
	double delay;			/* rules, raised by Crawl-delay */
	double slow_delay, slow_until;	/* after a 429/503 */
	struct robots *robots;
	enum robots_state robots_state;
	int robots_attempts;
	double robots_retry_at;
	char robots_error[256];
	char scheme[8];			/* of the first URL: robots.txt is fetched so */
	char ua_token[64];		/* the user agent's product token (robots meta) */
	struct urlset sent;		/* links already sent (the coordinator dedups too) */
	int max_depth;
	struct sitemap_state sitemaps;	/* sitemap: true (sitemap.h) */
	uint32_t *coverage;		/* one page's coverage counters (extract.h) */
	size_t ncoverage;		/* 0: none sent (no rules, or too many counters) */
	bool stopping;
	double stop_deadline;
	/* the sandbox (sandbox.h): what set-up loaded before the filter went on */
	struct sandbox_preload *preload;
	const char *ca;			/* the CA bundle, mapped (CURLOPT_CAINFO_BLOB) */
	size_t calen;
	struct curl_slist *resolve;	/* the site's and the proxy's addresses */
	char dns_error[300];		/* the site's host could not be resolved */
	bool dns_retryable;
	bool memory_limited;		/* an address-space limit is set */
	/* the pool (NEXT): what a worker keeps from one site to the next */
	bool next;			/* NEXT came: after this site, READY, then SITE */
	bool sandboxed;			/* the filter is on */
	size_t as_base;			/* its mappings before the first site, less the arena */
	struct site_rules *kept_rules;	/* the last site's rules, for a next site with the
					 * same rule file (compiled with JIT) */
};

/* ---- the channel ---- */

/* Write everything queued for the coordinator.  The channel is blocking: if the
 * coordinator is not reading (its store is busy) the worker waits, which is the
 * back-pressure.  A coordinator that is gone ends the worker. */
static void
flush_out(struct worker *w)
{
	if (channel_flush(&w->ch) == -1)
		_exit(0);
}

static void
send_page(struct worker *w, const struct ipc_page *p)
{
	if (ipc_put_page(&w->ch.out, w->site_id, p) == -1) {
		log_error("cannot queue a page record");
		_exit(1);
	}
}

static void
send_done(struct worker *w, uint64_t id, uint32_t errors)
{
	if (ipc_put_done(&w->ch.out, w->site_id, id, errors) == -1)
		_exit(1);
}

/*
 * URLs for the coordinator that do not fit one frame's count or size: frames of at
 * most IPC_MAX_LINKS_PER_FRAME URLs and about 1 MiB, the channel written out between
 * them when it holds much (a 50,000-URL sitemap is one URL's LINKS).
 */
static void
send_url_list(struct worker *w, uint64_t id, uint32_t kind, const struct sitemap_list *l)
{
	static struct ipc_links m;
	size_t bytes = 0;

	m.id = id;
	m.kind = kind;
	m.count = 0;
	for (size_t i = 0; i <= l->n; i++) {
		if (m.count > 0 && (i == l->n || m.count == IPC_MAX_LINKS_PER_FRAME ||
				    bytes + strlen(l->v[i]) > (1u << 20))) {
			if (ipc_put_links(&w->ch.out, w->site_id, &m) == -1)
				log_warn("sitemap URLs too large to send; %u dropped", m.count);
			m.count = 0;
			bytes = 0;
			if (w->ch.out.len > (4u << 20))
				flush_out(w);
		}
		if (i < l->n) {
			m.urls[m.count++] = l->v[i];
			bytes += strlen(l->v[i]) + 8;
		}
	}
}

/* sitemap: true: the site's sitemaps go up once robots.txt is known, with whichever
 * URL is finished next (the coordinator drops what it has seen). */
static void
send_sitemap_roots(struct worker *w, uint64_t id)
{
	struct sitemap_list *l;

	if (!w->rules->sitemap || (l = sitemap_state_roots(&w->sitemaps, w->scheme)) == NULL)
		return;
	for (size_t i = 0; i < l->n; i++)
		log_debug("sitemap %s: queued", l->v[i]);
	send_url_list(w, id, LINK_SITEMAP, l);
	sitemap_list_free(l);
	free(l);
}

/* A URL settled without a request (robots.txt, bad URL). */
static void
send_unfetched(struct worker *w, const struct job *j, uint32_t flags, const char *error)
{
	struct ipc_page p = { .id = j->id, .status = -1, .flags = flags,
			      .retry_after_ms = -1, .final_url = "", .content_type = "",
			      .error = error, .etag = "", .last_modified = "", .charset = "" };

	send_page(w, &p);
	send_sitemap_roots(w, j->id);
	send_done(w, j->id, 0);
}

/* ---- jobs ---- */

static void
job_free(struct job *j)
{
	if (j == NULL)
		return;
	free(j->url);
	free(j->etag);
	free(j->last_modified);
	free(j);
}

static void
job_push(struct worker *w, struct job *j)
{
	j->next = NULL;
	if (w->tail != NULL)
		w->tail->next = j;
	else
		w->head = j;
	w->tail = j;
}

static struct job *
job_pop(struct worker *w)
{
	struct job *j = w->head;

	if (j != NULL && (w->head = j->next) == NULL)
		w->tail = NULL;
	return j;
}

static bool
robots_forbids(const struct worker *w, const char *url)
{
	return w->rules->robots && w->robots != NULL && !robots_allows(w->robots, link_url_path(url));
}

/* ---- robots.txt ---- */

/* Rules from a robots.txt response (or the cache): 2xx parsed, 4xx allow all
 * (RFC 9309 2.3.1.3); Crawl-delay raises the delay, clamped. */
static void
robots_use(struct worker *w, int status, const char *body, size_t len)
{
	double cd;

	robots_free(w->robots);
	if ((w->robots = robots_from_status(status, body, len, w->rules->user_agent)) == NULL) {
		log_error("out of memory parsing robots.txt");
		_exit(1);
	}
	w->robots_state = ROBOTS_READY;
	if (w->rules->sitemap)
		sitemap_state_robots(&w->sitemaps, status >= 200 && status < 300 ? body : "",
				     status >= 200 && status < 300 ? len : 0);
	if ((cd = robots_crawl_delay(w->robots)) > w->delay) {
		if (cd > MAX_CRAWL_DELAY) {
			log_warn("Crawl-delay %g s in robots.txt clamped to %g s", cd, MAX_CRAWL_DELAY);
			cd = MAX_CRAWL_DELAY;
		}
		log_info("Crawl-delay raises the delay between requests from %g to %g s",
			 w->delay, cd);
		w->delay = cd;
	}
}

/* robots.txt could not be had (5xx, 429, network): the RFC says assume complete
 * disallow.  It is tried again as a page would be (the rule file's retries, with
 * backoff); then every URL of the site is answered disallowed. */
static void
robots_unavailable(struct worker *w, const char *why)
{
	snprintf(w->robots_error, sizeof w->robots_error,
		 "robots.txt unavailable (%s): RFC 9309 says assume the site disallows crawling",
		 why);
	if (++w->robots_attempts <= w->rules->retries) {
		double wait = pow(2, w->robots_attempts - 1);
		w->robots_state = ROBOTS_WAIT;
		w->robots_retry_at = clock_mono() + wait;
		log_info("robots.txt: %s; trying again in %g s", why, wait);
		return;
	}
	log_warn("%s", w->robots_error);
	robots_free(w->robots);
	w->robots = robots_disallow_all();
	w->robots_state = ROBOTS_READY;
	if (w->rules->sitemap)
		sitemap_state_robots(&w->sitemaps, "", 0);
}

static void
robots_report(struct worker *w, int status, const char *body)
{
	struct ipc_robots m = { status, (int64_t)time(NULL), body };

	if (ipc_put_robots(&w->ch.out, w->site_id, &m) == -1)
		log_warn("robots.txt too large to keep in the database");
}

/* ---- starting transfers ---- */

static struct transfer *
free_slot(struct worker *w)
{
	for (int i = 0; i < w->nslots; i++) {
		if (w->slots[i].job == NULL && !w->slots[i].robots)
			return &w->slots[i];
	}
	return NULL;
}

static double
current_delay(const struct worker *w, double t)
{
	return t < w->slow_until && w->slow_delay > w->delay ? w->slow_delay : w->delay;
}

static void
clear_chain(struct transfer *t)
{
	for (int i = 0; i <= t->hops && i <= MAX_REDIRECTS; i++) {
		free(t->chain[i]);
		t->chain[i] = NULL;
	}
	t->hops = 0;
	t->url = NULL;
}

/*
 * curl calls this when a transfer's connection is ready and its request is about to
 * go out: the moment the site sees.  The delay runs from here, not from when the
 * transfer was added (DNS and connecting may take a while, and a later transfer on a
 * kept-alive connection would otherwise overtake it).
 */
static int
on_request_start(void *arg, char *ip, char *local_ip, int port, int local_port)
{
	struct transfer *t = arg;
	struct worker *w = t->w;
	double now = clock_mono();

	(void)ip, (void)local_ip, (void)port, (void)local_port;
	if (!t->sent) {
		t->sent = true;
		w->unsent--;
	}
	if (w->next_start < now + current_delay(w, now))
		w->next_start = now + current_delay(w, now);
	return CURL_PREREQFUNC_OK;
}

/*
 * The CA bundle from memory, for a transfer that may need it: an https URL, or
 * robots.txt (curl follows its redirects, to https perhaps).  Only then: curl copies
 * the blob into every new connection's settings, TLS or not, which cost plain http
 * crawls some 10% more CPU and 8 MiB more memory per worker.
 */
static void
set_ca(struct worker *w, CURL *e, const char *url, bool robots)
{
	struct curl_blob blob = { (void *)w->ca, w->calen, CURL_BLOB_NOCOPY };
	bool tls = robots || strncmp(url, "https:", 6) == 0;

	if (w->ca != NULL)
		curl_easy_setopt(e, CURLOPT_CAINFO_BLOB, tls ? &blob : NULL);
}

static int
start_transfer(struct worker *w, struct transfer *t, const char *url, bool robots)
{
	const char *etag = NULL, *lm = NULL;

	if (!robots && t->hops == 0 && t->job != NULL) {
		etag = t->job->etag;
		lm = t->job->last_modified;
	}
	if (fetch_prepare(&t->f, url, etag, lm, robots, robots ? ROBOTS_MAX_BYTES : 0) == -1)
		return -1;
	set_ca(w, t->f.easy, url, robots);
	curl_easy_setopt(t->f.easy, CURLOPT_PREREQFUNCTION, on_request_start);
	curl_easy_setopt(t->f.easy, CURLOPT_PREREQDATA, t);
	if (curl_multi_add_handle(w->multi, t->f.easy) != CURLM_OK)
		return -1;
	t->sent = false;
	w->unsent++;
	w->active++;
	w->next_start = clock_mono() + current_delay(w, clock_mono());
	return 0;
}

/* A transfer is over (done, or removed): if its request never went out, it no longer
 * holds the next start back. */
static void
transfer_over(struct worker *w, struct transfer *t)
{
	if (!t->sent) {
		t->sent = true;
		w->unsent--;
	}
}

static void
start_robots(struct worker *w)
{
	struct transfer *t = free_slot(w);
	char url[600];

	if (t == NULL)
		return;
	snprintf(url, sizeof url, "%s://%s/robots.txt", w->scheme, w->site);
	t->robots = true;
	t->chain[0] = strdup(url);
	t->url = t->chain[0];
	t->elapsed = 0;
	if (t->url == NULL || start_transfer(w, t, url, true) == -1) {
		t->robots = false;
		clear_chain(t);
		robots_unavailable(w, "could not start the request");
		return;
	}
	w->robots_state = ROBOTS_FETCHING;
}

/* Start what politeness allows: a free slot, the delay since the last start, and
 * robots.txt known. */
static void
schedule(struct worker *w)
{
	double t = clock_mono();
	struct transfer *slot;
	struct job *j;

	/* The site's host did not resolve when the worker started (and it cannot look
	 * again: sandbox.c): every URL gets that answer, without a request. */
	while (w->dns_error[0] && (j = job_pop(w)) != NULL) {
		send_unfetched(w, j, w->dns_retryable ? PAGE_RETRYABLE : 0, w->dns_error);
		job_free(j);
	}
	if (w->rules->robots && w->robots_state != ROBOTS_READY) {
		if (w->head == NULL || w->stopping)
			return;
		if (w->robots_state == ROBOTS_NEEDED ||
		    (w->robots_state == ROBOTS_WAIT && t >= w->robots_retry_at))
			start_robots(w);
		return;
	}
	/* With a delay, a request waits until the one before it has gone out: the delay
	 * is between request starts as the site sees them. */
	while (!w->stopping && w->head != NULL && t >= w->next_start &&
	       (w->unsent == 0 || current_delay(w, t) <= 0) && (slot = free_slot(w)) != NULL) {
		j = job_pop(w);
		if (robots_forbids(w, j->url)) {
			send_unfetched(w, j, PAGE_DISALLOWED,
				       w->robots_error[0] ? w->robots_error : "disallowed by robots.txt");
			job_free(j);
			continue;
		}
		slot->job = j;
		slot->chain[0] = strdup(j->url);
		slot->url = slot->chain[0];
		slot->elapsed = 0;
		if (slot->url == NULL || start_transfer(w, slot, j->url, false) == -1) {
			send_unfetched(w, j, 0, "could not start the request");
			clear_chain(slot);
			slot->job = NULL;
			job_free(j);
		}
	}
}

/* ---- finished transfers ---- */

#define WORKER_PROBLEMS_SENT 32	/* PROBLEM frames per page, at most */

struct page_out {
	struct worker *w;
	uint64_t id;
	uint32_t depth;
	const char *url;
	struct buf items;	/* ITEM frames, sent after the PAGE frame */
	const char **links;
	size_t nlinks, caplinks;
	uint32_t problems;
	struct link_gate gate;
	bool extracted;		/* the rules were applied: coverage goes up */
	unsigned robots_meta;	/* X-Robots-Tag and robots meta (robotsmeta.h), if obeyed */
};

static int
sink_item(void *ctx, const char *type, unsigned idx, const char *json, size_t len)
{
	struct page_out *po = ctx;
	struct ipc_item m = { po->id, idx, type, json };

	(void)len;
	if (ipc_put_item(&po->items, po->w->site_id, &m) == -1) {
		po->problems++;
		log_warn("%s: item '%s' %u too large to send; dropped", po->url, type, idx);
	}
	return 0;
}

static int
sink_link(void *ctx, const char *url)
{
	struct page_out *po = ctx;
	enum link_why why = link_gate_check(&po->gate, url);
	const char **v;
	char *copy;

	if (why != LINK_TAKEN) {
		log_debug("%s: link %s: not followed: %s", po->url, url, link_why_text(why));
		return 0;
	}
	log_debug("%s: link %s: followed", po->url, url);
	if (po->nlinks == po->caplinks) {
		size_t cap = po->caplinks ? po->caplinks * 2 : 64;
		if ((v = realloc(po->links, cap * sizeof *v)) == NULL)
			return -1;
		po->links = v;
		po->caplinks = cap;
	}
	if ((copy = strdup(url)) == NULL)
		return -1;
	po->links[po->nlinks++] = copy;
	return 0;
}

/* -vv: the extraction's decisions, in the words try --explain uses. */
static void
watch_item(void *ctx, const struct ex_item_report *it)
{
	struct page_out *po = ctx;

	if (it->stored)
		log_debug("%s: item %s #%u: stored", po->url, it->type, it->idx);
	else
		log_debug("%s: item %s #%u: not stored: %s", po->url, it->type, it->idx, it->why);
}

static void
watch_link(void *ctx, const struct ex_link_report *l)
{
	struct page_out *po = ctx;

	if (l->verdict != EX_LINK_OFFERED) /* offered ones: sink_link says what became of them */
		log_debug("%s: link %s: not followed: %s (%s)", po->url, l->url, l->why, l->rule);
}

static void
sink_problem(void *ctx, const char *msg)
{
	struct page_out *po = ctx;
	struct ipc_problem m = { po->id, msg };

	/* The first few go up in words (PROBLEM, with the items), for the database. */
	if (po->problems++ < WORKER_PROBLEMS_SENT)
		ipc_put_problem(&po->items, po->w->site_id, &m);
	/* The follow rules' limits say what the crawl will not see: worth a warning. */
	if (strncmp(msg, "follow: ", 8) == 0)
		log_warn("%s: %s", po->url, msg);
	else
		log_debug("%s: %s", po->url, msg);
}

static void
send_links(struct worker *w, uint64_t id, uint32_t kind, const char **urls, size_t n)
{
	static struct ipc_links m;

	for (size_t off = 0; off < n;) {
		size_t k = n - off < IPC_MAX_LINKS_PER_FRAME ? n - off : IPC_MAX_LINKS_PER_FRAME;
		m.id = id;
		m.kind = kind;
		m.count = (uint32_t)k;
		memcpy(m.urls, urls + off, k * sizeof *urls);
		if (ipc_put_links(&w->ch.out, w->site_id, &m) == -1)
			log_warn("links of one page too large to send; some dropped");
		off += k;
	}
}

/* Parse and extract, in the page's arena; items go out at once, links into po. */
static void
extract_page(struct worker *w, struct transfer *t, const char *content_type,
	     struct page_out *po, char *charset_note, size_t notelen)
{
	struct ex_sink sink = { po, sink_item, sink_link, sink_problem };
	struct ex_observer obs = { po, w->ncoverage ? w->coverage : NULL, NULL, NULL, NULL };
	struct ex_stats stats;
	struct css_index *ix;
	char cut[300];
	xmlDocPtr doc;
	int rc = 0;

	if (log_level() >= LOGL_DEBUG) {
		obs.item = watch_item;
		obs.link = watch_link;
	}
	po->gate = (struct link_gate){ .site = w->site, .any_site = w->rules->scope == SCOPE_ANY,
				       .sent = &w->sent };
	/* A page that spins past its CPU budget is killed by the kernel (SIGXCPU): the
	 * coordinator records it and charges the URL as a crash. */
	sandbox_cpu_begin(w->rules->max_page_cpu);
	xmlarena_begin();
	doc = page_parse(buf_str(&t->f.body), t->f.body.len, content_type, po->url,
			 charset_note, notelen, cut, sizeof cut);
	if (doc == NULL) {
		po->problems++;
		log_debug("%s: libxml2 could not parse the page", po->url);
	} else {
		if (cut[0] != '\0')
			sink_problem(po, cut);
		/* One index of the page for robotsmeta and the rules; without (no memory)
		 * each walks the page itself. */
		if (w->ix == NULL)
			ix = w->ix = css_index_new(doc);
		else
			ix = css_index_rebuild(w->ix, doc) == 0 ? w->ix : NULL;
		if (w->rules->robots)
			po->robots_meta |= robotsmeta_doc(doc, ix, w->ua_token);
		if (po->robots_meta & ROBOTSMETA_NOFOLLOW) {
			po->gate.nofollow = true;
			log_debug("%s: links not followed: %s", po->url, link_why_text(LINK_NOFOLLOW));
		}
		if (po->depth >= (uint32_t)w->max_depth) {
			sink.link = NULL; /* links from here would be too deep */
			log_debug("%s: links not looked for: %s (depth %u, max_depth %d)", po->url,
				  link_why_text(LINK_TOO_DEEP), po->depth, w->max_depth);
		}
		if (w->ncoverage)
			memset(w->coverage, 0, w->ncoverage * sizeof *w->coverage);
		if ((rc = ex_apply(w->rules->ex, doc, ix, po->url, &sink, &stats,
				   obs.coverage || obs.item ? &obs : NULL)) == -1)
			log_warn("%s: extraction stopped early (out of memory)", po->url);
		po->extracted = true;
		/* All in the arena: it goes at once.  Else free the heap's part. */
		if (!xmlarena_owns_page())
			xmlFreeDoc(doc);
	}
	xmlResetLastError(); /* its strings may be in the arena */
	if (w->memory_limited && (xmlarena_failed() || rc == -1)) {
		/* Cut short by the memory limit: the page's record would be a lie.  The
		 * worker ends with a status that says so; the coordinator charges the URL
		 * as a crash (and fails it the third time) and starts a fresh worker. */
		log_error("%s: the page needs more memory than max_memory_mb (%ld MiB) allows",
			  po->url, w->rules->max_memory_mb);
		flush_out(w); /* what earlier pages sent is theirs to keep */
		_exit(SANDBOX_EXIT_NOMEM);
	}
	xmlarena_end();
	sandbox_cpu_end();
}

static void
slow_down(struct worker *w, const struct fetch_result *r)
{
	/* A Retry-After past what scraper waits fails its URL (finish_job); it does not
	 * hold the rest of the site to one request a minute. */
	double wait = r->retry_after_s > 0 && r->retry_after_s <= IPC_RETRY_AFTER_MAX_S
			      ? fmin((double)r->retry_after_s, SLOW_DOWN_FOR) : 0;
	double d = fmax(fmax(w->delay * 2, 1.0), fmin(wait, SLOW_DOWN_FOR));

	if (d > w->slow_delay || clock_mono() >= w->slow_until)
		w->slow_delay = d;
	w->slow_until = clock_mono() + SLOW_DOWN_FOR;
	/* The next start was planned with the old delay: it waits too. */
	if (w->next_start < clock_mono() + w->slow_delay)
		w->next_start = clock_mono() + w->slow_delay;
	log_info("HTTP %ld: slowing to one request every %g s for %g s", r->status,
		 w->slow_delay, SLOW_DOWN_FOR);
}

/* A 2xx response that may be a sitemap (sitemap.h): read it; what it lists goes into
 * sitemaps and listed, a fault into the page's error.  True when it was a sitemap. */
static bool
read_sitemap(struct worker *w, struct transfer *t, const struct fetch_result *r,
	     struct ipc_page *p, struct sitemap_list *sitemaps, struct sitemap_list *listed,
	     char *error, size_t errlen)
{
	char why[400];

	if (!sitemap_state_page(&w->sitemaps, t->job->url, r->content_type, buf_str(&t->f.body),
				t->f.body.len, &w->sent, sitemaps, listed, why, sizeof why))
		return false;
	log_debug("%s: a sitemap listing %zu sitemaps and %zu pages%s%s", t->url, sitemaps->n,
		  listed->n, why[0] ? "; " : "", why);
	if (why[0] != '\0') {
		snprintf(error, errlen, "%s%s%s", p->error, p->error[0] ? "; " : "", why);
		p->error = error;
	}
	return true;
}

static void
finish_job(struct worker *w, struct transfer *t, const struct fetch_result *r,
	   const char *error, const char *redirect_to)
{
	struct page_out po = { .w = w, .id = t->job->id, .depth = t->job->depth, .url = t->url };
	char charset_note[96] = "", wait_error[200], cut_error[CURL_ERROR_SIZE + 200];
	char sitemap_error[sizeof r->error + 400];
	struct sitemap_list sitemaps = { 0 }, listed = { 0 };
	bool sitemap = false;
	struct ipc_page p = {
		.id = t->job->id, .status = r->status > 0 ? (int32_t)r->status : -1,
		.bytes = t->f.body.len, .elapsed_ms = (uint32_t)(t->elapsed * 1000),
		.retry_after_ms = -1, .final_url = t->url,
		.content_type = r->content_type ? r->content_type : "", .error = error,
		.etag = r->etag, .last_modified = r->last_modified, .charset = charset_note,
	};

	buf_init(&po.items, OUT_MAX);
	if (r->code != CURLE_OK && r->status > 0) {
		/* A status line came, then the transfer failed (headers cut off, a header
		 * over curl's 100 KB limit, a reset, a body its Content-Encoding does not
		 * decode): no complete response, so no status stored; it is a failure, not
		 * an empty page. */
		snprintf(cut_error, sizeof cut_error, "%s after HTTP %ld: %s",
			 r->code == CURLE_OUT_OF_MEMORY ? "response headers too large (a header "
							  "over curl's 100 KB limit)"
			 : r->code == CURLE_BAD_CONTENT_ENCODING ? "body could not be decoded"
								 : "response cut off",
			 r->status, error);
		p.error = cut_error;
		p.status = -1;
	}
	if (fetch_retryable(r) && redirect_to == NULL)
		p.flags |= PAGE_RETRYABLE;
	if (r->retry_after_s > IPC_RETRY_AFTER_MAX_S && (p.flags & PAGE_RETRYABLE)) {
		/* Waiting that long would hold the site (and the crawl's end) hostage. */
		snprintf(wait_error, sizeof wait_error,
			 "HTTP %ld: the server asks to retry after %lld s (Retry-After), longer "
			 "than the %d s scraper waits; not retried", r->status, r->retry_after_s,
			 IPC_RETRY_AFTER_MAX_S);
		p.error = wait_error;
		p.flags &= ~(uint32_t)PAGE_RETRYABLE;
	} else if (r->retry_after_s >= 0) {
		p.retry_after_ms = (int32_t)(r->retry_after_s * 1000);
	}
	if (r->status == 429 || r->status == 503)
		slow_down(w, r);
	if (r->status == 304 && (t->job->etag != NULL || t->job->last_modified != NULL))
		p.flags |= PAGE_NOT_MODIFIED;
	if (t->f.truncated)
		p.flags |= PAGE_TRUNCATED;
	if (w->rules->robots && r->status > 0)
		po.robots_meta = robotsmeta_headers(t->f.easy, w->ua_token);
	if (w->rules->sitemap && r->code == CURLE_OK && r->status >= 200 && r->status < 300)
		sitemap = read_sitemap(w, t, r, &p, &sitemaps, &listed, sitemap_error,
				       sizeof sitemap_error);
	if (!sitemap && r->code == CURLE_OK && r->status >= 200 && r->status < 300 &&
	    page_is_html(r->content_type, buf_str(&t->f.body), t->f.body.len))
		extract_page(w, t, r->content_type, &po, charset_note, sizeof charset_note);
	if (po.robots_meta & ROBOTSMETA_NOINDEX)
		p.flags |= PAGE_NOINDEX;
	/* The PAGE frame goes first, then the items extraction produced. */
	send_page(w, &p);
	if (buf_append(&w->ch.out, po.items.data, po.items.len) == -1)
		log_warn("%s: items too large to send; dropped", t->url);
	buf_free(&po.items);
	if (w->rules->store_bodies && r->code == CURLE_OK && r->status >= 200 && r->status < 300 &&
	    bodyout_send(&w->ch.out, w->site_id, t->job->id, t->f.easy, r->status,
			 t->f.body.data != NULL ? t->f.body.data : "", t->f.body.len) == -1)
		log_warn("%s: body too large to send; not stored", t->url);
	if (redirect_to != NULL)
		send_links(w, t->job->id, LINK_REDIRECT, &redirect_to, 1);
	send_links(w, t->job->id, LINK_FOLLOW, po.links, po.nlinks);
	send_url_list(w, t->job->id, LINK_SITEMAP, &sitemaps);
	send_url_list(w, t->job->id, LINK_SITEMAP_URL, &listed);
	sitemap_list_free(&sitemaps);
	sitemap_list_free(&listed);
	send_sitemap_roots(w, t->job->id);
	if (po.extracted && w->ncoverage &&
	    ipc_put_coverage(&w->ch.out, w->site_id, t->job->id, w->coverage, w->ncoverage) == -1)
		log_warn("%s: coverage counts too large to send", t->url);
	send_done(w, t->job->id, po.problems);
	for (size_t i = 0; i < po.nlinks; i++)
		free((char *)po.links[i]);
	free(po.links);
}

/* A redirect status (a 3xx that names somewhere else to go)? */
static bool
is_redirect_status(const struct fetch_result *r)
{
	return r->code == CURLE_OK && (r->status == 301 || r->status == 302 || r->status == 303 ||
				       r->status == 307 || r->status == 308);
}

/* Is this 3xx to be followed (a Location we can use)? */
static bool
is_redirect(const struct fetch_result *r)
{
	return r->code == CURLE_OK && r->redirect != NULL &&
	       (r->status == 301 || r->status == 302 || r->status == 303 || r->status == 307 ||
		r->status == 308);
}

/*
 * A 3xx: follow it within the site (robots.txt permitting), hand it back when it
 * leaves the site, or end with a clear error.  Returns true when the transfer goes on.
 */
static bool
follow_redirect(struct worker *w, struct transfer *t, const struct fetch_result *r)
{
	char error[URL_MAX + 200];
	const char *target;
	struct buf canon;
	bool going_on = false;

	buf_init(&canon, URL_MAX * 4);
	if (strlen(r->redirect) > URL_MAX) {
		snprintf(error, sizeof error, "redirect to a URL of %zu bytes, longer than the %d "
			 "scraper follows: %.200s...", strlen(r->redirect), URL_MAX, r->redirect);
		finish_job(w, t, r, error, NULL);
		goto done;
	}
	if (url_canonical(r->redirect, &canon) == -1) {
		snprintf(error, sizeof error, "redirect to a URL that is not http(s), not followed: %.4000s",
			 r->redirect);
		finish_job(w, t, r, error, NULL);
		goto done;
	}
	target = buf_str(&canon);
	for (int i = 0; i <= t->hops; i++) {
		if (strcmp(t->chain[i], target) == 0) {
			snprintf(error, sizeof error, "redirect loop after %d redirects: back to %.4000s",
				 t->hops + 1, target);
			finish_job(w, t, r, error, NULL);
			goto done;
		}
	}
	if (t->hops >= MAX_REDIRECTS) {
		snprintf(error, sizeof error, "more than %d redirects (last to %.4000s)",
			 MAX_REDIRECTS, target);
		finish_job(w, t, r, error, NULL);
		goto done;
	}
	if (!url_on_site(target, w->site)) {
		/* Another site's URL: the coordinator takes it in under that site's rules. */
		finish_job(w, t, r, "", target);
		goto done;
	}
	if (robots_forbids(w, target)) {
		snprintf(error, sizeof error, "redirect target disallowed by robots.txt: %.4000s",
			 target);
		finish_job(w, t, r, error, NULL);
		goto done;
	}
	if ((t->chain[++t->hops] = strdup(target)) == NULL) {
		finish_job(w, t, r, "out of memory", NULL);
		goto done;
	}
	t->url = t->chain[t->hops];
	if (start_transfer(w, t, t->url, false) == -1) {
		finish_job(w, t, r, "could not start the redirected request", NULL);
		goto done;
	}
	going_on = true;
done:
	buf_free(&canon);
	return going_on;
}

static void
finish_robots(struct worker *w, struct transfer *t, const struct fetch_result *r)
{
	char why[CURL_ERROR_SIZE + 64];

	if (r->code == CURLE_TOO_MANY_REDIRECTS) {
		/* More than 5 redirects: unavailable, so no restrictions (RFC 9309
		 * 2.3.1.2 and 2.3.1.3). */
		robots_use(w, 302, "", 0);
		robots_report(w, 302, "");
		return;
	}
	if (r->code == CURLE_OK && r->status >= 200 && r->status < 500 && r->status != 429) {
		/* 2xx: the rules; other 4xx (and a 3xx curl could not follow): none. */
		bool ok = r->status < 300;
		robots_use(w, (int)r->status, buf_str(&t->f.body), ok ? t->f.body.len : 0);
		robots_report(w, (int)r->status, ok ? buf_str(&t->f.body) : "");
		return;
	}
	if (r->code != CURLE_OK)
		snprintf(why, sizeof why, "%s", r->error);
	else
		snprintf(why, sizeof why, "HTTP %ld", r->status);
	robots_unavailable(w, why);
}

/* Collect every transfer curl has finished. */
static void
reap_transfers(struct worker *w)
{
	struct fetch_result r;
	struct transfer *t;
	struct fetch *f;
	CURLMsg *msg;
	int left;

	while ((msg = curl_multi_info_read(w->multi, &left)) != NULL) {
		if (msg->msg != CURLMSG_DONE)
			continue;
		curl_easy_getinfo(msg->easy_handle, CURLINFO_PRIVATE, (char **)&f);
		t = f->owner;
		curl_multi_remove_handle(w->multi, msg->easy_handle);
		transfer_over(w, t);
		w->active--;
		fetch_result(f, msg->data.result, &r);
		t->elapsed += r.elapsed;
		if (t->robots) {
			finish_robots(w, t, &r);
			t->robots = false;
		} else if (is_redirect(&r)) {
			if (follow_redirect(w, t, &r))
				continue;
			job_free(t->job);
			t->job = NULL;
		} else if (is_redirect_status(&r)) {
			/* A redirect with nowhere to go: stored as a plain 302 it would look
			 * like a page with nothing on it. */
			char error[160];
			snprintf(error, sizeof error, "HTTP %ld redirect without a Location header "
				 "(or one curl cannot read): nothing to follow", r.status);
			finish_job(w, t, &r, error, NULL);
			job_free(t->job);
			t->job = NULL;
		} else {
			finish_job(w, t, &r, r.error, NULL);
			job_free(t->job);
			t->job = NULL;
		}
		clear_chain(t);
	}
}

/* ---- messages from the coordinator ---- */

static int
on_fetch(struct worker *w, const struct ipc_fetch *m)
{
	struct job *j = calloc(1, sizeof *j);

	if (j == NULL || (j->url = strdup(m->url)) == NULL ||
	    (*m->etag && (j->etag = strdup(m->etag)) == NULL) ||
	    (*m->last_modified && (j->last_modified = strdup(m->last_modified)) == NULL)) {
		job_free(j);
		return -1;
	}
	j->id = m->id;
	j->depth = m->depth;
	j->attempt = m->attempt;
	if (w->scheme[0] == '\0')
		snprintf(w->scheme, sizeof w->scheme, "%s",
			 strncmp(m->url, "https:", 6) == 0 ? "https" : "http");
	job_push(w, j);
	return 0;
}

/* Act on every complete frame read so far; false on a protocol error. */
static bool
process_frames(struct worker *w)
{
	static struct ipc_msg m;
	char err[256];
	int rc;

	while ((rc = channel_next(&w->ch, &m, err, sizeof err)) == 1) {
		if (m.hdr.type == IPC_FETCH) {
			if (on_fetch(w, &m.u.fetch) == -1)
				return false;
		} else if (m.hdr.type == IPC_STOP || m.hdr.type == IPC_NEXT) {
			w->stopping = true;
			w->next = m.hdr.type == IPC_NEXT;
			w->stop_deadline = clock_mono() + STOP_GRACE;
		} else {
			log_error("unexpected %s message", ipc_type_name(m.hdr.type));
			return false;
		}
	}
	if (rc == -1) {
		log_error("bad frame from the coordinator: %s", err);
		return false;
	}
	channel_consume(&w->ch);
	return true;
}

/* Read what the coordinator sent; false when the channel is closed or broken. */
static bool
read_channel(struct worker *w)
{
	return channel_read(&w->ch) > 0 && process_frames(w);
}

/* The first message: SITE (blocking).  Its strings point into the channel's input
 * until channel_consume.  A pooled worker waiting for its next site may be told STOP
 * instead: 1 then.  -1 when the channel closed or broke. */
static int
read_site(struct worker *w, struct ipc_msg *m)
{
	char err[256];
	int rc;

	for (;;) {
		if ((rc = channel_next(&w->ch, m, err, sizeof err)) == 0) {
			if (channel_read(&w->ch) <= 0)
				return -1;
			continue;
		}
		if (rc == 1 && m->hdr.type == IPC_STOP)
			return 1; /* stopped before (another) site was given: nothing to do */
		if (rc == -1 || m->hdr.type != IPC_SITE) {
			log_error("expected SITE from the coordinator: %s",
				  rc == -1 ? err : ipc_type_name(m->hdr.type));
			return -1;
		}
		return 0;
	}
}

/* ---- set-up and the loop ---- */

static int
setup(struct worker *w, const struct ipc_site *s)
{
	struct fetch_conf conf;
	struct diags d = { 0 };

	/* The rules come as text in SITE: exactly what the coordinator loaded, whatever
	 * happened to the file since. */
	if (w->kept_rules != NULL && strcmp(w->kept_rules->path ? w->kept_rules->path : "", s->rules_name) == 0 &&
	    strcmp(w->kept_rules->text ? w->kept_rules->text : "", s->rules_text) == 0) {
		/* A pooled worker's next site, with the same rule file as the last. */
		w->rules = w->kept_rules;
		w->kept_rules = NULL;
	} else {
		rules_free(w->kept_rules);
		w->kept_rules = NULL;
		w->rules = s->rules_text[0] ? rules_load_mem(s->rules_name, s->rules_text,
							     strlen(s->rules_text), &d)
					    : rules_builtin();
	}
	if (w->rules == NULL) {
		diags_print(&d, stderr);
		diags_free(&d);
		return -1;
	}
	if (s->flags & SITE_STORE_BODIES)
		w->rules->store_bodies = true; /* crawl --store-bodies */
	w->delay = w->rules->delay;
	w->max_depth = (int)s->max_depth;
	robots_product_token(w->rules->user_agent, w->ua_token, sizeof w->ua_token);
	if (w->rules->sitemap) {
		if (sitemap_state_init(&w->sitemaps, w->site, w->rules->ex) == -1)
			return -1;
		/* robots: ignore: robots.txt is not read, so the sitemap is /sitemap.xml. */
		w->sitemaps.pending = !w->rules->robots;
	}
	w->ncoverage = ex_coverage_size(w->rules->ex);
	if (w->ncoverage > IPC_MAX_COVERAGE) {
		log_warn("rules too large to report their coverage (%zu counters)", w->ncoverage);
		w->ncoverage = 0;
	}
	if (w->ncoverage && (w->coverage = calloc(w->ncoverage, sizeof *w->coverage)) == NULL)
		return -1;
	w->nslots = w->rules->concurrency;
	if (s->concurrency > 0 && s->concurrency < (uint32_t)w->nslots)
		w->nslots = (int)s->concurrency; /* one of several workers of the site: its share */
	conf = (struct fetch_conf){ w->rules->user_agent, w->rules->timeout,
				    w->rules->max_bytes, w->rules->proxy };
	if ((w->multi = curl_multi_init()) == NULL || (w->share = fetch_share_new()) == NULL ||
	    (w->slots = calloc((size_t)w->nslots, sizeof *w->slots)) == NULL)
		return -1;
	curl_multi_setopt(w->multi, CURLMOPT_MAX_HOST_CONNECTIONS, (long)w->nslots);
	curl_multi_setopt(w->multi, CURLMOPT_PIPELINING, CURLPIPE_MULTIPLEX);
	for (int i = 0; i < w->nslots; i++) {
		if (fetch_init(&w->slots[i].f, w->share, &conf) == -1)
			return -1;
		w->slots[i].f.owner = &w->slots[i];
		w->slots[i].w = w;
		w->slots[i].sent = true;
	}
	if (!w->rules->robots) {
		w->robots_state = ROBOTS_READY;
	} else if (s->robots_status >= 0 && time(NULL) - s->robots_fetched_at < ROBOTS_MAX_AGE) {
		robots_use(w, s->robots_status, s->robots_body, strlen(s->robots_body));
		log_debug("robots.txt from the cache (fetched %lld s ago)",
			  (long long)(time(NULL) - s->robots_fetched_at));
	}
	return 0;
}

/* ---- the sandbox: what must happen before the filter goes on ---- */

/*
 * Look host (a proxy's) up now and add "host:port:addr,addr" for each port to
 * w->resolve, for curl's CURLOPT_RESOLVE.  Why here: after the filter, curl's
 * resolver could not read /etc/hosts or resolv.conf, nor start its thread.  The
 * site's own host comes looked up in SITE (the coordinator's resolver).  0, or -1
 * with err set (the lookup failed).
 */
static int
resolve_into(struct worker *w, const char *host, const long *ports, size_t nports,
	     char *err, size_t errlen, int *gai)
{
	char addrs[1024], entry[1400];
	size_t n;

	if (lookup_is_ip(host) || *host == '[')
		return 0;
	if (lookup_host(host, addrs, sizeof addrs, err, errlen, gai) == -1)
		return -1;
	n = strlen(addrs);
	for (size_t i = 0; i < nports && n > 0; i++) {
		struct curl_slist *l;
		snprintf(entry, sizeof entry, "%s:%ld:%s", host, ports[i], addrs);
		if ((l = curl_slist_append(w->resolve, entry)) == NULL)
			return -1;
		w->resolve = l;
	}
	return 0;
}

/* The proxy URL's host and port, looked up as the site's (the environment's
 * *_proxy variables too: curl reads them at every transfer). */
static void
resolve_proxy(struct worker *w, const char *proxy)
{
	CURLU *u = curl_url();
	char *host = NULL, *port = NULL, err[300];
	long p;
	int gai;

	if (u == NULL || proxy == NULL || *proxy == '\0')
		goto out;
	if (curl_url_set(u, CURLUPART_URL, proxy, CURLU_GUESS_SCHEME | CURLU_NON_SUPPORT_SCHEME) ||
	    curl_url_get(u, CURLUPART_HOST, &host, 0))
		goto out;
	p = curl_url_get(u, CURLUPART_PORT, &port, 0) == CURLUE_OK ? atol(port) : 1080;
	if (resolve_into(w, host, &p, 1, err, sizeof err, &gai) == -1)
		log_warn("proxy %s: %s", proxy, err);
out:
	curl_free(host);
	curl_free(port);
	curl_url_cleanup(u);
}

/*
 * The site's addresses, as the coordinator looked them up (crawl/resolve.c: SITE's
 * resolve, CURLOPT_RESOLVE entries one a line), or its failure to (dns_error).  The
 * proxies' names are looked up here, before the filter.
 */
static void
site_addresses(struct worker *w, const struct ipc_site *s)
{
	const char *p = s->resolve, *nl;
	char entry[1400];

	for (; *p; p = nl != NULL ? nl + 1 : p + strlen(p)) {
		size_t n = (nl = strchr(p, '\n')) != NULL ? (size_t)(nl - p) : strlen(p);
		struct curl_slist *l;
		if (n == 0 || n >= sizeof entry)
			continue;
		memcpy(entry, p, n);
		entry[n] = '\0';
		if ((l = curl_slist_append(w->resolve, entry)) != NULL)
			w->resolve = l;
	}
	snprintf(w->dns_error, sizeof w->dns_error, "%s", s->dns_error);
	w->dns_retryable = (s->flags & SITE_DNS_RETRYABLE) != 0;
	if (w->dns_error[0])
		log_warn("%s", w->dns_error);
}

static void
resolve_site(struct worker *w, const struct ipc_site *s)
{
	static const char *const proxy_vars[] = { "http_proxy", "https_proxy", "HTTPS_PROXY",
						  "all_proxy", "ALL_PROXY", NULL };
	bool proxied = w->rules->proxy != NULL;

	resolve_proxy(w, w->rules->proxy);
	for (int i = 0; proxy_vars[i] != NULL; i++) {
		const char *v = getenv(proxy_vars[i]);
		if (v != NULL && *v) {
			proxied = true;
			resolve_proxy(w, v);
		}
	}
	if (proxied) {
		/* Through a proxy the site's name is the proxy's business. */
		w->dns_error[0] = '\0';
	} else {
		site_addresses(w, s);
	}
}

/* The CA bundle, read now (as the starting user: a private CA may be readable by
 * root only): the rule file's ca_file (relative to the rule file), else crawl
 * --ca-file, else libcurl's bundle. */
static int
load_ca(struct worker *w, const struct worker_args *a, const char *rules_name)
{
	const curl_version_info_data *v = curl_version_info(CURLVERSION_NOW);
	const char *path = a->ca_file;
	char buf[4096], err[600], *dir;

	if (w->rules->ca_file != NULL) {
		path = w->rules->ca_file;
		if (path[0] != '/' && rules_name[0] != '\0') {
			snprintf(buf, sizeof buf, "%s", rules_name);
			dir = dirname(buf);
			snprintf(err, sizeof err, "%s/%s", dir, path);
			snprintf(buf, sizeof buf, "%s", err);
			path = buf;
		}
	}
	if (path == NULL)
		path = v->cainfo != NULL ? v->cainfo : DEFAULT_CA_BUNDLE;
	if ((w->ca = sandbox_map_file(path, CA_MAX, &w->calen, err, sizeof err)) == NULL) {
		if (path == a->ca_file || w->rules->ca_file != NULL) {
			log_error("ca_file: %s", err);
			return -1;
		}
		log_warn("no CA bundle (%s): https will not verify", err);
	}
	return 0;
}

/* Give every transfer the addresses looked up, and no CA folder: the bundle comes
 * from memory (set_ca). */
static void
configure_handles(struct worker *w)
{
	for (int i = 0; i < w->nslots; i++) {
		CURL *e = w->slots[i].f.easy;
		curl_easy_setopt(e, CURLOPT_CAPATH, NULL);
		curl_easy_setopt(e, CURLOPT_PROXY_CAPATH, NULL);
		if (w->ca == NULL)
			curl_easy_setopt(e, CURLOPT_CAINFO, NULL);
		if (w->resolve != NULL)
			curl_easy_setopt(e, CURLOPT_RESOLVE, w->resolve);
	}
}

/* libxml2's allocations per page go to an arena (xmlarena.h), except under
 * AddressSanitizer, which must see them to check them.  The arena is at most half
 * the memory limit. */
static size_t
arena_setup(size_t limit)
{
	size_t reserve = ARENA_RESERVE;

#if defined(__SANITIZE_ADDRESS__)
	return 0;
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
	return 0;
#endif
#endif
	if (limit > 0 && reserve > limit / 2)
		reserve = limit / 2;
	if (xmlarena_install(reserve) == -1) {
		log_warn("no arena for libxml2 (%s): using malloc", strerror(errno));
		return 0;
	}
	return reserve;
}

/*
 * After set-up, before the first request: load what the filter would keep out,
 * become the unprivileged user, look up the site, set the limits, and turn the
 * filter on (sandbox.h says what each step is for).
 */
static int
enter_sandbox(struct worker *w, const struct worker_args *a, const struct ipc_site *s)
{
	const char *rules_name = s->rules_name;
	size_t limit = (size_t)w->rules->max_memory_mb << 20, arena, base;
	char err[300];
	const char *test = getenv("SCRAPER_TEST_SANDBOX");

	if (load_ca(w, a, rules_name) == -1)
		return -1;
	if (chdir("/") == -1)
		log_warn("chdir /: %s", strerror(errno));
	if (a->switch_user && sandbox_drop_user(a->uid, a->gid, err, sizeof err) == -1) {
		log_error("%s", err);
		return -1;
	}
	resolve_site(w, s);
	configure_handles(w);
	arena = arena_setup(limit);
	/* The limit is on what the worker maps from here on: its libraries and start-up
	 * mappings are not counted, the arena is. */
	base = sandbox_mapped();
	w->memory_limited = base > 0 && limit > 0;
	w->as_base = base - arena;
	if (sandbox_limit(w->memory_limited ? base - arena + limit : 0,
			  w->memory_limited ? base - arena + ((size_t)s->pool_memory_mb << 20) : 0,
			  2 * w->nslots + 64, 2 * (int)s->pool_concurrency + 64, err,
			  sizeof err) == -1 ||
	    sandbox_enter(err, sizeof err) == -1) {
		log_error("sandbox: %s", err);
		return -1;
	}
	w->sandboxed = true;
	ex_no_jit(); /* no executable memory from here on: a next site's regexes go without */
	if (test != NULL && *test) {
		/* The tests' way to show the filter works: do something forbidden now. */
		char what[32];
		const char *target = strchr(test, ':');
		snprintf(what, sizeof what, "%.*s", (int)(target ? (size_t)(target - test) : strlen(test)), test);
		sandbox_try_forbidden(what, target ? target + 1 : NULL);
	}
	return 0;
}

/* How long curl_multi_poll may sleep, in ms. */
static int
poll_timeout(struct worker *w)
{
	long curl_ms = -1;
	double t = clock_mono(), wait = 1.0;

	curl_multi_timeout(w->multi, &curl_ms);
	if (curl_ms >= 0 && curl_ms / 1000.0 < wait)
		wait = curl_ms / 1000.0;
	/* A start that only waits for the clock: the delay, or a robots.txt retry.
	 * (While robots.txt is being fetched, curl's own timeout governs.) */
	if (w->head != NULL && !w->stopping && free_slot(w) != NULL) {
		double until = -1;
		if (w->robots_state == ROBOTS_READY || !w->rules->robots)
			until = w->next_start;
		else if (w->robots_state == ROBOTS_WAIT)
			until = w->robots_retry_at;
		if (until >= 0 && until - t < wait)
			wait = until - t;
	}
	if (w->stopping && w->stop_deadline - t < wait)
		wait = w->stop_deadline - t;
	return wait <= 0 ? 0 : (int)(wait * 1000) + 1;
}

/* What belongs to the current site: its transfers and jobs, curl's handles and
 * connections, the addresses, robots.txt, the sitemaps, the links sent, the coverage.
 * (The rules are the caller's: a pooled worker keeps them for a next site.) */
static void
site_free(struct worker *w)
{
	struct job *j;

	for (int i = 0; w->slots != NULL && i < w->nslots; i++) {
		if (w->slots[i].f.easy != NULL && (w->slots[i].job != NULL || w->slots[i].robots))
			curl_multi_remove_handle(w->multi, w->slots[i].f.easy);
		job_free(w->slots[i].job);
		clear_chain(&w->slots[i]);
		fetch_cleanup(&w->slots[i].f);
	}
	free(w->slots);
	while ((j = job_pop(w)) != NULL)
		job_free(j);
	curl_multi_cleanup(w->multi);
	curl_share_cleanup(w->share);
	curl_slist_free_all(w->resolve);
	robots_free(w->robots);
	sitemap_state_free(&w->sitemaps);
	urlset_free(&w->sent);
	free(w->coverage);
	free(w->site);
}

static void
cleanup(struct worker *w)
{
	site_free(w);
	css_index_free(w->ix);
	sandbox_unmap_file(w->ca, w->calen);
	sandbox_preload_free(w->preload);
	rules_free(w->rules);
	rules_free(w->kept_rules);
	channel_close(&w->ch);
}

/*
 * NEXT: the site is finished.  Everything of it goes (transfers, curl's handles and
 * connections, the jobs, robots.txt, the sitemaps, the links sent, the coverage, the
 * addresses); what the worker keeps is what it loaded before the filter (its channel,
 * the preloads, the CA bundle), its limits' base and the rules, for a next site with
 * the same rule file.
 */
static void
site_teardown(struct worker *w)
{
	struct worker keep = { 0 };

	site_free(w);
	keep.ch = w->ch;
	keep.site_id = w->site_id;
	keep.preload = w->preload;
	keep.ca = w->ca;
	keep.calen = w->calen;
	keep.memory_limited = w->memory_limited;
	keep.sandboxed = w->sandboxed;
	keep.as_base = w->as_base;
	keep.kept_rules = w->rules;
	keep.ix = w->ix;
	*w = keep;
	urlset_init(&w->sent);
}

/* A next site's limits: the soft ones (under the hard ones set at the first SITE). */
static int
site_limits(struct worker *w)
{
	struct rlimit rl;

	getrlimit(RLIMIT_NOFILE, &rl);
	rl.rlim_cur = (rlim_t)(2 * w->nslots + 64) < rl.rlim_max ? (rlim_t)(2 * w->nslots + 64)
								   : rl.rlim_max;
	if (setrlimit(RLIMIT_NOFILE, &rl) == -1) {
		log_error("setrlimit(RLIMIT_NOFILE): %s", strerror(errno));
		return -1;
	}
#if !defined(__SANITIZE_ADDRESS__)
	if (w->memory_limited) {
		getrlimit(RLIMIT_AS, &rl);
		rl.rlim_cur = (rlim_t)(w->as_base + ((size_t)w->rules->max_memory_mb << 20));
		if (rl.rlim_cur > rl.rlim_max)
			rl.rlim_cur = rl.rlim_max;
		if (setrlimit(RLIMIT_AS, &rl) == -1) {
			log_error("setrlimit(RLIMIT_AS): %s", strerror(errno));
			return -1;
		}
	}
#endif
	return 0;
}

/*
 * After NEXT, once the site is finished: tear it down, say READY (with the CPU used so
 * far, for the coordinator's accounts), and wait.  1: SITE came and the worker is set
 * up for it; 0: STOP came, or the coordinator is gone; -1: the new site cannot be set
 * up.
 */
static int
next_site(struct worker *w, struct ipc_msg *m)
{
	struct ipc_ready r = { 0 };
	struct rusage ru;
	int rc;

	site_teardown(w);
	if (getrusage(RUSAGE_SELF, &ru) == 0) {
		r.cpu_ms = (uint64_t)ru.ru_utime.tv_sec * 1000 + (uint64_t)ru.ru_utime.tv_usec / 1000 +
			   (uint64_t)ru.ru_stime.tv_sec * 1000 + (uint64_t)ru.ru_stime.tv_usec / 1000;
		r.maxrss_kb = (uint64_t)ru.ru_maxrss;
	}
	if (ipc_put_ready(&w->ch.out, w->site_id, &r) == -1)
		return -1;
	flush_out(w);
	channel_consume(&w->ch);
	if ((rc = read_site(w, m)) != 0)
		return 0; /* STOP, or the coordinator is gone */
	w->site_id = m->hdr.site;
	if ((w->site = strdup(m->u.site.site)) == NULL)
		return -1;
	log_init("worker", w->site, (enum log_level)m->u.site.log_level);
	if (setup(w, &m->u.site) == -1 || site_limits(w) == -1) {
		log_error("cannot set up the worker for %s", w->site);
		return -1;
	}
	site_addresses(w, &m->u.site);
	configure_handles(w);
	log_debug("next site: %s", w->site);
	return process_frames(w) ? 1 : -1;
}

/* Let libxml2 make its lazily created globals now, outside any page's arena. */
static void
warm_up(void)
{
	static const char html[] = "<html><head><title>t</title></head><body><p>x</p></body></html>";
	char note[96], cut[300];
	xmlDocPtr doc = page_parse(html, sizeof html - 1, "text/html", "http://localhost/",
				   note, sizeof note, cut, sizeof cut);
	xmlXPathContextPtr xc = doc != NULL ? xmlXPathNewContext(doc) : NULL;

	if (xc != NULL)
		xmlXPathFreeObject(xmlXPathEvalExpression((const xmlChar *)"//p/text()", xc));
	xmlXPathFreeContext(xc);
	xmlFreeDoc(doc);
	xmlResetLastError();
}

/* One turn: start what may start, let curl work, collect what finished, send. */
static int
turn(struct worker *w)
{
	int running;
	CURLMcode mc;

	schedule(w);
	if ((mc = curl_multi_perform(w->multi, &running)) != CURLM_OK) {
		log_error("curl_multi_perform: %s", curl_multi_strerror(mc));
		return -1;
	}
	reap_transfers(w);
	schedule(w);
	flush_out(w);
	return 0;
}

int
worker_parse_args(int argc, char **argv, int first, struct worker_args *a)
{
	for (int i = first; i + 1 < argc; i += 2) {
		if (strcmp(argv[i], "--uid") == 0) {
			a->uid = (uid_t)strtoul(argv[i + 1], NULL, 10);
			a->switch_user = true;
		} else if (strcmp(argv[i], "--gid") == 0) {
			a->gid = (gid_t)strtoul(argv[i + 1], NULL, 10);
		} else if (strcmp(argv[i], "--ca-file") == 0) {
			a->ca_file = argv[i + 1];
		} else {
			return -1;
		}
	}
	return argc >= first && (argc - first) % 2 == 0 ? 0 : -1;
}

struct sandbox_preload *
worker_prepare(void)
{
	struct sandbox_preload *p;

	sandbox_no_core();
	signal(SIGPIPE, SIG_IGN);
	if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
		log_error("cannot initialise libcurl");
		return NULL;
	}
	ex_init();
	warm_up();
	if ((p = sandbox_preload()) == NULL)
		curl_global_cleanup();
	return p;
}

int
worker_serve(const struct worker_args *a, struct sandbox_preload *preload)
{
	static struct ipc_msg m;
	struct worker w = { .preload = preload };
	struct curl_waitfd chan = { .fd = WORKER_CHANNEL_FD, .events = CURL_WAIT_POLLIN };
	int rc = 1;
	CURLMcode mc;

	/* Exec'd as /proc/self/exe, a worker would show as "exe" in ps and top. */
	prctl(PR_SET_NAME, "scraper-worker", 0, 0, 0);
	log_init("worker", a->site, LOGL_WARN);
	channel_init(&w.ch, WORKER_CHANNEL_FD, CHANNEL_IN_MAX, OUT_MAX);
	urlset_init(&w.sent);
	if (read_site(&w, &m) != 0) {
		rc = 0; /* the coordinator went away before saying anything */
		goto out;
	}
	log_init("worker", a->site, (enum log_level)m.u.site.log_level);
	w.site_id = m.hdr.site;
	w.site = strdup(m.u.site.site);
	if (w.site == NULL || setup(&w, &m.u.site) == -1) {
		log_error("cannot set up the worker");
		goto out;
	}
	if (enter_sandbox(&w, a, &m.u.site) == -1) {
		log_error("cannot set up the worker's sandbox");
		goto out;
	}
	/* FETCH frames read together with SITE are waiting behind it. */
	if (!process_frames(&w))
		goto out;
	for (;;) {
		chan.revents = 0;
		if (turn(&w) == -1)
			goto out;
		if (w.stopping && (w.active == 0 || clock_mono() >= w.stop_deadline)) {
			int next = w.next ? next_site(&w, &m) : 0;
			if (next == 1)
				continue;
			if (next == -1)
				goto out;
			break;
		}
		if ((mc = curl_multi_poll(w.multi, &chan, 1, poll_timeout(&w), NULL)) != CURLM_OK) {
			log_error("curl_multi_poll: %s", curl_multi_strerror(mc));
			goto out;
		}
		if ((chan.revents & (CURL_WAIT_POLLIN | CURL_WAIT_POLLPRI)) && !read_channel(&w)) {
			rc = 0; /* the coordinator is gone (or broken): stop at once */
			goto out;
		}
	}
	rc = 0;
out:
	flush_out(&w);
	cleanup(&w);
	curl_global_cleanup();
	return rc;
}

/* "scraper --worker SITE [--uid N --gid N] [--ca-file PATH]" (proc.c builds it). */
int
worker_main(int argc, char **argv)
{
	struct worker_args a = { 0 };
	struct sandbox_preload *preload;

	if (argc < 3 || worker_parse_args(argc, argv, 3, &a) == -1) {
		fprintf(stderr, "scraper --worker is started by 'scraper crawl', not by hand\n");
		return 2;
	}
	a.site = argv[2];
	log_init("worker", a.site, LOGL_WARN);
	if ((preload = worker_prepare()) == NULL) {
		log_error("cannot set up the worker");
		return 1;
	}
	return worker_serve(&a, preload);
}
