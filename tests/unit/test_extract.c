/*
 * test_extract.c: compiled rules applied to a fixture page (extractors/extract.c):
 * each step of a field's pipeline, types on awkward input, each scoping, link
 * resolution against <base href>, follow allow/deny, and compile errors.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include <libxml/HTMLparser.h>

#include "extract.h"
#include "unit.h"

#define PAGE_URL "http://books.example/catalogue/page-1.html"

static xmlDocPtr doc;

/* What the sink saw. */
struct seen {
	struct buf items, links, problems;
	unsigned nitems;
};

static int
on_item(void *ctx, const char *type, unsigned idx, const char *json, size_t len)
{
	struct seen *s = ctx;

	buf_printf(&s->items, "%s#%u %.*s\n", type, idx, (int)len, json);
	s->nitems++;
	return 0;
}

static int
on_link(void *ctx, const char *url)
{
	struct seen *s = ctx;

	buf_printf(&s->links, "%s\n", url);
	return 0;
}

static void
on_problem(void *ctx, const char *msg)
{
	struct seen *s = ctx;

	buf_printf(&s->problems, "%s\n", msg);
}

static int
setup(void **state)
{
	char path[4096];

	snprintf(path, sizeof path, "%s/tests/fixtures/extract/shop.html", getenv("top_srcdir"));
	doc = htmlReadFile(path, "UTF-8", HTML_PARSE_RECOVER | HTML_PARSE_NOERROR | HTML_PARSE_NOWARNING);
	return doc == NULL;
}

static int
teardown(void **state)
{
	xmlFreeDoc(doc);
	return 0;
}

static struct seen *
apply(struct ex_rules *r)
{
	static struct seen s;
	struct ex_sink sink = { &s, on_item, on_link, on_problem };
	struct ex_stats stats;

	buf_free(&s.items);
	buf_free(&s.links);
	buf_free(&s.problems);
	buf_init(&s.items, 1 << 20);
	buf_init(&s.links, 1 << 20);
	buf_init(&s.problems, 1 << 20);
	s.nitems = 0;
	assert_int_equal(ex_apply(r, doc, NULL, PAGE_URL, &sink, &stats, NULL), 0);
	return &s;
}

/* One item "t" with one field; returns the item's JSON line ("" when none). */
static const char *
one_field(const struct ex_field_spec *spec)
{
	static char line[4096];
	struct ex_rules *r = ex_rules_new();
	struct ex_error e;
	enum ex_part part;
	struct seen *s;
	int item = ex_add_item(r, "t", NULL, NULL, &e, &part);

	assert_int_equal(item, 0);
	if (ex_add_field(r, item, spec, &e, &part) != 0)
		fail_msg("field did not compile: %s", e.msg);
	s = apply(r);
	snprintf(line, sizeof line, "%s", buf_str(&s->items));
	line[strcspn(line, "\n")] = '\0';
	ex_rules_free(r);
	return line;
}

#define CSS(x) { EX_CSS, x }
#define XP(x) { EX_XPATH, x }

static void
test_text_is_normalised(void **state)
{
	struct ex_field_spec f = { .name = "v", .sel = CSS("div.product_main h1") };

	assert_string_equal(one_field(&f), "t#0 {\"v\":\"A Light in the Attic\"}");
	f.sel = (struct ex_selector)CSS("title::text");
	assert_string_equal(one_field(&f), "t#0 {\"v\":\"The Shop\"}");
}

static void
test_own_text_drops_blanks_and_all(void **state)
{
	struct ex_field_spec f = { .name = "v", .sel = CSS("ul.tags li::text"), .all = true };

	/* <li> <b>classic</b> </li> has only blank own text: dropped. */
	assert_string_equal(one_field(&f), "t#0 {\"v\":[\"poetry\",\"kids\"]}");
	f.sel = (struct ex_selector)CSS("ul.tags li");
	assert_string_equal(one_field(&f), "t#0 {\"v\":[\"poetry\",\"classic\",\"kids\"]}");
	f.join = ", ";
	assert_string_equal(one_field(&f), "t#0 {\"v\":\"poetry, classic, kids\"}");
}

static void
test_first_value_without_all(void **state)
{
	struct ex_field_spec f = { .name = "v", .sel = CSS("ul.tags li") };

	assert_string_equal(one_field(&f), "t#0 {\"v\":\"poetry\"}");
}

static void
test_re_capture_and_whole_match(void **state)
{
	struct ex_field_spec f = { .name = "v", .sel = XP("//p[contains(@class,'availability')]"),
				   .re = "\\(([0-9]+) available\\)", .type = EX_INT };

	assert_string_equal(one_field(&f), "t#0 {\"v\":22}");
	f.re = "[0-9]+ available";
	f.type = EX_STRING;
	assert_string_equal(one_field(&f), "t#0 {\"v\":\"22 available\"}");
	/* No match: no value; the item has nothing else, so it is not produced. */
	f.re = "sold out";
	assert_string_equal(one_field(&f), "");
}

static void
test_re_takes_first_matching_value(void **state)
{
	/* The first li does not match; the first value that survives wins. */
	struct ex_field_spec f = { .name = "v", .sel = CSS("ul.tags li"), .re = "^k.*" };

	assert_string_equal(one_field(&f), "t#0 {\"v\":\"kids\"}");
}

static void
test_number_types_on_awkward_text(void **state)
{
	struct ex_field_spec f = { .name = "v", .sel = CSS("p.price_color::text"), .type = EX_NUMBER };

	assert_string_equal(one_field(&f), "t#0 {\"v\":1299.0}");
	f.sel = (struct ex_selector)CSS("p.na");
	f.def = "0";
	assert_string_equal(one_field(&f), "t#0 {\"v\":0.0}"); /* "N/A": the default */
	f.def = NULL;
	f.sel = (struct ex_selector)CSS("p.empty");
	assert_string_equal(one_field(&f), ""); /* empty: nothing at all */
	f.type = EX_INT;
	f.sel = (struct ex_selector)CSS("p.price_color");
	assert_string_equal(one_field(&f), "t#0 {\"v\":1299}");
}

static void
test_bool_and_attr(void **state)
{
	struct ex_field_spec f = { .name = "v", .sel = CSS("p.flag"), .type = EX_BOOL };

	assert_string_equal(one_field(&f), "t#0 {\"v\":true}");
	f.sel = (struct ex_selector)CSS("p.rating");
	f.attr = "data-stars";
	f.type = EX_INT;
	assert_string_equal(one_field(&f), "t#0 {\"v\":3}");
	f.attr = "data-missing";
	assert_string_equal(one_field(&f), "");
}

static void
test_url_resolves_against_base_href(void **state)
{
	struct ex_field_spec f = { .name = "v", .sel = CSS("ul.pager li.next a::attr(href)"), .type = EX_URL };

	/* <base href="/catalogue/"> wins over the page's own address. */
	assert_string_equal(one_field(&f), "t#0 {\"v\":\"http://books.example/catalogue/page-2.html\"}");
	f.sel = (struct ex_selector)CSS("#links a::attr(href)");
	f.all = true;
	assert_string_equal(one_field(&f),
			    "t#0 {\"v\":[\"http://books.example/catalogue/book_1/index.html\","
			    "\"http://books.example/other/x.html\","
			    "\"http://books.example/catalogue/book_1/index.html#reviews\","
			    "\"mailto:shop@example.com\","
			    "\"javascript:void(0)\","
			    "\"ftp://files.example.com/a\","
			    "\"http://elsewhere.example/y\","
			    "\"http://books.example/catalogue/book_2/index.html\"]}");
}

static void
test_html_type_keeps_markup(void **state)
{
	struct ex_field_spec f = { .name = "v", .sel = CSS("#markup p"), .type = EX_HTML };

	assert_string_equal(one_field(&f), "t#0 {\"v\":\"<p>Hello <em>there</em></p>\"}");
}

/* type: url as the URL standard resolves an href, against <base href="/catalogue/">. */
static void
test_url_values_keep_what_the_href_says(void **state)
{
	struct ex_field_spec f = { .name = "v", .sel = CSS("#urls a::attr(href)"), .type = EX_URL, .all = true };

	assert_string_equal(one_field(&f),
			    "t#0 {\"v\":[\"http://books.example/catalogue/?\","
			    "\"http://books.example/catalogue/x?q=a%20b#frag%20ment\","
			    "\"http://xn--bcher-kva.example/%C3%A9?%C3%BC#%C3%A9\","
			    "\"http://other.example/a/b?c\\\\d\","
			    "\"tel:+1 555 0100\","
			    "\"mailto:shop@example.com?subject=Hi%20there\","
			    "\"http://example.com/%7Eu/b\","
			    "\"http://books.example/catalogue/#top\"]}");
}

/* Follow rules stay http(s) and canonical: no fragment, no mailto:. */
static void
test_follow_links_stay_canonical(void **state)
{
	struct ex_rules *r = ex_rules_new();
	struct ex_selector sel = CSS("#urls a");
	struct ex_error e;
	enum ex_part part;
	struct seen *s;

	assert_int_equal(ex_add_follow(r, &sel, NULL, NULL, &e, &part), 0);
	s = apply(r);
	assert_string_equal(buf_str(&s->links),
			    "http://books.example/catalogue/\n"
			    "http://books.example/catalogue/x?q=a%20b\n"
			    "http://xn--bcher-kva.example/%C3%A9?%C3%BC\n"
			    "http://other.example/a/b?c%5Cd\n"
			    "http://example.com/~u/b\n");
	ex_rules_free(r);
}

/* type: html is the markup as the document has it: no line breaks added. */
static void
test_html_adds_no_line_breaks(void **state)
{
	struct ex_field_spec f = { .name = "v", .sel = CSS("#block"), .type = EX_HTML };

	assert_string_equal(one_field(&f),
			    "t#0 {\"v\":\"<div id=\\\"block\\\"><ul class=\\\"x\\\">\\n  "
			    "<li>caf\u00e9 &amp; <b>t\u00e9</b></li>\\n</ul><p>end</p></div>\"}");
}

/* One white-space set: U+2009 and U+3000 collapse like U+00A0; all-blank is none. */
static void
test_unicode_white_space_in_values(void **state)
{
	struct ex_field_spec f = { .name = "v", .sel = CSS("#spaces p"), .all = true };

	assert_string_equal(one_field(&f), "t#0 {\"v\":[\"a b c\",\"x\"]}");
	f.sel = (struct ex_selector)CSS("#spaces p.nbsp::text");
	f.all = false;
	assert_string_equal(one_field(&f), "");
}

/* ::text is the element's own text nodes; E *::text every text node under E. */
static void
test_text_pseudo_element_scope(void **state)
{
	struct ex_field_spec f = { .name = "v", .sel = CSS("#deep::text"), .all = true };

	assert_string_equal(one_field(&f), "t#0 {\"v\":[\"own\",\"tail\"]}");
	f.sel = (struct ex_selector)CSS("#deep *::text");
	assert_string_equal(one_field(&f), "t#0 {\"v\":[\"own\",\"child\",\"grand\",\"tail\"]}");
	f.sel = (struct ex_selector)CSS("#deep ::text");
	assert_string_equal(one_field(&f), "t#0 {\"v\":[\"own\",\"child\",\"grand\",\"tail\"]}");
	f.sel = (struct ex_selector)CSS("#deep > *::text");
	assert_string_equal(one_field(&f), "t#0 {\"v\":[\"child\"]}");
}

static void
test_types_do_not_invent(void **state)
{
	struct ex_field_spec f = { .name = "v", .sel = CSS("#types .code"), .type = EX_INT };

	assert_string_equal(one_field(&f), "");
	f.type = EX_BOOL;
	f.sel = (struct ex_selector)CSS("#types .avail");
	assert_string_equal(one_field(&f), "");
	/* A regex without a group is the test: a match is true. */
	f.re = "In stock";
	assert_string_equal(one_field(&f), "t#0 {\"v\":true}");
	f.re = "(In) stock";
	assert_string_equal(one_field(&f), "");
	f.re = NULL;
	f.type = EX_DATE;
	f.sel = (struct ex_selector)CSS("#types time, #types span");
	f.all = true;
	assert_string_equal(one_field(&f), "t#0 {\"v\":[\"2026-12-05T10:30:00+00:00\","
					   "\"2026-12-05\",\"2026-12-05\"]}");
	f.def = "1 Jan 2000";
	f.all = false;
	f.sel = (struct ex_selector)CSS("#types .ambiguous");
	assert_string_equal(one_field(&f), "t#0 {\"v\":\"2000-01-01\"}");
}

static void
test_xpath_scalars(void **state)
{
	struct ex_field_spec f = { .name = "v", .sel = XP("count(//div[@class='quote'])"), .type = EX_INT };

	assert_string_equal(one_field(&f), "t#0 {\"v\":3}");
	f.sel = (struct ex_selector)XP("string(//table[@class='t']//th[.='UPC']/following-sibling::td)");
	f.type = EX_STRING;
	assert_string_equal(one_field(&f), "t#0 {\"v\":\"a897fe39b1053632\"}");
}

static void
test_each_scopes_fields_and_required(void **state)
{
	struct ex_rules *r = ex_rules_new();
	struct ex_selector each = CSS("div.quote");
	struct ex_field_spec text = { .name = "text", .sel = CSS("span.text::text") };
	struct ex_field_spec author = { .name = "author", .sel = CSS("small.author::text"), .required = true };
	struct ex_field_spec tags = { .name = "tags", .sel = CSS("a.tag::text"), .all = true };
	struct ex_error e;
	enum ex_part part;
	struct seen *s;
	int item = ex_add_item(r, "quote", NULL, &each, &e, &part);

	assert_int_equal(ex_add_field(r, item, &text, &e, &part), 0);
	assert_int_equal(ex_add_field(r, item, &author, &e, &part), 0);
	assert_int_equal(ex_add_field(r, item, &tags, &e, &part), 0);
	s = apply(r);
	/* q2 has no author: dropped, and its index is not reused. */
	assert_string_equal(buf_str(&s->items),
			    "quote#0 {\"text\":\"“One”\",\"author\":\"Ann\",\"tags\":[\"a\",\"b\"]}\n"
			    "quote#2 {\"text\":\"“Three”\",\"author\":\"Cy\",\"tags\":[]}\n");
	assert_non_null(strstr(buf_str(&s->problems), "required field 'author'"));
	ex_rules_free(r);
}

static void
test_match_on_url(void **state)
{
	struct ex_rules *r = ex_rules_new();
	struct ex_field_spec f = { .name = "v", .sel = CSS("title") };
	struct ex_error e;
	enum ex_part part;

	ex_add_item(r, "yes", "/page-[0-9]+\\.html$", NULL, &e, &part);
	ex_add_field(r, 0, &f, &e, &part);
	ex_add_item(r, "no", "/product/", NULL, &e, &part);
	ex_add_field(r, 1, &f, &e, &part);
	assert_string_equal(buf_str(&apply(r)->items), "yes#0 {\"v\":\"The Shop\"}\n");
	ex_rules_free(r);
}

/* A URL filter matches when its regex matches, whether or not a capture group took
 * part; only a field's re takes the first group. */
static void
test_url_filters_ignore_unused_groups(void **state)
{
	struct ex_rules *r = ex_rules_new();
	struct ex_field_spec f = { .name = "v", .sel = CSS("title") };
	struct ex_selector next = CSS("ul.pager li.next a::attr(href)");
	struct ex_error e;
	enum ex_part part;

	ex_add_item(r, "opt", "/catalogue/(index\\.html)?page-[0-9]+\\.html$", NULL, &e, &part);
	ex_add_field(r, 0, &f, &e, &part);
	assert_int_equal(ex_add_follow(r, &next, "/(index\\.html)?catalogue/page", "(x)?nomatch", &e, &part), 0);
	assert_string_equal(buf_str(&apply(r)->items), "opt#0 {\"v\":\"The Shop\"}\n");
	assert_string_equal(buf_str(&apply(r)->links), "http://books.example/catalogue/page-2.html\n");
	ex_rules_free(r);
}

static void
test_follow_links(void **state)
{
	struct ex_rules *r = ex_rules_new();
	struct ex_selector all = CSS("#links a"), next = CSS("ul.pager li.next a::attr(href)");
	struct ex_error e;
	enum ex_part part;

	assert_int_equal(ex_add_follow(r, &next, NULL, NULL, &e, &part), 0);
	/* Elements give their href; non-http(s) schemes and missing hrefs are dropped,
	 * fragments removed, each URL once; deny drops the elsewhere link. */
	assert_int_equal(ex_add_follow(r, &all, "^http", "elsewhere", &e, &part), 0);
	assert_string_equal(buf_str(&apply(r)->links),
			    "http://books.example/catalogue/page-2.html\n"
			    "http://books.example/catalogue/book_1/index.html\n"
			    "http://books.example/other/x.html\n"
			    "http://books.example/catalogue/book_2/index.html\n");
	ex_rules_free(r);
}

static void
test_compile_errors_have_positions(void **state)
{
	struct ex_rules *r = ex_rules_new();
	struct ex_field_spec f = { .name = "v", .sel = CSS("div >") };
	struct ex_selector bad = XP("//div[");
	struct ex_error e;
	enum ex_part part;
	int item = ex_add_item(r, "t", NULL, NULL, &e, &part);

	assert_int_equal(ex_add_field(r, item, &f, &e, &part), -1);
	assert_int_equal(part, EX_PART_SELECTOR);
	assert_true(e.pos != EX_NO_POS);
	f.sel = (struct ex_selector)CSS("p");
	f.re = "([a-z";
	assert_int_equal(ex_add_field(r, item, &f, &e, &part), -1);
	assert_int_equal(part, EX_PART_RE);
	assert_int_equal(e.pos, 5);
	f.re = NULL;
	f.type = EX_INT;
	f.def = "lots";
	assert_int_equal(ex_add_field(r, item, &f, &e, &part), -1);
	assert_int_equal(part, EX_PART_DEFAULT);
	assert_int_equal(ex_add_follow(r, &bad, NULL, NULL, &e, &part), -1);
	assert_non_null(strstr(e.msg, "XPath"));
	assert_int_equal(ex_add_follow(r, &(struct ex_selector)CSS("a"), "(", NULL, &e, &part), -1);
	assert_int_equal(part, EX_PART_ALLOW);
	assert_int_equal(ex_add_follow(r, &(struct ex_selector)CSS("a"), NULL, "[", &e, &part), -1);
	assert_int_equal(part, EX_PART_DENY);
	ex_rules_free(r);
}

static void
test_selector_short_form(void **state)
{
	struct ex_selector sel;
	struct ex_error e;

	assert_int_equal(ex_selector_parse("css: a.b::text", &sel, &e), 0);
	assert_int_equal(sel.kind, EX_CSS);
	assert_string_equal(sel.expr, "a.b::text");
	assert_int_equal(ex_selector_parse("xpath://a", &sel, &e), 0);
	assert_int_equal(sel.kind, EX_XPATH);
	assert_string_equal(sel.expr, "//a");
	assert_int_equal(ex_selector_parse("jquery: a", &sel, &e), -1);
	assert_int_equal(ex_selector_parse("css:   ", &sel, &e), -1);
}

static void
test_pathological_regex_fails_the_field_only(void **state)
{
	/* Catastrophic backtracking: the match limit stops it, the field has no value,
	 * and the problem is reported; other fields are unaffected. */
	struct ex_rules *r = ex_rules_new();
	struct ex_field_spec slow = { .name = "slow", .sel = XP("concat('aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa', '!')"),
				      .re = "^(a+)+$" };
	struct ex_field_spec ok = { .name = "ok", .sel = CSS("title") };
	struct ex_error e;
	enum ex_part part;
	struct seen *s;

	ex_add_item(r, "t", NULL, NULL, &e, &part);
	assert_int_equal(ex_add_field(r, 0, &slow, &e, &part), 0);
	assert_int_equal(ex_add_field(r, 0, &ok, &e, &part), 0);
	s = apply(r);
	assert_string_equal(buf_str(&s->items), "t#0 {\"slow\":null,\"ok\":\"The Shop\"}\n");
	assert_non_null(strstr(buf_str(&s->problems), "regex gave up"));
	ex_rules_free(r);
}

/* ---- the observer: what try --explain and crawl -vv are built on ---- */

static struct buf watched;

static void
watch_field_cb(void *ctx, const struct ex_field_report *f)
{
	(void)ctx;
	buf_printf(&watched, "field %s#%u.%s [%s] matched=%zu values=%s dropped=%s%s\n", f->item,
		   f->idx, f->field, f->selector, f->matched, f->values, f->dropped,
		   f->defaulted ? " (default)" : "");
}

static void
watch_item_cb(void *ctx, const struct ex_item_report *it)
{
	(void)ctx;
	buf_printf(&watched, "item %s#%u matched=%d stored=%d why=%s\n", it->type, it->idx,
		   it->matched, it->stored, it->why);
}

static void
watch_link_cb(void *ctx, const struct ex_link_report *l)
{
	(void)ctx;
	buf_printf(&watched, "link %s %s: %s\n", l->url, ex_link_verdict_name(l->verdict), l->why);
}

/* Apply r watched; what the sink got is returned, what the observer got is in
 * watched. */
static struct seen *
apply_watched(struct ex_rules *r, uint32_t *coverage)
{
	static struct seen s;
	struct ex_sink sink = { &s, on_item, on_link, on_problem };
	struct ex_observer obs = { NULL, coverage, watch_field_cb, watch_item_cb, watch_link_cb };
	struct ex_stats stats;

	buf_free(&s.items);
	buf_free(&s.links);
	buf_free(&s.problems);
	buf_init(&s.items, 1 << 20);
	buf_init(&s.links, 1 << 20);
	buf_init(&s.problems, 1 << 20);
	buf_free(&watched);
	buf_init(&watched, 1 << 20);
	s.nitems = 0;
	assert_int_equal(ex_apply(r, doc, NULL, PAGE_URL, &sink, &stats, &obs), 0);
	return &s;
}

static void
test_observer_fields_say_what_survived(void **state)
{
	struct ex_rules *r = ex_rules_new();
	struct ex_field_spec price = { .name = "price", .sel = CSS("p::text"), .re = "[0-9][0-9,.]*",
				       .type = EX_NUMBER };
	struct ex_field_spec tags = { .name = "tags", .sel = CSS("ul.tags li"), .all = true };
	struct ex_field_spec stock = { .name = "stock", .sel = CSS("p.na::text"), .type = EX_INT,
				       .def = "0" };
	struct ex_error e;
	enum ex_part part;
	int item = ex_add_item(r, "book", NULL, NULL, &e, &part);

	assert_int_equal(ex_add_field(r, item, &price, &e, &part), 0);
	assert_int_equal(ex_add_field(r, item, &tags, &e, &part), 0);
	assert_int_equal(ex_add_field(r, item, &stock, &e, &part), 0);
	apply_watched(r, NULL);
	/* The first p (the price) survives; without all the rest is not looked at. The
	 * blank li is dropped; N/A is no int and the default stands in. */
	assert_string_equal(buf_str(&watched),
		"field book#0.price [css: p::text] matched=12 values=[1299.0] dropped=[]\n"
		"field book#0.tags [css: ul.tags li] matched=4 values=[\"poetry\",\"classic\",\"kids\"] "
		"dropped=[{\"text\":\"\",\"why\":\"no text (empty, or no such attribute)\"}]\n"
		"field book#0.stock [css: p.na::text] matched=1 values=[] "
		"dropped=[{\"text\":\"N/A\",\"why\":\"not a whole number (type: int)\"}] (default)\n"
		"item book#0 matched=1 stored=1 why=\n");
	ex_rules_free(r);
}

static void
test_observer_items_say_why_not(void **state)
{
	struct ex_rules *r = ex_rules_new();
	struct ex_field_spec author = { .name = "author", .sel = CSS("small.author::text"),
					.required = true };
	struct ex_field_spec none = { .name = "v", .sel = CSS("p.nothing-here") };
	struct ex_selector each = CSS("div.quote"), each_none = CSS("div.nope");
	struct ex_error e;
	enum ex_part part;

	assert_int_equal(ex_add_item(r, "elsewhere", "/product/", NULL, &e, &part), 0);
	assert_int_equal(ex_add_item(r, "quote", NULL, &each, &e, &part), 1);
	assert_int_equal(ex_add_field(r, 1, &author, &e, &part), 0);
	assert_int_equal(ex_add_item(r, "empty", NULL, NULL, &e, &part), 2);
	assert_int_equal(ex_add_field(r, 2, &none, &e, &part), 0);
	assert_int_equal(ex_add_item(r, "cards", NULL, &each_none, &e, &part), 3);
	assert_int_equal(ex_add_field(r, 3, &none, &e, &part), 0);
	buf_free(&watched);
	apply_watched(r, NULL);
	assert_non_null(strstr(buf_str(&watched),
		"item elsewhere#0 matched=0 stored=0 why=the URL does not match '/product/'\n"));
	assert_non_null(strstr(buf_str(&watched), "item quote#0 matched=1 stored=1 why=\n"));
	assert_non_null(strstr(buf_str(&watched),
		"item quote#1 matched=1 stored=0 why=required field 'author' has no value\n"));
	assert_non_null(strstr(buf_str(&watched), "item quote#2 matched=1 stored=1 why=\n"));
	assert_non_null(strstr(buf_str(&watched),
		"item empty#0 matched=1 stored=0 why=no field has a value\n"));
	assert_non_null(strstr(buf_str(&watched),
		"item cards#0 matched=1 stored=0 why=each: found no element\n"));
	ex_rules_free(r);
}

static void
test_observer_links_say_why(void **state)
{
	struct ex_rules *r = ex_rules_new();
	struct ex_selector all = CSS("#links a"), next = CSS("ul.pager li.next a::attr(href)");
	struct ex_error e;
	enum ex_part part;
	struct seen *s;

	assert_int_equal(ex_add_follow(r, &next, NULL, NULL, &e, &part), 0);
	assert_int_equal(ex_add_follow(r, &all, "^http", "elsewhere", &e, &part), 0);
	s = apply_watched(r, NULL);
	/* Watching changes nothing the sink gets. */
	assert_string_equal(buf_str(&s->links),
			    "http://books.example/catalogue/page-2.html\n"
			    "http://books.example/catalogue/book_1/index.html\n"
			    "http://books.example/other/x.html\n"
			    "http://books.example/catalogue/book_2/index.html\n");
	assert_string_equal(buf_str(&watched),
		"link http://books.example/catalogue/page-2.html offered: \n"
		"link http://books.example/catalogue/book_1/index.html offered: \n"
		"link http://books.example/other/x.html offered: \n"
		"link http://books.example/catalogue/book_1/index.html duplicate: duplicate (already found on this page)\n"
		"link mailto:shop@example.com not http(s): not an http(s) URL\n"
		"link javascript:void(0) not http(s): not an http(s) URL\n"
		"link ftp://files.example.com/a not http(s): not an http(s) URL\n"
		"link http://elsewhere.example/y denied: denied by deny 'elsewhere'\n"
		"link http://books.example/catalogue/book_2/index.html offered: \n");
	ex_rules_free(r);
	r = ex_rules_new();
	assert_int_equal(ex_add_follow(r, &next, "/nowhere/", NULL, &e, &part), 0);
	apply_watched(r, NULL);
	assert_string_equal(buf_str(&watched),
		"link http://books.example/catalogue/page-2.html not allowed: "
		"not allowed: allow '/nowhere/' does not match\n");
	ex_rules_free(r);
}

static void
test_coverage_counts(void **state)
{
	struct ex_rules *r = ex_rules_new();
	struct ex_selector all = CSS("#links a"), none = CSS("nav.none a"), each = CSS("div.quote");
	struct ex_field_spec author = { .name = "author", .sel = CSS("small.author::text") };
	struct ex_field_spec missing = { .name = "isbn", .sel = CSS("span.isbn::text") };
	struct ex_error e;
	enum ex_part part;
	uint32_t cov[32] = { 0 };
	size_t q, p;

	assert_int_equal(ex_add_follow(r, &all, NULL, NULL, &e, &part), 0);
	assert_int_equal(ex_add_follow(r, &none, NULL, NULL, &e, &part), 0);
	assert_int_equal(ex_add_item(r, "quote", NULL, &each, &e, &part), 0);
	assert_int_equal(ex_add_field(r, 0, &author, &e, &part), 0);
	assert_int_equal(ex_add_field(r, 0, &missing, &e, &part), 0);
	assert_int_equal(ex_add_item(r, "product", "/product/", NULL, &e, &part), 1);
	assert_int_equal(ex_coverage_size(r), 1 + 2 + (3 + 2) + 3);
	q = ex_coverage_item(r, 0);
	p = ex_coverage_item(r, 1);
	assert_int_equal(q, 3);
	assert_int_equal(p, 8);
	apply_watched(r, cov);
	apply_watched(r, cov);
	assert_int_equal(cov[EX_COV_FOLLOW_PAGES], 2);
	assert_int_equal(cov[EX_COV_FOLLOW(0)], 2 * 5);	/* b1, x, b1 again, elsewhere, b2 */
	assert_int_equal(cov[EX_COV_FOLLOW(1)], 0);
	assert_int_equal(cov[q + EX_COV_MATCHED], 2);
	assert_int_equal(cov[q + EX_COV_EVALUATED], 2 * 3);
	assert_int_equal(cov[q + EX_COV_STORED], 2 * 2);
	assert_int_equal(cov[q + EX_COV_FIELD(0)], 2 * 2);
	assert_int_equal(cov[q + EX_COV_FIELD(1)], 0);
	assert_int_equal(cov[p + EX_COV_MATCHED], 0);
	assert_string_equal(ex_item_type(r, 1), "product");
	assert_string_equal(ex_item_match(r, 1), "/product/");
	assert_null(ex_item_match(r, 0));
	assert_string_equal(ex_field_name(r, 0, 1), "isbn");
	assert_string_equal(ex_field_selector(r, 0, 1), "css: span.isbn::text");
	assert_string_equal(ex_follow_selector(r, 1), "css: nav.none a");
	assert_int_equal(ex_follow_count(r), 2);
	assert_int_equal(ex_item_count(r), 2);
	assert_int_equal(ex_field_count(r, 0), 2);
	ex_rules_free(r);
	buf_free(&watched);
}

/* allow, deny and match test for a match anywhere: a capture group that takes no part
 * in it does not undo it (it did: "a/(x|y)/|b" refused every URL that matched by b). */
static void
test_groups_do_not_undo_allow_deny_match(void **state)
{
	struct ex_rules *r = ex_rules_new();
	struct ex_selector next = CSS("ul.pager li.next a::attr(href)");
	struct ex_field_spec f = { .name = "v", .sel = CSS("title::text") };
	struct ex_error e;
	enum ex_part part;

	assert_int_equal(ex_add_follow(r, &next, "/(nothing|none)/|page-2", NULL, &e, &part), 0);
	assert_int_equal(ex_add_follow(r, &next, NULL, "/(nothing)/|page-2", &e, &part), 0);
	assert_int_equal(ex_add_item(r, "t", "/(nothing)/|page-1", NULL, &e, &part), 0);
	assert_int_equal(ex_add_field(r, 0, &f, &e, &part), 0);
	/* Allowed by the first rule; the second's deny matches (only the first is kept
	 * anyway: once per page). */
	assert_string_equal(buf_str(&apply(r)->links), "http://books.example/catalogue/page-2.html\n");
	assert_string_equal(buf_str(&apply(r)->items), "t#0 {\"v\":\"The Shop\"}\n");
	ex_rules_free(r);
	r = ex_rules_new();
	assert_int_equal(ex_add_follow(r, &next, NULL, "/(nothing)/|page-2", &e, &part), 0);
	assert_string_equal(buf_str(&apply(r)->links), "");
	ex_rules_free(r);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_text_is_normalised),
		cmocka_unit_test(test_url_filters_ignore_unused_groups),
		cmocka_unit_test(test_own_text_drops_blanks_and_all),
		cmocka_unit_test(test_first_value_without_all),
		cmocka_unit_test(test_re_capture_and_whole_match),
		cmocka_unit_test(test_re_takes_first_matching_value),
		cmocka_unit_test(test_number_types_on_awkward_text),
		cmocka_unit_test(test_bool_and_attr),
		cmocka_unit_test(test_url_resolves_against_base_href),
		cmocka_unit_test(test_url_values_keep_what_the_href_says),
		cmocka_unit_test(test_follow_links_stay_canonical),
		cmocka_unit_test(test_html_adds_no_line_breaks),
		cmocka_unit_test(test_unicode_white_space_in_values),
		cmocka_unit_test(test_text_pseudo_element_scope),
		cmocka_unit_test(test_types_do_not_invent),
		cmocka_unit_test(test_html_type_keeps_markup),
		cmocka_unit_test(test_xpath_scalars),
		cmocka_unit_test(test_each_scopes_fields_and_required),
		cmocka_unit_test(test_match_on_url),
		cmocka_unit_test(test_follow_links),
		cmocka_unit_test(test_compile_errors_have_positions),
		cmocka_unit_test(test_selector_short_form),
		cmocka_unit_test(test_pathological_regex_fails_the_field_only),
		cmocka_unit_test(test_observer_fields_say_what_survived),
		cmocka_unit_test(test_observer_items_say_why_not),
		cmocka_unit_test(test_observer_links_say_why),
		cmocka_unit_test(test_coverage_counts),
		cmocka_unit_test(test_groups_do_not_undo_allow_deny_match),
	};
	ex_init();
	return cmocka_run_group_tests(tests, setup, teardown);
}
