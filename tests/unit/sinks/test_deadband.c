/* The MQTT deadband: no band passes everything; with one, small moves are held back,
 * a move beyond it, a quality change or the heartbeat (in poll time) let a reading
 * through, and what passes becomes the new reference. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "deadband.h"

static struct gw_profile prof = {.npoints = 2};

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
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
