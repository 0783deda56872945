/* Daily film states of each rule kind at the exact thresholds (1.5 / 0.5 degC, also as
 * 16.06 - 14.56 and 16.01 - 15.51, which floating point puts just inside; light ratio
 * 0.3 / 0.7 with a 1000 lx reference, switch 0.9 / 0.1), the share of readings a day needs,
 * how rules combine, and every verdict branch at its boundary (availability 80 %, never
 * above 100 %; covered days at half the window's days; 20 % and 50 % not covered; a window
 * without a classified day; the laying deadline, late only when the evidence reported by
 * then) with its reason. Comparing in floating point makes the 16.06 - 14.56 case
 * indeterminate; counting indeterminate days as classified, or covered days of the season
 * instead of the window, turns the "no evidence in the window" cases into pass. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "array.h"
#include "film.h"
#include "verdict.h"

static const struct gw_accept_cfg ac = {
        .window_start = 620,
        .window_end = 715,
        .laying_deadline = 510,
        .min_availability = 0.8,
        .min_covered_days = 1,
        .pass_min_covered_share = 0.5,
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

/* One reading each: the delta is exactly under - bare in floating point. */
static enum gw_film_state one_pair(double under, double bare, double *v)
{
	static const int64_t one[2] = {1, 1};
	struct gw_chan_day c0 = {.n = 1, .n_hours = 1, .sum_hours = under};
	struct gw_chan_day c1 = {.n = 1, .n_hours = 1, .sum_hours = bare};

	return gw_film_rule_day(&ac, GW_RULE_TEMPERATURE_PAIR, &c0, &c1, one, one, v);
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
	for (size_t i = 0; i < GW_ARRAY_LEN(cases); i++) {
		assert_int_equal(
		        pair(GW_RULE_TEMPERATURE_PAIR, cases[i].under, cases[i].bare, 72, &v),
		        cases[i].want);
		assert_true(fabs(v - (cases[i].under - cases[i].bare)) < 1e-9);
	}
	/* differences of readings at the probes' resolution, exactly on the thresholds */
	assert_int_equal(one_pair(16.54, 15.04, &v), GW_FS_COVERED);
	assert_true(v == 1.5);
	assert_int_equal(one_pair(24.06, 23.56, &v), GW_FS_NOT_COVERED);
	assert_true(v == 0.5);
	/* in floating point these are 1.4999999999999982 and 0.5000000000000018 */
	assert_int_equal(one_pair(16.06, 14.56, &v), GW_FS_COVERED);
	assert_true(v == 1.5);
	assert_int_equal(one_pair(16.01, 15.51, &v), GW_FS_NOT_COVERED);
	assert_true(v == 0.5);
	assert_int_equal(one_pair(16.53, 15.04, NULL), GW_FS_INDETERMINATE);
	assert_int_equal(one_pair(24.07, 23.56, NULL), GW_FS_INDETERMINATE);
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
                                 unsigned nd)
{
	struct gw_plot_result r;

	memset(&r, 0, sizeof(r));
	r.received = rec;
	r.expected = exp;
	r.covered = cov;
	r.not_covered = nc;
	r.indeterminate = ind;
	r.no_data = nd;
	r.season_covered = cov;
	return r;
}

static const struct verdict_case {
	int64_t rec, exp;
	unsigned cov, nc, ind, nd;
	bool rule;
	enum gw_verdict want;
	const char *reason;
} verdict_cases[] = {
        {1000, 1000, 26, 0, 0, 0, false, GW_VERDICT_NO_SENSOR,
         "no film-evidence sensor on the plot"},
        {7999, 10000, 26, 0, 0, 0, true, GW_VERDICT_INSUFFICIENT_DATA,
         "availability 79.9 % is below 80 % (7999 of 10000 expected readings)"},
        {0, 0, 0, 0, 0, 0, true, GW_VERDICT_INSUFFICIENT_DATA,
         "availability 0.0 % is below 80 % (0 of 0 expected readings)"},
        {8000, 10000, 26, 0, 0, 0, true, GW_VERDICT_PASS,
         "26 of 26 window days covered, 0 not covered, availability 80.0 %"},
        /* more readings than slots (doubled replies): never above 100 % */
        {1002, 1000, 26, 0, 0, 0, true, GW_VERDICT_PASS,
         "26 of 26 window days covered, 0 not covered, availability 100.0 %"},
        {962, 1000, 14, 1, 11, 0, true, GW_VERDICT_PASS,
         "14 of 26 window days covered, 1 not covered, availability 96.2 %"},
        /* covered days at half the window's days */
        {1000, 1000, 13, 0, 13, 0, true, GW_VERDICT_PASS,
         "13 of 26 window days covered, 0 not covered, availability 100.0 %"},
        {1000, 1000, 12, 0, 14, 0, true, GW_VERDICT_INDETERMINATE,
         "12 of 26 window days covered (pass needs 13), 0 not covered, availability 100.0 "
         "%"},
        {1000, 1000, 12, 0, 13, 0, true, GW_VERDICT_INDETERMINATE, /* 12.5 rounds up */
         "12 of 25 window days covered (pass needs 13), 0 not covered, availability 100.0 "
         "%"},
        /* not covered at 20 % and 50 % of the classified days */
        {1000, 1000, 16, 4, 6, 0, true, GW_VERDICT_PASS,
         "16 of 26 window days covered, 4 not covered, availability 100.0 %"},
        {1000, 1000, 15, 4, 7, 0, true, GW_VERDICT_INDETERMINATE,
         "4 of 19 classified window days not covered (pass allows 20 %, fail needs more "
         "than "
         "50 %), availability 100.0 %"},
        {1000, 1000, 5, 5, 16, 0, true, GW_VERDICT_INDETERMINATE,
         "5 of 26 window days covered (pass needs 13), 5 not covered, availability 100.0 "
         "%"},
        {1000, 1000, 4, 6, 16, 0, true, GW_VERDICT_FAIL,
         "6 of 10 classified window days not covered (more than 50 %), 4 covered, "
         "availability 100.0 %"},
        {1000, 1000, 0, 26, 0, 0, true, GW_VERDICT_FAIL,
         "26 of 26 classified window days not covered (more than 50 %), 0 covered, "
         "availability 100.0 %"},
        /* no classified day in the window (covered only before it): never pass */
        {1000, 1000, 0, 0, 26, 0, true, GW_VERDICT_INDETERMINATE,
         "no window day classified (26 indeterminate, 0 no data), availability 100.0 %"},
        {1000, 1000, 0, 0, 0, 26, true, GW_VERDICT_INDETERMINATE,
         "no window day classified (0 indeterminate, 26 no data), availability 100.0 %"},
};

static void test_verdict_branches(void **state)
{
	(void)state;
	for (size_t i = 0; i < GW_ARRAY_LEN(verdict_cases); i++) {
		const struct verdict_case *c = &verdict_cases[i];
		struct gw_plot_result r = res(c->rec, c->exp, c->cov, c->nc, c->ind, c->nd);

		r.season_covered += 3; /* covered days before the window count for nothing */
		gw_verdict_decide(&ac, c->rule, &r);
		if (r.verdict != c->want || strcmp(r.reason, c->reason) != 0)
			fail_msg("case %zu: got %s (%s), want %s (%s)", i,
			         gw_verdict_name(r.verdict), r.reason, gw_verdict_name(c->want),
			         c->reason);
		assert_true(r.availability <= 1.0);
	}
}

/* Without min_covered_days, a window of no days (not begun) still is not a pass. */
static void test_verdict_empty_window_never_pass(void **state)
{
	struct gw_accept_cfg a0 = ac;
	struct gw_plot_result r = res(10, 10, 0, 0, 0, 0);

	(void)state;
	a0.min_covered_days = 0;
	r.season_covered = 3;
	gw_verdict_decide(&a0, true, &r);
	assert_int_equal(r.verdict, GW_VERDICT_INDETERMINATE);
}

static void test_verdict_permille_truncates(void **state)
{
	char buf[16];

	(void)state;
	assert_int_equal(gw_verdict_permille(7997, 10000), 799);
	assert_int_equal(gw_verdict_permille(99999, 100000), 999);
	assert_int_equal(gw_verdict_permille(5, 0), 0);
	assert_string_equal(gw_verdict_pct(799, buf, sizeof(buf)), "79.9");
	assert_string_equal(gw_verdict_pct(1000, buf, sizeof(buf)), "100.0");
}

static void test_verdict_laying_deadline(void **state)
{
	static const struct {
		int first_covered, first_evidence;
		bool late, unknown;
		const char *text;
	} cases[] = {
	        {20230510, 20230420, false, false, "on_time"},
	        {20230511, 20230510, true, false, "late"},
	        {20230601, 20230420, true, false, "late"},
	        /* probes installed on 06-01 on film laid in April */
	        {20230601, 20230601, false, true, "laying date unknown (evidence from 06-01)"},
	        {20230511, 20230511, false, true, "laying date unknown (evidence from 05-11)"},
	        {0, 20230420, false, false, NULL},
	};
	char buf[64];

	(void)state;
	for (size_t i = 0; i < GW_ARRAY_LEN(cases); i++) {
		struct gw_plot_result r = res(1, 1, 1, 0, 0, 0);
		const char *t;

		r.first_covered = cases[i].first_covered;
		r.first_evidence = cases[i].first_evidence;
		gw_verdict_decide(&ac, true, &r);
		assert_int_equal(r.late, cases[i].late);
		assert_int_equal(r.laying_unknown, cases[i].unknown);
		t = gw_verdict_laying(&r, buf, sizeof(buf));
		if (cases[i].text)
			assert_string_equal(t, cases[i].text);
		else
			assert_null(t);
	}
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
	        cmocka_unit_test(test_verdict_empty_window_never_pass),
	        cmocka_unit_test(test_verdict_permille_truncates),
	        cmocka_unit_test(test_verdict_laying_deadline),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
