/* Profile loader: every shipped profile loads cleanly with the values the
 * reference gives, and every tests/fixtures/profiles/bad_*.yaml produces exactly
 * the error lines of its .expected file. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "array.h"
#include "profile.h"
#include "fixture.h"

static const char *profiles_dir(void)
{
	const char *dir = getenv("FIELDGATE_PROFILES");

	return dir ? dir : GW_SOURCE_DIR "/drivers/profiles";
}

/* Loads name through gw_profile_find; diagnostics go to *text (owned). */
static int find_capture(const char *dir, const char *name, struct gw_profile *p, char **text,
                        int *nerrors)
{
	size_t len = 0;
	FILE *mem = open_memstream(text, &len);
	struct gw_diag d;
	int rc;

	assert_non_null(mem);
	gw_diag_init(&d, mem);
	rc = gw_profile_find(dir, name, &d, p);
	fclose(mem);
	*nerrors = d.nerrors;
	return rc;
}

static const char *const shipped[] = {
        "seeed-s-soil-mtec-02",        "dfrobot-sen0601", "renke-rs-ecth-n01",
        "comwintop-cwt-soil-thc-s",    "jxct-jxbs-3001",  "dfrobot-sen0644",
        "waveshare-modbus-rtu-io-8ch",
};

static void test_profile_shipped_load_ok(void **state)
{
	(void)state;
	for (size_t i = 0; i < GW_ARRAY_LEN(shipped); i++) {
		struct gw_profile p;
		char *text = NULL;
		int nerr = 0, rc = find_capture(profiles_dir(), shipped[i], &p, &text, &nerr);

		if (rc || nerr)
			print_error("%s: %s", shipped[i], text);
		assert_int_equal(rc, 0);
		assert_int_equal(nerr, 0);
		assert_string_equal(p.name, shipped[i]);
		assert_true(p.npoints >= 1 && p.npoints <= GW_MAX_POINTS);
		assert_non_null(strstr(p.src.file, shipped[i]));
		assert_int_equal(p.src.line > 0, 1);
		assert_true(p.description[0] != '\0');
		for (size_t j = 0; j < p.npoints; j++)
			assert_true(p.points[j].has_range);
		free(text);
	}
}

static void load_ok(const char *name, struct gw_profile *p)
{
	struct gw_diag d;

	gw_diag_init(&d, stderr);
	assert_int_equal(gw_profile_find(NULL, name, &d, p), 0);
}

static void test_profile_seeed_values_ok(void **state)
{
	struct gw_profile p;
	const struct gw_point *t, *m;

	(void)state;
	load_ok("seeed-s-soil-mtec-02", &p);
	assert_int_equal(p.npoints, 4);
	assert_int_equal(p.serial.baud, 9600);
	assert_int_equal(p.serial.parity, 'N');
	t = gw_profile_point(&p, "temperature_c");
	m = gw_profile_point(&p, "moisture_pct");
	assert_non_null(t);
	assert_non_null(m);
	assert_ptr_equal(gw_profile_point(&p, "no_such_point"), NULL);
	assert_int_equal(t->kind, GW_REG_INPUT);
	assert_int_equal(t->type, GW_T_INT16);
	assert_int_equal(t->decimals, 2);
	assert_true(t->scale == 0.01);
	assert_string_equal(t->unit, "degC");
	assert_int_equal(m->addr, 1);
	assert_true(m->min == 0.0 && m->max == 100.0);
	assert_true(p.addressing.known);
	assert_int_equal(p.addressing.unit_reg, 0x0200);
	assert_int_equal(p.addressing.baud_reg, 0x0201);
	assert_int_equal(p.addressing.nbaud, 6);
	assert_int_equal(p.addressing.baud_code[3], 3);
	assert_int_equal(p.addressing.baud_rate[3], 9600);
	assert_true(p.addressing.needs_power_cycle);
	assert_int_equal(p.max_gap, 4);
	assert_int_equal(p.max_registers, 125);
}

static void test_profile_other_models_ok(void **state)
{
	struct gw_profile p;

	(void)state;
	load_ok("comwintop-cwt-soil-thc-s", &p);
	assert_false(p.addressing.known);
	assert_non_null(strstr(p.addressing.note, "not published"));
	assert_int_equal(p.serial.baud, 4800);

	load_ok("renke-rs-ecth-n01", &p);
	assert_int_equal(p.serial.baud, 4800);
	assert_int_equal(gw_profile_point(&p, "temperature_c")->decimals, 1);

	load_ok("jxct-jxbs-3001", &p);
	assert_int_equal(p.npoints, 7);
	assert_int_equal(gw_profile_point(&p, "ph")->addr, 0x0006);
	assert_int_equal(p.addressing.baud_code[2], 9600);
	assert_int_equal(p.addressing.baud_rate[2], 9600);

	load_ok("dfrobot-sen0644", &p);
	assert_int_equal(p.points[0].type, GW_T_UINT32);
	assert_int_equal(p.points[0].order, GW_ORDER_ABCD);
	assert_int_equal(gw_point_width(&p.points[0]), 2);

	load_ok("waveshare-modbus-rtu-io-8ch", &p);
	assert_int_equal(p.npoints, 16);
	assert_string_equal(p.points[0].name, "input1");
	assert_int_equal(p.points[0].kind, GW_REG_DISCRETE);
	assert_int_equal(p.points[0].type, GW_T_BIT);
	assert_string_equal(p.points[15].name, "relay8");
	assert_int_equal(p.points[15].kind, GW_REG_COIL);
	assert_int_equal(p.points[15].addr, 7);
	assert_int_equal(p.addressing.unit_reg, 0x4000);
}

static void test_profile_missing_name_enoent(void **state)
{
	struct gw_profile p;
	char *text = NULL;
	int nerr = 0;

	(void)state;
	assert_int_equal(find_capture(profiles_dir(), "seeed-s-soil", &p, &text, &nerr), -ENOENT);
	assert_int_equal(nerr, 1);
	assert_non_null(strstr(text, "no profile \"seeed-s-soil\""));
	assert_non_null(strstr(text, "seeed-s-soil-mtec-02"));
	free(text);
	assert_int_equal(find_capture(profiles_dir(), "./nowhere/x.yaml", &p, &text, &nerr),
	                 -ENOENT);
	free(text);
}

static void test_profile_find_by_path_ok(void **state)
{
	struct gw_profile p;
	char *text = NULL;
	int nerr = 0;

	(void)state;
	assert_int_equal(find_capture("/nonexistent",
	                              GW_SOURCE_DIR "/drivers/profiles/jxct-jxbs-3001.yaml", &p,
	                              &text, &nerr),
	                 0);
	assert_string_equal(p.name, "jxct-jxbs-3001");
	free(text);
}

static void test_profile_load_string_ok(void **state)
{
	static const char text[] =
	        "name: tiny\nserial: {baud: 19200, parity: E, stop_bits: 1}\n"
	        "registers:\n  flags: {function: holding, address: 7, type: bit, bit: 3}\n"
	        "  f: {function: input, address: 9, type: float32, order: CDAB}\n"
	        "addressing: {unit_register: 1}\n";
	struct gw_profile p;
	struct gw_diag d;

	(void)state;
	gw_diag_init(&d, stderr);
	assert_int_equal(gw_profile_load_string("dir/tiny.yaml", text, &d, &p), 0);
	assert_int_equal(p.serial.parity, 'E');
	assert_int_equal(p.serial.data_bits, 8);
	assert_int_equal(p.points[0].bit, 3);
	assert_int_equal(p.points[1].order, GW_ORDER_CDAB);
	assert_int_equal(p.points[1].decimals, 2);
	assert_false(p.points[0].has_range);
	assert_false(p.addressing.has_baud);
	assert_int_equal(p.src.line, 1);
	assert_string_equal(p.src.file, "dir/tiny.yaml");
}

/* Each bad fixture: its errors, exactly as in the .expected file next to it. */
static const char *const bad_cases[] = {
        "bad_unknown_key",     "bad_type",          "bad_order",
        "bad_function",        "bad_address",       "bad_range",
        "bad_too_many_points", "bad_name_mismatch", "bad_missing_registers",
        "bad_bit_on_int32",    "bad_coil_type",     "bad_addressing_mixed",
        "bad_baud_codes",      "bad_point_name",    "bad_many_errors",
        "bad_bit_missing",     "bad_empty",         "bad_scalar_for_map",
};

static void test_profile_bad_fixture_expected(void **state)
{
	const char *name = *state;
	char yaml[128], expected[128], *want, *got = NULL;
	struct gw_profile p;
	int nerr = 0;

	assert_int_equal(chdir(GW_FIXTURES "/profiles"), 0);
	snprintf(yaml, sizeof(yaml), "%s.yaml", name);
	snprintf(expected, sizeof(expected), "%s.expected", name);
	want = gw_test_read_file(expected, NULL);
	assert_non_null(want);
	assert_int_equal(find_capture(NULL, yaml, &p, &got, &nerr), -EINVAL);
	assert_true(nerr >= 1);
	if (strcmp(want, got) != 0)
		print_error("%s: want:\n%sgot:\n%s", name, want, got);
	assert_string_equal(got, want);
	free(want);
	free(got);
}

int main(void)
{
	const struct CMUnitTest fixed[] = {
	        cmocka_unit_test(test_profile_shipped_load_ok),
	        cmocka_unit_test(test_profile_seeed_values_ok),
	        cmocka_unit_test(test_profile_other_models_ok),
	        cmocka_unit_test(test_profile_missing_name_enoent),
	        cmocka_unit_test(test_profile_find_by_path_ok),
	        cmocka_unit_test(test_profile_load_string_ok),
	};
	enum { NFIXED = GW_ARRAY_LEN(fixed), NBAD = GW_ARRAY_LEN(bad_cases) };
	struct CMUnitTest tests[NFIXED + NBAD];

	static char names[NBAD][64];

	memcpy(tests, fixed, sizeof(fixed));
	for (size_t i = 0; i < NBAD; i++) {
		tests[NFIXED + i] = (struct CMUnitTest)cmocka_unit_test_prestate(
		        test_profile_bad_fixture_expected, (void *)bad_cases[i]);
		snprintf(names[i], sizeof(names[i]), "test_profile_%s_reported", bad_cases[i]);
		tests[NFIXED + i].name = names[i];
	}
	return _cmocka_run_group_tests("profile", tests, NFIXED + NBAD, NULL, NULL);
}
