/*
 * test_field.c: value conversions and white-space normalisation (extractors/field.c).
 */
#include "config.h"

#include <string.h>

#include "field.h"
#include "unit.h"

static void
norm(const char *in, const char *want)
{
	struct buf b;

	buf_init(&b, 4096);
	assert_int_equal(field_normalize_space(in, strlen(in), &b), 0);
	assert_string_equal(buf_str(&b), want);
	buf_free(&b);
}

static void
number(const char *in, double want)
{
	double v = -12345;

	if (field_parse_number(in, &v) != 0)
		fail_msg("'%s' did not parse, want %g", in, want);
	if (v != want)
		fail_msg("'%s' -> %.17g, want %.17g", in, v, want);
}

static void
not_number(const char *in)
{
	double v;

	if (field_parse_number(in, &v) != -1)
		fail_msg("'%s' parsed as %g, want no number", in, v);
}

static void
test_normalize_space(void **state)
{
	norm("  a  b\t\n c  ", "a b c");
	norm("", "");
	norm(" \n\t ", "");
	norm("one", "one");
	norm("x\xc2\xa0\xc2\xa0y", "x y");	/* no-break spaces */
	norm("caf\xc3\xa9  \xe2\x80\x9cq\xe2\x80\x9d", "caf\xc3\xa9 \xe2\x80\x9cq\xe2\x80\x9d");
}

static void
test_numbers_as_written(void **state)
{
	number("£1,299.00", 1299.0);
	number("£51.77", 51.77);
	number("12,50 €", 12.5);
	number("1.299,00", 1299.0);
	number("1.299.000", 1299000.0);
	number("1,299", 1299.0);
	number("1,299,000", 1299000.0);
	number("-3", -3.0);
	number("-£5.10", -5.1);
	number("\xe2\x88\x92" "7", -7.0);	/* U+2212 minus */
	number("approx. 4.5 stars", 4.5);
	number("In stock (22 available)", 22.0);
	number("0", 0.0);
	number("$ 19.99 USD", 19.99);
	number("100%", 100.0);
}

static void
test_not_numbers(void **state)
{
	not_number("N/A");
	not_number("");
	not_number("free");
	not_number("-");
	not_number("£");
}

static void
test_ints(void **state)
{
	long long v;

	assert_int_equal(field_parse_int("14", &v), 0);
	assert_int_equal(v, 14);
	assert_int_equal(field_parse_int("1,299", &v), 0);
	assert_int_equal(v, 1299);
	assert_int_equal(field_parse_int("3.0", &v), 0);
	assert_int_equal(v, 3);
	assert_int_equal(field_parse_int("-42 points", &v), 0);
	assert_int_equal(v, -42);
	/* Not whole, or not a number: no value rather than a guess. */
	assert_int_equal(field_parse_int("4.5", &v), -1);
	assert_int_equal(field_parse_int("N/A", &v), -1);
	assert_int_equal(field_parse_int("", &v), -1);
	assert_int_equal(field_parse_int("99999999999999999999", &v), -1);
}

static void
test_bools(void **state)
{
	bool b;

	assert_int_equal(field_parse_bool("true", &b), 0);
	assert_true(b);
	assert_int_equal(field_parse_bool("  YES", &b), 0);
	assert_true(b);
	assert_int_equal(field_parse_bool("In stock", &b), 0);
	assert_true(b);
	assert_int_equal(field_parse_bool("False", &b), 0);
	assert_false(b);
	assert_int_equal(field_parse_bool("0", &b), 0);
	assert_false(b);
	assert_int_equal(field_parse_bool("off", &b), 0);
	assert_false(b);
	assert_int_equal(field_parse_bool("", &b), -1);
	assert_int_equal(field_parse_bool("  ", &b), -1);
}

static void
test_type_names(void **state)
{
	enum ex_type t;

	assert_int_equal(field_type_parse("number", &t), 0);
	assert_int_equal(t, EX_NUMBER);
	assert_string_equal(field_type_name(EX_HTML), "html");
	assert_int_equal(field_type_parse("float", &t), -1);
	assert_int_equal(field_type_parse("", &t), -1);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_normalize_space),
		cmocka_unit_test(test_numbers_as_written),
		cmocka_unit_test(test_not_numbers),
		cmocka_unit_test(test_ints),
		cmocka_unit_test(test_bools),
		cmocka_unit_test(test_type_names),
	};
	return RUN(tests);
}
