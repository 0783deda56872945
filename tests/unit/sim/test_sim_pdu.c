/* One simulated slave's PDU handling: register reads served from the model
 * through gw_encode_point, exceptions 01/02/03, writes of the addressing
 * registers (a new unit id at once), coils, and the exception and
 * out_of_range faults. The profile is built here, independent of the files. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "array.h"
#include "decode.h"
#include "sim.h"

#define T0 1687312800000LL /* 2023-06-21T10:00:00+08:00 */

static struct gw_profile prof;
static struct gw_sim_slave slave;

static void point(const char *name, enum gw_regkind kind, uint16_t addr, enum gw_vtype type,
                  double scale, double min, double max)
{
	struct gw_point *p = &prof.points[prof.npoints++];

	memset(p, 0, sizeof(*p));
	snprintf(p->name, sizeof(p->name), "%s", name);
	p->kind = kind;
	p->addr = addr;
	p->type = type;
	p->scale = scale;
	p->has_range = true;
	p->min = min;
	p->max = max;
}

static int setup(void **state)
{
	struct gw_sim_unit_cfg u = {.sensor = "soil-01",
	                            .plot = "XM-0001",
	                            .unit = 7,
	                            .profile = &prof,
	                            .place = GW_SIM_PLACE_UNDER_FILM,
	                            .film = {.laid = true}};

	(void)state;
	memset(&prof, 0, sizeof(prof));
	snprintf(prof.name, sizeof(prof.name), "test");
	point("moisture_pct", GW_REG_HOLDING, 0, GW_T_UINT16, 0.1, 0, 100);
	point("temperature_c", GW_REG_HOLDING, 1, GW_T_INT16, 0.1, -40, 80);
	point("ec_us_cm", GW_REG_HOLDING, 2, GW_T_UINT16, 1, 0, 20000);
	point("lux", GW_REG_INPUT, 0x10, GW_T_UINT32, 1, 0, 200000);
	point("input1", GW_REG_DISCRETE, 0, GW_T_BIT, 1, 0, 1);
	point("input2", GW_REG_DISCRETE, 1, GW_T_BIT, 1, 0, 1);
	point("relay1", GW_REG_COIL, 0, GW_T_BIT, 1, 0, 1);
	point("relay2", GW_REG_COIL, 1, GW_T_BIT, 1, 0, 1);
	/* two bit points in one input register */
	point("input1", GW_REG_INPUT, 0x20, GW_T_BIT, 1, 0, 1);
	prof.points[prof.npoints - 1].bit = 0;
	point("input3", GW_REG_INPUT, 0x20, GW_T_BIT, 1, 0, 1);
	prof.points[prof.npoints - 1].bit = 1;
	prof.addressing.known = true;
	prof.addressing.unit_reg = 0x07D0;
	prof.addressing.has_baud = true;
	prof.addressing.baud_reg = 0x07D1;
	prof.addressing.nbaud = 3;
	prof.addressing.baud_code[0] = 0, prof.addressing.baud_rate[0] = 2400;
	prof.addressing.baud_code[1] = 1, prof.addressing.baud_rate[1] = 4800;
	prof.addressing.baud_code[2] = 2, prof.addressing.baud_rate[2] = 9600;
	return gw_sim_slave_init(&slave, &u, 42, 9600);
}

static size_t ask(const uint8_t *req, size_t len, uint8_t *rsp)
{
	return gw_sim_pdu_answer(&slave, T0, req, len, rsp);
}

static void test_sim_pdu_read_holding_plausible_ok(void **state)
{
	const uint8_t req[] = {0x03, 0x00, 0x00, 0x00, 0x03};
	uint8_t rsp[GW_SIM_MAX_PDU];
	uint16_t w;
	double v;

	(void)state;
	assert_int_equal(ask(req, sizeof(req), rsp), 8);
	assert_int_equal(rsp[0], 0x03);
	assert_int_equal(rsp[1], 6);
	for (int i = 0; i < 3; i++) {
		w = (uint16_t)(rsp[2 + 2 * i] << 8 | rsp[3 + 2 * i]);
		assert_int_equal(gw_decode_point(&prof.points[i], &w, &v), GW_Q_GOOD);
	}
	w = (uint16_t)(rsp[2] << 8 | rsp[3]);
	gw_decode_point(&prof.points[0], &w, &v);
	assert_true(v >= 15.0 && v <= 45.0);
}

static void test_sim_pdu_read_uint32_both_words_ok(void **state)
{
	const uint8_t req[] = {0x04, 0x00, 0x10, 0x00, 0x02};
	uint8_t rsp[GW_SIM_MAX_PDU];
	uint16_t w[2];
	double v;

	(void)state;
	assert_int_equal(ask(req, sizeof(req), rsp), 6);
	w[0] = (uint16_t)(rsp[2] << 8 | rsp[3]);
	w[1] = (uint16_t)(rsp[4] << 8 | rsp[5]);
	assert_int_equal(gw_decode_point(&prof.points[3], w, &v), GW_Q_GOOD);
	assert_true(v > 1000.0); /* 10:00 on a June day is light */
}

static void test_sim_pdu_shared_bit_register_ok(void **state)
{
	const uint8_t req[] = {0x04, 0x00, 0x20, 0x00, 0x01};
	const uint8_t bits[] = {0x02, 0x00, 0x00, 0x00, 0x02};
	uint8_t rsp[GW_SIM_MAX_PDU];

	(void)state;
	assert_int_equal(ask(req, sizeof(req), rsp), 4);
	/* covered plot: input1 (bit 0) set, input3 (bit 1) clear */
	assert_int_equal(rsp[2] << 8 | rsp[3], 0x0001);
	assert_int_equal(ask(bits, sizeof(bits), rsp), 3);
	assert_int_equal(rsp[2], 0x01);
}

struct ex_case {
	const char *name;
	uint8_t req[12];
	size_t len;
	uint8_t fc, code; /* 0/0: a normal reply */
};

static const struct ex_case ex_cases[] = {
        {"unknown_function", {0x2B, 0x0E, 0x01, 0x00}, 4, 0xAB, 1},
        {"diagnostics_unsupported", {0x08, 0, 0, 0, 0}, 5, 0x88, 1},
        {"far_address", {0x03, 0x10, 0x00, 0x00, 0x01}, 5, 0x83, 2},
        {"near_unmapped_reads_zero", {0x03, 0x00, 0x05, 0x00, 0x01}, 5, 0, 0},
        {"block_ends_far", {0x03, 0x00, 0x00, 0x00, 0x40}, 5, 0x83, 2},
        {"qty_zero", {0x03, 0x00, 0x00, 0x00, 0x00}, 5, 0x83, 3},
        {"qty_126", {0x03, 0x00, 0x00, 0x00, 0x7E}, 5, 0x83, 3},
        {"short_pdu", {0x03, 0x00, 0x00}, 3, 0x83, 3},
        {"no_input_regs_here", {0x04, 0x40, 0x00, 0x00, 0x01}, 5, 0x84, 2},
        {"bits_qty_zero", {0x01, 0x00, 0x00, 0x00, 0x00}, 5, 0x81, 3},
        {"unit_zero", {0x06, 0x07, 0xD0, 0x00, 0x00}, 5, 0x86, 3},
        {"unit_248", {0x06, 0x07, 0xD0, 0x00, 0xF8}, 5, 0x86, 3},
        {"baud_code_unknown", {0x06, 0x07, 0xD1, 0x00, 0x07}, 5, 0x86, 3},
        {"write_far", {0x06, 0x30, 0x00, 0x00, 0x01}, 5, 0x86, 2},
        {"coil_bad_value", {0x05, 0x00, 0x00, 0x12, 0x34}, 5, 0x85, 3},
        {"coil_far", {0x05, 0x10, 0x00, 0xFF, 0x00}, 5, 0x85, 2},
        {"multi_bad_count", {0x10, 0x07, 0xD1, 0x00, 0x01, 0x04, 0x00, 0x01}, 8, 0x90, 3},
        {"multi_coils_bad_count", {0x0F, 0x00, 0x00, 0x00, 0x02, 0x02, 0x03}, 7, 0x8F, 3},
};

static void test_sim_pdu_exception_cases_ok(void **state)
{
	uint8_t rsp[GW_SIM_MAX_PDU];

	(void)state;
	for (size_t i = 0; i < GW_ARRAY_LEN(ex_cases); i++) {
		const struct ex_case *c = &ex_cases[i];
		size_t n = ask(c->req, c->len, rsp);

		print_message("case %s\n", c->name);
		if (!c->fc) {
			assert_true(n > 2);
			assert_int_equal(rsp[0], c->req[0]);
			continue;
		}
		assert_int_equal(n, 2);
		assert_int_equal(rsp[0], c->fc);
		assert_int_equal(rsp[1], c->code);
	}
}

static void test_sim_pdu_write_unit_moves_slave_ok(void **state)
{
	const uint8_t write[] = {0x06, 0x07, 0xD0, 0x00, 0x21};
	const uint8_t read[] = {0x03, 0x07, 0xD0, 0x00, 0x02};
	uint8_t rsp[GW_SIM_MAX_PDU];

	(void)state;
	assert_int_equal(slave.unit, 7);
	assert_int_equal(ask(write, sizeof(write), rsp), 5);
	assert_memory_equal(rsp, write, 5);
	assert_int_equal(slave.unit, 0x21);
	assert_int_equal(slave.config_unit, 7);
	assert_int_equal(ask(read, sizeof(read), rsp), 6);
	assert_int_equal(rsp[2] << 8 | rsp[3], 0x21);
	assert_int_equal(rsp[4] << 8 | rsp[5], 2); /* 9600 baud is code 2 */
}

static void test_sim_pdu_write_multiple_baud_ok(void **state)
{
	const uint8_t write[] = {0x10, 0x07, 0xD0, 0x00, 0x02, 0x04, 0x00, 0x09, 0x00, 0x01};
	const uint8_t read[] = {0x03, 0x07, 0xD0, 0x00, 0x02};
	uint8_t rsp[GW_SIM_MAX_PDU];

	(void)state;
	assert_int_equal(ask(write, sizeof(write), rsp), 5);
	assert_memory_equal(rsp, write, 5);
	assert_int_equal(slave.unit, 9);
	ask(read, sizeof(read), rsp);
	assert_int_equal(rsp[4] << 8 | rsp[5], 1);
}

static void test_sim_pdu_coils_write_read_ok(void **state)
{
	const uint8_t on2[] = {0x05, 0x00, 0x01, 0xFF, 0x00};
	const uint8_t read[] = {0x01, 0x00, 0x00, 0x00, 0x02};
	const uint8_t multi[] = {0x0F, 0x00, 0x00, 0x00, 0x02, 0x01, 0x01};
	uint8_t rsp[GW_SIM_MAX_PDU];

	(void)state;
	assert_int_equal(ask(on2, sizeof(on2), rsp), 5);
	assert_int_equal(ask(read, sizeof(read), rsp), 3);
	assert_int_equal(rsp[2], 0x02);
	assert_int_equal(ask(multi, sizeof(multi), rsp), 5);
	ask(read, sizeof(read), rsp);
	assert_int_equal(rsp[2], 0x01);
}

static void test_sim_pdu_fault_exception_code_ok(void **state)
{
	const uint8_t req[] = {0x03, 0x00, 0x00, 0x00, 0x03};
	uint8_t rsp[GW_SIM_MAX_PDU];

	(void)state;
	slave.fault.exception = 4;
	assert_int_equal(ask(req, sizeof(req), rsp), 2);
	assert_int_equal(rsp[0], 0x83);
	assert_int_equal(rsp[1], 4);
}

static void test_sim_pdu_fault_out_of_range_ok(void **state)
{
	const uint8_t req[] = {0x03, 0x00, 0x00, 0x00, 0x03};
	uint8_t rsp[GW_SIM_MAX_PDU];
	uint16_t w;
	double v;

	(void)state;
	slave.fault.out_of_range = true;
	assert_int_equal(ask(req, sizeof(req), rsp), 8);
	for (int i = 0; i < 3; i++) {
		w = (uint16_t)(rsp[2 + 2 * i] << 8 | rsp[3 + 2 * i]);
		print_message("point %s\n", prof.points[i].name);
		assert_int_equal(gw_decode_point(&prof.points[i], &w, &v), GW_Q_OUT_OF_RANGE);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test_setup(test_sim_pdu_read_holding_plausible_ok, setup),
	        cmocka_unit_test_setup(test_sim_pdu_read_uint32_both_words_ok, setup),
	        cmocka_unit_test_setup(test_sim_pdu_shared_bit_register_ok, setup),
	        cmocka_unit_test_setup(test_sim_pdu_exception_cases_ok, setup),
	        cmocka_unit_test_setup(test_sim_pdu_write_unit_moves_slave_ok, setup),
	        cmocka_unit_test_setup(test_sim_pdu_write_multiple_baud_ok, setup),
	        cmocka_unit_test_setup(test_sim_pdu_coils_write_read_ok, setup),
	        cmocka_unit_test_setup(test_sim_pdu_fault_exception_code_ok, setup),
	        cmocka_unit_test_setup(test_sim_pdu_fault_out_of_range_ok, setup),
	};

	/* the field's local time, without needing tzdata */
	setenv("TZ", "CST-8", 1);
	tzset();
	return cmocka_run_group_tests(tests, NULL, NULL);
}
