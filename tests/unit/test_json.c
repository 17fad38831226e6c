/*
 * test_json.c: JSON output (extractors/json.c).
 */
#include "config.h"

#include <math.h>
#include <string.h>

#include "json.h"
#include "unit.h"

static void
check_string(const char *in, size_t n, const char *out)
{
	struct buf b;

	buf_init(&b, 4096);
	assert_int_equal(json_put_string(&b, in, n), 0);
	assert_string_equal(buf_str(&b), out);
	buf_free(&b);
}

static void
test_plain_and_escapes(void **state)
{
	check_string("abc", 3, "\"abc\"");
	check_string("", 0, "\"\"");
	check_string("a\"b\\c", 5, "\"a\\\"b\\\\c\"");
	check_string("l1\nl2\tt\r", 8, "\"l1\\nl2\\tt\\r\"");
	check_string("\x01\x1f", 2, "\"\\u0001\\u001f\"");
	check_string("a\0b", 3, "\"a\\u0000b\"");
}

static void
test_utf8_kept(void **state)
{
	check_string("£12 “q” 日本 😀", strlen("£12 “q” 日本 😀"), "\"£12 “q” 日本 😀\"");
}

static void
test_invalid_utf8_replaced(void **state)
{
	/* Latin-1 pound sign, a lone continuation byte, a truncated sequence,
	 * an overlong NUL, a UTF-16 surrogate. */
	check_string("\xa3" "1", 2, "\"\xef\xbf\xbd" "1\"");
	check_string("a\x80z", 3, "\"a\xef\xbf\xbdz\"");
	check_string("\xe6\x97", 2, "\"\xef\xbf\xbd\xef\xbf\xbd\"");
	check_string("\xc0\x80", 2, "\"\xef\xbf\xbd\xef\xbf\xbd\"");
	check_string("\xed\xa0\x80", 3, "\"\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd\"");
}

static void
test_numbers(void **state)
{
	struct buf b;

	buf_init(&b, 256);
	json_put_int(&b, -42);
	buf_putc(&b, ' ');
	json_put_double(&b, 12.0);
	buf_putc(&b, ' ');
	json_put_double(&b, 0.1);
	buf_putc(&b, ' ');
	json_put_double(&b, 1299.99);
	buf_putc(&b, ' ');
	json_put_double(&b, NAN);
	buf_putc(&b, ' ');
	json_put_double(&b, 1e300);
	buf_putc(&b, ' ');
	json_put_double(&b, 1400.0);
	buf_putc(&b, ' ');
	json_put_double(&b, 120000.0);
	buf_putc(&b, ' ');
	json_put_double(&b, 0.000001);
	assert_string_equal(buf_str(&b), "-42 12.0 0.1 1299.99 null 1e+300 1400.0 120000.0 1e-06");
	buf_free(&b);
}

static void
test_cstring_null(void **state)
{
	struct buf b;

	buf_init(&b, 64);
	json_put_cstring(&b, NULL);
	assert_string_equal(buf_str(&b), "null");
	buf_free(&b);
}

static void
test_full_buffer_fails(void **state)
{
	struct buf b;

	buf_init(&b, 4);
	assert_int_equal(json_put_string(&b, "abcdef", 6), -1);
	buf_free(&b);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_plain_and_escapes),
		cmocka_unit_test(test_utf8_kept),
		cmocka_unit_test(test_invalid_utf8_replaced),
		cmocka_unit_test(test_numbers),
		cmocka_unit_test(test_cstring_null),
		cmocka_unit_test(test_full_buffer_fails),
	};
	return RUN(tests);
}
