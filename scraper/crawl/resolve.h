/*
 * resolve.h: the coordinator's name lookups, on a thread of their own.
 *
 * A worker cannot look names up once its sandbox is on (worker/sandbox.c), and a
 * lookup can take seconds, which the coordinator's loop must never wait for.  So the
 * loop asks (resolver_ask: never blocks, fails when RESOLVE_MAX lookups are
 * outstanding), one thread calls getaddrinfo for each name in turn, and its answers
 * come back on a queue: the thread writes a byte to the loop's wake-up pipe after
 * each, and the loop takes them (resolver_take).  A temporary failure (EAI_AGAIN) is
 * tried again RESOLVE_TRIES times with a growing pause before it is the answer.
 *
 * An answer is curl's CURLOPT_RESOLVE entries for the site, "host:port:addr,addr",
 * one a line (a site "host" is ports 80 and 443; "host:port" that port), as SITE
 * carries them (ipc.h), or the failure in the words curl would use: "Could not
 * resolve host: NAME (why)".
 */
#ifndef SCRAPER_RESOLVE_H
#define SCRAPER_RESOLVE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define RESOLVE_MAX 256		/* lookups outstanding at once */
#define RESOLVE_TRIES 4		/* attempts at a name that fails with EAI_AGAIN */
#define RESOLVE_TTL 300.0	/* seconds an answer is used for a site's new workers */

struct resolver;

struct resolve_answer {
	uint32_t site_id;
	char *entries;		/* "" when the lookup failed */
	char *error;		/* "" when none */
	bool retryable;		/* the failure was temporary (EAI_AGAIN, every try) */
};

/* Does the site "host[:port]" need a lookup (not an IP address)? */
bool resolve_needed(const char *site);

/* Look site up now (blocking): 0 with *entries (malloc'd), or -1 with err set and
 * *gai getaddrinfo's code (0 when out of memory). */
int resolve_site_now(const char *site, char **entries, char *err, size_t errlen, int *gai);

/* Start the thread; wake_fd is written to after each answer.  NULL on failure. */
struct resolver *resolver_start(int wake_fd);

/* Queue a lookup of site for site_id.  0, or -1 when RESOLVE_MAX are outstanding. */
int resolver_ask(struct resolver *r, uint32_t site_id, const char *site);

/* The next answer, or NULL when none is waiting.  Free it with resolve_answer_free. */
struct resolve_answer *resolver_take(struct resolver *r);
void resolve_answer_free(struct resolve_answer *a);

/* Stop the thread (after the lookup it is in) and free everything. */
void resolver_stop(struct resolver *r);

#endif
