/*
 * test_sha256.c: SHA-256 (scraper/base/sha256.c) against the FIPS 180-4 example
 * vectors, and fed in pieces of every size across block boundaries.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "base/sha256.h"
#include "unit.h"

static void
test_vectors(void **state)
{
	char hex[65];

	sha256_hex("", 0, hex);
	assert_string_equal(hex, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
	sha256_hex("abc", 3, hex);
	assert_string_equal(hex, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
	sha256_hex("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq", 56, hex);
	assert_string_equal(hex, "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
	sha256_hex("abcdefghbcdefghicdefghijdefghijkefghijklfghijklmghijklmnhijklmnoijklmnopjklmnopqklmnopqrlmnopqrsmnopqrstnopqrstu",
		   112, hex);
	assert_string_equal(hex, "cf5b16a778af8380036ce59e7b0492370b249b11e8f07a51afac45037afee9d1");
}

static void
test_million_a(void **state)
{
	struct sha256 c;
	unsigned char d[32];
	char hex[65], chunk[1000];

	memset(chunk, 'a', sizeof chunk);
	sha256_init(&c);
	for (int i = 0; i < 1000; i++)
		sha256_update(&c, chunk, sizeof chunk);
	sha256_final(&c, d);
	sha256_to_hex(d, hex);
	assert_string_equal(hex, "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
}

static void
test_pieces(void **state)
{
	unsigned char data[300];
	char whole[65], parts[65];

	for (size_t i = 0; i < sizeof data; i++)
		data[i] = (unsigned char)(i * 7 + 3);
	for (size_t n = 0; n <= sizeof data; n += 13) {
		sha256_hex(data, n, whole);
		for (size_t step = 1; step < 130; step += 17) {
			struct sha256 c;
			unsigned char d[32];
			sha256_init(&c);
			for (size_t off = 0; off < n; off += step)
				sha256_update(&c, data + off, n - off < step ? n - off : step);
			sha256_final(&c, d);
			sha256_to_hex(d, parts);
			assert_string_equal(whole, parts);
		}
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_vectors),
		cmocka_unit_test(test_million_a),
		cmocka_unit_test(test_pieces),
	};

	return RUN(tests);
}
