/*
 * test_structured.c: jsonld: and microdata: fields (extractors/jsonld.c, microdata.c)
 * on the shapes real pages have: a schema.org Product with a list of offers, a
 * Yoast-style @graph, @type lists and IRIs, several scripts and top-level arrays,
 * nested microdata items; and the broken input they also have: malformed JSON, raw
 * line breaks in strings, comment wrappers, nesting 10,000 deep, a 20 MB script.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include <libxml/HTMLparser.h>

#include "extract.h"
#include "structured.h"
#include "unit.h"

#define PAGE_URL "https://shop.example/p/lamp?ref=1"

static const char product_page[] =
	"<html><head><title>Lamp</title>\n"
	"<script type=\"application/ld+json\">\n"
	"{\"@context\": \"https://schema.org\", \"@type\": \"Product\", \"name\": \"Desk Lamp\",\n"
	" \"sku\": \"DL-7\", \"image\": [\"/img/a.jpg\", \"/img/b.jpg\"],\n"
	" \"brand\": {\"@type\": \"Brand\", \"name\": \"Lumo\"},\n"
	" \"offers\": [{\"@type\": \"Offer\", \"price\": \"49.90\", \"priceCurrency\": \"EUR\",\n"
	"              \"availability\": \"https://schema.org/InStock\"},\n"
	"             {\"@type\": \"Offer\", \"price\": 44, \"priceCurrency\": \"EUR\"}],\n"
	" \"aggregateRating\": {\"@type\": \"AggregateRating\", \"ratingValue\": 4.5,\n"
	"                     \"reviewCount\": \"89\"},\n"
	" \"isFamilyFriendly\": true, \"gtin\": null,\n"
	" \"description\": {\"@value\": \"A  lamp\", \"@language\": \"en\"}}\n"
	"</script>\n"
	/* Yoast SEO's shape: one script, an @graph of everything. */
	"<script type='application/ld+json' class='yoast-schema-graph'>\n"
	"{\"@context\":\"https://schema.org\",\"@graph\":[\n"
	" {\"@type\":\"WebPage\",\"@id\":\"https://shop.example/p/lamp#webpage\",\"name\":\"Lamp page\",\n"
	"  \"breadcrumb\":{\"@id\":\"https://shop.example/p/lamp#breadcrumb\"}},\n"
	" {\"@type\":[\"Article\",\"NewsArticle\"],\"headline\":\"Why lamps\",\n"
	"  \"author\":{\"@id\":\"https://shop.example/#/schema/person/1\"},\n"
	"  \"datePublished\":\"2024-03-01T08:00:00+00:00\"},\n"
	" {\"@type\":\"Person\",\"@id\":\"https://shop.example/#/schema/person/1\",\"name\":\"Jane Roe\"},\n"
	" {\"@type\":\"BreadcrumbList\",\"itemListElement\":[\n"
	"   {\"@type\":\"ListItem\",\"position\":1,\"name\":\"Home\",\"item\":\"https://shop.example/\"},\n"
	"   {\"@type\":\"ListItem\",\"position\":2,\"name\":\"Lamps\"}]}]}\n"
	"</script>\n"
	/* A top-level array, a compact IRI type, a comment wrapper, a raw line break. */
	"<script type=\"application/ld+json; charset=utf-8\"><!--\n"
	"[{\"@type\": \"schema:Organization\", \"name\": \"Lumo\n GmbH\", \"url\": \"https://lumo.example/\"},\n"
	" {\"@type\": \"http://schema.org/WebSite\", \"name\": \"Shop\"}]\n"
	"--></script>\n"
	"<script type=\"application/json\">{\"@type\": \"Product\", \"name\": \"not JSON-LD\"}</script>\n"
	"</head><body>\n"
	"<div itemscope itemtype=\"https://schema.org/Product\">\n"
	"  <h1 itemprop=\"name\">Desk  Lamp</h1>\n"
	"  <img itemprop=\"image\" src=\"/img/lamp.jpg\" alt=\"\">\n"
	"  <meta itemprop=\"sku\" content=\"DL-7\">\n"
	"  <div><span itemprop=\"color material\">brass</span></div>\n"
	"  <div itemprop=\"offers\" itemscope itemtype=\"https://schema.org/Offer\">\n"
	"    <span itemprop=\"price\">49,90 &euro;</span>\n"
	"    <link itemprop=\"availability\" href=\"https://schema.org/InStock\">\n"
	"    <time itemprop=\"validFrom\" datetime=\"2024-03-01\">March 1st</time>\n"
	"  </div>\n"
	"  <div itemprop=\"review\" itemscope itemtype=\"https://schema.org/Review\">\n"
	"    <span itemprop=\"author\" itemscope itemtype=\"https://schema.org/Person\">\n"
	"      <span itemprop=\"name\">Ann</span></span>\n"
	"    <span itemprop=\"name\">Bright</span>\n"
	"    <data itemprop=\"ratingValue\" value=\"5\">five stars</data>\n"
	"  </div>\n"
	"  <div itemprop=\"review\" itemscope itemtype=\"https://schema.org/Review\">\n"
	"    <span itemprop=\"author\" itemscope itemtype=\"https://schema.org/Person\">\n"
	"      <span itemprop=\"name\">Bob</span></span>\n"
	"  </div>\n"
	"  <a itemprop=\"url\" href=\"lamp#top\">link</a>\n"
	"</div>\n"
	"<footer itemscope itemtype=\"http://schema.org/Organization http://example.org/Thing\">\n"
	"  <span itemprop=\"name\">Lumo GmbH</span>\n"
	"</footer>\n"
	"</body></html>\n";

static xmlDocPtr
parse(const char *html, size_t len)
{
	return htmlReadMemory(html, (int)len, PAGE_URL, "UTF-8",
			      HTML_PARSE_RECOVER | HTML_PARSE_NOERROR | HTML_PARSE_NOWARNING |
				      HTML_PARSE_NONET);
}

struct seen {
	struct buf items, problems;
	unsigned nproblems;
};

static int
on_item(void *ctx, const char *type, unsigned idx, const char *json, size_t len)
{
	struct seen *s = ctx;

	buf_printf(&s->items, "%.*s\n", (int)len, json);
	return 0;
}

static void
on_problem(void *ctx, const char *msg)
{
	struct seen *s = ctx;

	buf_printf(&s->problems, "%s\n", msg);
	s->nproblems++;
}

static struct seen seen;
static struct ex_stats stats;

/* Apply one item "t" with the given fields to doc; the item's JSON ("" for none). */
static const char *
apply_fields(xmlDocPtr doc, const struct ex_field_spec *specs, size_t n)
{
	static char line[1 << 16];
	struct ex_sink sink = { &seen, on_item, NULL, on_problem };
	struct ex_rules *r = ex_rules_new();
	struct ex_error e;
	enum ex_part part;
	int item = ex_add_item(r, "t", NULL, NULL, &e, &part);

	assert_int_equal(item, 0);
	for (size_t i = 0; i < n; i++) {
		if (ex_add_field(r, item, &specs[i], &e, &part) != 0)
			fail_msg("field %s did not compile: %s", specs[i].name, e.msg);
	}
	buf_free(&seen.items);
	buf_free(&seen.problems);
	buf_init(&seen.items, 1 << 20);
	buf_init(&seen.problems, 1 << 20);
	seen.nproblems = 0;
	assert_int_equal(ex_apply(r, doc, NULL, PAGE_URL, &sink, &stats, NULL), 0);
	snprintf(line, sizeof line, "%s", buf_str(&seen.items));
	line[strcspn(line, "\n")] = '\0';
	ex_rules_free(r);
	return line;
}

static const char *
one(xmlDocPtr doc, const struct ex_field_spec *spec)
{
	return apply_fields(doc, spec, 1);
}

#define LD(x) { EX_JSONLD, x }
#define MD(x) { EX_MICRODATA, x }

static xmlDocPtr page;

static int
setup(void **state)
{
	page = parse(product_page, sizeof product_page - 1);
	return page == NULL;
}

static int
teardown(void **state)
{
	xmlFreeDoc(page);
	buf_free(&seen.items);
	buf_free(&seen.problems);
	return 0;
}

static void
test_jsonld_product_with_offers(void **state)
{
	struct ex_field_spec f[] = {
		{ .name = "name", .sel = LD("Product.name") },
		{ .name = "prices", .sel = LD("Product.offers.price"), .type = EX_NUMBER, .all = true },
		{ .name = "price", .sel = LD("Product.offers.price"), .type = EX_NUMBER },
		{ .name = "currency", .sel = LD("Product.offers.priceCurrency") },
		{ .name = "rating", .sel = LD("Product.aggregateRating.ratingValue"), .type = EX_NUMBER },
		{ .name = "reviews", .sel = LD("Product.aggregateRating.reviewCount"), .type = EX_INT },
		{ .name = "brand", .sel = LD("Product.brand.name") },
		{ .name = "images", .sel = LD("Product.image"), .type = EX_URL, .all = true },
		{ .name = "family", .sel = LD("Product.isFamilyFriendly"), .type = EX_BOOL },
		{ .name = "gtin", .sel = LD("Product.gtin"), .def = "none" },
		{ .name = "desc", .sel = LD("Product.description") },
	};

	assert_string_equal(apply_fields(page, f, sizeof f / sizeof f[0]),
			    "{\"name\":\"Desk Lamp\",\"prices\":[49.9,44.0],\"price\":49.9,"
			    "\"currency\":\"EUR\",\"rating\":4.5,\"reviews\":89,\"brand\":\"Lumo\","
			    "\"images\":[\"https://shop.example/img/a.jpg\",\"https://shop.example/img/b.jpg\"],"
			    "\"family\":true,\"gtin\":\"none\",\"desc\":\"A lamp\"}");
	assert_int_equal(seen.nproblems, 0);
}

static void
test_jsonld_graph_and_type_lists(void **state)
{
	struct ex_field_spec f[] = {
		{ .name = "headline", .sel = LD("NewsArticle.headline") },
		{ .name = "also", .sel = LD("Article.headline") },
		{ .name = "author", .sel = LD("Article.author") },
		{ .name = "person", .sel = LD("Person.name") },
		{ .name = "crumbs", .sel = LD("BreadcrumbList.itemListElement.name"), .all = true,
		  .join = " > " },
		{ .name = "published", .sel = LD("Article.datePublished"), .type = EX_DATE },
		{ .name = "page", .sel = LD("WebPage.breadcrumb") },
	};

	assert_string_equal(apply_fields(page, f, sizeof f / sizeof f[0]),
			    "{\"headline\":\"Why lamps\",\"also\":\"Why lamps\","
			    "\"author\":\"https://shop.example/#/schema/person/1\","
			    "\"person\":\"Jane Roe\",\"crumbs\":\"Home > Lamps\","
			    "\"published\":\"2024-03-01T08:00:00+00:00\","
			    "\"page\":\"https://shop.example/p/lamp#breadcrumb\"}");
}

static void
test_jsonld_arrays_iris_wrappers_and_any(void **state)
{
	struct ex_field_spec f[] = {
		{ .name = "org", .sel = LD("Organization.name") },
		{ .name = "site", .sel = LD("WebSite.name") },
		{ .name = "names", .sel = LD("*.name"), .all = true },
		{ .name = "brand", .sel = LD("Product.brand") },
		{ .name = "any", .sel = LD("Product.offers.*"), .all = true },
	};

	/* The application/json script is not JSON-LD; the raw line break is a space. */
	assert_string_equal(apply_fields(page, f, sizeof f / sizeof f[0]),
			    "{\"org\":\"Lumo GmbH\",\"site\":\"Shop\","
			    "\"names\":[\"Desk Lamp\",\"Lamp page\",\"Jane Roe\",\"Lumo GmbH\",\"Shop\"],"
			    "\"brand\":\"{\\\"@type\\\":\\\"Brand\\\",\\\"name\\\":\\\"Lumo\\\"}\","
			    "\"any\":[\"49.90\",\"EUR\",\"https://schema.org/InStock\",\"44\",\"EUR\"]}");
}

static void
test_jsonld_re_required_default(void **state)
{
	struct ex_field_spec f[] = {
		{ .name = "sku", .sel = LD("Product.sku"), .re = "-([0-9]+)$", .type = EX_INT },
		{ .name = "missing", .sel = LD("Product.color"), .def = "n/a" },
	};
	struct ex_field_spec req = { .name = "r", .sel = LD("Recipe.name"), .required = true };

	assert_string_equal(apply_fields(page, f, 2), "{\"sku\":7,\"missing\":\"n/a\"}");
	assert_string_equal(one(page, &req), "");
	assert_int_equal(stats.errors, 1);
	assert_non_null(strstr(buf_str(&seen.problems), "required field 'r'"));
}

static void
test_microdata_nested_items(void **state)
{
	struct ex_field_spec f[] = {
		{ .name = "name", .sel = MD("Product.name") },
		{ .name = "image", .sel = MD("Product.image") },
		{ .name = "sku", .sel = MD("Product.sku") },
		{ .name = "material", .sel = MD("Product.material") },
		{ .name = "price", .sel = MD("Product.offers.price"), .type = EX_NUMBER },
		{ .name = "avail", .sel = MD("Product.offers.availability") },
		{ .name = "from", .sel = MD("Product.offers.validFrom"), .type = EX_DATE },
		{ .name = "authors", .sel = MD("Product.review.author.name"), .all = true },
		{ .name = "review", .sel = MD("Product.review.name"), .all = true },
		{ .name = "stars", .sel = MD("Product.review.ratingValue"), .type = EX_INT },
		{ .name = "url", .sel = MD("Product.url") },
		{ .name = "org", .sel = MD("Organization.name") },
		{ .name = "thing", .sel = MD("Thing.name") },
		{ .name = "first", .sel = MD("*.name"), .all = true },
	};

	/* Product.name is the product's own, not a review's or a reviewer's. */
	assert_string_equal(apply_fields(page, f, sizeof f / sizeof f[0]),
			    "{\"name\":\"Desk Lamp\",\"image\":\"https://shop.example/img/lamp.jpg\","
			    "\"sku\":\"DL-7\",\"material\":\"brass\",\"price\":49.9,"
			    "\"avail\":\"https://schema.org/InStock\",\"from\":\"2024-03-01\","
			    "\"authors\":[\"Ann\",\"Bob\"],\"review\":[\"Bright\"],\"stars\":5,"
			    "\"url\":\"https://shop.example/p/lamp#top\",\"org\":\"Lumo GmbH\","
			    "\"thing\":\"Lumo GmbH\",\"first\":[\"Desk Lamp\",\"Lumo GmbH\"]}");
}

static void
test_microdata_item_as_value(void **state)
{
	struct ex_field_spec f = { .name = "author", .sel = MD("Product.review.author") };

	/* A nested item at the end of the path gives its text. */
	assert_string_equal(one(page, &f), "{\"author\":\"Ann\"}");
}

static void
test_path_syntax(void **state)
{
	static const struct { const char *path; size_t pos; } bad[] = {
		{ "", 0 }, { "Product..name", 8 }, { ".name", 0 }, { "Product.", 8 },
		{ "Pro duct.name", 3 }, { "Product.na\tme", 10 },
	};
	struct sd_path p;
	char msg[200];
	size_t pos;

	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		if (sd_path_compile(bad[i].path, &p, &pos, msg, sizeof msg) == 0)
			fail_msg("'%s' compiled", bad[i].path);
		if (pos != bad[i].pos)
			fail_msg("'%s': error at %zu, not %zu (%s)", bad[i].path, pos, bad[i].pos, msg);
	}
	assert_int_equal(sd_path_compile("  Product.offers.price ", &p, &pos, msg, sizeof msg), 0);
	assert_int_equal(p.n, 3);
	assert_string_equal(p.seg[2], "price");
	assert_string_equal(p.text, "Product.offers.price");
	sd_path_free(&p);
	assert_int_equal(sd_path_compile("*", &p, &pos, msg, sizeof msg), 0);
	sd_path_free(&p);
	assert_int_equal(sd_path_compile("a.b.c.d.e.f.g.h.i.j.k.l.m.n.o.p.q.r.s.t.u.v.w.x.y.z.a.b.c.d.e.f.g",
					 &p, &pos, msg, sizeof msg), -1);
}

static void
test_compile_errors(void **state)
{
	struct ex_rules *r = ex_rules_new();
	struct ex_error e;
	enum ex_part part;
	struct ex_selector sel;
	struct ex_field_spec f = { .name = "v", .sel = LD("Product..x") };
	int item = ex_add_item(r, "t", NULL, NULL, &e, &part);

	assert_int_equal(ex_add_field(r, item, &f, &e, &part), -1);
	assert_int_equal(part, EX_PART_SELECTOR);
	assert_int_equal(e.pos, 8);
	f.sel = (struct ex_selector)LD("Product.image");
	f.attr = "src";
	assert_int_equal(ex_add_field(r, item, &f, &e, &part), -1);
	assert_non_null(strstr(e.msg, "attr needs a css or xpath selector"));
	f.attr = NULL;
	f.type = EX_HTML;
	assert_int_equal(ex_add_field(r, item, &f, &e, &part), -1);
	/* A path gives values, not elements: no each or follow rule by path. */
	sel = (struct ex_selector)MD("Product");
	assert_int_equal(ex_add_item(r, "u", NULL, &sel, &e, &part), -1);
	assert_int_equal(ex_add_follow(r, &sel, NULL, NULL, &e, &part), -1);
	/* The short forms. */
	assert_int_equal(ex_selector_parse("jsonld: Product.name", &sel, &e), 0);
	assert_int_equal(sel.kind, EX_JSONLD);
	assert_string_equal(sel.expr, "Product.name");
	assert_int_equal(ex_selector_parse("microdata:Offer.price", &sel, &e), 0);
	assert_int_equal(sel.kind, EX_MICRODATA);
	assert_int_equal(ex_selector_parse("jsonld:  ", &sel, &e), -1);
	ex_rules_free(r);
}

/* A page with these scripts, and field Product.name: the item and the problems. */
static const char *
with_scripts(const char *scripts, unsigned *problems)
{
	struct buf html;
	struct ex_field_spec f = { .name = "v", .sel = LD("Product.name") };
	const char *out;
	xmlDocPtr doc;

	buf_init(&html, 64u << 20);
	buf_printf(&html, "<html><head>%s<script type=\"application/ld+json\">"
		   "{\"@type\":\"Product\",\"name\":\"ok\"}</script></head></html>", scripts);
	doc = parse(html.data, html.len);
	assert_non_null(doc);
	out = one(doc, &f);
	*problems = seen.nproblems;
	xmlFreeDoc(doc);
	buf_free(&html);
	return out;
}

static void
test_malformed_json_is_a_problem(void **state)
{
	static const char *const broken[] = {
		"<script type=\"application/ld+json\">{\"@type\": \"Product\", \"name\": }</script>",
		"<script type=\"application/ld+json\">{\"@type\": \"Product\",</script>",
		"<script type=\"application/ld+json\">{\"a\": \"\\ud800\", \"b\": 1e99999}</script>",
		"<script type=\"application/ld+json\">   </script>",
		"<script type=\"application/ld+json\">\"just a string\"</script>",
		"<script type=\"application/ld+json\">{\"@type\":\"Product\",\"name\":\"x\"} trailing</script>",
	};
	unsigned problems;

	for (size_t i = 0; i < sizeof broken / sizeof broken[0]; i++) {
		/* The good script after the broken one still counts. */
		assert_string_equal(with_scripts(broken[i], &problems), "{\"v\":\"ok\"}");
		if (problems != 1)
			fail_msg("script %zu: %u problems: %s", i, problems, buf_str(&seen.problems));
		assert_non_null(strstr(buf_str(&seen.problems), "JSON-LD script 1"));
	}
}

static void
test_deep_nesting_is_a_problem(void **state)
{
	struct buf s;
	unsigned problems;

	buf_init(&s, 1 << 20);
	buf_puts(&s, "<script type=\"application/ld+json\">");
	for (int i = 0; i < 10000; i++)
		buf_puts(&s, "{\"a\":[");
	for (int i = 0; i < 10000; i++)
		buf_puts(&s, "]}");
	buf_puts(&s, "</script>");
	assert_string_equal(with_scripts(s.data, &problems), "{\"v\":\"ok\"}");
	assert_int_equal(problems, 1);
	assert_non_null(strstr(buf_str(&seen.problems), "nested deeper than 512 levels"));
	buf_free(&s);
}

/* A script of n bytes of JSON-LD: a Product whose name is n - 40 x's. */
static void
big_script(struct buf *s, size_t n)
{
	buf_puts(s, "{\"@type\":\"Product\",\"name\":\"");
	buf_reserve(s, n);
	memset(s->data + s->len, 'x', n - 40);
	s->len += n - 40;
	s->data[s->len] = '\0';
	buf_puts(s, "\"}");
}

static void
test_huge_script_is_a_problem(void **state)
{
	struct jsonld *ld = jsonld_new();
	struct buf s;
	unsigned problems;
	char msg[200];

	/* 20 MB of JSON-LD: refused before any parsing, whole. */
	buf_init(&s, 21u << 20);
	big_script(&s, 20u << 20);
	assert_int_equal(jsonld_add_text(ld, s.data, s.len, msg, sizeof msg), -1);
	assert_non_null(strstr(msg, "over the limit of 4194304"));
	assert_int_equal(jsonld_count(ld), 0);
	jsonld_free(ld);
	/* In a page (6 MB: libxml2 itself keeps text nodes under 10 MB). */
	buf_reset(&s);
	buf_puts(&s, "<script type=\"application/ld+json\">");
	big_script(&s, 6u << 20);
	buf_puts(&s, "</script>");
	assert_string_equal(with_scripts(s.data, &problems), "{\"v\":\"ok\"}");
	assert_int_equal(problems, 1);
	assert_non_null(strstr(buf_str(&seen.problems), "over the limit"));
	buf_free(&s);
}

static void
test_reader_alone(void **state)
{
	struct jsonld *ld = jsonld_new();
	char msg[200];

	assert_int_equal(jsonld_add_text(ld, "[{\"@type\":\"A\"}, 3, {\"@graph\": [{\"@type\":\"B\"}, "
					 "\"x\", {\"@type\":\"C\"}]}]", 67, msg, sizeof msg), 0);
	assert_int_equal(jsonld_count(ld), 3);
	/* An object with @type and @graph: itself and its graph. */
	assert_int_equal(jsonld_add_text(ld, "{\"@type\":\"D\",\"@graph\":{\"@type\":\"E\"}}", 36,
					 msg, sizeof msg), 0);
	assert_int_equal(jsonld_count(ld), 5);
	assert_int_equal(jsonld_add_text(ld, "{", 1, msg, sizeof msg), -1);
	assert_non_null(strstr(msg, "malformed JSON at line 1"));
	assert_int_equal(jsonld_count(ld), 5);
	jsonld_free(ld);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_jsonld_product_with_offers),
		cmocka_unit_test(test_jsonld_graph_and_type_lists),
		cmocka_unit_test(test_jsonld_arrays_iris_wrappers_and_any),
		cmocka_unit_test(test_jsonld_re_required_default),
		cmocka_unit_test(test_microdata_nested_items),
		cmocka_unit_test(test_microdata_item_as_value),
		cmocka_unit_test(test_path_syntax),
		cmocka_unit_test(test_compile_errors),
		cmocka_unit_test(test_malformed_json_is_a_problem),
		cmocka_unit_test(test_deep_nesting_is_a_problem),
		cmocka_unit_test(test_huge_script_is_a_problem),
		cmocka_unit_test(test_reader_alone),
	};
	ex_init();
	return cmocka_run_group_tests(tests, setup, teardown);
}
