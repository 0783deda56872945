/* The daily upload budget at its boundaries: sending is allowed while today's bytes are under
 * the cap, held back once they reach it (exactly at the cap, and one byte over), and a new
 * local day (gateway.timezone Asia/Shanghai; the process's TZ is set to UTC to show it is not
 * the process's day) starts a
 * fresh count at 00:00:00.000, not a millisecond before or after. How they fail: `used <=
 * cap` in gw_budget_allow lets the exact-cap cases through; a day taken from UTC (now_ms /
 * 86400000) keeps the budget exhausted past local midnight and rolls it at 08:00. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <time.h>

#include <cmocka.h>

#include "array.h"
#include "budget.h"
#include "tz.h"

#define MIB      (1ULL << 20)    /* daily_upload_mb: 1, as sinks.c turns it into bytes */
#define T0       1687312800000LL /* 2023-06-21 10:00:00.000 +08:00 */
#define MIDNIGHT 1687363200000LL /* 2023-06-22 00:00:00.000 +08:00 (16:00 UTC) */

static int set_zone(void **state)
{
	(void)state;
	setenv("TZ", "UTC", 1); /* what the process says must not matter */
	tzset();
	return gw_tz_use("Asia/Shanghai");
}

static const struct {
	const char *name;
	uint64_t used; /* bytes counted today before asking */
	bool allowed;
} cap_cases[] = {
        {"nothing sent", 0, true},
        {"one byte under the cap", MIB - 1, true},
        {"exactly at the cap", MIB, false},
        {"one byte over the cap", MIB + 1, false},
};

static void test_budget_cap_boundary_held_at_cap(void **state)
{
	(void)state;
	for (size_t i = 0; i < GW_ARRAY_LEN(cap_cases); i++) {
		struct gw_budget b;
		uint64_t used;
		bool ex;

		gw_budget_init(&b, MIB);
		gw_budget_add(&b, cap_cases[i].used, T0);
		print_message("case: %s\n", cap_cases[i].name);
		assert_int_equal(gw_budget_allow(&b, T0 + 1), cap_cases[i].allowed);
		gw_budget_get(&b, &used, &ex);
		assert_int_equal(used, cap_cases[i].used);
		assert_int_equal(ex,
		                 !cap_cases[i].allowed); /* held back today: the metrics say so */
		gw_budget_destroy(&b);
	}
}

/* Bytes added in many small sends reach the cap exactly: the send that reaches it was
 * allowed (it started under the cap), the next is not. */
static void test_budget_reached_by_sends_held_after(void **state)
{
	struct gw_budget b;

	(void)state;
	gw_budget_init(&b, 1000);
	for (int i = 0; i < 10; i++) {
		assert_true(gw_budget_allow(&b, T0 + i));
		gw_budget_add(&b, 100, T0 + i);
	}
	assert_false(gw_budget_allow(&b, T0 + 10)); /* 1000 of 1000 */
	gw_budget_destroy(&b);
}

static void test_budget_midnight_rolls_at_zero(void **state)
{
	struct gw_budget b;
	uint64_t used;
	bool ex;

	(void)state;
	gw_budget_init(&b, MIB);
	gw_budget_add(&b, MIB, MIDNIGHT - 3600 * 1000LL);
	assert_false(gw_budget_allow(&b, MIDNIGHT - 1000)); /* 23:59:59.000 */
	assert_false(gw_budget_allow(&b, MIDNIGHT - 1));    /* 23:59:59.999: still today */
	gw_budget_get(&b, &used, &ex);
	assert_int_equal(used, MIB);
	assert_true(ex);
	assert_true(gw_budget_allow(&b, MIDNIGHT)); /* 00:00:00.000: a new day */
	gw_budget_get(&b, &used, &ex);
	assert_int_equal(used, 0);
	assert_false(ex);
	gw_budget_destroy(&b);
}

/* A send counted just after midnight, before anyone asked, counts for the new day only:
 * yesterday's full budget does not carry over into it. */
static void test_budget_add_after_midnight_counts_new_day(void **state)
{
	struct gw_budget b;
	uint64_t used;
	bool ex;

	(void)state;
	gw_budget_init(&b, MIB);
	gw_budget_add(&b, MIB - 1, MIDNIGHT - 1);
	assert_true(gw_budget_allow(&b, MIDNIGHT - 1)); /* one byte left today */
	gw_budget_add(&b, 1, MIDNIGHT - 1);
	assert_false(gw_budget_allow(&b, MIDNIGHT - 1));
	gw_budget_add(&b, 10, MIDNIGHT);
	gw_budget_get(&b, &used, &ex);
	assert_int_equal(used, 10);
	assert_false(ex);
	assert_true(gw_budget_allow(&b, MIDNIGHT + 1));
	gw_budget_destroy(&b);
}

/* Local midnight, not UTC's: at 07:59:59.999 +08:00 (23:59:59.999 UTC) and 08:00 +08:00
 * (00:00 UTC) it is the same local day. */
static void test_budget_utc_midnight_no_rollover(void **state)
{
	const int64_t utc_midnight = MIDNIGHT + 8 * 3600 * 1000LL;
	struct gw_budget b;

	(void)state;
	gw_budget_init(&b, MIB);
	gw_budget_add(&b, MIB, utc_midnight - 1);
	assert_false(gw_budget_allow(&b, utc_midnight - 1));
	assert_false(gw_budget_allow(&b, utc_midnight));
	gw_budget_destroy(&b);
}

static void test_budget_unlimited_always_allowed(void **state)
{
	struct gw_budget b;

	(void)state;
	gw_budget_init(&b, 0);
	gw_budget_add(&b, UINT64_MAX / 2, T0);
	assert_true(gw_budget_allow(&b, T0));
	gw_budget_destroy(&b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_budget_cap_boundary_held_at_cap),
	        cmocka_unit_test(test_budget_reached_by_sends_held_after),
	        cmocka_unit_test(test_budget_midnight_rolls_at_zero),
	        cmocka_unit_test(test_budget_add_after_midnight_counts_new_day),
	        cmocka_unit_test(test_budget_utc_midnight_no_rollover),
	        cmocka_unit_test(test_budget_unlimited_always_allowed),
	};

	return cmocka_run_group_tests(tests, set_zone, NULL);
}
