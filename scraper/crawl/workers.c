/*
 * workers.c: the worker processes, as the coordinator sees them.
 *
 * One worker per active site, at most --workers at once; a site waiting for a slot
 * starts when one frees.  A worker is started (fork+exec, ipc/proc.c) with a
 * socketpair as its channel and is sent SITE (the site's rule file as text, and the
 * robots.txt the database has for it), then FETCHes within a credit window, then STOP.
 * Its frames are read here and handed to settle.c.  When its channel closes without a
 * STOP having been sent, it crashed: what it had in flight is charged a crash and goes
 * back to the site's queue (a URL that kills MAX_CRASHES workers fails), and a site
 * whose workers keep dying is given up.
 *
 * Warm workers: a worker whose site runs dry is told NEXT rather than STOP (when the
 * site may pool: site_pools).  It tears its site down and says READY (with the CPU it
 * used, charged to that site), and workers_start_waiting gives it the next waiting
 * site (assign: SITE again, no process start), or, when nothing waits, STOP.  Frames
 * carry the site id, checked against w->site, which follows the worker's current site.
 * A worker that crashed is gone: never reused.
 *
 * The watchdog (worker_due) kills a worker that stops answering: one stopped
 * (SIGSTOP) for STOPPED_GRACE seconds, or one with URLs in flight that has sent
 * nothing for longer than its rules allow (watchdog_limit).  Its URLs are charged as
 * for a crash, with the watchdog's reason.  Each worker has one timer in the
 * coordinator's heap (timers.c), armed for the earliest moment its watchdog or a grace
 * period could run out; when it fires the worker is checked and the timer armed again,
 * so a turn looks only at workers that are due, not at all of them.
 */
#include "config.h"

#include <errno.h>
#include <math.h>
#include <signal.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "base/clock.h"
#include "base/log.h"
#include "base/oom.h"
#include "crawl/coord.h"
#include "ipc/proc.h"
#include "worker/robots.h"

static void
send_frame_failed(struct wproc *w)
{
	log_error("cannot queue a message for the worker of %s (output full)", w->site->name);
	kill(w->pid, SIGKILL);
}

/*
 * May s's worker be given another site when s is done, and may s be given a worker
 * that had another?  What a worker loads before its sandbox must serve every site it
 * is given: so not when a proxy is used (the worker looks its name up) nor a rule
 * file's own CA bundle (read at start).
 */
static bool
site_pools(const struct coord *c, const struct site *s)
{
	return !c->proxied && s->rules->proxy == NULL && s->rules->ca_file == NULL &&
	       c->pool_memory_mb > 0;
}

/* The most any rule file allows (memory, concurrency): a pooled worker's hard limits.
 * A rule file without a memory limit turns the pool off. */
void
workers_pool_limits(struct coord *c)
{
	const struct rule_set *set = c->rules;
	long mem = 0;
	int conc = 0;

	for (size_t i = 0; i <= set->nfiles; i++) {
		const struct site_rules *r = i < set->nfiles ? set->files[i] : set->fallback;
		if (r == NULL)
			continue;
		if (r->max_memory_mb <= 0)
			mem = -1;
		if (mem >= 0 && r->max_memory_mb > mem)
			mem = r->max_memory_mb;
		if (r->concurrency > conc)
			conc = r->concurrency;
	}
	c->pool_memory_mb = mem > 0 && mem <= UINT32_MAX ? (uint32_t)mem : 0;
	c->pool_concurrency = (uint32_t)conc;
}

/* Queue SITE for w: the rules as text, so that the worker compiles exactly what the
 * coordinator loaded (an edit of the file during the crawl changes nothing), and the
 * robots.txt body the database had (NULL or "" when none, or when it is too old). */
void
wproc_send_site(struct coord *c, struct wproc *w, const char *robots_body)
{
	struct site *s = w->site;
	bool cached = robots_body != NULL && s->robots_status >= 0;
	struct ipc_site m = {
		.site = s->name,
		.rules_name = s->rules->path ? s->rules->path : "",
		.rules_text = s->rules->text ? s->rules->text : "",
		.robots_status = cached ? s->robots_status : -1,
		.robots_fetched_at = cached ? s->robots_at : 0,
		.robots_body = cached ? robots_body : "",
		.log_level = (uint32_t)(c->o->verbose >= 2 ? LOGL_DEBUG : c->o->verbose ? LOGL_INFO : LOGL_WARN),
		.max_depth = (uint32_t)s->max_depth,
		.flags = c->o->store_bodies ? SITE_STORE_BODIES : 0,
		.concurrency = (uint32_t)w->told,
		.resolve = s->dns_entries ? s->dns_entries : "",
		.dns_error = s->dns_error ? s->dns_error : "",
	};

	if (s->dns_retryable && m.dns_error[0])
		m.flags |= SITE_DNS_RETRYABLE;
	if (site_pools(c, s)) {
		m.pool_memory_mb = c->pool_memory_mb;
		m.pool_concurrency = c->pool_concurrency;
	}

	if (ipc_put_site(&w->ch.out, s->id, &m) == -1)
		send_frame_failed(w);
	w->site_sent = true;
}

/* Is the robots.txt the database holds for s recent enough to hand to a worker? */
static bool
robots_fresh(const struct site *s)
{
	return s->rules->robots && s->robots_status >= 0 &&
	       (int64_t)time(NULL) - s->robots_at < ROBOTS_MAX_AGE;
}

static void site_begin(struct coord *c, struct site *s, struct wproc *w);

/* Fork a worker from the zygote (started for the first worker), or exec one when there
 * is no zygote: it could not start, it failed, or it is not wanted (SCRAPER_NO_ZYGOTE,
 * or the tests' SCRAPER_WORKER_EXEC, a program of their own). */
static pid_t
start_worker(struct coord *c, const char *site, int *fd, char *err, size_t errlen)
{
	const char *no = getenv("SCRAPER_NO_ZYGOTE"), *exe = getenv("SCRAPER_WORKER_EXEC");
	pid_t pid;

	if (!c->zygote_tried) {
		c->zygote_tried = true;
		if ((no == NULL || *no == '\0' || strcmp(no, "0") == 0) && (exe == NULL || *exe == '\0') &&
		    (c->zygote = proc_zygote_start(&c->wopts, err, errlen)) == NULL)
			log_warn("cannot start the zygote (%s): each worker is exec'd", err);
	}
	if (c->zygote != NULL) {
		if ((pid = proc_zygote_spawn(c->zygote, site, fd, err, errlen)) != -1)
			return pid;
		log_warn("%s: workers are exec'd from now on", err);
		proc_zygote_stop(c->zygote);
		c->zygote = NULL;
	}
	return proc_spawn_worker(site, &c->wopts, fd, err, errlen);
}

/* Start a worker for s.  share: the transfers it may have in flight; told: the
 * concurrency its SITE gives it (0: the rules' own, for a site's only worker). */
static struct wproc *
spawn(struct coord *c, struct site *s, int share, int told)
{
	struct wproc *w;
	char err[256];
	int fd;

	if (s->nw >= MAX_SITE_WORKERS)
		return NULL;
	w = xcalloc(1, sizeof *w);

	w->pid = start_worker(c, s->name, &fd, err, sizeof err);
	if (w->pid == -1) {
		log_error("cannot start a worker for %s: %s", s->name, err);
		free(w);
		return NULL;
	}
	w->site = s;
	w->heard_at = clock_mono();
	channel_init(&w->ch, fd, CHANNEL_IN_MAX, CHANNEL_OUT_MAX);
	w->share = share;
	w->told = told;
	w->window = told == 0 ? s->window : 2 * share < MAX_WINDOW ? 2 * share : MAX_WINDOW;
	w->inflight = xcalloc((size_t)w->window, sizeof *w->inflight);
	s->w[s->nw++] = w;
	c->workers = xgrow(c->workers, &c->cworkers, c->nworkers, sizeof *c->workers);
	c->workers[c->nworkers++] = w;
	log_debug("started worker %d for %s (%d of %d transfers)", (int)w->pid, s->name, share,
		  s->rules->concurrency);
	site_begin(c, s, w);
	return w;
}

/* w is s's: SITE goes now, or once s's robots.txt is read from the database. */
static void
site_begin(struct coord *c, struct site *s, struct wproc *w)
{
	w->sites++;
	if (robots_fresh(s) && !s->robots_loading) {
		/* The body stays in the database until now; SITE goes when it is read. */
		struct store_op *op = settle_new_op(OP_ROBOTS_READ);
		op->site = xstrdup(s->name);
		op->site_id = s->id;
		s->robots_loading = true;
		c->refills++;
		settle_submit(c, op);
	} else if (!s->robots_loading) {
		wproc_send_site(c, w, NULL);
	}
}

/* Give s to w, a warm worker that said READY: no process start. */
static void
assign(struct coord *c, struct wproc *w, struct site *s, int share, int told)
{
	w->ready = false;
	w->charged = false;
	w->stopping = false;
	w->stop_at = 0;
	w->site = s;
	w->site_sent = false;
	w->share = share;
	w->told = told;
	w->window = told == 0 ? s->window : 2 * share < MAX_WINDOW ? 2 * share : MAX_WINDOW;
	free(w->inflight);
	w->inflight = xcalloc((size_t)w->window, sizeof *w->inflight);
	w->ninflight = 0;
	w->heard_at = clock_mono();
	w->heard = false;
	w->slowed_at = 0;
	s->w[s->nw++] = w;
	log_debug("worker %d takes %s (its site number %d)", (int)w->pid, s->name, w->sites + 1);
	site_begin(c, s, w);
}

static double watchdog_limit(const struct wproc *w, double t);

/* w's timer fires at at, or earlier if it is armed for earlier. */
void
workers_arm(struct coord *c, struct wproc *w, double at)
{
	if (!timer_armed(&w->timer) || at < w->timer.at) {
		w->timer.kind = TIMER_WORKER;
		timers_set(&c->timers, &w->timer, at);
	}
}

/* s's timer fires when its earliest retry is due (a wake-up: dispatch takes it). */
void
site_arm_retry(struct coord *c, struct site *s)
{
	double at;

	if (s->sq.nretry == 0)
		return;
	at = s->sq.retry[0]->not_before;
	if (!timer_armed(&s->retry_timer) || at < s->retry_timer.at) {
		s->retry_timer.kind = TIMER_RETRY;
		timers_set(&c->timers, &s->retry_timer, at);
	}
}

/* A warm worker waiting for a site, or NULL. */
static struct wproc *
ready_worker(const struct coord *c)
{
	for (size_t i = 0; i < c->nworkers; i++) {
		struct wproc *w = c->workers[i];
		if (w->ready && !w->gone && !w->stop_sent && !w->reaped)
			return w;
	}
	return NULL;
}

/* STOP: it exits once its transfers are done (a warm worker waiting for a site, or
 * one told NEXT, too). */
void
wproc_stop(struct coord *c, struct wproc *w)
{
	if (w->stop_sent || w->gone)
		return;
	if (ipc_put_stop(&w->ch.out, w->site->id) == -1)
		send_frame_failed(w);
	w->stopping = true;
	w->stop_sent = true;
	w->stop_at = clock_mono();
	workers_arm(c, w, w->stop_at + STOP_GRACE);
}

/* NEXT: it finishes its site, says READY and waits for another. */
static void
wproc_next(struct coord *c, struct wproc *w)
{
	if (w->stopping || w->gone)
		return;
	if (ipc_put_next(&w->ch.out, w->site->id) == -1)
		send_frame_failed(w);
	w->stopping = true;
	w->next = true;
	w->stop_at = clock_mono();
	workers_arm(c, w, w->stop_at + STOP_GRACE);
}

/* Write what is buffered for w, as much as the channel takes now.  A peer that is
 * gone is noticed on the read side. */
void
wproc_write(struct wproc *w)
{
	if (!w->gone)
		channel_flush(&w->ch);
}

void
wproc_free(struct coord *c, struct wproc *w)
{
	timers_cancel(&c->timers, &w->timer);
	channel_close(&w->ch);
	store_op_free(w->cur);
	for (size_t j = 0; j < w->ninflight; j++)
		qurl_free(w->inflight[j]);
	settle_forget_news(w);
	free(w->inflight);
	free(w->news);
	free(w);
}

static void site_forget_worker(struct site *s, struct wproc *w);

/* What the worker cost (wait4's rusage), added to its site's row in site_usage. */
static void
account(struct coord *c, struct wproc *w, const struct rusage *ru)
{
	struct store_op *op;

	if (w->charged)
		return; /* a warm worker that had no site since its READY */
	op = settle_new_op(OP_USAGE);
	op->site = xstrdup(w->site->name);
	op->cpu_ms = (int64_t)ru->ru_utime.tv_sec * 1000 + ru->ru_utime.tv_usec / 1000 +
		     (int64_t)ru->ru_stime.tv_sec * 1000 + ru->ru_stime.tv_usec / 1000 -
		     (int64_t)w->cpu_charged;
	if (op->cpu_ms < 0)
		op->cpu_ms = 0;
	op->peak_rss_kb = ru->ru_maxrss;
	settle_submit(c, op);
}

/*
 * READY from w (told NEXT): its site is torn down.  The site is charged the CPU the
 * worker used for it, and lets go of it; w waits for workers_start_waiting to give it
 * the next waiting site, or STOP.  -1: a READY it was not asked for.
 */
static int
on_ready(struct coord *c, struct wproc *w, const struct ipc_msg *m)
{
	struct site *s = w->site;
	struct store_op *op;

	if (m->hdr.site != s->id || m->hdr.pid != (uint32_t)w->pid || !w->next || w->ready ||
	    w->ninflight > 0 || w->cur != NULL)
		return -1;
	op = settle_new_op(OP_USAGE);
	op->site = xstrdup(s->name);
	op->cpu_ms = m->u.ready.cpu_ms > w->cpu_charged ? (int64_t)(m->u.ready.cpu_ms - w->cpu_charged) : 0;
	op->peak_rss_kb = (long)m->u.ready.maxrss_kb;
	settle_submit(c, op);
	w->cpu_charged = m->u.ready.cpu_ms > w->cpu_charged ? m->u.ready.cpu_ms : w->cpu_charged;
	w->next = false;
	w->charged = true;
	site_forget_worker(s, w);
	if (!w->stop_sent) {
		w->ready = true;
		w->stop_at = HUGE_VAL; /* idle by our choice: no deadline */
	}
	site_wait(c, s);
	return 0;
}

/* Take w off its site's list of workers. */
static void
site_forget_worker(struct site *s, struct wproc *w)
{
	for (int i = 0; i < s->nw; i++) {
		if (s->w[i] == w) {
			memmove(&s->w[i], &s->w[i + 1], (size_t)(s->nw - i - 1) * sizeof *s->w);
			s->w[--s->nw] = NULL;
			break;
		}
	}
}

static void
reap_one(struct coord *c, struct wproc *w, int status, const struct rusage *ru)
{
	char how[200];

	w->reaped = true;
	account(c, w, ru);
	if (w->killed_why[0])
		snprintf(how, sizeof how, "%s", w->killed_why);
	else
		proc_describe_status(status, how, sizeof how);
	if (w->killed_to_stop && WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL)
		return;
	if (!w->stopping || !WIFEXITED(status) || WEXITSTATUS(status) != 0) {
		log_warn("worker %d for %s %s", (int)w->pid, w->site->name, how);
		snprintf(w->site->last_death, sizeof w->site->last_death, "%s", how);
	}
}

/*
 * The channel of w closed or broke.  What it had in flight goes back to its site's
 * queue; if it was not asked to stop, each of those URLs is charged a crash, and a
 * URL charged MAX_CRASHES times fails.  A site whose workers keep dying without
 * finishing anything is given up.
 */
static void
wproc_lost(struct coord *c, struct wproc *w, const char *why)
{
	struct site *s = w->site;
	bool crashed = !w->stopping;
	struct rusage ru;
	int status;

	if (w->gone)
		return;
	w->gone = true;
	w->gone_at = clock_mono();
	workers_arm(c, w, w->gone_at + STOP_GRACE);
	channel_close(&w->ch);
	if (crashed && !w->reaped) {
		/* Make sure it is dead, and learn how it died. */
		kill(w->pid, SIGKILL);
		if (wait4(w->pid, &status, 0, &ru) == w->pid)
			reap_one(c, w, status, &ru);
	}
	if (crashed)
		log_warn("worker for %s lost (%s)%s", s->name, why,
			 w->ninflight ? "; requeueing what it had in flight" : "");
	store_op_free(w->cur);
	w->cur = NULL;
	w->curq = NULL;
	settle_forget_news(w);
	for (size_t i = 0; i < w->ninflight; i++) {
		struct qurl *q = w->inflight[i];
		char reason[300];
		if (crashed && ++q->crashes >= MAX_CRASHES) {
			snprintf(reason, sizeof reason,
				 "worker crashed %d times with this URL in flight (last: %s)",
				 q->crashes, s->last_death[0] ? s->last_death : why);
			settle_unfetched(c, s, q, FS_FAILED, reason);
			qurl_free(q);
			continue;
		}
		if (!crashed)
			settle_mark_queued(c, q); /* stopped by us: back to queued, as it was */
		site_requeue(c, s, q);
	}
	w->ninflight = 0;
	site_forget_worker(s, w);
	if (crashed && ++s->deaths >= MAX_SITE_DEATHS && site_has_work(c, s)) {
		char reason[300];
		snprintf(reason, sizeof reason,
			 "not fetched: the worker for this site died %d times in a row (last: %s)",
			 s->deaths, s->last_death[0] ? s->last_death : why);
		log_error("%s: giving up on the site: %s", s->name, reason);
		s->limited = true;
		for (struct qurl *q; (q = sq_drain(&s->sq)) != NULL; qurl_free(q))
			settle_unfetched(c, s, q, FS_FAILED, reason);
		if (s->sq.spilled > 0) {
			struct store_op *op = settle_new_op(OP_SETTLE_QUEUED);
			op->site = xstrdup(s->name);
			op->state = FS_FAILED;
			op->reason = xstrdup(reason);
			settle_submit(c, op);
			s->sq.spilled = 0;
		}
		return;
	}
	site_wait(c, s);
}

/* Read and act on what w sent; returns false if w is gone. */
bool
wproc_read(struct coord *c, struct wproc *w)
{
	static struct ipc_msg m;
	char err[256];
	int rc = channel_read(&w->ch);

	if (rc <= 0) {
		wproc_lost(c, w, rc == 0 ? "its channel closed"
				 : errno == EMSGSIZE ? "frame too large" : strerror(errno));
		return false;
	}
	w->heard_at = clock_mono();
	w->heard = true;
	while ((rc = channel_next(&w->ch, &m, err, sizeof err)) == 1) {
		if (m.hdr.type == IPC_PAGE && (m.u.page.status == 429 || m.u.page.status == 503))
			w->slowed_at = w->heard_at;
		if ((m.hdr.type == IPC_COVERAGE ? coverage_frame(c, w, &m)
		     : m.hdr.type == IPC_READY	 ? on_ready(c, w, &m)
						 : settle_frame(c, w, &m)) == -1) {
			snprintf(err, sizeof err, "unexpected %s frame", ipc_type_name(m.hdr.type));
			rc = -1;
			break;
		}
	}
	if (rc == -1) {
		log_error("protocol error from the worker for %s: %s; dropping it", w->site->name, err);
		w->stopping = false; /* it misbehaved: its URLs are charged */
		wproc_lost(c, w, err);
		return false;
	}
	channel_consume(&w->ch);
	return true;
}

/* Collect exited children (SIGCHLD), and note the ones stopped or continued. */
void
workers_reap(struct coord *c)
{
	struct rusage ru;
	int status;
	pid_t pid;

	while ((pid = wait4(-1, &status, WNOHANG | WUNTRACED | WCONTINUED, &ru)) > 0) {
		for (size_t i = 0; i < c->nworkers; i++) {
			struct wproc *w = c->workers[i];
			if (w->pid != pid || w->reaped)
				continue;
			if (WIFSTOPPED(status)) {
				w->stopped_at = w->stopped_at > 0 ? w->stopped_at : clock_mono();
				workers_arm(c, w, w->stopped_at + STOPPED_GRACE);
			} else if (WIFCONTINUED(status))
				w->stopped_at = 0;
			else
				reap_one(c, w, status, &ru);
		}
		proc_zygote_reaped(c->zygote, pid);
	}
}

/* Forget workers that are both closed and reaped. */
void
workers_sweep(struct coord *c)
{
	size_t j = 0;

	for (size_t i = 0; i < c->nworkers; i++) {
		struct wproc *w = c->workers[i];
		if (w->gone && w->reaped) {
			wproc_free(c, w);
			continue;
		}
		c->workers[j++] = w;
	}
	c->nworkers = j;
}

static bool
quarantined(const struct wproc *w)
{
	for (size_t i = 0; i < w->ninflight; i++) {
		if (w->inflight[i]->crashes > 0)
			return true;
	}
	return false;
}

/* FETCH q.  False when the frame cannot be queued: q stays the caller's, and the
 * worker (which is not reading its channel) is killed. */
static bool
send_fetch(struct coord *c, struct wproc *w, struct qurl *q)
{
	struct ipc_fetch m = { (uint64_t)q->id, (uint32_t)q->depth, (uint32_t)q->attempts,
			       q->url, q->etag ? q->etag : "", q->last_modified ? q->last_modified : "" };

	if (ipc_put_fetch(&w->ch.out, w->site->id, &m) == -1) {
		send_frame_failed(w);
		return false;
	}
	if (w->ninflight == 0) {
		w->heard_at = clock_mono(); /* idle until now: its silence starts here */
		workers_arm(c, w, w->heard_at + watchdog_limit(w, w->heard_at));
	}
	w->inflight[w->ninflight++] = q;
	c->marks = xgrow(c->marks, &c->cmarks, c->nmarks, sizeof *c->marks);
	c->marks[c->nmarks++] = (struct store_id_mark){ q->id, q->attempts };
	return true;
}

/*
 * Keep w's window full.  The next URL is looked at before it is taken, so one that
 * may not go now stays where it is (a due retry in the retry heap, a new URL at the
 * head of the ring): a URL that was in flight when a worker died goes alone (if it
 * kills this worker too, nothing else is blamed), and a new URL waits when a page
 * limit is reached (retries were counted already and still go).
 */
void
wproc_dispatch(struct coord *c, struct wproc *w, double now)
{
	struct site *s = w->site;
	struct qurl *q;

	if (w->ready)
		return;
	while (w->site_sent && !w->stopping && !w->gone && w->ninflight < (size_t)w->window &&
	       !quarantined(w)) {
		if (!(q = sq_peek(&s->sq, now))) {
			frontier_refill(c, s);
			break;
		}
		if (q->crashes > 0 && w->ninflight > 0)
			break;
		if (!q->counted && frontier_limits_reached(c, s))
			break;
		sq_next(&s->sq, now);
		if (!q->counted) {
			q->counted = true;
			s->taken++;
			c->taken++;
		}
		if (!send_fetch(c, w, q)) {
			if (q->not_before > 0) {
				sq_retry_later(&s->sq, q); /* it came from there */
				site_arm_retry(c, s);
			} else
				site_requeue(c, s, q);
			break;
		}
	}
	frontier_refill(c, s);
}

/* The online cores, asked once. */
static int
cores(void)
{
	static long n;

	if (n == 0 && (n = sysconf(_SC_NPROCESSORS_ONLN)) < 1)
		n = 1;
	return (int)n;
}

/*
 * May s run on several workers?  Only when nothing spaces its requests: its rules'
 * delay is 0 and its robots.txt is known (so that the one fetched by its first worker
 * is the one every other worker gets in SITE) and sets no Crawl-delay.  Politeness
 * then is the concurrency alone, which the site's workers split between them.
 */
static bool
site_widens(const struct coord *c, const struct site *s)
{
	const struct site_rules *r = s->rules;

	if (r->delay > 0 || r->concurrency < 2 || s->nw == 0 || s->nw >= MAX_SITE_WORKERS ||
	    clock_mono() < s->slow_until ||
	    s->dns != DNS_KNOWN || (s->dns_error != NULL && s->dns_error[0]) ||
	    s->w[0]->stopping || !s->w[0]->site_sent || !site_has_work(c, s))
		return false;
	return !r->robots || (robots_fresh(s) && s->crawl_delay == 0 && !s->robots_loading);
}

/*
 * Fewer sites at work than cores, and free slots: give each site that may widen
 * (site_widens) up to its part of the cores, never more workers than its
 * concurrency.  The concurrency is split: a first worker that was told the whole of
 * it keeps a window of its share alone (its FETCHes bound its transfers), the others
 * are told their share.  So the site never has more than `concurrency` requests out.
 */
static void
widen(struct coord *c, size_t live)
{
	size_t n0 = c->nworkers, nactive = 0;
	int per;

	for (size_t i = 0; i < n0; i++) {
		struct wproc *w = c->workers[i];
		nactive += !w->gone && w->site->nw > 0 && w->site->w[0] == w;
	}
	if (nactive == 0 || nactive >= (size_t)cores())
		return;
	per = (int)(((size_t)cores() + nactive - 1) / nactive);
	for (size_t i = 0; i < n0 && (live < (size_t)c->o->workers || ready_worker(c) != NULL); i++) {
		struct wproc *w = c->workers[i];
		struct site *s = w->site;
		int conc = s->rules->concurrency, k, used = 0;
		if (w->gone || s->w[0] != w || !site_widens(c, s))
			continue;
		k = per < conc ? per : conc;
		if (k > MAX_SITE_WORKERS)
			k = MAX_SITE_WORKERS;
		if (s->nw >= k)
			continue;
		if (s->nw == 1 && w->told == 0) {
			/* It may run `concurrency` transfers: its window alone bounds it now. */
			w->share = conc / k + (conc % k > 0);
			w->window = w->share;
		}
		for (int j = 0; j < s->nw; j++) {
			if (s->w[j]->ninflight > (size_t)s->w[j]->share)
				used = conc; /* not before its transfers are down to its share */
			else
				used += s->w[j]->share;
		}
		while (s->nw < k && used < conc) {
			int share = conc / k;
			struct wproc *r = site_pools(c, s) ? ready_worker(c) : NULL;
			if (share > conc - used || share < 1)
				share = conc - used;
			if (r != NULL) {
				assign(c, r, s, share, share); /* a warm worker */
			} else {
				if (live >= (size_t)c->o->workers || spawn(c, s, share, share) == NULL)
					break;
				live++;
			}
			used += share;
		}
	}
}

/*
 * Is s's host looked up (crawl/resolve.c), so that a worker may start for it?  If
 * not, the lookup is asked for (when the resolver has room).  Nothing to look up: an
 * IP address, or a site reached through a proxy (the proxy looks its name up).  An
 * answer serves the site's new workers for RESOLVE_TTL seconds.
 */
static bool
site_resolved(struct coord *c, struct site *s)
{
	if (s->dns == DNS_KNOWN && clock_mono() - s->dns_at < RESOLVE_TTL)
		return true;
	if (s->dns == DNS_ASKED)
		return false;
	if (c->resolver == NULL || c->proxied || s->rules->proxy != NULL ||
	    !resolve_needed(s->name)) {
		free(s->dns_entries);
		free(s->dns_error);
		s->dns_entries = xstrdup("");
		s->dns_error = xstrdup("");
		s->dns = DNS_KNOWN;
		s->dns_at = INFINITY;
		return true;
	}
	if (resolver_ask(c->resolver, s->id, s->name) == 0)
		s->dns = DNS_ASKED;
	return false;
}

/* Ask for the lookups of the sites next in the wait list, a few more than the free
 * slots, so that their answers are there when a slot frees. */
static void
lookup_ahead(struct coord *c, size_t live)
{
	size_t ahead = (size_t)c->o->workers - (live < (size_t)c->o->workers ? live : 0) + 16;

	for (struct site *s = c->wait_head; s != NULL && ahead > 0; s = s->next_wait, ahead--) {
		if (s->nw == 0 && s->dns != DNS_ASKED)
			(void)site_resolved(c, s);
	}
}

/* Take the resolver's answers (the wake-up pipe said some came). */
void
workers_take_lookups(struct coord *c)
{
	struct resolve_answer *a;

	while (c->resolver != NULL && (a = resolver_take(c->resolver)) != NULL) {
		struct site *s = a->site_id >= 1 && a->site_id <= c->nsites ? c->sites[a->site_id - 1]
									    : NULL;
		if (s != NULL) {
			free(s->dns_entries);
			free(s->dns_error);
			s->dns_entries = a->entries;
			s->dns_error = a->error;
			a->entries = a->error = NULL;
			s->dns_retryable = a->retryable;
			s->dns = DNS_KNOWN;
			s->dns_at = clock_mono();
			if (s->dns_error[0])
				log_debug("%s: %s", s->name, s->dns_error);
			else
				log_debug("looked up %s: %s", s->name, s->dns_entries);
		}
		resolve_answer_free(a);
	}
}

/* Start workers for waiting sites while slots are free; then widen (above). */
void
workers_start_waiting(struct coord *c)
{
	size_t live = 0;

	for (size_t i = 0; i < c->nworkers; i++)
		live += !c->workers[i]->reaped;
	lookup_ahead(c, live);
	while (c->wait_head != NULL) {
		struct site *s = c->wait_head;
		struct wproc *w = NULL;
		if (s->nw == 0 && site_has_work(c, s)) {
			if (!site_resolved(c, s))
				break; /* its lookup first: the next ones are looked up meanwhile */
			if (site_pools(c, s))
				w = ready_worker(c);
			if (w == NULL && live >= (size_t)c->o->workers) {
				/* A warm worker that cannot take s makes room for one that can. */
				if ((w = ready_worker(c)) != NULL)
					wproc_stop(c, w);
				break;
			}
		}
		if ((c->wait_head = s->next_wait) == NULL)
			c->wait_tail = NULL;
		s->waiting = false;
		if (s->nw > 0 || !site_has_work(c, s))
			continue;
		if (w != NULL) {
			assign(c, w, s, s->rules->concurrency, 0);
		} else if (spawn(c, s, s->rules->concurrency, 0) == NULL) {
			s->deaths++;
			if (s->deaths < MAX_SITE_DEATHS)
				site_wait(c, s);
			break;
		}
		if (s->dns_error != NULL && s->dns_error[0])
			s->dns = DNS_NONE; /* a failed lookup serves one worker: the next asks again */
		live += w == NULL;
	}
	if (c->wait_head == NULL && (live < (size_t)c->o->workers || ready_worker(c) != NULL) &&
	    !c->stop_signal)
		widen(c, live);
	/* Warm workers with no site to take: they exit. */
	for (struct wproc *w; c->wait_head == NULL && (w = ready_worker(c)) != NULL;)
		wproc_stop(c, w);
}

/* w is done with its site: back to the pool (NEXT) where the site may pool, else STOP. */
static void
retire(struct coord *c, struct wproc *w)
{
	if (site_pools(c, w->site) && !c->stop_signal && !frontier_global_limit(c))
		wproc_next(c, w);
	else
		wproc_stop(c, w);
}

/* A running site with nothing queued, in flight or waiting to retry stops its
 * workers, all at once (so does every site once the crawl is stopping or a page limit
 * is reached): one of several that ran dry may be given the links another brings. */
void
workers_stop_idle(struct coord *c, struct site *s)
{
	if (s->nw == 0 || site_has_work(c, s))
		return;
	/* A worker still waiting for its SITE (a name lookup, robots.txt from the
	 * database) gets it first: NEXT before SITE would leave it nothing to finish. */
	for (int i = 0; i < s->nw; i++) {
		if (s->w[i]->ninflight > 0 || s->w[i]->cur != NULL || !s->w[i]->site_sent)
			return;
	}
	for (int i = 0; i < s->nw; i++)
		retire(c, s->w[i]);
}

/*
 * w's site answered 429 or 503.  w slows itself down (worker.c); a site spread over
 * several workers (widen) would go on at full speed on the others, so they finish
 * what they have started and leave the site to w, and it does not widen again while
 * it is slowed.
 */
void
workers_slowed(struct coord *c, struct wproc *w, int status)
{
	struct site *s = w->site;
	int others = 0;

	s->slow_until = clock_mono() + IPC_SLOW_DOWN_S;
	for (int i = 0; i < s->nw; i++) {
		if (s->w[i] != w && !s->w[i]->stopping) {
			retire(c, s->w[i]);
			others++;
		}
	}
	if (others > 0)
		log_debug("%s: HTTP %d: the site goes back to one worker for %g s (%d told to "
			  "finish)", s->name, status, IPC_SLOW_DOWN_S, others);
}

/* s's robots.txt is known (a worker sent it, or it was read from the database): the
 * Crawl-delay that decides whether the site may widen. */
void
workers_robots_known(struct site *s, int status, const char *body)
{
	struct robots *r;
	double cd;

	if (body == NULL)
		return;
	if ((r = robots_from_status(status, body, strlen(body), s->rules->user_agent)) == NULL)
		oom_exit();
	cd = robots_crawl_delay(r);
	s->crawl_delay = cd > 0 ? cd : 0;
	robots_free(r);
}

/*
 * How long a worker with URLs in flight may send nothing.  A healthy worker finishes
 * a URL at least every delay + timeout (a transfer takes at most timeout; starts are
 * delay apart), plus the page's CPU budget; twice the timeout covers a slow redirect
 * hop.  Its own slow-downs stretch that: a Crawl-delay (at most 30 s) under robots:
 * obey, a minute after it reported a 429 or 503, and before its first frame, the
 * attempts at robots.txt with their backoff.
 */
static double
watchdog_limit(const struct wproc *w, double t)
{
	const struct site_rules *r = w->site->rules;
	double d = 2 * r->timeout + r->max_page_cpu + 2 * r->delay + WATCHDOG_SLACK;

	if (r->robots)
		d += 30;
	if (w->slowed_at > 0 && t - w->slowed_at < 60)
		d += 60;
	if (!w->heard && r->robots)
		d += (r->retries + 1) * (r->timeout + 1) + pow(2, r->retries);
	return d;
}

/* Is pid stopped now (state T or t in /proc/PID/stat)? */
static bool
still_stopped(pid_t pid)
{
	char path[64], line[512], *p;
	FILE *f;
	bool stopped = false;

	snprintf(path, sizeof path, "/proc/%d/stat", (int)pid);
	if ((f = fopen(path, "re")) == NULL)
		return true; /* no /proc: trust waitpid */
	if (fgets(line, sizeof line, f) != NULL && (p = strrchr(line, ')')) != NULL)
		stopped = p[1] == ' ' && (p[2] == 'T' || p[2] == 't');
	fclose(f);
	return stopped;
}

static void
watchdog_kill(struct wproc *w, const char *why)
{
	log_warn("worker %d for %s %s; killing it", (int)w->pid, w->site->name, why);
	snprintf(w->killed_why, sizeof w->killed_why, "killed by the watchdog: %.120s", why);
	kill(w->pid, SIGKILL);
}

/*
 * The watchdog and the grace periods, for one worker whose timer fired.  A worker
 * stopped for STOPPED_GRACE, or silent past its limit with URLs in flight, is killed;
 * its channel then closes and wproc_lost charges its URLs as a crash.  One told to
 * stop that has not exited in STOP_GRACE is killed (its URLs stay queued); so is one
 * that closed its channel but does not exit.  While the store is backlogged the
 * coordinator does not read workers, so their silence is ours: the clock starts again
 * at the last backlogged turn (c->backlog_at).  The timer is armed again for the next
 * moment one of these could come true (a fired timer that was early does nothing).
 */
static void
worker_due(struct coord *c, struct wproc *w, double t)
{
	double next = INFINITY, heard, limit;
	char why[120];

	if (w->reaped)
		return;
	if (w->gone) {
		if (w->gone_at > 0 && t - w->gone_at > STOP_GRACE) {
			/* It closed its channel but does not exit: the crawl would wait for
			 * it forever. */
			log_warn("worker %d for %s closed its channel but did not exit in %g s; "
				 "killing it", (int)w->pid, w->site->name, STOP_GRACE);
			kill(w->pid, SIGKILL);
			w->gone_at = t;
		}
		if (w->gone_at > 0)
			next = w->gone_at + STOP_GRACE;
	} else if (!w->killed_why[0]) {
		if (w->ninflight == 0 || c->backlog_at > w->heard_at)
			w->heard_at = w->ninflight == 0 ? t : c->backlog_at;
		heard = w->heard_at;
		if (w->stopped_at > 0) {
			if (t - w->stopped_at > STOPPED_GRACE && still_stopped(w->pid)) {
				snprintf(why, sizeof why, "stopped (SIGSTOP) for more than %g s",
					 STOPPED_GRACE);
				watchdog_kill(w, why);
			} else {
				next = fmax(w->stopped_at + STOPPED_GRACE, t + 1.0);
			}
		} else if (!w->stopping && w->ninflight > 0) {
			limit = watchdog_limit(w, t);
			if (t - heard > limit) {
				snprintf(why, sizeof why, "sent nothing for %.0f s with %zu URL%s in flight",
					 t - heard, w->ninflight, w->ninflight == 1 ? "" : "s");
				watchdog_kill(w, why);
			} else {
				next = heard + limit;
				/* The allowance for a 429 or 503 ends a minute after it. */
				if (w->slowed_at > 0 && w->slowed_at + 60 > t)
					next = fmin(next, w->slowed_at + 60);
			}
		}
		if (w->stopping) {
			if (t > w->stop_at + STOP_GRACE) {
				log_warn("worker for %s did not stop in %g s; killing it", w->site->name,
					 STOP_GRACE);
				kill(w->pid, SIGKILL);
				w->stop_at = t; /* once per grace period */
			}
			next = fmin(next, w->stop_at + STOP_GRACE);
		}
	}
	if (next < INFINITY)
		workers_arm(c, w, fmax(next, t) + 0.001); /* the checks are "more than" */
}

/* Every timer that is due: workers' watchdogs and grace periods, and sites' retries
 * (a site's timer only wakes the loop, whose dispatch takes the retry; it is armed
 * again for the next one). */
void
workers_due(struct coord *c, double t)
{
	struct timer *tm;

	while ((tm = timers_pop_due(&c->timers, t)) != NULL) {
		if (tm->kind == TIMER_WORKER) {
			worker_due(c, (struct wproc *)((char *)tm - offsetof(struct wproc, timer)), t);
		} else {
			struct site *s = (struct site *)((char *)tm - offsetof(struct site, retry_timer));
			if (s->sq.nretry > 0 && s->sq.retry[0]->not_before > t)
				site_arm_retry(c, s);
		}
	}
}
