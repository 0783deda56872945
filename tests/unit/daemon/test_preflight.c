/* gw_preflight_check, the start-up checks `check`, `run` and the reload validation share:
 * every tests/fixtures/config/preflight/bad_*.yaml loads (gw_config_load takes it) and is
 * then refused with exactly its .expected text, by the preflight and by the reload
 * validation (gw_service_validate); the good fixtures and the demo pass; a listener with
 * more dtu_server buses than it serves is refused at the first one too many.
 * Without the fix (no preflight) each bad fixture passes: 0 errors, "--- got" empty; with
 * the refusal in gw_poll_check_sensor taken out, the two bad_plan_* fixtures pass. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <errno.h>
#include <glob.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "array.h"
#include "config.h"
#include "fixture.h"
#include "preflight.h"
#include "service.h"

#define FIXTURES "tests/fixtures/config/preflight/"

/* Runs gw_preflight_check (validate false) or gw_service_validate (true) on path; the
 * diagnostics into *text (owned). Returns the errors (preflight) or the rc (validate). */
static int run_check(const char *path, bool validate, char **text)
{
	struct gw_config *cfg = NULL;
	struct gw_diag d;
	size_t len = 0;
	FILE *mem = open_memstream(text, &len);
	int rc;

	assert_non_null(mem);
	gw_diag_init(&d, mem);
	if (validate) {
		rc = gw_service_validate(path, &d);
	} else {
		assert_int_equal(gw_config_load(path, &d, &cfg), 0);
		rc = gw_preflight_check(cfg, &d);
		assert_int_equal(rc, d.nerrors);
		gw_config_free(cfg);
	}
	fclose(mem);
	return rc;
}

static bool bad_fixture_matches(const char *yaml)
{
	char expected_path[512];
	char *expected, *text = NULL, *vtext = NULL;
	int n, rc;
	bool ok;

	snprintf(expected_path, sizeof(expected_path), "%.*s.expected",
	         (int)(strlen(yaml) - strlen(".yaml")), yaml);
	expected = gw_test_read_file(expected_path, NULL);
	n = run_check(yaml, false, &text);
	rc = run_check(yaml, true, &vtext);
	ok = expected && n > 0 && strcmp(text, expected) == 0 && rc == -EINVAL &&
	     strcmp(vtext, expected) == 0;
	if (!ok)
		print_error("%s: %d error(s), validate rc %d\n--- expected\n%s--- got\n%s"
		            "--- validate got\n%s",
		            yaml, n, rc, expected ? expected : "(no .expected file)\n", text,
		            vtext);
	free(expected);
	free(text);
	free(vtext);
	return ok;
}

static void test_preflight_bad_fixtures_match_expected(void **state)
{
	glob_t g;
	size_t failed = 0;

	(void)state;
	assert_int_equal(glob(FIXTURES "bad_*.yaml", 0, NULL, &g), 0);
	assert_true(g.gl_pathc >= 3);
	for (size_t i = 0; i < g.gl_pathc; i++)
		if (!bad_fixture_matches(g.gl_pathv[i]))
			failed++;
	globfree(&g);
	assert_int_equal(failed, 0);
}

static void test_preflight_good_configs_ok(void **state)
{
	static const char *const good[] = {
	        FIXTURES "good_wide.yaml",
	        "config/demo/gateway.yaml",
	        "config/demo/season.yaml",
	        "tests/fixtures/config/good_full.yaml",
	        "tests/fixtures/config/good_dtu.yaml",
	        "tests/fixtures/config/good_minimal.yaml",
	};

	(void)state;
	for (size_t i = 0; i < GW_ARRAY_LEN(good); i++) {
		char *text = NULL;
		int n = run_check(good[i], false, &text);

		if (n)
			fail_msg("%s: %d error(s):\n%s", good[i], n, text);
		free(text);
	}
}

/* GW_DTU_MAX_SLOTS (256) dtu_server buses on one listener are served; the 257th is not. */
static void test_preflight_dtu_listener_full_einval(void **state)
{
	size_t cap = 1 << 16, len = 0;
	char *yaml = malloc(cap), *text = NULL;
	struct gw_config *cfg = NULL;
	struct gw_diag d;
	FILE *mem;

	(void)state;
	assert_non_null(yaml);
	len += (size_t)snprintf(yaml + len, cap - len, "gateway: {id: g1, township: t}\nbuses:\n");
	for (int i = 0; i < 257; i++)
		len += (size_t)snprintf(yaml + len, cap - len,
		                        "  - {name: d%03d, type: dtu_server, listen: 127.0.0.1, "
		                        "port: 9000, registration: R%03d}\n",
		                        i, i);
	snprintf(yaml + len, cap - len,
	         "sensors:\n  - {id: s1, bus: d000, unit: 1, profile: dfrobot-sen0601}\n");
	mem = open_memstream(&text, &len);
	assert_non_null(mem);
	gw_diag_init(&d, mem);
	assert_int_equal(gw_config_load_text("gen.yaml", yaml, &d, &cfg), 0);
	assert_int_equal(gw_preflight_check(cfg, &d), 1);
	fclose(mem);
	assert_string_equal(text, "gen.yaml:259:5: error: buses[256] (d256): too many dtu_server "
	                          "buses on listener 127.0.0.1:9000 (want at most 256)\n");
	gw_config_free(cfg);
	free(text);
	free(yaml);
}

static int group_setup(void **state)
{
	(void)state;
	if (chdir(GW_SOURCE_DIR) != 0)
		return -1;
	return setenv("FIELDGATE_PROFILES", "drivers/profiles", 1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_preflight_bad_fixtures_match_expected),
	        cmocka_unit_test(test_preflight_good_configs_ok),
	        cmocka_unit_test(test_preflight_dtu_listener_full_einval),
	};

	return cmocka_run_group_tests(tests, group_setup, NULL);
}
