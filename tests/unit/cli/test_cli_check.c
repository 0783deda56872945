/* `fieldgate check` as a function: its exit codes on the demo and on a records error.
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

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_records_cli_check_exit_codes_ok),
	};

	if (chdir(GW_SOURCE_DIR) != 0)
		return 1;
	return cmocka_run_group_tests(tests, NULL, NULL);
}
