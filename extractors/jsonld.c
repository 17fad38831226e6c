/*
 * jsonld.c: a page's JSON-LD, and paths into it (see structured.h); paths themselves.
 *
 * Each <script type="application/ld+json"> is parsed with jansson after a bounded
 * pre-scan (size, nesting depth: jansson versions before 2.13 recurse without a
 * limit), and its objects are kept in one list per page.  Nothing here trusts the
 * page: a script that does not parse is reported and skipped, and every count, size
 * and depth has a limit.
 */
#include "config.h"

#include "structured.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <jansson.h>

struct jsonld {
	json_t *objects;	/* an array of the page's top-level objects */
	size_t bytes;		/* script text read so far */
	size_t scripts;
};

/* ---- paths ---- */

void
sd_path_free(struct sd_path *p)
{
	for (size_t i = 0; i < p->n; i++)
		free(p->seg[i]);
	free(p->text);
	memset(p, 0, sizeof *p);
}

static int
path_error(size_t at, size_t *pos, char *msg, size_t msglen, const char *what)
{
	*pos = at;
	snprintf(msg, msglen, "%s", what);
	return -1;
}

int
sd_path_compile(const char *text, struct sd_path *out, size_t *pos, char *msg,
		size_t msglen)
{
	size_t start = 0, end = strlen(text), i;

	memset(out, 0, sizeof *out);
	while (start < end && (text[start] == ' ' || text[start] == '\t'))
		start++;
	while (end > start && (text[end - 1] == ' ' || text[end - 1] == '\t'))
		end--;
	if (start == end)
		return path_error(start, pos, msg, msglen, "empty path (expected Type.key...)");
	if (end - start > SD_MAX_PATH)
		return path_error(start, pos, msg, msglen, "path longer than 1024 bytes");
	for (i = start; i < end; i++) {
		unsigned char c = (unsigned char)text[i];
		if (c <= ' ' || c == 0x7f)
			return path_error(i, pos, msg, msglen,
					  "white space or a control character in the path");
	}
	for (i = start; i <= end; i++) {
		size_t s = i;
		while (i < end && text[i] != '.')
			i++;
		if (i == s) {
			sd_path_free(out);
			return path_error(s, pos, msg, msglen,
					  out->n == 0 && s == start
						  ? "the path must start with a type (or *)"
						  : "empty segment in the path (two dots, or a dot at the end)");
		}
		if (out->n == SD_MAX_SEGMENTS) {
			sd_path_free(out);
			return path_error(s, pos, msg, msglen, "more than 32 segments in the path");
		}
		if ((out->seg[out->n] = strndup(text + s, i - s)) == NULL) {
			sd_path_free(out);
			return path_error(SD_NO_POS, pos, msg, msglen, "out of memory");
		}
		out->n++;
	}
	if ((out->text = strndup(text + start, end - start)) == NULL) {
		sd_path_free(out);
		return path_error(SD_NO_POS, pos, msg, msglen, "out of memory");
	}
	return 0;
}

/* ---- reading scripts ---- */

struct jsonld *
jsonld_new(void)
{
	struct jsonld *ld = calloc(1, sizeof *ld);

	if (ld != NULL && (ld->objects = json_array()) == NULL) {
		free(ld);
		return NULL;
	}
	return ld;
}

void
jsonld_free(struct jsonld *ld)
{
	if (ld == NULL)
		return;
	json_decref(ld->objects);
	free(ld);
}

size_t
jsonld_count(const struct jsonld *ld)
{
	return json_array_size(ld->objects);
}

static bool
is_space(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f';
}

/* Take white space, and a wrapper that pages put around scripts (<!-- -->,
 * <![CDATA[ ]]> and their //-commented forms), off both ends of s[*from, *to). */
static void
unwrap(const char *s, size_t *from, size_t *to)
{
	static const char *const heads[] = { "<!--", "//<![CDATA[", "/*<![CDATA[*/", "<![CDATA[" };
	static const char *const tails[] = { "-->", "//]]>", "/*]]>*/", "]]>" };
	bool changed = true;

	while (changed) {
		changed = false;
		while (*from < *to && is_space(s[*from]))
			(*from)++;
		while (*to > *from && is_space(s[*to - 1]))
			(*to)--;
		for (size_t i = 0; i < sizeof heads / sizeof heads[0]; i++) {
			size_t n = strlen(heads[i]);
			if (*to - *from >= n && memcmp(s + *from, heads[i], n) == 0) {
				*from += n;
				changed = true;
			}
		}
		for (size_t i = 0; i < sizeof tails / sizeof tails[0]; i++) {
			size_t n = strlen(tails[i]);
			if (*to - *from >= n && memcmp(s + *to - n, tails[i], n) == 0) {
				*to -= n;
				changed = true;
			}
		}
	}
}

/*
 * Before jansson sees it: the nesting depth of s, counted outside strings, must stay
 * within JSONLD_MAX_DEPTH.  Also says whether it holds raw control characters.
 * 0, or -1 with msg.
 */
static int
prescan(const char *s, size_t n, bool *controls, char *msg, size_t msglen)
{
	size_t depth = 0, line = 1;
	bool in_string = false, escaped = false;

	*controls = false;
	for (size_t i = 0; i < n; i++) {
		char c = s[i];
		if ((unsigned char)c < 0x20) {
			*controls |= c != '\n' && c != '\r' && c != '\t' ? true : in_string;
			line += c == '\n';
		}
		if (in_string) {
			if (escaped)
				escaped = false;
			else if (c == '\\')
				escaped = true;
			else if (c == '"')
				in_string = false;
		} else if (c == '"') {
			in_string = true;
		} else if (c == '{' || c == '[') {
			if (++depth > JSONLD_MAX_DEPTH) {
				snprintf(msg, msglen, "nested deeper than %d levels (line %zu)",
					 JSONLD_MAX_DEPTH, line);
				return -1;
			}
		} else if ((c == '}' || c == ']') && depth > 0) {
			depth--;
		}
	}
	return 0;
}

/* Does v have an @type (a string, or an array with at least one string)? */
static bool
has_type(json_t *v)
{
	json_t *t = json_object_get(v, "@type");
	size_t i;
	json_t *e;

	if (json_is_string(t))
		return true;
	json_array_foreach(t, i, e) {
		if (json_is_string(e))
			return true;
	}
	return false;
}

/* Put object v (and its @graph's objects) on the list.  0, -2 out of memory. */
static int
keep(struct jsonld *ld, json_t *v)
{
	json_t *graph, *e;
	size_t i;

	if (!json_is_object(v))
		return 0;
	graph = json_object_get(v, "@graph");
	if (graph == NULL || has_type(v)) {
		if (json_array_size(ld->objects) >= JSONLD_MAX_OBJECTS)
			return 0;
		if (json_array_append(ld->objects, v) == -1)
			return -2;
	}
	if (json_is_object(graph))
		return keep(ld, graph);
	json_array_foreach(graph, i, e) {
		/* One level: a @graph inside a @graph element is data, not flattened. */
		if (!json_is_object(e))
			continue;
		if (json_array_size(ld->objects) >= JSONLD_MAX_OBJECTS)
			return 0;
		if (json_array_append(ld->objects, e) == -1)
			return -2;
	}
	return 0;
}

int
jsonld_add_text(struct jsonld *ld, const char *text, size_t len, char *msg, size_t msglen)
{
	size_t from = 0, to = len;
	json_error_t je;
	json_t *root, *e;
	char *copy = NULL;
	bool controls;
	size_t i;
	int rc = 0;

	if (len > JSONLD_MAX_SCRIPT) {
		snprintf(msg, msglen, "%zu bytes, over the limit of %u", len, JSONLD_MAX_SCRIPT);
		return -1;
	}
	unwrap(text, &from, &to);
	if (from == to) {
		snprintf(msg, msglen, "empty");
		return -1;
	}
	if (prescan(text + from, to - from, &controls, msg, msglen) == -1)
		return -1;
	if (controls) {
		/* Raw line breaks and tabs inside strings are not JSON, but real pages
		 * have them: read every control character as a space (outside strings
		 * that changes nothing). */
		if ((copy = malloc(to - from)) == NULL)
			return -2;
		for (i = 0; i < to - from; i++) {
			char c = text[from + i];
			copy[i] = (unsigned char)c < 0x20 ? ' ' : c;
		}
		text = copy;
		to -= from;
		from = 0;
	}
	root = json_loadb(text + from, to - from, JSON_DECODE_ANY | JSON_ALLOW_NUL, &je);
	free(copy);
	if (root == NULL) {
		snprintf(msg, msglen, "malformed JSON at line %d, column %d: %s", je.line,
			 je.column, je.text);
		return -1;
	}
	if (json_is_object(root)) {
		rc = keep(ld, root);
	} else if (json_is_array(root)) {
		json_array_foreach(root, i, e) {
			if ((rc = keep(ld, e)) != 0)
				break;
		}
	} else {
		snprintf(msg, msglen, "not a JSON object or array");
		rc = -1;
	}
	json_decref(root);
	return rc;
}

/* Is this <script> JSON-LD: type "application/ld+json", any case, parameters and
 * white space aside? */
static bool
is_jsonld_script(xmlNodePtr n)
{
	xmlChar *type;
	const char *t;
	size_t len;
	bool yes;

	if (n->type != XML_ELEMENT_NODE || xmlStrcasecmp(n->name, (const xmlChar *)"script") != 0 ||
	    (type = xmlGetProp(n, (const xmlChar *)"type")) == NULL)
		return false;
	t = (const char *)type;
	while (is_space(*t))
		t++;
	len = strcspn(t, "; \t\r\n");
	yes = len == 19 && strncasecmp(t, "application/ld+json", 19) == 0;
	xmlFree(type);
	return yes;
}

struct doc_reader {
	struct jsonld *ld;
	sd_problem_fn problem;
	void *ctx;
	int problems;
	bool oom, full;
};

static void
reader_problem(struct doc_reader *r, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void
reader_problem(struct doc_reader *r, const char *fmt, ...)
{
	char msg[400];
	va_list ap;

	r->problems++;
	if (r->problem == NULL)
		return;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	r->problem(r->ctx, msg);
}

static void
read_script(struct doc_reader *r, xmlNodePtr n)
{
	xmlChar *text;
	size_t len;
	char msg[300];
	int rc;

	if (r->full)
		return;
	if (++r->ld->scripts > JSONLD_MAX_SCRIPTS) {
		reader_problem(r, "JSON-LD: more than %d scripts on the page; the rest skipped",
			       JSONLD_MAX_SCRIPTS);
		r->full = true;
		return;
	}
	if ((text = xmlNodeGetContent(n)) == NULL)
		return;
	len = strlen((const char *)text);
	if (r->ld->bytes + len > JSONLD_MAX_PAGE) {
		reader_problem(r, "JSON-LD script %zu (line %ld): over the page's limit of %u bytes "
			       "of JSON-LD; skipped", r->ld->scripts, xmlGetLineNo(n), JSONLD_MAX_PAGE);
		xmlFree(text);
		return;
	}
	r->ld->bytes += len;
	rc = jsonld_add_text(r->ld, (const char *)text, len, msg, sizeof msg);
	xmlFree(text);
	if (rc == -2)
		r->oom = true;
	else if (rc == -1)
		reader_problem(r, "JSON-LD script %zu (line %ld): %s; skipped", r->ld->scripts,
			       xmlGetLineNo(n), msg);
}

int
jsonld_add_doc(struct jsonld *ld, xmlDocPtr doc, sd_problem_fn problem, void *ctx)
{
	struct doc_reader r = { ld, problem, ctx, 0, false, false };
	xmlNodePtr n = xmlDocGetRootElement(doc);

	/* Document order without recursion: down to the first child, else across, else
	 * up until a next sibling. */
	while (n != NULL && !r.oom) {
		if (is_jsonld_script(n)) {
			read_script(&r, n);
		} else if (n->children != NULL && n->type == XML_ELEMENT_NODE) {
			n = n->children;
			continue;
		}
		while (n != NULL && n->next == NULL)
			n = n->parent != NULL && n->parent->type == XML_ELEMENT_NODE ? n->parent : NULL;
		if (n != NULL)
			n = n->next;
	}
	return r.oom ? -1 : r.problems;
}

/* ---- paths over the list ---- */

/* Does @type name (the last part of an IRI or compact IRI) equal want? */
static bool
type_is(const char *t, const char *want)
{
	const char *last = t;

	for (const char *p = t; *p; p++) {
		if (*p == '/' || *p == '#' || *p == ':')
			last = p + 1;
	}
	return strcmp(t, want) == 0 || strcmp(last, want) == 0;
}

static bool
type_matches(json_t *obj, const char *want)
{
	json_t *t, *e;
	size_t i;

	if (strcmp(want, "*") == 0)
		return true;
	t = json_object_get(obj, "@type");
	if (json_is_string(t))
		return type_is(json_string_value(t), want);
	json_array_foreach(t, i, e) {
		if (json_is_string(e) && type_is(json_string_value(e), want))
			return true;
	}
	return false;
}

struct walk {
	const struct sd_path *p;
	sd_value_fn fn;
	void *ctx;
	size_t yielded;
};

static int
emit(struct walk *w, json_t *v)
{
	char num[64];
	char *dump;
	json_t *inner;
	int rc;

	if (w->yielded >= SD_MAX_VALUES)
		return 1;
	switch (json_typeof(v)) {
	case JSON_STRING:
		w->yielded++;
		return w->fn(w->ctx, json_string_value(v), json_string_length(v));
	case JSON_INTEGER:
		snprintf(num, sizeof num, "%" JSON_INTEGER_FORMAT, json_integer_value(v));
		w->yielded++;
		return w->fn(w->ctx, num, strlen(num));
	case JSON_REAL:
	case JSON_TRUE:
	case JSON_FALSE:
		if ((dump = json_dumps(v, JSON_ENCODE_ANY | JSON_REAL_PRECISION(17))) == NULL)
			return -1;
		w->yielded++;
		rc = w->fn(w->ctx, dump, strlen(dump));
		free(dump);
		return rc;
	case JSON_OBJECT:
		if ((inner = json_object_get(v, "@value")) != NULL && !json_is_object(inner) &&
		    !json_is_array(inner))
			return emit(w, inner);
		if (json_object_size(v) == 1 && json_is_string(inner = json_object_get(v, "@id")))
			return emit(w, inner);
		if ((dump = json_dumps(v, JSON_COMPACT | JSON_PRESERVE_ORDER)) == NULL)
			return -1;
		w->yielded++;
		rc = w->fn(w->ctx, dump, strlen(dump));
		free(dump);
		return rc;
	default:
		return 0; /* null gives nothing; arrays are walked */
	}
}

/* v at segment i (i == n: v is a value). */
static int
walk(struct walk *w, json_t *v, size_t i)
{
	const char *key;
	json_t *e;
	size_t k;
	int rc = 0;

	if (json_is_array(v)) {
		json_array_foreach(v, k, e) {
			if ((rc = walk(w, e, i)) != 0)
				return rc;
		}
		return 0;
	}
	if (i == w->p->n)
		return emit(w, v);
	if (!json_is_object(v))
		return 0;
	if (strcmp(w->p->seg[i], "*") != 0)
		return (e = json_object_get(v, w->p->seg[i])) != NULL ? walk(w, e, i + 1) : 0;
	json_object_foreach(v, key, e) {
		if (key[0] == '@' && strcmp(key, "@id") != 0)
			continue; /* * means the data, not @context, @type, @graph */
		if ((rc = walk(w, e, i + 1)) != 0)
			return rc;
	}
	return 0;
}

int
jsonld_values(const struct jsonld *ld, const struct sd_path *p, sd_value_fn fn, void *ctx)
{
	struct walk w = { p, fn, ctx, 0 };
	json_t *obj;
	size_t i;
	int rc;

	json_array_foreach(ld->objects, i, obj) {
		if (type_matches(obj, p->seg[0]) && (rc = walk(&w, obj, 1)) != 0)
			return rc;
	}
	return 0;
}
