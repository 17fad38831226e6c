/*
 * test_charset.c: encoding decisions and conversion to UTF-8 (scraper/worker/charset.c).
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "worker/charset.h"
#include "unit.h"

static void
decide(const char *ctype, const char *body, size_t len, const char *want)
{
	struct charset_choice cs;
	char note[128];

	charset_detect(ctype, body, len, &cs);
	charset_describe(&cs, note, sizeof note);
	assert_string_equal(note, want);
}

static void
convert(const char *ctype, const char *body, size_t len, const char *want)
{
	struct charset_choice cs;
	struct buf out;

	buf_init(&out, 1 << 16);
	charset_detect(ctype, body, len, &cs);
	assert_int_equal(charset_to_utf8(&cs, body, len, &out), 0);
	assert_string_equal(buf_str(&out), want);
	assert_true(charset_valid_utf8(out.data, out.len));
	buf_free(&out);
}

#define S(x) x, sizeof(x) - 1

static void
test_decision_order(void **state)
{
	/* A byte-order mark wins over everything. */
	decide("text/html; charset=ISO-8859-1", S("\xef\xbb\xbf<meta charset=latin1>"), "UTF-8 (bom)");
	decide(NULL, S("\xff\xfe<\0h\0"), "UTF-16LE (bom)");
	/* Then the header, over the meta tag and the bytes. */
	decide("text/html; charset=ISO-8859-1", S("<meta charset=utf-8>caf\xc3\xa9"),
	       "WINDOWS-1252 (header)");
	decide("text/html;charset=\"Shift_JIS\"", S("x"), "CP932 (header)");
	/* Then <meta>, in both spellings. */
	decide("text/html", S("<html><head><meta charset=\"euc-jp\">"), "EUC-JP (meta)");
	decide("text/html", S("<META HTTP-EQUIV=\"Content-Type\" CONTENT=\"text/html; charset=windows-1251\">"),
	       "WINDOWS-1251 (meta)");
	/* A page cannot say in ASCII that it is UTF-16. */
	decide("text/html", S("<meta charset=utf-16>"), "UTF-8 (meta)");
	/* A label is not made of NUL bytes (an empty name is the locale's encoding to
	 * iconv): no label, so the bytes decide. */
	decide("text/html", S("<meta charset=\0\0\0>caf\xe9"), "WINDOWS-1252 (default)");
	/* Then the bytes: valid UTF-8, else windows-1252. */
	decide("text/html", S("caf\xc3\xa9"), "UTF-8 (default)");
	decide("text/html", S("caf\xe9"), "WINDOWS-1252 (default)");
}

static void
test_unknown_label_read_as_utf8(void **state)
{
	decide("text/html; charset=x-klingon", S("abc"), "UTF-8 (unknown charset x-klingon in header)");
	convert("text/html; charset=x-klingon", S("ok\xff"), "ok\xef\xbf\xbd");
}

/* Labels are the Encoding Standard's: its aliases name their encoding (without iconv's
 * alias lookup, which a sandboxed worker cannot do), and an encoding iconv knows that
 * the standard does not is unknown (TSCII: one byte can become three characters). */
static void
test_labels_of_the_standard(void **state)
{
	decide("text/html; charset=latin2", S("abc"), "ISO-8859-2 (header)");
	decide("text/html; charset=\" CP1251 \"", S("abc"), "WINDOWS-1251 (header)");
	decide("text/html; charset=csIBM866", S("abc"), "IBM866 (header)");
	decide("text/html; charset=iso-8859-8-i", S("abc"), "ISO-8859-8 (header)");
	decide("text/html; charset=ks_c_5601-1987", S("abc"), "CP949 (header)");
	decide("text/html; charset=x-mac-ukrainian", S("abc"), "MAC-CYRILLIC (header)");
	decide("text/html; charset=tscii", S("abc"), "UTF-8 (unknown charset tscii in header)");
	decide("text/html; charset=utf-7", S("abc"), "UTF-8 (unknown charset utf-7 in header)");
	decide("text/html; charset=x-user-defined", S("abc"),
	       "UTF-8 (unknown charset x-user-defined in header)");
	decide(NULL, S("<meta charset=cp1250>"), "WINDOWS-1250 (meta)");
	convert("text/html; charset=tscii", S("ok\x87"), "ok\xef\xbf\xbd");
}

/* The shapes of real pages: gb2312 declared at byte 1180, windows-1250 at 2045 (after
 * long scripts in the head), and a template that says euc-kr around UTF-8 text. */
static void
test_late_meta_changes_the_guess(void **state)
{
	static const char gb[] = "<meta charset=\"gb2312\"></head><body>\xd6\xd0\xce\xc4";
	static const char w1250[] = "<META http-equiv=Content-Type content=\"text/html; "
				    "charset=windows-1250\"><body>\xb9";
	char body[4096];
	struct buf out;
	struct charset_choice cs;
	size_t n;

	memset(body, ' ', sizeof body);
	memcpy(body, "<html><head><script>", 20);
	memcpy(body + 1180, gb, sizeof gb - 1);
	n = 1180 + sizeof gb - 1;
	decide("text/html", body, n, "GB18030 (meta at byte 1180, after the first 1024)");
	buf_init(&out, 1 << 16);
	charset_detect("text/html", body, n, &cs);
	assert_int_equal(charset_to_utf8(&cs, body, n, &out), 0);
	assert_non_null(strstr(buf_str(&out), "\xe4\xb8\xad\xe6\x96\x87")); /* the two characters, right */
	buf_free(&out);

	memset(body, ' ', sizeof body);
	memcpy(body + 2045, w1250, sizeof w1250 - 1);
	n = 2045 + sizeof w1250 - 1;
	decide(NULL, body, n, "WINDOWS-1250 (meta at byte 2045, after the first 1024)");
	buf_init(&out, 1 << 16);
	charset_detect(NULL, body, n, &cs);
	assert_int_equal(charset_to_utf8(&cs, body, n, &out), 0);
	assert_non_null(strstr(buf_str(&out), "\xc4\x85")); /* 0xb9 in windows-1250: a with ogonek */
	buf_free(&out);

	decide("text/html", S("<meta charset=\"euc-kr\"><p>\xed\x95\x9c\xea\xb5\xad\xec\x96\xb4</p>"),
	       "UTF-8 (valid UTF-8, though a meta tag says euc-kr)");
	decide("text/html", S("<meta charset=\"euc-kr\"><p>\xc7\xd1\xb1\xb9</p>"), "CP949 (meta)");
	/* In the body it is too late: not a declaration. */
	memset(body, ' ', sizeof body);
	memcpy(body + 1500, "<body><meta charset=euc-jp>", 27);
	decide("text/html", body, 1500 + 27, "UTF-8 (default)");
}

static void
test_conversions(void **state)
{
	convert("text/html; charset=iso-8859-1", S("Caf\xe9 cr\xe8me \x80"), "Café crème €");
	convert("text/html; charset=shift_jis", S("\x93\xfa\x96\x7b\x8c\xea"), "日本語");
	convert(NULL, S("\xef\xbb\xbfhello"), "hello");
	convert(NULL, S("\xff\xfeh\0i\0"), "hi");
}

static void
test_invalid_bytes_replaced(void **state)
{
	/* Declared UTF-8 but Latin-1 bytes: each bad byte is one U+FFFD. */
	convert("text/html; charset=utf-8", S("Caf\xe9!"), "Caf\xef\xbf\xbd!");
	/* Invalid Shift_JIS: a lead byte with a bad trail byte, and one cut off at the end. */
	convert("text/html; charset=shift_jis", S("a\x81\x20" "b\x82"), "a\xef\xbf\xbd b\xef\xbf\xbd");
}

/* In UTF-16 and UTF-32 a bad code unit is one U+FFFD and decoding goes on at the next
 * unit: skipping one byte would read every later unit out of step, as garbage. */
static void
test_invalid_code_units_skipped_whole(void **state)
{
	/* A lone low surrogate, then a lone high surrogate before a letter. */
	convert(NULL, S("\xff\xfe" "a\0" "\x00\xdc" "b\0" "\x00\xd8" "c\0" "d\0"),
		"a\xef\xbf\xbd" "b\xef\xbf\xbd" "cd");
	convert(NULL, S("\xfe\xff" "\0a" "\xdc\x00" "\0b" "\0c"), "a\xef\xbf\xbd" "bc");
	convert("text/html; charset=utf-16le", S("a\0" "\x00\xdc" "b\0c\0"),
		"a\xef\xbf\xbd" "bc");
	/* Labelled utf-16 with no BOM: little-endian, as the Encoding standard says. */
	decide("text/html; charset=utf-16", S("a\0b\0"), "UTF-16LE (header)");
	convert("text/html; charset=UTF-16", S("a\0" "\x00\xdc" "b\0"), "a\xef\xbf\xbd" "b");
	/* A unit cut short at the end is one U+FFFD. */
	convert(NULL, S("\xff\xfe" "a\0" "b"), "a\xef\xbf\xbd");
	/* UTF-32: beyond U+10FFFF, and a surrogate. */
	convert("text/html; charset=utf-32le",
		S("a\0\0\0" "\x00\x00\x11\x00" "b\0\0\0" "\x00\xd8\x00\x00" "c\0\0\0"),
		"a\xef\xbf\xbd" "b\xef\xbf\xbd" "c");
	convert("text/html; charset=utf-32be", S("\0\0\0a" "\x7f\0\0\0" "\0\0\0b" "\0\0"),
		"a\xef\xbf\xbd" "b\xef\xbf\xbd");
}

static void
test_valid_utf8_word_boundaries(void **state)
{
	char buf[64];

	/* A two-byte character at every offset around the 8-byte words. */
	for (size_t at = 0; at + 2 <= sizeof buf; at++) {
		memset(buf, 'a', sizeof buf);
		memcpy(buf + at, "\xc3\xa9", 2);
		assert_true(charset_valid_utf8(buf, sizeof buf));
		buf[at + 1] = 'x'; /* a lead byte without its continuation */
		assert_false(charset_valid_utf8(buf, sizeof buf));
	}
	/* A lone bad byte after a long ASCII run, and at the very end. */
	memset(buf, 'a', sizeof buf);
	buf[40] = (char)0xff;
	assert_false(charset_valid_utf8(buf, sizeof buf));
	memset(buf, 'a', sizeof buf);
	buf[63] = (char)0xc3; /* cut short */
	assert_false(charset_valid_utf8(buf, sizeof buf));
	assert_true(charset_valid_utf8(buf, 63));
}

/* glibc's UCS-4 takes values up to 0x7FFFFFFF and writes those past U+10FFFF (and
 * surrogates) as byte sequences that are not UTF-8: each is one U+FFFD (found by
 * fuzz_charset: the page went to the parser and the database as it was). */
static void
test_iconv_output_is_utf8(void **state)
{
	static const char beyond[] = "\0\0\0A" "\x3c\x70\x62\x3e" "\0\0\0B" "\x00\x11\x00\x00"
				     "\0\0\0C" "\x7f\xff\xff\xff" "\0\0\0D" "\0\0\xd8\x00" "\0\0\0E"
				     "\0\x01\xf6\x00";
	struct charset_choice cs = { .name = "UCS-4", .source = "header" };
	struct buf out;

	(void)state;
	buf_init(&out, 1 << 16);
	assert_int_equal(charset_to_utf8(&cs, beyond, sizeof beyond - 1, &out), 0);
	assert_true(charset_valid_utf8(out.data, out.len));
	assert_string_equal(buf_str(&out), "A\xef\xbf\xbd" "B\xef\xbf\xbd" "C\xef\xbf\xbd"
			    "D\xef\xbf\xbd" "E\xf0\x9f\x98\x80");
	buf_free(&out);
}

/* The single-byte encodings decoded by table decode as iconv decodes them: every byte,
 * and random pages (before charset_tables_load everything goes through iconv). */
static void
test_tables_decode_as_iconv(void **state)
{
	static const char *const names[] = {
		"IBM866", "ISO-8859-2", "ISO-8859-3", "ISO-8859-4", "ISO-8859-5",
		"ISO-8859-6", "ISO-8859-7", "ISO-8859-8", "ISO-8859-10", "ISO-8859-13",
		"ISO-8859-14", "ISO-8859-15", "ISO-8859-16", "KOI8-R", "KOI8-U", "MACINTOSH",
		"MAC-CYRILLIC", "CP874", "WINDOWS-874", "WINDOWS-1250", "WINDOWS-1251",
		"WINDOWS-1252", "WINDOWS-1253", "WINDOWS-1254", "WINDOWS-1256", "WINDOWS-1257",
	};
	enum { N = sizeof names / sizeof names[0], PAGES = 4, LEN = 4096 };
	static char page[PAGES + 1][LEN];
	char *want[N][PAGES + 1];
	struct charset_choice cs = { .source = "header" };
	struct buf out;

	(void)state;
	srand(7);
	for (int b = 0; b < 256; b++)
		page[0][b] = (char)b;
	for (int k = 1; k <= PAGES; k++)
		for (int i = 0; i < LEN; i++) /* mostly ASCII, as pages are */
			page[k][i] = (char)(rand() % 3 ? rand() % 128 : 128 + rand() % 128);
	assert_false(charset_has_table("WINDOWS-1252"));
	for (int e = 0; e < N; e++)
		for (int k = 0; k <= PAGES; k++) {
			snprintf(cs.name, sizeof cs.name, "%s", names[e]);
			buf_init(&out, 1 << 20);
			assert_int_equal(charset_to_utf8(&cs, page[k], k ? LEN : 256, &out), 0);
			want[e][k] = buf_steal(&out);
			assert_non_null(want[e][k]);
		}
	assert_int_equal(charset_tables_load(), 0);
	for (int e = 0; e < N; e++) {
		if (!charset_has_table(names[e]))
			fail_msg("%s has no table", names[e]);
		for (int k = 0; k <= PAGES; k++) {
			snprintf(cs.name, sizeof cs.name, "%s", names[e]);
			buf_init(&out, 1 << 20);
			assert_int_equal(charset_to_utf8(&cs, page[k], k ? LEN : 256, &out), 0);
			if (strcmp(buf_str(&out), want[e][k]) != 0)
				fail_msg("%s page %d: the table decodes otherwise than iconv", names[e], k);
			buf_free(&out);
			free(want[e][k]);
		}
	}
	/* glibc composes windows-1255 and -1258 marks: those stay with iconv */
	assert_false(charset_has_table("WINDOWS-1258"));
	assert_false(charset_has_table("WINDOWS-1255"));
	assert_false(charset_has_table("GB18030"));
	assert_true(charset_has_table("windows-1252"));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_decision_order),
		cmocka_unit_test(test_unknown_label_read_as_utf8),
		cmocka_unit_test(test_labels_of_the_standard),
		cmocka_unit_test(test_late_meta_changes_the_guess),
		cmocka_unit_test(test_conversions),
		cmocka_unit_test(test_invalid_bytes_replaced),
		cmocka_unit_test(test_invalid_code_units_skipped_whole),
		cmocka_unit_test(test_valid_utf8_word_boundaries),
		cmocka_unit_test(test_iconv_output_is_utf8),
		cmocka_unit_test(test_tables_decode_as_iconv),
		/* again, with the single-byte encodings decoded by table */
		cmocka_unit_test(test_decision_order),
		cmocka_unit_test(test_unknown_label_read_as_utf8),
		cmocka_unit_test(test_labels_of_the_standard),
		cmocka_unit_test(test_conversions),
		cmocka_unit_test(test_invalid_bytes_replaced),
	};
	return RUN(tests);
}
