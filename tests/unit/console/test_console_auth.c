/* The console's sessions, CSRF tokens and login limit: a token is accepted until its expiry
 * and not after, not when any character changes, not under another key or after a password
 * change; the CSRF token belongs to its session; logins fail at most 5 times per address and
 * 20 in all per window, a success clears the address; the password hash round-trips. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "console_auth.h"

static const uint8_t key1[32] = {1, 2, 3};
static const uint8_t key2[32] = {9, 9, 9};
#define NOW 1800000000

static void test_console_auth_session_expiry_ok(void **state)
{
	struct gw_cauth a;
	char tok[GW_CAUTH_TOKEN_LEN], id[20];

	(void)state;
	gw_cauth_init(&a, key1, sizeof(key1), NULL);
	gw_cauth_session_new(&a, NOW, tok);
	assert_true(gw_cauth_session_ok(&a, tok, NOW, id));
	assert_int_equal(strlen(id), 16);
	assert_true(gw_cauth_session_ok(&a, tok, NOW + GW_CAUTH_SESSION_S - 1, NULL));
	assert_false(gw_cauth_session_ok(&a, tok, NOW + GW_CAUTH_SESSION_S, NULL));
	assert_false(gw_cauth_session_ok(&a, NULL, NOW, NULL));
	assert_false(gw_cauth_session_ok(&a, "", NOW, NULL));
	gw_cauth_destroy(&a);
}

static void test_console_auth_session_tampered_refused(void **state)
{
	struct gw_cauth a, b, c;
	char tok[GW_CAUTH_TOKEN_LEN], bad[GW_CAUTH_TOKEN_LEN];

	(void)state;
	gw_cauth_init(&a, key1, sizeof(key1), NULL);
	gw_cauth_init(&b, key2, sizeof(key2), NULL);
	gw_cauth_init(&c, key1, sizeof(key1), "$argon2id$v=19$m=65536,t=2,p=1$other");
	gw_cauth_session_new(&a, NOW, tok);
	for (size_t i = 0; i < strlen(tok); i++) {
		memcpy(bad, tok, sizeof(bad));
		bad[i] = bad[i] == '1' ? '2' : '1';
		assert_false(gw_cauth_session_ok(&a, bad, NOW, NULL));
	}
	memcpy(bad, tok, sizeof(bad));
	bad[0] = '9'; /* a later expiry written in */
	assert_false(gw_cauth_session_ok(&a, bad, NOW, NULL));
	assert_false(gw_cauth_session_ok(&b, tok, NOW, NULL)); /* another key */
	assert_false(gw_cauth_session_ok(&c, tok, NOW, NULL)); /* another password */
	gw_cauth_destroy(&a);
	gw_cauth_destroy(&b);
	gw_cauth_destroy(&c);
}

static void test_console_auth_csrf_of_session_ok(void **state)
{
	struct gw_cauth a;
	char t1[GW_CAUTH_TOKEN_LEN], t2[GW_CAUTH_TOKEN_LEN], c1[GW_CAUTH_CSRF_LEN],
	        c2[GW_CAUTH_CSRF_LEN];

	(void)state;
	gw_cauth_init(&a, key1, sizeof(key1), NULL);
	gw_cauth_session_new(&a, NOW, t1);
	gw_cauth_session_new(&a, NOW, t2);
	assert_string_not_equal(t1, t2);
	gw_cauth_csrf(&a, t1, c1);
	gw_cauth_csrf(&a, t2, c2);
	assert_true(gw_cauth_csrf_ok(&a, t1, c1));
	assert_false(gw_cauth_csrf_ok(&a, t1, c2)); /* another session's */
	assert_false(gw_cauth_csrf_ok(&a, t1, NULL));
	assert_false(gw_cauth_csrf_ok(&a, t1, ""));
	c1[5] ^= 1;
	assert_false(gw_cauth_csrf_ok(&a, t1, c1));
	gw_cauth_destroy(&a);
}

static void test_console_auth_rate_limit_refused(void **state)
{
	struct gw_cauth a;

	(void)state;
	gw_cauth_init(&a, key1, sizeof(key1), NULL);
	for (int i = 0; i < GW_CAUTH_PEER_FAILS; i++) {
		assert_int_equal(gw_cauth_wait_s(&a, "10.0.0.5", NOW + i), 0);
		gw_cauth_note(&a, "10.0.0.5", false, NOW + i);
	}
	assert_int_equal(gw_cauth_wait_s(&a, "10.0.0.5", NOW + 10), GW_CAUTH_WINDOW_S - 10);
	assert_int_equal(gw_cauth_wait_s(&a, "10.0.0.6", NOW + 10), 0); /* another address */
	assert_int_equal(gw_cauth_wait_s(&a, "10.0.0.5", NOW + GW_CAUTH_WINDOW_S), 0);
	/* a success clears the address */
	for (int i = 0; i < GW_CAUTH_PEER_FAILS - 1; i++)
		gw_cauth_note(&a, "10.0.0.7", false, NOW);
	gw_cauth_note(&a, "10.0.0.7", true, NOW);
	gw_cauth_note(&a, "10.0.0.7", false, NOW);
	assert_int_equal(gw_cauth_wait_s(&a, "10.0.0.7", NOW), 0);
	gw_cauth_destroy(&a);
}

static void test_console_auth_global_limit_refused(void **state)
{
	struct gw_cauth a;
	char peer[32];

	(void)state;
	gw_cauth_init(&a, key1, sizeof(key1), NULL);
	for (int i = 0; i < GW_CAUTH_ALL_FAILS; i++) { /* one failure from each of many */
		snprintf(peer, sizeof(peer), "10.1.0.%d", i);
		gw_cauth_note(&a, peer, false, NOW);
	}
	assert_true(gw_cauth_wait_s(&a, "10.2.0.1", NOW + 1) > 0);
	assert_int_equal(gw_cauth_wait_s(&a, "10.2.0.1", NOW + GW_CAUTH_WINDOW_S), 0);
	gw_cauth_destroy(&a);
}

static void test_console_auth_login_password_ok(void **state)
{
	struct gw_cauth a;
	char hash[GW_PWHASH_LEN];
	int64_t wait;

	(void)state;
	assert_int_equal(gw_pwhash("korn-feld", 9, hash), 0);
	assert_true(gw_pwhash_is_hash(hash));
	gw_cauth_init(&a, key1, sizeof(key1), hash);
	assert_true(a.need_password);
	assert_false(gw_cauth_login(&a, "127.0.0.1", "korn-fel", NOW, &wait));
	assert_int_equal(wait, 0);
	assert_true(gw_cauth_login(&a, "127.0.0.1", "korn-feld", NOW, &wait));
	for (int i = 0; i < GW_CAUTH_PEER_FAILS; i++)
		gw_cauth_note(&a, "127.0.0.1", false, NOW);
	/* rate-limited: refused without checking, even the right password */
	assert_false(gw_cauth_login(&a, "127.0.0.1", "korn-feld", NOW, &wait));
	assert_true(wait > 0);
	gw_cauth_destroy(&a);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_console_auth_session_expiry_ok),
	        cmocka_unit_test(test_console_auth_session_tampered_refused),
	        cmocka_unit_test(test_console_auth_csrf_of_session_ok),
	        cmocka_unit_test(test_console_auth_rate_limit_refused),
	        cmocka_unit_test(test_console_auth_global_limit_refused),
	        cmocka_unit_test(test_console_auth_login_password_ok),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
