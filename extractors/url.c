/*
 * url.c: canonical absolute URLs (see url.h).
 *
 * curl's URL API does the parsing, relative resolution and dot-segment removal; this
 * file adds what curl leaves alone: the http(s)-only rule, host case, fragments, and
 * percent-encoding normalisation so that equivalent spellings dedup to one URL.
 */
#include "url.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include <curl/curl.h>

struct url_base {
	CURLU *h;
};

static int
is_unreserved(int c)
{
	return isalnum(c) || c == '-' || c == '.' || c == '_' || c == '~';
}

static int
hexval(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	c = tolower(c);
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

static int
is_http(CURLU *h)
{
	char *scheme = NULL;
	int ok;

	if (curl_url_get(h, CURLUPART_SCHEME, &scheme, 0) != CURLUE_OK)
		return 0;
	ok = strcmp(scheme, "http") == 0 || strcmp(scheme, "https") == 0;
	curl_free(scheme);
	return ok;
}

/* Lower-case the host, drop the fragment. */
static int
normalise_parts(CURLU *h)
{
	char *host = NULL;
	int rc = 0;

	if (curl_url_get(h, CURLUPART_HOST, &host, 0) != CURLUE_OK)
		return -1;
	if (host[0] == '\0')
		rc = -1;
	for (char *p = host; *p; p++)
		*p = (char)tolower((unsigned char)*p);
	if (rc == 0 && curl_url_set(h, CURLUPART_HOST, host, 0) != CURLUE_OK)
		rc = -1;
	curl_free(host);
	if (rc == 0 && curl_url_set(h, CURLUPART_FRAGMENT, NULL, 0) != CURLUE_OK)
		rc = -1;
	return rc;
}

/*
 * Append s to out with percent-encoding normalised: %XX of an unreserved character
 * decoded, other %XX upper-cased, and bytes that may not appear raw in a URL encoded.
 */
static int
append_normalised(struct buf *out, const char *s)
{
	static const char hex[] = "0123456789ABCDEF";
	const unsigned char *p = (const unsigned char *)s;
	char enc[3];
	int hi, lo;

	for (; *p; p++) {
		if (*p == '%' && (hi = hexval(p[1])) >= 0 && (lo = hexval(p[2])) >= 0) {
			int c = hi * 16 + lo;
			if (is_unreserved(c)) {
				if (buf_putc(out, c) == -1)
					return -1;
			} else {
				enc[0] = '%';
				enc[1] = hex[hi];
				enc[2] = hex[lo];
				if (buf_append(out, enc, 3) == -1)
					return -1;
			}
			p += 2;
		} else if (*p <= 0x20 || *p >= 0x7f || *p == '"' || *p == '<' ||
			   *p == '>' || *p == '\\' || *p == '^' || *p == '`' ||
			   *p == '{' || *p == '|' || *p == '}') {
			enc[0] = '%';
			enc[1] = hex[*p >> 4];
			enc[2] = hex[*p & 15];
			if (buf_append(out, enc, 3) == -1)
				return -1;
		} else if (buf_putc(out, *p) == -1) {
			return -1;
		}
	}
	return 0;
}

/* Append the canonical spelling of the URL held in h. */
static int
emit(CURLU *h, struct buf *out)
{
	size_t mark = out->len;
	char *s = NULL;
	int rc;

	if (!is_http(h) || normalise_parts(h) == -1)
		return -1;
	if (curl_url_get(h, CURLUPART_URL, &s, CURLU_NO_DEFAULT_PORT) != CURLUE_OK)
		return -1;
	rc = strlen(s) > URL_MAX ? -1 : append_normalised(out, s);
	curl_free(s);
	if (rc == 0 && out->len - mark > URL_MAX)
		rc = -1;
	if (rc == -1) {
		out->len = mark;
		if (out->data != NULL)
			out->data[mark] = '\0';
	}
	return rc;
}

/* Copy href without surrounding ASCII white space and without tabs and newlines. */
static char *
clean_href(const char *href)
{
	size_t n, i, j;
	char *s;

	while (*href == ' ' || *href == '\t' || *href == '\n' || *href == '\r' ||
	       *href == '\f')
		href++;
	n = strlen(href);
	while (n > 0 && (href[n - 1] == ' ' || href[n - 1] == '\t' ||
			 href[n - 1] == '\n' || href[n - 1] == '\r' || href[n - 1] == '\f'))
		n--;
	if (n > URL_MAX || (s = malloc(n + 1)) == NULL)
		return NULL;
	for (i = j = 0; i < n; i++) {
		if (href[i] != '\t' && href[i] != '\n' && href[i] != '\r')
			s[j++] = href[i];
	}
	s[j] = '\0';
	return s;
}

struct url_base *
url_base_new(const char *abs)
{
	struct url_base *b;

	if ((b = malloc(sizeof *b)) == NULL)
		return NULL;
	if ((b->h = curl_url()) == NULL) {
		free(b);
		return NULL;
	}
	if (strlen(abs) > URL_MAX ||
	    curl_url_set(b->h, CURLUPART_URL, abs, CURLU_ALLOW_SPACE) != CURLUE_OK ||
	    !is_http(b->h)) {
		url_base_free(b);
		return NULL;
	}
	return b;
}

void
url_base_free(struct url_base *b)
{
	if (b == NULL)
		return;
	curl_url_cleanup(b->h);
	free(b);
}

int
url_resolve(const struct url_base *base, const char *href, struct buf *out)
{
	CURLU *h;
	char *ref;
	int rc = -1;

	if ((ref = clean_href(href)) == NULL)
		return -1;
	/* "" and "#frag" are the base document itself (RFC 3986 5.2.2); curl 7.88
	 * resolves "#frag" to the base's directory, so they are handled here. */
	if ((h = curl_url_dup(base->h)) != NULL &&
	    (ref[0] == '\0' || ref[0] == '#' ||
	     curl_url_set(h, CURLUPART_URL, ref, CURLU_ALLOW_SPACE) == CURLUE_OK))
		rc = emit(h, out);
	curl_url_cleanup(h);
	free(ref);
	return rc;
}

int
url_canonical(const char *abs, struct buf *out)
{
	CURLU *h;
	char *ref;
	int rc = -1;

	if ((ref = clean_href(abs)) == NULL)
		return -1;
	if ((h = curl_url()) != NULL &&
	    curl_url_set(h, CURLUPART_URL, ref, CURLU_ALLOW_SPACE) == CURLUE_OK)
		rc = emit(h, out);
	curl_url_cleanup(h);
	free(ref);
	return rc;
}

int
url_site(const char *abs, char *out, size_t outlen)
{
	char *host = NULL, *port = NULL;
	CURLU *h;
	size_t n;
	int rc = -1;

	if ((h = curl_url()) == NULL)
		return -1;
	if (curl_url_set(h, CURLUPART_URL, abs, 0) != CURLUE_OK || !is_http(h) ||
	    curl_url_get(h, CURLUPART_HOST, &host, 0) != CURLUE_OK)
		goto done;
	if (curl_url_get(h, CURLUPART_PORT, &port, CURLU_NO_DEFAULT_PORT) != CURLUE_OK)
		port = NULL;
	n = strlen(host) + (port ? strlen(port) + 1 : 0);
	if (host[0] == '\0' || n >= outlen)
		goto done;
	for (size_t i = 0; host[i]; i++)
		out[i] = (char)tolower((unsigned char)host[i]);
	out[strlen(host)] = '\0';
	if (port != NULL) {
		strcat(out, ":");
		strcat(out, port);
	}
	rc = 0;
done:
	curl_free(host);
	curl_free(port);
	curl_url_cleanup(h);
	return rc;
}

bool
url_on_site(const char *url, const char *site)
{
	size_t n = strlen(site);
	const char *rest = strncmp(url, "http://", 7) == 0    ? url + 7
			   : strncmp(url, "https://", 8) == 0 ? url + 8
							      : NULL;

	return rest != NULL && strncmp(rest, site, n) == 0 &&
	       (rest[n] == '/' || rest[n] == '?' || rest[n] == '\0');
}
