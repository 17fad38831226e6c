/*
 * test_buf.c: bounded buffers (extractors/buf.c).
 */
#include "config.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "unit.h"

static void
test_append_and_str(void **state)
{
	struct buf b;

	buf_init(&b, 1024);
	assert_string_equal(buf_str(&b), "");
	assert_int_equal(buf_puts(&b, "abc"), 0);
	assert_int_equal(buf_putc(&b, 'd'), 0);
	assert_int_equal(buf_printf(&b, "%d-%s", 42, "x"), 0);
	assert_string_equal(buf_str(&b), "abcd42-x");
	assert_int_equal(b.len, 8);
	buf_free(&b);
}

static void
test_max_is_enforced(void **state)
{
	struct buf b;

	buf_init(&b, 5);
	assert_int_equal(buf_puts(&b, "12345"), 0);
	errno = 0;
	assert_int_equal(buf_putc(&b, '6'), -1);
	assert_int_equal(errno, EMSGSIZE);
	/* A failed append leaves the contents alone. */
	assert_string_equal(buf_str(&b), "12345");
	assert_int_equal(buf_printf(&b, "%s", "x"), -1);
	assert_int_equal(b.len, 5);
	buf_free(&b);
}

static void
test_huge_request_does_not_overflow(void **state)
{
	struct buf b;

	buf_init(&b, 100);
	assert_int_equal(buf_puts(&b, "ab"), 0);
	assert_int_equal(buf_reserve(&b, SIZE_MAX), -1);
	assert_int_equal(buf_reserve(&b, SIZE_MAX - 1), -1);
	assert_string_equal(buf_str(&b), "ab");
	buf_free(&b);
}

static void
test_growth_keeps_contents(void **state)
{
	struct buf b;
	char expect[10000];

	buf_init(&b, sizeof expect);
	for (size_t i = 0; i < sizeof expect - 1; i++) {
		expect[i] = (char)('a' + i % 26);
		assert_int_equal(buf_putc(&b, expect[i]), 0);
	}
	expect[sizeof expect - 1] = '\0';
	assert_string_equal(buf_str(&b), expect);
	buf_free(&b);
}

static void
test_consume_and_steal(void **state)
{
	struct buf b;
	char *s;

	buf_init(&b, 64);
	buf_puts(&b, "hello world");
	buf_consume(&b, 6);
	assert_string_equal(buf_str(&b), "world");
	buf_consume(&b, 100);
	assert_int_equal(b.len, 0);
	buf_puts(&b, "kept");
	s = buf_steal(&b);
	assert_string_equal(s, "kept");
	assert_null(b.data);
	free(s);
	s = buf_steal(&b); /* empty: still a string */
	assert_string_equal(s, "");
	free(s);
	buf_free(&b);
}

static void
test_reset_reuses_storage(void **state)
{
	struct buf b;
	char *before;

	buf_init(&b, 64);
	buf_puts(&b, "something");
	before = b.data;
	buf_reset(&b);
	assert_string_equal(buf_str(&b), "");
	buf_puts(&b, "again");
	assert_ptr_equal(b.data, before);
	buf_free(&b);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_append_and_str),
		cmocka_unit_test(test_max_is_enforced),
		cmocka_unit_test(test_huge_request_does_not_overflow),
		cmocka_unit_test(test_growth_keeps_contents),
		cmocka_unit_test(test_consume_and_steal),
		cmocka_unit_test(test_reset_reuses_storage),
	};
	return RUN(tests);
}
