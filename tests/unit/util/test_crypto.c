/* SHA-256 (now libsodium's, util/crypto.c) against the FIPS 180-4 examples (including a million
 * 'a's fed in odd pieces) and HMAC-SHA-256 against RFC 4231 test cases 1, 2 and 6. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "crypto.h"

static void hex_of(const void *data, size_t len, char *out)
{
	uint8_t d[GW_SHA256_LEN];

	gw_sha256(data, len, d);
	gw_hex(d, sizeof(d), out);
}

static void test_sha256_fips_examples(void **state)
{
	char hex[2 * GW_SHA256_LEN + 1];
	static const char two_blocks[] = "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq";

	(void)state;
	hex_of("", 0, hex);
	assert_string_equal(hex,
	                    "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
	hex_of("abc", 3, hex);
	assert_string_equal(hex,
	                    "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
	hex_of(two_blocks, strlen(two_blocks), hex);
	assert_string_equal(hex,
	                    "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
}

static void test_sha256_million_a_in_pieces(void **state)
{
	char a[997], hex[2 * GW_SHA256_LEN + 1];
	uint8_t d[GW_SHA256_LEN];
	struct gw_sha256 c;
	size_t left = 1000000;

	(void)state;
	memset(a, 'a', sizeof(a));
	gw_sha256_init(&c);
	while (left) {
		size_t n = left < sizeof(a) ? left : sizeof(a);

		gw_sha256_update(&c, a, n);
		left -= n;
	}
	gw_sha256_final(&c, d);
	gw_hex(d, sizeof(d), hex);
	assert_string_equal(hex,
	                    "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
}

static void test_hmac_rfc4231(void **state)
{
	uint8_t key[131], d[GW_SHA256_LEN];
	char hex[2 * GW_SHA256_LEN + 1];
	static const char big[] = "Test Using Larger Than Block-Size Key - Hash Key First";

	(void)state;
	memset(key, 0x0b, 20);
	gw_hmac_sha256(key, 20, "Hi There", 8, d);
	gw_hex(d, sizeof(d), hex);
	assert_string_equal(hex,
	                    "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7");
	gw_hmac_sha256("Jefe", 4, "what do ya want for nothing?", 28, d);
	gw_hex(d, sizeof(d), hex);
	assert_string_equal(hex,
	                    "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
	memset(key, 0xaa, sizeof(key));
	gw_hmac_sha256(key, sizeof(key), big, strlen(big), d);
	gw_hex(d, sizeof(d), hex);
	assert_string_equal(hex,
	                    "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_sha256_fips_examples),
	        cmocka_unit_test(test_sha256_million_a_in_pieces),
	        cmocka_unit_test(test_hmac_rfc4231),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
