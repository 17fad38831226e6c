/*
 * robotsmeta.c: robots meta tags and X-Robots-Tag headers (see robotsmeta.h).
 */
#include "config.h"

#include "worker/robotsmeta.h"

#include <stdbool.h>
#include <string.h>
#include <strings.h>

#include "cssmatch.h"

static bool
is_sep(char c)
{
	return c == ',' || c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == ';';
}

unsigned
robotsmeta_directives(const char *list)
{
	unsigned m = 0;
	const char *p = list;

	while (*p) {
		size_t n;
		while (*p && is_sep(*p))
			p++;
		n = 0;
		while (p[n] && !is_sep(p[n]))
			n++;
		if (n == 7 && strncasecmp(p, "noindex", 7) == 0)
			m |= ROBOTSMETA_NOINDEX;
		else if (n == 8 && strncasecmp(p, "nofollow", 8) == 0)
			m |= ROBOTSMETA_NOFOLLOW;
		else if (n == 4 && strncasecmp(p, "none", 4) == 0)
			m |= ROBOTSMETA_NOINDEX | ROBOTSMETA_NOFOLLOW;
		p += n;
	}
	return m;
}

/* Directives that carry a value after a colon: not a crawler's name before it. */
static bool
valued_directive(const char *s, size_t n)
{
	static const char *const names[] = { "unavailable_after", "max-snippet",
					     "max-image-preview", "max-video-preview" };

	for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
		if (strlen(names[i]) == n && strncasecmp(s, names[i], n) == 0)
			return true;
	}
	return false;
}

unsigned
robotsmeta_header(const char *value, const char *token)
{
	const char *colon = strchr(value, ':'), *s = value, *e;

	while (*s == ' ' || *s == '\t')
		s++;
	if (colon != NULL && memchr(s, ',', (size_t)(colon - s)) == NULL) {
		e = colon;
		while (e > s && (e[-1] == ' ' || e[-1] == '\t'))
			e--;
		if (!valued_directive(s, (size_t)(e - s))) {
			/* "otherbot: noindex": for that crawler only. */
			if ((size_t)(e - s) != strlen(token) || strncasecmp(s, token, (size_t)(e - s)) != 0)
				return 0;
			return robotsmeta_directives(colon + 1);
		}
	}
	return robotsmeta_directives(value);
}

unsigned
robotsmeta_headers(CURL *easy, const char *token)
{
	struct curl_header *h;
	unsigned m = 0;
	size_t count;

	if (curl_easy_header(easy, "X-Robots-Tag", 0, CURLH_HEADER, -1, &h) != CURLHE_OK)
		return 0;
	count = h->amount;
	for (size_t i = 0; i < count && i < 64; i++) {
		if (curl_easy_header(easy, "X-Robots-Tag", i, CURLH_HEADER, -1, &h) == CURLHE_OK)
			m |= robotsmeta_header(h->value, token);
	}
	return m;
}

static unsigned
meta_element(xmlNodePtr n, const char *token)
{
	xmlChar *name, *content;
	unsigned m = 0;
	const char *nm;

	if ((name = xmlGetProp(n, (const xmlChar *)"name")) == NULL)
		return 0;
	nm = (const char *)name;
	nm += strspn(nm, " \t\r\n");
	if ((strncasecmp(nm, "robots", 6) == 0 && strspn(nm + 6, " \t\r\n") == strlen(nm + 6)) ||
	    (*token && strncasecmp(nm, token, strlen(token)) == 0 &&
	     strspn(nm + strlen(token), " \t\r\n") == strlen(nm + strlen(token)))) {
		if ((content = xmlGetProp(n, (const xmlChar *)"content")) != NULL) {
			m = robotsmeta_directives((const char *)content);
			xmlFree(content);
		}
	}
	xmlFree(name);
	return m;
}

unsigned
robotsmeta_doc(xmlDocPtr doc, struct css_index *ix, const char *token)
{
	xmlNodePtr n = doc->children;
	unsigned m = 0;
	size_t pos = 0;

	/* The HTML parser writes element names in lower case: the index's "meta" are all. */
	if (ix != NULL) {
		while ((n = css_index_next(ix, "meta", &pos)) != NULL)
			m |= meta_element(n, token);
		return m;
	}
	/* Every element, in document order, without recursion: all of the document, not
	 * only its first element (a broken page can have more at the top, as the index
	 * has).  The first letter is looked at before the whole name: this walk is over
	 * every element of every page (xmlStrcasecmp on each was 1-2% of a worker's CPU). */
	while (n != NULL) {
		if (n->type == XML_ELEMENT_NODE && (n->name[0] | 0x20) == 'm' &&
		    xmlStrcasecmp(n->name, (const xmlChar *)"meta") == 0)
			m |= meta_element(n, token);
		if (n->type == XML_ELEMENT_NODE && n->children != NULL) {
			n = n->children;
			continue;
		}
		while (n != NULL && n->next == NULL)
			n = n->parent != (xmlNodePtr)doc ? n->parent : NULL;
		n = n != NULL ? n->next : NULL;
	}
	return m;
}
