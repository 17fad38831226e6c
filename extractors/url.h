/*
 * url.h: absolute URLs in canonical form, over curl's URL API.
 *
 * Canonical form (what the frontier stores and dedups on): http or https only, scheme
 * and host lower-cased, default port dropped, fragment and user:password@ dropped, dot
 * segments resolved (written "%2e" too), an empty path made "/", percent-encoding
 * normalised (unreserved characters decoded, other escapes upper-cased, raw spaces,
 * controls and non-ASCII bytes encoded), the host percent-decoded and an international
 * one in its punycode (IDNA) form.  The canonical form of a canonical URL is itself
 * (tests/fuzz/fuzz_canon.c checks it).
 *
 * Lives in extractors/ because link extraction resolves hrefs with it; the coordinator
 * uses the same functions, so a URL means the same thing everywhere.
 */
#ifndef SCRAPER_URL_H
#define SCRAPER_URL_H

#include <stdbool.h>
#include <stddef.h>

#include "buf.h"

#define URL_MAX 8192 /* longer URLs are refused */

struct url_base; /* a parsed absolute URL that relative references resolve against */

/* Parse an absolute http(s) URL to resolve against.  NULL when it is not one (or no
 * memory).  Free with url_base_free. */
struct url_base *url_base_new(const char *abs);
void url_base_free(struct url_base *b);

/* Resolve an href (trimmed of surrounding white space; tabs and newlines inside are
 * removed as browsers do) against base and append the canonical absolute URL to out.
 * 0, or -1 when the result is not a valid http(s) URL (mailto:, javascript:, ftp:,
 * malformed, over URL_MAX).  On -1 out is unchanged. */
int url_resolve(const struct url_base *base, const char *href, struct buf *out);

/*
 * The value of a url field (type: url): href resolved against base as the WHATWG URL
 * standard (RFC 3986) resolves it, appended to out.  Unlike url_resolve it keeps the
 * fragment, keeps an empty query "?", and keeps every scheme: a URL whose scheme is
 * not http, https, ftp, ws, wss or file (mailto:, tel:, data:, javascript:) is data,
 * given back as written (scheme lower-cased, controls and non-ASCII percent-encoded).
 * For the others: backslashes before the query are slashes; the host is lower-cased
 * and an international host becomes its punycode (IDNA 2008, UTS #46) form; the
 * default port is dropped; dot segments are resolved; spaces, controls, non-ASCII
 * bytes and the characters each part may not hold raw (" < > ` { } and ' in a query)
 * are percent-encoded (a space as %20, in the query too); existing %XX escapes are
 * left as written.  0, or -1 when it cannot be resolved (out unchanged).
 */
int url_resolve_value(const struct url_base *base, const char *href, struct buf *out);

/* Canonical form of an absolute http(s) URL, appended to out.  0 or -1 as above. */
int url_canonical(const char *abs, struct buf *out);

/* The site of an absolute URL: host, plus ":port" unless it is the scheme's default
 * ("example.com", "127.0.0.1:8081", "[::1]:8080").  Lower-cased.  0, or -1 when abs is
 * not an http(s) URL or the site does not fit in outlen. */
int url_site(const char *abs, char *out, size_t outlen);

/* Is the canonical URL url on site ("http(s)://SITE/...")?  A cheap test for URLs that
 * are already canonical (the site's case and default port are as url_site makes them). */
bool url_on_site(const char *url, const char *site);

#endif
