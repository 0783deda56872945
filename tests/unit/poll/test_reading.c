/* The JSON of a reading: field order, null for values that are not good,
 * escaping, decimals, the unsynced flag, and a too-small buffer. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "reading.h"

static struct gw_profile prof;

static int setup(void **state)
{
	static const struct {
		const char *name;
		int decimals;
	} pts[] = {{"temperature_c", 2}, {"moisture_pct", 2}, {"ec_us_cm", 0}};

	(void)state;
	setenv("TZ", "Asia/Shanghai", 1);
	memset(&prof, 0, sizeof(prof));
	prof.npoints = 3;
	for (size_t i = 0; i < 3; i++) {
		strcpy(prof.points[i].name, pts[i].name);
		prof.points[i].decimals = pts[i].decimals;
	}
	return 0;
}

static struct gw_reading sample(void)
{
	struct gw_reading r = {
	        .ts_ms = 1687312800000LL, /* 2023-06-21T10:00:00+08:00 */
	        .sensor_id = "soil-07",
	        .profile = &prof,
	        .values = {21.92, 37.31, 590},
	        .quality = {GW_Q_GOOD, GW_Q_GOOD, GW_Q_GOOD},
	};
	return r;
}

static void test_reading_json_tagged_ok(void **state)
{
	struct gw_reading r = sample();
	struct gw_reading_tags tags = {.gateway = "xinmin-01",
	                               .plot = "XM-0012",
	                               .household = "hh-3f9a",
	                               .township = "新民乡",
	                               .village = NULL};
	char buf[1024];
	int n;

	(void)state;
	n = gw_reading_json(&r, &tags, buf, sizeof(buf));
	assert_int_equal(n, (int)strlen(buf));
	assert_string_equal(
	        buf, "{\"ts\":\"2023-06-21T10:00:00+08:00\",\"ts_ms\":1687312800000,"
	             "\"gateway\":\"xinmin-01\",\"sensor\":\"soil-07\",\"plot\":\"XM-0012\","
	             "\"household\":\"hh-3f9a\",\"township\":\"新民乡\",\"village\":null,"
	             "\"values\":{\"temperature_c\":21.92,\"moisture_pct\":37.31,\"ec_us_cm\":590},"
	             "\"quality\":{\"temperature_c\":\"good\",\"moisture_pct\":\"good\","
	             "\"ec_us_cm\":\"good\"}}");
}

static void test_reading_json_bad_quality_is_null(void **state)
{
	struct gw_reading r = sample();
	char buf[1024];

	(void)state;
	r.quality[1] = GW_Q_TIMEOUT;
	r.quality[2] = GW_Q_OUT_OF_RANGE;
	r.unsynced = true;
	assert_true(gw_reading_json(&r, NULL, buf, sizeof(buf)) > 0);
	assert_non_null(strstr(buf, "\"moisture_pct\":null"));
	assert_non_null(strstr(buf, "\"ec_us_cm\":null"));
	assert_non_null(strstr(buf, "\"moisture_pct\":\"timeout\""));
	assert_non_null(strstr(buf, "\"ec_us_cm\":\"out_of_range\""));
	assert_non_null(strstr(buf, ",\"clock\":\"unsynced\"}"));
	/* read --json: no gateway or plot fields */
	assert_null(strstr(buf, "\"plot\""));
	assert_null(strstr(buf, "\"gateway\""));
}

static void test_reading_json_escapes_ok(void **state)
{
	struct gw_reading r = sample();
	struct gw_reading_tags tags = {.gateway = "a\"b\\c\nd"};
	char buf[1024];

	(void)state;
	assert_true(gw_reading_json(&r, &tags, buf, sizeof(buf)) > 0);
	assert_non_null(strstr(buf, "\"gateway\":\"a\\\"b\\\\c\\u000ad\""));
}

static void test_reading_json_small_buffer_enospc(void **state)
{
	struct gw_reading r = sample();
	char buf[64];

	(void)state;
	assert_int_equal(gw_reading_json(&r, NULL, buf, sizeof(buf)), -ENOSPC);
	assert_int_equal(gw_reading_json(&r, NULL, buf, 0), -ENOSPC);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_reading_json_tagged_ok),
	        cmocka_unit_test(test_reading_json_bad_quality_is_null),
	        cmocka_unit_test(test_reading_json_escapes_ok),
	        cmocka_unit_test(test_reading_json_small_buffer_enospc),
	};
	return cmocka_run_group_tests(tests, setup, NULL);
}
