/* Named zones without the process TZ: for zones with and without DST (northern, southern,
 * negative DST, 45-minute offsets) the offset and local day of gw_tz agree with glibc's
 * localtime_r under that TZ at instants from 1901 to 2100 (before, in and after the
 * transitions table: the footer rule); the civil calendar round-trips; bad names are
 * unknown; local midnight maps back to its instant. Fails without the footer rule (New York
 * after 2037 is off by an hour) or with a wrong weekday rule. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "array.h"
#include "tz.h"

static void agrees_with_libc(const char *name)
{
	int err = 0;
	struct gw_tz *tz = gw_tz_load(name, &err);
	int64_t step = 7 * 3600 + 1234; /* not a multiple of an hour or a day */

	assert_non_null(tz);
	assert_string_equal(gw_tz_name(tz), name);
	setenv("TZ", name, 1);
	tzset();
	for (int64_t t = -2145916800LL; t < 4102444800LL; t += step) {
		time_t tt = (time_t)t;
		struct tm tm;
		int32_t sec;
		int32_t day = gw_tz_day(tz, t * 1000, &sec);

		assert_non_null(localtime_r(&tt, &tm));
		if (gw_tz_offset(tz, t * 1000) != tm.tm_gmtoff)
			fail_msg("%s at %lld: offset %d, libc %ld", name, (long long)t,
			         gw_tz_offset(tz, t * 1000), tm.tm_gmtoff);
		assert_int_equal(gw_tz_civil_yyyymmdd(day),
		                 (tm.tm_year + 1900) * 10000 + (tm.tm_mon + 1) * 100 + tm.tm_mday);
		assert_int_equal(sec, tm.tm_hour * 3600 + tm.tm_min * 60 + tm.tm_sec);
	}
	gw_tz_free(tz);
}

static void test_tz_zones_agree_with_libc_ok(void **state)
{
	static const char *const zones[] = {"Asia/Shanghai",    "UTC",
	                                    "America/New_York", "Europe/London",
	                                    "Australia/Sydney", "Europe/Dublin",
	                                    "Pacific/Chatham",  "Asia/Kathmandu",
	                                    "America/Santiago", "Africa/Casablanca"};

	(void)state;
	for (size_t i = 0; i < GW_ARRAY_LEN(zones); i++)
		agrees_with_libc(zones[i]);
	unsetenv("TZ");
}

static void test_tz_bad_names_unknown(void **state)
{
	static const char *const names[] = {
	        "Mars/Base",   "",          "/etc/passwd", "../zoneinfo/UTC",
	        "Asia/../UTC", "localtime", "zone.tab",    "Asia"};
	(void)state;
	for (size_t i = 0; i < GW_ARRAY_LEN(names); i++) {
		int err = 0;

		assert_null(gw_tz_load(names[i], &err));
		assert_true(err == -ENOENT || err == -EINVAL);
	}
}

static void test_tz_default_is_shanghai_ok(void **state)
{
	const struct gw_tz *tz = gw_tz_local();

	(void)state;
	assert_string_equal(gw_tz_name(tz), "Asia/Shanghai");
	/* 2023-06-20 00:00 +08:00 is 2023-06-19T16:00Z */
	assert_int_equal(gw_tz_yyyymmdd(tz, 1687190400000LL), 20230620);
	assert_int_equal(gw_tz_yyyymmdd(tz, 1687190400000LL - 1), 20230619);
	assert_int_equal(gw_tz_use("Mars/Base"), -ENOENT);
	assert_string_equal(gw_tz_name(gw_tz_local()), "Asia/Shanghai");
	assert_int_equal(gw_tz_use("UTC"), 0);
	assert_int_equal(gw_tz_yyyymmdd(gw_tz_local(), 1687190400000LL), 20230619);
}

static void test_tz_to_ms_round_trip_ok(void **state)
{
	int err;
	struct gw_tz *ny = gw_tz_load("America/New_York", &err);
	int32_t day = gw_tz_civil_day(2023, 3, 12); /* spring forward at 02:00 */

	(void)state;
	assert_non_null(ny);
	for (int32_t d = gw_tz_civil_day(2023, 1, 1); d < gw_tz_civil_day(2024, 1, 1); d++) {
		int64_t ms = gw_tz_to_ms(ny, d, 0);
		int32_t sec;

		assert_int_equal(gw_tz_day(ny, ms, &sec), d);
		assert_int_equal(sec, 0);
	}
	/* 02:30 does not exist that day: the offset before the gap (-05:00) */
	assert_true(gw_tz_to_ms(ny, day, 9000) == (int64_t)(day * 86400LL + 9000 + 18000) * 1000);
	gw_tz_free(ny);
}

static void test_tz_civil_round_trip_ok(void **state)
{
	(void)state;
	assert_int_equal(gw_tz_civil_day(1970, 1, 1), 0);
	assert_int_equal(gw_tz_civil_day(2000, 3, 1), 11017);
	for (int32_t d = -700000; d < 800000; d += 13) /* years 53..4160 */
		assert_int_equal(gw_tz_civil_day(gw_tz_civil_yyyymmdd(d) / 10000,
		                                 gw_tz_civil_yyyymmdd(d) / 100 % 100,
		                                 gw_tz_civil_yyyymmdd(d) % 100),
		                 d);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_tz_zones_agree_with_libc_ok),
	        cmocka_unit_test(test_tz_bad_names_unknown),
	        cmocka_unit_test(test_tz_default_is_shanghai_ok),
	        cmocka_unit_test(test_tz_to_ms_round_trip_ok),
	        cmocka_unit_test(test_tz_civil_round_trip_ok),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
