/*
 * test_url.c: canonical URLs, relative resolution and sites (extractors/url.c).
 */
#include "config.h"

#include <string.h>

#include "unit.h"
#include "url.h"

static void
canon(const char *in, const char *want)
{
	struct buf b;
	int rc;

	buf_init(&b, URL_MAX * 4);
	rc = url_canonical(in, &b);
	if (want == NULL) {
		if (rc != -1)
			fail_msg("'%s' should be refused, got '%s'", in, buf_str(&b));
		assert_int_equal(b.len, 0);
	} else {
		if (rc != 0)
			fail_msg("'%s' refused, want '%s'", in, want);
		assert_string_equal(buf_str(&b), want);
	}
	buf_free(&b);
}

static void
resolve(const char *base, const char *href, const char *want)
{
	struct url_base *ub = url_base_new(base);
	struct buf b;
	int rc;

	assert_non_null(ub);
	buf_init(&b, URL_MAX * 4);
	rc = url_resolve(ub, href, &b);
	if (want == NULL) {
		if (rc != -1)
			fail_msg("'%s' should be refused, got '%s'", href, buf_str(&b));
	} else {
		if (rc != 0)
			fail_msg("'%s' against '%s' refused, want '%s'", href, base, want);
		assert_string_equal(buf_str(&b), want);
	}
	buf_free(&b);
	url_base_free(ub);
}

static void
test_canonical_case_port_fragment(void **state)
{
	canon("HTTP://WWW.Example.COM:80/a/../b/./c#frag", "http://www.example.com/b/c");
	canon("https://Example.com:443", "https://example.com/");
	canon("http://example.com:8080/x", "http://example.com:8080/x");
	canon("https://example.com:80/", "https://example.com:80/");
	canon("http://example.com", "http://example.com/");
	canon("http://example.com/p?", "http://example.com/p");
	canon("http://example.com/p?b=2&a=1", "http://example.com/p?b=2&a=1");
	canon("http://[::1]:8080/x", "http://[::1]:8080/x");
	canon("  http://example.com/ ", "http://example.com/");
}

static void
test_canonical_percent_encoding(void **state)
{
	canon("http://ex.com/%7euser", "http://ex.com/~user");
	canon("http://ex.com/%41%42c", "http://ex.com/ABc");
	canon("http://ex.com/a%2fb", "http://ex.com/a%2Fb");
	canon("http://ex.com/a%2Fb", "http://ex.com/a%2Fb");
	canon("http://ex.com/caf\xc3\xa9", "http://ex.com/caf%C3%A9");
	canon("http://ex.com/a b", "http://ex.com/a%20b");
	canon("http://ex.com/q?x=a%20b", "http://ex.com/q?x=a%20b");
	canon("http://ex.com/100%", "http://ex.com/100%");
}

static void
test_canonical_refuses(void **state)
{
	canon("ftp://ex.com/x", NULL);
	canon("mailto:someone@example.com", NULL);
	canon("javascript:alert(1)", NULL);
	canon("file:///etc/passwd", NULL);
	canon("gopher://ex.com/", NULL);
	canon("/relative/only", NULL);
	canon("", NULL);
	canon("http://", NULL);
}

static void
test_resolve_relative(void **state)
{
	const char *base = "http://shop.example/cat/green/page-2.html?x=1";

	resolve(base, "page-3.html", "http://shop.example/cat/green/page-3.html");
	resolve(base, "../../product/a/index.html", "http://shop.example/product/a/index.html");
	resolve(base, "/abs", "http://shop.example/abs");
	resolve(base, "//other.example/p", "http://other.example/p");
	resolve(base, "?y=2", "http://shop.example/cat/green/page-2.html?y=2");
	resolve(base, "#top", "http://shop.example/cat/green/page-2.html?x=1");
	resolve(base, "", "http://shop.example/cat/green/page-2.html?x=1");
	resolve(base, "  next.html\n", "http://shop.example/cat/green/next.html");
	resolve(base, "ne\txt.html", "http://shop.example/cat/green/next.html");
	resolve(base, "HTTPS://Other.Example:443/Q", "https://other.example/Q");
	resolve(base, "../../../../x", "http://shop.example/x");
}

static void
test_resolve_refuses_other_schemes(void **state)
{
	const char *base = "http://shop.example/";

	resolve(base, "mailto:a@b.c", NULL);
	resolve(base, "javascript:void(0)", NULL);
	resolve(base, "tel:+123", NULL);
	resolve(base, "ftp://files.example/x", NULL);
	resolve(base, "data:text/html,hi", NULL);
	resolve(base, "http://", NULL);
}

static void
test_base_refuses(void **state)
{
	assert_null(url_base_new("ftp://x/y"));
	assert_null(url_base_new("not a url"));
}

static void
test_site(void **state)
{
	char site[256];

	assert_int_equal(url_site("http://Example.COM/x", site, sizeof site), 0);
	assert_string_equal(site, "example.com");
	assert_int_equal(url_site("https://example.com:443/x", site, sizeof site), 0);
	assert_string_equal(site, "example.com");
	assert_int_equal(url_site("http://127.0.0.1:8081/", site, sizeof site), 0);
	assert_string_equal(site, "127.0.0.1:8081");
	assert_int_equal(url_site("http://[::1]:9/", site, sizeof site), 0);
	assert_string_equal(site, "[::1]:9");
	assert_int_equal(url_site("ftp://example.com/", site, sizeof site), -1);
	assert_int_equal(url_site("http://example.com/", site, 5), -1);
}

static void
test_on_site(void **state)
{
	assert_true(url_on_site("http://a.example/x", "a.example"));
	assert_true(url_on_site("https://a.example/", "a.example"));
	assert_true(url_on_site("http://127.0.0.1:8081/p?q", "127.0.0.1:8081"));
	assert_true(url_on_site("http://a.example?q", "a.example"));
	assert_false(url_on_site("http://a.example.evil/x", "a.example"));
	assert_false(url_on_site("http://a.example:8080/x", "a.example"));
	assert_false(url_on_site("http://127.0.0.1:80811/", "127.0.0.1:8081"));
	assert_false(url_on_site("ftp://a.example/x", "a.example"));
	assert_false(url_on_site("http://b.a.example/", "a.example"));
}

static void
test_too_long(void **state)
{
	char url[URL_MAX + 64];
	struct buf b;

	strcpy(url, "http://ex.com/");
	memset(url + 14, 'a', URL_MAX);
	url[14 + URL_MAX] = '\0';
	buf_init(&b, URL_MAX * 4);
	assert_int_equal(url_canonical(url, &b), -1);
	buf_free(&b);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_canonical_case_port_fragment),
		cmocka_unit_test(test_canonical_percent_encoding),
		cmocka_unit_test(test_canonical_refuses),
		cmocka_unit_test(test_resolve_relative),
		cmocka_unit_test(test_resolve_refuses_other_schemes),
		cmocka_unit_test(test_base_refuses),
		cmocka_unit_test(test_site),
		cmocka_unit_test(test_on_site),
		cmocka_unit_test(test_too_long),
	};
	return RUN(tests);
}
