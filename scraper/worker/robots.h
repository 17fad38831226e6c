/*
 * robots.h: robots.txt parsing and matching (RFC 9309), as a pure module.
 *
 * It reads a robots.txt body the caller fetched and answers "may this crawler fetch
 * this path?" and "what Crawl-delay applies?".  It does no I/O: fetching, following
 * redirects and caching are the caller's, with the constants below as the RFC's limits.
 * A struct robots holds only the rules that apply to the one user agent it was parsed
 * for; it is immutable once built, so one may be shared by threads that only read it.
 */
#ifndef SCRAPER_ROBOTS_H
#define SCRAPER_ROBOTS_H

#include <stdbool.h>
#include <stddef.h>

/* Only the first this many bytes of a body are parsed (RFC 9309 2.5: at least 500 KiB). */
#define ROBOTS_MAX_BYTES (500 * 1024)
/* At most this many rules are kept from the groups that apply; later ones are ignored. */
#define ROBOTS_MAX_RULES 20000
/* Follow at least this many consecutive redirects to reach robots.txt (2.3.1.2). */
#define ROBOTS_MAX_REDIRECTS 5
/* Do not use a fetched robots.txt for longer than this many seconds unless fetching it
 * again fails with a server or network error (2.4). */
#define ROBOTS_MAX_AGE 86400

struct robots;

/*
 * Parse body (any bytes, not NUL-terminated; only the first ROBOTS_MAX_BYTES are read)
 * for the crawler whose User-Agent header value is user_agent (its product token is
 * what selects groups; NULL is taken as "").  Lines that cannot be parsed are skipped.
 * Returns NULL only when out of memory; free with robots_free.
 */
struct robots *robots_parse(const char *body, size_t len, const char *user_agent);

/* The rules when robots.txt is unavailable (e.g. 404): everything allowed. */
struct robots *robots_allow_all(void);

/* The rules when robots.txt is unreachable (5xx, network failure): nothing allowed
 * but /robots.txt itself. */
struct robots *robots_disallow_all(void);

/*
 * The rules for a robots.txt fetch that ended with HTTP status `status` (after
 * following up to ROBOTS_MAX_REDIRECTS redirects; 0 when no response came at all):
 *   2xx            parse body (robots_parse)
 *   3xx            too many redirects: unavailable, allow all (2.3.1.2); a 304 to a
 *                  conditional request means "keep your copy", not this
 *   4xx but 429    unavailable, allow all (2.3.1.3)
 *   429, 5xx, 0    unreachable, disallow all (2.3.1.4; 429 is a "slow down", as
 *                  Google reads it, which the RFC's "MAY access" permits)
 *   anything else  disallow all
 * body and len are used only for 2xx.  NULL only when out of memory.
 */
struct robots *robots_from_status(int status, const char *body, size_t len,
    const char *user_agent);

/*
 * Whether the rules allow fetching path: the URL's path plus "?query" if any, as sent
 * on the request line (percent-encoded; "" is taken as "/").  /robots.txt is always
 * allowed.  Returns false when out of memory for a very long path (over ~1 KiB).
 * Costs O(path + pattern) per rule, at worst every rule (ROBOTS_MAX_RULES).
 */
bool robots_allows(const struct robots *r, const char *path);

/* The Crawl-delay of the groups that apply, in seconds (the largest if several give
 * one); negative when none gave a usable value. */
double robots_crawl_delay(const struct robots *r);

/* Free r; NULL is fine. */
void robots_free(struct robots *r);

/*
 * The product token of a User-Agent value: its leading run of letters, '_' and '-'
 * after any white space ("scraper/1.0 (+http://x)" -> "scraper").  Writes it to out,
 * NUL-terminated and cut to outlen - 1 bytes (nothing written when outlen is 0), and
 * returns its whole length, so a return >= outlen means it was cut.
 */
size_t robots_product_token(const char *user_agent, char *out, size_t outlen);

#endif
