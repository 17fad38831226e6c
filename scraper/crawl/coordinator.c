/*
 * coordinator.c: the crawl's event loop.
 *
 * One process, one thread (plus the store's writer thread).  start_up loads the rules,
 * takes the database's crawl lock, opens and migrates the store, reads back the
 * frontier of an unfinished crawl and the seeds.  Then each turn of the loop:
 *
 *   1. polls every worker channel, the store's wake-up pipe and the signal pipe;
 *   2. reads workers' frames (unless ops wait for room in the store's queue:
 *      back-pressure) and settles each URL's PAGE, ITEM..., LINKS..., DONE into one
 *      store op (settle.c);
 *   3. reaps dead workers, requeueing what they had in flight (workers.c);
 *   4. starts workers for waiting sites while there are free slots;
 *   5. tops up each worker's window of FETCHes (credit), refilling site queues from
 *      the database when they run low (frontier.c);
 *   6. stops workers whose site has nothing left;
 *   7. hands queued store ops to the writer, and reports progress (status line,
 *      --progress-fd).
 *
 * Nothing here blocks: worker descriptors are non-blocking with per-worker output
 * buffers, the store queue is tried, never waited on, and the writer's failure is a
 * flag read without its lock.  Memory is bounded by what is in flight, the per-site
 * queues (a few windows each; the rest of the frontier stays in SQLite) and the URL
 * hash set.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <time.h>
#include <unistd.h>

#include "base/clock.h"
#include "base/exitcode.h"
#include "base/log.h"
#include "base/oom.h"
#include "crawl/coord.h"
#include "crawl/views.h"
#include "crawl/progress.h"
#include "extract.h"
#include "store/lock.h"

#define STATUS_EVERY 0.25	/* seconds between status line redraws */
#define SIGNAL_REPEAT 1.0	/* a repeat within this many seconds is the same request */

/* ---- signals ---- */

static int signal_fd = -1;

static void
on_signal(int sig)
{
	int saved = errno;
	char c = (char)sig;

	if (write(signal_fd, &c, 1) < 0) {
		/* The pipe is full of earlier signals: nothing is lost. */
	}
	errno = saved;
}

static int
nonblocking_pipe(int fds[2])
{
	if (pipe(fds) == -1)
		return -1;
	for (int i = 0; i < 2; i++) {
		if (fcntl(fds[i], F_SETFL, O_NONBLOCK) == -1 ||
		    fcntl(fds[i], F_SETFD, FD_CLOEXEC) == -1)
			return -1;
	}
	return 0;
}

static void
install_signals(struct coord *c)
{
	struct sigaction sa;

	signal_fd = c->sig[1];
	memset(&sa, 0, sizeof sa);
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	sa.sa_flags = SA_RESTART;
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGCHLD, &sa, NULL);
	if (c->tty)
		sigaction(SIGWINCH, &sa, NULL); /* the status line's width */
	signal(SIGPIPE, SIG_IGN);
}

static void
begin_stop(struct coord *c, int sig)
{
	c->stop_signal = sig;
	c->stop_at = clock_mono();
	log_warn("%s: stopping (finishing what is in flight); a second signal stops at once",
		 sig == SIGINT ? "interrupted" : "terminated");
	for (size_t i = 0; i < c->nworkers; i++)
		wproc_stop(c, c->workers[i]);
}

static void
drain_signals(struct coord *c)
{
	char buf[64];
	ssize_t n;

	while ((n = read(c->sig[0], buf, sizeof buf)) > 0) {
		for (ssize_t i = 0; i < n; i++) {
			if (buf[i] == SIGCHLD)
				continue; /* reaped every turn */
			if (buf[i] == SIGWINCH) {
				c->cols = 0;		/* measure again */
				c->last_status = 0;	/* and redraw at once */
				continue;
			}
			if (c->stop_signal && clock_mono() - c->stop_at < SIGNAL_REPEAT)
				continue; /* the same request, delivered to the process group too
					   * (timeout(1), some shells' Ctrl-C) or repeated at once */
			if (c->stop_signal) {
				/* Second signal: committed data is safe; resume picks up. */
				log_warn("stopping at once");
				_exit(buf[i] == SIGINT ? EXIT_SIGINT : EXIT_SIGTERM);
			}
			begin_stop(c, buf[i]);
		}
	}
}

/* ---- the status line and the summary ---- */


static struct coord *status_owner;

static void
clear_status(void)
{
	if (status_owner != NULL && status_owner->tty)
		fputs("\r\033[K", stderr);
}

static const char *
plural(long n, const char *one, const char *many)
{
	return n == 1 ? one : many;
}

/* The terminal's width: TIOCGWINSZ on stderr, else $COLUMNS, else 80. */
static int
term_cols(void)
{
	struct winsize ws;
	const char *env = getenv("COLUMNS");
	long n;

	if (ioctl(STDERR_FILENO, TIOCGWINSZ, &ws) == 0 && ws.ws_col > 0)
		return ws.ws_col;
	if (env != NULL && (n = strtol(env, NULL, 10)) > 0 && n < 10000)
		return (int)n;
	return 80;
}

static void
put_elapsed(char *out, size_t len, double s)
{
	long t = (long)s;

	if (t >= 3600)
		snprintf(out, len, "%ld:%02ld:%02ld", t / 3600, t / 60 % 60, t % 60);
	else
		snprintf(out, len, "%ld:%02ld", t / 60, t % 60);
}

static void
put_bytes(char *out, size_t len, double b)
{
	static const char *units[] = { "B", "kB", "MB", "GB", "TB" };
	size_t u = 0;

	while (b >= 1000 && u + 1 < sizeof units / sizeof units[0]) {
		b /= 1000;
		u++;
	}
	snprintf(out, len, u == 0 ? "%.0f %s" : "%.1f %s", b, units[u]);
}

/*
 * The crawl's state in a few words, most important first: elapsed time, pages done
 * (with what earlier runs of a resumed crawl did), queued, the rate over the last ten
 * seconds beside the average, items, errors, bytes, active sites.  Fields that do not
 * fit in width columns are left off from the end (the first is cut if need be).
 */
static void
status_text(struct coord *c, double t, size_t width, char *out, size_t outlen)
{
	char f[8][64];
	double el = t - c->started;
	size_t active = 0, n = 0, len = 0;

	for (size_t i = 0; i < c->nworkers; i++)
		active += !c->workers[i]->gone &&
			  c->workers[i]->site->w[0] == c->workers[i]; /* sites, not workers */
	put_elapsed(f[n++], sizeof f[0], el);
	snprintf(f[n++], sizeof f[0], "%ld done", c->resumed_settled + c->settled);
	snprintf(f[n++], sizeof f[0], "%zu queued", frontier_queued(c));
	snprintf(f[n++], sizeof f[0], "%.1f pages/s (avg %.1f)", progress_recent_rate(c, t),
		 el > 0 ? c->settled / el : 0.0);
	snprintf(f[n++], sizeof f[0], "%ld %s", c->resumed_items + c->items,
		 plural(c->resumed_items + c->items, "item", "items"));
	snprintf(f[n++], sizeof f[0], "%ld %s", c->resumed_failed + c->failed + c->problems,
		 plural(c->resumed_failed + c->failed + c->problems, "error", "errors"));
	put_bytes(f[n++], sizeof f[0], (double)c->bytes);
	snprintf(f[n++], sizeof f[0], "%zu %s active", active, active == 1 ? "site" : "sites");
	if (width >= outlen)
		width = outlen - 1;
	out[0] = '\0';
	for (size_t i = 0; i < n; i++) {
		size_t need = strlen(f[i]) + (i > 0 ? 2 : 0);
		if (len + need > width) {
			if (i == 0)
				snprintf(out, width + 1, "%s", f[0]);
			break;
		}
		len += (size_t)snprintf(out + len, outlen - len, "%s%s", i > 0 ? ", " : "", f[i]);
	}
}

/* On a terminal: the status line, redrawn at most every STATUS_EVERY seconds (and at
 * once after a resize), never wider than the terminal: one column is kept free so the
 * cursor never wraps.  Elsewhere: one progress line every --progress-every seconds. */
static void
draw_status(struct coord *c, double t)
{
	char line[512];

	/* Sampled every turn (at most once a second), so the recent rate is over the
	 * last ten seconds however seldom a line is written. */
	progress_recent_rate(c, t);
	if (!c->tty) {
		if (c->o->quiet || c->o->progress_every <= 0 ||
		    t - c->last_status < c->o->progress_every)
			return;
		if (c->last_status == 0) {
			c->last_status = t; /* the first line after one interval */
			return;
		}
		c->last_status = t;
		status_text(c, t, sizeof line - 1, line, sizeof line);
		log_info("progress: %s", line);
		return;
	}
	if (t - c->last_status < STATUS_EVERY)
		return;
	c->last_status = t;
	if (c->cols <= 0)
		c->cols = term_cols();
	status_text(c, t, c->cols > 1 ? (size_t)c->cols - 1 : 1, line, sizeof line);
	fprintf(stderr, "\r\033[K%s", line);
	fflush(stderr);
}

/* The crawl's closing lines, in the words stats and the README use: ok, failed,
 * skipped (robots.txt, limit). */
static void
summary(struct coord *c)
{
	double el = clock_mono() - c->started;
	long fetched = c->ok + c->failed;
	size_t queued;

	clear_status();
	if (c->o->quiet)
		return;
	fprintf(stderr,
		"scraper: %s: %ld %s in %.1f s: %ld ok, %ld failed, %ld skipped (%ld robots.txt, "
		"%ld limit); %ld %s; %ld extraction %s; %ld %s (%.1f pages/s fetched)\n",
		c->stop_signal || c->store_failed ? "crawl stopped" : "crawl finished", c->settled,
		plural(c->settled, "page", "pages"), el, c->ok, c->failed, c->skipped,
		c->skipped_robots, c->skipped_limit, c->items, plural(c->items, "item", "items"),
		c->problems, plural(c->problems, "problem", "problems"), c->retries,
		plural(c->retries, "retry", "retries"), el > 0 ? fetched / el : 0.0);
	if (c->stop_signal) {
		queued = frontier_queued(c);
		fprintf(stderr, "scraper: %zu %s still queued; run the same command again to resume\n",
			queued, queued == 1 ? "URL" : "URLs");
	} else if (!c->store_failed) {
		/* Warnings about a partial crawl would be guesses. */
		coverage_report(c);
	}
	if (c->o->verbose == 0)
		return;
	for (size_t i = 0; i < c->nsites; i++) {
		struct site *s = c->sites[i];
		long n = s->ok + s->failed + s->skipped;
		if (n == 0)
			continue;
		fprintf(stderr, "  %-30s %6ld %s: %ld ok, %ld failed, %ld skipped; %ld %s; "
			"mean fetch %.0f ms\n", s->name, n, plural(n, "page", "pages"), s->ok,
			s->failed, s->skipped, s->items, plural(s->items, "item", "items"),
			s->ok + s->failed > 0 ? s->fetch_ms / (double)(s->ok + s->failed) : 0.0);
	}
}

/* ---- start-up ---- */



/* A shared (PostgreSQL) database: this node's name, lease and rules, refused when
 * other live nodes crawl it with other rules (lease.c has the rest). */
static int
join_cluster(struct coord *c, char *err, size_t errlen)
{
	char host[256], fp[65];
	const char *node = c->o->node;

	if (!(c->shared = store_shared(c->store)))
		return 0;
	if (node == NULL) {
		if (gethostname(host, sizeof host) == -1)
			snprintf(host, sizeof host, "node-%ld", (long)getpid());
		host[sizeof host - 1] = '\0';
		node = host;
	}
	lease_settings_fingerprint(c, fp);
	if (store_set_node(c->store, node, c->o->lease_s > 0 ? c->o->lease_s : 30, fp, err,
			   errlen) == -1)
		return -1;
	log_info("node %s: crawling %s with leases of %d s", node, c->o->db_path,
		 c->o->lease_s > 0 ? c->o->lease_s : 30);
	return 0;
}

/* One view per item type (crawl/views.c). */
static int
create_views(struct coord *c, char *err, size_t errlen)
{
	return views_create(c->store, c->rules, err, errlen);
}



/* ---- the loop ---- */

static void
take_replies(struct coord *c)
{
	struct store_op *op;
	char buf[256];

	while (read(c->wake[0], buf, sizeof buf) > 0)
		;
	while ((op = queue_pop(c->replies, 0)) != NULL)
		frontier_on_reply(c, op);
	workers_take_lookups(c);
	if (!c->store_failed && store_failed(c->store, buf, sizeof buf)) {
		c->store_failed = true;
		log_error("%s", buf);
		log_error("stopping the crawl; everything committed so far is safe");
		for (size_t i = 0; i < c->nworkers; i++) {
			kill(c->workers[i]->pid, SIGKILL);
			c->workers[i]->stopping = true;
			c->workers[i]->killed_to_stop = true;
			/* Its grace starts now: "did not stop in 5 s" only once 5 s have
			 * passed (its stop_at may be 0, or that of an older STOP). */
			c->workers[i]->stop_at = clock_mono();
			workers_arm(c, c->workers[i], c->workers[i]->stop_at + STOP_GRACE);
		}
	}
}

/* Earliest moment something is due (the status line, the first timer: a retry, a
 * watchdog or grace period), as a poll timeout. */
static int
next_timeout(struct coord *c, double t)
{
	double tick = c->tty ? STATUS_EVERY : 1.0, until;
	struct timer *first = timers_first(&c->timers);

	if (!c->tty && c->o->progress_every > 0 && c->o->progress_every < tick)
		tick = c->o->progress_every;
	until = t + tick;
	if (first != NULL && first->at < until)
		until = first->at;
	return until <= t ? 0 : (int)((until - t) * 1000) + 1;
}


/* Done: every worker gone and, unless the crawl is being stopped (a signal, a failed
 * database), no site waiting and no refill outstanding. */
static bool
finished(const struct coord *c)
{
	if (c->stop_signal || c->store_failed)
		return c->nworkers == 0;
	return c->nworkers == 0 && c->wait_head == NULL && c->refills == 0 && lease_done(c);
}

static void
poll_once(struct coord *c, struct pollfd *fds, size_t nfds_max)
{
	bool congested = settle_backlogged(c);
	size_t n = 0;
	int rc;

	fds[n++] = (struct pollfd){ .fd = c->sig[0], .events = POLLIN };
	fds[n++] = (struct pollfd){ .fd = c->wake[0], .events = POLLIN };
	for (size_t i = 0; i < c->nworkers && n < nfds_max; i++) {
		struct wproc *w = c->workers[i];
		short ev = 0;
		if (!w->gone && !congested)
			ev |= POLLIN;
		if (!w->gone && channel_pending(&w->ch))
			ev |= POLLOUT;
		fds[n++] = (struct pollfd){ .fd = w->gone ? -1 : w->ch.fd, .events = ev };
	}
	rc = poll(fds, n, next_timeout(c, clock_mono()));
	if (rc < 0 && errno != EINTR) {
		log_error("poll: %s", strerror(errno));
		exit(EXIT_FAILED);
	}
	if (rc <= 0)
		return;
	if (fds[0].revents)
		drain_signals(c);
	if (fds[1].revents)
		take_replies(c);
	for (size_t i = 0; i + 2 < n; i++) {
		struct wproc *w = c->workers[i];
		short re = fds[i + 2].revents;
		if (w->gone || re == 0)
			continue;
		if ((re & POLLOUT))
			wproc_write(w);
		if ((re & (POLLIN | POLLHUP | POLLERR)))
			wproc_read(c, w);
	}
}

/* One turn's work after the poll (see the top of this file). */
static void
tend(struct coord *c)
{
	double t = clock_mono();

	workers_reap(c);
	if (settle_backlogged(c))
		c->backlog_at = t;
	workers_due(c, t);
	if (!c->stop_signal && !c->store_failed) {
		workers_start_waiting(c);
		for (size_t i = 0; i < c->nworkers; i++) {
			if (!c->workers[i]->gone)
				wproc_dispatch(c, c->workers[i], t);
		}
		for (size_t i = 0; i < c->nworkers; i++)
			workers_stop_idle(c, c->workers[i]->site);
	}
	lease_tick(c, t);
	settle_flush_marks(c);
	settle_flush(c);
	for (size_t i = 0; i < c->nworkers; i++)
		wproc_write(c->workers[i]);
	workers_sweep(c);
	draw_status(c, t);
	progress_tick(c, t);
}

static void
run_loop(struct coord *c)
{
	struct pollfd *fds = NULL;
	size_t cfds = 0;

	for (tend(c); !finished(c); tend(c)) {
		if (cfds < c->nworkers + 2) {
			cfds = (c->nworkers + 2) * 2;
			free(fds);
			fds = xcalloc(cfds, sizeof *fds);
		}
		poll_once(c, fds, cfds);
	}
	free(fds);
}

/* Wait until every op has gone to the store, then stop the writer. */
static int
drain_store(struct coord *c)
{
	struct pollfd p = { .fd = c->wake[0], .events = POLLIN };

	settle_flush_marks(c);
	for (settle_flush(c); settle_backlogged(c) && !c->store_failed; settle_flush(c)) {
		poll(&p, 1, 100);
		take_replies(c);
	}
	return store_writer_stop(c->store);
}

/* ---- crawl_run ---- */

static void
free_site(struct site *s)
{
	sq_free(&s->sq);
	free(s->name);
	free(s->dns_entries);
	free(s->dns_error);
	free(s);
}

static void
free_coord(struct coord *c)
{
	timers_free(&c->timers);
	proc_zygote_stop(c->zygote);
	for (size_t i = 0; i < c->nworkers; i++)
		wproc_free(c, c->workers[i]);
	free(c->workers);
	for (size_t i = 0; i < c->nsites; i++)
		free_site(c->sites[i]);
	free(c->sites);
	free(c->index);
	free(c->marks);
	for (size_t i = 0; i < c->outq.len; i++)
		store_op_free(c->outq.v[(c->outq.head + i) % c->outq.cap]);
	free(c->outq.v);
	urlset_free(&c->seen);
	coverage_free(c);
	resolver_stop(c->resolver);
	if (c->store != NULL)
		store_close(c->store);
	queue_free(c->sq, store_op_free);
	queue_free(c->replies, store_op_free);
	rule_set_free(c->rules);
	frontier_close_seeds(c);
	db_lock_release(c->lock_fd);
	for (int i = 0; i < 2; i++) {
		if (c->wake[i] >= 0)
			close(c->wake[i]);
		if (c->sig[i] >= 0)
			close(c->sig[i]);
	}
}

/* Every CA bundle the crawl names can be read (relative ca_file: to its rule file). */
static int
check_ca_files(struct coord *c, char *err, size_t errlen)
{
	char path[4096];

	if (c->o->ca_file != NULL && access(c->o->ca_file, R_OK) == -1) {
		snprintf(err, errlen, "--ca-file %s: %s", c->o->ca_file, strerror(errno));
		return -1;
	}
	for (size_t i = 0; i <= c->rules->nfiles; i++) {
		const struct site_rules *r = i < c->rules->nfiles ? c->rules->files[i] : c->rules->fallback;
		const char *slash;
		if (r == NULL || r->ca_file == NULL)
			continue;
		slash = r->path != NULL ? strrchr(r->path, '/') : NULL;
		if (r->ca_file[0] != '/' && slash != NULL)
			snprintf(path, sizeof path, "%.*s/%s", (int)(slash - r->path), r->path, r->ca_file);
		else
			snprintf(path, sizeof path, "%s", r->ca_file);
		if (access(path, R_OK) == -1) {
			snprintf(err, errlen, "%.400s: ca_file %.400s: %s", r->path ? r->path : "rules",
				 path, strerror(errno));
			return -1;
		}
	}
	return 0;
}

/* Rules, database, resume state, seeds.  Returns an exit code, or -1 to go on. */
/* The proxy variables curl reads (the workers' too: worker.c). */
static const char *const proxy_vars[] = { "http_proxy", "https_proxy", "HTTPS_PROXY",
					  "all_proxy", "ALL_PROXY", NULL };

static int
start_up(struct coord *c)
{
	struct diags d = { 0 };
	char err[1024];
	long added = 0, bad = 0, queued = 0;

	c->rules = rules_load_dir(c->o->config_dir, !c->o->config_given, &d);
	if (c->rules == NULL) {
		diags_print(&d, stderr);
		log_error("the rule files have errors; not crawling (see 'scraper check')");
		diags_free(&d);
		return EXIT_USAGE;
	}
	diags_free(&d);
	/* The workers' user, looked up here (a worker cannot: its sandbox), and the CA
	 * bundles they will read, checked now rather than by every worker. */
	if (proc_worker_user(c->o->user, &c->wopts, err, sizeof err) == -1 ||
	    check_ca_files(c, err, sizeof err) == -1) {
		log_error("%s", err);
		return EXIT_USAGE;
	}
	c->wopts.ca_file = c->o->ca_file;
	/* Every URL file can be read, or nothing happens (--fresh would forget the
	 * frontier before a missing file stopped the crawl). */
	if (frontier_open_seeds(c) == -1)
		return EXIT_USAGE;
	/* One crawl per database: a second one would fetch everything twice. */
	if ((c->lock_fd = db_lock_take(c->o->db_path, err, sizeof err)) == -1) {
		log_error("%s", err);
		return EXIT_FAILED;
	}
	if ((c->store = store_open(c->o->db_path, c->o->max_db_mb, err, sizeof err)) == NULL ||
	    join_cluster(c, err, sizeof err) == -1 ||
	    store_begin_crawl(c->store, c->o->fresh, c->o->recrawl, err, sizeof err) == -1 ||
	    create_views(c, err, sizeof err) == -1 ||
	    store_scan_frontier(c->store, frontier_scan_row, c, err, sizeof err) == -1 ||
	    store_scan_robots(c->store, frontier_scan_robots, c, err, sizeof err) == -1) {
		log_error("%s", err);
		return EXIT_FAILED;
	}
	for (size_t i = 0; i < c->nsites; i++) {
		queued += (long)c->sites[i]->sq.spilled;
		site_wait(c, c->sites[i]);
	}
	if (c->next_id == 0)
		c->next_id = 1;
	if (queued > 0)
		log_info("resuming the crawl in %s: %ld URLs still queued, %ld already fetched",
			 c->o->db_path, queued, c->taken);
	/* The status line's totals carry over a resume: what the frontier already settled,
	 * and the items the database holds for it. */
	if (c->resumed_settled > 0 && !c->o->recrawl &&
	    store_count_items(c->store, &c->resumed_items, err, sizeof err) == -1) {
		log_error("%s", err);
		return EXIT_FAILED;
	}
	if (nonblocking_pipe(c->wake) == -1 || nonblocking_pipe(c->sig) == -1 ||
	    (c->sq = queue_new(STORE_QUEUE_OPS, STORE_QUEUE_BYTES, c->wake[1])) == NULL ||
	    (c->replies = queue_new(STORE_QUEUE_OPS, SIZE_MAX, -1)) == NULL ||
	    store_writer_start(c->store, c->sq, c->replies, c->wake[1]) == -1) {
		log_error("cannot start the store thread: %s", strerror(errno));
		return EXIT_FAILED;
	}
	workers_pool_limits(c);
	if ((c->resolver = resolver_start(c->wake[1])) == NULL) {
		log_error("cannot start the resolver thread: %s", strerror(errno));
		return EXIT_FAILED;
	}
	for (int i = 0; proxy_vars[i] != NULL; i++) {
		const char *v = getenv(proxy_vars[i]);
		c->proxied |= v != NULL && *v;
	}
	frontier_read_seeds(c, &added, &bad);
	if (added == 0 && queued == 0 && bad == 0 && !c->shared)
		log_info("nothing to do: every URL given is already in the crawl's frontier");
	return -1;
}

/*
 * The database failed: what was settled but not committed is not in it, so the summary
 * counts what the store committed (as "scraper stats" will show), not what was sent.
 */
static void
count_committed(struct coord *c)
{
	struct store_tally t;

	if (!store_committed(c->store, &t))
		return;
	c->settled = t.settled;
	c->ok = t.ok;
	c->failed = t.failed;
	c->skipped = t.skipped;
	c->skipped_robots = t.skipped_robots;
	c->skipped_limit = t.skipped_limit;
	c->items = t.items;
}

int
crawl_run(const struct crawl_opts *o)
{
	struct coord c = { .o = o, .wake = { -1, -1 }, .sig = { -1, -1 }, .lock_fd = -1 };
	int rc;

	log_init(NULL, NULL, o->quiet ? LOGL_WARN : o->verbose >= 2 ? LOGL_DEBUG : LOGL_INFO);
	ex_init();
	urlset_init(&c.seen);
	timers_init(&c.timers);
	srand((unsigned)time(NULL) ^ (unsigned)getpid());
	c.started = clock_mono();
	c.tty = !o->quiet && isatty(STDERR_FILENO);
	if (o->progress_fd >= 0 && fcntl(o->progress_fd, F_GETFL) == -1) {
		log_error("--progress-fd %d: that descriptor is not open", o->progress_fd);
		free_coord(&c);
		return EXIT_USAGE;
	}
	progress_start(&c);
	if ((rc = start_up(&c)) >= 0) {
		progress_end(&c, rc);
		free_coord(&c);
		return rc;
	}
	status_owner = &c;
	log_set_hook(clear_status);
	install_signals(&c);
	run_loop(&c);
	if (!c.stop_signal && !c.store_failed && c.limit_hit) {
		/* What a page limit left unfetched is settled as skipped. */
		struct store_op *op = settle_new_op(OP_SETTLE_QUEUED);
		long left = (long)frontier_queued(&c);
		c.skipped_limit += left;
		c.skipped += left;
		c.settled += left;
		op->state = FS_SKIPPED;
		op->reason = xstrdup("not fetched: page limit reached (--max-pages or max_pages)");
		op->settle_unheld = c.shared && frontier_global_limit(&c);
		settle_submit(&c, op);
	}
	if (drain_store(&c) == -1 || c.store_failed) {
		char msg[600];
		if (store_failed(c.store, msg, sizeof msg) && !c.store_failed)
			log_error("%s", msg);
		c.store_failed = true;
		count_committed(&c);
		rc = EXIT_FAILED;
	} else {
		rc = c.stop_signal == SIGINT ? EXIT_SIGINT : c.stop_signal ? EXIT_SIGTERM : EXIT_DONE;
	}
	summary(&c);
	progress_end(&c, rc);
	log_set_hook(NULL);
	status_owner = NULL;
	free_coord(&c);
	return rc;
}
