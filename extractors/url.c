/*
 * url.c: canonical absolute URLs (see url.h).
 *
 * curl's URL API does the parsing, relative resolution and dot-segment removal; this
 * file adds what curl leaves alone: the http(s)-only rule, host case, fragments, and
 * percent-encoding normalisation so that equivalent spellings dedup to one URL.
 * International hosts go to punycode with libidn2 (curl's CURLU_PUNYCODE converts from
 * the locale's encoding, which in the C locale fails on every non-ASCII host).
 *
 * url_resolve_value is the other use: the value of a url field, resolved as a browser
 * resolves an href, everything the href says kept.
 */
#include "url.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <curl/curl.h>
#include <idn2.h>

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

/* The host in lower case, and in punycode when it is not ASCII; NULL when it is
 * empty or IDNA refuses it.  Free with free(). */
static char *
host_ascii(const char *host)
{
	char *out = NULL;
	int ascii = 1;

	for (const char *p = host; *p; p++)
		ascii &= (unsigned char)*p < 0x80;
	if (host[0] == '\0')
		return NULL;
	if (!ascii) {
		/* UTS #46 mapping (lower case, full-width dots...), then IDNA 2008; some
		 * names (with symbols) only pass the transitional processing. */
		if (idn2_lookup_u8((const uint8_t *)host, (uint8_t **)&out,
				   IDN2_NFC_INPUT | IDN2_NONTRANSITIONAL) != IDN2_OK &&
		    idn2_lookup_u8((const uint8_t *)host, (uint8_t **)&out,
				   IDN2_NFC_INPUT | IDN2_TRANSITIONAL) != IDN2_OK)
			return NULL;
	} else if ((out = strdup(host)) == NULL) {
		return NULL;
	}
	/* The mapping can make characters a host may not hold (U+2000 becomes a space),
	 * and so can percent-decoding: the URL standard's forbidden host code points
	 * fail (an IPv6 literal keeps its brackets and colons). */
	for (const char *p = out; *p && out[0] != '['; p++) {
		if ((unsigned char)*p <= ' ' || (unsigned char)*p >= 0x7f ||
		    strchr("#%/:<>?@[\\]^|", *p) != NULL) {
			free(out);
			return NULL;
		}
	}
	for (char *p = out; *p; p++)
		*p = (char)tolower((unsigned char)*p);
	return out;
}

/* The host as curl reads it in a URL: numeric IPv4 forms ("00", "0x7f.1") become the
 * dotted address.  Free with curl_free(); NULL when curl refuses it. */
static char *
host_as_curl_reads_it(const char *host)
{
	char url[300], *out = NULL;
	CURLU *t;

	if (strlen(host) > 255 || (t = curl_url()) == NULL)
		return NULL;
	snprintf(url, sizeof url, "http://%s/", host);
	if (curl_url_set(t, CURLUPART_URL, url, 0) != CURLUE_OK ||
	    curl_url_get(t, CURLUPART_HOST, &out, 0) != CURLUE_OK)
		out = NULL;
	curl_url_cleanup(t);
	return out;
}

/* Lower-case the host (punycode for an international one), drop the fragment and the
 * user name and password (a crawl URL never holds them, so they are never stored). */
static int
normalise_parts(CURLU *h)
{
	char *host = NULL, *ascii;
	int rc = 0;

	if (curl_url_set(h, CURLUPART_USER, NULL, 0) != CURLUE_OK ||
	    curl_url_set(h, CURLUPART_PASSWORD, NULL, 0) != CURLUE_OK ||
	    curl_url_set(h, CURLUPART_OPTIONS, NULL, 0) != CURLUE_OK)
		return -1;

	/* The host percent-decoded (the URL standard's host parser), to punycode, then
	 * read by curl as a host again: "0%30" is "00", which is the address 0.0.0.0. */
	if (curl_url_get(h, CURLUPART_HOST, &host, CURLU_URLDECODE) != CURLUE_OK)
		return -1;
	ascii = host_ascii(host);
	curl_free(host);
	host = NULL;
	if (ascii == NULL || (host = host_as_curl_reads_it(ascii)) == NULL ||
	    curl_url_set(h, CURLUPART_HOST, host, 0) != CURLUE_OK)
		rc = -1;
	free(ascii);
	curl_free(host);
	if (rc == 0 && curl_url_set(h, CURLUPART_FRAGMENT, NULL, 0) != CURLUE_OK)
		rc = -1;
	return rc;
}

/* Would a hex digit appended to out[start..] make a new escape, after a '%' that is
 * not one ("%3%30" decoded is "%30")?  Escapes are written whole, so a '%' that ends
 * out, or comes one before its end, is a literal one. */
static int
makes_escape(const struct buf *out, size_t start)
{
	size_t n = out->len - start;
	const char *e = out->data + out->len;

	return (n >= 1 && e[-1] == '%') || (n >= 2 && e[-2] == '%' && isxdigit((unsigned char)e[-1]));
}

/*
 * Append s to out with percent-encoding normalised: %XX of an unreserved character
 * decoded (unless that would make a new escape of a literal '%' before it), other %XX
 * upper-cased, and bytes that may not appear raw in a URL encoded.
 */
static int
append_normalised(struct buf *out, const char *s)
{
	static const char hex[] = "0123456789ABCDEF";
	const unsigned char *p = (const unsigned char *)s;
	size_t start = out->len;
	char enc[3];
	int hi, lo;

	for (; *p; p++) {
		if (*p == '%' && (hi = hexval(p[1])) >= 0 && (lo = hexval(p[2])) >= 0) {
			int c = hi * 16 + lo;
			if (is_unreserved(c) && !(isxdigit(c) && makes_escape(out, start))) {
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

static char *curl_ref(const char *ref, size_t n);

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

	if ((href = clean_href(href)) == NULL)
		return -1;
	ref = curl_ref(href, strlen(href));
	free((char *)href);
	if (ref == NULL)
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

	if ((abs = clean_href(abs)) == NULL)
		return -1;
	ref = curl_ref(abs, strlen(abs));
	free((char *)abs);
	if (ref == NULL)
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

/* ---- url field values ---- */

/* Schemes the URL standard calls special: they have a host and a path of segments. */
static int
is_special_scheme(const char *s, size_t n)
{
	static const char *const special[] = {"http", "https", "ftp", "ws", "wss", "file"};

	for (size_t i = 0; i < sizeof special / sizeof special[0]; i++)
		if (strlen(special[i]) == n && strncasecmp(s, special[i], n) == 0)
			return 1;
	return 0;
}

/* The length of the scheme that starts ref ("mailto" of "mailto:x"), 0 if none. */
static size_t
scheme_len(const char *ref)
{
	size_t i = 0;

	if (!isalpha((unsigned char)ref[0]))
		return 0;
	while (isalnum((unsigned char)ref[i]) || ref[i] == '+' || ref[i] == '-' || ref[i] == '.')
		i++;
	return ref[i] == ':' ? i : 0;
}

/* What a part of a URL may not hold raw (besides controls, space and non-ASCII). */
enum url_part { PART_OPAQUE, PART_PATH, PART_QUERY, PART_FRAGMENT };

/* Append s[0..n) with the bytes part may not hold raw percent-encoded. */
static int
append_encoded(struct buf *out, const char *s, size_t n, enum url_part part)
{
	static const char hex[] = "0123456789ABCDEF";
	static const char *const extra[] = {
		[PART_OPAQUE] = "", [PART_PATH] = "\"<>`{}", [PART_QUERY] = "\"<>'",
		[PART_FRAGMENT] = "\"<>`",
	};
	char enc[3] = {'%', 0, 0};

	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		int bad = c < 0x20 || c >= 0x7f || (c == ' ' && part != PART_OPAQUE) ||
			  (c != 0 && strchr(extra[part], c) != NULL);
		if (!bad) {
			if (buf_putc(out, c) == -1)
				return -1;
			continue;
		}
		enc[1] = hex[c >> 4];
		enc[2] = hex[c & 15];
		if (buf_append(out, enc, 3) == -1)
			return -1;
	}
	return 0;
}

/* A URL that is data (mailto:, tel:): scheme lower-cased, the rest as written. */
static int
append_opaque(struct buf *out, const char *ref, size_t slen)
{
	size_t q = strcspn(ref, "?#"), f = strcspn(ref, "#");

	for (size_t i = 0; i < slen; i++)
		if (buf_putc(out, tolower((unsigned char)ref[i])) == -1)
			return -1;
	if (append_encoded(out, ref + slen, q - slen, PART_OPAQUE) == -1 ||
	    append_encoded(out, ref + q, f - q, PART_QUERY) == -1)
		return -1;
	return append_encoded(out, ref + f, strlen(ref + f), PART_FRAGMENT);
}

/* Is s[0..n) ".", "..", or one of them with dots written %2e? */
static int
is_dot_segment(const char *s, size_t n)
{
	size_t dots = 0;

	for (size_t i = 0; i < n; dots++) {
		if (s[i] == '.')
			i++;
		else if (n - i >= 3 && s[i] == '%' && s[i + 1] == '2' && (s[i + 2] | 0x20) == 'e')
			i += 3;
		else
			return 0;
	}
	return dots >= 1 && dots <= 2;
}

/* Rewrite the dot segments in s (from path to the query or fragment) that are written
 * with %2e as plain dots, in place: the URL standard reads "%2e%2e" as
 * "..", and curl removes only plain ones.  Without this "/a/%2e%2e/b" would come out
 * as "/a/../b" (the %2e decoded afterwards), which is "/b": one page, two URLs. */
static void
plain_dot_segments(char *s, size_t path)
{
	size_t end = path + strcspn(s + path, "?#"), i = path, j = path;

	while (i < end) {
		size_t n = strcspn(s + i, "/?#");
		if (i + n > end)
			n = end - i;
		if (is_dot_segment(s + i, n)) {
			for (size_t k = 0; k < n;) {
				k += s[i + k] == '.' ? 1 : 3; /* (read before j overwrites it) */
				s[j++] = '.';
			}
		} else {
			memmove(s + j, s + i, n);
			j += n;
		}
		i += n;
		if (i < end) /* the '/' */
			s[j++] = s[i++];
	}
	memmove(s + j, s + end, strlen(s + end) + 1);
}

/* Copy ref[0..n) for curl: backslashes before the query become slashes (the URL
 * standard's rule for http(s)), dot segments written %2e plain dots, spaces %20 (curl
 * would write a space in a query as '+', which a server may read as a literal plus). */
static char *
curl_ref(const char *ref, size_t n)
{
	size_t q = strcspn(ref, "?"), j = 0;
	char *s = malloc(3 * n + 1);

	if (s == NULL)
		return NULL;
	for (size_t i = 0; i < n; i++) {
		if (ref[i] == ' ') {
			memcpy(s + j, "%20", 3);
			j += 3;
		} else {
			s[j++] = ref[i] == '\\' && i < q ? '/' : ref[i];
		}
	}
	s[j] = '\0';
	/* From the start, not from where the path seems to start: curl and we could
	 * disagree on that ("a...:" with a scheme too long for curl is a path; fuzz
	 * find).  A scheme, user or port is never "." or ".." and a host "%2e" is "."
	 * once decoded, so the rest comes out the same. */
	plain_dot_segments(s, 0);
	return s;
}

/* Append the URL in h, part by part, then the fragment (frag: after the '#', or NULL
 * for none); empty_query: the reference ended its query with nothing ("x?"). */
static int
append_parts(struct buf *out, CURLU *h, int empty_query, const char *frag)
{
	static const CURLUPart parts[] = {CURLUPART_SCHEME, CURLUPART_USER, CURLUPART_PASSWORD,
					  CURLUPART_HOST,   CURLUPART_PORT, CURLUPART_PATH,
					  CURLUPART_QUERY};
	char *v[7] = {NULL};
	char *host = NULL;
	int rc = -1;

	for (size_t i = 0; i < 7; i++)
		if (curl_url_get(h, parts[i], &v[i], CURLU_NO_DEFAULT_PORT) != CURLUE_OK)
			v[i] = NULL;
	if (v[0] == NULL || v[3] == NULL || (host = host_ascii(v[3])) == NULL)
		goto done;
	for (char *p = v[0]; *p; p++)
		*p = (char)tolower((unsigned char)*p);
	if (buf_printf(out, "%s://", v[0]) == -1 ||
	    (v[1] != NULL && (append_encoded(out, v[1], strlen(v[1]), PART_PATH) == -1 ||
			      (v[2] != NULL && (buf_putc(out, ':') == -1 ||
						append_encoded(out, v[2], strlen(v[2]),
							       PART_PATH) == -1)) ||
			      buf_putc(out, '@') == -1)) ||
	    buf_puts(out, host) == -1 || (v[4] != NULL && buf_printf(out, ":%s", v[4]) == -1) ||
	    append_encoded(out, v[5] ? v[5] : "/", strlen(v[5] ? v[5] : "/"), PART_PATH) == -1)
		goto done;
	if ((v[6] != NULL || empty_query) &&
	    (buf_putc(out, '?') == -1 ||
	     (v[6] != NULL && append_encoded(out, v[6], strlen(v[6]), PART_QUERY) == -1)))
		goto done;
	if (frag != NULL &&
	    (buf_putc(out, '#') == -1 || append_encoded(out, frag, strlen(frag), PART_FRAGMENT) == -1))
		goto done;
	rc = 0;
done:
	for (size_t i = 0; i < 7; i++)
		curl_free(v[i]);
	free(host);
	return rc;
}

int
url_resolve_value(const struct url_base *base, const char *href, struct buf *out)
{
	size_t mark = out->len, slen, hash;
	char *ref, *rest = NULL;
	int rc = -1, empty_query;
	CURLU *h = NULL;

	if ((ref = clean_href(href)) == NULL)
		return -1;
	slen = scheme_len(ref);
	if (slen > 0 && !is_special_scheme(ref, slen)) {
		rc = append_opaque(out, ref, slen);
		goto done;
	}
	/* curl 7.88 resolves "#frag" against the base's directory, and drops an empty
	 * query: the fragment and the '?' are dealt with here. */
	hash = strcspn(ref, "#");
	empty_query = hash > 0 && ref[hash - 1] == '?' && memchr(ref, '?', hash - 1) == NULL;
	if ((rest = curl_ref(ref, hash)) == NULL || (h = curl_url_dup(base->h)) == NULL)
		goto done;
	if (rest[0] != '\0' &&
	    curl_url_set(h, CURLUPART_URL, rest, CURLU_NON_SUPPORT_SCHEME) != CURLUE_OK)
		goto done;
	if (rest[0] == '\0' && curl_url_set(h, CURLUPART_FRAGMENT, NULL, 0) != CURLUE_OK)
		goto done;
	if (empty_query && curl_url_set(h, CURLUPART_QUERY, NULL, 0) != CURLUE_OK)
		goto done;
	rc = append_parts(out, h, empty_query, ref[hash] == '#' ? ref + hash + 1 : NULL);
done:
	if (rc == 0 && out->len - mark > URL_MAX * 3)
		rc = -1;
	if (rc == -1)
		buf_truncate(out, mark);
	curl_url_cleanup(h);
	free(rest);
	free(ref);
	return rc;
}
