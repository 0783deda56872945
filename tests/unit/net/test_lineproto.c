/* Line protocol escaping with the spec's special characters (spaces, commas,
 * equals signs, quotes, backslashes), Chinese tag values, and whole points: a good value
 * carries no "<name>_q" (its absence means good), any other quality does, and a value whose
 * quality is good but that is not finite goes as decode_error without a value.
 * How it fails: writing `_q="good"` for good values (as before issue 15) makes
 * reading_point_ok and good_only_no_quality fail on the expected text. */
#include <errno.h>
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "array.h"
#include "lineproto.h"

static void test_lineproto_escape_table_ok(void **state)
{
	static const struct {
		enum gw_lp_kind kind;
		const char *in;
		const char *out;
	} cases[] = {
	        {GW_LP_MEASUREMENT, "my Measurement", "my\\ Measurement"},
	        {GW_LP_MEASUREMENT, "a,b=c", "a\\,b=c"}, /* "=" is fine in a measurement */
	        {GW_LP_KEY, "tag Key1", "tag\\ Key1"},
	        {GW_LP_KEY, "k=v,w", "k\\=v\\,w"},
	        {GW_LP_TAG_VALUE, "tag Value1", "tag\\ Value1"},
	        {GW_LP_TAG_VALUE, "has, commas=and spaces", "has\\,\\ commas\\=and\\ spaces"},
	        {GW_LP_TAG_VALUE, "新民乡", "新民乡"},
	        {GW_LP_TAG_VALUE, "C:\\data", "C:\\data"}, /* an inner backslash passes */
	        {GW_LP_TAG_VALUE, "\"quoted\"", "\"quoted\""},
	        {GW_LP_STRING, "too \"hot\"", "too \\\"hot\\\""},
	        {GW_LP_STRING, "back\\slash", "back\\\\slash"},
	        {GW_LP_STRING, "a, b=c", "a, b=c"},
	        {GW_LP_STRING, "", ""},
	        {GW_LP_STRING, "ends with \\", "ends with \\\\"},
	};
	(void)state;
	for (size_t i = 0; i < GW_ARRAY_LEN(cases); i++) {
		char buf[128] = "x";
		size_t pos = 1;

		assert_int_equal(gw_lp_append(buf, sizeof(buf), &pos, cases[i].kind, cases[i].in),
		                 0);
		assert_string_equal(buf + 1, cases[i].out);
		assert_int_equal(pos, 1 + strlen(cases[i].out));
	}
}

static void test_lineproto_unrepresentable_einval(void **state)
{
	static const struct {
		enum gw_lp_kind kind;
		const char *in;
	} cases[] = {
	        {GW_LP_TAG_VALUE, "two\nlines"},
	        {GW_LP_STRING, "cr\r"},
	        {GW_LP_TAG_VALUE, "end\\"},
	        {GW_LP_KEY, "end\\"},
	        {GW_LP_KEY, ""},
	        {GW_LP_MEASUREMENT, ""},
	};
	(void)state;
	for (size_t i = 0; i < GW_ARRAY_LEN(cases); i++) {
		char buf[64];
		size_t pos = 0;

		assert_int_equal(gw_lp_append(buf, sizeof(buf), &pos, cases[i].kind, cases[i].in),
		                 -EINVAL);
		assert_int_equal(pos, 0);
	}
}

static void test_lineproto_small_buffer_enospc(void **state)
{
	char buf[8];
	size_t pos = 2;

	(void)state;
	assert_int_equal(gw_lp_append(buf, sizeof(buf), &pos, GW_LP_KEY, "a b c d"), -ENOSPC);
	assert_int_equal(pos, 2);
	pos = 8;
	assert_int_equal(gw_lp_append(buf, sizeof(buf), &pos, GW_LP_STRING, ""), -ENOSPC);
}

static struct gw_profile prof;

static struct gw_reading sample(void)
{
	struct gw_reading r = {
	        .ts_ms = 1687312800000LL,
	        .sensor_id = "soil 07",
	        .profile = &prof,
	        .values = {21.92, 37.31},
	        .quality = {GW_Q_GOOD, GW_Q_TIMEOUT},
	};

	memset(&prof, 0, sizeof(prof));
	prof.npoints = 2;
	strcpy(prof.points[0].name, "temperature_c");
	prof.points[0].decimals = 2;
	strcpy(prof.points[1].name, "moisture_pct");
	prof.points[1].decimals = 2;
	return r;
}

static void test_lineproto_reading_point_ok(void **state)
{
	struct gw_reading r = sample();
	struct gw_reading_tags tags = {.gateway = "xinmin-01",
	                               .plot = "XM,0012",
	                               .household = "hh=3f",
	                               .township = "新民乡"};
	char buf[512];
	size_t pos = 0;

	(void)state;
	assert_int_equal(gw_lp_reading(buf, sizeof(buf), &pos, &r, &tags), 0);
	assert_string_equal(buf, "reading,gateway=xinmin-01,household=hh\\=3f,plot=XM\\,0012,"
	                         "sensor=soil\\ 07,township=新民乡 temperature_c=21.92,"
	                         "moisture_pct_q=\"timeout\" "
	                         "1687312800000\n");
	assert_int_equal(pos, strlen(buf));
}

static void test_lineproto_good_only_no_quality(void **state)
{
	struct gw_reading r = sample();
	struct gw_reading_tags tags = {.gateway = "g"};
	char buf[512];
	size_t pos = 0;

	(void)state;
	r.quality[1] = GW_Q_GOOD;
	assert_int_equal(gw_lp_reading(buf, sizeof(buf), &pos, &r, &tags), 0);
	assert_string_equal(buf, "reading,gateway=g,sensor=soil\\ 07 temperature_c=21.92,"
	                         "moisture_pct=37.31 1687312800000\n");
	pos = 0;
	r.values[0] = NAN;
	assert_int_equal(gw_lp_reading(buf, sizeof(buf), &pos, &r, &tags), 0);
	assert_string_equal(buf, "reading,gateway=g,sensor=soil\\ 07 "
	                         "temperature_c_q=\"decode_error\",moisture_pct=37.31 "
	                         "1687312800000\n");
}

static void test_lineproto_reading_no_room_keeps_batch(void **state)
{
	struct gw_reading r = sample();
	struct gw_reading_tags tags = {.gateway = "g"};
	char buf[512];
	size_t pos = 0, first;

	(void)state;
	assert_int_equal(gw_lp_reading(buf, sizeof(buf), &pos, &r, &tags), 0);
	first = pos;
	/* A second point that does not fit leaves the first one whole. */
	assert_int_equal(gw_lp_reading(buf, first + 20, &pos, &r, &tags), -ENOSPC);
	assert_int_equal(pos, first);
	assert_int_equal(strlen(buf), first);
	tags.gateway = "bad\ngateway";
	assert_int_equal(gw_lp_reading(buf, sizeof(buf), &pos, &r, &tags), -EINVAL);
	assert_int_equal(pos, first);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_lineproto_escape_table_ok),
	        cmocka_unit_test(test_lineproto_unrepresentable_einval),
	        cmocka_unit_test(test_lineproto_small_buffer_enospc),
	        cmocka_unit_test(test_lineproto_reading_point_ok),
	        cmocka_unit_test(test_lineproto_good_only_no_quality),
	        cmocka_unit_test(test_lineproto_reading_no_room_keeps_batch),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
