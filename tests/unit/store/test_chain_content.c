/* The content digest (chain_content.h): the same readings in any order give the same digest;
 * a value at the point's resolution (37.300000000000004 written as 37.30) equals the value
 * InfluxDB holds (37.3), -0 equals 0; a changed value, quality, name, sensor or time, a
 * missing or doubled reading each give another digest; a value that is not good enters
 * without its number. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "chain_content.h"

struct rd {
	int64_t ts;
	const char *sensor;
	double moist, temp;
	const char *q_temp;
};

static void digest_of(const struct rd *r, size_t n, const size_t *order, uint8_t out[32])
{
	struct gw_content c;

	gw_content_init(&c);
	for (size_t i = 0; i < n; i++) {
		const struct rd *x = &r[order ? order[i] : i];
		struct gw_content_value v[2] = {
		        {.name = "temperature_c", .quality = x->q_temp, .value = x->temp},
		        {.name = "moisture_pct", .quality = "good", .value = x->moist},
		};

		assert_int_equal(gw_content_add(&c, x->ts, x->sensor, v, 2), 0);
	}
	gw_content_digest(&c, out);
	gw_content_free(&c);
}

static const struct rd base[] = {
        {1000, "s1", 37.3, 21.5, "good"},
        {1000, "s2", 12.0, 0.0, "good"},
        {2000, "s1", 37.31, 21.4, "good"},
        {2000, "s2", 12.1, 0.0, "timeout"},
};

static void test_order_does_not_matter(void **state)
{
	uint8_t a[32], b[32];
	size_t order[] = {3, 1, 0, 2};

	(void)state;
	digest_of(base, 4, NULL, a);
	digest_of(base, 4, order, b);
	assert_memory_equal(a, b, 32);
}

static void test_resolution_and_zero(void **state)
{
	struct rd r[4];
	uint8_t a[32], b[32];

	(void)state;
	memcpy(r, base, sizeof(r));
	r[0].moist = gw_content_at_resolution(37.300000000000004, 2);
	r[1].temp = gw_content_at_resolution(-0.001, 2); /* "-0.00": InfluxDB holds 0 */
	r[3].temp = 99.0;                                /* not good: its number is not in it */
	digest_of(base, 4, NULL, a);
	digest_of(r, 4, NULL, b);
	assert_memory_equal(a, b, 32);
	assert_true(gw_content_at_resolution(37.300000000000004, 2) == 37.3);
	assert_false(signbit(gw_content_at_resolution(-0.001, 2)));
}

static void test_every_change_shows(void **state)
{
	uint8_t a[32], b[32];
	struct rd r[5];

	(void)state;
	digest_of(base, 4, NULL, a);
	for (int k = 0; k < 7; k++) {
		size_t n = 4;

		memcpy(r, base, sizeof(base));
		switch (k) {
		case 0:
			r[2].moist = 37.32;
			break;
		case 1:
			r[2].q_temp = "out_of_range";
			break;
		case 2:
			r[2].sensor = "s3";
			break;
		case 3:
			r[2].ts = 2001;
			break;
		case 4:
			n = 3;
			break;
		case 5:
			r[4] = r[2];
			n = 5;
			break;
		default:
			r[3].q_temp = "crc_error";
			break;
		}
		digest_of(r, n, NULL, b);
		assert_memory_not_equal(a, b, 32);
	}
}

static void test_missing_name_refused(void **state)
{
	struct gw_content c;
	struct gw_content_value v[1] = {{.name = NULL, .quality = "good"}};

	(void)state;
	gw_content_init(&c);
	assert_int_not_equal(gw_content_add(&c, 1, "s1", v, 1), 0);
	assert_int_not_equal(gw_content_add(&c, 1, NULL, v, 0), 0);
	gw_content_free(&c);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_order_does_not_matter),
	        cmocka_unit_test(test_resolution_and_zero),
	        cmocka_unit_test(test_every_change_shows),
	        cmocka_unit_test(test_missing_name_refused),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
