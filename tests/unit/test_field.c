/*
 * test_field.c: value conversions and white-space normalisation (extractors/field.c).
 */
#include "config.h"

#include <stdio.h>
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

/* One white-space set everywhere: Unicode White_Space, nothing more. */
static void
test_unicode_white_space(void **state)
{
	static const char *const spaces[] = {
		" ", "\t", "\n", "\r", "\f", "\v", "\xc2\x85", "\xc2\xa0", "\xe1\x9a\x80",
		"\xe2\x80\x80", "\xe2\x80\x89", "\xe2\x80\x8a", "\xe2\x80\xa8", "\xe2\x80\xa9",
		"\xe2\x80\xaf", "\xe2\x81\x9f", "\xe3\x80\x80",
	};
	char in[32];

	for (size_t i = 0; i < sizeof spaces / sizeof spaces[0]; i++) {
		snprintf(in, sizeof in, "%sa%s%sb%s", spaces[i], spaces[i], spaces[i], spaces[i]);
		norm(in, "a b");
		norm(spaces[i], "");
		assert_int_equal(field_space_len(spaces[i], strlen(spaces[i])), strlen(spaces[i]));
	}
	norm("x\xe2\x80\x89y\xe3\x80\x80z", "x y z");	/* thin space, ideographic space */
	/* Not white space: zero-width space U+200B, BOM U+FEFF, U+00AD, U+180E. */
	norm("a\xe2\x80\x8b", "a\xe2\x80\x8b");
	norm("\xef\xbb\xbf", "\xef\xbb\xbf");
	norm("a\xc2\xad" "b", "a\xc2\xad" "b");
	norm("\xe1\xa0\x8e", "\xe1\xa0\x8e");
	/* Truncated sequences are not white space (and not read past the end). */
	assert_int_equal(field_space_len("\xe3\x80", 2), 0);
	assert_int_equal(field_space_len("\xc2", 1), 0);
	/* Nor is a broken one whose last byte is not a continuation byte (fuzz find). */
	assert_int_equal(field_space_len("\xe2\x80" "n", 3), 0);
	norm("\xe2\x80" "nn", "\xe2\x80" "nn");
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
	/* A number is taken only where the text holds one, standing on its own. */
	not_number("TW-HB-006");
	not_number("A4");
	not_number("mp3");
	not_number("2026-12-05");
	not_number("1-2 days");
	not_number("4 of 5 stars");
	not_number("5 December 2026");
	number("TW-HB-006 costs \xc2\xa3" "5", 5.0);
	number("USD$12", 12.0);
	number("(3)", 3.0);
	number("10kg", 10.0);
	number("Item #7", 7.0);
	number("\xe2\x82\xac" "1.234,50", 1234.5);	/* €1.234,50 */
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
	assert_int_equal(field_parse_int("TW-HB-006", &v), -1);
	assert_int_equal(field_parse_int("£1,299.00", &v), 0);
	assert_int_equal(v, 1299);
}

static void
test_bools(void **state)
{
	bool b;

	assert_int_equal(field_parse_bool("true", &b), 0);
	assert_true(b);
	assert_int_equal(field_parse_bool("  YES", &b), 0);
	assert_true(b);
	assert_int_equal(field_parse_bool("\xc2\xa0" "Checked\xe2\x80\x89", &b), 0);
	assert_true(b);
	assert_int_equal(field_parse_bool("enabled", &b), 0);
	assert_true(b);
	assert_int_equal(field_parse_bool("disabled", &b), 0);
	assert_false(b);
	/* Any other word is no value, not true. */
	assert_int_equal(field_parse_bool("In stock", &b), -1);
	assert_int_equal(field_parse_bool("yess", &b), -1);
	assert_int_equal(field_parse_bool("2", &b), -1);
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
date(const char *in, const char *want)
{
	struct buf b;

	buf_init(&b, 256);
	if (want == NULL) {
		if (field_parse_date(in, &b) != -1)
			fail_msg("'%s' -> '%s', want no date", in, buf_str(&b));
	} else {
		if (field_parse_date(in, &b) != 0)
			fail_msg("'%s' did not parse, want %s", in, want);
		assert_string_equal(buf_str(&b), want);
	}
	buf_free(&b);
}

static void
test_dates(void **state)
{
	date("2026-12-05", "2026-12-05");
	date(" 2026-12-05\xc2\xa0", "2026-12-05");
	date("2026-12-05T10:30", "2026-12-05T10:30:00");
	date("2026-12-05T10:30:15Z", "2026-12-05T10:30:15+00:00");
	date("2026-12-05 10:30:15.250+01:00", "2026-12-05T10:30:15.250+01:00");
	date("2026-12-05T10:30:15-0530", "2026-12-05T10:30:15-05:30");
	date("2026/12/05", "2026-12-05");
	date("Sat, 05 Dec 2026 10:30:00 GMT", "2026-12-05T10:30:00+00:00");
	date("Sat, 5 Dec 2026 10:30:00 +0100", "2026-12-05T10:30:00+01:00");
	date("Saturday, 5 December 2026 10:30 PST", "2026-12-05T10:30:00-08:00");
	date("5 December 2026", "2026-12-05");
	date("5th Dec. 2026", "2026-12-05");
	date("05-Dec-2026", "2026-12-05");
	date("December 5, 2026", "2026-12-05");
	date("december 5th, 2026", "2026-12-05");
	date("Dec 5 2026", "2026-12-05");
	date("Sept 1, 2026", "2026-09-01");
	date("Dec 5, 2026 3:05 pm", "2026-12-05T15:05:00");
	date("25/12/2026", "2026-12-25");
	date("12/25/2026", "2026-12-25");
	date("25.12.2026", "2026-12-25");
	date("05/05/2026", "2026-05-05");
	date("29 February 2024", "2024-02-29");
	/* Ambiguous, impossible or not a date at all: no value. */
	date("05/12/2026", NULL);
	date("2026-02-30", NULL);
	date("29 February 2026", NULL);
	date("2026-13-01", NULL);
	date("2026-12-05T25:00", NULL);
	date("Published 5 December 2026", NULL);
	date("5 December", NULL);
	date("December", NULL);
	date("TW-HB-006", NULL);
	date("", NULL);
	date("   ", NULL);
	date("5 Decembre 2026", NULL);
	date("2026-12-05 and more", NULL);
}

static void
test_type_names(void **state)
{
	enum ex_type t;

	assert_int_equal(field_type_parse("number", &t), 0);
	assert_int_equal(t, EX_NUMBER);
	assert_string_equal(field_type_name(EX_HTML), "html");
	assert_int_equal(field_type_parse("date", &t), 0);
	assert_int_equal(t, EX_DATE);
	assert_string_equal(field_type_name(EX_DATE), "date");
	assert_int_equal(field_type_parse("float", &t), -1);
	assert_int_equal(field_type_parse("", &t), -1);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_normalize_space),
		cmocka_unit_test(test_unicode_white_space),
		cmocka_unit_test(test_numbers_as_written),
		cmocka_unit_test(test_not_numbers),
		cmocka_unit_test(test_ints),
		cmocka_unit_test(test_bools),
		cmocka_unit_test(test_dates),
		cmocka_unit_test(test_type_names),
	};
	return RUN(tests);
}
