/*
 * progress.h: the crawl's progress as JSON lines on a descriptor (crawl --progress-fd).
 *
 * One JSON object per line, for programs that watch a crawl (the service does):
 *
 *   {"event":"start","pid":N,"db":"PATH"}
 *   {"event":"progress","elapsed_s":X,"done":N,"ok":N,"queued":N,"failed":N,
 *    "skipped":N,"items":N,"errors":N,"retries":N,"pages_per_s":X,"avg_pages_per_s":X,
 *    "sites_active":N,"bytes":N,"sites":[{"site","done","queued","failed","items"},...]}
 *   {"event":"end","exit":N, ...the same counters as progress}
 *
 * "progress" comes about once a second; pages_per_s is the rate over the last ten
 * seconds, avg_pages_per_s over the whole run; "sites" lists at most 50 sites, those
 * with a worker first.  The descriptor is made non-blocking: a reader that falls behind
 * misses lines, and never slows the crawl.
 */
#ifndef SCRAPER_PROGRESS_H
#define SCRAPER_PROGRESS_H

struct coord;

#define PROGRESS_EVERY 1.0	/* seconds between progress lines */

void progress_start(struct coord *c);
void progress_tick(struct coord *c, double now);
void progress_end(struct coord *c, int exit_status);

/* Pages per second over the last ten seconds (or the run so far, if shorter). */
double progress_recent_rate(struct coord *c, double now);

#endif
