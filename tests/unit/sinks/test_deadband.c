/* The MQTT deadband: no band passes everything; with one, small moves are held back,
 * a move beyond it, a quality change or the heartbeat (in poll time) let a reading
 * through, and what passes becomes the new reference.
 * Boundaries (README: published when a value moves *more than* the deadband, or
 * heartbeat_min has passed): a move of exactly the band is held back, a step more goes, a
 * step less is held; the heartbeat goes exactly beat_ms after the last published reading,
 * not a millisecond before. How they fail: `>` flipped to `>=` in gw_deadband_pass publishes
 * the exact-band moves (test_deadband_band_boundary); the heartbeat's `>=` flipped to `>`
 * holds the reading at exactly beat_ms (test_deadband_heartbeat_boundary, _rules).
 * test_deadband_decimal_band_boundary_held is KNOWN FAILING against deadband.c as it
 * stands: with values made as the decoder makes them (raw * scale, 3 * 0.1 =
 * 0.30000000000000004) a move of exactly the band at the sensor's resolution comes out a
 * hair above it in binary and is published; see that test for the fix. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "array.h"
#include "deadband.h"

static struct gw_profile prof = {
        .npoints = 2,
        .points = {{.name = "a", .scale = 0.1, .decimals = 1},
                   {.name = "b", .scale = 0.1, .decimals = 1}},
};

static struct gw_reading at(int64_t ts, double a, double b, uint8_t qb)
{
	struct gw_reading r = {.ts_ms = ts, .profile = &prof};

	r.values[0] = a;
	r.values[1] = b;
	r.quality[1] = qb;
	return r;
}

static void test_deadband_rules(void **state)
{
	struct gw_deadband d = {0};
	struct gw_reading r;
	const int64_t beat = 60000;

	(void)state;
	r = at(0, 30.0, 12.0, GW_Q_GOOD);
	assert_true(gw_deadband_pass(&d, &r, 0.5, beat)); /* the first always goes */
	r = at(1000, 30.4, 12.0, GW_Q_GOOD);
	assert_false(gw_deadband_pass(&d, &r, 0.5, beat)); /* 0.4 <= 0.5 */
	r = at(2000, 29.6, 12.4, GW_Q_GOOD);
	assert_false(gw_deadband_pass(&d, &r, 0.5, beat)); /* compared with 30.0, not 30.4 */
	r = at(3000, 30.6, 12.0, GW_Q_GOOD);
	assert_true(gw_deadband_pass(&d, &r, 0.5, beat)); /* 0.6 > 0.5 */
	r = at(4000, 30.9, 12.0, GW_Q_GOOD);
	assert_false(gw_deadband_pass(&d, &r, 0.5, beat)); /* the reference is now 30.6 */
	r = at(5000, 30.6, 0, GW_Q_TIMEOUT);
	assert_true(gw_deadband_pass(&d, &r, 0.5, beat)); /* a quality changed */
	r = at(6000, 30.6, 0, GW_Q_TIMEOUT);
	assert_false(gw_deadband_pass(&d, &r, 0.5, beat));
	r = at(5000 + beat - 1, 30.6, 0, GW_Q_TIMEOUT);
	assert_false(gw_deadband_pass(&d, &r, 0.5, beat));
	r = at(5000 + beat, 30.6, 0, GW_Q_TIMEOUT);
	assert_true(gw_deadband_pass(&d, &r, 0.5, beat)); /* the heartbeat */
}

/* A sensor as the decoder gives it: value = raw * scale (decode.c), printed with decimals. */
static struct gw_profile res_prof = {
        .npoints = 2,
        .points = {{.name = "moisture_pct", .scale = 0.01, .decimals = 2},
                   {.name = "temperature_c", .scale = 0.1, .decimals = 1}},
};

/* Reference published, then one reading; returns whether the second one was published. */
static bool second_passes(const struct gw_profile *p, double ref0, double ref1, double v0,
                          double v1, double band)
{
	struct gw_deadband d = {0};
	struct gw_reading r = {.ts_ms = 0, .profile = p};

	r.values[0] = ref0;
	r.values[1] = ref1;
	assert_true(gw_deadband_pass(&d, &r, band, 60000));
	r.ts_ms = 1000;
	r.values[0] = v0;
	r.values[1] = v1;
	return gw_deadband_pass(&d, &r, band, 60000);
}

/* Moves by exactly the band, more and less, up and down, on values that binary floating
 * point holds exactly (quarter steps), on a sensor printing 2 decimals. */
static struct gw_profile quarter_prof = {
        .npoints = 2,
        .points = {{.name = "a", .scale = 0.25, .decimals = 2},
                   {.name = "b", .scale = 0.25, .decimals = 2}},
};

static const struct {
	const char *name;
	double ref, v, band;
	bool published;
} exact_cases[] = {
        {"up exactly the band", 30.0, 30.5, 0.5, false},
        {"down exactly the band", 30.0, 29.5, 0.5, false},
        {"up a quarter more", 30.0, 30.75, 0.5, true},
        {"down a quarter more", 30.0, 29.25, 0.5, true},
        {"up a quarter less", 30.0, 30.25, 0.5, false},
        {"band 0.25 exactly", 12.0, 12.25, 0.25, false},
        {"band 0.25 and a quarter more", 12.0, 12.5, 0.25, true},
        {"band 2 exactly, below zero", -3.0, -1.0, 2.0, false},
        {"band 2 and a quarter more, below zero", -3.0, -0.75, 2.0, true},
};

static void test_deadband_band_boundary(void **state)
{
	(void)state;
	for (size_t i = 0; i < GW_ARRAY_LEN(exact_cases); i++) {
		print_message("case: %s\n", exact_cases[i].name);
		assert_int_equal(second_passes(&quarter_prof, exact_cases[i].ref, 1.0,
		                               exact_cases[i].v, 1.0, exact_cases[i].band),
		                 exact_cases[i].published);
	}
}

/* Values that binary floating point does not hold, made as the decoder makes them (raw *
 * scale) and as the YAML band parses (0.3, 0.5). One resolution step above or below the
 * band behaves on the current code; a move of exactly the band does not: 3 * 0.1 =
 * 0.30000000000000004 to 6 * 0.1 = 0.6000000000000001 differ by 0.30000000000000004 > 0.3,
 * and 58 * 0.01 to 108 * 0.01 by 0.5000000000000001 > 0.5, so gw_deadband_pass publishes a
 * move the README says is not "more than the deadband". KNOWN FAILING against
 * gateway/sinks/deadband.c as it stands: the fix is to compare at the point's resolution,
 * e.g. step = 10^decimals; moved = round(fabs(v - ref) * step) / step > band. */
static const struct {
	const char *name;
	int raw_ref, raw_v;   /* point 1: temperature_c, scale 0.1; point 0 stays */
	int raw_ref0, raw_v0; /* point 0: moisture_pct, scale 0.01 */
	double band;
	bool published;
} decimal_cases[] = {
        {"0.1 steps: 0.3 -> 0.7 (0.4 > 0.3)", 3, 7, 0, 0, 0.3, true},
        {"0.1 steps: 0.3 -> 0.5 (0.2 < 0.3)", 3, 5, 0, 0, 0.3, false},
        {"0.1 steps: 0.7 -> 0.3 (down 0.4)", 7, 3, 0, 0, 0.3, true},
        {"0.01 steps: 0.58 -> 1.09 (0.51 > 0.5)", 0, 0, 58, 109, 0.5, true},
        {"0.01 steps: 0.58 -> 1.07 (0.49 < 0.5)", 0, 0, 58, 107, 0.5, false},
        {"0.1 steps: 0.3 -> 0.6 (exactly 0.3)", 3, 6, 0, 0, 0.3, false},
        {"0.1 steps: 0.6 -> 0.3 (down exactly 0.3)", 6, 3, 0, 0, 0.3, false},
        {"0.01 steps: 0.58 -> 1.08 (exactly 0.5)", 0, 0, 58, 108, 0.5, false},
        {"0.01 steps: 1.08 -> 0.58 (down exactly 0.5)", 0, 0, 108, 58, 0.5, false},
};

static void test_deadband_decimal_band_boundary_held(void **state)
{
	(void)state;
	for (size_t i = 0; i < GW_ARRAY_LEN(decimal_cases); i++) {
		double s0 = res_prof.points[0].scale, s1 = res_prof.points[1].scale;

		print_message("case: %s\n", decimal_cases[i].name);
		assert_int_equal(second_passes(&res_prof, decimal_cases[i].raw_ref0 * s0,
		                               decimal_cases[i].raw_ref * s1,
		                               decimal_cases[i].raw_v0 * s0,
		                               decimal_cases[i].raw_v * s1, decimal_cases[i].band),
		                 decimal_cases[i].published);
	}
}

/* Creeping in 0.1 steps summed in floating point (0.1 + 0.1 + 0.1 = 0.30000000000000004):
 * each step is held while the total from the reference is within the band; the first one
 * beyond it goes, and becomes the new reference. */
static void test_deadband_creep_released_past_band(void **state)
{
	struct gw_deadband d = {0};
	struct gw_reading r = at(0, 20.0, 1.0, GW_Q_GOOD);
	double v = 20.0;

	(void)state;
	assert_true(gw_deadband_pass(&d, &r, 0.45, 60000));
	for (int i = 1; i <= 4; i++) {
		v += 0.1; /* 20.1 .. 20.4: within 0.45 of 20.0 */
		r = at(i * 1000, v, 1.0, GW_Q_GOOD);
		assert_false(gw_deadband_pass(&d, &r, 0.45, 60000));
	}
	v += 0.1; /* 20.5: 0.5 > 0.45 */
	r = at(5000, v, 1.0, GW_Q_GOOD);
	assert_true(gw_deadband_pass(&d, &r, 0.45, 60000));
	r = at(6000, v + 0.4, 1.0, GW_Q_GOOD); /* measured from 20.5 now */
	assert_false(gw_deadband_pass(&d, &r, 0.45, 60000));
}

/* heartbeat_min: a held reading goes exactly beat_ms after the last published one, measured
 * from that one (not from the last held one), and not a millisecond earlier. */
static void test_deadband_heartbeat_boundary(void **state)
{
	const int64_t beat = 15 * 60000; /* heartbeat_min: 15 */
	struct gw_deadband d = {0};
	struct gw_reading r;

	(void)state;
	r = at(1000, 30.0, 12.0, GW_Q_GOOD);
	assert_true(gw_deadband_pass(&d, &r, 0.5, beat));
	for (int64_t t = 1000 + 300000; t < 1000 + beat; t += 300000) {
		r = at(t, 30.0, 12.0, GW_Q_GOOD);
		assert_false(gw_deadband_pass(&d, &r, 0.5, beat));
	}
	r = at(1000 + beat - 1, 30.0, 12.0, GW_Q_GOOD);
	assert_false(gw_deadband_pass(&d, &r, 0.5, beat));
	r = at(1000 + beat, 30.0, 12.0, GW_Q_GOOD);
	assert_true(gw_deadband_pass(&d, &r, 0.5, beat)); /* exactly heartbeat_min */
	r = at(1000 + 2 * beat - 1, 30.0, 12.0, GW_Q_GOOD);
	assert_false(gw_deadband_pass(&d, &r, 0.5, beat)); /* counted from the heartbeat */
	r = at(1000 + 2 * beat, 30.0, 12.0, GW_Q_GOOD);
	assert_true(gw_deadband_pass(&d, &r, 0.5, beat));
}

static void test_deadband_off_passes_all(void **state)
{
	struct gw_deadband d = {0};
	struct gw_reading r = at(0, 1.0, 1.0, GW_Q_GOOD);

	(void)state;
	for (int i = 0; i < 5; i++)
		assert_true(gw_deadband_pass(&d, &r, 0, 60000));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_deadband_rules),
	        cmocka_unit_test(test_deadband_off_passes_all),
	        cmocka_unit_test(test_deadband_band_boundary),
	        cmocka_unit_test(test_deadband_creep_released_past_band),
	        cmocka_unit_test(test_deadband_heartbeat_boundary),
	        cmocka_unit_test(test_deadband_decimal_band_boundary_held),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
