/* The simulator's value model: deterministic for a seed, in plausible ranges,
 * diurnal temperature peaking mid-afternoon, a probe under film warmer than
 * the bare one of its plot by day (enough for the film-evidence rule), soil
 * drying between rain events. Local time is fixed at UTC+8. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <math.h>
#include <stdlib.h>
#include <time.h>

#include "sim.h"

#define DAY  86400000LL
#define HOUR 3600000LL
#define T0   1685548800000LL /* 2023-06-01T00:00:00+08:00 */

static void test_sim_model_same_seed_same_values_ok(void **state)
{
	struct gw_sim_model a, b, c;
	int differ = 0;

	(void)state;
	gw_sim_model_init(&a, 7, "soil-01", "XM-1", GW_SIM_PLACE_BARE, false);
	gw_sim_model_init(&b, 7, "soil-01", "XM-1", GW_SIM_PLACE_BARE, false);
	gw_sim_model_init(&c, 8, "soil-01", "XM-1", GW_SIM_PLACE_BARE, false);
	for (int64_t t = T0; t < T0 + 10 * DAY; t += 3 * HOUR) {
		assert_true(gw_sim_model_value(&a, "moisture_pct", t, 0) ==
		            gw_sim_model_value(&b, "moisture_pct", t, 0));
		assert_true(gw_sim_model_value(&a, "temperature_c", t, 0) ==
		            gw_sim_model_value(&b, "temperature_c", t, 0));
		differ += gw_sim_model_value(&a, "moisture_pct", t, 0) !=
		          gw_sim_model_value(&c, "moisture_pct", t, 0);
	}
	assert_true(differ > 0);
}

struct range_case {
	const char *name;
	double min, max;
};

static const struct range_case ranges[] = {
        {"moisture_pct", 15, 45},
        {"temperature_c", 0, 45},
        {"ec_us_cm", 100, 1500},
        {"dielectric", 3, 40},
        {"ph", 5, 8.5},
        {"nitrogen_mg_kg", 20, 150},
        {"phosphorus_mg_kg", 5, 50},
        {"potassium_mg_kg", 50, 250},
        {"lux", 0, 100000},
        {"input2", 0, 0},
        {"relay1", 0, 0},
};

static void test_sim_model_ranges_plausible_ok(void **state)
{
	struct gw_sim_model m[3];

	(void)state;
	gw_sim_model_init(&m[0], 1, "soil-01", "XM-1", GW_SIM_PLACE_UNDER_FILM, true);
	gw_sim_model_init(&m[1], 1, "soil-02", "XM-1", GW_SIM_PLACE_BARE, true);
	gw_sim_model_init(&m[2], 1, "soil-03", "", GW_SIM_PLACE_NONE, false);
	for (size_t i = 0; i < sizeof(ranges) / sizeof(ranges[0]); i++) {
		for (int k = 0; k < 3; k++) {
			for (int64_t t = T0; t < T0 + 60 * DAY; t += HOUR + 7 * 60000) {
				double v = gw_sim_model_value(&m[k], ranges[i].name, t, -1);

				if (v < ranges[i].min || v > ranges[i].max)
					fail_msg("%s = %g at +%lld h (want %g..%g)", ranges[i].name,
					         v, (long long)((t - T0) / HOUR), ranges[i].min,
					         ranges[i].max);
			}
		}
	}
	assert_true(gw_sim_model_value(&m[0], "unknown_thing", T0, 12.5) == 12.5);
}

static void test_sim_model_input1_follows_cover_ok(void **state)
{
	struct gw_sim_model on, off;

	(void)state;
	gw_sim_model_init(&on, 1, "io-01", "XM-1", GW_SIM_PLACE_NONE, true);
	gw_sim_model_init(&off, 1, "io-02", "XM-2", GW_SIM_PLACE_NONE, false);
	assert_true(gw_sim_model_value(&on, "input1", T0, 0) == 1.0);
	assert_true(gw_sim_model_value(&off, "input1", T0, 0) == 0.0);
}

static void test_sim_model_diurnal_peak_afternoon_ok(void **state)
{
	struct gw_sim_model m;

	(void)state;
	gw_sim_model_init(&m, 3, "soil-02", "XM-1", GW_SIM_PLACE_BARE, false);
	for (int d = 0; d < 20; d++) {
		double best = -100, hour = -1;

		for (int64_t t = T0 + d * DAY; t < T0 + (d + 1) * DAY; t += 15 * 60000) {
			double v = gw_sim_model_value(&m, "temperature_c", t, 0);

			if (v > best) {
				best = v;
				hour = (double)(t - T0 - d * DAY) / HOUR;
			}
		}
		if (hour < 13.0 || hour > 17.0)
			fail_msg("day %d: warmest at %.2f h (want 13..17)", d, hour);
	}
	/* light: none at 02:00, plenty at noon */
	assert_true(gw_sim_model_value(&m, "lux", T0 + 2 * HOUR, 0) == 0.0);
	assert_true(gw_sim_model_value(&m, "lux", T0 + 12 * HOUR, 0) > 10000.0);
}

/* Mean of under - bare over 10:00-16:00 of day d, as the film rule computes it. */
static double day_delta(const struct gw_sim_model *under, const struct gw_sim_model *bare, int d)
{
	double sum = 0;
	int n = 0;

	for (int64_t t = T0 + d * DAY + 10 * HOUR; t <= T0 + d * DAY + 16 * HOUR; t += 600000) {
		sum += gw_sim_model_value(under, "temperature_c", t, 0) -
		       gw_sim_model_value(bare, "temperature_c", t, 0);
		n++;
	}
	return sum / n;
}

static void test_sim_model_film_warmer_by_day_ok(void **state)
{
	(void)state;
	for (uint64_t seed = 1; seed <= 5; seed++) {
		struct gw_sim_model under, bare, other;

		gw_sim_model_init(&under, seed, "t-under", "XM-9", GW_SIM_PLACE_UNDER_FILM, true);
		gw_sim_model_init(&bare, seed, "t-bare", "XM-9", GW_SIM_PLACE_BARE, true);
		gw_sim_model_init(&other, seed, "t-none", "XM-9", GW_SIM_PLACE_NONE, true);
		for (int d = 0; d < 30; d++) {
			double delta = day_delta(&under, &bare, d);
			double flat = day_delta(&other, &bare, d);

			if (delta < 1.5 || delta > 4.5)
				fail_msg("seed %d day %d: film delta %.2f (want 1.5..4.5)",
				         (int)seed, d, delta);
			if (fabs(flat) > 0.5)
				fail_msg("seed %d day %d: bare vs bare %.2f", (int)seed, d, flat);
		}
	}
}

static void test_sim_model_moisture_dries_and_rains_ok(void **state)
{
	struct gw_sim_model m;
	int falls = 0, rises = 0, rains = 0;
	double prev;

	(void)state;
	gw_sim_model_init(&m, 11, "soil-05", "XM-3", GW_SIM_PLACE_BARE, false);
	prev = gw_sim_model_value(&m, "moisture_pct", T0, 0);
	for (int64_t t = T0 + 6 * HOUR; t < T0 + 90 * DAY; t += 6 * HOUR) {
		double v = gw_sim_model_value(&m, "moisture_pct", t, 0);

		if (v < prev)
			falls++;
		else
			rises++;
		if (v > prev + 3.0)
			rains++;
		prev = v;
	}
	assert_true(rains >= 2);
	assert_true(falls > 3 * rises);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_sim_model_same_seed_same_values_ok),
	        cmocka_unit_test(test_sim_model_ranges_plausible_ok),
	        cmocka_unit_test(test_sim_model_input1_follows_cover_ok),
	        cmocka_unit_test(test_sim_model_diurnal_peak_afternoon_ok),
	        cmocka_unit_test(test_sim_model_film_warmer_by_day_ok),
	        cmocka_unit_test(test_sim_model_moisture_dries_and_rains_ok),
	};

	setenv("TZ", "CST-8", 1);
	tzset();
	return cmocka_run_group_tests(tests, NULL, NULL);
}
