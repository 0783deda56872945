/* `fieldgate check` as a function: its exit codes on the demo, on a records error and on a
 * config `run` would refuse at start-up.
 * Runs from the source dir so fixture paths are relative. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <getopt.h>
#include <unistd.h>

#include "cli.h"

#define FIXTURES "tests/fixtures/records/"

/* `fieldgate check`: exit 0 on the demo, 2 on records errors (here a sensor's plot). */
static void test_records_cli_check_exit_codes_ok(void **state)
{
	char *good[] = {"check", "-q", "-c", "config/demo/gateway.yaml", NULL};
	char *bad[] = {"check", "-q", "-c", FIXTURES "bad_sensor_plot/gateway.yaml", NULL};

	(void)state;
	optind = 0;
	assert_int_equal(gw_cli_check(4, good), 0);
	optind = 0;
	assert_int_equal(gw_cli_check(4, bad), 2);
}

/* `fieldgate check` refuses what `run` would: a sensor whose max_registers cannot read a
 * 32-bit point loads as a config, and is exit 2 (exit 0 before check ran the preflight). */
static void test_cli_check_unplannable_sensor_exit2(void **state)
{
	char *bad[] = {"check", "-q", "-c",
	               "tests/fixtures/config/preflight/bad_plan_max_registers.yaml", NULL};
	char *good[] = {"check", "-q", "-c", "tests/fixtures/config/preflight/good_wide.yaml",
	                NULL};

	(void)state;
	optind = 0;
	assert_int_equal(gw_cli_check(4, bad), 2);
	optind = 0;
	assert_int_equal(gw_cli_check(4, good), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_records_cli_check_exit_codes_ok),
	        cmocka_unit_test(test_cli_check_unplannable_sensor_exit2),
	};

	if (chdir(GW_SOURCE_DIR) != 0)
		return 1;
	return cmocka_run_group_tests(tests, NULL, NULL);
}
