/* The simulator's fault file: good entries parse into faults and combine per
 * slave; every bad entry is reported as FILE:LINE:COL, all of them. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "array.h"
#include "sim.h"

/* Parses text; returns the rc and the diagnostics in *msgs (owned). */
static int parse(const char *text, struct gw_sim_fault **out, size_t *n, char **msgs)
{
	size_t len;
	FILE *f = open_memstream(msgs, &len);
	struct gw_diag d;
	struct gw_ydoc *doc;
	int rc = -1;

	assert_non_null(f);
	gw_diag_init(&d, f);
	doc = gw_yaml_load_string("faults.yaml", text, &d);
	if (doc)
		rc = gw_sim_faults_parse(doc, &d, out, n);
	gw_yaml_free(doc);
	fclose(f);
	return rc;
}

static void test_sim_faults_all_kinds_ok(void **state)
{
	const char *text = "faults:\n"
	                   "  - {sensor: soil-03, kind: silent}\n"
	                   "  - {sensor: soil-04, kind: exception, code: 4}\n"
	                   "  - {sensor: soil-05, kind: slow, delay_ms: 1500}\n"
	                   "  - {sensor: soil-06, kind: crc}\n"
	                   "  - {sensor: soil-07, kind: out_of_range}\n"
	                   "  - {bus: tcp1, unit: 8, kind: drop}\n";
	struct gw_sim_fault *f;
	size_t n;
	char *msgs;

	(void)state;
	assert_int_equal(parse(text, &f, &n, &msgs), 0);
	assert_string_equal(msgs, "");
	assert_int_equal(n, 6);
	assert_int_equal(f[0].kind, GW_SIM_F_SILENT);
	assert_string_equal(f[0].sensor, "soil-03");
	assert_int_equal(f[0].src.line, 2);
	assert_int_equal(f[1].kind, GW_SIM_F_EXCEPTION);
	assert_int_equal(f[1].code, 4);
	assert_int_equal(f[2].kind, GW_SIM_F_SLOW);
	assert_int_equal(f[2].delay_ms, 1500);
	assert_int_equal(f[3].kind, GW_SIM_F_CRC);
	assert_int_equal(f[4].kind, GW_SIM_F_OUT_OF_RANGE);
	assert_int_equal(f[5].kind, GW_SIM_F_DROP);
	assert_string_equal(f[5].bus, "tcp1");
	assert_int_equal(f[5].unit, 8);
	free(f);
	free(msgs);
}

static void test_sim_faults_empty_list_ok(void **state)
{
	struct gw_sim_fault *f;
	size_t n = 9;
	char *msgs;

	(void)state;
	assert_int_equal(parse("faults: []\n", &f, &n, &msgs), 0);
	assert_int_equal(n, 0);
	assert_null(f);
	free(msgs);
}

static void test_sim_faults_combine_per_slave_ok(void **state)
{
	struct gw_sim_fault slow = {.kind = GW_SIM_F_SLOW, .delay_ms = 700};
	struct gw_sim_fault crc = {.kind = GW_SIM_F_CRC};
	struct gw_sim_faultset set;

	(void)state;
	memset(&set, 0, sizeof(set));
	gw_sim_faultset_add(&set, &slow);
	gw_sim_faultset_add(&set, &crc);
	assert_int_equal(set.delay_ms, 700);
	assert_true(set.crc);
	assert_false(set.silent);
}

struct bad_case {
	const char *name;
	const char *text;
	const char *want; /* exact diagnostics */
};

static const struct bad_case bad_cases[] = {
        {"unknown_kind", "faults:\n  - {sensor: s1, kind: flaky}\n",
         "faults.yaml:2:24: error: faults: kind: unknown \"flaky\" (want silent exception slow "
         "crc out_of_range drop)\n"},
        {"unknown_key", "faults:\n  - {sensor: s1, kind: silent, when: now}\n",
         "faults.yaml:2:32: error: faults: unknown key \"when\" (want sensor bus unit kind code "
         "delay_ms)\n"},
        {"no_target", "faults:\n  - {kind: silent}\n",
         "faults.yaml:2:5: error: faults: want sensor, or bus and unit\n"},
        {"both_targets", "faults:\n  - {sensor: s1, bus: b, unit: 2, kind: crc}\n",
         "faults.yaml:2:5: error: faults: give sensor, or bus and unit, not both\n"},
        {"exception_no_code", "faults:\n  - {sensor: s1, kind: exception}\n",
         "faults.yaml:2:5: error: faults: exception: code missing (want 1..255)\n"},
        {"unit_range", "faults:\n  - {bus: b, unit: 300, kind: silent}\n",
         "faults.yaml:2:20: error: faults: unit: out of range (got \"300\", want 1..247)\n"},
        {"not_a_list", "faults: {sensor: s1}\n",
         "faults.yaml:1:9: error: faults: want a list (got mapping)\n"},
        {"top_unknown", "faults: []\nextra: 1\n",
         "faults.yaml:2:1: error: unknown key \"extra\" (want faults)\n"},
        {"every_error_reported",
         "faults:\n  - {sensor: s1, kind: slow}\n  - {sensor: s2, kind: crc, code: 3}\n",
         "faults.yaml:2:5: error: faults: slow: delay_ms missing\n"
         "faults.yaml:3:5: error: faults: code: only for kind exception\n"},
};

static void test_sim_faults_bad_cases_reported(void **state)
{
	(void)state;
	for (size_t i = 0; i < GW_ARRAY_LEN(bad_cases); i++) {
		struct gw_sim_fault *f = NULL;
		size_t n = 0;
		char *msgs;

		print_message("case %s\n", bad_cases[i].name);
		assert_int_not_equal(parse(bad_cases[i].text, &f, &n, &msgs), 0);
		assert_string_equal(msgs, bad_cases[i].want);
		assert_true(n == 0 || f[n - 1].bad);
		free(f);
		free(msgs);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_sim_faults_all_kinds_ok),
	        cmocka_unit_test(test_sim_faults_empty_list_ok),
	        cmocka_unit_test(test_sim_faults_combine_per_slave_ok),
	        cmocka_unit_test(test_sim_faults_bad_cases_reported),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
