/* Daily film states of each rule kind at the exact thresholds (1.5 / 0.5 degC, light
 * ratio 0.3 / 0.7 with a 1000 lx reference, switch 0.9 / 0.1), the share of readings a
 * day needs, how rules combine, and every verdict branch at its boundary (availability
 * 0.8, 3 covered days, 20 % and 50 % not covered, the laying deadline). */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "film.h"
#include "verdict.h"

static const struct gw_accept_cfg ac = {
        .window_start = 620,
        .window_end = 715,
        .laying_deadline = 510,
        .min_availability = 0.8,
        .min_covered_days = 3,
        .pass_max_not_covered = 0.2,
        .fail_min_not_covered = 0.5,
        .hour_start = 10,
        .hour_end = 16,
        .min_day_fraction = 0.5,
        .covered_delta_c = 1.5,
        .not_covered_delta_c = 0.5,
        .light_covered_max = 0.3,
        .light_not_covered_min = 0.7,
        .min_reference_lux = 1000,
        .switch_covered_fraction = 0.9,
        .switch_not_covered_fraction = 0.1,
};

static const int64_t all[2] = {288, 288}, hours[2] = {72, 72};

/* A pair of channels whose hour means are m0 and m1 (n readings each). */
static enum gw_film_state pair(enum gw_rule_kind k, double m0, double m1, int64_t n, double *v)
{
	struct gw_chan_day c0 = {.n = n, .n_hours = n, .sum_hours = m0 * (double)n};
	struct gw_chan_day c1 = {.n = n, .n_hours = n, .sum_hours = m1 * (double)n};

	return gw_film_rule_day(&ac, k, &c0, &c1, all, hours, v);
}

static void test_film_temperature_pair_thresholds(void **state)
{
	static const struct {
		double under, bare;
		enum gw_film_state want;
	} cases[] = {
	        {21.5, 20.0, GW_FS_COVERED},       {21.25, 20.0, GW_FS_INDETERMINATE},
	        {21.0, 20.0, GW_FS_INDETERMINATE}, {20.5, 20.0, GW_FS_NOT_COVERED},
	        {20.0, 20.0, GW_FS_NOT_COVERED},   {26.0, 20.0, GW_FS_COVERED},
	        {19.0, 20.0, GW_FS_NOT_COVERED},   {20.75, 20.0, GW_FS_INDETERMINATE},
	};
	double v;

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		assert_int_equal(
		        pair(GW_RULE_TEMPERATURE_PAIR, cases[i].under, cases[i].bare, 72, &v),
		        cases[i].want);
		assert_true(fabs(v - (cases[i].under - cases[i].bare)) < 1e-9);
	}
	/* just inside each threshold */
	assert_int_equal(pair(GW_RULE_TEMPERATURE_PAIR, 21.49, 20.0, 72, NULL),
	                 GW_FS_INDETERMINATE);
	assert_int_equal(pair(GW_RULE_TEMPERATURE_PAIR, 20.51, 20.0, 72, NULL),
	                 GW_FS_INDETERMINATE);
}

static void test_film_day_needs_half_its_readings(void **state)
{
	double v;

	(void)state;
	assert_int_equal(pair(GW_RULE_TEMPERATURE_PAIR, 23, 20, 36, NULL), GW_FS_COVERED);
	assert_int_equal(pair(GW_RULE_TEMPERATURE_PAIR, 23, 20, 35, &v), GW_FS_NO_DATA);
	assert_true(isnan(v));
	assert_int_equal(pair(GW_RULE_TEMPERATURE_PAIR, 23, 20, 0, NULL), GW_FS_NO_DATA);
}

static void test_film_light_ratio_thresholds(void **state)
{
	double v;

	(void)state;
	assert_int_equal(pair(GW_RULE_LIGHT_RATIO, 3000, 10000, 72, &v), GW_FS_COVERED);
	assert_true(fabs(v - 0.3) < 1e-12);
	assert_int_equal(pair(GW_RULE_LIGHT_RATIO, 3100, 10000, 72, NULL), GW_FS_INDETERMINATE);
	assert_int_equal(pair(GW_RULE_LIGHT_RATIO, 7000, 10000, 72, NULL), GW_FS_NOT_COVERED);
	assert_int_equal(pair(GW_RULE_LIGHT_RATIO, 6900, 10000, 72, NULL), GW_FS_INDETERMINATE);
	assert_int_equal(pair(GW_RULE_LIGHT_RATIO, 0, 1000, 72, NULL), GW_FS_COVERED);
	/* a reference darker than 1000 lx cannot tell film from shade */
	assert_int_equal(pair(GW_RULE_LIGHT_RATIO, 0, 999, 72, &v), GW_FS_INDETERMINATE);
	assert_true(isnan(v));
}

static enum gw_film_state sw(int64_t n, int64_t on)
{
	struct gw_chan_day c0 = {.n = n, .n_covered = on};

	return gw_film_rule_day(&ac, GW_RULE_SWITCH, &c0, NULL, all, hours, NULL);
}

static void test_film_switch_thresholds(void **state)
{
	(void)state;
	assert_int_equal(sw(200, 180), GW_FS_COVERED); /* 0.9 */
	assert_int_equal(sw(200, 179), GW_FS_INDETERMINATE);
	assert_int_equal(sw(200, 20), GW_FS_NOT_COVERED); /* 0.1 */
	assert_int_equal(sw(200, 21), GW_FS_INDETERMINATE);
	assert_int_equal(sw(144, 144), GW_FS_COVERED);
	assert_int_equal(sw(143, 143), GW_FS_NO_DATA); /* under half of 288 */
}

static void test_film_combine_table(void **state)
{
	enum {
		N = GW_FS_NO_DATA,
		C = GW_FS_COVERED,
		X = GW_FS_NOT_COVERED,
		I = GW_FS_INDETERMINATE
	};
	static const int want[4][4] = {
	        /* N  C  X  I */
	        {N, C, X, I}, /* N */
	        {C, C, I, C}, /* C */
	        {X, I, X, X}, /* X */
	        {I, C, X, I}, /* I */
	};

	(void)state;
	for (int a = 0; a < 4; a++)
		for (int b = 0; b < 4; b++)
			assert_int_equal(
			        gw_film_combine((enum gw_film_state)a, (enum gw_film_state)b),
			        want[a][b]);
}

static struct gw_plot_result res(int64_t rec, int64_t exp, unsigned cov, unsigned nc, unsigned ind,
                                 unsigned season)
{
	struct gw_plot_result r;

	memset(&r, 0, sizeof(r));
	r.received = rec;
	r.expected = exp;
	r.covered = cov;
	r.not_covered = nc;
	r.indeterminate = ind;
	r.season_covered = season;
	return r;
}

static void test_verdict_branches(void **state)
{
	static const struct {
		int64_t rec, exp;
		unsigned cov, nc, ind, season;
		bool rule;
		enum gw_verdict want;
	} cases[] = {
	        {100, 100, 10, 0, 0, 10, false, GW_VERDICT_NO_SENSOR},
	        {79, 100, 10, 0, 0, 10, true, GW_VERDICT_INSUFFICIENT_DATA},
	        {0, 0, 0, 0, 0, 0, true, GW_VERDICT_INSUFFICIENT_DATA},
	        {80, 100, 8, 2, 0, 8, true, GW_VERDICT_PASS},           /* availability 0.8, 20 % */
	        {80, 100, 7, 3, 0, 7, true, GW_VERDICT_INDETERMINATE},  /* 30 % */
	        {100, 100, 3, 0, 7, 3, true, GW_VERDICT_PASS},          /* 3 covered days */
	        {100, 100, 2, 0, 8, 2, true, GW_VERDICT_INDETERMINATE}, /* 2 covered days */
	        {100, 100, 0, 0, 8, 3, true, GW_VERDICT_PASS}, /* covered before the window */
	        {100, 100, 5, 5, 0, 5, true, GW_VERDICT_INDETERMINATE}, /* 50 %: not over */
	        {100, 100, 4, 6, 0, 4, true, GW_VERDICT_FAIL},          /* 60 % */
	        {100, 100, 0, 10, 0, 0, true, GW_VERDICT_FAIL},
	        {100, 100, 0, 0, 0, 0, true, GW_VERDICT_INDETERMINATE}, /* nothing classified */
	};

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct gw_plot_result r = res(cases[i].rec, cases[i].exp, cases[i].cov, cases[i].nc,
		                              cases[i].ind, cases[i].season);

		gw_verdict_decide(&ac, cases[i].rule, &r);
		if (r.verdict != cases[i].want)
			fail_msg("case %zu: got %s, want %s", i, gw_verdict_name(r.verdict),
			         gw_verdict_name(cases[i].want));
	}
}

static void test_verdict_laying_deadline(void **state)
{
	struct gw_plot_result r = res(1, 1, 1, 0, 0, 1);

	(void)state;
	r.first_covered = 20230510;
	gw_verdict_decide(&ac, true, &r);
	assert_false(r.late);
	r.first_covered = 20230511;
	gw_verdict_decide(&ac, true, &r);
	assert_true(r.late);
	r.first_covered = 0;
	gw_verdict_decide(&ac, true, &r);
	assert_false(r.late);
	assert_true(fabs(r.availability - 1.0) < 1e-12);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_film_temperature_pair_thresholds),
	        cmocka_unit_test(test_film_day_needs_half_its_readings),
	        cmocka_unit_test(test_film_light_ratio_thresholds),
	        cmocka_unit_test(test_film_switch_thresholds),
	        cmocka_unit_test(test_film_combine_table),
	        cmocka_unit_test(test_verdict_branches),
	        cmocka_unit_test(test_verdict_laying_deadline),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
