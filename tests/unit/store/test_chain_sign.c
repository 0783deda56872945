/* Signed seals: the gateway's key file (made once, 0600, stable), every seal signed with the
 * zone recorded, verify_signed passing with the gateway's public key and failing the day
 * named when the signature was changed (bad-signature), the seal unsigned, or the key or
 * gateway id is another; the registry's lines read, and a malformed line, a bad key or a
 * gateway not in it refused. Fails without signing: every day reads "unsigned". */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "chain.h"
#include "journal_int.h"
#include "tz.h"

#define DAY_MS  (86400LL * 1000)
#define DAY0_MS 1687255200000LL /* 2023-06-20T10:00:00Z */
#define DAY0    20230620

struct tmp {
	char dir[64];
	struct gw_journal *j;
	struct gw_chain_signer signer;
	uint8_t pk[GW_PUBKEY_LEN];
};

static void add_day(struct tmp *t, int64_t src, int d)
{
	for (int i = 0; i < 4; i++) {
		uint8_t data[2] = {(uint8_t)d, (uint8_t)i};

		assert_int_equal(
		        gw_journal_append(t->j, DAY0_MS + d * DAY_MS + i * 60000, src, data, 2), 0);
	}
	assert_int_equal(gw_journal_commit(t->j), 0);
}

static int setup(void **state)
{
	struct tmp *t = calloc(1, sizeof(*t));
	struct stat st;
	uint8_t sk2[GW_SECKEY_LEN], pk2[GW_PUBKEY_LEN];
	int64_t src;
	int n = 0, err;

	assert_non_null(t);
	assert_int_equal(gw_tz_use("UTC"), 0);
	snprintf(t->dir, sizeof(t->dir), "/tmp/gw_sign_XXXXXX");
	assert_non_null(mkdtemp(t->dir));
	assert_int_equal(gw_crypto_gateway_key(t->dir, t->signer.sk, t->pk), 0);
	assert_int_equal(gw_crypto_gateway_key(t->dir, sk2, pk2), 0); /* read back, not remade */
	assert_memory_equal(t->pk, pk2, GW_PUBKEY_LEN);
	char path[128];
	snprintf(path, sizeof(path), "%s/gateway.key", t->dir);
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0600);
	snprintf(t->signer.gateway, sizeof(t->signer.gateway), "gw-1");
	t->j = gw_journal_open(t->dir, NULL, &err);
	assert_non_null(t->j);
	assert_int_equal(gw_journal_source(t->j, "sensor\ts1\n", &src), 0);
	for (int d = 0; d < 3; d++)
		add_day(t, src, d);
	assert_int_equal(gw_chain_seal_signed(t->j, DAY0 + 3, 1, &t->signer, &n), 0);
	assert_int_equal(n, 3);
	*state = t;
	return 0;
}

static int teardown(void **state)
{
	struct tmp *t = *state;
	char cmd[128];

	gw_journal_close(t->j);
	snprintf(cmd, sizeof(cmd), "rm -rf %s", t->dir);
	assert_int_equal(system(cmd), 0);
	free(t);
	return 0;
}

static void test_sign_seals_verify(void **state)
{
	struct tmp *t = *state;
	struct gw_chain_result r;
	struct gw_journal_link head;
	uint8_t other[GW_PUBKEY_LEN];

	assert_int_equal(gw_chain_head(t->j, &head), 0);
	assert_true(head.signed_);
	assert_string_equal(head.zone, "UTC");
	assert_int_equal(gw_chain_verify_signed(t->j, "gw-1", t->pk, NULL, NULL, &r), 0);
	assert_int_equal(r.bad, 0);
	assert_int_equal(r.ok, 3);
	/* another gateway's id, or another key: every seal fails, the first day named */
	assert_int_equal(gw_chain_verify_signed(t->j, "gw-2", t->pk, NULL, NULL, &r), 0);
	assert_int_equal(r.bad, 3);
	assert_int_equal(r.first_bad, GW_CHAIN_BAD_SIGNATURE);
	assert_int_equal(r.first_bad_day, DAY0);
	memcpy(other, t->pk, sizeof(other));
	other[0] ^= 1;
	assert_int_equal(gw_chain_verify_signed(t->j, "gw-1", other, NULL, NULL, &r), 0);
	assert_int_equal(r.bad, 3);
}

static void test_sign_forged_and_unsigned_named(void **state)
{
	struct tmp *t = *state;
	struct gw_chain_result r;

	/* a signature changed on day 2 */
	assert_int_equal(gw_journal_exec(t->j, "UPDATE chain SET signature = zeroblob(64) WHERE"
	                                       " day = 20230621"),
	                 0);
	assert_int_equal(gw_chain_verify_signed(t->j, "gw-1", t->pk, NULL, NULL, &r), 0);
	assert_int_equal(r.bad, 1);
	assert_int_equal(r.first_bad, GW_CHAIN_BAD_SIGNATURE);
	assert_int_equal(r.first_bad_day, DAY0 + 1);
	/* without the registry, the digests alone are intact */
	assert_int_equal(gw_chain_verify(t->j, NULL, NULL, &r), 0);
	assert_int_equal(r.bad, 0);
	/* a seal without a signature */
	assert_int_equal(
	        gw_journal_exec(t->j, "UPDATE chain SET signature = NULL WHERE day = 20230620"), 0);
	assert_int_equal(gw_chain_verify_signed(t->j, "gw-1", t->pk, NULL, NULL, &r), 0);
	assert_int_equal(r.first_bad, GW_CHAIN_UNSIGNED);
	assert_int_equal(r.first_bad_day, DAY0);
	assert_string_equal(gw_chain_status_name(GW_CHAIN_BAD_SIGNATURE), "bad-signature");
}

static int registry(const struct tmp *t, const char *text, const char *gw, uint8_t pk[32])
{
	char path[128];
	FILE *f;

	snprintf(path, sizeof(path), "%s/gateways.csv", t->dir);
	f = fopen(path, "w");
	assert_non_null(f);
	fputs(text, f);
	fclose(f);
	return gw_chain_registry_find(path, gw, pk, stderr);
}

static void test_sign_registry(void **state)
{
	struct tmp *t = *state;
	char hex[65], text[512];
	uint8_t pk[GW_PUBKEY_LEN];

	gw_hex(t->pk, GW_PUBKEY_LEN, hex);
	snprintf(text, sizeof(text),
	         "gateway,public_key\n# county office\n\ngw-0,%064d\ngw-1,%s\r\n", 0, hex);
	assert_int_equal(registry(t, text, "gw-1", pk), 0);
	assert_memory_equal(pk, t->pk, GW_PUBKEY_LEN);
	assert_int_equal(registry(t, text, "gw-9", pk), -ENOENT);
	assert_int_equal(registry(t, "gw-1,abc\n", "gw-1", pk), -EINVAL);
	assert_int_equal(registry(t, "gw-1\n", "gw-1", pk), -EINVAL);
	assert_int_equal(registry(t, "gw-1,a,b\n", "gw-1", pk), -EINVAL);
	snprintf(text, sizeof(text), "gw-1,%s\ngw-1,%s\n", hex, hex);
	assert_int_equal(registry(t, text, "gw-1", pk), -EINVAL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test_setup_teardown(test_sign_seals_verify, setup, teardown),
	        cmocka_unit_test_setup_teardown(test_sign_forged_and_unsigned_named, setup,
	                                        teardown),
	        cmocka_unit_test_setup_teardown(test_sign_registry, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
