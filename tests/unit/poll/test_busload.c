/* Bus load arithmetic against the RS-485 timing facts of reference/sensors.md. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>
#include <math.h>

/* cmocka 1.1's assert_float_equal works in float; these numbers need double. */
#define assert_near(a, b, eps) assert_true(fabs((double)(a) - (double)(b)) <= (eps))

#include "array.h"
#include "busload.h"

static const struct gw_bus_cfg rtu9600 = {
        .name = "line1",
        .type = GW_BUS_RTU,
        .baud = 9600,
        .parity = 'N',
        .data_bits = 8,
        .stop_bits = 1,
        .turnaround_ms = 0,
};

static void test_busload_char_times_ok(void **state)
{
	static const struct {
		uint32_t baud;
		char parity;
		unsigned stop;
		double char_ms, t35_ms;
	} cases[] = {
	        {9600, 'N', 1, 1.0417, 3.6458}, /* 10 bits, sensors.md: 1.042 ms, t3.5 3.65 ms */
	        {9600, 'E', 1, 1.1458, 4.0104}, /* 11 bits, the spec's character */
	        {4800, 'N', 1, 2.0833, 7.2917},
	        {38400, 'N', 1, 0.2604, 1.75}, /* above 19200 the gap is fixed */
	        {115200, 'N', 2, 0.0955, 1.75},
	};
	(void)state;
	for (size_t i = 0; i < GW_ARRAY_LEN(cases); i++) {
		double c = gw_busload_char_ms(cases[i].baud, cases[i].parity, 8, cases[i].stop);

		assert_near(c, cases[i].char_ms, 0.0001);
		assert_near(gw_busload_t35_ms(cases[i].baud, c), cases[i].t35_ms, 0.0001);
	}
}

static void test_busload_four_registers_9600_ok(void **state)
{
	/* sensors.md: 8-byte request + 13-byte response = 21.9 ms, >= 29.2 ms with gaps. */
	struct gw_block b = {.kind = GW_REG_HOLDING, .addr = 0, .count = 4};
	struct gw_bus_cfg bus = rtu9600;

	(void)state;
	assert_int_equal(gw_plan_rtu_request_bytes(&b), 8);
	assert_int_equal(gw_plan_rtu_response_bytes(&b), 13);
	assert_near(gw_busload_txn_ms(&bus, &b), 29.17, 0.01);
	/* ~34 reads/s at most; with a 20 ms turnaround ~20 reads/s. */
	assert_int_equal((int)(1000.0 / gw_busload_txn_ms(&bus, &b)), 34);
	bus.turnaround_ms = 20;
	assert_int_equal((int)(1000.0 / gw_busload_txn_ms(&bus, &b) + 0.5), 20);
	/* 4800 baud: ~12.8 reads/s. */
	bus.baud = 4800;
	assert_near(1000.0 / gw_busload_txn_ms(&bus, &b), 12.77, 0.05);
}

/* A config built in memory: one profile of 3 registers, n sensors on bus 0. */
static void make_config(struct gw_config *cfg, struct gw_bus_cfg *bus, struct gw_profile *prof,
                        struct gw_sensor_cfg *sensors, size_t n, unsigned interval_s)
{
	memset(prof, 0, sizeof(*prof));
	prof->max_registers = 125;
	prof->max_gap = 4;
	prof->npoints = 3;
	for (unsigned i = 0; i < 3; i++) {
		prof->points[i].kind = GW_REG_HOLDING;
		prof->points[i].addr = (uint16_t)i;
		prof->points[i].type = GW_T_UINT16;
		prof->points[i].scale = 1;
	}
	memset(cfg, 0, sizeof(*cfg));
	memset(sensors, 0, n * sizeof(*sensors));
	for (size_t i = 0; i < n; i++) {
		sensors[i].bus = 0;
		sensors[i].unit = (int)i + 1;
		sensors[i].profile = prof;
		sensors[i].interval_s = interval_s;
		sensors[i].max_gap = -1;
	}
	cfg->buses = bus;
	cfg->nbuses = 1;
	cfg->sensors = sensors;
	cfg->nsensors = n;
}

static void test_busload_compute_rtu_ok(void **state)
{
	struct gw_bus_cfg bus = rtu9600;
	struct gw_sensor_cfg sensors[10];
	struct gw_profile prof;
	struct gw_config cfg;
	struct gw_busload bl;
	double txn;

	(void)state;
	make_config(&cfg, &bus, &prof, sensors, 10, 2);
	assert_int_equal(gw_busload_compute(&cfg, 0, &bl), 0);
	assert_int_equal(bl.sensors, 10);
	assert_int_equal(bl.requests_per_cycle, 10);
	assert_int_equal(bl.bytes_per_cycle, 10 * (8 + 11));
	assert_near(bl.requests_per_s, 5.0, 1e-9);
	txn = 19 * 1.0416667 + 2 * 3.6458333;
	assert_near(bl.cycle_ms, 10 * txn, 0.01);
	assert_near(bl.load, 10 * txn / 1000.0 / 2, 1e-4);
	assert_true(bl.load < GW_BUSLOAD_WARN);
}

static void test_busload_compute_overloaded_warns(void **state)
{
	struct gw_bus_cfg bus = rtu9600;
	struct gw_sensor_cfg sensors[40];
	struct gw_profile prof;
	struct gw_config cfg;
	struct gw_busload bl;

	(void)state;
	bus.turnaround_ms = 20;
	make_config(&cfg, &bus, &prof, sensors, 40, 1);
	assert_int_equal(gw_busload_compute(&cfg, 0, &bl), 0);
	assert_true(bl.load > GW_BUSLOAD_WARN);
}

static void test_busload_compute_tcp_no_line_share(void **state)
{
	struct gw_bus_cfg bus = {.type = GW_BUS_TCP, .port = 502};
	struct gw_sensor_cfg sensors[4];
	struct gw_profile prof;
	struct gw_config cfg;
	struct gw_busload bl;

	(void)state;
	make_config(&cfg, &bus, &prof, sensors, 4, 1);
	assert_int_equal(gw_busload_compute(&cfg, 0, &bl), 0);
	assert_int_equal(bl.requests_per_cycle, 4);
	assert_int_equal(bl.bytes_per_cycle, 4 * (12 + 15));
	assert_near(bl.load, 0.0, 1e-12);
}

static void test_busload_compute_cellular_adds_rtt(void **state)
{
	struct gw_bus_cfg bus = rtu9600;
	struct gw_sensor_cfg sensors[2];
	struct gw_profile prof;
	struct gw_config cfg;
	struct gw_busload rtu, bl;

	(void)state;
	make_config(&cfg, &bus, &prof, sensors, 2, 10);
	assert_int_equal(gw_busload_compute(&cfg, 0, &rtu), 0);
	bus.rtt_ms = 300;
	for (int t = GW_BUS_RTU_TCP; t <= GW_BUS_DTU_SERVER; t++) {
		bus.type = (enum gw_bus_type)t;
		assert_int_equal(gw_busload_compute(&cfg, 0, &bl), 0);
		/* the serial side's line time plus a round trip per request, RTU bytes */
		assert_int_equal(bl.bytes_per_cycle, rtu.bytes_per_cycle);
		assert_near(bl.cycle_ms, rtu.cycle_ms + 2 * 300, 1e-9);
		assert_near(bl.load, bl.cycle_ms / 1000.0 / 10, 1e-9);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_busload_char_times_ok),
	        cmocka_unit_test(test_busload_four_registers_9600_ok),
	        cmocka_unit_test(test_busload_compute_rtu_ok),
	        cmocka_unit_test(test_busload_compute_overloaded_warns),
	        cmocka_unit_test(test_busload_compute_tcp_no_line_share),
	        cmocka_unit_test(test_busload_compute_cellular_adds_rtt),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
