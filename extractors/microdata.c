/*
 * microdata.c: paths into a page's microdata (itemscope, itemtype, itemprop), as the
 * HTML standard defines items and property values (see structured.h).
 *
 * Walks the parsed document without recursion over its depth (a page may nest
 * elements thousands deep); recursion is only over the path's segments, at most
 * SD_MAX_SEGMENTS.
 */
#include "config.h"

#include "structured.h"

#include <string.h>

#include "buf.h"
#include "field.h"

struct mwalk {
	const struct sd_path *p;
	const struct url_base *base;
	sd_value_fn fn;
	void *ctx;
	size_t yielded;
};

static bool
is_element(xmlNodePtr n)
{
	return n != NULL && n->type == XML_ELEMENT_NODE;
}

static bool
has_attr(xmlNodePtr n, const char *name)
{
	return xmlHasProp(n, (const xmlChar *)name) != NULL;
}

static bool
named(xmlNodePtr n, const char *name)
{
	return xmlStrcasecmp(n->name, (const xmlChar *)name) == 0;
}

/* Is word one of the space-separated tokens of list (exactly, or its last part after
 * '/' or '#' when last_part)?  "*" is any, when the list has a token at all. */
static bool
token_in(const char *list, const char *word, bool last_part)
{
	const char *p = list, *end = list + strlen(list);
	size_t wn = strlen(word), k;

	while (p < end) {
		const char *s, *last;
		if ((k = field_space_len(p, (size_t)(end - p))) > 0) {
			p += k;
			continue;
		}
		s = p;
		while (p < end && field_space_len(p, (size_t)(end - p)) == 0)
			p++;
		if (strcmp(word, "*") == 0)
			return true;
		last = s;
		for (const char *q = s; last_part && q < p; q++) {
			if (*q == '/' || *q == '#')
				last = q + 1;
		}
		if (((size_t)(p - s) == wn && memcmp(s, word, wn) == 0) ||
		    ((size_t)(p - last) == wn && memcmp(last, word, wn) == 0))
			return true;
	}
	return false;
}

static bool
attr_has_token(xmlNodePtr n, const char *attr, const char *word, bool last_part)
{
	xmlChar *v = xmlGetProp(n, (const xmlChar *)attr);
	bool yes = v != NULL && token_in((const char *)v, word, last_part);

	xmlFree(v);
	return yes;
}

/* Hand an attribute's value over, as an absolute URL when url (and base allows). */
static int
give_attr(struct mwalk *w, xmlNodePtr n, const char *attr, bool url)
{
	xmlChar *v = xmlGetProp(n, (const xmlChar *)attr);
	struct buf abs;
	int rc;

	if (v == NULL)
		return 0;
	buf_init(&abs, URL_MAX * 4);
	w->yielded++;
	if (url && w->base != NULL && url_resolve_value(w->base, (const char *)v, &abs) == 0)
		rc = w->fn(w->ctx, abs.data, abs.len);
	else
		rc = w->fn(w->ctx, (const char *)v, strlen((const char *)v));
	buf_free(&abs);
	xmlFree(v);
	return rc;
}

/* A property element's value (the HTML standard's "property value"). */
static int
give_value(struct mwalk *w, xmlNodePtr n)
{
	static const char *const src[] = { "audio", "embed", "iframe", "img", "source",
					   "track", "video" };
	xmlChar *text;
	int rc;

	if (w->yielded >= SD_MAX_VALUES)
		return 1;
	if (!has_attr(n, "itemscope")) {
		if (named(n, "meta"))
			return give_attr(w, n, "content", false);
		for (size_t i = 0; i < sizeof src / sizeof src[0]; i++) {
			if (named(n, src[i]))
				return give_attr(w, n, "src", true);
		}
		if (named(n, "a") || named(n, "area") || named(n, "link"))
			return give_attr(w, n, "href", true);
		if (named(n, "object"))
			return give_attr(w, n, "data", true);
		if (named(n, "data") || named(n, "meter"))
			return give_attr(w, n, "value", false);
		if (named(n, "time") && has_attr(n, "datetime"))
			return give_attr(w, n, "datetime", false);
	}
	if ((text = xmlNodeGetContent(n)) == NULL)
		return 0;
	w->yielded++;
	rc = w->fn(w->ctx, (const char *)text, strlen((const char *)text));
	xmlFree(text);
	return rc;
}

static int item_props(struct mwalk *w, xmlNodePtr item, size_t i);

/* A property of the item at segment i: a value at the end of the path, else a nested
 * item to go into. */
static int
on_prop(struct mwalk *w, xmlNodePtr n, size_t i)
{
	if (!attr_has_token(n, "itemprop", w->p->seg[i], false))
		return 0;
	if (i + 1 == w->p->n)
		return give_value(w, n);
	return has_attr(n, "itemscope") ? item_props(w, n, i + 1) : 0;
}

/* The properties of item (its descendants with itemprop, not going into nested items)
 * named by segment i. */
static int
item_props(struct mwalk *w, xmlNodePtr item, size_t i)
{
	xmlNodePtr n = item->children;
	int rc;

	while (n != NULL && n != item) {
		bool descend = false;
		if (is_element(n)) {
			if (has_attr(n, "itemprop") && (rc = on_prop(w, n, i)) != 0)
				return rc;
			descend = n->children != NULL && !has_attr(n, "itemscope");
		}
		if (descend) {
			n = n->children;
			continue;
		}
		while (n != item && n->next == NULL)
			n = n->parent;
		if (n != item)
			n = n->next;
	}
	return 0;
}

int
microdata_values(xmlDocPtr doc, const struct sd_path *p, const struct url_base *base,
		 sd_value_fn fn, void *ctx)
{
	struct mwalk w = { p, base, fn, ctx, 0 };
	xmlNodePtr root = xmlDocGetRootElement(doc), n = root;
	int rc;

	while (n != NULL) {
		if (is_element(n) && has_attr(n, "itemscope") && !has_attr(n, "itemprop") &&
		    (strcmp(p->seg[0], "*") == 0 || attr_has_token(n, "itemtype", p->seg[0], true))) {
			if (p->n == 1)
				rc = give_value(&w, n);
			else
				rc = item_props(&w, n, 1);
			if (rc != 0)
				return rc;
		}
		/* Every element, nested items too: an item inside another that is not its
		 * property is an item of its own. */
		if (is_element(n) && n->children != NULL) {
			n = n->children;
			continue;
		}
		while (n != NULL && n != root && n->next == NULL)
			n = n->parent;
		n = n != NULL && n != root ? n->next : NULL;
	}
	return 0;
}
