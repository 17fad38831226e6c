/*
 * lookup.h: a host name to its addresses, as curl's CURLOPT_RESOLVE writes them.
 *
 * Used where names are looked up for the workers: the coordinator's resolver thread
 * (crawl/resolve.c) for each site's host, and a worker for its proxy's, before its
 * sandbox goes on (a sandboxed worker can resolve nothing).
 */
#ifndef SCRAPER_LOOKUP_H
#define SCRAPER_LOOKUP_H

#include <stdbool.h>
#include <stddef.h>

/* Is host an IP address (nothing to look up)? */
bool lookup_is_ip(const char *host);

/*
 * Look host up (getaddrinfo, TCP, IPv4 and IPv6) and write its addresses into addrs
 * as "a.b.c.d,[v6::addr],...", each once.  0; or -1 with err set ("Could not resolve
 * host: NAME (why)") and *gai getaddrinfo's code (0 when it found no usable address).
 */
int lookup_host(const char *host, char *addrs, size_t addrslen, char *err, size_t errlen,
		int *gai);

#endif
