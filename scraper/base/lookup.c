/*
 * lookup.c: a host name to its addresses (see lookup.h).
 */
#include "config.h"

#include "base/lookup.h"

#include <arpa/inet.h>
#include <netdb.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

bool
lookup_is_ip(const char *host)
{
	unsigned char a[16];

	return inet_pton(AF_INET, host, a) == 1 || inet_pton(AF_INET6, host, a) == 1;
}

int
lookup_host(const char *host, char *addrs, size_t addrslen, char *err, size_t errlen,
	    int *gai)
{
	struct addrinfo hints = { .ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM };
	struct addrinfo *res = NULL;
	char one[INET6_ADDRSTRLEN + 2];
	size_t n = 0;
	int rc;

	*gai = 0;
	if (addrslen > 0)
		addrs[0] = '\0';
	if ((rc = getaddrinfo(host, NULL, &hints, &res)) != 0) {
		snprintf(err, errlen, "Could not resolve host: %s (%s)", host, gai_strerror(rc));
		*gai = rc;
		return -1;
	}
	for (struct addrinfo *a = res; a != NULL; a = a->ai_next) {
		char ip[INET6_ADDRSTRLEN];
		const void *src = a->ai_family == AF_INET
					  ? (const void *)&((struct sockaddr_in *)a->ai_addr)->sin_addr
					  : (const void *)&((struct sockaddr_in6 *)a->ai_addr)->sin6_addr;
		if ((a->ai_family != AF_INET && a->ai_family != AF_INET6) ||
		    inet_ntop(a->ai_family, src, ip, sizeof ip) == NULL)
			continue;
		snprintf(one, sizeof one, a->ai_family == AF_INET6 ? "[%s]" : "%s", ip);
		if (strstr(addrs, one) != NULL || n + strlen(one) + 2 >= addrslen)
			continue; /* the same address once per socket type; or no room */
		n += (size_t)snprintf(addrs + n, addrslen - n, "%s%s", n ? "," : "", one);
	}
	freeaddrinfo(res);
	if (n == 0) {
		snprintf(err, errlen, "Could not resolve host: %s (no IPv4 or IPv6 address)", host);
		return -1;
	}
	return 0;
}
