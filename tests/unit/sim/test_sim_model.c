/* The simulator's value model: deterministic for a seed, in plausible ranges,
 * diurnal temperature peaking mid-afternoon, a probe under film warmer than
 * the bare one of its plot by day while the film is on (enough for the
 * film-evidence rule, a few cloudy days aside) and not once it is off, the
 * film's dates (laid late, torn off, never), soil drying between rain events.
 * Local time is fixed at UTC+8. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "array.h"
#include "sim.h"

#define DAY  86400000LL
#define HOUR 3600000LL
#define T0   1685548800000LL /* 2023-06-01T00:00:00+08:00 */

static const struct gw_sim_film always = {.laid = true};

static void test_sim_model_same_seed_same_values_ok(void **state)
{
	struct gw_sim_model a, b, c;
	int differ = 0;

	(void)state;
	gw_sim_model_init(&a, 7, "soil-01", "XM-1", GW_SIM_PLACE_BARE, NULL);
	gw_sim_model_init(&b, 7, "soil-01", "XM-1", GW_SIM_PLACE_BARE, NULL);
	gw_sim_model_init(&c, 8, "soil-01", "XM-1", GW_SIM_PLACE_BARE, NULL);
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
	gw_sim_model_init(&m[0], 1, "soil-01", "XM-1", GW_SIM_PLACE_UNDER_FILM, &always);
	gw_sim_model_init(&m[1], 1, "soil-02", "XM-1", GW_SIM_PLACE_BARE, &always);
	gw_sim_model_init(&m[2], 1, "soil-03", "", GW_SIM_PLACE_NONE, NULL);
	for (size_t i = 0; i < GW_ARRAY_LEN(ranges); i++) {
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
	gw_sim_model_init(&on, 1, "io-01", "XM-1", GW_SIM_PLACE_NONE, &always);
	gw_sim_model_init(&off, 1, "io-02", "XM-2", GW_SIM_PLACE_NONE, NULL);
	assert_true(gw_sim_model_value(&on, "input1", T0, 0) == 1.0);
	assert_true(gw_sim_model_value(&off, "input1", T0, 0) == 0.0);
}

static void test_sim_model_diurnal_peak_afternoon_ok(void **state)
{
	struct gw_sim_model m;

	(void)state;
	gw_sim_model_init(&m, 3, "soil-02", "XM-1", GW_SIM_PLACE_BARE, NULL);
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

/* Covered days: >= 1.5 (covered) on most days, a cloudy one may fall short but never
 * to <= 0.5 (not covered); bare days always <= 0.5. */
static void test_sim_model_film_warmer_by_day_ok(void **state)
{
	char plot[16];
	int low = 0, days = 0;

	(void)state;
	for (uint64_t seed = 1; seed <= 5; seed++) {
		for (int p = 0; p < 4; p++) {
			struct gw_sim_model under, bare, other, off;

			snprintf(plot, sizeof(plot), "XM-%d", p);
			gw_sim_model_init(&under, seed, "t-under", plot, GW_SIM_PLACE_UNDER_FILM,
			                  &always);
			gw_sim_model_init(&bare, seed, "t-bare", plot, GW_SIM_PLACE_BARE, &always);
			gw_sim_model_init(&other, seed, "t-none", plot, GW_SIM_PLACE_NONE, &always);
			gw_sim_model_init(&off, seed, "t-under", plot, GW_SIM_PLACE_UNDER_FILM,
			                  NULL);
			for (int d = 0; d < 30; d++) {
				double delta = day_delta(&under, &bare, d);

				if (delta <= 0.8 || delta > 4.5)
					fail_msg("seed %d %s day %d: film delta %.2f (want "
					         "0.8..4.5)",
					         (int)seed, plot, d, delta);
				low += delta < 1.5;
				days++;
				if (fabs(day_delta(&other, &bare, d)) > 0.5 ||
				    fabs(day_delta(&off, &bare, d)) > 0.5)
					fail_msg("seed %d %s day %d: bare vs bare %.2f, no film "
					         "%.2f",
					         (int)seed, plot, d, day_delta(&other, &bare, d),
					         day_delta(&off, &bare, d));
			}
		}
	}
	/* a few cloudy days are indeterminate, not many */
	if (low > days / 10)
		fail_msg("%d of %d covered days below 1.5", low, days);
}

struct film_case {
	struct gw_sim_film film;
	int md;
	bool covers;
};

static const struct film_case film_cases[] = {
        {{.laid = false}, 601, false},
        {{.laid = true}, 101, true},
        {{.laid = true, .on_md = 528}, 527, false},
        {{.laid = true, .on_md = 528}, 528, true},
        {{.laid = true, .on_md = 528}, 1231, true},
        {{.laid = true, .on_md = 426, .off_md = 612}, 425, false},
        {{.laid = true, .on_md = 426, .off_md = 612}, 611, true},
        {{.laid = true, .on_md = 426, .off_md = 612}, 612, false},
        {{.laid = true, .off_md = 612}, 401, true},
        {{.laid = false, .on_md = 401}, 601, false},
};

static void test_sim_model_film_dates_ok(void **state)
{
	(void)state;
	for (size_t i = 0; i < GW_ARRAY_LEN(film_cases); i++)
		if (gw_sim_film_covers(&film_cases[i].film, film_cases[i].md) !=
		    film_cases[i].covers)
			fail_msg("case %zu: md %d", i, film_cases[i].md);
}

/* Film laid on 06-05 and torn off on 06-20 (T0 is 06-01): the switch and the
 * temperature pair follow the dates. */
static void test_sim_model_film_laid_and_torn_ok(void **state)
{
	const struct gw_sim_film film = {.laid = true, .on_md = 605, .off_md = 620};
	struct gw_sim_model under, bare, sw;

	(void)state;
	gw_sim_model_init(&under, 2, "t-under", "JH-2", GW_SIM_PLACE_UNDER_FILM, &film);
	gw_sim_model_init(&bare, 2, "t-bare", "JH-2", GW_SIM_PLACE_BARE, &film);
	gw_sim_model_init(&sw, 2, "io-1", "JH-2", GW_SIM_PLACE_NONE, &film);
	for (int d = 0; d < 30; d++) {
		bool on = d >= 4 && d < 19;
		double delta = day_delta(&under, &bare, d);

		assert_true(gw_sim_model_value(&sw, "input1", T0 + d * DAY, -1) ==
		            (on ? 1.0 : 0.0));
		assert_true(gw_sim_model_value(&sw, "input1", T0 + d * DAY + DAY - 1000, -1) ==
		            (on ? 1.0 : 0.0));
		if (on ? delta <= 0.8 : delta > 0.5)
			fail_msg("day %d (film %s): delta %.2f", d, on ? "on" : "off", delta);
	}
}

static void test_sim_model_moisture_dries_and_rains_ok(void **state)
{
	struct gw_sim_model m;
	int falls = 0, rises = 0, rains = 0;
	double prev;

	(void)state;
	gw_sim_model_init(&m, 11, "soil-05", "XM-3", GW_SIM_PLACE_BARE, NULL);
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
	        cmocka_unit_test(test_sim_model_film_dates_ok),
	        cmocka_unit_test(test_sim_model_film_laid_and_torn_ok),
	        cmocka_unit_test(test_sim_model_moisture_dries_and_rains_ok),
	};

	setenv("TZ", "CST-8", 1);
	tzset();
	return cmocka_run_group_tests(tests, NULL, NULL);
}
