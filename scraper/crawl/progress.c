/*
 * progress.c: JSON progress lines for --progress-fd (see progress.h).
 */
#include "config.h"

#include "crawl/progress.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <unistd.h>

#include "base/clock.h"
#include "crawl/coord.h"
#include "json.h"

#define MAX_SITES_LISTED 50
#define LINE_MAX_BYTES (64u << 10)

/* The recent rate: the settled count sampled at most once a second, the last
 * RATE_SAMPLES samples kept in a ring; the rate is measured from the oldest. */
static double
sample_rate(struct coord *c, double now)
{
	size_t n = c->nrate;
	const struct rate_sample *old;

	if (n == 0 || now - c->rate[(n - 1) % RATE_SAMPLES].t >= 1.0) {
		c->rate[n % RATE_SAMPLES] = (struct rate_sample){ now, c->settled };
		c->nrate = ++n;
	}
	old = &c->rate[n <= RATE_SAMPLES ? 0 : n % RATE_SAMPLES];
	return now > old->t ? (double)(c->settled - old->settled) / (now - old->t) : 0.0;
}

double
progress_recent_rate(struct coord *c, double now)
{
	return sample_rate(c, now);
}

static void
put_counters(struct buf *b, struct coord *c, double now)
{
	double el = now - c->started;
	size_t active = 0, listed = 0;

	for (size_t i = 0; i < c->nworkers; i++)
		active += !c->workers[i]->gone &&
			  c->workers[i]->site->w[0] == c->workers[i]; /* sites, not workers */
	buf_printf(b, "\"elapsed_s\":");
	json_put_double(b, el);
	buf_printf(b, ",\"done\":%ld,\"ok\":%ld,\"queued\":%zu,\"failed\":%ld,\"skipped\":%ld,"
		   "\"items\":%ld,\"errors\":%ld,\"retries\":%ld,\"pages_per_s\":",
		   c->settled, c->ok, frontier_queued(c), c->failed, c->skipped, c->items,
		   c->failed + c->problems, c->retries);
	json_put_double(b, sample_rate(c, now));
	buf_puts(b, ",\"avg_pages_per_s\":");
	json_put_double(b, el > 0 ? c->settled / el : 0.0);
	buf_printf(b, ",\"sites_active\":%zu,\"bytes\":%lld,\"sites\":[", active,
		   (long long)c->bytes);
	/* Sites with a worker first, then the others that did something. */
	for (int pass = 0; pass < 2; pass++) {
		for (size_t i = 0; i < c->nsites && listed < MAX_SITES_LISTED; i++) {
			struct site *s = c->sites[i];
			long done = s->ok + s->failed + s->skipped;
			if ((pass == 0) != (s->nw > 0) || (pass == 1 && done == 0))
				continue;
			buf_puts(b, listed++ ? ",{\"site\":" : "{\"site\":");
			json_put_cstring(b, s->name);
			buf_printf(b, ",\"done\":%ld,\"queued\":%zu,\"failed\":%ld,\"items\":%ld}", done,
				   sq_count(&s->sq), s->failed, s->items);
		}
	}
	buf_putc(b, ']');
}

/* Write one line; a line that does not fit now is dropped, unless `wait` (the last
 * one), which may wait up to a second for the reader. */
static void
emit(struct coord *c, struct buf *b, bool wait)
{
	size_t off = 0;

	if (buf_putc(b, '\n') == -1)
		return;
	while (off < b->len) {
		ssize_t n = write(c->o->progress_fd, b->data + off, b->len - off);
		if (n > 0) {
			off += (size_t)n;
			continue;
		}
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && errno == EAGAIN && (wait || off > 0)) {
			/* Half a line would break the reader's framing: finish it. */
			struct pollfd p = { .fd = c->o->progress_fd, .events = POLLOUT };
			if (poll(&p, 1, 1000) > 0)
				continue;
		}
		return;
	}
}

void
progress_start(struct coord *c)
{
	struct buf b;
	int fl;

	if (c->o->progress_fd < 0)
		return;
	fl = fcntl(c->o->progress_fd, F_GETFL);
	if (fl != -1)
		fcntl(c->o->progress_fd, F_SETFL, fl | O_NONBLOCK);
	buf_init(&b, LINE_MAX_BYTES);
	buf_printf(&b, "{\"event\":\"start\",\"pid\":%ld,\"db\":", (long)getpid());
	json_put_cstring(&b, c->o->db_path);
	buf_putc(&b, '}');
	emit(c, &b, true);
	buf_free(&b);
}

void
progress_tick(struct coord *c, double now)
{
	struct buf b;

	if (c->o->progress_fd < 0 || now - c->last_progress < PROGRESS_EVERY)
		return;
	c->last_progress = now;
	buf_init(&b, LINE_MAX_BYTES);
	buf_puts(&b, "{\"event\":\"progress\",");
	put_counters(&b, c, now);
	buf_putc(&b, '}');
	emit(c, &b, false);
	buf_free(&b);
}

void
progress_end(struct coord *c, int exit_status)
{
	struct buf b;

	if (c->o->progress_fd < 0)
		return;
	buf_init(&b, LINE_MAX_BYTES);
	buf_printf(&b, "{\"event\":\"end\",\"exit\":%d,", exit_status);
	put_counters(&b, c, clock_mono());
	buf_putc(&b, '}');
	emit(c, &b, true);
	buf_free(&b);
}
