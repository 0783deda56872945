/* The poller refuses a config exactly when gw_poll_check does: on a sensor whose
 * max_registers cannot read a point, gw_poll_check reports one error and gw_poller_new
 * returns NULL; on the good fixture, none and a poller. Without poll_check.c (the poller
 * building plans by itself, `check` not asking it) the first case is 0 errors and NULL:
 * the drift the testers found. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "config.h"
#include "poll_check.h"
#include "poller.h"

#define FIXTURES "tests/fixtures/config/preflight/"

/* Errors gw_poll_check reports on path, and whether gw_poller_new takes it. */
static int check_and_build(const char *path, bool *built)
{
	struct gw_config *cfg = NULL;
	struct gw_diag d;
	struct gw_poller *p;
	int n;

	gw_diag_init(&d, stderr);
	assert_int_equal(gw_config_load(path, &d, &cfg), 0);
	n = gw_poll_check(cfg, &d);
	p = gw_poller_new(cfg, NULL);
	*built = p != NULL;
	gw_poller_free(p);
	gw_config_free(cfg);
	return n;
}

static void test_poll_check_agrees_with_poller_ok(void **state)
{
	bool built;

	(void)state;
	assert_int_equal(check_and_build(FIXTURES "bad_plan_max_registers.yaml", &built), 1);
	assert_false(built);
	assert_int_equal(check_and_build(FIXTURES "bad_plan_profile_limit.yaml", &built), 1);
	assert_false(built);
	assert_int_equal(check_and_build(FIXTURES "good_wide.yaml", &built), 0);
	assert_true(built);
}

/* The plan the check builds is the poller's: a 32-bit point in one block of 2. */
static void test_poll_check_sensor_plan_ok(void **state)
{
	struct gw_config *cfg = NULL;
	struct gw_plan plan;

	(void)state;
	assert_int_equal(gw_config_load(FIXTURES "good_wide.yaml", NULL, &cfg), 0);
	assert_int_equal(gw_poll_check_sensor(cfg, 1, &plan, NULL), 0);
	assert_int_equal(plan.nblocks, 2); /* max_gap 0: 0x0000+1 and 0x0002+2 */
	assert_int_equal(plan.blocks[1].addr, 2);
	assert_int_equal(plan.blocks[1].count, 2);
	gw_config_free(cfg);
}

static int group_setup(void **state)
{
	(void)state;
	return chdir(GW_SOURCE_DIR);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_poll_check_agrees_with_poller_ok),
	        cmocka_unit_test(test_poll_check_sensor_plan_ok),
	};

	return cmocka_run_group_tests(tests, group_setup, NULL);
}
