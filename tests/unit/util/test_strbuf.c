/* strbuf: bounded appends, and gw_fmt_fixed giving exactly snprintf's "%.*f". */
#include <errno.h>
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "strbuf.h"

static void expect_printf(double v, int decimals)
{
	char want[400], got[400];
	int n = snprintf(want, sizeof(want), "%.*f", decimals, v);

	assert_int_equal(gw_fmt_fixed(got, sizeof(got), v, decimals), n);
	assert_string_equal(got, want);
}

/* Register values times their profile's scale, the way decode.c makes them. */
static void test_strbuf_fixed_scaled_registers_ok(void **state)
{
	static const double scales[] = {1, 0.1, 0.01, 0.001, 0.5, 0.25, 0.04};

	(void)state;
	for (size_t s = 0; s < sizeof(scales) / sizeof(scales[0]); s++)
		for (int32_t raw = -40000; raw <= 70000; raw += 7)
			for (int d = 0; d <= 4; d++)
				expect_printf(raw * scales[s], d);
}

static void test_strbuf_fixed_edges_ok(void **state)
{
	static const double cases[] = {0.0,    -0.0,     -0.04,     0.125,
	                               0.375,  2.5,      -2.5,      1e15,
	                               -1e16,  9.99999,  1e300,     -1e-300,
	                               NAN,    INFINITY, -INFINITY, 123456789.987654321,
	                               0.0049, 0.005,    0.0051,    4503599627370495.5};

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		for (int d = 0; d <= 12; d++)
			expect_printf(cases[i], d);
}

static void test_strbuf_fixed_small_buffer_enospc(void **state)
{
	char buf[5];

	(void)state;
	assert_int_equal(gw_fmt_fixed(buf, sizeof(buf), 123.45, 2), -ENOSPC);
	assert_int_equal(gw_fmt_fixed(buf, sizeof(buf), 12.3, 1), 4);
	assert_string_equal(buf, "12.3");
}

static void test_strbuf_put_full_stops(void **state)
{
	char buf[8];
	struct gw_strbuf o = {.buf = buf, .len = sizeof(buf)};

	(void)state;
	gw_sb_put(&o, "abc", 3);
	gw_sb_fixed(&o, -1.5, 1);
	assert_false(o.full);
	assert_string_equal(buf, "abc-1.5");
	gw_sb_put(&o, "x", 1);
	assert_true(o.full);
	assert_string_equal(buf, "abc-1.5");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_strbuf_fixed_scaled_registers_ok),
	        cmocka_unit_test(test_strbuf_fixed_edges_ok),
	        cmocka_unit_test(test_strbuf_fixed_small_buffer_enospc),
	        cmocka_unit_test(test_strbuf_put_full_stops),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
