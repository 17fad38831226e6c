/*
 * cssmatch.c: CSS selectors matched on a parsed page directly (see cssmatch.h).
 */
#include "cssmatch.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <libxml/xpathInternals.h>

/* ---- plans ---- */

void
css_plan_free(struct css_plan *plan)
{
	if (plan == NULL)
		return;
	for (size_t i = 0; i < plan->n; i++) {
		struct css_nsel *s = &plan->sel[i];

		for (size_t j = 0; j < s->n; j++) {
			for (size_t k = 0; k < s->c[j].ncond; k++) {
				free(s->c[j].cond[k].name);
				free(s->c[j].cond[k].value);
			}
			free(s->c[j].cond);
			free(s->c[j].type);
		}
		free(s->c);
		free(s->attr);
	}
	free(plan->sel);
	free(plan);
}

/* ---- the page's index ---- */

/* The elements of one name, in document order. */
struct css_bucket {
	const xmlChar *name; /* NULL: an empty slot */
	size_t *at;	     /* indexes into el */
	size_t n, cap;
};

struct css_index {
	xmlDocPtr doc;	 /* NULL: nothing indexed */
	xmlNodePtr *el;	 /* every element, in document order */
	size_t *end;	 /* el[i]'s subtree is el[i .. end[i]) */
	size_t n, cap;
	struct css_bucket *b; /* open addressing by name; nb a power of two */
	size_t nb, used;
	unsigned char *mark; /* mcap bytes, all 0 between evaluations */
	size_t mcap;
	size_t *memo;	     /* sel_mark's memory of searches, memo_cap slots */
	size_t memo_cap;
};

/* strcmp(a, b) == 0 inline: names are short, and most differ at the first byte. */
static bool
same_name(const xmlChar *a, const char *b)
{
	while (*a != '\0' && *a == (xmlChar)*b) {
		a++;
		b++;
	}
	return *a == (xmlChar)*b;
}

/* An element's number, as the index (and xmlXPathOrderDocElems) wrote it. */
static size_t
el_index(xmlNodePtr e)
{
	return (size_t)(-(ptrdiff_t)e->content) - 1;
}

static bool
el_indexed(const struct css_index *ix, xmlNodePtr e)
{
	ptrdiff_t v = (ptrdiff_t)e->content;

	return e->type == XML_ELEMENT_NODE && e->doc == ix->doc && v < 0 &&
	       (size_t)-v <= ix->n && ix->el[(size_t)-v - 1] == e;
}

static uint32_t
name_hash(const xmlChar *s)
{
	uint32_t h = 2166136261u;

	for (; *s; s++)
		h = (h ^ *s) * 16777619u;
	return h;
}

static struct css_bucket *
bucket_find(const struct css_index *ix, const xmlChar *name)
{
	size_t i = name_hash(name) & (ix->nb - 1);

	for (;; i = (i + 1) & (ix->nb - 1)) {
		struct css_bucket *b = &ix->b[i];
		if (b->name == NULL || b->name == name || same_name(b->name, (const char *)name))
			return b;
	}
}

static int
bucket_grow(struct css_index *ix)
{
	struct css_bucket *old = ix->b;
	size_t nold = ix->nb, nb = nold ? nold * 2 : 64;

	if ((ix->b = calloc(nb, sizeof *ix->b)) == NULL) {
		ix->b = old;
		return -1;
	}
	ix->nb = nb;
	for (size_t i = 0; i < nold; i++) {
		if (old[i].name != NULL)
			*bucket_find(ix, old[i].name) = old[i];
		else
			free(old[i].at); /* an earlier page's, in a slot this page left empty */
	}
	free(old);
	return 0;
}

static int
index_add(struct css_index *ix, xmlNodePtr e)
{
	struct css_bucket *b;

	if (ix->n == ix->cap) {
		size_t cap = ix->cap ? ix->cap * 2 : 256;
		xmlNodePtr *el = realloc(ix->el, cap * sizeof *el);
		size_t *end;

		if (el == NULL)
			return -1;
		ix->el = el;
		if ((end = realloc(ix->end, cap * sizeof *end)) == NULL)
			return -1;
		ix->end = end;
		ix->cap = cap;
	}
	if ((ix->used + 1) * 2 > ix->nb && bucket_grow(ix) == -1)
		return -1;
	b = bucket_find(ix, e->name);
	if (b->name == NULL) { /* a slot's array stays from an earlier page */
		b->name = e->name;
		b->n = 0;
		ix->used++;
	}
	if (b->n == b->cap) {
		size_t cap = b->cap ? b->cap * 2 : 8, *at = realloc(b->at, cap * sizeof *at);
		if (at == NULL)
			return -1;
		b->at = at;
		b->cap = cap;
	}
	b->at[b->n++] = ix->n;
	ix->el[ix->n] = e;
	ix->end[ix->n] = ix->n + 1;
	e->content = (xmlChar *)(-(ptrdiff_t)(ix->n + 1));
	ix->n++;
	return 0;
}

/* Arrays kept between pages up to this many elements; a bigger page's go. */
#define KEEP_ELEMENTS 65536

static void
index_clear(struct css_index *ix)
{
	ix->doc = NULL;
	ix->n = 0;
	ix->used = 0;
	for (size_t i = 0; i < ix->nb; i++)
		ix->b[i].name = NULL;
	if (ix->cap > KEEP_ELEMENTS) {
		for (size_t i = 0; i < ix->nb; i++) {
			free(ix->b[i].at);
			ix->b[i].at = NULL;
			ix->b[i].n = ix->b[i].cap = 0;
		}
		free(ix->el);
		free(ix->end);
		free(ix->mark);
		free(ix->memo);
		ix->el = NULL;
		ix->end = NULL;
		ix->mark = NULL;
		ix->memo = NULL;
		ix->cap = ix->mcap = ix->memo_cap = 0;
	}
	if (ix->memo_cap > 2 * KEEP_ELEMENTS) { /* a selector of many runs on a big page */
		free(ix->memo);
		ix->memo = NULL;
		ix->memo_cap = 0;
	}
}

int
css_index_rebuild(struct css_index *ix, xmlDocPtr doc)
{
	xmlNodePtr cur;

	index_clear(ix);
	if (ix->nb == 0 && bucket_grow(ix) == -1)
		return -1;
	ix->doc = doc;
	/* Elements in document order; only elements have children in an HTML tree. */
	for (cur = doc->children; cur != NULL;) {
		if (cur->type == XML_ELEMENT_NODE && cur->name != NULL) {
			if (index_add(ix, cur) == -1)
				goto fail;
			if (cur->children != NULL) {
				cur = cur->children;
				continue;
			}
		}
		while (cur != NULL && cur->next == NULL) {
			cur = cur->parent;
			if (cur == NULL || cur == (xmlNodePtr)doc) {
				cur = NULL;
				break;
			}
			if (el_indexed(ix, cur))
				ix->end[el_index(cur)] = ix->n;
		}
		if (cur != NULL)
			cur = cur->next;
	}
	/* marks: one byte an element, all 0 between evaluations */
	if (ix->mcap < ix->n + 1) {
		free(ix->mark);
		ix->mcap = 0;
		if ((ix->mark = calloc(ix->cap + 1, 1)) == NULL)
			goto fail;
		ix->mcap = ix->cap + 1;
	}
	return 0;
fail:
	index_clear(ix);
	return -1;
}

struct css_index *
css_index_new(xmlDocPtr doc)
{
	struct css_index *ix = calloc(1, sizeof *ix);

	if (ix != NULL && css_index_rebuild(ix, doc) == -1) {
		css_index_free(ix);
		return NULL;
	}
	return ix;
}

void
css_index_free(struct css_index *ix)
{
	if (ix == NULL)
		return;
	for (size_t i = 0; i < ix->nb; i++)
		free(ix->b[i].at);
	free(ix->b);
	free(ix->el);
	free(ix->end);
	free(ix->mark);
	free(ix->memo);
	free(ix);
}

/* ---- one element against one compound ---- */

/* An attribute's string value as XPath reads it; *owned when it had to be made. */
static const xmlChar *
attr_value(xmlAttrPtr a, xmlChar **owned)
{
	xmlNodePtr t = a->children;

	*owned = NULL;
	if (t == NULL)
		return (const xmlChar *)"";
	if (t->next == NULL && (t->type == XML_TEXT_NODE || t->type == XML_CDATA_SECTION_NODE))
		return t->content != NULL ? t->content : (const xmlChar *)"";
	*owned = xmlNodeGetContent((xmlNodePtr)a);
	return *owned != NULL ? *owned : (const xmlChar *)"";
}

static bool
attr_named(xmlAttrPtr a, const char *name)
{
	return a->type == XML_ATTRIBUTE_NODE && a->ns == NULL && same_name(a->name, name);
}

/* XPath's normalize-space splits at these four. */
static bool
xml_blank(int c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

static bool
has_word(const char *list, const char *word)
{
	size_t n = strlen(word);

	for (const char *p = list; *p;) {
		size_t k;

		while (xml_blank((unsigned char)*p))
			p++;
		for (k = 0; p[k] != '\0' && !xml_blank((unsigned char)p[k]); k++)
			;
		if (k == n && memcmp(p, word, n) == 0)
			return true;
		p += k;
	}
	return false;
}

static bool
equal_icase(const char *s, const char *lower)
{
	for (; *s && *lower; s++, lower++) {
		int c = (unsigned char)*s;
		if (c >= 'A' && c <= 'Z')
			c += 'a' - 'A';
		if (c != (unsigned char)*lower)
			return false;
	}
	return *s == *lower;
}

static bool
cond_ok(const struct css_ncond *c, xmlNodePtr e)
{
	xmlChar *owned;
	bool ok = false;

	for (xmlAttrPtr a = e->properties; a != NULL; a = a->next) {
		const char *v;

		if (!attr_named(a, c->name))
			continue;
		if (c->kind == CSS_NC_HAS)
			return true;
		v = (const char *)attr_value(a, &owned);
		switch (c->kind) {
		case CSS_NC_ID:
		case CSS_NC_EQ:
			ok = strcmp(v, c->value) == 0;
			break;
		case CSS_NC_CLASS:
			ok = has_word(v, c->value);
			break;
		case CSS_NC_EQ_ICASE:
			ok = equal_icase(v, c->value);
			break;
		case CSS_NC_HAS:
			break;
		}
		xmlFree(owned);
		/* = is true of any attribute of the name; the others read the first only */
		if (ok || c->kind == CSS_NC_CLASS || c->kind == CSS_NC_EQ_ICASE)
			return ok;
	}
	return false;
}

static bool
comp_ok(const struct css_ncomp *c, xmlNodePtr e)
{
	if (c->type != NULL && (e->ns != NULL || !same_name(e->name, c->type)))
		return false;
	for (size_t i = 0; i < c->ncond; i++)
		if (!cond_ok(&c->cond[i], e))
			return false;
	return true;
}

/* ---- a selector, right to left ---- */

/* An element of the scope: the context's subtree (numbers from lo on, for ancestors of
 * an element inside it). */
static xmlNodePtr
scoped_parent(xmlNodePtr e, size_t lo)
{
	xmlNodePtr p = e->parent;

	if (p == NULL || p->type != XML_ELEMENT_NODE || el_index(p) < lo)
		return NULL;
	return p;
}

/* c[j..k] (joined by '>') with c[k] at y: the element where c[j] lands, or NULL. */
static xmlNodePtr
run_at(const struct css_nsel *s, size_t j, size_t k, xmlNodePtr y, size_t lo)
{
	for (size_t i = k;; i--) {
		if (!comp_ok(&s->c[i], y))
			return NULL;
		if (i == j)
			return y;
		if ((y = scoped_parent(y, lo)) == NULL)
			return NULL;
	}
}

/* The first compound of the run of '>'-joined compounds that ends at k. */
static size_t
run_start(const struct css_nsel *s, size_t k)
{
	while (k > 0 && s->c[k].child)
		k--;
	return k;
}

#define MEMO_NONE SIZE_MAX

/*
 * The run c[j..k] at the nearest place y at or above x (inside the scope) where it
 * fits: the element where c[j] lands, or NULL.  memo (one slot an element, 0: not
 * known yet) remembers the answer for every element the search climbed through, so
 * that no element is climbed through twice for this run: "div.x div" over 100,000
 * nested divs is one pass, not 100,000 (XPath takes minutes on "div div" there).
 */
static xmlNodePtr
nearest_run(const struct css_index *ix, const struct css_nsel *s, size_t j, size_t k,
	    xmlNodePtr x, size_t lo, size_t *memo)
{
	xmlNodePtr y, t = NULL;
	size_t answer = MEMO_NONE;

	for (y = x; y != NULL; y = scoped_parent(y, lo)) {
		if (memo[el_index(y)] != 0) {
			answer = memo[el_index(y)];
			break;
		}
		if ((t = run_at(s, j, k, y, lo)) != NULL) {
			answer = el_index(t) + 1;
			break;
		}
	}
	for (xmlNodePtr z = x; z != NULL; z = scoped_parent(z, lo)) {
		memo[el_index(z)] = answer;
		if (z == y)
			break;
	}
	return answer == MEMO_NONE ? NULL : ix->el[answer - 1];
}

/* Whether s matches element e, from right to left: the last run at e itself, each run
 * before it at the nearest place above where the one after it landed (exact: a lower
 * place leaves every place above it free).  memo: a slot an element for each run but
 * the last. */
static bool
sel_matches(const struct css_index *ix, const struct css_nsel *s, xmlNodePtr e, size_t lo,
	    size_t *memo)
{
	size_t k = s->n - 1, j = run_start(s, k);
	xmlNodePtr top = run_at(s, j, k, e, lo), x;

	for (size_t level = 0; top != NULL && j > 0; level++) {
		k = j - 1;
		j = run_start(s, k);
		if ((x = scoped_parent(top, lo)) == NULL)
			return false;
		top = nearest_run(ix, s, j, k, x, lo, memo + level * ix->n);
	}
	return top != NULL;
}

/* The runs of s but the last (the levels sel_matches needs memory for). */
static size_t
sel_levels(const struct css_nsel *s)
{
	size_t levels = 0;

	for (size_t k = run_start(s, s->n - 1); k > 0; k = run_start(s, k - 1))
		levels++;
	return levels;
}

/* Mark the elements of [lo, hi) that s matches.  -1: no memory (nothing marked). */
static int
sel_mark(const struct css_nsel *s, struct css_index *ix, size_t lo, size_t hi)
{
	const struct css_ncomp *last = &s->c[s->n - 1];
	size_t levels = sel_levels(s), i, first = lo, end = hi, *memo = NULL;
	const size_t *at = NULL;

	if (lo == hi)
		return 0; /* no element in scope (a page without any) */
	if (levels > 0) {
		if (levels * ix->n > ix->memo_cap) {
			free(ix->memo);
			ix->memo_cap = 0;
			if ((ix->memo = malloc(levels * ix->n * sizeof *ix->memo)) == NULL)
				return -1;
			ix->memo_cap = levels * ix->n;
		}
		memo = ix->memo;
		for (size_t l = 0; l < levels; l++)
			memset(memo + l * ix->n + lo, 0, (hi - lo) * sizeof *memo);
	}
	if (last->type != NULL) {
		const struct css_bucket *b = bucket_find(ix, (const xmlChar *)last->type);
		size_t r;

		if (b->name == NULL)
			return 0;
		at = b->at;
		/* the candidates: the bucket's part inside [lo, hi) */
		for (first = 0, r = b->n; first < r;) {
			size_t m = first + (r - first) / 2;
			if (at[m] < lo)
				first = m + 1;
			else
				r = m;
		}
		end = b->n;
	}
	for (i = first; i < end; i++) {
		size_t at_i = at != NULL ? at[i] : i;
		if (at_i >= hi)
			break;
		if (!ix->mark[at_i] && sel_matches(ix, s, ix->el[at_i], lo, memo))
			ix->mark[at_i] = 1;
	}
	return 0;
}

/* ---- what the matched elements give ---- */

static int
add(xmlNodeSetPtr set, xmlNodePtr n)
{
	return xmlXPathNodeSetAddUnique(set, n) < 0 ? -1 : 0;
}

static int
add_attrs(xmlNodeSetPtr set, xmlNodePtr e, const char *name)
{
	for (xmlAttrPtr a = e->properties; a != NULL; a = a->next)
		if (attr_named(a, name) && add(set, (xmlNodePtr)a) == -1)
			return -1;
	return 0;
}

static bool
is_text(xmlNodePtr n)
{
	return n->type == XML_TEXT_NODE || n->type == XML_CDATA_SECTION_NODE;
}

/* Every text node under e, in document order. */
static int
add_text_under(xmlNodeSetPtr set, xmlNodePtr e)
{
	xmlNodePtr cur = e->children;

	while (cur != NULL) {
		if (is_text(cur) && add(set, cur) == -1)
			return -1;
		if (cur->type == XML_ELEMENT_NODE && cur->children != NULL) {
			cur = cur->children;
			continue;
		}
		while (cur != NULL && cur->next == NULL) {
			cur = cur->parent;
			if (cur == e)
				cur = NULL;
		}
		if (cur != NULL)
			cur = cur->next;
	}
	return 0;
}

/* The marked elements of [lo, hi) through the projection, clearing the marks. */
static int
project(const struct css_nsel *s, struct css_index *ix, size_t lo, size_t hi,
	xmlNodeSetPtr set)
{
	size_t covered = lo; /* the DESC projections: elements inside a taken one are done */
	bool nested = false, fail = false;
	size_t last_end = lo;

	for (size_t i = lo; i < hi; i++) {
		xmlNodePtr e;

		if (!ix->mark[i])
			continue;
		ix->mark[i] = 0;
		if (fail)
			continue;
		e = ix->el[i];
		switch (s->proj) {
		case CSS_NP_ELEMENT:
			fail = add(set, e) == -1;
			break;
		case CSS_NP_TEXT:
			if (i < last_end)
				nested = true;
			if (ix->end[i] > last_end)
				last_end = ix->end[i];
			for (xmlNodePtr c = e->children; c != NULL && !fail; c = c->next)
				if (is_text(c))
					fail = add(set, c) == -1;
			break;
		case CSS_NP_ATTR:
			fail = add_attrs(set, e, s->attr) == -1;
			break;
		case CSS_NP_DESC_TEXT:
			if (i < covered)
				break;
			covered = ix->end[i];
			fail = add_text_under(set, e) == -1;
			break;
		case CSS_NP_DESC_ATTR:
			if (i < covered)
				break;
			covered = ix->end[i];
			for (size_t k = i; k < covered && !fail; k++)
				fail = add_attrs(set, ix->el[k], s->attr) == -1;
			break;
		}
	}
	if (!fail && nested)
		xmlXPathNodeSetSort(set);
	return fail ? -1 : 0;
}

xmlXPathObjectPtr
css_plan_eval(const struct css_plan *plan, struct css_index *ix, xmlNodePtr context)
{
	xmlNodeSetPtr set;
	xmlXPathObjectPtr res;
	size_t lo, hi;

	if (plan == NULL || ix == NULL || ix->doc == NULL || context == NULL)
		return NULL;
	if (context == (xmlNodePtr)ix->doc) {
		lo = 0;
		hi = ix->n;
	} else if (el_indexed(ix, context)) {
		lo = el_index(context);
		hi = ix->end[lo];
	} else {
		return NULL;
	}
	if ((set = xmlXPathNodeSetCreate(NULL)) == NULL)
		return NULL;
	for (size_t i = 0; i < plan->n; i++)
		if (sel_mark(&plan->sel[i], ix, lo, hi) == -1) {
			memset(ix->mark + lo, 0, hi - lo);
			xmlXPathFreeNodeSet(set);
			return NULL;
		}
	if (project(&plan->sel[0], ix, lo, hi, set) == -1 ||
	    (res = xmlXPathWrapNodeSet(set)) == NULL) {
		xmlXPathFreeNodeSet(set);
		return NULL;
	}
	return res;
}

xmlNodePtr
css_index_next(const struct css_index *ix, const char *name, size_t *pos)
{
	const struct css_bucket *b = bucket_find(ix, (const xmlChar *)name);

	if (ix->doc == NULL || b->name == NULL || *pos >= b->n)
		return NULL;
	return ix->el[b->at[(*pos)++]];
}

xmlAttrPtr
css_index_first_attr(const struct css_index *ix, const char *name, const char *attr)
{
	size_t pos = 0;
	xmlNodePtr e;

	while ((e = css_index_next(ix, name, &pos)) != NULL)
		for (xmlAttrPtr a = e->ns == NULL ? e->properties : NULL; a != NULL; a = a->next)
			if (attr_named(a, attr))
				return a;
	return NULL;
}
