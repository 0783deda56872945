/* The simulator's RTU framing: CRC16 against the vendor test frames of
 * reference/sensors.md, request lengths by function code, frame building. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <string.h>

#include "array.h"
#include "sim.h"

struct crc_case {
	const char *name;
	uint8_t frame[16];
	size_t len; /* with the CRC */
};

/* Every frame ends in its CRC, low byte first. */
static const struct crc_case crc_cases[] = {
        {"seeed_req", {0x01, 0x04, 0x00, 0x00, 0x00, 0x03, 0xB0, 0x0B}, 8},
        {"seeed_rsp", {0x01, 0x04, 0x06, 0x08, 0x90, 0x0E, 0x93, 0x02, 0x4E, 0xD2, 0x57}, 11},
        {"dfrobot_req", {0x01, 0x03, 0x00, 0x00, 0x00, 0x03, 0x05, 0xCB}, 8},
        {"dfrobot_rsp", {0x01, 0x03, 0x06, 0x02, 0x92, 0xFF, 0x9B, 0x03, 0xE8, 0xD8, 0x0F}, 11},
        {"renke_req", {0x01, 0x03, 0x00, 0x00, 0x00, 0x02, 0xC4, 0x0B}, 8},
        {"renke_rsp", {0x01, 0x03, 0x04, 0x02, 0x92, 0xFF, 0x9B, 0x5A, 0x3D}, 9},
};

static void test_sim_crc16_vendor_frames_ok(void **state)
{
	(void)state;
	for (size_t i = 0; i < GW_ARRAY_LEN(crc_cases); i++) {
		const struct crc_case *c = &crc_cases[i];
		uint16_t want = (uint16_t)(c->frame[c->len - 2] | c->frame[c->len - 1] << 8);

		print_message("case %s\n", c->name);
		assert_int_equal(gw_sim_crc16(c->frame, c->len - 2), want);
		/* a frame followed by its CRC checks to 0 */
		assert_int_equal(gw_sim_crc16(c->frame, c->len), 0);
	}
}

static void test_sim_rtu_build_vendor_frame_ok(void **state)
{
	const uint8_t pdu[] = {0x04, 0x00, 0x00, 0x00, 0x03};
	const uint8_t want[] = {0x01, 0x04, 0x00, 0x00, 0x00, 0x03, 0xB0, 0x0B};
	uint8_t adu[GW_SIM_MAX_ADU];

	(void)state;
	assert_int_equal(gw_sim_rtu_build(1, pdu, sizeof(pdu), adu), sizeof(want));
	assert_memory_equal(adu, want, sizeof(want));
}

struct len_case {
	const char *name;
	uint8_t buf[12];
	size_t have;
	int want;
};

static const struct len_case len_cases[] = {
        {"one_byte_needs_more", {0x01}, 1, 0},
        {"read_holding", {0x01, 0x03}, 2, 8},
        {"read_coils", {0x01, 0x01}, 2, 8},
        {"write_single", {0x01, 0x06}, 2, 8},
        {"write_multi_needs_count", {0x01, 0x10, 0, 0, 0, 2}, 6, 0},
        {"write_multi_regs", {0x01, 0x10, 0, 0, 0, 2, 4}, 7, 13},
        {"write_multi_coils", {0x01, 0x0F, 0, 0, 0, 10, 2}, 7, 11},
        {"report_id", {0x01, 0x11}, 2, 4},
        {"unknown_function", {0x01, 0x42}, 2, -1},
};

static void test_sim_rtu_request_len_cases_ok(void **state)
{
	(void)state;
	for (size_t i = 0; i < GW_ARRAY_LEN(len_cases); i++) {
		print_message("case %s\n", len_cases[i].name);
		assert_int_equal(gw_sim_rtu_request_len(len_cases[i].buf, len_cases[i].have),
		                 len_cases[i].want);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_sim_crc16_vendor_frames_ok),
	        cmocka_unit_test(test_sim_rtu_build_vendor_frame_ok),
	        cmocka_unit_test(test_sim_rtu_request_len_cases_ok),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
