/*
 * robots.c: robots.txt parsing and matching per RFC 9309 (see robots.h).
 *
 * Parsing is one pass over the lines.  Only the groups that apply to our product token
 * are kept: rules of groups naming us go to one list, rules of "*" groups to another,
 * and at the end the first list wins if any group named us (even a group with no
 * rules), else the second; the other is thrown away.
 *
 * Patterns and paths are compared in one normal form: %XX of an unreserved character
 * decoded, the hex of every other %XX upper-cased, and raw octets that are not legal in
 * a URI (controls, space, non-ASCII, "<>\^`{|} and a lone %) percent-encoded, so
 * "/caf\xc3\xa9" in the file matches the request path "/caf%C3%A9".  A literal '*' or
 * '$' is encoded too (%2A, %24), as RFC 9309 2.2.3 asks, which leaves a raw '*' byte in
 * a normalised pattern meaning "any sequence" and nothing else.
 *
 * A pattern is matched segment by segment (the pieces between '*'s): the first at the
 * start of the path, each later one at its leftmost place after the previous, found
 * with Knuth-Morris-Pratt, so one match costs O(path + pattern) whatever the pattern.
 */
#include "worker/robots.h"

#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

struct robots_rule {
	char *pat;		/* normalised pattern; each '*' byte is a wildcard */
	uint32_t *fail;		/* KMP failure function of each '*'-free segment of pat */
	size_t len;		/* bytes in pat */
	size_t weight;		/* specificity: octets of the normalised pattern, '$' included */
	bool allow;
	bool anchored;		/* the pattern ended in '$': it must reach the end of the path */
};

struct robots {
	struct robots_rule *rules;	/* by weight, most first; allow first among equals */
	size_t nrules;
	double delay;			/* Crawl-delay, or -1 */
	bool deny_all;
};

/* Rules gathered while parsing for one kind of group (ours by name, or "*"). */
struct robots_list {
	struct robots_rule *rules;
	size_t n, cap;
	double delay;
	bool found;	/* such a group exists, even one without rules */
};

struct robots_parser {
	const char *tok;	/* our product token (in the caller's user_agent) */
	size_t toklen;
	struct robots_list named, global;
	bool in_group;		/* a user-agent line has been seen */
	bool after_rule;	/* an allow/disallow line came after the last user-agent line */
	bool cur_named;		/* the current group names us */
	bool cur_global;	/* the current group is a "*" group */
	bool oom;
};

enum robots_key { KEY_OTHER, KEY_AGENT, KEY_ALLOW, KEY_DISALLOW, KEY_DELAY, KEY_SITEMAP };

#define NOT_FOUND SIZE_MAX

/* ---- characters ---- */

static int
robots_lower(int c)
{
	return c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c;
}

static bool
robots_same_nocase(const char *a, const char *b, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (robots_lower((unsigned char)a[i]) != robots_lower((unsigned char)b[i]))
			return false;
	return true;
}

static bool
robots_is_token_char(int c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' || c == '-';
}

static bool
robots_is_ws(int c)
{
	return c == ' ' || c == '\t';
}

static int
robots_hex(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	c = robots_lower(c);
	return c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

static bool
robots_is_unreserved(int c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	    c == '-' || c == '.' || c == '_' || c == '~';
}

/* Raw octets written percent-encoded in the normal form. */
static bool
robots_must_encode(int c)
{
	return c <= 0x20 || c >= 0x7f || (c != '\0' && strchr("\"<>\\^`{|}*$%", c) != NULL);
}

static size_t
robots_token_span(const char *s, size_t n)
{
	size_t k = 0;

	while (k < n && robots_is_token_char((unsigned char)s[k]))
		k++;
	return k;
}

/* ---- normal form ---- */

static size_t
robots_put_pct(char *out, size_t o, int c)
{
	static const char hex[] = "0123456789ABCDEF";

	if (out != NULL) {
		out[o] = '%';
		out[o + 1] = hex[c >> 4];
		out[o + 2] = hex[c & 15];
	}
	return o + 3;
}

/*
 * Write the normal form of s[0..n) to out, unless out is NULL, and return its length
 * (at most 3n).  With wildcards, a raw '*' stays a raw '*'.
 */
static size_t
robots_normalise(const char *s, size_t n, bool wildcards, char *out)
{
	size_t o = 0;

	for (size_t i = 0; i < n; i++) {
		int c = (unsigned char)s[i];

		if (c == '%' && n - i > 2 && robots_hex(s[i + 1]) >= 0 && robots_hex(s[i + 2]) >= 0) {
			c = robots_hex(s[i + 1]) * 16 + robots_hex(s[i + 2]);
			i += 2;
			if (!robots_is_unreserved(c)) {
				o = robots_put_pct(out, o, c);
				continue;
			}
		} else if (robots_must_encode(c) && !(wildcards && c == '*')) {
			o = robots_put_pct(out, o, c);
			continue;
		}
		if (out != NULL)
			out[o] = (char)c;
		o++;
	}
	return o;
}

/* ---- rules ---- */

/* Knuth-Morris-Pratt failure function of every '*'-free segment of r->pat. */
static void
robots_rule_fail(struct robots_rule *r)
{
	size_t start = 0;

	for (size_t i = 0; i < r->len; i++) {
		size_t j;

		if (r->pat[i] == '*') {
			r->fail[i] = 0;
			start = i + 1;
			continue;
		}
		if (i == start) {
			r->fail[i] = 0;
			continue;
		}
		j = r->fail[i - 1];
		while (j > 0 && r->pat[i] != r->pat[start + j])
			j = r->fail[start + j - 1];
		if (r->pat[i] == r->pat[start + j])
			j++;
		r->fail[i] = (uint32_t)j;
	}
}

/* Fill r from the value v[0..n) of an allow/disallow line.  0, or -1 out of memory. */
static int
robots_rule_init(struct robots_rule *r, bool allow, const char *v, size_t n)
{
	size_t len, o = 0;
	char *block;

	r->allow = allow;
	r->anchored = n > 0 && v[n - 1] == '$';
	if (r->anchored)
		n--;
	len = robots_normalise(v, n, true, NULL);
	r->weight = len + r->anchored;
	block = malloc(len * sizeof *r->fail + len + 1);
	if (block == NULL)
		return -1;
	r->fail = (uint32_t *)(void *)block;
	r->pat = block + len * sizeof *r->fail;
	robots_normalise(v, n, true, r->pat);
	/* "**" is "*": keep one of each run. */
	for (size_t i = 0; i < len; i++)
		if (r->pat[i] != '*' || o == 0 || r->pat[o - 1] != '*')
			r->pat[o++] = r->pat[i];
	r->pat[o] = '\0';
	r->len = o;
	robots_rule_fail(r);
	return 0;
}

static void
robots_rule_free(struct robots_rule *r)
{
	free(r->fail); /* pat lives in the same block */
}

/* Where the segment seg[0..k) (failure function fail) first ends in t[pos..n), or
 * NOT_FOUND. */
static size_t
robots_find(const char *t, size_t pos, size_t n, const char *seg, const uint32_t *fail, size_t k)
{
	size_t j = 0;

	if (k == 0)
		return pos;
	for (size_t i = pos; i < n; i++) {
		while (j > 0 && t[i] != seg[j])
			j = fail[j - 1];
		if (t[i] == seg[j])
			j++;
		if (j == k)
			return i + 1;
	}
	return NOT_FOUND;
}

/* Whether rule r matches the normalised path t[0..n). */
static bool
robots_rule_matches(const struct robots_rule *r, const char *t, size_t n)
{
	const char *p = r->pat, *star = memchr(p, '*', r->len);
	size_t k = star != NULL ? (size_t)(star - p) : r->len;
	size_t pos = k, s;

	if (k > n || memcmp(t, p, k) != 0)
		return false;
	if (star == NULL)
		return !r->anchored || n == k;
	for (s = k + 1;; s = k + 1) {
		star = memchr(p + s, '*', r->len - s);
		k = star != NULL ? (size_t)(star - p) : r->len; /* this segment is p[s..k) */
		if (star == NULL && r->anchored)
			return n - pos >= k - s && memcmp(t + n - (k - s), p + s, k - s) == 0;
		pos = robots_find(t, pos, n, p + s, r->fail + s, k - s);
		if (pos == NOT_FOUND || star == NULL)
			return pos != NOT_FOUND;
	}
}

static int
robots_by_weight(const void *a, const void *b)
{
	const struct robots_rule *x = a, *y = b;

	if (x->weight != y->weight)
		return x->weight < y->weight ? 1 : -1;
	return (int)y->allow - (int)x->allow;
}

/* ---- parsing ---- */

static void
robots_list_free(struct robots_list *l)
{
	for (size_t i = 0; i < l->n; i++)
		robots_rule_free(&l->rules[i]);
	free(l->rules);
	l->rules = NULL;
	l->n = l->cap = 0;
}

static void
robots_list_add(struct robots_parser *p, struct robots_list *l, bool allow, const char *v, size_t n)
{
	if (l->n >= ROBOTS_MAX_RULES)
		return;
	if (l->n == l->cap) {
		size_t cap = l->cap ? l->cap * 2 : 16;
		struct robots_rule *rules = realloc(l->rules, cap * sizeof *rules);

		if (rules == NULL) {
			p->oom = true;
			return;
		}
		l->rules = rules;
		l->cap = cap;
	}
	if (robots_rule_init(&l->rules[l->n], allow, v, n) == -1) {
		p->oom = true;
		return;
	}
	l->n++;
}

static void
robots_on_agent(struct robots_parser *p, const char *v, size_t n)
{
	size_t k;

	if (p->after_rule) { /* a new group */
		p->cur_named = p->cur_global = false;
		p->after_rule = false;
	}
	p->in_group = true;
	if (n >= 1 && v[0] == '*' && (n == 1 || robots_is_ws((unsigned char)v[1]))) {
		p->cur_global = p->global.found = true;
		return;
	}
	k = robots_token_span(v, n);
	if (k > 0 && k == p->toklen && robots_same_nocase(v, p->tok, k))
		p->cur_named = p->named.found = true;
}

static void
robots_on_rule(struct robots_parser *p, bool allow, const char *v, size_t n)
{
	if (!p->in_group) /* rules before any user-agent line belong to no group */
		return;
	p->after_rule = true;
	if (n == 0) /* "Disallow:" with no path matches nothing */
		return;
	if (p->cur_named)
		robots_list_add(p, &p->named, allow, v, n);
	if (p->cur_global)
		robots_list_add(p, &p->global, allow, v, n);
}

/* A Crawl-delay value: digits with an optional fraction ("10", "0.5", ".5"). */
static bool
robots_number(const char *s, size_t n, double *out)
{
	double v = 0, scale = 1;
	size_t i = 0, digits = 0;

	for (; i < n && s[i] >= '0' && s[i] <= '9'; i++, digits++)
		v = v * 10 + (s[i] - '0');
	if (i < n && s[i] == '.')
		for (i++; i < n && s[i] >= '0' && s[i] <= '9'; i++, digits++) {
			scale /= 10;
			v += (s[i] - '0') * scale;
		}
	if (i != n || digits == 0 || !isfinite(v))
		return false;
	*out = v;
	return true;
}

static void
robots_on_delay(struct robots_parser *p, const char *v, size_t n)
{
	double d;

	if (!robots_number(v, n, &d))
		return;
	if (p->cur_named && d > p->named.delay)
		p->named.delay = d;
	if (p->cur_global && d > p->global.delay)
		p->global.delay = d;
}

static enum robots_key
robots_key(const char *k, size_t n)
{
	static const struct {
		const char *name;
		enum robots_key key;
	} keys[] = {
		{ "user-agent", KEY_AGENT },
		{ "allow", KEY_ALLOW },
		{ "disallow", KEY_DISALLOW },
		{ "crawl-delay", KEY_DELAY },
		{ "sitemap", KEY_SITEMAP },
	};

	for (size_t i = 0; i < sizeof keys / sizeof keys[0]; i++)
		if (strlen(keys[i].name) == n && robots_same_nocase(k, keys[i].name, n))
			return keys[i].key;
	return KEY_OTHER;
}

/* Trim spaces and tabs from both ends of s[0..*n); returns the new start. */
static const char *
robots_trim(const char *s, size_t *n)
{
	while (*n > 0 && robots_is_ws((unsigned char)s[0])) {
		s++;
		(*n)--;
	}
	while (*n > 0 && robots_is_ws((unsigned char)s[*n - 1]))
		(*n)--;
	return s;
}

/* One line, its end of line removed: "key: value # comment". */
static void
robots_on_line(struct robots_parser *p, const char *s, size_t n)
{
	const char *hash = memchr(s, '#', n), *colon, *key, *val;
	size_t keylen, vallen;

	if (hash != NULL)
		n = (size_t)(hash - s);
	if ((colon = memchr(s, ':', n)) == NULL)
		return;
	keylen = (size_t)(colon - s);
	vallen = n - keylen - 1;
	key = robots_trim(s, &keylen);
	val = robots_trim(colon + 1, &vallen);
	switch (robots_key(key, keylen)) {
	case KEY_AGENT:
		robots_on_agent(p, val, vallen);
		break;
	case KEY_ALLOW:
		robots_on_rule(p, true, val, vallen);
		break;
	case KEY_DISALLOW:
		robots_on_rule(p, false, val, vallen);
		break;
	case KEY_DELAY:
		robots_on_delay(p, val, vallen);
		break;
	case KEY_SITEMAP: /* not tied to a group; nothing for us */
	case KEY_OTHER:
		break;
	}
}

/*
 * How much of the body to read: all of it up to ROBOTS_MAX_BYTES; past that, up to
 * the end of the last whole line before the limit, so a cut line ("Allow: /pu" from
 * "Allow: /public/x") never widens a rule.
 */
static size_t
robots_readable(const char *body, size_t len)
{
	if (len <= ROBOTS_MAX_BYTES)
		return len;
	len = ROBOTS_MAX_BYTES;
	if (body[len] == '\n' || body[len] == '\r')
		return len;
	while (len > 0 && body[len - 1] != '\n' && body[len - 1] != '\r')
		len--;
	return len;
}

static void
robots_scan(struct robots_parser *p, const char *body, size_t len)
{
	size_t i = 0, j;

	len = robots_readable(body, len);
	if (len >= 3 && memcmp(body, "\xef\xbb\xbf", 3) == 0)
		i = 3;
	while (i < len && !p->oom) {
		for (j = i; j < len && body[j] != '\n' && body[j] != '\r'; j++)
			;
		robots_on_line(p, body + i, j - i);
		if (j + 1 < len && body[j] == '\r' && body[j + 1] == '\n')
			j++;
		i = j + 1;
	}
}

static struct robots *
robots_new(void)
{
	struct robots *r = calloc(1, sizeof *r);

	if (r != NULL)
		r->delay = -1;
	return r;
}

struct robots *
robots_parse(const char *body, size_t len, const char *user_agent)
{
	struct robots_parser p = { 0 };
	struct robots_list *use;
	struct robots *r;

	if (user_agent == NULL)
		user_agent = "";
	while (robots_is_ws((unsigned char)*user_agent))
		user_agent++;
	p.tok = user_agent;
	p.toklen = robots_token_span(user_agent, strlen(user_agent));
	p.named.delay = p.global.delay = -1;
	if (body != NULL)
		robots_scan(&p, body, len);
	use = p.named.found ? &p.named : p.global.found ? &p.global : NULL;
	if (p.oom || (r = robots_new()) == NULL) {
		robots_list_free(&p.named);
		robots_list_free(&p.global);
		return NULL;
	}
	if (use != NULL) {
		r->rules = use->rules;
		r->nrules = use->n;
		r->delay = use->delay;
		use->rules = NULL;
		use->n = 0;
		if (r->nrules > 1)
			qsort(r->rules, r->nrules, sizeof *r->rules, robots_by_weight);
	}
	robots_list_free(&p.named);
	robots_list_free(&p.global);
	return r;
}

struct robots *
robots_allow_all(void)
{
	return robots_new();
}

struct robots *
robots_disallow_all(void)
{
	struct robots *r = robots_new();

	if (r != NULL)
		r->deny_all = true;
	return r;
}

struct robots *
robots_from_status(int status, const char *body, size_t len, const char *user_agent)
{
	if (status >= 200 && status <= 299)
		return robots_parse(body, len, user_agent);
	if (status >= 300 && status <= 499 && status != 429)
		return robots_allow_all();
	return robots_disallow_all();
}

void
robots_free(struct robots *r)
{
	if (r == NULL)
		return;
	for (size_t i = 0; i < r->nrules; i++)
		robots_rule_free(&r->rules[i]);
	free(r->rules);
	free(r);
}

/* ---- queries ---- */

static bool
robots_is_robots_txt(const char *t, size_t n)
{
	return n >= 11 && memcmp(t, "/robots.txt", 11) == 0 && (n == 11 || t[11] == '?');
}

/*
 * The verdict for the normalised path t[0..n): the longest match wins, allow on a tie.
 * The rules are sorted by weight, allow rules first among equals, so the first rule
 * that matches decides.
 */
static bool
robots_verdict(const struct robots *r, const char *t, size_t n)
{
	if (robots_is_robots_txt(t, n))
		return true;
	if (r->deny_all)
		return false;
	for (size_t i = 0; i < r->nrules; i++)
		if (robots_rule_matches(&r->rules[i], t, n))
			return r->rules[i].allow;
	return true;
}

bool
robots_allows(const struct robots *r, const char *path)
{
	char stack[1024], *t;
	size_t plen, n;
	bool ok;

	if (path == NULL || *path == '\0')
		path = "/";
	plen = strlen(path);
	n = robots_normalise(path, plen, false, NULL);
	t = n <= sizeof stack ? stack : malloc(n);
	if (t == NULL)
		return false;
	robots_normalise(path, plen, false, t);
	ok = robots_verdict(r, t, n);
	if (t != stack)
		free(t);
	return ok;
}

double
robots_crawl_delay(const struct robots *r)
{
	return r->delay;
}

size_t
robots_product_token(const char *user_agent, char *out, size_t outlen)
{
	size_t k;

	if (user_agent == NULL)
		user_agent = "";
	while (robots_is_ws((unsigned char)*user_agent))
		user_agent++;
	k = robots_token_span(user_agent, strlen(user_agent));
	if (outlen > 0) {
		size_t w = k < outlen ? k : outlen - 1;

		memcpy(out, user_agent, w);
		out[w] = '\0';
	}
	return k;
}
