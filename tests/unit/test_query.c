/*
 * test_query.c: the read side's value writers (query.h): csv fields, REALs, base64,
 * terminal cells (escapes, display width, cutting), and stats' error kinds.
 */
#include "config.h"

#include "unit.h"

#include <string.h>

#include "buf.h"
#include "read/query.h"

static void
check_csv(const char *in, size_t n, const char *want)
{
	struct buf b;

	buf_init(&b, 1024);
	assert_int_equal(query_put_csv(&b, in, n), 0);
	assert_string_equal(buf_str(&b), want);
	buf_free(&b);
}

static void
test_csv(void **state)
{
	(void)state;
	check_csv("plain", 5, "plain");
	check_csv("", 0, "");
	check_csv("a,b", 3, "\"a,b\"");
	check_csv("say \"hi\"", 8, "\"say \"\"hi\"\"\"");
	check_csv("two\nlines", 9, "\"two\nlines\"");
	check_csv("cr\rhere", 7, "\"cr\rhere\"");
	check_csv("tab\there", 8, "tab\there");	/* a tab needs no quotes */
	check_csv("007", 3, "007");
	check_csv("caf\xc3\xa9", 5, "caf\xc3\xa9");
	check_csv("cut,here", 3, "cut");		/* only n bytes are read */
}

static void
check_real(double v, const char *want)
{
	struct buf b;

	buf_init(&b, 1024);
	assert_int_equal(query_put_real(&b, v), 0);
	assert_string_equal(buf_str(&b), want);
	buf_free(&b);
}

static void
test_real(void **state)
{
	(void)state;
	check_real(12.5, "12.5");
	check_real(11.0, "11.0");
	check_real(1400.0, "1400.0");	/* not 1.4e+03 */
	check_real(0.1 + 0.2, "0.30000000000000004");
	check_real(-2.5, "-2.5");
	check_real(1e300, "1e+300");
	check_real(1e-7, "1e-07");
	check_real(123456.789, "123456.789");
	check_real(1.0 / 0.0, "Inf");
	check_real(-1.0 / 0.0, "-Inf");
}

static void
check_base64(const char *in, size_t n, const char *want)
{
	struct buf b;

	buf_init(&b, 1024);
	assert_int_equal(query_put_base64(&b, (const unsigned char *)in, n), 0);
	assert_string_equal(buf_str(&b), want);
	buf_free(&b);
}

static void
test_base64(void **state)
{
	(void)state;
	check_base64("", 0, "");
	check_base64("f", 1, "Zg==");
	check_base64("fo", 2, "Zm8=");
	check_base64("foo", 3, "Zm9v");
	check_base64("foobar", 6, "Zm9vYmFy");
	check_base64("\x00\xff\x10", 3, "AP8Q");
}

/* Render in (NUL-terminated) cut to max; check the text and the width. */
static void
check_cell(const char *in, int max, const char *want, int want_width)
{
	struct buf b;

	buf_init(&b, 4096);
	assert_int_equal(query_render_cell(&b, in, strlen(in), max), want_width);
	assert_string_equal(buf_str(&b), want);
	buf_free(&b);
}

static void
test_cell(void **state)
{
	(void)state;
	check_cell("plain", 60, "plain", 5);
	check_cell("", 60, "", 0);
	check_cell("two\nlines\tand\rcr", 60, "two\\nlines\\tand\\rcr", 19);
	check_cell("\x1b[31mred", 60, "\\x1b[31mred", 11);	/* no terminal escapes */
	check_cell("\x7f", 60, "\\x7f", 4);
	check_cell("\xc2\x85", 60, "\\u0085", 6);		/* a C1 control */
	check_cell("bad \xc3 byte", 60, "bad \xef\xbf\xbd byte", 10);
	check_cell("caf\xc3\xa9", 60, "caf\xc3\xa9", 4);	/* code points, not bytes */
	check_cell("\xe6\x97\xa5\xe6\x9c\xac", 60, "\xe6\x97\xa5\xe6\x9c\xac", 4); /* wide */
	check_cell("e\xcc\x81", 60, "e\xcc\x81", 1);		/* combining accent */
	/* Cut to max columns, the last one an ellipsis. */
	check_cell("abcdefghij", 10, "abcdefghij", 10);
	check_cell("abcdefghijk", 10, "abcdefghi\xe2\x80\xa6", 10);
	check_cell("\xe6\x97\xa5\xe6\x97\xa5\xe6\x97\xa5", 4, "\xe6\x97\xa5\xe2\x80\xa6", 3);
	check_cell("a\nb", 2, "a\xe2\x80\xa6", 2);
	check_cell("\nb", 2, "\xe2\x80\xa6", 1);
}

/* query_render_cell_cut says whether it cut: only when the text did not fit. */
static void
check_cut(const char *in, int max, bool want)
{
	struct buf b;
	bool cut = !want;

	buf_init(&b, 4096);
	assert_true(query_render_cell_cut(&b, in, strlen(in), max, &cut) >= 0);
	assert_int_equal(cut, want);
	buf_free(&b);
}

static void
test_cell_cut(void **state)
{
	(void)state;
	check_cut("abcdefghij", 10, false);	/* exactly fits */
	check_cut("abcdefghijk", 10, true);
	check_cut("", 1, false);
	check_cut("\xe6\x97\xa5\xe6\x97\xa5", 4, false);	/* two wide: 4 columns */
	check_cut("\xe6\x97\xa5\xe6\x97\xa5\xe6\x97\xa5", 4, true);
	check_cut("a\n", 2, true);		/* the escape \n takes 2 columns */
}

static void
test_cp_width(void **state)
{
	(void)state;
	assert_int_equal(query_cp_width('a'), 1);
	assert_int_equal(query_cp_width(0xe9), 1);	/* é */
	assert_int_equal(query_cp_width(0x301), 0);	/* combining acute */
	assert_int_equal(query_cp_width(0x65e5), 2);	/* 日 */
	assert_int_equal(query_cp_width(0xff21), 2);	/* fullwidth A */
	assert_int_equal(query_cp_width(0x2615), 2);	/* ☕, an emoji */
	assert_int_equal(query_cp_width(0x2603), 1);	/* ☃, text by default */
	assert_int_equal(query_cp_width(0x1f600), 2);	/* 😀 */
}

static void
check_kind(const char *error, const char *want)
{
	struct buf b;

	buf_init(&b, 1024);
	assert_int_equal(stats_error_kind(&b, error), 0);
	assert_string_equal(buf_str(&b), want);
	buf_free(&b);
}

static void
test_error_kind(void **state)
{
	(void)state;
	check_kind("HTTP 404", "HTTP 404");
	check_kind("HTTP 503 (gave up after 4 attempts)", "HTTP 503");
	check_kind("disallowed by robots.txt", "disallowed by robots.txt");
	check_kind("redirect target disallowed by robots.txt: http://x/private/",
		   "redirect target disallowed by robots.txt");
	check_kind("robots.txt unavailable (HTTP 500): RFC 9309 says assume the site "
		   "disallows crawling", "robots.txt unavailable");
	check_kind("Timeout was reached: Operation timed out after 1001 milliseconds with 0 "
		   "bytes received", "Timeout was reached");
	check_kind("Couldn't connect to server: Failed to connect to 127.0.0.1 port 1 after "
		   "0 ms: Couldn't connect to server", "Couldn't connect to server");
	check_kind("Server returned nothing (no headers, no status code): Empty reply from "
		   "server", "Server returned nothing");
	check_kind("redirect loop after 3 redirects: back to http://x/a",
		   "redirect loop after 3 redirects");
	check_kind("more than 20 redirects (last to http://x/21)", "more than 20 redirects");
	check_kind("body cut off at max_bytes (1024 bytes)", "body cut off at max_bytes");
	check_kind("not fetched: page limit reached (--max-pages or max_pages)",
		   "not fetched: page limit reached");
	check_kind("worker crashed 3 times with this URL in flight (last: signal 11)",
		   "worker crashed 3 times with this URL in flight");
	check_kind("plain words", "plain words");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_csv),	    cmocka_unit_test(test_real),
		cmocka_unit_test(test_base64),	    cmocka_unit_test(test_cell),
		cmocka_unit_test(test_cell_cut),
		cmocka_unit_test(test_cp_width),    cmocka_unit_test(test_error_kind),
	};

	return RUN(tests);
}
