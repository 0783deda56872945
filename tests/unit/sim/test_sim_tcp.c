/* The simulator's Modbus TCP framing: MBAP header parsing and building. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <errno.h>

#include "array.h"
#include "sim.h"

struct mbap_case {
	const char *name;
	uint8_t buf[8];
	size_t have;
	int want;
};

static const struct mbap_case mbap_cases[] = {
        {"short_header", {0x00, 0x01, 0x00, 0x00, 0x00, 0x06}, 6, 0},
        {"read_request", {0x00, 0x01, 0x00, 0x00, 0x00, 0x06, 0x07}, 7, 12},
        {"bad_protocol", {0x00, 0x01, 0x00, 0x01, 0x00, 0x06, 0x07}, 7, -EPROTO},
        {"length_too_small", {0x00, 0x01, 0x00, 0x00, 0x00, 0x01, 0x07}, 7, -EPROTO},
        {"length_too_big", {0x00, 0x01, 0x00, 0x00, 0x01, 0x00, 0x07}, 7, -EPROTO},
};

static void test_sim_mbap_parse_cases_ok(void **state)
{
	struct gw_sim_mbap hdr;

	(void)state;
	for (size_t i = 0; i < GW_ARRAY_LEN(mbap_cases); i++) {
		print_message("case %s\n", mbap_cases[i].name);
		assert_int_equal(gw_sim_mbap_parse(mbap_cases[i].buf, mbap_cases[i].have, &hdr),
		                 mbap_cases[i].want);
	}
}

static void test_sim_mbap_build_roundtrip_ok(void **state)
{
	const uint8_t pdu[] = {0x03, 0x06, 0x02, 0x92, 0xFF, 0x9B, 0x03, 0xE8};
	uint8_t adu[GW_SIM_MAX_ADU];
	struct gw_sim_mbap hdr;
	size_t n = gw_sim_mbap_build(0xBEEF, 17, pdu, sizeof(pdu), adu);

	(void)state;
	assert_int_equal(n, 7 + sizeof(pdu));
	assert_int_equal(gw_sim_mbap_parse(adu, n, &hdr), (int)n);
	assert_int_equal(hdr.tid, 0xBEEF);
	assert_int_equal(hdr.unit, 17);
	assert_int_equal(hdr.len, sizeof(pdu) + 1);
	assert_memory_equal(adu + 7, pdu, sizeof(pdu));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_sim_mbap_parse_cases_ok),
	        cmocka_unit_test(test_sim_mbap_build_roundtrip_ok),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
