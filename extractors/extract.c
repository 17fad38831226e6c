/*
 * extract.c: compiled extraction rules and their application to a page.
 *
 * A field's pipeline, per selected node and in document order:
 *   node -> text (element: all descendant text, or an attribute with attr, or its
 *   markup with type html, or a <time>'s datetime with type date; text node: its
 *   text; attribute node: its value)
 *   -> white space normalised (not for html) -> empty values dropped
 *   -> re (first capture group if there is one, else the whole match; no match drops)
 *   -> type conversion (a failure drops the value).
 * Without all the first surviving value is the field's; with all, every one (a JSON
 * array, or a string with join).  No value: the default, else null; a required field
 * without one drops its item.  Items whose fields are all null are not produced.
 */
#include "config.h"

#include "extract.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define PCRE2_CODE_UNIT_WIDTH 8
#include <libxml/HTMLtree.h>
#include <libxml/xmlerror.h>
#include <libxml/xpath.h>
#include <libxml/xpathInternals.h>
#include <pcre2.h>

#include "buf.h"
#include "css.h"
#include "json.h"
#include "structured.h"
#include "url.h"
#include "urlset.h"

#define MAX_VALUE (4u << 20)	/* one field's JSON */
#define MAX_ITEM (8u << 20)	/* one item's JSON */
#define MAX_LINKS_PER_PAGE 20000	/* links looked at per page (before allow/deny) */
#define MAX_REGEX_GIVE_UPS 10		/* allow/deny limit hits per follow rule and page */
#define RE_MATCH_LIMIT 1000000
#define RE_DEPTH_LIMIT 10000

struct ex_regex {
	pcre2_code *code;
	pcre2_match_data *md;	/* scratch: rules are applied by one thread */
	uint32_t ncap;
};

struct ex_field {
	char *name;
	char *sel_text;		/* "css: ..." as written, for reports */
	xmlXPathCompExprPtr xp;	/* NULL for jsonld and microdata */
	struct css_plan *plan;	/* css matched without XPath (cssmatch.h); NULL: none */
	enum ex_sel_kind kind;
	struct sd_path sd;	/* jsonld and microdata: the path */
	struct ex_regex *re;
	char *attr;
	enum ex_type type;
	bool all;
	char *join;
	char *def_json;		/* the default as JSON, or NULL */
	bool required;
};

struct ex_item {
	char *type;
	char *match_text;	/* as written, for reports; NULL: none */
	struct ex_regex *match;
	xmlXPathCompExprPtr each;
	struct css_plan *each_plan;
	struct ex_field *fields;
	size_t nfields;
};

struct ex_follow {
	char *sel_text, *allow_text, *deny_text;	/* as written, for reports */
	xmlXPathCompExprPtr xp;
	struct css_plan *plan;
	struct ex_regex *allow, *deny;
};

struct ex_rules {
	struct ex_item *items;
	size_t nitems;
	struct ex_follow *follows;
	size_t nfollows;
	pcre2_match_context *mctx;
	xmlXPathCompExprPtr base;	/* <base href>, compiled once */
	struct ex_regex *sitemap_allow;	/* NULL: every URL a sitemap lists */
};

/* What one ex_apply call works with. */
struct apply {
	const struct ex_rules *r;
	xmlDocPtr doc;
	xmlXPathContextPtr xc;
	struct url_base *base;
	const struct ex_sink *sink;
	struct ex_stats *stats;
	struct buf raw, val, tmp, scratch;	/* scratch */
	/* Watching (NULL members cost nothing): */
	const struct ex_observer *obs;
	uint32_t *cov;		/* obs->coverage, or NULL */
	const char *why;	/* why pipeline dropped its value: set on every drop */
	struct buf xvals, xdrop;	/* a field's values and drops, for obs->field */
	size_t xnvals, xndrop;
	struct jsonld *ld;	/* the page's JSON-LD, read when a field first needs it */
	bool ld_read;
	struct css_index *ix;	/* the page's elements, made for the first css plan */
	bool ix_tried, ix_ours;
};

static void
silent(void *ctx, const char *msg, ...)
{
	(void)ctx;
	(void)msg;
}

/* libxml2 2.12 made the error const in this callback (configure finds out). */
static void
silent_structured(void *ctx, SCRAPER_XML_ERROR_CONST xmlError *e)
{
	(void)ctx;
	(void)e;
}

static bool jit = true;

void
ex_no_jit(void)
{
	jit = false;
}

void
ex_init(void)
{
	xmlInitParser();
	xmlSetGenericErrorFunc(NULL, silent);
	xmlSetStructuredErrorFunc(NULL, silent_structured);
}

static void set_error(struct ex_error *err, size_t pos, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void
set_error(struct ex_error *err, size_t pos, const char *fmt, ...)
{
	va_list ap;

	err->pos = pos;
	va_start(ap, fmt);
	vsnprintf(err->msg, sizeof err->msg, fmt, ap);
	va_end(ap);
}

/* ---- compiling ---- */

int
ex_selector_parse(const char *s, struct ex_selector *out, struct ex_error *err)
{
	static const struct { const char *prefix, *what; enum ex_sel_kind kind; } kinds[] = {
		{ "css:", "CSS selector", EX_CSS }, { "xpath:", "XPath", EX_XPATH },
		{ "jsonld:", "JSON-LD path", EX_JSONLD },
		{ "microdata:", "microdata path", EX_MICRODATA },
	};

	for (size_t i = 0; i < sizeof kinds / sizeof kinds[0]; i++) {
		size_t n = strlen(kinds[i].prefix);
		if (strncmp(s, kinds[i].prefix, n) == 0) {
			out->kind = kinds[i].kind;
			out->expr = s + n;
			while (*out->expr == ' ' || *out->expr == '\t')
				out->expr++;
			if (*out->expr == '\0') {
				set_error(err, n, "empty %s", kinds[i].what);
				return -1;
			}
			return 0;
		}
	}
	set_error(err, 0, "%s",
		  "expected \"css: SELECTOR\" or \"xpath: EXPRESSION\" (a field may also be "
		  "\"jsonld: PATH\" or \"microdata: PATH\")");
	return -1;
}

static xmlXPathCompExprPtr
compile_xpath(const char *expr, struct ex_error *err)
{
	xmlXPathCompExprPtr xp;
	const xmlError *e;	/* const from libxml2 2.12 on; fine before */

	xmlResetLastError();
	if ((xp = xmlXPathCompile((const xmlChar *)expr)) != NULL)
		return xp;
	e = xmlGetLastError();
	err->pos = e != NULL && e->int1 >= 0 ? (size_t)e->int1 : EX_NO_POS;
	snprintf(err->msg, sizeof err->msg, "invalid XPath: %s",
		 e != NULL && e->message != NULL ? e->message : "cannot compile");
	/* libxml2's messages end with a newline. */
	err->msg[strcspn(err->msg, "\n")] = '\0';
	return NULL;
}

/* The selector's XPath, and for css in *plan how to match it without XPath (NULL when
 * cssmatch cannot, or memory ran out: the XPath serves). */
static xmlXPathCompExprPtr
compile_selector(const struct ex_selector *sel, struct css_plan **plan, struct ex_error *err)
{
	struct css_error cerr;
	xmlXPathCompExprPtr xp;
	struct buf b;

	*plan = NULL;
	if (sel->kind == EX_XPATH)
		return compile_xpath(sel->expr, err);
	if (sel->kind != EX_CSS) {
		set_error(err, EX_NO_POS, "%s",
			  "a jsonld: or microdata: path gives field values, not elements: use css "
			  "or xpath here");
		return NULL;
	}
	buf_init(&b, 1 << 20);
	if (css_compile(sel->expr, &b, plan, &cerr) == -1) {
		err->pos = cerr.pos;
		snprintf(err->msg, sizeof err->msg, "invalid CSS selector: %s", cerr.msg);
		buf_free(&b);
		return NULL;
	}
	xp = compile_xpath(buf_str(&b), err);
	if (xp == NULL) {
		/* Our own translation should always compile: say so plainly. */
		err->pos = EX_NO_POS;
		snprintf(err->msg, sizeof err->msg,
			 "internal error: CSS translated to invalid XPath: %.180s", buf_str(&b));
		css_plan_free(*plan);
		*plan = NULL;
	}
	buf_free(&b);
	return xp;
}

/* "css: expr" / "xpath: expr": a selector as a rule file writes it.  NULL: no memory. */
static char *
selector_text(const struct ex_selector *sel)
{
	static const char *const kinds[] = { [EX_CSS] = "css: ", [EX_XPATH] = "xpath: ",
					     [EX_JSONLD] = "jsonld: ",
					     [EX_MICRODATA] = "microdata: " };
	const char *kind = kinds[sel->kind];
	size_t n = strlen(kind) + strlen(sel->expr) + 1;
	char *t = malloc(n);

	if (t != NULL)
		snprintf(t, n, "%s%s", kind, sel->expr);
	return t;
}

static void
regex_free(struct ex_regex *re)
{
	if (re == NULL)
		return;
	pcre2_match_data_free(re->md);
	pcre2_code_free(re->code);
	free(re);
}

static struct ex_regex *
regex_compile(const char *pattern, struct ex_error *err)
{
	struct ex_regex *re;
	PCRE2_SIZE off;
	int code;
	PCRE2_UCHAR msg[200];

	if ((re = calloc(1, sizeof *re)) == NULL) {
		set_error(err, EX_NO_POS, "%s", "out of memory");
		return NULL;
	}
	re->code = pcre2_compile((PCRE2_SPTR)pattern, PCRE2_ZERO_TERMINATED,
				 PCRE2_UTF | PCRE2_MATCH_INVALID_UTF, &code, &off, NULL);
	if (re->code == NULL) {
		pcre2_get_error_message(code, msg, sizeof msg);
		set_error(err, off, "invalid regex: %s", (const char *)msg);
		free(re);
		return NULL;
	}
	/* JIT is an optimisation: without it (no JIT support) matching still works. */
	if (jit)
		pcre2_jit_compile(re->code, PCRE2_JIT_COMPLETE);
	pcre2_pattern_info(re->code, PCRE2_INFO_CAPTURECOUNT, &re->ncap);
	if ((re->md = pcre2_match_data_create_from_pattern(re->code, NULL)) == NULL) {
		set_error(err, EX_NO_POS, "%s", "out of memory");
		regex_free(re);
		return NULL;
	}
	return re;
}

struct ex_rules *
ex_rules_new(void)
{
	struct ex_rules *r = calloc(1, sizeof *r);

	if (r == NULL)
		return NULL;
	if ((r->mctx = pcre2_match_context_create(NULL)) == NULL) {
		free(r);
		return NULL;
	}
	pcre2_set_match_limit(r->mctx, RE_MATCH_LIMIT);
	pcre2_set_depth_limit(r->mctx, RE_DEPTH_LIMIT);
	if ((r->base = xmlXPathCompile((const xmlChar *)"(//base[@href])[1]/@href")) == NULL) {
		ex_rules_free(r);
		return NULL;
	}
	return r;
}

static void
field_free(struct ex_field *f)
{
	free(f->name);
	free(f->sel_text);
	xmlXPathFreeCompExpr(f->xp);
	css_plan_free(f->plan);
	sd_path_free(&f->sd);
	regex_free(f->re);
	free(f->attr);
	free(f->join);
	free(f->def_json);
}

void
ex_rules_free(struct ex_rules *r)
{
	if (r == NULL)
		return;
	for (size_t i = 0; i < r->nitems; i++) {
		struct ex_item *it = &r->items[i];
		for (size_t j = 0; j < it->nfields; j++)
			field_free(&it->fields[j]);
		free(it->fields);
		free(it->type);
		free(it->match_text);
		regex_free(it->match);
		xmlXPathFreeCompExpr(it->each);
		css_plan_free(it->each_plan);
	}
	free(r->items);
	for (size_t i = 0; i < r->nfollows; i++) {
		free(r->follows[i].sel_text);
		free(r->follows[i].allow_text);
		free(r->follows[i].deny_text);
		xmlXPathFreeCompExpr(r->follows[i].xp);
		css_plan_free(r->follows[i].plan);
		regex_free(r->follows[i].allow);
		regex_free(r->follows[i].deny);
	}
	free(r->follows);
	pcre2_match_context_free(r->mctx);
	xmlXPathFreeCompExpr(r->base);
	regex_free(r->sitemap_allow);
	free(r);
}

int
ex_add_item(struct ex_rules *r, const char *type, const char *match,
	    const struct ex_selector *each, struct ex_error *err, enum ex_part *part)
{
	struct ex_item it = { 0 }, *items;

	*part = EX_PART_OTHER;
	if ((it.type = strdup(type)) == NULL ||
	    (match != NULL && (it.match_text = strdup(match)) == NULL))
		goto oom;
	if (match != NULL && (it.match = regex_compile(match, err)) == NULL) {
		*part = EX_PART_RE;
		goto fail;
	}
	if (each != NULL && (it.each = compile_selector(each, &it.each_plan, err)) == NULL) {
		*part = EX_PART_SELECTOR;
		goto fail;
	}
	if ((items = realloc(r->items, (r->nitems + 1) * sizeof *items)) == NULL)
		goto oom;
	r->items = items;
	r->items[r->nitems] = it;
	return (int)r->nitems++;
oom:
	set_error(err, EX_NO_POS, "%s", "out of memory");
fail:
	free(it.type);
	free(it.match_text);
	regex_free(it.match);
	xmlXPathFreeCompExpr(it.each);
	css_plan_free(it.each_plan);
	return -1;
}

/* The default value as JSON of the field's type. */
static int
default_json(const struct ex_field_spec *spec, struct buf *out, struct ex_error *err)
{
	long long iv;
	double dv;
	bool bv;

	switch (spec->type) {
	case EX_INT:
		if (field_parse_int(spec->def, &iv) == -1)
			break;
		return json_put_int(out, iv);
	case EX_NUMBER:
		if (field_parse_number(spec->def, &dv) == -1)
			break;
		return json_put_double(out, dv);
	case EX_BOOL:
		if (field_parse_bool(spec->def, &bv) == -1)
			break;
		return buf_puts(out, bv ? "true" : "false");
	case EX_DATE: {
		struct buf d;
		int rc;

		buf_init(&d, 256);
		rc = field_parse_date(spec->def, &d);
		if (rc == 0)
			rc = json_put_string(out, d.data, d.len);
		buf_free(&d);
		if (rc == 0)
			return 0;
		break;
	}
	default:
		return json_put_cstring(out, spec->def);
	}
	err->pos = EX_NO_POS;
	snprintf(err->msg, sizeof err->msg, "default '%.100s' is not a valid %s", spec->def,
		 field_type_name(spec->type));
	return -1;
}

int
ex_add_field(struct ex_rules *r, int item, const struct ex_field_spec *spec,
	     struct ex_error *err, enum ex_part *part)
{
	struct ex_item *it = &r->items[item];
	struct ex_field f = { 0 }, *fields;
	struct buf def;

	*part = EX_PART_OTHER;
	buf_init(&def, 1 << 16);
	f.type = spec->type;
	f.all = spec->all;
	f.required = spec->required;
	if ((f.name = strdup(spec->name)) == NULL || (f.sel_text = selector_text(&spec->sel)) == NULL ||
	    (spec->attr != NULL && (f.attr = strdup(spec->attr)) == NULL) ||
	    (spec->join != NULL && (f.join = strdup(spec->join)) == NULL))
		goto oom;
	f.kind = spec->sel.kind;
	if (f.kind == EX_JSONLD || f.kind == EX_MICRODATA) {
		*part = EX_PART_SELECTOR;
		if (sd_path_compile(spec->sel.expr, &f.sd, &err->pos, err->msg, sizeof err->msg) == -1)
			goto fail;
		*part = EX_PART_OTHER;
		if (spec->attr != NULL || spec->type == EX_HTML) {
			set_error(err, EX_NO_POS, "%s needs a css or xpath selector",
				  spec->attr != NULL ? "attr" : "type: html");
			goto fail;
		}
	} else if ((f.xp = compile_selector(&spec->sel, &f.plan, err)) == NULL) {
		*part = EX_PART_SELECTOR;
		goto fail;
	}
	if (spec->re != NULL && (f.re = regex_compile(spec->re, err)) == NULL) {
		*part = EX_PART_RE;
		goto fail;
	}
	if (spec->def != NULL) {
		if (default_json(spec, &def, err) == -1) {
			*part = EX_PART_DEFAULT;
			goto fail;
		}
		if ((f.def_json = buf_steal(&def)) == NULL)
			goto oom;
	}
	if ((fields = realloc(it->fields, (it->nfields + 1) * sizeof *fields)) == NULL)
		goto oom;
	it->fields = fields;
	it->fields[it->nfields++] = f;
	buf_free(&def);
	return 0;
oom:
	set_error(err, EX_NO_POS, "%s", "out of memory");
fail:
	field_free(&f);
	buf_free(&def);
	return -1;
}

int
ex_add_follow(struct ex_rules *r, const struct ex_selector *sel, const char *allow,
	      const char *deny, struct ex_error *err, enum ex_part *part)
{
	struct ex_follow fl = { 0 }, *follows;

	*part = EX_PART_OTHER;
	if ((fl.sel_text = selector_text(sel)) == NULL ||
	    (allow != NULL && (fl.allow_text = strdup(allow)) == NULL) ||
	    (deny != NULL && (fl.deny_text = strdup(deny)) == NULL)) {
		set_error(err, EX_NO_POS, "%s", "out of memory");
		goto fail;
	}
	*part = EX_PART_SELECTOR;
	if ((fl.xp = compile_selector(sel, &fl.plan, err)) == NULL)
		goto fail;
	*part = EX_PART_ALLOW;
	if (allow != NULL && (fl.allow = regex_compile(allow, err)) == NULL)
		goto fail;
	*part = EX_PART_DENY;
	if (deny != NULL && (fl.deny = regex_compile(deny, err)) == NULL)
		goto fail;
	if ((follows = realloc(r->follows, (r->nfollows + 1) * sizeof *follows)) == NULL) {
		set_error(err, EX_NO_POS, "%s", "out of memory");
		*part = EX_PART_OTHER;
		goto fail;
	}
	r->follows = follows;
	r->follows[r->nfollows++] = fl;
	return 0;
fail:
	free(fl.sel_text);
	free(fl.allow_text);
	free(fl.deny_text);
	xmlXPathFreeCompExpr(fl.xp);
	css_plan_free(fl.plan);
	regex_free(fl.allow);
	regex_free(fl.deny);
	return -1;
}

int
ex_set_sitemap_allow(struct ex_rules *r, const char *re, struct ex_error *err)
{
	struct ex_regex *x = regex_compile(re, err);

	if (x == NULL)
		return -1;
	regex_free(r->sitemap_allow);
	r->sitemap_allow = x;
	return 0;
}

/* ---- applying ---- */

static void problem(struct apply *a, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void
problem(struct apply *a, const char *fmt, ...)
{
	char msg[512];
	va_list ap;

	if (a->sink->problem == NULL)
		return;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	a->sink->problem(a->sink->ctx, msg);
}

/*
 * Does re match anywhere in s?  1 yes, 0 no, -1 when the regex hit its match or depth
 * limit.  For URL filters (match:, allow:, deny:): a capture group that did not take
 * part does not make a match fail ("/(index\\.html)?$" matches "http://host/").
 */
static int
regex_test(const struct ex_rules *r, const struct ex_regex *re, const char *s, size_t n)
{
	int rc = pcre2_match(re->code, (PCRE2_SPTR)s, n, 0, 0, re->md, r->mctx);

	if (rc == PCRE2_ERROR_NOMATCH)
		return 0;
	return rc < 0 ? -1 : 1;
}

/*
 * Run a field's re over s.  1 and the match (first capture group if any) in
 * [*start, *end); 0 for no match; -1 when the regex hit its match or depth limit.
 */
static int
regex_match(const struct ex_rules *r, const struct ex_regex *re, const char *s, size_t n,
	    size_t *start, size_t *end)
{
	PCRE2_SIZE *ov;
	int rc;

	rc = pcre2_match(re->code, (PCRE2_SPTR)s, n, 0, 0, re->md, r->mctx);
	if (rc == PCRE2_ERROR_NOMATCH)
		return 0;
	if (rc < 0)
		return -1;
	ov = pcre2_get_ovector_pointer(re->md);
	if (re->ncap >= 1) {
		if (rc < 2 || ov[2] == PCRE2_UNSET)
			return 0; /* the group did not take part */
		*start = ov[2];
		*end = ov[3];
	} else {
		*start = ov[0];
		*end = ov[1];
	}
	return 1;
}

/* The markup of element n as the document has it (no line breaks or indentation
 * added), into a->raw.  0, or 1 when there is none. */
static int
node_markup(struct apply *a, xmlNodePtr n)
{
	xmlOutputBufferPtr ob = xmlAllocOutputBuffer(NULL);
	const xmlChar *s;

	if (ob == NULL)
		return 1;
	htmlNodeDumpFormatOutput(ob, a->doc, n, NULL, 0);
	xmlOutputBufferFlush(ob);
	s = xmlOutputBufferGetContent(ob);
	if (s != NULL)
		buf_append(&a->raw, s, xmlOutputBufferGetSize(ob));
	xmlOutputBufferClose(ob);
	return a->raw.len == 0;
}

/* The text of one selected node, into a->raw.  0, or 1 when the node gives nothing.
 * A date field reading a <time> element takes its datetime attribute when it has
 * one, as the HTML standard defines the element's value. */
static int
node_text(struct apply *a, const struct ex_field *f, xmlNodePtr n)
{
	xmlChar *s = NULL;

	buf_reset(&a->raw);
	if (n->type == XML_ELEMENT_NODE && f->attr != NULL) {
		if ((s = xmlGetProp(n, (const xmlChar *)f->attr)) == NULL)
			return 1;
	} else if (n->type == XML_ELEMENT_NODE && f->type == EX_HTML) {
		return node_markup(a, n);
	} else if (n->type == XML_ELEMENT_NODE && f->type == EX_DATE &&
		   xmlStrcasecmp(n->name, (const xmlChar *)"time") == 0 &&
		   (s = xmlGetProp(n, (const xmlChar *)"datetime")) != NULL) {
		/* s is the value */
	} else {
		s = xmlNodeGetContent(n);
	}
	if (s == NULL)
		return 1;
	if (f->type == EX_HTML)
		buf_puts(&a->raw, (const char *)s);
	else
		field_normalize_space((const char *)s, strlen((const char *)s), &a->raw);
	xmlFree(s);
	return a->raw.len == 0;
}

/*
 * Convert s[0..n) (a value after the regex) into a JSON value appended to out, and its
 * plain text to text (for join) when text is not NULL.  0; 1 when the value does not
 * convert; -1 when it does not fit (out and text are then as they were).
 */
static int
convert(struct apply *a, const struct ex_field *f, const char *s, size_t n,
	struct buf *out, struct buf *text)
{
	size_t mark = out->len, tmark = text != NULL ? text->len : 0;
	struct buf abs;
	long long iv;
	double dv;
	bool bv;
	int rc = 0;

	buf_reset(&a->tmp);
	if (buf_append(&a->tmp, s, n) == -1)
		return -1;
	switch (f->type) {
	case EX_INT:
		if (field_parse_int(buf_str(&a->tmp), &iv) == -1)
			return 1;
		rc = json_put_int(out, iv);
		break;
	case EX_NUMBER:
		if (field_parse_number(buf_str(&a->tmp), &dv) == -1)
			return 1;
		rc = json_put_double(out, dv);
		break;
	case EX_BOOL:
		/* Not a yes/no word: a regex without a group is the test itself, and a
		 * match ("re: 'In stock'") is true; anything else has no value. */
		if (field_parse_bool(buf_str(&a->tmp), &bv) == -1) {
			if (f->re == NULL || f->re->ncap > 0)
				return 1;
			bv = true;
		}
		rc = buf_puts(out, bv ? "true" : "false");
		break;
	case EX_DATE:
		buf_init(&abs, 256);
		if (field_parse_date(buf_str(&a->tmp), &abs) == -1) {
			buf_free(&abs);
			return 1;
		}
		rc = json_put_string(out, abs.data, abs.len);
		if (rc == 0 && text != NULL)
			rc = buf_append(text, abs.data, abs.len);
		buf_free(&abs);
		text = NULL;
		break;
	case EX_URL:
		buf_init(&abs, URL_MAX * 4);
		if (a->base == NULL || url_resolve_value(a->base, buf_str(&a->tmp), &abs) == -1) {
			buf_free(&abs);
			return 1;
		}
		rc = json_put_string(out, abs.data, abs.len);
		if (rc == 0 && text != NULL)
			rc = buf_append(text, abs.data, abs.len);
		buf_free(&abs);
		text = NULL;
		break;
	default:
		rc = json_put_string(out, s, n);
		if (rc == 0 && text != NULL)
			rc = buf_append(text, s, n);
		text = NULL;
	}
	/* Numbers and booleans join as their JSON text. */
	if (rc == 0 && text != NULL)
		rc = buf_append(text, out->data + mark, out->len - mark);
	if (rc == -1) {
		buf_truncate(out, mark);
		if (text != NULL)
			buf_truncate(text, tmark);
	}
	return rc;
}

/* Text of a non-node-set XPath result (string(), count(), a comparison). */
static void
scalar_text(struct apply *a, xmlXPathObjectPtr res)
{
	xmlChar *s = xmlXPathCastToString(res);

	buf_reset(&a->raw);
	if (s != NULL) {
		field_normalize_space((const char *)s, strlen((const char *)s), &a->raw);
		xmlFree(s);
	}
}

/* Why a value of type t did not convert, in words. */
static const char *
not_of_type(enum ex_type t)
{
	switch (t) {
	case EX_INT: return "not a whole number (type: int)";
	case EX_NUMBER: return "not one number (type: number)";
	case EX_BOOL: return "not a yes/no word (type: bool)";
	case EX_DATE: return "not a date (type: date)";
	case EX_URL: return "does not resolve to a URL (type: url)";
	default: return "does not convert";
	}
}

/*
 * Take one value through the regex and the conversion.  Returns 1 if a value was
 * appended to out, 0 if it was dropped (a->why says why), -1 if the regex gave up or
 * it did not fit.
 */
static int
pipeline(struct apply *a, const struct ex_field *f, struct buf *out, struct buf *text)
{
	size_t start = 0, end = a->raw.len;
	int rc;

	if (f->re != NULL) {
		int m = regex_match(a->r, f->re, a->raw.data, a->raw.len, &start, &end);
		if (m <= 0) {
			a->why = m == 0 ? "re found no match" : "re gave up (match limit)";
			return m;
		}
	}
	rc = convert(a, f, a->raw.data + start, end - start, out, text);
	if (rc == 1)
		a->why = not_of_type(f->type);
	return rc == 0 ? 1 : rc == 1 ? 0 : -1;
}

static void
regex_gave_up(struct apply *a, const struct ex_field *f)
{
	a->stats->errors++;
	problem(a, "field '%s': regex gave up (match limit), or the value is too large: %.200s",
		f->name, buf_str(&a->raw));
}

/* For obs->field: one value kept (its JSON is out[mark..]) or one dropped. */
static void
watch_value(struct apply *a, int rc, const struct buf *out, size_t mark)
{
	if (rc > 0) {
		buf_puts(&a->xvals, a->xnvals++ ? "," : "[");
		buf_append(&a->xvals, out->data + mark, out->len - mark);
	} else if (a->xndrop < EX_EXPLAIN_DROPPED) {
		buf_puts(&a->xdrop, a->xndrop++ ? ",{\"text\":" : "[{\"text\":");
		json_put_string(&a->xdrop, a->raw.data, a->raw.len < 200 ? a->raw.len : 200);
		buf_puts(&a->xdrop, ",\"why\":");
		json_put_cstring(&a->xdrop, rc == 0 ? a->why : "re gave up (match limit)");
		buf_putc(&a->xdrop, '}');
	}
}

static void
watch_field(struct apply *a, const struct ex_item *it, unsigned idx, const struct ex_field *f,
	    size_t matched, bool defaulted)
{
	struct ex_field_report rep = { it->type, idx, f->name, f->sel_text, matched, NULL,
				       a->xnvals, NULL, defaulted };

	buf_puts(&a->xvals, a->xnvals ? "]" : "[]");
	buf_puts(&a->xdrop, a->xndrop ? "]" : "[]");
	rep.values = buf_str(&a->xvals);
	rep.dropped = buf_str(&a->xdrop);
	a->obs->field(a->obs->ctx, &rep);
}

/* One field's values as they are gathered (eval_field). */
struct gather {
	struct apply *a;
	const struct ex_field *f;
	struct buf *out;	/* a->val, or a->scratch with join */
	struct buf *text;	/* the joined text (join only) */
	bool watch;
	size_t count;		/* values kept */
	size_t matched;		/* values (or nodes) found */
};

/*
 * The value in a->raw through the field's pipeline, kept or dropped.  0 to go on, 1
 * when the field has what it needs (its first value, without all), -1 when the regex
 * gave up.
 */
static int
gather_value(struct gather *g)
{
	struct apply *a = g->a;
	const struct ex_field *f = g->f;
	size_t vmark = a->val.len, tmark = g->text->len, omark;
	int rc;

	buf_reset(&a->scratch);
	if (f->all && g->count > 0)
		buf_puts(f->join ? g->text : &a->val, f->join ? f->join : ",");
	omark = g->out->len;
	rc = pipeline(a, f, g->out, f->join ? g->text : NULL);
	if (g->watch)
		watch_value(a, rc, g->out, omark);
	if (rc <= 0) {
		buf_truncate(&a->val, vmark);
		buf_truncate(g->text, tmark);
	}
	if (rc < 0) {
		regex_gave_up(a, f);
		return -1;
	}
	g->count += (size_t)rc;
	return g->count > 0 && !f->all;
}

/* A node found by a css or xpath selector: its text, then the pipeline. */
static int
gather_node(struct gather *g, xmlNodePtr n)
{
	struct apply *a = g->a;

	if (node_text(a, g->f, n) != 0) {
		if (g->watch && a->xndrop < EX_EXPLAIN_DROPPED) {
			a->why = "no text (empty, or no such attribute)";
			watch_value(a, 0, g->out, 0);
		}
		return 0;
	}
	return gather_value(g);
}

/* A value a jsonld or microdata path reached (structured.h's sd_value_fn). */
static int
gather_sd(void *ctx, const char *s, size_t n)
{
	struct gather *g = ctx;
	struct apply *a = g->a;

	g->matched++;
	buf_reset(&a->raw);
	if (field_normalize_space(s, n, &a->raw) == -1) {
		buf_reset(&a->raw);
		a->why = "larger than the limit";
		if (g->watch)
			watch_value(a, 0, g->out, 0);
		return 0;
	}
	if (a->raw.len == 0) {
		a->why = "empty";
		if (g->watch)
			watch_value(a, 0, g->out, 0);
		return 0;
	}
	return gather_value(g);
}

static void
jsonld_problem(void *ctx, const char *msg)
{
	struct apply *a = ctx;

	a->stats->errors++;
	problem(a, "%s", msg);
}

/* The page's JSON-LD, read once (its problems reported once).  NULL: out of memory. */
static struct jsonld *
page_jsonld(struct apply *a)
{
	if (!a->ld_read) {
		a->ld_read = true;
		if ((a->ld = jsonld_new()) != NULL &&
		    jsonld_add_doc(a->ld, a->doc, jsonld_problem, a) == -1) {
			jsonld_free(a->ld);
			a->ld = NULL;
		}
		if (a->ld == NULL)
			problem(a, "%s", "JSON-LD: out of memory reading the page's scripts");
	}
	return a->ld;
}

/* The page's index, made on first use; NULL when memory ran out (XPath serves). */
static struct css_index *
page_index(struct apply *a)
{
	if (!a->ix_tried) {
		a->ix_tried = true;
		a->ix = css_index_new(a->doc);
		a->ix_ours = true;
	}
	return a->ix;
}

/* What a selector finds from a->xc->node: by its plan when it has one, else XPath. */
static xmlXPathObjectPtr
select_nodes(struct apply *a, xmlXPathCompExprPtr xp, const struct css_plan *plan)
{
	xmlXPathObjectPtr res;

	if (plan != NULL && (res = css_plan_eval(plan, page_index(a), a->xc->node)) != NULL)
		return res;
	return xmlXPathCompiledEval(xp, a->xc);
}

/* Gather a css or xpath field's values from the nodes its selector finds. */
static void
gather_selected(struct gather *g, xmlNodePtr node)
{
	struct apply *a = g->a;
	xmlXPathObjectPtr res;

	a->xc->node = node;
	res = select_nodes(a, g->f->xp, g->f->plan);
	if (res != NULL && res->type == XPATH_NODESET && res->nodesetval != NULL) {
		g->matched = (size_t)res->nodesetval->nodeNr;
		for (int i = 0; i < res->nodesetval->nodeNr; i++) {
			if (gather_node(g, res->nodesetval->nodeTab[i]) != 0)
				break;
		}
	} else if (res != NULL && res->type != XPATH_NODESET) {
		scalar_text(a, res);
		g->matched = 1;
		if (a->raw.len > 0) {
			gather_value(g);
		} else {
			a->why = "empty";
			if (g->watch)
				watch_value(a, 0, g->out, g->out->len);
		}
	}
	xmlXPathFreeObject(res);
}

/*
 * Evaluate one field relative to node into a->val as JSON (a value, an array, or
 * null).  Returns 2 when it has a value of its own, 1 when it has its default, 0 when
 * null.  jsonld and microdata fields read the whole page, whatever node is.
 */
static int
eval_field(struct apply *a, const struct ex_item *it, unsigned idx, const struct ex_field *f,
	   xmlNodePtr node)
{
	struct buf text;
	struct gather g = { .a = a, .f = f, .text = &text,
			    .watch = a->obs != NULL && a->obs->field != NULL };
	struct jsonld *ld;

	buf_reset(&a->val);
	buf_init(&text, MAX_VALUE);
	if (g.watch) {
		buf_reset(&a->xvals);
		buf_reset(&a->xdrop);
		a->xnvals = a->xndrop = 0;
	}
	if (f->all && f->join == NULL)
		buf_putc(&a->val, '[');
	/* With join the values go to text; their JSON is not needed. */
	g.out = f->join != NULL ? &a->scratch : &a->val;
	if (f->kind == EX_JSONLD) {
		if ((ld = page_jsonld(a)) != NULL)
			jsonld_values(ld, &f->sd, gather_sd, &g);
	} else if (f->kind == EX_MICRODATA) {
		microdata_values(a->doc, &f->sd, a->base, gather_sd, &g);
	} else {
		gather_selected(&g, node);
	}
	if (g.count > 0 && f->join != NULL) {
		buf_reset(&a->val);
		json_put_string(&a->val, text.data, text.len);
	} else if (f->all && f->join == NULL && g.count > 0) {
		buf_putc(&a->val, ']');
	}
	buf_free(&text);
	if (g.watch)
		watch_field(a, it, idx, f, g.matched, g.count == 0 && f->def_json != NULL);
	if (g.count > 0)
		return 2;
	buf_reset(&a->val);
	if (f->def_json != NULL) {
		buf_puts(&a->val, f->def_json);
		return 1;
	}
	buf_puts(&a->val, f->all && f->join == NULL ? "[]" : "null");
	return 0;
}

static void
watch_item(struct apply *a, const struct ex_item *it, unsigned idx, bool matched,
	   bool stored, const char *why)
{
	struct ex_item_report rep = { it->type, idx, matched, stored, why };

	if (a->obs != NULL && a->obs->item != NULL)
		a->obs->item(a->obs->ctx, &rep);
}

/* Build one item from node; hand it to the sink unless it is empty or incomplete.
 * cov: the item type's coverage counters, or NULL. */
static int
emit_item(struct apply *a, const struct ex_item *it, xmlNodePtr node, unsigned idx,
	  uint32_t *cov)
{
	struct buf json;
	size_t with_value = 0;
	char why[300];
	bool ok;
	int rc = 0;

	if (cov != NULL)
		cov[EX_COV_EVALUATED]++;
	buf_init(&json, MAX_ITEM);
	ok = buf_putc(&json, '{') == 0;
	for (size_t i = 0; i < it->nfields && ok; i++) {
		const struct ex_field *f = &it->fields[i];
		int has = eval_field(a, it, idx, f, node);
		if (cov != NULL && has == 2)
			cov[EX_COV_FIELD(i)]++;
		if (!has && f->required) {
			a->stats->errors++;
			problem(a, "item '%s' dropped: required field '%s' has no value",
				it->type, f->name);
			snprintf(why, sizeof why, "required field '%s' has no value", f->name);
			watch_item(a, it, idx, true, false, why);
			buf_free(&json);
			return 0;
		}
		with_value += has > 0;
		ok = (i == 0 || buf_putc(&json, ',') == 0) &&
		     json_put_cstring(&json, f->name) == 0 && buf_putc(&json, ':') == 0 &&
		     buf_append(&json, a->val.data, a->val.len) == 0;
		if (!ok)
			problem(a, "item '%s' dropped: larger than the limit (at field '%s')",
				it->type, f->name);
	}
	if (ok && buf_putc(&json, '}') == -1)
		ok = false;
	if (!ok) {
		a->stats->errors++;
		watch_item(a, it, idx, true, false, "larger than the limit");
		buf_free(&json);
		return 0;
	}
	if (with_value > 0) {
		rc = a->sink->item(a->sink->ctx, it->type, idx, json.data, json.len);
		a->stats->items++;
		if (cov != NULL)
			cov[EX_COV_STORED]++;
		watch_item(a, it, idx, true, true, "");
	} else {
		watch_item(a, it, idx, true, false,
			   it->nfields ? "no field has a value" : "the item has no fields");
	}
	buf_free(&json);
	return rc;
}

/* cov: the item type's coverage counters, or NULL. */
static int
apply_item(struct apply *a, const struct ex_item *it, const char *url, uint32_t *cov)
{
	xmlXPathObjectPtr res;
	char why[300];
	int rc = 0;

	if (it->match != NULL) {
		int m = regex_test(a->r, it->match, url, strlen(url));
		if (m < 0) {
			a->stats->errors++;
			problem(a, "item '%s': match regex gave up (match limit)", it->type);
		}
		if (m <= 0) {
			if (a->obs != NULL && a->obs->item != NULL) {
				snprintf(why, sizeof why, m < 0 ? "match: '%.200s' gave up (match limit)"
							   : "the URL does not match '%.200s'",
					 it->match_text);
				watch_item(a, it, 0, false, false, why);
			}
			return 0;
		}
	}
	if (cov != NULL)
		cov[EX_COV_MATCHED]++;
	if (it->each == NULL)
		return emit_item(a, it, (xmlNodePtr)a->doc, 0, cov);
	a->xc->node = (xmlNodePtr)a->doc;
	res = select_nodes(a, it->each, it->each_plan);
	if (res != NULL && res->type == XPATH_NODESET && res->nodesetval != NULL &&
	    res->nodesetval->nodeNr > 0) {
		for (int i = 0; i < res->nodesetval->nodeNr && rc == 0; i++)
			rc = emit_item(a, it, res->nodesetval->nodeTab[i], (unsigned)i, cov);
	} else {
		watch_item(a, it, 0, true, false, "each: found no element");
	}
	xmlXPathFreeObject(res);
	return rc;
}

/* An allow or deny regex that gave up on a URL: a problem, as in a field's re; after
 * MAX_REGEX_GIVE_UPS on one page, the rule's remaining links are not looked at. */
static void
follow_regex_gave_up(struct apply *a, const char *which, const char *url, unsigned *gave_up)
{
	a->stats->errors++;
	if (++*gave_up < MAX_REGEX_GIVE_UPS)
		problem(a, "follow: %s regex gave up (match limit) on %.200s; not followed", which, url);
	else
		problem(a, "follow: %s regex gave up (match limit) %u times on this page; the "
			   "rule's other links are not followed", which, *gave_up);
}

int
ex_sitemap_allows(const struct ex_rules *r, const char *url)
{
	if (r->sitemap_allow == NULL)
		return 1;
	return regex_test(r, r->sitemap_allow, url, strlen(url));
}

const char *
ex_link_verdict_name(enum ex_link_verdict v)
{
	static const char *names[] = {
		[EX_LINK_OFFERED] = "offered", [EX_LINK_NOT_HTTP] = "not http(s)",
		[EX_LINK_NOT_ALLOWED] = "not allowed", [EX_LINK_DENIED] = "denied",
		[EX_LINK_DUPLICATE] = "duplicate", [EX_LINK_TOO_MANY] = "too many links",
	};

	return (size_t)v < sizeof names / sizeof names[0] ? names[v] : "?";
}

static void
watch_link(struct apply *a, const struct ex_follow *fl, const char *url,
	   enum ex_link_verdict v)
{
	struct ex_link_report rep = { url, fl->sel_text, v, "" };
	char why[400];

	switch (v) {
	case EX_LINK_OFFERED: break;
	case EX_LINK_NOT_ALLOWED:
		snprintf(why, sizeof why, "not allowed: allow '%.300s' does not match", fl->allow_text);
		rep.why = why;
		break;
	case EX_LINK_DENIED:
		snprintf(why, sizeof why, "denied by deny '%.300s'", fl->deny_text);
		rep.why = why;
		break;
	case EX_LINK_NOT_HTTP: rep.why = "not an http(s) URL"; break;
	case EX_LINK_DUPLICATE: rep.why = "duplicate (already found on this page)"; break;
	case EX_LINK_TOO_MANY: rep.why = "over the limit of links per page"; break;
	}
	a->obs->link(a->obs->ctx, &rep);
}

/* A followed link: resolved, http(s), allowed, not denied, once per page.  k: the
 * rule's index. */
static int
offer_link(struct apply *a, size_t k, const char *href, struct urlset *seen, unsigned *gave_up)
{
	const struct ex_follow *fl = &a->r->follows[k];
	enum ex_link_verdict v = EX_LINK_OFFERED;
	struct buf abs;
	int rc = 0, m;

	buf_init(&abs, URL_MAX * 4);
	if (url_resolve(a->base, href, &abs) == -1) {
		v = EX_LINK_NOT_HTTP;
	} else if (fl->allow != NULL && (m = regex_test(a->r, fl->allow, abs.data, abs.len)) != 1) {
		if (m < 0)
			follow_regex_gave_up(a, "allow", abs.data, gave_up);
		v = EX_LINK_NOT_ALLOWED;
	} else if (fl->deny != NULL && (m = regex_test(a->r, fl->deny, abs.data, abs.len)) != 0) {
		if (m < 0)
			follow_regex_gave_up(a, "deny", abs.data, gave_up); /* denied: the safe side */
		v = EX_LINK_DENIED;
	} else if (a->cov != NULL) {
		a->cov[EX_COV_FOLLOW(k)]++;
	}
	if (v == EX_LINK_OFFERED && urlset_add(seen, url_hash(abs.data, abs.len)) != 1)
		v = EX_LINK_DUPLICATE;
	else if (v == EX_LINK_OFFERED && a->stats->links >= MAX_LINKS_PER_PAGE)
		v = EX_LINK_TOO_MANY;
	if (a->obs != NULL && a->obs->link != NULL)
		watch_link(a, fl, v == EX_LINK_NOT_HTTP ? href : abs.data, v);
	if (v == EX_LINK_OFFERED) {
		a->stats->links++;
		rc = a->sink->link(a->sink->ctx, abs.data);
	}
	buf_free(&abs);
	return rc;
}

/*
 * The follow rules' links.  At most MAX_LINKS_PER_PAGE candidates are looked at per
 * page, counted before the allow and deny regexes run (so a page of 100,000 links
 * costs no more regex time than one of 20,000); when the cap bites, it is reported as
 * a problem of the page.
 */
static int
apply_follows(struct apply *a)
{
	struct urlset seen;
	unsigned looked = 0;
	long over = 0;
	int rc = 0;

	if (a->cov != NULL)
		a->cov[EX_COV_FOLLOW_PAGES]++;
	urlset_init(&seen);
	for (size_t i = 0; i < a->r->nfollows && rc == 0; i++) {
		const struct ex_follow *fl = &a->r->follows[i];
		unsigned gave_up = 0;
		xmlXPathObjectPtr res;
		a->xc->node = (xmlNodePtr)a->doc;
		res = select_nodes(a, fl->xp, fl->plan);
		if (res == NULL || res->type != XPATH_NODESET || res->nodesetval == NULL) {
			xmlXPathFreeObject(res);
			continue;
		}
		for (int j = 0; j < res->nodesetval->nodeNr && rc == 0 && gave_up < MAX_REGEX_GIVE_UPS;
		     j++) {
			xmlNodePtr n = res->nodesetval->nodeTab[j];
			if (looked >= MAX_LINKS_PER_PAGE) {
				over += res->nodesetval->nodeNr - j;
				break;
			}
			looked++;
			xmlChar *href = n->type == XML_ELEMENT_NODE
					    ? xmlGetProp(n, (const xmlChar *)"href")
					    : xmlNodeGetContent(n);
			if (href != NULL)
				rc = offer_link(a, i, (const char *)href, &seen, &gave_up);
			xmlFree(href);
		}
		xmlXPathFreeObject(res);
	}
	if (over > 0) {
		a->stats->errors++;
		problem(a, "follow: the page has more than %d links; the %ld after the first %d "
			   "were not looked at", MAX_LINKS_PER_PAGE, over, MAX_LINKS_PER_PAGE);
	}
	urlset_free(&seen);
	return rc;
}

/* The page's base URL: <base href> resolved against url, else url itself. */
static struct url_base *
page_base(struct apply *a, const char *url)
{
	struct url_base *page = url_base_new(url), *based = NULL;
	xmlXPathObjectPtr res = NULL;
	xmlNodePtr href_attr = NULL;
	struct css_index *ix;
	struct buf abs;

	if (page == NULL)
		return NULL;
	if ((ix = page_index(a)) != NULL) {
		/* (//base[@href])[1]/@href, without a walk of the page */
		href_attr = (xmlNodePtr)css_index_first_attr(ix, "base", "href");
	} else {
		a->xc->node = (xmlNodePtr)a->doc;
		res = xmlXPathCompiledEval(a->r->base, a->xc);
		if (res != NULL && res->nodesetval != NULL && res->nodesetval->nodeNr == 1)
			href_attr = res->nodesetval->nodeTab[0];
	}
	if (href_attr != NULL) {
		xmlChar *href = xmlNodeGetContent(href_attr);
		buf_init(&abs, URL_MAX * 4);
		if (href != NULL && url_resolve(page, (const char *)href, &abs) == 0)
			based = url_base_new(abs.data);
		buf_free(&abs);
		xmlFree(href);
	}
	xmlXPathFreeObject(res);
	if (based == NULL)
		return page;
	url_base_free(page);
	return based;
}

int
ex_apply(const struct ex_rules *r, xmlDocPtr doc, struct css_index *ix, const char *url,
	 const struct ex_sink *sink, struct ex_stats *stats, const struct ex_observer *obs)
{
	struct apply a = { .r = r, .doc = doc, .sink = sink, .stats = stats, .obs = obs,
			   .cov = obs != NULL ? obs->coverage : NULL, .ix = ix,
			   .ix_tried = ix != NULL };
	size_t off;
	int rc = 0;

	memset(stats, 0, sizeof *stats);
	if (doc == NULL || (a.xc = xmlXPathNewContext(doc)) == NULL)
		return -1;
	if (css_xpath_register(a.xc) == -1) {
		xmlXPathFreeContext(a.xc);
		return -1;
	}
	a.base = page_base(&a, url);
	buf_init(&a.raw, MAX_VALUE);
	buf_init(&a.val, MAX_VALUE);
	buf_init(&a.tmp, MAX_VALUE);
	buf_init(&a.scratch, MAX_VALUE);
	buf_init(&a.xvals, MAX_ITEM);
	buf_init(&a.xdrop, 1 << 16);
	if (a.base != NULL && sink->link != NULL)
		rc = apply_follows(&a);
	off = EX_COV_FOLLOW(r->nfollows);
	for (size_t i = 0; i < r->nitems && rc == 0; i++) {
		rc = apply_item(&a, &r->items[i], url, a.cov != NULL ? a.cov + off : NULL);
		off += EX_COV_FIELD(r->items[i].nfields);
	}
	buf_free(&a.raw);
	buf_free(&a.val);
	buf_free(&a.tmp);
	buf_free(&a.scratch);
	buf_free(&a.xvals);
	buf_free(&a.xdrop);
	url_base_free(a.base);
	jsonld_free(a.ld);
	if (a.ix_ours)
		css_index_free(a.ix);
	xmlXPathFreeContext(a.xc);
	return rc;
}

/* ---- what the rules hold ---- */

size_t
ex_coverage_item(const struct ex_rules *r, size_t item)
{
	size_t off = EX_COV_FOLLOW(r->nfollows);

	for (size_t i = 0; i < item && i < r->nitems; i++)
		off += EX_COV_FIELD(r->items[i].nfields);
	return off;
}

size_t
ex_coverage_size(const struct ex_rules *r)
{
	return ex_coverage_item(r, r->nitems);
}

size_t ex_follow_count(const struct ex_rules *r) { return r->nfollows; }
const char *ex_follow_selector(const struct ex_rules *r, size_t k) { return r->follows[k].sel_text; }
size_t ex_item_count(const struct ex_rules *r) { return r->nitems; }
const char *ex_item_type(const struct ex_rules *r, size_t i) { return r->items[i].type; }
const char *ex_item_match(const struct ex_rules *r, size_t i) { return r->items[i].match_text; }
size_t ex_field_count(const struct ex_rules *r, size_t i) { return r->items[i].nfields; }

const char *
ex_field_name(const struct ex_rules *r, size_t i, size_t j)
{
	return r->items[i].fields[j].name;
}

const char *
ex_field_selector(const struct ex_rules *r, size_t i, size_t j)
{
	return r->items[i].fields[j].sel_text;
}
