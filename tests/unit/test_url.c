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
		/* The canonical form is its own canonical form. */
		struct buf again;
		buf_init(&again, URL_MAX * 4);
		if (url_canonical(want, &again) != 0)
			fail_msg("canonical '%s' refused when canonicalised again", want);
		assert_string_equal(buf_str(&again), want);
		buf_free(&again);
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
value(const char *base, const char *href, const char *want)
{
	struct url_base *ub = url_base_new(base);
	struct buf b;
	int rc;

	assert_non_null(ub);
	buf_init(&b, URL_MAX * 4);
	rc = url_resolve_value(ub, href, &b);
	if (want == NULL) {
		if (rc != -1)
			fail_msg("'%s' should give no value, got '%s'", href, buf_str(&b));
		assert_int_equal(b.len, 0);
	} else {
		if (rc != 0)
			fail_msg("'%s' against '%s' gave no value, want '%s'", href, base, want);
		assert_string_equal(buf_str(&b), want);
	}
	buf_free(&b);
	url_base_free(ub);
}

/* type: url, as a browser's a.href gives it. */
static void
test_value_as_the_url_standard(void **state)
{
	const char *B = "http://ex.com/a/b?q=1";

	value(B, "", "http://ex.com/a/b?q=1");
	value(B, "#f", "http://ex.com/a/b?q=1#f");
	value(B, "?", "http://ex.com/a/b?");
	value(B, "x?", "http://ex.com/a/x?");
	value(B, "x?#f", "http://ex.com/a/x?#f");
	value(B, "x?y?", "http://ex.com/a/x?y?");
	value(B, "c d?e f#g h", "http://ex.com/a/c%20d?e%20f#g%20h");
	value(B, "/p/\"<>`{}?\"<>'`#\"<>`", "http://ex.com/p/%22%3C%3E%60%7B%7D?%22%3C%3E%27`#%22%3C%3E%60");
	value(B, "/%41%zz", "http://ex.com/%41%zz");
	value(B, "\\\\h.example\\p\\q?r\\s", "http://h.example/p/q?r\\s");
	value(B, "HTTPS://M\xc3\xbcnchen.DE:443/x", "https://xn--mnchen-3ya.de/x");
	value(B, "//\xe4\xbe\x8b\xe3\x81\x88.\xe3\x83\x86\xe3\x82\xb9\xe3\x83\x88/", "http://xn--r8jz45g.xn--zckzah/");
	value(B, "http://u:p@ex.com:8080/", "http://u:p@ex.com:8080/");
	value(B, "../../../x/./y/../z", "http://ex.com/x/z");
	value(B, "/p/%2e%2E/q/%2e/r", "http://ex.com/q/r"); /* new URL() reads %2e as '.' */
	value(B, "/p%2e%2e/q", "http://ex.com/p%2e%2e/q");
	value(B, "mailto:A@B.example", "mailto:A@B.example");
	value(B, "TEL:+1 555", "tel:+1 555");
	value(B, "data:text/plain,a b#c d", "data:text/plain,a b#c%20d");
	value(B, "javascript:void(0)", "javascript:void(0)");
	value(B, "urn:isbn:0451450523", "urn:isbn:0451450523");
	value(B, "ftp://files.example/a b", "ftp://files.example/a%20b");
	value(B, " \t x\n y ", "http://ex.com/a/x%20y");
	value(B, "http://", NULL);
	value(B, "http://a\xe2\x80\x80" "b/", NULL); /* U+2000 maps to a space (fuzz find) */
	value(B, "http://a\xef\xbc\x8f" "b/", NULL); /* U+FF0F maps to '/' */
	value(B, "http://\xef\xbc\xa1.com/", "http://a.com/"); /* full-width A */
	value(B, "http://exa mple.com/", NULL);
}

static void
test_canonical_international_host(void **state)
{
	canon("http://B\xc3\xbc" "cher.example/", "http://xn--bcher-kva.example/");
	canon("http://ex.com/a b?c d", "http://ex.com/a%20b?c%20d");
	resolve("http://ex.com/a/", "\\x\\y", "http://ex.com/x/y");
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
	/* Decoding must not make a new escape of a literal '%' (fuzz finds). */
	canon("http://ex.com/%3%30", "http://ex.com/%3%30");
	canon("http://ex.com/%%33%30", "http://ex.com/%%330");
	canon("http://ex.com/%%41B", "http://ex.com/%%41B");
	canon("http://ex.com/%%7e", "http://ex.com/%~");
}

/* Encoded dots are dot segments (the URL standard): one page, one URL. */
static void
test_canonical_encoded_dot_segments(void **state)
{
	canon("http://ex.com/a/%2e%2e/b", "http://ex.com/b");
	canon("http://ex.com/a/%2E%2E/b", "http://ex.com/b");
	canon("http://ex.com/a/.%2e/b", "http://ex.com/b");
	canon("http://ex.com/a/%2e./b", "http://ex.com/b");
	canon("http://ex.com/a/%2e/b", "http://ex.com/a/b");
	canon("http://ex.com/a/../b", "http://ex.com/b");
	canon("http://ex.com/a/%2e%2e", "http://ex.com/");
	canon("http://ex.com/a/b%2e%2e/c", "http://ex.com/a/b../c");
	canon("http://ex.com/a?x=%2e%2e/b", "http://ex.com/a?x=../b");
	resolve("http://ex.com/a/b/", "%2e%2e/c", "http://ex.com/a/c");
	resolve("http://ex.com/a/b/", "%2e%2e/%2e%2e/%2e%2e/c", "http://ex.com/c");
	/* A "scheme" longer than curl's 40 characters is a path (fuzz find). */
	resolve("http://ex.com/a/b/", "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa://%2e",
		"http://ex.com/a/b/aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa://");
	canon("http://%2e%2e/x", "http://../x"); /* a host of two dots, as curl reads it */
}

/* user:pw@ is never part of a crawl URL. */
static void
test_canonical_drops_userinfo(void **state)
{
	canon("http://user:pw@ex.com/x", "http://ex.com/x");
	canon("http://user@ex.com/", "http://ex.com/");
	canon("https://:pw@Ex.com:443/", "https://ex.com/");
	canon("http://u%40x:p%3Aw@ex.com/", "http://ex.com/");
	resolve("http://ex.com/", "//me:secret@other.example/p", "http://other.example/p");
}

/* A Unicode host is punycode however it is written, never percent-encoded. */
static void
test_canonical_unicode_host_forms(void **state)
{
	canon("http://B%C3%BCcher.example/", "http://xn--bcher-kva.example/");
	canon("http://b%c3%bccher.example/x", "http://xn--bcher-kva.example/x");
	canon("http://xn--bcher-kva.example/", "http://xn--bcher-kva.example/");
	canon("http://XN--BCHER-KVA.example/", "http://xn--bcher-kva.example/");
	canon("http://%65x.com/", "http://ex.com/");
	/* The host is read after decoding, as the URL standard reads it (fuzz find). */
	canon("http://0%30/", "http://0.0.0.0/");
	canon("http://ex%2Ecom/", "http://ex.com/");
	canon("http://ex%2Fcom/", NULL);
	canon("http://ex%25com/", NULL);
	resolve("http://ex.com/a/b/c?q=1", "\\\\0%30", "http://0.0.0.0/");
	resolve("http://ex.com/", "//M\xc3\xbcnchen.DE/", "http://xn--mnchen-3ya.de/");
}

/* Backslashes are slashes in http(s) URLs before the query, data in the query. */
static void
test_canonical_backslashes(void **state)
{
	canon("http:\\\\ex.com\\a\\b", "http://ex.com/a/b");
	canon("http://ex.com\\a\\..\\b", "http://ex.com/b");
	canon("http://ex.com/a?b\\c", "http://ex.com/a?b%5Cc");
	canon("http://ex.com/a%5Cb", "http://ex.com/a%5Cb");
	resolve("http://ex.com/a/b", "\\\\other.example\\p", "http://other.example/p");
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
		cmocka_unit_test(test_value_as_the_url_standard),
		cmocka_unit_test(test_canonical_international_host),
		cmocka_unit_test(test_canonical_percent_encoding),
		cmocka_unit_test(test_canonical_encoded_dot_segments),
		cmocka_unit_test(test_canonical_drops_userinfo),
		cmocka_unit_test(test_canonical_unicode_host_forms),
		cmocka_unit_test(test_canonical_backslashes),
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
