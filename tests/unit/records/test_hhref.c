/* Household references: the key is made once (0600, 32 bytes) and read back the same, a
 * reference is stable and opaque ("hh-" + 16 hex, not the household id nor a plain hash of
 * it), different keys give different references, and a damaged key file is refused. */
#include <errno.h>
#include <ftw.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <cmocka.h>

#include "hhref.h"
#include "crypto.h"

static int rm_one(const char *path, const struct stat *sb, int flag, struct FTW *ftw)
{
	(void)sb;
	(void)flag;
	(void)ftw;
	return remove(path);
}

static void test_hhref_key_and_refs(void **state)
{
	char dir[] = "/tmp/gw_hhref_XXXXXX", path[64], a[GW_HHREF_LEN], b[GW_HHREF_LEN];
	char plain[2 * GW_SHA256_LEN + 1];
	uint8_t k1[GW_HHREF_KEY_LEN], k2[GW_HHREF_KEY_LEN], d[GW_SHA256_LEN];
	struct stat st;
	FILE *f;

	(void)state;
	assert_non_null(mkdtemp(dir));
	assert_int_equal(gw_hhref_key(dir, k1), 0);
	snprintf(path, sizeof(path), "%s/household.key", dir);
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0600);
	assert_int_equal(st.st_size, GW_HHREF_KEY_LEN);
	assert_int_equal(gw_hhref_key(dir, k2), 0);
	assert_memory_equal(k1, k2, sizeof(k1)); /* kept across restarts */

	gw_hhref(k1, "H001", a);
	gw_hhref(k2, "H001", b);
	assert_string_equal(a, b);
	assert_int_equal(strlen(a), GW_HHREF_LEN - 1);
	assert_memory_equal(a, "hh-", 3);
	assert_int_equal(strspn(a + 3, "0123456789abcdef"), 16);
	assert_null(strstr(a, "H001"));
	gw_sha256("H001", 4, d); /* not a plain hash of the id */
	gw_hex(d, sizeof(d), plain);
	assert_null(strstr(plain, a + 3));
	gw_hhref(k1, "H002", b);
	assert_string_not_equal(a, b);
	k2[0] ^= 1;
	gw_hhref(k2, "H001", b); /* another gateway's key: another reference */
	assert_string_not_equal(a, b);

	f = fopen(path, "ab"); /* a damaged key is refused, not replaced */
	assert_non_null(f);
	fputc('x', f);
	fclose(f);
	assert_int_equal(gw_hhref_key(dir, k2), -EINVAL);
	nftw(dir, rm_one, 8, FTW_DEPTH | FTW_PHYS);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_hhref_key_and_refs),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
